//! What `plan`, `apply` and `destroy` share: opening the state through `flowform_exec`, the
//! planner's errors as messages, the plan on stdout, asking for confirmation, and running the
//! executor with progress, Ctrl-C and the final report.

use std::time::Duration;

use flowform_diff::render::PlanTarget;
use flowform_exec::apply::{ApplyOptions, ApplyReport, EarlyReads, Progress, StepOutcome};
use flowform_exec::planner::PlanError;
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::PlanOptions;
use flowform_exec::state::StateWriter;
use flowform_model::{DesiredState, LiveState, Plan};

use super::shared::open_error;
use crate::args::{ApplyFormat, PlanShape};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::interrupt::Interrupt;
use crate::printer::Printer;
use crate::session::{SANDBOX_TARGET, Session};
use crate::settings::Settings;

/// Steps in flight while the rate budget has no requests to spare, unless `--parallelism`
/// says otherwise.
pub const DEFAULT_PARALLELISM: usize = 8;

/// Steps in flight while the rate budget has requests to spare (a full bucket, or steps too
/// slow to use the rate), unless `--parallelism` says otherwise; the client allows as many
/// requests in flight. With 25 ms of latency, 8 steps at a time cannot send more than 320
/// requests a second, so a full bucket of 900 would take three seconds to spend instead of a
/// fraction of one; at 200 ms (a slow account), 8 steps send 40 a second where the budget
/// allows 290 (`docs/benchmarks.md`, issue 8). 256 rather than issue 8's 64: the account's
/// bucket (1,000) is what the service itself says it accepts at once, the budget never sends
/// past what it has to spare, and an apply of a few hundred updates (a read and a write each)
/// then waits for its dependency levels instead of for its place in a queue of 64
/// (`docs/benchmarks.md`, issue 18: the 5% change's steps 168 ms → about 125 ms).
pub const BURST_PARALLELISM: usize = 256;

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
    PlanOptions {
        targets: shape.targets.clone(),
        no_delete: shape.no_delete,
        adopt: shape.adopt,
        destroy: false,
        refresh_only: shape.refresh_only,
    }
}

/// The account a session works on, as the plans and prompts name it: the endpoint and the
/// token's user (the state's target), or the local sandbox; with the environment.
pub fn plan_target(settings: &Settings, session: &Session) -> PlanTarget {
    target_of(&session.target, settings.env.as_deref())
}

/// [`plan_target`] for a target string as the state (or a saved plan) records it.
pub fn target_of(target: &str, environment: Option<&str>) -> PlanTarget {
    PlanTarget {
        account: if target == SANDBOX_TARGET {
            "the local sandbox".to_owned()
        } else {
            target.to_owned()
        },
        environment: environment.map(str::to_owned),
        note: None,
    }
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
    plan_error_of(printer, error, "the plan cannot be applied")
}

/// [`plan_error`] with the closing line in the command's terms (`destroy refused`, …).
pub fn plan_error_of(printer: &Printer, error: PlanError, refused: &str) -> anyhow::Error {
    match error {
        PlanError::Problems(problems) => {
            for problem in &problems {
                // A problem about one field names where the spec writes it: the value's line
                // when the file declares the resource plainly, else the resource's.
                let place = problem.origin.as_ref().map(|origin| match &problem.path {
                    Some(path) => flowform_spec::value_origin(&origin.file, &problem.address, path)
                        .unwrap_or_else(|| origin.clone()),
                    None => origin.clone(),
                });
                let message = match (&place, &problem.path) {
                    (Some(place), Some(_)) => format!("{place}: {}", problem.message),
                    _ => problem.message.clone(),
                };
                let mut user = UserError::new(message);
                if let Some(hint) = &problem.hint {
                    user = user.with_hint(hint.clone());
                }
                printer.error(&anyhow::Error::new(user));
            }
            let count = problems.len();
            UserError::new(format!(
                "{refused}: {count} problem{} (above)",
                if count == 1 { "" } else { "s" }
            ))
            .into()
        }
        PlanError::Lookups(problems) => {
            for problem in &problems {
                printer.error(&anyhow::Error::new(
                    UserError::new(problem.to_string()).with_hint(problem.hint.clone()),
                ));
            }
            let count = problems.len();
            UserError::new(format!(
                "nothing was planned: {count} lookup{} of the spec cannot be resolved in the account (above)",
                if count == 1 { "" } else { "s" }
            ))
            .into()
        }
        PlanError::NotManaged(_) => UserError::new(error.to_string())
            .with_hint("`flowform state list` lists the managed addresses")
            .into(),
        PlanError::UnknownTarget(_) | PlanError::BadTarget { .. } => UserError::new(
            error.to_string(),
        )
        .with_hint(
            "`--target` takes an address of the spec or the state, such as `flow.nightly-sync`",
        )
        .into(),
        PlanError::Read(source) => anyhow::Error::new(source).context("cannot read the account"),
        PlanError::Data(source) => anyhow::Error::new(source)
            .context("cannot compare a lookup cache's data with its `dataFile`"),
    }
}

