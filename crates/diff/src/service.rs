//! What the service does to the documents it stores, besides assuming defaults
//! ([`crate::defaults`]): the values it rewrites, the ids it generates, the copies it keeps, the
//! fields it ignores on write, the secrets it obtains itself, and the fields that exclude each
//! other. One table per kind and fact; every entry names its source (a line of Celigo's
//! schemas, a section of the API reference, or a real document of
//! `shared/reference/service-behaviours.md`). The emulator keeps its own tables on purpose: the
//! client must not share its assumptions with the stand-in it is tested against.
//!
//! Who reads them: normalisation ([`crate::normalize`]) puts a value in the form the service
//! stores, on both sides of a comparison, so a spec that writes `method: POST` equals a live
//! `["POST"]`; the field comparison skips what the service ignores and reads the licence clamp;
//! the request bodies (`crate::write`) leave out secrets the service manages, the counterpart
//! of a mutually exclusive field and the stale copy of a duplicated one, and keep generated ids;
//! `pull` writes none of the service's additions. Paths are dotted and index-free, as in
//! [`crate::defaults`].

use flowform_model::KeyHashMap;
use std::borrow::Cow;
use std::sync::OnceLock;

use flowform_model::fields::SAMPLE_DATA_FIELDS;
use flowform_model::{Kind, Object, Value};

/// Subtrees the service (or its UI) fills with what it captured, beside the sample-data fields
/// of [`SAMPLE_DATA_FIELDS`]: the headers of a webhook's sample request, whose values come back
/// as `****` (service-behaviours.md §3). No id is mapped and no mask is a secret inside them.
pub const CAPTURED_FIELDS: &[&str] = &["sampleHeaders"];

/// Whether a subtree under `key` holds sample or captured data rather than configuration.
pub fn is_sample_key(key: &str) -> bool {
    SAMPLE_DATA_FIELDS.contains(&key) || CAPTURED_FIELDS.contains(&key)
}

/// How the service rewrites a value written at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// Stored lower-cased (`x-lowercase` in the schemas).
    Lower,
    /// Stored upper-cased (`x-uppercase`).
    Upper,
    /// A number written here is stored as its decimal string (a string-typed field).
    NumberAsString,
    /// A scalar is stored as a one-element array (HTTP and REST imports); the canonical form is
    /// the scalar, so `POST` and `["POST"]` compare equal; `pull` writes the list (`["POST"]`),
    /// the form `validate` asks for.
    OneElementArray,
    /// NetSuite's WSDL version, stored as `latest` or `next`.
    WsdlVersion,
    /// Clamped into 1..=the licence's limit, which no API tells the client: a live value below
    /// the spec's counts as the spec's when flowform wrote the spec's value and the spec did not
    /// change since (the service clamped it); a value below 1 is stored as 1.
    LicenceClamp,
    /// Read-only: a written value is dropped and the stored one kept. A spec value here is
    /// never compared (a plan warning says so when it differs) and `pull` does not write it.
    ReadOnly,
    /// Fixed at creation: an update's value is ignored. A difference is not planned (a plan
    /// warning says the resource must be recreated to change it).
    FixedAfterCreate,
    /// A scope string stored as the list of its scopes: the canonical form of several scopes
    /// is the list (a string split at whitespace, the default `scopeDelimiter`), of one scope
    /// the scope itself. A spec that sets another delimiter and writes one string is not split
    /// here; it writes the list instead (docs/fidelity.md).
    ScopeList,
    /// A fixed-width identifier stored right-padded with spaces (X12 interchange ids, 15
    /// characters): the canonical form has no trailing spaces, so `ZZ123` and the stored
    /// `ZZ123          ` compare equal and `pull` writes `ZZ123`.
    SpacePadded,
}

/// One rewrite of one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewriteRule {
    /// Dotted, index-free path.
    pub path: &'static str,
    /// What the service does to a value written there.
    pub rewrite: Rewrite,
    /// Where this is documented or shown.
    pub source: &'static str,
}

const fn rule(path: &'static str, rewrite: Rewrite, source: &'static str) -> RewriteRule {
    RewriteRule { path, rewrite, source }
}

use Rewrite::{
    FixedAfterCreate, LicenceClamp, Lower, NumberAsString, OneElementArray, ReadOnly, ScopeList,
    SpacePadded, Upper, WsdlVersion,
};

const OAUTH: &str = "configuring-connections/schemas/oauth.yml:36";

