//! The per-account leaky bucket.

use flowform_emulator::{EmulatorConfig, RateLimit};
use serde_json::json;

use crate::support::{Client, emulator};

#[tokio::test]
async fn an_empty_bucket_answers_429_with_retry_after_and_the_envelope() {
    let config = EmulatorConfig {
        rate_limit: Some(RateLimit { capacity: 5, refill_per_second: 1 }),
        ..EmulatorConfig::for_tests()
    };
    let handle = emulator(config).await;
    let client = Client::sandbox(&handle);
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(client.get("/v1/integrations").await.status);
        }
        statuses
    };
    assert!(statuses.iter().all(|status| *status == 204), "{statuses:?}");
    let limited = client.get("/v1/integrations").await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after").as_deref(), Some("1"));
    assert_eq!(
        limited.json(),
        json!({"errors": [{"code": "rate_limited", "message": "Too many requests. Retry after 1 seconds."}]})
    );
    let counters = handle.admin().counters();
    assert_eq!((counters.requests_received, counters.rate_limited), (6, 1));
    assert_eq!(counters.route("GET", "/v1/integrations"), 6);
}

#[tokio::test]
async fn the_default_limit_allows_a_burst_of_1000() {
    let handle = emulator(EmulatorConfig { admin: true, ..EmulatorConfig::default() }).await;
    let client = Client::sandbox(&handle);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut limited = 0;
            for _ in 0..250 {
                if client.get("/v1/tokenInfo").await.status == 429 {
                    limited += 1;
                }
            }
            limited
        }));
    }
    let mut limited = 0;
    for task in tasks {
        limited += task.await.unwrap_or(1);
    }
    assert_eq!(limited, 0, "1000 requests fit in the bucket");
}

#[tokio::test]
async fn the_limit_changes_at_run_time() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let client = Client::sandbox(&handle);
    handle.admin().set_rate_limit(Some(RateLimit { capacity: 1, refill_per_second: 1 }));
    assert_eq!(client.get("/v1/tokenInfo").await.status, 200);
    assert_eq!(client.get("/v1/tokenInfo").await.status, 429);
    handle.admin().set_rate_limit(None);
    assert_eq!(client.get("/v1/tokenInfo").await.status, 200);
}
