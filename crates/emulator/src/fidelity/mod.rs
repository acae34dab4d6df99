//! Fidelity: the server behaviours of integrator.io that a client comparing "what I sent" with
//! "what `GET` returns" must cope with, each one switchable so a test can isolate it.
//!
//! Every [`Behaviour`] names its source (a file and line of Celigo's schemas, a section of the API
//! reference, or a public real document listed in `shared/reference/service-behaviours.md`) and
//! its default. The catalogue is the contract of `docs/fidelity.md`, which lists the same
//! behaviours with how flowform copes and the test that shows each one.
//!
//! Where the behaviour is applied:
//! - on write (POST, PUT, clone): [`write::rewrite_input`] changes what the client sent (casts,
//!   case, clamps, dropped fields, secrets the service manages) and [`write::add_defaults`] adds
//!   what nobody sent;
//! - on read (every `/v1` response): [`read::shown`] masks secrets in the configured forms;
//! - in validation: the routers/pageProcessors refusal;
//! - in lists: the order.
//!
//! Defaults: every behaviour is on, except the two the sources contradict for today's service
//! (page generator `_id` and `skipRetries`, which only old or UI-written documents show).
//! `docs/fidelity.md` lists them with how flowform copes with each.

pub(crate) mod read;
pub(crate) mod tables;
pub(crate) mod write;

use std::fmt;

/// Declares the behaviours: variant, switch name, default, source and one-line summary.
macro_rules! behaviours {
    ($(
        $(#[$meta:meta])*
        $variant:ident = $name:literal, default: $default:literal, source: $source:literal, does: $summary:literal;
    )*) => {
        /// One server behaviour the emulator models; see the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Behaviour {
            $($(#[$meta])* $variant,)*
        }

        impl Behaviour {
            /// Every behaviour, in catalogue order.
            pub const ALL: &'static [Behaviour] = &[$(Behaviour::$variant,)*];

            /// The switch name used by `emulator serve --fidelity-off` and the admin API, e.g.
            /// `flow-skip-retries`.
            pub fn name(self) -> &'static str {
                match self { $(Behaviour::$variant => $name,)* }
            }

            /// Whether the behaviour is on in [`Fidelity::default`].
            pub fn default_on(self) -> bool {
                match self { $(Behaviour::$variant => $default,)* }
            }

            /// Where the behaviour is documented or shown.
            pub fn source(self) -> &'static str {
                match self { $(Behaviour::$variant => $source,)* }
            }

            /// What the emulator does when the behaviour is on.
            pub fn summary(self) -> &'static str {
                match self { $(Behaviour::$variant => $summary,)* }
            }
        }
    };
}

