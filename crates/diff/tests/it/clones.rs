//! Issue 14 in the plan: what a clone makes (its copies, named and predicted from the source),
//! which copies the state manages stay or go, lifecycle-only edits as state-only changes, and
//! `null` as "absent live".

use flowform_diff::DiffOptions;
use flowform_model::{Kind, ResourceState, StateFlag, Value};
use serde_json::json;

use crate::support::{World, address, check, state_entry};

/// A source flow (polling export, lookup, import), applied.
fn source_world() -> World {
    let mut world = World::new();
    world.applied("integration.main", json!({"name": "Main"}));
    world.applied(
        "export.poll",
        json!({"name": "Poll", "adaptorType": "WebhookExport", "webhook": {"provider": "custom"}}),
    );
    world.applied(
        "export.lookup",
        json!({"name": "Look up", "adaptorType": "WebhookExport", "webhook": {"provider": "custom"}, "isLookup": true}),
    );
    world.applied(
        "import.post",
        json!({"name": "Post", "adaptorType": "HTTPImport", "_connectionId": "5f00000000000000000000cc"}),
    );
    world.applied(
        "flow.source",
        json!({
            "name": "Source",
            "_integrationId": "${integration.main}",
            "schedule": "? 0 */2 * * *",
            "pageGenerators": [{"_exportId": "${export.poll}"}],
            "pageProcessors": [
                {"type": "export", "_exportId": "${export.lookup}"},
                {"type": "import", "_importId": "${import.post}"}
            ]
        }),
    );
    // The import's connection is one the spec names by its literal id (issue 13 checks it
    // against the account, so it is there).
    world.server.post(
        Kind::Connection,
        "5f00000000000000000000cc",
        json!({"name": "Vendor", "type": "http", "http": {"baseURI": "https://vendor.example"}}),
    );
    world
}

