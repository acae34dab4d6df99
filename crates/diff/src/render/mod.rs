//! Renderings of a [`Plan`]: [`human`] for a terminal, [`json()`] for
//! machines (a documented, versioned format), [`markdown`] for a pull-request comment; and
//! pictures: [`mermaid`] draws a flow's steps, [`graph`] a spec's dependency graph.
//!
//! All three show a sensitive value as `(sensitive)`; none can show a secret, because the plan
//! never holds one and a [`Value::Secret`] met by accident is rendered as `(sensitive)` too.

pub mod graph;
mod human;
pub mod json;
mod markdown;
pub mod mermaid;
mod plan_pictures;

pub use human::{HumanOptions, human, human_for};
pub use json::{JsonContext, json};
pub use markdown::{MarkdownOptions, markdown, markdown_for};
pub use plan_pictures::{PlanPicture, plan_pictures};

use flowform_model::fields::{is_write_only, shows_write_only};
use flowform_model::{
    ActionKind, Change, FieldChange, FieldOp, Kind, OutsideField, Plan, Segment, Value,
};
use similar::{ChangeTag, TextDiff};

/// Where a plan applies: the human plan names it on its first line and the markdown plan on
/// the line under its title ([`human_for`], [`markdown_for`]), so nobody reviews or approves a
/// plan without seeing which account it changes. (The JSON plan has it in `target`.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanTarget {
    /// The account: the endpoint and the token's user (`https://api.integrator.io (user 5f…)`),
    /// or the local sandbox.
    pub account: String,
    /// The environment (`--env NAME`), when one was chosen.
    pub environment: Option<String>,
    /// A remark after the target (a saved plan shown later says it was not verified against the
    /// account).
    pub note: Option<String>,
}

impl PlanTarget {
    /// `Target: ACCOUNT, environment NAME (NOTE)` with `quote` around the values (backticks in
    /// markdown, nothing on a terminal).
    pub(crate) fn line(&self, quote: &str) -> String {
        let mut line = format!("Target: {quote}{}{quote}", self.account);
        if let Some(environment) = &self.environment {
            line.push_str(&format!(", environment {quote}{environment}{quote}"));
        }
        if let Some(note) = &self.note {
            line.push_str(&format!(" ({note})"));
        }
        line
    }
}

/// What renderers print in place of a sensitive value.
pub const SENSITIVE: &str = "(sensitive)";

/// Values longer than this (in characters, on one line) are shown as line diffs.
const LONG_VALUE: usize = 80;

/// A value as JSON for display and for the JSON plan: references as `${KIND.KEY}` strings,
/// secrets as `(sensitive)`.
pub(crate) fn display_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(value) => serde_json::Value::Bool(*value),
        Value::Number(number) => serde_json::Value::Number(number.clone()),
        Value::String(text) => serde_json::Value::String(text.clone()),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(display_json).collect()),
        Value::Object(object) => serde_json::Value::Object(
            object.iter().map(|(key, child)| (key.clone(), display_json(child))).collect(),
        ),
        Value::Ref(address) => serde_json::Value::String(format!("${{{address}}}")),
        Value::Lookup(lookup) => serde_json::Value::String(lookup.to_string()),
        Value::Secret(_) => serde_json::Value::String(SENSITIVE.to_owned()),
    }
}

/// The lines a lookup cache's data change shows: the counts, then the first keys of each kind
/// (`quote` around keys: backticks in markdown).
pub(crate) fn data_lines(data: &flowform_model::DataChange, quote: &str) -> Vec<String> {
    let mut lines = vec![format!(
        "data ({quote}{}{quote}): {}{}",
        data.file,
        data.counts(),
        if data.unchanged > 0 { format!(", {} unchanged", data.unchanged) } else { String::new() }
    )];
    for (what, count, keys) in [
        ("added", data.added, &data.first_added),
        ("changed", data.changed, &data.first_changed),
        ("removed", data.removed, &data.first_removed),
    ] {
        if keys.is_empty() {
            continue;
        }
        let shown: Vec<String> =
            keys.iter().map(|key| format!("{quote}{}{quote}", key.escape_debug())).collect();
        let more = if count > keys.len() {
            format!(", … ({} more)", count - keys.len())
        } else {
            String::new()
        };
        lines.push(format!("{what}: {}{more}", shown.join(", ")));
    }
    lines
}

/// One found lookup for the plan: `data.agent.warehouse → agent "Warehouse" (5f…)`.
pub(crate) fn lookup_line(found: &flowform_model::FoundLookup, quote: &str) -> String {
    let name = match &found.name {
        Some(name) => format!("{} {name:?}", found.address.kind.described()),
        None => format!("{} without a name", found.address.kind.described()),
    };
    format!("{quote}{}{quote} → {name} ({quote}{}{quote})", found.address, found.id)
}

