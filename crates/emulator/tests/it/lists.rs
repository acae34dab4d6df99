//! Lists: bare arrays, Link pagination, 204 when empty, projection, sub-collections.

use flowform_emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::support::{Client, emulator, test_emulator, wired_flow};

fn next_link(link: &str) -> Option<String> {
    link.split(',').find(|part| part.contains("rel=\"next\"")).and_then(|part| {
        let start = part.find('<')? + 1;
        let end = part.find('>')?;
        Some(part[start..end].to_owned())
    })
}

/// Follows `rel="next"` links from `path` and returns every item and the number of pages.
async fn list_all(client: &Client, path: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = Some(path.to_owned());
    while let Some(url) = next.take() {
        let response = client.get(&url).await;
        if response.status == 204 {
            break;
        }
        assert_eq!(response.status, 200, "{}", response.text());
        pages += 1;
        items.extend(response.json().as_array().cloned().expect("a bare array"));
        next = response.header("link").as_deref().and_then(next_link);
    }
    (items, pages)
}

#[tokio::test]
async fn empty_collections_answer_204_without_body() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    for collection in ["integrations", "connections", "exports", "imports", "scripts", "flows"] {
        let response = client.get(&format!("/v1/{collection}")).await;
        assert_eq!(response.status, 204, "{collection}");
        assert!(response.body.is_empty());
    }
}

#[tokio::test]
async fn pages_follow_link_headers_with_skip_and_limit() {
    let handle = emulator(EmulatorConfig { page_size: 3, ..EmulatorConfig::for_tests() }).await;
    let client = Client::sandbox(&handle);
    let mut created = Vec::new();
    for index in 0..8 {
        created.push(client.create("integrations", json!({"name": format!("I{index}")})).await);
    }
    let first = client.get("/v1/integrations").await;
    assert_eq!(first.json().as_array().map(Vec::len), Some(3));
    let link = first.header("link").expect("a Link header");
    assert_eq!(link, format!("<{}/v1/integrations?skip=3&limit=3>; rel=\"next\"", handle.url()));
    let (items, pages) = list_all(&client, "/v1/integrations").await;
    assert_eq!(pages, 3);
    let ids: Vec<String> =
        items.iter().map(|item| item["_id"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(ids, created, "creation order, nothing lost or repeated");
    let last = client.get("/v1/integrations?skip=6&limit=3").await;
    let last_link = last.header("link").unwrap_or_default();
    assert!(
        !last_link.contains("rel=\"next\"") && last_link.contains("rel=\"prev\""),
        "{last_link}"
    );
    // `limit` overrides the page size, up to 1000.
    let (limited, limited_pages) = list_all(&client, "/v1/integrations?limit=5").await;
    assert_eq!((limited.len(), limited_pages), (8, 2));
    assert_eq!(
        client.get("/v1/integrations?limit=5000").await.json().as_array().map(Vec::len),
        Some(8)
    );
    assert_eq!(client.get("/v1/integrations?skip=8").await.status, 204);
    assert_eq!(client.get("/v1/integrations?skip=abc").await.status, 400);
}

#[tokio::test]
async fn default_page_is_1000_records() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let fixtures: Vec<Value> =
        (0..1001).map(|index| json!({"name": format!("I{index}")})).collect();
    handle.admin().load_fixtures(&json!({"integrations": fixtures})).expect("fixtures load");
    let first = client.get("/v1/integrations").await;
    assert_eq!(first.json().as_array().map(Vec::len), Some(1000));
    assert!(first.header("link").unwrap_or_default().contains("skip=1000&limit=1000"));
}

#[tokio::test]
async fn include_projects_and_exclude_drops_fields() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let connection = client.create("connections", crate::support::http_connection("c", "p")).await;
    client
        .create("exports", json!({"name": "ftp", "adaptorType": "FTPExport", "_connectionId": connection, "ftp": {"directoryPath": "/in", "fileNameStartsWith": "a"}}))
        .await;
    client.create("exports", json!({"name": "http", "adaptorType": "HTTPExport", "_connectionId": connection, "http": {"relativeURI": "/x"}})).await;
    let projected = client.get("/v1/exports?include=ftp.directoryPath").await.json();
    assert_eq!(
        projected[0].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["_id".into(), "name".into(), "adaptorType".into(), "ftp".into()])
    );
    assert_eq!(projected[0]["ftp"], json!({"directoryPath": "/in"}));
    assert!(projected[1].get("ftp").is_none() && projected[1].get("http").is_none());
    let excluded = client.get("/v1/exports?exclude=http,ftp.fileNameStartsWith").await.json();
    assert_eq!(excluded[0]["ftp"], json!({"directoryPath": "/in"}));
    assert!(excluded[1].get("http").is_none() && excluded[1].get("_connectionId").is_some());
    // Empty include means full records; GET by id ignores projection.
    let full = client.get("/v1/exports?include=").await.json();
    assert!(full[1].get("http").is_some());
    let id = full[1]["_id"].as_str().unwrap_or_default().to_owned();
    assert!(
        client.get(&format!("/v1/exports/{id}?include=name")).await.json().get("http").is_some()
    );
}

