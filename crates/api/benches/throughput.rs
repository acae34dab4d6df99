//! Throughput benchmark of the client: listing a large account and pushing creates through the
//! rate budget.
//!
//! Three targets:
//! - `--emulator`: starts the project's emulator in this process (`flowform_emulator::start` on
//!   loopback) with the requested page size, latency and rate limit, and seeds it through
//!   `Admin::load_fixtures`. Nothing else needs to run; the emulator's own counters report what
//!   the server received (429s included).
//! - `--url URL --token TOKEN` (or `FLOWFORM_BENCH_URL` / `FLOWFORM_BENCH_TOKEN`): any server,
//!   such as `flowform emulator serve`. With `--seed` it first creates the resources to list.
//!   Latency, page size and rate limit are the server's; `--page-size` only says what the
//!   server uses, for the minimum request count.
//! - neither: the test fake (`tests/it/fake.rs`), started in process.
//!
//! ```text
//! cargo bench -p flowform-api --bench throughput -- [--emulator | --url URL --token TOKEN]
//!     [--scenario list|creates|all] [--seed] [--resources 10000] [--page-size 1000,100]
//!     [--latency-ms 25] [--prefetch 1,2,4,8] [--creates 1000] [--sustained-creates 3000]
//!     [--server-burst 1000 --server-rate 300]
//! ```
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it runs a small smoke version
//! against the fake and the emulator, so the harness cannot rot. It is a measuring tool, so it
//! prints: one line per figure.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/it/fake.rs"]
mod fake;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use flowform_api::{Client, ClientConfig, Endpoint, Kind, SecretString};
use flowform_emulator::{EmulatorConfig, EmulatorHandle, Latency, RateLimit};
use serde_json::json;

/// The emulator's default account.
const EMULATOR_TOKEN: &str = "sandbox";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Fake,
    Emulator,
    External,
}

#[derive(Debug, Clone)]
struct Options {
    scenario: String,
    emulator: bool,
    url: Option<String>,
    token: Option<String>,
    seed: bool,
    resources: usize,
    page_sizes: Vec<usize>,
    prefetch: Vec<usize>,
    latency_ms: u64,
    creates: usize,
    sustained_creates: usize,
    server_burst: f64,
    server_rate: f64,
    smoke: bool,
}

impl Options {
    fn mode(&self) -> Mode {
        if self.emulator {
            Mode::Emulator
        } else if self.url.is_some() && self.token.is_some() {
            Mode::External
        } else {
            Mode::Fake
        }
    }
}

fn list_of(text: &str) -> Vec<usize> {
    text.split(',')
        .map(|item| item.trim().parse().expect("a comma-separated list of counts"))
        .collect()
}

fn options() -> Options {
    let mut options = Options {
        scenario: "all".into(),
        emulator: false,
        url: std::env::var("FLOWFORM_BENCH_URL").ok(),
        token: std::env::var("FLOWFORM_BENCH_TOKEN").ok(),
        seed: false,
        resources: 10_000,
        page_sizes: vec![1_000, 100],
        prefetch: vec![1, 2, 4, 8],
        latency_ms: 25,
        creates: 1_000,
        sustained_creates: 3_000,
        server_burst: 1_000.0,
        server_rate: 300.0,
        smoke: false,
    };
    // `cargo bench` passes `--bench`; without it (`cargo test --all-targets`) the harness runs a
    // small smoke version so that the test run stays quick but still exercises it.
    if !std::env::args().any(|arg| arg == "--bench") {
        options.smoke = true;
        options.resources = 600;
        options.page_sizes = vec![30];
        options.prefetch = vec![1, 4];
        options.latency_ms = 2;
        options.creates = 50;
        options.sustained_creates = 0;
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("`{arg}` needs a value"));
        match arg.as_str() {
            "--scenario" => options.scenario = value(),
            "--emulator" => options.emulator = true,
            "--url" => options.url = Some(value()),
            "--token" => options.token = Some(value()),
            "--seed" => options.seed = true,
            "--resources" => options.resources = value().parse().expect("a count"),
            "--page-size" => options.page_sizes = list_of(&value()),
            "--prefetch" => options.prefetch = list_of(&value()),
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

/// The kinds this benchmark spreads its resources over: the six of its first figures
/// (docs/benchmarks.md), so they stay comparable.
const KINDS: [Kind; 6] =
    [Kind::Integration, Kind::Connection, Kind::Script, Kind::Export, Kind::Import, Kind::Flow];

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
        other => json!({"name": format!("bench-{}-{index:06}", other.singular())}),
    }
}

