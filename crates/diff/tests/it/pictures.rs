//! Flow pictures and dependency graphs: Mermaid and DOT text as snapshots. Every snapshot here
//! that holds a `flowchart` is parsed by Mermaid itself and every `digraph` by Graphviz in
//! `tests/it/diagrams.rs` of the root package (it needs Node, see `tests/mermaid/`).

use std::collections::{BTreeMap, BTreeSet};

use flowform_diff::render::graph::{DependencyGraph, PlannedAction};
use flowform_diff::render::json::{JsonPlan, plan_from_document};
use flowform_diff::render::mermaid::{FlowPicture, Mark, StepTarget, flow_mermaid};
use flowform_diff::render::{self, JsonContext, MarkdownOptions};
use flowform_model::{Address, Object, RefOrId, Value};
use serde_json::json;

use crate::support::{World, address};

/// The resources the flows below use: an online shop, an ERP and Slack.
fn shop_world() -> World {
    let mut world = World::new();
    world.desire("integration.orders", json!({"name": "Orders"}));
    world.desire("connection.shop", json!({"name": "Shop API", "type": "http"}));
    world.desire("connection.erp", json!({"name": "ERP", "type": "http"}));
    world.desire("connection.slack", json!({"name": "Slack", "type": "http"}));
    world.desire(
        "export.new-orders",
        json!({"name": "New shop orders", "_connectionId": "${connection.shop}"}),
    );
    world.desire(
        "export.eu-orders",
        json!({"name": "New EU shop orders", "_connectionId": "${connection.shop}"}),
    );
    world.desire(
        "export.customer-lookup",
        json!({"name": "Look up the ERP customer", "_connectionId": "${connection.erp}", "isLookup": true}),
    );
    world.desire(
        "import.erp-order",
        json!({"name": "Create the ERP sales order", "_connectionId": "${connection.erp}",
               "hooks": {"preMap": {"_scriptId": "${script.shape-order}", "function": "preMap"}}}),
    );
    world.desire(
        "import.erp-customer",
        json!({"name": "Create the ERP customer", "_connectionId": "${connection.erp}"}),
    );
    world.desire(
        "import.slack-alert",
        json!({"name": "Alert #ops on Slack", "_connectionId": "${connection.slack}"}),
    );
    world.desire(
        "script.shape-order",
        json!({"name": "Shape the order", "content": "function preMap() {}"}),
    );
    world.desire(
        "script.route-orders",
        json!({"name": "Route orders", "content": "function branch() {}"}),
    );
    world
}

fn body(world: &World, json: serde_json::Value) -> Object {
    match world.spec_value(&json) {
        Value::Object(object) => object,
        _ => panic!("a flow body is an object"),
    }
}

fn names(world: &World) -> impl Fn(&Address) -> Option<String> + '_ {
    |address: &Address| world.desired.get(address).and_then(|r| r.name()).map(str::to_owned)
}

fn references(world: &World) -> impl Fn(&Address) -> Vec<Address> + '_ {
    |address: &Address| {
        world
            .desired
            .get(address)
            .map(|resource| {
                resource.dependencies().into_iter().map(|dependency| dependency.address).collect()
            })
            .unwrap_or_default()
    }
}

fn draw(world: &World, picture: &FlowPicture) -> String {
    flow_mermaid(picture, &names(world))
}

fn linear() -> serde_json::Value {
    json!({"name": "Orders to ERP", "_integrationId": "${integration.orders}",
           "pageGenerators": [{"_exportId": "${export.new-orders}"}],
           "pageProcessors": [{"type": "import", "_importId": "${import.erp-order}"}]})
}

fn with_lookup() -> serde_json::Value {
    json!({"name": "Orders to ERP", "_integrationId": "${integration.orders}",
           "pageGenerators": [{"_exportId": "${export.new-orders}"}],
           "pageProcessors": [
               {"type": "export", "_exportId": "${export.customer-lookup}",
                "responseMapping": {"fields": [{"extract": "data[0].id", "generate": "customerId"}]},
                "hooks": {"postResponseMap": {"_scriptId": "${script.shape-order}", "function": "post"}}},
               {"type": "import", "_importId": "${import.erp-order}"}]})
}

