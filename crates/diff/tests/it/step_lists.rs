//! Step lists of flows: a step inserted into or removed from `pageGenerators`, `pageProcessors`,
//! `routers` or a branch's `pageProcessors` is one insertion or removal in every rendering, and
//! the field changes, applied in order as JSON Patch operations, turn the live flow into the
//! desired one.

use flowform_diff::{DiffOptions, ManagedIds, normalize_live};
use flowform_model::{Address, FieldChange, FieldOp, FieldPath, Kind, Segment, Value};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

use crate::support::{World, address, check, path};

const IMPORTS: [&str; 5] = ["a", "b", "c", "d", "x"];

fn base(world: &mut World) {
    world.applied("integration.shop", json!({"name": "Shop"}));
    world.applied("connection.erp", json!({"name": "ERP", "type": "http"}));
    world.applied("export.orders", json!({"name": "Orders", "_connectionId": "${connection.erp}"}));
    world.applied(
        "export.returns",
        json!({"name": "Returns", "_connectionId": "${connection.erp}"}),
    );
    world.applied(
        "export.lookup",
        json!({"name": "Look up the customer", "_connectionId": "${connection.erp}", "isLookup": true}),
    );
    for key in IMPORTS {
        world.applied(
            &format!("import.{key}"),
            json!({"name": format!("Import {}", key.to_uppercase()), "_connectionId": "${connection.erp}"}),
        );
    }
}

fn step(key: &str) -> Json {
    if key == "lookup" {
        return json!({"type": "export", "_exportId": "${export.lookup}"});
    }
    json!({"type": "import", "_importId": format!("${{import.{key}}}")})
}

fn flow(name: &str, steps: &[&str]) -> Json {
    json!({"name": name, "_integrationId": "${integration.shop}", "disabled": true,
           "pageGenerators": [{"_exportId": "${export.orders}"}],
           "pageProcessors": steps.iter().map(|key| step(key)).collect::<Vec<_>>()})
}

