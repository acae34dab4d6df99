//! Three-way field rules: updates, drift, removals of applied paths, live-only paths,
//! ignoreChanges, normalisation of live documents, server defaults, literal ids, activations.

use flowform_diff::DiffOptions;
use flowform_model::{ActionKind, FieldOp, Kind};
use serde_json::json;

use crate::support::{World, address, check, path};

fn slack(world: &mut World) -> String {
    world.applied(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "description": "Posts to Slack",
               "http": {"baseURI": "https://slack.com/api", "mediaType": "json"}}),
    )
}

#[test]
fn drift_is_marked_where_live_moved_and_the_spec_did_not() {
    let mut world = World::new();
    let id = slack(&mut world);
    world
        .edit_live(&id, |document| document["http"]["baseURI"] = json!("https://evil.example.com"));
    world.desire(
        "connection.slack",
        json!({"name": "Slack API", "type": "http", "description": "Posts to Slack",
               "http": {"baseURI": "https://slack.com/api", "mediaType": "json"}}),
    );
    let plan = check("drift", &world, DiffOptions::default());
    let fields = plan.changes[0].fields();
    let drifted: Vec<String> =
        fields.iter().filter(|field| field.drift).map(|field| field.path.to_string()).collect();
    assert_eq!(drifted, ["http.baseURI"]);
    assert!(fields.iter().any(|field| field.path == path("name") && !field.drift));
}

#[test]
fn applied_paths_that_left_the_spec_are_removed_and_live_only_paths_left_alone() {
    let mut world = World::new();
    let id = slack(&mut world);
    world.edit_live(&id, |document| {
        document["settings"] = json!({"addedInTheUi": true});
        document["http"]["ping"] = json!({"relativeURI": "/auth.test"});
    });
    world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api", "mediaType": "json"}}),
    );
    let plan = check("removals_and_live_only", &world, DiffOptions::default());
    let fields = plan.changes[0].fields();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].op, FieldOp::Remove);
    assert_eq!(fields[0].path, path("description"));
}

#[test]
fn ignore_changes_skips_paths_and_their_removal() {
    let mut world = World::new();
    let id = world.applied_with(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "description": "d",
               "http": {"baseURI": "https://slack.com/api", "mediaType": "json"}}),
        |lifecycle| lifecycle.ignore_changes = vec![path("http.mediaType"), path("description")],
    );
    world.edit_live(&id, |document| {
        document["http"]["mediaType"] = json!("xml");
        document["description"] = json!("edited in the UI");
    });
    let plan = world.plan(DiffOptions::default());
    assert!(!plan.has_changes(), "{plan:?}");
    // Dropping an ignored path from the spec does not remove it either.
    let resource = world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api"}}),
    );
    resource.lifecycle.ignore_changes = vec![path("http.mediaType"), path("description")];
    let plan = check("ignore_changes", &world, DiffOptions::default());
    assert!(!plan.has_changes());
}

#[test]
fn ignore_changes_inside_a_list() {
    let mut world = World::new();
    world.applied("integration.usage", json!({"name": "Usage"}));
    world.applied("import.post", json!({"name": "Post"}));
    let flow = world.applied_with(
        "flow.nightly",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}",
               "pageProcessors": [{"type": "import", "_importId": "${import.post}", "hooks": {"postResponseMap": {"function": "a"}}}]}),
        |lifecycle| lifecycle.ignore_changes = vec![path("pageProcessors[0].hooks")],
    );
    world.edit_live(&flow, |document| {
        document["pageProcessors"][0]["hooks"]["postResponseMap"]["function"] = json!("b");
    });
    let plan = world.plan(DiffOptions::default());
    assert!(!plan.has_changes(), "{plan:?}");
}

#[test]
fn live_documents_are_normalised() {
    let mut world = World::new();
    world.applied("integration.usage", json!({"name": "Usage"}));
    let id = slack(&mut world);
    let export = world.applied(
        "export.events",
        json!({"name": "Events", "_connectionId": "${connection.slack}", "http": {"relativeURI": "/e"}}),
    );
    world.edit_live(&id, |document| {
        document["externalId"] = json!(null);
        document["settings"] = json!({});
        document["http"]["concurrencyLevel"] = json!(25.0);
        document["http"]["retryHeader"] = json!("Retry-After");
        document["debugDate"] = json!("2026-01-01T00:00:00.000Z");
        document["netsuite"] = json!({"suiteAppInstalled": true});
        document["__v"] = json!(3);
        document["aiDescription"] = json!({"summary": "generated"});
    });
    world.edit_live(&export, |document| {
        document["hooks"] = json!({"preSavePage": {"_scriptId": null, "function": null}});
        document["sandbox"] = json!(false);
        document["draft"] = json!(true);
    });
    let plan = check("live_normalisation", &world, DiffOptions::default());
    assert!(!plan.has_changes());
}

