//! Identity rules: create, clone, update, no-op, recreate, move, adopt, the duplicate guard,
//! deletes, preventDestroy, --no-delete, lost creates, dependency edges and blast radius.

use flowform_diff::DiffOptions;
use flowform_model::{ActionKind, Kind, PendingCreate, RefOrId};
use serde_json::json;

use crate::support::{World, address, check};

fn base(world: &mut World) {
    world.applied("integration.usage", json!({"name": "Usage"}));
    world.applied(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api", "mediaType": "json"}}),
    );
}

#[test]
fn creates_with_dependencies() {
    let mut world = World::new();
    base(&mut world);
    world.desire(
        "export.github-events",
        json!({"name": "GitHub events", "adaptorType": "HTTPExport", "_connectionId": "${connection.slack}",
               "http": {"relativeURI": "/events", "method": "GET"}}),
    );
    world.desire(
        "flow.github-to-slack",
        json!({"name": "GitHub to Slack", "_integrationId": "${integration.usage}",
               "schedule": "? 0 2 ? * *", "timezone": "UTC",
               "pageGenerators": [{"_exportId": "${export.github-events}"}]}),
    );
    let plan = check("creates_with_dependencies", &world, DiffOptions::default());
    let flow = plan
        .changes
        .iter()
        .find(|change| change.address == address("flow.github-to-slack"))
        .unwrap();
    assert_eq!(flow.action_kind(), ActionKind::Create);
    assert_eq!(
        flow.waits_for().cloned().collect::<Vec<_>>(),
        vec![address("integration.usage"), address("export.github-events")]
    );
}

#[test]
fn clone_from_a_managed_flow() {
    let mut world = World::new();
    base(&mut world);
    world.applied(
        "flow.template",
        json!({"name": "Template", "_integrationId": "${integration.usage}", "disabled": true}),
    );
    let copy = world.desire(
        "flow.copy",
        json!({"name": "Copy", "_integrationId": "${integration.usage}", "disabled": true}),
    );
    copy.lifecycle.clone_from = Some(RefOrId::Ref(address("flow.template")));
    let plan = check("clone_from_a_managed_flow", &world, DiffOptions::default());
    let copy = plan.changes.iter().find(|change| change.address == address("flow.copy")).unwrap();
    assert_eq!(copy.action_kind(), ActionKind::Clone);
    assert!(copy.waits_for().any(|dependency| *dependency == address("flow.template")));
}

#[test]
fn fresh_apply_plans_nothing() {
    let mut world = World::new();
    base(&mut world);
    world.applied("import.post", json!({"name": "Post", "_connectionId": "${connection.slack}"}));
    world.applied(
        "flow.nightly",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}", "schedule": "? 0 2 ? * *",
               "pageProcessors": [{"type": "import", "_importId": "${import.post}"}]}),
    );
    let plan = check("fresh_apply_plans_nothing", &world, DiffOptions::default());
    assert!(!plan.has_changes());
    assert_eq!(plan.summary().no_op, 4);
}

#[test]
fn update_of_an_edited_field() {
    let mut world = World::new();
    base(&mut world);
    world.desire(
        "connection.slack",
        json!({"name": "Slack API", "type": "http", "http": {"baseURI": "https://slack.com/api/v2", "mediaType": "json"}}),
    );
    let plan = check("update_of_an_edited_field", &world, DiffOptions::default());
    let change = plan.changes.iter().find(|change| change.kind() == Kind::Connection).unwrap();
    assert_eq!(change.action_kind(), ActionKind::Update);
    assert_eq!(change.fields().len(), 2);
    assert!(change.fields().iter().all(|field| !field.drift));
}

#[test]
fn recreate_when_deleted_outside_flowform() {
    let mut world = World::new();
    base(&mut world);
    let slack = world.state.get(&address("connection.slack")).unwrap().id.clone();
    world.server.delete(&slack);
    let plan = check("recreate_when_deleted_outside_flowform", &world, DiffOptions::default());
    assert_eq!(
        plan.changes.iter().find(|change| change.kind() == Kind::Connection).unwrap().action_kind(),
        ActionKind::Create
    );
    assert_eq!(plan.warnings.len(), 1);
}

