//! An emulator with two accounts, and the steps of the pull round trip: pull and write the files
//! and the state as the CLI does, load the pulled spec, plan, apply to another account. Loading,
//! planning and applying are the shared test workspace's (`tests/shared/workspace.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flowform_api::Client;
use flowform_emulator::{AccountConfig, EmulatorConfig, EmulatorHandle};
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::PlanOptions;
use flowform_exec::state::{StateLocation, open_writer};
use flowform_model::{Address, Object, Plan, Value};
use flowform_pull::{PullOptions, Pulled, Selection};

#[path = "../../../../tests/shared/workspace.rs"]
mod shared;

pub use shared::{
    TARGET, apply_folder, assert_success, client, load, read_state, rewritten_value_warnings,
    start_emulator, state_location,
};

/// One emulator serving the accounts `source` and `target`.
pub struct Accounts {
    pub emulator: EmulatorHandle,
    pub source: Client,
    pub target: Client,
}

impl Accounts {
    pub async fn start() -> Accounts {
        let config = EmulatorConfig {
            accounts: vec![
                AccountConfig::new("source", "source-token"),
                AccountConfig::new("target", "target-token"),
            ],
            ..EmulatorConfig::for_tests()
        };
        let emulator = shared::start_emulator(config).await;
        let source = client(&emulator, "source-token");
        let target = client(&emulator, "target-token");
        Accounts { emulator, source, target }
    }
}

/// Creates a resource in the account; returns its id.
pub async fn create(
    client: &Client,
    kind: flowform_model::Kind,
    body: serde_json::Value,
) -> String {
    match client.create(kind, &body, &Default::default()).await {
        Ok(created) => created.resource.id,
        Err(error) => panic!("cannot create {kind} {body}: {error:?}"),
    }
}

/// A dummy value for every secret placeholder of a pull.
pub fn secret_values(pulled: &Pulled) -> BTreeMap<String, String> {
    pulled
        .secrets
        .iter()
        .map(|secret| (secret.name.clone(), format!("value of {}", secret.name)))
        .collect()
}

/// Pulls, writes the files into `out` and records the state the way the CLI does.
pub async fn pull_into(client: &Client, selection: &Selection, out: &Path) -> Pulled {
    let pulled = flowform_pull::pull(client, selection, &PullOptions::default()).await.unwrap();
    let written = flowform_pull::write(&pulled, out, false).unwrap();
    assert!(
        written.diagnostics.is_empty(),
        "the pulled spec does not validate: {:#?}\n{}",
        written.diagnostics,
        pulled
            .files
            .iter()
            .map(|(path, text)| format!("== {}\n{text}", path.display()))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let api = ClientStateApi(client);
    let (mut writer, _) =
        open_writer(&state_location(out), &api, TARGET, "pull", Duration::ZERO).await.unwrap();
    let salt = writer.state().salt.clone();
    for (address, resource) in pulled.resource_states(&salt) {
        writer.put(&address, resource).await.unwrap();
    }
    writer.finish().await.unwrap();
    pulled
}

/// Plans the spec folder against the account with its state (in the folder).
pub async fn plan(
    client: &Client,
    root: &Path,
    secrets: &BTreeMap<String, String>,
    env: Option<&str>,
) -> Plan {
    plan_with_state(client, root, &state_location(root), secrets, env).await
}

/// Plans the spec folder against the account with the state at `location`.
pub async fn plan_with_state(
    client: &Client,
    root: &Path,
    location: &StateLocation,
    secrets: &BTreeMap<String, String>,
    env: Option<&str>,
) -> Plan {
    shared::plan_folder(client, root, location, secrets, env, &PlanOptions::default()).await.plan
}

/// The actionable changes of a plan, with their field changes, for assertion messages.
pub fn changes(plan: &Plan) -> Vec<String> {
    plan.actionable()
        .map(|change| {
            let fields: Vec<String> = change
                .fields()
                .iter()
                .map(|field| {
                    format!(
                        "{} {} {:?} → {:?}",
                        field.op.as_str(),
                        field.path,
                        field.before,
                        field.after
                    )
                })
                .collect();
            format!("{} {} {fields:?}", change.action.as_str(), change.address)
        })
        .collect()
}

/// Secrets replaced by their names, so bodies loaded with secret values compare with the pulled
/// (unresolved) ones.
pub fn without_secret_values(body: &Object) -> Value {
    fn strip(value: &Value) -> Value {
        match value {
            Value::Secret(secret) => Value::String(format!("secret:{}", secret.names.join(","))),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            Value::Object(object) => Value::Object(
                object.iter().map(|(key, value)| (key.clone(), strip(value))).collect(),
            ),
            other => other.clone(),
        }
    }
    strip(&Value::Object(body.clone()))
}

/// Asserts that the spec folder loads into exactly the desired bodies of the pull.
#[track_caller]
pub fn assert_loads_as_pulled(root: &Path, pulled: &Pulled, secrets: &BTreeMap<String, String>) {
    let desired = load(root, secrets, None);
    let rewritten = rewritten_value_warnings(root, secrets);
    assert!(rewritten.is_empty(), "pull writes values as the service stores them: {rewritten:#?}");
    let loaded: BTreeMap<&Address, Value> = desired
        .resources
        .iter()
        .map(|(address, resource)| (address, without_secret_values(&resource.body)))
        .collect();
    let expected: BTreeMap<&Address, Value> = pulled
        .resources
        .iter()
        .map(|(address, resource)| (address, without_secret_values(&resource.desired.body)))
        .collect();
    assert_eq!(loaded.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (address, body) in &expected {
        assert_eq!(&loaded[address], body, "`{address}` loads differently from what was pulled");
    }
    let lookups: Vec<String> = desired
        .lookups
        .values()
        .map(|lookup| format!("{} {}", lookup.address, lookup.describe()))
        .collect();
    let pulled_lookups: Vec<String> = pulled
        .lookups
        .values()
        .map(|lookup| format!("{} {}", lookup.address, lookup.describe()))
        .collect();
    assert_eq!(lookups, pulled_lookups, "the `data:` lookups load as pulled");
    let data: Vec<&Address> = desired.data_files.keys().collect();
    let pulled_data: Vec<&Address> = pulled.data_files.iter().map(|data| &data.address).collect();
    assert_eq!(data, pulled_data, "every pulled lookup cache has its data file");
}

/// Every file under a folder (dot-folders skipped) with its text.
pub fn read_tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in fs_err::read_dir(&directory).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                files.insert(relative, fs_err::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// A live document as JSON again (documents are plain JSON values: no references, no secrets).
pub fn json_of(document: &flowform_model::Value) -> serde_json::Value {
    document.to_json(&|_| None).expect("live documents are plain JSON")
}
