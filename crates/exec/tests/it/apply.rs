use flowform_emulator::ResourceKind;
use flowform_model::{ActionKind, Address, Kind};

use crate::support::{Workspace, assert_success, summary};

use crate::specs::{APP as SPEC, CHAIN};

async fn workspace() -> Workspace {
    let mut workspace = Workspace::new().await;
    workspace.secrets.insert("API_TOKEN".into(), "token-one".into());
    workspace.write("spec.yaml", SPEC);
    workspace
}

fn flow_document(workspace: &Workspace, name: &str) -> serde_json::Value {
    workspace
        .emulator
        .admin()
        .documents(ResourceKind::Flows)
        .into_iter()
        .find(|flow| flow["name"] == name)
        .unwrap_or_else(|| panic!("no flow `{name}`"))
}

#[tokio::test]
async fn create_from_nothing_then_the_plan_is_empty() {
    let workspace = workspace().await;
    let plan = workspace.plan().await;
    assert_eq!(plan.summary().create, 6, "{:?}", summary(&plan));
    let report = workspace.apply().await;
    assert_success(&report);
    // The flow was created disabled and enabled as the last step.
    let last = report.steps.last().unwrap();
    assert_eq!(last.label, "enable flow.sync");
    assert_eq!(flow_document(&workspace, "Sync")["disabled"], false);
    let plan = workspace.plan().await;
    assert!(!plan.has_changes(), "{:?}", summary(&plan));
    let state = workspace.state().await;
    assert_eq!(state.resources.len(), 6);
    assert!(state.pending.is_empty());
    let text = workspace.state_files_text();
    assert!(!text.contains("token-one"), "no secret in the state");
}

#[tokio::test]
async fn an_edit_is_one_update_and_a_rotated_secret_one_sensitive_update() {
    let mut workspace = workspace().await;
    assert_success(&workspace.apply().await);
    workspace
        .write("spec.yaml", &SPEC.replace("relativeURI: /orders", "relativeURI: /orders?all=1"));
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update export.orders"]);
    assert_success(&workspace.apply().await);
    assert!(!workspace.plan().await.has_changes());

    workspace.secrets.insert("API_TOKEN".into(), "token-two".into());
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update connection.api"]);
    let change = plan.actionable().next().unwrap();
    assert!(change.fields().iter().all(|field| field.sensitive), "{:?}", change.fields());
    assert_success(&workspace.apply().await);
    assert!(!workspace.plan().await.has_changes());
    let connection = &workspace.emulator.admin().documents(ResourceKind::Connections)[0];
    assert_eq!(connection["http"]["auth"]["token"]["token"], "token-two");
}

#[tokio::test]
async fn removing_a_resource_deletes_it_after_its_dependents_are_updated() {
    let workspace = workspace().await;
    assert_success(&workspace.apply().await);
    // The import and its script leave the spec; the flow stops using the import.
    let spec = SPEC
        .replace(
            "    pageProcessors:\n      - type: import\n        _importId: ${import.post}\n",
            "    pageProcessors: []\n",
        )
        .replace(
            &SPEC[SPEC.find("imports:").unwrap()..SPEC.find("flows:").unwrap()],
            "",
        )
        .replace(
            "scripts:\n  shape:\n    name: Shape\n    content: |\n      function preMap(options) { return options.data; }\n",
            "",
        );
    workspace.write("spec.yaml", &spec);
    let plan = workspace.plan().await;
    let mut lines = summary(&plan);
    lines.sort();
    assert_eq!(lines, ["delete import.post", "delete script.shape", "update flow.sync"]);
    let report = workspace.apply().await;
    assert_success(&report);
    let position = |label: &str| report.steps.iter().position(|step| step.label == label).unwrap();
    assert!(position("update flow.sync") < position("delete import.post"));
    assert!(position("delete import.post") < position("delete script.shape"));
    assert!(!workspace.plan().await.has_changes());
    assert_eq!(workspace.emulator.admin().count(ResourceKind::Imports), 0);
}

