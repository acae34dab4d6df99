//! The executor: turns a plan into ordered API calls and records every completed step in the
//! state at once.
//!
//! Steps and their order:
//! - a *write* per create, clone, adopt, move and update. A write waits for the creates of the
//!   resources it references (it needs their ids) and for the updates of its parents (parents
//!   first). A reference inside `_runNextFlowIds`, `_runNextExportIds` or `aliases` to a
//!   resource created in the same run is left out of the write and added by a *fixup* update
//!   once both exist, which is how reference cycles are broken;
//! - a *delete* per delete, after every update that drops a reference to it and every delete
//!   of a resource that references it (children first);
//! - an *enable* per flow the spec wants enabled that is created or currently disabled: flows
//!   are written with `disabled: true` and enabled in a last phase, once everything else ran,
//!   if the flow and everything it depends on were written.
//!
//! Every create is first recorded as a write-ahead `pending` entry (one state write before any
//! create is sent), so a create whose answer is lost, even to a crash, is found and adopted on
//! the next run instead of being created twice.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use flowform_api::Client;
use flowform_diff::{WriteOptions, create_document, record_applied, update_document};
use flowform_model::fingerprint::secret_fingerprint;
use flowform_model::references::for_each_live_string;
use flowform_model::{
    Action, Address, Change, DesiredResource, DesiredState, Kind, LiveState, PendingCreate, Plan,
    RefOrId, ResourceState, UNKNOWN_FINGERPRINT, Value,
};

use crate::graph::{Outcome, StepGraph};
use crate::state::StateWriter;
use crate::state::remote::StateApi;

/// How far before "now" a write-ahead record says its create began, to allow for a server clock
/// behind ours: a resource the server stamped slightly earlier is still recognised.
const CLOCK_SKEW_ALLOWANCE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// `POST /{kind}`.
    Create,
    /// `POST /{kind}/{id}/clone`, then an update that enforces the spec.
    Clone,
    /// Bind an unmanaged live resource, then update it if the plan says so.
    Adopt,
    /// Rename the state entry, then update if the plan says so.
    Move,
    /// `GET` + `PUT`.
    Update,
    /// `PUT` adding back-references left out of an earlier write of this run.
    Fixup,
    /// `PUT` with `disabled: false` (flows), the last phase.
    Enable,
    /// `DELETE`.
    Delete,
}

impl StepKind {
    fn verb(&self) -> &'static str {
        match self {
            StepKind::Create => "create",
            StepKind::Clone => "clone",
            StepKind::Adopt => "adopt",
            StepKind::Move => "move",
            StepKind::Update => "update",
            StepKind::Fixup => "link",
            StepKind::Enable => "enable",
            StepKind::Delete => "delete",
        }
    }
}

/// One step of an apply.
#[derive(Debug, Clone)]
pub struct Step {
    /// The resource.
    pub address: Address,
    /// What the step does.
    pub kind: StepKind,
    /// The plan's change (index into `Plan::changes`).
    change: usize,
    /// Leave breakable references out (a fixup step adds them).
    omit_breakable: bool,
}

impl Step {
    /// `create flow.nightly`, `enable flow.nightly`, …
    pub fn label(&self) -> String {
        format!("{} {}", self.kind.verb(), self.address)
    }
}

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// Done; the text says what (`created (65a…)`, `recovered a lost create (65a…)`, …).
    Done(String),
    /// Failed with this message (the API's code and message included).
    Failed(String),
    /// Not run because this step failed.
    Skipped(String),
    /// Not run because the apply was interrupted.
    NotRun,
}

/// Progress, for the CLI to render.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The apply is about to run this many steps.
    Started {
        /// The number of steps.
        total: usize,
    },
    /// A step began.
    StepStarted {
        /// Its label.
        label: String,
    },
    /// A step ended.
    StepFinished {
        /// Its label.
        label: String,
        /// How.
        outcome: StepOutcome,
    },
}