/// The field changes of one flow, as `op path` lines.
fn field_lines(plan: &flowform_model::Plan, flow: &str) -> Vec<String> {
    plan.changes
        .iter()
        .find(|change| change.address == address(flow))
        .map(|change| {
            change
                .fields()
                .iter()
                .map(|field| format!("{} {}", field.op.as_str(), field.path))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn steps_inserted_and_removed_at_the_front_middle_and_end() {
    let mut world = World::new();
    base(&mut world);
    type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);
    let cases: [Case<'_>; 6] = [
        ("flow.insert-front", &["a", "b", "c"], &["x", "a", "b", "c"], &["add pageProcessors[0]"]),
        ("flow.insert-middle", &["a", "b", "c"], &["a", "b", "x", "c"], &["add pageProcessors[2]"]),
        ("flow.insert-end", &["a", "b", "c"], &["a", "b", "c", "x"], &["add pageProcessors[3]"]),
        ("flow.remove-front", &["a", "b", "c"], &["b", "c"], &["remove pageProcessors[0]"]),
        ("flow.remove-middle", &["a", "b", "c"], &["a", "c"], &["remove pageProcessors[1]"]),
        ("flow.remove-end", &["a", "b", "c"], &["a", "b"], &["remove pageProcessors[2]"]),
    ];
    for (flow_address, before, _, _) in &cases {
        world.applied(flow_address, flow(flow_address, before));
    }
    for (flow_address, _, after, _) in &cases {
        world.desire(flow_address, flow(flow_address, after));
    }
    let plan = check("step_lists_front_middle_end", &world, DiffOptions::default());
    for (flow_address, _, _, expected) in cases {
        assert_eq!(field_lines(&plan, flow_address), expected, "{flow_address}");
    }
}

#[test]
fn several_insertions_and_removals_in_one_list() {
    let mut world = World::new();
    base(&mut world);
    world.applied("flow.mixed", flow("Mixed", &["a", "b", "c", "d"]));
    // `a` gives way to the lookup at the front, `b` changes a setting, `c` gives way to `x` in
    // its place, `a` comes back at the end.
    let mut after = flow("Mixed", &["lookup", "b", "x", "d", "a"]);
    after["pageProcessors"][1]["proceedOnFailure"] = json!(true);
    world.desire("flow.mixed", after);
    let plan = check("step_lists_mixed", &world, DiffOptions::default());
    assert_eq!(
        field_lines(&plan, "flow.mixed"),
        [
            // Removals first, from the highest live index down: each is its live position.
            "remove pageProcessors[0]",
            // Then insertions and changes at their desired positions, in order. An import step
            // giving way to a lookup is a removal and an insertion; a step that runs another
            // import where one was is compared field by field.
            "add pageProcessors[0]",
            "add pageProcessors[1].proceedOnFailure",
            "replace pageProcessors[2]._importId",
            "add pageProcessors[4]",
        ]
    );
}

#[test]
fn a_step_that_runs_another_resource_in_place_is_compared_field_by_field() {
    let mut world = World::new();
    base(&mut world);
    world.applied("flow.swap", flow("Swap", &["a", "b", "c"]));
    world.desire("flow.swap", flow("Swap", &["a", "x", "c"]));
    let plan = world.plan(DiffOptions::default());
    assert_eq!(field_lines(&plan, "flow.swap"), ["replace pageProcessors[1]._importId"]);
}

#[test]
fn sources_routers_and_branch_steps_are_aligned_too() {
    let mut world = World::new();
    base(&mut world);
    let routed = |sources: &[&str], routers: Json| {
        json!({"name": "Routed", "_integrationId": "${integration.shop}", "disabled": true,
               "pageGenerators": sources.iter().map(|key| json!({"_exportId": format!("${{export.{key}}}")})).collect::<Vec<_>>(),
               "routers": routers})
    };
    let branch = |name: &str, steps: &[&str]| json!({"name": name, "pageProcessors": steps.iter().map(|key| step(key)).collect::<Vec<_>>()});
    world.applied(
        "flow.routed",
        routed(
            &["orders"],
            json!([{"id": "split", "branches": [branch("US", &["a", "b"]), branch("EU", &["c"])]}]),
        ),
    );
    world.desire(
        "flow.routed",
        routed(
            &["returns", "orders"],
            json!([
                {"id": "first", "branches": [branch("all", &["d"])]},
                {"id": "split", "branches": [branch("CA", &["x"]), branch("US", &["lookup", "a", "b"]), branch("EU", &["c"])]}
            ]),
        ),
    );
    let plan = check("step_lists_routers", &world, DiffOptions::default());
    assert_eq!(
        field_lines(&plan, "flow.routed"),
        [
            "add pageGenerators[0]",
            // Once the list changes it is written whole: keys only the live element holds go.
            "remove pageGenerators[1].setupInProgress",
            "add routers[0]",
            "add routers[1].branches[0]",
            "add routers[1].branches[1].pageProcessors[0]",
        ]
    );
}

/// Applies field changes in order, as JSON Patch does: `add` at a list index inserts, `remove`
/// at a list index takes the element out; other paths are set or removed. A mapping row added by
/// its `generate` value goes at the end (the rows generated here are single, so their order
/// cannot differ).
fn apply_in_order(document: &mut Value, changes: &[FieldChange]) -> Result<(), String> {
    for change in changes {
        let Some((last, parent)) = change.path.0.split_last() else {
            return Err("a change at the root".into());
        };
        let parent_path = FieldPath(parent.to_vec());
        match (change.op, last) {
            (FieldOp::Add, Segment::Index(index)) => {
                let mut list = match document.get(&parent_path) {
                    Some(Value::Array(items)) => items.clone(),
                    None => Vec::new(),
                    Some(other) => return Err(format!("`{parent_path}` is not a list: {other:?}")),
                };
                if *index > list.len() {
                    return Err(format!("`{}` inserts past the end", change.path));
                }
                list.insert(*index, change.after.clone().ok_or("an add without a value")?);
                document.set(&parent_path, Value::Array(list));
            }
            (FieldOp::Add, Segment::Keyed(_)) if document.get(&change.path).is_none() => {
                let mut list = match document.get(&parent_path) {
                    Some(Value::Array(items)) => items.clone(),
                    _ => Vec::new(),
                };
                list.push(change.after.clone().ok_or("an add without a value")?);
                document.set(&parent_path, Value::Array(list));
            }
            (FieldOp::Add | FieldOp::Replace, _) => {
                let value = change.after.clone().ok_or("a change without a value")?;
                if !document.set(&change.path, value) {
                    return Err(format!("`{}` cannot be set", change.path));
                }
            }
            (FieldOp::Remove, _) => {
                if document.remove(&change.path).is_none() {
                    return Err(format!("`{}` is not there to remove", change.path));
                }
            }
        }
    }
    Ok(())
}

/// `value` without the empty lists that are members of an object, at any depth.
fn without_empty_lists(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(_, child)| !matches!(child, Value::Array(items) if items.is_empty()))
                .map(|(key, child)| (key, without_empty_lists(child)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_empty_lists).collect()),
        other => other,
    }
}

