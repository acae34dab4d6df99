//! The planner: reads the live account (one paginated list per kind, all kinds at once) and
//! turns spec + state + live into a plan, limited to `--target` when asked.

use flowform_model::KeyHashMap;
use std::collections::BTreeSet;
use std::str::FromStr;

use flowform_api::Client;
use flowform_diff::DiffOptions;
use flowform_model::fingerprint::value_digest;
use flowform_model::{
    Action, Address, DesiredState, FieldPath, Kind, LiveState, Plan, PlanProblem, State, Value,
};
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::saved::PlanOptions;
use crate::state::lock::LockHolder;

/// How many scripts are fetched at once when their content must be read.
const SCRIPT_FETCH_CONCURRENCY: usize = 16;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Reading the account failed.
    #[error("cannot read the account")]
    Read(#[source] flowform_api::Error),
    /// A `--target` names nothing.
    #[error("`--target {0}` names no resource in the spec or the state")]
    UnknownTarget(String),
    /// A `--target` of a destroy names a resource the state does not manage.
    #[error("`--target {0}` names no resource the state manages")]
    NotManaged(String),
    /// A `--target` is not an address.
    #[error("`--target {target}` is not an address: {reason}")]
    BadTarget {
        /// As written.
        target: String,
        /// Why.
        reason: String,
    },
    /// The plan has problems (duplicate guard, `preventDestroy`, …).
    #[error("the plan cannot be applied: {}", problem_list(.0))]
    Problems(Vec<PlanProblem>),
    /// A lookup cache's data could not be compared with its `dataFile`.
    #[error("cannot compare a lookup cache's data with its data file")]
    Data(#[source] crate::lookup_data::DataError),
    /// A `data:` lookup finds no resource or several, or a flow names a group its integration
    /// does not have: nothing can be planned.
    #[error("{}", lookup_list(.0))]
    Lookups(Vec<crate::lookups::LookupProblem>),
}

fn lookup_list(problems: &[crate::lookups::LookupProblem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => format!("{} lookups cannot be resolved", many.len()),
    }
}

fn problem_list(problems: &[PlanProblem]) -> String {
    match problems {
        [one] => one.message.clone(),
        many => format!("{} problems", many.len()),
    }
}

/// Reads every kind the spec or the state names, in parallel, one paginated list per kind.
///
/// Script lists do not carry `content`, so a script's document is read by id only when its
/// content could have changed: when it is not in state, when the spec's content changed since
/// the last apply, or when its live `lastModified` moved since flowform wrote it. Otherwise the
/// content flowform last wrote is still live, and the spec's content is filled in.
pub async fn read_live(
    client: &Client,
    desired: &DesiredState,
    state: &State,
) -> Result<LiveState, PlanError> {
    let mut live = list_live(client).await?;
    complete_live(client, desired, state, &mut live).await?;
    Ok(live)
}

/// The part of [`read_live`] that needs neither the spec nor the state: one paginated list
/// per kind, all kinds at once. A caller may start it first and read the state while the
/// lists travel, then finish with [`complete_live`].
pub async fn list_live(client: &Client) -> Result<LiveState, PlanError> {
    client.list_kinds(&Kind::ALL).await.map_err(PlanError::Read)
}

/// The rest of [`read_live`] once the lists are in: the scripts' content, read by id only
/// where it may differ from what flowform last wrote, and the spec's `data:` lookups (a
/// lookup that finds nothing, or more than one resource, fails the plan here).
pub async fn complete_live(
    client: &Client,
    desired: &DesiredState,
    state: &State,
    live: &mut LiveState,
) -> Result<(), PlanError> {
    fill_script_content(client, desired, state, live).await?;
    crate::lookups::resolve(client, desired, live).await?;
    compare_lookup_data(client, desired, state, live).await
}

/// Compares the data of every live lookup cache a spec's `dataFile` may bind to (the one its
/// address, or the address it moved from, is bound to in the state; else the live caches of its
/// name, which an adoption could bind) with that file, page by page; the diff reads the results.
async fn compare_lookup_data(
    client: &Client,
    desired: &DesiredState,
    state: &State,
    live: &mut LiveState,
) -> Result<(), PlanError> {
    let mut to_compare: Vec<(String, &flowform_model::lookup_data::DataFile)> = Vec::new();
    for (address, file) in &desired.data_files {
        let bound = state.get(address).or_else(|| {
            desired
                .moved
                .iter()
                .find(|entry| &entry.to == address)
                .and_then(|entry| state.get(&entry.from))
        });
        match bound {
            Some(entry) if live.get(Kind::LookupCache, &entry.id).is_some() => {
                to_compare.push((entry.id.clone(), file));
            }
            Some(_) => {}
            None => {
                let name = desired.get(address).and_then(|resource| resource.name());
                let bound_ids: BTreeSet<&str> =
                    state.resources.values().map(|entry| entry.id.as_str()).collect();
                for cache in live.of_kind(Kind::LookupCache) {
                    if cache.name.as_deref() == name && !bound_ids.contains(cache.id.as_str()) {
                        to_compare.push((cache.id.clone(), file));
                    }
                }
            }
        }
    }
    let compared =
        futures::future::try_join_all(to_compare.into_iter().map(|(id, file)| async move {
            crate::lookup_data::compare(client, &id, file).await.map(|change| (id, change))
        }))
        .await
        .map_err(PlanError::Data)?;
    live.lookup_data.extend(compared);
    Ok(())
}

async fn fill_script_content(
    client: &Client,
    desired: &DesiredState,
    state: &State,
    live: &mut LiveState,
) -> Result<(), PlanError> {
    let content_path = FieldPath::from_keys(["content"]);
    let by_id: KeyHashMap<&str, &Address> =
        state.resources.iter().map(|(address, resource)| (resource.id.as_str(), address)).collect();
    let mut to_fetch = Vec::new();
    let mut known: Vec<(String, String)> = Vec::new();
    for script in live.of_kind(Kind::Script) {
        if script.document.field("content").is_some() {
            continue;
        }
        let Some(address) = by_id.get(script.id.as_str()) else {
            // Unmanaged: the plan only needs its name (duplicate guard and adoption read it
            // again when adopting).
            if desired
                .of_kind(Kind::Script)
                .any(|resource| resource.name() == script.name.as_deref())
            {
                to_fetch.push(script.id.clone());
            }
            continue;
        };
        let resource_state = &state.resources[*address];
        let desired_content = desired
            .get(address)
            .or_else(|| {
                // A moved script is desired under its new address.
                desired
                    .moved
                    .iter()
                    .find(|entry| &entry.from == *address)
                    .and_then(|entry| desired.get(&entry.to))
            })
            .and_then(|resource| resource.body.get("content"));
        // Changes made outside flowform are found against the live baseline: once the script
        // changed since it, its source is read to compare.
        let moved_past_baseline = resource_state
            .live
            .as_ref()
            .is_some_and(|baseline| baseline.last_modified != script.last_modified);
        let unchanged_since_apply = !moved_past_baseline
            && resource_state.last_modified.is_some()
            && resource_state.last_modified == script.last_modified
            && desired_content.is_some_and(|content| {
                resource_state.applied_paths.get(&content_path)
                    == Some(&value_digest(&state.salt, content))
            });
        match desired_content {
            Some(Value::String(content)) if unchanged_since_apply => {
                known.push((script.id.clone(), content.clone()))
            }
            // Not desired any more (a delete needs no content, but a change outside flowform
            // is still found), or content to compare.
            None if !moved_past_baseline => {}
            _ => to_fetch.push(script.id.clone()),
        }
    }
    for (id, content) in known {
        if let Some(script) =
            live.resources.get_mut(&Kind::Script).and_then(|scripts| scripts.get_mut(&id))
            && let Value::Object(document) = &mut script.document
        {
            document.insert("content".to_owned(), Value::String(content));
        }
    }
    let mut fetches: FuturesUnordered<_> = FuturesUnordered::new();
    let mut pending = to_fetch.into_iter();
    let mut fetched = Vec::new();
    loop {
        while fetches.len() < SCRIPT_FETCH_CONCURRENCY {
            let Some(id) = pending.next() else { break };
            fetches.push(async move { client.get(Kind::Script, &id).await });
        }
        match fetches.next().await {
            Some(result) => fetched.push(result.map_err(PlanError::Read)?),
            None => break,
        }
    }
    for script in fetched {
        live.insert(script);
    }
    Ok(())
}

/// Makes the plan: the diff, limited to the targets and what they depend on, failing on
/// problems that concern what remains (or, with `refresh_only`, the changes made outside
/// flowform since the state's baselines, [`flowform_diff::refresh`]). What `apply` executes.
///
/// With `options.destroy`, `desired` must be empty (the caller passes an empty spec): every
/// managed resource is deleted, and `targets` select those resources and everything that
/// depends on them (see [`plan_for_review`]).
pub fn make_plan(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    refuse_problems(scoped_plan(desired, state, live, options, &Observe::NOTHING)?)
}

/// The plan, or its problems when it has any.
fn refuse_problems(plan: Plan) -> Result<Plan, PlanError> {
    if !plan.problems.is_empty() {
        return Err(PlanError::Problems(plan.problems));
    }
    Ok(plan)
}

/// [`make_plan`] for an apply about to run it: the staleness read of each update is sent
/// (`reads`) as soon as the diff finds the update, so that it travels while the rest of the
/// plan is made. Only for a plan of everything (with `--target`, an update found may be left
/// out of the plan, and its read would be wasted).
///
/// With `pictures` false the plan leaves [`Plan::flow_pictures`] empty (they are drawn only in
/// JSON and markdown plans).
pub fn make_plan_reading(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    options: &PlanOptions,
    reads: &crate::apply::EarlyReads,
    pictures: bool,
) -> Result<Plan, PlanError> {
    let read = |address: &Address, id: &str| reads.send(address, id);
    let on_update: &(dyn Fn(&Address, &str) + Sync) =
        if options.targets.is_empty() { &read } else { &|_, _| {} };
    let observe = Observe { on_update, pictures };
    refuse_problems(scoped_plan(desired, state, live, options, &observe)?)
}

/// Makes the plan to show: as [`make_plan`], but the problems stay in the plan (a JSON or
/// markdown plan carries them to CI), and with `in_progress` (the live holder of the state's
/// lock: another apply is running) the plan says so and leaves out what that apply is creating.
///
/// An apply records each create it is about to send as a write-ahead `pending` record, and
/// drops it once the create is recorded. Without a running apply such a record is a create
/// that got no answer, and the diff adopts the resource it may have made instead of creating a
/// second one. While the apply runs, its records are creates in flight: adopting their
/// resources, or creating them again, would race it. So the records of a running apply are
/// not used for recovery, and the resources they name are neither created nor adopted by this
/// plan: a warning names them and the lock holder.
pub fn plan_for_review(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    options: &PlanOptions,
    in_progress: Option<&LockHolder>,
) -> Result<Plan, PlanError> {
    let Some(holder) = in_progress else {
        return scoped_plan(desired, state, live, options, &Observe::NOTHING);
    };
    let in_flight: BTreeSet<&Address> =
        state.pending.iter().map(|pending| &pending.address).collect();
    let mut plan = if in_flight.is_empty() {
        scoped_plan(desired, state, live, options, &Observe::NOTHING)?
    } else {
        let mut without_records = state.clone();
        without_records.pending.clear();
        let mut plan = scoped_plan(desired, &without_records, live, options, &Observe::NOTHING)?;
        plan.changes.retain(|change| {
            let makes = change.action.creates() || matches!(change.action, Action::Adopt { .. });
            !(makes && in_flight.contains(&change.address))
        });
        plan.problems.retain(|problem| !in_flight.contains(&problem.address));
        plan
    };
    let mut notes = vec![format!(
        "an apply is in progress: the state is locked by {holder}; this plan compares the spec with the account and the state as that apply has left them so far: plan again once it ends"
    )];
    if !in_flight.is_empty() {
        notes.push(format!(
            "{} {} being created by the apply in progress (write-ahead records in the state): this plan neither creates nor adopts {}",
            in_flight.iter().map(|address| format!("`{address}`")).collect::<Vec<_>>().join(", "),
            if in_flight.len() == 1 { "is" } else { "are" },
            if in_flight.len() == 1 { "it" } else { "them" },
        ));
    }
    plan.warnings.splice(0..0, notes);
    Ok(plan)
}

/// The diff limited to the targets; problems stay in the plan.
/// What a plan made for an apply does besides planning: who hears of each update as it is
/// found, and whether the flow pictures are drawn.
struct Observe<'a> {
    on_update: &'a (dyn Fn(&Address, &str) + Sync),
    pictures: bool,
}

