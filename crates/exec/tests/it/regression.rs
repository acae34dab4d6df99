//! Regression tests, named after the problem they pin down (found by the reliability suite of
//! issue 9: seeded faults and SIGKILL runs, and by issue 14: the README's example tried as a new
//! user would).

use std::time::Duration;

use flowform_emulator::ResourceKind;
use flowform_exec::remote::ClientStateApi;
use flowform_exec::state::open_writer;
use flowform_model::{Address, Kind, PendingCreate, ResourceState};

use crate::support::{TARGET, Workspace, assert_success, summary};

use crate::specs::{APP, CHAIN, CLONE_OF_SYNC};

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

// Issue 14: clones, lifecycle-only edits and destroy.

use flowform_exec::planner::{PlanError, make_plan, read_live};
use flowform_exec::saved::PlanOptions;
use flowform_model::{Action, DesiredState, StateFlag, Value};

/// `flowform destroy` at the library level: the destroy plan of the state, executed.
async fn destroy(workspace: &Workspace) -> Result<ApplyReportSummary, String> {
    let api = ClientStateApi(&workspace.client);
    let (mut writer, live, planned) = plan_destroy(workspace, &api).await;
    let nothing = DesiredState::default();
    let plan = match planned {
        Ok(plan) => plan,
        Err(error) => {
            writer.release().await.unwrap();
            return Err(format!("{error}"));
        }
    };
    let report =
        crate::support::execute(&workspace.client, &mut writer, &nothing, &plan, &live).await;
    writer.finish().await.unwrap();
    let report = report.unwrap();
    Ok(ApplyReportSummary { success: report.is_success(), steps: report.steps.len() })
}

/// The state locked for a destroy, the account read, and the destroy plan of the state.
async fn plan_destroy<'a>(
    workspace: &Workspace,
    api: &'a ClientStateApi<'a>,
) -> (
    flowform_exec::state::StateWriter<'a, ClientStateApi<'a>>,
    flowform_model::LiveState,
    Result<flowform_model::Plan, flowform_exec::planner::PlanError>,
) {
    let (writer, _) =
        open_writer(&workspace.location, api, TARGET, "destroy", Duration::ZERO).await.unwrap();
    let nothing = DesiredState::default();
    let live = read_live(&workspace.client, &nothing, writer.state()).await.unwrap();
    let options = PlanOptions { destroy: true, ..PlanOptions::default() };
    let planned = make_plan(&nothing, writer.state(), &live, &options);
    (writer, live, planned)
}

struct ApplyReportSummary {
    success: bool,
    steps: usize,
}

/// [`APP`] with `clone` (a variant of [`CLONE_OF_SYNC`]) as a second file.
async fn cloned_app(clone: &str) -> Workspace {
    let mut workspace = Workspace::new().await;
    workspace.secrets.insert("API_TOKEN".into(), "token".into());
    workspace.write("spec.yaml", APP);
    workspace.write("clone.yaml", clone);
    workspace
}

/// Every live resource of the account is one the state manages.
async fn nothing_unmanaged(workspace: &Workspace) {
    let state = workspace.state().await;
    for kind in ResourceKind::ALL {
        for document in workspace.emulator.admin().documents(kind) {
            let id = document["_id"].as_str().unwrap();
            assert!(
                state.resources.values().any(|resource| resource.id == id),
                "unmanaged {kind:?} in the account: {document}"
            );
        }
    }
}

