//! The JSON Schema of a spec file, for editors (`# yaml-language-server: $schema=…`).
//!
//! The types here exist only to describe the language: nothing is deserialised through them
//! (the loader works on its own spanned tree). Bodies list the known top-level fields of each
//! kind for completion and accept any other field, as the API does. Values are not typed,
//! since any of them may be a `${…}` placeholder.

#![allow(dead_code, reason = "these types only describe the schema; their fields are never read")]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use flowform_model::Kind;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::known_fields::known_fields;

/// The pattern every resource key matches.
pub const KEY_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,62}$";

/// The pattern of an address, `KIND.KEY`.
const ADDRESS_PATTERN: &str = "^(integration|iclient|connection|script|filedefinition|ediprofile|lookupcache|export|import|asynchelper|flow)\\.[a-z0-9][a-z0-9_-]{0,62}$";

/// A flowform spec file: sections of resources keyed by a stable key, plus variables and
/// renames. Resource bodies are integrator.io documents with the API's own field names;
/// `${KIND.KEY}` refers to another resource, `${data.KIND.KEY}` to what a `data:` lookup finds,
/// `${var.NAME}`, `${env.NAME}`, `${env.NAME:-default}` and `${secret.NAME}` are substituted,
/// `$${` writes a literal `${`.
#[derive(JsonSchema)]
#[schemars(title = "flowform spec file", deny_unknown_fields)]
struct SpecFile {
    /// Variable defaults, used as `${var.NAME}`. An environment file (`--env NAME`) and
    /// `--var NAME=VALUE` override them, in that order. A value may use `${env.NAME}`.
    variables: Option<BTreeMap<String, serde_json::Value>>,
    /// Integrations (`/v1/integrations`), referred to as `${integration.KEY}`.
    integrations: Option<Section<IntegrationBody>>,
    /// iClients (`/v1/iclients`), referred to as `${iclient.KEY}`.
    iclients: Option<Section<IClientBody>>,
    /// Connections (`/v1/connections`), referred to as `${connection.KEY}`.
    connections: Option<Section<ConnectionBody>>,
    /// File definitions (`/v1/filedefinitions`), referred to as `${filedefinition.KEY}`.
    filedefinitions: Option<Section<FileDefinitionBody>>,
    /// EDI profiles (`/v1/ediprofiles`), referred to as `${ediprofile.KEY}`.
    ediprofiles: Option<Section<EdiProfileBody>>,
    /// Lookup caches (`/v1/lookupcaches`), referred to as `${lookupcache.KEY}`.
    lookupcaches: Option<Section<LookupCacheBody>>,
    /// Async helpers (`/v1/asynchelpers`), referred to as `${asynchelper.KEY}`.
    asynchelpers: Option<Section<AsyncHelperBody>>,
    /// Exports (`/v1/exports`), referred to as `${export.KEY}`.
    exports: Option<Section<ExportBody>>,
    /// Imports (`/v1/imports`), referred to as `${import.KEY}`.
    imports: Option<Section<ImportBody>>,
    /// Scripts (`/v1/scripts`), referred to as `${script.KEY}`.
    scripts: Option<Section<ScriptBody>>,
    /// Flows (`/v1/flows`), referred to as `${flow.KEY}`.
    flows: Option<Section<FlowBody>>,
    /// Renames: the resource once at `from` is now at `to`, and keeps its live resource.
    moved: Option<Vec<MovedEntry>>,
    /// Resources the spec finds in the account instead of managing: a collection (`agents`,
    /// `stacks`, or any kind flowform manages) to keys, each the fields a live resource must
    /// hold (`warehouse: {name: ${var.agent}}`); `${data.agent.warehouse}` is its `_id`.
    data: Option<DataSection>,
}

/// The `data:` section.
struct DataSection;

impl JsonSchema for DataSection {
    fn schema_name() -> Cow<'static, str> {
        "DataSection".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut properties = serde_json::Map::new();
        for kind in flowform_model::LookupKind::all() {
            properties.insert(
                kind.plural().to_owned(),
                serde_json::json!({
                    "type": ["object", "null"],
                    "description": format!(
                        "{} found by their fields; `${{data.{}.KEY}}` is the `_id` of the one found",
                        kind.plural(),
                        kind.singular()
                    ),
                    "propertyNames": { "pattern": KEY_PATTERN },
                    "additionalProperties": {
                        "type": "object",
                        "minProperties": 1,
                        "description": "top-level fields and the values the resource holds, such as `name: Warehouse`",
                        "additionalProperties": { "type": ["string", "number", "boolean"] }
                    }
                }),
            );
        }
        json_schema!({
            "type": ["object", "null"],
            "properties": properties,
            "additionalProperties": false,
        })
    }
}

/// A rename.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct MovedEntry {
    /// The old address, such as `flow.old-key`.
    #[schemars(regex(pattern = ADDRESS_PATTERN))]
    from: String,
    /// The new address, such as `flow.new-key`.
    #[schemars(regex(pattern = ADDRESS_PATTERN))]
    to: String,
}

/// flowform's own directives for a resource; never sent to the API.
#[derive(JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
struct Lifecycle {
    /// When the resource does not exist yet, create it by cloning this one (`${KIND.KEY}` of
    /// the same kind, or a 24-hex id). For flows, exports, imports and integrations.
    clone_from: Option<String>,
    /// Sent with the clone: source connection to target connection, each `${connection.KEY}`
    /// or a 24-hex id (quote references used as keys).
    connection_map: Option<BTreeMap<String, String>>,
    /// Any plan that would delete this resource fails.
    prevent_destroy: Option<bool>,
    /// Dotted paths (`schedule`, `pageGenerators[0].skipRetries`) whose live value is never
    /// diffed or written.
    ignore_changes: Option<Vec<String>>,
    /// When not in state, adopt a live resource of the same kind and name instead of creating
    /// one.
    adopt: Option<bool>,
}