/// The plan for a terminal, headed by the account it applies to.
pub fn human_plan(settings: &Settings, plan: &Plan, target: &PlanTarget) -> String {
    flowform_diff::render::human_for(
        plan,
        &flowform_diff::render::HumanOptions { color: settings.data_color },
        target,
    )
}

/// Asks whether to go on (the plan was printed above) unless `auto_approve`; renews a remote
/// state lock while the question waits. `Ok(false)` when the answer is not `yes`. The question
/// is preceded by `what` followed by the account (and environment) it changes, so nobody says
/// `yes` without seeing where: "The changes above will be made in" gives "The changes above
/// will be made in `https://api.integrator.io` (user 5f…), environment production."
pub async fn confirm(
    printer: &Printer,
    writer: &mut StateWriter<'_, ClientStateApi<'_>>,
    auto_approve: bool,
    what: &str,
    target: &PlanTarget,
) -> anyhow::Result<bool> {
    if auto_approve {
        return Ok(true);
    }
    let asking = printer.clone();
    let mut preamble = format!("{what} {}", target.account);
    if let Some(environment) = &target.environment {
        preamble.push_str(&format!(", environment {environment}"));
    }
    preamble.push('.');
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
    /// The JSON events (`--format json`), or none.
    pub events: &'a Events,
    /// The updates' reads sent while the plan was made, for the run to take.
    pub early_reads: Option<&'a EarlyReads>,
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
    let Work { desired, plan, live, parallelism, verb, events, early_reads } = work;
    let interrupt = Interrupt::watch(printer);
    let progress = printer.progress(0);
    let report_progress = |event: &Progress<'_>| {
        events.progress(event);
        match event {
            Progress::Started { total } => progress.set_total(*total as u64),
            Progress::Total { total } => progress.set_total(*total as u64),
            Progress::StepStarted { label, .. } => progress.running(label),
            Progress::StepFinished { address, action, outcome, .. } => match outcome {
                StepOutcome::Done(text) => progress.finished(&format!("{address}: {text}")),
                // The failure's message is printed once, in the report at the end.
                StepOutcome::Failed(_) => progress.failed(&format!("{address}: {action} failed")),
                StepOutcome::Skipped(reason) => {
                    progress.failed(&format!("{address}: {action} skipped: {reason}"))
                }
                StepOutcome::NotRun => {}
            },
        }
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
            early_reads,
        },
    )
    .await;
    progress.finish();
    printer.timing("steps ran", started);
    // The state is saved whatever happened: every completed step must stay recorded.
    let started = std::time::Instant::now();
    // The state in memory is given back by the process's exit, not freed one entry at a time.
    let saved = writer.finish().await.map(std::mem::forget);
    printer.timing("state saved", started);
    let report = applied
        .map_err(|error| anyhow::Error::new(error).context(format!("the {verb} did not start")))?;
    saved.map_err(|error| {
        anyhow::Error::new(error).context("the changes were made but the state could not be saved; run the same command again once the state is writable, it converges")
    })?;
    let tally = Tally::of(&report);
    let status = print_report(printer, report, &tally, verb, interrupt.interrupted());
    events.summary(&tally, status);
    Ok(status)
}

/// What an apply did, by resource and by step: the closing line and the JSON summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: usize,
    pub cloned: usize,
    pub updated: usize,
    pub adopted: usize,
    pub moved: usize,
    pub deleted: usize,
    /// State-only changes recorded (nothing sent).
    pub recorded: usize,
    pub steps: usize,
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_run: usize,
}

impl Tally {
    /// Counts a report: each resource once, by the action of its step when that step was done
    /// (links and enables complete a resource already counted); every step by outcome.
    pub fn of(report: &ApplyReport) -> Tally {
        let mut tally = Tally { steps: report.steps.len(), ..Tally::default() };
        for step in &report.steps {
            match &step.outcome {
                StepOutcome::Done(_) => {
                    tally.done += 1;
                    match step.action {
                        "create" => tally.created += 1,
                        "clone" => tally.cloned += 1,
                        "update" => tally.updated += 1,
                        "adopt" => tally.adopted += 1,
                        "move" => tally.moved += 1,
                        "delete" => tally.deleted += 1,
                        "record" => tally.recorded += 1,
                        _ => {}
                    }
                }
                StepOutcome::Failed(_) => tally.failed += 1,
                StepOutcome::Skipped(_) => tally.skipped += 1,
                StepOutcome::NotRun => tally.not_run += 1,
            }
        }
        tally
    }

