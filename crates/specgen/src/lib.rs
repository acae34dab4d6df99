//! A deterministic generator of large, realistic flowform specs, for benchmarks: N resources
//! spread as integrations, connections, scripts, exports, imports and flows, with the bodies a
//! real account holds (http connections with secret auth, webhook and http exports, imports
//! with mappings and hooks, scripts in `.js` files, scheduled flows with page generators and
//! processors, some routers, some `_runNextFlowIds`), and the kinds a real flow references in
//! the small numbers a real account has them: iClients (OAuth connections use them), file
//! definitions and EDI profiles (X12 file exports), lookup caches (import lookups), async
//! helpers (each with its export, the legal cycle), and flow groups by name.
//!
//! The same resources render two ways: as spec files ([`GeneratedSpec::spec_files`]) and as
//! the integrator.io documents an account would hold ([`GeneratedSpec::api_documents`]), so a
//! benchmark can load an emulator account and plan against the equivalent spec.
//!
//! [`GeneratedSpec::with_service_rewrites`] turns a spec into one whose values integrator.io
//! rewrites or completes (case, casts, clamps, defaults, generated ids, secrets it manages), for
//! the convergence tests of issue 13.
//!
//! This crate depends only on `flowform-model` (for [`Kind`]), so the benches and tests of every
//! crate above the model may use it; it does no IO and never prints; the same options always
//! give the same output.
#![warn(missing_docs)]

mod random;
mod rewrites;
mod yaml;

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::random::Random;

pub use flowform_model::Kind;

/// The prefix of generated keys of a kind: `exp` in `exp-0001`.
fn key_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Integration => "int",
        Kind::IClient => "app",
        Kind::FileDefinition => "fdef",
        Kind::EdiProfile => "edi",
        Kind::LookupCache => "cache",
        Kind::AsyncHelper => "poll",
        Kind::Connection => "conn",
        Kind::Script => "script",
        Kind::Export => "exp",
        Kind::Import => "imp",
        Kind::Flow => "flow",
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How many resources in all (at least 6, one of each kind).
    pub resources: usize,
    /// The seed: the same seed gives the same spec.
    pub seed: u64,
}

/// Too few resources to have one of each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooFewResources(pub usize);

impl std::fmt::Display for TooFewResources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resources are too few; at least 6 are needed, one of each kind", self.0)
    }
}

impl std::error::Error for TooFewResources {}

/// How many resources of each kind `total` resources give, kinds in [`Kind::ALL`] order: 1%
/// integrations, 4% connections, 5% scripts, 30% exports, 20% flows (10,000 resources give
/// 2,000 flows), at least one of each of these; a few of the referenced kinds, as an account
/// has them (none in a small spec): one lookup cache per 250 resources, one iClient, file
/// definition and async helper per 1,000, one EDI profile per 2,000; imports take the rest
/// (about 40%).
pub fn counts(total: usize) -> Result<[(Kind, usize); 11], TooFewResources> {
    if total < 6 {
        return Err(TooFewResources(total));
    }
    let share = |percent: usize| (total * percent / 100).max(1);
    let mut counts = [
        (Kind::Integration, share(1)),
        (Kind::IClient, total / 1000),
        (Kind::Connection, share(4)),
        (Kind::Script, share(5)),
        (Kind::FileDefinition, total / 1000),
        (Kind::EdiProfile, total / 2000),
        (Kind::LookupCache, total / 250),
        (Kind::Export, share(30)),
        (Kind::Import, share(40)),
        (Kind::AsyncHelper, total / 1000),
        (Kind::Flow, share(20)),
    ];
    const IMPORTS: usize = 8;
    // The referenced kinds come out of the imports' share.
    let referenced: usize = [1, 4, 5, 6, 9].iter().map(|index| counts[*index].1).sum();
    counts[IMPORTS].1 = counts[IMPORTS].1.saturating_sub(referenced).max(1);
    // Rounding leaves a few over or under: imports (the largest share) take the difference.
    let assigned: usize = counts.iter().map(|(_, count)| count).sum();
    if assigned < total {
        counts[IMPORTS].1 += total - assigned;
    } else {
        let mut excess = assigned - total;
        for index in [IMPORTS, 7, 10, 3, 2] {
            let take = excess.min(counts[index].1 - 1);
            counts[index].1 -= take;
            excess -= take;
        }
    }
    Ok(counts)
}

