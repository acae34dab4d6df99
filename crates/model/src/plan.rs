//! The plan: a typed list of changes, produced by the pure diff and rendered by the CLI.

use crate::desired::RefOrId;
use crate::kind::{Address, Kind};
use crate::path::FieldPath;
use crate::value::Value;

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `POST /{kind}`.
    Create,
    /// `POST /{kind}/{id}/clone`, then the spec's fields are enforced.
    Clone,
    /// `GET`, apply the field changes, `PUT`.
    Update,
    /// Bind an existing unmanaged live resource (same kind and name) to the address, then
    /// apply any field changes.
    Adopt,
    /// A `moved` rename: the state entry changes address, the live resource stays; field
    /// changes may follow.
    Move,
    /// `DELETE /{kind}/{id}`.
    Delete,
    /// Nothing to do (counted, not listed).
    NoOp,
}

impl Action {
    /// The name used in plans: `create`, `clone`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Clone => "clone",
            Action::Update => "update",
            Action::Adopt => "adopt",
            Action::Move => "move",
            Action::Delete => "delete",
            Action::NoOp => "no-op",
        }
    }
}

/// How one field changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOp {
    /// The path is new on the live resource.
    Add,
    /// The live value is replaced.
    Replace,
    /// The path is removed from the live resource (it left the spec).
    Remove,
}

impl FieldOp {
    /// The name used in plans: `add`, `replace`, `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldOp::Add => "add",
            FieldOp::Replace => "replace",
            FieldOp::Remove => "remove",
        }
    }
}

/// A change of one field.
///
/// `before` and `after` are `None` when absent, and always `None` when `sensitive` (renderers
/// print `(sensitive)`). References stay as [`Value::Ref`] so plans speak the spec's language.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// The field.
    pub path: FieldPath,
    /// Add, replace or remove.
    pub op: FieldOp,
    /// The live value before (normalised).
    pub before: Option<Value>,
    /// The desired value after.
    pub after: Option<Value>,
    /// The live value changed outside flowform while the spec did not change at this path.
    pub drift: bool,
    /// The value is a secret; `before` and `after` are withheld.
    pub sensitive: bool,
}

/// One planned change to one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The resource's address (for a move, the new one).
    pub address: Address,
    /// What happens.
    pub action: Action,
    /// The live `_id`, when the resource exists (update, adopt, move, delete, no-op).
    pub id: Option<String>,
    /// The `name` of the resource (desired for creates, live otherwise), for display.
    pub name: Option<String>,
    /// Addresses this change must wait for (creates and updates: resources referenced;
    /// deletes: resources that reference this one).
    pub depends_on: Vec<Address>,
    /// Field-level changes. For creates and clones: every field the spec sets.
    pub fields: Vec<FieldChange>,
    /// For moves: the old address.
    pub moved_from: Option<Address>,
    /// For clones: the source.
    pub clone_from: Option<RefOrId>,
    /// For changed connections, exports, imports and scripts: the flows that use them
    /// (blast radius), as addresses when managed.
    pub used_by: Vec<Address>,
    /// The live `lastModified` seen when planning; a saved plan is stale if it moved.
    pub live_last_modified: Option<String>,
}

impl Change {
    /// The resource kind.
    pub fn kind(&self) -> Kind {
        self.address.kind
    }

    /// Whether any field change is marked as drift.
    pub fn has_drift(&self) -> bool {
        self.fields.iter().any(|field| field.drift)
    }

    /// Whether this change enables a flow (`disabled` true → false or removed, or a new flow
    /// that is not disabled) or changes its schedule: the changes a reviewer must not miss.
    pub fn is_activation(&self) -> bool {
        if self.address.kind != Kind::Flow || self.action == Action::Delete {
            return false;
        }
        let disabled = self.fields.iter().find(|field| field.path.to_string() == "disabled");
        if matches!(self.action, Action::Create | Action::Clone) {
            let stays_disabled =
                disabled.is_some_and(|field| field.after == Some(Value::Bool(true)));
            return !stays_disabled;
        }
        self.fields.iter().any(|field| match field.path.to_string().as_str() {
            "disabled" => field.after != Some(Value::Bool(true)),
            "schedule" | "timezone" => true,
            _ => false,
        })
    }
}

/// A problem that makes the plan unusable (for example a delete of a resource with
/// `preventDestroy`, or a spec resource that would duplicate an unmanaged live one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProblem {
    /// The resource concerned.
    pub address: Address,
    /// What is wrong, lowercase, values in backticks.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Counts by action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Creates.
    pub create: usize,
    /// Clones.
    pub clone: usize,
    /// Updates (including moves and adopts that carry field changes).
    pub update: usize,
    /// Adopts.
    pub adopt: usize,
    /// Moves.
    pub moved: usize,
    /// Deletes.
    pub delete: usize,
    /// Unchanged resources.
    pub no_op: usize,
}

/// The result of the diff.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Changes in a stable order (kind, then address); no-ops included.
    pub changes: Vec<Change>,
    /// Warnings to show with the plan (never secrets).
    pub warnings: Vec<String>,
    /// Problems that make the plan fail.
    pub problems: Vec<PlanProblem>,
}

impl Plan {
    /// Changes that do something (everything but no-ops).
    pub fn actionable(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|change| change.action != Action::NoOp)
    }

    /// Whether applying the plan would change anything.
    pub fn has_changes(&self) -> bool {
        self.actionable().next().is_some()
    }

    /// Counts by action. A move or adopt with field changes also counts as an update.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Clone => summary.clone += 1,
                Action::Update => summary.update += 1,
                Action::Adopt => {
                    summary.adopt += 1;
                    if !change.fields.is_empty() {
                        summary.update += 1;
                    }
                }
                Action::Move => {
                    summary.moved += 1;
                    if !change.fields.is_empty() {
                        summary.update += 1;
                    }
                }
                Action::Delete => summary.delete += 1,
                Action::NoOp => summary.no_op += 1,
            }
        }
        summary
    }
}