/// How many of `total` resources go to the kind at `position` (spread evenly over six kinds).
fn share(total: usize, position: usize) -> usize {
    total / KINDS.len() + usize::from(position < total % KINDS.len())
}

/// The server the scenario runs against.
enum Server {
    Fake(fake::Fake),
    Emulator(EmulatorHandle),
    External,
}

struct Target {
    url: String,
    token: String,
    server: Server,
}

impl Target {
    fn describe(&self) -> &'static str {
        match self.server {
            Server::Fake(_) => "local fake",
            Server::Emulator(_) => "in-process emulator",
            Server::External => "external server",
        }
    }

    /// 429s the server says it sent, when it can say.
    fn server_429s(&self) -> Option<u64> {
        match &self.server {
            Server::Fake(fake) => Some(fake.state().rate_limited),
            Server::Emulator(handle) => Some(handle.admin().counters().rate_limited),
            Server::External => None,
        }
    }

    /// Requests the server says it received, when it can say.
    fn server_requests(&self) -> Option<u64> {
        match &self.server {
            Server::Fake(fake) => Some(fake.state().requests.len() as u64),
            Server::Emulator(handle) => Some(handle.admin().counters().requests_received),
            Server::External => None,
        }
    }

    fn reset_server_counters(&self) {
        match &self.server {
            Server::Fake(fake) => {
                let mut state = fake.state();
                state.requests.clear();
                state.rate_limited = 0;
            }
            Server::Emulator(handle) => handle.admin().reset_counters(),
            Server::External => {}
        }
    }

    async fn stop(self) {
        if let Server::Emulator(handle) = self.server {
            handle.shutdown().await;
        }
    }
}

/// Starts (or names) the server: `page_size` and `latency` apply to the fake and the emulator;
/// `rate_limited` turns on the server's leaky bucket (`--server-burst`, `--server-rate`).
async fn target(
    options: &Options,
    page_size: usize,
    latency: Duration,
    rate_limited: bool,
) -> Target {
    match options.mode() {
        Mode::External => Target {
            url: options.url.clone().expect("an external URL"),
            token: options.token.clone().expect("an external token"),
            server: Server::External,
        },
        Mode::Fake => {
            let local = fake::Fake::start(page_size).await;
            {
                let mut state = local.state();
                state.latency = latency;
                if rate_limited {
                    state.bucket =
                        Some(fake::LeakyBucket::new(options.server_burst, options.server_rate));
                }
            }
            Target {
                url: local.url.clone(),
                token: fake::TOKEN.to_owned(),
                server: Server::Fake(local),
            }
        }
        Mode::Emulator => {
            let config = EmulatorConfig {
                page_size,
                latency: Latency { fixed: latency, jitter: Duration::ZERO },
                rate_limit: rate_limited.then_some(RateLimit {
                    capacity: options.server_burst as u32,
                    refill_per_second: options.server_rate as u32,
                }),
                admin: true,
                ..EmulatorConfig::default()
            };
            let handle = flowform_emulator::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("the emulator starts");
            Target {
                url: handle.url(),
                token: EMULATOR_TOKEN.to_owned(),
                server: Server::Emulator(handle),
            }
        }
    }
}

fn client(target: &Target, prefetch_pages: usize) -> Client {
    let mut config = ClientConfig::new(
        Endpoint::parse(&target.url).expect("a valid endpoint"),
        SecretString::from(target.token.clone()),
    );
    config.prefetch_pages = prefetch_pages;
    Client::new(config).expect("a client")
}

