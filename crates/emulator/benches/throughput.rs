//! Emulator throughput: listing 10,000 loaded resources page by page, 1,000 mixed creates and
//! updates from 8 concurrent clients, and 20,000 reads by id from 8 clients. Rate limit and
//! latency are off. Run with `cargo bench -p flowform-emulator --bench throughput`.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use flowform_emulator::{EmulatorConfig, ResourceKind, start};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

const CLIENTS: usize = 8;

async fn send(
    client: &HttpClient,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> (u16, Option<String>, Bytes) {
    let mut builder =
        Request::builder().method(method).uri(url).header("authorization", "Bearer sandbox");
    let bytes = match body {
        Some(body) => {
            builder = builder.header("content-type", "application/json");
            Bytes::from(serde_json::to_vec(body).expect("serialisable"))
        }
        None => Bytes::new(),
    };
    let response = client
        .request(builder.body(Full::new(bytes)).expect("a request"))
        .await
        .expect("the emulator answers");
    let status = response.status().as_u16();
    let link =
        response.headers().get("link").and_then(|value| value.to_str().ok()).map(str::to_owned);
    let body = response.into_body().collect().await.expect("a body").to_bytes();
    (status, link, body)
}

fn next_link(link: Option<&str>) -> Option<String> {
    let part = link?.split(',').find(|part| part.contains("rel=\"next\""))?;
    Some(part[part.find('<')? + 1..part.find('>')?].to_owned())
}

fn report(name: &str, requests: usize, elapsed: Duration) {
    println!(
        "{name}: {requests} requests in {:.3} s = {:.0} requests/s",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let config = EmulatorConfig { rate_limit: None, ..EmulatorConfig::for_tests() };
    let handle =
        start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("the emulator starts");
    let base = handle.url();
    let admin = handle.admin();
    let connection_ids: Vec<String> =
        (0..500).map(|index| format!("6a00000000000000000{index:05x}")).collect();
    let connections: Vec<Value> = connection_ids
        .iter()
        .map(|id| json!({"_id": id, "name": format!("Connection {id}"), "type": "http", "http": {"baseURI": "https://example.com", "auth": {"type": "basic", "basic": {"username": "u", "password": "p"}}}}))
        .collect();
    let exports: Vec<Value> = (0..4750)
        .map(|index| json!({"name": format!("Export {index}"), "adaptorType": "HTTPExport", "_connectionId": connection_ids[index % 500], "http": {"relativeURI": format!("/items/{index}"), "method": "GET"}}))
        .collect();
    let imports: Vec<Value> = (0..4750)
        .map(|index| json!({"name": format!("Import {index}"), "adaptorType": "HTTPImport", "_connectionId": connection_ids[index % 500], "http": {"relativeURI": ["/items"], "method": ["POST"]}}))
        .collect();
    let started = Instant::now();
    admin
        .load_fixtures(&json!({"connections": connections, "exports": exports, "imports": imports}))
        .expect("fixtures load");
    println!(
        "loaded {} resources in {:.3} s",
        admin.counts().values().sum::<usize>(),
        started.elapsed().as_secs_f64()
    );

    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    for limit in [1000, 100] {
        let started = Instant::now();
        let mut requests = 0;
        let mut listed = 0;
        for collection in ["connections", "exports", "imports"] {
            let mut next = Some(format!("{base}/v1/{collection}?limit={limit}"));
            while let Some(url) = next.take() {
                let (status, link, body) = send(&client, Method::GET, &url, None).await;
                requests += 1;
                assert_eq!(status, 200);
                listed += serde_json::from_slice::<Vec<Value>>(&body).expect("an array").len();
                next = next_link(link.as_deref());
            }
        }
        assert_eq!(listed, 10_000);
        let elapsed = started.elapsed();
        println!(
            "list 10,000 resources with limit={limit}: {requests} pages in {:.3} s ({:.0} records/s)",
            elapsed.as_secs_f64(),
            listed as f64 / elapsed.as_secs_f64()
        );
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (worker, connection) in connection_ids.iter().take(CLIENTS).cloned().enumerate() {
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut own_ids: Vec<String> = Vec::new();
            for operation in 0..(1000 / CLIENTS) {
                if operation % 2 == 0 || own_ids.is_empty() {
                    let body = json!({"name": format!("W{worker} {operation}"), "adaptorType": "HTTPExport", "_connectionId": connection, "http": {"relativeURI": "/x"}});
                    let (status, _, body) = send(&client, Method::POST, &format!("{base}/v1/exports"), Some(&body)).await;
                    assert_eq!(status, 201);
                    let created: Value = serde_json::from_slice(&body).expect("json");
                    own_ids.push(created["_id"].as_str().expect("an id").to_owned());
                } else {
                    let id = &own_ids[operation % own_ids.len()];
                    let body = json!({"name": format!("W{worker} {operation} updated"), "adaptorType": "HTTPExport", "_connectionId": connection, "http": {"relativeURI": "/y"}});
                    let (status, _, _) = send(&client, Method::PUT, &format!("{base}/v1/exports/{id}"), Some(&body)).await;
                    assert_eq!(status, 200);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a worker finishes");
    }
    report("1,000 mixed creates and updates from 8 clients", 1000, started.elapsed());

    let export_ids: Vec<String> = admin
        .documents(ResourceKind::Exports)
        .iter()
        .take(1000)
        .map(|document| document["_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    let reads_per_client = 2500;
    for worker in 0..CLIENTS {
        let client = client.clone();
        let base = base.clone();
        let ids = export_ids.clone();
        tasks.push(tokio::spawn(async move {
            for index in 0..reads_per_client {
                let id = &ids[(worker * 131 + index) % ids.len()];
                let (status, _, _) =
                    send(&client, Method::GET, &format!("{base}/v1/exports/{id}"), None).await;
                assert_eq!(status, 200);
            }
        }));
    }
    for task in tasks {
        task.await.expect("a worker finishes");
    }
    report("reads by id from 8 clients", CLIENTS * reads_per_client, started.elapsed());
    let counters = admin.counters();
    println!(
        "requests received: {}, 429s sent: {}",
        counters.requests_received, counters.rate_limited
    );
    handle.shutdown().await;
}