#[tokio::test]
async fn run_next_cycles_are_broken_and_converge() {
    let mut workspace = Workspace::new().await;
    workspace.secrets.insert("API_TOKEN".into(), "t".into());
    workspace.write("spec.yaml", &format!("{CHAIN}    _runNextFlowIds: [\"${{flow.first}}\"]\n"));
    let report = workspace.apply().await;
    assert_success(&report);
    assert!(report.steps.iter().any(|step| step.label.starts_with("link flow.")), "{report:#?}");
    let first = flow_document(&workspace, "First");
    let second = flow_document(&workspace, "Second");
    assert_eq!(first["_runNextFlowIds"][0], second["_id"]);
    assert_eq!(second["_runNextFlowIds"][0], first["_id"]);
    let plan = workspace.plan().await;
    assert!(!plan.has_changes(), "{:?}", summary(&plan));

    // Both leave the spec: each is unlinked from the other first, then both are deleted.
    workspace.write("spec.yaml", &CHAIN[..CHAIN.find("flows:").unwrap()]);
    let report = workspace.apply().await;
    assert_success(&report);
    let unlinks = report.steps.iter().filter(|step| step.label.starts_with("unlink flow.")).count();
    assert!(unlinks >= 1, "{report:#?}");
    assert_eq!(workspace.emulator.admin().count(ResourceKind::Flows), 0);
    assert!(!workspace.plan().await.has_changes());
}

#[tokio::test]
async fn a_flow_that_runs_itself_next_is_created_then_linked() {
    let workspace = Workspace::new().await;
    workspace.write(
        "spec.yaml",
        r#"
exports:
  a: {name: A, adaptorType: WebhookExport, webhook: {provider: custom}}
flows:
  again:
    name: Again
    pageGenerators: [{_exportId: "${export.a}"}]
    _runNextFlowIds: ["${flow.again}"]
"#,
    );
    let report = workspace.apply().await;
    assert_success(&report);
    assert!(report.steps.iter().any(|step| step.label == "link flow.again"), "{report:#?}");
    let again = flow_document(&workspace, "Again");
    assert_eq!(again["_runNextFlowIds"][0], again["_id"]);
    let plan = workspace.plan().await;
    assert!(!plan.has_changes(), "{:?}", summary(&plan));
}

#[tokio::test]
async fn a_failed_step_skips_its_dependents_and_a_rerun_converges() {
    let workspace = workspace().await;
    // An export the API refuses (its hook's stack does not exist: stacks are listed only when a
    // `data:` lookup names one, so only the service knows): the flow that reads it must be
    // skipped, the rest goes on.
    workspace.write(
        "spec.yaml",
        &SPEC.replacen(
            "    _connectionId: ${connection.api}\n    http:\n      method: GET",
            "    _connectionId: ${connection.api}\n    hooks:\n      preSavePage:\n        _stackId: \"0123456789abcdef01234567\"\n        function: preSavePage\n    http:\n      method: GET",
            1,
        ),
    );
    let report = workspace.apply().await;
    assert!(!report.is_success());
    let failed: Vec<&str> = report.failed().map(|step| step.label.as_str()).collect();
    assert_eq!(failed, ["create export.orders"]);
    let skipped: Vec<&str> = report.skipped().map(|step| step.label.as_str()).collect();
    assert!(skipped.contains(&"create flow.sync"), "{skipped:?}");
    assert!(report.done().any(|step| step.label == "create import.post"));
    let message = match &report.failed().next().unwrap().outcome {
        flowform_exec::apply::StepOutcome::Failed(
            error @ flowform_exec::apply::StepError::Api(_),
        ) => error.to_string(),
        other => panic!("a refused create fails with the API's error: {other:?}"),
    };
    assert!(message.contains("POST /v1/exports"), "{message}");
    assert!(message.contains("422") || message.contains("invalid_ref"), "{message}");

    workspace.write("spec.yaml", SPEC);
    let plan = workspace.plan().await;
    let mut lines = summary(&plan);
    lines.sort();
    assert_eq!(lines, ["create export.orders", "create flow.sync"]);
    assert_success(&workspace.apply().await);
    assert!(!workspace.plan().await.has_changes());
}

