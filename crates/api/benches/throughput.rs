//! Throughput benchmark of the client: listing a large account and pushing creates through the
//! rate budget.
//!
//! By default it starts the test fake (`tests/it/fake.rs`) on loopback with the given latency
//! and limits; point it at any server (the emulator, say) with `--url` and `--token` (or
//! `FLOWFORM_BENCH_URL` / `FLOWFORM_BENCH_TOKEN`). Against an external server, `--seed` first
//! creates the resources to list.
//!
//! ```text
//! cargo bench -p flowform-api --bench throughput -- [--scenario list|creates|all]
//!     [--url URL --token TOKEN] [--seed] [--resources 10000] [--page-size 100]
//!     [--latency-ms 25] [--creates 1000] [--sustained-creates 3000]
//!     [--server-burst 1000 --server-rate 300]
//! ```
//!
//! It prints one line per figure. It is a measuring tool, so it prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/it/fake.rs"]
mod fake;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use flowform_api::{Client, ClientConfig, Endpoint, Kind, SecretString};
use serde_json::json;

#[derive(Debug, Clone)]
struct Options {
    scenario: String,
    url: Option<String>,
    token: Option<String>,
    seed: bool,
    resources: usize,
    page_size: usize,
    latency_ms: u64,
    creates: usize,
    sustained_creates: usize,
    server_burst: f64,
    server_rate: f64,
}

fn options() -> Options {
    let mut options = Options {
        scenario: "all".into(),
        url: std::env::var("FLOWFORM_BENCH_URL").ok(),
        token: std::env::var("FLOWFORM_BENCH_TOKEN").ok(),
        seed: false,
        resources: 10_000,
        page_size: 100,
        latency_ms: 25,
        creates: 1_000,
        sustained_creates: 3_000,
        server_burst: 1_000.0,
        server_rate: 300.0,
    };
    // `cargo bench` passes `--bench`; without it (`cargo test --all-targets`) the harness runs a
    // small smoke version so that the test run stays quick but still exercises it.
    if !std::env::args().any(|arg| arg == "--bench") {
        options.resources = 600;
        options.latency_ms = 2;
        options.creates = 50;
        options.sustained_creates = 0;
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("`{arg}` needs a value"));
        match arg.as_str() {
            "--scenario" => options.scenario = value(),
            "--url" => options.url = Some(value()),
            "--token" => options.token = Some(value()),
            "--seed" => options.seed = true,
            "--resources" => options.resources = value().parse().expect("a count"),
            "--page-size" => options.page_size = value().parse().expect("a count"),
            "--latency-ms" => options.latency_ms = value().parse().expect("milliseconds"),
            "--creates" => options.creates = value().parse().expect("a count"),
            "--sustained-creates" => options.sustained_creates = value().parse().expect("a count"),
            "--server-burst" => options.server_burst = value().parse().expect("a number"),
            "--server-rate" => options.server_rate = value().parse().expect("a number"),
            // `cargo bench` passes `--bench`; other flags are ignored too.
            _ => {}
        }
    }
    options
}

/// A minimal body for each kind, close enough to real documents for a strict server.
fn body(kind: Kind, index: usize, integration_id: &str, connection_id: &str) -> serde_json::Value {
    let name = format!("bench-{}-{index:06}", kind.singular());
    match kind {
        Kind::Integration => json!({"name": name}),
        Kind::Connection => {
            json!({"name": name, "type": "http", "http": {"baseURI": "https://example.com", "mediaType": "json", "auth": {"type": "basic", "basic": {"username": "u", "password": "p"}}}})
        }
        Kind::Script => {
            json!({"name": name, "content": "function main(options) { return options.data; }"})
        }
        Kind::Export => {
            json!({"name": name, "adaptorType": "HTTPExport", "_connectionId": connection_id, "http": {"relativeURI": "/x", "method": "GET"}})
        }
        Kind::Import => {
            json!({"name": name, "adaptorType": "HTTPImport", "_connectionId": connection_id, "http": {"relativeURI": ["/y"], "method": ["POST"]}})
        }
        Kind::Flow => json!({"name": name, "_integrationId": integration_id, "disabled": true}),
    }
}

struct Target {
    url: String,
    token: String,
    local: Option<fake::Fake>,
}

async fn target(options: &Options, bucket: bool, latency: Duration) -> Target {
    if let (Some(url), Some(token)) = (&options.url, &options.token) {
        return Target { url: url.clone(), token: token.clone(), local: None };
    }
    let local = fake::Fake::start(options.page_size).await;
    {
        let mut state = local.state();
        state.latency = latency;
        if bucket {
            state.bucket = Some(fake::LeakyBucket::new(options.server_burst, options.server_rate));
        }
    }
    Target { url: local.url.clone(), token: fake::TOKEN.to_owned(), local: Some(local) }
}

fn client(target: &Target, prefetch_pages: usize) -> Client {
    let mut config = ClientConfig::new(
        Endpoint::parse(&target.url).expect("a valid endpoint"),
        SecretString::from(target.token.clone()),
    );
    config.prefetch_pages = prefetch_pages;
    Client::new(config).expect("a client")
}

