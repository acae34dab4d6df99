//! Known server defaults: values the API assumes when a field is absent, and often writes into
//! the documents it returns. A live value equal to its default counts as absent, and a desired
//! value equal to its default matches an absent live value, so that a spec that omits a field
//! and a spec that spells out its default both plan empty after an apply.
//!
//! This is the one table of defaults, one list per kind. Paths are dotted and index-free, so an
//! entry such as `pageProcessors.proceedOnFailure` covers `pageProcessors[3].proceedOnFailure`
//! (defaults inside array elements). Each entry comes from the API reference
//! (`integrator-api.md` §5.6), a `default:` in Celigo's published field schemas, or what the
//! service adds to documents written without the field, as real `GET` responses show it
//! (`shared/reference/service-behaviours.md` §1, the conformance corpus); nothing is guessed.
//! Adding an entry is safe only when a source shows the default: a wrong entry would hide a real
//! difference.
//!
//! Besides these, normalisation reads an empty array as absent (the service adds `[]` for many
//! lists nobody sent, and drops others such as an empty `file.lookups`), and a few defaults that
//! depend on another field of the document ([`CONDITIONAL_DEFAULTS`]).

use flowform_model::KeyHashMap;
use std::sync::OnceLock;

use flowform_model::{Kind, Value};

/// A default value, written so the table can be a `const`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Integer(i64),
    /// A string.
    Text(&'static str),
    /// An array of strings.
    TextList(&'static [&'static str]),
}

impl DefaultValue {
    /// The default as a [`Value`].
    pub fn to_value(self) -> Value {
        match self {
            DefaultValue::Bool(value) => Value::Bool(value),
            DefaultValue::Integer(value) => Value::Number(value.into()),
            DefaultValue::Text(value) => Value::String(value.to_owned()),
            DefaultValue::TextList(values) => Value::Array(
                values.iter().map(|value| Value::String((*value).to_owned())).collect(),
            ),
        }
    }

    /// Whether `value` equals this default (numbers compare by value, so `25.0` equals `25`).
    pub fn matches(self, value: &Value) -> bool {
        match (self, value) {
            (DefaultValue::Bool(default), Value::Bool(value)) => default == *value,
            (DefaultValue::Integer(default), Value::Number(number)) => {
                number.as_i64() == Some(default)
                    || number.as_f64().is_some_and(|float| float == default as f64)
            }
            (DefaultValue::Text(default), Value::String(value)) => default == value,
            (DefaultValue::TextList(defaults), Value::Array(items)) => {
                defaults.len() == items.len()
                    && defaults
                        .iter()
                        .zip(items)
                        .all(|(default, item)| item.as_str() == Some(default))
            }
            _ => false,
        }
    }
}

/// One known server default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerDefault {
    /// Dotted, index-free path (`routers.branches.pageProcessors.proceedOnFailure`).
    pub path: &'static str,
    /// The value the server assumes when the field is absent.
    pub value: DefaultValue,
}

const fn entry(path: &'static str, value: DefaultValue) -> ServerDefault {
    ServerDefault { path, value }
}

use DefaultValue::{Bool, Integer, Text, TextList};

/// Flows. Sources: API reference §5.6 (`disabled`: a flow that omits it is enabled), Celigo's
/// `router.yml` (`routeRecordsTo`, `routeRecordsUsing`) and `page-processor.yml`
/// (`proceedOnFailure`: false stops failed records at the step, the behaviour of an absent flag);
/// service-behaviours.md §1 (`autoResolveMatchingTraceKeys: true` on 29 of 30 flows of a raw
/// `GET /v1/flows`, `skipRetries: false` on all of them and on page generators the UI wrote;
/// §2: `_integrationId: ""` on a flow in no integration, like an absent one).
const FLOW_DEFAULTS: &[ServerDefault] = &[
    entry("disabled", Bool(false)),
    entry("_integrationId", Text("")),
    entry("autoResolveMatchingTraceKeys", Bool(true)),
    entry("skipRetries", Bool(false)),
    entry("pageGenerators.skipRetries", Bool(false)),
    entry("pageProcessors.proceedOnFailure", Bool(false)),
    entry("routers.branches.pageProcessors.proceedOnFailure", Bool(false)),
    entry("routers.routeRecordsTo", Text("first_matching_branch")),
    entry("routers.routeRecordsUsing", Text("input_filters")),
];