#[test]
fn moved_resources_keep_their_live_id() {
    let mut world = World::new();
    base(&mut world);
    let old = world.applied(
        "flow.old-key",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}"}),
    );
    world.undesire("flow.old-key");
    world.desire(
        "flow.new-key",
        json!({"name": "Nightly sync", "_integrationId": "${integration.usage}"}),
    );
    world.moved("flow.old-key", "flow.new-key");
    // A moved entry whose source is not in state is a no-op.
    world.moved("connection.gone", "connection.slack");
    let plan = check("moved_resources_keep_their_live_id", &world, DiffOptions::default());
    let moved =
        plan.changes.iter().find(|change| change.address == address("flow.new-key")).unwrap();
    assert_eq!(moved.action_kind(), ActionKind::Move);
    assert_eq!(moved.id(), Some(old.as_str()));
    assert_eq!(moved.action.moved_from(), Some(&address("flow.old-key")));
    assert!(plan.changes.iter().all(|change| change.action_kind() != ActionKind::Delete));
}

#[test]
fn moved_chains_are_followed_and_live_references_read_as_the_new_address() {
    let mut world = World::new();
    base(&mut world);
    world.applied("export.a", json!({"name": "A", "_connectionId": "${connection.slack}"}));
    world.applied(
        "flow.uses-a",
        json!({"name": "Uses A", "_integrationId": "${integration.usage}", "pageGenerators": [{"_exportId": "${export.a}"}]}),
    );
    world.undesire("export.a");
    world.desire("export.c", json!({"name": "A", "_connectionId": "${connection.slack}"}));
    world.desire(
        "flow.uses-a",
        json!({"name": "Uses A", "_integrationId": "${integration.usage}", "pageGenerators": [{"_exportId": "${export.c}"}]}),
    );
    world.moved("export.a", "export.b");
    world.moved("export.b", "export.c");
    let plan = check("moved_chains", &world, DiffOptions::default());
    assert!(
        plan.changes.iter().any(|change| change.address == address("export.c")
            && change.action_kind() == ActionKind::Move)
    );
    // The flow's live `_exportId` is the moved export's id, which now reads `${export.c}`.
    let flow = plan.changes.iter().find(|change| change.address == address("flow.uses-a")).unwrap();
    assert_eq!(flow.action_kind(), ActionKind::NoOp);
}

#[test]
fn moved_from_an_address_still_declared_is_a_problem() {
    let mut world = World::new();
    base(&mut world);
    world.applied("export.a", json!({"name": "A"}));
    world.desire("export.b", json!({"name": "B"}));
    world.moved("export.a", "export.b");
    let plan = check("moved_from_declared", &world, DiffOptions::default());
    assert_eq!(plan.problems.len(), 1);
}

#[test]
fn duplicate_guard_names_the_live_resource_and_the_ways_out() {
    let mut world = World::new();
    base(&mut world);
    let live = world.unmanaged(
        Kind::Connection,
        json!({"name": "Jira", "type": "http", "http": {"baseURI": "https://jira"}}),
    );
    world.desire(
        "connection.jira",
        json!({"name": "Jira", "type": "http", "http": {"baseURI": "https://jira"}}),
    );
    let plan = check("duplicate_guard", &world, DiffOptions::default());
    assert_eq!(plan.problems.len(), 1);
    let problem = &plan.problems[0];
    assert!(problem.message.contains(&live));
    let hint = problem.hint.as_deref().unwrap();
    assert!(
        hint.contains("lifecycle.adopt: true")
            && hint.contains("--adopt")
            && hint.contains("flowform import connection.jira")
    );
    assert!(plan.changes.iter().all(|change| change.address != address("connection.jira")));
}