/// A short, one-line form of a value: JSON, with references bare (`${connection.slack}`).
pub(crate) fn short_value(value: &Value) -> String {
    match value {
        Value::Ref(address) => format!("${{{address}}}"),
        Value::Lookup(lookup) => lookup.to_string(),
        Value::Secret(_) => SENSITIVE.to_owned(),
        other => display_json(other).to_string(),
    }
}

/// Whether a value is best shown as lines: a multi-line string, or anything whose one-line form
/// is longer than [`LONG_VALUE`] characters.
pub(crate) fn is_long(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\n') || text.chars().count() > LONG_VALUE,
        Value::Array(_) | Value::Object(_) => short_value(value).chars().count() > LONG_VALUE,
        _ => false,
    }
}

/// The text of a long value: a string as written, anything else as indented JSON.
pub(crate) fn long_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Secret(_) => SENSITIVE.to_owned(),
        other => serde_json::to_string_pretty(&display_json(other))
            .unwrap_or_else(|_| short_value(other)),
    }
}

/// One line of a rendered field change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// Something added (`+`).
    Added(String),
    /// Something removed (`-`).
    Removed(String),
    /// Unchanged context inside a line diff.
    Context(String),
    /// A hunk header (`@@ -1,3 +1,4 @@`).
    Hunk(String),
}

/// A unified line diff of two texts with three lines of context, as `similar` groups it.
pub(crate) fn unified_lines(before: &str, after: &str) -> Vec<Line> {
    let diff = TextDiff::from_lines(before, after);
    let mut lines = Vec::new();
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        lines.push(Line::Hunk(format!(
            "@@ -{},{} +{},{} @@",
            old_range.start + 1,
            old_range.len(),
            new_range.start + 1,
            new_range.len()
        )));
        for operation in &group {
            for change in diff.iter_changes(operation) {
                let text = change.value().trim_end_matches(['\n', '\r']).to_owned();
                lines.push(match change.tag() {
                    ChangeTag::Delete => Line::Removed(text),
                    ChangeTag::Insert => Line::Added(text),
                    ChangeTag::Equal => Line::Context(text),
                });
            }
        }
    }
    lines
}

/// The lines of a whole text, each marked added or removed.
pub(crate) fn whole_lines(text: &str, added: bool) -> Vec<Line> {
    text.lines()
        .map(
            |line| {
                if added { Line::Added(line.to_owned()) } else { Line::Removed(line.to_owned()) }
            },
        )
        .collect()
}

/// What the renderings say of a secret flowform never verified.
pub(crate) fn unverified_note(field: &FieldChange) -> Option<&'static str> {
    field.unverified.then_some(
        "unverified: the account's value was never compared; the apply writes the spec's",
    )
}

/// What the renderings say of a field removed because another replaces it.
pub(crate) fn replacement_note(field: &FieldChange) -> Option<String> {
    field.replaced_by.as_ref().map(|by| format!("replaced by `{by}`"))
}

/// The shown `before` and `after` of a field of a `kind` resource: `(sensitive)` for a sensitive
/// side that exists, and for a side at a write-only path or whose value shows one. The diff
/// never builds such a side; this is the renderers' own check, so no rendering prints a secret
/// written in plain text.
pub(crate) fn shown_sides<'a>(
    kind: Kind,
    field: &'a FieldChange,
) -> (Option<ShownValue<'a>>, Option<ShownValue<'a>>) {
    if field.sensitive || is_write_only(kind, &field.path) {
        let before =
            matches!(field.op, FieldOp::Replace | FieldOp::Remove).then_some(ShownValue::Sensitive);
        let after =
            matches!(field.op, FieldOp::Replace | FieldOp::Add).then_some(ShownValue::Sensitive);
        return (before, after);
    }
    let side = |value: Option<&'a Value>| {
        value.map(|value| {
            if shows_write_only(kind, &field.path, value) {
                ShownValue::Sensitive
            } else {
                ShownValue::Plain(value)
            }
        })
    };
    (side(field.before.as_ref()), side(field.after.as_ref()))
}

/// The word a list element's change reads with in an existing resource: `inserted` for an
/// element added to a list (`pageProcessors[0]`: before the element that was at 0), `removed` for
/// one taken out. `None` for other changes, and for creates and clones, where everything is new.
pub(crate) fn element_word(action: ActionKind, field: &FieldChange) -> Option<&'static str> {
    if matches!(action, ActionKind::Create | ActionKind::Clone)
        || !matches!(field.path.segments().last(), Some(Segment::Index(_)))
    {
        return None;
    }
    match field.op {
        FieldOp::Add => Some("inserted"),
        FieldOp::Remove => Some("removed"),
        FieldOp::Replace => None,
    }
}

/// A side of a field change as shown.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ShownValue<'a> {
    /// A value that may be shown.
    Plain(&'a Value),
    /// A withheld value.
    Sensitive,
}

