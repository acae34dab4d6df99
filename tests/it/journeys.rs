//! The README's user journeys, run as written. Every block of README.md marked
//! ```` ```sh journey=NAME ```` is taken from the README itself and run line by line against
//! emulator accounts, so the README and what flowform does cannot drift apart:
//!
//! - `cd DIR` and `export NAME=VALUE…` change the directory and the environment of what follows;
//! - `[NAME=VALUE…] flowform ARGS… [> FILE]` runs the real binary; a trailing `# exit N`
//!   comment is the exit code it must end with (0 when there is none);
//! - any other line (a heredoc with its body, `sed`, `rm`, `git`, …) runs with `bash -c` and
//!   must succeed;
//! - comment lines are handed to the test, which does there what the comment says a person
//!   does elsewhere (an edit in the integrator.io UI).
//!
//! The journeys `start`, `add-flow`, `review`, `drift`, `rename` and `stop-managing` are one
//! story on one account (the fixtures below): each test runs the journeys before its own first.
//! `promote` runs on a copy of `examples/promotion` with a sandbox and a production emulator;
//! `teardown` runs on the story's account right after `start`; `quickstart` and
//! `quickstart-destroy` on a copy of `flows.example.yaml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use flowform_emulator::{AccountConfig, BackgroundEmulator, EmulatorConfig, ResourceKind};

use crate::support::{TOKEN, TestContext, binary, repository_root};

/// The journeys of the story, in README order.
const STORY: [&str; 6] = ["start", "add-flow", "review", "drift", "rename", "stop-managing"];

/// One step of a journey block.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// A `# …` line.
    Comment(String),
    /// `cd DIR`.
    ChangeDirectory(String),
    /// `export NAME=VALUE…`.
    Export(Vec<(String, String)>),
    /// `[NAME=VALUE…] flowform ARGS… [> FILE] [# exit N]`.
    Flowform {
        /// The line as written, for messages.
        line: String,
        environment: Vec<(String, String)>,
        arguments: Vec<String>,
        stdout_file: Option<String>,
        expected_exit: i32,
    },
    /// Anything else, run with `bash -c` (a heredoc comes with its body).
    Shell(String),
}

/// The README's journey blocks by name.
fn readme_journeys() -> BTreeMap<String, String> {
    let readme = fs_err::read_to_string(repository_root().join("README.md")).expect("README.md");
    let mut journeys = BTreeMap::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```sh journey=") {
        let after = &rest[start + "```sh journey=".len()..];
        let (name, body) = after.split_once('\n').expect("a journey block has a body");
        let end = body.find("\n```").expect("a journey block is closed");
        let previous = journeys.insert(name.trim().to_owned(), body[..end + 1].to_owned());
        assert!(previous.is_none(), "two README blocks are named journey={name}");
        rest = &body[end..];
    }
    journeys
}

/// Splits a line into words: whitespace separates, quotes group (and are removed), `$NAME` and
/// `${NAME}` outside single quotes are taken from `environment`.
fn words(line: &str, environment: &BTreeMap<String, String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        match (quote, character) {
            (Some(open), _) if character == open => quote = None,
            (None, '"' | '\'') => {
                quote = Some(character);
                in_word = true;
            }
            (None, ' ' | '\t') => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (Some('\'') | Some('\\'), _) => current.push(character),
            (_, '$')
                if characters.peek().is_some_and(|next| {
                    *next == '{' || next.is_ascii_alphabetic() || *next == '_'
                }) =>
            {
                let braced = characters.peek() == Some(&'{');
                if braced {
                    characters.next();
                }
                let mut name = String::new();
                while let Some(next) = characters.peek() {
                    if next.is_ascii_alphanumeric() || *next == '_' {
                        name.push(*next);
                        characters.next();
                    } else {
                        break;
                    }
                }
                if braced {
                    assert_eq!(
                        characters.next(),
                        Some('}'),
                        "`${{{name}` is not closed in `{line}`"
                    );
                }
                current.push_str(environment.get(&name).map_or("", String::as_str));
                in_word = true;
            }
            _ => {
                current.push(character);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "an unclosed quote in `{line}`");
    if in_word {
        words.push(current);
    }
    words
}

/// `NAME=VALUE` when `word` is an assignment.
fn assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    valid.then(|| (name.to_owned(), value.to_owned()))
}

