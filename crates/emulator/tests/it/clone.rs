//! Clone endpoints.

use flowform_emulator::{CloneResponse, EmulatorConfig, ResourceKind};
use serde_json::json;

use crate::support::{Client, emulator, http_connection, test_emulator, wired_flow};

#[tokio::test]
async fn flow_clone_needs_an_integration_and_a_connection_map() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let path = format!("/v1/flows/{}/clone", wired.flow);
    let no_integration = client
        .post(&path, json!({"connectionMap": {wired.connection.clone(): wired.connection.clone()}}))
        .await;
    assert_eq!(no_integration.status, 422);
    assert_eq!(no_integration.error_code(), "invalid_ref");
    assert_eq!(
        no_integration.json()["errors"][0]["message"],
        "Integration not found for the given id"
    );
    let bad_integration =
        client.post(&path, json!({"_integrationId": "5f00000000000000000000ff"})).await;
    assert_eq!(bad_integration.error_code(), "invalid_ref");
    let no_map = client.post(&path, json!({"_integrationId": wired.integration})).await;
    assert_eq!(no_map.status, 400);
    assert_eq!(no_map.error_code(), "invalid_connectionMap");
    let partial =
        client.post(&path, json!({"_integrationId": wired.integration, "connectionMap": {}})).await;
    assert_eq!(partial.error_code(), "invalid_connectionMap");
    let bad_target = client
        .post(&path, json!({"_integrationId": wired.integration, "connectionMap": {wired.connection.clone(): "5f00000000000000000000ff"}}))
        .await;
    assert_eq!(bad_target.error_code(), "invalid_ref");
    assert_eq!(handle.admin().count(ResourceKind::Flows), 1, "refused clones create nothing");
    assert_eq!(handle.admin().count(ResourceKind::Exports), 1);
}

#[tokio::test]
async fn flow_clone_copies_its_steps_with_remapped_connections_and_lineage() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let target_integration = client
        .create("integrations", json!({"name": "Staging", "flowGroupings": [{"name": "Main"}]}))
        .await;
    let grouping =
        client.get(&format!("/v1/integrations/{target_integration}")).await.json()["flowGroupings"]
            [0]["_id"]
            .clone();
    let staging_connection =
        client.create("connections", http_connection("Staging API", "pw")).await;
    let response = client
        .post(
            &format!("/v1/flows/{}/clone", wired.flow),
            json!({"_integrationId": target_integration, "_flowGroupingId": grouping,
                   "connectionMap": {wired.connection.clone(): staging_connection.clone()}}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let clone = response.json();
    assert_eq!(clone["name"], "Clone - Orders to ERP");
    assert_eq!(clone["_sourceId"], json!(wired.flow));
    assert_eq!(clone["_integrationId"], json!(target_integration));
    assert_eq!(clone["_flowGroupingId"], grouping);
    assert_eq!(clone["disabled"], true);
    let new_export =
        clone["pageGenerators"][0]["_exportId"].as_str().unwrap_or_default().to_owned();
    let new_import =
        clone["pageProcessors"][0]["_importId"].as_str().unwrap_or_default().to_owned();
    assert!(new_export != wired.export && new_import != wired.import);
    let export = client.get(&format!("/v1/exports/{new_export}")).await.json();
    assert_eq!(export["_sourceId"], json!(wired.export));
    assert_eq!(export["_connectionId"], json!(staging_connection));
    assert_eq!(export["name"], "Get orders");
    let import = client.get(&format!("/v1/imports/{new_import}")).await.json();
    assert_eq!(import["_connectionId"], json!(staging_connection));
    assert_eq!(handle.admin().count(ResourceKind::Flows), 2);
    // Self-mapping reuses the same connection.
    let same = client
        .post(
            &format!("/v1/flows/{}/clone", wired.flow),
            json!({"name": "Copy", "_integrationId": wired.integration,
            "connectionMap": {wired.connection.clone(): wired.connection.clone()}}),
        )
        .await;
    assert_eq!(same.status, 201);
    assert_eq!(same.json()["name"], "Copy");
}

#[tokio::test]
async fn manifest_shape_lists_every_created_resource() {
    let handle = emulator(EmulatorConfig {
        clone_response: CloneResponse::Manifest,
        ..EmulatorConfig::for_tests()
    })
    .await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let response = client
        .post(
            &format!("/v1/flows/{}/clone", wired.flow),
            json!({"_integrationId": wired.integration,
            "connectionMap": {wired.connection.clone(): wired.connection.clone()}}),
        )
        .await;
    assert_eq!(response.status, 201);
    let manifest = response.json();
    let models: Vec<&str> = manifest
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["model"].as_str())
        .collect();
    assert_eq!(models, vec!["Flow", "Export", "Import"]);
    assert_eq!(manifest[0]["name"], "Clone - Orders to ERP");
    let flow_id = manifest[0]["_id"].as_str().unwrap_or_default();
    assert_eq!(
        client.get(&format!("/v1/flows/{flow_id}")).await.json()["_sourceId"],
        json!(wired.flow)
    );
}

