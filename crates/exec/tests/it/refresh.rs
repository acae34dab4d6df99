//! Changes made outside flowform (issue 15) through the real planner and executor: baselines
//! recorded by every write, the refresh-only plan, accepting it, and the empty secret that is
//! never sent.

use flowform_emulator::ResourceKind;
use flowform_exec::apply::{StepOutcome, accept};
use flowform_exec::saved::PlanOptions;
use flowform_exec::state::open_writer;
use flowform_model::{Address, FieldOp, Kind, SecretValue, Value};
use serde_json::json;

use crate::specs::{APP as SPEC, CLONE_OF_SYNC};
use crate::support::{TARGET, Workspace, assert_success, execute, summary};

async fn applied() -> Workspace {
    let mut workspace = Workspace::new().await;
    workspace.secrets.insert("API_TOKEN".into(), "token-one".into());
    workspace.write("spec.yaml", SPEC);
    assert_success(&workspace.apply().await);
    workspace
}

fn refresh_only() -> PlanOptions {
    PlanOptions { refresh_only: true, ..PlanOptions::default() }
}

async fn id_of(workspace: &Workspace, address: &str) -> String {
    let address: Address = address.parse().unwrap();
    workspace.state().await.resources[&address].id.clone()
}

/// Accepts the refresh-only plan as `apply --refresh-only` does.
async fn accept_refresh(workspace: &Workspace) -> flowform_exec::apply::RefreshReport {
    let api = flowform_exec::remote::ClientStateApi(&workspace.client);
    let (mut writer, _) =
        open_writer(&workspace.location, &api, TARGET, "apply", std::time::Duration::ZERO)
            .await
            .unwrap();
    let (_, plan, live) = workspace.plan_with(&refresh_only()).await;
    let report = accept(&mut writer, &plan, &live).await.unwrap();
    writer.finish().await.unwrap();
    report
}

/// Every write records the document it wrote as the baseline, with the emulator's fidelity
/// (fields the service adds, casts, masks): right after an apply, nothing changed outside
/// flowform, and the state holds digests, never values.
#[tokio::test]
async fn an_apply_leaves_no_change_outside_flowform() {
    let workspace = applied().await;
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    assert!(plan.refresh_only);
    assert!(plan.changed_outside.is_empty(), "{:#?}", plan.changed_outside);
    assert!(plan.without_baseline.is_empty(), "{:?}", plan.without_baseline);
    let state = workspace.state().await;
    assert!(state.resources.values().all(|entry| entry.live.is_some()));
    let text = workspace.state_files_text();
    for value in ["token-one", "/orders", "preMap(options)"] {
        assert!(!text.contains(value), "no value in the state: `{value}`");
    }
}

/// A clone and the copies the service made with it (issue 14) get their baselines from the
/// apply that made them: nothing changed outside flowform, none without a baseline.
#[tokio::test]
async fn a_clone_and_its_copies_get_baselines() {
    let mut workspace = Workspace::new().await;
    workspace.secrets.insert("API_TOKEN".into(), "token-one".into());
    workspace.write("spec.yaml", SPEC);
    workspace.write("clone.yaml", &CLONE_OF_SYNC.replace("      preventDestroy: true\n", ""));
    assert_success(&workspace.apply().await);
    let state = workspace.state().await;
    assert!(state.resources.values().any(|entry| entry.owner.is_some()), "a copy is managed");
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    assert!(plan.changed_outside.is_empty(), "{:#?}", plan.changed_outside);
    assert!(plan.without_baseline.is_empty(), "{:?}", plan.without_baseline);
}