impl Observe<'_> {
    /// Nobody hears; the pictures are drawn.
    const NOTHING: Observe<'static> = Observe { on_update: &|_, _| {}, pictures: true };
}

fn scoped_plan(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    options: &PlanOptions,
    observe: &Observe<'_>,
) -> Result<Plan, PlanError> {
    if options.refresh_only {
        // The account against the state's baselines; nothing else is planned, so there is
        // nothing to limit and no problem to refuse on.
        return Ok(flowform_diff::refresh(state, live));
    }
    let mut plan = flowform_diff::diff_observed(
        desired,
        state,
        live,
        &DiffOptions {
            adopt: options.adopt,
            no_delete: options.no_delete,
            destroy: options.destroy,
            without_pictures: !observe.pictures,
        },
        observe.on_update,
    );
    if options.targets.is_empty() {
        return Ok(plan);
    }
    if options.destroy {
        let scope = destroy_scope(&plan, state, &options.targets)?;
        plan.changes.retain(|change| scope.contains(&change.address));
        plan.problems.retain(|problem| scope.contains(&problem.address));
        let named: BTreeSet<&Address> = options
            .targets
            .iter()
            .filter_map(|target| scope.iter().find(|address| address.to_string() == *target))
            .collect();
        plan.warnings.push(format!(
            "the destroy is limited to {} and what depends on {} ({} in all); the other managed resources stay",
            named.iter().map(|address| format!("`{address}`")).collect::<Vec<_>>().join(", "),
            if named.len() == 1 { "it" } else { "them" },
            counted(scope.len(), "resource")
        ));
        return Ok(plan);
    }
    let scope = target_scope(desired, state, &options.targets)?;
    plan.changes.retain(|change| match change.action {
        // A clone's unused copy goes with its owner.
        Action::Delete { .. } => {
            scope.explicit.contains(&change.address)
                || state
                    .get(&change.address)
                    .and_then(|entry| entry.owner.as_ref())
                    .is_some_and(|owner| scope.explicit.contains(owner))
        }
        _ => scope.with_dependencies.contains(&change.address),
    });
    plan.problems.retain(|problem| scope.with_dependencies.contains(&problem.address));
    plan.warnings.push(format!(
        "the plan is limited to {} and what {} depends on; other changes may be pending",
        scope.explicit.iter().map(|address| format!("`{address}`")).collect::<Vec<_>>().join(", "),
        if scope.explicit.len() == 1 { "it" } else { "they" }
    ));
    Ok(plan)
}