    /// `2 created, 0 cloned, 1 updated, 0 adopted, 0 moved, 1 deleted` (`3 deleted` for a
    /// destroy, which does nothing else).
    fn resources(&self, verb: &str) -> String {
        if verb == "destroy" {
            return format!("{} deleted", self.deleted);
        }
        let mut line = format!(
            "{} created, {} cloned, {} updated, {} adopted, {} moved, {} deleted",
            self.created, self.cloned, self.updated, self.adopted, self.moved, self.deleted
        );
        // State-only changes are no resource change; named only when there are some.
        if self.recorded > 0 {
            line.push_str(&format!(", {} recorded in the state only", self.recorded));
        }
        line
    }

    /// `1 step failed, 2 skipped, 3 not run`, leaving out the zeros.
    fn failures(&self) -> String {
        let counts =
            [(self.failed, "failed"), (self.skipped, "skipped"), (self.not_run, "not run")];
        let mut parts = Vec::new();
        for (count, what) in counts.into_iter().filter(|(count, _)| *count > 0) {
            if parts.is_empty() {
                parts.push(format!("{count} {} {what}", if count == 1 { "step" } else { "steps" }));
            } else {
                parts.push(format!("{count} {what}"));
            }
        }
        parts.join(", ")
    }
}

/// Prints the report: the failed steps as errors, then what to do, then the closing line that
/// counts what changed (`Apply complete! Resources: 2 created, 0 cloned, 1 updated, 0 adopted,
/// 0 moved, 1 deleted.`), always last.
fn print_report(
    printer: &Printer,
    report: ApplyReport,
    tally: &Tally,
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
    let transient = report.failed().all(|step| match &step.outcome {
        StepOutcome::Failed(error) => error.is_transient(),
        _ => true,
    });
    if report.is_success() {
        printer.status(&format!(
            "{} complete! Resources: {}.",
            capitalised(verb),
            tally.resources(verb)
        ));
        return ExitStatus::Success;
    }
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
    let (how, status, next) = if interrupted {
        (
            "interrupted",
            ExitStatus::Interrupted,
            "every completed step is in the state; run the same command again to finish",
        )
    } else if transient {
        (
            "finished with failures",
            ExitStatus::Failure,
            "every completed step is in the state; the failures were transient (the service or the network): run the same command again, it converges",
        )
    } else {
        // A re-run alone would fail the same way: never claim it converges.
        (
            "finished with failures",
            ExitStatus::Failure,
            "every completed step is in the state; fix what the errors above say (see their hints), then run the same command again",
        )
    };
    printer.status(next);
    printer.error_line(&format!("{verb} {how}: {}; {}", tally.resources(verb), tally.failures()));
    status
}

