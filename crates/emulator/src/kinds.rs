//! The resource collections and the per-kind rules taken from the API reference: fields the
//! server owns (§5.1), secret paths (§5.3), PATCH whitelists (§5.6, §6.3) and reference fields
//! (§5.10). Besides the six kinds flowform managed first, the kinds a real flow references
//! (§5.9): iClients, lookup caches, file definitions, EDI profiles, async helpers, on-premise
//! agents and stacks.

use std::fmt;

/// A resource collection of the API (`/v1/<collection>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// `/v1/integrations`
    Integrations,
    /// `/v1/connections`
    Connections,
    /// `/v1/exports`
    Exports,
    /// `/v1/imports`
    Imports,
    /// `/v1/scripts`
    Scripts,
    /// `/v1/flows`
    Flows,
    /// `/v1/iclients`: OAuth and token apps a connection borrows credentials from (§5.3, §5.9).
    IClients,
    /// `/v1/lookupcaches`: key-value stores; their data lives beside the document (§5.8).
    LookupCaches,
    /// `/v1/filedefinitions`: parsing and generation rules of structured files (EDI).
    FileDefinitions,
    /// `/v1/ediprofiles`: interchange envelopes of a trading partner.
    EdiProfiles,
    /// `/v1/asynchelpers`: polling configurations of asynchronous HTTP exports and imports.
    AsyncHelpers,
    /// `/v1/agents`: on-premise agents.
    Agents,
    /// `/v1/stacks`: hook servers and Lambda functions.
    Stacks,
}

impl ResourceKind {
    /// Every kind, in the order resources of a kind may reference the kinds before it (mostly:
    /// the official CLI's creation tiers of §5.10, with integrations first because connections
    /// and lookup caches may name one).
    pub const ALL: [ResourceKind; 13] = [
        ResourceKind::Integrations,
        ResourceKind::IClients,
        ResourceKind::Stacks,
        ResourceKind::Agents,
        ResourceKind::Scripts,
        ResourceKind::Connections,
        ResourceKind::FileDefinitions,
        ResourceKind::EdiProfiles,
        ResourceKind::LookupCaches,
        ResourceKind::Exports,
        ResourceKind::Imports,
        ResourceKind::AsyncHelpers,
        ResourceKind::Flows,
    ];

    /// The number of kinds.
    pub(crate) const COUNT: usize = 13;