fn counted(count: usize, word: &str) -> String {
    if count == 1 { format!("1 {word}") } else { format!("{count} {word}s") }
}

/// What `destroy --target` selects: the named managed resources and, transitively, every
/// managed resource that references one of them (a delete's `depends_on` lists the managed
/// resources whose live documents still name it). Those must go first: a resource still in use
/// cannot be deleted (the API refuses), and a flow left pointing at a deleted export would
/// break.
pub fn destroy_scope(
    plan: &Plan,
    state: &State,
    targets: &[String],
) -> Result<BTreeSet<Address>, PlanError> {
    let referrers: KeyHashMap<&Address, Vec<&Address>> =
        plan.changes.iter().map(|change| (&change.address, change.waits_for().collect())).collect();
    let mut scope = BTreeSet::new();
    let mut stack = Vec::new();
    for target in targets {
        let address = Address::from_str(target).map_err(|error| PlanError::BadTarget {
            target: target.clone(),
            reason: error.to_string(),
        })?;
        if state.get(&address).is_none() {
            return Err(PlanError::NotManaged(target.clone()));
        }
        stack.push(address);
    }
    while let Some(address) = stack.pop() {
        // Flows that chain to each other reference each other: visit each address once.
        if scope.contains(&address) {
            continue;
        }
        if let Some(next) = referrers.get(&address) {
            stack.extend(next.iter().map(|referrer| (*referrer).clone()));
        }
        // What a clone made goes with it (the copies are deleted after it).
        stack.extend(state.copies_of(&address).map(|(copy, _)| copy.clone()));
        scope.insert(address);
    }
    Ok(scope)
}