fn with_routers() -> serde_json::Value {
    json!({"name": "Orders by country", "_integrationId": "${integration.orders}",
           "pageGenerators": [{"_exportId": "${export.new-orders}"}, {"_exportId": "${export.eu-orders}"}],
           "routers": [
               {"id": "split", "name": "By country", "routeRecordsTo": "first_matching_branch",
                "routeRecordsUsing": "input_filters",
                "branches": [
                    {"name": "US", "inputFilter": {"version": "1", "rules": ["equals", ["extract", "country"], "US"]},
                     "pageProcessors": [
                         {"type": "export", "_exportId": "${export.customer-lookup}"},
                         {"type": "import", "_importId": "${import.erp-order}"}],
                     "nextRouterId": "notify"},
                    {"name": "Other", "pageProcessors": [{"type": "import", "_importId": "${import.erp-customer}"}],
                     "nextRouterId": "notify"},
                    {"name": "Test orders", "pageProcessors": []}]},
               {"id": "notify", "routeRecordsTo": "all_matching_branches", "routeRecordsUsing": "script",
                "script": {"_scriptId": "${script.route-orders}", "function": "branch"},
                "branches": [
                    {"name": "alert", "pageProcessors": [{"type": "import", "_importId": "${import.slack-alert}"}]},
                    {"name": "", "pageProcessors": []}]}]})
}

#[test]
fn linear_flow() {
    let world = shop_world();
    let picture = FlowPicture::of_body(&body(&world, linear()), Mark::Unchanged);
    insta::assert_snapshot!("flow_linear", draw(&world, &picture));
}

#[test]
fn flow_with_a_lookup() {
    let world = shop_world();
    let picture = FlowPicture::of_body(&body(&world, with_lookup()), Mark::Added);
    insta::assert_snapshot!("flow_lookup_created", draw(&world, &picture));
}

#[test]
fn flow_with_routers_branches_and_a_join() {
    let world = shop_world();
    let picture = FlowPicture::of_body(&body(&world, with_routers()), Mark::Unchanged);
    let text = draw(&world, &picture);
    // Both first-router branches with steps join the `notify` router; the empty branch ends.
    assert_eq!(text.matches("--> r1").count(), 2, "{text}");
    insta::assert_snapshot!("flow_router", text);
}

#[test]
fn cloned_flow_draws_what_the_clone_copies() {
    let world = shop_world();
    let source = body(&world, with_lookup());
    let clone = body(
        &world,
        json!({"name": "EU orders to ERP", "_integrationId": "${integration.orders}",
               "pageGenerators": [{"_exportId": "${export.eu-orders}"}]}),
    );
    let picture = FlowPicture::of_clone(&clone, &source, Mark::Added);
    assert!(!picture.sources[0].copy);
    assert!(picture.processors.iter().all(|step| step.copy));
    insta::assert_snapshot!("flow_cloned", draw(&world, &picture));
}

#[test]
fn legacy_unmanaged_and_unconfigured_steps() {
    let world = shop_world();
    let legacy = body(
        &world,
        json!({"name": "Legacy", "_exportId": "${export.new-orders}", "_importId": "5f0000000000000000000abc"}),
    );
    let picture = FlowPicture::of_body(&legacy, Mark::Removed);
    assert!(picture.sources[0].legacy && picture.processors[0].legacy);
    assert_eq!(
        picture.processors[0].target,
        StepTarget::Unmanaged {
            kind: flowform_model::Kind::Import,
            id: "5f0000000000000000000abc".into()
        }
    );
    let unfinished = body(
        &world,
        json!({"name": "Unfinished", "pageGenerators": [{"_exportId": "${export.new-orders}"}],
               "pageProcessors": [{"responseMapping": {"fields": [], "lists": []}, "setupInProgress": true}]}),
    );
    let pending = FlowPicture::of_body(&unfinished, Mark::Unchanged);
    insta::assert_snapshot!("flow_legacy_deleted", draw(&world, &picture));
    insta::assert_snapshot!("flow_unconfigured_step", draw(&world, &pending));
}

#[test]
fn a_step_inserted_at_the_front_is_one_addition() {
    let world = shop_world();
    let before = body(&world, linear());
    let after = body(
        &world,
        json!({"name": "Orders to ERP", "_integrationId": "${integration.orders}",
               "pageGenerators": [{"_exportId": "${export.new-orders}"}],
               "pageProcessors": [
                   {"type": "export", "_exportId": "${export.customer-lookup}"},
                   {"type": "import", "_importId": "${import.erp-order}"}]}),
    );
    let picture = FlowPicture::between(&before, &after);
    let marks: Vec<Mark> = picture.processors.iter().map(|step| step.mark).collect();
    assert_eq!(marks, [Mark::Added, Mark::Unchanged]);
    assert!(picture.has_marks());
    assert_eq!(picture.sources[0].mark, Mark::Unchanged);
}

