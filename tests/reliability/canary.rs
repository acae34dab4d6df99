//! The secret canary (issue 9): every secret and the API token are set to unique strings, and
//! every command runs (validate, schema, graph, plan, apply, destroy, import, state list/show/rm/mv/
//! unlock, run, emulator serve, the sandbox; refresh-only plans and applies, saved and not, and
//! the ordinary plan's note of changes made outside flowform, with a password changed in the UI
//! and one written in plain text in a spec), including failing paths (a 422 from the API, a
//! rejected token, a missing secret, a secret rotated after a saved plan, a held lock, the
//! duplicate guard), at every verbosity (`-q`, none,
//! `-v`, `-vv`). No canary may appear in stdout, stderr, plan files, state files or any other
//! file flowform leaves, and the secrets must really have reached the account (so the hunt is
//! not vacuous). The local sandbox's data file is the account's own storage, like the real
//! service's database: it holds the secrets, so it is left out of the hunt and must be mode
//! 0600.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use flowform_emulator::{AccountConfig, EmulatorConfig, ResourceKind};

use crate::common::{files_under, run_bounded};
use crate::support::{TestContext, bare_command};

const TOKEN_CANARY: &str = "tok-canary-9d41c7e2b8";
const WRONG_TOKEN_CANARY: &str = "tok-canary-wrong-51aa0f";
/// A password changed in the UI (outside flowform), which refresh-only plans look at.
const UI_EDIT_CANARY: &str = "canary-ui-edit-4c2e9a7f10";
/// A password written in plain text at a write-only path of a spec.
const PLAIN_CANARY: &str = "canary-plain-b81d3e6a57";
const SECRET_CANARIES: [(&str, &str); 4] = [
    ("CANARY_API_TOKEN", "canary-api-3b7e91d05c"),
    ("CANARY_PASSWORD", "canary-password-e64f2a8b1d"),
    ("CANARY_WEBHOOK", "canary-webhook-0c9d72e4aa"),
    ("CANARY_ROTATED", "canary-rotated-77b3e0c912"),
];

const SPEC: &str = concat!(
    main_and_api!("CANARY_API_TOKEN"),
    bearer_header!(),
    r#"  legacy:
    name: Legacy
    type: http
    http:
      baseURI: https://legacy.example.com
      mediaType: json
      auth:
        type: basic
        basic:
          username: svc
          password: ${secret.CANARY_PASSWORD}
exports:
  hook:
    name: Hook
    adaptorType: WebhookExport
    webhook:
      provider: custom
      verify: token
      token: ${secret.CANARY_WEBHOOK}
      path: /events
"#,
    post_import!(),
    r#"flows:
  sync:
    name: Sync
    _integrationId: ${integration.main}
    pageGenerators:
      - _exportId: ${export.hook}
    pageProcessors:
      - type: import
        _importId: ${import.post}
"#
);

/// Every canary: the token, the wrong token, and the secret values.
fn canaries() -> Vec<&'static str> {
    let mut all = vec![TOKEN_CANARY, WRONG_TOKEN_CANARY, UI_EDIT_CANARY, PLAIN_CANARY];
    all.extend(SECRET_CANARIES.iter().map(|(_, value)| *value));
    all
}

struct Hunt {
    context: TestContext,
    verbosity: Option<&'static str>,
    outputs: Vec<(String, String)>,
}

impl Hunt {
    fn command(&self, arguments: &[&str]) -> Command {
        let mut command = bare_command(self.context.root());
        command.env("CELIGO_BASE_URL", self.context.emulator.url());
        command.env("CELIGO_API_TOKEN", TOKEN_CANARY);
        for (name, value) in &SECRET_CANARIES[..3] {
            command.env(name, value);
        }
        if let Some(flag) = self.verbosity {
            command.arg(flag);
        }
        command.args(arguments);
        command
    }