/// Options of an apply.
pub struct ApplyOptions<'a> {
    /// Steps in flight at most (`--parallelism`, default 8) while the client's rate budget has
    /// no requests to spare.
    pub parallelism: usize,
    /// Steps in flight at most while the rate budget has requests to spare: one step per spare
    /// request, up to this. A full bucket (after an idle period) is spent at once instead of
    /// `parallelism` steps at a time, and steps too slow to use the rate (long latency) get
    /// more company until the bucket stops filling up. `parallelism` or less turns it off.
    pub burst_parallelism: usize,
    /// Set (by a Ctrl-C handler) to stop scheduling; steps in flight finish.
    pub stop: &'a AtomicBool,
    /// Receives progress events.
    pub progress: &'a (dyn Fn(&Progress) + Sync),
}

/// One step in the report.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The step's label.
    pub label: String,
    /// The resource.
    pub address: Address,
    /// The outcome.
    pub outcome: StepOutcome,
}

/// The result of an apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    /// Every step, in run order.
    pub steps: Vec<StepReport>,
    /// Whether a stop was requested.
    pub interrupted: bool,
    /// Warnings (state write failures after the fact, …).
    pub warnings: Vec<String>,
}

impl ApplyReport {
    /// Steps that ran and succeeded.
    pub fn done(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| matches!(step.outcome, StepOutcome::Done(_)))
    }

    /// Steps that failed.
    pub fn failed(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| matches!(step.outcome, StepOutcome::Failed(_)))
    }

    /// Steps skipped because a step they depend on failed.
    pub fn skipped(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| matches!(step.outcome, StepOutcome::Skipped(_)))
    }

    /// Whether every step ran and succeeded.
    pub fn is_success(&self) -> bool {
        !self.interrupted
            && self.steps.iter().all(|step| matches!(step.outcome, StepOutcome::Done(_)))
    }
}

/// Why the apply could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The write-ahead records could not be written; nothing was sent.
    #[error("cannot record the creates about to be sent in the state; nothing was changed")]
    State(#[source] crate::state::StoreError),
    /// The plan's order has a cycle the executor cannot break.
    #[error("the changes cannot be ordered: {0}")]
    Cycle(String),
}

/// Builds the steps of a plan and their order.
pub fn build_steps(plan: &Plan) -> Result<StepGraph<Step>, ApplyError> {
    let mut graph = StepGraph::new();
    let mut write_of: HashMap<Address, usize> = HashMap::new();
    let mut create_of: HashMap<Address, usize> = HashMap::new();
    let mut delete_of: HashMap<Address, usize> = HashMap::new();
    for (index, change) in plan.changes.iter().enumerate() {
        let kind = match change.action {
            Action::Create { .. } => StepKind::Create,
            Action::Clone { .. } => StepKind::Clone,
            Action::Adopt { .. } => StepKind::Adopt,
            Action::Move { .. } => StepKind::Move,
            Action::Update { .. } => StepKind::Update,
            Action::Delete { .. } => StepKind::Delete,
            Action::NoOp { .. } => continue,
        };
        let is_create = matches!(kind, StepKind::Create | StepKind::Clone);
        let is_delete = kind == StepKind::Delete;
        let step = graph.add(Step {
            address: change.address.clone(),
            kind,
            change: index,
            omit_breakable: false,
        });
        if is_delete {
            delete_of.insert(change.address.clone(), step);
        } else {
            write_of.insert(change.address.clone(), step);
            if is_create {
                create_of.insert(change.address.clone(), step);
            }
        }
    }

    // Writes: hard edges to the creates of what they reference, soft edges to parents'
    // updates; breakable references to new resources become fixups.
    let mut fixups: Vec<(Address, usize, Vec<usize>)> = Vec::new();
    for (address, &step) in &write_of {
        let change = &plan.changes[graph.step(step).change];
        let mut fixup_after = Vec::new();
        for dependency in &change.depends_on {
            if dependency.address == *address {
                // A flow that chains to itself (`_runNextFlowIds: [${flow.SELF}]`) has no id to
                // name until it exists: created without the reference, then linked.
                if dependency.breakable && create_of.contains_key(address) {
                    fixup_after.push(step);
                }
                continue;
            }
            match (create_of.get(&dependency.address), dependency.breakable) {
                (Some(&create), true) => fixup_after.push(create),
                (Some(&create), false) => graph.order(create, step),
                (None, false) => {
                    if let Some(&parent) = write_of.get(&dependency.address) {
                        graph.order(parent, step);
                    }
                }
                (None, true) => {}
            }
        }
        if !fixup_after.is_empty() {
            fixups.push((address.clone(), step, fixup_after));
        }
    }
    for (address, step, after) in fixups {
        let change = graph.step(step).change;
        let fixup =
            graph.add(Step { address, kind: StepKind::Fixup, change, omit_breakable: false });
        graph.order(step, fixup);
        for create in after {
            graph.order(create, fixup);
        }
        graph.step_mut(step).omit_breakable = true;
    }

    // Deletes: after the updates that drop references to them, and after the deletes of the
    // resources that reference them.
    for &delete in delete_of.values() {
        let change = &plan.changes[graph.step(delete).change];
        for dependent in change.waits_for() {
            if let Some(&write) = write_of.get(dependent) {
                graph.order(write, delete);
            }
            if let Some(&other) = delete_of.get(dependent) {
                graph.order(other, delete);
            }
        }
    }

    graph.check_acyclic().map_err(|cycle| {
        let names: Vec<String> = cycle.0.iter().map(|&index| graph.step(index).label()).collect();
        ApplyError::Cycle(names.join(" → "))
    })?;
    Ok(graph)
}