#[test]
fn changed_flow_marks_added_removed_and_changed_steps() {
    let world = shop_world();
    let before = body(
        &world,
        json!({"name": "Orders to ERP", "pageGenerators": [{"_exportId": "${export.new-orders}"}],
               "pageProcessors": [
                   {"type": "export", "_exportId": "${export.customer-lookup}"},
                   {"type": "import", "_importId": "${import.erp-customer}"},
                   {"type": "import", "_importId": "${import.erp-order}"}]}),
    );
    let after = body(
        &world,
        json!({"name": "Orders to ERP", "pageGenerators": [{"_exportId": "${export.new-orders}"}],
               "pageProcessors": [
                   {"type": "export", "_exportId": "${export.customer-lookup}", "proceedOnFailure": true},
                   {"type": "import", "_importId": "${import.erp-order}"},
                   {"type": "import", "_importId": "${import.slack-alert}"}]}),
    );
    let mut picture = FlowPicture::between(&before, &after);
    let changed: BTreeSet<Address> = [address("script.shape-order")].into();
    picture.mark_affected(&changed, &references(&world));
    let marks: Vec<Mark> = picture.processors.iter().map(|step| step.mark).collect();
    assert_eq!(marks, [Mark::Changed, Mark::Removed, Mark::Changed, Mark::Added]);
    assert_eq!(picture.processors[2].notes, ["uses changed script.shape-order"]);
    let text = draw(&world, &picture);
    assert_eq!(
        documented_picture().as_deref(),
        Some(text.as_str()),
        "docs/plan-format.md's flow picture is out of date; the renderer writes:\n{text}"
    );
    insta::assert_snapshot!("flow_changed_steps", text);
}

/// The first ```mermaid block of docs/plan-format.md (its flow picture example).
fn documented_picture() -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/plan-format.md");
    let text = fs_err::read_to_string(path).ok()?;
    let start = text.find("```mermaid\n")? + "```mermaid\n".len();
    let end = start + text[start..].find("```")?;
    Some(text[start..end].to_owned())
}

#[test]
fn changed_routers_and_branches() {
    let world = shop_world();
    let before = body(&world, with_routers());
    let mut after_json = with_routers();
    let branches = after_json["routers"][0]["branches"].as_array_mut().unwrap();
    branches.remove(1);
    branches.push(json!({"name": "Canada", "pageProcessors": [{"type": "import", "_importId": "${import.erp-customer}"}], "nextRouterId": "notify"}));
    branches[0]["inputFilter"]["rules"] = json!(["equals", ["extract", "country"], "USA"]);
    after_json["routers"][1]["id"] = json!("notify-v2");
    for branch in after_json["routers"][0]["branches"].as_array_mut().unwrap() {
        if branch.get("nextRouterId").is_some() {
            branch["nextRouterId"] = json!("notify-v2");
        }
    }
    let after = body(&world, after_json);
    let mut picture = FlowPicture::between(&before, &after);
    let changed: BTreeSet<Address> = [address("connection.slack")].into();
    picture.mark_affected(&changed, &references(&world));
    let first = &picture.routers[0];
    assert_eq!(first.mark, Mark::Unchanged, "only its branches change");
    let branch_marks: Vec<(&str, Mark)> =
        first.branches.iter().map(|branch| (branch.name.as_str(), branch.mark)).collect();
    assert_eq!(
        branch_marks,
        [
            ("US", Mark::Changed),
            ("Other", Mark::Removed),
            ("Test orders", Mark::Unchanged),
            ("Canada", Mark::Added)
        ]
    );
    let router_marks: Vec<(&str, Mark)> =
        picture.routers.iter().map(|router| (router.id.as_str(), router.mark)).collect();
    assert_eq!(
        router_marks,
        [("split", Mark::Unchanged), ("notify", Mark::Removed), ("notify-v2", Mark::Added)]
    );
    insta::assert_snapshot!("flow_router_changed", draw(&world, &picture));
}

