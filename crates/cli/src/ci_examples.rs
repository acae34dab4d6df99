//! `examples/ci`: the GitHub Actions workflow and the GitLab CI file parse, have the jobs
//! `examples/ci/README.md` promises, and call only `flowform` command lines that the real
//! command line ([`Cli`], through clap) accepts: a renamed flag or command fails this test.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use serde_json::Value;

use crate::args::Cli;

fn ci_file(name: &str) -> (String, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ci").join(name);
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

/// Checks one invocation with the real command line (clap's `Command` of [`Cli`]), so the check
/// cannot drift from the binary; returns the subcommand (`""` for none, as in `--version`).
fn check_invocation(file: &str, arguments: &[String]) -> String {
    // The bare word (`tar … -C /usr/local/bin flowform`) names the binary; it runs nothing.
    if arguments.is_empty() {
        return String::new();
    }
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
