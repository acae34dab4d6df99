//! Flow groups (API reference §5.2): server-assigned group ids, `updateFlowGrouping`, a flow's
//! group must be one of its integration's, removed groups leave their flows ungrouped.

use serde_json::{Value, json};

use crate::support::{Client, test_emulator, wired_flow};

fn group_ids(integration: &Value) -> Vec<String> {
    integration["flowGroupings"]
        .as_array()
        .map(|groups| {
            groups.iter().map(|group| group["_id"].as_str().unwrap().to_owned()).collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_service_assigns_group_ids_and_keeps_them() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let created = client
        .post("/v1/integrations", json!({"name": "Orders", "flowGroupings": [{"name": "Inbound"}]}))
        .await;
    let id = created.id();
    let first = group_ids(&created.json());
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].len(), 24, "an ObjectId");
    // A PUT keeps the ids it sends and gives new entries one.
    let put = client
        .put(&format!("/v1/integrations/{id}"), json!({"name": "Orders", "flowGroupings": [{"_id": first[0], "name": "In"}, {"name": "Outbound"}]}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let second = group_ids(&put.json());
    assert_eq!(second[0], first[0]);
    assert_ne!(second[1], first[0]);
    // PATCH of `flowGroupings` is whitelisted and assigns ids too.
    let patched = client
        .patch(
            &format!("/v1/integrations/{id}"),
            json!([{"op": "add", "path": "/flowGroupings/-", "value": {"name": "Errors"}}]),
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text());
    let after = client.get(&format!("/v1/integrations/{id}")).await.json();
    let third = group_ids(&after);
    assert_eq!(third.len(), 3);
    assert_eq!(&third[..2], &second[..]);
    // Ids must look like ObjectIds and be unique.
    for groups in [
        json!([{"_id": "inbound", "name": "x"}]),
        json!([{"_id": first[0], "name": "a"}, {"_id": first[0], "name": "b"}]),
    ] {
        let refused = client
            .put(
                &format!("/v1/integrations/{id}"),
                json!({"name": "Orders", "flowGroupings": groups}),
            )
            .await;
        assert_eq!(
            (refused.status, refused.error_code()),
            (422, "invalid_field".to_owned()),
            "{}",
            refused.text()
        );
    }
}

#[tokio::test]
async fn a_flow_groups_only_into_its_own_integration_and_update_flow_grouping_moves_flows() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let put = client
        .put(
            &format!("/v1/integrations/{}", wired.integration),
            json!({"name": "Orders", "flowGroupings": [{"name": "Inbound"}, {"name": "Outbound"}]}),
        )
        .await;
    let groups = group_ids(&put.json());
    let other = client
        .post(
            "/v1/integrations",
            json!({"name": "Other", "flowGroupings": [{"name": "Elsewhere"}]}),
        )
        .await;
    let foreign = group_ids(&other.json())[0].clone();
    let second = client.create("flows", json!({"name": "Second", "_integrationId": wired.integration, "_flowGroupingId": groups[1]})).await;
    let refused = client
        .post("/v1/flows", json!({"name": "Third", "_integrationId": wired.integration, "_flowGroupingId": foreign}))
        .await;
    assert_eq!((refused.status, refused.error_code()), (422, "invalid_ref".to_owned()));
    assert_eq!(refused.json()["errors"][0]["field"], json!("_flowGroupingId"));

    let moved = client
        .put(
            "/v1/flows/updateFlowGrouping",
            json!({"_flowIds": [wired.flow, second], "_flowGroupingId": groups[0]}),
        )
        .await;
    assert_eq!(moved.status, 204, "{}", moved.text());
    for flow in [&wired.flow, &second] {
        assert_eq!(
            client.get(&format!("/v1/flows/{flow}")).await.json()["_flowGroupingId"],
            json!(groups[0])
        );
    }
    let ungrouped = client
        .put("/v1/flows/updateFlowGrouping", json!({"_flowIds": [second], "_flowGroupingId": null}))
        .await;
    assert_eq!(ungrouped.status, 204);
    assert!(
        client.get(&format!("/v1/flows/{second}")).await.json().get("_flowGroupingId").is_none()
    );
    // Refusals change nothing: a foreign group, an unknown flow, a missing group field.
    for body in [
        json!({"_flowIds": [wired.flow, second], "_flowGroupingId": foreign}),
        json!({"_flowIds": [wired.flow, "5f00000000000000000000ff"], "_flowGroupingId": groups[1]}),
        json!({"_flowIds": [wired.flow]}),
        json!({"_flowIds": [], "_flowGroupingId": null}),
    ] {
        let refused = client.put("/v1/flows/updateFlowGrouping", body.clone()).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text());
    }
    assert_eq!(
        client.get(&format!("/v1/flows/{}", wired.flow)).await.json()["_flowGroupingId"],
        json!(groups[0])
    );
    assert_eq!(client.get("/v1/flows/updateFlowGrouping").await.status, 405);
}

#[tokio::test]
async fn removing_a_group_leaves_its_flows_ungrouped() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let put = client
        .put(
            &format!("/v1/integrations/{}", wired.integration),
            json!({"name": "Orders", "flowGroupings": [{"name": "Inbound"}, {"name": "Outbound"}]}),
        )
        .await;
    let groups = group_ids(&put.json());
    let second = client.create("flows", json!({"name": "Second", "_integrationId": wired.integration, "_flowGroupingId": groups[1]})).await;
    client
        .put(
            "/v1/flows/updateFlowGrouping",
            json!({"_flowIds": [wired.flow], "_flowGroupingId": groups[0]}),
        )
        .await;
    // PATCH removing the first group: its flow is ungrouped, the other keeps its group.
    let patched = client
        .patch(
            &format!("/v1/integrations/{}", wired.integration),
            json!([{"op": "remove", "path": "/flowGroupings/0"}]),
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text());
    assert!(
        client
            .get(&format!("/v1/flows/{}", wired.flow))
            .await
            .json()
            .get("_flowGroupingId")
            .is_none()
    );
    assert_eq!(
        client.get(&format!("/v1/flows/{second}")).await.json()["_flowGroupingId"],
        json!(groups[1])
    );
    // A full PUT without `flowGroupings` wipes the rest (the CLI's note, §5.1).
    let put = client
        .put(&format!("/v1/integrations/{}", wired.integration), json!({"name": "Orders"}))
        .await;
    assert_eq!(put.status, 200);
    assert!(
        client.get(&format!("/v1/flows/{second}")).await.json().get("_flowGroupingId").is_none()
    );
}

#[tokio::test]
async fn a_flow_clone_can_land_in_a_group() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let put = client
        .put(
            &format!("/v1/integrations/{}", wired.integration),
            json!({"name": "Orders", "flowGroupings": [{"name": "Copies"}]}),
        )
        .await;
    let group = group_ids(&put.json())[0].clone();
    let map = json!({wired.connection.clone(): wired.connection.clone()});
    let clone = client
        .post(&format!("/v1/flows/{}/clone", wired.flow), json!({"_integrationId": wired.integration, "_flowGroupingId": group, "connectionMap": map}))
        .await;
    assert_eq!(clone.status, 201, "{}", clone.text());
    assert_eq!(clone.json()["_flowGroupingId"], json!(group));
    let refused = client
        .post(&format!("/v1/flows/{}/clone", wired.flow), json!({"_integrationId": wired.integration, "_flowGroupingId": "5f00000000000000000000ff", "connectionMap": map}))
        .await;
    assert_eq!((refused.status, refused.error_code()), (422, "invalid_ref".to_owned()));
}