#[tokio::test]
async fn a_lost_create_is_adopted_by_the_next_run() {
    let workspace = workspace().await;
    // A create that the server commits but whose answer is lost, and a client that gives up
    // (as if the process had been killed): simulate by leaving a pending record and a live
    // resource created after it.
    let api = flowform_exec::remote::ClientStateApi(&workspace.client);
    let mut writer = crate::support::open_for_apply(&workspace.location, &api).await;
    writer
        .add_pending(vec![flowform_model::PendingCreate {
            address: Address::new(Kind::Integration, "main"),
            kind: Kind::Integration,
            name: "Main".into(),
            integration_id: None,
            started_at: "2000-01-01T00:00:00.000Z".into(),
        }])
        .await
        .unwrap();
    writer.finish().await.unwrap();
    let created = workspace
        .client
        .create(Kind::Integration, &serde_json::json!({"name": "Main"}), &Default::default())
        .await
        .unwrap();

    let plan = workspace.plan().await;
    let change = plan
        .changes
        .iter()
        .find(|change| change.address.to_string() == "integration.main")
        .unwrap();
    assert_eq!(change.action_kind(), ActionKind::Adopt);
    assert_eq!(change.id(), Some(created.resource.id.as_str()));
    assert_success(&workspace.apply().await);
    assert_eq!(workspace.emulator.admin().count(ResourceKind::Integrations), 1);
    assert!(workspace.state().await.pending.is_empty());
    assert!(!workspace.plan().await.has_changes());
}

#[tokio::test]
async fn the_state_api_backend_works_the_same() {
    let mut workspace = workspace().await;
    workspace.location = flowform_exec::state::StateLocation::Integrator { name: "default".into() };
    assert_success(&workspace.apply().await);
    assert!(!workspace.plan().await.has_changes());
    let stored = workspace.emulator.admin().state_value("flowform-default");
    assert!(stored.is_some(), "the state lives in the account");
    assert!(!stored.unwrap().to_string().contains("token-one"));
    assert!(
        workspace.emulator.admin().state_value("flowform-default-lock").is_none(),
        "lock released"
    );
}

#[tokio::test]
async fn clone_then_enforce_the_spec_and_moves_keep_the_id() {
    let workspace = workspace().await;
    let cloned = format!(
        "{SPEC}  copy:\n    name: Copy of sync\n    _integrationId: ${{integration.main}}\n    settings:\n      channel: triage\n    lifecycle:\n      cloneFrom: ${{flow.sync}}\n"
    );
    workspace.write("spec.yaml", &cloned);
    let plan = workspace.plan().await;
    assert!(summary(&plan).contains(&"clone flow.copy".to_owned()), "{:?}", summary(&plan));
    assert_success(&workspace.apply().await);
    let copy = flow_document(&workspace, "Copy of sync");
    assert_eq!(copy["settings"]["channel"], "triage");
    assert!(copy["pageGenerators"].is_array(), "the clone brought the steps: {copy}");
    let plan = workspace.plan().await;
    assert!(!plan.has_changes(), "{:?}", summary(&plan));

    // Rename the flow's key with `moved`: same live flow, no delete + create.
    let id = workspace.state().await.resources[&Address::new(Kind::Flow, "copy")].id.clone();
    let renamed = cloned.replace("  copy:\n", "  triage-copy:\n")
        + "moved:\n  - from: flow.copy\n    to: flow.triage-copy\n";
    workspace.write("spec.yaml", &renamed);
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["move flow.triage-copy"]);
    assert_success(&workspace.apply().await);
    let state = workspace.state().await;
    assert_eq!(state.resources[&Address::new(Kind::Flow, "triage-copy")].id, id);
    assert!(!state.resources.contains_key(&Address::new(Kind::Flow, "copy")));
    assert!(!workspace.plan().await.has_changes());
}