/// One generated resource. References inside `body` are `{"$ref": "KIND.KEY"}` and secrets
/// `{"$secret": "NAME"}`; the renderers turn them into `${…}` or ids and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The kind.
    pub kind: Kind,
    /// The spec key.
    pub key: String,
    /// Position among resources of the same kind (0-based).
    pub index: usize,
    /// The integration it belongs to (its index), which decides its spec directory.
    pub integration: usize,
    /// The body in the API's field names.
    pub body: Value,
    /// For scripts: the JavaScript source, written to a `.js` file beside the spec.
    pub content: Option<String>,
}

/// An integrator.io document for loading an account.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiDocument {
    /// The kind (its plural is the API collection).
    pub kind: Kind,
    /// The spec key the document corresponds to.
    pub key: String,
    /// The document's `_id`.
    pub id: String,
    /// The document, `_id` included, references as ids and secrets as values.
    pub document: Value,
}

/// A generated spec.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedSpec {
    /// The options it was generated from.
    pub options: Options,
    /// Every resource, kinds in creation order.
    pub resources: Vec<Resource>,
    /// The secrets the spec reads (environment variable name, fake value).
    pub secrets: Vec<(String, String)>,
}

/// The flow groups every generated integration declares (`flowGroups`); flows name one of them
/// (`flowGroup`), or none.
pub const FLOW_GROUPS: [&str; 2] = ["Scheduled", "Realtime"];

const SECRET_POOL: usize = 8;

fn reference(kind: Kind, key: &str) -> Value {
    json!({ "$ref": format!("{}.{key}", kind.singular()) })
}

fn secret(name: &str) -> Value {
    json!({ "$secret": name })
}

/// A kind that [`generate_exact`] needs at least one of was given none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoneOfKind(pub Kind);

impl std::fmt::Display for NoneOfKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at least one {} is needed (only scripts may be left out)", self.0.singular())
    }
}

impl std::error::Error for NoneOfKind {}

/// Generates a spec of `options.resources` resources, split as [`counts`] says.
pub fn generate(options: Options) -> Result<GeneratedSpec, TooFewResources> {
    let counts = counts(options.resources)?;
    Ok(generate_counts(&counts, options.seed))
}

/// Generates a spec with exactly `counts` resources of each kind (a kind left out counts zero),
/// for a benchmark that names its account's shape. Every kind but scripts needs at least one
/// resource; without scripts, imports have no hooks. With the counts [`counts`] gives for a
/// total, the spec is the one [`generate`] makes for that total.
pub fn generate_exact(counts: &[(Kind, usize)], seed: u64) -> Result<GeneratedSpec, NoneOfKind> {
    let exact = Kind::ALL.map(|kind| {
        (kind, counts.iter().filter(|(k, _)| *k == kind).map(|(_, count)| count).sum::<usize>())
    });
    if let Some((kind, _)) = exact.iter().find(|(kind, count)| *count == 0 && !optional(*kind)) {
        return Err(NoneOfKind(*kind));
    }
    Ok(generate_counts(&exact, seed))
}

/// Kinds [`generate_exact`] may leave out.
fn optional(kind: Kind) -> bool {
    !matches!(kind, Kind::Integration | Kind::Connection | Kind::Export | Kind::Import | Kind::Flow)
}

