//! The plan: a typed list of changes, produced by the pure diff and rendered by the CLI.
//!
//! A [`Change`] holds what every change has (the address, a display name, the order and the
//! blast radius) and an [`Action`] whose variants carry the data only that action has: a create
//! has no live id, an update always has one, a move always names where it moved from. What
//! cannot happen cannot be written, so the executor never checks at run time for data a plan
//! "should" have. [`ActionKind`] is the action's name without its data, for grouping, counting
//! and display.

use crate::desired::{Origin, RefOrId};
use crate::kind::{Address, Kind};
use crate::lookup::FoundLookup;
use crate::path::FieldPath;
use crate::pictures::FlowPictures;
use crate::value::Value;

/// The name of an [`Action`], without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    /// `POST /{kind}`.
    Create,
    /// `POST /{kind}/{id}/clone`, then the spec's fields are enforced.
    Clone,
    /// `GET`, apply the field changes, `PUT`.
    Update,
    /// Bind an existing unmanaged live resource to the address, then apply any field changes.
    Adopt,
    /// A `moved` rename, then any field changes.
    Move,
    /// `DELETE /{kind}/{id}`.
    Delete,
    /// Only the state changes: a lifecycle flag edited with no change to the body (no request
    /// is sent).
    StateOnly,
    /// Nothing to do (counted, not listed).
    NoOp,
}

impl ActionKind {
    /// The name used in plans: `create`, `clone`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Clone => "clone",
            ActionKind::Update => "update",
            ActionKind::Adopt => "adopt",
            ActionKind::Move => "move",
            ActionKind::Delete => "delete",
            ActionKind::StateOnly => "state-only",
            ActionKind::NoOp => "no-op",
        }
    }
}

/// What happens to one resource, with the data that action needs and nothing else.
///
/// `fields` are field-level changes: for creates and clones every field the spec sets, for the
/// others the fields that differ from the live document. `live_last_modified` is the live
/// `lastModified` seen when planning (a saved plan is stale, and an update refused, if it moved).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `POST /{kind}`: nothing live yet.
    Create {
        /// Every field the spec sets.
        fields: Vec<FieldChange>,
    },
    /// `POST /{kind}/{id}/clone` of `from`, then an update that enforces the spec.
    Clone {
        /// The source (`lifecycle.cloneFrom`).
        from: RefOrId,
        /// Every field the spec sets, and the removals (`null`) of fields the clone brings.
        fields: Vec<FieldChange>,
        /// What the service makes besides the clone (a flow clone copies the flow's exports
        /// and imports), predicted from the source; managed from this apply on.
        copies: Vec<CloneCopy>,
    },
    /// `GET`, apply the field changes, `PUT`. `fields` is never empty (that is a
    /// [`Action::NoOp`]), except for a lookup cache whose data alone changes
    /// ([`Change::data`]; no `PUT` is sent then).
    Update {
        /// The live `_id`.
        id: String,
        /// The fields that change.
        fields: Vec<FieldChange>,
        /// The live `lastModified` seen when planning.
        live_last_modified: Option<String>,
    },
    /// Bind an unmanaged live resource of the same kind and name (`lifecycle.adopt`, `--adopt`,
    /// or a lost create found again), then apply any field changes.
    Adopt {
        /// The live `_id`.
        id: String,
        /// The fields that change (may be empty).
        fields: Vec<FieldChange>,
        /// The live `lastModified` seen when planning.
        live_last_modified: Option<String>,
    },
    /// A `moved` rename: the state entry at `from` takes the change's address, the live
    /// resource stays; field changes may follow.
    Move {
        /// The old address.
        from: Address,
        /// The live `_id`.
        id: String,
        /// The fields that change (may be empty).
        fields: Vec<FieldChange>,
        /// The live `lastModified` seen when planning.
        live_last_modified: Option<String>,
    },
    /// `DELETE /{kind}/{id}`: the address left the spec.
    Delete {
        /// The `_id` the state binds.
        id: String,
        /// The live `lastModified`; `None` when the resource is already gone from the account
        /// (the delete then only removes it from state).
        live_last_modified: Option<String>,
    },
    /// In state and live, the body matches, and only what the state records changes: a
    /// lifecycle flag (`preventDestroy`, `ignoreChanges`, `adopt`) edited in the spec, or a
    /// clone's copy the spec now declares (its owner is dropped). No request is sent.
    StateOnly {
        /// The live `_id`.
        id: String,
        /// What changes in the state, never empty.
        changes: Vec<StateChange>,
        /// The live `lastModified` seen when planning.
        live_last_modified: Option<String>,
    },
    /// In state and live, and nothing differs.
    NoOp {
        /// The live `_id`.
        id: String,
        /// The live `lastModified` seen when planning.
        live_last_modified: Option<String>,
    },
}

