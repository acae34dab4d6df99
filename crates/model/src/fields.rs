//! Facts about integrator.io fields that more than one crate needs: which fields the server
//! owns, which paths are write-only secrets, and which `_…Id` fields point at which kind.
//!
//! Sources: the API reference (`integrator-api.md` §5.1, §5.3, §5.10) and the
//! `x-celigo-refModel` annotations of Celigo's schemas. The emulator keeps its own copy of the
//! facts it needs on purpose (it must not share assumptions with the client).

use crate::kind::Kind;
use crate::path::{FieldPath, Segment};
use crate::value::{SecretValue, Value};

/// Top-level fields the server owns on every kind: never written in a spec, never sent, never
/// diffed.
pub const SERVER_OWNED_ALL: &[&str] = &[
    "_id",
    "createdAt",
    "lastModified",
    "lastModifiedBy",
    "_sourceId",
    "_templateId",
    "_connectorId",
    "draft",
    "draftExpiresAt",
    "__v",
    "aiDescription",
];

/// Server-owned fields per kind, in addition to [`SERVER_OWNED_ALL`]. Dotted entries name a
/// nested field (or a whole subtree).
pub fn server_owned(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Integration => {
            &["_registeredConnectionIds", "_registeredLookupCacheIds", "mode", "updateInProgress"]
        }
        Kind::Connection => &[
            "offline",
            "queueSize",
            "queues",
            "needsAuthorization",
            "debugDate",
            "debugUntil",
            "netsuite.suiteAppInstalled",
            "salesforce.info",
        ],
        Kind::Script => &["debugUntil", "sandbox"],
        Kind::Export => {
            &["apiIdentifier", "asynchronous", "__linkedLookupCacheIds", "sandbox", "debugUntil"]
        }
        Kind::Import => &["apiIdentifier", "sandbox", "debugUntil"],
        // iclient-schemas/base.yml:228-239 (`oauth2.useNewAuthFailSchema`, `oauth2.failures`:
        // readOnly, server-computed) and :584-589 (`jwt.token`: readOnly, the signed JWT the
        // service computes when `enableJWT` is set).
        Kind::IClient => &["oauth2.useNewAuthFailSchema", "oauth2.failures", "jwt.token"],
        // API §5.1, §5.8; configuring-lookup-caches/schemas/response.yml (readOnly).
        Kind::LookupCache => &["_userId", "size", "sizeInMB", "sandbox"],
        // No field of these is documented as the server's (API §5.9; celigo/ai's B2B skill).
        Kind::FileDefinition | Kind::EdiProfile | Kind::AsyncHelper => &[],
        Kind::Flow => &[
            "lastExecutedAt",
            "resolvedAt",
            "free",
            "numInstances",
            "_exportId",
            "_importId",
            "logging.debugUntil",
            "numOpenError",
            "lastErrorAt",
        ],
    }
}

/// Whether `path` is (or lies under) a server-owned field of `kind`.
pub fn is_server_owned(kind: Kind, path: &FieldPath) -> bool {
    if let [Segment::Key(key)] = path.segments() {
        return is_server_owned_key(kind, key);
    }
    let keys = || {
        path.segments().iter().filter_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) | Segment::Keyed(_) => None,
        })
    };
    server_owned(kind).iter().any(|owned| dotted_is_at_or_under(keys(), owned))
}