impl ShownValue<'_> {
    pub(crate) fn short(self) -> String {
        match self {
            ShownValue::Plain(value) => short_value(value),
            ShownValue::Sensitive => SENSITIVE.to_owned(),
        }
    }

    pub(crate) fn is_long(self) -> bool {
        matches!(self, ShownValue::Plain(value) if is_long(value))
    }

    pub(crate) fn long_text(self) -> String {
        match self {
            ShownValue::Plain(value) => long_text(value),
            ShownValue::Sensitive => SENSITIVE.to_owned(),
        }
    }
}

/// Why a change activates a flow, if it does: a new flow that is not created disabled, `disabled`
/// going from true to false, or a schedule change (flow or page generator). Reviewers must not
/// miss these: an enabled scheduled flow starts running at once.
pub(crate) fn activation(change: &Change) -> Option<String> {
    if change.kind() != Kind::Flow
        || matches!(
            change.action_kind(),
            ActionKind::Delete | ActionKind::NoOp | ActionKind::StateOnly
        )
    {
        return None;
    }
    if matches!(change.action_kind(), ActionKind::Create | ActionKind::Clone) {
        return change
            .is_activation()
            .then(|| "new flow, enabled once the apply completes".to_owned());
    }
    let mut reasons = Vec::new();
    for field in change.fields() {
        let dotted = field.path.without_indexes();
        let shown = || {
            let (before, after) = shown_sides(change.kind(), field);
            format!(
                "{}: {} → {}",
                field.path,
                before.map_or("(absent)".to_owned(), ShownValue::short),
                after.map_or("(absent)".to_owned(), ShownValue::short)
            )
        };
        match dotted.as_str() {
            "disabled" if field.after != Some(Value::Bool(true)) => reasons.push(shown()),
            "schedule" | "timezone" | "pageGenerators.schedule" => reasons.push(shown()),
            _ => {}
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// A state flag's value as plans show it: `true`, `["disabled"]`, `flow.x`, or `(none)`.
pub(crate) fn state_value(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => text.clone(),
        other => short_value(other),
    }
}

/// What a clone's copy copies: `${KIND.KEY}` or the live id.
pub(crate) fn copy_source(source: &flowform_model::RefOrId) -> String {
    match source {
        flowform_model::RefOrId::Ref(address) => format!("${{{address}}}"),
        flowform_model::RefOrId::Id(id) => id.clone(),
    }
}

/// The shown value of a field changed outside flowform: `(sensitive)` when withheld, and
/// `(sensitive)` as well for a value that shows a write-only path (the diff never builds one;
/// this is the renderers' own check).
pub(crate) fn shown_outside(kind: Kind, field: &OutsideField) -> Option<ShownValue<'_>> {
    if field.sensitive || is_write_only(kind, &field.path) {
        return (field.op != FieldOp::Remove).then_some(ShownValue::Sensitive);
    }
    field.value.as_ref().map(|value| {
        if shows_write_only(kind, &field.path, value) {
            ShownValue::Sensitive
        } else {
            ShownValue::Plain(value)
        }
    })
}

/// The counts of resources changed outside flowform: `2 changed and 1 deleted outside
/// flowform`.
pub(crate) fn outside_counts(plan: &Plan) -> String {
    let deleted = plan.changed_outside.iter().filter(|change| change.deleted).count();
    let changed = plan.changed_outside.len() - deleted;
    format!("{changed} changed and {deleted} deleted outside flowform")
}

/// What the plans say, once, about resources without a baseline.
pub(crate) fn without_baseline_note(plan: &Plan) -> Option<String> {
    let count = plan.without_baseline.len();
    if count == 0 {
        return None;
    }
    let (resources, them) = if count == 1 {
        ("1 resource".to_owned(), "it")
    } else {
        (format!("{count} resources"), "them")
    };
    let when = if plan.refresh_only { "applying this plan" } else { "the next apply" };
    Some(format!(
        "no baseline yet for {resources}: {when} records one (until then, changes made outside flowform cannot be told for {them})"
    ))
}

/// The closing line every rendering carries.
pub(crate) fn plan_line(plan: &flowform_model::Plan) -> String {
    if plan.refresh_only {
        return format!("Refresh: {}.", outside_counts(plan));
    }
    let summary = plan.summary();
    format!(
        "Plan: {} to create, {} to clone, {} to update, {} to delete.",
        summary.create, summary.clone, summary.update, summary.delete
    )
}

/// The groups renderers list changes in, in order. Deletes come last in the human plan (where
/// the eye lands before approving) and first in the markdown plan (so truncation spares them).
pub(crate) const GROUPS: [(ActionKind, &str); 7] = [
    (ActionKind::Create, "Create"),
    (ActionKind::Clone, "Clone"),
    (ActionKind::Adopt, "Adopt"),
    (ActionKind::Move, "Move"),
    (ActionKind::Update, "Update"),
    (ActionKind::StateOnly, "State only"),
    (ActionKind::Delete, "Delete"),
];
