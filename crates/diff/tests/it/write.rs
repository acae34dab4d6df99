//! The executor's helpers: request bodies and the state recorded after a write.

use flowform_diff::{WriteError, WriteOptions, create_document, record_applied, update_document};
use flowform_model::fingerprint::{secret_fingerprint, value_digest};
use flowform_model::{Address, FieldPath, Kind, ResourceState, Value};
use serde_json::json;

use crate::support::{SALT, World, address, id, path};

fn resolve_all(address: &Address) -> Option<String> {
    match (address.kind, address.key.as_str()) {
        (Kind::Integration, "usage") => Some(id(1)),
        (Kind::Export, "events") => Some(id(2)),
        (Kind::Flow, "next") => Some(id(3)),
        _ => None,
    }
}

#[test]
fn create_document_resolves_and_shapes() {
    let world = World::new();
    let flow = world.resource(
        "flow.nightly",
        json!({"name": "Nightly", "_integrationId": "${integration.usage}",
               "pageGenerators": [{"_exportId": "${export.events}"}],
               "_runNextFlowIds": ["${flow.next}", "5f00000000000000000000aa"],
               "settings": {"token": "Bearer ${secret.TOKEN}"}}),
    );
    let body = create_document(
        &flow,
        &resolve_all,
        &WriteOptions { force_disabled: Some(true), omit_breakable: true },
    )
    .unwrap();
    assert_eq!(
        body,
        json!({"name": "Nightly", "_integrationId": id(1), "pageGenerators": [{"_exportId": id(2)}],
               "_runNextFlowIds": ["5f00000000000000000000aa"],
               "settings": {"token": "Bearer canary-token-value"}, "disabled": true})
    );
    let body = create_document(&flow, &resolve_all, &WriteOptions::default()).unwrap();
    assert_eq!(body["_runNextFlowIds"], json!([id(3), "5f00000000000000000000aa"]));
    assert!(body.get("disabled").is_none(), "without force_disabled the spec decides");
}

#[test]
fn create_document_errors_name_the_place_never_the_value() {
    let world = World::new();
    let export =
        world.resource("export.x", json!({"name": "X", "_connectionId": "${connection.missing}"}));
    let error = create_document(&export, &resolve_all, &WriteOptions::default()).unwrap_err();
    let chain = format!("{error}: {}", std::error::Error::source(&error).unwrap());
    assert_eq!(
        chain,
        "cannot build the request body of `export.x`: `_connectionId` refers to `connection.missing`, which has no id in the target account"
    );
    let connection = world.resource(
        "connection.x",
        json!({"name": "X", "http": {"auth": {"token": {"token": "${secret.UNSET_TOKEN}"}}}}),
    );
    let error = create_document(&connection, &resolve_all, &WriteOptions::default()).unwrap_err();
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("UNSET_TOKEN") && source.contains("http.auth.token.token"), "{source}");
}

fn live_connection() -> Value {
    Value::from(json!({
        "_id": id(9), "createdAt": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-02T00:00:00.000Z",
        "name": "Slack", "type": "http", "offline": false, "queues": [{"name": "q", "size": 0}],
        "description": "old description",
        "settings": {"fromTheUi": true},
        "http": {"baseURI": "https://old", "mediaType": "json", "concurrencyLevel": 25,
                 "auth": {"type": "token", "token": {"token": "******"}},
                 "encrypted": "******"}
    }))
}

#[test]
fn update_document_is_live_plus_spec_minus_what_left_it() {
    let world = World::new();
    let mut slack = world.resource(
        "connection.slack",
        json!({"name": "Slack", "type": "http",
               "http": {"baseURI": "https://new", "auth": {"type": "token", "token": {"token": "${secret.SLACK_TOKEN}"}},
                        "encrypted": {"apiKey": "${secret.API_KEY}"}}}),
    );
    slack.lifecycle.ignore_changes = vec![path("http.mediaType")];
    let mut state = ResourceState { id: id(9), ..ResourceState::default() };
    for applied in ["description", "http.mediaType", "http.baseURI"] {
        state.applied_paths.insert(path(applied), "digest".into());
    }
    let body = update_document(
        &live_connection(),
        &slack,
        Some(&state),
        &resolve_all,
        &WriteOptions::default(),
    )
    .unwrap();
    assert_eq!(
        body,
        json!({
            "name": "Slack", "type": "http",
            "settings": {"fromTheUi": true},
            "http": {"baseURI": "https://new", "mediaType": "json", "concurrencyLevel": 25,
                     "auth": {"type": "token", "token": {"token": "canary-slack_token-value"}},
                     "encrypted": {"apiKey": "canary-api_key-value"}}
        })
    );
}

#[test]
fn update_document_never_sends_a_mask() {
    let world = World::new();
    let slack = world.resource(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "http": {"baseURI": "https://new"}}),
    );
    let error =
        update_document(&live_connection(), &slack, None, &resolve_all, &WriteOptions::default())
            .unwrap_err();
    assert_eq!(
        error,
        WriteError::MaskedValue {
            address: address("connection.slack"),
            path: path("http.auth.token.token")
        }
    );
    assert_eq!(
        error.to_string(),
        "`connection.slack` `http.auth.token.token` holds the masked value `******` in the live document and the spec does not set it; sending the document back would erase or overwrite the credential, so declare it in the spec as `${secret.NAME}`"
    );
    assert!(matches!(
        update_document(
            &Value::from(json!([1])),
            &slack,
            None,
            &resolve_all,
            &WriteOptions::default()
        ),
        Err(WriteError::LiveNotObject { .. })
    ));
}

