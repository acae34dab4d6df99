//! `diff`: desired, applied and live state in, plan out.

use flowform_model::{KeyHashMap, KeyHashSet};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use flowform_model::fields::{is_write_only, withhold_write_only};
use flowform_model::references::for_each_live_reference_string;
use flowform_model::{
    Action, Address, Change, DataChange, Dependency, DesiredResource, DesiredState, FieldPath,
    FlowPictures, Kind, LifecycleFlags, LiveResource, LiveState, Lookup, OutsideChange, Plan,
    PlanProblem, ResourceState, State, StateChange, StateFlag, Value,
};

use crate::blast::{LiveReferrers, LiveUses, fill_used_by, needs_blast_radius};
use crate::clones::{PostPlan, complete_clones, kept_copies};
use crate::field_diff::{FieldContext, creation_fields, diff_fields};
use crate::identity::{Binding, resolve};
use crate::normalize::ManagedIds;
use crate::outside::changed_outside;
use crate::pictures::flow_pictures;

/// Options of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// `--adopt`: adopt every unmanaged live resource that has the kind and name of a desired
    /// resource missing from state (as if each had `lifecycle.adopt: true`).
    pub adopt: bool,
    /// `--no-delete`: plan no deletes; the resources they would remove are listed in warnings.
    pub no_delete: bool,
    /// The plan of `flowform destroy` (an empty spec): problems speak of destroying, not of
    /// resources leaving the spec.
    pub destroy: bool,
    /// Leave [`Plan::flow_pictures`] empty: for a plan only the terminal will show (the
    /// pictures are drawn in the JSON and markdown plans, and saved plans carry them).
    pub without_pictures: bool,
}

/// Plans the changes that make the account match the spec.
///
/// Pure: no IO, cannot fail. Problems that make the plan unusable (a delete of a resource with
/// `preventDestroy`, a spec resource that would duplicate an unmanaged live one) are returned
/// in [`Plan::problems`]. Changes are ordered by kind (section order) then address; no-ops are
/// included (counted, not listed, by the renderers).
pub fn diff(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    options: &DiffOptions,
) -> Plan {
    diff_observed(desired, state, live, options, &|_, _| {})
}