#[test]
fn deleted_flow_is_drawn_removed() {
    let world = shop_world();
    let picture = FlowPicture::of_body(&body(&world, with_routers()), Mark::Removed);
    let text = draw(&world, &picture);
    assert!(!text.contains(" --> "), "every edge of a removed flow is dashed:\n{text}");
    insta::assert_snapshot!("flow_router_deleted", text);
}

/// A name with every character that means something to Mermaid, markdown or HTML.
pub const HOSTILE_NAME: &str =
    "Q3 \"big\" <b>orders</b> & #1; [x] {y} (z) a|b c:d `e` *f* _g_ %% end\\";

#[test]
fn hostile_names_stay_inside_their_labels() {
    let mut world = shop_world();
    world.desire("import.erp-order", json!({"name": HOSTILE_NAME}));
    let mut routers = with_routers();
    routers["routers"][0]["name"] = json!(HOSTILE_NAME);
    routers["routers"][0]["branches"][0]["name"] = json!(HOSTILE_NAME);
    let picture = FlowPicture::of_body(&body(&world, routers), Mark::Unchanged);
    let text = draw(&world, &picture);
    for line in text.lines() {
        assert!(!line.trim_start().starts_with("```"), "{line}");
        assert!(!line.contains("<b>") && !line.contains('`'), "{line}");
    }
    insta::assert_snapshot!("flow_hostile_names", text);
}

fn graph_world() -> World {
    let mut world = shop_world();
    world.desire("flow.orders-to-erp", with_lookup());
    world.desire("flow.orders-by-country", with_routers());
    let clone = world.desire(
        "flow.eu-orders-to-erp",
        json!({"name": "EU orders to ERP", "_integrationId": "${integration.orders}",
               "pageGenerators": [{"_exportId": "${export.eu-orders}"}]}),
    );
    clone.lifecycle.clone_from = Some(RefOrId::Ref(address("flow.orders-to-erp")));
    world
}

#[test]
fn dependency_graph() {
    let world = graph_world();
    let graph = DependencyGraph::from_desired(&world.desired, None);
    assert_eq!(graph.nodes.len(), world.desired.resources.len());
    insta::assert_snapshot!("graph_mermaid", graph.mermaid());
    insta::assert_snapshot!("graph_dot", graph.dot());
}

#[test]
fn dependency_graph_with_planned_actions() {
    let world = graph_world();
    let scope: BTreeSet<Address> = [
        "flow.orders-to-erp",
        "flow.eu-orders-to-erp",
        "export.new-orders",
        "export.eu-orders",
        "export.customer-lookup",
        "import.erp-order",
        "integration.orders",
        "connection.shop",
        "connection.erp",
        "script.shape-order",
    ]
    .into_iter()
    .map(address)
    .collect();
    let mut graph = DependencyGraph::from_desired(&world.desired, Some(&scope));
    let actions: BTreeMap<Address, PlannedAction> = [
        ("flow.eu-orders-to-erp", PlannedAction::Clone),
        ("import.erp-order", PlannedAction::Update),
        ("export.gone", PlannedAction::Delete),
        ("export.eu-orders", PlannedAction::Create),
    ]
    .into_iter()
    .map(|(text, action)| (address(text), action))
    .collect();
    let planned: BTreeSet<Address> =
        scope.iter().filter(|address| address.key != "shop").cloned().collect();
    graph.set_actions(&actions, Some(&planned));
    assert!(graph.nodes.iter().any(|node| node.address == address("export.gone")));
    insta::assert_snapshot!("graph_actions_mermaid", graph.mermaid());
    insta::assert_snapshot!("graph_actions_dot", graph.dot());
}

#[test]
fn hostile_names_in_the_dependency_graph() {
    let mut world = shop_world();
    world.desire("connection.erp", json!({"name": HOSTILE_NAME}));
    let graph = DependencyGraph::from_desired(&world.desired, None);
    insta::assert_snapshot!("graph_hostile_mermaid", graph.mermaid());
    insta::assert_snapshot!("graph_hostile_dot", graph.dot());
}

