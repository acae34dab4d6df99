//! The State API and its uneven status codes and text bodies.

use serde_json::json;

use crate::support::{Client, test_emulator, wired_flow};

#[tokio::test]
async fn global_keys_follow_the_documented_codes() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let empty = client.get("/v1/state").await;
    assert_eq!(empty.status, 204);
    let put = client.put("/v1/state/apple", json!({"lock": {"holder": "ci", "until": 5}})).await;
    assert_eq!((put.status, put.text()), (200, "OK".to_owned()));
    assert!(put.header("content-type").unwrap_or_default().starts_with("text/plain"));
    client.put("/v1/state/banana", json!([1, 2])).await;
    assert_eq!(client.get("/v1/state").await.json(), json!({"keys": ["apple", "banana"]}));
    assert_eq!(
        client.get("/v1/state/apple").await.json(),
        json!({"lock": {"holder": "ci", "until": 5}})
    );
    assert_eq!(handle.admin().state_value("banana"), Some(json!([1, 2])));
    let deleted = client.delete("/v1/state/apple").await;
    assert_eq!(deleted.status, 204);
    assert_eq!(client.get("/v1/state/apple").await.status, 404);
    assert_eq!(client.delete("/v1/state/apple").await.status, 404);
    assert_eq!(client.delete("/v1/state").await.status, 204);
    assert_eq!(client.get("/v1/state").await.status, 204);
}

#[tokio::test]
async fn resource_scoped_keys_answer_created_then_ok_and_never_list_globally() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let base = format!("/v1/imports/{}/state", wired.import);
    assert_eq!(client.get(&base).await.json(), json!({"keys": []}));
    let first = client.put(&format!("{base}/cursor"), json!("a")).await;
    assert_eq!((first.status, first.text()), (200, "Created".to_owned()));
    let second = client.put(&format!("{base}/cursor"), json!("b")).await;
    assert_eq!((second.status, second.text()), (200, "OK".to_owned()));
    assert_eq!(client.get(&format!("{base}/cursor")).await.json(), json!("b"));
    assert_eq!(client.get(&base).await.json(), json!({"keys": ["cursor"]}));
    assert_eq!(client.get("/v1/state").await.status, 204, "scoped keys are not global");
    assert_eq!(client.delete(&format!("{base}/cursor")).await.status, 200);
    client.put(&format!("{base}/other"), json!(1)).await;
    assert_eq!(client.delete(&base).await.status, 200);
    assert_eq!(client.get(&format!("{base}/other")).await.status, 404);
    assert_eq!(client.get("/v1/imports/5f00000000000000000000ff/state").await.status, 404);
}