/// [`diff`], calling `on_update` with the address and live id of each resource as soon as its
/// comparison finds an update (from any of the plan's threads, before the plan is complete):
/// an apply sends the update's staleness read then, so that it travels while the rest of the
/// plan is made. A call is a hint, not the plan: the finished plan may still refuse (problems)
/// or leave the resource out (`--target`).
pub fn diff_observed(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    options: &DiffOptions,
    on_update: &(dyn Fn(&Address, &str) + Sync),
) -> Plan {
    // The plan runs on several threads where its parts are independent (a plan of 10,000
    // resources must stay fast): the literal ids beside the identities, the note of changes
    // made outside flowform beside the field comparison, and the field comparison in runs
    // several threads take. Every part's results are joined in the order one thread would have
    // made them.
    let (identities, literal_ids) = std::thread::scope(|scope| {
        let literal_ids = scope.spawn(|| crate::literal_ids::missing_literal_ids(desired, live));
        (resolve(desired, state, live, options.adopt), join(literal_ids))
    });
    let mut warnings = identities.warnings;
    let mut problems = identities.problems;
    problems.extend(literal_ids);

    // Ids that map back to addresses: the state's, with moved entries under their new address
    // and adopted resources under the address that adopts them.
    let mut ids = ManagedIds::from_state(state);
    let mut renamed: KeyHashMap<Address, Address> = KeyHashMap::default();
    for (resource, binding) in &identities.bindings {
        match binding {
            Binding::Moved { state: from_state, from, .. } => {
                ids.insert(from_state.id.clone(), resource.address.clone());
                renamed.insert(resource.address.clone(), (*from).clone());
            }
            Binding::Adopted { live: live_resource } => {
                ids.insert(live_resource.id.clone(), resource.address.clone())
            }
            _ => {}
        }
    }

    add_lookup_ids(&mut ids, &identities.bindings, live);

    let bindings = identities.bindings.as_slice();
    // The comparing threads share the bindings in runs taken in address order, which is
    // creation order (parents first): so the staleness reads `on_update` sends go out parents
    // first, and a thread the host slows down takes fewer runs instead of finishing last (a
    // fixed split left one thread comparing alone at the end). The note (which reads every
    // live document) runs on a thread of its own, which then takes runs too.
    let uses = LiveUses::new(live);
    let shares = Shares::new(bindings.len());
    let (changes, warnings_found, outside) = std::thread::scope(|scope| {
        let (ids, renamed, uses, shares) = (&ids, &renamed, &uses, &shares);
        let context = (desired, state, live, ids, renamed);
        let note = scope.spawn(move || {
            let outside = changed_outside(state, live, ids);
            let start_uses = || uses.start(scope);
            (outside, plan_bindings(bindings, shares, 0, context, on_update, &start_uses))
        });
        let other = scope.spawn(move || {
            let start_uses = || uses.start(scope);
            plan_bindings(bindings, shares, 0, context, on_update, &start_uses)
        });
        let start_uses = || uses.start(scope);
        let head = plan_bindings(bindings, shares, bindings.len(), context, on_update, &start_uses);
        let (outside, noted) = join(note);
        let other = join(other);
        // The other threads' changes are moved in after this thread's, in room kept for them
        // (a plan of 10,000 resources holds 10,000 changes of a few hundred bytes: no second
        // vector of them), then put in index order in place.
        let (mut changes, mut indexes, mut warnings) = (head.changes, head.indexes, head.warnings);
        for planned in [other, noted] {
            changes.extend(planned.changes);
            indexes.extend(planned.indexes);
            warnings.extend(planned.warnings);
        }
        let mut order: Vec<usize> = (0..changes.len()).collect();
        order.sort_unstable_by_key(|position| indexes[*position]);
        permute(&mut changes, order);
        // The warnings (few) the same way: a stable sort keeps a binding's own in their order
        // (one thread compares the whole binding).
        warnings.sort_by_key(|(index, _)| *index);
        (changes, warnings.into_iter().map(|(_, warning)| warning), outside)
    });
    warnings.extend(warnings_found);
    let uses = uses.into_found();
    finish(
        desired,
        state,
        live,
        options,
        &identities.moved_from,
        &ids,
        changes,
        warnings,
        problems,
        outside,
        uses,
    )
}

/// The result of a thread of the plan; a panic there is the plan's own panic.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The changes and warnings of a share of the bindings, each with the binding's index.
struct Planned {
    changes: Vec<Change>,
    /// The binding index of each change, position by position.
    indexes: Vec<usize>,
    warnings: Vec<(usize, String)>,
}

