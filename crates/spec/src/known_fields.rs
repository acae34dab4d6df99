//! The top-level body fields integrator.io documents per kind, used to warn about a field that
//! is probably misspelt. The API accepts more than any list, so an unknown field is a warning
//! with a suggestion, never an error.
//!
//! Facts from Celigo's field schemas (the `request.yml`/`response.yml` properties, the adaptor
//! blocks, and the export and import fields an abstract flow's `overrides` may replace) and from
//! the API reference (`integrator-api.md` §5.2–§5.8) for the parts the
//! schemas do not cover (integrations, lookup caches, and the base fields of exports, imports and
//! flows). A test checks this list against the schemas when they are present. Server-owned
//! fields are not listed here; they are rejected by their own check.
//!
//! File definitions, EDI profiles and async helpers have no stored schema; their bodies are
//! open ([`is_open`]): only the fields the API reference and the emulator's documented
//! requirements name are listed, and no other field is warned about.

use flowform_model::Kind;

/// The top-level body fields known for `kind`, sorted.
pub fn known_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Integration => INTEGRATION,
        Kind::IClient => ICLIENT,
        Kind::FileDefinition => FILE_DEFINITION,
        Kind::EdiProfile => EDI_PROFILE,
        Kind::LookupCache => LOOKUP_CACHE,
        Kind::AsyncHelper => ASYNC_HELPER,
        Kind::Connection => CONNECTION,
        Kind::Script => SCRIPT,
        Kind::Export => EXPORT,
        Kind::Import => IMPORT,
        Kind::Flow => FLOW,
    }
}

/// Whether `field` is a known top-level field of `kind` (every field is, for an open kind).
pub fn is_known_field(kind: Kind, field: &str) -> bool {
    is_open(kind) || known_fields(kind).binary_search(&field).is_ok()
}

/// Whether the bodies of `kind` take fields nobody lists without a warning: file definitions,
/// EDI profiles and async helpers, whose shapes no stored schema describes (their parsing
/// rules, interchange envelopes and polling settings are as wide as the formats they serve).
pub fn is_open(kind: Kind) -> bool {
    matches!(kind, Kind::FileDefinition | Kind::EdiProfile | Kind::AsyncHelper)
}

/// iClients: `IClientBase` of `configuring-connections/iclient-schemas/base.yml`.
const ICLIENT: &[&str] = &[
    "_httpConnectorApiId",
    "_httpConnectorId",
    "amazonmws",
    "awsIam",
    "azureserviceprincipal",
    "ebay",
    "enableIClientReferences",
    "enableJWT",
    "formType",
    "jwt",
    "name",
    "netsuite",
    "oauth2",
    "provider",
    "published",
    "salesforce",
    "settings",
    "settingsForm",
];

/// Lookup caches: the writable fields of API §5.8 (the stored request schema names a base file
/// that is not stored).
const LOOKUP_CACHE: &[&str] =
    &["_integrationId", "description", "externalId", "includeDataInTemplatesAndCloning", "name"];

/// File definitions: the fields the emulator documents from celigo/ai's B2B skill
/// (`file-definition-request.yml`: `name`, `version`, `format`, `rules` required; `globalId`
/// fixed at creation) and the delimiter blocks of the UI's definitions.
const FILE_DEFINITION: &[&str] = &[
    "delimited",
    "description",
    "fixed",
    "format",
    "globalId",
    "name",
    "rules",
    "sampleData",
    "version",
];

/// EDI profiles: `name` and `fileType` (celigo/ai's B2B skill, `edi-profile-request.yml`); the
/// interchange fields (`isa…`, `unb…`, `tpInterchangeId`, `myInterchangeId`, …) are open.
const EDI_PROFILE: &[&str] =
    &["description", "fileType", "myInterchangeId", "name", "tpInterchangeId"];

/// Async helpers: the UI's async helper form (singh-gurkawalbir/demo
/// `src/forms/definitions/asyncHelpers/index.js`, as the emulator cites it) and the containment
/// `_integrationId` of API §5.10.
const ASYNC_HELPER: &[&str] = &["_integrationId", "description", "http", "name"];

