//! Benchmark: `diff` of 10,000 managed resources of all six kinds, 5% of them changed (half in
//! the spec, half in the account) and another 2.5% changed in the account at a field the spec
//! does not name (the note of changes made outside flowform), with realistic bodies (secrets masked live, server-owned
//! fields, defaults inside lists, mappings, scripts). Reports the wall time of `diff` (best and
//! median of several runs), of the three renderings, and the peak resident memory of the whole
//! process (`VmHWM`), which includes building the inputs.
//!
//! Run with `cargo bench -p flowform-diff --bench diff_10k`. Targets: under 300 ms and 150 MB.
//! It uses the `flowform` binary's allocator (mimalloc), so its figures are the binary's.

use std::time::{Duration, Instant};

use flowform_diff::render::{self, HumanOptions, JsonContext, MarkdownOptions};
use flowform_diff::{
    DiffOptions, WriteOptions, baseline_after_write, diff, record_applied, refresh, update_document,
};
use flowform_model::{
    Address, DesiredResource, DesiredState, Kind, Lifecycle, LiveResource, LiveState, SecretValue,
    State, Value,
};
use serde_json::json;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RESOURCES: usize = 10_000;
const SALT: &str = "bench-salt-0123456789";

fn id(index: usize) -> String {
    format!("6a{index:022x}")
}

fn value(json: serde_json::Value) -> Value {
    Value::from_json(&json)
}

fn reference(kind: Kind, index: usize) -> Value {
    Value::Ref(Address::new(kind, format!("r{index:05}")))
}

fn script_content(index: usize) -> String {
    (0..50)
        .map(|line| {
            format!("  const field{line} = record.values[{line}] * {index}; // step {line}\n")
        })
        .collect()
}

/// The kind of the resource at `index`: 100 integrations, 1,000 connections, 500 scripts, 3,000
/// exports, 3,000 imports, 2,400 flows.
fn kind_of(index: usize) -> Kind {
    match index {
        0..100 => Kind::Integration,
        100..1_100 => Kind::Connection,
        1_100..1_600 => Kind::Script,
        1_600..4_600 => Kind::Export,
        4_600..7_600 => Kind::Import,
        _ => Kind::Flow,
    }
}

fn body(index: usize) -> Value {
    let connection = 100 + index % 1_000;
    let script = 1_100 + index % 500;
    let export = 1_600 + index % 3_000;
    let import = 4_600 + index % 3_000;
    let integration = index % 100;
    let mut body = match kind_of(index) {
        Kind::Integration => {
            value(json!({"name": format!("Integration {index}"), "description": "Synced from git",
                                           "settings": {"region": "eu", "owner": "data-team", "limits": {"daily": 5000}}}))
        }
        Kind::Connection => value(json!({"name": format!("Connection {index}"), "type": "http",
            "http": {"baseURI": format!("https://api{index}.example.com/v2"), "mediaType": "json",
                     "auth": {"type": "token", "token": {"location": "header", "headerName": "Authorization", "scheme": "Bearer"}},
                     "ping": {"relativeURI": "/me", "method": "GET"},
                     "headers": [{"name": "accept", "value": "application/json"}, {"name": "x-team", "value": "data"}]}})),
        Kind::Script => {
            value(json!({"name": format!("Script {index}"), "content": script_content(index),
                                      "description": "Transforms records"}))
        }
        Kind::Export => {
            value(json!({"name": format!("Export {index}"), "adaptorType": "HTTPExport",
            "http": {"relativeURI": format!("/items/{index}"), "method": "GET", "paging": {"method": "page", "maxPagePath": "pages"},
                     "response": {"resourcePath": "items"}},
            "hooks": {"preSavePage": {"function": "preSavePage"}}}))
        }
        Kind::Import => {
            let fields: Vec<serde_json::Value> = (0..10)
                .map(|row| json!({"extract": format!("source.field{row}"), "generate": format!("target{row}")}))
                .collect();
            value(json!({"name": format!("Import {index}"), "adaptorType": "HTTPImport",
                "http": {"relativeURI": ["/records"], "method": ["POST"],
                         "body": ["{\"id\": \"{{record.id}}\", \"name\": \"{{record.name}}\", \"total\": {{record.total}}, \"at\": \"{{timestamp}}\"}"]},
                "mapping": {"fields": fields, "lists": [{"generate": "lines", "fields": [
                    {"extract": "sku", "generate": "item"}, {"extract": "qty", "generate": "quantity"}, {"extract": "price", "generate": "rate"}]}]}}))
        }
        Kind::Flow => value(
            json!({"name": format!("Flow {index}"), "schedule": "? 0 */2 * * *", "timezone": "Europe/Berlin",
            "pageGenerators": [{"skipRetries": false}],
            "pageProcessors": [{"type": "import"}, {"type": "import", "proceedOnFailure": true}],
            "settings": {"batch": 100, "notify": ["ops@example.com"]}}),
        ),
        other => unreachable!("kind_of never gives {other}"),
    };
    match kind_of(index) {
        Kind::Connection => {
            body.set(
                &"http.auth.token.token".parse().unwrap(),
                Value::Secret(SecretValue::new(
                    vec![format!("TOKEN_{index}")],
                    format!("secret-token-{index}"),
                )),
            );
        }
        Kind::Export => {
            body.set(&"_connectionId".parse().unwrap(), reference(Kind::Connection, connection));
            body.set(
                &"hooks.preSavePage._scriptId".parse().unwrap(),
                reference(Kind::Script, script),
            );
        }
        Kind::Import => {
            body.set(&"_connectionId".parse().unwrap(), reference(Kind::Connection, connection));
        }
        Kind::Flow => {
            body.set(&"_integrationId".parse().unwrap(), reference(Kind::Integration, integration));
            body.set(
                &"pageGenerators[0]._exportId".parse().unwrap(),
                reference(Kind::Export, export),
            );
            body.set(
                &"pageProcessors[0]._importId".parse().unwrap(),
                reference(Kind::Import, import),
            );
            body.set(
                &"pageProcessors[1]._importId".parse().unwrap(),
                reference(Kind::Import, 4_600 + (index + 1) % 3_000),
            );
        }
        _ => {}
    }
    body
}