/// Issue 15: a filter added in the UI to an export (a field the spec does not name) was
/// invisible to the plan. Failed before the live baselines: there was no refresh-only plan,
/// and the ordinary plan had nothing to say. Then `apply --refresh-only` accepts it, and the
/// next refresh-only plan is empty.
#[tokio::test]
async fn a_filter_added_in_the_ui_is_found_then_accepted() {
    let workspace = applied().await;
    let id = id_of(&workspace, "export.orders").await;
    workspace
        .emulator
        .admin()
        .edit(
            ResourceKind::Exports,
            &id,
            &json!({"filter": {"type": "expression", "expression": {"version": "1",
                "rules": ["equals", ["string", ["extract", "status"]], "open"]}}}),
        )
        .unwrap();

    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    assert!(plan.has_changes());
    let [change] = plan.changed_outside.as_slice() else { panic!("{:#?}", plan.changed_outside) };
    assert_eq!(change.address.to_string(), "export.orders");
    let fields: Vec<(String, FieldOp)> =
        change.fields.iter().map(|field| (field.path.to_string(), field.op)).collect();
    assert_eq!(
        fields,
        // `version: "1"` is the service's default (issue 13's table), so it is no change.
        [
            ("filter.expression.rules".to_owned(), FieldOp::Add),
            ("filter.type".to_owned(), FieldOp::Add),
        ]
    );
    let ordinary = workspace.plan().await;
    assert!(!ordinary.has_changes(), "{:?}", summary(&ordinary));
    assert_eq!(ordinary.changed_outside, plan.changed_outside, "the ordinary plan's note");

    let report = accept_refresh(&workspace).await;
    assert_eq!((report.accepted, report.forgotten, report.baselines), (1, 0, 0));
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    assert!(!plan.has_changes(), "{:#?}", plan.changed_outside);
    assert!(workspace.plan().await.changed_outside.is_empty());
    // Nothing was written to the account: the filter is still there.
    let export = workspace.emulator.admin().document(ResourceKind::Exports, &id).unwrap();
    assert_eq!(export["filter"]["type"], "expression");
}

/// An apply of another change to the same export sends the whole document, filter included;
/// the filter stays "changed outside flowform" until it is accepted.
#[tokio::test]
async fn an_apply_carries_a_ui_change_along_without_accepting_it() {
    let workspace = applied().await;
    let id = id_of(&workspace, "export.orders").await;
    let admin = workspace.emulator.admin();
    admin.edit(ResourceKind::Exports, &id, &json!({"pageSize": 50})).unwrap();
    workspace.write("spec.yaml", &SPEC.replace("relativeURI: /orders", "relativeURI: /orders/v2"));
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update export.orders"]);
    assert_success(&workspace.apply().await);
    assert_eq!(admin.document(ResourceKind::Exports, &id).unwrap()["pageSize"], 50);
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    let paths: Vec<String> = plan.changed_outside[0]
        .fields
        .iter()
        .map(|field| format!("{} {}", field.op.as_str(), field.path))
        .collect();
    assert_eq!(paths, ["add pageSize"]);
}

/// A state-only change (a lifecycle flag edited in the spec, issue 14) writes nothing, so it
/// accepts nothing either: the UI change stays noted.
#[tokio::test]
async fn a_state_only_change_keeps_the_baseline() {
    let workspace = applied().await;
    let id = id_of(&workspace, "export.orders").await;
    workspace.emulator.admin().edit(ResourceKind::Exports, &id, &json!({"pageSize": 50})).unwrap();
    workspace.write(
        "spec.yaml",
        &SPEC.replace(
            "    adaptorType: HTTPExport\n",
            "    adaptorType: HTTPExport\n    lifecycle:\n      preventDestroy: true\n",
        ),
    );
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["state-only export.orders"]);
    assert_success(&workspace.apply().await);
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    let fields: Vec<String> = plan
        .changed_outside
        .iter()
        .flat_map(|change| &change.fields)
        .map(|field| field.path.to_string())
        .collect();
    assert_eq!(fields, ["pageSize"]);
}

/// A script's source changed in the UI: lists leave `content` out, so the planner reads the
/// script once its `lastModified` moved past the baseline's, and the change is found.
#[tokio::test]
async fn a_script_edited_in_the_ui_is_found() {
    let workspace = applied().await;
    let id = id_of(&workspace, "script.shape").await;
    workspace
        .emulator
        .admin()
        .edit(ResourceKind::Scripts, &id, &json!({"content": "function preMap() { return []; }"}))
        .unwrap();
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    let [change] = plan.changed_outside.as_slice() else { panic!("{:#?}", plan.changed_outside) };
    assert_eq!(change.address.to_string(), "script.shape");
    assert_eq!(change.fields[0].path.to_string(), "content");
    assert_eq!(
        change.fields[0].value,
        Some(Value::String("function preMap() { return []; }".into()))
    );
    accept_refresh(&workspace).await;
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    assert!(plan.changed_outside.is_empty(), "{:#?}", plan.changed_outside);
}

