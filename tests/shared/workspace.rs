//! What the library-level tests of `flowform-exec` and `flowform-pull` share (included by both
//! with `#[path]`, like `mutate.rs`): an emulator on loopback and clients without backoff, a spec
//! folder loaded the way `plan` loads it, the state read, and a plan and an apply run the way the
//! CLI runs them (`read_live`, `make_plan`, `apply` with the CLI's parallelism). The end-to-end
//! tests run the binary instead (`tests/it/support.rs`).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use flowform_api::{Client, ClientConfig, Endpoint, SecretString};
use flowform_emulator::{EmulatorConfig, EmulatorHandle};
use flowform_exec::apply::{ApplyError, ApplyOptions, ApplyReport, EarlyReads, StepOutcome, apply};
use flowform_exec::planner::{make_plan, read_live};
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::PlanOptions;
use flowform_exec::state::{StateLocation, StateWriter, open, open_writer};
use flowform_model::{DesiredState, LiveState, Plan, State};
use flowform_spec::{LoadOptions, ProcessEnvironment, SecretPolicy};

/// The state's target in these tests.
pub const TARGET: &str = "test-account";

/// An emulator on a free loopback port.
pub async fn start_emulator(config: EmulatorConfig) -> EmulatorHandle {
    flowform_emulator::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

/// A client configuration for an emulator account: no backoff between retries.
pub fn client_config(emulator: &EmulatorHandle, token: &str) -> ClientConfig {
    let endpoint = Endpoint::parse(&emulator.url()).unwrap();
    let mut config = ClientConfig::new(endpoint, SecretString::from(token.to_owned()));
    config.retry.initial_backoff = Duration::ZERO;
    config.retry.max_backoff = Duration::ZERO;
    config
}

/// A client for an emulator account, with [`client_config`].
pub fn client(emulator: &EmulatorHandle, token: &str) -> Client {
    Client::new(client_config(emulator, token)).unwrap()
}

/// The state file of a spec folder (`.flowform/state.json`, the CLI's default).
pub fn state_location(root: &Path) -> StateLocation {
    StateLocation::File(root.join(".flowform/state.json"))
}

/// Loads a spec folder the way `plan` does (secrets required), failing on any error.
pub fn load(root: &Path, secrets: &BTreeMap<String, String>, env: Option<&str>) -> DesiredState {
    let loaded = flowform_spec::load(&LoadOptions {
        paths: vec![root.to_path_buf()],
        env: env.map(str::to_owned),
        vars: Vec::new(),
        secrets: SecretPolicy::Required,
        environment: ProcessEnvironment::Fixed(secrets.clone()),
        ..LoadOptions::default()
    });
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.is_error())
        .map(|diagnostic| format!("{diagnostic:?}"))
        .collect();
    assert!(errors.is_empty(), "spec errors in {}: {errors:#?}", root.display());
    loaded.desired
}

/// The `spec::rewritten-value` warnings of a spec folder (values the service would store in
/// another form), each as `file:line:col message`.
pub fn rewritten_value_warnings(root: &Path, secrets: &BTreeMap<String, String>) -> Vec<String> {
    let loaded = flowform_spec::load(&LoadOptions {
        paths: vec![root.to_path_buf()],
        secrets: SecretPolicy::Required,
        environment: ProcessEnvironment::Fixed(secrets.clone()),
        ..LoadOptions::default()
    });
    loaded
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.code == flowform_spec::Code::RewrittenValue)
        .map(|diagnostic| {
            format!("{} {}", diagnostic.location().unwrap_or_default(), diagnostic.message)
        })
        .collect()
}

/// The state at `location`, or an empty one.
pub async fn read_state(client: &Client, location: &StateLocation) -> State {
    let api = ClientStateApi(client);
    open::read(location, &api, TARGET)
        .await
        .unwrap()
        .unwrap_or_else(|| State::new("none".into(), TARGET.into(), "salt".into()))
}

/// What a spec folder, planned against the account with the state at `location`, gives.
pub struct Planned {
    pub desired: DesiredState,
    pub plan: Plan,
    pub live: LiveState,
}

/// Plans a spec folder against the account with the state at `location`.
pub async fn plan_folder(
    client: &Client,
    root: &Path,
    location: &StateLocation,
    secrets: &BTreeMap<String, String>,
    env: Option<&str>,
    options: &PlanOptions,
) -> Planned {
    let desired = load(root, secrets, env);
    let state = read_state(client, location).await;
    let live = read_live(client, &desired, &state).await.unwrap();
    let plan = make_plan(&desired, &state, &live, options).unwrap();
    Planned { desired, plan, live }
}

/// Runs the executor on a plan the way `apply` does (the CLI's parallelism, no progress).
pub async fn execute(
    client: &Client,
    writer: &mut StateWriter<'_, ClientStateApi<'_>>,
    desired: &DesiredState,
    plan: &Plan,
    live: &LiveState,
) -> Result<ApplyReport, ApplyError> {
    execute_with(client, writer, (desired, plan, live), None).await
}

/// [`execute`], taking the updates' reads sent while the plan was made.
pub async fn execute_with(
    client: &Client,
    writer: &mut StateWriter<'_, ClientStateApi<'_>>,
    (desired, plan, live): (&DesiredState, &Plan, &LiveState),
    early_reads: Option<&EarlyReads>,
) -> Result<ApplyReport, ApplyError> {
    let stop = AtomicBool::new(false);
    let options = ApplyOptions {
        parallelism: 8,
        burst_parallelism: 64,
        stop: &stop,
        progress: &|_| {},
        early_reads,
    };
    apply(client, writer, desired, plan, live, &options).await
}

/// Opens the state at `location` for an apply (the lock taken at once).
pub async fn open_for_apply<'a>(
    location: &StateLocation,
    api: &'a ClientStateApi<'a>,
) -> StateWriter<'a, ClientStateApi<'a>> {
    open_writer(location, api, TARGET, "apply", Duration::ZERO).await.unwrap().0
}

/// Plans and applies a spec folder to the account, its state at `location`: lock, read the
/// account, plan, execute, save the state.
pub async fn apply_folder(
    client: &Client,
    root: &Path,
    location: &StateLocation,
    secrets: &BTreeMap<String, String>,
    env: Option<&str>,
) -> ApplyReport {
    let api = ClientStateApi(client);
    let mut writer = open_for_apply(location, &api).await;
    let desired = load(root, secrets, env);
    let live = read_live(client, &desired, writer.state()).await.unwrap();
    let plan = make_plan(&desired, writer.state(), &live, &PlanOptions::default()).unwrap();
    let report = execute(client, &mut writer, &desired, &plan, &live).await.unwrap();
    writer.finish().await.unwrap();
    report
}

/// Asserts the report is a success, printing the failures otherwise.
#[track_caller]
pub fn assert_success(report: &ApplyReport) {
    let problems: Vec<String> = report
        .steps
        .iter()
        .filter(|step| !matches!(step.outcome, StepOutcome::Done(_)))
        .map(|step| format!("{}: {:?}", step.label, step.outcome))
        .collect();
    assert!(report.is_success(), "apply failed: {problems:#?}");
}

/// The actionable changes as `action address` lines.
pub fn summary(plan: &Plan) -> Vec<String> {
    plan.actionable()
        .map(|change| format!("{} {}", change.action.as_str(), change.address))
        .collect()
}
