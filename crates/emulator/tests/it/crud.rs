//! Create, read, replace, patch and delete.

use hyper::Method;
use serde_json::{Value, json};

use crate::support::{Client, test_emulator, wired_flow};

fn is_timestamp(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    // 2024-05-01T12:34:56.789Z
    text.len() == 24
        && text.ends_with('Z')
        && text.as_bytes()[10] == b'T'
        && text.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn create_returns_201_with_id_and_timestamps_for_every_kind() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let script = client
        .post("/v1/scripts", json!({"name": "transform", "content": "function t(o){return o}"}))
        .await;
    assert_eq!(script.status, 201);
    for (collection, id) in [
        ("integrations", wired.integration),
        ("connections", wired.connection),
        ("exports", wired.export),
        ("imports", wired.import),
        ("flows", wired.flow),
        ("scripts", script.id()),
    ] {
        let document = client.get(&format!("/v1/{collection}/{id}")).await;
        assert_eq!(document.status, 200, "{collection}");
        let body = document.json();
        assert_eq!(body["_id"], json!(id));
        assert!(
            id.len() == 24 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{id}"
        );
        assert!(is_timestamp(&body["createdAt"]) && is_timestamp(&body["lastModified"]), "{body}");
    }
}

#[tokio::test]
async fn create_strips_server_owned_fields_and_fills_defaults() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let response = client
        .post(
            "/v1/integrations",
            json!({"_id": "5f0000000000000000000001", "name": "I", "createdAt": "2000-01-01T00:00:00.000Z",
                   "_sourceId": "5f0000000000000000000002", "flowGroupings": [{"name": "Nightly"}], "settings": {"a": null}}),
        )
        .await;
    assert_eq!(response.status, 201);
    let body = response.json();
    assert_ne!(body["_id"], json!("5f0000000000000000000001"));
    assert_ne!(body["createdAt"], json!("2000-01-01T00:00:00.000Z"));
    assert!(body.get("_sourceId").is_none() && body.get("settings").is_none(), "{body}");
    assert_eq!(body["flowGroupings"][0]["_id"].as_str().map(str::len), Some(24));
    let connection = client.create("connections", crate::support::http_connection("c", "p")).await;
    let export = client
        .post("/v1/exports", json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": connection, "apiIdentifier": "mine"}))
        .await
        .json();
    let identifier = export["apiIdentifier"].as_str().unwrap_or_default();
    // `e` + 9 hex digits, as all 52 identifiers of the public documents
    // (service-behaviours.md §1).
    assert!(
        identifier.starts_with('e') && identifier.len() == 10 && identifier != "mine",
        "{identifier}"
    );
    let flow = client.post("/v1/flows", json!({"name": "f"})).await.json();
    assert_eq!(flow["disabled"], json!(false));
}

#[tokio::test]
async fn put_is_a_full_replace_that_drops_nulls_and_keeps_server_fields() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let path = format!("/v1/exports/{}", wired.export);
    let before = client.get(&path).await.json();
    let mut sent = before.clone();
    sent["name"] = json!("Get all orders");
    sent["createdAt"] = json!("1999-01-01T00:00:00.000Z");
    sent["apiIdentifier"] = json!("ezzzzzzzzzz");
    sent["hooks"] = json!({"preSavePage": {"_scriptId": null, "function": null}});
    sent["http"] = json!({"method": "GET"});
    let response = client.put(&path, sent).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let after = response.json();
    assert_eq!(after["name"], "Get all orders");
    assert_eq!(after["http"]["method"], json!("GET"));
    assert!(after["http"].get("relativeURI").is_none(), "omitted sub-fields are erased: {after}");
    assert!(after.get("hooks").is_none(), "null sub-objects are dropped: {after}");
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert_eq!(after["apiIdentifier"], before["apiIdentifier"]);
    assert!(after["lastModified"].as_str() > before["lastModified"].as_str());
    assert_eq!(client.get(&path).await.json(), after);
}

#[tokio::test]
async fn every_write_moves_last_modified_forward() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let id = client.create("integrations", json!({"name": "I"})).await;
    let path = format!("/v1/integrations/{id}");
    let mut previous = client.get(&path).await.json()["lastModified"].clone();
    for round in 0..5 {
        client.put(&path, json!({"name": format!("I{round}")})).await;
        let current = client.get(&path).await.json()["lastModified"].clone();
        assert!(current.as_str() > previous.as_str(), "{current} after {previous}");
        previous = current;
    }
}

