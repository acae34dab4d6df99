//! Changes made outside flowform in any field (issue 15): the live baselines recorded after a
//! write, the refresh-only plan, the ordinary plan's note, and plain values at write-only paths
//! that no rendering may show.

use flowform_diff::{DiffOptions, baseline_after_write, live_baseline, refresh};
use flowform_model::{FieldOp, Kind, Plan, Value};
use serde_json::json;

use crate::support::{SALT, World, address, assert_no_secret, check, path, render_all};

fn orders(world: &mut World) -> String {
    world.applied(
        "export.orders",
        json!({"name": "Orders", "adaptorType": "HTTPExport",
               "http": {"relativeURI": "/orders", "method": "GET"}}),
    )
}

/// A filter added in the UI: an expression that can silently drop records.
fn add_filter(world: &mut World, id: &str) {
    world.edit_live(id, |document| {
        document["filter"] = json!({"type": "expression",
            "expression": {"version": "1", "rules": ["equals", ["string", ["extract", "status"]], "open"]}});
    });
}

/// Accepts the account as it is into the state, as `apply --refresh-only` does.
fn accept(world: &mut World) {
    let live = world.live();
    for entry in world.state.resources.values_mut() {
        let kind = live.find(&entry.id).map(|resource| resource.kind).unwrap_or(Kind::Export);
        let document = live.get(kind, &entry.id).expect("live").document.clone();
        entry.live = Some(live_baseline(kind, SALT, &document, entry));
    }
}

fn refresh_plan(world: &World) -> Plan {
    refresh(&world.state, &world.live())
}

/// Issue 15: a filter added to an export in the UI, a field the spec does not name, was
/// invisible: the plan called the export unchanged. Failed before the live baselines: the
/// refresh-only plan did not exist and the ordinary plan had no note.
#[test]
fn a_filter_added_in_the_ui_is_found_and_accepted() {
    let mut world = World::new();
    let id = orders(&mut world);
    assert!(refresh_plan(&world).changed_outside.is_empty(), "a fresh apply is the baseline");
    add_filter(&mut world, &id);

    let plan = check("outside_filter_note", &world, DiffOptions::default());
    assert!(!plan.has_changes(), "the note is no action");
    let note = &plan.changed_outside[0];
    assert_eq!(note.address, address("export.orders"));
    let paths: Vec<String> = note.fields.iter().map(|field| field.path.to_string()).collect();
    // `version: "1"` is the service's default (issue 13's table): no change.
    assert_eq!(paths, ["filter.expression.rules", "filter.type"]);
    assert!(note.fields.iter().all(|field| field.op == FieldOp::Add));

    let refresh = refresh_plan(&world);
    assert!(refresh.refresh_only && refresh.has_changes());
    assert_eq!(refresh.changed_outside, plan.changed_outside);
    let renderings = render_all(&refresh);
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(
            "outside_filter_refresh",
            format!("== human ==\n{}\n== json ==\n{}\n== markdown ==\n{}", renderings.human, renderings.json, renderings.markdown)
        );
    });

    accept(&mut world);
    assert!(!refresh_plan(&world).has_changes(), "accepted");
    assert!(world.plan(DiffOptions::default()).changed_outside.is_empty());
}

/// A change outside flowform at a field the spec sets is the plan's drift, not a note; the
/// refresh-only plan shows it too.
#[test]
fn fields_the_plan_writes_are_drift_not_notes() {
    let mut world = World::new();
    let id = orders(&mut world);
    world.edit_live(&id, |document| document["http"]["relativeURI"] = json!("/edited"));
    let plan = world.plan(DiffOptions::default());
    assert!(plan.changes[0].has_drift());
    assert!(plan.changed_outside.is_empty(), "{:?}", plan.changed_outside);
    let refresh = refresh_plan(&world);
    let field = &refresh.changed_outside[0].fields[0];
    assert_eq!(
        (field.path.to_string(), field.op),
        ("http.relativeURI".to_owned(), FieldOp::Replace)
    );
    assert_eq!(field.value, Some(Value::String("/edited".into())));
}

/// A write carries a change made outside flowform along (it sends the whole document); the
/// change stays noted until it is accepted, instead of being swallowed by the new baseline.
#[test]
fn a_write_does_not_accept_changes_it_carried_along() {
    let mut world = World::new();
    let id = orders(&mut world);
    add_filter(&mut world, &id);
    world.desire(
        "export.orders",
        json!({"name": "Orders", "adaptorType": "HTTPExport",
               "http": {"relativeURI": "/orders/v2", "method": "GET"}}),
    );
    world.apply("export.orders");
    let plan = world.plan(DiffOptions::default());
    assert!(!plan.has_changes());
    assert_eq!(plan.changed_outside.len(), 1, "{:?}", plan.changed_outside);
    // `filter.expression.rules` and `filter.type`: `version: "1"` is the service's default.
    assert_eq!(plan.changed_outside[0].fields.len(), 2);
    // What the spec took over is the write's, not a change outside flowform.
    world.desire(
        "export.orders",
        json!({"name": "Orders", "adaptorType": "HTTPExport",
               "http": {"relativeURI": "/orders/v2", "method": "GET"},
               "filter": {"type": "expression",
                          "expression": {"version": "1", "rules": ["equals", ["string", ["extract", "status"]], "open"]}}}),
    );
    world.apply("export.orders");
    assert!(refresh_plan(&world).changed_outside.is_empty());
}