/// What a thread of the plan compares: the desired, applied and live state, the ids and the
/// renamed addresses.
type PlanContext<'a> =
    (&'a DesiredState, &'a State, &'a LiveState, &'a ManagedIds, &'a KeyHashMap<Address, Address>);

/// The indexes of the bindings, handed to the comparing threads in runs, in order.
struct Shares {
    next: AtomicUsize,
    len: usize,
}

impl Shares {
    /// Bindings per run: small enough that the threads finish together, large enough that
    /// taking one is rare (a plan of 10,000 resources is 625 runs).
    const RUN: usize = 16;

    fn new(len: usize) -> Self {
        Shares { next: AtomicUsize::new(0), len }
    }

    /// The next run of indexes, or `None` once every binding is taken.
    fn take(&self) -> Option<Range<usize>> {
        let start = self.next.fetch_add(Self::RUN, Ordering::Relaxed);
        (start < self.len).then(|| start..self.len.min(start + Self::RUN))
    }
}

/// Compares the bindings of the runs this thread takes from `shares` (each in its order);
/// each change and warning carries the index of its binding, so the shares of several
/// threads join in one order. `capacity`: room for the changes of the other threads too, on
/// the thread that gathers them.
fn plan_bindings<'a>(
    bindings: &'a [(&DesiredResource, Binding<'_>)],
    shares: &Shares,
    capacity: usize,
    (desired, state, live, ids, renamed): PlanContext<'a>,
    on_update: &(dyn Fn(&Address, &str) + Sync),
    start_uses: &dyn Fn(),
) -> Planned {
    let mut planned = Planned {
        changes: Vec::with_capacity(capacity),
        indexes: Vec::with_capacity(capacity),
        warnings: Vec::new(),
    };
    let mut warnings = Vec::new();
    let taken = std::iter::from_fn(|| shares.take()).flatten();
    for index in taken {
        let (resource, binding) = &bindings[index];
        let mut compare = |entry: Option<&ResourceState>, live_resource: &LiveResource| {
            let context = FieldContext {
                kind: resource.kind(),
                address: &resource.address,
                salt: &state.salt,
                state: entry,
                ids,
                renamed,
            };
            diff_fields(&context, resource, &live_resource.document, &mut warnings)
        };
        let (action, live_resource) = match binding {
            Binding::Existing { state: entry, live: live_resource } => {
                let fields = compare(Some(entry), live_resource);
                let id = live_resource.id.clone();
                let live_last_modified = live_resource.last_modified.clone();
                let action = if !fields.is_empty() {
                    on_update(&resource.address, &id);
                    Action::Update { id, fields, live_last_modified }
                } else {
                    match state_changes(entry, resource) {
                        changes if changes.is_empty() => Action::NoOp { id, live_last_modified },
                        changes => Action::StateOnly { id, changes, live_last_modified },
                    }
                };
                (action, Some(*live_resource))
            }
            Binding::Moved { from, state: entry, live: live_resource } => {
                let action = Action::Move {
                    from: (*from).clone(),
                    id: live_resource.id.clone(),
                    fields: compare(Some(entry), live_resource),
                    live_last_modified: live_resource.last_modified.clone(),
                };
                (action, Some(*live_resource))
            }
            Binding::Adopted { live: live_resource } => {
                let action = Action::Adopt {
                    id: live_resource.id.clone(),
                    fields: compare(None, live_resource),
                    live_last_modified: live_resource.last_modified.clone(),
                };
                (action, Some(*live_resource))
            }
            Binding::New => {
                let fields = creation_fields(resource);
                let action = match &resource.lifecycle.clone_from {
                    Some(from) => Action::Clone { from: from.clone(), fields, copies: Vec::new() },
                    None => Action::Create { fields },
                };
                (action, None)
            }
            Binding::Blocked => continue,
        };
        let data = data_change(desired, resource, live_resource, live);
        // A cache whose data alone changes is updated (its data), not left alone.
        let action = match (action, &data) {
            (Action::NoOp { id, live_last_modified }, Some(_)) => {
                Action::Update { id, fields: Vec::new(), live_last_modified }
            }
            (action, _) => action,
        };
        let change = Change {
            address: resource.address.clone(),
            name: live_resource
                .and_then(|live_resource| live_resource.name.clone())
                .or_else(|| resource.name().map(str::to_owned)),
            depends_on: resource.dependencies(),
            used_by: Vec::new(),
            action,
            data: data.map(Box::new),
        };
        if needs_blast_radius(&change) {
            start_uses();
        }
        planned.changes.push(change);
        planned.indexes.push(index);
        planned.warnings.extend(warnings.drain(..).map(|warning| (index, warning)));
    }
    planned
}

