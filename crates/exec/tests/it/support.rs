//! A workspace for one test: an emulator account, a spec directory, a local state file; the
//! set-up, loading, planning and applying are the shared test workspace's
//! (`tests/shared/workspace.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use flowform_api::{Client, ClientConfig};
use flowform_emulator::{EmulatorConfig, EmulatorHandle};
use flowform_exec::apply::ApplyReport;
use flowform_exec::saved::PlanOptions;
use flowform_exec::state::StateLocation;
use flowform_model::{DesiredState, LiveState, Plan, State};

#[path = "../../../../tests/shared/workspace.rs"]
mod shared;

pub use shared::{TARGET, assert_success, execute, summary};

pub struct Workspace {
    pub emulator: EmulatorHandle,
    pub client: Client,
    pub directory: tempfile::TempDir,
    pub location: StateLocation,
    pub secrets: BTreeMap<String, String>,
}

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
        let emulator = shared::start_emulator(config).await;
        let mut config = shared::client_config(&emulator, "sandbox");
        configure(&mut config);
        let client = Client::new(config).unwrap();
        let directory = tempfile::tempdir().unwrap();
        let location = shared::state_location(directory.path());
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
        shared::load(self.directory.path(), &self.secrets, None)
    }

    pub async fn state(&self) -> State {
        shared::read_state(&self.client, &self.location).await
    }

    pub async fn plan_with(&self, options: &PlanOptions) -> (DesiredState, Plan, LiveState) {
        let planned = shared::plan_folder(
            &self.client,
            self.directory.path(),
            &self.location,
            &self.secrets,
            None,
            options,
        )
        .await;
        (planned.desired, planned.plan, planned.live)
    }

    pub async fn plan(&self) -> Plan {
        self.plan_with(&PlanOptions::default()).await.1
    }

    pub async fn apply(&self) -> ApplyReport {
        shared::apply_folder(
            &self.client,
            self.directory.path(),
            &self.location,
            &self.secrets,
            None,
        )
        .await
    }
}