/// What the API would return for the body: ids resolved, server fields, defaults, masks.
fn live_document(index: usize, body: &Value) -> serde_json::Value {
    let resolve = |address: &Address| address.key[1..].parse::<usize>().ok().map(id);
    let mut document = body.to_json(&resolve).expect("bench references resolve");
    let object = document.as_object_mut().expect("bodies are objects");
    object.insert("_id".into(), json!(id(index)));
    object.insert("createdAt".into(), json!("2026-01-01T00:00:00.000Z"));
    object.insert("lastModified".into(), json!("2026-01-02T00:00:00.000Z"));
    object.insert("lastModifiedBy".into(), json!("ci@example.com"));
    match kind_of(index) {
        Kind::Connection => {
            object.insert("offline".into(), json!(false));
            object.insert("queues".into(), json!([{"name": "default", "size": 0}]));
            document["http"]["auth"]["token"]["token"] = json!("******");
            document["http"]["concurrencyLevel"] = json!(25);
        }
        Kind::Flow => {
            object.insert("free".into(), json!(false));
            object.insert("disabled".into(), json!(false));
            object.insert("logging".into(), json!({"debugUntil": "2026-01-01T00:00:00.000Z"}));
            document["pageProcessors"][0]["proceedOnFailure"] = json!(false);
        }
        Kind::Export | Kind::Import => {
            object.insert("apiIdentifier".into(), json!(format!("e{index}")));
        }
        Kind::Script => {
            object.insert("postResponseHookToProcessOnChildRecord".into(), json!(false));
        }
        _ => {}
    }
    document
}

