//! The CI files: the repository's GitHub Action (`action.yml`), its workflows
//! (`.github/workflows/`) and the example pipelines (`examples/ci`). They parse, have the jobs
//! and steps the README promises, and call only `flowform` command lines that the real command
//! line ([`Cli`], through clap) accepts: a renamed flag or command fails this test. Uses of the
//! action give only inputs it declares, and their flowform arguments parse too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde_json::Value;

use crate::args::Cli;

/// The repository root.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A YAML file of the repository, as text and as a JSON value.
fn repository_file(relative: &str) -> (String, Value) {
    let path = repository().join(relative);
    let text = fs_err::read_to_string(&path).unwrap();
    let value: Value = serde_saphyr::from_str(&text)
        .unwrap_or_else(|error| panic!("`{}` is not valid YAML: {error}", path.display()));
    (text, value)
}

fn ci_file(name: &str) -> (String, Value) {
    repository_file(&format!("examples/ci/{name}"))
}

/// Every CI file: `action.yml`, the workflows and the examples (relative paths, sorted).
fn ci_files() -> Vec<String> {
    let mut files = vec!["action.yml".to_owned()];
    for folder in [".github/workflows", "examples/ci"] {
        let mut found: Vec<String> = fs_err::read_dir(repository().join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
            .map(|name| format!("{folder}/{name}"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// Splits shell text into words, keeping quoted text together (quotes removed) and turning
/// operators (`|`, `||`, `&&`, `;`, `>`, `(`, `)`) and line ends into separate `;` words.
fn words(script: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut characters = script.chars().peekable();
    let flush = |current: &mut String, words: &mut Vec<String>| {
        if !current.is_empty() {
            words.push(std::mem::take(current));
        }
    };
    while let Some(character) = characters.next() {
        match (quote, character) {
            (Some(open), _) if character == open => quote = None,
            (Some(_), _) => current.push(character),
            (None, '"' | '\'') => quote = Some(character),
            (None, '\\') if characters.peek() == Some(&'\n') => {
                characters.next();
            }
            (None, '#') if current.is_empty() => {
                // A comment runs to the end of the line.
                while characters.peek().is_some_and(|next| *next != '\n') {
                    characters.next();
                }
            }
            (None, ' ' | '\t') => flush(&mut current, &mut words),
            (None, '\n' | ';' | '|' | '&' | '>' | '<' | '(' | ')') => {
                flush(&mut current, &mut words);
                words.push(";".to_owned());
            }
            (None, _) => current.push(character),
        }
    }
    flush(&mut current, &mut words);
    words
}

/// Every `flowform …` invocation in a script, as its words up to the next operator.
fn invocations(script: &str) -> Vec<Vec<String>> {
    let words = words(script);
    let mut found = Vec::new();
    for (index, word) in words.iter().enumerate() {
        if word == "flowform" {
            found
                .push(words[index + 1..].iter().take_while(|word| *word != ";").cloned().collect());
        }
    }
    found
}

/// Whether a word is a bash array expansion (`${args[@]}`, quotes already removed): it stands
/// for arguments checked elsewhere (the action's `args` and `plan-args`, in the uses of it).
fn is_array_expansion(word: &str) -> bool {
    word.starts_with("${") && word.ends_with("[@]}")
}

/// Checks one invocation with the real command line (clap's `Command` of [`Cli`]), so the check
/// cannot drift from the binary; returns the subcommand (`""` for none, as in `--version`).
fn check_invocation(file: &str, arguments: &[String]) -> String {
    // The bare word (`tar … -C /usr/local/bin flowform`) names the binary; it runs nothing.
    if arguments.is_empty() {
        return String::new();
    }
    let arguments: Vec<String> =
        arguments.iter().filter(|word| !is_array_expansion(word)).cloned().collect();
    let parsed = Cli::command().try_get_matches_from(
        std::iter::once("flowform".to_owned()).chain(arguments.iter().cloned()),
    );
    match parsed {
        Ok(matches) => matches.subcommand_name().unwrap_or_default().to_owned(),
        Err(error)
            if matches!(
                error.kind(),
                clap::error::ErrorKind::DisplayVersion | clap::error::ErrorKind::DisplayHelp
            ) =>
        {
            String::new()
        }
        Err(error) => {
            panic!(
                "{file}: `flowform {}` is not a valid command line:\n{error}",
                arguments.join(" ")
            )
        }
    }
}

/// Every string under the given keys, anywhere in the document.
fn scripts(value: &Value, keys: &[&str], found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                if keys.contains(&key.as_str()) {
                    match child {
                        Value::String(text) => found.push(text.clone()),
                        Value::Array(items) => found.push(
                            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
                        ),
                        _ => {}
                    }
                }
                scripts(child, keys, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| scripts(item, keys, found)),
        _ => {}
    }
}

fn commands_used(file: &str, value: &Value, keys: &[&str]) -> (Vec<String>, BTreeSet<String>) {
    let mut found = Vec::new();
    scripts(value, keys, &mut found);
    let mut lines = Vec::new();
    let mut commands = BTreeSet::new();
    for script in found {
        for invocation in invocations(&script) {
            commands.insert(check_invocation(file, &invocation));
            lines.push(invocation.join(" "));
        }
    }
    (lines, commands)
}

/// The script keys of GitHub (`run`) and GitLab (`script`, `before_script`, `after_script`).
const SCRIPT_KEYS: [&str; 4] = ["run", "script", "before_script", "after_script"];

#[test]
fn every_flowform_command_line_in_every_ci_file_parses() {
    let mut all = BTreeSet::new();
    for file in ci_files() {
        let (_, value) = repository_file(&file);
        let (lines, commands) = commands_used(&file, &value, &SCRIPT_KEYS);
        all.extend(commands.iter().cloned());
        match file.as_str() {
            "action.yml" => assert_eq!(
                commands,
                BTreeSet::from([
                    "".to_owned(),
                    "apply".to_owned(),
                    "plan".to_owned(),
                    "show".to_owned()
                ]),
                "{lines:#?}"
            ),
            ".github/workflows/release.yml" => assert_eq!(
                commands,
                BTreeSet::from(["completions".to_owned(), "man".to_owned()]),
                "{lines:#?}"
            ),
            _ => {}
        }
    }
    assert!(all.contains("plan") && all.contains("apply"), "{all:?}");
}

/// The action's declared inputs and outputs.
fn action() -> (String, Value, BTreeSet<String>) {
    let (text, action) = repository_file("action.yml");
    let inputs: BTreeSet<String> =
        action["inputs"].as_object().expect("inputs").keys().cloned().collect();
    (text, action, inputs)
}

#[test]
fn the_action_installs_plans_applies_and_keeps_one_comment() {
    let (text, action, inputs) = action();
    assert_eq!(action["runs"]["using"], "composite");
    for input in [
        "command",
        "environment",
        "working-directory",
        "args",
        "plan-args",
        "comment",
        "github-token",
        "install",
        "version",
        "repository",
    ] {
        assert!(inputs.contains(input), "input `{input}` missing: {inputs:?}");
    }
    let outputs = action["outputs"].as_object().expect("outputs");
    for output in [
        "exitcode",
        "changes",
        "plan-file",
        "plan-markdown",
        "plan-json",
        "apply-events",
        "comment-url",
    ] {
        assert!(outputs.contains_key(output), "output `{output}` missing");
    }
    // Every `inputs.X` and `steps.ID` the action refers to exists.
    let steps: BTreeSet<String> = action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step["id"].as_str().map(str::to_owned))
        .collect();
    for (prefix, known) in [("inputs.", &inputs), ("steps.", &steps)] {
        for (index, _) in text.match_indices(prefix) {
            let name: String = text[index + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            assert!(known.contains(&name), "action.yml refers to `{prefix}{name}`: not declared");
        }
    }
    // Every step runs in bash, with inputs passed through the environment (never pasted into a
    // script, where a quote in an input would become shell code).
    for step in action["runs"]["steps"].as_array().expect("steps") {
        assert_eq!(step["shell"], "bash", "{step}");
        let script = step["run"].as_str().expect("a run step");
        assert!(!script.contains("${{"), "an expression inside a script: {script}");
    }
    // The release binary is checked against the release's SHA256SUMS before it is used.
    assert!(text.contains("SHA256SUMS") && text.contains("sha256sum -c"), "checksums");
    assert!(text.contains("cargo install --locked --path"), "`install: source`");
    // One comment per environment, found by its marker and updated in place.
    assert!(text.contains("<!-- flowform-plan:$key -->"), "the hidden marker");
    assert!(text.contains("--method PATCH") && text.contains("--method POST"), "update or post");
    // The action downloads exactly the archives the release workflow builds.
    let (_, release) = repository_file(".github/workflows/release.yml");
    let targets: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a build matrix")
        .iter()
        .filter_map(|entry| entry["target"].as_str())
        .collect();
    assert_eq!(targets.len(), 4, "{targets:?}");
    for target in &targets {
        assert!(text.contains(&format!("target={target}")), "the action never installs {target}");
    }
    assert!(text.contains("archive=\"flowform-$target.tar.gz\""));
    assert!(text.contains("archive=\"flowform-$target.zip\""));
}

/// Every step that uses flowform's action (`./`, or `…/flowform@REF`), with the file it is in.
fn uses_of_the_action() -> Vec<(String, Value)> {
    fn walk(file: &str, value: &Value, found: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(object) => {
                let uses = object.get("uses").and_then(Value::as_str).unwrap_or_default();
                if uses == "./"
                    || uses.split('@').next().is_some_and(|name| name.ends_with("/flowform"))
                {
                    found.push((file.to_owned(), value.clone()));
                }
                object.values().for_each(|child| walk(file, child, found));
            }
            Value::Array(items) => items.iter().for_each(|item| walk(file, item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for file in ci_files().into_iter().filter(|file| file != "action.yml") {
        walk(&file, &repository_file(&file).1, &mut found);
    }
    found
}

#[test]
fn uses_of_the_action_give_declared_inputs_and_valid_arguments() {
    let (_, _, inputs) = action();
    let uses = uses_of_the_action();
    assert!(uses.len() >= 5, "{uses:#?}");
    for (file, step) in uses {
        let with = step["with"].as_object().cloned().unwrap_or_default();
        for key in with.keys() {
            assert!(inputs.contains(key), "{file}: the action has no input `{key}`");
        }
        let command = with.get("command").and_then(Value::as_str).unwrap_or("plan");
        assert!(["plan", "apply"].contains(&command), "{file}: command `{command}`");
        for key in ["install", "comment"] {
            let allowed: &[&str] =
                if key == "install" { &["release", "source", "none"] } else { &["true", "false"] };
            if let Some(value) = with.get(key) {
                assert!(allowed.contains(&value.as_str().unwrap_or_default()), "{file}: {key}");
            }
        }
        // The action runs `flowform plan ARGS PLAN-ARGS …` and `flowform apply ARGS PLANFILE`.
        let text = |key: &str| with.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut line = words(&text("args"));
        line.insert(0, "plan".to_owned());
        line.extend(words(&text("plan-args")));
        assert_eq!(check_invocation(&file, &line), "plan");
        let mut line = words(&text("args"));
        line.insert(0, "apply".to_owned());
        line.push("plan.json".to_owned());
        assert_eq!(check_invocation(&file, &line), "apply");
    }
}

#[test]
fn run_scripts_are_valid_bash() {
    for file in ci_files().into_iter().filter(|file| !file.contains("gitlab")) {
        let (_, value) = repository_file(&file);
        let mut scripts_found = Vec::new();
        scripts(&value, &["run"], &mut scripts_found);
        for script in scripts_found {
            // Expressions are replaced by the runner before bash sees the script.
            let mut text = String::new();
            let mut rest = script.as_str();
            while let Some(start) = rest.find("${{") {
                text.push_str(&rest[..start]);
                text.push_str("EXPRESSION");
                rest = rest[start..].find("}}").map_or("", |end| &rest[start + end + 2..]);
            }
            text.push_str(rest);
            let output = std::process::Command::new("bash")
                .args(["-n", "-c", &text])
                .output()
                .expect("bash runs");
            assert!(
                output.status.success(),
                "{file}: a script is not valid bash:\n{}\n{script}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

#[test]
fn release_workflow_builds_checksummed_binaries_on_a_tag() {
    let (text, release) = repository_file(".github/workflows/release.yml");
    assert_eq!(release["on"]["push"]["tags"][0], "v*");
    let targets: BTreeSet<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a build matrix")
        .iter()
        .filter_map(|entry| entry["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            "aarch64-apple-darwin",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-musl",
        ])
    );
    assert!(text.contains("static(-pie)? linked"), "the Linux binary is checked to be static");
    assert!(text.contains("sha256sum flowform-* > SHA256SUMS"), "checksums");
    assert_eq!(release["jobs"]["publish"]["needs"], "build");
    assert_eq!(release["jobs"]["publish"]["permissions"]["contents"], "write");
}

#[test]
fn github_actions_workflow() {
    let (text, workflow) = ci_file("github-actions.yml");
    let triggers = &workflow["on"];
    for trigger in ["pull_request", "push", "schedule"] {
        assert!(triggers.get(trigger).is_some(), "trigger `{trigger}` missing: {triggers}");
    }
    let jobs = workflow["jobs"].as_object().expect("jobs");
    for job in ["plan", "apply-sandbox", "apply-production", "drift"] {
        assert!(jobs.contains_key(job), "job `{job}` missing");
    }
    assert_eq!(jobs["apply-production"]["needs"], "apply-sandbox");
    assert_eq!(jobs["plan"]["permissions"]["pull-requests"], "write", "the plan comment");
    // Each job plans or applies through the action, with the state in the account.
    let action_step = |job: &str| -> Value {
        jobs[job]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|step| step["uses"].as_str().is_some_and(|uses| uses.contains("/flowform@")))
            .unwrap_or_else(|| panic!("job `{job}` does not use the action"))
            .clone()
    };
    for (job, command) in [
        ("plan", "plan"),
        ("apply-sandbox", "apply"),
        ("apply-production", "apply"),
        ("drift", "plan"),
    ] {
        let step = action_step(job);
        assert_eq!(step["with"]["command"].as_str().unwrap_or("plan"), command, "{job}");
        assert_eq!(step["with"]["args"], "--state integrator", "{job}");
        assert!(step["env"]["CELIGO_API_TOKEN"].is_string(), "{job}: the token comes from env");
    }
    assert_eq!(action_step("drift")["with"]["comment"], "false");
    assert_eq!(
        action_step("drift")["with"]["plan-args"],
        "--refresh-only",
        "the nightly job looks for changes made outside flowform in every field"
    );
    assert!(text.contains("\"$CODE\" -eq 2"), "the drift check names exit code 2");
    assert!(text.contains("install: source"), "says what to do before there is a release");
}

#[test]
fn gitlab_ci_file() {
    let (text, pipeline) = ci_file("gitlab-ci.yml");
    let jobs: Vec<&String> = pipeline.as_object().expect("a mapping").keys().collect();
    for job in [
        "plan:sandbox",
        "plan:production",
        "apply:sandbox",
        "apply:production",
        "drift:sandbox",
        "drift:production",
    ] {
        assert!(jobs.iter().any(|name| *name == job), "job `{job}` missing: {jobs:?}");
    }
    assert_eq!(pipeline["apply:production"]["needs"][0], "apply:sandbox");
    let (lines, commands) = commands_used("gitlab-ci.yml", &pipeline, &SCRIPT_KEYS);
    assert_eq!(
        commands,
        BTreeSet::from(["".to_owned(), "apply".to_owned(), "plan".to_owned(), "show".to_owned()]),
        "{lines:#?}"
    );
    // The saved plan is shown in the log, and the apply's events kept as an artifact.
    assert!(lines.iter().any(|line| line == "show plan.json"), "{lines:#?}");
    assert!(
        lines.iter().any(|line| line.starts_with("apply") && line.contains("--format json")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("--out plan.json") && line.contains("--detailed-exitcode")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line.starts_with("apply") && line.ends_with("plan.json")),
        "{lines:#?}"
    );
    // Installed from the release, checked against its SHA256SUMS.
    assert!(text.contains("releases/download/$FLOWFORM_VERSION"), "installs from the release");
    assert!(text.contains("sha256sum -c"), "checks the digest");
    // One note per environment, updated in place.
    assert!(
        text.contains("merge_requests/$CI_MERGE_REQUEST_IID/notes"),
        "the plan is posted on the merge request"
    );
    assert!(text.contains("<!-- flowform-plan:$FLOWFORM_ENV -->"), "the hidden marker");
    assert!(text.contains("--request PUT"), "an existing note is updated");
    assert!(text.contains("$CI_PIPELINE_SOURCE == \"schedule\""), "a scheduled drift check");
    assert!(
        lines
            .iter()
            .any(|line| line.contains("--refresh-only") && line.contains("--detailed-exitcode")),
        "the drift check is a refresh-only plan: {lines:#?}"
    );
}

#[test]
fn the_dockerfile_builds_a_static_binary_for_a_non_root_image() {
    let text = fs_err::read_to_string(repository().join("Dockerfile")).unwrap();
    let stages: Vec<&str> = text.lines().filter(|line| line.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "a build stage and a run stage: {stages:?}");
    assert!(stages[0].contains("alpine") && stages[0].ends_with(" AS build"), "{stages:?}");
    assert!(stages[1].contains("distroless/static"), "{stages:?}");
    let run_stage = &text[text.rfind("FROM ").unwrap()..];
    assert!(run_stage.contains("USER nonroot"), "the image runs as a non-root user");
    assert!(run_stage.contains("ENTRYPOINT [\"/usr/local/bin/flowform\"]"));
    assert!(text.contains("cargo build --release --locked -p flowform-cli"));
    let ignored = fs_err::read_to_string(repository().join(".dockerignore")).unwrap();
    for entry in ["target/", ".git/", "**/.flowform/"] {
        assert!(ignored.lines().any(|line| line == entry), "`{entry}` not in .dockerignore");
    }
}

#[test]
fn the_checker_catches_unknown_commands_and_flags() {
    let outcome = std::panic::catch_unwind(|| {
        check_invocation("test", &words("plan --out p.json --frobnicate"))
    });
    assert!(outcome.is_err(), "an unknown flag is caught");
    let outcome = std::panic::catch_unwind(|| check_invocation("test", &words("deploy")));
    assert!(outcome.is_err(), "an unknown command is caught");
    let outcome =
        std::panic::catch_unwind(|| check_invocation("test", &words("apply a.json b.json")));
    assert!(outcome.is_err(), "too many arguments are caught");
    assert_eq!(check_invocation("test", &words("--env prod plan --out=p.json -f .")), "plan");
    // Array expansions stand for arguments checked where they are given.
    assert_eq!(check_invocation("test", &words(r#"plan "${global[@]}" --out "$f""#)), "plan");
    assert_eq!(
        invocations(
            "code=0\nflowform plan \\\n  --env \"$E\" > plan.md || code=$?\n# flowform deploy\n"
        ),
        vec![vec!["plan".to_owned(), "--env".to_owned(), "$E".to_owned()]]
    );
}