#[test]
fn a_change_to_a_step_resource_or_a_router_script_marks_it() {
    let world = shop_world();
    let mut picture = FlowPicture::of_body(&body(&world, with_routers()), Mark::Unchanged);
    let changed: BTreeSet<Address> =
        [address("import.erp-order"), address("script.route-orders"), address("connection.shop")]
            .into();
    picture.mark_affected(&changed, &references(&world));
    // The source exports use the shop connection.
    assert!(picture.sources.iter().all(|step| step.notes == ["uses changed connection.shop"]));
    let us = &picture.routers[0].branches[0];
    assert_eq!(us.steps[0].mark, Mark::Unchanged, "the lookup uses neither");
    assert_eq!(us.steps[1].notes, ["resource changes"]);
    assert_eq!(picture.routers[0].mark, Mark::Unchanged);
    assert_eq!(picture.routers[1].mark, Mark::Changed);
    assert_eq!(picture.routers[1].notes, ["uses changed script.route-orders"]);
    // Added and removed steps keep their marks.
    let mut created = FlowPicture::of_body(&body(&world, with_routers()), Mark::Added);
    created.mark_affected(&changed, &references(&world));
    assert!(created.sources.iter().all(|step| step.mark == Mark::Added && step.notes.is_empty()));
}

#[test]
fn a_flow_without_steps_still_draws() {
    let world = shop_world();
    let empty = body(&world, json!({"name": "Empty", "_integrationId": "${integration.orders}"}));
    let text = draw(&world, &FlowPicture::of_body(&empty, Mark::Added));
    insta::assert_snapshot!("flow_empty", text);
}

// Pictures in the markdown plan: made by the diff from the spec, the state and the live
// documents, and drawn by the markdown renderer from the plan alone.

/// The shop's resources, applied (in address order: what a flow references exists first).
fn applied_shop() -> World {
    let mut world = shop_world();
    let mut addresses: Vec<Address> = world.desired.resources.keys().cloned().collect();
    addresses.sort();
    for address in addresses {
        world.apply(&address.to_string());
    }
    world
}

/// The markdown plan of `world`, checked for what every rendering of pictures must hold.
fn plan_markdown(world: &World) -> String {
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let markdown = render::markdown(&plan, &MarkdownOptions::default());
    assert_eq!(
        markdown.matches("```mermaid\n").count(),
        render::plan_pictures(&plan).len(),
        "one block per picture"
    );
    // A saved plan's JSON document carries what the pictures need: read back as `flowform show`
    // reads it (no unchanged resource listed), the pictures are the same.
    let json = render::json(&plan, &JsonContext { target: "test".into() });
    let parsed: JsonPlan = serde_json::from_str(&json).expect("the JSON plan parses");
    let again = plan_from_document(&parsed).expect("the plan reads back");
    let pictures = |text: &str| {
        text.find("#### Flows").map(|start| {
            let end =
                text[start..].find("<details><summary>").map_or(text.len(), |end| start + end);
            text[start..end].to_owned()
        })
    };
    assert_eq!(
        pictures(&render::markdown(&again, &MarkdownOptions::default())),
        pictures(&markdown)
    );
    markdown
}

#[test]
fn plan_draws_a_created_linear_flow() {
    let mut world = applied_shop();
    world.desire("flow.orders-to-erp", linear());
    let markdown = plan_markdown(&world);
    assert!(markdown.contains("<code>create</code> <b>flow.orders-to-erp</b>"));
    insta::assert_snapshot!("plan_markdown_linear_created", markdown);
}

#[test]
fn plan_draws_a_lookup_inserted_at_the_front_as_one_addition() {
    let mut world = applied_shop();
    world.applied("flow.orders-to-erp", linear());
    world.desire("flow.orders-to-erp", with_lookup());
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let pictures = render::plan_pictures(&plan);
    let marks: Vec<Mark> = pictures[0].picture.processors.iter().map(|step| step.mark).collect();
    assert_eq!(marks, [Mark::Added, Mark::Unchanged]);
    let markdown = plan_markdown(&world);
    assert!(markdown.contains("@@ pageProcessors[0] (inserted) @@"), "{markdown}");
    assert!(!markdown.contains("pageProcessors[1]"), "the import after it is unchanged");
    insta::assert_snapshot!("plan_markdown_lookup_inserted_front", markdown);
}