/// A baseline taken after a write keeps what the server added in answer to it (not outside
/// flowform), and a removal outside flowform is a `remove`.
#[test]
fn server_additions_after_a_write_are_the_baseline_and_removals_show() {
    let mut world = World::new();
    let id = orders(&mut world);
    let resource = world.desired.get(&address("export.orders")).unwrap().clone();
    let before = Value::from(world.server.get(&id).unwrap());
    let mut written = before.clone();
    written.set(&path("http.formType"), Value::String("rest".into()));
    let previous = world.state.get(&address("export.orders")).cloned();
    let baseline = baseline_after_write(
        &resource,
        SALT,
        Some(&before),
        &written,
        previous.as_ref(),
        previous.as_ref().unwrap(),
    );
    let entry = previous.unwrap();
    assert!(baseline.leaves(&entry.applied_paths).contains_key(&path("http.formType")));
    assert!(baseline.digest.is_some());

    world.edit_live(&id, |document| {
        document["http"].as_object_mut().unwrap().remove("method");
    });
    let refresh = refresh_plan(&world);
    let field = &refresh.changed_outside[0].fields[0];
    assert_eq!(
        (field.path.to_string(), field.op, &field.value),
        ("http.method".to_owned(), FieldOp::Remove, &None)
    );
}

/// A resource deleted outside flowform is named; a state entry without a baseline is counted
/// once, not compared.
#[test]
fn deleted_resources_and_missing_baselines() {
    let mut world = World::new();
    let id = orders(&mut world);
    world.applied("export.other", json!({"name": "Other", "adaptorType": "HTTPExport"}));
    world.state.resources.get_mut(&address("export.other")).unwrap().live = None;
    world.server.delete(&id);
    let refresh = refresh_plan(&world);
    assert_eq!(refresh.changed_outside.len(), 1);
    assert!(refresh.changed_outside[0].deleted);
    assert_eq!(refresh.without_baseline, [address("export.other")]);
    let human = render_all(&refresh).human;
    assert!(
        human.contains("export.orders (5f0000000000000000000001): deleted outside flowform"),
        "{human}"
    );
    assert!(
        human.contains("no baseline yet for 1 resource: applying this plan records one"),
        "{human}"
    );
}

/// A write-only value changed outside flowform (returned in the clear, or as a new mask) is
/// named, never shown.
#[test]
fn write_only_values_changed_outside_are_never_shown() {
    let mut world = World::new();
    world.secret("JIRA_PASSWORD", "canary-jira-password");
    let id = world.applied(
        "connection.jira",
        json!({"name": "Jira", "type": "http",
               "http": {"baseURI": "https://jira.example.com", "auth": {"type": "basic",
                        "basic": {"username": "svc", "password": "${secret.JIRA_PASSWORD}"}}}}),
    );
    world.edit_live(&id, |document| {
        // As if the service returned it unmasked.
        document["http"]["auth"]["token"] = json!({"token": "canary-clear-token"});
    });
    let refresh = refresh_plan(&world);
    let renderings = render_all(&refresh);
    for text in [&renderings.human, &renderings.json, &renderings.markdown, &format!("{refresh:?}")]
    {
        assert!(!text.contains("canary-clear-token"), "{text}");
    }
    let field = &refresh.changed_outside[0].fields[0];
    assert!(field.sensitive && field.value.is_none(), "{field:?}");
    assert!(
        renderings.human.contains("http.auth.token.token: (sensitive)"),
        "{}",
        renderings.human
    );
}

/// Issue 15: `password: hunter2` in plain text at a write-only path (a spec that bypassed
/// validation) was printed in the human, JSON and markdown plans, and so in the pull-request
/// comment. Failed before the write-only rule of the diff and the renderers: every rendering
/// held `hunter2`.
#[test]
fn a_plain_value_at_a_write_only_path_is_never_rendered() {
    let mut world = World::new();
    world.desire(
        "connection.legacy",
        json!({"name": "Legacy", "type": "http",
               "http": {"baseURI": "https://legacy.example.com", "auth": {"type": "basic",
                        "basic": {"username": "svc", "password": "hunter2-canary"}}}}),
    );
    let create = world.plan(DiffOptions::default());
    world.apply("connection.legacy");
    world.desire(
        "connection.legacy",
        json!({"name": "Legacy", "type": "http",
               "http": {"baseURI": "https://legacy.example.com", "auth": {"type": "basic",
                        "basic": {"username": "svc", "password": "hunter3-canary"}},
                        "encrypted": {"apiKey": "encrypted-canary"}}}),
    );
    let update = world.plan(DiffOptions::default());
    assert!(update.has_changes());
    for plan in [&create, &update] {
        let renderings = render_all(plan);
        assert_no_secret(&world, plan, &renderings);
        for text in
            [&renderings.human, &renderings.json, &renderings.markdown, &format!("{plan:?}")]
        {
            for canary in ["hunter2-canary", "hunter3-canary", "encrypted-canary"] {
                assert!(!text.contains(canary), "`{canary}` shown:\n{text}");
            }
        }
        assert!(
            renderings.human.contains("http.auth.basic.password: (sensitive)"),
            "{}",
            renderings.human
        );
        let password = plan.changes[0]
            .fields()
            .iter()
            .find(|field| field.path == path("http.auth.basic.password"))
            .expect("the password is a field change");
        assert!(password.sensitive);
    }
}
