//! The JSON plan: a documented, versioned format (`docs/plan-format.md`), with its own serde
//! types converted by hand from the [`Plan`], so the domain types never derive `Serialize`.

use std::collections::{BTreeMap, BTreeSet};

use flowform_model::references::for_each_reference;
use flowform_model::{
    Action, ActionKind, Address, Change, CloneCopy, DataAddress, DataChange, Dependency,
    FieldChange, FieldOp, FlowBodies, FlowPictures, FoundLookup, Kind, Lookup, LookupKind, Object,
    OutsideChange, OutsideField, Plan, RefOrId, StateChange, StateFlag, Value,
};
use serde::{Deserialize, Serialize};

use super::plan_pictures::drawn;
use super::{ShownValue, activation, display_json, shown_outside, shown_sides};

/// The version of the JSON plan format this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// What the JSON plan says about where it applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonContext {
    /// The target account (endpoint and account), as the state records it.
    pub target: String,
}

/// The JSON plan document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonPlan {
    /// Always [`FORMAT_VERSION`] for this build.
    pub format_version: u32,
    /// The target account.
    pub target: String,
    /// Counts by action.
    pub summary: JsonSummary,
    /// One object per change; no-ops are counted in `summary`, not listed.
    pub changes: Vec<JsonChange>,
    /// Warnings (never secrets).
    pub warnings: Vec<String>,
    /// Problems that make the plan fail; empty for a plan that can be applied.
    pub problems: Vec<JsonProblem>,
    /// What the pictures of the flows the plan touches are drawn from; absent when the plan
    /// draws no flow (and from documents written before it existed).
    #[serde(default, skip_serializing_if = "JsonFlowPictures::is_empty")]
    pub flow_pictures: JsonFlowPictures,
    /// What each `data:` lookup of the spec found; left out when the spec has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<JsonLookup>,
    /// `true` for a refresh-only plan (`plan --refresh-only`); absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_only: bool,
    /// Managed resources changed outside flowform since the state's baselines; absent when
    /// none. In an ordinary plan a note (no action): fields the plan writes, ignored fields
    /// and resources planned for deletion are left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed_outside: Vec<JsonOutside>,
    /// Managed resources without a baseline yet (changes outside flowform cannot be told for
    /// them until an apply records one); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub without_baseline: Vec<String>,
}

/// A resource changed outside flowform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonOutside {
    /// `KIND.KEY`.
    pub address: String,
    /// The singular kind.
    pub kind: String,
    /// The key.
    pub key: String,
    /// The live `_id` the state binds.
    pub id: String,
    /// The resource's live `name`, when known.
    pub name: Option<String>,
    /// The resource is gone from the account.
    pub deleted: bool,
    /// The fields that changed (empty when deleted).
    pub fields: Vec<JsonOutsideField>,
}

/// A field changed outside flowform. Only digests of earlier values are kept, so only the
/// value now is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonOutsideField {
    /// The field path (a leaf: objects are walked, lists are whole).
    pub path: String,
    /// `add` (new since the last apply), `replace` or `remove` (gone since).
    pub op: String,
    /// The live value now; `null` when removed; `"(sensitive)"` when withheld.
    pub value: serde_json::Value,
    /// The value is a secret (a write-only path or a masked value) and is withheld.
    pub sensitive: bool,
}

/// The data of the flow pictures: see `docs/plan-format.md`, "Flow pictures".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFlowPictures {
    /// One entry per flow the plan draws, in address order.
    pub flows: Vec<JsonFlowBodies>,
    /// The `name` of each resource the bodies reference, by address.
    pub names: BTreeMap<String, String>,
    /// For each connection, export, import and script the bodies reach: the connections,
    /// exports, imports and scripts it references.
    pub uses: BTreeMap<String, Vec<String>>,
}

/// One flow's sources, steps and routers on each side of the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFlowBodies {
    /// `flow.KEY`.
    pub address: String,
    /// The live flow's picture fields (normalised), or `null`.
    pub before: Option<serde_json::Value>,
    /// The spec's flow's picture fields, or `null` for a deleted flow.
    pub after: Option<serde_json::Value>,
    /// For a clone, the source flow's picture fields, or `null`.
    pub clone_source: Option<serde_json::Value>,
}

