//! `flowform graph`: the dependency graph of the README's example spec (offline), limited by
//! `--target`, coloured by a saved plan, and its errors. The Mermaid and DOT outputs are file
//! snapshots, so `diagrams.rs` checks them with Mermaid's parser, Graphviz and Chromium too.

use std::path::Path;
use std::process::Command;

use crate::support::{TestContext, bare_command, repository_root, run};

/// A temporary folder holding the README's example spec (and the script file it reads).
fn example() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path();
    fs_err::copy(repository_root().join("flows.example.yaml"), root.join("flows.example.yaml"))
        .expect("copied");
    fs_err::create_dir_all(root.join("examples/scripts")).expect("created");
    fs_err::copy(
        repository_root().join("examples/scripts/format-issue.js"),
        root.join("examples/scripts/format-issue.js"),
    )
    .expect("copied");
    directory
}

/// Runs a command that must succeed with nothing on stderr; returns stdout.
fn stdout_of(command: &mut Command) -> String {
    let output = command.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}\n{stdout}\n{stderr}", output.status.code());
    assert!(stderr.is_empty(), "stderr: {stderr}");
    stdout
}

fn graph(root: &Path, arguments: &[&str]) -> Command {
    let mut command = bare_command(root);
    command.args(["graph", "-f", "flows.example.yaml"]).args(arguments);
    command
}