async fn seed(options: &Options, target: &Target) {
    let per_kind = options.resources / Kind::ALL.len();
    let extra = options.resources % Kind::ALL.len();
    if let Some(local) = &target.local {
        let mut state = local.state();
        let created = jiff::Timestamp::now();
        for (position, kind) in Kind::ALL.iter().enumerate() {
            let count = per_kind + usize::from(position < extra);
            for index in 0..count {
                state.seed(kind.plural(), body(*kind, index, "i", "c"), created);
            }
        }
        return;
    }
    if !options.seed {
        return;
    }
    let client = client(target, 4);
    let none = HashSet::new();
    let integration = client
        .create(Kind::Integration, &body(Kind::Integration, 999_999, "", ""), &none)
        .await
        .expect("seed integration");
    let connection = client
        .create(Kind::Connection, &body(Kind::Connection, 999_999, "", ""), &none)
        .await
        .expect("seed connection");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (position, kind) in Kind::ALL.iter().enumerate() {
        let count = per_kind + usize::from(position < extra);
        for index in 0..count {
            let client = client.clone();
            let body = body(*kind, index, &integration.resource.id, &connection.resource.id);
            let kind = *kind;
            tasks.push(tokio::spawn(
                async move { client.create(kind, &body, &HashSet::new()).await },
            ));
        }
    }
    for task in tasks {
        task.await.expect("task").expect("seed create");
    }
    eprintln!("seeded {} resources in {:.1}s", options.resources, started.elapsed().as_secs_f64());
}

async fn list_scenario(options: &Options) {
    let target = target(options, false, Duration::from_millis(options.latency_ms)).await;
    seed(options, &target).await;
    println!(
        "list: target {} ({}), page size {} for the minimum, latency {} ms (local fake only)",
        if target.local.is_some() { "local fake" } else { "external server" },
        fake_or_url(&target),
        options.page_size,
        options.latency_ms
    );
    for prefetch in [1, 2, 4, 8] {
        let client = client(&target, prefetch);
        let started = Instant::now();
        let live = client.list_kinds(&Kind::ALL).await.expect("list");
        let elapsed = started.elapsed();
        let stats = client.stats();
        let minimum: u64 = Kind::ALL
            .iter()
            .map(|kind| (live.of_kind(*kind).count().div_ceil(options.page_size)).max(1) as u64)
            .sum();
        println!(
            "list: prefetch {prefetch}: {} resources in {:.3}s; {} requests ({} pages used, {} speculative past the end), minimum {minimum} ({:+.1}%); 429s {}",
            live.len(),
            elapsed.as_secs_f64(),
            stats.requests(),
            stats.pages,
            stats.requests() - stats.pages - stats.retries,
            (stats.requests() as f64 / minimum as f64 - 1.0) * 100.0,
            stats.rate_limited
        );
    }
}

fn fake_or_url(target: &Target) -> String {
    target.url.clone()
}

async fn creates_scenario(options: &Options, count: usize, label: &str) {
    let target = target(options, true, Duration::ZERO).await;
    let client = client(&target, 4);
    let burst = client.config().rate.burst as usize;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..count {
        let client = client.clone();
        let body = json!({"name": format!("bench-create-{label}-{index:06}"), "content": "x"});
        tasks.push(tokio::spawn(async move {
            client.create(Kind::Script, &body, &HashSet::new()).await.map(|_| Instant::now())
        }));
    }
    let mut finished = Vec::with_capacity(count);
    for task in tasks {
        finished.push(task.await.expect("task").expect("create"));
    }
    let elapsed = started.elapsed();
    finished.sort();
    let stats = client.stats();
    let server_429s = target.local.as_ref().map(|local| local.state().rate_limited);
    println!(
        "creates ({label}): {count} creates in {:.3}s = {:.1}/s overall; POSTs sent {}; 429s received {} (server counted {}); retries {}",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        stats.sent.post,
        stats.rate_limited,
        server_429s.map_or("n/a".to_owned(), |n| n.to_string()),
        stats.retries
    );
    if count >= 2 * burst {
        // After the burst, the budget refills at its configured rate: measure that stretch.
        let after_burst = &finished[burst..];
        let span = after_burst[after_burst.len() - 1].duration_since(after_burst[0]).as_secs_f64();
        let rate = (after_burst.len() - 1) as f64 / span;
        println!(
            "creates ({label}): sustained after the {burst}-request burst: {rate:.1}/s = {:.1}% of the server's {}/s",
            rate / options.server_rate * 100.0,
            options.server_rate
        );
    }
}

fn main() {
    let options = options();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        if matches!(options.scenario.as_str(), "list" | "all") {
            list_scenario(&options).await;
        }
        if matches!(options.scenario.as_str(), "creates" | "all") {
            creates_scenario(&options, options.creates, "burst").await;
            if options.sustained_creates > 0 {
                creates_scenario(&options, options.sustained_creates, "sustained").await;
            }
        }
    });
}