/// Connections. Case: every `x-lowercase`/`x-uppercase` of the connection schemas at the path
/// where the annotated sub-schema is used (`oauth.yml` under `http.auth.oauth`, `rest.oauth`
/// and `mcp.http.auth.oauth`; `jwt.yml` under `http.auth.jwt`); a unit test checks them against
/// the schemas. Clamps: the `concurrencyLevel` descriptions (salesforce.yml:112: "a request for
/// 999 is stored as 50"; dynamodb.yml:37: below 1 raised to 1).
const CONNECTION_REWRITES: &[RewriteRule] = &[
    rule("http.mediaType", Lower, "configuring-connections/schemas/http.yml:43"),
    rule("http.successMediaType", Lower, "configuring-connections/schemas/http.yml:61"),
    rule("http.errorMediaType", Lower, "configuring-connections/schemas/http.yml:78"),
    rule("http.formType", Lower, "configuring-connections/schemas/http.yml:152"),
    rule("http.ping.method", Upper, "configuring-connections/schemas/http.yml:241"),
    rule("http.auth.type", Lower, "configuring-connections/schemas/http.yml:344"),
    rule("http.auth.token.refreshMethod", Upper, "configuring-connections/schemas/http.yml:481"),
    rule("http.auth.token.refreshMediaType", Lower, "configuring-connections/schemas/http.yml:515"),
    rule(
        "http.auth.token.refreshResponseMediaType",
        Lower,
        "configuring-connections/schemas/http.yml:527",
    ),
    rule("http.auth.jwt.signatureMethod", Lower, "configuring-connections/schemas/jwt.yml:40"),
    rule("http.auth.oauth.grantType", Lower, OAUTH),
    rule(
        "http.auth.oauth.clientCredentialsLocation",
        Lower,
        "configuring-connections/schemas/oauth.yml:119",
    ),
    rule(
        "http.auth.oauth.oauth1.signatureMethod",
        Lower,
        "configuring-connections/schemas/oauth.yml:229",
    ),
    rule("rest.oauth.grantType", Lower, OAUTH),
    rule(
        "rest.oauth.clientCredentialsLocation",
        Lower,
        "configuring-connections/schemas/oauth.yml:119",
    ),
    rule(
        "rest.oauth.oauth1.signatureMethod",
        Lower,
        "configuring-connections/schemas/oauth.yml:229",
    ),
    rule("mcp.http.auth.type", Lower, "configuring-connections/schemas/mcp.yml:101"),
    rule("mcp.http.auth.oauth.grantType", Lower, OAUTH),
    rule(
        "mcp.http.auth.oauth.clientCredentialsLocation",
        Lower,
        "configuring-connections/schemas/oauth.yml:119",
    ),
    rule(
        "mcp.http.auth.oauth.oauth1.signatureMethod",
        Lower,
        "configuring-connections/schemas/oauth.yml:229",
    ),
    rule("netsuite.authType", Lower, "configuring-connections/schemas/netsuite.yml:44"),
    rule("netsuite.account", Upper, "configuring-connections/schemas/netsuite.yml:52"),
    rule("ftp.entryParser", Upper, "configuring-connections/schemas/ftp.yml:124"),
    rule("rdbms.redshift.region", Lower, "configuring-connections/schemas/rdbms.yml:355"),
    rule("rest.mediaType", Lower, "configuring-connections/schemas/rest.yml:44"),
    rule("rest.authType", Lower, "configuring-connections/schemas/rest.yml:77"),
    rule("rest.refreshTokenMethod", Upper, "configuring-connections/schemas/rest.yml:237"),
    rule("rest.refreshTokenMediaType", Lower, "configuring-connections/schemas/rest.yml:260"),
    rule("rest.pingMethod", Upper, "configuring-connections/schemas/rest.yml:325"),
    rule("netsuite.entityId", NumberAsString, "configuring-connections/schemas/netsuite.yml:89"),
    rule("netsuite.roleId", NumberAsString, "configuring-connections/schemas/netsuite.yml:97"),
    rule("netsuite.wsdlVersion", WsdlVersion, "configuring-connections/schemas/netsuite.yml:164"),
    rule("http.concurrencyLevel", LicenceClamp, "configuring-connections/schemas/http.yml:111"),
    rule("rest.concurrencyLevel", LicenceClamp, "configuring-connections/schemas/rest.yml"),
    rule(
        "netsuite.concurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/netsuite.yml:201",
    ),
    rule(
        "netsuite.targetConcurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/netsuite.yml",
    ),
    rule(
        "salesforce.concurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/salesforce.yml:112",
    ),
    rule(
        "salesforce.targetConcurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/salesforce.yml",
    ),
    rule("ftp.concurrencyLevel", LicenceClamp, "configuring-connections/schemas/ftp.yml:192"),
    rule("s3.concurrencyLevel", LicenceClamp, "configuring-connections/schemas/s3.yml"),
    rule("s3.targetConcurrencyLevel", LicenceClamp, "configuring-connections/schemas/s3.yml"),
    rule("rdbms.concurrencyLevel", LicenceClamp, "configuring-connections/schemas/rdbms.yml:158"),
    rule(
        "mongodb.concurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/mongodb.yml:82",
    ),
    rule(
        "mongodb.targetConcurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/mongodb.yml",
    ),
    rule(
        "dynamodb.concurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/dynamodb.yml:37",
    ),
    rule(
        "dynamodb.targetConcurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/dynamodb.yml",
    ),
    rule("jdbc.concurrencyLevel", LicenceClamp, "configuring-connections/schemas/jdbc.yml:152"),
    rule("jdbc.targetConcurrencyLevel", LicenceClamp, "configuring-connections/schemas/jdbc.yml"),
    rule(
        "filesystem.concurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/filesystem.yml:24",
    ),
    rule(
        "filesystem.targetConcurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/filesystem.yml",
    ),
    rule("as2.concurrencyLevel", LicenceClamp, "configuring-connections/schemas/as2.yml:514"),
    rule(
        "wrapper.concurrencyLevel",
        LicenceClamp,
        "configuring-connections/schemas/wrapper.yml:115",
    ),
    rule("netsuite.useSsoLogin", ReadOnly, "configuring-connections/schemas/netsuite.yml:126"),
    rule("netsuite.dataCenterURLs", ReadOnly, "configuring-connections/schemas/netsuite.yml:137"),
    rule(
        "netsuite.concurrencyLevelRESTlet",
        ReadOnly,
        "configuring-connections/schemas/netsuite.yml:182",
    ),
    rule(
        "netsuite.concurrencyLevelWebServices",
        ReadOnly,
        "configuring-connections/schemas/netsuite.yml:190",
    ),
    rule("ftp.tradingPartner", ReadOnly, "configuring-connections/schemas/ftp.yml:173"),
    rule("mcp.protocol", ReadOnly, "configuring-connections/schemas/mcp.yml:26"),
    rule("rest.info", ReadOnly, "configuring-connections/schemas/rest.yml:387"),
    rule("van.mailboxId", ReadOnly, "configuring-connections/schemas/van.yml:18"),
    rule("as2.as2Id", FixedAfterCreate, "configuring-connections/schemas/as2.yml:5"),
    rule("as2.partnerId", FixedAfterCreate, "configuring-connections/schemas/as2.yml:5"),
];

