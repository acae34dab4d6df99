//! Secrets are stored, always returned as `******`, and a mask sent back on PUT keeps or
//! overwrites the stored secret depending on the mask mode.

use flowform_emulator::{EmulatorConfig, MaskMode, ResourceKind};
use serde_json::json;

use crate::support::{Client, emulator, http_connection, test_emulator};

#[tokio::test]
async fn secrets_are_masked_in_every_response_and_stored_in_clear() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let created = client
        .post(
            "/v1/connections",
            json!({"name": "c", "type": "http", "http": {"baseURI": "https://x", "auth": {"type": "token", "token": {"token": "tok-1", "refreshToken": "ref-1"}},
                   "encrypted": {"apiKey": "k-1"}}}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.id();
    let check = |body: serde_json::Value| {
        assert_eq!(body["http"]["auth"]["token"]["token"], "******", "{body}");
        assert_eq!(body["http"]["auth"]["token"]["refreshToken"], "******");
        assert_eq!(
            body["http"]["encrypted"], "******",
            "an encrypted object comes back as a plain mask"
        );
        assert_eq!(body["http"]["baseURI"], "https://x");
    };
    check(created.json());
    check(client.get(&format!("/v1/connections/{id}")).await.json());
    check(client.get("/v1/connections").await.json()[0].clone());
    let stored = handle.admin().document(ResourceKind::Connections, &id).expect("stored");
    assert_eq!(stored["http"]["auth"]["token"]["token"], "tok-1");
    assert_eq!(stored["http"]["encrypted"], json!({"apiKey": "k-1"}));
    assert!(!created.text().contains("tok-1") && !created.text().contains("k-1"));
    // Webhook verification keys on exports are secrets too.
    let export = client.post("/v1/exports", json!({"name": "hook", "adaptorType": "WebhookExport", "webhook": {"provider": "custom", "verify": "hmac", "key": "hmac-key"}})).await;
    assert_eq!(export.json()["webhook"]["key"], "******");
}

#[tokio::test]
async fn keep_on_mask_keeps_the_stored_secret_and_omission_loses_it() {
    let handle =
        emulator(EmulatorConfig { mask_mode: MaskMode::KeepOnMask, ..EmulatorConfig::for_tests() })
            .await;
    let client = Client::sandbox(&handle);
    let id = client.create("connections", http_connection("c", "first-password")).await;
    let path = format!("/v1/connections/{id}");
    let echoed = client.get(&path).await.json();
    assert_eq!(client.put(&path, echoed).await.status, 200);
    let stored = handle.admin().document(ResourceKind::Connections, &id).expect("stored");
    assert_eq!(stored["http"]["auth"]["basic"]["password"], "first-password");
    let mut changed = client.get(&path).await.json();
    changed["http"]["auth"]["basic"]["password"] = json!("second-password");
    client.put(&path, changed).await;
    let stored = handle.admin().document(ResourceKind::Connections, &id).expect("stored");
    assert_eq!(stored["http"]["auth"]["basic"]["password"], "second-password");
    let mut omitted = client.get(&path).await.json();
    omitted["http"]["auth"]["basic"].as_object_mut().map(|basic| basic.remove("password"));
    client.put(&path, omitted).await;
    let stored = handle.admin().document(ResourceKind::Connections, &id).expect("stored");
    assert!(
        stored["http"]["auth"]["basic"].get("password").is_none(),
        "PUT is a full replace: {stored}"
    );
}

#[tokio::test]
async fn store_literal_saves_the_mask_as_the_credential() {
    let handle = emulator(EmulatorConfig {
        mask_mode: MaskMode::StoreLiteral,
        ..EmulatorConfig::for_tests()
    })
    .await;
    let client = Client::sandbox(&handle);
    let id = client.create("connections", http_connection("c", "first-password")).await;
    let path = format!("/v1/connections/{id}");
    let echoed = client.get(&path).await.json();
    assert_eq!(client.put(&path, echoed).await.status, 200);
    let stored = handle.admin().document(ResourceKind::Connections, &id).expect("stored");
    assert_eq!(stored["http"]["auth"]["basic"]["password"], "******");
}

#[tokio::test]
async fn mask_mode_can_change_at_run_time() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let id = client.create("connections", http_connection("c", "pw")).await;
    let path = format!("/v1/connections/{id}");
    handle.admin().set_mask_mode(MaskMode::StoreLiteral);
    client.put(&path, client.get(&path).await.json()).await;
    assert_eq!(
        handle.admin().document(ResourceKind::Connections, &id).expect("stored")["http"]["auth"]["basic"]
            ["password"],
        "******"
    );
}