    /// Runs a command and keeps its output for the hunt; returns the exit code.
    fn run(&mut self, what: &str, mut command: Command) -> Option<i32> {
        let output = run_bounded(&mut command, what);
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        self.outputs.push((format!("{what} ({:?})", self.verbosity), text));
        output.status.code()
    }

    fn expect(&mut self, what: &str, command: Command, code: i32) {
        let got = self.run(what, command);
        assert_eq!(got, Some(code), "{what}: {}", self.outputs.last().unwrap().1);
    }
}

fn every_command(verbosity: Option<&'static str>) -> Hunt {
    let context = TestContext::with_config(EmulatorConfig {
        accounts: vec![AccountConfig::new("canary", TOKEN_CANARY)],
        ..EmulatorConfig::for_tests()
    });
    context.write("spec.yaml", SPEC);
    let mut hunt = Hunt { context, verbosity, outputs: Vec::new() };
    let command = |hunt: &Hunt, arguments: &[&str]| hunt.command(arguments);

    hunt.expect("validate", command(&hunt, &["validate"]), 0);
    hunt.expect("schema", command(&hunt, &["schema"]), 0);
    for format in ["human", "json", "markdown"] {
        hunt.expect("plan", command(&hunt, &["plan", "--format", format]), 0);
    }
    hunt.expect("plan --out", command(&hunt, &["plan", "--out", "plan.json"]), 0);
    hunt.expect("graph --plan", command(&hunt, &["graph", "--plan", "plan.json"]), 0);
    for format in ["human", "json", "markdown"] {
        hunt.expect("show", command(&hunt, &["show", "plan.json", "--format", format]), 0);
    }
    hunt.expect("graph dot", command(&hunt, &["graph", "--format", "dot"]), 0);
    hunt.expect("apply PLANFILE", command(&hunt, &["apply", "plan.json"]), 0);
    hunt.expect("plan (no changes)", command(&hunt, &["plan", "--detailed-exitcode"]), 0);
    for arguments in [
        &["state", "list"][..],
        &["state", "list", "--format", "json"],
        &["state", "show", "connection.api"],
        &["state", "show", "connection.legacy", "--format", "json"],
    ] {
        hunt.expect("state", command(&hunt, arguments), 0);
    }
    hunt.expect("run --wait", command(&hunt, &["run", "flow.sync", "--wait"]), 0);
    // Stop managing a connection that holds a secret, then import it again.
    let state = hunt.context.state();
    let id = state["resources"]["connection.api"]["id"].as_str().unwrap().to_owned();
    hunt.expect("state rm", command(&hunt, &["state", "rm", "connection.api"]), 0);
    hunt.expect("duplicate guard", command(&hunt, &["plan"]), 1);
    hunt.expect("import", command(&hunt, &["import", "connection.api", &id]), 0);
    hunt.expect("import again", command(&hunt, &["import", "connection.api", &id]), 1);
    hunt.expect("apply after import", command(&hunt, &["apply", "--auto-approve"]), 0);
    // Changes made outside flowform (issue 15): a password and a filter edited in the UI, seen
    // by refresh-only plans in every format, saved, applied from the file and directly, and
    // noted by the ordinary plan in every format.
    let legacy = state["resources"]["connection.legacy"]["id"].as_str().unwrap().to_owned();
    let hook = state["resources"]["export.hook"]["id"].as_str().unwrap().to_owned();
    let admin = hunt.context.admin();
    admin
        .edit(
            ResourceKind::Connections,
            &legacy,
            &serde_json::json!({"http": {"auth": {"basic": {"password": UI_EDIT_CANARY}}}}),
        )
        .unwrap();
    admin
        .edit(
            ResourceKind::Exports,
            &hook,
            &serde_json::json!({"filter": {"type": "expression", "expression": {"version": "1", "rules": ["equals", ["string", ["extract", "x"]], "y"]}}}),
        )
        .unwrap();
    for format in ["human", "json", "markdown"] {
        hunt.expect(
            "plan --refresh-only",
            command(&hunt, &["plan", "--refresh-only", "--detailed-exitcode", "--format", format]),
            2,
        );
        hunt.expect("plan with a note", command(&hunt, &["plan", "--format", format]), 0);
    }
    hunt.expect(
        "plan --refresh-only --out",
        command(&hunt, &["plan", "--refresh-only", "--out", "refresh.json"]),
        0,
    );
    hunt.expect("graph --plan refresh", command(&hunt, &["graph", "--plan", "refresh.json"]), 0);
    for format in ["human", "json", "markdown"] {
        hunt.expect(
            "show a refresh-only plan",
            command(&hunt, &["show", "refresh.json", "--format", format]),
            0,
        );
    }
    hunt.expect("apply a refresh-only PLANFILE", command(&hunt, &["apply", "refresh.json"]), 0);
    hunt.expect(
        "apply --refresh-only",
        command(&hunt, &["apply", "--refresh-only", "--auto-approve"]),
        0,
    );
    hunt.expect(
        "apply --refresh-only --format json",
        command(&hunt, &["apply", "--refresh-only", "--auto-approve", "--format", "json"]),
        0,
    );
    hunt.expect(
        "plan --refresh-only (nothing changed)",
        command(&hunt, &["plan", "--refresh-only", "--detailed-exitcode"]),
        0,
    );
    // A secret in plain text at a write-only path: refused by validation or not, never shown.
    hunt.context.write(
        "plain.yaml",
        &format!(
            "connections:\n  plain:\n    name: Plain\n    type: http\n    http:\n      baseURI: https://plain.example.com\n      mediaType: json\n      auth:\n        type: basic\n        basic:\n          username: svc\n          password: {PLAIN_CANARY}\n"
        ),
    );
    hunt.run("validate a plain secret", command(&hunt, &["validate"]));
    for format in ["human", "json", "markdown"] {
        hunt.run("plan a plain secret", command(&hunt, &["plan", "--format", format]));
    }
    fs_err::remove_file(hunt.context.root().join("plain.yaml")).unwrap();
    hunt.expect("apply the UI edits back", command(&hunt, &["apply", "--auto-approve"]), 0);

    // `state mv` to an address the spec does not declare (refused or not, it must not leak).
    hunt.run("state mv", command(&hunt, &["state", "mv", "connection.legacy", "connection.old"]));

    // A secret rotated after a saved plan: the plan shows `(sensitive)`, applying the old plan
    // is refused naming the secret, a fresh apply writes the new value.
    let rotated = |hunt: &Hunt, arguments: &[&str]| {
        let mut command = hunt.command(arguments);
        command.env("CANARY_API_TOKEN", SECRET_CANARIES[3].1);
        command
    };
    hunt.expect("plan --out before a rotation", command(&hunt, &["plan", "--out", "old.json"]), 0);
    hunt.expect("plan after a rotation", rotated(&hunt, &["plan", "--detailed-exitcode"]), 2);
    hunt.expect("stale plan after a rotation", rotated(&hunt, &["apply", "old.json"]), 1);
    hunt.expect("apply a rotation", rotated(&hunt, &["apply", "--auto-approve"]), 0);
    let stored = hunt.context.admin().documents(ResourceKind::Connections);
    assert!(
        stored.iter().any(|document| document.to_string().contains(SECRET_CANARIES[3].1)),
        "the rotated secret reached the account"
    );

    // Failing paths.
    let mut missing = command(&hunt, &["plan"]);
    missing.env_remove("CANARY_PASSWORD");
    hunt.expect("missing secret", missing, 1);
    let mut wrong_token = command(&hunt, &["plan"]);
    wrong_token.env("CELIGO_API_TOKEN", WRONG_TOKEN_CANARY);
    hunt.expect("rejected token", wrong_token, 1);
    hunt.context.write(
        "broken.yaml",
        "exports:\n  refused:\n    name: Refused\n    _connectionId: ${connection.api}\n    http:\n      method: GET\n      relativeURI: /x\n",
    );
    hunt.expect("apply refused by the API", rotated(&hunt, &["apply", "--auto-approve"]), 1);
    hunt.expect(
        "apply refused by the API, as JSON events",
        rotated(&hunt, &["apply", "--auto-approve", "--format", "json"]),
        1,
    );
    fs_err::remove_file(hunt.context.root().join("broken.yaml")).unwrap();
    hunt.context.write(".flowform/state.json.lock", r#"{"pid":4242,"host":"elsewhere","command":"apply","acquired_at":"2026-01-01T00:00:00.000Z"}"#);
    hunt.expect("held lock", rotated(&hunt, &["apply", "--auto-approve"]), 1);
    hunt.expect("plan during a held lock", rotated(&hunt, &["plan", "--format", "json"]), 0);
    hunt.expect("state unlock", command(&hunt, &["state", "unlock"]), 0);
    hunt.expect("usage error", command(&hunt, &["plan", "--frobnicate"]), 64);
    hunt.expect(
        "plan --destroy",
        rotated(&hunt, &["plan", "--destroy", "--format", "markdown"]),
        0,
    );
    hunt.expect(
        "destroy --target",
        rotated(
            &hunt,
            &["destroy", "--target", "connection.api", "--auto-approve", "--format", "json"],
        ),
        0,
    );
    hunt.expect("destroy", rotated(&hunt, &["destroy", "--auto-approve"]), 0);

    // The local sandbox.
    let mut sandbox = bare_command(hunt.context.root());
    sandbox.args([
        "--sandbox",
        "--state",
        ".flowform/sandbox-state.json",
        "apply",
        "--auto-approve",
    ]);
    for (name, value) in &SECRET_CANARIES[..3] {
        sandbox.env(name, value);
    }
    if let Some(flag) = verbosity {
        sandbox.arg(flag);
    }
    hunt.expect("sandbox apply", sandbox, 0);

    // `emulator serve` with the token given as a flag: its first line is its URL.
    let mut serve =
        hunt.command(&["emulator", "serve", "--addr", "127.0.0.1:0", "--token", TOKEN_CANARY]);
    let mut child = serve.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    assert!(first.starts_with("http://127.0.0.1:"), "{first}");
    hunt.outputs.push((
        "emulator serve".to_owned(),
        format!("{first}{}", String::from_utf8_lossy(&output.stderr)),
    ));
    hunt
}

fn is_sandbox_data(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "sandbox.json")
}

