//! `flowform run ADDR [--wait] [--timeout S]`.

use flowform_emulator::{JobOutcome, JobProgression};

use crate::apply::{SECRET, app};
use crate::{FLOW_ID, INTEGRATION_ID, context_with_imports};

#[test]
fn run_without_wait_prints_the_job_id() {
    let context = context_with_imports();
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly"]), @"
    exit_code: 0
    ----- stdout -----
    [ID]

    ----- stderr -----
    started `flow.nightly` ([ID]) as job `[ID]`
    ");
}

#[test]
fn run_wait_prints_the_counts() {
    let context = context_with_imports();
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly", "--wait"]), @"
    exit_code: 0
    ----- stdout -----
    job: [ID]
    status: completed
    numSuccess: 0
    numError: 0
    numIgnore: 0
    numExport: 0
    numPagesGenerated: 0
    numPagesProcessed: 0

    ----- stderr -----
    started `flow.nightly` ([ID]) as job `[ID]`
    ");
    // A literal id needs no state.
    let (code, rendered) = context.run(context.flowform().args(["run", FLOW_ID, "--wait"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains(&format!("started flow {FLOW_ID} as job")), "{rendered}");
}

#[test]
fn run_wait_fails_on_errors_failure_and_timeout() {
    let context = context_with_imports();
    context.admin().set_job_outcome(JobOutcome::CompletedWithErrors(3));
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly", "--wait"]), @r#"
    exit_code: 1
    ----- stdout -----
    job: [ID]
    status: completed
    numSuccess: 0
    numError: 3
    numIgnore: 0
    numExport: 0
    numPagesGenerated: 0
    numPagesProcessed: 0
    errors:
      flow.nightly: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 1 has no expires"}]}
      flow.nightly: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 2 has no expires"}]}
      flow.nightly: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 3 has no expires"}]}

    ----- stderr -----
    started `flow.nightly` ([ID]) as job `[ID]`
    error: job `[ID]` of `flow.nightly` ([ID]) completed with 3 errors
    "#);
    context.admin().set_job_outcome(JobOutcome::Failed);
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly", "--wait"]), @r#"
    exit_code: 1
    ----- stdout -----
    job: [ID]
    status: failed
    numSuccess: 0
    numError: 1
    numIgnore: 0
    numExport: 0
    numPagesGenerated: 0
    numPagesProcessed: 0
    errors:
      flow.nightly: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 1 has no expires"}]}

    ----- stderr -----
    started `flow.nightly` ([ID]) as job `[ID]`
    error: job `[ID]` of `flow.nightly` ([ID]) failed
    "#);
    context.admin().set_job_outcome(JobOutcome::Success);
    context.admin().set_job_progression(JobProgression::PerPoll { polls_per_stage: 1_000 });
    // `--timeout` implies `--wait`; zero seconds times out after the first poll.
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly", "--timeout", "0"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    started `flow.nightly` ([ID]) as job `[ID]`
    error: job `[ID]` of `flow.nightly` ([ID]) did not finish within 0 seconds (last status `queued`)
    hint: the job keeps running; follow it in integrator.io, or wait longer with a larger `--timeout`
    ");
}

#[test]
fn run_refuses_what_is_not_a_managed_flow() {
    let context = context_with_imports();
    cli_snapshot!(context, context.flowform().args(["run", "integration.main"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `integration.main` is not a flow: only flows can be run
    ");
    cli_snapshot!(context, context.flowform().args(["run", "flow.unknown"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `flow.unknown` is not managed in the state `[ROOT]/.flowform/state.json`
    hint: apply it first, or give the flow's 24-hex id
    ");
    // The API refuses to run an integration id as a flow.
    let (code, rendered) = context.run(context.flowform().args(["run", INTEGRATION_ID]));
    assert_eq!(code, 1, "{rendered}");
    // A disabled flow cannot run.
    context
        .admin()
        .edit(
            flowform_emulator::ResourceKind::Flows,
            FLOW_ID,
            &serde_json::json!({"disabled": true}),
        )
        .unwrap();
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly", "--wait"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot run `flow.nightly` ([ID])
    caused by: `POST /v1/flows/[ID]/run` failed with status 422: `inactive_flow`: The flow is disabled; enable it before running it
    ");
}

/// [`app`] applied: a flow whose export and import run as step jobs.
fn applied_app() -> crate::support::TestContext {
    let context = app();
    let (code, rendered) =
        context.run(context.flowform().env("API_TOKEN", SECRET).args(["apply", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    context
}

#[test]
fn run_wait_lists_the_first_step_errors_and_where_the_rest_are() {
    let context = applied_app();
    context.admin().set_job_outcome(JobOutcome::CompletedWithErrors(12));
    let (code, rendered) = context.run(context.flowform().args(["run", "flow.sync", "--wait"]));
    assert_eq!(code, 1, "{rendered}");
    insta::with_settings!({filters => crate::support::filters()}, {
        // The counts (numExport, pages) are random; the errors section is what is checked.
        let errors = &rendered[rendered.find("errors (").expect("an errors section")..];
        insta::assert_snapshot!(errors, @r#"
        errors (first 10 of 12):
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 1 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 2 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 3 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 4 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 5 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 6 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 7 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 8 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 9 has no expires"}]}
          import.post: 422: {"errors":[{"field":"expires","code":"missing_required_field","message":"record 10 has no expires"}]}
        the other 2: `GET /v1/jobs/[ID]/joberrors` (import.post), or job `[ID]` in integrator.io's run history

        ----- stderr -----
        started `flow.sync` ([ID]) as job `[ID]`
        error: job `[ID]` of `flow.sync` ([ID]) completed with 12 errors
        "#);
    });
}

#[test]
fn run_wait_format_json_is_one_document_with_every_error() {
    let context = applied_app();
    context.admin().set_job_outcome(JobOutcome::CompletedWithErrors(12));
    let output = context
        .flowform()
        .args(["run", "flow.sync", "--wait", "--format", "json"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(document["format_version"], 1);
    assert_eq!(document["flow"]["address"], "flow.sync");
    assert_eq!(document["job"]["status"], "completed");
    assert_eq!(document["outcome"], "completed_with_errors");
    assert_eq!(document["counts"]["error"], 12);
    assert!(document["counts"]["export"].as_u64().is_some_and(|count| count >= 1));
    assert_eq!(
        (document["errors_total"].clone(), document["errors_complete"].clone()),
        (12.into(), true.into())
    );
    let errors = document["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 12);
    let import_id = context.state()["resources"]["import.post"]["id"].clone();
    assert_eq!(
        errors[0]["step"],
        serde_json::json!({"type": "import", "id": import_id, "address": "import.post"})
    );
    assert_eq!(errors[0]["code"], "422");
    assert_eq!(errors[11]["message"].as_str().map(|m| m.contains("record 12")), Some(true));
    assert!(errors.iter().all(|error| error["job_id"].as_str().is_some_and(|id| id.len() == 24)));
    assert!(String::from_utf8_lossy(&output.stderr).contains("completed with 12 errors"));

    // A run that succeeds: no errors; without --wait, the job id in a document.
    context.admin().set_job_outcome(JobOutcome::Success);
    let output = context
        .flowform()
        .args(["run", "flow.sync", "--wait", "--format", "json"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        (document["outcome"].clone(), document["errors"].clone()),
        ("succeeded".into(), serde_json::json!([]))
    );
    let output =
        context.flowform().args(["run", "flow.sync", "--format", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(document["job"]["id"].as_str().is_some_and(|id| id.len() == 24), "{document}");
}