behaviours! {
    // --- Fields the service adds that nobody sent -------------------------------------------
    /// Flows get `autoResolveMatchingTraceKeys: true`.
    FlowAutoResolveMatchingTraceKeys = "flow-auto-resolve-matching-trace-keys", default: true,
        source: "service-behaviours.md §1 (gcarbone/celigo-cli sample.json: 29 of 30 flows; singh-gurkawalbir/demo flows fixture)",
        does: "a flow written without `autoResolveMatchingTraceKeys` is stored with `true`";
    /// Flows get `skipRetries: false`.
    FlowSkipRetries = "flow-skip-retries", default: true,
        source: "service-behaviours.md §1 (all 30 flows of gcarbone/celigo-cli sample.json; celigo/integrator-api-docs flow.md 2017 samples)",
        does: "a flow written without `skipRetries` is stored with `false`";
    /// Page generators get `skipRetries: false`.
    PageGeneratorSkipRetries = "page-generator-skip-retries", default: false,
        source: "service-behaviours.md §1: 25 of 29 flows show it, but the 4 flows created by API come back without it (gcarbone/celigo-cli cmds/copy/flow.js)",
        does: "a page generator written without `skipRetries` is stored with `false` (OFF: the sources show the service does not add it on API writes; it is the UI that sends it)";
    /// Page generators get an ObjectId `_id`.
    PageGeneratorId = "page-generator-id", default: false,
        source: "service-behaviours.md §4: present in the 2017 sample (celigo/integrator-api-docs flow.md), absent in every 2021-2026 document",
        does: "a page generator written without `_id` gets a fresh ObjectId (OFF: only old documents show it)";
    /// Page processors get an empty `responseMapping`.
    PageProcessorResponseMapping = "page-processor-response-mapping", default: true,
        source: "service-behaviours.md §1 (all 92 processors of the public documents carry `responseMapping`); building-flows/schemas/page-processor.yml:89",
        does: "a page processor (top level or in a branch) written without `responseMapping` is stored with `{\"fields\":[],\"lists\":[]}`";
    /// Routers get a generated `id`.
    RouterId = "router-id", default: true,
        source: "integrator-api.md §5.6 (router `id`, 11 random alphanumerics); service-behaviours.md §4 (6 characters in 2022, 11 in 2026)",
        does: "a router written without `id` gets 11 random alphanumerics";
    /// Branches get a generated `branchId`.
    BranchId = "branch-id", default: true,
        source: "service-behaviours.md §4 (leyvarj/celigo-cli examples/flows/flows-sample.json, 2026: `branchId` of 11 characters; absent in 2022 documents)",
        does: "a router branch written without `branchId` gets 11 random alphanumerics";
    /// Connections get `queues` naming themselves.
    ConnectionQueues = "connection-queues", default: true,
        source: "service-behaviours.md §1 (celigo/integrator-api-docs connection.md: `queues:[{name:<own _id>,size:8}]`; singh-gurkawalbir/demo clone fixture: size 0)",
        does: "a created connection gets `queues: [{\"name\": <its _id>, \"size\": 0}]`";
    /// Connections get empty arrays nobody sent.
    ConnectionEmptyArrays = "connection-empty-arrays", default: true,
        source: "service-behaviours.md §1 (celigo/integrator-api-docs connection.md: rest `encryptedFields`, `unencryptedFields`, `scope`; singh-gurkawalbir/demo connections: http `encryptedFields`, `auth.oauth.scope`, `ping.failValues`/`successValues`)",
        does: "`rest.encryptedFields`, `rest.unencryptedFields`, `rest.scope`, `http.encryptedFields`, `http.auth.oauth.scope` (when `http.auth` is set) and `http.ping.failValues`/`successValues` (when `http.ping` is set) are stored as `[]` when absent";
    /// Exports and imports get an `apiIdentifier`.
    StepApiIdentifier = "step-api-identifier", default: true,
        source: "service-behaviours.md §1 (52 values: exports `e` + 9 hex, imports `i` + 9 hex); configuring-exports/schemas/response.yml, configuring-imports/schemas/response.yml (readOnly)",
        does: "a created export gets `apiIdentifier` `e` + 9 hex digits, an import `i` + 9 hex digits";
    /// Exports get `asynchronous: true`.
    ExportAsynchronous = "export-asynchronous", default: true,
        source: "integrator-api.md §5.1 (`asynchronous`, client value ignored); service-behaviours.md §1 (sb-dataops/netsuite-celigo-conector-teste exports; singh-gurkawalbir/demo exports)",
        does: "every export is stored with `asynchronous: true` whatever the client sent";
    /// Exports and imports get `oneToMany: false`.
    StepOneToMany = "step-one-to-many", default: true,
        source: "service-behaviours.md §1 (sb-dataops/netsuite-celigo-conector-teste exports and imports; gcarbone/celigo-cli import)",
        does: "an export or import written without `oneToMany` is stored with `false`";
    /// Exports and imports get `parsers: []`.
    StepParsers = "step-parsers", default: true,
        source: "service-behaviours.md §1 (singh-gurkawalbir/demo clone fixture and imports fixture: `parsers: []`)",
        does: "an export or import written without `parsers` is stored with `[]`";
    /// Imports get `lookups: []`.
    ImportLookups = "import-lookups", default: true,
        source: "service-behaviours.md §1 (singh-gurkawalbir/demo imports: `lookups: []`)",
        does: "an import written without `lookups` is stored with `[]`";
    /// Imports get `ignoreExisting`/`ignoreMissing: false`.
    ImportIgnoreFlags = "import-ignore-flags", default: true,
        source: "service-behaviours.md §1 (sb-dataops/netsuite-celigo-conector-teste imports; gcarbone/celigo-cli import)",
        does: "an import written without `ignoreExisting`/`ignoreMissing` is stored with `false`";
    /// Imports get `distributed`.
    ImportDistributed = "import-distributed", default: true,
        source: "service-behaviours.md §1 (celigo/integrator-api-docs import.md `distributed:false`; singh-gurkawalbir/demo: `true` on NetSuiteDistributedImport)",
        does: "an import written without `distributed` is stored with `true` for `NetSuiteDistributedImport`, else `false`";
    /// HTTP exports and imports get the HTTP form's defaults.
    HttpStepDefaults = "http-step-defaults", default: true,
        source: "service-behaviours.md §1 (sb-dataops/netsuite-celigo-conector-teste download 2026-03-11; gcarbone/celigo-cli cmds/xform/flow.js pasted import)",
        does: "HTTP exports get `http.formType:\"http\"`, `http.isRest:false`, `http.sendAuthForFileDownloads:false`, `http.response.twoDArray:{doNotNormalize:false,hasHeader:false}`; HTTP imports `http.formType:\"http\"`, `http.isRest:false`, `http.batchSize:1`, `http.sendPostMappedData:true` (each only when absent)";
    /// Integrations get their empty arrays.
    IntegrationArrays = "integration-arrays", default: true,
        source: "service-behaviours.md §1 (leyvarj/celigo-cli examples/integrations.json: created with {name, description}, returned with the arrays)",
        does: "integrations are stored with `install`, `_registeredLookupCacheIds`, `installSteps`, `uninstallSteps`, `changeEditionSteps`, `flowGroupings`, `apiGroupings` as `[]` when absent";
    /// The deprecated `sandbox: false` of legacy-licence accounts.
    LegacySandboxFlag = "legacy-sandbox-flag", default: true,
        source: "integrator-api.md §1.2 (legacy production/sandbox licences); service-behaviours.md §1 (singh-gurkawalbir/demo 2020-2022: `sandbox:false` on connections, exports, imports, integrations; scripts in the everbright download)",
        does: "connections, exports, imports, scripts and integrations are stored with `sandbox: false` when absent";
    /// Scripts get `postResponseHookToProcessOnChildRecord: false`.
    ScriptChildRecordHook = "script-child-record-hook", default: true,
        source: "service-behaviours.md §1 (everbright download); integrator-api.md §5.7 (default false)",
        does: "a script written without `postResponseHookToProcessOnChildRecord` is stored with `false`";
    /// Salesforce connections get their live-verified defaults.
    SalesforceDefaults = "salesforce-defaults", default: true,
        source: "configuring-connections/schemas/salesforce.yml:10 (both live-verified to default to `refreshToken` and `false`)",
        does: "a Salesforce connection written without `salesforce.oauth2FlowType`/`salesforce.sandbox` is stored with `refreshToken`/`false`";
    /// Copies get `free: false`.
    FlowFreeOnCopies = "flow-free-on-copies", default: true,
        source: "service-behaviours.md §1 (gcarbone/celigo-cli sample.json: `free:false` on the 11 flows that carry `_sourceId`, on none of the others); building-flows/schemas/response.yml:28 (readOnly)",
        does: "a flow created by clone is stored with `free: false`";

    /// iClients get `published: false`.
    IClientPublished = "iclient-published", default: true,
        source: "configuring-connections/iclient-schemas/response.yml:4-9 (`published` is required in every iClient response; `false` when nobody set it is our inference)",
        does: "an iClient written without `published` is stored with `false`";
    /// iClients get the server-managed auth-failure fields.
    IClientAuthFailures = "iclient-auth-failures", default: true,
        source: "configuring-connections/iclient-schemas/base.yml:228-239 (`useNewAuthFailSchema` \"always true in current responses\"; `failures` \"derived from failPath, failValues and failStatusCode\", readOnly)",
        does: "an iClient's `oauth2` is stored with `useNewAuthFailSchema: true` and, when `failPath`, `failValues` or `failStatusCode` is set, `failures: [{statusCode, path, values}]` computed from them (client values of both are dropped)";
    /// iClients with JWT get a server-computed `jwt.token`.
    IClientJwtToken = "iclient-jwt-token", default: true,
        source: "configuring-connections/iclient-schemas/base.yml:71-77 and 584-589 (`jwt.token` readOnly, \"server-computed signed JWT\", masked)",
        does: "an iClient with `enableJWT: true` and a `jwt` object is stored with a generated `jwt.token` (masked like every secret)";
    /// Lookup caches get their owner.
    LookupCacheOwner = "lookup-cache-owner", default: true,
        source: "configuring-lookup-caches/schemas/response.yml:8-25 (`_userId` required and readOnly: the user who owns the cache)",
        does: "a created lookup cache is stored with `_userId`: the account's user (the `_userId` of `GET /v1/tokenInfo`)";
    /// Lookup caches report their size.
    LookupCacheSize = "lookup-cache-size", default: true,
        source: "configuring-lookup-caches/schemas/response.yml:32-45 (`size` in bytes, `sizeInMB` \"0 MB\", \"<5 MB\" … \"50 MB\"); integrator-api.md §5.8",
        does: "a lookup cache is stored with `size` (bytes of its keys and JSON values) and `sizeInMB`, kept current by every data call; OFF: neither field is written";
    /// Agents are created offline.
    AgentOffline = "agent-offline", default: true,
        source: "singh-gurkawalbir/demo `src/test/api/routes/agents.js` (the UI's mock of `GET /api/agents`: every agent without a running process `offline: true`)",
        does: "a created agent is stored with `offline: true` (no agent process ever connects to the emulator)";

    // --- Values the service rewrites --------------------------------------------------------
    /// HTTP imports store method, URI, body and resource-id path as arrays.
    HttpImportArrays = "http-import-arrays", default: true,
        source: "service-behaviours.md §2 (gcarbone/celigo-cli cmds/xform/flow.js; sb-dataops/netsuite-celigo-conector-teste 2026-03-10/11; singh-gurkawalbir/demo imports)",
        does: "on HTTP/REST imports `http.method`, `http.relativeURI`, `http.body`, `http.response.resourceIdPath` (and the same under `rest`) are stored as arrays (a string becomes a one-element array); an unset `relativeURI`/`body` is stored as `[]`";
    /// Expression filters and transforms hold their rules twice.
    ExpressionRulesTwice = "expression-rules-twice", default: true,
        source: "service-behaviours.md §2 (singh-gurkawalbir/demo clone fixture import `filter`; everbright download)",
        does: "`filter`, `inputFilter` and `transform` of `type:\"expression\"` on exports and imports are stored as `{type, expression:{rules, version:\"1\"}, rules, version:\"1\"}` with identical copies";
    /// Case rewrites the schemas mark with `x-lowercase`/`x-uppercase`.
    CaseRewrites = "case-rewrites", default: true,
        source: "configuring-connections/schemas/{http,netsuite,oauth,rest,ftp,jwt,rdbms,mcp}.yml and configuring-imports/schemas/{salesforce,netsuite,netsuitedistributed,s3,dynamodb}.yml, configuring-exports/schemas/netsuite.yml: `x-lowercase`/`x-uppercase` (e.g. netsuite.yml:44 `authType`, netsuite.yml:52 `account` \"automatically uppercased\")",
        does: "string values at the annotated paths are stored lower- or upper-cased";
    /// Numbers written to string fields are stored as strings.
    StringFieldCasts = "string-field-casts", default: true,
        source: "configuring-connections/schemas/netsuite.yml:89,97 (`entityId`, `roleId` type string; real documents show \"3\", \"141286\"); configuring-exports/schemas/netsuite.yml:118 (`searchId` string); service-behaviours.md §2 (expression `version` is the string \"1\")",
        does: "a number written to `netsuite.roleId`, `netsuite.entityId` (connections), `netsuite.restlet.searchId` (exports) or an expression's `version` is stored as its decimal string";
    /// `concurrencyLevel` clamped to the licence.
    ConcurrencyClamp = "concurrency-clamp", default: true,
        source: "configuring-connections/schemas/http.yml:111, netsuite.yml:201, salesforce.yml:112 (\"a request for 999 is stored as 50\"), dynamodb.yml:37 (below 1 raised to 1), ftp.yml:192, rdbms.yml:158, jdbc.yml:152, mongodb.yml:82, wrapper.yml:115, as2.yml:514, filesystem.yml:24",
        does: "`<type>.concurrencyLevel` and `<type>.targetConcurrencyLevel` of a connection are clamped into 1..=the licensed maximum (setting `licensed_concurrency`, default 25)";
    /// NetSuite `wsdlVersion` normalised to `latest`/`next`.
    NetSuiteWsdlVersion = "netsuite-wsdl-version", default: true,
        source: "configuring-connections/schemas/netsuite.yml:164 (\"2025.1\" → latest, \"2023.1\" → next, anything else → latest)",
        does: "`netsuite.wsdlVersion` is stored as `latest` or `next`";
    /// Read-only fields of sub-documents dropped on write.
    ReadOnlyDropped = "read-only-dropped", default: true,
        source: "configuring-connections/schemas/netsuite.yml:126,130,182,190 (\"writes are silently dropped\"), ftp.yml:173, rest.yml:387, van.yml; as2.yml:5 (`as2Id`/`partnerId` ignored on PUT); configuring-exports/schemas/http.yml, configuring-imports/schemas/http.yml (`_httpConnector…Id` readOnly)",
        does: "client values at schema `readOnly` paths inside a document are dropped (the stored value is kept), and `as2.as2Id`/`as2.partnerId` keep their stored value on PUT";
    /// EDI interchange ids padded.
    EdiInterchangeIdPadding = "edi-interchange-id-padding", default: true,
        source: "celigo/ai skills/building-b2b/SKILL.md (Gotchas 2: \"ISA IDs are right-padded to 15 characters. The API returns them padded\")",
        does: "on an X12 EDI profile (`fileType: edix12`), `tpInterchangeId` and `myInterchangeId` are stored right-padded with spaces to 15 characters";
    /// A full PUT of an integration without `flowGroupings` wipes its groups.
    FlowGroupingsWipedByPut = "flow-groupings-wiped-by-put", default: true,
        source: "integrator-api.md §5.1 (official CLI: \"a full PUT without it wipes every flow group\") and §6.2 (PUT is a full replace)",
        does: "a PUT of an integration without `flowGroupings` removes every group (and so ungroups their flows); OFF: the stored groups are kept";
    /// An iClient's scope string stored as an array.
    IClientScopeArray = "iclient-scope-array", default: true,
        source: "configuring-connections/iclient-schemas/base.yml:125-131 (`oauth2.scope`: \"the API accepts a string on input but always returns an array\")",
        does: "an iClient's `oauth2.scope` written as a string is stored as an array, split at `oauth2.scopeDelimiter` (whitespace when unset)";
    /// Null members and empty objects dropped.
    NullsDropped = "nulls-dropped", default: true,
        source: "service-behaviours.md §6 and integrator-api.md §5.1 (celigo/integrator-api-docs export.md: a PUT with `hooks.preSavePage:{_stackId:null,function:null}` returns no `hooks`)",
        does: "null members and objects left empty are dropped from written documents";
    /// `file.lookups: []` dropped.
    EmptyFileLookupsDropped = "empty-file-lookups-dropped", default: true,
        source: "service-behaviours.md §6 (celigo/integrator-api-docs import.md: a PUT with `file.lookups:[]` returns no `file.lookups`)",
        does: "an empty `file.lookups` array is dropped from written exports and imports";

    // --- Secrets ----------------------------------------------------------------------------
    /// Credential objects returned as one mask.
    CredentialObjectMasked = "credential-object-masked", default: true,
        source: "configuring-connections/schemas/http.yml:879 (`encrypted` \"returned as the masked string\"); service-behaviours.md §2 (singh-gurkawalbir/demo: `http.encrypted`, `rest.encrypted`, `rest.cookieAuth.body` as one mask)",
        does: "an object stored at a secret path (`http.encrypted`, `rest.encrypted`, …) is returned as one mask string; OFF: each of its values is masked in place";
    /// Secrets the service obtains itself.
    ServerManagedTokens = "server-managed-tokens", default: true,
        source: "configuring-connections/schemas/oauth.yml:24 (authorizecode: tokens from the browser consent), salesforce.yml:75-90 (\"auto-managed by the system\"), netsuite.yml:34,77 (token-auto: \"integrator.io manages the token wiring\")",
        does: "`http.auth.token.token`/`refreshToken` of an `authorizecode` OAuth connection, `salesforce.bearerToken`/`refreshToken` and the `netsuite.tokenId`/`tokenSecret` of `token-auto` are never taken from a client (a sent value or mask is ignored), are masked on GET and keep their stored value when a PUT omits them";
    /// iClient authorization query parameters masked with four asterisks.
    IClientQueryParameterMasks = "iclient-query-parameter-masks", default: true,
        source: "configuring-connections/iclient-schemas/base.yml:285-289 (`oauth2.auth.queryParameters` \"stored encrypted (masked as `****` in responses)\")",
        does: "each value of an iClient's `oauth2.auth.queryParameters` is returned as `****`; a PUT that sends `****` back keeps the stored value";
    /// A connection in the recycle bin still holds its iClient.
    RecycledConnectionsHoldIClients = "recycled-connections-hold-iclients", default: true,
        source: "integrator-api.md §6.4 (docs.celigo.com 35115236573211: \"for a connection with an iClient, the connection must be deleted and purged before the iClient can be deleted\")",
        does: "DELETE of an iClient that a connection in the recycle bin references is refused like any in-use delete (the message says to purge it)";
    /// Captured webhook header values masked with four asterisks.
    SampleHeaderMasks = "sample-header-masks", default: true,
        source: "service-behaviours.md §3 (sb-dataops/netsuite-celigo-conector-teste: every `sampleHeaders[].value` is \"****\")",
        does: "the `value` of every `sampleHeaders` entry of an export is returned as `****`";

    // --- Structure --------------------------------------------------------------------------
    /// `routers` and `pageProcessors` are mutually exclusive.
    RoutersExcludePageProcessors = "routers-exclude-page-processors", default: true,
        source: "integrator-api.md §4.3 (message `\"pageProcessors\" is not allowed when \"routers\" is present`) and §5.6; service-behaviours.md §5",
        does: "a flow written with both `routers` and `pageProcessors` is refused with 422";

    // --- Lists ------------------------------------------------------------------------------
    /// Lists ordered by name.
    ListsSortedByName = "lists-sorted-by-name", default: true,
        source: "service-behaviours.md §7 (gcarbone/celigo-cli sample.json: a raw GET /v1/flows ordered by name, byte-wise, equal names by `_id`)",
        does: "lists return documents ordered by `name` (byte-wise, case-sensitive), equal names by `_id`; OFF: creation order";
}