/// A resource deleted outside flowform is named; accepting forgets it, and the ordinary plan
/// creates it again.
#[tokio::test]
async fn a_resource_deleted_outside_flowform_is_forgotten_when_accepted() {
    let workspace = applied().await;
    let id = id_of(&workspace, "script.shape").await;
    // The import uses the script: remove the hook first, as someone in the UI would.
    let import = id_of(&workspace, "import.post").await;
    let admin = workspace.emulator.admin();
    admin.edit(ResourceKind::Imports, &import, &json!({"hooks": null})).unwrap();
    let client = &workspace.client;
    client.delete(Kind::Script, &id).await.unwrap();
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    let deleted: Vec<String> = plan
        .changed_outside
        .iter()
        .filter(|change| change.deleted)
        .map(|change| change.address.to_string())
        .collect();
    assert_eq!(deleted, ["script.shape"]);
    let report = accept_refresh(&workspace).await;
    assert_eq!((report.accepted, report.forgotten), (1, 1));
    assert!(!workspace.state().await.resources.contains_key(&"script.shape".parse().unwrap()));
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["create script.shape", "update import.post"]);
}

/// A state written before baselines existed: the plans say so once, and the next apply, even
/// one with nothing to change, records them.
#[tokio::test]
async fn an_old_state_gets_its_baselines_from_the_next_apply() {
    let workspace = applied().await;
    let mut document = workspace.state_document();
    for resource in document["resources"].as_object_mut().unwrap().values_mut() {
        resource.as_object_mut().unwrap().remove("live");
    }
    workspace.write_state_document(&document);
    let plan = workspace.plan().await;
    assert!(!plan.has_changes());
    assert_eq!(plan.without_baseline.len(), 6);
    let (_, refresh, _) = workspace.plan_with(&refresh_only()).await;
    assert!(!refresh.has_changes(), "no baseline is no change");
    assert_eq!(refresh.without_baseline.len(), 6);
    assert_success(&workspace.apply().await);
    let plan = workspace.plan().await;
    assert!(plan.without_baseline.is_empty(), "{:?}", plan.without_baseline);
    assert!(plan.changed_outside.is_empty());
}

/// Issue 15: an empty value for a secret (`API_TOKEN=`, as CI passes a missing secret) was
/// sent as the credential. The spec refuses it; this is the executor's own line: the body is
/// never built, the step fails naming the variable, and the account keeps its token. Failed
/// before `ToJsonError::EmptySecret`: the connection's token became `""`.
#[tokio::test]
async fn an_empty_secret_is_never_sent() {
    let workspace = applied().await;
    workspace.write("spec.yaml", &SPEC.replace("name: API", "name: API v2"));
    let (mut desired, _, _) = workspace.plan_with(&PlanOptions::default()).await;
    let connection: Address = "connection.api".parse().unwrap();
    let path = "http.auth.token.token".parse().unwrap();
    let body = &mut desired.resources.get_mut(&connection).unwrap().body;
    let mut value = Value::Object(body.clone());
    value.set(&path, Value::Secret(SecretValue::new(vec!["API_TOKEN".into()], String::new())));
    *body = value.as_object().unwrap().clone();

    let api = flowform_exec::remote::ClientStateApi(&workspace.client);
    let (mut writer, _) =
        open_writer(&workspace.location, &api, TARGET, "apply", std::time::Duration::ZERO)
            .await
            .unwrap();
    let live = flowform_exec::planner::read_live(&workspace.client, &desired, writer.state())
        .await
        .unwrap();
    let plan =
        flowform_exec::planner::make_plan(&desired, writer.state(), &live, &PlanOptions::default())
            .unwrap();
    let report = execute(&workspace.client, &mut writer, &desired, &plan, &live).await.unwrap();
    writer.finish().await.unwrap();
    let failure = report
        .steps
        .iter()
        .find_map(|step| match &step.outcome {
            StepOutcome::Failed(error) => Some(format!("{error}: {}", chain(error))),
            _ => None,
        })
        .expect("the connection's write fails");
    assert!(failure.contains("secret `API_TOKEN` is set but empty"), "{failure}");
    let stored = workspace.emulator.admin().documents(ResourceKind::Connections);
    assert_eq!(stored[0]["http"]["auth"]["token"]["token"], "token-one");
    assert_eq!(stored[0]["name"], "API");
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = String::new();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(&format!("{next}; "));
        cause = next.source();
    }
    text
}