/// Issue 14, first bug: integrator.io copies a flow's exports and imports when it clones the
/// flow, and flowform never tracked the copies: the account kept unmanaged copies, `destroy`
/// failed on the connection a copy still used (and claimed a re-run converges), and applying
/// the spec again stopped at the "same name" guard. The plan now names the copies, the state
/// records them with the clone as owner, the unused one is deleted in the same apply, and
/// `destroy` deletes them all.
#[tokio::test]
async fn a_clone_s_copies_are_managed_deleted_when_unused_and_destroyed_with_it() {
    let workspace = cloned_app(&CLONE_OF_SYNC.replace("      preventDestroy: true\n", "")).await;
    let plan = workspace.plan().await;
    let clone = plan.changes.iter().find(|change| change.address.key == "realtime").unwrap();
    let Action::Clone { copies, .. } = &clone.action else { panic!("{clone:?}") };
    let copies: Vec<(String, bool)> =
        copies.iter().map(|copy| (copy.address.to_string(), copy.kept)).collect();
    assert_eq!(
        copies,
        [("export.realtime--orders".to_owned(), false), ("import.realtime--post".to_owned(), true)]
    );
    assert_success(&workspace.apply().await);
    let state = workspace.state().await;
    let owner = Address::new(Kind::Flow, "realtime");
    let kept = &state.resources[&Address::new(Kind::Import, "realtime--post")];
    assert_eq!(kept.owner.as_ref(), Some(&owner));
    assert!(state.get(&Address::new(Kind::Export, "realtime--orders")).is_none());
    assert_eq!(workspace.emulator.admin().count(ResourceKind::Exports), 2, "orders and hook");
    assert_eq!(workspace.emulator.admin().count(ResourceKind::Imports), 2, "post and its copy");
    nothing_unmanaged(&workspace).await;
    assert!(!workspace.plan().await.has_changes());

    let destroyed = destroy(&workspace).await.unwrap();
    assert!(destroyed.success && destroyed.steps == 9, "{}", destroyed.steps);
    for (kind, count) in workspace.emulator.admin().counts() {
        assert_eq!(count, 0, "{kind:?} left after destroy");
    }
    // The spec applies again from scratch: no "same name" guard.
    let plan = workspace.plan().await;
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_success(&workspace.apply().await);
}