impl JsonFlowPictures {
    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty() && self.names.is_empty() && self.uses.is_empty()
    }

    /// The picture data back as the plan holds it (for rendering a saved plan): `${KIND.KEY}`
    /// strings become references again.
    pub fn to_model(&self) -> Result<FlowPictures, PlanDocumentError> {
        let body = |address: &str, value: &Option<serde_json::Value>| match value {
            None => Ok(None),
            Some(json) => match value_from_document(json.clone()) {
                Value::Object(object) => Ok(Some(object)),
                _ => Err(PlanDocumentError::Change {
                    address: address.to_owned(),
                    reason: "a body in `flow_pictures` is not an object".to_owned(),
                }),
            },
        };
        let mut pictures = FlowPictures::default();
        for flow in &self.flows {
            let JsonFlowBodies { address, before, after, clone_source } = flow;
            pictures.flows.insert(
                parse_address(address)?,
                FlowBodies {
                    before: body(address, before)?,
                    after: body(address, after)?,
                    clone_source: body(address, clone_source)?,
                },
            );
        }
        for (address, name) in &self.names {
            pictures.names.insert(parse_address(address)?, name.clone());
        }
        for (address, used) in &self.uses {
            let used = used.iter().map(|target| parse_address(target)).collect::<Result<_, _>>()?;
            pictures.uses.insert(parse_address(address)?, used);
        }
        Ok(pictures)
    }
}

/// The picture data of the flows `plan` draws, with the names and uses their bodies reach.
fn flow_pictures(plan: &Plan) -> JsonFlowPictures {
    let body_json = |body: &Option<Object>| {
        body.as_ref().map(|object| display_json(&Value::Object(object.clone())))
    };
    let mut document = JsonFlowPictures::default();
    let mut referenced: BTreeSet<&Address> = BTreeSet::new();
    let mut named: Vec<&Address> = Vec::new();
    for (address, change, bodies) in drawn(plan) {
        named.push(address);
        // The copies a clone makes are drawn under their own addresses.
        named.extend(
            change.into_iter().flat_map(|change| change.action.copies()).map(|copy| &copy.address),
        );
        for body in [&bodies.before, &bodies.after, &bodies.clone_source].into_iter().flatten() {
            for value in body.values() {
                for_each_reference(value, &mut |_, target| {
                    referenced.insert(target);
                });
            }
        }
        document.flows.push(JsonFlowBodies {
            address: address.to_string(),
            before: body_json(&bodies.before),
            after: body_json(&bodies.after),
            clone_source: body_json(&bodies.clone_source),
        });
    }
    let mut queue: Vec<&Address> = referenced.iter().copied().collect();
    let mut reached: BTreeSet<&Address> = BTreeSet::new();
    while let Some(address) = queue.pop() {
        if reached.insert(address) {
            queue.extend(plan.flow_pictures.uses.get(address).into_iter().flatten());
        }
    }
    for address in referenced.iter().chain(&named) {
        if let Some(name) = plan.flow_pictures.names.get(address) {
            document.names.insert(address.to_string(), name.clone());
        }
    }
    for address in reached {
        if let Some(used) = plan.flow_pictures.uses.get(address) {
            document
                .uses
                .insert(address.to_string(), used.iter().map(ToString::to_string).collect());
        }
    }
    document
}

/// What one `data:` lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonLookup {
    /// `data.KIND.KEY`.
    pub address: String,
    /// The singular kind searched (`agent`, `connection`).
    pub kind: String,
    /// The key under `data:`.
    pub key: String,
    /// The live `_id` found.
    pub id: String,
    /// Its `name`.
    pub name: Option<String>,
}