/// What `--target` selects.
pub struct TargetScope {
    /// The addresses named.
    pub explicit: BTreeSet<Address>,
    /// Those and everything they depend on, transitively (with the old addresses of moves).
    pub with_dependencies: BTreeSet<Address>,
}

/// Resolves `--target` addresses against the spec and the state: each must name a resource of
/// either. `plan --target` keeps changes to what this selects; `graph --target` draws it.
pub fn target_scope(
    desired: &DesiredState,
    state: &State,
    targets: &[String],
) -> Result<TargetScope, PlanError> {
    let mut explicit = BTreeSet::new();
    for target in targets {
        let address = Address::from_str(target).map_err(|error| PlanError::BadTarget {
            target: target.clone(),
            reason: error.to_string(),
        })?;
        if desired.get(&address).is_none() && state.get(&address).is_none() {
            return Err(PlanError::UnknownTarget(target.clone()));
        }
        explicit.insert(address);
    }
    let mut with_dependencies = BTreeSet::new();
    let mut stack: Vec<Address> = explicit.iter().cloned().collect();
    while let Some(address) = stack.pop() {
        if !with_dependencies.insert(address.clone()) {
            continue;
        }
        if let Some(resource) = desired.get(&address) {
            resource.for_each_reference(|_, dependency| stack.push(dependency.clone()));
        }
        // A moved resource's old address goes with it.
        for entry in desired.moved.iter().filter(|entry| entry.to == address) {
            stack.push(entry.from.clone());
        }
    }
    Ok(TargetScope { explicit, with_dependencies })
}