/// The steps of a block: continuation lines joined, heredocs kept with their bodies.
fn steps(block: &str, environment: &BTreeMap<String, String>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = block.lines();
    while let Some(first) = lines.next() {
        let mut line = first.trim_end().to_owned();
        while line.ends_with('\\') {
            line.pop();
            line.push(' ');
            line.push_str(lines.next().expect("a continued line goes on").trim());
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            steps.push(Step::Comment(comment.trim().to_owned()));
            continue;
        }
        if let Some((_, marker)) = trimmed.split_once("<<") {
            let marker = marker.trim().trim_matches('\'').trim_matches('"').to_owned();
            let mut script = format!("{line}\n");
            loop {
                let body = lines.next().expect("a heredoc ends with its marker");
                script.push_str(body);
                script.push('\n');
                if body.trim() == marker {
                    break;
                }
            }
            steps.push(Step::Shell(script));
            continue;
        }
        let (command, comment) = match trimmed.split_once(" # ") {
            Some((command, comment)) => (command.trim(), Some(comment.trim())),
            None => (trimmed, None),
        };
        let all = words(command, environment);
        match all.first().map(String::as_str) {
            Some("cd") => {
                assert_eq!(all.len(), 2, "`{trimmed}`: cd takes one folder");
                steps.push(Step::ChangeDirectory(all[1].clone()));
            }
            Some("export") => steps.push(Step::Export(
                all[1..]
                    .iter()
                    .map(|word| {
                        assignment(word).unwrap_or_else(|| panic!("`{trimmed}`: not NAME=VALUE"))
                    })
                    .collect(),
            )),
            _ => {
                let split = all.iter().position(|word| assignment(word).is_none());
                let is_flowform = split.is_some_and(|index| all[index] == "flowform");
                if !is_flowform {
                    steps.push(Step::Shell(line.clone()));
                    continue;
                }
                let index = split.unwrap_or_default();
                let environment_words: Vec<(String, String)> =
                    all[..index].iter().filter_map(|word| assignment(word)).collect();
                let mut arguments: Vec<String> = all[index + 1..].to_vec();
                let mut stdout_file = None;
                if let Some(position) = arguments.iter().position(|word| word == ">") {
                    assert_eq!(
                        arguments.len(),
                        position + 2,
                        "`{trimmed}`: `> FILE` ends the line"
                    );
                    stdout_file = arguments.pop();
                    arguments.pop();
                }
                assert!(
                    !arguments
                        .iter()
                        .any(|word| ["|", "&&", "||", ";", "<"].contains(&word.as_str())),
                    "`{trimmed}`: a flowform line runs one command"
                );
                let expected_exit = comment
                    .and_then(|comment| comment.strip_prefix("exit "))
                    .map(|rest| {
                        rest.split(|c: char| !c.is_ascii_digit())
                            .next()
                            .and_then(|code| code.parse().ok())
                            .unwrap_or_else(|| panic!("`{trimmed}`: `# exit N` needs a number"))
                    })
                    .unwrap_or(0);
                steps.push(Step::Flowform {
                    line: trimmed.to_owned(),
                    environment: environment_words,
                    arguments,
                    stdout_file,
                    expected_exit,
                });
            }
        }
    }
    steps
}

/// Runs journey blocks in a folder with an environment, like a person at a shell.
struct Shell {
    directory: PathBuf,
    environment: BTreeMap<String, String>,
    /// Everything the flowform commands printed, for assertions and failure messages.
    transcript: String,
}