/// Whether the spec wants the flow enabled (`disabled` absent or false).
fn wants_enabled(resource: &DesiredResource) -> bool {
    resource.kind() == Kind::Flow
        && !matches!(resource.body.get("disabled"), Some(Value::Bool(true)))
}

struct Context<'c, 'w, A: StateApi> {
    client: &'c Client,
    desired: &'c DesiredState,
    plan: &'c Plan,
    live: &'c LiveState,
    salt: String,
    writer: tokio::sync::Mutex<&'c mut StateWriter<'w, A>>,
    /// Ids by address: the state's, plus everything created or adopted in this run.
    ids: Mutex<HashMap<Address, String>>,
    /// The latest document of each resource written in this run.
    documents: Mutex<HashMap<Address, serde_json::Value>>,
    /// Ids of live resources per kind (for the lost-create search to exclude).
    known_ids: Mutex<HashMap<Kind, HashSet<String>>>,
    /// Flows written disabled that the enable phase must enable.
    to_enable: Mutex<BTreeSet<Address>>,
}

impl<A: StateApi> Context<'_, '_, A> {
    fn resolve(&self) -> impl Fn(&Address) -> Option<String> + '_ {
        move |address: &Address| self.ids.lock().expect("ids lock").get(address).cloned()
    }

    fn desired(&self, address: &Address) -> Result<&DesiredResource, String> {
        self.desired.get(address).ok_or_else(|| format!("`{address}` is not in the spec"))
    }

    async fn state_entry(&self, address: &Address) -> Option<ResourceState> {
        self.writer.lock().await.state().get(address).cloned()
    }

    async fn record(
        &self,
        address: &Address,
        resource: ResourceState,
        document: serde_json::Value,
    ) -> Result<(), String> {
        self.ids.lock().expect("ids lock").insert(address.clone(), resource.id.clone());
        self.documents.lock().expect("documents lock").insert(address.clone(), document);
        let mut writer = self.writer.lock().await;
        writer.put(address, resource).await.map_err(|error| state_write_failed(&error))?;
        writer.resolve_pending(address).await.map_err(|error| state_write_failed(&error))
    }

    /// Whether a flow write must force `disabled: true` (and leave the enable to the last phase).
    fn force_disabled(
        &self,
        resource: &DesiredResource,
        creating: bool,
        live_disabled: bool,
    ) -> Option<bool> {
        if resource.kind() != Kind::Flow {
            return None;
        }
        if creating || (live_disabled && wants_enabled(resource)) {
            if wants_enabled(resource) {
                self.to_enable.lock().expect("enable lock").insert(resource.address.clone());
            }
            return Some(true);
        }
        None
    }
}

fn state_write_failed(error: &dyn std::error::Error) -> String {
    let mut message =
        format!("the change was made in the account but recording it in the state failed: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// An API error as one line: the client's message and every cause.
fn api_message(error: &flowform_api::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(&format!(": {text}"));
        }
        source = cause.source();
    }
    message
}