/// Counts by action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSummary {
    /// Creates.
    pub create: usize,
    /// Clones.
    pub clone: usize,
    /// Updates, including moves and adoptions that change fields.
    pub update: usize,
    /// Adoptions.
    pub adopt: usize,
    /// Moves.
    #[serde(rename = "move")]
    pub moved: usize,
    /// Deletes.
    pub delete: usize,
    /// State-only changes (lifecycle flags recorded, nothing sent); left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub state_only: usize,
    /// Unchanged resources.
    pub no_op: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonChange {
    /// `KIND.KEY`.
    pub address: String,
    /// The singular kind.
    pub kind: String,
    /// The key.
    pub key: String,
    /// `create`, `clone`, `update`, `adopt`, `move` or `delete`.
    pub action: String,
    /// The live `_id`, when the resource exists.
    pub id: Option<String>,
    /// The resource's `name`.
    pub name: Option<String>,
    /// Addresses this change waits for.
    pub depends_on: Vec<String>,
    /// For moves, the old address.
    pub moved_from: Option<String>,
    /// For clones, the source: `${KIND.KEY}` or a literal id.
    pub clone_from: Option<String>,
    /// For changed connections, exports, imports and scripts: the managed flows that use them.
    pub used_by: Vec<String>,
    /// Whether the change enables a flow or changes its schedule.
    pub activation: bool,
    /// Field changes.
    pub fields: Vec<JsonField>,
    /// For clones: what the service makes besides the clone (left out when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<JsonCopy>,
    /// For state-only changes: the flags recorded (left out otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state: Vec<JsonStateChange>,
    /// For a lookup cache with a `dataFile`: how its data changes (left out otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<JsonData>,
}

/// How a lookup cache's data changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonData {
    /// The data file, as the spec writes it.
    pub file: String,
    /// Keys added.
    pub added: usize,
    /// Keys whose value changes.
    pub changed: usize,
    /// Keys deleted (gone from the file).
    pub removed: usize,
    /// Keys left as they are.
    pub unchanged: usize,
    /// The first added keys (at most 5, in key order).
    pub first_added: Vec<String>,
    /// The first changed keys.
    pub first_changed: Vec<String>,
    /// The first removed keys.
    pub first_removed: Vec<String>,
}

/// A resource a clone makes (a flow clone's copies of the flow's exports and imports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCopy {
    /// The address the state records it under.
    pub address: String,
    /// The singular kind.
    pub kind: String,
    /// The name it will have.
    pub name: Option<String>,
    /// What it copies: `${KIND.KEY}` or a live id.
    pub copy_of: String,
    /// Whether the clone still uses it; an unused copy is deleted right after the clone.
    pub kept: bool,
}

/// One flag a state-only change records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonStateChange {
    /// `preventDestroy`, `ignoreChanges`, `adopt` or `owner`.
    pub flag: String,
    /// As the state records it (`null` for none).
    pub before: serde_json::Value,
    /// As the apply records it (`null` for none).
    pub after: serde_json::Value,
}

/// One field change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonField {
    /// The field path (`pageProcessors[1]._importId`, `mapping.fields[generate="email"]`).
    pub path: String,
    /// `add`, `replace` or `remove`.
    pub op: String,
    /// The live value before; `null` when absent; `"(sensitive)"` when withheld.
    pub before: serde_json::Value,
    /// The value after; `null` when absent; `"(sensitive)"` when withheld.
    pub after: serde_json::Value,
    /// The live value changed outside flowform while the spec did not.
    pub drift: bool,
    /// The value is a secret; `before` and `after` are withheld.
    pub sensitive: bool,
    /// A secret whose live value flowform never verified (after `pull`, `import` or an
    /// adoption): the apply writes the spec's value. Written only when `true` (added to format
    /// 1 without a version change; a reader treats a missing one as `false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
    /// For a removal: the field that replaces this one (the service refuses both at once, as
    /// with `pageProcessors` and `routers`). Written only when set, like `unverified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

/// A problem that makes the plan fail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonProblem {
    /// The resource concerned.
    pub address: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Converts a plan to its JSON document.