/// Whether the top-level field `key` is server-owned on `kind`: [`is_server_owned`] for the
/// one-key path, without building one.
pub fn is_server_owned_key(kind: Kind, key: &str) -> bool {
    let at_or_under = |owned: &&str| {
        key.strip_prefix(*owned).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    SERVER_OWNED_ALL.iter().any(at_or_under) || server_owned(kind).iter().any(at_or_under)
}

/// Whether `keys` joined with `.` equal `dotted` or start with `dotted` followed by `.`,
/// without joining them (`a.b` is at or under `a.b`; `a.bc` is not).
fn dotted_is_at_or_under<'k>(keys: impl Iterator<Item = &'k str>, dotted: &str) -> bool {
    let mut rest = dotted;
    for (position, key) in keys.enumerate() {
        if position > 0 {
            if rest.is_empty() {
                // Everything matched and the joined path goes on with a `.`.
                return true;
            }
            match rest.strip_prefix('.') {
                Some(after) => rest = after,
                None => return false,
            }
        }
        match rest.strip_prefix(key) {
            Some(after) => rest = after,
            // The key is longer than what is left: it must go on with a `.` (a key may hold
            // one, and the joined path is compared as text).
            None => {
                return key.strip_prefix(rest).is_some_and(|tail| tail.starts_with('.'));
            }
        }
    }
    rest.is_empty()
}

/// Write-only (secret) paths per kind: values the API accepts and returns masked (`******`),
/// never to be written in a spec in plain text or shown in a plan. Paths are dotted and
/// index-free; a path covers everything under it (`http.encrypted` is an object of secrets).
///
/// Complete for every kind and adaptor Celigo's schemas describe: the fields they mark
/// `writeOnly`, `format: password`, or describe as returned masked, write-only or a sensitive
/// credential, at every place a shared schema is used (the OAuth block under `http.auth`,
/// `rest` and `mcp.http.auth`; `ssl` at the top and under `rdbms`). A test in `flowform-spec`
/// checks this table against the schemas. The entries marked "API" come from the API
/// reference (`integrator-api.md` §5.3) and real documents (`service-behaviours.md` §2, §3)
/// for what the stored schemas do not describe.
pub fn write_only_paths(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Connection => CONNECTION_WRITE_ONLY,
        Kind::Export => EXPORT_WRITE_ONLY,
        Kind::IClient => ICLIENT_WRITE_ONLY_PATHS,
        Kind::Integration
        | Kind::Import
        | Kind::Flow
        | Kind::Script
        | Kind::FileDefinition
        | Kind::EdiProfile
        | Kind::LookupCache
        | Kind::AsyncHelper => &[],
    }
}

const CONNECTION_WRITE_ONLY: &[&str] = &[
    "as2.encrypted.userPrivateKey",
    "as2.partnerStationInfo.auth.basic.password",
    "as2.partnerStationInfo.auth.token.refreshToken",
    "as2.partnerStationInfo.auth.token.token",
    "dynamodb.aws.secretAccessKey",
    "ftp.authKey",
    "ftp.password",
    "ftp.pgpDecryptKey",
    "ftp.pgpEncryptKey",
    "ftp.pgpPassphrase",
    "http.auth.basic.password",
    "http.auth.jwt.privateKey",
    "http.auth.jwt.secret",
    "http.auth.jwt.token",
    "http.auth.oauth.clientSecret",
    "http.auth.oauth.oauth1.accessToken",
    "http.auth.oauth.oauth1.consumerPrivateKey",
    "http.auth.oauth.oauth1.consumerSecret",
    "http.auth.oauth.oauth1.tokenSecret",
    "http.auth.oauth.password",
    "http.auth.oauth.pkceCodeVerifier",
    "http.auth.token.refreshToken",
    "http.auth.token.token",
    "http.clientCertificates.key",
    "http.clientCertificates.passphrase",
    "http.clientCertificates.pfx",
    "http.encrypted",
    "jdbc.password",
    "jdbc.wallet",
    // API §5.3 lists `mcp.encrypted`; the schema puts it under `mcp.http`.
    "mcp.encrypted",
    "mcp.http.auth.oauth.clientSecret",
    "mcp.http.auth.oauth.oauth1.accessToken",
    "mcp.http.auth.oauth.oauth1.consumerPrivateKey",
    "mcp.http.auth.oauth.oauth1.consumerSecret",
    "mcp.http.auth.oauth.oauth1.tokenSecret",
    "mcp.http.auth.oauth.password",
    "mcp.http.auth.oauth.pkceCodeVerifier",
    "mcp.http.auth.token.refreshToken",
    "mcp.http.auth.token.token",
    "mcp.http.encrypted",
    "mongodb.password",
    "netsuite.password",
    "netsuite.tokenId",
    "netsuite.tokenSecret",
    "rdbms.bigquery.privateKey",
    "rdbms.key",
    "rdbms.passphrase",
    "rdbms.password",
    "rdbms.redshift.aws.secretAccessKey",
    "rdbms.ssl.ca",
    "rdbms.ssl.cert",
    "rdbms.ssl.key",
    "rdbms.ssl.passphrase",
    "rest.basicAuth.password",
    "rest.bearerToken",
    // API: behaviours §3 shows `rest.cookieAuth.body` masked as a whole.
    "rest.cookieAuth.body",
    // API: behaviours §2 shows `rest.encrypted` returned as the mask, as `http.encrypted`.
    "rest.encrypted",
    "rest.oauth.clientSecret",
    "rest.oauth.oauth1.accessToken",
    "rest.oauth.oauth1.consumerPrivateKey",
    "rest.oauth.oauth1.consumerSecret",
    "rest.oauth.oauth1.tokenSecret",
    "rest.oauth.password",
    "rest.oauth.pkceCodeVerifier",
    "rest.refreshToken",
    "s3.secretAccessKey",
    "salesforce.bearerToken",
    "salesforce.refreshToken",
    "ssl.ca",
    "ssl.cert",
    "ssl.key",
    "ssl.passphrase",
    "wrapper.encrypted",
];

