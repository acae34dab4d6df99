//! `flowform pull`: spec files and state from a live account, so that `plan` in the pulled folder
//! shows no changes; refusals without `--force`; `--integration`; the local sandbox.

use crate::support::TestContext;
use crate::{FLOW_ID, fixtures};

/// The secret placeholder the pull writes for the fixtures' connection token.
const SECRET_NAME: &str = "CONNECTION_API_TOKEN";

/// [`fixtures`] plus a second integration with a flow of its own.
fn account() -> TestContext {
    let context = TestContext::new();
    let mut documents = fixtures();
    documents["integrations"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"_id": "dddddddddddddddddddddddd", "name": "Other team"}));
    documents["flows"].as_array_mut().unwrap().push(serde_json::json!({
        "_id": "eeeeeeeeeeeeeeeeeeeeeeee", "name": "Weekly report",
        "_integrationId": "dddddddddddddddddddddddd", "disabled": true
    }));
    context.load(documents);
    context
}

/// `plan --detailed-exitcode` in the pulled folder with the secret set.
fn plan_in(context: &TestContext, folder: &str, arguments: &[&str]) -> (i32, String) {
    context.run(
        context
            .flowform_in(folder)
            .env(SECRET_NAME, "a value")
            .args(["plan", "--detailed-exitcode"])
            .args(arguments),
    )
}