pub fn to_json_plan(plan: &Plan, context: &JsonContext) -> JsonPlan {
    let summary = plan.summary();
    JsonPlan {
        format_version: FORMAT_VERSION,
        target: context.target.clone(),
        summary: JsonSummary {
            create: summary.create,
            clone: summary.clone,
            update: summary.update,
            adopt: summary.adopt,
            moved: summary.moved,
            delete: summary.delete,
            state_only: summary.state_only,
            no_op: summary.no_op,
        },
        changes: plan
            .changes
            .iter()
            .filter(|change| change.action_kind() != ActionKind::NoOp)
            .map(change)
            .collect(),
        warnings: plan.warnings.clone(),
        problems: plan
            .problems
            .iter()
            .map(|problem| JsonProblem {
                address: problem.address.to_string(),
                message: problem.message.clone(),
                hint: problem.hint.clone(),
            })
            .collect(),
        flow_pictures: flow_pictures(plan),
        lookups: plan
            .lookups
            .iter()
            .map(|found| JsonLookup {
                address: found.address.to_string(),
                kind: found.address.kind.singular().to_owned(),
                key: found.address.key.clone(),
                id: found.id.clone(),
                name: found.name.clone(),
            })
            .collect(),
        refresh_only: plan.refresh_only,
        changed_outside: plan.changed_outside.iter().map(outside).collect(),
        without_baseline: plan.without_baseline.iter().map(ToString::to_string).collect(),
    }
}

fn outside(change: &OutsideChange) -> JsonOutside {
    let kind = change.address.kind;
    JsonOutside {
        address: change.address.to_string(),
        kind: kind.singular().to_owned(),
        key: change.address.key.clone(),
        id: change.id.clone(),
        name: change.name.clone(),
        deleted: change.deleted,
        fields: change
            .fields
            .iter()
            .map(|field| {
                let shown = shown_outside(kind, field);
                JsonOutsideField {
                    path: field.path.to_string(),
                    op: field.op.as_str().to_owned(),
                    value: side(shown),
                    sensitive: field.sensitive || matches!(shown, Some(ShownValue::Sensitive)),
                }
            })
            .collect(),
    }
}

fn change(change: &Change) -> JsonChange {
    JsonChange {
        address: change.address.to_string(),
        kind: change.kind().singular().to_owned(),
        key: change.address.key.clone(),
        action: change.action.as_str().to_owned(),
        id: change.id().map(str::to_owned),
        name: change.name.clone(),
        depends_on: change.waits_for().map(ToString::to_string).collect(),
        moved_from: change.action.moved_from().map(ToString::to_string),
        clone_from: change.action.clone_from().map(|source| match source {
            RefOrId::Ref(address) => format!("${{{address}}}"),
            RefOrId::Id(id) => id.clone(),
        }),
        used_by: change.used_by.iter().map(ToString::to_string).collect(),
        activation: activation(change).is_some(),
        fields: change.fields().iter().map(|one| field(change.kind(), one)).collect(),
        copies: change
            .action
            .copies()
            .iter()
            .map(|copy| JsonCopy {
                address: copy.address.to_string(),
                kind: copy.address.kind.singular().to_owned(),
                name: copy.name.clone(),
                copy_of: super::copy_source(&copy.source),
                kept: copy.kept,
            })
            .collect(),
        state: change
            .action
            .state_changes()
            .iter()
            .map(|state_change| JsonStateChange {
                flag: state_change.flag.as_str().to_owned(),
                before: display_json(&state_change.before),
                after: display_json(&state_change.after),
            })
            .collect(),
        data: change.data.as_ref().map(|data| JsonData {
            file: data.file.clone(),
            added: data.added,
            changed: data.changed,
            removed: data.removed,
            unchanged: data.unchanged,
            first_added: data.first_added.clone(),
            first_changed: data.first_changed.clone(),
            first_removed: data.first_removed.clone(),
        }),
    }
}

fn side(value: Option<ShownValue<'_>>) -> serde_json::Value {
    match value {
        None => serde_json::Value::Null,
        Some(ShownValue::Sensitive) => serde_json::Value::String(super::SENSITIVE.to_owned()),
        Some(ShownValue::Plain(value)) => display_json(value),
    }
}