const EXPRESSION_VERSION: &str =
    "service-behaviours.md §2 (expression `version` is the string \"1\")";

/// Exports.
const EXPORT_REWRITES: &[RewriteRule] = &[
    rule("netsuite.restlet.restletVersion", Lower, "configuring-exports/schemas/netsuite.yml:139"),
    rule(
        "netsuite.restlet.searchId",
        NumberAsString,
        "configuring-exports/schemas/netsuite.yml:118",
    ),
    rule("filter.version", NumberAsString, EXPRESSION_VERSION),
    rule("filter.expression.version", NumberAsString, EXPRESSION_VERSION),
    rule("inputFilter.version", NumberAsString, EXPRESSION_VERSION),
    rule("inputFilter.expression.version", NumberAsString, EXPRESSION_VERSION),
    rule("transform.version", NumberAsString, EXPRESSION_VERSION),
    rule("transform.expression.version", NumberAsString, EXPRESSION_VERSION),
    rule("http._httpConnectorVersionId", ReadOnly, "configuring-exports/schemas/http.yml:468"),
    rule("http._httpConnectorResourceId", ReadOnly, "configuring-exports/schemas/http.yml:473"),
    rule("http._httpConnectorEndpointId", ReadOnly, "configuring-exports/schemas/http.yml:481"),
];

const IMPORT_ARRAYS: &str = "service-behaviours.md §2 (HTTP imports store method, relativeURI, body and resourceIdPath as arrays)";

/// Imports.
const IMPORT_REWRITES: &[RewriteRule] = &[
    rule("s3.region", Lower, "configuring-imports/schemas/s3.yml:15"),
    rule("dynamodb.region", Lower, "configuring-imports/schemas/dynamodb.yml:15"),
    rule("netsuite.operation", Lower, "configuring-imports/schemas/netsuite.yml:53"),
    rule("salesforce.operation", Lower, "configuring-imports/schemas/salesforce.yml:21"),
    rule("salesforce.api", Lower, "configuring-imports/schemas/salesforce.yml:41"),
    rule(
        "salesforce.upsertpicklistvalues.type",
        Lower,
        "configuring-imports/schemas/salesforce.yml:108",
    ),
    rule("netsuite_da.operation", Lower, "configuring-imports/schemas/netsuitedistributed.yml:19"),
    rule(
        "netsuite_da.restletVersion",
        Lower,
        "configuring-imports/schemas/netsuitedistributed.yml:55",
    ),
    rule("http.method", OneElementArray, IMPORT_ARRAYS),
    rule("http.relativeURI", OneElementArray, IMPORT_ARRAYS),
    rule("http.body", OneElementArray, IMPORT_ARRAYS),
    rule("http.response.resourceIdPath", OneElementArray, IMPORT_ARRAYS),
    rule("rest.method", OneElementArray, IMPORT_ARRAYS),
    rule("rest.relativeURI", OneElementArray, IMPORT_ARRAYS),
    rule("rest.body", OneElementArray, IMPORT_ARRAYS),
    rule("filter.version", NumberAsString, EXPRESSION_VERSION),
    rule("filter.expression.version", NumberAsString, EXPRESSION_VERSION),
    rule("inputFilter.version", NumberAsString, EXPRESSION_VERSION),
    rule("inputFilter.expression.version", NumberAsString, EXPRESSION_VERSION),
    rule("transform.version", NumberAsString, EXPRESSION_VERSION),
    rule("transform.expression.version", NumberAsString, EXPRESSION_VERSION),
    rule("http._httpConnectorEndpointIds", ReadOnly, "configuring-imports/schemas/http.yml:81"),
    rule("http._httpConnectorVersionId", ReadOnly, "configuring-imports/schemas/http.yml:208"),
    rule("http._httpConnectorResourceId", ReadOnly, "configuring-imports/schemas/http.yml:213"),
    rule("http._httpConnectorEndpointId", ReadOnly, "configuring-imports/schemas/http.yml:218"),
];