/// A resource made in the UI after the destroy was planned, using a resource the plan deletes:
/// the service refuses the delete, and the step names what still uses it. (Made before the
/// plan, it stops the plan: `tests/it/apply.rs`, `destroy_names_what_still_uses_…`.)
#[tokio::test]
async fn a_delete_refused_for_a_user_made_after_the_plan_names_that_user() {
    let mut workspace = Workspace::new().await;
    workspace.secrets.insert("API_TOKEN".into(), "token".into());
    workspace.write("spec.yaml", APP);
    assert_success(&workspace.apply().await);
    let api = ClientStateApi(&workspace.client);
    let (mut writer, live, planned) = plan_destroy(&workspace, &api).await;
    let nothing = DesiredState::default();
    let plan = planned.unwrap();
    let connection = writer
        .state()
        .resources
        .iter()
        .find(|(address, _)| address.kind == Kind::Connection)
        .map(|(_, resource)| resource.id.clone())
        .unwrap();
    workspace
        .emulator
        .admin()
        .load_fixtures(&serde_json::json!({"exports": [{
            "_id": "eeeeeeeeeeeeeeeeeeeeeeee", "name": "Made in the UI",
            "adaptorType": "HTTPExport", "_connectionId": connection,
            "http": {"method": "GET", "relativeURI": "/ui"}}]}))
        .unwrap();
    let report =
        crate::support::execute(&workspace.client, &mut writer, &nothing, &plan, &live).await;
    writer.finish().await.unwrap();
    let report = report.unwrap();
    let failed: Vec<String> = report
        .steps
        .iter()
        .filter_map(|step| match &step.outcome {
            flowform_exec::apply::StepOutcome::Failed(error) => {
                Some(format!("{}: {error}", step.address))
            }
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("is still used by export `Made in the UI`"), "{failed:?}");
}

/// Issue 14: the service may answer a clone with a manifest of everything it created instead
/// of the document (integrator-api.md §6.5); the copies are found in it, matched to the plan's
/// by `_sourceId`, and managed the same way.
#[tokio::test]
async fn a_clone_answered_with_a_manifest_records_the_same_copies() {
    let workspace = cloned_app(&CLONE_OF_SYNC.replace("      preventDestroy: true\n", "")).await;
    workspace.emulator.admin().set_clone_response(flowform_emulator::CloneResponse::Manifest);
    assert_success(&workspace.apply().await);
    let state = workspace.state().await;
    let kept = &state.resources[&Address::new(Kind::Import, "realtime--post")];
    assert_eq!(kept.owner, Some(Address::new(Kind::Flow, "realtime")));
    nothing_unmanaged(&workspace).await;
    assert!(!workspace.plan().await.has_changes());
    assert!(destroy(&workspace).await.unwrap().success);
    for (kind, count) in workspace.emulator.admin().counts() {
        assert_eq!(count, 0, "{kind:?} left after destroy");
    }
}

/// Issue 14: when the spec later points the cloned flow's step at another resource, the copy
/// it no longer uses is deleted in the same apply, after the flow's update; when the clone
/// leaves the spec, its copies go after it.
#[tokio::test]
async fn a_copy_the_spec_stops_using_is_deleted_after_the_update_and_copies_follow_the_owner() {
    let clone = CLONE_OF_SYNC.replace("      preventDestroy: true\n", "");
    let workspace = cloned_app(&clone).await;
    assert_success(&workspace.apply().await);
    let post =
        workspace.state().await.resources[&Address::new(Kind::Import, "realtime--post")].id.clone();
    // The realtime flow now posts through the spec's own import.
    let edited = clone.replace(
        "    schedule: null\n",
        "    pageProcessors:\n      - type: import\n        _importId: ${import.post}\n    schedule: null\n",
    );
    workspace.write("clone.yaml", &edited);
    let plan = workspace.plan().await;
    let lines = summary(&plan);
    assert_eq!(lines, ["delete import.realtime--post", "update flow.realtime"], "{lines:?}");
    let delete = plan.changes.iter().find(|change| change.address.key == "realtime--post").unwrap();
    assert_eq!(delete.depends_on.len(), 1, "after the flow's update: {delete:?}");
    assert_success(&workspace.apply().await);
    assert!(workspace.emulator.admin().document(ResourceKind::Imports, &post).is_none());
    assert!(!workspace.plan().await.has_changes());
    nothing_unmanaged(&workspace).await;

    // Another account: the clone leaves the spec, and its copy goes after it.
    let workspace = cloned_app(&clone).await;
    assert_success(&workspace.apply().await);
    fs_err::remove_file(workspace.path().join("clone.yaml")).unwrap();
    let plan = workspace.plan().await;
    assert_eq!(
        summary(&plan),
        ["delete export.hook", "delete import.realtime--post", "delete flow.realtime"]
    );
    let copy = plan.changes.iter().find(|change| change.address.key == "realtime--post").unwrap();
    assert_eq!(copy.waits_for().map(ToString::to_string).collect::<Vec<_>>(), ["flow.realtime"]);
    assert_success(&workspace.apply().await);
    assert_eq!(workspace.emulator.admin().count(ResourceKind::Imports), 1);
    nothing_unmanaged(&workspace).await;
}

/// Issue 14, second bug: the cloned flow with `ignoreChanges: [disabled]` was reported
/// `enabled` by the plan and by apply but stayed disabled (the enable kept the ignored live
/// value), so running it failed with `inactive_flow`. `ignoreChanges` now stops later writes,
/// not the first one, and the enable is verified. After creation the ignored flag is left alone.
#[tokio::test]
async fn a_flow_ignoring_disabled_is_created_enabled_and_then_left_alone() {
    let workspace = cloned_app(CLONE_OF_SYNC).await;
    assert_success(&workspace.apply().await);
    let id = workspace.state().await.resources[&Address::new(Kind::Flow, "realtime")].id.clone();
    let flow = workspace.emulator.admin().document(ResourceKind::Flows, &id).unwrap();
    assert_eq!(flow["disabled"], false, "{flow}");
    // Disabled in the UI: `ignoreChanges` keeps flowform's hands off from now on.
    workspace
        .emulator
        .admin()
        .edit(ResourceKind::Flows, &id, &serde_json::json!({"disabled": true}))
        .unwrap();
    assert!(!workspace.plan().await.has_changes());
    let flow = workspace.emulator.admin().document(ResourceKind::Flows, &id).unwrap();
    assert_eq!(flow["disabled"], true);
}

/// Issue 14, third bug: a lifecycle-only edit (`preventDestroy: false` on an unchanged
/// resource) applied as "No changes" and the state kept the old flag, so `destroy` still
/// refused (the README's advice did not work). It is now a state-only change, applied without
/// any request, after which `destroy` runs; a removed block keeps the flag last applied.
#[tokio::test]
async fn a_lifecycle_only_edit_is_a_state_only_change_that_destroy_then_honours() {
    let workspace = cloned_app(CLONE_OF_SYNC).await;
    assert_success(&workspace.apply().await);
    assert!(destroy(&workspace).await.err().unwrap().contains("`destroy` would delete it"));

    workspace.write(
        "clone.yaml",
        &CLONE_OF_SYNC.replace("preventDestroy: true", "preventDestroy: false"),
    );
    let plan = workspace.plan().await;
    assert!(plan.has_changes());
    assert_eq!(summary(&plan), ["state-only flow.realtime"]);
    let change = plan.changes.iter().find(|change| change.address.key == "realtime").unwrap();
    let flags: Vec<(StateFlag, Value, Value)> = change
        .action
        .state_changes()
        .iter()
        .map(|change| (change.flag, change.before.clone(), change.after.clone()))
        .collect();
    assert_eq!(flags, [(StateFlag::PreventDestroy, Value::Bool(true), Value::Bool(false))]);
    workspace.emulator.admin().reset_counters();
    assert_success(&workspace.apply().await);
    let writes: u64 = workspace
        .emulator
        .admin()
        .counters()
        .by_route
        .iter()
        .filter(|((method, _), _)| method != "GET")
        .map(|(_, count)| count)
        .sum();
    assert_eq!(writes, 0, "a state-only change sends nothing");
    assert!(
        !workspace.state().await.resources[&Address::new(Kind::Flow, "realtime")].prevent_destroy
    );
    assert!(!workspace.plan().await.has_changes());

    // Protected again, then the block removed: the state remembers the flag.
    workspace.write("clone.yaml", CLONE_OF_SYNC);
    assert_eq!(summary(&workspace.plan().await), ["state-only flow.realtime"]);
    assert_success(&workspace.apply().await);
    fs_err::remove_file(workspace.path().join("clone.yaml")).unwrap();
    let desired = workspace.load();
    let state = workspace.state().await;
    let live = read_live(&workspace.client, &desired, &state).await.unwrap();
    let refused = make_plan(&desired, &state, &live, &Default::default());
    assert!(
        matches!(&refused, Err(PlanError::Problems(problems)) if problems[0].message.contains("left the spec")),
        "the removed block keeps its protection: {refused:?}"
    );

    workspace.write(
        "clone.yaml",
        &CLONE_OF_SYNC.replace("preventDestroy: true", "preventDestroy: false"),
    );
    assert_success(&workspace.apply().await);
    let destroyed = destroy(&workspace).await.unwrap();
    assert!(destroyed.success);
    for (kind, count) in workspace.emulator.admin().counts() {
        assert_eq!(count, 0, "{kind:?} left after destroy");
    }
}

/// Issue 14, fifth bug: the realtime clone kept the polling schedule it brought. `null` in the
/// spec now means "absent live": the clone's update removes it, and a schedule put back outside
/// flowform is planned as a removal, marked as drift.
#[tokio::test]
async fn null_removes_what_the_clone_brought_and_a_value_put_back_is_drift() {
    let workspace = cloned_app(CLONE_OF_SYNC).await;
    assert_success(&workspace.apply().await);
    let id = workspace.state().await.resources[&Address::new(Kind::Flow, "realtime")].id.clone();
    let flow = workspace.emulator.admin().document(ResourceKind::Flows, &id).unwrap();
    assert!(flow.get("schedule").is_none() && flow.get("timezone").is_none(), "{flow}");
    workspace
        .emulator
        .admin()
        .edit(ResourceKind::Flows, &id, &serde_json::json!({"schedule": "? 0 0 * * *"}))
        .unwrap();
    let plan = workspace.plan().await;
    let change = plan.changes.iter().find(|change| change.address.key == "realtime").unwrap();
    let fields: Vec<String> = change
        .fields()
        .iter()
        .map(|field| format!("{} {} drift={}", field.op.as_str(), field.path, field.drift))
        .collect();
    assert_eq!(fields, ["remove schedule drift=true"]);
    assert_success(&workspace.apply().await);
    let flow = workspace.emulator.admin().document(ResourceKind::Flows, &id).unwrap();
    assert!(flow.get("schedule").is_none(), "{flow}");
}