#[test]
fn flows_match_only_in_the_same_integration() {
    let mut world = World::new();
    base(&mut world);
    let other_integration = world.unmanaged(Kind::Integration, json!({"name": "Other"}));
    let usage = world.state.get(&address("integration.usage")).unwrap().id.clone();
    world.unmanaged(Kind::Flow, json!({"name": "Nightly", "_integrationId": other_integration}));
    world.desire(
        "flow.nightly",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}", "disabled": true}),
    );
    let plan = check("flow_duplicate_other_integration", &world, DiffOptions::default());
    assert!(plan.problems.is_empty());
    assert_eq!(
        plan.changes
            .iter()
            .find(|change| change.address == address("flow.nightly"))
            .unwrap()
            .action_kind(),
        ActionKind::Create
    );

    world.unmanaged(Kind::Flow, json!({"name": "Nightly", "_integrationId": usage}));
    let plan = world.plan(DiffOptions::default());
    assert_eq!(plan.problems.len(), 1, "{:?}", plan.problems);
}

#[test]
fn adopt_by_lifecycle_diffs_fields_and_treats_secrets_as_sensitive() {
    let mut world = World::new();
    base(&mut world);
    let live = world.unmanaged(
        Kind::Connection,
        json!({"name": "Jira", "type": "http", "http": {"baseURI": "https://jira.old", "auth": {"type": "token", "token": {"token": "set-in-the-ui"}}}}),
    );
    let jira = world.desire(
        "connection.jira",
        json!({"name": "Jira", "type": "http", "http": {"baseURI": "https://jira.example.com", "auth": {"type": "token", "token": {"token": "${secret.JIRA_TOKEN}"}}}}),
    );
    jira.lifecycle.adopt = true;
    let plan = check("adopt_by_lifecycle", &world, DiffOptions::default());
    let change =
        plan.changes.iter().find(|change| change.address == address("connection.jira")).unwrap();
    assert_eq!(change.action_kind(), ActionKind::Adopt);
    assert_eq!(change.id(), Some(live.as_str()));
    assert!(
        change
            .fields()
            .iter()
            .any(|field| field.sensitive && field.path.to_string() == "http.auth.token.token")
    );
}

#[test]
fn adopt_option_and_references_to_the_adopted_resource() {
    let mut world = World::new();
    base(&mut world);
    let live_export =
        world.unmanaged(Kind::Export, json!({"name": "Orders", "adaptorType": "HTTPExport"}));
    let usage = world.state.get(&address("integration.usage")).unwrap().id.clone();
    world.unmanaged(
        Kind::Flow,
        json!({"name": "Orders flow", "_integrationId": usage, "disabled": true, "pageGenerators": [{"_exportId": live_export}]}),
    );
    world.desire("export.orders", json!({"name": "Orders", "adaptorType": "HTTPExport"}));
    world.desire(
        "flow.orders",
        json!({"name": "Orders flow", "_integrationId": "${integration.usage}", "disabled": true,
               "pageGenerators": [{"_exportId": "${export.orders}"}]}),
    );
    let plan = check(
        "adopt_option",
        &world,
        DiffOptions { adopt: true, no_delete: false, ..DiffOptions::default() },
    );
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(plan.summary().adopt, 2);
    // The export matches; the flow's only difference is a key the server added inside a list
    // element, which flowform never wrote (no applied digest), so the full write drops it.
    let fields: Vec<String> = plan
        .changes
        .iter()
        .flat_map(|change| change.fields())
        .map(|field| field.path.to_string())
        .collect();
    assert_eq!(fields, ["pageGenerators[0].setupInProgress"]);
}

#[test]
fn several_matches_are_a_problem_even_with_adopt() {
    let mut world = World::new();
    base(&mut world);
    world.unmanaged(Kind::Script, json!({"name": "transform", "content": "a"}));
    world.unmanaged(Kind::Script, json!({"name": "transform", "content": "b"}));
    world.desire("script.transform", json!({"name": "transform", "content": "c"}));
    let plan = check(
        "several_matches",
        &world,
        DiffOptions { adopt: true, no_delete: false, ..DiffOptions::default() },
    );
    assert_eq!(plan.problems.len(), 1);
    assert!(plan.problems[0].message.contains("never guesses"));
}

#[test]
fn two_addresses_never_adopt_one_resource() {
    let mut world = World::new();
    base(&mut world);
    world.unmanaged(Kind::Script, json!({"name": "transform", "content": "a"}));
    world.desire("script.one", json!({"name": "transform", "content": "a"}));
    world.desire("script.two", json!({"name": "transform", "content": "a"}));
    let plan = world.plan(DiffOptions { adopt: true, no_delete: false, ..DiffOptions::default() });
    assert_eq!(plan.problems.len(), 2, "{:?}", plan.problems);
    assert!(plan.changes.iter().all(|change| change.kind() != Kind::Script));
}