/// iClients. Their read-only fields (`oauth2.useNewAuthFailSchema`, `oauth2.failures`,
/// `jwt.token`: `iclient-schemas/base.yml:230,235,586`) are server-owned
/// (`flowform_model::fields::server_owned`), never written nor compared, so they need no rule
/// here; a test checks every `readOnly` of the iClient and lookup-cache schemas is one or the
/// other. The schemas mark no case rewrite. Secrets are the client's own (`clientSecret`,
/// `privateKey`, …; base.yml), none obtained by the service, so no [`ManagedSecrets`] entry.
const ICLIENT_REWRITES: &[RewriteRule] = &[rule(
    "oauth2.scope",
    ScopeList,
    "configuring-connections/iclient-schemas/base.yml:125-131 (\"accepts a string on input but always returns an array\")",
)];

/// File definitions: `globalId` is immutable after creation (celigo/ai's B2B skill, Gotchas 3).
/// Nothing else of them is documented as rewritten, generated or read-only.
const FILE_DEFINITION_REWRITES: &[RewriteRule] =
    &[rule("globalId", FixedAfterCreate, "celigo/ai skills/building-b2b/SKILL.md (Gotchas 3)")];

const ISA_PADDED: &str =
    "celigo/ai skills/building-b2b/SKILL.md (Gotchas 2: ISA ids right-padded to 15 characters)";

/// EDI profiles: `fileType` is immutable after creation (`edi-profile-request.yml`, Gotchas 3);
/// X12 interchange ids come back right-padded to 15 characters (Gotchas 2). The padding applies
/// to `edix12` profiles only; trimming trailing spaces on both sides for EDIFACT too hides only a
/// change of trailing spaces, which an interchange id never means.
const EDI_PROFILE_REWRITES: &[RewriteRule] = &[
    rule(
        "fileType",
        FixedAfterCreate,
        "celigo/ai skills/building-b2b/SKILL.md (Gotchas 3); references/schemas/edi-profile-request.yml",
    ),
    rule("tpInterchangeId", SpacePadded, ISA_PADDED),
    rule("myInterchangeId", SpacePadded, ISA_PADDED),
];

/// The rewrites of `kind`. Deliberately none: flows, scripts and integrations (none
/// documented); lookup caches (their read-only fields, `configuring-lookup-caches/schemas/
/// response.yml`, are all server-owned, and their data is compared by the lookup-data diff);
/// async helpers (no schema, reference section or real document describes any rewrite of
/// them).
pub fn rewrites(kind: Kind) -> &'static [RewriteRule] {
    match kind {
        Kind::Connection => CONNECTION_REWRITES,
        Kind::Export => EXPORT_REWRITES,
        Kind::Import => IMPORT_REWRITES,
        Kind::IClient => ICLIENT_REWRITES,
        Kind::FileDefinition => FILE_DEFINITION_REWRITES,
        Kind::EdiProfile => EDI_PROFILE_REWRITES,
        Kind::Integration | Kind::Script | Kind::Flow | Kind::LookupCache | Kind::AsyncHelper => {
            &[]
        }
    }
}

type RewriteIndex = KeyHashMap<(Kind, &'static str), Rewrite>;

fn rewrite_index() -> &'static RewriteIndex {
    static INDEX: OnceLock<RewriteIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .flat_map(|kind| {
                rewrites(kind).iter().map(move |rule| ((kind, rule.path), rule.rewrite))
            })
            .collect()
    })
}

/// The rewrite at the dotted, index-free `pattern` of `kind`, if any. Asked for every node the
/// diff compares, so it is a lookup in an index built once.
pub fn rewrite_at(kind: Kind, pattern: &str) -> Option<Rewrite> {
    if matches!(
        kind,
        Kind::Integration | Kind::Script | Kind::Flow | Kind::LookupCache | Kind::AsyncHelper
    ) {
        return None;
    }
    rewrite_index().get(&(kind, pattern)).copied()
}

/// Whether `pattern` is, or lies under, a read-only path of `kind`.
pub(crate) fn is_read_only(kind: Kind, pattern: &str) -> bool {
    rewrites(kind).iter().any(|rule| {
        rule.rewrite == Rewrite::ReadOnly
            && (rule.path == pattern
                || pattern.strip_prefix(rule.path).is_some_and(|rest| rest.starts_with('.')))
    })
}

/// The value as the service stores it at `pattern` (the canonical form both sides of a
/// comparison are put in). Values of another type than the rule expects are left alone.
pub fn canonical<'a>(kind: Kind, pattern: &str, value: &'a Value) -> Cow<'a, Value> {
    let Some(rewrite) = rewrite_at(kind, pattern) else {
        return Cow::Borrowed(value);
    };
    canonical_by(rewrite, value)
}