/// Webhook verification secrets (webhook.yml; API §5.3, behaviours §3 shows `webhook.key`
/// masked) and the bearer token of a real-time listener (`distributed.yml`, behaviours §3).
const EXPORT_WRITE_ONLY: &[&str] =
    &["distributed.bearerToken", "webhook.key", "webhook.password", "webhook.token"];

/// Write-only paths of iClients (`/v1/iclients`): the secrets Celigo's iClient schemas describe
/// as returned masked (API §5.3 agrees), and `salesforce.apiToken` ("stored encrypted; API
/// responses return `******`", iclient-schemas/salesforce.yml:16-20).
pub const ICLIENT_WRITE_ONLY_PATHS: &[&str] = &[
    "amazonmws.secretKey",
    "azureserviceprincipal.clientSecret",
    "ebay.certId",
    "jwt.privateKey",
    "jwt.secret",
    "jwt.token",
    "netsuite.consumerKey",
    "netsuite.consumerSecret",
    "oauth2.auth.queryParameters",
    "oauth2.clientSecret",
    "oauth2.encrypted",
    "oauth2.password",
    "salesforce.apiToken",
    "salesforce.clientSecret",
    "salesforce.privateKey",
];

/// Whether `path` is (or lies under) a write-only path of `kind`.
pub fn is_write_only(kind: Kind, path: &FieldPath) -> bool {
    let secrets = write_only_paths(kind);
    if secrets.is_empty() {
        return false;
    }
    let dotted = path.without_indexes();
    secrets.iter().any(|secret| {
        dotted.strip_prefix(secret).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// Whether `pull` writes the live value at `path` of a `kind` document as a `${secret.NAME}`
/// placeholder instead of the value: every write-only path ([`is_write_only`]), whatever the
/// API returns there (the mask in any form, or a value in the clear).
///
/// The one rule `pull` follows for secrets, so pull and the diff never disagree about a path.
/// The one exception depends on the document, not the path, so it lives with the service's
/// table: tokens the service obtains and keeps itself (`flowform_diff::service`'s managed
/// secrets, by the connection's mode) are taken out before this rule applies, and get no
/// placeholder.
pub fn pulled_as_secret(kind: Kind, path: &FieldPath) -> bool {
    is_write_only(kind, path)
}

/// Withholds every value at a write-only path of `kind` inside `value`, which sits at `at` in
/// its document: each becomes an unresolved, nameless [`SecretValue`], which renderers show as
/// `(sensitive)` and which cannot be sent. Returns whether anything was withheld.
///
/// The plan's rule for values it shows: a value at a write-only path is never shown, whether
/// the spec wrote a placeholder or a plain value, or the account returned it in the clear.
pub fn withhold_write_only(kind: Kind, at: &FieldPath, value: &mut Value) -> bool {
    if value.is_absent() || !has_write_only_at(kind, at) {
        return false;
    }
    if is_write_only(kind, at) {
        if matches!(value, Value::Secret(secret) if !secret.is_resolved()) {
            return false;
        }
        *value = Value::Secret(SecretValue::unresolved(Vec::new()));
        return true;
    }
    let mut withheld = false;
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                withheld |= withhold_write_only(kind, &at.key(key), child);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                withheld |= withhold_write_only(kind, &at.index(index), item);
            }
        }
        _ => {}
    }
    withheld
}

