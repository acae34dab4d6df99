//! Property tests: whatever the spec, applying it through the write helpers against the simulated
//! server (server-owned fields, defaults inside lists, masks at write-only paths, dropped nulls)
//! and recording state with `record_applied` leaves a plan with nothing to do; an edit changes
//! exactly the edited path.

use flowform_diff::{DiffOptions, ManagedIds, normalize_live};
use flowform_model::{ActionKind, Address, FieldPath, Kind, Value};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

use crate::support::World;

const KEYS: [&str; 6] = ["alpha", "beta", "gamma", "delta", "x_1", "with space"];

/// Leaves of random configuration: scalars, multi-line text, references, secrets, nulls.
fn leaf(refs: &'static [&'static str]) -> BoxedStrategy<Json> {
    let mut options: Vec<BoxedStrategy<Json>> = vec![
        any::<bool>().prop_map(Json::from).boxed(),
        (-1000i64..1000).prop_map(Json::from).boxed(),
        (-1000.0f64..1000.0).prop_map(|number| json!((number * 8.0).round() / 8.0)).boxed(),
        "[a-z ]{0,12}".prop_map(Json::from).boxed(),
        "[a-z{}]{1,8}(\n[a-z ]{0,10}){1,4}".prop_map(Json::from).boxed(),
        Just(Json::Null).boxed(),
        prop_oneof![Just("${secret.ALPHA}"), Just("Bearer ${secret.BETA}")]
            .prop_map(Json::from)
            .boxed(),
    ];
    if !refs.is_empty() {
        options.push(proptest::sample::select(refs.to_vec()).prop_map(Json::from).boxed());
    }
    proptest::strategy::Union::new(options).boxed()
}

/// References a resource created after the integration and the connection may hold.
const ALL_REFS: &[&str] = &["${integration.i}", "${connection.c}", "${script.s}"];

/// Random nested configuration: objects, arrays of objects and scalars.
fn tree(refs: &'static [&'static str]) -> BoxedStrategy<Json> {
    leaf(refs)
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::btree_map(
                    proptest::sample::select(KEYS.to_vec()),
                    inner.clone(),
                    0..4
                )
                .prop_map(|map| Json::Object(
                    map.into_iter().map(|(key, value)| (key.to_owned(), value)).collect()
                )),
                proptest::collection::vec(inner, 0..4).prop_map(Json::Array),
            ]
        })
        .boxed()
}