/// The rest of the plan, once every desired resource is compared: clones, deletes, blast
/// radius, order, pictures and the note.
#[allow(clippy::too_many_arguments)]
fn finish(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    options: &DiffOptions,
    moved_from: &KeyHashSet<&Address>,
    ids: &ManagedIds,
    mut changes: Vec<Change>,
    mut warnings: Vec<String>,
    mut problems: Vec<PlanProblem>,
    outside: (Vec<OutsideChange>, Vec<Address>),
    uses: Option<LiveReferrers<'_>>,
) -> Plan {
    // What clones make, and which copies the state manages stay (most plans have neither).
    let clones = changes.iter().any(|change| matches!(change.action, Action::Clone { .. }));
    let copies = state.resources.values().any(|resource| resource.owner.is_some());
    let kept = if clones || copies {
        let mut post = PostPlan::new(desired, state, live, ids, &changes);
        complete_clones(&mut changes, &mut post, options.no_delete, &mut warnings);
        kept_copies(&mut post, moved_from)
    } else {
        KeyHashSet::default()
    };

    plan_deletes(
        desired,
        state,
        live,
        ids,
        &Leaving { moved_from, kept: &kept },
        options,
        &mut changes,
        &mut warnings,
        &mut problems,
    );
    fill_used_by(&mut changes, uses, live, ids, &mut warnings);
    for change in &mut changes {
        withhold_write_only_values(change);
    }

    sort_by_address(&mut changes, |change| &change.address);
    problems.sort_by(|left, right| left.address.cmp(&right.address));
    let flow_pictures = if options.without_pictures {
        FlowPictures::default()
    } else {
        flow_pictures(desired, state, live, ids, &changes)
    };
    let (changed_outside, without_baseline) = outside_note(desired, outside, &changes);
    let lookups = live.lookups.values().cloned().collect();
    Plan {
        changes,
        warnings,
        problems,
        flow_pictures,
        changed_outside,
        without_baseline,
        refresh_only: false,
        lookups,
    }
}

/// Sorts `items` by address, equal addresses in their order (as `sort_by` would), without
/// `sort_by`'s scratch copy of the elements: a plan of 10,000 resources holds 10,000 changes of
/// a few hundred bytes each, and that copy alone would add megabytes to the plan's peak memory.
/// The positions are sorted instead, then the elements moved into place by swaps. Most plans
/// are in order already (resources are planned in address order, deletes after them).
pub(crate) fn sort_by_address<T>(items: &mut [T], address: impl Fn(&T) -> &Address) {
    if items.is_sorted_by(|left, right| address(left) <= address(right)) {
        return;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|left, right| address(&items[*left]).cmp(address(&items[*right])));
    permute(items, order);
}

/// Moves the elements of `items` into the order `order` gives (`order[position]` is the element
/// that belongs at `position`), by swaps: no copy of the elements.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    // Follow each cycle of the permutation, swapping each element into place, and mark the
    // positions done.
    for start in 0..order.len() {
        let mut position = start;
        while order[position] != usize::MAX {
            let from = order[position];
            order[position] = usize::MAX;
            if from == start {
                break;
            }
            items.swap(position, from);
            position = from;
        }
    }
}

/// A value at a write-only path is never shown, whether the spec holds a `${secret.…}`
/// placeholder, a plain value (a spec that bypassed validation) or the account returned it in
/// the clear: the field becomes sensitive, and values that contain such a path are withheld
/// there.
fn withhold_write_only_values(change: &mut Change) {
    let kind = change.kind();
    let fields = match &mut change.action {
        Action::Create { fields }
        | Action::Clone { fields, .. }
        | Action::Update { fields, .. }
        | Action::Adopt { fields, .. }
        | Action::Move { fields, .. } => fields,
        Action::Delete { .. } | Action::StateOnly { .. } | Action::NoOp { .. } => return,
    };
    for field in fields {
        if is_write_only(kind, &field.path) {
            field.sensitive = true;
        }
        if field.sensitive {
            field.before = None;
            field.after = None;
            continue;
        }
        for side in [&mut field.before, &mut field.after].into_iter().flatten() {
            withhold_write_only(kind, &field.path, side);
        }
    }
}

