//! The canary: secret values never reach any rendering, `Debug` output or error of the plan,
//! whatever happens to them (create, rotation, adoption, removal, masks, lists, long strings).

use flowform_diff::render::{self, HumanOptions, JsonContext, MarkdownOptions};
use flowform_diff::{DiffOptions, WriteOptions, update_document};
use flowform_model::Kind;
use serde_json::json;

use crate::support::{World, address, assert_no_secret, render_all};

const CANARIES: [&str; 4] = [
    "canary-token-one",
    "canary-header-two",
    "canary-multi\nline-three",
    "canary-in-a-long-string-four",
];

#[test]
fn secret_values_never_reach_any_output() {
    let mut world = World::new();
    world.secret("TOKEN", CANARIES[0]).secret("HEADER", CANARIES[1]).secret("KEY", CANARIES[2]);
    world.secret("LONG", CANARIES[3]);
    let body = json!({"name": "API", "type": "http", "http": {
        "baseURI": "https://api",
        "auth": {"type": "token", "token": {"token": "${secret.TOKEN}"}},
        "headers": [{"name": "x-key", "value": "${secret.HEADER}"}],
        "encrypted": {"privateKey": "${secret.KEY}"},
        "body": "{\"very\": \"long template body that goes past eighty characters\", \"key\": \"${secret.LONG}\"}"
    }});
    // A create shows every secret leaf.
    world.desire("connection.api", body.clone());
    let unmanaged = world.unmanaged(
        Kind::Connection,
        json!({"name": "Other", "http": {"auth": {"token": {"token": "ui"}}}}),
    );
    let mut adopted = body.clone();
    adopted["name"] = json!("Other");
    world.desire("connection.other", adopted).lifecycle.adopt = true;
    let plan = world.plan(DiffOptions::default());
    assert!(plan.changes.iter().any(|change| change.fields().iter().any(|field| field.sensitive)));
    assert_no_secret(&world, &plan, &render_all(&plan));

    // Applied, then rotated: updates are sensitive.
    world.apply("connection.api");
    world.secret("TOKEN", "canary-token-rotated").secret("HEADER", "canary-header-rotated");
    world.secret("KEY", "canary-key-rotated").secret("LONG", "canary-long-rotated");
    world.desire("connection.api", body);
    let plan = world.plan(DiffOptions::default());
    assert_eq!(
        plan.changes
            .iter()
            .find(|change| change.address == address("connection.api"))
            .unwrap()
            .fields()
            .len(),
        4
    );
    let outputs = render_all(&plan);
    assert_no_secret(&world, &plan, &outputs);
    for canary in CANARIES {
        for text in [&outputs.human, &outputs.json, &outputs.markdown, &format!("{plan:#?}")] {
            assert!(!text.contains(canary));
        }
    }

    // Removed from the spec: the removal is sensitive too.
    world.desire(
        "connection.api",
        json!({"name": "API", "type": "http", "http": {"baseURI": "https://api"}}),
    );
    let plan = world.plan(DiffOptions::default());
    let rendered = [
        render::human(&plan, &HumanOptions { color: true }),
        render::json(&plan, &JsonContext::default()),
        render::markdown(&plan, &MarkdownOptions { max_chars: 500 }),
        format!("{plan:?}"),
    ];
    for text in rendered {
        for canary in CANARIES.iter().chain(&[
            "canary-token-rotated",
            "canary-header-rotated",
            "canary-key-rotated",
        ]) {
            assert!(!text.contains(canary));
        }
    }

    // Errors of the write helpers name paths, never values.
    let live = world.server.get(&unmanaged).unwrap();
    let other = world.desired.get(&address("connection.other")).unwrap().clone();
    let mut stripped = other.clone();
    stripped.body.shift_remove("http");
    let error = update_document(
        &flowform_model::Value::from(live),
        &stripped,
        None,
        &|_| None,
        &WriteOptions::default(),
    )
    .unwrap_err();
    let text = format!("{error} {error:?}");
    for canary in CANARIES {
        assert!(!text.contains(canary));
    }

    // A secret replaced by a plain value: the old value, still live and unmasked in a field the
    // API does not mask, is never shown.
    let mut world = World::new(); // a fresh world for this case
    world.secret("SETTING", "canary-unmasked-setting");
    world.applied("integration.i", json!({"name": "I", "settings": {"apiKey": "${secret.SETTING}", "list": ["${secret.SETTING}"]}}));
    world.desire(
        "integration.i",
        json!({"name": "I", "settings": {"apiKey": "now-public", "list": ["public"]}}),
    );
    let plan = world.plan(DiffOptions::default());
    let fields = plan.changes[0].fields();
    assert_eq!(fields.len(), 2);
    assert!(fields.iter().all(|field| field.sensitive && field.before.is_none()));
    let outputs = render_all(&plan);
    for text in [&outputs.human, &outputs.json, &outputs.markdown, &format!("{plan:?}")] {
        assert!(!text.contains("canary-unmasked-setting"));
    }
    // And removed entirely: the removal is sensitive.
    world.desire("integration.i", json!({"name": "I"}));
    let plan = world.plan(DiffOptions::default());
    assert!(plan.changes[0].fields().iter().all(|field| field.sensitive && field.before.is_none()));
    let outputs = render_all(&plan);
    for text in [&outputs.human, &outputs.json, &outputs.markdown, &format!("{plan:?}")] {
        assert!(!text.contains("canary-unmasked-setting"));
    }
}
