//! `flowform run ADDR [--wait] [--timeout S]`.

use flowform_emulator::{JobOutcome, JobProgression};

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
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly", "--wait"]), @"
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

    ----- stderr -----
    started `flow.nightly` ([ID]) as job `[ID]`
    error: job `[ID]` of `flow.nightly` ([ID]) completed with 3 errors
    ");
    context.admin().set_job_outcome(JobOutcome::Failed);
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly", "--wait"]), @"
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

    ----- stderr -----
    started `flow.nightly` ([ID]) as job `[ID]`
    error: job `[ID]` of `flow.nightly` ([ID]) failed
    ");
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