fn capitalised(word: &str) -> String {
    let mut characters = word.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// The version of the JSON events of `apply --format json` (docs/apply-events.md).
pub const EVENTS_FORMAT_VERSION: u32 = 1;

/// The JSON events of `apply --format json` and `destroy --format json`: one JSON object per
/// line on stdout, in the format of docs/apply-events.md. Off, every method does nothing.
pub struct Events {
    printer: Option<Printer>,
    command: &'static str,
    target: std::sync::Mutex<Option<(String, Option<String>)>>,
}

impl Events {
    /// Events for `command` when `format` asks for them.
    pub fn new(printer: &Printer, format: ApplyFormat, command: &'static str) -> Events {
        Events {
            printer: (format == ApplyFormat::Json).then(|| printer.clone()),
            command,
            target: std::sync::Mutex::new(None),
        }
    }

    /// Whether events are printed (then the plan goes to stderr, not stdout).
    pub fn enabled(&self) -> bool {
        self.printer.is_some()
    }

    /// The account the events concern, named in `started`: the state's target and the
    /// environment.
    pub fn set_target(&self, target: &str, environment: Option<&str>) {
        *self.target.lock().expect("events lock") =
            Some((target.to_owned(), environment.map(str::to_owned)));
    }

    fn emit(&self, event: &str, fields: serde_json::Value) {
        let Some(printer) = &self.printer else { return };
        let mut object = serde_json::Map::new();
        object.insert("format_version".into(), EVENTS_FORMAT_VERSION.into());
        object.insert("event".into(), event.into());
        if let serde_json::Value::Object(fields) = fields {
            object.extend(fields);
        }
        let mut line = serde_json::Value::Object(object).to_string();
        line.push('\n');
        printer.data(&line);
    }

    /// The plan about to be applied: the JSON plan document (docs/plan-format.md), rendered
    /// only when events are on.
    pub fn plan(&self, plan: &Plan, target: &str) {
        if self.enabled() {
            let json_plan = flowform_diff::render::json(
                plan,
                &flowform_diff::render::JsonContext { target: target.to_owned() },
            );
            let plan: serde_json::Value =
                serde_json::from_str(&json_plan).unwrap_or(serde_json::Value::Null);
            self.emit("plan", serde_json::json!({ "plan": plan }));
        }
    }

    /// An executor progress event.
    pub fn progress(&self, progress: &Progress<'_>) {
        if !self.enabled() {
            return;
        }
        match progress {
            Progress::Started { total } => {
                let (target, environment) =
                    self.target.lock().expect("events lock").clone().unwrap_or_default();
                self.emit(
                    "started",
                    serde_json::json!({
                        "command": self.command,
                        "target": target,
                        "environment": environment,
                        "total": total,
                    }),
                );
            }
            Progress::Total { total } => self.emit("total", serde_json::json!({ "total": total })),
            Progress::StepStarted { label, address, action } => self.emit(
                "step_started",
                serde_json::json!({
                    "address": address.to_string(),
                    "action": action,
                    "label": label,
                }),
            ),
            Progress::StepFinished { label, address, action, outcome } => {
                let (name, message, error) = match outcome {
                    StepOutcome::Done(text) => ("done", Some(text.clone()), None),
                    StepOutcome::Failed(error) => (
                        "failed",
                        None,
                        Some(error_object(&format!("{label} failed"), error, error.hint())),
                    ),
                    StepOutcome::Skipped(reason) => ("skipped", Some(reason.clone()), None),
                    StepOutcome::NotRun => ("not_run", None, None),
                };
                self.emit(
                    "step_finished",
                    serde_json::json!({
                        "address": address.to_string(),
                        "action": action,
                        "label": label,
                        "outcome": name,
                        "message": message,
                        "error": error,
                    }),
                );
            }
        }
    }

    /// An error that ends the command (printed on stderr as well, as always).
    pub fn error(&self, error: &anyhow::Error) {
        if !self.enabled() {
            return;
        }
        let mut causes: Vec<String> = Vec::new();
        let mut previous = error.to_string();
        for cause in error.chain().skip(1) {
            let text = cause.to_string();
            if text != previous {
                causes.push(text.clone());
            }
            previous = text;
        }
        let hint = error
            .chain()
            .find_map(|cause| cause.downcast_ref::<UserError>().and_then(|user| user.hint.clone()));
        self.emit(
            "error",
            serde_json::json!({ "message": error.to_string(), "causes": causes, "hint": hint }),
        );
    }

    /// The last event: the outcome, the exit code and the counts.
    pub fn summary(&self, tally: &Tally, status: ExitStatus) {
        self.finish(
            match status {
                ExitStatus::Success => "succeeded",
                ExitStatus::Interrupted => "interrupted",
                _ => "failed",
            },
            tally,
            status,
        );
    }

    /// The last event of a run that changed nothing on purpose: `cancelled` (the answer was
    /// not `yes`) or `nothing_to_do`.
    pub fn finish(&self, outcome: &str, tally: &Tally, status: ExitStatus) {
        let mut resources = serde_json::json!({
            "created": tally.created,
            "cloned": tally.cloned,
            "updated": tally.updated,
            "adopted": tally.adopted,
            "moved": tally.moved,
            "deleted": tally.deleted,
        });
        // State-only changes, left out when there are none.
        if tally.recorded > 0 {
            resources["recorded"] = serde_json::json!(tally.recorded);
        }
        self.emit(
            "summary",
            serde_json::json!({
                "outcome": outcome,
                "exit_code": status.code(),
                "resources": resources,
                "steps": {
                    "total": tally.steps,
                    "done": tally.done,
                    "failed": tally.failed,
                    "skipped": tally.skipped,
                    "not_run": tally.not_run,
                },
            }),
        );
    }
}

/// `{message, causes, hint}` of an error with its `#[source]` chain.
fn error_object(
    message: &str,
    error: &dyn std::error::Error,
    hint: Option<String>,
) -> serde_json::Value {
    let mut causes = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(next) = cause {
        let text = next.to_string();
        if causes.last() != Some(&text) {
            causes.push(text);
        }
        cause = next.source();
    }
    serde_json::json!({ "message": message, "causes": causes, "hint": hint })
}