    /// The collection name used in URLs and fixtures, e.g. `flows`.
    pub fn collection(self) -> &'static str {
        match self {
            ResourceKind::Integrations => "integrations",
            ResourceKind::Connections => "connections",
            ResourceKind::Exports => "exports",
            ResourceKind::Imports => "imports",
            ResourceKind::Scripts => "scripts",
            ResourceKind::Flows => "flows",
            ResourceKind::IClients => "iclients",
            ResourceKind::LookupCaches => "lookupcaches",
            ResourceKind::FileDefinitions => "filedefinitions",
            ResourceKind::EdiProfiles => "ediprofiles",
            ResourceKind::AsyncHelpers => "asynchelpers",
            ResourceKind::Agents => "agents",
            ResourceKind::Stacks => "stacks",
        }
    }

    /// The kind whose collection name is `name`.
    pub fn from_collection(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.collection() == name)
    }

    /// The model name used in clone manifests and recycle-bin entries, e.g. `Flow`.
    pub fn model(self) -> &'static str {
        match self {
            ResourceKind::Integrations => "Integration",
            ResourceKind::Connections => "Connection",
            ResourceKind::Exports => "Export",
            ResourceKind::Imports => "Import",
            ResourceKind::Scripts => "Script",
            ResourceKind::Flows => "Flow",
            ResourceKind::IClients => "iClient",
            ResourceKind::LookupCaches => "LookupCache",
            ResourceKind::FileDefinitions => "FileDefinition",
            ResourceKind::EdiProfiles => "EDIProfile",
            ResourceKind::AsyncHelpers => "AsyncHelper",
            ResourceKind::Agents => "Agent",
            ResourceKind::Stacks => "Stack",
        }
    }

    /// Singular lowercase name for messages, e.g. `flow`.
    pub(crate) fn singular(self) -> &'static str {
        match self {
            ResourceKind::Integrations => "integration",
            ResourceKind::Connections => "connection",
            ResourceKind::Exports => "export",
            ResourceKind::Imports => "import",
            ResourceKind::Scripts => "script",
            ResourceKind::Flows => "flow",
            ResourceKind::IClients => "iClient",
            ResourceKind::LookupCaches => "lookup cache",
            ResourceKind::FileDefinitions => "file definition",
            ResourceKind::EdiProfiles => "EDI profile",
            ResourceKind::AsyncHelpers => "async helper",
            ResourceKind::Agents => "agent",
            ResourceKind::Stacks => "stack",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Dotted paths the server owns: stripped from POST and PUT input and carried over from the
    /// stored document on PUT. `debugUntil`-like fields are here because they are settable only
    /// through PATCH.
    pub(crate) fn server_owned(self) -> &'static [&'static str] {
        match self {
            ResourceKind::Integrations => &[
                "_registeredConnectionIds",
                "_registeredLookupCacheIds",
                "mode",
                "updateInProgress",
            ],
            ResourceKind::Connections => &[
                "offline",
                "queueSize",
                "queues",
                "needsAuthorization",
                "debugDate",
                "debugUntil",
                "netsuite.suiteAppInstalled",
                "salesforce.info",
            ],
            ResourceKind::Exports => &[
                "apiIdentifier",
                "asynchronous",
                "__linkedLookupCacheIds",
                "sandbox",
                "debugUntil",
            ],
            ResourceKind::Imports => &["apiIdentifier", "sandbox", "debugUntil"],
            ResourceKind::Scripts => &["debugUntil", "sandbox"],
            // API reference §5.1 and 5.8; configuring-lookup-caches/schemas/response.yml:19-61
            // (`_userId`, `size`, `sizeInMB`, `sandbox` readOnly). `size`/`sizeInMB` follow the
            // cache's data (lookup_data.rs).
            ResourceKind::LookupCaches => &["_userId", "size", "sizeInMB", "sandbox"],
            // The agent process reports these (the UI's agents mock in singh-gurkawalbir/demo
            // `src/test/api/routes/agents.js`; the official CLI's volatile list, §5.1).
            ResourceKind::Agents => &["lastHeartbeatAt", "online", "offline", "version"],
            ResourceKind::IClients
            | ResourceKind::FileDefinitions
            | ResourceKind::EdiProfiles
            | ResourceKind::AsyncHelpers
            | ResourceKind::Stacks => &[],
            ResourceKind::Flows => &[
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

    /// Dotted paths whose stored value is returned masked (API reference §5.3, plus the paths
    /// real documents show masked, service-behaviours.md §3).
    pub fn secret_paths(self) -> &'static [&'static str] {
        match self {
            ResourceKind::Connections => CONNECTION_SECRET_PATHS,
            // `distributed.bearerToken`: a NetSuite real-time export (service-behaviours.md §3).
            ResourceKind::Exports => {
                &["webhook.key", "webhook.token", "webhook.password", "distributed.bearerToken"]
            }
            ResourceKind::IClients => ICLIENT_SECRET_PATHS,
            // Shown as `******` in the UI's stacks mock (singh-gurkawalbir/demo
            // `src/test/api/routes/stacks.js`).
            ResourceKind::Stacks => &["server.systemToken", "lambda.secretAccessKey"],
            _ => &[],
        }
    }

    /// Dotted paths of objects whose every value is a secret, masked one by one (the object
    /// keeps its keys): an iClient's `oauth2.encrypted` ("values are masked",
    /// configuring-connections/iclient-schemas/base.yml:410-414).
    pub fn secret_value_objects(self) -> &'static [&'static str] {
        match self {
            ResourceKind::IClients => &["oauth2.encrypted"],
            _ => &[],
        }
    }

    /// JSON-pointer patterns PATCH accepts (`*` matches one array index). A path is accepted when
    /// a pattern is a prefix of it.
    pub(crate) fn patch_whitelist(self) -> &'static [&'static str] {
        match self {
            ResourceKind::Flows => &[
                "/name",
                "/description",
                "/schedule",
                "/timezone",
                "/disabled",
                "/runPageGeneratorsInParallel",
                "/pageGenerators/*/schedule",
                "/pageGenerators/*/skipRetries",
                "/routers/*/name",
                "/routers/*/branches/*/name",
                "/routers/*/branches/*/description",
                "/aliases",
                "/aiDescription",
                "/logging/debugUntil",
                "/logging/mode",
            ],
            ResourceKind::Scripts => &["/debugUntil"],
            ResourceKind::Imports => &["/debugUntil"],
            ResourceKind::Exports => &["/assistantMetadata", "/debugUntil"],
            ResourceKind::Connections => &["/name", "/debugDate", "/debugUntil"],
            ResourceKind::Integrations => &["/apiGroupings", "/flowGroupings", "/settings"],
            // §6.3: the official CLI's PATCH whitelists.
            ResourceKind::LookupCaches => &["/name", "/description"],
            ResourceKind::IClients => &["/oauth2/failPath"],
            // No whitelist is documented: every PATCH path is refused.
            ResourceKind::FileDefinitions
            | ResourceKind::EdiProfiles
            | ResourceKind::AsyncHelpers
            | ResourceKind::Agents
            | ResourceKind::Stacks => &[],
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.collection())
    }
}