fn write_message(error: &flowform_diff::WriteError) -> String {
    let mut message = error.to_string();
    if let Some(cause) = std::error::Error::source(error) {
        message.push_str(&format!(": {cause}"));
    }
    message
}

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

    // A write-ahead record whose address is bound in the state was resolved by that binding: a
    // crash between recording a create and dropping its record leaves one behind. Drop them, so
    // an old record can never make a later plan adopt an unrelated resource of the same name.
    // A record whose address left the spec was named in the plan's warnings; it is dropped too,
    // or it would warn for ever.
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

    // Write-ahead records for every create, in one durable write before anything is sent.
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
    writer.add_pending(pending).await.map_err(ApplyError::State)?;

    // Adopted and moved resources exist already, so their ids are known before their steps
    // run: a write that names one (`_runNextFlowIds` is not ordered after adopts, to keep
    // cycles breakable) must find it.
    let ids: HashMap<Address, String> = writer
        .state()
        .resources
        .iter()
        .map(|(address, resource)| (address.clone(), resource.id.clone()))
        .chain(plan.changes.iter().filter_map(|change| match &change.action {
            Action::Adopt { id, .. } | Action::Move { id, .. } => {
                Some((change.address.clone(), id.clone()))
            }
            _ => None,
        }))
        .collect();
    let known_ids: HashMap<Kind, HashSet<String>> = Kind::ALL
        .into_iter()
        .map(|kind| (kind, live.of_kind(kind).map(|resource| resource.id.clone()).collect()))
        .collect();
    let salt = writer.state().salt.clone();
    let context = Context {
        client,
        desired,
        plan,
        live,
        salt,
        writer: tokio::sync::Mutex::new(writer),
        ids: Mutex::new(ids),
        documents: Mutex::new(HashMap::new()),
        known_ids: Mutex::new(known_ids),
        to_enable: Mutex::new(BTreeSet::new()),
    };

    (options.progress)(&Progress::Started { total: graph.len() });
    let stop = || options.stop.load(Ordering::SeqCst);
    let mut report = ApplyReport::default();
    let mut failed_addresses: BTreeSet<Address> = BTreeSet::new();
    run_phase(&context, &graph, options, &stop, &mut report, &mut failed_addresses).await;

    // Last phase: enable flows whose writes, and the writes of everything they depend on,
    // all succeeded.
    if !report.interrupted {
        let to_enable: Vec<Address> =
            context.to_enable.lock().expect("enable lock").iter().cloned().collect();
        let mut enable_graph = StepGraph::new();
        for address in to_enable {
            let blocked = dependency_closure(plan, &address)
                .iter()
                .any(|dependency| failed_addresses.contains(dependency));
            let change =
                plan.changes.iter().position(|change| change.address == address).unwrap_or(0);
            let step = Step {
                address: address.clone(),
                kind: StepKind::Enable,
                change,
                omit_breakable: false,
            };
            if blocked {
                let outcome =
                    StepOutcome::Skipped("a resource it depends on was not written".to_owned());
                (options.progress)(&Progress::StepFinished {
                    label: step.label(),
                    outcome: outcome.clone(),
                });
                report.steps.push(StepReport { label: step.label(), address, outcome });
            } else {
                enable_graph.add(step);
            }
        }
        if !enable_graph.is_empty() {
            (options.progress)(&Progress::Started { total: enable_graph.len() });
            run_phase(&context, &enable_graph, options, &stop, &mut report, &mut failed_addresses)
                .await;
        }
    }

    // Secrets flowform never wrote (after pull or import) get their baseline fingerprint now,
    // so a later rotation shows as a change.
    let writer = context.writer.into_inner();
    if let Err(error) = record_secret_baselines(writer, desired, &failed_addresses).await {
        report.warnings.push(state_write_failed(&error));
    }
    Ok(report)
}