fn generate_counts(counts: &[(Kind, usize)], seed: u64) -> GeneratedSpec {
    let options = Options { resources: counts.iter().map(|(_, count)| count).sum(), seed };
    let count = |kind: Kind| counts.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n);
    let width = options.resources.to_string().len().max(4);
    let key = |kind: Kind, index: usize| format!("{}-{:0width$}", key_prefix(kind), index + 1);
    let mut random = Random::new(options.seed);
    let integrations = count(Kind::Integration);
    let mut resources = Vec::with_capacity(options.resources);
    let mut push = |kind: Kind, index: usize, body: Value, content: Option<String>| {
        resources.push(Resource {
            kind,
            key: key(kind, index),
            index,
            integration: index % integrations,
            body,
            content,
        });
    };

    for index in 0..integrations {
        push(
            Kind::Integration,
            index,
            json!({
                "name": format!("Integration {}", index + 1),
                "description": format!("Generated integration {} of {integrations}", index + 1),
                "settings": { "region": (["us", "eu", "apac"][index % 3]), "owner": format!("team-{}", index % 7) },
                "flowGroups": FLOW_GROUPS,
            }),
            None,
        );
    }

    let iclients = count(Kind::IClient);
    for index in 0..iclients {
        push(
            Kind::IClient,
            index,
            json!({
                "name": format!("OAuth app {}", index + 1),
                "provider": "custom_oauth2",
                "oauth2": {
                    "clientId": format!("specgen-app-{}", index + 1),
                    "clientSecret": secret(&format!("SPECGEN_ICLIENT_SECRET_{}", index % SECRET_POOL)),
                    "scope": ["records.read", "records.write"],
                },
            }),
            None,
        );
    }

    let connections = count(Kind::Connection);
    for index in 0..connections {
        let secret_name = format!("SPECGEN_API_TOKEN_{}", index % SECRET_POOL);
        // Every tenth connection signs in with OAuth through an iClient.
        let iclient =
            (iclients > 0 && index % 10 == 1).then(|| key(Kind::IClient, index % iclients));
        let auth = if iclient.is_some() {
            json!({ "type": "oauth", "oauth": { "type": "custom", "grantType": "clientcredentials", "tokenURI": format!("https://api{}.example.com/oauth/token", index + 1), "useIClientFields": true } })
        } else if index % 4 == 3 {
            json!({ "type": "basic", "basic": { "username": format!("svc-{index}"), "password": secret(&secret_name) } })
        } else {
            json!({ "type": "token", "token": { "token": secret(&secret_name), "location": "header", "headerName": "Authorization", "scheme": "Bearer" } })
        };
        let mut body = json!({
            "name": format!("API {} connection", index + 1),
            "type": "http",
            "http": {
                "baseURI": format!("https://api{}.example.com/v{}", index + 1, 1 + index % 3),
                "mediaType": "json",
                "concurrencyLevel": 1 + random.below(5),
                "ping": { "relativeURI": "/health", "method": "GET" },
                "auth": auth,
            },
        });
        if let Some(iclient) = iclient {
            body["http"]["_iClientId"] = reference(Kind::IClient, &iclient);
        }
        push(Kind::Connection, index, body, None);
    }

    let scripts = count(Kind::Script);
    for index in 0..scripts {
        let function = ["preSavePage", "preMap", "postMap", "postSubmit"][index % 4];
        let mut content = String::new();
        let _ = writeln!(content, "/* Generated hook {} (seed {}). */", index + 1, options.seed);
        let _ = writeln!(content, "function {function}(options) {{");
        let _ = writeln!(content, "  const factor = {};", 1 + random.below(9));
        let _ = writeln!(content, "  return (options.data || []).map((record) => {{");
        let _ = writeln!(content, "    record.score = (record.score || 0) * factor;");
        let _ = writeln!(content, "    record.tag = `gen-${{record.id || 'none'}}`;");
        let _ = writeln!(content, "    return record;");
        let _ = writeln!(content, "  }});");
        let _ = writeln!(content, "}}");
        push(
            Kind::Script,
            index,
            json!({
                "name": format!("Hook {}", index + 1),
                "description": format!("Generated {function} hook"),
                "contentFile": format!("scripts/{}.js", key(Kind::Script, index)),
            }),
            Some(content),
        );
    }

    let definitions = count(Kind::FileDefinition);
    for index in 0..definitions {
        push(
            Kind::FileDefinition,
            index,
            json!({
                "name": format!("X12 850 purchase order {}", index + 1),
                "version": "2",
                "format": "delimited/x12",
                "delimited": { "rowSuffix": "~", "colDelimiter": "*" },
                "rules": [],
            }),
            None,
        );
    }
    let profiles = count(Kind::EdiProfile);
    for index in 0..profiles {
        push(
            Kind::EdiProfile,
            index,
            json!({
                "name": format!("Trading partner {}", index + 1),
                "fileType": "edix12",
                "isa06": format!("PARTNER{:03}", index + 1),
            }),
            None,
        );
    }
    let caches = count(Kind::LookupCache);
    for index in 0..caches {
        push(
            Kind::LookupCache,
            index,
            json!({
                "name": format!("Item map {}", index + 1),
                "description": "Source item codes to target item ids",
                "_integrationId": reference(Kind::Integration, &key(Kind::Integration, index % integrations)),
            }),
            None,
        );
    }

    let exports = count(Kind::Export);
    let flows = count(Kind::Flow);
    // Exports split into page-generator sources (about one per flow) and lookups.
    let sources = flows.min(exports).max(1);
    let webhook_export = |index: usize| index < sources && index % 5 == 4;
    // Each async helper polls for the result of one http export, which names it back.
    let helpers = count(Kind::AsyncHelper);
    let helper_export = |helper: usize| {
        let index = (helper * 5) % exports;
        if webhook_export(index) { index - 1 } else { index }
    };
    for index in 0..exports {
        let connection = key(Kind::Connection, index % connections);
        let mut body = if webhook_export(index) {
            json!({
                "name": format!("Webhook {}", index + 1),
                "adaptorType": "WebhookExport",
                "webhook": {
                    "provider": "custom",
                    "verify": "token",
                    "token": secret(&format!("SPECGEN_WEBHOOK_TOKEN_{}", index % SECRET_POOL)),
                    "path": format!("/events/{}", index + 1),
                },
            })
        } else if index < sources {
            json!({
                "name": format!("Source {}", index + 1),
                "adaptorType": "HTTPExport",
                "_connectionId": reference(Kind::Connection, &connection),
                "type": "delta",
                "delta": { "dateField": "updated_at" },
                "pageSize": 20 * (1 + random.below(10)),
                "http": {
                    "method": "GET",
                    "relativeURI": format!("/records/{}?since={{{{lastExportDateTime}}}}", index + 1),
                    "response": { "resourcePath": "items" },
                    "paging": { "method": "linkheader" },
                },
            })
        } else {
            json!({
                "name": format!("Lookup {}", index + 1),
                "adaptorType": "HTTPExport",
                "_connectionId": reference(Kind::Connection, &connection),
                "isLookup": true,
                "http": {
                    "method": "GET",
                    "relativeURI": format!("/lookup/{}/{{{{data.id}}}}", index + 1),
                },
            })
        };
        // Every seventh source reads X12 files through a file definition (and an EDI profile).
        if definitions > 0 && index < sources && index % 7 == 2 && !webhook_export(index) {
            body["http"]["type"] = json!("file");
            if let Some(http) = body["http"].as_object_mut() {
                http.remove("response");
            }
            body["file"] = json!({ "type": "filedefinition", "fileDefinition": { "_fileDefinitionId": reference(Kind::FileDefinition, &key(Kind::FileDefinition, index % definitions)) } });
            if profiles > 0 {
                body["_ediProfileId"] =
                    reference(Kind::EdiProfile, &key(Kind::EdiProfile, index % profiles));
            }
        }
        if let Some(helper) = (0..helpers).find(|helper| helper_export(*helper) == index) {
            body["http"]["_asyncHelperId"] =
                reference(Kind::AsyncHelper, &key(Kind::AsyncHelper, helper));
        }
        push(Kind::Export, index, body, None);
    }

    let imports = count(Kind::Import);
    for index in 0..imports {
        let connection = key(Kind::Connection, (index * 7) % connections);
        let fields: Vec<Value> = (0..3 + random.below(4))
            .map(|field| json!({ "extract": format!("source_{field}"), "generate": format!("target_{field}") }))
            .collect();
        let mut body = json!({
            "name": format!("Destination {}", index + 1),
            "adaptorType": "HTTPImport",
            "_connectionId": reference(Kind::Connection, &connection),
            "http": {
                "method": ["POST"],
                "relativeURI": [format!("/ingest/{}", index + 1)],
                "requestMediaType": "json",
            },
            "mapping": { "fields": fields },
        });
        if index % 3 == 0 && scripts > 0 {
            body["hooks"] = json!({ "preMap": { "_scriptId": reference(Kind::Script, &key(Kind::Script, index % scripts)), "function": "preMap" } });
        }
        if caches > 0 && index % 6 == 1 {
            body["lookups"] = json!([{ "name": "item", "_lookupCacheId": reference(Kind::LookupCache, &key(Kind::LookupCache, index % caches)), "extract": "sku" }]);
        }
        push(Kind::Import, index, body, None);
    }

    for index in 0..helpers {
        let export = reference(Kind::Export, &key(Kind::Export, helper_export(index)));
        push(
            Kind::AsyncHelper,
            index,
            json!({
                "name": format!("Job status {}", index + 1),
                "http": {
                    "status": { "_exportId": export.clone(), "statusPath": "job.state", "doneValues": ["DONE"], "errorValues": ["FAILED"] },
                    "result": { "_exportId": export },
                },
            }),
            None,
        );
    }

    let lookups = exports - sources;
    for index in 0..flows {
        let integration = key(Kind::Integration, index % integrations);
        let source_index = index % sources;
        let webhook = webhook_export(source_index);
        let step_import = |offset: usize| json!({ "type": "import", "_importId": reference(Kind::Import, &key(Kind::Import, (2 * index + offset) % imports)) });
        let mut body = Map::new();
        body.insert("name".into(), json!(format!("Flow {}", index + 1)));
        body.insert("_integrationId".into(), reference(Kind::Integration, &integration));
        if index % 3 != 2 {
            body.insert("flowGroup".into(), json!(FLOW_GROUPS[usize::from(webhook)]));
        }
        body.insert("disabled".into(), json!(index % 9 == 0));
        if !webhook {
            body.insert(
                "schedule".into(),
                json!(format!("? {} */{} * * *", index % 60, 1 + index % 6)),
            );
            body.insert(
                "timezone".into(),
                json!(["UTC", "America/New_York", "Europe/Berlin"][index % 3]),
            );
        }
        body.insert(
            "pageGenerators".into(),
            json!([{ "_exportId": reference(Kind::Export, &key(Kind::Export, source_index)), "skipRetries": false }]),
        );
        if index % 10 == 3 {
            body.insert(
                "routers".into(),
                json!([
                    {
                        "id": "split",
                        "routeRecordsTo": "first_matching_branch",
                        "routeRecordsUsing": "input_filters",
                        "branches": [
                            { "name": "priority", "inputFilter": { "version": "1", "rules": ["equals", ["extract", "priority"], "high"] }, "pageProcessors": [step_import(0)], "nextRouterId": "finish" },
                            { "name": "rest", "pageProcessors": [step_import(1)], "nextRouterId": "finish" },
                        ],
                    },
                    { "id": "finish", "branches": [{ "name": "all", "pageProcessors": [] }] },
                ]),
            );
        } else {
            let mut steps = Vec::new();
            if lookups > 0 && index % 2 == 0 {
                steps.push(json!({
                    "type": "export",
                    "_exportId": reference(Kind::Export, &key(Kind::Export, sources + index % lookups)),
                    "responseMapping": { "fields": [{ "extract": "data[0].name", "generate": "lookupName" }] },
                }));
            }
            steps.push(step_import(0));
            steps.push(step_import(1));
            body.insert("pageProcessors".into(), Value::Array(steps));
        }
        if index % 20 == 7 && flows > 1 {
            body.insert(
                "_runNextFlowIds".into(),
                json!([reference(Kind::Flow, &key(Kind::Flow, (index + 1) % flows))]),
            );
        }
        push(Kind::Flow, index, Value::Object(body), None);
    }

    let mut secrets: Vec<(String, String)> = Vec::new();
    for index in 0..SECRET_POOL.min(connections) {
        secrets.push((
            format!("SPECGEN_API_TOKEN_{index}"),
            format!("specgen-api-token-{index}-{}", options.seed),
        ));
    }
    for index in 0..SECRET_POOL.min(iclients) {
        secrets.push((
            format!("SPECGEN_ICLIENT_SECRET_{index}"),
            format!("specgen-iclient-secret-{index}-{}", options.seed),
        ));
    }
    for index in 0..SECRET_POOL.min(sources) {
        let name = format!("SPECGEN_WEBHOOK_TOKEN_{index}");
        let used = resources
            .iter()
            .any(|resource| resource.body.to_string().contains(&format!("\"{name}\"")));
        if used {
            secrets.push((name, format!("specgen-webhook-token-{index}-{}", options.seed)));
        }
    }
    GeneratedSpec { options, resources, secrets }
}