impl Action {
    /// The action's name.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Create { .. } => ActionKind::Create,
            Action::Clone { .. } => ActionKind::Clone,
            Action::Update { .. } => ActionKind::Update,
            Action::Adopt { .. } => ActionKind::Adopt,
            Action::Move { .. } => ActionKind::Move,
            Action::Delete { .. } => ActionKind::Delete,
            Action::StateOnly { .. } => ActionKind::StateOnly,
            Action::NoOp { .. } => ActionKind::NoOp,
        }
    }

    /// The name used in plans: `create`, `clone`, ….
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The field changes (none for deletes and no-ops).
    pub fn fields(&self) -> &[FieldChange] {
        match self {
            Action::Create { fields }
            | Action::Clone { fields, .. }
            | Action::Update { fields, .. }
            | Action::Adopt { fields, .. }
            | Action::Move { fields, .. } => fields,
            Action::Delete { .. } | Action::StateOnly { .. } | Action::NoOp { .. } => &[],
        }
    }

    /// The live `_id`, for every action on a resource that exists (all but creates and clones).
    pub fn id(&self) -> Option<&str> {
        match self {
            Action::Create { .. } | Action::Clone { .. } => None,
            Action::Update { id, .. }
            | Action::Adopt { id, .. }
            | Action::Move { id, .. }
            | Action::Delete { id, .. }
            | Action::StateOnly { id, .. }
            | Action::NoOp { id, .. } => Some(id),
        }
    }

    /// The live `lastModified` seen when planning, when there was a live resource.
    pub fn live_last_modified(&self) -> Option<&str> {
        match self {
            Action::Create { .. } | Action::Clone { .. } => None,
            Action::Update { live_last_modified, .. }
            | Action::Adopt { live_last_modified, .. }
            | Action::Move { live_last_modified, .. }
            | Action::Delete { live_last_modified, .. }
            | Action::StateOnly { live_last_modified, .. }
            | Action::NoOp { live_last_modified, .. } => live_last_modified.as_deref(),
        }
    }

    /// For a move, the old address.
    pub fn moved_from(&self) -> Option<&Address> {
        match self {
            Action::Move { from, .. } => Some(from),
            _ => None,
        }
    }

    /// For a clone, the source.
    pub fn clone_from(&self) -> Option<&RefOrId> {
        match self {
            Action::Clone { from, .. } => Some(from),
            _ => None,
        }
    }

    /// For a clone, what the service makes besides it.
    pub fn copies(&self) -> &[CloneCopy] {
        match self {
            Action::Clone { copies, .. } => copies,
            _ => &[],
        }
    }

    /// For a state-only change, what changes in the state.
    pub fn state_changes(&self) -> &[StateChange] {
        match self {
            Action::StateOnly { changes, .. } => changes,
            _ => &[],
        }
    }

    /// Whether the action creates the resource (a create or a clone).
    pub fn creates(&self) -> bool {
        matches!(self, Action::Create { .. } | Action::Clone { .. })
    }
}

/// A resource the service makes while cloning another (the exports and imports a flow clone
/// copies). The plan names it, the apply records it in the state under `address` with the clone
/// as its owner, and it is managed from then on without being in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneCopy {
    /// Where the state records it: `KIND.<clone key>--<source key>` (see
    /// [`crate::copies::copy_address`]).
    pub address: Address,
    /// The name it will have (the source's: the service keeps names when it copies).
    pub name: Option<String>,
    /// What it is a copy of: a managed resource, or a live id the state does not manage.
    pub source: RefOrId,
    /// Whether the clone still uses it once the spec's fields are written. A copy the spec
    /// replaces (the flow's step now points at another resource) is deleted by the same apply,
    /// right after the clone.
    pub kept: bool,
}

/// A lifecycle flag the state records (and, for clone copies, the owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateFlag {
    /// `lifecycle.preventDestroy`.
    PreventDestroy,
    /// `lifecycle.ignoreChanges`.
    IgnoreChanges,
    /// `lifecycle.adopt`.
    Adopt,
    /// The clone that made the resource; dropped when the spec declares the copy.
    Owner,
}

impl StateFlag {
    /// The name used in plans: the spec's name of the directive, or `owner`.
    pub fn as_str(self) -> &'static str {
        match self {
            StateFlag::PreventDestroy => "preventDestroy",
            StateFlag::IgnoreChanges => "ignoreChanges",
            StateFlag::Adopt => "adopt",
            StateFlag::Owner => "owner",
        }
    }
}