/// Runs one graph of steps, appending each step to the report in the order it ended (steps
/// that never ran come last).
async fn run_phase<A: StateApi>(
    context: &Context<'_, '_, A>,
    graph: &StepGraph<Step>,
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
            let label = step.label();
            (options.progress)(&Progress::StepStarted { label: label.clone() });
            let result = run_step(context, step).await;
            let outcome = match &result {
                Ok(text) => StepOutcome::Done(text.clone()),
                Err(message) => StepOutcome::Failed(message.clone()),
            };
            (options.progress)(&Progress::StepFinished { label, outcome });
            finished.lock().expect("finished lock").push(index);
            result
        }
    })
    .await;
    let mut order = finished.into_inner().expect("finished lock");
    let ran: HashSet<usize> = order.iter().copied().collect();
    order.extend((0..graph.len()).filter(|index| !ran.contains(index)));
    let mut outcomes: Vec<Option<Outcome<String, String>>> =
        outcomes.into_iter().map(Some).collect();
    for index in order {
        let step = graph.step(index);
        let outcome = match outcomes[index].take().unwrap_or(Outcome::NotRun) {
            Outcome::Done(text) => StepOutcome::Done(text),
            Outcome::Failed(message) => StepOutcome::Failed(message),
            Outcome::Skipped { because_of } => {
                let outcome =
                    StepOutcome::Skipped(format!("`{}` failed", graph.step(because_of).label()));
                (options.progress)(&Progress::StepFinished {
                    label: step.label(),
                    outcome: outcome.clone(),
                });
                outcome
            }
            Outcome::NotRun => StepOutcome::NotRun,
        };
        if !matches!(outcome, StepOutcome::Done(_)) {
            failed_addresses.insert(step.address.clone());
        }
        report.steps.push(StepReport {
            label: step.label(),
            address: step.address.clone(),
            outcome,
        });
    }
    report.interrupted = stop();
}

