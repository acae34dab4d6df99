//! What the reliability tests share: generated specs written to a context, the convergence
//! checks against the emulator and the state, a seeded random source, and a watchdog.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use flowform_emulator::{AccountConfig, EmulatorConfig, Latency, ResourceKind};
use flowform_specgen::GeneratedSpec;

use crate::support::{TOKEN, TestContext};

/// A context whose emulator answers after `latency` plus up to `jitter`, seeded with `seed`.
pub fn slow_context(seed: u64, latency: Duration, jitter: Duration) -> TestContext {
    TestContext::with_config(EmulatorConfig {
        accounts: vec![AccountConfig::new("e2e", TOKEN)],
        seed,
        latency: Latency { fixed: latency, jitter },
        ..EmulatorConfig::for_tests()
    })
}

/// Writes the spec's files under the context's root.
pub fn write_spec(context: &TestContext, spec: &GeneratedSpec) {
    for (path, text) in spec.spec_files() {
        context.write(&path.to_string_lossy(), &text);
    }
}

/// `flowform ARGS` on the emulator with the spec's secrets set.
pub fn flowform(context: &TestContext, spec: &GeneratedSpec, arguments: &[&str]) -> Command {
    let mut command = context.flowform();
    command.envs(spec.secrets.iter().map(|(name, value)| (name.as_str(), value.as_str())));
    command.args(arguments);
    command
}

/// The state document wherever it lives: `.flowform/state.json`, or the account's State API
/// key `flowform-default` when `integrator` is true.
pub fn state_document(context: &TestContext, integrator: bool) -> serde_json::Value {
    if integrator {
        context.admin().state_value("flowform-default").expect("the state is in the account")
    } else {
        context.state()
    }
}

/// The convergence checks after a run: the state binds exactly the spec's addresses, no
/// write-ahead record is left, no kind holds two live resources of one name (flows: in one
/// integration), every live resource is in the state and every state entry is live, each bound
/// to a live resource of the spec's name.
pub fn assert_converged(context: &TestContext, spec: &GeneratedSpec, integrator: bool, run: &str) {
    let state = state_document(context, integrator);
    let pending = state.get("pending").and_then(|pending| pending.as_array());
    assert!(pending.is_none_or(Vec::is_empty), "{run}: write-ahead records left: {pending:?}");
    let resources = state["resources"].as_object().expect("the state has resources");
    let expected: BTreeSet<String> = spec
        .resources
        .iter()
        .map(|resource| format!("{}.{}", resource.kind.singular(), resource.key))
        .collect();
    let managed: BTreeSet<String> = resources.keys().cloned().collect();
    assert_eq!(managed, expected, "{run}: the state binds exactly the spec's addresses");

    let admin = context.admin();
    let mut live: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut by_name: BTreeMap<(ResourceKind, String, String), Vec<String>> = BTreeMap::new();
    for kind in ResourceKind::ALL {
        for document in admin.documents(kind) {
            let id = document["_id"].as_str().expect("an id").to_owned();
            let name = document["name"].as_str().unwrap_or_default().to_owned();
            let integration = match kind {
                ResourceKind::Flows => document["_integrationId"].as_str().unwrap_or("").to_owned(),
                _ => String::new(),
            };
            by_name.entry((kind, name, integration)).or_default().push(id.clone());
            live.insert(id, document);
        }
    }
    let duplicates: Vec<_> = by_name.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(duplicates.is_empty(), "{run}: duplicates: {duplicates:?}");
    let state_ids: BTreeSet<&str> =
        resources.values().map(|entry| entry["id"].as_str().expect("an id")).collect();
    let live_ids: BTreeSet<&str> = live.keys().map(String::as_str).collect();
    let strays: Vec<_> = live_ids.difference(&state_ids).collect();
    assert!(strays.is_empty(), "{run}: live resources outside the state: {strays:?}");
    let gone: Vec<_> = state_ids.difference(&live_ids).collect();
    assert!(gone.is_empty(), "{run}: state entries with no live resource: {gone:?}");
    for resource in &spec.resources {
        let address = format!("{}.{}", resource.kind.singular(), resource.key);
        let id = resources[&address]["id"].as_str().expect("an id");
        assert_eq!(
            live[id]["name"], resource.body["name"],
            "{run}: `{address}` is bound to a live resource of another name"
        );
    }
}

/// A small seeded random source (splitmix64): the tests' random choices repeat for a seed.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 { 0 } else { self.next() % bound }
    }
}

/// How long a command may run before the watchdog calls it a hang. Far above what any of
/// these commands needs (a few seconds at most); it only keeps a hang from stalling CI.
pub const WATCHDOG: Duration = Duration::from_secs(120);

/// Runs a command to its end with stdin closed, killing it and failing the test if it is still
/// running after [`WATCHDOG`].
pub fn run_bounded(command: &mut Command, what: &str) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Read both pipes on threads so a chatty child never blocks on a full pipe.
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read(Box::new(stdout));
    let stderr = read(Box::new(stderr));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {WATCHDOG:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Every file under `root` (recursively), except those `skip` says to leave out.
pub fn files_under(root: &Path, skip: &dyn Fn(&Path) -> bool) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(directory) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&directory) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if skip(&path) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Says why a test does nothing on this machine.
#[expect(clippy::print_stderr, reason = "a skipped test says why")]
pub fn skip(reason: &str) {
    eprintln!("skipped: {reason}");
}

/// `PUT path` with a JSON body on the emulator at `url` (plain HTTP/1.1 on loopback), for
/// placing State API values the way another flowform on another machine would.
pub fn http_put(url: &str, token: &str, path: &str, body: &serde_json::Value) {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).expect("the emulator accepts");
    let body = body.to_string();
    let request = format!(
        "PUT {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("the request is sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("the emulator answers");
    assert!(response.starts_with("HTTP/1.1 2"), "PUT {path}: {response}");
}
