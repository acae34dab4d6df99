//! Lists: element-level paths, the superset rule, defaults inside elements, mapping rows keyed
//! by `generate`, and long strings as line diffs.

use flowform_diff::DiffOptions;
use flowform_model::{ActionKind, FieldOp, Kind};
use serde_json::json;

use crate::support::{World, address, check, path};

fn base(world: &mut World) {
    world.applied("integration.usage", json!({"name": "Usage"}));
    world.applied("connection.slack", json!({"name": "Slack", "type": "http"}));
    world.applied(
        "export.events",
        json!({"name": "Events", "_connectionId": "${connection.slack}"}),
    );
    world.applied("export.more", json!({"name": "More", "_connectionId": "${connection.slack}"}));
    for key in ["a", "b", "c"] {
        world.applied(
            &format!("import.{key}"),
            json!({"name": format!("Import {key}"), "_connectionId": "${connection.slack}"}),
        );
    }
}

fn flow_body(second_import: &str) -> serde_json::Value {
    json!({"name": "Nightly", "_integrationId": "${integration.usage}",
    "pageGenerators": [{"_exportId": "${export.events}"}],
    "pageProcessors": [
        {"type": "import", "_importId": "${import.a}"},
        {"type": "import", "_importId": format!("${{import.{second_import}}}"), "proceedOnFailure": true}
    ]})
}

#[test]
fn ordered_lists_compare_element_by_element() {
    let mut world = World::new();
    base(&mut world);
    world.applied("flow.nightly", flow_body("b"));
    world.desire("flow.nightly", flow_body("c"));
    let plan = check("element_level_paths", &world, DiffOptions::default());
    let flow = plan.changes.iter().find(|change| change.kind() == Kind::Flow).unwrap();
    assert_eq!(flow.fields().len(), 1);
    assert_eq!(flow.fields()[0].path, path("pageProcessors[1]._importId"));
}

#[test]
fn superset_rule_leaves_keys_added_inside_elements_alone() {
    let mut world = World::new();
    base(&mut world);
    let flow = world.applied("flow.nightly", flow_body("b"));
    world.edit_live(&flow, |document| {
        document["pageGenerators"][0]["setupInProgress"] = json!(false);
        document["pageProcessors"][0]["responseMapping"] =
            json!({"fields": [{"extract": "id", "generate": "id"}]});
    });
    assert!(!world.plan(DiffOptions::default()).has_changes());
    // Once the spec changes the list, the whole list is written and the extra keys go.
    let mut body = flow_body("b");
    body["pageGenerators"] =
        json!([{"_exportId": "${export.events}"}, {"_exportId": "${export.more}"}]);
    world.desire("flow.nightly", body);
    let plan = check("superset_rule", &world, DiffOptions::default());
    let fields = plan.changes.iter().find(|change| change.kind() == Kind::Flow).unwrap().fields();
    assert!(fields.iter().any(|field| field.path == path("pageGenerators[0].setupInProgress")
        && field.op == FieldOp::Remove));
    assert!(
        fields
            .iter()
            .any(|field| field.path == path("pageGenerators[1]") && field.op == FieldOp::Add)
    );
    assert!(!fields.iter().any(|field| field.path.to_string().starts_with("pageProcessors")));
}

#[test]
fn superset_needs_the_applied_digest() {
    // An adopted flow has no applied digest: keys only live holds inside elements are shown.
    let mut world = World::new();
    base(&mut world);
    let usage = world.state.get(&address("integration.usage")).unwrap().id.clone();
    let events = world.state.get(&address("export.events")).unwrap().id.clone();
    world.unmanaged(
        Kind::Flow,
        json!({"name": "Adopted", "_integrationId": usage, "pageGenerators": [{"_exportId": events, "skipRetries": true}]}),
    );
    let flow = world.desire(
        "flow.adopted",
        json!({"name": "Adopted", "_integrationId": "${integration.usage}", "pageGenerators": [{"_exportId": "${export.events}"}]}),
    );
    flow.lifecycle.adopt = true;
    let plan = check("superset_without_digest", &world, DiffOptions::default());
    let change = plan.changes.iter().find(|change| change.kind() == Kind::Flow).unwrap();
    assert_eq!(change.action_kind(), ActionKind::Adopt);
    assert_eq!(change.fields()[0].path, path("pageGenerators[0].skipRetries"));
}

#[test]
fn routers_and_branches() {
    let mut world = World::new();
    base(&mut world);
    let body = |import: &str| {
        json!({"name": "Routed", "_integrationId": "${integration.usage}",
        "pageGenerators": [{"_exportId": "${export.events}"}],
        "routers": [{"id": "r1", "routeRecordsUsing": "input_filters", "branches": [
            {"name": "US", "inputFilter": {"version": "1", "rules": ["equals", ["extract", "country"], "US"]},
             "pageProcessors": [{"type": "import", "_importId": "${import.a}"}]},
            {"name": "Other", "pageProcessors": [{"type": "import", "_importId": format!("${{import.{import}}}")}]}
        ]}]})
    };
    world.applied("flow.routed", body("b"));
    assert!(
        !world.plan(DiffOptions::default()).has_changes(),
        "defaults inside routers and branches"
    );
    world.desire("flow.routed", body("c"));
    let plan = check("routers_and_branches", &world, DiffOptions::default());
    let fields = plan.changes.iter().find(|change| change.kind() == Kind::Flow).unwrap().fields();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].path, path("routers[0].branches[1].pageProcessors[0]._importId"));
}

