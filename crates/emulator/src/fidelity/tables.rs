//! The emulator's own tables of per-path facts behind the fidelity behaviours, each entry with
//! the schema file and line it comes from (`shared/reference/celigo-schemas`, read, never
//! copied). A conformance test checks the case and read-only tables against the schemas.

use serde_json::Value;

use crate::json::{Document, get_dotted};
use crate::kinds::ResourceKind;

/// Which way a value is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Lower,
    Upper,
}

/// A path whose string value the service stores lower- or upper-cased.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CaseRule {
    pub(crate) kind: ResourceKind,
    /// Dotted path in the document.
    pub(crate) path: &'static str,
    pub(crate) case: Case,
    /// `file:line` of the `x-lowercase`/`x-uppercase` annotation, relative to the schemas root.
    pub(crate) source: &'static str,
}

const fn rule(
    kind: ResourceKind,
    path: &'static str,
    case: Case,
    source: &'static str,
) -> CaseRule {
    CaseRule { kind, path, case, source }
}

use Case::{Lower, Upper};
use ResourceKind::{Connections, EdiProfiles, Exports, FileDefinitions, IClients, Imports};

/// Every `x-lowercase`/`x-uppercase` annotation of the schemas, at the document path where the
/// annotated sub-schema is used. `oauth.yml` is used under `http.auth.oauth`, `rest.oauth` and
/// `mcp.http.auth.oauth`; `jwt.yml` under `http.auth.jwt`.
pub(crate) const CASE_RULES: &[CaseRule] = &[
    rule(Connections, "http.mediaType", Lower, "configuring-connections/schemas/http.yml:43"),
    rule(
        Connections,
        "http.successMediaType",
        Lower,
        "configuring-connections/schemas/http.yml:61",
    ),
    rule(Connections, "http.errorMediaType", Lower, "configuring-connections/schemas/http.yml:78"),
    rule(Connections, "http.formType", Lower, "configuring-connections/schemas/http.yml:152"),
    rule(Connections, "http.ping.method", Upper, "configuring-connections/schemas/http.yml:241"),
    rule(Connections, "http.auth.type", Lower, "configuring-connections/schemas/http.yml:344"),
    rule(
        Connections,
        "http.auth.token.refreshMethod",
        Upper,
        "configuring-connections/schemas/http.yml:481",
    ),
    rule(
        Connections,
        "http.auth.token.refreshMediaType",
        Lower,
        "configuring-connections/schemas/http.yml:515",
    ),
    rule(
        Connections,
        "http.auth.token.refreshResponseMediaType",
        Lower,
        "configuring-connections/schemas/http.yml:527",
    ),
    rule(
        Connections,
        "http.auth.jwt.signatureMethod",
        Lower,
        "configuring-connections/schemas/jwt.yml:40",
    ),
    rule(
        Connections,
        "http.auth.oauth.grantType",
        Lower,
        "configuring-connections/schemas/oauth.yml:36",
    ),
    rule(
        Connections,
        "http.auth.oauth.clientCredentialsLocation",
        Lower,
        "configuring-connections/schemas/oauth.yml:119",
    ),
    rule(
        Connections,
        "http.auth.oauth.oauth1.signatureMethod",
        Lower,
        "configuring-connections/schemas/oauth.yml:229",
    ),
    rule(
        Connections,
        "rest.oauth.grantType",
        Lower,
        "configuring-connections/schemas/oauth.yml:36",
    ),
    rule(
        Connections,
        "rest.oauth.clientCredentialsLocation",
        Lower,
        "configuring-connections/schemas/oauth.yml:119",
    ),
    rule(
        Connections,
        "rest.oauth.oauth1.signatureMethod",
        Lower,
        "configuring-connections/schemas/oauth.yml:229",
    ),
    rule(Connections, "mcp.http.auth.type", Lower, "configuring-connections/schemas/mcp.yml:101"),
    rule(
        Connections,
        "mcp.http.auth.oauth.grantType",
        Lower,
        "configuring-connections/schemas/oauth.yml:36",
    ),
    rule(
        Connections,
        "mcp.http.auth.oauth.clientCredentialsLocation",
        Lower,
        "configuring-connections/schemas/oauth.yml:119",
    ),
    rule(
        Connections,
        "mcp.http.auth.oauth.oauth1.signatureMethod",
        Lower,
        "configuring-connections/schemas/oauth.yml:229",
    ),
    rule(
        Connections,
        "netsuite.authType",
        Lower,
        "configuring-connections/schemas/netsuite.yml:44",
    ),
    rule(Connections, "netsuite.account", Upper, "configuring-connections/schemas/netsuite.yml:52"),
    rule(Connections, "ftp.entryParser", Upper, "configuring-connections/schemas/ftp.yml:124"),
    rule(
        Connections,
        "rdbms.redshift.region",
        Lower,
        "configuring-connections/schemas/rdbms.yml:355",
    ),
    rule(Connections, "rest.mediaType", Lower, "configuring-connections/schemas/rest.yml:44"),
    rule(Connections, "rest.authType", Lower, "configuring-connections/schemas/rest.yml:77"),
    rule(
        Connections,
        "rest.refreshTokenMethod",
        Upper,
        "configuring-connections/schemas/rest.yml:237",
    ),
    rule(
        Connections,
        "rest.refreshTokenMediaType",
        Lower,
        "configuring-connections/schemas/rest.yml:260",
    ),
    rule(Connections, "rest.pingMethod", Upper, "configuring-connections/schemas/rest.yml:325"),
    rule(
        Exports,
        "netsuite.restlet.restletVersion",
        Lower,
        "configuring-exports/schemas/netsuite.yml:139",
    ),
    rule(Imports, "s3.region", Lower, "configuring-imports/schemas/s3.yml:15"),
    rule(Imports, "dynamodb.region", Lower, "configuring-imports/schemas/dynamodb.yml:15"),
    rule(Imports, "netsuite.operation", Lower, "configuring-imports/schemas/netsuite.yml:53"),
    rule(Imports, "salesforce.operation", Lower, "configuring-imports/schemas/salesforce.yml:21"),
    rule(Imports, "salesforce.api", Lower, "configuring-imports/schemas/salesforce.yml:41"),
    rule(
        Imports,
        "salesforce.upsertpicklistvalues.type",
        Lower,
        "configuring-imports/schemas/salesforce.yml:108",
    ),
    rule(
        Imports,
        "netsuite_da.operation",
        Lower,
        "configuring-imports/schemas/netsuitedistributed.yml:19",
    ),
    rule(
        Imports,
        "netsuite_da.restletVersion",
        Lower,
        "configuring-imports/schemas/netsuitedistributed.yml:55",
    ),
];