/// Puts `options.resources` resources, spread over the six kinds, on the server: directly into
/// the fake, through `Admin::load_fixtures` into the emulator, and with `--seed` through the
/// API (creates) into an external server.
async fn seed(options: &Options, target: &Target) {
    match &target.server {
        Server::Fake(local) => {
            let mut state = local.state();
            let created = jiff::Timestamp::now();
            for (position, kind) in KINDS.iter().enumerate() {
                for index in 0..share(options.resources, position) {
                    state.seed(kind.plural(), body(*kind, index, "i", "c"), created);
                }
            }
        }
        Server::Emulator(handle) => {
            // References point at ids that need not exist: fixtures are loaded as stored.
            let (integration, connection) =
                ("5f0000000000000000000001", "5f0000000000000000000002");
            let mut fixtures = serde_json::Map::new();
            for (position, kind) in KINDS.iter().enumerate() {
                let documents: Vec<serde_json::Value> = (0..share(options.resources, position))
                    .map(|index| body(*kind, index, integration, connection))
                    .collect();
                fixtures.insert(kind.plural().to_owned(), json!(documents));
            }
            handle
                .admin()
                .load_fixtures(&serde_json::Value::Object(fixtures))
                .expect("fixtures load");
        }
        Server::External if options.seed => seed_through_the_api(options, target).await,
        Server::External => {}
    }
}

async fn seed_through_the_api(options: &Options, target: &Target) {
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
    for (position, kind) in KINDS.iter().enumerate() {
        for index in 0..share(options.resources, position) {
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

async fn list_scenario(options: &Options, page_size: usize) {
    let latency = Duration::from_millis(options.latency_ms);
    let target = target(options, page_size, latency, true).await;
    seed(options, &target).await;
    let latency = match target.server {
        Server::External => "the server's own latency".to_owned(),
        _ => format!("{} ms added latency", options.latency_ms),
    };
    println!("list: {} at {}; page size {page_size}; {latency}", target.describe(), target.url);
    for prefetch in &options.prefetch {
        let client = client(&target, *prefetch);
        target.reset_server_counters();
        let started = Instant::now();
        let live = client.list_kinds(&KINDS).await.expect("list");
        let elapsed = started.elapsed();
        let stats = client.stats();
        let minimum: u64 = KINDS
            .iter()
            .map(|kind| (live.of_kind(*kind).count().div_ceil(page_size)).max(1) as u64)
            .sum();
        let received = target
            .server_requests()
            .map_or_else(|| "n/a".to_owned(), |received| received.to_string());
        println!(
            "list: page size {page_size}, prefetch {prefetch}: {} resources in {:.3}s; {} requests (server received {received}; {} pages used, {} speculative past the end); minimum {minimum} ({:+.1}%); 429s {}",
            live.len(),
            elapsed.as_secs_f64(),
            stats.requests(),
            stats.pages,
            stats.requests() - stats.pages - stats.retries,
            (stats.requests() as f64 / minimum as f64 - 1.0) * 100.0,
            stats.rate_limited
        );
        if options.smoke {
            assert_eq!(live.len(), options.resources, "the smoke list is complete");
        }
    }
    target.stop().await;
}

async fn creates_scenario(options: &Options, count: usize, label: &str) {
    let target = target(options, 1_000, Duration::ZERO, true).await;
    let client = client(&target, 4);
    let rate = client.config().rate;
    let burst = rate.burst as usize;
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
    let server_429s = target.server_429s();
    // The least time the server's bucket allows for `count` requests from full: what does not
    // fit in the burst at its refill rate.
    let server_minimum = (count as f64 - options.server_burst).max(0.0) / options.server_rate;
    println!(
        "creates ({label}): {} through the client budget ({} burst, {}/s); {count} creates in {:.3}s = {:.1}/s overall; server minimum {:.3}s; POSTs sent {}; 429s received {} (server counted {}); retries {}",
        target.describe(),
        rate.burst,
        rate.per_second,
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        server_minimum,
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
    if options.smoke {
        assert_eq!(stats.rate_limited, 0, "the smoke creates stay under the server's limit");
    }
    drop(client);
    target.stop().await;
}

async fn run(options: &Options) {
    if matches!(options.scenario.as_str(), "list" | "all") {
        for page_size in &options.page_sizes {
            list_scenario(options, *page_size).await;
        }
    }
    if matches!(options.scenario.as_str(), "creates" | "all") {
        creates_scenario(options, options.creates, "burst").await;
        if options.sustained_creates > 0 {
            creates_scenario(options, options.sustained_creates, "sustained").await;
        }
    }
}

fn main() {
    let options = options();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        run(&options).await;
        // The smoke run also exercises the emulator target, so that mode cannot rot.
        if options.smoke && options.mode() == Mode::Fake {
            run(&Options { emulator: true, ..options.clone() }).await;
        }
    });
}