fn field(kind: Kind, field: &FieldChange) -> JsonField {
    let (before, after) = shown_sides(kind, field);
    JsonField {
        path: field.path.to_string(),
        op: field.op.as_str().to_owned(),
        drift: field.drift,
        sensitive: field.sensitive
            || [before, after].iter().any(|side| matches!(side, Some(ShownValue::Sensitive))),
        before: side(before),
        after: side(after),
        unverified: field.unverified,
        replaced_by: field.replaced_by.as_ref().map(ToString::to_string),
    }
}

/// Renders the plan as pretty-printed JSON in the format of `docs/plan-format.md`
/// (`format_version: 1`), ending with a newline.
pub fn json(plan: &Plan, context: &JsonContext) -> String {
    to_text(&to_json_plan(plan, context))
}

/// A JSON plan document as [`json`] prints it: pretty-printed, ending with a newline.
pub fn to_text(document: &JsonPlan) -> String {
    // Serialising plain structs of strings, numbers and JSON values cannot fail.
    let mut text = serde_json::to_string_pretty(document).expect("plan documents always serialise");
    text.push('\n');
    text
}

/// Why a JSON plan document cannot be read back into a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanDocumentError {
    /// An address that does not parse.
    #[error("`{address}` is not an address: {reason}")]
    Address {
        /// As written.
        address: String,
        /// Why.
        reason: String,
    },
    /// A field path that does not parse.
    #[error("`{path}` of `{address}` is not a field path: {reason}")]
    Path {
        /// The change.
        address: String,
        /// As written.
        path: String,
        /// Why.
        reason: String,
    },
    /// A change whose action this build does not know, or that lacks what its action needs.
    #[error("the change of `{address}` is not readable: {reason}")]
    Change {
        /// The change.
        address: String,
        /// What is wrong.
        reason: String,
    },
}

/// Reads a JSON plan document back into a [`Plan`], so a saved plan can be rendered again
/// (`flowform show`) by the same renderers that rendered it first: the inverse of
/// [`to_json_plan`] for everything the renderings show.
///
/// The document holds no unchanged resources (only their count), no `lastModified` and not
/// whether a dependency is breakable; the caller adds the first two when it has them
/// (`live_last_modified` is `None` here), and the renderings do not use the third. A string
/// that is exactly `${KIND.KEY}` becomes a reference again, since that is how the document
/// writes references (a literal string of that form in a spec, written `$${…}`, reads back as a
/// reference too). A sensitive field reads back without values, as the plan held it.
pub fn plan_from_document(document: &JsonPlan) -> Result<Plan, PlanDocumentError> {
    // Every field is named, so a field added to the document fails to compile here until it is
    // read back too.
    let JsonPlan {
        format_version: _,
        target: _,
        summary: _,
        changes,
        warnings,
        problems,
        flow_pictures,
        refresh_only,
        changed_outside,
        without_baseline,
        lookups,
    } = document;
    let changes = changes.iter().map(change_from_document).collect::<Result<Vec<_>, _>>()?;
    let problems = problems
        .iter()
        .map(|problem| {
            let JsonProblem { address, message, hint } = problem;
            Ok(flowform_model::PlanProblem::new(
                parse_address(address)?,
                message.clone(),
                hint.clone(),
            ))
        })
        .collect::<Result<Vec<_>, PlanDocumentError>>()?;
    let lookups = lookups
        .iter()
        .map(|found| {
            let JsonLookup { address, kind, key, id, name } = found;
            let kind = LookupKind::from_singular(kind.as_str()).ok_or_else(|| {
                PlanDocumentError::Address {
                    address: address.clone(),
                    reason: format!("`{kind}` is not a kind a lookup searches"),
                }
            })?;
            Ok(FoundLookup {
                address: DataAddress::new(kind, key.clone()),
                id: id.clone(),
                name: name.clone(),
            })
        })
        .collect::<Result<Vec<_>, PlanDocumentError>>()?;
    Ok(Plan {
        changes,
        warnings: warnings.clone(),
        problems,
        flow_pictures: flow_pictures.to_model()?,
        lookups,
        changed_outside: changed_outside
            .iter()
            .map(outside_from_document)
            .collect::<Result<Vec<_>, _>>()?,
        without_baseline: without_baseline
            .iter()
            .map(|address| parse_address(address))
            .collect::<Result<Vec<_>, _>>()?,
        refresh_only: *refresh_only,
    })
}