const INTEGRATION: &[&str] = &[
    "aliases",
    "apiGroupings",
    "changeEditionSteps",
    "description",
    "flowGroupings",
    "install",
    "installSteps",
    "name",
    "readme",
    "sandbox",
    "settings",
    "settingsForm",
    "syncs",
    "uninstallSteps",
    "version",
];

const CONNECTION: &[&str] = &[
    "_agentId",
    "_borrowConcurrencyFromConnectionId",
    "_integrationId",
    "as2",
    "assistant",
    "concurrencyLevel",
    "dynamodb",
    "externalId",
    "filesystem",
    "ftp",
    "http",
    "jdbc",
    "mcp",
    "mongodb",
    "name",
    "netsuite",
    "pgp",
    "rdbms",
    "rest",
    "s3",
    "salesforce",
    "sandbox",
    "settings",
    "settingsForm",
    "ssl",
    "type",
    "van",
    "wrapper",
];

const SCRIPT: &[&str] =
    &["content", "description", "name", "postResponseHookToProcessOnChildRecord"];

const EXPORT: &[&str] = &[
    "_connectionId",
    "_ediProfileId",
    "_integrationId",
    "_postParseListenerId",
    "adaptorType",
    "apim",
    "as2",
    "assistant",
    "assistantMetadata",
    "dataURITemplate",
    "delta",
    "description",
    "distributed",
    "dynamodb",
    "file",
    "filesystem",
    "filter",
    "filters",
    "formSchema",
    "ftp",
    "groupByFields",
    "hooks",
    "http",
    "idLockTemplate",
    "inputFilter",
    "isLookup",
    "jdbc",
    "mockOutput",
    "mongodb",
    "name",
    "netsuite",
    "once",
    "oneToMany",
    "pageSize",
    "parsers",
    "pathToMany",
    "preSaveSchema",
    "rdbms",
    "rest",
    "s3",
    "salesforce",
    "sampleData",
    "settings",
    "settingsForm",
    "test",
    "traceKeyTemplate",
    "transform",
    "type",
    "valueDelta",
    "webhook",
    "wrapper",
];

const IMPORT: &[&str] = &[
    "_connectionId",
    "_ediProfileId",
    "_integrationId",
    "adaptorType",
    "aiAgent",
    "apim",
    "as2",
    "assistant",
    "assistantMetadata",
    "blobKeyPath",
    "dataURITemplate",
    "description",
    "distributed",
    "dynamodb",
    "file",
    "filesystem",
    "filter",
    "ftp",
    "guardrail",
    "hooks",
    "http",
    "idLockTemplate",
    "ignoreExisting",
    "ignoreMissing",
    "jdbc",
    "lookups",
    "mapping",
    "mappings",
    "mockResponse",
    "mongodb",
    "name",
    "netsuite",
    "netsuite_da",
    "oneToMany",
    "parsers",
    "pathToMany",
    "preSave",
    "rdbms",
    "responseTransform",
    "rest",
    "s3",
    "salesforce",
    "sampleData",
    "sampleResponseData",
    "settings",
    "settingsForm",
    "tool",
    "traceKeyTemplate",
    "wrapper",
];

const FLOW: &[&str] = &[
    "_abstractFlowId",
    "_flowGroupingId",
    "_integrationId",
    "_runNextExportIds",
    "_runNextFlowIds",
    "aliases",
    "description",
    "disabled",
    "isAbstract",
    "logging",
    "name",
    "overrides",
    "overridesHelper",
    "pageGenerators",
    "pageProcessors",
    "routers",
    "runPageGeneratorsInParallel",
    "sandbox",
    "schedule",
    "settings",
    "settingsForm",
    "skipRetries",
    "timezone",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_free_of_server_owned_fields() {
        for kind in Kind::ALL {
            let fields = known_fields(kind);
            assert!(fields.windows(2).all(|pair| pair[0] < pair[1]), "{kind} list is not sorted");
            for field in fields {
                let path = flowform_model::FieldPath::from_keys([*field]);
                assert!(
                    !flowform_model::fields::is_server_owned(kind, &path),
                    "{kind} field `{field}` is server-owned and must not be listed"
                );
            }
        }
        assert!(is_known_field(Kind::Flow, "pageGenerators"));
        assert!(!is_known_field(Kind::Flow, "pageGenerator"));
    }
}