#[test]
fn pull_then_plan_shows_no_changes() {
    let context = account();
    cli_snapshot!(context, context.flowform().args(["pull", "--out", "spec"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    reading the account…
    pulled 2 integrations, 1 connection, 2 flows into `spec` (6 files); the state is in `spec/.flowform/state.json`
    set this environment variable before `flowform plan` (spec/README.md lists where each goes): `CONNECTION_API_TOKEN`
    next: `cd spec && flowform plan` shows no changes
    ");
    let files: Vec<String> = crate::support::files_under(&context.root().join("spec"));
    assert_eq!(
        files,
        [
            "README.md",
            "connections.yaml",
            "main/flows/nightly.yaml",
            "main/integration.yaml",
            "other-team/flows/weekly-report.yaml",
            "other-team/integration.yaml",
        ]
    );
    let (code, rendered) = plan_in(&context, "spec", &[]);
    assert_eq!(code, 0, "{rendered}");
    // The state binds the pulled keys to the live ids; the secret is recorded as unknown.
    let text = fs_err::read_to_string(context.root().join("spec/.flowform/state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(state["resources"]["flow.nightly"]["id"], FLOW_ID);
    assert_eq!(
        state["resources"]["connection.api"]["secret_fingerprints"],
        serde_json::json!({"http.auth.token.token": "unknown"})
    );
    assert!(!text.contains("live-secret"), "{text}");
    // Without the secret, plan names what to set.
    let (code, rendered) =
        context.run(context.flowform_in("spec").args(["plan", "--detailed-exitcode"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains(SECRET_NAME), "{rendered}");
}

#[test]
fn a_second_pull_needs_force_and_then_drops_what_left_the_account() {
    let context = account();
    let (code, rendered) = context.run(context.flowform().args(["pull", "--out", "spec"]));
    assert_eq!(code, 0, "{rendered}");
    cli_snapshot!(context, context.flowform().args(["pull", "--out", "spec"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: a state at `spec/.flowform/state.json` already manages 5 resources
    hint: pull into a new folder (or with `--state PATH`), or pass `--force` to replace that state with the pulled one: what the pull does not write stops being managed, and nothing live is changed
    ");
    // A resource deleted in the account: the forced re-pull removes its file and its binding.
    let mut documents = context.admin().export_fixtures();
    documents["flows"].as_array_mut().unwrap().retain(|flow| flow["name"] != "Weekly report");
    context.admin().reset();
    context.load(documents);
    cli_snapshot!(context, context.flowform().args(["pull", "--out", "spec", "--force"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    reading the account…
    removed `spec/other-team/flows/weekly-report.yaml`: the account no longer has what it held
    pulled 2 integrations, 1 connection, 1 flow into `spec` (5 files); the state is in `spec/.flowform/state.json`
    set this environment variable before `flowform plan` (spec/README.md lists where each goes): `CONNECTION_API_TOKEN`
    next: `cd spec && flowform plan` shows no changes
    ");
    let text = fs_err::read_to_string(context.root().join("spec/.flowform/state.json")).unwrap();
    assert!(!text.contains("weekly-report"), "{text}");
    assert_eq!(plan_in(&context, "spec", &[]).0, 0);
    // A file that is not a spec file is refused without --force too.
    context.write("other/notes.txt", "mine");
    let (code, rendered) = context.run(context.flowform().args(["pull", "--out", "other"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("is not empty"), "{rendered}");
    assert_eq!(fs_err::read_to_string(context.root().join("other/notes.txt")).unwrap(), "mine");
}

#[test]
fn pull_one_integration_by_name_or_id() {
    let context = account();
    cli_snapshot!(context, context.flowform().args(["pull", "--out", "main", "--integration", "Main"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    reading the account…
    pulled 1 integration, 1 flow into `main` (3 files); the state is in `main/.flowform/state.json`
    next: `cd main && flowform plan` shows no changes
    ");
    assert_eq!(
        crate::support::files_under(&context.root().join("main")),
        ["README.md", "main/flows/nightly.yaml", "main/integration.yaml"]
    );
    assert_eq!(plan_in(&context, "main", &[]).0, 0);
    let (code, rendered) = context.run(context.flowform().args([
        "pull",
        "--out",
        "other",
        "--integration",
        "dddddddddddddddddddddddd",
    ]));
    assert_eq!(code, 0, "{rendered}");
    assert_eq!(plan_in(&context, "other", &[]).0, 0);
    cli_snapshot!(context, context.flowform().args(["pull", "--out", "none", "--integration", "Nope"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    reading the account…
    error: no integration has the id or name `Nope`; the account has `Main`, `Other team`
    ");
    assert!(!context.root().join("none").exists());
}

#[test]
fn pull_with_the_state_in_the_account() {
    let context = account();
    let (code, rendered) =
        context.run(context.flowform().args(["pull", "--out", "spec", "--state", "integrator"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(!context.root().join("spec/.flowform").exists());
    assert!(context.admin().state_value("flowform-default").is_some());
    assert_eq!(plan_in(&context, "spec", &["--state", "integrator"]).0, 0);
    // The account's state now manages everything: a second pull elsewhere would replace it.
    let (code, rendered) =
        context.run(context.flowform().args(["pull", "--out", "again", "--state", "integrator"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("already manages 5 resources"), "{rendered}");
}

#[test]
fn pull_from_the_local_sandbox_copies_it() {
    let context = TestContext::new();
    context.write("spec.yaml", crate::SPEC);
    let (code, rendered) =
        context.run(context.sandbox().env("API_TOKEN", "x").args(["apply", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    let (code, rendered) = context.run(context.sandbox().args(["pull", "--out", "pulled"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("copied the local sandbox"), "{rendered}");
    let (code, rendered) = context.run(
        crate::support::bare_command(&context.root().join("pulled"))
            .env(SECRET_NAME, "x")
            .args(["plan", "--detailed-exitcode"]),
    );
    assert_eq!(code, 0, "{rendered}");
}

#[test]
fn pull_with_an_environment_names_the_state_after_it() {
    let context = account();
    context.write("environments/prod.yaml", "variables: {}\n");
    let (code, rendered) =
        context.run(context.flowform().args(["pull", "--env", "prod", "--out", "spec"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(context.root().join("spec/.flowform/prod.state.json").is_file(), "{rendered}");
    assert!(!context.root().join("spec/.flowform/state.json").exists());
    // Planned with the same environment (its file copied along), the pulled folder is in sync.
    context.write("spec/environments/prod.yaml", "variables: {}\n");
    assert_eq!(plan_in(&context, "spec", &["--env", "prod"]).0, 0);
    // Without the environment file, `--env` is refused before the account is read.
    let (code, rendered) =
        context.run(context.flowform().args(["pull", "--env", "staging", "--out", "other"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("environment `staging` has no file"), "{rendered}");
    assert!(!context.root().join("other").exists());
}

/// Issue 14: the copies a clone made are managed under `<clone key>--<source key>`; a pull run
/// from the folder whose state records them writes them as ordinary spec resources under those
/// keys (not as `-2` slugs of the names they share with their sources), and the pulled folder
/// plans empty.
#[test]
fn pull_keeps_the_keys_of_a_clone_s_copies() {
    let context = TestContext::new();
    fs_err::copy(
        crate::support::repository_root().join("flows.example.yaml"),
        context.root().join("flows.example.yaml"),
    )
    .unwrap();
    crate::readme::copy_tree(
        &crate::support::repository_root().join("examples/scripts"),
        &context.root().join("examples/scripts"),
    );
    let secrets = [("GITHUB_TOKEN", "a"), ("SLACK_BOT_TOKEN", "b"), ("GITHUB_WEBHOOK_SECRET", "c")];
    let (code, rendered) = context.run(context.flowform().envs(secrets).args([
        "apply",
        "-f",
        "flows.example.yaml",
        "--auto-approve",
    ]));
    assert_eq!(code, 0, "{rendered}");
    let (code, rendered) =
        context.run(context.flowform().args(["pull", "-f", "flows.example.yaml", "--out", "spec"]));
    assert_eq!(code, 0, "{rendered}");
    let state: serde_json::Value = serde_json::from_str(
        &fs_err::read_to_string(context.root().join("spec/.flowform/state.json")).unwrap(),
    )
    .unwrap();
    for copy in [
        "export.issues-to-triage--github-user-lookup",
        "import.issues-to-triage--slack-post-message",
    ] {
        let entry = &state["resources"][copy];
        assert!(entry.is_object() && entry.get("owner").is_none(), "{copy}: {state:#}");
    }
    let spec = crate::support::files_under(&context.root().join("spec"))
        .into_iter()
        .map(|file| fs_err::read_to_string(context.root().join("spec").join(file)).unwrap())
        .collect::<String>();
    assert!(spec.contains("  issues-to-triage--slack-post-message:\n"), "{spec}");
    let pulled_secrets = [
        ("CONNECTION_GITHUB_TOKEN", "a"),
        ("CONNECTION_SLACK_TOKEN", "b"),
        ("EXPORT_GITHUB_ISSUES_WEBHOOK_KEY", "c"),
    ];
    let (code, rendered) = context.run(
        context.flowform_in("spec").envs(pulled_secrets).args(["plan", "--detailed-exitcode"]),
    );
    assert_eq!(code, 0, "{rendered}");
}