#[test]
fn graph_of_the_example_spec() {
    let spec = example();
    let mermaid = stdout_of(&mut graph(spec.path(), &[]));
    // Ten resources, every reference an edge, the clone drawn as such.
    assert_eq!(mermaid.matches("<br/>").count(), 10, "{mermaid}");
    assert!(mermaid.contains("-.->|\"clone of\"|"), "{mermaid}");
    let readme = fs_err::read_to_string(repository_root().join("README.md")).expect("README.md");
    let documented = readme
        .split("## The dependency graph\n")
        .nth(1)
        .and_then(|section| section.split("```mermaid\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("the README's dependency graph section has a ```mermaid block");
    assert_eq!(documented, mermaid, "README.md's graph of the example is out of date");
    insta::assert_snapshot!("graph_example_mermaid", mermaid);
    let dot = stdout_of(&mut graph(spec.path(), &["--format", "dot"]));
    insta::assert_snapshot!("graph_example_dot", dot);
}

#[test]
fn target_draws_what_plan_target_selects() {
    let spec = example();
    let text = stdout_of(&mut graph(
        spec.path(),
        &["--format", "dot", "--target", "flow.issues-to-triage"],
    ));
    let nodes: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("[label=") && !line.contains("->"))
        .map(|line| line.trim().split('"').nth(1).unwrap_or_default())
        .collect();
    // The clone's source comes with it (`cloneFrom` is a dependency), and all it uses.
    assert_eq!(
        nodes,
        [
            "integration.github-slack",
            "connection.github",
            "connection.slack",
            "script.format-issue",
            "export.github-issues-webhook",
            "export.github-new-issues",
            "export.github-user-lookup",
            "import.slack-post-message",
            "flow.issues-to-slack",
            "flow.issues-to-triage"
        ]
    );
    let text = stdout_of(&mut graph(spec.path(), &["--target", "import.slack-post-message"]));
    assert_eq!(
        text.matches("<br/>").count(),
        3,
        "the import, its connection and its script:\n{text}"
    );
}

#[test]
fn plan_file_colours_each_resource_by_its_action() {
    let context = TestContext::new();
    let spec = example();
    for file in ["flows.example.yaml", "examples/scripts/format-issue.js"] {
        context.write(file, &fs_err::read_to_string(spec.path().join(file)).expect("read"));
    }
    let with_secrets = |command: &mut Command| {
        command
            .env("GITHUB_TOKEN", "t")
            .env("SLACK_BOT_TOKEN", "t")
            .env("GITHUB_WEBHOOK_SECRET", "t");
    };
    let mut plan = context.flowform();
    with_secrets(&mut plan);
    let (code, rendered) =
        context.run(plan.args(["plan", "-f", "flows.example.yaml", "--out", "plan.json"]));
    assert_eq!(code, 0, "{rendered}");
    // No token, no secrets: the graph reads the plan file and never the account.
    let created = stdout_of(&mut graph(context.root(), &["--plan", "plan.json"]));
    assert_eq!(
        created.matches("+ create").count(),
        9 + 1,
        "nine creates and the legend:\n{created}"
    );
    insta::assert_snapshot!("graph_example_plan_created", created);

    let mut apply = context.flowform();
    with_secrets(&mut apply);
    let (code, rendered) =
        context.run(apply.args(["apply", "-f", "flows.example.yaml", "plan.json"]));
    assert_eq!(code, 0, "{rendered}");
    let yaml = fs_err::read_to_string(context.root().join("flows.example.yaml")).expect("read");
    context.write("flows.example.yaml", &yaml.replace("#engineering", "#eng-issues"));
    let mut plan = context.flowform();
    with_secrets(&mut plan);
    let (code, rendered) = context.run(plan.args([
        "plan",
        "-f",
        "flows.example.yaml",
        "--out",
        "update.json",
        "--target",
        "flow.issues-to-slack",
    ]));
    assert_eq!(code, 0, "{rendered}");
    let updated =
        stdout_of(&mut graph(context.root(), &["--plan", "update.json", "--format", "dot"]));
    insta::assert_snapshot!("graph_example_plan_targeted_dot", updated);

    // A plan made from another spec: the graph still draws, and says the actions may be stale.
    context.write("other.yaml", "integrations:\n  other:\n    name: Other\n");
    let (code, rendered) = run(
        bare_command(context.root()).args(["graph", "-f", "other.yaml", "--plan", "update.json"]),
        &[(context.root(), "[ROOT]")],
        "",
    );
    assert_eq!(code, 0, "{rendered}");
    let stderr = rendered.split("----- stderr -----\n").nth(1).unwrap_or_default();
    insta::assert_snapshot!(stderr, @"
    warning: the plan `update.json` changes `flow.issues-to-slack` (update) that the spec does not declare: it was made from another version of the spec, so the actions shown may be out of date
    warning: the plan `update.json` was limited to `flow.issues-to-slack` which the spec no longer declares; resources it did not change are shown as unchanged
    ");
}

#[test]
fn graph_errors_name_the_fix() {
    let spec = example();
    let root = spec.path();
    fs_err::write(
        root.join("not-a-plan.json"),
        "{\"kind\": \"flowform-plan\", \"format_version\": 1}",
    )
    .expect("written");
    fs_err::write(
        root.join("broken.yaml"),
        "flows:\n  x:\n    name: X\n    _integrationId: ${integration.nope}\n",
    )
    .expect("written");
    let render = |arguments: &[&str]| run(&mut graph(root, arguments), &[(root, "[ROOT]")], "");
    let (code, rendered) = render(&["--target", "flow.nope"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(rendered, @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `--target flow.nope` names no resource in the spec
    hint: give an address of the spec, such as `flow.nightly-sync`
    ");
    let (code, rendered) = render(&["--target", "nope"]);
    assert_eq!(code, 1, "{rendered}");
    let (code, rendered) = render(&["--plan", "not-a-plan.json"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(rendered, @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `not-a-plan.json` is not a readable flowform plan: missing field `flowform_version`
    hint: give a file written by `flowform plan --out FILE`
    ");
    let (code, rendered) = render(&["--plan", "missing.json"]);
    assert_eq!(code, 1);
    assert!(rendered.contains("error: cannot read the plan file `missing.json`"), "{rendered}");
    let (code, rendered) = render(&["--format", "svg"]);
    assert_eq!(code, 64, "{rendered}");
    let (code, rendered) =
        run(bare_command(root).args(["graph", "-f", "broken.yaml"]), &[(root, "[ROOT]")], "");
    assert_eq!(code, 1);
    assert!(rendered.contains("error: the spec has 1 error"), "{rendered}");
}