fn step_strategy() -> BoxedStrategy<Json> {
    (
        proptest::sample::select(vec!["a", "b", "c", "d", "x", "lookup"]),
        proptest::option::of(Just(true)),
        proptest::option::of("[a-z]{1,4}"),
    )
        .prop_map(|(key, proceed, generate)| {
            let mut step = step(key);
            if let Some(proceed) = proceed {
                step["proceedOnFailure"] = json!(proceed);
            }
            if let Some(generate) = generate {
                step["responseMapping"] =
                    json!({"fields": [{"extract": "id", "generate": generate}]});
            }
            step
        })
        .boxed()
}

fn branch_strategy() -> BoxedStrategy<Json> {
    (
        proptest::sample::select(vec!["US", "EU", "CA", ""]),
        proptest::collection::vec(step_strategy(), 0..4),
    )
        .prop_map(|(name, steps)| json!({"name": name, "pageProcessors": steps}))
        .boxed()
}

fn flow_strategy() -> BoxedStrategy<Json> {
    (
        proptest::collection::vec(proptest::sample::select(vec!["orders", "returns"]), 1..3),
        proptest::collection::vec(step_strategy(), 0..6),
        proptest::collection::vec(
            (proptest::sample::select(vec!["r1", "r2", "r3"]), proptest::collection::vec(branch_strategy(), 1..3)),
            0..3,
        ),
        proptest::collection::vec(proptest::sample::select(vec!["p", "q", "r"]), 0..4),
    )
        .prop_map(|(sources, steps, routers, tags)| {
            let mut seen = std::collections::BTreeSet::new();
            let routers: Vec<Json> = routers
                .into_iter()
                .filter(|(id, _)| seen.insert(*id))
                .map(|(id, branches)| json!({"id": id, "branches": branches}))
                .collect();
            let mut body = json!({"name": "Random", "_integrationId": "${integration.shop}", "disabled": true,
                   "pageGenerators": sources.iter().map(|key| json!({"_exportId": format!("${{export.{key}}}")})).collect::<Vec<_>>(),
                   "settings": {"tags": tags}});
            if routers.is_empty() {
                body["pageProcessors"] = json!(steps);
            } else {
                body["routers"] = json!(routers);
            }
            body
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn field_changes_applied_in_order_give_the_desired_lists(before in flow_strategy(), after in flow_strategy()) {
        let mut world = World::new();
        base(&mut world);
        world.applied("flow.random", before);
        world.desire("flow.random", after.clone());
        let plan = world.plan(DiffOptions::default());
        let flow_address: Address = address("flow.random");
        let fields: Vec<FieldChange> = plan
            .changes
            .iter()
            .find(|change| change.address == flow_address)
            .map(|change| change.fields().to_vec())
            .unwrap_or_default();
        let ids = ManagedIds::from_state(&world.state);
        let live_id = &world.state.get(&flow_address).unwrap().id;
        let live = world.live();
        let mut document = normalize_live(Kind::Flow, &live.get(Kind::Flow, live_id).unwrap().document, &ids);
        apply_in_order(&mut document, &fields).map_err(TestCaseError::fail)?;
        // The service adds `[]` for lists nobody sent and drops others, so an empty list as an
        // object member means the same as none (issue 13): a branch written with
        // `pageProcessors: []` is planned without it, on both sides.
        let desired = without_empty_lists(world.spec_value(&after));
        let document = without_empty_lists(document);
        for key in ["pageGenerators", "pageProcessors", "routers", "settings"] {
            let touched = fields.iter().any(|field| field.path.first_key() == Some(key));
            if touched {
                let wanted = desired.get(&path(key));
                prop_assert_eq!(document.get(&path(key)), wanted, "`{}` after {:?}", key, fields.iter().map(|f| format!("{} {}", f.op.as_str(), f.path)).collect::<Vec<_>>());
            }
        }
        // An inserted step never shows as a shift: no element of a step list is replaced whole.
        for field in &fields {
            let whole_element = matches!(field.path.0.last(), Some(Segment::Index(_)));
            let list = field.path.without_indexes();
            let step_list = ["pageGenerators", "pageProcessors", "routers", "routers.branches", "routers.branches.pageProcessors"].contains(&list.as_str());
            prop_assert!(!(step_list && whole_element && field.op == FieldOp::Replace), "`{}` replaced whole", field.path);
        }
    }
}