/// A section: resource key to body.
struct Section<B>(PhantomData<B>);

impl<B: JsonSchema> JsonSchema for Section<B> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Section", B::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let body = generator.subschema_for::<B>();
        json_schema!({
            "type": "object",
            "propertyNames": { "pattern": KEY_PATTERN },
            "additionalProperties": body,
        })
    }
}

/// A resource body: the known fields of the kind, any other field, and `lifecycle`.
fn body_schema(kind: Kind, generator: &mut SchemaGenerator) -> Schema {
    let mut properties = serde_json::Map::new();
    for field in known_fields(kind) {
        let description =
            match flowform_model::fields::reference_target(&flowform_model::FieldPath::from_keys([
                *field,
            ])) {
                Some(flowform_model::fields::RefTarget::Managed(target)) => format!(
                    "integrator.io field: a reference `${{{}.KEY}}` or a 24-hex id",
                    target.singular()
                ),
                _ => match (kind, *field) {
                    (Kind::Flow, "schedule") => {
                        "integrator.io field: Celigo's 6-field cron with a \
                                             leading `?`, such as `? 0 2 * * *`; needs `timezone`"
                            .to_owned()
                    }
                    _ => "integrator.io field".to_owned(),
                },
            };
        properties.insert((*field).to_owned(), serde_json::json!({ "description": description }));
    }
    let lifecycle = generator.subschema_for::<Lifecycle>();
    properties.insert("lifecycle".to_owned(), lifecycle.to_value());
    match kind {
        Kind::Integration => {
            properties.insert(
                "flowGroups".to_owned(),
                serde_json::json!({
                    "type": "array",
                    "description": "the integration's flow groups, by name, in order: a name, or \
                                    `{name: NEW, renamedFrom: OLD}` to rename one and keep its \
                                    flows (written as `flowGroupings`; the ids are the service's)",
                    "items": {
                        "anyOf": [
                            { "type": "string" },
                            {
                                "type": "object",
                                "properties": {
                                    "name": { "type": "string" },
                                    "renamedFrom": { "type": "string" }
                                },
                                "required": ["name"],
                                "additionalProperties": false
                            }
                        ]
                    }
                }),
            );
        }
        Kind::Flow => {
            properties.insert(
                "flowGroup".to_owned(),
                serde_json::json!({
                    "type": ["string", "null"],
                    "description": "the flow's group: one of its integration's `flowGroups` \
                                    (written as `_flowGroupingId`)"
                }),
            );
        }
        Kind::LookupCache => {
            properties.insert(
                "dataFile".to_owned(),
                serde_json::json!({
                    "type": "string",
                    "description": "the cache's entries: a `.json` file (one object of keys to \
                                    values) or `.jsonl` (one `{\"key\", \"value\"}` per line), \
                                    relative to the YAML file and inside the spec root"
                }),
            );
        }
        _ => {}
    }
    if kind == Kind::Script {
        properties.insert(
            "contentFile".to_owned(),
            serde_json::json!({
                "type": "string",
                "description": "read `content` from this file, relative to the YAML file and \
                                inside the spec root"
            }),
        );
    }
    json_schema!({
        "type": ["object", "null"],
        "description": format!("An integrator.io {} in the API's own field names; any field the API accepts may be written.", kind.described()),
        "properties": properties,
        "additionalProperties": true,
    })
}

macro_rules! body_types {
    ($($name:ident => $kind:expr),* $(,)?) => {$(
        /// A resource body of one kind.
        struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                body_schema($kind, generator)
            }
        }
    )*};
}

body_types! {
    IntegrationBody => Kind::Integration,
    IClientBody => Kind::IClient,
    FileDefinitionBody => Kind::FileDefinition,
    EdiProfileBody => Kind::EdiProfile,
    LookupCacheBody => Kind::LookupCache,
    AsyncHelperBody => Kind::AsyncHelper,
    ConnectionBody => Kind::Connection,
    ExportBody => Kind::Export,
    ImportBody => Kind::Import,
    ScriptBody => Kind::Script,
    FlowBody => Kind::Flow,
}

/// The JSON Schema of a spec file (draft 2020-12).
pub fn json_schema() -> serde_json::Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<SpecFile>()
        .to_value()
}

/// The JSON Schema as the text written to `schema/flowform.schema.json`: pretty JSON and a
/// final newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema())
        .expect("a serde_json value with string keys always serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_describes_sections_bodies_and_lifecycle() {
        let schema = json_schema();
        let properties = &schema["properties"];
        for section in ["variables", "integrations", "flows", "moved", "data", "lookupcaches"] {
            assert!(properties.get(section).is_some(), "missing {section}");
        }
        assert_eq!(schema["additionalProperties"], false);
        let flow = &schema["$defs"]["FlowBody"];
        assert!(flow["properties"]["pageGenerators"].is_object());
        assert!(flow["properties"]["lifecycle"].is_object());
        assert!(schema["$defs"]["ScriptBody"]["properties"]["contentFile"].is_object());
        assert!(schema["$defs"]["Lifecycle"]["properties"]["cloneFrom"].is_object());
        assert!(schema["$defs"]["LookupCacheBody"]["properties"]["dataFile"].is_object());
        assert!(schema["$defs"]["IntegrationBody"]["properties"]["flowGroups"].is_object());
        assert!(schema["$defs"]["DataSection"]["properties"]["agents"].is_object());
        assert!(json_schema_text().ends_with("}\n"));
    }
}