/// A field the schemas mark `readOnly` inside a resource's sub-documents: a client's value is
/// dropped on write and the stored value is kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadOnlyRule {
    pub(crate) kind: ResourceKind,
    pub(crate) path: &'static str,
    /// `file:line` of the `readOnly: true`.
    pub(crate) source: &'static str,
}

const fn read_only(kind: ResourceKind, path: &'static str, source: &'static str) -> ReadOnlyRule {
    ReadOnlyRule { kind, path, source }
}

/// Read-only sub-document fields not already in the server-owned lists of `kinds.rs`.
pub(crate) const READ_ONLY_RULES: &[ReadOnlyRule] = &[
    read_only(
        Connections,
        "netsuite.useSsoLogin",
        "configuring-connections/schemas/netsuite.yml:126",
    ),
    read_only(
        Connections,
        "netsuite.dataCenterURLs",
        "configuring-connections/schemas/netsuite.yml:137",
    ),
    read_only(
        Connections,
        "netsuite.concurrencyLevelRESTlet",
        "configuring-connections/schemas/netsuite.yml:182",
    ),
    read_only(
        Connections,
        "netsuite.concurrencyLevelWebServices",
        "configuring-connections/schemas/netsuite.yml:190",
    ),
    read_only(Connections, "ftp.tradingPartner", "configuring-connections/schemas/ftp.yml:173"),
    read_only(Connections, "mcp.protocol", "configuring-connections/schemas/mcp.yml:26"),
    read_only(Connections, "rest.info", "configuring-connections/schemas/rest.yml:387"),
    read_only(Connections, "van.mailboxId", "configuring-connections/schemas/van.yml:18"),
    read_only(Exports, "http._httpConnectorVersionId", "configuring-exports/schemas/http.yml:468"),
    read_only(Exports, "http._httpConnectorResourceId", "configuring-exports/schemas/http.yml:473"),
    read_only(Exports, "http._httpConnectorEndpointId", "configuring-exports/schemas/http.yml:481"),
    read_only(Imports, "http._httpConnectorEndpointIds", "configuring-imports/schemas/http.yml:81"),
    read_only(Imports, "http._httpConnectorVersionId", "configuring-imports/schemas/http.yml:208"),
    read_only(Imports, "http._httpConnectorResourceId", "configuring-imports/schemas/http.yml:213"),
    read_only(Imports, "http._httpConnectorEndpointId", "configuring-imports/schemas/http.yml:218"),
    read_only(
        IClients,
        "oauth2.useNewAuthFailSchema",
        "configuring-connections/iclient-schemas/base.yml:230",
    ),
    read_only(IClients, "oauth2.failures", "configuring-connections/iclient-schemas/base.yml:235"),
    read_only(IClients, "jwt.token", "configuring-connections/iclient-schemas/base.yml:586"),
];

/// Fields fixed at creation: a PUT's value is ignored and the stored one kept
/// (`configuring-connections/schemas/as2.yml:5`, live-verified; an EDI profile's `fileType` and
/// a file definition's `globalId`, "immutable after creation": celigo/ai
/// `skills/building-b2b/references/schemas/edi-profile-request.yml` and `SKILL.md` Gotchas 3).
pub(crate) const IMMUTABLE_AFTER_CREATE: &[(ResourceKind, &str)] = &[
    (Connections, "as2.as2Id"),
    (Connections, "as2.partnerId"),
    (EdiProfiles, "fileType"),
    (FileDefinitions, "globalId"),
];