#[test]
fn plan_draws_routers_with_a_renamed_branch_a_new_step_and_a_changed_script() {
    let mut world = applied_shop();
    world.applied("flow.orders-by-country", with_routers());
    let mut after = with_routers();
    after["routers"][0]["branches"][1]["name"] = json!("Rest of world");
    after["routers"][0]["branches"][0]["pageProcessors"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "import", "_importId": "${import.slack-alert}"}));
    world.desire("flow.orders-by-country", after);
    world.desire(
        "script.route-orders",
        json!({"name": "Route orders", "content": "function branch(options) { return [0]; }"}),
    );
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let pictures = render::plan_pictures(&plan);
    assert_eq!(pictures.len(), 1, "the flow changes and uses the script: one picture");
    let router = &pictures[0].picture.routers[0];
    assert_eq!(router.branches[1].notes, ["renamed from Other"]);
    assert_eq!(router.branches[0].steps[2].mark, Mark::Added);
    assert_eq!(pictures[0].picture.routers[1].notes, ["uses changed script.route-orders"]);
    insta::assert_snapshot!("plan_markdown_router_changed", plan_markdown(&world));
}

#[test]
fn plan_draws_a_cloned_flow_with_the_copies_it_makes() {
    let mut world = applied_shop();
    world.applied("flow.orders-to-erp", with_lookup());
    let clone = world.desire(
        "flow.eu-orders-to-erp",
        json!({"name": "EU orders to ERP", "_integrationId": "${integration.orders}",
               "pageGenerators": [{"_exportId": "${export.eu-orders}"}]}),
    );
    clone.lifecycle.clone_from = Some(RefOrId::Ref(address("flow.orders-to-erp")));
    let markdown = plan_markdown(&world);
    assert!(markdown.contains("copy of Look up the ERP customer"), "{markdown}");
    insta::assert_snapshot!("plan_markdown_cloned", markdown);
}

#[test]
fn plan_draws_an_unchanged_flow_that_uses_a_changed_connection() {
    let mut world = applied_shop();
    world.applied("flow.orders-to-erp", with_lookup());
    world.applied("flow.orders-by-country", with_routers());
    world.desire(
        "connection.erp",
        json!({"name": "ERP", "type": "http", "http": {"baseURI": "https://erp.example.com/v2"}}),
    );
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let drawn: Vec<String> =
        render::plan_pictures(&plan).iter().map(|picture| picture.address.to_string()).collect();
    // Both flows use the ERP connection through their lookup and imports.
    assert_eq!(drawn, ["flow.orders-by-country", "flow.orders-to-erp"]);
    let markdown = plan_markdown(&world);
    assert!(markdown.contains("<code>unchanged</code> <b>flow.orders-to-erp</b>"));
    assert!(markdown.contains("uses changed connection.erp"));
    insta::assert_snapshot!("plan_markdown_uses_changed_connection", markdown);
}

#[test]
fn an_existing_clone_is_drawn_with_the_steps_its_clone_brought() {
    let mut world = applied_shop();
    let clone = json!({"name": "EU orders to ERP", "_integrationId": "${integration.orders}",
                       "pageGenerators": [{"_exportId": "${export.eu-orders}"}]});
    let flow_id = world.applied("flow.eu-orders-to-erp", clone);
    // The clone brought its steps (here the managed import, as a connection-mapped copy would
    // name a copy); the spec does not set them, so no plan touches them.
    let import = world.state.get(&address("import.erp-order")).unwrap().id.clone();
    world.edit_live(&flow_id, |document| {
        document["pageProcessors"] = json!([{"type": "import", "_importId": import}]);
    });
    assert!(!world.plan(flowform_diff::DiffOptions::default()).has_changes());
    world.desire(
        "connection.erp",
        json!({"name": "ERP", "type": "http", "http": {"baseURI": "https://erp.example.com/v2"}}),
    );
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let pictures = render::plan_pictures(&plan);
    assert_eq!(pictures.len(), 1);
    let steps = &pictures[0].picture.processors;
    assert_eq!(steps.len(), 1, "the live step is drawn");
    assert_eq!(steps[0].notes, ["uses changed connection.erp"]);
    plan_markdown(&world);

    // A managed resource the spec no longer declares (a copy the clone made, once flowform
    // tracks them): what it uses is read from its live document.
    world.undesire("import.erp-order");
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let pictures = render::plan_pictures(&plan);
    let steps = &pictures[0].picture.processors;
    assert_eq!(steps[0].notes, ["resource changes", "uses changed connection.erp"]);
    assert_eq!(
        plan.flow_pictures.names.get(&address("import.erp-order")).map(String::as_str),
        Some("Create the ERP sales order"),
        "its name comes from the account"
    );
}

