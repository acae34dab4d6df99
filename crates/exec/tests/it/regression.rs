//! Regression tests, named after the problem they pin down (found by the reliability suite of
//! issue 9: seeded faults and SIGKILL runs).

use std::time::Duration;

use flowform_emulator::ResourceKind;
use flowform_exec::remote::ClientStateApi;
use flowform_exec::state::open_writer;
use flowform_model::{Address, Kind, PendingCreate, ResourceState};

use crate::support::{TARGET, Workspace, assert_success, summary};

use crate::specs::CHAIN;

async fn pending(workspace: &Workspace, records: Vec<PendingCreate>) {
    let api = ClientStateApi(&workspace.client);
    let (mut writer, _) =
        open_writer(&workspace.location, &api, TARGET, "apply", Duration::ZERO).await.unwrap();
    writer.add_pending(records).await.unwrap();
    writer.finish().await.unwrap();
}

fn record(address: Address, name: &str, integration_id: Option<String>) -> PendingCreate {
    PendingCreate {
        kind: address.kind,
        address,
        name: name.to_owned(),
        integration_id,
        started_at: "2000-01-01T00:00:00.000Z".to_owned(),
    }
}

/// A run killed after it created `flow.second` but before it recorded it: the next run adopts
/// `flow.second` and creates `flow.first`, whose `_runNextFlowIds` names `flow.second`. The
/// create used to fail with "`flow.second` has no id", because `_runNextFlowIds` writes are not
/// ordered after adopts (so cycles stay breakable) and the adopted id only became known when
/// the adopt step ran.
#[tokio::test]
async fn a_write_naming_a_resource_adopted_in_the_same_run_finds_its_id() {
    let workspace = Workspace::new().await;
    workspace.write("spec.yaml", CHAIN);
    assert_success(&workspace.apply().await);
    let state = workspace.state().await;
    let integration = state.resources[&Address::new(Kind::Integration, "main")].id.clone();
    let second = state.resources[&Address::new(Kind::Flow, "second")].id.clone();
    let first = state.resources[&Address::new(Kind::Flow, "first")].id.clone();
    // Forget both flows as a crash would (the account keeps `Second`, `First` never got
    // created), leaving the write-ahead record of `flow.second`.
    workspace.emulator.admin().reset();
    let api = ClientStateApi(&workspace.client);
    let (mut writer, _) =
        open_writer(&workspace.location, &api, TARGET, "apply", Duration::ZERO).await.unwrap();
    for address in ["flow.first", "flow.second"] {
        writer.remove(&address.parse().unwrap()).await.unwrap();
    }
    writer.finish().await.unwrap();
    let fixtures = serde_json::json!({
        "integrations": [{"_id": integration, "name": "Main"}],
        "exports": workspace_exports(&state),
        "flows": [{"_id": second, "name": "Second", "_integrationId": integration, "disabled": true,
                   "pageGenerators": [{"_exportId": state.resources[&Address::new(Kind::Export, "b")].id}]}],
    });
    workspace.emulator.admin().load_fixtures(&fixtures).unwrap();
    pending(&workspace, vec![record(Address::new(Kind::Flow, "second"), "Second", None)]).await;
    // The fixture's `createdAt` is the load time, after the record's start.
    let plan = workspace.plan().await;
    let mut lines = summary(&plan);
    lines.sort();
    assert_eq!(lines, ["adopt flow.second", "create flow.first"]);
    assert_success(&workspace.apply().await);
    let flows = workspace.emulator.admin().documents(ResourceKind::Flows);
    assert_eq!(flows.len(), 2, "no duplicate: {flows:?}");
    let created = flows.iter().find(|flow| flow["name"] == "First").unwrap();
    assert_ne!(created["_id"], first.as_str());
    assert_eq!(created["_runNextFlowIds"][0], second.as_str());
    assert!(!workspace.plan().await.has_changes());
}

fn workspace_exports(state: &flowform_model::State) -> serde_json::Value {
    serde_json::Value::Array(
        ["a", "b"]
            .iter()
            .map(|key| {
                serde_json::json!({
                    "_id": state.resources[&Address::new(Kind::Export, *key)].id,
                    "name": key.to_uppercase(),
                    "adaptorType": "WebhookExport",
                    "webhook": {"provider": "custom"},
                })
            })
            .collect(),
    )
}

/// A run killed between recording a create in the state and dropping its write-ahead record
/// left the record behind for good: it stayed in every later state, and once the resource left
/// the spec and a same-named one appeared, a later plan would have adopted that one silently
/// instead of stopping at the duplicate guard. An apply now drops records whose address is
/// bound in the state.
#[tokio::test]
async fn a_write_ahead_record_of_a_bound_address_is_dropped_by_the_next_apply() {
    let workspace = Workspace::new().await;
    workspace.write("spec.yaml", CHAIN);
    assert_success(&workspace.apply().await);
    let address = Address::new(Kind::Flow, "second");
    pending(&workspace, vec![record(address.clone(), "Second", None)]).await;
    assert_eq!(workspace.state().await.pending.len(), 1);
    let bound: ResourceState = workspace.state().await.resources[&address].clone();
    assert!(!bound.id.is_empty());
    let report = workspace.apply().await;
    assert_success(&report);
    assert!(workspace.state().await.pending.is_empty(), "the settled record is gone");
}

/// A run killed while creating a resource whose key then left the spec: the live resource it
/// may have created is unmanaged, so flowform would never touch it, and nothing said so. The
/// plan now warns about the unresolved record, and the next apply forgets it.
#[tokio::test]
async fn an_unresolved_create_whose_address_left_the_spec_is_named_in_a_warning() {
    let workspace = Workspace::new().await;
    workspace.write("spec.yaml", CHAIN);
    pending(&workspace, vec![record(Address::new(Kind::Flow, "gone"), "Gone", None)]).await;
    let plan = workspace.plan().await;
    let warning = plan.warnings.iter().find(|warning| warning.contains("`flow.gone`"));
    let warning = warning.unwrap_or_else(|| panic!("{:?}", plan.warnings));
    assert!(warning.contains("`Gone`") && warning.contains("flowform import"), "{warning}");
    // The apply that showed the warning forgets the record, so it does not warn for ever.
    assert_success(&workspace.apply().await);
    assert!(workspace.state().await.pending.is_empty());
    assert!(!workspace.plan().await.warnings.iter().any(|warning| warning.contains("`flow.gone`")));
}
