//! Bearer authentication, tokenInfo and account isolation.

use flowform_emulator::{AccountConfig, EmulatorConfig, RateLimit};
use serde_json::json;

use crate::support::{Client, emulator, test_emulator};

#[tokio::test]
async fn missing_header_gets_unauthorized_and_bad_token_gets_bearer_failed() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    for path in ["/v1/tokenInfo", "/v1/flows", "/v1/flows/5f0000000000000000000001", "/v1/state"] {
        let anonymous = client.without_token().get(path).await;
        assert_eq!(anonymous.status, 401);
        assert_eq!(anonymous.json(), json!({"message": "Unauthorized"}));
        let wrong = client.with_token("not-a-token").get(path).await;
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.json(), json!({"message": "Bearer Authentication Failed"}));
    }
    assert_eq!(handle.admin().counters().unauthenticated, 8);
    assert_eq!(handle.admin().counters().requests_received, 0);
}

#[tokio::test]
async fn token_info_names_the_account_user() {
    let handle = test_emulator().await;
    let response = Client::sandbox(&handle).get("/v1/tokenInfo").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["scope"], "*");
    let user = body["_userId"].as_str().unwrap_or_default();
    assert_eq!(user.len(), 24);
    assert!(user.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}

#[tokio::test]
async fn each_token_has_its_own_data_and_rate_budget() {
    let config = EmulatorConfig {
        accounts: vec![
            AccountConfig::new("prod", "token-prod"),
            AccountConfig::new("dev", "token-dev"),
        ],
        rate_limit: Some(RateLimit { capacity: 3, refill_per_second: 1 }),
        ..EmulatorConfig::for_tests()
    };
    let handle = emulator(config).await;
    let prod = Client::new(&handle.url(), "token-prod");
    let dev = Client::new(&handle.url(), "token-dev");
    let id = prod.create("integrations", json!({"name": "Only in prod"})).await;
    assert_eq!(dev.get(&format!("/v1/integrations/{id}")).await.status, 404);
    assert_eq!(dev.get("/v1/integrations").await.status, 204);
    // prod used 1 request; two more fill its bucket, the next is refused while dev is untouched.
    assert_eq!(prod.get("/v1/integrations").await.status, 200);
    assert_eq!(prod.get("/v1/integrations").await.status, 200);
    assert_eq!(prod.get("/v1/integrations").await.status, 429);
    assert_eq!(prod.get("/v1/tokenInfo").await.status, 429);
    let dev_user = dev.get("/v1/tokenInfo").await;
    assert_eq!(dev_user.status, 200, "dev still has budget after 2 requests");
    assert_ne!(dev_user.json()["_userId"], json!(null));
    let dev_admin = handle.admin().for_token("token-dev").expect("dev exists");
    assert_eq!(dev_admin.account_name(), "dev");
    assert_eq!(handle.admin().counters().rate_limited, 2);
    assert_eq!(dev_admin.counters().rate_limited, 0);
}