/// Rewrites every baseline of the local state as an older flowform made it: no `rules` (the
/// first rules), and a leaf those rules kept that today's normalisation drops (the service's
/// `autoResolveMatchingTraceKeys`, which issue 13 made a server default). `rules` is left as
/// this build's when `current`.
fn older_baselines(workspace: &Workspace, current: bool) {
    let mut document = workspace.state_document();
    let salt = document["salt"].as_str().unwrap().to_owned();
    let digest = flowform_model::fingerprint::value_digest(&salt, &Value::Bool(true));
    for (address, resource) in document["resources"].as_object_mut().unwrap() {
        let live = resource["live"].as_object_mut().unwrap();
        if !current {
            assert!(live.remove("rules").is_some(), "this build records the rules");
        }
        if address == "flow.sync" {
            live.get_mut("paths")
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert("autoResolveMatchingTraceKeys".into(), json!(digest));
        }
    }
    workspace.write_state_document(&document);
}

/// Issue 13 changed what normalisation keeps, and baselines are digests of the normalised
/// document: a state whose baselines an older flowform made would report "changed outside
/// flowform" for every field the rules now treat differently, on every plan, for ever (the
/// control below shows it). A baseline records its rules: an old one still tells an unchanged
/// document by its whole-document digest (no note at all), a changed document counts as having
/// no baseline (never a change nobody made), and the next apply makes it anew.
#[tokio::test]
async fn baselines_of_older_normalisation_rules_raise_no_change_nobody_made() {
    // The control: the same leaves taken as made by today's rules are a perpetual note.
    let workspace = applied().await;
    let flow = id_of(&workspace, "flow.sync").await;
    let admin = workspace.emulator.admin();
    admin.edit(ResourceKind::Flows, &flow, &json!({"timezone": "Europe/Paris"})).unwrap();
    older_baselines(&workspace, true);
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    let noted: Vec<String> = plan.changed_outside[0]
        .fields
        .iter()
        .map(|field| format!("{} {}", field.op.as_str(), field.path))
        .collect();
    assert_eq!(noted, ["remove autoResolveMatchingTraceKeys", "replace timezone"]);

    let workspace = applied().await;
    older_baselines(&workspace, false);
    let state = workspace.state().await;
    assert!(state.resources.values().all(|entry| !entry.live.as_ref().unwrap().is_current()));
    // Unchanged documents: nothing to say.
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    assert!(!plan.has_changes(), "{:#?}", plan.changed_outside);
    assert!(plan.without_baseline.is_empty(), "{:?}", plan.without_baseline);
    // A document changed since: no baseline to compare with, and no invented change.
    let flow = id_of(&workspace, "flow.sync").await;
    let admin = workspace.emulator.admin();
    admin.edit(ResourceKind::Flows, &flow, &json!({"timezone": "Europe/Paris"})).unwrap();
    let plan = workspace.plan().await;
    assert!(plan.changed_outside.is_empty(), "{:#?}", plan.changed_outside);
    assert_eq!(
        plan.without_baseline.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["flow.sync"]
    );
    // The next apply (the spec's timezone goes back) makes every baseline anew.
    assert_eq!(summary(&plan), ["update flow.sync"]);
    assert_success(&workspace.apply().await);
    let state = workspace.state().await;
    assert!(state.resources.values().all(|entry| entry.live.as_ref().unwrap().is_current()));
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    assert!(!plan.has_changes(), "{:#?}", plan.changed_outside);
    assert!(plan.without_baseline.is_empty(), "{:?}", plan.without_baseline);
    // And changes are found again, exactly.
    admin.edit(ResourceKind::Flows, &flow, &json!({"timezone": "Asia/Tokyo"})).unwrap();
    let (_, plan, _) = workspace.plan_with(&refresh_only()).await;
    let noted: Vec<String> = plan
        .changed_outside
        .iter()
        .flat_map(|change| &change.fields)
        .map(|field| format!("{} {}", field.op.as_str(), field.path))
        .collect();
    assert_eq!(noted, ["replace timezone"]);
}

/// `apply --refresh-only` makes old baselines of unchanged documents anew too (which accepts
/// nothing: the document is the one they were made from).
#[tokio::test]
async fn a_refresh_only_apply_renews_baselines_of_older_rules() {
    let workspace = applied().await;
    older_baselines(&workspace, false);
    let report = accept_refresh(&workspace).await;
    assert_eq!((report.accepted, report.forgotten, report.baselines), (0, 0, 6));
    let state = workspace.state().await;
    assert!(state.resources.values().all(|entry| entry.live.as_ref().unwrap().is_current()));
}
