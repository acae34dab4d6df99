//! Seeded fault injection: 5xx, dropped responses after committed writes, forced 429 bursts
//! and latency, configured at start and at run time.

use std::time::Duration;

use flowform_emulator::{EmulatorConfig, Faults, Forced429, Latency, ResourceKind};
use hyper::Method;
use serde_json::json;

use crate::support::{Client, emulator, test_emulator};

async fn statuses(client: &Client, count: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        statuses.push(client.get("/v1/tokenInfo").await.status);
    }
    statuses
}

fn with_faults(faults: Faults, seed: u64) -> EmulatorConfig {
    EmulatorConfig { faults, seed, ..EmulatorConfig::for_tests() }
}

#[tokio::test]
async fn server_errors_come_before_any_change() {
    let handle =
        emulator(with_faults(Faults { server_error_rate: 1.0, ..Faults::default() }, 1)).await;
    let client = Client::sandbox(&handle);
    for _ in 0..6 {
        let response = client.post("/v1/integrations", json!({"name": "I"})).await;
        assert!(matches!(response.status, 500 | 502 | 503), "{}", response.status);
        assert_eq!(response.error_code(), "internal_error");
    }
    assert_eq!(handle.admin().count(ResourceKind::Integrations), 0);
    assert_eq!(handle.admin().counters().server_errors_injected, 6);
    handle.admin().set_faults(Faults::default()).expect("valid faults");
    assert_eq!(client.post("/v1/integrations", json!({"name": "I"})).await.status, 201);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let faults = Faults { server_error_rate: 0.5, ..Faults::default() };
    let first = emulator(with_faults(faults, 42)).await;
    let second = emulator(with_faults(faults, 42)).await;
    let third = emulator(with_faults(faults, 43)).await;
    let first_statuses = statuses(&Client::sandbox(&first), 40).await;
    assert_eq!(first_statuses, statuses(&Client::sandbox(&second), 40).await);
    assert_ne!(first_statuses, statuses(&Client::sandbox(&third), 40).await);
    let failures = first_statuses.iter().filter(|status| **status >= 500).count();
    assert!((5..=35).contains(&failures), "about half fail: {first_statuses:?}");
}

#[tokio::test]
async fn dropped_writes_are_committed_but_the_client_gets_no_response() {
    let handle =
        emulator(with_faults(Faults { dropped_write_rate: 1.0, ..Faults::default() }, 7)).await;
    let client = Client::sandbox(&handle);
    let body = serde_json::to_vec(&json!({"name": "Lost response"})).unwrap_or_default();
    let result =
        client.try_send(Method::POST, "/v1/integrations", Some("application/json"), body).await;
    assert!(result.is_err(), "the connection closes without a response: {result:?}");
    let stored = handle.admin().documents(ResourceKind::Integrations);
    assert_eq!(stored.len(), 1, "the write was committed");
    assert_eq!(stored[0]["name"], "Lost response");
    // Reads are never dropped, so a client can look for what it created.
    let listed = client.get("/v1/integrations").await;
    assert_eq!(listed.json()[0]["name"], "Lost response");
    let id = stored[0]["_id"].as_str().unwrap_or_default().to_owned();
    let deleted =
        client.try_send(Method::DELETE, &format!("/v1/integrations/{id}"), None, Vec::new()).await;
    assert!(deleted.is_err());
    assert_eq!(handle.admin().count(ResourceKind::Integrations), 0);
    // A refused write commits nothing, so its response is not dropped.
    let refused = client.post("/v1/integrations", json!({})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(handle.admin().counters().responses_dropped, 2);
}

#[tokio::test]
async fn dropped_writes_follow_the_seeded_rate() {
    let handle =
        emulator(with_faults(Faults { dropped_write_rate: 0.5, ..Faults::default() }, 3)).await;
    let client = Client::sandbox(&handle);
    let mut dropped = 0;
    for index in 0..20 {
        let body = serde_json::to_vec(&json!({"name": format!("I{index}")})).unwrap_or_default();
        if client
            .try_send(Method::POST, "/v1/integrations", Some("application/json"), body)
            .await
            .is_err()
        {
            dropped += 1;
        }
    }
    assert_eq!(handle.admin().count(ResourceKind::Integrations), 20, "every write was committed");
    assert_eq!(handle.admin().counters().responses_dropped, dropped);
    assert!((2..=18).contains(&dropped), "{dropped}");
}

#[tokio::test]
async fn forced_429_bursts_are_deterministic() {
    let burst = Forced429 { every: 4, burst: 2, retry_after_seconds: 3 };
    let handle =
        emulator(with_faults(Faults { forced_429: Some(burst), ..Faults::default() }, 0)).await;
    let client = Client::sandbox(&handle);
    assert_eq!(statuses(&client, 8).await, [200, 200, 429, 429, 200, 200, 429, 429]);
    let limited = client.get("/v1/tokenInfo").await;
    assert_eq!(limited.status, 200);
    assert_eq!(client.get("/v1/tokenInfo").await.status, 200);
    let limited = client.get("/v1/tokenInfo").await;
    assert_eq!(limited.header("retry-after").as_deref(), Some("3"));
    assert_eq!(limited.error_code(), "rate_limited");
    assert_eq!(handle.admin().counters().rate_limited, 5);
}

#[tokio::test]
async fn admin_can_force_the_next_requests_to_429() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    handle.admin().force_429(2);
    assert_eq!(statuses(&client, 3).await, [429, 429, 200]);
    let admin = Client::sandbox(&handle);
    let forced = admin.post("/admin/force-429", json!({"count": 1})).await;
    assert_eq!(forced.status, 204);
    assert_eq!(statuses(&client, 2).await, [429, 200]);
}

#[tokio::test]
async fn latency_delays_responses_and_changes_at_run_time() {
    let config = EmulatorConfig {
        latency: Latency { fixed: Duration::from_secs(30), jitter: Duration::from_millis(5) },
        ..EmulatorConfig::for_tests()
    };
    let handle = emulator(config).await;
    let client = Client::sandbox(&handle);
    let slow = tokio::time::timeout(Duration::from_millis(300), client.get("/v1/tokenInfo")).await;
    assert!(slow.is_err(), "a 30 s latency outlasts a 300 ms client timeout");
    let settings = client.put("/admin/settings", json!({"latencyMs": 0, "jitterMs": 0})).await;
    assert_eq!(settings.status, 200);
    assert_eq!(settings.json()["latencyMs"], 0);
    let fast = tokio::time::timeout(Duration::from_secs(20), client.get("/v1/tokenInfo")).await;
    assert_eq!(fast.map(|response| response.status).ok(), Some(200));
}

#[tokio::test]
async fn faults_are_set_through_the_admin_http_api() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let response = client
        .put(
            "/admin/settings",
            json!({"serverErrorRate": 1.0, "forced429": null, "droppedWriteRate": 0.0}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(client.get("/v1/tokenInfo").await.status >= 500);
    assert_eq!(handle.admin().faults().server_error_rate, 1.0);
    client.put("/admin/settings", json!({"serverErrorRate": 0})).await;
    assert_eq!(client.get("/v1/tokenInfo").await.status, 200);
    let invalid = client.put("/admin/settings", json!({"serverErrorRate": 2})).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(
        client.put("/admin/settings", json!({"forced429": {"every": 0, "burst": 1}})).await.status,
        400
    );
}