fn settings(refs: &'static [&'static str]) -> BoxedStrategy<Json> {
    proptest::collection::btree_map(proptest::sample::select(KEYS.to_vec()), tree(refs), 0..4)
        .prop_map(|map| {
            Json::Object(map.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
        })
        .boxed()
}

fn text() -> BoxedStrategy<Json> {
    "[A-Za-z][A-Za-z ]{0,10}".prop_map(Json::from).boxed()
}

fn secret_or_text() -> BoxedStrategy<Json> {
    prop_oneof![Just(json!("${secret.TOKEN}")), Just(json!("plain-canary-secret")), text()].boxed()
}

/// Mapping rows with unique `generate` values.
fn rows() -> BoxedStrategy<Json> {
    proptest::collection::btree_map(
        "[a-z]{1,6}",
        ("[a-z.]{1,8}", proptest::option::of(Just("string"))),
        0..5,
    )
    .prop_map(|rows| {
        Json::Array(
            rows.into_iter()
                .map(|(generate, (extract, data_type))| {
                    let mut row = json!({"extract": extract, "generate": generate});
                    if let Some(data_type) = data_type {
                        row["dataType"] = json!(data_type);
                    }
                    row
                })
                .collect(),
        )
    })
    .boxed()
}

/// One spec of the six kinds, wired together, with random bodies.
#[derive(Debug, Clone)]
struct Spec {
    resources: Vec<(&'static str, Json)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let integration = (text(), settings(&[])).prop_map(
        |(name, settings)| json!({"name": name, "description": "d", "settings": settings}),
    );
    let connection = (
        text(),
        secret_or_text(),
        proptest::option::of(Just(json!({"apiKey": "${secret.API_KEY}"}))),
        proptest::option::of(secret_or_text()),
        settings(&["${integration.i}"]),
    )
        .prop_map(|(base, token, encrypted, header, settings)| {
            let mut http = json!({"baseURI": format!("https://{}", base.as_str().unwrap_or("x")), "mediaType": "json",
                                  "auth": {"type": "token", "token": {"token": token}}});
            if let Some(encrypted) = encrypted {
                http["encrypted"] = encrypted;
            }
            if let Some(header) = header {
                http["headers"] = json!([{"name": "x-key", "value": header}, {"name": "accept", "value": "json"}]);
            }
            json!({"name": "Connection", "type": "http", "http": http, "settings": settings})
        });
    let script =
        "[a-z(){};\n ]{0,120}".prop_map(|content| json!({"name": "Script", "content": content}));
    let export = (proptest::option::of("[a-z]{1,8}"), settings(ALL_REFS)).prop_map(|(function, settings)| {
        let mut body = json!({"name": "Export", "adaptorType": "HTTPExport", "_connectionId": "${connection.c}", "settings": settings});
        if let Some(function) = function {
            body["hooks"] = json!({"preSavePage": {"_scriptId": "${script.s}", "function": function}});
        }
        body
    });
    let import = (rows(), settings(ALL_REFS)).prop_map(|(rows, settings)| {
        json!({"name": "Import", "_connectionId": "${connection.c}", "mapping": {"fields": rows}, "settings": settings})
    });
    let flow = (
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(Just("? 0 2 ? * *")),
        proptest::bool::ANY,
        settings(ALL_REFS),
    )
        .prop_map(|(disabled, proceed, schedule, routed, settings)| {
            let mut processor = json!({"type": "import", "_importId": "${import.m}"});
            if let Some(proceed) = proceed {
                processor["proceedOnFailure"] = json!(proceed);
            }
            let mut body = json!({"name": "Flow", "_integrationId": "${integration.i}",
                                  "pageGenerators": [{"_exportId": "${export.e}"}], "settings": settings});
            if routed {
                body["routers"] = json!([{"id": "r1", "branches": [{"name": "all", "pageProcessors": [processor]}]}]);
            } else {
                body["pageProcessors"] = json!([processor]);
            }
            if let Some(disabled) = disabled {
                body["disabled"] = json!(disabled);
            }
            if let Some(schedule) = schedule {
                body["schedule"] = json!(schedule);
            }
            body
        });
    (integration, connection, script, export, import, flow).prop_map(
        |(integration, connection, script, export, import, flow)| Spec {
            resources: vec![
                ("integration.i", integration),
                ("connection.c", connection),
                ("script.s", script),
                ("export.e", export),
                ("import.m", import),
                ("flow.f", flow),
            ],
        },
    )
}

fn apply_all(world: &mut World, spec: &Spec) {
    for (address, body) in &spec.resources {
        world.applied(address, body.clone());
    }
}

fn assert_nothing_to_do(world: &World) -> Result<(), TestCaseError> {
    let plan = world.plan(DiffOptions::default());
    let actionable: Vec<String> = plan
        .actionable()
        .map(|change| {
            let fields: Vec<String> = change
                .fields()
                .iter()
                .map(|field| format!("{} {}", field.op.as_str(), field.path))
                .collect();
            format!("{} {}: {}", change.action.as_str(), change.address, fields.join(", "))
        })
        .collect();
    prop_assert!(actionable.is_empty(), "changes after an apply: {actionable:?}");
    prop_assert!(plan.problems.is_empty(), "problems: {:?}", plan.problems);
    prop_assert!(plan.warnings.is_empty(), "warnings: {:?}", plan.warnings);
    Ok(())
}

/// Key-only leaves of a body (arrays are leaves), as the spec declares them.
fn leaves_of(world: &World, body: &Json) -> Vec<(FieldPath, Value)> {
    world.spec_value(body).leaves().into_iter().map(|(path, value)| (path, value.clone())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 64 cases keep the suite fast; set PROPTEST_CASES for a deeper run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_fresh_apply_is_followed_by_an_empty_plan(spec in spec()) {
        let mut world = World::new();
        apply_all(&mut world, &spec);
        assert_nothing_to_do(&world)?;
    }

    #[test]
    fn an_update_converges_and_removes_what_left_the_spec(before in spec(), after in spec()) {
        let mut world = World::new();
        apply_all(&mut world, &before);
        apply_all(&mut world, &after);
        assert_nothing_to_do(&world)?;

        // Paths only the old spec held are gone from the account.
        let ids = ManagedIds::from_state(&world.state);
        let live = world.live();
        for ((address_text, old_body), (_, new_body)) in before.resources.iter().zip(&after.resources) {
            let address: Address = address_text.parse().unwrap();
            let kind = address.kind;
            let live_id = &world.state.get(&address).unwrap().id;
            let document = normalize_live(kind, &live.get(kind, live_id).unwrap().document, &ids);
            let new_leaves = leaves_of(&world, new_body);
            for (path, _) in leaves_of(&world, old_body) {
                let owned = new_leaves.iter().any(|(new_path, _)| new_path.starts_with(&path) || path.starts_with(new_path));
                if !owned {
                    prop_assert!(document.get(&path).is_none(), "`{address}` `{path}` was left behind");
                }
            }
        }
    }

    #[test]
    fn an_edit_changes_exactly_the_edited_path(spec in spec(), pick in any::<proptest::sample::Index>(), resource in 0usize..6) {
        let mut world = World::new();
        apply_all(&mut world, &spec);
        let (address_text, body) = &spec.resources[resource];
        let leaves = leaves_of(&world, body);
        prop_assume!(!leaves.is_empty());
        let (edited, _) = &leaves[pick.index(leaves.len())];
        let mut desired = world.spec_value(body);
        prop_assert!(desired.set(edited, Value::String("edited by the property test".into())));
        let Value::Object(desired_body) = desired else { unreachable!("bodies are objects") };
        let address: Address = address_text.parse().unwrap();
        world.desired.resources.get_mut(&address).unwrap().body = desired_body;

        let plan = world.plan(DiffOptions::default());
        let actionable: Vec<_> = plan.actionable().collect();
        prop_assert_eq!(actionable.len(), 1, "{:?}", actionable);
        let change = actionable[0];
        prop_assert_eq!(&change.address, &address);
        prop_assert_eq!(change.action_kind(), ActionKind::Update);
        prop_assert!(!change.fields().is_empty());
        for field in change.fields() {
            prop_assert!(field.path.starts_with(edited), "`{}` changed but `{}` was edited", field.path, edited);
            prop_assert!(!field.drift, "an edit of the spec is not drift");
        }
        let _ = Kind::ALL;
    }

    #[test]
    fn a_change_in_the_account_is_drift_at_exactly_that_path(spec in spec(), pick in any::<proptest::sample::Index>(), resource in 0usize..6) {
        let mut world = World::new();
        apply_all(&mut world, &spec);
        let (address_text, body) = &spec.resources[resource];
        let address: Address = address_text.parse().unwrap();
        // Secrets and masked fields cannot be edited visibly; every other leaf can.
        let leaves: Vec<(FieldPath, Value)> = leaves_of(&world, body)
            .into_iter()
            .filter(|(path, value)| !value.contains_secret() && !flowform_model::fields::is_write_only(address.kind, path))
            .collect();
        prop_assume!(!leaves.is_empty());
        let (edited, _) = leaves[pick.index(leaves.len())].clone();
        let live_id = world.state.get(&address).unwrap().id.clone();
        world.edit_live(&live_id, |document| {
            let mut node = document;
            for segment in edited.segments() {
                let flowform_model::Segment::Key(key) = segment else { unreachable!("leaves are key-only") };
                node = &mut node[key.as_str()];
            }
            *node = json!("edited in the UI");
        });
        let plan = world.plan(DiffOptions::default());
        let actionable: Vec<_> = plan.actionable().collect();
        prop_assert_eq!(actionable.len(), 1, "{:?}", actionable);
        let change = actionable[0];
        prop_assert_eq!(&change.address, &address);
        prop_assert!(!change.fields().is_empty());
        for field in change.fields() {
            prop_assert!(field.path.starts_with(&edited), "`{}` changed but `{}` was edited", field.path, edited);
            prop_assert!(field.drift, "`{}` changed in the account only: drift", field.path);
        }
    }
}
