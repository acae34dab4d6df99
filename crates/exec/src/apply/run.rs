//! The run: write-ahead records, the phases (the plan's steps, then the enable-last phase), and
//! the secret baselines.

use flowform_model::{KeyHashMap, KeyHashSet};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use flowform_api::Client;
use flowform_diff::live_baseline;
use flowform_model::fingerprint::secret_fingerprint;
use flowform_model::{
    Action, Address, Change, DesiredState, Kind, LiveState, PendingCreate, Plan, ResourceState,
    UNKNOWN_FINGERPRINT, UNVERIFIED_PREFIX, Value,
};

use super::ahead::Ahead;
use super::context::{Context, ignores_disabled, live_disabled, wants_enabled};
use super::ops::run_step;
use super::steps::{Operation, Step, build_steps};
use super::{ApplyError, ApplyOptions, ApplyReport, Progress, StepOutcome, StepReport};
use crate::graph::{Outcome, StepGraph};
use crate::state::StateWriter;
use crate::state::remote::StateApi;

/// How far before "now" a write-ahead record says its create began, to allow for a server clock
/// behind ours: a resource the server stamped slightly earlier is still recognised.
const CLOCK_SKEW_ALLOWANCE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// Applies `plan`. Never fails as a whole once started: every step's outcome is in the
/// report, and every completed step is in the state.
pub async fn apply<A: StateApi>(
    client: &Client,
    writer: &mut StateWriter<'_, A>,
    desired: &DesiredState,
    plan: &Plan,
    live: &LiveState,
    options: &ApplyOptions<'_>,
) -> Result<ApplyReport, ApplyError> {
    let graph = build_steps(plan)?;
    settle_pending(writer, desired).await?;
    record_pending(writer, desired, plan).await?;

    // Adopted and moved resources exist already, so their ids are known before their steps
    // run: a write that names one (`_runNextFlowIds` is not ordered after adopts, to keep
    // cycles breakable) must find it.
    let ids: KeyHashMap<Address, String> = writer
        .state()
        .resources
        .iter()
        .map(|(address, resource)| (address.clone(), resource.id.clone()))
        .chain(plan.changes.iter().filter_map(|change| match &change.action {
            flowform_model::Action::Adopt { id, .. } | flowform_model::Action::Move { id, .. } => {
                Some((change.address.clone(), id.clone()))
            }
            _ => None,
        }))
        .collect();
    let known_ids: KeyHashMap<Kind, std::collections::HashSet<String>> = Kind::ALL
        .into_iter()
        .map(|kind| (kind, live.of_kind(kind).map(|resource| resource.id.clone()).collect()))
        .collect();
    let salt = writer.state().salt.clone();
    let context = Context {
        client,
        desired,
        live,
        salt,
        writer: tokio::sync::Mutex::new(writer),
        ids: Mutex::new(ids),
        documents: Mutex::new(KeyHashMap::default()),
        known_ids: Mutex::new(known_ids),
        to_enable: Mutex::new(BTreeSet::new()),
        deleting: plan
            .changes
            .iter()
            .filter_map(|change| match &change.action {
                flowform_model::Action::Delete { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect(),
        ahead: Ahead::start(client, &graph, options.early_reads),
    };

    let enables = expected_enables(plan, desired, live);
    (options.progress)(&Progress::Started { total: graph.len() + enables.len() });
    let stop = || options.stop.load(Ordering::SeqCst);
    let mut report = ApplyReport::default();
    let mut failed_addresses: BTreeSet<Address> = BTreeSet::new();
    run_phase(&context, &graph, options, &stop, &mut report, &mut failed_addresses).await;
    if report.interrupted {
        // The enable-last phase never starts: its steps did not run.
        for address in enables {
            let step = Step::new(&address, Operation::Enable);
            report.steps.push(StepReport {
                label: step.label(),
                address: address.clone(),
                action: step.operation.verb(),
                outcome: StepOutcome::NotRun,
            });
        }
    } else {
        let phase = EnablePhase { plan, expected: &enables, steps_before: graph.len() };
        enable_phase(&context, phase, options, &stop, &mut report, &mut failed_addresses).await;
    }

    // Secrets flowform never wrote (after pull or import) get their baseline fingerprint now,
    // marked unverified (it is the spec's secret, not a value anyone compared with the account),
    // so a later rotation in the spec shows as a change; resources whose state entry has no live
    // baseline (a state written before baselines existed) get one, so later changes made outside
    // flowform show.
    let writer = context.writer.into_inner();
    let secrets = record_secret_baselines(writer, desired, &failed_addresses).await;
    let live_baselines = record_live_baselines(writer, live, &failed_addresses).await;
    report.baselines_not_recorded = secrets.and(live_baselines).err();
    Ok(report)
}

/// Records a live baseline for every managed resource whose state entry has none, or one made by
/// older normalisation rules, from the document read for the plan: a state written before
/// baselines existed (or before the rules changed) starts finding changes made outside flowform
/// from this apply on. Resources whose step did not succeed are
/// left for the next apply.
async fn record_live_baselines<A: StateApi>(
    writer: &mut StateWriter<'_, A>,
    live: &LiveState,
    skip: &BTreeSet<Address>,
) -> Result<(), crate::state::StoreError> {
    let salt = writer.state().salt.clone();
    let updates: Vec<(Address, ResourceState)> = writer
        .state()
        .resources
        .iter()
        .filter(|(address, entry)| {
            entry.live.as_ref().is_none_or(|live| !live.is_current()) && !skip.contains(*address)
        })
        .filter_map(|(address, entry)| {
            let document = &live.get(address.kind, &entry.id)?.document;
            let mut updated = entry.clone();
            updated.live = Some(live_baseline(address.kind, &salt, document, entry));
            Some((address.clone(), updated))
        })
        .collect();
    for (address, updated) in updates {
        writer.put(&address, updated).await?;
    }
    Ok(())
}

/// Drops the write-ahead records that are settled. A record whose address is bound in the state
/// was resolved by that binding: a crash between recording a create and dropping its record
/// leaves one behind, and an old record must never make a later plan adopt an unrelated resource
/// of the same name. A record whose address left the spec was named in the plan's warnings; it
/// is dropped too, or it would warn for ever.
async fn settle_pending<A: StateApi>(
    writer: &mut StateWriter<'_, A>,
    desired: &DesiredState,
) -> Result<(), ApplyError> {
    let settled: Vec<Address> = writer
        .state()
        .pending
        .iter()
        .filter(|pending| {
            writer.state().resources.contains_key(&pending.address)
                || desired.get(&pending.address).is_none()
        })
        .map(|pending| pending.address.clone())
        .collect();
    for address in &settled {
        writer.resolve_pending(address).await.map_err(ApplyError::State)?;
    }
    Ok(())
}

/// Write-ahead records for every create and clone, in one durable write before anything is
/// sent.
async fn record_pending<A: StateApi>(
    writer: &mut StateWriter<'_, A>,
    desired: &DesiredState,
    plan: &Plan,
) -> Result<(), ApplyError> {
    let started_at = (jiff::Timestamp::now() - CLOCK_SKEW_ALLOWANCE)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let mut pending = Vec::new();
    for change in plan.changes.iter().filter(|change| change.action.creates()) {
        let Some(resource) = desired.get(&change.address) else { continue };
        let integration_id = match resource.body.get("_integrationId") {
            Some(Value::Ref(address)) => writer.state().get(address).map(|entry| entry.id.clone()),
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        };
        pending.push(PendingCreate {
            address: change.address.clone(),
            kind: change.address.kind,
            name: resource.name().unwrap_or_default().to_owned(),
            integration_id,
            started_at: started_at.clone(),
        });
    }
    writer.add_pending(pending).await.map_err(ApplyError::State)
}

/// The flows the enable-last phase will enable, as the plan and the live documents it was made
/// from tell: a created or cloned flow the spec wants enabled, and a flow the spec wants
/// enabled that is disabled in the account and gets a write (an update, or an adoption or move
/// that changes fields). The steps record the same decision as they write
/// (`Context::force_disabled`), from the document they fetch; counting it first keeps the
/// progress total steady.
fn expected_enables(plan: &Plan, desired: &DesiredState, live: &LiveState) -> BTreeSet<Address> {
    plan.changes
        .iter()
        .filter(|change| change.kind() == Kind::Flow)
        .filter_map(|change| {
            desired
                .get(&change.address)
                .filter(|resource| wants_enabled(resource))
                .map(|resource| (change, resource))
        })
        .filter(|(change, resource)| match &change.action {
            Action::Create { .. } | Action::Clone { .. } => true,
            // After the first write, `ignoreChanges: [disabled]` leaves the flag alone.
            Action::Update { id, .. } => {
                !ignores_disabled(resource) && live_flow_disabled(live, id)
            }
            Action::Adopt { id, fields, .. } | Action::Move { id, fields, .. } => {
                !fields.is_empty() && !ignores_disabled(resource) && live_flow_disabled(live, id)
            }
            Action::Delete { .. } | Action::StateOnly { .. } | Action::NoOp { .. } => false,
        })
        .map(|(change, _)| change.address.clone())
        .collect()
}

fn live_flow_disabled(live: &LiveState, id: &str) -> bool {
    live.get(Kind::Flow, id).is_some_and(|flow| live_disabled(&flow.document))
}

/// What the enable-last phase knows of the run before it.
struct EnablePhase<'p> {
    plan: &'p Plan,
    /// The enables counted at the start ([`expected_enables`]).
    expected: &'p BTreeSet<Address>,
    /// The number of steps of the first phase.
    steps_before: usize,
}

/// The last phase: enable the flows whose writes, and the writes of everything they depend on,
/// all succeeded. A flow counted at the start whose write did not complete gets a skipped
/// enable, so every counted step ends; when the writes found another set of flows to enable
/// than counted, the new total is announced first.
async fn enable_phase<A: StateApi>(
    context: &Context<'_, '_, A>,
    phase: EnablePhase<'_>,
    options: &ApplyOptions<'_>,
    stop: &dyn Fn() -> bool,
    report: &mut ApplyReport,
    failed_addresses: &mut BTreeSet<Address>,
) {
    let EnablePhase { plan, expected, steps_before } = phase;
    let written: BTreeSet<Address> =
        context.to_enable.lock().expect("enable lock").iter().cloned().collect();
    let not_written: Vec<&Address> = expected
        .iter()
        .filter(|address| !written.contains(*address) && failed_addresses.contains(*address))
        .collect();
    let total = steps_before + written.len() + not_written.len();
    if total != steps_before + expected.len() {
        (options.progress)(&Progress::Total { total });
    }
    let mut skipped = |address: &Address, reason: &str| {
        let step = Step::new(address, Operation::Enable);
        let (label, action) = (step.label(), step.operation.verb());
        let outcome = StepOutcome::Skipped(reason.to_owned());
        (options.progress)(&Progress::StepFinished {
            label: &label,
            address,
            action,
            outcome: &outcome,
        });
        report.steps.push(StepReport { label, address: address.clone(), action, outcome });
    };
    for address in not_written {
        skipped(address, "its write did not complete");
    }
    let mut enable_graph = StepGraph::new();
    for address in &written {
        let blocked = dependency_closure(plan, address)
            .iter()
            .any(|dependency| failed_addresses.contains(*dependency));
        if blocked {
            skipped(address, "a resource it depends on was not written");
        } else {
            enable_graph.add(Step::new(address, Operation::Enable));
        }
    }
    if !enable_graph.is_empty() {
        run_phase(context, &enable_graph, options, stop, report, failed_addresses).await;
    }
}

/// Runs one graph of steps, appending each step to the report in the order it ended (steps
/// that never ran come last).
async fn run_phase<A: StateApi>(
    context: &Context<'_, '_, A>,
    graph: &StepGraph<Step<'_>>,
    options: &ApplyOptions<'_>,
    stop: &dyn Fn() -> bool,
    report: &mut ApplyReport,
    failed_addresses: &mut BTreeSet<Address>,
) {
    let finished = Mutex::new(Vec::with_capacity(graph.len()));
    let budget = context.client.budget();
    let parallelism =
        || options.parallelism.max(budget.spare().min(options.burst_parallelism)).max(1);
    let outcomes = crate::graph::run(graph, &parallelism, stop, |index, step| {
        let finished = &finished;
        async move {
            let (label, address, action) = (step.label(), step.address, step.operation.verb());
            (options.progress)(&Progress::StepStarted { label: &label, address, action });
            let outcome = match run_step(context, step).await {
                Ok(text) => StepOutcome::Done(text),
                Err(error) => StepOutcome::Failed(error),
            };
            (options.progress)(&Progress::StepFinished {
                label: &label,
                address,
                action,
                outcome: &outcome,
            });
            finished.lock().expect("finished lock").push(index);
            match outcome {
                StepOutcome::Failed(error) => Err(error),
                other => Ok(other),
            }
        }
    })
    .await;
    let mut order = finished.into_inner().expect("finished lock");
    let ran: KeyHashSet<usize> = order.iter().copied().collect();
    order.extend((0..graph.len()).filter(|index| !ran.contains(index)));
    let mut outcomes: Vec<Option<Outcome<StepOutcome, _>>> =
        outcomes.into_iter().map(Some).collect();
    for index in order {
        let step = graph.step(index);
        let (label, address, action) = (step.label(), step.address, step.operation.verb());
        let outcome = match outcomes[index].take().unwrap_or(Outcome::NotRun) {
            Outcome::Done(outcome) => outcome,
            Outcome::Failed(error) => StepOutcome::Failed(error),
            Outcome::Skipped { because_of } => {
                let outcome =
                    StepOutcome::Skipped(format!("`{}` failed", graph.step(because_of).label()));
                (options.progress)(&Progress::StepFinished {
                    label: &label,
                    address,
                    action,
                    outcome: &outcome,
                });
                outcome
            }
            Outcome::NotRun => StepOutcome::NotRun,
        };
        if !matches!(outcome, StepOutcome::Done(_)) {
            failed_addresses.insert(step.address.clone());
        }
        report.steps.push(StepReport { label, address: address.clone(), action, outcome });
    }
    report.interrupted = stop();
}

/// The address and everything it depends on, directly or not, by the plan's `depends_on`.
fn dependency_closure<'p>(plan: &'p Plan, address: &'p Address) -> BTreeSet<&'p Address> {
    let by_address: KeyHashMap<&Address, &Change> =
        plan.changes.iter().map(|change| (&change.address, change)).collect();
    let mut seen = BTreeSet::new();
    let mut stack = vec![address];
    while let Some(next) = stack.pop() {
        if !seen.insert(next) {
            continue;
        }
        if let Some(change) = by_address.get(next) {
            stack.extend(change.depends_on.iter().map(|dependency| &dependency.address));
        }
    }
    seen
}

async fn record_secret_baselines<A: StateApi>(
    writer: &mut StateWriter<'_, A>,
    desired: &DesiredState,
    skip: &BTreeSet<Address>,
) -> Result<(), crate::state::StoreError> {
    let salt = writer.state().salt.clone();
    let mut updates = Vec::new();
    for (address, entry) in &writer.state().resources {
        if skip.contains(address)
            || !entry.secret_fingerprints.values().any(|value| value == UNKNOWN_FINGERPRINT)
        {
            continue;
        }
        let Some(resource) = desired.get(address) else { continue };
        let body = Value::Object(resource.body.clone());
        let mut updated = entry.clone();
        for (path, fingerprint) in updated.secret_fingerprints.iter_mut() {
            if fingerprint != UNKNOWN_FINGERPRINT {
                continue;
            }
            if let Some(Value::Secret(secret)) = body.get(path)
                && let Some(value) = secret.expose()
            {
                *fingerprint = format!("{UNVERIFIED_PREFIX}{}", secret_fingerprint(&salt, value));
            }
        }
        if &updated != entry {
            updates.push((address.clone(), updated));
        }
    }
    for (address, updated) in updates {
        writer.put(&address, updated).await?;
    }
    Ok(())
}