impl fmt::Display for Behaviour {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl Behaviour {
    /// The behaviour whose switch name is `name`.
    pub fn from_name(name: &str) -> Option<Behaviour> {
        Behaviour::ALL.iter().copied().find(|behaviour| behaviour.name() == name)
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// A set of switched-on behaviours. `Default` is the catalogue's defaults.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fidelity {
    on: u64,
}

impl Default for Fidelity {
    fn default() -> Self {
        Behaviour::ALL
            .iter()
            .filter(|behaviour| behaviour.default_on())
            .fold(Fidelity::none(), |set, behaviour| set.with(*behaviour))
    }
}

impl Fidelity {
    /// Every behaviour off: the emulator answers with what was written (plus the base rules:
    /// `_id`, timestamps, masks, PUT semantics).
    pub fn none() -> Fidelity {
        Fidelity { on: 0 }
    }

    /// Every behaviour on, including those off by default.
    pub fn all() -> Fidelity {
        Behaviour::ALL.iter().fold(Fidelity::none(), |set, behaviour| set.with(*behaviour))
    }

    /// Only `behaviour` on.
    pub fn only(behaviour: Behaviour) -> Fidelity {
        Fidelity::none().with(behaviour)
    }

    /// Whether `behaviour` is on.
    pub fn is_on(self, behaviour: Behaviour) -> bool {
        self.on & behaviour.bit() != 0
    }