#[test]
fn lost_create_is_recorded_instead_of_duplicated() {
    let mut world = World::new();
    base(&mut world);
    world.unmanaged(Kind::Script, json!({"name": "transform", "content": "x"}));
    world.desire("script.transform", json!({"name": "transform", "content": "x"}));
    world.state.pending.push(PendingCreate {
        address: address("script.transform"),
        kind: Kind::Script,
        name: "transform".into(),
        integration_id: None,
        started_at: "2026-01-01T00:00:00.000Z".into(),
    });
    let plan = check("lost_create_recovered", &world, DiffOptions::default());
    assert!(plan.problems.is_empty());
    assert_eq!(
        plan.changes.iter().find(|change| change.kind() == Kind::Script).unwrap().action_kind(),
        ActionKind::Adopt
    );

    // A same-name resource created before the lost request is someone else's: the guard holds.
    world.state.pending[0].started_at = "2027-01-01T00:00:00.000Z".into();
    assert_eq!(world.plan(DiffOptions::default()).problems.len(), 1);
}

#[test]
fn deletes_wait_for_the_resources_that_reference_them() {
    let mut world = World::new();
    base(&mut world);
    world.applied(
        "export.events",
        json!({"name": "Events", "_connectionId": "${connection.slack}"}),
    );
    world.applied(
        "flow.events",
        json!({"name": "Events flow", "_integrationId": "${integration.usage}", "pageGenerators": [{"_exportId": "${export.events}"}]}),
    );
    world.undesire("export.events");
    world.undesire("flow.events");
    world.undesire("connection.slack");
    let plan = check("deletes", &world, DiffOptions::default());
    let export =
        plan.changes.iter().find(|change| change.address == address("export.events")).unwrap();
    assert_eq!(export.action_kind(), ActionKind::Delete);
    assert_eq!(export.waits_for().cloned().collect::<Vec<_>>(), vec![address("flow.events")]);
    let connection =
        plan.changes.iter().find(|change| change.address == address("connection.slack")).unwrap();
    assert_eq!(connection.waits_for().cloned().collect::<Vec<_>>(), vec![address("export.events")]);
    assert_eq!(plan.summary().delete, 3);
}

#[test]
fn prevent_destroy_in_state_fails_the_plan() {
    let mut world = World::new();
    base(&mut world);
    world.applied_with("connection.prod", json!({"name": "Prod", "type": "http"}), |lifecycle| {
        lifecycle.prevent_destroy = true;
    });
    world.undesire("connection.prod");
    let plan = check("prevent_destroy", &world, DiffOptions::default());
    assert_eq!(plan.problems.len(), 1);
    assert!(plan.problems[0].message.contains("preventDestroy"));
    // --no-delete plans no delete, so nothing is refused.
    assert!(
        world
            .plan(DiffOptions { adopt: false, no_delete: true, ..DiffOptions::default() })
            .problems
            .is_empty()
    );
}

#[test]
fn no_delete_lists_the_skipped_deletes() {
    let mut world = World::new();
    base(&mut world);
    world.undesire("connection.slack");
    let plan = check(
        "no_delete",
        &world,
        DiffOptions { adopt: false, no_delete: true, ..DiffOptions::default() },
    );
    assert!(!plan.has_changes());
    assert_eq!(plan.warnings.len(), 1);
}

#[test]
fn delete_of_a_resource_already_gone() {
    let mut world = World::new();
    base(&mut world);
    let slack = world.state.get(&address("connection.slack")).unwrap().id.clone();
    world.server.delete(&slack);
    world.undesire("connection.slack");
    let plan = check("delete_already_gone", &world, DiffOptions::default());
    assert_eq!(
        plan.changes.iter().find(|change| change.kind() == Kind::Connection).unwrap().action_kind(),
        ActionKind::Delete
    );
    assert_eq!(plan.warnings.len(), 1);
}

