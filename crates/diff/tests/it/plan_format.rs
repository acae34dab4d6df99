//! `docs/plan-format.md` documents the JSON plan with an example; the example must be exactly
//! what the renderer writes for the scenario below, and must parse with the format's own types.

use flowform_diff::DiffOptions;
use flowform_diff::render::json::JsonPlan;
use flowform_diff::render::{self, JsonContext};
use serde_json::json;

use crate::support::World;

/// The scenario of the documented example: a rotated token and a moved base URI on a connection
/// a flow uses, a new flow, a script that left the spec, and a filter added in the UI to an
/// import (a field the spec does not set: the note of changes made outside flowform).
pub fn documented_scenario() -> World {
    let mut world = World::new();
    world.applied("integration.usage", json!({"name": "Usage"}));
    world.applied(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api",
               "auth": {"type": "token", "token": {"token": "${secret.SLACK_TOKEN}"}}}}),
    );
    world.applied(
        "import.slack-post",
        json!({"name": "Post to Slack", "_connectionId": "${connection.slack}"}),
    );
    world.applied(
        "script.old-transform",
        json!({"name": "old transform", "content": "function a() {}"}),
    );
    let connection = world.state.get(&"connection.slack".parse().unwrap()).unwrap().id.clone();
    world.edit_live(&connection, |document| {
        document["http"]["baseURI"] = json!("https://slack.example.com/api")
    });
    let import = world.state.get(&"import.slack-post".parse().unwrap()).unwrap().id.clone();
    world.edit_live(&import, |document| {
        document["filter"] = json!({"type": "expression",
            "expression": {"version": "1", "rules": ["notempty", ["string", ["extract", "text"]]]}})
    });
    world.secret("SLACK_TOKEN", "rotated-token-value");
    world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api",
               "auth": {"type": "token", "token": {"token": "${secret.SLACK_TOKEN}"}}}}),
    );
    world.desire(
        "flow.github-to-slack",
        json!({"name": "GitHub to Slack", "_integrationId": "${integration.usage}", "schedule": "? */5 * * * *",
               "pageProcessors": [{"type": "import", "_importId": "${import.slack-post}"}]}),
    );
    world.undesire("script.old-transform");
    world
}

fn documented_example() -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/plan-format.md");
    let text = fs_err::read_to_string(path).ok()?;
    let start = text.find("```json\n")? + "```json\n".len();
    let end = start + text[start..].find("\n```")?;
    Some(text[start..end].to_owned())
}

#[test]
fn the_documented_example_parses_and_matches_the_renderer() {
    let world = documented_scenario();
    let plan = world.plan(DiffOptions::default());
    let rendered = render::json(
        &plan,
        &JsonContext { target: "https://api.integrator.io (account 5f00c0ffee)".into() },
    );
    let example = documented_example().expect("docs/plan-format.md holds a ```json example");
    let parsed: JsonPlan = serde_json::from_str(&example).unwrap_or_else(|error| {
        panic!("the documented example does not parse as a JsonPlan ({error}); the renderer writes:\n{rendered}")
    });
    let expected: JsonPlan = serde_json::from_str(&rendered).unwrap();
    assert_eq!(
        parsed, expected,
        "docs/plan-format.md is out of date; the renderer writes:\n{rendered}"
    );
}