impl GeneratedSpec {
    /// The spec as files, paths relative to the output directory: `integrations.yaml`, then per
    /// integration a directory with one file per kind and the scripts' `.js` files.
    pub fn spec_files(&self) -> Vec<(PathBuf, String)> {
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        let integrations = self.resources.iter().filter(|r| r.kind == Kind::Integration).count();
        let width = integrations.to_string().len().max(3);
        let directory =
            |integration: usize| PathBuf::from(format!("integration-{:0width$}", integration + 1));
        let mut header = String::from("# Generated by `cargo xtask gen-spec`; do not edit.\n");
        let _ =
            writeln!(header, "# {} resources, seed {}.", self.options.resources, self.options.seed);
        let mut top = header.clone();
        yaml::section(
            &mut top,
            "integrations",
            self.resources.iter().filter(|r| r.kind == Kind::Integration),
        );
        files.push((PathBuf::from("integrations.yaml"), top));
        for integration in 0..integrations {
            for kind in &Kind::ALL[1..] {
                let members: Vec<&Resource> = self
                    .resources
                    .iter()
                    .filter(|r| r.kind == *kind && r.integration == integration)
                    .collect();
                if members.is_empty() {
                    continue;
                }
                let mut text = header.clone();
                yaml::section(&mut text, kind.plural(), members.iter().copied());
                files.push((directory(integration).join(format!("{}.yaml", kind.plural())), text));
                for script in members.iter().filter(|r| r.content.is_some()) {
                    files.push((
                        directory(integration).join(format!("scripts/{}.js", script.key)),
                        script.content.clone().unwrap_or_default(),
                    ));
                }
            }
        }
        files
    }