/// [`canonical`] for a known rewrite.
pub(crate) fn canonical_by(rewrite: Rewrite, value: &Value) -> Cow<'_, Value> {
    match (rewrite, value) {
        (Lower, Value::String(text)) if text.chars().any(char::is_uppercase) => {
            Cow::Owned(Value::String(text.to_lowercase()))
        }
        (Upper, Value::String(text)) if text.chars().any(char::is_lowercase) => {
            Cow::Owned(Value::String(text.to_uppercase()))
        }
        (NumberAsString, Value::Number(number)) => Cow::Owned(Value::String(number.to_string())),
        (OneElementArray, Value::Array(items)) if items.len() == 1 => Cow::Borrowed(&items[0]),
        (WsdlVersion, Value::String(text)) => {
            let stored = if matches!(text.as_str(), "next" | "2023.1") { "next" } else { "latest" };
            if text == stored {
                Cow::Borrowed(value)
            } else {
                Cow::Owned(Value::String(stored.to_owned()))
            }
        }
        (LicenceClamp, Value::Number(number))
            if number.as_f64().is_some_and(|level| level < 1.0) =>
        {
            Cow::Owned(Value::Number(1.into()))
        }
        // One scope reads as that scope whether a list of one or a string, several scopes in one
        // string as the list of them, and a string of none as no list (the service splits the
        // string at whitespace). Normalisation applies this to the field, never to its elements.
        (ScopeList, Value::Array(items)) if matches!(items.as_slice(), [Value::String(scope)] if is_one_scope(scope)) => {
            Cow::Borrowed(&items[0])
        }
        (ScopeList, Value::String(text)) if !is_one_scope(text) => {
            let scopes: Vec<&str> = text.split_whitespace().collect();
            match scopes.as_slice() {
                [scope] => Cow::Owned(Value::String((*scope).to_owned())),
                _ => Cow::Owned(Value::Array(
                    scopes.into_iter().map(|scope| Value::String(scope.to_owned())).collect(),
                )),
            }
        }
        (SpacePadded, Value::String(text)) if text.ends_with(' ') => {
            Cow::Owned(Value::String(text.trim_end_matches(' ').to_owned()))
        }
        _ => Cow::Borrowed(value),
    }
}

/// Lists the service requires even when empty: normalisation keeps them (it drops other empty
/// lists, which the service adds and drops at will), so `pull` writes a document the service
/// accepts. A file definition's `rules` (celigo/ai's B2B skill, `file-definition-request.yml`:
/// required, a list; the spec's field table requires it too).
const REQUIRED_LISTS: &[(Kind, &str)] = &[(Kind::FileDefinition, "rules")];

/// Whether an empty list at `pattern` of `kind` is kept (see [`REQUIRED_LISTS`]).
pub(crate) fn keeps_empty_list(kind: Kind, pattern: &str) -> bool {
    REQUIRED_LISTS.iter().any(|(required, path)| *required == kind && *path == pattern)
}

/// Whether `text` is one OAuth scope: not empty, no whitespace (RFC 6749 §3.3).
fn is_one_scope(text: &str) -> bool {
    !text.is_empty() && !text.contains(char::is_whitespace)
}

/// A key the service generates inside list elements when a write leaves it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedKey {
    /// Dotted, index-free path of the key (`routers.branches.branchId`).
    pub path: &'static str,
    /// Whether `pull` writes it: ids other parts of the document refer to are kept
    /// (`nextRouterId` names a router `id`; `_flowGroupingId` a grouping `_id`), the others are
    /// left out and generated again.
    pub pulled: bool,
    /// Where this is documented or shown.
    pub source: &'static str,
}

const FLOW_GENERATED: &[GeneratedKey] = &[
    GeneratedKey {
        path: "routers.id",
        pulled: true,
        source: "integrator-api.md §5.6; building-flows/schemas/router.yml:9 (referenced by `nextRouterId`)",
    },
    GeneratedKey {
        path: "routers.branches.branchId",
        pulled: false,
        source: "service-behaviours.md §4 (leyvarj/celigo-cli 2026: 11 characters; absent in 2022 documents)",
    },
    GeneratedKey {
        path: "pageGenerators._id",
        pulled: false,
        source: "service-behaviours.md §4 (2017 sample only; a tool must not require or invent it)",
    },
];

const INTEGRATION_GENERATED: &[GeneratedKey] = &[GeneratedKey {
    path: "flowGroupings._id",
    pulled: true,
    source: "integrator-api.md §5.5 (flow groupings; flows name one by `_flowGroupingId`)",
}];

/// The keys the service generates in list elements of `kind`.
pub fn generated_keys(kind: Kind) -> &'static [GeneratedKey] {
    match kind {
        Kind::Flow => FLOW_GENERATED,
        Kind::Integration => INTEGRATION_GENERATED,
        _ => &[],
    }
}

/// A field the service keeps as a copy of another member of the same object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    /// The object holding both (dotted, index-free).
    pub object: &'static str,
    /// The copy, relative to the object.
    pub copy: &'static str,
    /// What it copies, relative to the object.
    pub of: &'static str,
    /// Where this is documented or shown.
    pub source: &'static str,
}

const RULES_TWICE: &str = "service-behaviours.md §2 (expression filters and transforms hold `rules` and `version` twice; singh-gurkawalbir/demo clone fixture, everbright download)";

const STEP_COPIES: &[Copy] = &[
    Copy { object: "filter", copy: "rules", of: "expression.rules", source: RULES_TWICE },
    Copy { object: "filter", copy: "version", of: "expression.version", source: RULES_TWICE },
    Copy { object: "inputFilter", copy: "rules", of: "expression.rules", source: RULES_TWICE },
    Copy { object: "inputFilter", copy: "version", of: "expression.version", source: RULES_TWICE },
    Copy { object: "transform", copy: "rules", of: "expression.rules", source: RULES_TWICE },
    Copy { object: "transform", copy: "version", of: "expression.version", source: RULES_TWICE },
];