    /// This set with `behaviour` on.
    #[must_use]
    pub fn with(self, behaviour: Behaviour) -> Fidelity {
        Fidelity { on: self.on | behaviour.bit() }
    }

    /// This set with `behaviour` off.
    #[must_use]
    pub fn without(self, behaviour: Behaviour) -> Fidelity {
        Fidelity { on: self.on & !behaviour.bit() }
    }

    /// This set with `behaviour` switched to `on`.
    #[must_use]
    pub fn set(self, behaviour: Behaviour, on: bool) -> Fidelity {
        if on { self.with(behaviour) } else { self.without(behaviour) }
    }

    /// The behaviours that are on, in catalogue order.
    pub fn enabled(self) -> impl Iterator<Item = Behaviour> {
        Behaviour::ALL.iter().copied().filter(move |behaviour| self.is_on(*behaviour))
    }
}

impl fmt::Debug for Fidelity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_set().entries(self.enabled().map(Behaviour::name)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        assert!(Behaviour::ALL.len() <= 64, "the set is a u64");
        for (index, behaviour) in Behaviour::ALL.iter().enumerate() {
            let name = behaviour.name();
            assert!(name.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'-'), "{name}");
            assert_eq!(Behaviour::from_name(name), Some(*behaviour));
            assert!(Behaviour::ALL[..index].iter().all(|other| other.name() != name));
            assert!(!behaviour.source().is_empty() && !behaviour.summary().is_empty());
        }
    }

    #[test]
    fn sets_switch_one_behaviour_at_a_time() {
        let defaults = Fidelity::default();
        assert!(defaults.is_on(Behaviour::RouterId));
        assert!(!defaults.is_on(Behaviour::PageGeneratorId));
        let without = defaults.without(Behaviour::RouterId);
        assert!(!without.is_on(Behaviour::RouterId));
        assert_eq!(without.with(Behaviour::RouterId), defaults);
        assert_eq!(Fidelity::all().enabled().count(), Behaviour::ALL.len());
        assert_eq!(Fidelity::none().enabled().count(), 0);
        assert_eq!(
            Fidelity::only(Behaviour::RouterId).enabled().collect::<Vec<_>>(),
            [Behaviour::RouterId]
        );
    }
}