    /// `export NAME=value` lines for the secrets, for a shell to source before a benchmark.
    pub fn secrets_env(&self) -> String {
        self.secrets.iter().map(|(name, value)| format!("export {name}={value}\n")).collect()
    }

    /// The id a resource gets in [`GeneratedSpec::api_documents`]: 24 hex digits, unique per
    /// kind and index, stable for a seed.
    pub fn id_of(&self, kind: Kind, index: usize) -> String {
        let kind_number = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u64;
        let mut random = Random::new(self.options.seed ^ (kind_number << 56) ^ index as u64);
        format!("{:08x}{:016x}", (kind_number << 24) | (index as u64 & 0xFF_FFFF), random.next())
    }

    /// The `_id` of flow group `group` (an index of [`FLOW_GROUPS`]) of integration
    /// `integration` in [`GeneratedSpec::api_documents`].
    pub fn flow_group_id(&self, integration: usize, group: usize) -> String {
        let mut random = Random::new(self.options.seed ^ 0x6772_6f75_7000 ^ integration as u64);
        format!(
            "{:08x}{:016x}",
            0xf000_0000 | ((integration as u64 & 0xFF_FFFF) << 4) | group as u64,
            random.next()
        )
    }

    /// The integrator.io documents an account holding this spec would have: references
    /// replaced by ids, secrets by their values, script content inline, flow groups by id
    /// (`flowGroupings` of integrations, `_flowGroupingId` of flows).
    pub fn api_documents(&self) -> Vec<ApiDocument> {
        let id_by_address: std::collections::HashMap<String, String> = self
            .resources
            .iter()
            .map(|r| (format!("{}.{}", r.kind.singular(), r.key), self.id_of(r.kind, r.index)))
            .collect();
        let secrets: std::collections::HashMap<&str, &str> =
            self.secrets.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        self.resources
            .iter()
            .map(|resource| {
                let id = self.id_of(resource.kind, resource.index);
                let mut document = resolve(&resource.body, &id_by_address, &secrets);
                if let Value::Object(object) = &mut document {
                    if let Some(content) = &resource.content {
                        object.remove("contentFile");
                        object.insert("content".into(), Value::String(content.clone()));
                    }
                    if let Some(Value::Array(names)) = object.remove("flowGroups") {
                        let groups: Vec<Value> = names
                            .iter()
                            .enumerate()
                            .map(|(group, name)| json!({ "_id": self.flow_group_id(resource.index, group), "name": name }))
                            .collect();
                        object.insert("flowGroupings".into(), Value::Array(groups));
                    }
                    if let Some(Value::String(name)) = object.remove("flowGroup") {
                        let group = FLOW_GROUPS.iter().position(|known| *known == name).unwrap_or(0);
                        object.insert("_flowGroupingId".into(), Value::String(self.flow_group_id(resource.integration, group)));
                    }
                    object.insert("_id".into(), Value::String(id.clone()));
                }
                ApiDocument { kind: resource.kind, key: resource.key.clone(), id, document }
            })
            .collect()
    }
}