/// The ordinary plan's note of changes made outside flowform: what the plan does not act on.
/// Fields the plan writes (shown as drift in the change), fields under
/// `lifecycle.ignoreChanges` and resources planned for deletion are left out; the state's
/// addresses of moved resources become their new ones.
fn outside_note(
    desired: &DesiredState,
    (mut notes, mut without_baseline): (Vec<OutsideChange>, Vec<Address>),
    changes: &[Change],
) -> (Vec<OutsideChange>, Vec<Address>) {
    let new_address: KeyHashMap<&Address, &Address> =
        desired.moved.iter().map(|entry| (&entry.from, &entry.to)).collect();
    let by_address: KeyHashMap<&Address, &Change> =
        changes.iter().map(|change| (&change.address, change)).collect();
    let rename = |address: &mut Address| {
        if let Some(to) = new_address.get(address)
            && by_address.get(to).and_then(|change| change.action.moved_from()) == Some(address)
        {
            *address = (*to).clone();
        }
    };
    let deleted = |address: &Address| {
        by_address.get(address).is_some_and(|change| matches!(change.action, Action::Delete { .. }))
    };
    for note in &mut notes {
        rename(&mut note.address);
    }
    notes.retain_mut(|note| {
        if deleted(&note.address) {
            return false;
        }
        let written: Vec<&FieldPath> = by_address
            .get(&note.address)
            .map(|change| change.fields().iter().map(|field| &field.path).collect())
            .unwrap_or_default();
        let ignored: &[FieldPath] = desired
            .get(&note.address)
            .map(|resource| resource.lifecycle.ignore_changes.as_slice())
            .unwrap_or_default();
        note.fields.retain(|field| {
            !written
                .iter()
                .any(|path| path.starts_with(&field.path) || field.path.starts_with(path))
                && !ignored.iter().any(|path| field.path.starts_with(path))
        });
        note.deleted || !note.fields.is_empty()
    });
    for address in &mut without_baseline {
        rename(address);
    }
    without_baseline.retain(|address| !deleted(address));
    without_baseline.sort();
    sort_by_address(&mut notes, |note| &note.address);
    (notes, without_baseline)
}

/// How the data of a lookup cache with a `dataFile` changes: the planner's comparison of the
/// live cache it binds to, or every entry of the file for a cache that does not exist yet.
/// `None` when nothing changes (or the spec does not manage the cache's data).
fn data_change(
    desired: &DesiredState,
    resource: &DesiredResource,
    live_resource: Option<&LiveResource>,
    live: &LiveState,
) -> Option<DataChange> {
    let file = desired.data_files.get(&resource.address)?;
    let change = match live_resource {
        Some(live_resource) => live.lookup_data.get(&live_resource.id).cloned()?,
        None => DataChange {
            file: file.written.clone(),
            added: file.entries,
            first_added: file.first_keys.clone(),
            ..DataChange::default()
        },
    };
    (!change.is_empty()).then_some(change)
}