fn outside_from_document(change: &JsonOutside) -> Result<OutsideChange, PlanDocumentError> {
    let JsonOutside { address, kind: _, key: _, id, name, deleted, fields } = change;
    let fields = fields
        .iter()
        .map(|field| {
            let JsonOutsideField { path, op, value, sensitive } = field;
            Ok(OutsideField {
                path: parse_path(address, path)?,
                op: parse_op(address, path, op)?,
                value: match value {
                    serde_json::Value::Null => None,
                    _ if *sensitive => None,
                    other => Some(value_from_document(other.clone())),
                },
                sensitive: *sensitive,
            })
        })
        .collect::<Result<Vec<_>, PlanDocumentError>>()?;
    Ok(OutsideChange {
        address: parse_address(address)?,
        id: id.clone(),
        name: name.clone(),
        live_last_modified: None,
        fields,
        deleted: *deleted,
    })
}

fn parse_op(address: &str, path: &str, op: &str) -> Result<FieldOp, PlanDocumentError> {
    match op {
        "add" => Ok(FieldOp::Add),
        "replace" => Ok(FieldOp::Replace),
        "remove" => Ok(FieldOp::Remove),
        other => Err(PlanDocumentError::Change {
            address: address.to_owned(),
            reason: format!("`{path}` has the unknown op `{other}`"),
        }),
    }
}

fn parse_path(address: &str, path: &str) -> Result<flowform_model::FieldPath, PlanDocumentError> {
    path.parse().map_err(|error: flowform_model::PathError| PlanDocumentError::Path {
        address: address.to_owned(),
        path: path.to_owned(),
        reason: error.to_string(),
    })
}

fn parse_address(text: &str) -> Result<flowform_model::Address, PlanDocumentError> {
    text.parse().map_err(|error: flowform_model::AddressError| PlanDocumentError::Address {
        address: text.to_owned(),
        reason: error.to_string(),
    })
}

fn change_from_document(change: &JsonChange) -> Result<Change, PlanDocumentError> {
    let JsonChange {
        address,
        kind: _,
        key: _,
        action,
        id,
        name,
        depends_on,
        moved_from,
        clone_from,
        used_by,
        activation: _,
        fields,
        copies,
        state,
        data,
    } = change;
    let parsed = parse_address(address)?;
    let invalid = |reason: &str| PlanDocumentError::Change {
        address: address.clone(),
        reason: reason.to_owned(),
    };
    let fields = fields
        .iter()
        .map(|field| field_from_document(address, field))
        .collect::<Result<Vec<_>, _>>()?;
    let id = || id.clone().ok_or_else(|| invalid(&format!("a `{action}` needs an `id`")));
    let action = match action.as_str() {
        "create" => Action::Create { fields },
        "clone" => {
            let source =
                clone_from.as_deref().ok_or_else(|| invalid("a clone needs `clone_from`"))?;
            let from = match reference(source) {
                Some(address) => RefOrId::Ref(address),
                None => RefOrId::Id(source.to_owned()),
            };
            let copies = copies
                .iter()
                .map(|copy| {
                    let JsonCopy { address, kind: _, name, copy_of, kept } = copy;
                    Ok(CloneCopy {
                        address: parse_address(address)?,
                        name: name.clone(),
                        source: match reference(copy_of) {
                            Some(address) => RefOrId::Ref(address),
                            None => RefOrId::Id(copy_of.clone()),
                        },
                        kept: *kept,
                    })
                })
                .collect::<Result<Vec<_>, PlanDocumentError>>()?;
            Action::Clone { from, fields, copies }
        }
        "state-only" => {
            let changes = state
                .iter()
                .map(|state_change| {
                    let JsonStateChange { flag, before, after } = state_change;
                    let flag = [
                        StateFlag::PreventDestroy,
                        StateFlag::IgnoreChanges,
                        StateFlag::Adopt,
                        StateFlag::Owner,
                    ]
                    .into_iter()
                    .find(|known| known.as_str() == flag)
                    .ok_or_else(|| invalid(&format!("the state flag `{flag}` is unknown")))?;
                    Ok(StateChange {
                        flag,
                        before: value_from_document(before.clone()),
                        after: value_from_document(after.clone()),
                    })
                })
                .collect::<Result<Vec<_>, PlanDocumentError>>()?;
            Action::StateOnly { id: id()?, changes, live_last_modified: None }
        }
        "update" => Action::Update { id: id()?, fields, live_last_modified: None },
        "adopt" => Action::Adopt { id: id()?, fields, live_last_modified: None },
        "move" => {
            let from = moved_from.as_deref().ok_or_else(|| invalid("a move needs `moved_from`"))?;
            Action::Move { from: parse_address(from)?, id: id()?, fields, live_last_modified: None }
        }
        "delete" => Action::Delete { id: id()?, live_last_modified: None },
        other => return Err(invalid(&format!("this build does not know the action `{other}`"))),
    };
    Ok(Change {
        address: parsed,
        name: name.clone(),
        depends_on: depends_on
            .iter()
            .map(|dependency| parse_address(dependency).map(Dependency::hard))
            .collect::<Result<Vec<_>, _>>()?,
        used_by: used_by.iter().map(|flow| parse_address(flow)).collect::<Result<Vec<_>, _>>()?,
        action,
        data: data.as_ref().map(|data| {
            Box::new(DataChange {
                file: data.file.clone(),
                added: data.added,
                changed: data.changed,
                removed: data.removed,
                unchanged: data.unchanged,
                first_added: data.first_added.clone(),
                first_changed: data.first_changed.clone(),
                first_removed: data.first_removed.clone(),
                live_digest: None,
            })
        }),
    })
}

