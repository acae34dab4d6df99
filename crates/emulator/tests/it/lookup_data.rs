//! Lookup cache data (API reference §5.8): upsert, pages of `getData`, keys, prefixes, deletes,
//! purge, the documented limits and the size fields.

use flowform_emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::support::{Client, emulator, test_emulator};

async fn cache(client: &Client) -> String {
    client.create("lookupcaches", json!({"name": "SKUs"})).await
}

fn entries(pairs: &[(&str, Value)]) -> Value {
    Value::Array(pairs.iter().map(|(key, value)| json!({"key": key, "value": value})).collect())
}

#[tokio::test]
async fn data_is_upserted_read_deleted_and_purged() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let id = cache(&client).await;
    let data = format!("/v1/lookupcaches/{id}/data");
    let upsert = client
        .post(&data, json!({"data": entries(&[("b", json!("2")), ("a", json!({"ns": 1})), ("c", json!(null))])}))
        .await;
    assert_eq!(upsert.status, 200, "{}", upsert.text());
    assert_eq!(upsert.json()["_id"], json!(id), "the answer is the cache document");
    // `a` + `{"ns":1}`, `b` + `"2"`, `c` + `null`.
    assert_eq!(upsert.json()["size"], json!(1 + 8 + 1 + 3 + 1 + 4));
    let again = client.post(&data, json!({"data": entries(&[("b", json!("two"))])})).await;
    assert_eq!(again.status, 200);

    let page = client.post(&format!("/v1/lookupcaches/{id}/getData"), json!(null)).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.json(),
        json!({"data": entries(&[("a", json!({"ns": 1})), ("b", json!("two")), ("c", json!(null))])})
    );
    let keys = client
        .post(&format!("/v1/lookupcaches/{id}/getData"), json!({"keys": ["c", "zzz", "a"]}))
        .await;
    assert_eq!(
        keys.json(),
        json!({"data": entries(&[("c", json!(null)), ("a", json!({"ns": 1}))])})
    );

    let deleted =
        client.send(hyper::Method::DELETE, &data, Some(json!({"keys": ["a", "nothing"]}))).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(handle.admin().lookup_cache_data(&id).unwrap().len(), 2);
    let purged = client.delete(&format!("{data}/purge")).await;
    assert_eq!(purged.status, 204);
    assert_eq!(handle.admin().lookup_cache_data(&id), Some(Vec::new()));
    let metadata = client.get(&format!("/v1/lookupcaches/{id}")).await.json();
    assert_eq!((&metadata["size"], &metadata["sizeInMB"]), (&json!(0), &json!("0 MB")));
    let admin = client.get(&format!("/admin/lookupcaches/{id}/data")).await;
    assert_eq!(admin.json(), json!([]));

    // Unknown caches are 404 on every data route; bad entries are 422 and change nothing.
    let unknown = "5f00000000000000000000ff";
    assert_eq!(
        client.post(&format!("/v1/lookupcaches/{unknown}/data"), json!({"data": []})).await.status,
        404
    );
    assert_eq!(
        client.post(&format!("/v1/lookupcaches/{unknown}/getData"), json!({})).await.status,
        404
    );
    assert_eq!(client.delete(&format!("/v1/lookupcaches/{unknown}/data/purge")).await.status, 404);
    let bad = client
        .post(
            &data,
            json!({"data": [{"key": "ok", "value": 1}, {"key": "", "value": 1}, {"key": "x"}]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    let errors = bad.json()["errors"].clone();
    let fields: Vec<&Value> =
        errors.as_array().unwrap().iter().map(|error| &error["field"]).collect();
    assert_eq!(fields, [&json!("data[1].key"), &json!("data[2].value")]);
    assert_eq!(handle.admin().lookup_cache_data(&id), Some(Vec::new()), "nothing was written");
    assert_eq!(
        client.post(&data, json!({"rows": []})).await.error_code(),
        "missing_required_field"
    );
}

#[tokio::test]
async fn get_data_pages_follow_next_page_urls_and_prefixes() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    client.put("/admin/settings", json!({"lookupCacheLimits": {"keysPerPage": 2}})).await;
    let id = cache(&client).await;
    let rows: Vec<(String, Value)> = ["p-1", "p-2", "p-3", "q-1", "p-0"]
        .iter()
        .map(|key| ((*key).to_owned(), json!(key)))
        .collect();
    let rows: Vec<(&str, Value)> =
        rows.iter().map(|(key, value)| (key.as_str(), value.clone())).collect();
    client.post(&format!("/v1/lookupcaches/{id}/data"), json!({"data": entries(&rows)})).await;

    let mut keys = Vec::new();
    let mut next = Some(format!("/v1/lookupcaches/{id}/getData"));
    let mut pages = 0;
    while let Some(url) = next {
        let page = client.post(&url, json!(null)).await.json();
        keys.extend(page["data"].as_array().unwrap().iter().map(|entry| entry["key"].clone()));
        next = page["nextPageURL"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(keys, [json!("p-0"), json!("p-1"), json!("p-2"), json!("p-3"), json!("q-1")]);
    assert_eq!(pages, 3);

    let prefixed = client
        .post(&format!("/v1/lookupcaches/{id}/getData"), json!({"startsWith": "p-"}))
        .await
        .json();
    assert_eq!(prefixed["data"], entries(&[("p-0", json!("p-0")), ("p-1", json!("p-1"))]));
    let next = prefixed["nextPageURL"].as_str().expect("more p- keys");
    assert!(next.ends_with("getData?startAfterKey=p-1"), "{next}");
    let rest = client.post(next, json!({"startsWith": "p-"})).await.json();
    assert_eq!(rest, json!({"data": entries(&[("p-2", json!("p-2")), ("p-3", json!("p-3"))])}));
    let after = client
        .post(&format!("/v1/lookupcaches/{id}/getdata?startAfterKey=p-3"), json!({}))
        .await
        .json();
    assert_eq!(after, json!({"data": entries(&[("q-1", json!("q-1"))])}));
    let both = client
        .post(&format!("/v1/lookupcaches/{id}/getData"), json!({"keys": ["a"], "startsWith": "a"}))
        .await;
    assert_eq!((both.status, both.error_code()), (400, "invalid_body".to_owned()));
}

#[tokio::test]
async fn calls_over_the_documented_limits_are_refused_and_change_nothing() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let client = Client::sandbox(&handle);
    let id = cache(&client).await;
    let data = format!("/v1/lookupcaches/{id}/data");
    // The documented 1,000 entries per call.
    let many: Vec<Value> =
        (0..1001).map(|index| json!({"key": format!("k{index}"), "value": index})).collect();
    let refused = client.post(&data, json!({"data": many.clone()})).await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (422, "limit_exceeded".to_owned()),
        "{}",
        refused.text()
    );
    assert_eq!(client.post(&data, json!({"data": many[..1000].to_vec()})).await.status, 200);
    let deletes: Vec<String> = (0..1001).map(|index| format!("k{index}")).collect();
    let refused = client.send(hyper::Method::DELETE, &data, Some(json!({"keys": deletes}))).await;
    assert_eq!(refused.error_code(), "limit_exceeded");
    assert_eq!(handle.admin().lookup_cache_data(&id).unwrap().len(), 1000);
    client.delete(&format!("{data}/purge")).await;

    // The byte limits, lowered so the test stays small: per call, per cache, per account.
    let limits = json!({"lookupCacheLimits": {"bytesPerCall": 200, "bytesPerCache": 300, "bytesPerAccount": 400}});
    assert_eq!(
        client.put("/admin/settings", limits).await.json()["lookupCacheLimits"]["bytesPerCache"],
        json!(300)
    );
    let big = "x".repeat(150);
    let refused = client
        .post(&data, json!({"data": [{"key": "a", "value": big}, {"key": "b", "value": "y"}]}))
        .await;
    assert_eq!(refused.error_code(), "limit_exceeded", "over 200 bytes in one call");
    let chunk = "x".repeat(100);
    for key in ["a", "b"] {
        assert_eq!(
            client.post(&data, json!({"data": [{"key": key, "value": chunk}]})).await.status,
            200
        );
    }
    let refused = client.post(&data, json!({"data": [{"key": "c", "value": chunk}]})).await;
    assert_eq!(refused.error_code(), "limit_exceeded", "over 300 bytes in the cache");
    assert!(refused.text().contains("300"), "{}", refused.text());
    // Replacing a value counts its new size only.
    assert_eq!(
        client.post(&data, json!({"data": [{"key": "a", "value": "small"}]})).await.status,
        200
    );
    let other = cache(&client).await;
    let other_data = format!("/v1/lookupcaches/{other}/data");
    for key in ["a", "b"] {
        assert_eq!(
            client.post(&other_data, json!({"data": [{"key": key, "value": chunk}]})).await.status,
            200
        );
    }
    let refused =
        client.post(&other_data, json!({"data": [{"key": "c", "value": "z".repeat(90)}]})).await;
    assert_eq!(refused.error_code(), "limit_exceeded", "over 400 bytes in the account");
    assert_eq!(handle.admin().lookup_cache_data(&other).unwrap().len(), 2);
    // A page stops at its byte limit but always carries one entry.
    client.put("/admin/settings", json!({"lookupCacheLimits": {"bytesPerPage": 50}})).await;
    let page = client.post(&format!("/v1/lookupcaches/{other}/getData"), json!(null)).await.json();
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1), "{page}");
    assert!(page["nextPageURL"].is_string());
    let keys = client
        .post(&format!("/v1/lookupcaches/{other}/getData"), json!({"keys": ["a", "b"]}))
        .await;
    assert_eq!(keys.error_code(), "limit_exceeded", "a keys answer over the page limit");
}