#[tokio::test]
async fn bad_projection_parameters_are_400_invalid_query_params() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    client.create("integrations", json!({"name": "I"})).await;
    for query in
        ["include=name&exclude=readme", "include=na-me", "include=name%20x", "include[]=name"]
    {
        let response = client.get(&format!("/v1/integrations?{query}")).await;
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.error_code(), "invalid_query_params", "{query}");
    }
    assert_eq!(client.get("/v1/integrations?include=name,_id,settings.x2").await.status, 200);
}

#[tokio::test]
async fn projection_survives_into_the_next_page() {
    let handle = emulator(EmulatorConfig { page_size: 1, ..EmulatorConfig::for_tests() }).await;
    let client = Client::sandbox(&handle);
    client.create("integrations", json!({"name": "A", "readme": "a"})).await;
    client.create("integrations", json!({"name": "B", "readme": "b"})).await;
    let (items, _) = list_all(&client, "/v1/integrations?include=name").await;
    assert_eq!(items.len(), 2);
    assert!(
        items.iter().all(|item| item.get("readme").is_none() && item.get("lastModified").is_none())
    );
}

#[tokio::test]
async fn script_lists_omit_content() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let id = client.create("scripts", json!({"name": "s", "content": "function x(){}"})).await;
    let listed = client.get("/v1/scripts").await.json();
    assert!(listed[0].get("content").is_none());
    assert_eq!(client.get(&format!("/v1/scripts/{id}")).await.json()["content"], "function x(){}");
}

#[tokio::test]
async fn integration_sub_collections_list_its_flows_and_their_steps() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let other = wired_flow(&client).await;
    let base = format!("/v1/integrations/{}", wired.integration);
    let ids = |response: crate::support::Response| -> Vec<String> {
        response
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item["_id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids(client.get(&format!("{base}/flows")).await), vec![wired.flow.clone()]);
    assert_eq!(ids(client.get(&format!("{base}/exports")).await), vec![wired.export.clone()]);
    assert_eq!(ids(client.get(&format!("{base}/imports")).await), vec![wired.import.clone()]);
    assert_eq!(
        ids(client.get(&format!("{base}/connections")).await),
        vec![wired.connection.clone()]
    );
    assert!(
        !ids(client.get(&format!("/v1/integrations/{}/flows", other.integration)).await)
            .contains(&wired.flow)
    );
    let empty = client.create("integrations", json!({"name": "Empty"})).await;
    assert_eq!(client.get(&format!("/v1/integrations/{empty}/flows")).await.status, 204);
    assert_eq!(client.get("/v1/integrations/5f0000000000000000000001/flows").await.status, 404);
    // Secrets stay masked in sub-collections too.
    let connections = client.get(&format!("{base}/connections")).await.json();
    assert_eq!(connections[0]["http"]["auth"]["basic"]["password"], "******");
}

/// A list copies each stored document's text instead of serialising it again: the copy must
/// follow every change, whether the document is replaced (`PUT`) or changed in place by the
/// service (a run's `lastExecutedAt`), and a masked document is still shown masked.
#[tokio::test]
async fn lists_show_each_document_as_it_is_now() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let listed = |items: Vec<Value>, id: &str| {
        items.into_iter().find(|item| item["_id"] == id).expect("the document is listed")
    };
    let flows = client.get("/v1/flows").await.json();
    let flow = listed(flows.as_array().cloned().unwrap_or_default(), &wired.flow);
    assert_eq!(flow, client.get(&format!("/v1/flows/{}", wired.flow)).await.json());
    assert!(flow.get("lastExecutedAt").is_none(), "{flow}");

    let run = client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await;
    assert_eq!(run.status, 201, "{}", run.text());
    let flows = client.get("/v1/flows").await.json();
    let flow = listed(flows.as_array().cloned().unwrap_or_default(), &wired.flow);
    assert!(flow["lastExecutedAt"].is_string(), "a run's change in place is listed: {flow}");

    let mut renamed = client.get(&format!("/v1/exports/{}", wired.export)).await.json();
    renamed["name"] = json!("Get open orders");
    let put = client.put(&format!("/v1/exports/{}", wired.export), renamed).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let exports = client.get("/v1/exports").await.json();
    let export = listed(exports.as_array().cloned().unwrap_or_default(), &wired.export);
    assert_eq!(export["name"], "Get open orders");
    assert_eq!(export, client.get(&format!("/v1/exports/{}", wired.export)).await.json());

    let connections = client.get("/v1/connections").await.json();
    let connection = listed(connections.as_array().cloned().unwrap_or_default(), &wired.connection);
    assert_ne!(connection["http"]["auth"]["basic"]["password"], "s3cret", "{connection}");
}