/// Scripts. Source: Celigo's `writing-scripts` request schema.
const SCRIPT_DEFAULTS: &[ServerDefault] =
    &[entry("postResponseHookToProcessOnChildRecord", Bool(false))];

/// Connections, under the object named after the connection type. Source: `default:` values of
/// Celigo's `configuring-connections` schemas (http, oauth, rest, ftp, s3, netsuite, salesforce,
/// rdbms, mongodb, dynamodb, jdbc, filesystem, as2, mcp, wrapper); `sandbox: false`, the
/// deprecated flag legacy-licence accounts carry (integrator-api.md §1.2; service-behaviours.md
/// §1, 2020-2022 documents).
const CONNECTION_DEFAULTS: &[ServerDefault] = &[
    entry("sandbox", Bool(false)),
    entry("http.disableStrictSSL", Bool(false)),
    entry("http.concurrencyLevel", Integer(25)),
    entry("http.retryHeader", Text("Retry-After")),
    entry("http.ping.method", Text("GET")),
    entry("http.auth.token.refreshMethod", Text("POST")),
    entry("http.auth.token.refreshMediaType", Text("urlencoded")),
    entry("http.auth.oauth.grantType", Text("authorizecode")),
    entry("http.auth.oauth.skipOauthValidations", Bool(false)),
    entry("http.auth.oauth.scopeDelimiter", Text(" ")),
    entry("http.auth.oauth.clientCredentialsLocation", Text("basicauthheader")),
    entry("http.rateLimit.failStatusCode", Integer(429)),
    entry("rest.disableStrictSSL", Bool(false)),
    entry("rest.skipOauthValidations", Bool(false)),
    entry("rest.isHTTPProxy", Bool(false)),
    entry("rest.authHeader", Text("Authorization")),
    entry("rest.retryHeader", Text("Retry-After")),
    entry("rest.authScheme", Text("Bearer")),
    entry("rest.scopeDelimiter", Text(" ")),
    entry("rest.concurrencyLevel", Integer(5)),
    entry("rest.tokenLocation", Text("header")),
    entry("rest.tokenParam", Text("access_token")),
    entry("rest.refreshTokenMethod", Text("POST")),
    entry("rest.refreshTokenMediaType", Text("json")),
    entry("rest.pingMethod", Text("GET")),
    entry("rest.oauth.grantType", Text("authorizecode")),
    entry("rest.oauth.skipOauthValidations", Bool(false)),
    entry("rest.oauth.scopeDelimiter", Text(" ")),
    entry("rest.oauth.clientCredentialsLocation", Text("basicauthheader")),
    entry("ftp.usePassiveMode", Bool(true)),
    entry("ftp.userDirectoryIsRoot", Bool(false)),
    entry("ftp.useImplicitFtps", Bool(false)),
    entry("ftp.requireSocketReUse", Bool(false)),
    entry("ftp.pgpSignAndVerify", Bool(false)),
    entry("ftp.concurrencyLevel", Integer(1)),
    entry("s3.authType", Text("accesskey")),
    entry("s3.concurrencyLevel", Integer(5)),
    entry("s3.targetConcurrencyLevel", Integer(5)),
    entry("netsuite.requestLevelCredentials", Bool(false)),
    entry("netsuite.wsdlVersion", Text("latest")),
    entry("netsuite.concurrencyLevel", Integer(5)),
    entry("netsuite.targetConcurrencyLevel", Integer(5)),
    entry("salesforce.sandbox", Bool(false)),
    entry("salesforce.oauth2FlowType", Text("refreshToken")),
    entry("salesforce.scope", TextList(&["full", "refresh_token"])),
    entry("salesforce.concurrencyLevel", Integer(5)),
    entry("salesforce.targetConcurrencyLevel", Integer(5)),
    entry("rdbms.concurrencyLevel", Integer(5)),
    entry("rdbms.disableStrictSSL", Bool(false)),
    entry("rdbms.mssql.authType", Text("basic")),
    entry("mongodb.ssl", Bool(false)),
    entry("mongodb.concurrencyLevel", Integer(5)),
    entry("mongodb.targetConcurrencyLevel", Integer(5)),
    entry("dynamodb.concurrencyLevel", Integer(5)),
    entry("dynamodb.targetConcurrencyLevel", Integer(5)),
    entry("jdbc.concurrencyLevel", Integer(5)),
    entry("jdbc.targetConcurrencyLevel", Integer(5)),
    entry("filesystem.concurrencyLevel", Integer(1)),
    entry("filesystem.targetConcurrencyLevel", Integer(1)),
    entry("as2.userStationInfo.compressed", Bool(false)),
    entry("as2.concurrencyLevel", Integer(5)),
    entry("as2.preventCanonicalization", Bool(false)),
    entry("mcp.protocol", Text("http")),
    entry("mcp.timeout", Integer(600_000)),
    entry("wrapper.concurrencyLevel", Integer(5)),
];

