//! `flowform show PLANFILE` (issue 17): a saved plan rendered again from the file alone, in the
//! three formats, naming the target it records and saying it was not verified.

use crate::apply::{APP, SECRET, app};
use crate::support::{TestContext, bare_command};

/// `text` without its first paragraph (the target line of a human plan, or the title and the
/// target line of a markdown plan).
fn after_target(text: &str, paragraphs: usize) -> String {
    text.splitn(paragraphs + 1, "\n\n").last().unwrap_or_default().to_owned()
}

fn stdout(context: &TestContext, command: &mut std::process::Command) -> String {
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains(SECRET) && !stderr.contains(SECRET), "the secret leaked");
    let _ = context;
    text
}

#[test]
fn show_renders_a_saved_plan_as_plan_printed_it_without_the_account() {
    let context = app();
    context.apply_ok(&[]);
    context.write(
        "spec.yaml",
        &APP.replace("relativeURI: /orders", "relativeURI: /orders?open=1").replace(
            "  main:\n    name: Main\n",
            "  main:\n    name: Main\n  extra:\n    name: Extra\n",
        ),
    );
    let planned = stdout(&context, context.with_secret().args(["plan", "--out", "plan.json"]));
    let markdown = stdout(&context, context.with_secret().args(["plan", "--format", "markdown"]));
    let json = stdout(&context, context.with_secret().args(["plan", "--format", "json"]));

    // No token, no endpoint, and `CI` set: any use of an account would fail.
    let show = |format: &str| {
        let mut command = bare_command(context.root());
        command.env("CI", "true").args(["show", "plan.json", "--format", format]);
        stdout(&context, &mut command)
    };
    let shown = show("human");
    assert_eq!(after_target(&shown, 1), after_target(&planned, 1), "{shown}");
    assert_eq!(after_target(&show("markdown"), 2), after_target(&markdown, 2));
    assert_eq!(show("json"), json, "the JSON plan exactly as `plan --format json` printed it");
    cli_snapshot!(context, bare_command(context.root()).env("CI", "true").args(["show", "plan.json"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID]) (saved plan `plan.json` made [TIME], not verified against the account: `flowform apply plan.json` verifies it)

    Create (1):
      + integration.extra "Extra"
          + name: "Extra"

    Update (1):
      ~ export.orders "Orders" ([ID])
          ~ http.relativeURI: "/orders" → "/orders?open=1"
          used by: flow.sync

    Also: 5 unchanged.
    Plan: 1 to create, 0 to clone, 1 to update, 0 to delete.

    ----- stderr -----
    "#);
    let (code, rendered) = context.run(bare_command(context.root()).args([
        "show",
        "plan.json",
        "--format",
        "markdown",
    ]));
    assert_eq!(code, 0);
    assert!(
        rendered.contains("### flowform plan\n\nTarget: `[URL] (user "),
        "the target is the line under the title: {rendered}"
    );
    let (_, rendered) =
        context.run(bare_command(context.root()).args(["show", "plan.json", "--format", "json"]));
    assert!(rendered.contains("not verified against the account"), "said on stderr: {rendered}");
    // The plan shown is the plan applied.
    let (code, rendered) = context.run(context.with_secret().args(["apply", "plan.json"]));
    assert_eq!(code, 0, "{rendered}");
}

/// A file written before `show` existed (format version 1, without the list of unchanged
/// resources) renders too; only the unchanged resources it does not name are left out, and a
/// warning says so.
#[test]
fn show_reads_a_plan_file_of_the_first_format() {
    let context = TestContext::new();
    let fixture = crate::support::repository_root().join("tests/it/fixtures/saved-plan-v1.json");
    fs_err::copy(fixture, context.root().join("old.json")).unwrap();
    cli_snapshot!(context, bare_command(context.root()).args(["show", "old.json"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: the local sandbox (saved plan `old.json` made [TIME], not verified against the account: `flowform apply old.json` verifies it)

    Create (1):
      + script.shape "Shape"
          + name: "Shape"
          + content:
              +function preMap(options) { return options.data; }

    Update (2):
      ~ connection.api "API" ([ID])
          ~ http.auth.token.token: (sensitive) → (sensitive)
          used by: flow.sync
      ~ export.orders "Orders" ([ID])
          ~ http.relativeURI: "/orders" → "/orders?open=1"
          used by: flow.sync

    Delete (1):
      - integration.extra "Extra" ([ID])

    Plan: 1 to create, 0 to clone, 2 to update, 1 to delete.

    ----- stderr -----
    warning: `old.json` was written by an older flowform: it counts 2 unchanged resources without naming them, so they are left out here
    "#);
}

#[test]
fn show_refuses_what_is_not_a_readable_plan() {
    let context = TestContext::new();
    context.write("other.json", "{\"kind\": \"something-else\"}\n");
    context.write("newer.json", "{\"kind\": \"flowform-plan\", \"format_version\": 9}\n");
    cli_snapshot!(context, bare_command(context.root()).args(["show", "missing.json"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot read the plan file `missing.json`
    caused by: failed to open file `missing.json`: No such file or directory (os error 2)
    ");
    cli_snapshot!(context, bare_command(context.root()).args(["show", "other.json"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `other.json` is not a readable flowform plan: it has no `"kind": "flowform-plan"`
    hint: run `flowform plan --out FILE` again
    "#);
    cli_snapshot!(context, bare_command(context.root()).args(["show", "newer.json"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `newer.json` was written by a newer flowform (plan format 9, this build reads 3)
    hint: run `flowform plan --out FILE` again
    ");
}