#[test]
fn server_defaults_equal_absent_on_both_sides() {
    let mut world = World::new();
    world.applied(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api", "concurrencyLevel": 25}}),
    );
    world.applied(
        "script.hook",
        json!({"name": "hook", "content": "x", "postResponseHookToProcessOnChildRecord": false}),
    );
    assert!(!world.plan(DiffOptions::default()).has_changes());
    // A non-default value where live holds nothing replaces the default.
    world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api", "concurrencyLevel": 25, "disableStrictSSL": true}}),
    );
    let plan = check("server_defaults", &world, DiffOptions::default());
    let field = &plan.changes[0].fields()[0];
    assert_eq!(field.path, path("http.disableStrictSSL"));
    assert_eq!(field.op, FieldOp::Replace);
}

#[test]
fn literal_ids_of_managed_resources_read_as_references() {
    let mut world = World::new();
    let slack = slack(&mut world);
    world.applied("export.events", json!({"name": "Events", "_connectionId": slack.clone()}));
    let plan = world.plan(DiffOptions::default());
    assert!(!plan.has_changes(), "{plan:?}");
    // An unmanaged id stays a literal and matches itself.
    let other = world.unmanaged(Kind::Connection, json!({"name": "Other"}));
    world.applied("import.post", json!({"name": "Post", "_connectionId": other}));
    assert!(!world.plan(DiffOptions::default()).has_changes());
    world
        .desire("export.events", json!({"name": "Events", "_connectionId": "${connection.slack}"}));
    assert!(!world.plan(DiffOptions::default()).has_changes());
}

#[test]
fn flow_activations_are_set_apart() {
    let mut world = World::new();
    world.applied("integration.usage", json!({"name": "Usage"}));
    world.applied(
        "flow.nightly",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}", "disabled": true, "schedule": "? 0 2 ? * *"}),
    );
    let ui_disabled = world.applied(
        "flow.hourly",
        json!({"name": "Hourly", "_integrationId": "${integration.usage}"}),
    );
    world.edit_live(&ui_disabled, |document| document["disabled"] = json!(true));
    world.desire(
        "flow.nightly",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}", "schedule": "? 0 3 ? * *"}),
    );
    let plan = check("flow_activations", &world, DiffOptions::default());
    let nightly =
        plan.changes.iter().find(|change| change.address == address("flow.nightly")).unwrap();
    assert_eq!(nightly.action_kind(), ActionKind::Update);
    assert_eq!(nightly.fields().len(), 2);
    let hourly =
        plan.changes.iter().find(|change| change.address == address("flow.hourly")).unwrap();
    assert!(hourly.fields()[0].drift, "the spec kept the flow enabled; the UI disabled it");
}

#[test]
fn imported_resources_have_no_applied_paths_yet() {
    // `flowform import` and `pull` bind a live resource with no applied paths and secrets
    // marked unknown: equal fields plan nothing, different ones are plain updates (not drift),
    // and the write they cause lists the never-verified secret it sends (issue 13 item 3).
    let mut world = World::new();
    let live = world.unmanaged(
        Kind::Connection,
        json!({"name": "Jira", "type": "http", "http": {"baseURI": "https://jira", "mediaType": "json",
               "auth": {"token": {"token": "set-in-the-ui"}}}}),
    );
    let mut entry = crate::support::state_entry(&live);
    entry
        .secret_fingerprints
        .insert(path("http.auth.token.token"), flowform_model::UNKNOWN_FINGERPRINT.into());
    world.state.resources.insert(address("connection.jira"), entry);
    world.desire(
        "connection.jira",
        json!({"name": "Jira", "type": "http", "http": {"baseURI": "https://jira.example.com", "mediaType": "json",
               "auth": {"token": {"token": "${secret.JIRA_TOKEN}"}}}}),
    );
    let plan = check("imported_resource", &world, DiffOptions::default());
    let fields = plan.changes[0].fields();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].path, path("http.baseURI"));
    assert!(!fields[0].drift);
    assert_eq!(fields[1].path, path("http.auth.token.token"));
    assert!(fields[1].sensitive && fields[1].unverified && !fields[1].drift);
}
