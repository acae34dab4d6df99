//! What `plan`, `apply` and `destroy` share: opening the state through `flowform_exec`, the
//! planner's errors as messages, the plan on stdout, asking for confirmation, and running the
//! executor with progress, Ctrl-C and the final report.

use std::time::Duration;

use flowform_exec::apply::{ApplyOptions, ApplyReport, Progress, StepOutcome};
use flowform_exec::planner::PlanError;
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::PlanOptions;
use flowform_exec::state::StateWriter;
use flowform_model::{DesiredState, LiveState, Plan};

use super::shared::open_error;
use crate::args::PlanShape;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::interrupt::Interrupt;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

/// Steps in flight while the rate budget has no requests to spare, unless `--parallelism`
/// says otherwise.
pub const DEFAULT_PARALLELISM: usize = 8;

/// Steps in flight while the rate budget has requests to spare (a full bucket, or steps too
/// slow to use the rate), unless `--parallelism` says otherwise. With 25 ms of latency, 8
/// steps at a time cannot send more than 320 requests a second, so a full bucket of 900 would
/// take three seconds to spend instead of a fraction of one; at 200 ms (a slow account), 8
/// steps send 40 a second where the budget allows 290 (`docs/benchmarks.md`, issue 8).
pub const BURST_PARALLELISM: usize = 64;

/// Reads the account for a plan: the lists of every kind, completed with what needs the spec
/// and the state. Callers read it after the state (and, to write, after taking the lock): a
/// listing older than the state would show the resources another apply just created as
/// deleted outside flowform, and an apply would create them again.
pub async fn read_account(
    client: &flowform_api::Client,
    desired: &DesiredState,
    state: &flowform_model::State,
    printer: &Printer,
) -> anyhow::Result<LiveState> {
    flowform_exec::planner::read_live(client, desired, state)
        .await
        .map_err(|error| plan_error(printer, error))
}

/// The planner's options from the command line.
pub fn plan_options(shape: &PlanShape) -> PlanOptions {
    PlanOptions { targets: shape.targets.clone(), no_delete: shape.no_delete, adopt: shape.adopt }
}

/// Locks and opens the state for writing, warning about a stale lock that was broken.
pub async fn open_writer<'a>(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    api: &'a ClientStateApi<'a>,
    command: &str,
) -> anyhow::Result<StateWriter<'a, ClientStateApi<'a>>> {
    let (writer, broken) = flowform_exec::state::open_writer(
        &session.state,
        api,
        &session.target,
        command,
        settings.lock_timeout,
    )
    .await
    .map_err(open_error)?;
    if let Some(holder) = broken {
        printer.warning(&format!("broke a stale state lock held by {holder}"));
    }
    Ok(writer)
}

/// A planner failure as a message; problems (duplicate guard, `preventDestroy`, …) are printed
/// one by one with their hints first.
pub fn plan_error(printer: &Printer, error: PlanError) -> anyhow::Error {
    match error {
        PlanError::Problems(problems) => {
            for problem in &problems {
                let mut user = UserError::new(problem.message.clone());
                if let Some(hint) = &problem.hint {
                    user = user.with_hint(hint.clone());
                }
                printer.error(&anyhow::Error::new(user));
            }
            let count = problems.len();
            UserError::new(format!(
                "the plan cannot be applied: {count} problem{} (above)",
                if count == 1 { "" } else { "s" }
            ))
            .into()
        }
        PlanError::UnknownTarget(_) | PlanError::BadTarget { .. } => UserError::new(
            error.to_string(),
        )
        .with_hint(
            "`--target` takes an address of the spec or the state, such as `flow.nightly-sync`",
        )
        .into(),
        PlanError::Read(source) => anyhow::Error::new(source).context("cannot read the account"),
    }
}

/// The plan for a terminal.
pub fn human_plan(settings: &Settings, plan: &Plan) -> String {
    flowform_diff::render::human(
        plan,
        &flowform_diff::render::HumanOptions { color: settings.data_color },
    )
}

/// Asks `question` (the plan was printed above) unless `auto_approve`; renews a remote state
/// lock while the question waits. `Ok(false)` when the answer is not `yes`.
pub async fn confirm(
    printer: &Printer,
    writer: &mut StateWriter<'_, ClientStateApi<'_>>,
    auto_approve: bool,
    preamble: &str,
) -> anyhow::Result<bool> {
    if auto_approve {
        return Ok(true);
    }
    let asking = printer.clone();
    let preamble = preamble.to_owned();
    let mut answer = tokio::task::spawn_blocking(move || asking.confirm(&preamble));
    let mut renew = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            answered = &mut answer => {
                return Ok(answered.map_err(|error| anyhow::anyhow!("the confirmation prompt failed: {error}"))??);
            }
            _ = renew.tick() => {
                writer.keep_alive().await.map_err(|error| anyhow::Error::new(error).context("cannot renew the state lock"))?;
            }
        }
    }
}

