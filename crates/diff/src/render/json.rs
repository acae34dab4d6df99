//! The JSON plan: a documented, versioned format (`docs/plan-format.md`), with its own serde
//! types converted by hand from the [`Plan`], so the domain types never derive `Serialize`.

use flowform_model::{ActionKind, Change, FieldChange, Plan, RefOrId};
use serde::{Deserialize, Serialize};

use super::{ShownValue, activation, display_json, shown_sides};

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
    /// Unchanged resources.
    pub no_op: usize,
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
        fields: change.fields().iter().map(field).collect(),
    }
}

fn side(value: Option<ShownValue<'_>>) -> serde_json::Value {
    match value {
        None => serde_json::Value::Null,
        Some(ShownValue::Sensitive) => serde_json::Value::String(super::SENSITIVE.to_owned()),
        Some(ShownValue::Plain(value)) => display_json(value),
    }
}

fn field(field: &FieldChange) -> JsonField {
    let (before, after) = shown_sides(field);
    JsonField {
        path: field.path.to_string(),
        op: field.op.as_str().to_owned(),
        before: side(before),
        after: side(after),
        drift: field.drift,
        sensitive: field.sensitive,
    }
}

/// Renders the plan as pretty-printed JSON in the format of `docs/plan-format.md`
/// (`format_version: 1`), ending with a newline.
pub fn json(plan: &Plan, context: &JsonContext) -> String {
    let document = to_json_plan(plan, context);
    // Serialising plain structs of strings, numbers and JSON values cannot fail.
    let mut text =
        serde_json::to_string_pretty(&document).expect("plan documents always serialise");
    text.push('\n');
    text
}