/// The copies the service keeps in documents of `kind`.
pub fn copies(kind: Kind) -> &'static [Copy] {
    match kind {
        Kind::Export | Kind::Import => STEP_COPIES,
        _ => &[],
    }
}

/// Fields the service refuses to hold together: a document sets at most one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exclusive {
    /// One side's fields (dotted, index-free, top-level lists or nested fields).
    pub one: &'static [&'static str],
    /// The other side's fields.
    pub other: &'static [&'static str],
    /// Where this is documented or shown.
    pub source: &'static str,
}

const FLOW_EXCLUSIVE: &[Exclusive] = &[Exclusive {
    one: &["routers"],
    other: &["pageProcessors"],
    source: "building-flows/schemas/request.yml:6 (\"never include both\"); integrator-api.md §4.3 (422 `\"pageProcessors\" is not allowed when \"routers\" is present`)",
}];

const CONNECTION_EXCLUSIVE: &[Exclusive] = &[Exclusive {
    one: &["http.clientCertificates.pfx"],
    other: &["http.clientCertificates.cert", "http.clientCertificates.key"],
    source: "configuring-connections/schemas/http.yml:175 (\"either a PEM cert/key pair OR a PFX bundle, but not both\")",
}];

/// The mutually exclusive fields of `kind`.
pub fn exclusive(kind: Kind) -> &'static [Exclusive] {
    match kind {
        Kind::Flow => FLOW_EXCLUSIVE,
        Kind::Connection => CONNECTION_EXCLUSIVE,
        _ => &[],
    }
}

/// The adaptor sub-documents of exports and the adaptor type each names.
const EXPORT_ADAPTORS: &[(&str, &str)] = &[
    ("webhook", "WebhookExport"),
    ("http", "HTTPExport"),
    ("ftp", "FTPExport"),
    ("netsuite", "NetSuiteExport"),
    ("salesforce", "SalesforceExport"),
    ("rest", "RESTExport"),
    ("s3", "S3Export"),
    ("rdbms", "RDBMSExport"),
    ("mongodb", "MongodbExport"),
    ("dynamodb", "DynamodbExport"),
    ("wrapper", "WrapperExport"),
    ("as2", "AS2Export"),
    ("jdbc", "JDBCExport"),
];

/// The adaptor sub-documents of imports and the adaptor type each names.
const IMPORT_ADAPTORS: &[(&str, &str)] = &[
    ("http", "HTTPImport"),
    ("ftp", "FTPImport"),
    ("netsuite", "NetSuiteImport"),
    ("netsuite_da", "NetSuiteDistributedImport"),
    ("salesforce", "SalesforceImport"),
    ("rest", "RESTImport"),
    ("s3", "S3Import"),
    ("rdbms", "RDBMSImport"),
    ("mongodb", "MongodbImport"),
    ("dynamodb", "DynamodbImport"),
    ("wrapper", "WrapperImport"),
    ("as2", "AS2Import"),
    ("jdbc", "JDBCImport"),
];

/// The adaptor type of a legacy export or import that has none: documents from before the
/// field was required (a 2017 webhook export and FTP import of celigo/integrator-api-docs,
/// service-behaviours.md §1; docs/fidelity.md open question 8) hold their adaptor only as its
/// sub-document. Exactly one adaptor sub-document names it; otherwise `None`. Normalisation puts
/// it in the live document, so `pull` writes a spec today's service accepts and the plan after
/// reads both as the same.
pub fn legacy_adaptor(kind: Kind, document: Doc<'_>) -> Option<&'static str> {
    let adaptors = match kind {
        Kind::Export => EXPORT_ADAPTORS,
        Kind::Import => IMPORT_ADAPTORS,
        _ => return None,
    };
    if document.get("adaptorType").is_some_and(|value| !value.is_absent()) {
        return None;
    }
    let mut found = adaptors
        .iter()
        .filter(|(field, _)| matches!(document.get(field), Some(Value::Object(_))))
        .map(|(_, adaptor)| *adaptor);
    match (found.next(), found.next()) {
        (Some(adaptor), None) => Some(adaptor),
        _ => None,
    }
}

/// A document as the tables read it: a desired body or a live document.
#[derive(Debug, Clone, Copy)]
pub enum Doc<'a> {
    /// A desired body.
    Object(&'a Object),
    /// A live document (or any value).
    Value(&'a Value),
}

impl<'a> Doc<'a> {
    /// The value at a dotted, index-free path of objects.
    pub fn get(self, dotted: &str) -> Option<&'a Value> {
        let mut keys = dotted.split('.');
        let first = keys.next()?;
        let start = match self {
            Doc::Object(object) => object.get(first)?,
            Doc::Value(value) => value.field(first)?,
        };
        keys.try_fold(start, |current, key| current.field(key))
    }

    fn text(self, dotted: &str) -> Option<&'a str> {
        self.get(dotted).and_then(Value::as_str)
    }
}