#[test]
fn a_clone_names_its_copies_and_the_ones_its_spec_replaces() {
    let mut world = source_world();
    world.desire(
        "export.hook",
        json!({"name": "Hook", "adaptorType": "WebhookExport", "webhook": {"provider": "custom"}}),
    );
    let clone = world.desire(
        "flow.realtime",
        json!({
            "name": "Realtime",
            "_integrationId": "${integration.main}",
            "pageGenerators": [{"_exportId": "${export.hook}"}],
            "schedule": null
        }),
    );
    clone.lifecycle.clone_from = Some(flowform_model::RefOrId::Ref(address("flow.source")));
    check("clone_copies", &world, DiffOptions::default());
    // `--no-delete` keeps the unused copy, and says so.
    let plan = world.plan(DiffOptions { no_delete: true, ..DiffOptions::default() });
    let clone = plan.changes.iter().find(|change| change.address.key == "realtime").unwrap();
    assert!(clone.action.copies().iter().all(|copy| copy.kept), "{clone:?}");
    assert!(
        plan.warnings.iter().any(|warning| warning.contains("`export.realtime--poll`")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn copies_in_the_state_stay_while_their_owner_uses_them_and_go_after_it() {
    let mut world = source_world();
    let post = world.state.resources[&address("import.post")].id.clone();
    // The state after a clone: `flow.copy` (live, a copy of the source with its own step
    // copies) and the copy of the import, owned by it.
    let copy_of_post = world.unmanaged(
        Kind::Import,
        json!({"name": "Post", "adaptorType": "HTTPImport", "_connectionId": "5f00000000000000000000cc", "_sourceId": post}),
    );
    world.desire(
        "flow.copy",
        json!({"name": "Copy", "_integrationId": "${integration.main}", "pageGenerators": [{"_exportId": "${export.poll}"}]}),
    );
    world.apply("flow.copy");
    let flow_id = world.state.resources[&address("flow.copy")].id.clone();
    world.edit_live(&flow_id, |document| {
        document["pageProcessors"] = json!([{"type": "import", "_importId": copy_of_post}]);
    });
    world.state.resources.insert(
        address("import.copy--post"),
        ResourceState { owner: Some(address("flow.copy")), ..state_entry(&copy_of_post) },
    );
    // Used by its owner: kept, and no change at all.
    let plan = world.plan(DiffOptions::default());
    assert!(!plan.has_changes(), "{plan:#?}");

    // The spec points the owner's step at another import: the copy goes after the update.
    world.desire(
        "flow.copy",
        json!({"name": "Copy", "_integrationId": "${integration.main}", "pageGenerators": [{"_exportId": "${export.poll}"}],
               "pageProcessors": [{"type": "import", "_importId": "${import.post}"}]}),
    );
    let plan = world.plan(DiffOptions::default());
    let lines: Vec<String> = plan
        .actionable()
        .map(|change| {
            let after: Vec<String> = change.waits_for().map(ToString::to_string).collect();
            format!("{} {} after [{}]", change.action.as_str(), change.address, after.join(", "))
        })
        .collect();
    assert_eq!(
        lines,
        [
            "delete import.copy--post after [flow.copy]",
            "update flow.copy after [integration.main, export.poll, import.post]"
        ]
    );

    // The owner leaves the spec: the copy is deleted after it.
    world.undesire("flow.copy");
    let plan = world.plan(DiffOptions::default());
    let copy = plan.changes.iter().find(|change| change.address.key == "copy--post").unwrap();
    assert_eq!(copy.action.as_str(), "delete");
    assert_eq!(copy.waits_for().map(ToString::to_string).collect::<Vec<_>>(), ["flow.copy"]);
    // `--no-delete` says what it is.
    let plan = world.plan(DiffOptions { no_delete: true, ..DiffOptions::default() });
    assert!(
        plan.warnings.iter().any(|warning| warning.contains("a copy made by cloning `flow.copy`")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_copy_the_spec_declares_loses_its_owner_in_a_state_only_change() {
    let mut world = source_world();
    let post = world.state.resources[&address("import.post")].id.clone();
    let mut entry = world.state.resources[&address("import.post")].clone();
    entry.owner = Some(address("flow.source"));
    world.state.resources.insert(address("import.post"), entry);
    let plan = world.plan(DiffOptions::default());
    let change = plan.changes.iter().find(|change| change.address.key == "post").unwrap();
    assert_eq!(change.id(), Some(post.as_str()));
    let flags: Vec<(StateFlag, Value, Value)> = change
        .action
        .state_changes()
        .iter()
        .map(|change| (change.flag, change.before.clone(), change.after.clone()))
        .collect();
    assert_eq!(flags, [(StateFlag::Owner, Value::String("flow.source".into()), Value::Null)]);
}

#[test]
fn lifecycle_only_edits_are_state_only_changes() {
    let mut world = source_world();
    world.desired.resources.get_mut(&address("flow.source")).unwrap().lifecycle.prevent_destroy =
        true;
    let lifecycle =
        &mut world.desired.resources.get_mut(&address("import.post")).unwrap().lifecycle;
    lifecycle.ignore_changes = vec!["name".parse().unwrap()];
    lifecycle.adopt = true;
    check("state_only", &world, DiffOptions::default());
}

#[test]
fn null_is_absent_live() {
    let mut world = source_world();
    let flow = world.state.resources[&address("flow.source")].id.clone();
    world.desire(
        "flow.source",
        json!({
            "name": "Source",
            "_integrationId": "${integration.main}",
            "schedule": null,
            "timezone": null,
            "pageGenerators": [{"_exportId": "${export.poll}"}],
            "pageProcessors": [
                {"type": "export", "_exportId": "${export.lookup}"},
                {"type": "import", "_importId": "${import.post}"}
            ]
        }),
    );
    let plan = world.plan(DiffOptions::default());
    let fields: Vec<String> = plan
        .actionable()
        .flat_map(|change| change.fields().iter())
        .map(|field| {
            format!("{} {} {:?} drift={}", field.op.as_str(), field.path, field.before, field.drift)
        })
        .collect();
    assert_eq!(fields, ["remove schedule Some(\"? 0 */2 * * *\") drift=false"]);
    world.apply("flow.source");
    assert!(!world.plan(DiffOptions::default()).has_changes());
    // Put back outside flowform: a removal again, marked as drift.
    world.edit_live(&flow, |document| document["schedule"] = json!("? 0 0 * * *"));
    let plan = world.plan(DiffOptions::default());
    let change = plan.actionable().next().unwrap();
    assert_eq!(change.fields().len(), 1);
    assert!(change.fields()[0].drift && change.fields()[0].after.is_none());
}