/// The address and everything it depends on, directly or not, by the plan's `depends_on`.
fn dependency_closure(plan: &Plan, address: &Address) -> BTreeSet<Address> {
    let by_address: HashMap<&Address, &Change> =
        plan.changes.iter().map(|change| (&change.address, change)).collect();
    let mut seen = BTreeSet::new();
    let mut stack = vec![address];
    while let Some(next) = stack.pop() {
        if !seen.insert(next.clone()) {
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
                *fingerprint = secret_fingerprint(&salt, value);
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

async fn run_step<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step,
) -> Result<String, String> {
    let change = &context.plan.changes[step.change];
    match step.kind {
        StepKind::Create => create(context, step).await,
        StepKind::Clone => clone(context, step, change).await,
        StepKind::Adopt => {
            let id =
                change.id().map(str::to_owned).ok_or("the plan names no live resource to adopt")?;
            let desired = context.desired(&step.address)?;
            let entry = ResourceState {
                id: id.clone(),
                prevent_destroy: desired.lifecycle.prevent_destroy,
                ..ResourceState::default()
            };
            context.ids.lock().expect("ids lock").insert(step.address.clone(), id.clone());
            {
                let mut writer = context.writer.lock().await;
                writer
                    .put(&step.address, entry)
                    .await
                    .map_err(|error| state_write_failed(&error))?;
                writer
                    .resolve_pending(&step.address)
                    .await
                    .map_err(|error| state_write_failed(&error))?;
            }
            if change.fields().is_empty() {
                return Ok(format!("adopted ({id})"));
            }
            update(context, step, change, &id).await.map(|text| format!("adopted, {text}"))
        }
        StepKind::Move => {
            let from =
                change.action.moved_from().cloned().ok_or("the plan names no old address")?;
            let id =
                change.id().map(str::to_owned).ok_or("the plan names no live resource to move")?;
            {
                let mut writer = context.writer.lock().await;
                writer
                    .rename(&from, &step.address)
                    .await
                    .map_err(|error| state_write_failed(&error))?;
            }
            context.ids.lock().expect("ids lock").insert(step.address.clone(), id.clone());
            if change.fields().is_empty() {
                return Ok(format!("moved from {from} ({id})"));
            }
            update(context, step, change, &id)
                .await
                .map(|text| format!("moved from {from}, {text}"))
        }
        StepKind::Update => {
            let id = change
                .id()
                .map(str::to_owned)
                .ok_or("the plan names no live resource to update")?;
            update(context, step, change, &id).await
        }
        StepKind::Fixup | StepKind::Enable => rewrite(context, step).await,
        StepKind::Delete => delete(context, step, change).await,
    }
}

async fn create<A: StateApi>(context: &Context<'_, '_, A>, step: &Step) -> Result<String, String> {
    let desired = context.desired(&step.address)?;
    let kind = step.address.kind;
    let options = WriteOptions {
        force_disabled: context.force_disabled(desired, true, false),
        omit_breakable: step.omit_breakable,
    };
    let resolve = context.resolve();
    let body =
        create_document(desired, &resolve, &options).map_err(|error| write_message(&error))?;
    let known: HashSet<String> =
        context.known_ids.lock().expect("known ids lock").get(&kind).cloned().unwrap_or_default();
    let created = match context.client.create(kind, &body, &known).await {
        Ok(created) => created,
        Err(error) => {
            // A definite refusal (4xx) created nothing: the write-ahead record can go. Anything
            // else may have created the resource; the record stays for the next run to find it.
            if error.status().is_some_and(|status| (400..500).contains(&status)) {
                let mut writer = context.writer.lock().await;
                let _ = writer.resolve_pending(&step.address).await;
            }
            return Err(api_message(&error));
        }
    };
    let resource = created.resource;
    context
        .known_ids
        .lock()
        .expect("known ids lock")
        .entry(kind)
        .or_default()
        .insert(resource.id.clone());
    let recorded = record_applied(desired, &context.salt, &resource.id, &resource.document, None);
    let id = resource.id.clone();
    context.record(&step.address, recorded, resource.document).await?;
    Ok(if created.recovered {
        format!("created ({id}; recovered after a lost response)")
    } else {
        format!("created ({id})")
    })
}

async fn clone<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step,
    change: &Change,
) -> Result<String, String> {
    let desired = context.desired(&step.address)?;
    let kind = step.address.kind;
    let resolve = context.resolve();
    let source_id = match desired.lifecycle.clone_from.as_ref().or(change.action.clone_from()) {
        Some(RefOrId::Ref(address)) => {
            resolve(address).ok_or_else(|| format!("the clone source `{address}` has no id"))?
        }
        Some(RefOrId::Id(id)) => id.clone(),
        None => return Err("the spec names no `lifecycle.cloneFrom`".to_owned()),
    };
    let mut body = serde_json::Map::new();
    if let Some(name) = desired.name() {
        body.insert("name".to_owned(), serde_json::Value::String(name.to_owned()));
    }
    if kind == Kind::Flow {
        match desired.body.get("_integrationId") {
            Some(Value::Ref(address)) => {
                let id = resolve(address).ok_or_else(|| format!("`{address}` has no id"))?;
                body.insert("_integrationId".to_owned(), serde_json::Value::String(id));
            }
            Some(Value::String(id)) => {
                body.insert("_integrationId".to_owned(), serde_json::Value::String(id.clone()));
            }
            _ => {
                // The API requires it; use the source flow's integration.
                if let Some(integration) = context
                    .live
                    .get(Kind::Flow, &source_id)
                    .and_then(|source| source.integration_id())
                {
                    body.insert(
                        "_integrationId".to_owned(),
                        serde_json::Value::String(integration.to_owned()),
                    );
                }
            }
        }
    }
    let connection_map = match &desired.lifecycle.connection_map {
        Some(pairs) => {
            let mut map = serde_json::Map::new();
            for (from, to) in pairs {
                let side = |value: &RefOrId| match value {
                    RefOrId::Ref(address) => {
                        resolve(address).ok_or_else(|| format!("`{address}` has no id"))
                    }
                    RefOrId::Id(id) => Ok(id.clone()),
                };
                map.insert(side(from)?, serde_json::Value::String(side(to)?));
            }
            Some(map)
        }
        None => self_connection_map(context, kind, &source_id).await?,
    };
    if let Some(map) = connection_map {
        body.insert("connectionMap".to_owned(), serde_json::Value::Object(map));
    }
    let body = serde_json::Value::Object(body);
    let cloned = context.client.clone_resource(kind, &source_id, &body).await.map_err(|error| {
        let message = api_message(&error);
        if error.status().is_some_and(|status| (400..500).contains(&status)) {
            message
        } else {
            format!("{message} (the clone may have happened: look for a new `{}` in the account before retrying)", desired.name().unwrap_or_default())
        }
    })?;
    let clone_id = cloned.id.clone();
    // From here on the clone exists: record it at once, so a failure below leaves it managed.
    {
        let mut writer = context.writer.lock().await;
        let entry = ResourceState {
            id: clone_id.clone(),
            prevent_destroy: desired.lifecycle.prevent_destroy,
            ..ResourceState::default()
        };
        writer.put(&step.address, entry).await.map_err(|error| state_write_failed(&error))?;
        writer.resolve_pending(&step.address).await.map_err(|error| state_write_failed(&error))?;
    }
    context.ids.lock().expect("ids lock").insert(step.address.clone(), clone_id.clone());
    let document = match cloned.resource {
        Some(resource) => resource.document,
        None => {
            context.client.get(kind, &clone_id).await.map_err(|error| api_message(&error))?.document
        }
    };
    let live_disabled =
        document.get("disabled").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let options = WriteOptions {
        force_disabled: context.force_disabled(desired, true, live_disabled),
        omit_breakable: step.omit_breakable,
    };
    let body = update_document(&document, desired, None, &resolve, &options)
        .map_err(|error| write_message(&error))?;
    let updated =
        context.client.update(kind, &clone_id, &body).await.map_err(|error| api_message(&error))?;
    let recorded = record_applied(desired, &context.salt, &clone_id, &updated.document, None);
    context.record(&step.address, recorded, updated.document).await?;
    Ok(format!("cloned from {source_id} ({clone_id})"))
}

/// For a clone without `connectionMap`: every connection the source uses, mapped to itself.
/// Documents come from this run's writes, then the live state read at plan time, then a GET
/// (the source and its steps may have been created moments ago).
async fn self_connection_map<A: StateApi>(
    context: &Context<'_, '_, A>,
    kind: Kind,
    source_id: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
    let source = document_by_id(context, kind, source_id).await?;
    let mut connections = BTreeSet::new();
    let mut step_ids: Vec<(Kind, String)> = Vec::new();
    match kind {
        Kind::Flow => collect_steps(&source, &mut step_ids),
        Kind::Integration => {
            if let Some(registered) =
                source.get("_registeredConnectionIds").and_then(serde_json::Value::as_array)
            {
                connections.extend(
                    registered.iter().filter_map(serde_json::Value::as_str).map(str::to_owned),
                );
            }
            for flow in context
                .live
                .of_kind(Kind::Flow)
                .filter(|flow| flow.integration_id() == Some(source_id))
            {
                collect_steps(&flow.document, &mut step_ids);
            }
        }
        _ => {}
    }
    let mut documents = vec![source];
    for (step_kind, id) in step_ids {
        documents.push(document_by_id(context, step_kind, &id).await?);
    }
    for document in documents {
        if let Some(connection) = document.get("_connectionId").and_then(serde_json::Value::as_str)
        {
            connections.insert(connection.to_owned());
        }
    }
    if connections.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        connections.into_iter().map(|id| (id.clone(), serde_json::Value::String(id))).collect(),
    ))
}