/// Secrets the service obtains itself (an OAuth consent in the browser, its own token
/// management): never client-settable, masked on `GET`, kept when a `PUT` leaves them out.
/// flowform never writes them, never plans them and `pull` does not turn them into
/// `${secret.…}` placeholders.
#[derive(Debug, Clone, Copy)]
pub struct ManagedSecrets {
    /// The secret paths.
    pub paths: &'static [&'static str],
    /// Whether a connection document is in the mode where the service manages them.
    pub applies: fn(Doc<'_>) -> bool,
    /// Where this is documented.
    pub source: &'static str,
}

fn is_authorization_code(document: Doc<'_>) -> bool {
    document.text("type").is_none_or(|kind| kind == "http")
        && document.text("http.auth.type").is_some_and(|auth| auth.eq_ignore_ascii_case("oauth"))
        && document
            .text("http.auth.oauth.grantType")
            .is_none_or(|grant| grant.eq_ignore_ascii_case("authorizecode"))
}

fn is_salesforce(document: Doc<'_>) -> bool {
    document.text("type") == Some("salesforce")
}

fn is_netsuite_token_auto(document: Doc<'_>) -> bool {
    document.text("type").is_none_or(|kind| kind == "netsuite")
        && document
            .text("netsuite.authType")
            .is_some_and(|auth| auth.eq_ignore_ascii_case("token-auto"))
}

/// The secrets connections hold that the service manages.
pub const CONNECTION_MANAGED: &[ManagedSecrets] = &[
    ManagedSecrets {
        paths: &["http.auth.token.token", "http.auth.token.refreshToken"],
        applies: is_authorization_code,
        source: "configuring-connections/schemas/oauth.yml:24 (authorizecode: the tokens come from the user's consent in the browser)",
    },
    ManagedSecrets {
        paths: &["salesforce.bearerToken", "salesforce.refreshToken"],
        applies: is_salesforce,
        source: "configuring-connections/schemas/salesforce.yml:75-90 (\"auto-managed by the system\")",
    },
    ManagedSecrets {
        paths: &["netsuite.tokenId", "netsuite.tokenSecret"],
        applies: is_netsuite_token_auto,
        source: "configuring-connections/schemas/netsuite.yml:34,77 (token-auto: \"integrator.io manages the token wiring\")",
    },
];