/// One flag that changes in the state: `before` as last applied, `after` as the spec says
/// (`Value::Null` for "none"). Never a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// The flag.
    pub flag: StateFlag,
    /// As the state records it.
    pub before: Value,
    /// As the next apply records it.
    pub after: Value,
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
/// Build one with [`FieldChange::new`] and the `with_…` methods; the two flags below are false
/// (and `replaced_by` empty) for an ordinary change.
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
    /// A secret whose live value flowform never verified (after `pull`, `import` or an
    /// adoption the state holds no fingerprint flowform wrote): the apply writes the spec's
    /// value, and nobody can tell whether it differs from the account's. Always `sensitive`.
    pub unverified: bool,
    /// For a removal: the field that replaces this one, because the service refuses both at
    /// once (`pageProcessors` removed for `routers`; the pairs are `flowform_diff`'s table of
    /// mutually exclusive fields).
    pub replaced_by: Option<FieldPath>,
}

impl FieldChange {
    /// An ordinary change: not drift, not sensitive, not a replacement.
    pub fn new(path: FieldPath, op: FieldOp, before: Option<Value>, after: Option<Value>) -> Self {
        FieldChange {
            path,
            op,
            before,
            after,
            drift: false,
            sensitive: false,
            unverified: false,
            replaced_by: None,
        }
    }

    /// The same change, marked as drift or not.
    #[must_use]
    pub fn with_drift(mut self, drift: bool) -> Self {
        self.drift = drift;
        self
    }

    /// The same change as a sensitive one: `before` and `after` are dropped.
    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self.before = None;
        self.after = None;
        self
    }
}

/// One planned change to one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The resource's address (for a move, the new one).
    pub address: Address,
    /// The `name` of the resource (live when it exists, desired otherwise), for display.
    pub name: Option<String>,
    /// What this change must wait for, sorted by address: for creates and updates the resources
    /// the spec references (the resource itself too when it refers to itself, necessarily
    /// through a breakable reference: a flow that chains to itself); for deletes the resources
    /// that still reference this one, breakable when every such reference sits in a breakable
    /// field (a referrer deleted too is then unlinked first). The executor orders steps by this
    /// alone.
    pub depends_on: Vec<Dependency>,
    /// For changed connections, exports, imports and scripts: the flows that use them
    /// (blast radius), as addresses when managed.
    pub used_by: Vec<Address>,
    /// What happens, with its data.
    pub action: Action,
    /// For a lookup cache whose spec has a `dataFile`: how its data changes (an update whose
    /// `fields` are empty changes only its data).
    pub data: Option<Box<crate::lookup_data::DataChange>>,
}

/// One resource a change waits for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dependency {
    /// The resource.
    pub address: Address,
    /// Every reference to it sits in `_runNextFlowIds`, `_runNextExportIds` or integration
    /// `aliases` ([`crate::fields::is_breakable_reference`]): apply may write the change without
    /// those references and add them once both exist, which is how reference cycles are broken.
    pub breakable: bool,
}

impl Dependency {
    /// A dependency that must be written first.
    pub fn hard(address: Address) -> Dependency {
        Dependency { address, breakable: false }
    }
}

impl Change {
    /// The addresses this change waits for, without the resource itself: what plans show as
    /// `depends_on`.
    pub fn waits_for(&self) -> impl Iterator<Item = &Address> {
        self.depends_on
            .iter()
            .map(|dependency| &dependency.address)
            .filter(move |address| **address != self.address)
    }

    /// The resource kind.
    pub fn kind(&self) -> Kind {
        self.address.kind
    }

    /// The action's name.
    pub fn action_kind(&self) -> ActionKind {
        self.action.kind()
    }

    /// The field changes (see [`Action::fields`]).
    pub fn fields(&self) -> &[FieldChange] {
        self.action.fields()
    }

    /// The live `_id` (see [`Action::id`]).
    pub fn id(&self) -> Option<&str> {
        self.action.id()
    }

    /// Whether any field change is marked as drift.
    pub fn has_drift(&self) -> bool {
        self.fields().iter().any(|field| field.drift)
    }