#[cfg(test)]
mod tests {
    use flowform_model::{
        ActionKind, Change, DesiredResource, Lifecycle, LiveResource, Object, PendingCreate,
        ResourceState,
    };

    use super::*;

    fn address(text: &str) -> Address {
        text.parse().unwrap()
    }

    fn desired(addresses: &[(&str, &str)]) -> DesiredState {
        let mut desired = DesiredState::default();
        for (text, name) in addresses {
            let mut body = Object::default();
            body.insert("name".into(), Value::String((*name).into()));
            desired.resources.insert(
                address(text),
                DesiredResource {
                    address: address(text),
                    body,
                    lifecycle: Lifecycle::default(),
                    origin: None,
                },
            );
        }
        desired
    }

    fn holder() -> LockHolder {
        LockHolder {
            pid: 4242,
            host: "ci-runner".into(),
            process_start: None,
            command: "apply".into(),
            acquired_at: "2026-06-01T10:00:00.000Z".into(),
            expires_at: None,
        }
    }

    /// An apply recorded two creates and sent the first: its resource is live, not yet bound.
    fn during_an_apply() -> (DesiredState, State, LiveState) {
        let desired = desired(&[("integration.main", "Main"), ("connection.api", "API")]);
        let mut state = State::new("lineage".into(), "t".into(), "salt".into());
        for (text, kind, name) in [
            ("integration.main", Kind::Integration, "Main"),
            ("connection.api", Kind::Connection, "API"),
        ] {
            state.pending.push(PendingCreate {
                address: address(text),
                kind,
                name: name.into(),
                integration_id: None,
                started_at: "2026-06-01T10:00:01.000Z".into(),
            });
        }
        let mut live = LiveState::default();
        live.insert(
            LiveResource::from_document(
                Kind::Integration,
                serde_json::json!({"_id": "a".repeat(24), "name": "Main", "createdAt": "2026-06-01T10:00:02.000Z"}),
            )
            .unwrap(),
        );
        (desired, state, live)
    }