fn collect_steps(flow: &serde_json::Value, steps: &mut Vec<(Kind, String)>) {
    for_each_live_string(flow, &mut |key, id| match key {
        "_exportId" => steps.push((Kind::Export, id.to_owned())),
        "_importId" => steps.push((Kind::Import, id.to_owned())),
        _ => {}
    });
}

async fn document_by_id<A: StateApi>(
    context: &Context<'_, '_, A>,
    kind: Kind,
    id: &str,
) -> Result<serde_json::Value, String> {
    let written = {
        let ids = context.ids.lock().expect("ids lock");
        let address = ids
            .iter()
            .find(|(address, known)| address.kind == kind && known.as_str() == id)
            .map(|(address, _)| address.clone());
        address.and_then(|address| {
            context.documents.lock().expect("documents lock").get(&address).cloned()
        })
    };
    if let Some(document) = written {
        return Ok(document);
    }
    if let Some(resource) = context.live.get(kind, id) {
        return Ok(resource.document.clone());
    }
    Ok(context.client.get(kind, id).await.map_err(|error| api_message(&error))?.document)
}

async fn update<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step,
    change: &Change,
    id: &str,
) -> Result<String, String> {
    let desired = context.desired(&step.address)?;
    let kind = step.address.kind;
    let fresh = context.client.get(kind, id).await.map_err(|error| api_message(&error))?;
    let planned = change.action.live_last_modified();
    if planned.is_some() && fresh.last_modified.as_deref() != planned {
        return Err(format!(
            "`{}` was modified in the account after the plan was made (lastModified {} then, {} now); plan again",
            step.address,
            planned.unwrap_or("none"),
            fresh.last_modified.as_deref().unwrap_or("none")
        ));
    }
    let previous = context.state_entry(&step.address).await;
    let live_disabled =
        fresh.document.get("disabled").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let options = WriteOptions {
        force_disabled: context.force_disabled(desired, false, live_disabled),
        omit_breakable: step.omit_breakable,
    };
    let resolve = context.resolve();
    let body = update_document(&fresh.document, desired, previous.as_ref(), &resolve, &options)
        .map_err(|error| write_message(&error))?;
    let updated =
        context.client.update(kind, id, &body).await.map_err(|error| api_message(&error))?;
    let recorded = record_applied(desired, &context.salt, id, &updated.document, previous.as_ref());
    context.record(&step.address, recorded, updated.document).await?;
    Ok(format!("updated ({id})"))
}