/// Exports. Source: `default:` values of Celigo's `configuring-exports` schemas; what the service
/// adds (service-behaviours.md §1: `oneToMany: false` on the sb-dataops exports, the HTTP form's
/// `formType`, `isRest`, `sendAuthForFileDownloads` and `response.twoDArray` on its HTTP
/// export; §2: expression `version: "1"`).
const EXPORT_DEFAULTS: &[ServerDefault] = &[
    entry("oneToMany", Bool(false)),
    entry("http.formType", Text("http")),
    entry("http.isRest", Bool(false)),
    entry("http.sendAuthForFileDownloads", Bool(false)),
    entry("http.response.twoDArray.doNotNormalize", Bool(false)),
    entry("http.response.twoDArray.hasHeader", Bool(false)),
    entry("filter.version", Text("1")),
    entry("filter.expression.version", Text("1")),
    entry("inputFilter.version", Text("1")),
    entry("inputFilter.expression.version", Text("1")),
    entry("transform.version", Text("1")),
    entry("transform.expression.version", Text("1")),
    entry("s3.region", Text("us-east-1")),
    entry("dynamodb.region", Text("us-east-1")),
    entry("mongodb.readPreference", Text("doNotOverride")),
    entry("salesforce.includeDeletedRecords", Bool(false)),
    entry("salesforce.bulk.purgeJobAfterExport", Bool(true)),
    entry("test.limit", Integer(1)),
    entry("webhook.tokenLocation", Text("body")),
    entry("webhook.tokenHeaderScheme", Text("bearer")),
    entry("webhook.successStatusCode", Integer(204)),
    entry("webhook.successMediaType", Text("json")),
    entry("webhook.challengeSuccessStatusCode", Integer(200)),
    entry("webhook.challengeSuccessMediaType", Text("json")),
];

/// Imports. Source: `default:` values of Celigo's `configuring-imports` schemas; what the service
/// adds (service-behaviours.md §1: `oneToMany`, `ignoreExisting`, `ignoreMissing` and
/// `distributed` false on the sb-dataops and gcarbone imports; the HTTP form's `formType`,
/// `isRest`, `batchSize: 1` on the pasted HTTP import; §2: expression `version: "1"`).
const IMPORT_DEFAULTS: &[ServerDefault] = &[
    entry("oneToMany", Bool(false)),
    entry("ignoreExisting", Bool(false)),
    entry("ignoreMissing", Bool(false)),
    entry("distributed", Bool(false)),
    entry("http.formType", Text("http")),
    entry("http.isRest", Bool(false)),
    entry("http.batchSize", Integer(1)),
    entry("filter.version", Text("1")),
    entry("filter.expression.version", Text("1")),
    entry("inputFilter.version", Text("1")),
    entry("inputFilter.expression.version", Text("1")),
    entry("transform.version", Text("1")),
    entry("transform.expression.version", Text("1")),
    entry("http.sendPostMappedData", Bool(true)),
    entry("s3.region", Text("us-east-1")),
    entry("dynamodb.region", Text("us-east-1")),
    entry("as2.maxRetries", Integer(0)),
    entry("file.skipAggregation", Bool(false)),
    entry("file.encoding", Text("utf8")),
    entry("file.delete", Bool(false)),
    entry("file.purgeInternalBackup", Bool(false)),
    entry("file.encrypt", Bool(false)),
    entry("file.csv.rowDelimiter", Text("\n")),
    entry("file.csv.columnDelimiter", Text(",")),
    entry("file.csv.includeHeader", Bool(true)),
    entry("file.csv.wrapWithQuotes", Bool(false)),
    entry("file.csv.replaceTabWithSpace", Bool(false)),
    entry("file.csv.replaceNewlineWithSpace", Bool(false)),
    entry("file.csv.truncateLastRowDelimiter", Bool(false)),
    entry("file.pgp.symmetricKeyAlgorithm", Text("aes256")),
];