#[test]
fn no_canary_in_any_output_or_file_at_any_verbosity() {
    let mut runs = 0;
    let mut files = 0;
    for verbosity in [Some("-q"), None, Some("-v"), Some("-vv")] {
        let hunt = every_command(verbosity);
        for (what, output) in &hunt.outputs {
            for canary in canaries() {
                assert!(!output.contains(canary), "{what}: `{canary}` leaked:\n{output}");
            }
        }
        runs += hunt.outputs.len();
        let root = hunt.context.root();
        let sandbox = root.join(".flowform/sandbox.json");
        let sandbox_text = fs_err::read_to_string(&sandbox).unwrap();
        assert!(
            sandbox_text.contains(SECRET_CANARIES[0].1),
            "the sandbox is the account's storage"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs_err::metadata(&sandbox).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the sandbox data file is private");
        }
        for path in files_under(root, &is_sandbox_data) {
            let bytes = fs_err::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for canary in canaries() {
                assert!(!text.contains(canary), "`{canary}` leaked into {}", path.display());
            }
            files += 1;
        }
        // The hunt looked where secrets would land: the state and both saved plans exist.
        for written in [".flowform/state.json", "plan.json", "old.json", "refresh.json"] {
            assert!(root.join(written).exists(), "{written}");
        }
    }
    report(runs, files);
}

#[expect(clippy::print_stderr, reason = "the test reports its figures for docs/reliability.md")]
fn report(runs: usize, files: usize) {
    eprintln!(
        "canary hunt: {runs} command runs and {files} files searched for {} canaries, none found",
        canaries().len()
    );
}