/// Whether `value`, found at `at` in a `kind` document, shows a value at a write-only path: a
/// plain value (not a secret, which renders as `(sensitive)`) at or under such a path.
pub fn shows_write_only(kind: Kind, at: &FieldPath, value: &Value) -> bool {
    if value.is_absent() || matches!(value, Value::Secret(_)) || !has_write_only_at(kind, at) {
        return false;
    }
    if is_write_only(kind, at) {
        return true;
    }
    match value {
        Value::Object(object) => {
            object.iter().any(|(key, child)| shows_write_only(kind, &at.key(key), child))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .any(|(index, item)| shows_write_only(kind, &at.index(index), item)),
        _ => false,
    }
}

/// Whether a write-only path of `kind` is `at` or lies under or above it.
fn has_write_only_at(kind: Kind, at: &FieldPath) -> bool {
    let secrets = write_only_paths(kind);
    if secrets.is_empty() {
        return false;
    }
    let dotted = at.without_indexes();
    dotted.is_empty()
        || secrets.iter().any(|secret| {
            let related = |long: &str, short: &str| {
                long.strip_prefix(short)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            };
            related(secret, &dotted) || related(&dotted, secret)
        })
}

/// What an id field points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefTarget {
    /// A kind flowform manages: `${KIND.KEY}` of that kind belongs here.
    Managed(Kind),
    /// A kind flowform does not manage (stacks, agents, users, …): a literal id, or a `data:`
    /// lookup of that collection, belongs here. The string is the API collection name.
    Unmanaged(&'static str),
}

/// Which kind the field at `path` points at, judged by its last key (and, for the `_id` of an
/// abstract flow's `overrides.connections[]` and `overrides.exports[]`, by the whole path).
/// `None` means the field is not a reference field.
///
/// Managed targets follow the API's naming (`_connectionId`, `_exportId`, …, and
/// `_runNextFlowIds[]`), which the `x-celigo-refModel` annotations confirm; unmanaged targets
/// come from those annotations. A test in `flowform-spec` checks this table against the
/// annotations whenever Celigo's schemas are present.
pub fn reference_target(path: &FieldPath) -> Option<RefTarget> {
    let last = path.last_key()?;
    let mut keys = path.segments().iter().filter_map(|segment| match segment {
        Segment::Key(key) => Some(key.as_str()),
        Segment::Index(_) | Segment::Keyed(_) => None,
    });
    reference_target_of(last, &mut keys)
}

/// [`reference_target`] of a path given as its last key and all its keys (indexes left out), so
/// the reference walker of [`crate::references`] judges a borrowed path by the same table.
pub(crate) fn reference_target_of(
    last_key: &str,
    keys: &mut dyn Iterator<Item = &str>,
) -> Option<RefTarget> {
    if last_key == "_id" {
        let keys: Vec<&str> = keys.collect();
        return match keys.as_slice() {
            ["overrides", "connections", "_id"] => Some(RefTarget::Managed(Kind::Connection)),
            ["overrides", "exports", "_id"] => Some(RefTarget::Managed(Kind::Export)),
            _ => None,
        };
    }
    let managed = match last_key {
        "_integrationId" => Some(Kind::Integration),
        "_connectionId"
        | "_borrowConcurrencyFromConnectionId"
        | "_newConnectionId"
        | "_mcpConnectionId" => Some(Kind::Connection),
        "_exportId" | "_keepDeltaBehindExportId" => Some(Kind::Export),
        "_importId" => Some(Kind::Import),
        "_scriptId" => Some(Kind::Script),
        // Connections' `<transport>._iClientId` (API §5.3).
        "_iClientId" => Some(Kind::IClient),
        // Import and export `lookups[]._lookupCacheId`, Transformation 2.0 lookups, aliases
        // (API §5.2, §5.8).
        "_lookupCacheId" => Some(Kind::LookupCache),
        // `file.fileDefinition._fileDefinitionId` on exports and imports (API §5.4).
        "_fileDefinitionId" => Some(Kind::FileDefinition),
        "_ediProfileId" => Some(Kind::EdiProfile),
        // `http._asyncHelperId` on exports and imports (API §5.4, §5.5).
        "_asyncHelperId" => Some(Kind::AsyncHelper),
        // An export that listens to the parsed records of another (API §5.4).
        "_postParseListenerId" => Some(Kind::Export),
        "_flowId" | "_keepDeltaBehindFlowId" | "_abstractFlowId" | "_runNextFlowIds" => {
            Some(Kind::Flow)
        }
        _ => None,
    };
    if let Some(kind) = managed {
        return Some(RefTarget::Managed(kind));
    }
    let unmanaged = match last_key {
        "_agentId" => "agents",
        "_stackId" => "stacks",
        "_httpConnectorId" => "httpconnectors",
        "_httpConnectorVersionId" | "_httpConnectorApiId" => "httpconnectorapis",
        "_httpConnectorEndpointId" | "_httpConnectorEndpointIds" | "_httpConnectorResourceId" => {
            "httpconnectorendpoints"
        }
        "_tpConnectorId" => "tradingpartnerconnectors",
        "_toolId" => "tools",
        "_templateId" => "templates",
        "_userId" | "_byUserId" => "users",
        "_flowGroupingId" => "flowGroupings",
        _ => return None,
    };
    Some(RefTarget::Unmanaged(unmanaged))
}

/// Whether a reference at `path` is a back-reference that apply may break to resolve a cycle:
/// `_runNextFlowIds`, `_runNextExportIds` and integration `aliases` (PRODUCT.md §5), and an
/// export's or import's `http._asyncHelperId` (the async helper names the export that polls
/// for the status and result: a cycle the official CLI repairs with a second write,
/// integrator-api.md §5.10). Such a reference is left out of the create and added by a second
/// update.
pub fn is_breakable_reference(path: &FieldPath) -> bool {
    path.segments()
        .iter()
        .any(|segment| matches!(segment, Segment::Key(key) if is_breakable_key(key)))
}

/// Whether a reference under this key is breakable (see [`is_breakable_reference`]).
pub(crate) fn is_breakable_key(key: &str) -> bool {
    matches!(key, "_runNextFlowIds" | "_runNextExportIds" | "aliases" | "_asyncHelperId")
}

/// Deleted resources that still hold what they reference while they sit in the recycle bin:
/// `(deleted kind, referenced kind)`. A resource of the second kind cannot be deleted until
/// every resource of the first kind that named it is deleted and purged from the bin. "For a
/// connection with an iClient, the connection must be deleted and purged before the iClient
/// can be deleted" (integrator-api.md §6.4, docs.celigo.com 35115236573211).
pub const HELD_BY_THE_RECYCLE_BIN: &[(Kind, Kind)] = &[(Kind::Connection, Kind::IClient)];

/// Whether a deleted `deleted` must be purged from the recycle bin before `referenced` (a
/// resource it named) can be deleted ([`HELD_BY_THE_RECYCLE_BIN`]).
pub fn must_purge_before(deleted: Kind, referenced: Kind) -> bool {
    HELD_BY_THE_RECYCLE_BIN.contains(&(deleted, referenced))
}

/// Subtrees that hold sample data rather than configuration; references are not looked for
/// inside them (API reference §5.10).
pub const SAMPLE_DATA_FIELDS: &[&str] =
    &["mockOutput", "mockResponse", "sampleData", "sampleResponseData"];

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> FieldPath {
        text.parse().unwrap()
    }

    #[test]
    fn server_owned_prefixes_end_at_a_key() {
        // Judged as before, by the dotted, index-free text of the path.
        let joined = |keys: &[&str], owned: &str| {
            let dotted = keys.join(".");
            dotted == owned || dotted.starts_with(&format!("{owned}."))
        };
        let cases: &[(&[&str], &str)] = &[
            (&["a", "b"], "a.b"),
            (&["a", "bc"], "a.b"),
            (&["a", "b", "c"], "a.b"),
            (&["a"], "a.b"),
            (&["ab"], "a"),
            (&["a"], "a"),
            (&["a.b"], "a.b"),
            (&["a.b.c"], "a.b"),
            (&["a.bc"], "a.b"),
            (&["a", "b.c"], "a.b"),
            (&["a.b", "c"], "a.b"),
            (&["a.", "b"], "a.b"),
            (&["", "a"], "a"),
            (&["b", "a"], "a"),
            (&[], "a"),
        ];
        for (keys, owned) in cases {
            assert_eq!(
                dotted_is_at_or_under(keys.iter().copied(), owned),
                joined(keys, owned),
                "{keys:?} against {owned}"
            );
        }
        assert!(is_server_owned(Kind::Connection, &path("salesforce.info")));
        assert!(!is_server_owned(Kind::Connection, &path("salesforce.infoText")));
        assert!(is_server_owned(Kind::Flow, &path("logging.debugUntil")));
        assert!(!is_server_owned(Kind::Flow, &path("logging.debugUntilX")));
        assert!(!is_server_owned(Kind::Flow, &path("logging")));
        assert!(is_server_owned(Kind::Flow, &"_exportId[0]".parse().unwrap()));
        assert!(!is_server_owned(Kind::Flow, &"_id[0]".parse().unwrap()));
        assert!(is_server_owned_key(Kind::Flow, "_id"));
        assert!(is_server_owned_key(Kind::Flow, "_exportId"));
        assert!(!is_server_owned_key(Kind::Flow, "_exportIds"));
        assert!(!is_server_owned_key(Kind::Flow, "name"));
        assert!(is_server_owned_key(Kind::Connection, "salesforce.info"));
        assert!(!is_server_owned_key(Kind::Connection, "salesforce"));
    }

    #[test]
    fn owned_and_secret_paths() {
        assert!(is_server_owned(Kind::Flow, &path("lastModified")));
        assert!(!is_server_owned(Kind::Flow, &path("settings.lastModified")));
        assert!(is_server_owned(Kind::Flow, &path("logging.debugUntil")));
        assert!(!is_server_owned(Kind::Flow, &path("logging.mode")));
        assert!(is_server_owned(Kind::Connection, &path("salesforce.info.user")));
        assert!(is_write_only(Kind::Connection, &path("http.auth.token.token")));
        assert!(is_write_only(Kind::Connection, &path("http.encrypted.apiKey")));
        assert!(!is_write_only(Kind::Connection, &path("http.auth.type")));
        assert!(is_write_only(Kind::Connection, &path("rest.oauth.clientSecret")));
        assert!(is_write_only(Kind::Connection, &path("http.auth.oauth.oauth1.tokenSecret")));
        assert!(is_write_only(Kind::Export, &path("webhook.key")));
        assert!(!is_write_only(Kind::Export, &path("webhook.keyName")));
        assert!(!is_write_only(Kind::Flow, &path("settings.password")));
        for table in [CONNECTION_WRITE_ONLY, EXPORT_WRITE_ONLY, ICLIENT_WRITE_ONLY_PATHS] {
            assert!(table.windows(2).all(|pair| pair[0] < pair[1]), "sorted, no duplicates");
        }
    }

    #[test]
    fn write_only_values_are_withheld_at_any_depth() {
        let plain = |text: &str| Value::String(text.to_owned());
        let mut leaf = plain("hunter2");
        assert!(withhold_write_only(
            Kind::Connection,
            &path("http.auth.basic.password"),
            &mut leaf
        ));
        assert!(matches!(leaf, Value::Secret(ref secret) if !secret.is_resolved()));
        let mut object = Value::from(serde_json::json!({
            "auth": {"type": "basic", "basic": {"username": "svc", "password": "hunter2"}},
            "encrypted": {"apiKey": "k"},
            "headers": [{"name": "a", "value": "b"}]
        }));
        assert!(withhold_write_only(Kind::Connection, &path("http"), &mut object));
        let shown = format!("{object:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("\"k\""), "{shown}");
        assert!(shown.contains("svc"), "{shown}");
        assert!(!withhold_write_only(Kind::Connection, &path("http"), &mut object), "idempotent");
        let mut name = plain("hunter2");
        assert!(!withhold_write_only(Kind::Connection, &path("name"), &mut name));
        assert!(!withhold_write_only(Kind::Flow, &path("http.auth.basic.password"), &mut name));
        assert!(shows_write_only(Kind::Export, &path("webhook.token"), &plain("t")));
        assert!(pulled_as_secret(Kind::Connection, &path("http.encrypted.apiKey")));
    }

    #[test]
    fn reference_targets() {
        assert_eq!(
            reference_target(&path("pageProcessors[0]._importId")),
            Some(RefTarget::Managed(Kind::Import))
        );
        assert_eq!(
            reference_target(&path("_runNextFlowIds[1]")),
            Some(RefTarget::Managed(Kind::Flow))
        );
        assert_eq!(
            reference_target(&path("http._iClientId")),
            Some(RefTarget::Managed(Kind::IClient))
        );
        assert_eq!(
            reference_target(&path("lookups[0]._lookupCacheId")),
            Some(RefTarget::Managed(Kind::LookupCache))
        );
        assert_eq!(
            reference_target(&path("http.status._exportId")),
            Some(RefTarget::Managed(Kind::Export))
        );
        assert_eq!(reference_target(&path("_agentId")), Some(RefTarget::Unmanaged("agents")));
        assert!(is_breakable_reference(&path("http._asyncHelperId")));
        assert!(!is_breakable_reference(&path("http.status._exportId")));
        assert!(is_write_only(Kind::IClient, &path("oauth2.clientSecret")));
        assert!(is_server_owned(Kind::LookupCache, &path("sizeInMB")));
        assert_eq!(reference_target(&path("name")), None);
        assert_eq!(
            reference_target(&path("overrides.connections[0]._id")),
            Some(RefTarget::Managed(Kind::Connection))
        );
        assert_eq!(reference_target(&path("connections[0]._id")), None);
        assert_eq!(
            reference_target(&path("ftp._tpConnectorId")),
            Some(RefTarget::Unmanaged("tradingpartnerconnectors"))
        );
        assert!(is_breakable_reference(&path("_runNextFlowIds[0]")));
        assert!(is_breakable_reference(&path("aliases[0]._flowId")));
        assert!(!is_breakable_reference(&path("pageGenerators[0]._exportId")));
    }
}
