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

pub use shared::{TARGET, assert_success, execute, execute_with, open_for_apply, summary};

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

    /// The local state as flowform reads it (the file with its journal replayed), as a
    /// document to edit.
    pub fn state_document(&self) -> serde_json::Value {
        let paths =
            flowform_exec::state::LocalPaths::new(&self.path().join(".flowform/state.json"));
        let state = flowform_exec::state::local::read(&paths).unwrap().unwrap();
        serde_json::from_str(&flowform_exec::state::render(&state)).unwrap()
    }

    /// Replaces the local state with `document` alone, as an older flowform would have left it
    /// (no journal).
    pub fn write_state_document(&self, document: &serde_json::Value) {
        let paths =
            flowform_exec::state::LocalPaths::new(&self.path().join(".flowform/state.json"));
        fs_err::write(&paths.state, serde_json::to_string_pretty(document).unwrap()).unwrap();
        let _ = fs_err::remove_file(&paths.journal);
    }

    /// The text of every local state file (the document and its journal).
    pub fn state_files_text(&self) -> String {
        let paths =
            flowform_exec::state::LocalPaths::new(&self.path().join(".flowform/state.json"));
        let journal = fs_err::read_to_string(&paths.journal).unwrap_or_default();
        fs_err::read_to_string(&paths.state).unwrap() + &journal
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