/// A fixup or enable: rewrite the document this run last wrote, with the back-references and
/// the spec's `disabled`.
async fn rewrite<A: StateApi>(context: &Context<'_, '_, A>, step: &Step) -> Result<String, String> {
    let desired = context.desired(&step.address)?;
    let kind = step.address.kind;
    let id =
        context.resolve()(&step.address).ok_or_else(|| format!("`{}` has no id", step.address))?;
    let written = context.documents.lock().expect("documents lock").get(&step.address).cloned();
    let document = match written {
        Some(document) => document,
        None => context.client.get(kind, &id).await.map_err(|error| api_message(&error))?.document,
    };
    let previous = context.state_entry(&step.address).await;
    let force_disabled = match step.kind {
        // A fixup keeps a flow that waits for the enable phase disabled.
        StepKind::Fixup
            if context.to_enable.lock().expect("enable lock").contains(&step.address) =>
        {
            Some(true)
        }
        StepKind::Fixup if desired.kind() == Kind::Flow => document
            .get("disabled")
            .and_then(serde_json::Value::as_bool)
            .filter(|disabled| *disabled),
        _ => None,
    };
    let options = WriteOptions { force_disabled, omit_breakable: false };
    let resolve = context.resolve();
    let body = update_document(&document, desired, previous.as_ref(), &resolve, &options)
        .map_err(|error| write_message(&error))?;
    let updated =
        context.client.update(kind, &id, &body).await.map_err(|error| api_message(&error))?;
    let recorded =
        record_applied(desired, &context.salt, &id, &updated.document, previous.as_ref());
    context.record(&step.address, recorded, updated.document).await?;
    Ok(match step.kind {
        StepKind::Enable => format!("enabled ({id})"),
        _ => format!("back-references added ({id})"),
    })
}

async fn delete<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step,
    change: &Change,
) -> Result<String, String> {
    let id = match change.id() {
        Some(id) => id.to_owned(),
        None => context
            .state_entry(&step.address)
            .await
            .map(|entry| entry.id)
            .ok_or("the resource has no id")?,
    };
    let outcome = match context.client.delete(step.address.kind, &id).await {
        Ok(()) => format!("deleted ({id})"),
        Err(error) if error.is_not_found() => format!("already gone ({id})"),
        Err(error) => return Err(api_message(&error)),
    };
    let mut writer = context.writer.lock().await;
    writer.remove(&step.address).await.map_err(|error| state_write_failed(&error))?;
    Ok(outcome)
}