/// What the executor is to do.
pub struct Work<'a> {
    /// The spec (empty for `destroy`).
    pub desired: &'a DesiredState,
    /// The plan to carry out.
    pub plan: &'a Plan,
    /// The live state read for the plan.
    pub live: &'a LiveState,
    /// `--parallelism`, when given.
    pub parallelism: Option<u16>,
    /// `apply` or `destroy`, for messages.
    pub verb: &'a str,
}

/// Runs the executor with a progress display and a Ctrl-C watcher, then saves the state and
/// prints the report. The exit status: 0 when every step succeeded, 130 when interrupted, 1
/// otherwise.
pub async fn execute(
    printer: &Printer,
    session: &Session,
    mut writer: StateWriter<'_, ClientStateApi<'_>>,
    work: Work<'_>,
) -> anyhow::Result<ExitStatus> {
    let Work { desired, plan, live, parallelism, verb } = work;
    let interrupt = Interrupt::watch(printer);
    let progress = printer.progress(0);
    let report_progress = |event: &Progress<'_>| match event {
        Progress::Started { total } => progress.add_steps(*total as u64),
        Progress::StepStarted { label } => progress.running(label),
        Progress::StepFinished { label, outcome } => match outcome {
            StepOutcome::Done(text) => progress.finished(&format!("{}: {text}", subject(label))),
            // The failure's message is printed once, in the report at the end.
            StepOutcome::Failed(_) => {
                progress.failed(&format!("{}: {} failed", subject(label), verb_of(label)))
            }
            StepOutcome::Skipped(reason) => progress.failed(&format!(
                "{}: {} skipped: {reason}",
                subject(label),
                verb_of(label)
            )),
            StepOutcome::NotRun => {}
        },
    };
    let started = std::time::Instant::now();
    let applied = flowform_exec::apply::apply(
        &session.client,
        &mut writer,
        desired,
        plan,
        live,
        &ApplyOptions {
            parallelism: parallelism.map_or(DEFAULT_PARALLELISM, usize::from),
            // A `--parallelism` given is a hard cap (`--parallelism 1` runs one step at a time).
            burst_parallelism: parallelism.map_or(BURST_PARALLELISM, usize::from),
            stop: interrupt.flag(),
            progress: &report_progress,
        },
    )
    .await;
    progress.finish();
    printer.timing("steps ran", started);
    // The state is saved whatever happened: every completed step must stay recorded.
    let started = std::time::Instant::now();
    let saved = writer.finish().await;
    printer.timing("state saved", started);
    let report = applied
        .map_err(|error| anyhow::Error::new(error).context(format!("the {verb} did not start")))?;
    saved.map_err(|error| {
        anyhow::Error::new(error).context("the changes were made but the state could not be saved; run the same command again once the state is writable, it converges")
    })?;
    Ok(print_report(printer, report, verb, interrupt.interrupted()))
}

/// `create flow.x` → `flow.x`.
fn subject(label: &str) -> &str {
    label.split_once(' ').map_or(label, |(_, address)| address)
}

/// `create flow.x` → `create`.
fn verb_of(label: &str) -> &str {
    label.split_once(' ').map_or(label, |(verb, _)| verb)
}

fn print_report(
    printer: &Printer,
    report: ApplyReport,
    verb: &str,
    interrupted: bool,
) -> ExitStatus {
    if let Some(error) = &report.baselines_not_recorded {
        let mut message = "the fingerprints of secrets flowform did not write could not be recorded in the state (the next apply records them)".to_owned();
        let mut cause: Option<&dyn std::error::Error> = Some(error);
        while let Some(next) = cause {
            message.push_str(&format!(": {next}"));
            cause = next.source();
        }
        printer.warning(&message);
    }
    let done = report.done().count();
    let failed = report.failed().count();
    let skipped = report.skipped().count();
    let not_run = report.not_run().count();
    if report.is_success() {
        printer.status(&format!(
            "{} complete: {done} step{} done.",
            capitalised(verb),
            plural_s(done)
        ));
        return ExitStatus::Success;
    }
    let mut summary = format!(
        "{verb} {}: {done} done, {} failed, {} skipped",
        if interrupted { "interrupted" } else { "finished with failures" },
        failed,
        skipped
    );
    if not_run > 0 {
        summary.push_str(&format!(", {not_run} not run"));
    }
    printer.error_line(&summary);
    for step in report.steps {
        if let StepOutcome::Failed(error) = step.outcome {
            // Like every other error: the step, then its causes, then a hint when there is one.
            let hint = error.hint();
            let mut failure = UserError::new(format!("{} failed", step.label)).with_source(error);
            if let Some(hint) = hint {
                failure = failure.with_hint(hint);
            }
            printer.error(&anyhow::Error::new(failure));
        }
    }
    if interrupted {
        printer
            .status("every completed step is in the state; run the same command again to finish");
        ExitStatus::Interrupted
    } else {
        printer.status("every completed step is in the state; fix the failures and run the same command again: it converges");
        ExitStatus::Failure
    }
}

fn capitalised(word: &str) -> String {
    let mut characters = word.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

fn plural_s(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