/// A memory figure of this process from `/proc/self/status`, in KiB (`VmHWM` is the peak).
fn memory_kib(field: &str) -> Option<u64> {
    let status = fs_err::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn megabytes(kib: Option<u64>) -> String {
    kib.map_or_else(|| "unavailable".to_owned(), |kib| format!("{:.1} MB", kib as f64 / 1024.0))
}

#[expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]
fn main() {
    let setup = Instant::now();
    let mut desired = DesiredState::default();
    let mut state = State::new("bench".into(), "bench".into(), SALT.into());
    let mut live = LiveState::default();
    // What `read_live` does with each listed document once it is parsed, timed apart.
    let mut read_time = Duration::ZERO;
    for index in 0..RESOURCES {
        let kind = kind_of(index);
        let address = Address::new(kind, format!("r{index:05}"));
        let Value::Object(object) = body(index) else { unreachable!("bodies are objects") };
        let resource = DesiredResource {
            address: address.clone(),
            body: object,
            lifecycle: Lifecycle::default(),
            origin: None,
        };
        let mut document = live_document(index, &resource.body_value());
        let written = Value::from_json(&document);
        let mut entry = record_applied(&resource, SALT, &id(index), &written, None);
        entry.live = Some(baseline_after_write(&resource, SALT, None, &written, None, &entry));
        state.resources.insert(address.clone(), entry);
        // 5% changed: every 40th resource in the spec, every 40th (offset) in the account;
        // another 2.5% changed in the account at a field the spec does not name (the plan's
        // note of changes made outside flowform).
        let mut resource = resource;
        if index % 40 == 0 {
            resource.body.insert("name".into(), Value::String(format!("Renamed {index}")));
        }
        if index % 40 == 20 {
            document["name"] = json!(format!("Edited in the UI {index}"));
        }
        if index % 40 == 30 {
            document["uiNote"] = json!(format!("Added in the UI {index}"));
        }
        desired.resources.insert(address, resource);
        let started = Instant::now();
        let resource = LiveResource::from_document(kind, document).expect("documents have ids");
        read_time += started.elapsed();
        live.insert(resource);
    }
    let setup_time = setup.elapsed();
    let json_bytes: usize = live
        .resources
        .values()
        .flat_map(|resources| resources.values())
        .map(|resource| resource.document.to_json(&|_| None).expect("plain JSON").to_string().len())
        .sum();
    let applied_paths: usize =
        state.resources.values().map(|resource| resource.applied_paths.len()).sum();
    let resident_after_setup = memory_kib("VmRSS:");
    let peak_after_setup = memory_kib("VmHWM:");

    let mut times: Vec<Duration> = Vec::new();
    let mut plan = None;
    for _ in 0..7 {
        // The previous run's plan goes first, so runs do not stack up in memory.
        drop(plan.take());
        let started = Instant::now();
        let result = diff(&desired, &state, &live, &DiffOptions::default());
        times.push(started.elapsed());
        plan = Some(result);
    }
    let plan = plan.expect("ran at least once");
    times.sort();
    // The refresh-only plan: the account against the state's live baselines, which the plan's
    // note of changes made outside flowform also computes.
    let mut refresh_times: Vec<Duration> = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let refreshed = refresh(&state, &live);
        refresh_times.push(started.elapsed());
        assert_eq!(refreshed.changed_outside.len(), RESOURCES / 20, "5% changed in the account");
    }
    refresh_times.sort();
    let summary = plan.summary();
    assert_eq!(summary.update, RESOURCES / 20, "5% of the resources change");
    assert_eq!(plan.changed_outside.len(), RESOURCES / 40, "2.5% noted");
    assert!(plan.problems.is_empty());

    // What apply does for each update: the body of the `PUT` from the live document, then the
    // state entry from the response (here the body sent stands in for the response).
    let resolve = |address: &Address| address.key[1..].parse::<usize>().ok().map(id);
    let started = Instant::now();
    let mut written = 0;
    for change in plan.actionable() {
        let resource = &desired.resources[&change.address];
        let id = change.id().expect("updates have ids");
        let live_resource = live.get(change.kind(), id).expect("updated resources are live");
        let previous = state.get(&change.address);
        let mut body = update_document(
            &live_resource.document,
            resource,
            previous,
            &resolve,
            &WriteOptions::default(),
        )
        .expect("bench bodies resolve");
        body["_id"] = json!(id);
        let response = LiveResource::from_document(change.kind(), body).expect("bodies have ids");
        let recorded = record_applied(resource, SALT, id, &response.document, previous);
        written += recorded.applied_paths.len();
    }
    let write_time = started.elapsed();

    let started = Instant::now();
    let human = render::human(&plan, &HumanOptions { color: false });
    let human_time = started.elapsed();
    let started = Instant::now();
    let json = render::json(&plan, &JsonContext { target: "bench".into() });
    let json_time = started.elapsed();
    let started = Instant::now();
    let markdown = render::markdown(&plan, &MarkdownOptions::default());
    let markdown_time = started.elapsed();

    println!(
        "resources: {RESOURCES}, changed: {} updates, {} unchanged",
        summary.update, summary.no_op
    );
    println!(
        "inputs: {:.0} bytes of live JSON per resource on average, {:.1} applied paths per resource",
        json_bytes as f64 / RESOURCES as f64,
        applied_paths as f64 / RESOURCES as f64
    );
    println!("setup (build inputs, record state): {:.1} ms", setup_time.as_secs_f64() * 1e3);
    println!(
        "read: live documents kept for the plan (`LiveResource::from_document`): {:.1} ms",
        read_time.as_secs_f64() * 1e3
    );
    println!(
        "diff: best {:.1} ms, median {:.1} ms, worst {:.1} ms over {} runs",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len()
    );
    println!(
        "refresh-only plan (the note's share of the diff): best {:.1} ms, median {:.1} ms over {} runs",
        refresh_times[0].as_secs_f64() * 1e3,
        refresh_times[refresh_times.len() / 2].as_secs_f64() * 1e3,
        refresh_times.len()
    );
    println!(
        "write: {} update bodies built and recorded ({written} applied paths): {:.1} ms",
        summary.update,
        write_time.as_secs_f64() * 1e3
    );
    println!(
        "render: human {:.1} ms ({} bytes), json {:.1} ms ({} bytes), markdown {:.1} ms ({} chars)",
        human_time.as_secs_f64() * 1e3,
        human.len(),
        json_time.as_secs_f64() * 1e3,
        json.len(),
        markdown_time.as_secs_f64() * 1e3,
        markdown.chars().count()
    );
    println!(
        "memory: resident after building the inputs {}, peak while building them {}",
        megabytes(resident_after_setup),
        megabytes(peak_after_setup)
    );
    println!(
        "peak RSS (VmHWM, whole process, inputs included): {}",
        megabytes(memory_kib("VmHWM:"))
    );
}