/// String-typed fields where a number is stored as its decimal string.
pub(crate) const STRING_FIELDS: &[(ResourceKind, &str)] = &[
    (Connections, "netsuite.roleId"),
    (Connections, "netsuite.entityId"),
    (Exports, "netsuite.restlet.searchId"),
];

/// Connection types whose sub-document carries `concurrencyLevel`/`targetConcurrencyLevel`
/// clamped to the licence (the schemas named in the behaviour's source).
pub(crate) const CLAMPED_CONNECTION_TYPES: &[&str] = &[
    "http",
    "rest",
    "netsuite",
    "salesforce",
    "ftp",
    "s3",
    "rdbms",
    "mongodb",
    "dynamodb",
    "jdbc",
    "filesystem",
    "as2",
    "wrapper",
];

/// The secret paths of a connection whose values the service obtains itself, given the stored
/// or written document: OAuth authorization-code tokens, Salesforce tokens, NetSuite
/// `token-auto` tokens.
pub(crate) fn managed_token_paths(document: &Document) -> Vec<&'static str> {
    let text = |path: &str| get_dotted(document, path).and_then(Value::as_str);
    let mut paths = Vec::new();
    let connection_type = text("type");
    if connection_type == Some("http")
        && text("http.auth.type").is_some_and(|auth| auth.eq_ignore_ascii_case("oauth"))
        && text("http.auth.oauth.grantType")
            .is_none_or(|grant| grant.eq_ignore_ascii_case("authorizecode"))
    {
        paths.extend(["http.auth.token.token", "http.auth.token.refreshToken"]);
    }
    if connection_type == Some("salesforce") {
        paths.extend(["salesforce.bearerToken", "salesforce.refreshToken"]);
    }
    if connection_type == Some("netsuite")
        && text("netsuite.authType").is_some_and(|auth| auth.eq_ignore_ascii_case("token-auto"))
    {
        paths.extend(["netsuite.tokenId", "netsuite.tokenSecret"]);
    }
    paths
}

/// Paths of HTTP/REST imports stored as arrays, and whether an absent one is stored as `[]`.
pub(crate) const IMPORT_ARRAY_FIELDS: &[(&str, bool)] = &[
    ("http.method", false),
    ("http.relativeURI", true),
    ("http.body", true),
    ("http.response.resourceIdPath", false),
    ("rest.method", false),
    ("rest.relativeURI", false),
    ("rest.body", false),
];

/// Expression-capable fields of exports and imports.
pub(crate) const EXPRESSION_FIELDS: &[&str] = &["filter", "inputFilter", "transform"];

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn schemas() -> Option<PathBuf> {
        let directory =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/celigo-schemas");
        directory.is_dir().then_some(directory)
    }

    fn line_at(root: &Path, source: &str) -> String {
        let (file, line) = source.split_once(':').expect("file:line");
        let text = fs_err::read_to_string(root.join(file)).expect("a schema file");
        let number: usize = line.parse().expect("a line number");
        text.lines().nth(number - 1).unwrap_or_default().trim().to_owned()
    }

    /// Every case rule points at its annotation, and every annotation of the schemas has a rule.
    #[test]
    fn case_rules_match_the_schema_annotations() {
        let Some(root) = schemas() else {
            #[expect(
                clippy::print_stdout,
                reason = "a skipped test says why, as the project's rules ask"
            )]
            {
                println!(
                    "skipped: ../shared/reference/celigo-schemas is not next to the repository"
                );
            }
            return;
        };
        for rule in CASE_RULES {
            let expected = match rule.case {
                Case::Lower => "x-lowercase: true",
                Case::Upper => "x-uppercase: true",
            };
            assert_eq!(line_at(&root, rule.source), expected, "{} at {}", rule.path, rule.source);
        }
        for directory in [
            "configuring-connections/schemas",
            "configuring-exports/schemas",
            "configuring-imports/schemas",
        ] {
            for entry in fs_err::read_dir(root.join(directory)).expect("a schema folder") {
                let path = entry.expect("an entry").path();
                let text = fs_err::read_to_string(&path).expect("a schema file");
                let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
                for (index, line) in text.lines().enumerate() {
                    if line.contains("x-lowercase: true") || line.contains("x-uppercase: true") {
                        let source = format!("{directory}/{name}:{}", index + 1);
                        assert!(
                            CASE_RULES.iter().any(|rule| rule.source == source),
                            "no case rule for the annotation at {source}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn read_only_rules_point_at_read_only_fields() {
        let Some(root) = schemas() else {
            #[expect(
                clippy::print_stdout,
                reason = "a skipped test says why, as the project's rules ask"
            )]
            {
                println!(
                    "skipped: ../shared/reference/celigo-schemas is not next to the repository"
                );
            }
            return;
        };
        for rule in READ_ONLY_RULES {
            assert_eq!(line_at(&root, rule.source), "readOnly: true", "{}", rule.path);
        }
    }
}
