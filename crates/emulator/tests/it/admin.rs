//! The admin API (HTTP and in-process).

use flowform_emulator::{EmulatorConfig, ResourceKind};
use serde_json::{Value, json};

use crate::support::{Client, emulator, test_emulator, wired_flow};

#[tokio::test]
async fn the_admin_api_is_off_unless_enabled() {
    let handle = emulator(EmulatorConfig::default()).await;
    let client = Client::sandbox(&handle);
    assert_eq!(client.post("/admin/reset", json!({})).await.status, 404);
    assert_eq!(client.get("/admin/counters").await.status, 404);
    // The in-process controls always work.
    assert_eq!(handle.admin().count(ResourceKind::Flows), 0);
}

#[tokio::test]
async fn admin_routes_need_the_accounts_token() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    assert_eq!(client.without_token().get("/admin/counts").await.status, 401);
    assert_eq!(
        client.with_token("wrong").get("/admin/counts").await.json(),
        json!({"message": "Bearer Authentication Failed"})
    );
    assert_eq!(client.get("/admin/nothing").await.status, 404);
}

#[tokio::test]
async fn fixtures_accept_exactly_what_get_returns() {
    let source = test_emulator().await;
    let source_client = Client::sandbox(&source);
    let wired = wired_flow(&source_client).await;
    let mut fixtures = serde_json::Map::new();
    for collection in ["integrations", "connections", "exports", "imports", "flows"] {
        fixtures.insert(
            collection.to_owned(),
            source_client.get(&format!("/v1/{collection}")).await.json(),
        );
    }
    let target = test_emulator().await;
    let client = Client::sandbox(&target);
    let loaded = client.post("/admin/fixtures", Value::Object(fixtures.clone())).await;
    assert_eq!(loaded.status, 200, "{}", loaded.text());
    assert_eq!(
        loaded.json()["loaded"],
        json!({"integrations": 1, "connections": 1, "exports": 1, "imports": 1, "flows": 1})
    );
    let flow = client.get(&format!("/v1/flows/{}", wired.flow)).await.json();
    assert_eq!(
        flow,
        source_client.get(&format!("/v1/flows/{}", wired.flow)).await.json(),
        "ids and timestamps kept"
    );
    // Loaded references are indexed like created ones.
    assert_eq!(
        client.delete(&format!("/v1/exports/{}", wired.export)).await.error_code(),
        "resource_in_use"
    );
    assert_eq!(
        client.get(&format!("/v1/integrations/{}/flows", wired.integration)).await.json()[0]["_id"],
        json!(wired.flow)
    );
    let bad = client.post("/admin/fixtures", json!({"widgets": []})).await;
    assert_eq!(bad.status, 400);
    let bad_id =
        client.post("/admin/fixtures", json!({"flows": [{"_id": "XYZ", "name": "x"}]})).await;
    assert_eq!(bad_id.status, 400);
    let exported = client.get("/admin/fixtures").await.json();
    assert_eq!(exported["flows"][0]["_id"], json!(wired.flow));
    assert_eq!(
        exported["connections"][0]["http"]["auth"]["basic"]["password"], "******",
        "GET output held masks; fixtures keep them"
    );
}

#[tokio::test]
async fn reset_counts_documents_and_counters_over_http() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    client.get(&format!("/v1/flows/{}", wired.flow)).await;
    client.get(&format!("/v1/flows/{}", wired.flow)).await;
    let counts = client.get("/admin/counts").await.json();
    assert_eq!(
        counts,
        json!({"integrations": 1, "connections": 1, "exports": 1, "imports": 1, "scripts": 0, "flows": 1,
            "iclients": 0, "lookupcaches": 0, "filedefinitions": 0, "ediprofiles": 0, "asynchelpers": 0,
            "agents": 0, "stacks": 0})
    );
    let counters = client.get("/admin/counters").await.json();
    assert_eq!(counters["requestsReceived"], 7);
    let routes = counters["routes"].as_array().cloned().unwrap_or_default();
    assert!(
        routes.contains(&json!({"method": "GET", "route": "/v1/flows/{id}", "count": 2})),
        "{routes:?}"
    );
    assert!(routes.contains(&json!({"method": "POST", "route": "/v1/flows", "count": 1})));
    assert_eq!(handle.admin().counters().route("POST", "/v1/integrations"), 1);
    let documents = client.get("/admin/documents/connections").await.json();
    assert_eq!(
        documents[0]["http"]["auth"]["basic"]["password"], "s3cret",
        "admin reads are unmasked"
    );
    assert_eq!(
        client.get(&format!("/admin/documents/connections/{}", wired.connection)).await.json()["_id"],
        json!(wired.connection)
    );
    assert_eq!(client.delete("/admin/counters").await.status, 204);
    assert_eq!(handle.admin().counters().requests_received, 0);
    assert_eq!(client.post("/admin/reset", json!({})).await.status, 204);
    assert_eq!(handle.admin().counts().values().sum::<usize>(), 0);
    assert_eq!(client.get("/v1/flows").await.status, 204);
}

#[tokio::test]
async fn out_of_band_edits_bump_last_modified_like_a_ui_edit() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let path = format!("/v1/flows/{}", wired.flow);
    let before = client.get(&path).await.json();
    let edited = client
        .patch(
            &format!("/admin/documents/flows/{}", wired.flow),
            json!({"description": "edited in the UI", "disabled": null}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    let after = client.get(&path).await.json();
    assert_eq!(after["description"], "edited in the UI");
    assert!(after.get("disabled").is_none());
    assert!(after["lastModified"].as_str() > before["lastModified"].as_str());
    let in_process = handle
        .admin()
        .edit(ResourceKind::Flows, &wired.flow, &json!({"name": "Again"}))
        .expect("edit");
    assert!(in_process["lastModified"].as_str() > after["lastModified"].as_str());
    assert!(
        handle.admin().edit(ResourceKind::Flows, "5f00000000000000000000ff", &json!({})).is_err()
    );
    assert_eq!(
        client.patch("/admin/documents/flows/5f00000000000000000000ff", json!({})).await.status,
        404
    );
}

#[tokio::test]
async fn job_outcome_and_settings_over_http() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    assert_eq!(client.put("/admin/job-outcome", json!({"outcome": "failed"})).await.status, 204);
    assert_eq!(
        client
            .put(
                "/admin/settings",
                json!({"pageSize": 1, "cloneResponse": "manifest", "maskMode": "storeLiteral"})
            )
            .await
            .status,
        200
    );
    let job =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .clone();
    let path = format!("/v1/jobs/{}", job.as_str().unwrap_or_default());
    for _ in 0..2 {
        client.get(&path).await;
    }
    assert_eq!(client.get(&path).await.json()["status"], "failed");
    let settings = client.get("/admin/settings").await.json();
    assert_eq!(
        (settings["pageSize"].clone(), settings["cloneResponse"].clone()),
        (json!(1), json!("manifest"))
    );
    assert!(client.get("/v1/integrations").await.header("link").is_none());
    client.create("integrations", json!({"name": "second"})).await;
    assert!(client.get("/v1/integrations").await.header("link").is_some());
}