/// Replaces `{"$ref": …}` with ids and `{"$secret": …}` with values.
fn resolve(
    value: &Value,
    ids: &std::collections::HashMap<String, String>,
    secrets: &std::collections::HashMap<&str, &str>,
) -> Value {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(address)) = object.get("$ref") {
                return Value::String(ids.get(address).cloned().unwrap_or_default());
            }
            if let Some(Value::String(name)) = object.get("$secret") {
                return Value::String(
                    secrets.get(name.as_str()).map(|v| (*v).to_owned()).unwrap_or_default(),
                );
            }
            Value::Object(
                object.iter().map(|(k, v)| (k.clone(), resolve(v, ids, secrets))).collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| resolve(item, ids, secrets)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up() {
        let ten_thousand = counts(10_000).unwrap();
        assert_eq!(ten_thousand.map(|(kind, _)| kind), Kind::ALL);
        assert_eq!(
            ten_thousand.map(|(_, n)| n),
            [100, 10, 400, 500, 10, 5, 40, 3000, 3925, 10, 2000]
        );
        for total in [6, 7, 10, 33, 99, 101, 1234, 5000] {
            let split = counts(total).unwrap();
            assert_eq!(split.iter().map(|(_, n)| n).sum::<usize>(), total, "{total}");
            assert!(split.iter().all(|(kind, n)| *n >= 1 || optional(*kind)), "{total}: {split:?}");
        }
        // The referenced kinds appear from a realistic size on.
        assert!(counts(2000).unwrap().iter().all(|(_, n)| *n >= 1));
        assert!(counts(5).is_err());
    }

    #[test]
    fn deterministic_for_a_seed() {
        let options = Options { resources: 60, seed: 7 };
        assert_eq!(generate(options).unwrap(), generate(options).unwrap());
        assert_ne!(
            generate(options).unwrap().spec_files(),
            generate(Options { seed: 8, ..options }).unwrap().spec_files()
        );
    }

    #[test]
    fn exact_counts() {
        let shape = [
            (Kind::Integration, 2),
            (Kind::Connection, 3),
            (Kind::Export, 10),
            (Kind::Import, 10),
            (Kind::Flow, 10),
        ];
        let spec = generate_exact(&shape, 3).unwrap();
        for (kind, count) in shape {
            assert_eq!(spec.resources.iter().filter(|r| r.kind == kind).count(), count);
        }
        assert!(spec.resources.iter().all(|r| r.kind != Kind::Script));
        assert!(!spec.resources.iter().any(|r| r.body.to_string().contains("script.")));
        assert_eq!(spec.options.resources, 35);
        assert_eq!(generate_exact(&shape[1..], 3), Err(NoneOfKind(Kind::Integration)));
        // The split `counts` gives reproduces `generate`.
        let options = Options { resources: 120, seed: 5 };
        assert_eq!(generate_exact(&counts(120).unwrap(), 5).unwrap(), generate(options).unwrap());
    }

    #[test]
    fn documents_resolve_references_and_secrets() {
        let spec = generate(Options { resources: 50, seed: 1 }).unwrap();
        let documents = spec.api_documents();
        assert_eq!(documents.len(), 50);
        let ids: std::collections::HashSet<&str> =
            documents.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.len(), 50, "ids are unique");
        assert!(ids.iter().all(|id| id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())));
        for document in &documents {
            let text = document.document.to_string();
            assert!(!text.contains("$ref") && !text.contains("$secret"), "{text}");
        }
        let flow = documents.iter().find(|d| d.kind == Kind::Flow).unwrap();
        assert!(ids.contains(flow.document["_integrationId"].as_str().unwrap()));
    }
}