fn field_from_document(address: &str, field: &JsonField) -> Result<FieldChange, PlanDocumentError> {
    let JsonField { path, op, before, after, drift, sensitive, unverified, replaced_by } = field;
    let op = parse_op(address, path, op)?;
    let side = |value: &serde_json::Value| match value {
        serde_json::Value::Null => None,
        _ if *sensitive => None,
        other => Some(value_from_document(other.clone())),
    };
    Ok(FieldChange {
        path: parse_path(address, path)?,
        op,
        before: side(before),
        after: side(after),
        drift: *drift,
        sensitive: *sensitive,
        unverified: *unverified,
        replaced_by: match replaced_by {
            Some(by) => Some(by.parse().map_err(|error: flowform_model::PathError| {
                PlanDocumentError::Path {
                    address: address.to_owned(),
                    path: by.clone(),
                    reason: error.to_string(),
                }
            })?),
            None => None,
        },
    })
}

/// The address of a string that is exactly `${KIND.KEY}`.
fn reference(text: &str) -> Option<flowform_model::Address> {
    text.strip_prefix("${")?.strip_suffix('}')?.parse().ok()
}

/// The lookup a shown string stands for: `${data.KIND.KEY}`, or `flow group "NAME"` (as
/// [`Lookup`]'s display writes them).
fn lookup(text: &str) -> Option<Lookup> {
    if let Some(name) = text.strip_prefix("flow group ") {
        return serde_json::from_str::<String>(name).ok().map(Lookup::FlowGroup);
    }
    let inner = text.strip_prefix("${data.")?.strip_suffix('}')?;
    let (kind, key) = inner.split_once('.')?;
    Some(Lookup::Data(DataAddress::new(LookupKind::from_singular(kind)?, key)))
}

/// A shown value as a model value, with `${KIND.KEY}` strings as references and lookups as
/// lookups.
fn value_from_document(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::String(text) => match reference(&text) {
            Some(address) => Value::Ref(address),
            None => match lookup(&text) {
                Some(lookup) => Value::Lookup(lookup),
                None => Value::String(text),
            },
        },
        serde_json::Value::Array(items) => {
            Value::Array(items.into_iter().map(value_from_document).collect())
        }
        serde_json::Value::Object(object) => Value::Object(
            object.into_iter().map(|(key, item)| (key, value_from_document(item))).collect(),
        ),
        other => Value::from(other),
    }
}
