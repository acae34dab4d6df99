//! The README's commands: the first one (the quickstart) works on a fresh machine, in a copy of
//! the repository's example with no token (the local sandbox), and the second one (the test
//! command) is exactly what `.ci/run` runs.

use std::path::Path;

use crate::support::{bare_command, repository_root, run};

/// The commands of the README's first `sh` block, one per line.
fn readme_commands() -> Vec<String> {
    let readme = fs_err::read_to_string(repository_root().join("README.md")).expect("README.md");
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a ```sh block");
    block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_test_command_is_what_ci_runs() {
    let commands = readme_commands();
    let readme_test = commands.get(1).expect("the README's second command");
    let ci = fs_err::read_to_string(repository_root().join(".ci/run")).expect(".ci/run");
    let ci_test = ci
        .lines()
        .map(str::trim)
        .rfind(|line| line.starts_with("cargo test"))
        .expect(".ci/run runs cargo test");
    assert_eq!(readme_test, ci_test, "README.md's test command must be the one .ci/run runs");
}

/// Splits a README command into its leading `NAME=VALUE` assignments and the flowform
/// arguments after `cargo run … --` (or after `flowform`).
fn parse_command(line: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut words = line.split_whitespace().peekable();
    let mut environment = Vec::new();
    while let Some(word) = words.peek() {
        match word.split_once('=') {
            Some((name, value))
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') =>
            {
                environment.push((name.to_owned(), value.trim_matches('"').to_owned()));
                words.next();
            }
            _ => break,
        }
    }
    let rest: Vec<String> = words.map(|word| word.trim_matches('"').to_owned()).collect();
    let arguments = match rest.first().map(String::as_str) {
        Some("flowform") => rest[1..].to_vec(),
        Some("cargo") => {
            let separator = rest.iter().position(|word| word == "--").expect("`cargo run … --`");
            assert!(
                rest[..separator].iter().any(|word| word == "flowform-cli"),
                "the first command runs flowform-cli: {line}"
            );
            rest[separator + 1..].to_vec()
        }
        _ => panic!("the README's first command is not a flowform command: {line}"),
    };
    (environment, arguments)
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for entry in fs_err::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs_err::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn readme_first_command_works_on_a_fresh_machine() {
    let commands = readme_commands();
    let first = commands.first().expect("the README's first command");
    let (environment, arguments) = parse_command(first);
    let directory = tempfile::tempdir().unwrap();
    fs_err::copy(
        repository_root().join("flows.example.yaml"),
        directory.path().join("flows.example.yaml"),
    )
    .unwrap();
    copy_tree(&repository_root().join("examples"), &directory.path().join("examples"));
    let mut command = bare_command(directory.path());
    command.envs(environment.clone()).args(&arguments);
    let (code, rendered) = run(&mut command, &[(directory.path(), "[ROOT]")], "");
    assert_eq!(code, 0, "`{first}` failed:\n{rendered}");
    // With no token and no endpoint it ran against the local sandbox, whose data is now there.
    assert!(rendered.contains("using the local sandbox"), "{rendered}");
    assert!(directory.path().join(".flowform/sandbox.json").is_file(), "{rendered}");
    // When it is an apply, the quickstart's next step holds: a plan right after shows nothing.
    if arguments.first().is_some_and(|command| command == "apply") {
        let plan: Vec<String> = std::iter::once("plan".to_owned())
            .chain(arguments[1..].iter().filter(|word| *word != "--auto-approve").cloned())
            .chain(std::iter::once("--detailed-exitcode".to_owned()))
            .collect();
        let mut command = bare_command(directory.path());
        command.envs(environment).args(&plan);
        let (code, rendered) = run(&mut command, &[(directory.path(), "[ROOT]")], "");
        assert_eq!(code, 0, "the plan after `{first}` is not empty:\n{rendered}");
    }
}

#[test]
fn commands_parse() {
    let (environment, arguments) =
        parse_command("GITHUB_TOKEN=x cargo run --release -p flowform-cli -- apply -f a.yaml");
    assert_eq!(environment, [("GITHUB_TOKEN".to_owned(), "x".to_owned())]);
    assert_eq!(arguments, ["apply", "-f", "a.yaml"]);
    assert_eq!(parse_command("flowform plan").1, ["plan"]);
}