#[test]
fn plan_draws_a_deleted_flow_from_the_account() {
    let mut world = applied_shop();
    world.applied("flow.orders-by-country", with_routers());
    world.undesire("flow.orders-by-country");
    let markdown = plan_markdown(&world);
    assert!(markdown.contains("<code>delete</code> <b>flow.orders-by-country</b>"));
    assert!(markdown.contains(":::removed"));
    insta::assert_snapshot!("plan_markdown_deleted", markdown);
}

#[test]
fn flows_that_neither_change_nor_use_a_change_are_not_drawn() {
    let mut world = applied_shop();
    world.applied("flow.orders-to-erp", linear());
    world.desire("import.slack-alert", json!({"name": "Alert #ops on Slack, loudly"}));
    let plan = world.plan(flowform_diff::DiffOptions::default());
    assert!(plan.has_changes());
    assert!(render::plan_pictures(&plan).is_empty());
    let markdown = render::markdown(&plan, &MarkdownOptions::default());
    assert!(!markdown.contains("```mermaid") && !markdown.contains("#### Flows"));
}

#[test]
fn a_field_removed_from_a_kept_step_marks_it_changed() {
    let mut world = applied_shop();
    let mut before = with_lookup();
    before["pageProcessors"][1]["proceedOnFailure"] = json!(true);
    world.applied("flow.orders-to-erp", before);
    world.desire("flow.orders-to-erp", with_lookup());
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let picture = &render::plan_pictures(&plan)[0].picture;
    assert_eq!(picture.processors[0].mark, Mark::Unchanged);
    assert_eq!(picture.processors[1].mark, Mark::Changed);
    assert_eq!(picture.processors[1].notes, ["step settings changed"]);
}

#[test]
fn a_picture_over_mermaids_limits_is_not_drawn_and_says_why() {
    let mut world = applied_shop();
    let steps: Vec<serde_json::Value> =
        (0..520).map(|_| json!({"type": "import", "_importId": "${import.erp-order}"})).collect();
    world.desire(
        "flow.huge",
        json!({"name": "Huge", "_integrationId": "${integration.orders}",
               "pageGenerators": [{"_exportId": "${export.new-orders}"}], "pageProcessors": steps}),
    );
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let markdown = render::markdown(&plan, &MarkdownOptions::default());
    assert!(!markdown.contains("```mermaid"), "no block GitHub would refuse");
    assert!(
        markdown.contains("Not drawn: its picture has 521 links and"),
        "{}",
        &markdown[..2000.min(markdown.len())]
    );
}

#[test]
fn pictures_go_first_when_the_comment_must_be_cut() {
    let mut world = applied_shop();
    for number in 0..12 {
        world.desire(&format!("flow.orders-{number:02}"), with_routers());
    }
    let plan = world.plan(flowform_diff::DiffOptions::default());
    let full = render::markdown(&plan, &MarkdownOptions::default());
    assert_eq!(full.matches("```mermaid").count(), 12);
    let length = full.chars().count();
    let start = full.find("#### Flows").expect("a pictures section");
    let end = start + full[start..].find("<details><summary>").expect("resource blocks follow");
    let pictures = full[start..end].chars().count();

    // Room for every resource block and half of the pictures: whole pictures only.
    let max_chars = length - pictures / 2;
    let cut = render::markdown(&plan, &MarkdownOptions { max_chars });
    assert!(cut.chars().count() <= max_chars);
    let shown = cut.matches("```mermaid").count();
    assert!(0 < shown && shown < 12, "{shown} pictures shown");
    let section = &cut[cut.find("#### Flows").unwrap()..cut.find("<details><summary>").unwrap()];
    let closed = section.matches("```\n\n</details>").count();
    assert_eq!(closed, shown, "every picture shown is whole");
    assert_eq!(cut.matches("<details><summary>").count(), 12, "every resource block stays");
    assert!(cut.contains(&format!("{} of 12 flow pictures are left out", 12 - shown)));
    assert!(!cut.contains("resources are not shown"));

    // Room for the resources alone: no picture, every resource.
    let tight = render::markdown(&plan, &MarkdownOptions { max_chars: length - pictures + 500 });
    assert!(!tight.contains("```mermaid") && !tight.contains("#### Flows"));
    assert_eq!(tight.matches("<details><summary>").count(), 12);
    assert!(tight.contains("12 of 12 flow pictures are left out"));
    insta::assert_snapshot!(
        "plan_markdown_pictures_cut_note",
        &cut[cut.rfind("> [!NOTE]").unwrap()..]
    );
}
