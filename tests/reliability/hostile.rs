//! The hostile input catalogue (issue 9): spec files, flags and environment variables, state
//! files, plan files and API responses crafted to break flowform. Each case runs the real
//! binary and must end, within the watchdog, with exit 1 (or 64 for a usage error), an `error:`
//! line carrying the expected message, and no panic. The API cases point `CELIGO_BASE_URL` at
//! a small hostile HTTP server in this process (plain `std::net`, one thread per connection).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::run_bounded;
use crate::support::{TOKEN, TestContext, bare_command};

/// What the hostile server does with one request.
enum Answer {
    /// Writes these bytes, then closes the connection.
    Bytes(Vec<u8>),
    /// Reads the request and never answers (until the server stops).
    Silence,
    /// Closes the connection without a byte.
    Close,
}

type Behaviour = dyn Fn(&str, &str) -> Answer + Send + Sync;

/// Extra setup of a case, run on its context before the command.
type Prepare = Box<dyn Fn(&TestContext)>;

/// An HTTP server on loopback that answers every request through a behaviour.
struct HostileServer {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HostileServer {
    fn start(behaviour: Arc<Behaviour>) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let behaviour = Arc::clone(&behaviour);
                let stopping = Arc::clone(&stopping);
                std::thread::spawn(move || serve(stream, &*behaviour, &stopping));
            }
        });
        HostileServer { url, stop, thread: Some(thread) }
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, behaviour: &Behaviour, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut stream = stream;
    match behaviour(&method, &path) {
        Answer::Bytes(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Answer::Silence => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Answer::Close => {}
    }
}

/// An HTTP response with a JSON (or any) body and extra header lines.
fn response(status: &str, headers: &[&str], body: &[u8]) -> Answer {
    let mut bytes =
        format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len())
            .into_bytes();
    for header in headers {
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    Answer::Bytes(bytes)
}

fn json(body: &str) -> Answer {
    response("200 OK", &["Content-Type: application/json"], body.as_bytes())
}