#[tokio::test]
async fn dropped_responses_and_server_errors_still_converge_without_duplicates() {
    let mut config = flowform_emulator::EmulatorConfig::for_tests();
    config.seed = 7;
    let mut workspace = Workspace::with_config(config).await;
    workspace.secrets.insert("API_TOKEN".into(), "token-one".into());
    workspace.write("spec.yaml", SPEC);
    let admin = workspace.emulator.admin();
    let mut faults = admin.faults();
    faults.server_error_rate = 0.1;
    faults.dropped_write_rate = 0.2;
    admin.set_faults(faults).unwrap();
    let mut converged = false;
    for _ in 0..3 {
        if workspace.apply().await.is_success() {
            converged = true;
            break;
        }
    }
    admin.set_faults(flowform_emulator::Faults::default()).unwrap();
    assert!(converged || workspace.apply().await.is_success());
    for kind in [
        ResourceKind::Integrations,
        ResourceKind::Connections,
        ResourceKind::Exports,
        ResourceKind::Flows,
    ] {
        assert_eq!(admin.count(kind), 1, "{kind:?}: no duplicate");
    }
    assert!(!workspace.plan().await.has_changes());
}

/// Plans and applies the workspace the way `apply --auto-approve` does: the updates' reads are
/// sent while the plan is made, and the run takes them. `between` runs after the account is
/// listed and before the plan is made.
async fn apply_reading_early(
    workspace: &Workspace,
    between: impl FnOnce(),
) -> (usize, flowform_exec::apply::ApplyReport) {
    use flowform_exec::apply::EarlyReads;
    use flowform_exec::planner::{make_plan_reading, read_live};
    use flowform_exec::saved::PlanOptions;

    let api = flowform_exec::remote::ClientStateApi(&workspace.client);
    let mut writer = crate::support::open_for_apply(&workspace.location, &api).await;
    let desired = workspace.load();
    let live = read_live(&workspace.client, &desired, writer.state()).await.unwrap();
    between();
    let reads = EarlyReads::new(&workspace.client);
    let plan =
        make_plan_reading(&desired, writer.state(), &live, &PlanOptions::default(), &reads, true)
            .unwrap();
    let sent = reads.sent();
    let report = crate::support::execute_with(
        &workspace.client,
        &mut writer,
        (&desired, &plan, &live),
        Some(&reads),
    )
    .await
    .unwrap();
    writer.finish().await.unwrap();
    (sent, report)
}

/// The reads an apply sends while its plan is made are its updates' staleness reads: each
/// update still costs one `GET` and one `PUT`, and a change made in the account after the
/// listing is still found by the read, so that update refuses and converges on the next run.
#[tokio::test]
async fn reads_sent_while_the_plan_is_made_are_the_updates_own() {
    let workspace = workspace().await;
    assert_success(&workspace.apply().await);
    workspace
        .write("spec.yaml", &SPEC.replace("relativeURI: /orders", "relativeURI: /orders?all=1"));
    let admin = workspace.emulator.admin();
    admin.reset_counters();
    let (sent, report) = apply_reading_early(&workspace, || {}).await;
    assert_success(&report);
    assert_eq!(sent, 1, "one update, one read sent while planning");
    let counters = admin.counters();
    assert_eq!(counters.route("GET", "/v1/exports/{id}"), 1, "{:?}", counters.by_route);
    assert_eq!(counters.route("PUT", "/v1/exports/{id}"), 1, "{:?}", counters.by_route);
    assert!(!workspace.plan().await.has_changes());

    // A change made in the account between the listing and the plan's read.
    workspace.write("spec.yaml", &SPEC.replace("relativeURI: /orders", "relativeURI: /orders?v=2"));
    let orders = admin
        .documents(ResourceKind::Exports)
        .into_iter()
        .find(|export| export["name"] == "Orders")
        .expect("the orders export");
    let id = orders["_id"].as_str().unwrap().to_owned();
    let (sent, report) = apply_reading_early(&workspace, || {
        admin
            .edit(ResourceKind::Exports, &id, &serde_json::json!({"description": "made in the UI"}))
            .unwrap();
    })
    .await;
    assert_eq!(sent, 1);
    let failed: Vec<String> = report
        .steps
        .iter()
        .filter_map(|step| match &step.outcome {
            flowform_exec::apply::StepOutcome::Failed(error) => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].contains("was modified in the account after the plan was made"),
        "{failed:?}"
    );
    assert_eq!(
        admin.document(ResourceKind::Exports, &id).unwrap()["description"],
        "made in the UI"
    );
    // The next apply sees the change and converges.
    assert_success(&workspace.apply().await);
    assert!(!workspace.plan().await.has_changes());
}