/// Integrations: `sandbox: false` of legacy-licence accounts (integrator-api.md §1.2;
/// service-behaviours.md §1).
const INTEGRATION_DEFAULTS: &[ServerDefault] = &[entry("sandbox", Bool(false))];

/// iClients. Source: `iclient-schemas/response.yml:4-9` requires `published` on every
/// response; an iClient created without it is not published (the emulator's
/// `iclient-published`).
const ICLIENT_DEFAULTS: &[ServerDefault] = &[entry("published", Bool(false))];

/// A top-level default that depends on another top-level field of the document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConditionalDefault {
    /// The kind.
    pub kind: Kind,
    /// The top-level field with the default.
    pub path: &'static str,
    /// The top-level field that decides, and the value that selects [`Self::value`].
    pub when: (&'static str, &'static str),
    /// The default when `when` holds (otherwise the kind's table applies).
    pub value: DefaultValue,
}

/// Defaults that depend on the document: a NetSuite distributed import is stored with
/// `distributed: true` (service-behaviours.md §1: singh-gurkawalbir/demo imports; every other
/// import `false`). Whole-document normalisation (`pull`) reads these; a field comparison needs
/// none, since the spec's value is compared with the stored one.
pub const CONDITIONAL_DEFAULTS: &[ConditionalDefault] = &[ConditionalDefault {
    kind: Kind::Import,
    path: "distributed",
    when: ("adaptorType", "NetSuiteDistributedImport"),
    value: Bool(true),
}];

/// The known server defaults of `kind` (lookup caches, file definitions, EDI profiles and async
/// helpers have none documented).
pub fn server_defaults(kind: Kind) -> &'static [ServerDefault] {
    match kind {
        Kind::LookupCache | Kind::FileDefinition | Kind::EdiProfile | Kind::AsyncHelper => &[],
        Kind::Integration => INTEGRATION_DEFAULTS,
        Kind::IClient => ICLIENT_DEFAULTS,
        Kind::Connection => CONNECTION_DEFAULTS,
        Kind::Script => SCRIPT_DEFAULTS,
        Kind::Export => EXPORT_DEFAULTS,
        Kind::Import => IMPORT_DEFAULTS,
        Kind::Flow => FLOW_DEFAULTS,
    }
}

type DefaultIndex = KeyHashMap<(Kind, &'static str), DefaultValue>;

fn index() -> &'static DefaultIndex {
    static INDEX: OnceLock<DefaultIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .flat_map(|kind| {
                server_defaults(kind)
                    .iter()
                    .map(move |default| ((kind, default.path), default.value))
            })
            .collect()
    })
}

/// The default of the field at the dotted, index-free path `pattern` of `kind`, if known.
pub fn default_at(kind: Kind, pattern: &str) -> Option<DefaultValue> {
    index().get(&(kind, pattern)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_and_matching() {
        let proceed = default_at(Kind::Flow, "routers.branches.pageProcessors.proceedOnFailure");
        assert_eq!(proceed, Some(Bool(false)));
        assert!(proceed.unwrap().matches(&Value::Bool(false)));
        assert!(!proceed.unwrap().matches(&Value::Bool(true)));
        let level = default_at(Kind::Connection, "http.concurrencyLevel").unwrap();
        assert!(level.matches(&Value::Number(25.into())));
        assert!(level.matches(&Value::Number(serde_json::Number::from_f64(25.0).unwrap())));
        assert!(!level.matches(&Value::String("25".into())));
        assert_eq!(default_at(Kind::Export, "http.concurrencyLevel"), None);
        let scope = default_at(Kind::Connection, "salesforce.scope").unwrap();
        assert!(scope.matches(&scope.to_value()));
    }

    #[test]
    fn every_table_path_is_unique_and_well_formed() {
        for kind in Kind::ALL {
            let defaults = server_defaults(kind);
            for (position, default) in defaults.iter().enumerate() {
                assert!(!default.path.is_empty() && !default.path.contains('['), "{default:?}");
                assert!(
                    defaults[..position].iter().all(|other| other.path != default.path),
                    "duplicate default {kind} {}",
                    default.path
                );
            }
        }
    }
}