/// Fields present on every resource that the server owns.
pub(crate) const COMMON_SERVER_OWNED: &[&str] = &[
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

const CONNECTION_SECRET_PATHS: &[&str] = &[
    "http.auth.basic.password",
    "http.auth.token.token",
    "http.auth.token.refreshToken",
    "http.clientCertificates.key",
    "http.clientCertificates.passphrase",
    "http.clientCertificates.pfx",
    "http.encrypted",
    "http.auth.oauth.clientSecret",
    "http.auth.oauth.password",
    "http.auth.oauth.pkceCodeVerifier",
    "http.auth.oauth.oauth1.accessToken",
    "http.auth.oauth.oauth1.consumerSecret",
    "http.auth.oauth.oauth1.consumerPrivateKey",
    "http.auth.oauth.oauth1.tokenSecret",
    "http.auth.jwt.secret",
    "http.auth.jwt.privateKey",
    "http.auth.jwt.token",
    "rest.bearerToken",
    "rest.refreshToken",
    "rest.basicAuth.password",
    // Shown masked as one value in singh-gurkawalbir/demo (service-behaviours.md §2, §3).
    "rest.encrypted",
    "rest.cookieAuth.body",
    "netsuite.password",
    "netsuite.tokenId",
    "netsuite.tokenSecret",
    "salesforce.bearerToken",
    "salesforce.refreshToken",
    "ftp.password",
    "ftp.authKey",
    "ftp.pgpEncryptKey",
    "ftp.pgpDecryptKey",
    "ftp.pgpPassphrase",
    "s3.secretAccessKey",
    "dynamodb.aws.secretAccessKey",
    "rdbms.password",
    "rdbms.key",
    "rdbms.passphrase",
    "rdbms.bigquery.privateKey",
    "rdbms.redshift.aws.secretAccessKey",
    "rdbms.ssl.ca",
    "rdbms.ssl.cert",
    "rdbms.ssl.key",
    "rdbms.ssl.passphrase",
    "jdbc.password",
    "jdbc.wallet",
    "mongodb.password",
    "as2.encrypted.userPrivateKey",
    "as2.partnerStationInfo.auth.basic.password",
    "as2.partnerStationInfo.auth.token.token",
    "as2.partnerStationInfo.auth.token.refreshToken",
    "mcp.encrypted",
    "mcp.http.auth.oauth.clientSecret",
    "mcp.http.auth.oauth.password",
    "mcp.http.auth.oauth.pkceCodeVerifier",
    "mcp.http.auth.oauth.oauth1.accessToken",
    "mcp.http.auth.oauth.oauth1.consumerSecret",
    "mcp.http.auth.oauth.oauth1.consumerPrivateKey",
    "mcp.http.auth.oauth.oauth1.tokenSecret",
    "rest.oauth.clientSecret",
    "rest.oauth.password",
    "rest.oauth.pkceCodeVerifier",
    "rest.oauth.oauth1.accessToken",
    "rest.oauth.oauth1.consumerSecret",
    "rest.oauth.oauth1.consumerPrivateKey",
    "rest.oauth.oauth1.tokenSecret",
    "mcp.http.auth.token.token",
    "mcp.http.auth.token.refreshToken",
    "ssl.ca",
    "ssl.cert",
    "ssl.key",
    "ssl.passphrase",
];

/// iClient secrets: every field configuring-connections/iclient-schemas/base.yml says is
/// "returned masked as `******`" (API reference §5.3), plus `salesforce.apiToken`, which
/// iclient-schemas/salesforce.yml:255 says is stored encrypted (base.yml does not mark it).
const ICLIENT_SECRET_PATHS: &[&str] = &[
    "oauth2.clientSecret",
    "oauth2.password",
    "netsuite.consumerKey",
    "netsuite.consumerSecret",
    "salesforce.clientSecret",
    "salesforce.privateKey",
    "salesforce.apiToken",
    "ebay.certId",
    "amazonmws.secretKey",
    "azureserviceprincipal.clientSecret",
    "jwt.privateKey",
    "jwt.secret",
    "jwt.token",
];

/// What an `_…Id` field points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefTarget {
    /// One of the collections the emulator holds.
    Modelled(ResourceKind),
    /// A collection the emulator does not hold (tools, HTTP connectors, users…): only the id's
    /// shape is checked.
    Unmodelled,
}

/// Subtrees never scanned for references: sample data and free-form settings (§5.10).
pub(crate) const UNSCANNED_SUBTREES: &[&str] =
    &["mockOutput", "mockResponse", "sampleData", "sampleResponseData", "settings", "settingsForm"];

