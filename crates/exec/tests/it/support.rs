//! A workspace for one test: an emulator account, a spec directory, a local state file.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use flowform_api::{Client, ClientConfig, Endpoint, SecretString};
use flowform_emulator::{EmulatorConfig, EmulatorHandle};
use flowform_exec::apply::{ApplyOptions, ApplyReport, apply};
use flowform_exec::planner::{make_plan, read_live};
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::PlanOptions;
use flowform_exec::state::{StateLocation, open, open_writer};
use flowform_model::{DesiredState, LiveState, Plan, State};
use flowform_spec::{LoadOptions, ProcessEnvironment, SecretPolicy};

pub struct Workspace {
    pub emulator: EmulatorHandle,
    pub client: Client,
    pub directory: tempfile::TempDir,
    pub location: StateLocation,
    pub secrets: BTreeMap<String, String>,
}

pub const TARGET: &str = "test-account";

impl Workspace {
    pub async fn new() -> Workspace {
        Workspace::with_config(EmulatorConfig::for_tests()).await
    }

    pub async fn with_config(config: EmulatorConfig) -> Workspace {
        Workspace::with_configs(config, |_| {}).await
    }

    /// A workspace whose client configuration `configure` adjusts after the test defaults (no
    /// backoff).
    pub async fn with_configs(
        config: EmulatorConfig,
        configure: impl FnOnce(&mut ClientConfig),
    ) -> Workspace {
        let emulator =
            flowform_emulator::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let endpoint = Endpoint::parse(&emulator.url()).unwrap();
        let mut config = ClientConfig::new(endpoint, SecretString::from("sandbox".to_owned()));
        config.retry.initial_backoff = Duration::ZERO;
        config.retry.max_backoff = Duration::ZERO;
        configure(&mut config);
        let client = Client::new(config).unwrap();
        let directory = tempfile::tempdir().unwrap();
        let location = StateLocation::File(directory.path().join(".flowform/state.json"));
        Workspace { emulator, client, directory, location, secrets: BTreeMap::new() }
    }

    pub fn write(&self, name: &str, text: &str) {
        let path = self.directory.path().join(name);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).unwrap();
        }
        fs_err::write(path, text).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    pub fn load(&self) -> DesiredState {
        let loaded = flowform_spec::load(&LoadOptions {
            paths: vec![PathBuf::from(self.directory.path())],
            env: None,
            vars: Vec::new(),
            secrets: SecretPolicy::Required,
            environment: ProcessEnvironment::Fixed(self.secrets.clone()),
        });
        let errors: Vec<String> =
            loaded.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{d:?}")).collect();
        assert!(errors.is_empty(), "spec errors: {errors:#?}");
        loaded.desired
    }

    pub async fn state(&self) -> State {
        let api = ClientStateApi(&self.client);
        open::read(&self.location, &api, TARGET)
            .await
            .unwrap()
            .unwrap_or_else(|| State::new("none".into(), TARGET.into(), "salt".into()))
    }

    pub async fn plan_with(&self, options: &PlanOptions) -> (DesiredState, Plan, LiveState) {
        let desired = self.load();
        let state = self.state().await;
        let live = read_live(&self.client, &desired, &state).await.unwrap();
        let plan = make_plan(&desired, &state, &live, options).unwrap();
        (desired, plan, live)
    }

    pub async fn plan(&self) -> Plan {
        self.plan_with(&PlanOptions::default()).await.1
    }

    pub async fn apply(&self) -> ApplyReport {
        let api = ClientStateApi(&self.client);
        let (mut writer, _) =
            open_writer(&self.location, &api, TARGET, "apply", Duration::ZERO).await.unwrap();
        let desired = self.load();
        let live = read_live(&self.client, &desired, writer.state()).await.unwrap();
        let plan = make_plan(&desired, writer.state(), &live, &PlanOptions::default()).unwrap();
        let stop = AtomicBool::new(false);
        let report = apply(
            &self.client,
            &mut writer,
            &desired,
            &plan,
            &live,
            &ApplyOptions { parallelism: 8, burst_parallelism: 64, stop: &stop, progress: &|_| {} },
        )
        .await
        .unwrap();
        writer.finish().await.unwrap();
        report
    }
}

/// Asserts the report is a success, printing the failures otherwise.
#[track_caller]
pub fn assert_success(report: &ApplyReport) {
    let problems: Vec<String> = report
        .steps
        .iter()
        .filter(|step| !matches!(step.outcome, flowform_exec::apply::StepOutcome::Done(_)))
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
