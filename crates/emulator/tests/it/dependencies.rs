//! Referenced resources cannot be deleted; dependencies; the recycle bin.

use serde_json::json;

use crate::support::{Client, test_emulator, wired_flow};

#[tokio::test]
async fn deleting_a_referenced_resource_is_refused_with_its_dependents() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let refused = client.delete(&format!("/v1/connections/{}", wired.connection)).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.error_code(), "resource_in_use");
    let message = refused.json()["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains(&wired.export)
            && message.contains(&wired.import)
            && message.contains("Get orders"),
        "{message}"
    );
    assert_eq!(client.delete(&format!("/v1/exports/{}", wired.export)).await.status, 422);
    assert_eq!(client.delete(&format!("/v1/integrations/{}", wired.integration)).await.status, 422);
    // Reverse dependency order succeeds.
    for path in [
        format!("/v1/flows/{}", wired.flow),
        format!("/v1/exports/{}", wired.export),
        format!("/v1/imports/{}", wired.import),
        format!("/v1/connections/{}", wired.connection),
        format!("/v1/integrations/{}", wired.integration),
    ] {
        assert_eq!(client.delete(&path).await.status, 204, "{path}");
    }
}

#[tokio::test]
async fn dependencies_lists_what_uses_a_resource() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let dependencies =
        client.get(&format!("/v1/connections/{}/dependencies", wired.connection)).await;
    assert_eq!(dependencies.status, 200);
    let body = dependencies.json();
    assert_eq!(
        body["exports"],
        json!([{"id": wired.export, "name": "Get orders", "paths": ["_connectionId"], "accessLevel": "owner"}])
    );
    assert_eq!(body["imports"][0]["id"], json!(wired.import));
    let export_dependencies =
        client.get(&format!("/v1/exports/{}/dependencies", wired.export)).await.json();
    assert_eq!(export_dependencies["flows"][0]["paths"], json!(["pageGenerators[0]._exportId"]));
    assert_eq!(
        client.get(&format!("/v1/flows/{}/dependencies", wired.flow)).await.json(),
        json!({})
    );
    // A flow that chains to itself can still be deleted.
    let path = format!("/v1/flows/{}", wired.flow);
    assert_eq!(
        client.patch(&path, json!([{"op": "replace", "path": "/name", "value": "x"}])).await.status,
        204
    );
    let mut chained = client.get(&path).await.json();
    chained["_runNextFlowIds"] = json!([wired.flow]);
    assert_eq!(client.put(&path, chained).await.status, 200);
    assert_eq!(client.get(&format!("{path}/dependencies")).await.json(), json!({}));
    assert_eq!(client.delete(&path).await.status, 204);
    assert_eq!(client.get("/v1/flows/5f0000000000000000000001/dependencies").await.status, 404);
}

#[tokio::test]
async fn deleted_resources_go_to_the_recycle_bin_and_can_be_restored() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    assert_eq!(client.get("/v1/recycleBinTTL").await.status, 204);
    let wired = wired_flow(&client).await;
    client.delete(&format!("/v1/flows/{}", wired.flow)).await;
    client.delete(&format!("/v1/exports/{}", wired.export)).await;
    let bin = client.get("/v1/recycleBinTTL").await.json();
    assert_eq!(bin.as_array().map(Vec::len), Some(2));
    assert_eq!(bin[0]["model"], "Flow");
    assert_eq!(bin[0]["doc"]["_id"], json!(wired.flow));
    assert_eq!(
        client.get("/v1/recycleBinTTL/exports").await.json()[0]["doc"]["_id"],
        json!(wired.export)
    );
    // The flow cannot come back before the export it uses.
    let early = client.post(&format!("/v1/recycleBinTTL/flows/{}", wired.flow), json!({})).await;
    assert_eq!(early.status, 422);
    assert_eq!(early.error_code(), "invalid_ref");
    assert_eq!(
        client
            .send(hyper::Method::POST, &format!("/v1/recycleBinTTL/exports/{}", wired.export), None)
            .await
            .status,
        204
    );
    assert_eq!(
        client
            .send(hyper::Method::POST, &format!("/v1/recycleBinTTL/flows/{}", wired.flow), None)
            .await
            .status,
        204
    );
    assert_eq!(client.get(&format!("/v1/flows/{}", wired.flow)).await.status, 200);
    client.delete(&format!("/v1/flows/{}", wired.flow)).await;
    assert_eq!(client.delete(&format!("/v1/recycleBinTTL/flows/{}", wired.flow)).await.status, 204);
    assert_eq!(client.get("/v1/recycleBinTTL").await.status, 204);
}