#[tokio::test]
async fn patch_applies_whitelisted_paths_and_answers_204() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let path = format!("/v1/flows/{}", wired.flow);
    let before = client.get(&path).await.json();
    let response = client
        .patch(
            &path,
            json!([{"op": "replace", "path": "/name", "value": "Renamed"},
                   {"op": "replace", "path": "/schedule", "value": "? 0 2 ? * *"},
                   {"op": "replace", "path": "/pageGenerators/0/skipRetries", "value": true},
                   {"op": "replace", "path": "/disabled", "value": true}]),
        )
        .await;
    assert_eq!(response.status, 204, "{}", response.text());
    assert!(response.body.is_empty());
    let after = client.get(&path).await.json();
    assert_eq!(after["name"], "Renamed");
    assert_eq!(after["schedule"], "? 0 2 ? * *");
    assert_eq!(after["pageGenerators"][0]["skipRetries"], true);
    assert_eq!(after["disabled"], true);
    assert!(after["lastModified"].as_str() > before["lastModified"].as_str());
    let removed = client.patch(&path, json!([{"op": "remove", "path": "/schedule"}])).await;
    assert_eq!(removed.status, 204);
    assert!(client.get(&path).await.json().get("schedule").is_none());
}

#[tokio::test]
async fn patch_refuses_paths_outside_the_whitelist_and_invalid_results() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let flow = format!("/v1/flows/{}", wired.flow);
    let refused = client
        .patch(
            &flow,
            json!([{"op": "replace", "path": "/_integrationId", "value": wired.integration}]),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.error_code(), "invalid_field");
    let bad_cron = client
        .patch(&flow, json!([{"op": "replace", "path": "/schedule", "value": "0 0 * * *"}]))
        .await;
    assert_eq!(bad_cron.status, 422);
    assert_eq!(bad_cron.json()["errors"][0]["message"], "Invalid cron expression");
    let connection = format!("/v1/connections/{}", wired.connection);
    assert_eq!(
        client
            .patch(&connection, json!([{"op": "replace", "path": "/name", "value": "Renamed"}]))
            .await
            .status,
        204
    );
    let secret = client
        .patch(
            &connection,
            json!([{"op": "replace", "path": "/http/auth/basic/password", "value": "x"}]),
        )
        .await;
    assert_eq!(secret.status, 422);
    let script = client.create("scripts", json!({"name": "s", "content": "x"})).await;
    let far = client
        .patch(
            &format!("/v1/scripts/{script}"),
            json!([{"op": "replace", "path": "/debugUntil", "value": "2999-01-01T00:00:00.000Z"}]),
        )
        .await;
    assert_eq!(far.status, 422);
    let not_an_array = client.patch(&flow, json!({"name": "x"})).await;
    assert_eq!(not_an_array.status, 400);
}

#[tokio::test]
async fn delete_answers_204_and_then_404() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let id = client.create("integrations", json!({"name": "I"})).await;
    let path = format!("/v1/integrations/{id}");
    let deleted = client.delete(&path).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    let gone = client.get(&path).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.error_code(), "not_found");
    assert_eq!(client.delete(&path).await.status, 404);
    assert_eq!(client.put(&path, json!({"name": "x"})).await.status, 404);
    assert_eq!(client.patch(&path, json!([])).await.status, 404);
}

#[tokio::test]
async fn unknown_ids_routes_and_methods_are_refused() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    assert_eq!(client.get("/v1/flows/5f0000000000000000000001").await.status, 404);
    assert_eq!(client.get("/v1/flows/not-an-id").await.status, 404);
    assert_eq!(client.get("/v1/widgets").await.status, 404);
    assert_eq!(client.send(Method::DELETE, "/v1/flows", None).await.status, 405);
    assert_eq!(client.get("/v1/scripts/5f0000000000000000000001/clone").await.status, 404);
}

#[tokio::test]
async fn non_json_bodies_get_415_and_malformed_json_gets_400() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let text = client
        .try_send(Method::POST, "/v1/integrations", Some("text/plain"), b"name=x".to_vec())
        .await
        .expect("answered");
    assert_eq!(text.status, 415);
    assert_eq!(text.error_code(), "unsupported_media_type");
    let missing = client
        .try_send(Method::POST, "/v1/integrations", None, b"{\"name\":\"x\"}".to_vec())
        .await
        .expect("answered");
    assert_eq!(missing.status, 415);
    let malformed = client
        .try_send(
            Method::POST,
            "/v1/integrations",
            Some("application/json"),
            b"{\"name\":".to_vec(),
        )
        .await
        .expect("answered");
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.error_code(), "invalid_json");
    let array = client.post("/v1/integrations", json!([1])).await;
    assert_eq!(array.status, 400);
    let charset = client
        .try_send(
            Method::POST,
            "/v1/integrations",
            Some("application/json; charset=utf-8"),
            b"{\"name\":\"x\"}".to_vec(),
        )
        .await
        .expect("answered");
    assert_eq!(charset.status, 201);
    assert_eq!(handle.admin().count(flowform_emulator::ResourceKind::Integrations), 1);
}