/// A server whose token check passes and whose lists do `lists`.
fn with_lists(lists: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Arc<Behaviour> {
    Arc::new(move |_method: &str, path: &str| {
        if path.starts_with("/v1/tokenInfo") {
            json(r#"{"_userId": "5f0000000000000000000001", "scope": "full"}"#)
        } else {
            lists(path)
        }
    })
}

/// A spec that plans against any account: one integration.
const SMALL_SPEC: &str = "integrations:\n  main:\n    name: Main\n";

/// One case of the catalogue.
struct Case {
    name: &'static str,
    /// Files written under the spec root before the run.
    files: Vec<(&'static str, Vec<u8>)>,
    arguments: Vec<String>,
    environment: Vec<(&'static str, String)>,
    /// Run against this hostile server (with the test token) instead of the emulator.
    server: Option<Arc<Behaviour>>,
    /// Set up more (files that need the emulator's state, symlinks, …) before the run.
    prepare: Option<Prepare>,
    code: i32,
    message: &'static str,
}

fn case(name: &'static str, arguments: &[&str], code: i32, message: &'static str) -> Case {
    Case {
        name,
        files: vec![("spec.yaml", SMALL_SPEC.as_bytes().to_vec())],
        arguments: arguments.iter().map(|argument| (*argument).to_owned()).collect(),
        environment: Vec::new(),
        server: None,
        prepare: None,
        code,
        message,
    }
}

impl Case {
    fn spec(mut self, text: &str) -> Case {
        self.files = vec![("spec.yaml", text.as_bytes().to_vec())];
        self
    }
    fn file(mut self, path: &'static str, bytes: impl Into<Vec<u8>>) -> Case {
        self.files.push((path, bytes.into()));
        self
    }
    fn env(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.environment.push((name, value.into()));
        self
    }
    fn server(mut self, behaviour: Arc<Behaviour>) -> Case {
        self.server = Some(behaviour);
        self
    }
    fn prepare(mut self, prepare: impl Fn(&TestContext) + 'static) -> Case {
        self.prepare = Some(Box::new(prepare));
        self
    }
}

fn spec_cases() -> Vec<Case> {
    let deep = format!(
        "integrations:\n  main:\n    name: Main\n    settings: {}{}\n",
        "[".repeat(300),
        "]".repeat(300)
    );
    let alias_bomb = "integrations:\n  main:\n    name: Main\n    settings:\n      a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    let mut huge = b"integrations:\n  main:\n    name: Main\n    description: \"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 17 * 1024 * 1024));
    huge.extend_from_slice(b"\"\n");
    vec![
        case("yaml syntax error", &["validate"], 1, "the spec has 1 error")
            .spec("integrations:\n  main: {name: Main\n"),
        case("unknown top-level section", &["validate"], 1, "flws")
            .spec("flws:\n  a:\n    name: A\n"),
        case("invalid key", &["validate"], 1, "Bad Key").spec("integrations:\n  Bad Key:\n    name: A\n"),
        case("duplicate key across files", &["validate"], 1, "duplicate")
            .file("other.yaml", "integrations:\n  main:\n    name: Other\n"),
        case("unknown reference", &["validate"], 1, "connection.nope")
            .spec("exports:\n  a:\n    name: A\n    adaptorType: HTTPExport\n    _connectionId: ${connection.nope}\n"),
        case("server-owned field", &["validate"], 1, "server-owned")
            .spec("integrations:\n  main:\n    name: Main\n    _id: \"0123456789abcdef01234567\"\n"),
        case("unresolved variable", &["validate"], 1, "var.nope")
            .spec("integrations:\n  main:\n    name: ${var.nope}\n"),
        case("missing secret at plan time", &["plan"], 1, "MISSING_SECRET")
            .spec("connections:\n  c:\n    name: C\n    type: http\n    http:\n      auth:\n        token:\n          token: ${secret.MISSING_SECRET}\n"),
        case("the secret mask as a value", &["validate"], 1, "******")
            .spec("connections:\n  c:\n    name: C\n    type: http\n    http:\n      auth:\n        token:\n          token: \"******\"\n"),
        case("contentFile escaping the root", &["validate"], 1, "../outside.js")
            .spec("scripts:\n  s:\n    name: S\n    contentFile: ../outside.js\n"),
        case("contentFile absolute", &["validate"], 1, "/etc/passwd")
            .spec("scripts:\n  s:\n    name: S\n    contentFile: /etc/passwd\n"),
        case("contentFile through a symlink out of the root", &["validate"], 1, "link.js")
            .spec("scripts:\n  s:\n    name: S\n    contentFile: link.js\n")
            .prepare(|context| {
                #[cfg(unix)]
                std::os::unix::fs::symlink("/etc/hostname", context.root().join("link.js")).unwrap();
            }),
        case("reference cycle", &["validate"], 1, "cycle")
            .spec("flows:\n  a:\n    name: A\n    pageGenerators:\n      - _exportId: \"0123456789abcdef01234567\"\n        _keepDeltaBehindFlowId: ${flow.b}\n  b:\n    name: B\n    pageGenerators:\n      - _exportId: \"0123456789abcdef01234567\"\n        _keepDeltaBehindFlowId: ${flow.a}\n"),
        case("nesting 300 deep", &["validate"], 1, "deep").spec(&deep),
        case("alias bomb", &["validate"], 1, "alias").spec(alias_bomb),
        case("a 17 MiB spec file", &["validate"], 1, "MiB")
            .prepare(move |context| fs_err::write(context.root().join("spec.yaml"), &huge).unwrap()),
        case("not UTF-8", &["validate"], 1, "UTF-8").prepare(|context| {
            fs_err::write(context.root().join("spec.yaml"), b"integrations:\n  main:\n    name: \xff\xfe\n").unwrap();
        }),
        // Named with `-f`: in a folder, a file with no spec section is skipped, not read.
        case("NUL bytes", &["validate", "-f", "spec.yaml"], 1, "spec.yaml").prepare(|context| {
            fs_err::write(context.root().join("spec.yaml"), b"\0\0\0integrations\0").unwrap();
        }),
        case("a list at the top", &["validate", "-f", "spec.yaml"], 1, "mapping")
            .spec("- integrations\n- flows\n"),
        case("unquoted reference in flow style", &["validate"], 1, "quote")
            .spec("flows:\n  f:\n    name: F\n    pageGenerators: [{_exportId: ${export.a}}]\n"),
        case("missing environment file", &["validate", "--env", "nowhere"], 1, "environments/nowhere.yaml"),
        case("environment file with an unknown key", &["validate", "--env", "dev"], 1, "colour")
            .file("environments/dev.yaml", "colour: blue\n"),
    ]
}

fn flag_cases() -> Vec<Case> {
    vec![
        case("unknown flag", &["plan", "--frobnicate"], 64, "--frobnicate"),
        case("--var without a value", &["validate", "--var", "novalue"], 64, "NAME=VALUE"),
        case("--parallelism 0", &["apply", "--parallelism", "0"], 64, "parallelism"),
        case("--lock-timeout not a number", &["plan", "--lock-timeout", "soon"], 64, "soon"),
        case(
            "plain http to a remote host",
            &["plan", "--endpoint", "http://example.com"],
            64,
            "loopback",
        ),
        case("a non-http scheme from the environment", &["plan"], 64, "CELIGO_BASE_URL")
            .env("CELIGO_BASE_URL", "ftp://example.com"),
        case(
            "credentials in the endpoint",
            &["plan", "--endpoint", "https://user:hunter2@example.com"],
            64,
            "credentials",
        ),
        case(
            "missing token file",
            &["plan", "--token-file", "/nonexistent/token"],
            1,
            "token file",
        ),
        case("empty token file", &["plan", "--token-file", "token"], 1, "is empty")
            .file("token", ""),
        case("a token with a space", &["plan"], 1, "whitespace").env("CELIGO_API_TOKEN", "tok en"),
        case(
            "--target that is not an address",
            &["plan", "--target", "not an address"],
            1,
            "not an address",
        ),
        case("--target naming nothing", &["plan", "--target", "flow.nowhere"], 1, "flow.nowhere"),
        case("CI without a token", &["plan"], 1, "`CI` is set").env("CI", "true"),
        case("unknown plan format", &["plan", "--format", "yaml"], 64, "yaml"),
        case(
            "a spec path that does not exist",
            &["validate", "-f", "missing.yaml"],
            1,
            "missing.yaml",
        ),
        case("unknown command", &["deploy"], 64, "deploy"),
    ]
}

/// A valid state document bound to the test's emulator, written by a real apply.
fn applied(context: &TestContext) {
    let output = run_bounded(context.flowform().args(["apply", "--auto-approve"]), "apply");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

fn rewrite_state(context: &TestContext, edit: impl Fn(String) -> String) {
    applied(context);
    let path = context.root().join(".flowform/state.json");
    let text = fs_err::read_to_string(&path).unwrap();
    fs_err::write(&path, edit(text)).unwrap();
}

fn state_cases() -> Vec<Case> {
    vec![
        case("truncated state", &["plan"], 1, "state.json")
            .prepare(|context| rewrite_state(context, |text| text[..text.len() / 2].to_owned())),
        case("state that is not JSON", &["plan"], 1, "not valid")
            .prepare(|context| rewrite_state(context, |_| "this is not json".to_owned())),
        case("state that is a JSON array", &["plan"], 1, "not valid")
            .prepare(|context| rewrite_state(context, |_| "[1, 2, 3]".to_owned())),
        case("empty state file", &["plan"], 1, "state.json")
            .prepare(|context| rewrite_state(context, |_| String::new())),
        case(
            "state from a newer flowform",
            &["apply", "--auto-approve"],
            1,
            "newer than this flowform",
        )
        .prepare(|context| {
            rewrite_state(context, |text| text.replacen("\"version\": 2", "\"version\": 99", 1))
        }),
        case("state with version 0", &["plan"], 1, "at least 1").prepare(|context| {
            rewrite_state(context, |text| text.replacen("\"version\": 2", "\"version\": 0", 1))
        }),
        case("state of another account", &["apply", "--auto-approve"], 1, "belongs to").prepare(
            |context| {
                rewrite_state(context, |text| {
                    let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
                    state["target"] = serde_json::json!(
                        "https://api.integrator.io (user 5f00000000000000000000ff)"
                    );
                    state.to_string()
                })
            },
        ),
        case("state with an invalid address", &["plan"], 1, "Main").prepare(|context| {
            rewrite_state(context, |text| text.replace("integration.main", "integration.Main"))
        }),
        case("state with a resource without id", &["plan"], 1, "empty `id`").prepare(|context| {
            rewrite_state(context, |text| {
                let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
                state["resources"]["integration.main"]["id"] = serde_json::json!("");
                state.to_string()
            })
        }),
        case("state path that is a directory", &["plan"], 1, "state.json").prepare(|context| {
            fs_err::create_dir_all(context.root().join(".flowform/state.json/inner")).unwrap();
        }),
    ]
}

/// Saves a plan of an edited spec to `plan.json` (the state exists and is unchanged).
fn saved_plan(context: &TestContext) -> std::path::PathBuf {
    applied(context);
    context.write("spec.yaml", &SMALL_SPEC.replace("name: Main", "name: Main 2"));
    let output = run_bounded(context.flowform().args(["plan", "--out", "plan.json"]), "plan --out");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    context.root().join("plan.json")
}

fn rewrite_plan(context: &TestContext, edit: impl Fn(String) -> String) {
    let path = saved_plan(context);
    let text = fs_err::read_to_string(&path).unwrap();
    fs_err::write(&path, edit(text)).unwrap();
}

fn plan_cases() -> Vec<Case> {
    let apply_plan = ["apply", "plan.json"];
    let graph_plan = ["graph", "--plan", "plan.json"];
    let show_plan = ["show", "plan.json"];
    vec![
        case("truncated plan file", &apply_plan, 1, "not a readable flowform plan")
            .prepare(|context| rewrite_plan(context, |text| text[..text.len() / 2].to_owned())),
        case("tampered plan file", &apply_plan, 1, "modified after it was written").prepare(
            |context| rewrite_plan(context, |text| text.replacen("\"update\"", "\"delete\"", 1)),
        ),
        case("plan file from a newer flowform", &apply_plan, 1, "newer flowform").prepare(
            |context| {
                rewrite_plan(context, |text| {
                    text.replacen("\"format_version\": 1", "\"format_version\": 42", 1)
                })
            },
        ),
        case("plan file that is not a plan", &apply_plan, 1, "flowform-plan").prepare(|context| {
            rewrite_plan(context, |_| "{\"kind\": \"terraform-plan\"}".to_owned())
        }),
        case("plan file that is not JSON", &apply_plan, 1, "not a readable flowform plan")
            .prepare(|context| rewrite_plan(context, |_| "\u{1f4a3}".to_owned())),
        case("plan file of another workspace", &apply_plan, 1, "state lineage").prepare(
            |context| {
                saved_plan(context);
                // Another workspace: a fresh state (new lineage) for the same account.
                fs_err::remove_dir_all(context.root().join(".flowform")).unwrap();
                context.admin().reset();
                applied(context);
            },
        ),
        case("plan file of another target", &apply_plan, 1, "target").prepare(|context| {
            rewrite_plan(context, |text| {
                let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
                plan["target"] = serde_json::json!(
                    "https://api.eu.integrator.io (user 5f00000000000000000000ff)"
                );
                plan.to_string()
            })
        }),
        case("stale plan file", &apply_plan, 1, "stale").prepare(|context| {
            saved_plan(context);
            applied(context);
        }),
        case("missing plan file", &["apply", "nowhere.json"], 1, "nowhere.json"),
        // `graph --plan` reads the same files without the account.
        case("graph of a truncated plan file", &graph_plan, 1, "not a readable flowform plan")
            .prepare(|context| rewrite_plan(context, |text| text[..text.len() / 2].to_owned())),
        case("graph of a plan with an unknown action", &graph_plan, 1, "unknown action `explode`")
            .prepare(|context| {
                rewrite_plan(context, |text| {
                    text.replacen("\"action\": \"update\"", "\"action\": \"explode\"", 1)
                })
            }),
        case("graph of a plan file from a newer flowform", &graph_plan, 1, "newer flowform")
            .prepare(|context| {
                rewrite_plan(context, |text| {
                    text.replacen("\"format_version\": 1", "\"format_version\": 42", 1)
                })
            }), // `show` reads them without the account, and renders the embedded plan.
        case("show of a truncated plan file", &show_plan, 1, "not a readable flowform plan")
            .prepare(|context| rewrite_plan(context, |text| text[..text.len() / 2].to_owned())),
        case(
            "show of a plan with an unknown action",
            &show_plan,
            1,
            "does not know the action `explode`",
        )
        .prepare(|context| {
            rewrite_plan(context, |text| {
                text.replace("\"action\": \"update\"", "\"action\": \"explode\"")
            })
        }),
        case("show of a plan whose plan is not a plan", &show_plan, 1, "is not a JSON plan")
            .prepare(|context| {
                rewrite_plan(context, |text| {
                    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
                    plan["plan"] = serde_json::json!({"format_version": 1, "changes": "none"});
                    plan.to_string()
                })
            }),
        case("show of a plan file from a newer flowform", &show_plan, 1, "newer flowform").prepare(
            |context| {
                rewrite_plan(context, |text| {
                    text.replacen("\"format_version\": 1", "\"format_version\": 42", 1)
                })
            },
        ),
    ]
}

fn api_cases() -> Vec<Case> {
    let ten_megabytes = 10 * 1024 * 1024;
    vec![
        case("a list that is not JSON", &["plan"], 1, "not JSON").server(with_lists(|_| {
            response("200 OK", &["Content-Type: text/html"], b"<html>maintenance</html>")
        })),
        case("a list that is a string", &["plan"], 1, "expected a JSON array")
            .server(with_lists(|_| json("\"flows\""))),
        case("list items without ids", &["plan"], 1, "string `_id`")
            .server(with_lists(|_| json(r#"[{"name": "no id"}]"#))),
        case("list items of the wrong type", &["plan"], 1, "string `_id`")
            .server(with_lists(|_| json("[1, true, null]"))),
        case("tokenInfo that is an array", &["plan"], 1, "expected a JSON object")
            .server(Arc::new(|_: &str, _: &str| json("[]"))),
        case("a 10 MB body that is not JSON", &["plan"], 1, "not JSON")
            .server(with_lists(move |_| response("200 OK", &[], &vec![b'x'; ten_megabytes]))),
        case("a 10 MB body nested too deep", &["plan"], 1, "not JSON")
            .server(with_lists(move |_| response("200 OK", &[], &vec![b'['; ten_megabytes]))),
        case("a body declared as 10 GB", &["plan"], 1, "larger than").server(with_lists(|_| {
            Answer::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 10737418240\r\n\r\n[".to_vec())
        })),
        case("a server that never answers", &["plan"], 1, "timed out")
            .env("FLOWFORM_HTTP_TIMEOUT_SECS", "0.3")
            .server(Arc::new(|_: &str, _: &str| Answer::Silence)),
        case("a Link header that loops back to the same page", &["plan"], 1, "loop").server(
            with_lists(|path| {
                let link = format!("Link: <{path}>; rel=\"next\"");
                response("200 OK", &[link.as_str()], b"[]")
            }),
        ),
        case("a 401", &["plan"], 1, "401").server(Arc::new(|_: &str, _: &str| {
            response("401 Unauthorized", &[], br#"{"message": "Bearer Authentication Failed"}"#)
        })),
        case("every request a 500", &["plan"], 1, "500")
            .server(with_lists(|_| response("500 Internal Server Error", &[], b"{}"))),
        case("a redirect to another host", &["plan"], 1, "redirect").server(with_lists(|_| {
            response("302 Found", &["Location: https://evil.example/steal"], b"")
        })),
        case("a connection closed without an answer", &["plan"], 1, "tokenInfo")
            .server(Arc::new(|_: &str, _: &str| Answer::Close)),
        case("an answer that is not HTTP", &["plan"], 1, "tokenInfo").server(Arc::new(
            |_: &str, _: &str| Answer::Bytes(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()),
        )),
        case("429 for ever", &["plan"], 1, "429").server(with_lists(|_| {
            response("429 Too Many Requests", &["Retry-After: 99999"], b"{}")
        })),
        case("an error body with a huge message", &["plan"], 1, "500").server(with_lists(|_| {
            let body = format!(
                r#"{{"errors": [{{"code": "x", "message": "{}"}}]}}"#,
                "m".repeat(2_000_000)
            );
            response("500 Internal Server Error", &[], body.as_bytes())
        })),
        case("an error body with 50,000 errors", &["plan"], 1, "500").server(with_lists(|_| {
            let entry = format!(r#"{{"code": "c", "message": "{}"}}"#, "m".repeat(1_000));
            let body = format!(r#"{{"errors": [{}]}}"#, vec![entry; 50_000].join(","));
            response("500 Internal Server Error", &[], body.as_bytes())
        })),
    ]
}

fn run_case(case: &Case) -> String {
    let context = TestContext::new();
    for (path, bytes) in &case.files {
        let path = context.root().join(path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, bytes).unwrap();
    }
    if let Some(prepare) = &case.prepare {
        prepare(&context);
    }
    let server = case.server.as_ref().map(|behaviour| HostileServer::start(Arc::clone(behaviour)));
    let mut command: Command = match &server {
        Some(server) => {
            let mut command = bare_command(context.root());
            command.env("CELIGO_BASE_URL", &server.url).env("CELIGO_API_TOKEN", TOKEN);
            command
        }
        None => match case.environment.iter().any(|(name, _)| *name == "CI") {
            // The CI case needs no token and no endpoint.
            true => bare_command(context.root()),
            false => context.flowform(),
        },
    };
    command.args(&case.arguments);
    for (name, value) in &case.environment {
        command.env(name, value);
    }
    let output = run_bounded(&mut command, case.name);
    drop(server);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = |text: &str| text.chars().take(3_000).collect::<String>();
    assert_eq!(
        output.status.code(),
        Some(case.code),
        "{}: stdout:\n{}\nstderr:\n{}",
        case.name,
        shown(&stdout),
        shown(&stderr)
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{}: {stderr}",
        case.name
    );
    assert!(stderr.contains("error"), "{}: no error line: {}", case.name, shown(&stderr));
    assert!(
        stderr.contains(case.message),
        "{}: expected `{}` in:\n{}",
        case.name,
        case.message,
        shown(&stderr)
    );
    assert!(!stderr.contains(TOKEN) && !stdout.contains(TOKEN), "{}: the token leaked", case.name);
    assert!(
        stderr.len() < 100_000,
        "{}: {} bytes of stderr is not a clear message",
        case.name,
        stderr.len()
    );
    // The line that carries the message, for the report.
    let line = stderr.lines().find(|line| line.contains(case.message)).unwrap_or_default();
    line.chars().take(200).collect()
}

#[expect(clippy::print_stderr, reason = "the test reports its figures for docs/reliability.md")]
fn report(group: &str, lines: &[(String, String)]) {
    eprintln!("hostile {group}: {} cases", lines.len());
    for (name, first) in lines {
        eprintln!("  {name}: {first}");
    }
}

fn run_group(group: &str, cases: Vec<Case>) -> usize {
    let lines: Vec<(String, String)> =
        cases.iter().map(|case| (case.name.to_owned(), run_case(case))).collect();
    report(group, &lines);
    lines.len()
}

#[test]
fn hostile_spec_files() {
    assert!(run_group("spec files", spec_cases()) >= 10);
}

#[test]
fn hostile_flags_and_environment() {
    assert!(run_group("flags and environment", flag_cases()) >= 10);
}

#[test]
fn hostile_state_files() {
    assert!(run_group("state files", state_cases()) >= 5);
}

#[test]
fn hostile_plan_files() {
    assert!(run_group("plan files", plan_cases()) >= 5);
}

#[test]
fn hostile_api_responses() {
    assert!(run_group("API responses", api_cases()) >= 10);
}

/// The catalogue holds at least 40 cases (issue 9).
#[test]
fn the_catalogue_has_at_least_forty_cases() {
    let total = spec_cases().len()
        + flag_cases().len()
        + state_cases().len()
        + plan_cases().len()
        + api_cases().len();
    assert!(total >= 40, "{total} cases");
}