impl Shell {
    fn new(directory: &Path, environment: &[(&str, &str)]) -> Shell {
        let mut variables: BTreeMap<String, String> = [
            ("NO_COLOR", "1"),
            ("COLUMNS", "100"),
            ("FLOWFORM_TEST_NO_RETRY_DELAY", "1"),
            ("GIT_AUTHOR_NAME", "flowform test"),
            ("GIT_AUTHOR_EMAIL", "test@example.com"),
            ("GIT_COMMITTER_NAME", "flowform test"),
            ("GIT_COMMITTER_EMAIL", "test@example.com"),
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("HOME", &directory.display().to_string()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        // `bash`, `sed` and `git` come from the machine's PATH; `flowform` is the binary built
        // from this tree, found first.
        let binary_directory = binary().parent().expect("the binary has a folder");
        let path = std::env::var("PATH").unwrap_or_default();
        variables.insert("PATH".into(), format!("{}:{path}", binary_directory.display()));
        for (name, value) in environment {
            variables.insert((*name).to_owned(), (*value).to_owned());
        }
        Shell { directory: directory.to_owned(), environment: variables, transcript: String::new() }
    }

    /// Runs the journey `name` of the README; `on_comment` is called with each comment line.
    fn run(&mut self, name: &str, on_comment: &mut dyn FnMut(&str)) {
        let journeys = readme_journeys();
        let block = journeys
            .get(name)
            .unwrap_or_else(|| panic!("README.md has no ```sh journey={name} block"));
        for step in steps(block, &self.environment) {
            match step {
                Step::Comment(text) => on_comment(&text),
                Step::ChangeDirectory(folder) => {
                    self.directory = self.directory.join(folder);
                    assert!(self.directory.is_dir(), "{name}: `cd` into a missing folder");
                }
                Step::Export(assignments) => self.environment.extend(assignments),
                Step::Flowform { line, environment, arguments, stdout_file, expected_exit } => {
                    let output = Command::new(binary())
                        .env_clear()
                        .envs(&self.environment)
                        .envs(environment)
                        .args(&arguments)
                        .current_dir(&self.directory)
                        .output()
                        .expect("flowform runs");
                    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
                    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                    let shown = format!("$ {line}\n{stdout}{stderr}");
                    assert!(!shown.contains(TOKEN), "the API token leaked:\n{shown}");
                    self.transcript.push_str(&shown);
                    let code = output.status.code().unwrap_or(-1);
                    assert_eq!(
                        code, expected_exit,
                        "journey `{name}`: `{line}` exited {code}, the README says {expected_exit}:\n{shown}"
                    );
                    if let Some(file) = stdout_file {
                        fs_err::write(self.directory.join(file), &output.stdout).unwrap();
                    }
                }
                Step::Shell(script) => {
                    let output = Command::new("bash")
                        .args(["-e", "-c", &script])
                        .env_clear()
                        .envs(&self.environment)
                        .current_dir(&self.directory)
                        .output()
                        .expect("bash runs");
                    assert!(
                        output.status.success(),
                        "journey `{name}`: `{script}` failed:\n{}{}",
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
            }
        }
    }
}

/// The existing account of the story: an integration whose flow sends new shop orders to an
/// ERP, and a second flow (`Legacy sync`) that the team will stop managing.
fn existing_account() -> serde_json::Value {
    let shop = "5f0000000000000000000001";
    let erp = "5f0000000000000000000002";
    let integration = "5f0000000000000000000010";
    let export = "5f0000000000000000000020";
    let import = "5f0000000000000000000030";
    serde_json::json!({
        "integrations": [{"_id": integration, "name": "Orders", "description": "Shop orders into the ERP"}],
        "connections": [
            {"_id": shop, "name": "Shop API", "type": "http", "http": {
                "baseURI": "https://shop.example.com/api/v2", "mediaType": "json",
                "auth": {"type": "token", "token": {"token": "shop-secret", "location": "header", "headerName": "Authorization", "scheme": "Bearer"}}}},
            {"_id": erp, "name": "ERP", "type": "http", "http": {
                "baseURI": "https://erp.example.com/rest", "mediaType": "json",
                "auth": {"type": "basic", "basic": {"username": "flowform", "password": "erp-secret"}}}}
        ],
        "exports": [{"_id": export, "name": "New shop orders", "adaptorType": "HTTPExport", "_connectionId": shop,
            "http": {"method": "GET", "relativeURI": "/orders?status=paid"}}],
        "imports": [{"_id": import, "name": "Create the ERP sales order", "adaptorType": "HTTPImport", "_connectionId": erp,
            "http": {"method": ["POST"], "relativeURI": ["/salesorders"], "requestMediaType": "json"}}],
        "flows": [
            {"_id": "5f0000000000000000000040", "name": "Orders to ERP", "_integrationId": integration, "disabled": false,
                "schedule": "? 0 * * * *", "timezone": "UTC",
                "pageGenerators": [{"_exportId": export}], "pageProcessors": [{"type": "import", "_importId": import}]},
            {"_id": "5f0000000000000000000041", "name": "Legacy sync", "_integrationId": integration, "disabled": true,
                "pageGenerators": [{"_exportId": export}], "pageProcessors": [{"type": "import", "_importId": import}]}
        ]
    })
}

/// The story's account and a shell in an empty folder, pointed at it with the token.
fn story() -> (TestContext, Shell) {
    let context = TestContext::new();
    context.load(existing_account());
    let shell = Shell::new(
        context.root(),
        &[("CELIGO_BASE_URL", &context.emulator.url()), ("CELIGO_API_TOKEN", TOKEN)],
    );
    (context, shell)
}

/// Runs the story's journeys up to and including `last`. A comment that says someone edits the
/// flow in the integrator.io UI (the drift journey) is done here through the emulator's admin
/// API; returns how many such edits were made.
fn story_until(context: &TestContext, shell: &mut Shell, last: &str) -> usize {
    let mut edits = 0;
    for name in STORY {
        shell.run(name, &mut |comment| {
            if comment.contains("integrator.io UI") {
                context
                    .admin()
                    .edit(
                        ResourceKind::Flows,
                        ORDERS_FLOW_ID,
                        &serde_json::json!({"schedule": "? 0 */6 * * *"}),
                    )
                    .expect("the out-of-band edit");
                // A field the spec does not name: a filter on the flow's export.
                context
                    .admin()
                    .edit(
                        ResourceKind::Exports,
                        ORDERS_EXPORT_ID,
                        &serde_json::json!({"filter": {"type": "expression", "expression": {
                            "version": "1", "rules": ["equals", ["string", ["extract", "country"]], "DE"]}}}),
                    )
                    .expect("the out-of-band edit");
                edits += 1;
            }
        });
        if name == last {
            return edits;
        }
    }
    panic!("`{last}` is not a journey of the story");
}

/// The id of the export `New shop orders` in [`existing_account`].
const ORDERS_EXPORT_ID: &str = "5f0000000000000000000020";
/// The id of the flow `Orders to ERP` in [`existing_account`].
const ORDERS_FLOW_ID: &str = "5f0000000000000000000040";
/// The id of the flow `Legacy sync` in [`existing_account`].
const LEGACY_FLOW_ID: &str = "5f0000000000000000000041";

/// The state of the pulled folder.
fn spec_state(context: &TestContext) -> serde_json::Value {
    crate::support::state_at(&context.root().join("spec/.flowform/state.json"))
}

#[test]
fn journey_start_from_an_existing_account() {
    let (context, mut shell) = story();
    story_until(&context, &mut shell, "start");
    let state = spec_state(&context);
    assert_eq!(state["resources"]["flow.orders-to-erp"]["id"], ORDERS_FLOW_ID);
    assert_eq!(state["resources"]["flow.legacy-sync"]["id"], LEGACY_FLOW_ID);
    assert!(context.root().join("spec/.git").is_dir(), "the journey commits the pull");
    assert!(context.root().join("spec/orders/flows/orders-to-erp.yaml").is_file());
}

#[test]
fn journey_add_a_flow() {
    let (context, mut shell) = story();
    story_until(&context, &mut shell, "add-flow");
    let flows = context.admin().documents(ResourceKind::Flows);
    let refunds = flows.iter().find(|flow| flow["name"] == "Refunds to ERP").expect("created");
    assert_eq!(refunds["disabled"], false, "enabled as the last step: {refunds}");
    assert_eq!(refunds["_integrationId"], "5f0000000000000000000010");
    assert_eq!(context.admin().count(ResourceKind::Exports), 2);
    assert!(shell.transcript.contains("Plan: 3 to create, 0 to clone, 0 to update, 0 to delete."));
}

#[test]
fn journey_review_a_change() {
    let (context, mut shell) = story();
    story_until(&context, &mut shell, "review");
    let erp =
        context.admin().document(ResourceKind::Connections, "5f0000000000000000000002").unwrap();
    assert_eq!(erp["http"]["baseURI"], "https://erp.example.com/rest/v2");
    let markdown = fs_err::read_to_string(context.root().join("spec/plan.md")).unwrap();
    assert!(markdown.contains("connection.erp") && markdown.contains("<details>"), "{markdown}");
    assert!(
        shell.transcript.contains("(saved plan `plan.json` made "),
        "`show` named the file and its date: {}",
        shell.transcript
    );
    // A saved plan is refused when the account moved after it: here a UI edit of what it touches.
    let spec = context.root().join("spec");
    let connections = spec.join("orders/connections.yaml");
    let text = fs_err::read_to_string(&connections).unwrap();
    fs_err::write(&connections, text.replace("/rest/v2", "/rest/v3")).unwrap();
    let flowform = |arguments: &[&str]| {
        context.run(
            context
                .flowform_in("spec")
                .envs([("CONNECTION_ERP_PASSWORD", "..."), ("CONNECTION_SHOP_API_TOKEN", "...")])
                .args(arguments),
        )
    };
    assert_eq!(flowform(&["plan", "--out", "stale.json"]).0, 0);
    context
        .admin()
        .edit(
            ResourceKind::Connections,
            "5f0000000000000000000002",
            &serde_json::json!({"name": "ERP (edited)"}),
        )
        .unwrap();
    let (code, rendered) = flowform(&["apply", "stale.json"]);
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("connection.erp"), "the refusal names what moved: {rendered}");
}

#[test]
fn journey_detect_drift() {
    let (context, mut shell) = story();
    let edits = story_until(&context, &mut shell, "drift");
    assert_eq!(edits, 1, "the drift journey has one comment for the UI edit");
    assert!(shell.transcript.contains("(drift: changed outside flowform)"), "{}", shell.transcript);
    assert!(shell.transcript.contains("+ filter.type: \"expression\""), "{}", shell.transcript);
    assert!(shell.transcript.contains("Refresh complete"), "{}", shell.transcript);
    let flow = context.admin().document(ResourceKind::Flows, ORDERS_FLOW_ID).unwrap();
    assert_eq!(flow["schedule"], "? 0 * * * *", "apply put the spec's schedule back");
    let export = context.admin().document(ResourceKind::Exports, ORDERS_EXPORT_ID).unwrap();
    assert_eq!(export["filter"]["type"], "expression", "the accepted filter stays");
}

#[test]
fn journey_rename_a_resource() {
    let (context, mut shell) = story();
    story_until(&context, &mut shell, "rename");
    let state = spec_state(&context);
    assert_eq!(state["resources"]["flow.shop-orders-to-erp"]["id"], ORDERS_FLOW_ID);
    assert!(state["resources"].get("flow.orders-to-erp").is_none());
    // The same live flow, renamed in the state only: nothing was deleted or created.
    assert_eq!(context.admin().count(ResourceKind::Flows), 3);
    assert!(context.admin().recycle_bin().is_empty());
}

#[test]
fn journey_stop_managing_a_resource() {
    let (context, mut shell) = story();
    story_until(&context, &mut shell, "stop-managing");
    assert!(spec_state(&context)["resources"].get("flow.legacy-sync").is_none());
    assert!(
        context.admin().document(ResourceKind::Flows, LEGACY_FLOW_ID).is_some(),
        "the flow stays in the account"
    );
}

#[test]
fn journey_tear_down() {
    let (context, mut shell) = story();
    story_until(&context, &mut shell, "start");
    shell.run("teardown", &mut |_| {});
    let transcript = &shell.transcript;
    assert!(
        transcript.contains("Plan: 0 to create, 0 to clone, 0 to update, 4 to delete."),
        "{transcript}"
    );
    assert!(transcript.contains("Destroy complete! Resources: 4 deleted."), "{transcript}");
    assert!(
        transcript.contains(
            "Apply complete! Resources: 0 created, 0 cloned, 0 updated, 0 adopted, 0 moved, 3 deleted."
        ),
        "{transcript}"
    );
    let admin = context.admin();
    for kind in [
        ResourceKind::Integrations,
        ResourceKind::Connections,
        ResourceKind::Exports,
        ResourceKind::Imports,
        ResourceKind::Flows,
    ] {
        assert_eq!(admin.count(kind), 0, "{kind:?} left in the account");
    }
    assert_eq!(spec_state(&context)["resources"], serde_json::json!({}));
}

#[test]
fn journey_promote_to_production_with_examples_promotion() {
    let emulator = |name: &str, token: &str| {
        BackgroundEmulator::start(EmulatorConfig {
            accounts: vec![AccountConfig::new(name, token)],
            ..EmulatorConfig::for_tests()
        })
        .expect("the emulator starts")
    };
    let sandbox = emulator("sandbox", "sandbox-token-canary");
    let production = emulator("production", "production-token-canary");
    // Each account has its own ERP agent, which the spec finds by the name its environment
    // file gives (`data: agents`); production also has one named like the sandbox's.
    let agent = |emulator: &BackgroundEmulator, name: &str| {
        emulator.admin().create_agent(&serde_json::json!({"name": name})).unwrap()["_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sandbox_agent = agent(&sandbox, "ERP agent (test)");
    agent(&production, "ERP agent (test)");
    let production_agent = agent(&production, "ERP agent");
    // A copy of examples/promotion whose environment files point at the two emulators.
    let directory = tempfile::tempdir().unwrap();
    let example = directory.path().join("examples/promotion");
    crate::readme::copy_tree(&repository_root().join("examples/promotion"), &example);
    for (environment, url) in [("sandbox", sandbox.url()), ("production", production.url())] {
        let path = example.join(format!("environments/{environment}.yaml"));
        let text = fs_err::read_to_string(&path).unwrap();
        let endpoint =
            text.lines().find(|line| line.starts_with("endpoint:")).expect("an endpoint");
        fs_err::write(&path, text.replace(endpoint, &format!("endpoint: {url}"))).unwrap();
    }
    let mut shell = Shell::new(
        directory.path(),
        &[
            ("SANDBOX_API_TOKEN", "sandbox-token-canary"),
            ("PRODUCTION_API_TOKEN", "production-token-canary"),
        ],
    );
    shell.run("promote", &mut |_| {});
    assert!(!shell.transcript.contains("token-canary"), "a token leaked:\n{}", shell.transcript);
    for (emulator, integration, key, agent) in [
        (&sandbox, "Orders (sandbox)", "flowform-sandbox", &sandbox_agent),
        (&production, "Orders", "flowform-production", &production_agent),
    ] {
        let admin = emulator.admin();
        assert_eq!(admin.count(ResourceKind::Flows), 2);
        let erp =
            admin.documents(ResourceKind::Connections).into_iter().find(|c| c["name"] == "ERP");
        assert_eq!(erp.expect("the ERP connection")["_agentId"], agent.as_str());
        for kind in
            [ResourceKind::IClients, ResourceKind::LookupCaches, ResourceKind::FileDefinitions]
        {
            assert_eq!(admin.count(kind), 1, "{kind:?}");
        }
        assert!(
            admin
                .documents(ResourceKind::Integrations)
                .iter()
                .any(|document| document["name"] == integration),
            "{integration}"
        );
        assert!(admin.state_value(key).is_some(), "the state lives in the account under `{key}`");
    }
    // Nothing was written next to the spec: both states are in their accounts.
    assert!(!example.join(".flowform/state.json").exists());
}

/// The README's quickstart, run as written on an emulator account (with a token, as the
/// quickstart says the same commands work on integrator.io) in a copy of the repository's
/// example: `apply`, `run --wait` of both flows, the lifecycle-only edit, `destroy`. Issue 14's
/// flagship bugs, each of which failed this before:
/// - the clone's copies were unmanaged, so `destroy` ended `7 done, 3 failed` (a connection
///   still used by a copy) and left the account full (checked: every collection is empty);
/// - the cloned realtime flow (`ignoreChanges: [disabled]`) was reported enabled but stayed
///   disabled, so `run flow.issues-to-triage --wait` failed with `inactive_flow`;
/// - `preventDestroy: false` alone applied as "No changes" and `destroy` still refused;
/// - the realtime clone kept the polling schedule.
#[test]
fn journey_quickstart_from_apply_to_an_empty_account() {
    let context = TestContext::new();
    fs_err::copy(
        repository_root().join("flows.example.yaml"),
        context.root().join("flows.example.yaml"),
    )
    .unwrap();
    crate::readme::copy_tree(
        &repository_root().join("examples/scripts"),
        &context.root().join("examples/scripts"),
    );
    let mut shell = Shell::new(
        context.root(),
        &[("CELIGO_BASE_URL", &context.emulator.url()), ("CELIGO_API_TOKEN", TOKEN)],
    );
    shell.run("quickstart", &mut |_| {});
    let admin = context.admin();
    let flows = admin.documents(ResourceKind::Flows);
    let triage = flows
        .iter()
        .find(|flow| flow["name"] == "GitHub issues to triage (realtime)")
        .expect("the clone");
    assert_eq!(triage["disabled"], false, "enabled, as apply reported: {triage}");
    assert!(triage.get("schedule").is_none() && triage.get("timezone").is_none(), "{triage}");
    assert!(flows.iter().all(|flow| flow["disabled"] == false), "{flows:?}");
    // The clone's copies of the lookup and the import are managed, owned by the clone; the copy
    // of the polling export, which the realtime flow does not use, is gone.
    let state = context.state();
    for copy in [
        "export.issues-to-triage--github-user-lookup",
        "import.issues-to-triage--slack-post-message",
    ] {
        assert_eq!(state["resources"][copy]["owner"], "flow.issues-to-triage", "{state:#}");
    }
    assert!(state["resources"].get("export.issues-to-triage--github-new-issues").is_none());
    assert_eq!(admin.count(ResourceKind::Exports), 4, "3 from the spec and the lookup's copy");
    assert_eq!(admin.count(ResourceKind::Imports), 2);
    let managed: Vec<String> = state["resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|resource| resource["id"].as_str().unwrap().to_owned())
        .collect();
    for kind in ResourceKind::ALL {
        for document in admin.documents(kind) {
            let id = document["_id"].as_str().unwrap();
            assert!(managed.iter().any(|known| known == id), "unmanaged {kind:?}: {document}");
        }
    }

    shell.run("quickstart-destroy", &mut |_| {});
    assert!(
        shell.transcript.contains("~ preventDestroy: true → false"),
        "the state-only change: {}",
        shell.transcript
    );
    assert!(
        shell.transcript.contains("Destroy complete! Resources: 12 deleted."),
        "{}",
        shell.transcript
    );
    for (kind, count) in admin.counts() {
        assert_eq!(count, 0, "{kind:?} left in the account after destroy");
    }
}

#[test]
fn every_journey_of_the_readme_is_run() {
    let names: Vec<String> = readme_journeys().into_keys().collect();
    let mut expected: Vec<&str> = STORY.to_vec();
    expected.extend(["promote", "teardown", "quickstart", "quickstart-destroy"]);
    expected.sort_unstable();
    assert_eq!(names, expected, "a journey in README.md without a test here, or the reverse");
}

#[test]
fn journey_lines_are_read_like_a_shell() {
    let environment: BTreeMap<String, String> =
        [("TOKEN".to_owned(), "t".to_owned())].into_iter().collect();
    let block = "# a note\ncd spec\nexport A=1 B='two words'\nX=$TOKEN flowform plan \\\n  --detailed-exitcode   # exit 2: changes\nflowform plan --format json > plan.json\ncat > f <<'EOF'\nbody\nEOF\ngit add .\n";
    let parsed = steps(block, &environment);
    assert_eq!(parsed[0], Step::Comment("a note".into()));
    assert_eq!(parsed[1], Step::ChangeDirectory("spec".into()));
    assert_eq!(
        parsed[2],
        Step::Export(vec![("A".into(), "1".into()), ("B".into(), "two words".into())])
    );
    assert!(
        matches!(&parsed[3], Step::Flowform { environment, arguments, expected_exit: 2, stdout_file: None, .. }
        if environment == &[("X".to_owned(), "t".to_owned())] && arguments == &["plan", "--detailed-exitcode"])
    );
    assert!(
        matches!(&parsed[4], Step::Flowform { stdout_file: Some(file), expected_exit: 0, .. } if file == "plan.json")
    );
    assert_eq!(parsed[5], Step::Shell("cat > f <<'EOF'\nbody\nEOF\n".into()));
    assert_eq!(parsed[6], Step::Shell("git add .".into()));
    assert_eq!(parsed.len(), 7);
}