#[test]
fn blast_radius_names_the_flows_that_use_a_changed_connection() {
    let mut world = World::new();
    base(&mut world);
    world.applied("script.hook", json!({"name": "hook", "content": "function a() {}"}));
    world.applied(
        "export.events",
        json!({"name": "Events", "_connectionId": "${connection.slack}", "hooks": {"preSavePage": {"_scriptId": "${script.hook}", "function": "a"}}}),
    );
    world.applied("import.post", json!({"name": "Post", "_connectionId": "${connection.slack}"}));
    world.applied(
        "flow.events",
        json!({"name": "Events flow", "_integrationId": "${integration.usage}", "pageGenerators": [{"_exportId": "${export.events}"}]}),
    );
    world.applied(
        "flow.posts",
        json!({"name": "Posts flow", "_integrationId": "${integration.usage}",
               "pageProcessors": [{"type": "import", "_importId": "${import.post}"}]}),
    );
    world.applied(
        "flow.unrelated",
        json!({"name": "Unrelated", "_integrationId": "${integration.usage}"}),
    );
    let events = world.state.get(&address("export.events")).unwrap().id.clone();
    world.unmanaged(
        Kind::Flow,
        json!({"name": "Hand-made flow", "pageGenerators": [{"_exportId": events}]}),
    );
    world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api/v2", "mediaType": "json"}}),
    );
    world.desire("script.hook", json!({"name": "hook", "content": "function a() { return 1; }"}));
    let plan = check("blast_radius", &world, DiffOptions::default());
    let connection =
        plan.changes.iter().find(|change| change.address == address("connection.slack")).unwrap();
    assert_eq!(connection.used_by, vec![address("flow.events"), address("flow.posts")]);
    let script =
        plan.changes.iter().find(|change| change.address == address("script.hook")).unwrap();
    assert_eq!(script.used_by, vec![address("flow.events")]);
    assert!(plan.warnings.iter().any(|warning| warning.contains("Hand-made flow")));
}

#[test]
fn a_flow_left_disabled_by_an_interrupted_apply_is_enabled_next_time() {
    use flowform_diff::{WriteOptions, create_document, record_applied};
    let mut world = World::new();
    world.applied("integration.usage", json!({"name": "Usage"}));
    world.desire(
        "flow.nightly",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}"}),
    );
    // The executor created the flow disabled, recorded it, and stopped before enabling it.
    let flow = world.desired.get(&address("flow.nightly")).unwrap().clone();
    let options = WriteOptions { force_disabled: Some(true), omit_breakable: false };
    let body = create_document(&flow, &world.resolver(), &options).unwrap();
    let flow_id = crate::support::id(50);
    world.server.post(Kind::Flow, &flow_id, body);
    let response = world.server.get(&flow_id).unwrap();
    let recorded = record_applied(
        &flow,
        crate::support::SALT,
        &flow_id,
        &flowform_model::Value::from(response),
        None,
    );
    world.state.resources.insert(address("flow.nightly"), recorded);
    let plan = check("interrupted_enable", &world, DiffOptions::default());
    let change =
        plan.changes.iter().find(|change| change.address == address("flow.nightly")).unwrap();
    assert_eq!(change.fields().len(), 1);
    assert_eq!(change.fields()[0].path.to_string(), "disabled");
    assert!(!change.fields()[0].drift, "flowform disabled it, not someone else");
}

#[test]
fn a_resource_that_left_the_spec_but_something_unmanaged_uses_is_a_problem() {
    let mut world = World::new();
    base(&mut world);
    let slack = world.state.get(&address("connection.slack")).unwrap().id.clone();
    world.unmanaged(
        Kind::Export,
        json!({"name": "Made in the UI", "adaptorType": "HTTPExport", "_connectionId": slack}),
    );
    world.undesire("connection.slack");
    let plan = world.plan(DiffOptions::default());
    let problems: Vec<&str> =
        plan.problems.iter().map(|problem| problem.message.as_str()).collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("`connection.slack` (`")
            && problems[0].contains("left the spec, but export `Made in the UI` (`")
            && problems[0].ends_with("which flowform does not manage, still uses it"),
        "{problems:?}"
    );
    assert!(
        plan.problems[0].hint.as_deref().unwrap().contains("flowform state rm connection.slack")
    );
}