/// The target of a reference field, or `None` when the key is not a reference.
pub(crate) fn reference_target(key: &str) -> Option<RefTarget> {
    let modelled = match key {
        "_integrationId" | "_integrationIds" => Some(ResourceKind::Integrations),
        "_connectionId"
        | "_connectionIds"
        | "_borrowConcurrencyFromConnectionId"
        | "_registeredConnectionIds" => Some(ResourceKind::Connections),
        "_exportId" | "_exportIds" | "_keepDeltaBehindExportId" => Some(ResourceKind::Exports),
        "_importId" | "_importIds" => Some(ResourceKind::Imports),
        "_flowId"
        | "_flowIds"
        | "_keepDeltaBehindFlowId"
        | "_abstractFlowId"
        | "_runNextFlowIds" => Some(ResourceKind::Flows),
        "_scriptId" | "_scriptIds" => Some(ResourceKind::Scripts),
        // Connections' `<transport>._iClientId` (§5.3).
        "_iClientId" => Some(ResourceKind::IClients),
        // Import and export `lookups[]._lookupCacheId`, Transformation 2.0 lookups, aliases (§5.2,
        // §5.8); integrations' `_registeredLookupCacheIds` is server-owned.
        "_lookupCacheId" | "_lookupCacheIds" | "_registeredLookupCacheIds" => {
            Some(ResourceKind::LookupCaches)
        }
        // `file.fileDefinition._fileDefinitionId` on exports and imports (§5.4).
        "_fileDefinitionId" => Some(ResourceKind::FileDefinitions),
        "_ediProfileId" => Some(ResourceKind::EdiProfiles),
        // `http._asyncHelperId` on exports and imports (§5.4, §5.5).
        "_asyncHelperId" => Some(ResourceKind::AsyncHelpers),
        // Connections' `_agentId` (§5.3).
        "_agentId" => Some(ResourceKind::Agents),
        // Stack-based hooks and wrapper connections (§5.7).
        "_stackId" => Some(ResourceKind::Stacks),
        // An export that listens to the parsed records of another (§5.4).
        "_postParseListenerId" => Some(ResourceKind::Exports),
        _ => None,
    };
    if let Some(kind) = modelled {
        return Some(RefTarget::Modelled(kind));
    }
    // Lineage and ownership ids point outside the account's editable resources, and flow groups
    // are sub-documents of an integration (checked separately).
    const NOT_REFERENCES: &[&str] = &[
        "_sourceId",
        "_templateId",
        "_connectorId",
        "_flowGroupingId",
        "_userId",
        "_byUserId",
        "_envId",
    ];
    let looks_like_reference = key.len() > 3
        && key.starts_with('_')
        && !key.starts_with("__")
        && (key.ends_with("Id") || key.ends_with("Ids"));
    (looks_like_reference && !NOT_REFERENCES.contains(&key)).then_some(RefTarget::Unmodelled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResourceKind::*;

    fn position(kind: ResourceKind) -> usize {
        ResourceKind::ALL.iter().position(|candidate| *candidate == kind).expect("listed")
    }

    fn target(key: &str) -> ResourceKind {
        match reference_target(key) {
            Some(RefTarget::Modelled(kind)) => kind,
            other => panic!("`{key}` is not a modelled reference: {other:?}"),
        }
    }

    /// `ALL` is a creation order consistent with the official CLI's tiers (API reference
    /// §5.10): every reference a kind makes points at an earlier kind, except the back-edges
    /// the CLI repairs with a second PUT and the containment `_integrationId`, which is why
    /// integrations come first here.
    #[test]
    fn references_point_at_earlier_kinds_except_the_documented_back_edges() {
        let forward = [
            (Connections, "_iClientId"),
            (Connections, "_agentId"),
            (Connections, "_integrationId"),
            (LookupCaches, "_integrationId"),
            (Exports, "_connectionId"),
            (Exports, "_scriptId"),
            (Exports, "_stackId"),
            (Exports, "_fileDefinitionId"),
            (Exports, "_ediProfileId"),
            (Exports, "_lookupCacheId"),
            (Imports, "_connectionId"),
            (Imports, "_lookupCacheId"),
            (Imports, "_fileDefinitionId"),
            (Imports, "_ediProfileId"),
            (AsyncHelpers, "_exportId"),
            (Flows, "_integrationId"),
            (Flows, "_exportId"),
            (Flows, "_importId"),
            (Flows, "_scriptId"),
        ];
        for (source, key) in forward {
            assert!(position(target(key)) < position(source), "{source} `{key}`");
        }
        // export → async helper, import → async helper (§5.10); flow chains and integration
        // aliases name flows; an export's `_postParseListenerId` names another export.
        let back = [
            (Exports, "_asyncHelperId"),
            (Imports, "_asyncHelperId"),
            (Flows, "_runNextFlowIds"),
            (Integrations, "_flowId"),
            (Exports, "_postParseListenerId"),
        ];
        for (source, key) in back {
            assert!(position(target(key)) >= position(source), "{source} `{key}` is a back-edge");
        }
    }
}