#[tokio::test]
async fn export_and_import_clones_take_an_optional_connection_map() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let plain = client.post(&format!("/v1/exports/{}/clone", wired.export), json!({})).await;
    assert_eq!(plain.status, 201);
    assert_eq!(plain.json()["name"], "Clone - Get orders");
    assert_eq!(plain.json()["_connectionId"], json!(wired.connection));
    assert_eq!(plain.json()["_sourceId"], json!(wired.export));
    let other = client.create("connections", http_connection("Other", "pw")).await;
    let mapped = client
        .post(
            &format!("/v1/imports/{}/clone", wired.import),
            json!({"name": "Copy", "connectionMap": {wired.connection.clone(): other.clone()}}),
        )
        .await;
    assert_eq!(mapped.status, 201);
    assert_eq!(mapped.json()["_connectionId"], json!(other));
    assert_eq!(
        client.post(&format!("/v1/connections/{}/clone", wired.connection), json!({})).await.status,
        404
    );
}

#[tokio::test]
async fn integration_clone_copies_flows_groupings_and_chains() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let integration_path = format!("/v1/integrations/{}", wired.integration);
    client
        .put(&integration_path, json!({"name": "Orders", "flowGroupings": [{"name": "Main"}]}))
        .await;
    let grouping = client.get(&integration_path).await.json()["flowGroupings"][0]["_id"].clone();
    let second = client
        .create("flows", json!({"name": "Second", "_integrationId": wired.integration, "_flowGroupingId": grouping, "pageGenerators": [{"_exportId": wired.export}]}))
        .await;
    let mut first = client.get(&format!("/v1/flows/{}", wired.flow)).await.json();
    first["_runNextFlowIds"] = json!([second]);
    assert_eq!(client.put(&format!("/v1/flows/{}", wired.flow), first).await.status, 200);
    let no_map = client.post(&format!("{integration_path}/clone"), json!({})).await;
    assert_eq!(no_map.error_code(), "invalid_connectionMap");
    let response = client
        .post(
            &format!("{integration_path}/clone"),
            json!({"connectionMap": {wired.connection.clone(): wired.connection.clone()}}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let clone = response.json();
    assert_eq!(clone["name"], "Clone - Orders");
    assert_eq!(clone["_sourceId"], json!(wired.integration));
    let new_grouping = clone["flowGroupings"][0]["_id"].clone();
    assert_ne!(new_grouping, grouping);
    let clone_id = clone["_id"].as_str().unwrap_or_default();
    let flows = client.get(&format!("/v1/integrations/{clone_id}/flows")).await.json();
    let flows = flows.as_array().cloned().unwrap_or_default();
    assert_eq!(flows.len(), 2);
    let cloned_second =
        flows.iter().find(|flow| flow["name"] == "Second").cloned().unwrap_or_default();
    let cloned_first =
        flows.iter().find(|flow| flow["name"] == "Orders to ERP").cloned().unwrap_or_default();
    assert_eq!(cloned_second["_flowGroupingId"], new_grouping);
    assert_eq!(cloned_first["_runNextFlowIds"], json!([cloned_second["_id"]]));
    assert_eq!(
        cloned_first["pageGenerators"][0]["_exportId"],
        cloned_second["pageGenerators"][0]["_exportId"],
        "a shared export is cloned once"
    );
    assert_eq!(handle.admin().count(ResourceKind::Exports), 2);
}
