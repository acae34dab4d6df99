//! Secrets: compared by fingerprint only, `******` never a difference, `(sensitive)` everywhere.

use flowform_diff::DiffOptions;
use flowform_model::{FieldOp, UNKNOWN_FINGERPRINT};
use serde_json::json;

use crate::support::{World, address, check, path};

fn connection(world: &mut World) -> String {
    world.applied(
        "connection.slack",
        json!({"name": "Slack", "type": "http",
               "http": {"baseURI": "https://slack.com/api", "auth": {"type": "token", "token": {"token": "${secret.SLACK_TOKEN}"}}}}),
    )
}

fn redeclare(world: &mut World) {
    world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http",
               "http": {"baseURI": "https://slack.com/api", "auth": {"type": "token", "token": {"token": "${secret.SLACK_TOKEN}"}}}}),
    );
}

#[test]
fn unchanged_secret_plans_nothing() {
    let mut world = World::new();
    connection(&mut world);
    let plan = check("secret_unchanged", &world, DiffOptions::default());
    assert!(!plan.has_changes());
}

#[test]
fn rotated_secret_is_one_sensitive_update() {
    let mut world = World::new();
    connection(&mut world);
    world.secret("SLACK_TOKEN", "canary-rotated-token");
    redeclare(&mut world);
    let plan = check("secret_rotated", &world, DiffOptions::default());
    let fields = plan.changes[0].fields();
    assert_eq!(fields.len(), 1);
    assert!(fields[0].sensitive && !fields[0].drift);
    assert_eq!((fields[0].before.as_ref(), fields[0].after.as_ref()), (None, None));
}

#[test]
fn unknown_fingerprint_from_pull_plans_nothing() {
    let mut world = World::new();
    connection(&mut world);
    let entry = world.state.resources.get_mut(&address("connection.slack")).unwrap();
    entry.secret_fingerprints.insert(path("http.auth.token.token"), UNKNOWN_FINGERPRINT.to_owned());
    world.secret("SLACK_TOKEN", "canary-whatever-the-spec-says");
    redeclare(&mut world);
    assert!(!world.plan(DiffOptions::default()).has_changes());
}

#[test]
fn plain_values_at_masked_paths_compare_by_fingerprint() {
    let mut world = World::new();
    world.applied(
        "connection.ftp",
        json!({"name": "FTP", "type": "ftp", "ftp": {"hostURI": "ftp.example.com", "password": "canary-literal-password"}}),
    );
    assert!(!world.plan(DiffOptions::default()).has_changes());
    world.desire(
        "connection.ftp",
        json!({"name": "FTP", "type": "ftp", "ftp": {"hostURI": "ftp.example.com", "password": "canary-new-literal"}}),
    );
    let plan = check("masked_plain_value", &world, DiffOptions::default());
    assert!(plan.changes[0].fields()[0].sensitive);
}

#[test]
fn encrypted_object_returned_as_a_mask() {
    let mut world = World::new();
    world.applied(
        "connection.api",
        json!({"name": "API", "type": "http", "http": {"baseURI": "https://api", "encrypted": {"apiKey": "${secret.API_KEY}"}}}),
    );
    assert!(!world.plan(DiffOptions::default()).has_changes());
    world.secret("API_KEY", "canary-rotated-api-key");
    world.desire(
        "connection.api",
        json!({"name": "API", "type": "http", "http": {"baseURI": "https://api", "encrypted": {"apiKey": "${secret.API_KEY}"}}}),
    );
    let plan = check("encrypted_object_masked", &world, DiffOptions::default());
    let field = &plan.changes[0].fields()[0];
    assert_eq!(field.path, path("http.encrypted.apiKey"));
    assert_eq!(field.op, FieldOp::Replace);
    assert!(field.sensitive);
}

#[test]
fn a_secret_that_left_the_spec_is_removed_without_its_value() {
    let mut world = World::new();
    connection(&mut world);
    world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://slack.com/api", "auth": {"type": "token"}}}),
    );
    let plan = check("secret_removed", &world, DiffOptions::default());
    let field = &plan.changes[0].fields()[0];
    assert_eq!(field.op, FieldOp::Remove);
    assert!(field.sensitive && field.before.is_none());
}

#[test]
fn an_unset_secret_is_a_warning_not_a_difference() {
    let mut world = World::new();
    connection(&mut world);
    world.desire(
        "connection.slack",
        json!({"name": "Slack", "type": "http",
               "http": {"baseURI": "https://slack.com/api", "auth": {"type": "token", "token": {"token": "${secret.UNSET_TOKEN}"}}}}),
    );
    let plan = check("secret_unset", &world, DiffOptions::default());
    assert!(!plan.has_changes());
    assert_eq!(plan.warnings.len(), 1);
}

#[test]
fn secrets_inside_lists() {
    let mut world = World::new();
    let id = world.applied(
        "connection.api",
        json!({"name": "API", "type": "http", "http": {"baseURI": "https://api",
               "headers": [{"name": "x-api-key", "value": "${secret.API_KEY}"}, {"name": "accept", "value": "json"}]}}),
    );
    assert!(!world.plan(DiffOptions::default()).has_changes());
    // Someone edits the non-secret header in the UI: a sensitive change, marked drift.
    world.edit_live(&id, |document| document["http"]["headers"][1]["value"] = json!("xml"));
    let plan = check("secret_in_list_drift", &world, DiffOptions::default());
    let field = &plan.changes[0].fields()[0];
    assert!(field.sensitive && field.drift);
    assert_eq!(field.path, path("http.headers"));
}

#[test]
fn masked_live_values_the_spec_does_not_name_are_left_alone() {
    let mut world = World::new();
    let id = world
        .applied("connection.db", json!({"name": "DB", "type": "rdbms", "rdbms": {"host": "db"}}));
    world.edit_live(&id, |document| document["rdbms"]["password"] = json!("set-in-the-ui"));
    assert!(!world.plan(DiffOptions::default()).has_changes());
}