/// The ids lookups stand for, so a live id reads as the lookup the spec writes: what each
/// `data:` lookup found, and every flow group of the live integrations by name (a group the spec
/// renames with `renamedFrom` under its new name, since the rename keeps its id).
fn add_lookup_ids(
    ids: &mut ManagedIds,
    bindings: &[(&DesiredResource, Binding<'_>)],
    live: &LiveState,
) {
    for found in live.lookups.values() {
        ids.insert_lookup(found.id.clone(), Lookup::Data(found.address.clone()));
    }
    let mut renames: KeyHashMap<&str, &[(String, String)]> = KeyHashMap::default();
    for (resource, binding) in bindings {
        let bound = match binding {
            Binding::Existing { live, .. }
            | Binding::Moved { live, .. }
            | Binding::Adopted { live } => live,
            Binding::New | Binding::Blocked => continue,
        };
        if !resource.lifecycle.flow_group_renames.is_empty() {
            renames.insert(bound.id.as_str(), &resource.lifecycle.flow_group_renames);
        }
    }
    for integration in live.of_kind(Kind::Integration) {
        let Some(groups) = integration.document.field("flowGroupings").and_then(Value::as_array)
        else {
            continue;
        };
        let renamed = renames.get(integration.id.as_str()).copied().unwrap_or_default();
        for group in groups {
            let (Some(id), Some(name)) = (
                group.field("_id").and_then(Value::as_str),
                group.field("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let name =
                renamed.iter().find(|(old, _)| old == name).map_or(name, |(_, new)| new.as_str());
            ids.insert_lookup(id, Lookup::FlowGroup(name.to_owned()));
        }
    }
}

/// What stays in the state although the spec does not declare it.
struct Leaving<'l, 'a> {
    /// State addresses whose entry moves to a new address.
    moved_from: &'l KeyHashSet<&'a Address>,
    /// Clone copies still used by their owner.
    kept: &'l KeyHashSet<Address>,
}

/// What the state records of the spec's lifecycle that differs from what the spec says now:
/// the flags a state-only change records (nothing is sent).
fn state_changes(entry: &ResourceState, resource: &DesiredResource) -> Vec<StateChange> {
    let recorded = entry.lifecycle_flags();
    let wanted = LifecycleFlags::of(&resource.lifecycle);
    let mut changes = Vec::new();
    let mut flag = |flag: StateFlag, before: Value, after: Value| {
        changes.push(StateChange { flag, before, after });
    };
    if recorded.prevent_destroy != wanted.prevent_destroy {
        flag(
            StateFlag::PreventDestroy,
            Value::Bool(recorded.prevent_destroy),
            Value::Bool(wanted.prevent_destroy),
        );
    }
    let paths = |paths: &[FieldPath]| {
        let mut texts: Vec<String> = paths.iter().map(ToString::to_string).collect();
        texts.sort();
        texts.dedup();
        texts
    };
    let (before, after) = (paths(&recorded.ignore_changes), paths(&wanted.ignore_changes));
    if before != after {
        let list =
            |texts: Vec<String>| Value::Array(texts.into_iter().map(Value::String).collect());
        flag(StateFlag::IgnoreChanges, list(before), list(after));
    }
    if recorded.adopt != wanted.adopt {
        flag(StateFlag::Adopt, Value::Bool(recorded.adopt), Value::Bool(wanted.adopt));
    }
    if let Some(owner) = &recorded.owner {
        flag(StateFlag::Owner, Value::String(owner.to_string()), Value::Null);
    }
    changes
}

/// Plans a delete for every state entry whose address left the spec (and is not the source of
/// a move, nor a clone copy its owner still uses).
#[allow(clippy::too_many_arguments)]
fn plan_deletes(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    ids: &ManagedIds,
    stays: &Leaving<'_, '_>,
    options: &DiffOptions,
    changes: &mut Vec<Change>,
    warnings: &mut Vec<String>,
    problems: &mut Vec<PlanProblem>,
) {
    let leaving: Vec<(&Address, &flowform_model::ResourceState)> = state
        .resources
        .iter()
        .filter(|(address, _)| {
            !desired.resources.contains_key(*address)
                && !stays.moved_from.contains(address)
                && !stays.kept.contains(*address)
        })
        .collect();
    if leaving.is_empty() {
        return;
    }
    if options.no_delete {
        for (address, resource_state) in leaving {
            let why = match &resource_state.owner {
                Some(owner) => format!(", a copy made by cloning `{owner}`, is no longer used"),
                None => " left the spec".to_owned(),
            };
            warnings.push(format!(
                "`{address}` (`{}`){why} but is not deleted because of `--no-delete`; it stays in the account and in state",
                resource_state.id
            ));
        }
        return;
    }

    // What uses each leaving address: managed referrers (the delete waits for them) and
    // resources flowform does not manage (a problem).
    let mut leaving_ids = ManagedIds::new();
    for (address, resource_state) in &leaving {
        leaving_ids.insert(resource_state.id.clone(), (*address).clone());
    }
    let Users { mut referrers, outside } = users_of(live, ids, &leaving_ids);

    for (address, resource_state) in leaving {
        let live_resource = live.get(address.kind, &resource_state.id);
        for user in outside.get(address).into_iter().flatten() {
            problems.push(used_outside_problem(address, &resource_state.id, user, options.destroy));
        }
        if live_resource.is_none() {
            warnings.push(format!(
                "`{address}` (`{}`) is already gone from the account; the delete only removes it from state",
                resource_state.id
            ));
        }
        if resource_state.prevent_destroy {
            problems.push(prevent_destroy_problem(address, &resource_state.id, options.destroy));
        }
        let depends_on = referrers
            .remove(address)
            .unwrap_or_default()
            .into_iter()
            .map(|(address, breakable)| Dependency { address, breakable })
            .collect();
        changes.push(Change {
            address: address.clone(),
            name: live_resource.and_then(|resource| resource.name.clone()),
            depends_on,
            used_by: Vec::new(),
            action: Action::Delete {
                id: resource_state.id.clone(),
                live_last_modified: live_resource
                    .and_then(|resource| resource.last_modified.clone()),
            },
            data: None,
        });
    }
}

/// What uses the leaving resources, found in one walk over the live documents.
struct Users<'a> {
    /// The managed resources whose live documents reference each leaving address: a delete
    /// waits for them. A referrer is breakable when every reference it holds sits in a
    /// breakable field: when both leave together, the referrer is unlinked first (its
    /// back-reference removed) instead of waiting for a delete that waits for it.
    referrers: BTreeMap<Address, BTreeMap<Address, bool>>,
    /// The live resources flowform does not manage that use a leaving address. Deleting one of
    /// those would be refused halfway through the apply (`resource_in_use`), or, where the
    /// service allows it, leave them broken (API reference §6.7: the UI never deletes a
    /// resource its `/dependencies` lists); either way the plan stops before anything is
    /// written.
    outside: BTreeMap<&'a Address, Vec<&'a LiveResource>>,
}

/// [`Users`] of the resources in `leaving_ids`. The raw documents are searched for the leaving
/// ids, the way normalisation would map them to references, without normalising any document.
fn users_of<'a>(live: &'a LiveState, ids: &ManagedIds, leaving_ids: &'a ManagedIds) -> Users<'a> {
    let mut users = Users { referrers: BTreeMap::new(), outside: BTreeMap::new() };
    for resource in live.resources.values().flat_map(|resources| resources.values()) {
        match ids.address(&resource.id) {
            Some(owner) if owner.kind == resource.kind => {
                for_each_live_reference_string(&resource.document, &mut |_, text, breakable| {
                    if let Some(target) = leaving_ids.address(text)
                        && target != owner
                    {
                        users
                            .referrers
                            .entry(target.clone())
                            .or_default()
                            .entry(owner.clone())
                            .and_modify(|all| *all &= breakable)
                            .or_insert(breakable);
                    }
                });
            }
            Some(_) => {}
            None => {
                let mut used: KeyHashSet<&Address> = KeyHashSet::default();
                for_each_live_reference_string(&resource.document, &mut |_, text, _| {
                    if let Some(target) = leaving_ids.address(text)
                        && used.insert(target)
                    {
                        users.outside.entry(target).or_default().push(resource);
                    }
                });
            }
        }
    }
    users
}

/// The problem of deleting a resource that `user`, which flowform does not manage, still uses.
fn used_outside_problem(
    address: &Address,
    id: &str,
    user: &LiveResource,
    destroy: bool,
) -> PlanProblem {
    let what =
        format!("{} `{}` (`{}`)", user.kind, user.name.as_deref().unwrap_or("(no name)"), user.id);
    let message = if destroy {
        format!(
            "`{address}` (`{id}`) is used by {what}, which flowform does not manage; `destroy` \
             cannot delete it while that stays"
        )
    } else {
        format!(
            "`{address}` (`{id}`) left the spec, but {what}, which flowform does not manage, \
             still uses it"
        )
    };
    PlanProblem {
        path: None,
        origin: None,
        address: address.clone(),
        message,
        hint: Some(format!(
            "change or delete what uses it in integrator.io (or manage it with `flowform import`), \
             then run the same command again; or keep `{address}` in the account and stop \
             managing it with `flowform state rm {address}`"
        )),
    }
}

/// The problem of deleting a resource the state records with `preventDestroy`, in the terms of
/// the command: `destroy` deletes everything, `plan`/`apply` delete what left the spec.
fn prevent_destroy_problem(address: &Address, id: &str, destroy: bool) -> PlanProblem {
    if destroy {
        PlanProblem {
            path: None,
            origin: None,
            address: address.clone(),
            message: format!(
                "`{address}` (`{id}`) has `preventDestroy`; `destroy` would delete it"
            ),
            hint: Some(format!(
                "set `preventDestroy: false` on `{address}` (or remove the line) and run `flowform apply`, which records it, then destroy; or keep it in the account and stop managing it with `flowform state rm {address}`"
            )),
        }
    } else {
        PlanProblem {
            path: None,
            origin: None,
            address: address.clone(),
            message: format!(
                "`{address}` (`{id}`) left the spec, but it has `preventDestroy` and cannot be deleted"
            ),
            hint: Some(format!(
                "put `{address}` back in the spec, or stop managing it without deleting it with `flowform state rm {address}`"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_by_address_is_the_stable_sort() {
        // Shuffled lists with repeated addresses: equal ones keep their order, as with `sort_by`.
        let mut seed: u64 = 7;
        for length in [0, 1, 2, 3, 10, 100, 1_000] {
            let mut items: Vec<(Address, usize)> = (0..length)
                .map(|position| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let key = (seed >> 33) % (length as u64 / 2 + 1);
                    (Address::new(Kind::Export, format!("e{key}")), position)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by(|left, right| left.0.cmp(&right.0));
            sort_by_address(&mut items, |item| &item.0);
            assert_eq!(items, expected, "{length} items");
            sort_by_address(&mut items, |item| &item.0);
            assert_eq!(items, expected, "{length} items, sorted already");
        }
    }

    #[test]
    fn shares_are_taken_once_in_order_and_merge_back_in_index_order() {
        for length in [0usize, 1, 2, 15, 16, 17, 33, 101, 1_000] {
            // Three threads take runs in turn, the first one run, the second two, the third
            // three (a thread the host slows takes fewer); each run in its order.
            let shares = Shares::new(length);
            let mut taken: [Vec<usize>; 3] = Default::default();
            'taking: loop {
                for (thread, runs) in [(0, 1), (1, 2), (2, 3)] {
                    for _ in 0..runs {
                        let Some(run) = shares.take() else { break 'taking };
                        assert!(run.len() <= Shares::RUN && !run.is_empty(), "{run:?}");
                        taken[thread].extend(run);
                    }
                }
            }
            assert!(shares.take().is_none(), "{length}: nothing left once the shares are out");
            // The first thread's are followed by the others', then permuted in place.
            let [mut items, second, third] = taken;
            items.extend(second);
            items.extend(third);
            let indexes = items.clone();
            let mut order: Vec<usize> = (0..items.len()).collect();
            order.sort_unstable_by_key(|position| indexes[*position]);
            permute(&mut items, order);
            assert_eq!(items, (0..length).collect::<Vec<_>>(), "{length} items");
        }
    }
}