#[test]
fn update_document_keeps_ignored_values_inside_lists_and_forces_disabled() {
    let world = World::new();
    let mut flow = world.resource(
        "flow.nightly",
        json!({"name": "Nightly", "pageProcessors": [{"type": "import", "hooks": {"postResponseMap": {"function": "spec"}}}]}),
    );
    flow.lifecycle.ignore_changes = vec![path("pageProcessors[0].hooks")];
    let live = Value::from(
        json!({"_id": id(5), "name": "Nightly", "disabled": false, "lastExecutedAt": "x",
                      "pageProcessors": [{"type": "import", "hooks": {"postResponseMap": {"function": "ui"}}}]}),
    );
    let body = update_document(
        &live,
        &flow,
        None,
        &resolve_all,
        &WriteOptions { force_disabled: Some(true), omit_breakable: false },
    )
    .unwrap();
    assert_eq!(
        body,
        json!({"name": "Nightly", "disabled": true, "pageProcessors": [{"type": "import", "hooks": {"postResponseMap": {"function": "ui"}}}]})
    );
}

#[test]
fn record_applied_keeps_digests_and_fingerprints_never_values() {
    let world = World::new();
    let mut slack = world.resource(
        "connection.slack",
        json!({"name": "Slack", "type": "http", "description": "d",
               "http": {"auth": {"token": {"token": "${secret.SLACK_TOKEN}"}}, "auth2": {"password": "plain-but-masked"}}}),
    );
    slack.lifecycle.ignore_changes = vec![path("description")];
    slack.lifecycle.prevent_destroy = true;
    let response = json!({"_id": id(9), "lastModified": "2026-01-03T00:00:00.000Z", "name": "Slack", "type": "http",
                          "http": {"auth": {"token": {"token": "******"}}, "auth2": {"password": "******"}}});
    let mut previous = ResourceState { id: id(9), ..ResourceState::default() };
    previous.applied_paths.insert(path("description"), "old-digest".into());
    previous.applied_paths.insert(path("gone"), "gone-digest".into());
    let recorded =
        record_applied(&slack, SALT, &id(9), &Value::from(response.clone()), Some(&previous));
    let applied: Vec<String> = recorded.applied_paths.keys().map(FieldPath::to_string).collect();
    assert_eq!(
        applied,
        ["description", "http.auth.token.token", "http.auth2.password", "name", "type"]
    );
    assert_eq!(recorded.applied_paths[&path("description")], "old-digest");
    assert_eq!(
        recorded.applied_paths[&path("name")],
        value_digest(SALT, &Value::String("Slack".into()))
    );
    assert_eq!(
        recorded.secret_fingerprints[&path("http.auth.token.token")],
        secret_fingerprint(SALT, "canary-slack_token-value")
    );
    assert_eq!(
        recorded.secret_fingerprints[&path("http.auth2.password")],
        secret_fingerprint(SALT, "plain-but-masked")
    );
    assert_eq!(recorded.last_modified.as_deref(), Some("2026-01-03T00:00:00.000Z"));
    assert!(recorded.prevent_destroy);
    assert!(recorded.digest.starts_with("sha256:"));
    let debug = format!("{recorded:?}");
    assert!(!debug.contains("canary") && !debug.contains("plain-but-masked"));
}

#[test]
fn record_applied_skips_back_references_left_out_to_break_a_cycle() {
    let world = World::new();
    let flow = world.resource("flow.a", json!({"name": "A", "_runNextFlowIds": ["${flow.next}"]}));
    let created = json!({"_id": id(4), "name": "A"});
    let recorded = record_applied(&flow, SALT, &id(4), &Value::from(created.clone()), None);
    assert!(!recorded.applied_paths.contains_key(&path("_runNextFlowIds")));
    let updated = json!({"_id": id(4), "name": "A", "_runNextFlowIds": [id(3)]});
    let recorded =
        record_applied(&flow, SALT, &id(4), &Value::from(updated.clone()), Some(&recorded));
    assert!(recorded.applied_paths.contains_key(&path("_runNextFlowIds")));
}

#[test]
fn record_applied_skips_a_forced_disabled() {
    let world = World::new();
    let flow = world.resource("flow.a", json!({"name": "A"}));
    // Created disabled although the spec wants it enabled: not recorded, so not drift later.
    let created = json!({"_id": id(4), "name": "A", "disabled": true});
    let recorded = record_applied(&flow, SALT, &id(4), &Value::from(created.clone()), None);
    assert!(!recorded.applied_paths.contains_key(&path("disabled")));
    let enabled = json!({"_id": id(4), "name": "A", "disabled": false});
    let recorded =
        record_applied(&flow, SALT, &id(4), &Value::from(enabled.clone()), Some(&recorded));
    assert!(recorded.applied_paths.contains_key(&path("disabled")));
    // An update written forced disabled drops the earlier entry too.
    let recorded =
        record_applied(&flow, SALT, &id(4), &Value::from(created.clone()), Some(&recorded));
    assert!(!recorded.applied_paths.contains_key(&path("disabled")));
}