#[test]
fn mapping_rows_are_keyed_by_generate() {
    let mut world = World::new();
    base(&mut world);
    world.applied(
        "import.mapped",
        json!({"name": "Mapped", "_connectionId": "${connection.slack}", "mapping": {
            "fields": [{"extract": "mail", "generate": "email"}, {"extract": "n", "generate": "name"}, {"extract": "p", "generate": "phone"}],
            "lists": [{"generate": "items", "fields": [{"extract": "sku", "generate": "itemId"}, {"extract": "q", "generate": "qty"}]}]
        }}),
    );
    world.desire(
        "import.mapped",
        json!({"name": "Mapped", "_connectionId": "${connection.slack}", "mapping": {
            "fields": [{"extract": "address.email", "generate": "email"}, {"extract": "n", "generate": "name"}, {"extract": "a", "generate": "address"}],
            "lists": [{"generate": "items", "fields": [{"extract": "sku", "generate": "itemId"}, {"extract": "quantity", "generate": "qty", "dataType": "number"}]}]
        }}),
    );
    let plan = check("mapping_rows", &world, DiffOptions::default());
    let paths: Vec<String> = plan
        .changes
        .iter()
        .find(|change| change.address == address("import.mapped"))
        .unwrap()
        .fields()
        .iter()
        .map(|field| format!("{} {}", field.op.as_str(), field.path))
        .collect();
    assert_eq!(
        paths,
        [
            "replace mapping.fields[generate=\"email\"].extract",
            "add mapping.fields[generate=\"address\"]",
            "remove mapping.fields[generate=\"phone\"]",
            "replace mapping.lists[generate=\"items\"].fields[generate=\"qty\"].extract",
            "add mapping.lists[generate=\"items\"].fields[generate=\"qty\"].dataType",
        ]
    );
}

#[test]
fn mapping_order_alone_is_one_change() {
    let mut world = World::new();
    base(&mut world);
    let rows = json!([{"extract": "a", "generate": "a"}, {"extract": "b", "generate": "b"}]);
    world.applied("import.mapped", json!({"name": "Mapped", "mapping": {"fields": rows}}));
    world.desire(
        "import.mapped",
        json!({"name": "Mapped", "mapping": {"fields": [{"extract": "b", "generate": "b"}, {"extract": "a", "generate": "a"}]}}),
    );
    let plan = check("mapping_order", &world, DiffOptions::default());
    let fields = &plan
        .changes
        .iter()
        .find(|change| change.address == address("import.mapped"))
        .unwrap()
        .fields();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].path, path("mapping.fields"));
}

#[test]
fn long_strings_are_line_diffs() {
    let mut world = World::new();
    world.applied(
        "script.transform",
        json!({"name": "transform", "content": "function preSavePage(options) {\n  const records = options.data;\n  for (const record of records) {\n    record.total = record.price * record.qty;\n  }\n  return {data: records, errors: options.errors};\n}\n"}),
    );
    world.applied(
        "import.post",
        json!({"name": "Post", "http": {"body": "{\"channel\": \"#alerts\", \"text\": \"{{record.title}} opened by {{record.user.login}} at {{timestamp}}\"}"}}),
    );
    world.desire(
        "script.transform",
        json!({"name": "transform", "content": "function preSavePage(options) {\n  const records = options.data;\n  for (const record of records) {\n    record.total = Math.round(record.price * record.qty * 100) / 100;\n  }\n  return {data: records, errors: options.errors};\n}\n"}),
    );
    world.desire(
        "import.post",
        json!({"name": "Post", "http": {"body": "{\"channel\": \"#alerts\", \"text\": \"{{record.title}} opened by {{record.user.login}} at {{dateFormat timestamp}}\"}"}}),
    );
    let plan = check("long_strings", &world, DiffOptions::default());
    assert_eq!(plan.summary().update, 2);
}

#[test]
fn chained_flow_lists_grow_and_shrink() {
    let mut world = World::new();
    base(&mut world);
    world.applied(
        "flow.a",
        json!({"name": "A", "_integrationId": "${integration.usage}", "disabled": true}),
    );
    world.applied(
        "flow.b",
        json!({"name": "B", "_integrationId": "${integration.usage}", "disabled": true}),
    );
    world.applied(
        "flow.chain",
        json!({"name": "Chain", "_integrationId": "${integration.usage}", "disabled": true, "_runNextFlowIds": ["${flow.a}", "${flow.b}"]}),
    );
    world.desire(
        "flow.chain",
        json!({"name": "Chain", "_integrationId": "${integration.usage}", "disabled": true, "_runNextFlowIds": ["${flow.b}"]}),
    );
    let plan = check("chained_flow_lists", &world, DiffOptions::default());
    let fields = plan
        .changes
        .iter()
        .find(|change| change.address == address("flow.chain"))
        .unwrap()
        .fields();
    // `flow.a` left the front of the list: one removal, `flow.b` is untouched.
    assert_eq!(fields.len(), 1);
    assert_eq!((fields[0].op, &fields[0].path), (FieldOp::Remove, &path("_runNextFlowIds[0]")));
}

#[test]
fn created_long_strings_are_shown_as_lines() {
    let mut world = World::new();
    world.desire(
        "script.transform",
        json!({"name": "transform", "content": "function preSavePage(options) {\n  return {data: options.data, errors: options.errors};\n}\n"}),
    );
    let plan = check("created_long_strings", &world, DiffOptions::default());
    assert_eq!(plan.summary().create, 1);
}