/// The secret paths the service manages in `document` (a connection's desired body or live
/// document; the mode is read from it).
pub fn managed_secret_paths(kind: Kind, document: Doc<'_>) -> Vec<&'static str> {
    if kind != Kind::Connection {
        return Vec::new();
    }
    CONNECTION_MANAGED
        .iter()
        .filter(|managed| (managed.applies)(document))
        .flat_map(|managed| managed.paths.iter().copied())
        .collect()
}

/// The managed secret paths of a resource: those of the mode the desired body says, and of the
/// mode the live document is in (a spec that switches mode still must not send the live mode's
/// masked tokens back).
pub fn managed_secrets_of(kind: Kind, desired: Doc<'_>, live: Option<&Value>) -> Vec<&'static str> {
    let mut paths = managed_secret_paths(kind, desired);
    if let Some(live) = live {
        for path in managed_secret_paths(kind, Doc::Value(live)) {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::json;

    use super::*;

    fn schemas() -> Option<PathBuf> {
        let directory =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/celigo-schemas");
        directory.is_dir().then_some(directory)
    }

    fn line_at(root: &Path, source: &str) -> Option<String> {
        let (file, line) = source.split_once(':')?;
        let number: usize = line.split([',', '-', ' ']).next()?.parse().ok()?;
        let text = fs_err::read_to_string(root.join(file)).ok()?;
        Some(text.lines().nth(number - 1).unwrap_or_default().trim().to_owned())
    }

    #[test]
    fn canonical_forms() {
        let value = |json: serde_json::Value| Value::from(json);
        assert_eq!(
            *canonical(Kind::Import, "http.method", &value(json!(["POST"]))),
            value(json!("POST"))
        );
        assert_eq!(
            *canonical(Kind::Import, "http.method", &value(json!(["POST", "PUT"]))),
            value(json!(["POST", "PUT"]))
        );
        assert_eq!(
            *canonical(Kind::Connection, "netsuite.account", &value(json!("tstdrv1"))),
            value(json!("TSTDRV1"))
        );
        assert_eq!(
            *canonical(Kind::Connection, "http.auth.type", &value(json!("OAuth"))),
            value(json!("oauth"))
        );
        assert_eq!(
            *canonical(Kind::Connection, "netsuite.roleId", &value(json!(3))),
            value(json!("3"))
        );
        assert_eq!(
            *canonical(Kind::Connection, "netsuite.wsdlVersion", &value(json!("2025.1"))),
            value(json!("latest"))
        );
        assert_eq!(
            *canonical(Kind::Connection, "dynamodb.concurrencyLevel", &value(json!(0))),
            value(json!(1))
        );
        assert_eq!(
            *canonical(Kind::Export, "http.method", &value(json!(["GET"]))),
            value(json!(["GET"]))
        );
    }

    #[test]
    fn tables_are_unique_and_well_formed() {
        for kind in Kind::ALL {
            let rules = rewrites(kind);
            for (position, rule) in rules.iter().enumerate() {
                assert!(!rule.path.is_empty() && !rule.path.contains('['), "{rule:?}");
                assert!(!rule.source.is_empty());
                assert!(rules[..position].iter().all(|other| other.path != rule.path), "{rule:?}");
            }
        }
    }

    #[test]
    fn managed_secrets_follow_the_mode() {
        let oauth = Value::from(json!({"type": "http", "http": {"auth": {"type": "OAuth"}}}));
        assert_eq!(
            managed_secret_paths(Kind::Connection, Doc::Value(&oauth)),
            ["http.auth.token.token", "http.auth.token.refreshToken"]
        );
        let client_credentials = Value::from(
            json!({"type": "http", "http": {"auth": {"type": "oauth", "oauth": {"grantType": "clientcredentials"}}}}),
        );
        assert!(managed_secret_paths(Kind::Connection, Doc::Value(&client_credentials)).is_empty());
        let token = Value::from(json!({"type": "netsuite", "netsuite": {"authType": "token"}}));
        assert!(managed_secret_paths(Kind::Connection, Doc::Value(&token)).is_empty());
        let auto = Value::from(json!({"type": "netsuite", "netsuite": {"authType": "token-auto"}}));
        assert_eq!(
            managed_secret_paths(Kind::Connection, Doc::Value(&auto)),
            ["netsuite.tokenId", "netsuite.tokenSecret"]
        );
    }

    /// Every `readOnly` field of the iClient and lookup-cache schemas is server-owned (so never
    /// written nor compared) or a read-only rule, and the schemas mark no case rewrite there:
    /// the tables' "none" for these kinds is a checked one.
    #[test]
    fn the_referenced_kinds_read_only_fields_are_known() {
        let Some(root) = schemas() else { return };
        for (kind, directory) in [
            (Kind::IClient, "configuring-connections/iclient-schemas"),
            (Kind::LookupCache, "configuring-lookup-caches/schemas"),
        ] {
            for entry in fs_err::read_dir(root.join(directory)).expect("a schema folder") {
                let path = entry.expect("an entry").path();
                let text = fs_err::read_to_string(&path).expect("a schema file");
                let lines: Vec<&str> = text.lines().collect();
                for (index, line) in lines.iter().enumerate() {
                    assert!(
                        !line.contains("x-lowercase: true") && !line.contains("x-uppercase: true"),
                        "{kind}: a case rewrite at {}:{}",
                        path.display(),
                        index + 1
                    );
                    if line.trim() != "readOnly: true" {
                        continue;
                    }
                    // The property is the nearest line above, less indented, naming a key.
                    let indent = line.len() - line.trim_start().len();
                    let property = lines[..index]
                        .iter()
                        .rev()
                        .find(|above| {
                            let above_indent = above.len() - above.trim_start().len();
                            above_indent < indent && above.trim_end().ends_with(':')
                        })
                        .map(|above| above.trim().trim_end_matches(':'))
                        .expect("a property above");
                    let known = flowform_model::fields::SERVER_OWNED_ALL.contains(&property)
                        || flowform_model::fields::server_owned(kind)
                            .iter()
                            .any(|owned| owned.rsplit('.').next() == Some(property))
                        || rewrites(kind).iter().any(|rule| {
                            rule.rewrite == ReadOnly
                                && rule.path.rsplit('.').next() == Some(property)
                        });
                    assert!(
                        known,
                        "{kind}: `{property}` is readOnly at {}:{}",
                        path.display(),
                        index + 1
                    );
                }
            }
        }
    }

    /// Every case rule points at its annotation, every annotation of the connection, export
    /// and import schemas has a rule, and every read-only rule points at a `readOnly: true`.
    #[test]
    fn case_and_read_only_rules_match_the_schemas() {
        let Some(root) = schemas() else {
            #[expect(clippy::print_stdout, reason = "a skipped test says why")]
            {
                println!(
                    "skipped: ../shared/reference/celigo-schemas is not next to the repository"
                );
            }
            return;
        };
        for kind in [Kind::Connection, Kind::Export, Kind::Import] {
            for rule in rewrites(kind) {
                let expected = match rule.rewrite {
                    Lower => "x-lowercase: true",
                    Upper => "x-uppercase: true",
                    ReadOnly => "readOnly: true",
                    _ => continue,
                };
                assert_eq!(
                    line_at(&root, rule.source).as_deref(),
                    Some(expected),
                    "{kind} {} at {}",
                    rule.path,
                    rule.source
                );
            }
        }
        for (kind, directory) in [
            (Kind::Connection, "configuring-connections/schemas"),
            (Kind::Export, "configuring-exports/schemas"),
            (Kind::Import, "configuring-imports/schemas"),
        ] {
            for entry in fs_err::read_dir(root.join(directory)).expect("a schema folder") {
                let path = entry.expect("an entry").path();
                let text = fs_err::read_to_string(&path).expect("a schema file");
                let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
                for (index, line) in text.lines().enumerate() {
                    if line.contains("x-lowercase: true") || line.contains("x-uppercase: true") {
                        let source = format!("{directory}/{name}:{}", index + 1);
                        assert!(
                            rewrites(kind).iter().any(|rule| rule.source == source),
                            "no {kind} case rule for the annotation at {source}"
                        );
                    }
                }
            }
        }
    }
}