    #[test]
    fn write_ahead_records_of_a_running_apply_are_not_recovered() {
        let (desired, state, live) = during_an_apply();
        // Nobody holds the lock: the records are creates that got no answer, and the resource
        // the first one made is adopted instead of created twice.
        let plan = plan_for_review(&desired, &state, &live, &PlanOptions::default(), None).unwrap();
        let actions: Vec<(String, ActionKind)> = plan
            .actionable()
            .map(|change| (change.address.to_string(), change.action_kind()))
            .collect();
        assert_eq!(
            actions,
            [
                ("integration.main".to_owned(), ActionKind::Adopt),
                ("connection.api".to_owned(), ActionKind::Create)
            ]
        );
        // A running apply holds the lock: its creates are in flight, neither adopted nor
        // created again, and the warnings say so.
        let plan =
            plan_for_review(&desired, &state, &live, &PlanOptions::default(), Some(&holder()))
                .unwrap();
        assert!(!plan.has_changes(), "{:?}", plan.changes);
        assert!(plan.problems.is_empty(), "no duplicate guard either: {:?}", plan.problems);
        assert_eq!(
            plan.warnings[0],
            "an apply is in progress: the state is locked by `flowform apply` (pid 4242 on host `ci-runner`, since 2026-06-01T10:00:00.000Z); this plan compares the spec with the account and the state as that apply has left them so far: plan again once it ends"
        );
        assert_eq!(
            plan.warnings[1],
            "`integration.main`, `connection.api` are being created by the apply in progress (write-ahead records in the state): this plan neither creates nor adopts them"
        );
        // `make_plan` (what `apply` runs, under the lock) is not affected.
        let plan = make_plan(&desired, &state, &live, &PlanOptions::default()).unwrap();
        assert_eq!(plan.summary().adopt, 1);
    }

    #[test]
    fn a_bound_resource_keeps_its_change_while_an_apply_runs() {
        let (desired, mut state, live) = during_an_apply();
        // A record left behind for an address the state binds (a crash between the two
        // writes) is not a create in flight.
        state.resources.insert(
            address("integration.main"),
            ResourceState { id: "a".repeat(24), ..ResourceState::default() },
        );
        let plan =
            plan_for_review(&desired, &state, &live, &PlanOptions::default(), Some(&holder()))
                .unwrap();
        assert!(
            plan.changes.iter().any(|change| change.address == address("integration.main")),
            "{:?}",
            plan.changes
        );
    }

    #[test]
    fn a_destroy_target_takes_everything_that_references_it() {
        let delete = |text: &str, referrers: &[&str]| Change {
            address: address(text),
            name: None,
            depends_on: referrers
                .iter()
                .map(|referrer| flowform_model::Dependency::hard(address(referrer)))
                .collect(),
            used_by: Vec::new(),
            action: Action::Delete { id: "e".repeat(24), live_last_modified: None },
            data: None,
        };
        // Two flows that chain to each other, one using the export; the connection is used by
        // the export only.
        let plan = Plan {
            changes: vec![
                delete("integration.main", &["flow.a", "flow.b"]),
                delete("connection.api", &["export.orders"]),
                delete("export.orders", &["flow.a"]),
                delete("flow.a", &["flow.b"]),
                delete("flow.b", &["flow.a"]),
            ],
            ..Plan::default()
        };
        let mut state = State::new("l".into(), "t".into(), "s".into());
        for change in &plan.changes {
            state.resources.insert(
                change.address.clone(),
                ResourceState { id: "e".repeat(24), ..ResourceState::default() },
            );
        }
        let scope = destroy_scope(&plan, &state, &["connection.api".to_owned()]).unwrap();
        let scope: Vec<String> = scope.iter().map(ToString::to_string).collect();
        assert_eq!(scope, ["connection.api", "export.orders", "flow.a", "flow.b"]);
        let scope = destroy_scope(&plan, &state, &["flow.b".to_owned()]).unwrap();
        assert_eq!(scope.len(), 2, "{scope:?}");
        assert!(matches!(
            destroy_scope(&plan, &state, &["script.gone".to_owned()]),
            Err(PlanError::NotManaged(_))
        ));
    }
}