    /// Whether this change enables a flow (`disabled` true → false or removed, or a new flow
    /// that is not disabled) or changes its schedule: the changes a reviewer must not miss.
    pub fn is_activation(&self) -> bool {
        if self.address.kind != Kind::Flow {
            return false;
        }
        let fields = match &self.action {
            Action::Delete { .. } | Action::StateOnly { .. } | Action::NoOp { .. } => return false,
            Action::Create { fields } | Action::Clone { fields, .. } => {
                let disabled = fields.iter().find(|field| field.path.to_string() == "disabled");
                let stays_disabled =
                    disabled.is_some_and(|field| field.after == Some(Value::Bool(true)));
                return !stays_disabled;
            }
            Action::Update { fields, .. }
            | Action::Adopt { fields, .. }
            | Action::Move { fields, .. } => fields,
        };
        fields.iter().any(|field| match field.path.to_string().as_str() {
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
    /// The field of the resource the problem is about, when it is about one.
    pub path: Option<FieldPath>,
    /// Where the resource (or, once the CLI located it, the field) is written in the spec.
    pub origin: Option<Origin>,
}

impl PlanProblem {
    /// A problem with the resource as a whole.
    pub fn new(address: Address, message: String, hint: Option<String>) -> PlanProblem {
        PlanProblem { address, message, hint, path: None, origin: None }
    }
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
    /// State-only changes (a lifecycle flag recorded, nothing sent).
    pub state_only: usize,
    /// Unchanged resources.
    pub no_op: usize,
}

/// A managed resource whose live document changed outside flowform since the state's
/// [`LiveBaseline`](crate::LiveBaseline) (a UI edit, another tool, the service itself).
///
/// Only digests of the earlier values are kept, so only the live value now can be shown.
#[derive(Debug, Clone, PartialEq)]
pub struct OutsideChange {
    /// The resource's address.
    pub address: Address,
    /// The live `_id` the state binds.
    pub id: String,
    /// The live `name` (the last one known when the resource is gone), for display.
    pub name: Option<String>,
    /// The live `lastModified` seen when planning (`None` when the resource is gone); a saved
    /// refresh-only plan is stale when it moved.
    pub live_last_modified: Option<String>,
    /// The fields that changed; empty when the resource is gone.
    pub fields: Vec<OutsideField>,
    /// The resource is gone from the account.
    pub deleted: bool,
}

/// One field changed outside flowform.
#[derive(Debug, Clone, PartialEq)]
pub struct OutsideField {
    /// The field (a leaf: objects are walked, arrays are whole).
    pub path: FieldPath,
    /// `add` (new since the baseline), `replace` or `remove` (gone since the baseline).
    pub op: FieldOp,
    /// The live value now, normalised, with managed ids read as references; `None` when
    /// removed or sensitive.
    pub value: Option<Value>,
    /// The path is write-only or the value masked: the value is never shown.
    pub sensitive: bool,
}

/// The result of the diff.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Changes in a stable order (kind, then address); no-ops included. Always empty in a
    /// refresh-only plan.
    pub changes: Vec<Change>,
    /// Warnings to show with the plan (never secrets).
    pub warnings: Vec<String>,
    /// Problems that make the plan fail.
    pub problems: Vec<PlanProblem>,
    /// What the pictures of the flows the plan touches are drawn from.
    pub flow_pictures: FlowPictures,
    /// Managed resources changed outside flowform since the state's baselines, by address. In
    /// an ordinary plan, a note (no action): fields the plan writes anyway, fields under
    /// `lifecycle.ignoreChanges` and resources planned for deletion are left out. In a
    /// refresh-only plan, everything, and what applying it accepts into the state.
    pub changed_outside: Vec<OutsideChange>,
    /// Managed resources whose state entry has no baseline yet (a state written before
    /// baselines existed): changes outside flowform cannot be told for them until an apply
    /// records one.
    pub without_baseline: Vec<Address>,
    /// A refresh-only plan (`plan --refresh-only`): it writes nothing to the account; applying
    /// it records the account as it is in the state.
    pub refresh_only: bool,
    /// What each `data:` lookup of the spec found, by address.
    pub lookups: Vec<FoundLookup>,
}

impl Plan {
    /// Changes that do something (everything but no-ops).
    pub fn actionable(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|change| change.action_kind() != ActionKind::NoOp)
    }

    /// Whether applying the plan would change anything: the account for an ordinary plan (the
    /// note of changes made outside flowform is no action), the state's baselines for a
    /// refresh-only plan (resources changed or deleted outside flowform). This is what
    /// `--detailed-exitcode` reports.
    pub fn has_changes(&self) -> bool {
        if self.refresh_only {
            !self.changed_outside.is_empty()
        } else {
            self.actionable().next().is_some()
        }
    }

    /// Counts by action. A move or adopt with field changes also counts as an update.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match &change.action {
                Action::Create { .. } => summary.create += 1,
                Action::Clone { .. } => summary.clone += 1,
                Action::Update { .. } => summary.update += 1,
                Action::Adopt { fields, .. } => {
                    summary.adopt += 1;
                    if !fields.is_empty() {
                        summary.update += 1;
                    }
                }
                Action::Move { fields, .. } => {
                    summary.moved += 1;
                    if !fields.is_empty() {
                        summary.update += 1;
                    }
                }
                Action::Delete { .. } => summary.delete += 1,
                Action::StateOnly { .. } => summary.state_only += 1,
                Action::NoOp { .. } => summary.no_op += 1,
            }
        }
        summary
    }
}
