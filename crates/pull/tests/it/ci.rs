//! `examples/ci`: the GitHub Actions workflow and the GitLab CI file parse, have the jobs the
//! README promises, and call only `flowform` subcommands and flags that exist.
//!
//! The lists below are the command line of PRODUCT.md §3; keep them in step with `crates/cli`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

/// Global options: `(flag, takes a value)`.
const GLOBAL_FLAGS: &[(&str, bool)] = &[
    ("-f", true),
    ("--file", true),
    ("--env", true),
    ("--var", true),
    ("--state", true),
    ("--endpoint", true),
    ("--region", true),
    ("--color", true),
    ("-q", false),
    ("--quiet", false),
    ("-v", false),
    ("--verbose", false),
    ("--token-file", true),
    ("--sandbox", false),
    ("--lock-timeout", true),
    ("--version", false),
    ("--help", false),
];

/// Options: `(flag, takes a value)`.
type Flags = &'static [(&'static str, bool)];

/// Subcommands with their own options and how many positional arguments they take at most.
const COMMANDS: &[(&str, Flags, usize)] = &[
    ("validate", &[], 0),
    (
        "plan",
        &[
            ("--out", true),
            ("--format", true),
            ("--detailed-exitcode", false),
            ("--target", true),
            ("--no-delete", false),
            ("--adopt", false),
        ],
        0,
    ),
    ("apply", &[("--auto-approve", false), ("--parallelism", true), ("--target", true)], 1),
    ("destroy", &[("--auto-approve", false)], 0),
    ("pull", &[("--integration", true), ("--out", true), ("--force", false)], 0),
    ("import", &[], 2),
    ("state", &[], 3),
    ("run", &[("--wait", false), ("--timeout", true)], 1),
    ("schema", &[], 0),
];

fn ci_file(name: &str) -> (String, Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/ci").join(name);
    let text = fs_err::read_to_string(&path).unwrap();
    let value: Value = serde_saphyr::from_str(&text)
        .unwrap_or_else(|error| panic!("`{}` is not valid YAML: {error}", path.display()));
    (text, value)
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

/// Checks one invocation against the command line; returns the subcommand (`""` for none).
fn check_invocation(file: &str, arguments: &[String]) -> String {
    let globals: BTreeMap<&str, bool> = GLOBAL_FLAGS.iter().copied().collect();
    let mut command: Option<(&str, BTreeMap<&str, bool>, usize)> = None;
    let mut positional = 0;
    let mut index = 0;
    while index < arguments.len() {
        let argument = arguments[index].as_str();
        index += 1;
        if argument.starts_with('-') {
            let (flag, inline_value) = match argument.split_once('=') {
                Some((flag, _)) => (flag, true),
                None => (argument, false),
            };
            let takes_value = command
                .as_ref()
                .and_then(|(_, flags, _)| flags.get(flag))
                .or_else(|| globals.get(flag))
                .copied()
                .unwrap_or_else(|| {
                    panic!(
                        "{file}: `flowform {}` uses the unknown flag `{flag}`",
                        arguments.join(" ")
                    )
                });
            if takes_value && !inline_value {
                assert!(
                    index < arguments.len(),
                    "{file}: `{flag}` needs a value in `flowform {}`",
                    arguments.join(" ")
                );
                index += 1;
            }
            continue;
        }
        match &command {
            None => {
                let (name, flags, positionals) =
                    COMMANDS.iter().find(|(name, _, _)| *name == argument).unwrap_or_else(|| {
                        panic!("{file}: `flowform {argument}` is not a flowform command")
                    });
                command = Some((name, flags.iter().copied().collect(), *positionals));
            }
            Some((name, _, positionals)) => {
                positional += 1;
                assert!(
                    positional <= *positionals,
                    "{file}: `flowform {name}` takes at most {positionals} arguments: `flowform {}`",
                    arguments.join(" ")
                );
            }
        }
    }
    command.map(|(name, _, _)| name.to_owned()).unwrap_or_default()
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
    let (lines, commands) = commands_used("github-actions.yml", &workflow, &["run"]);
    assert_eq!(
        commands,
        BTreeSet::from(["".to_owned(), "apply".to_owned(), "plan".to_owned()]),
        "{lines:#?}"
    );
    // The pull request plan is saved, rendered as markdown and gated on the exit code.
    assert!(
        lines.iter().any(|line| line.contains("plan")
            && line.contains("--out plan.json")
            && line.contains("--format markdown")
            && line.contains("--detailed-exitcode")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line.starts_with("apply") && line.ends_with("plan.json")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .filter(|line| line.starts_with("plan"))
            .all(|line| line.contains("--state integrator")),
        "{lines:#?}"
    );
    assert!(text.contains("gh pr comment"), "the plan is posted on the pull request");
    assert!(text.contains("\"$code\" -eq 2"), "the drift check names exit code 2");
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
    let (lines, commands) =
        commands_used("gitlab-ci.yml", &pipeline, &["script", "before_script", "after_script"]);
    assert_eq!(
        commands,
        BTreeSet::from(["".to_owned(), "apply".to_owned(), "plan".to_owned()]),
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
    assert!(
        text.contains("merge_requests/$CI_MERGE_REQUEST_IID/notes"),
        "the plan is posted on the merge request"
    );
    assert!(text.contains("$CI_PIPELINE_SOURCE == \"schedule\""), "a scheduled drift check");
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
    assert_eq!(
        invocations(
            "code=0\nflowform plan \\\n  --env \"$E\" > plan.md || code=$?\n# flowform deploy\n"
        ),
        vec![vec!["plan".to_owned(), "--env".to_owned(), "$E".to_owned()]]
    );
}