#[tokio::test]
async fn data_survives_a_restart_and_goes_with_a_purged_cache() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("data.json");
    let config = || EmulatorConfig { data_file: Some(path.clone()), ..EmulatorConfig::for_tests() };
    let handle = emulator(config()).await;
    let client = Client::sandbox(&handle);
    let id = cache(&client).await;
    client
        .post(
            &format!("/v1/lookupcaches/{id}/data"),
            json!({"data": entries(&[("k", json!("v"))])}),
        )
        .await;
    handle.shutdown().await;
    let handle = emulator(config()).await;
    let client = Client::sandbox(&handle);
    assert_eq!(
        handle.admin().lookup_cache_data(&id),
        Some(vec![json!({"key": "k", "value": "v"})])
    );
    assert_eq!(client.get(&format!("/v1/lookupcaches/{id}")).await.json()["size"], json!(4));
    // Deleted, the cache keeps its data in the bin; purged, the data goes.
    assert_eq!(client.delete(&format!("/v1/lookupcaches/{id}")).await.status, 204);
    assert_eq!(client.post(&format!("/v1/lookupcaches/{id}/getData"), json!({})).await.status, 404);
    assert_eq!(
        client.post(&format!("/v1/recycleBinTTL/lookupcaches/{id}"), json!({})).await.status,
        204
    );
    assert_eq!(handle.admin().lookup_cache_data(&id).map(|data| data.len()), Some(1));
    client.delete(&format!("/v1/lookupcaches/{id}")).await;
    assert_eq!(client.delete(&format!("/v1/recycleBinTTL/lookupcaches/{id}")).await.status, 204);
    let restored = client.post(&format!("/v1/recycleBinTTL/lookupcaches/{id}"), json!({})).await;
    assert_eq!(restored.status, 404);
}
