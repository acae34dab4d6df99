//! `flowform run ADDR [--wait] [--timeout S] [--format human|json]`: run a flow now. Without
//! `--wait` the job id is printed on stdout; with it the job is followed to its end and its
//! status, counts and errors are printed, and the exit code is 1 when it failed, was canceled
//! or had errors.
//!
//! A job's errors live on the jobs that had them: for a flow job, its export and import jobs
//! (`GET /v1/jobs/{id}/family`), each listing up to 1,000 with `GET /v1/jobs/{id}/joberrors`
//! (API reference §6.6). The human report shows the first [`SHOWN_ERRORS`] and says where the
//! rest are; `--format json` gives every error those calls return.

use std::collections::HashMap;
use std::time::Duration;

use flowform_api::{JOB_ERRORS_LIMIT, Job, JobError, JobStatus};
use flowform_model::{Address, Kind, State};
use serde_json::{Value, json};

use super::shared::{is_object_id, parse_address, read_state};
use super::{locate_spec, open_session};
use crate::args::{RunArgs, RunFormat};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

/// Job counters printed after `numSuccess`, `numError` and `numIgnore`, when the job has them.
const EXTRA_COUNTS: [&str; 3] = ["numExport", "numPagesGenerated", "numPagesProcessed"];

/// How many errors the human report shows.
const SHOWN_ERRORS: usize = 10;

/// The longest error message the human report shows, in characters.
const MESSAGE_WIDTH: usize = 300;

/// The version of the `run --format json` document; see the README's command reference.
const RUN_FORMAT_VERSION: u32 = 1;

pub async fn run_flow(
    settings: &Settings,
    printer: &Printer,
    args: &RunArgs,
) -> anyhow::Result<ExitStatus> {
    let located = locate_spec(settings, printer)?;
    let session = open_session(settings, printer, &located, "run").await?;
    let result = run_in(printer, &session, args).await;
    session.close().await;
    result
}

/// The flow to run: its id, its address when it was given as one, and the state that bound it
/// (which also names the flow's steps in the error report).
struct Target {
    id: String,
    address: Option<Address>,
    state: Option<State>,
}

impl Target {
    /// How messages name the flow.
    fn label(&self) -> String {
        match &self.address {
            Some(address) => format!("`{address}` ({})", self.id),
            None => format!("flow {}", self.id),
        }
    }

    /// How the error report names a job's step: the address of its export or import when the
    /// state manages it, else its type and id.
    fn step(&self, job: &Job) -> Step {
        let field = |name: &str| job.document.get(name).and_then(Value::as_str).map(str::to_owned);
        let (kind, id) = match (field("_importId"), field("_exportId")) {
            (Some(id), _) => (Kind::Import, Some(id)),
            (None, Some(id)) => (Kind::Export, Some(id)),
            (None, None) => (Kind::Flow, field("_flowId").or_else(|| Some(self.id.clone()))),
        };
        let address = match (&self.state, &id) {
            (Some(state), Some(id)) => {
                state.address_of(id).filter(|address| address.kind == kind).cloned()
            }
            _ => None,
        };
        let address = address.or_else(|| {
            (kind == Kind::Flow && id.as_deref() == Some(self.id.as_str()))
                .then(|| self.address.clone())
                .flatten()
        });
        Step { kind, id, address }
    }
}

/// A step of a flow, as the error report names it.
#[derive(Debug, Clone)]
struct Step {
    kind: Kind,
    id: Option<String>,
    address: Option<Address>,
}

impl Step {
    fn label(&self) -> String {
        match (&self.address, &self.id) {
            (Some(address), _) => address.to_string(),
            (None, Some(id)) => format!("{} {id}", self.kind.singular()),
            (None, None) => self.kind.singular().to_owned(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "type": self.kind.singular(),
            "id": self.id,
            "address": self.address.as_ref().map(Address::to_string),
        })
    }
}

/// The flow's id and, for an address, the state that binds it.
async fn resolve_flow(session: &Session, given: &str) -> anyhow::Result<Target> {
    if is_object_id(given) {
        return Ok(Target { id: given.to_owned(), address: None, state: None });
    }
    let address = parse_address(given)?;
    if address.kind != Kind::Flow {
        return Err(
            UserError::new(format!("`{address}` is not a flow: only flows can be run")).into()
        );
    }
    let state = read_state(session).await?;
    let id = state.get(&address).map(|resource| resource.id.clone()).ok_or_else(|| {
        UserError::new(format!("`{address}` is not managed in the state {}", session.state))
            .with_hint("apply it first, or give the flow's 24-hex id")
    })?;
    Ok(Target { id, address: Some(address), state: Some(state) })
}

async fn run_in(
    printer: &Printer,
    session: &Session,
    args: &RunArgs,
) -> anyhow::Result<ExitStatus> {
    let target = resolve_flow(session, &args.flow).await?;
    let label = target.label();
    let job_id = session
        .client
        .run_flow(&target.id, None)
        .await
        .map_err(|error| anyhow::Error::new(error).context(format!("cannot run {label}")))?;
    printer.status(&format!("started {label} as job `{job_id}`"));
    if !(args.wait || args.timeout.is_some()) {
        match args.format {
            RunFormat::Human => printer.data(&format!("{job_id}\n")),
            RunFormat::Json => printer.data(&json_text(&json!({
                "format_version": RUN_FORMAT_VERSION,
                "flow": flow_json(&target),
                "job": {"id": job_id},
            }))),
        }
        return Ok(ExitStatus::Success);
    }
    // Without `--timeout` the wait has no end but Ctrl-C.
    let timeout = args.timeout.map_or(Duration::MAX, Duration::from_secs);
    let waited = tokio::select! {
        waited = session.client.wait_for_job(&job_id, timeout) => waited,
        _ = tokio::signal::ctrl_c() => {
            printer.warning(&format!("interrupted: stopped waiting; job `{job_id}` keeps running"));
            return Ok(ExitStatus::Interrupted);
        }
    };
    let job = match waited {
        Ok(job) => job,
        Err(flowform_api::Error::JobWaitTimeout { last_status, .. }) => {
            return Err(UserError::new(format!(
                "job `{job_id}` of {label} did not finish within {} seconds (last status `{last_status}`)",
                timeout.as_secs()
            ))
            .with_hint("the job keeps running; follow it in integrator.io, or wait longer with a larger `--timeout`")
            .into());
        }
        Err(error) => {
            return Err(anyhow::Error::new(error)
                .context(format!("cannot follow job `{job_id}` of {label}")));
        }
    };
    let outcome = Outcome::of(&job);
    let wanted = match args.format {
        RunFormat::Human => Some(SHOWN_ERRORS),
        RunFormat::Json => None,
    };
    let errors = if outcome == Outcome::Succeeded {
        ErrorReport::default()
    } else {
        read_errors(printer, session, &target, &job, wanted).await
    };
    match args.format {
        RunFormat::Human => {
            let mut report = job_report(&job);
            report.push_str(&errors.human(&job));
            printer.data(&report);
        }
        RunFormat::Json => printer.data(&json_text(&json_report(&target, &job, outcome, &errors))),
    }
    let problem = match outcome {
        Outcome::Succeeded => return Ok(ExitStatus::Success),
        Outcome::Failed => "failed".to_owned(),
        Outcome::Canceled => "was canceled".to_owned(),
        Outcome::CompletedWithErrors => format!(
            "completed with {} error{}",
            job.num_error,
            if job.num_error == 1 { "" } else { "s" }
        ),
    };
    printer.error_line(&format!("job `{job_id}` of {label} {problem}"));
    Ok(ExitStatus::Failure)
}

/// How a finished job ended, for the exit code and the JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    CompletedWithErrors,
    Failed,
    Canceled,
}

impl Outcome {
    fn of(job: &Job) -> Outcome {
        match job.status {
            JobStatus::Failed => Outcome::Failed,
            JobStatus::Canceled => Outcome::Canceled,
            _ if job.num_error > 0 => Outcome::CompletedWithErrors,
            _ => Outcome::Succeeded,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::CompletedWithErrors => "completed_with_errors",
            Outcome::Failed => "failed",
            Outcome::Canceled => "canceled",
        }
    }
}

/// The errors of a finished job, by the job that holds them.
#[derive(Debug, Default)]
struct ErrorReport {
    holders: Vec<Holder>,
}

/// A job that holds errors: a step job, or the flow job itself when no step holds any.
#[derive(Debug)]
struct Holder {
    job_id: String,
    step: Step,
    /// Its `numError`.
    count: u64,
    /// The errors read (none when they were not asked for or could not be read).
    errors: Vec<JobError>,
}

impl ErrorReport {
    fn total(&self) -> u64 {
        self.holders.iter().map(|holder| holder.count).sum()
    }

    fn listed(&self) -> usize {
        self.holders.iter().map(|holder| holder.errors.len()).sum()
    }

    /// The human report: the first [`SHOWN_ERRORS`] errors, then where to read the rest.
    fn human(&self, job: &Job) -> String {
        let total = self.total();
        if total == 0 {
            return String::new();
        }
        let shown: Vec<(&Holder, &JobError)> = self
            .holders
            .iter()
            .flat_map(|holder| holder.errors.iter().map(move |error| (holder, error)))
            .take(SHOWN_ERRORS)
            .collect();
        let mut out = if shown.len() as u64 >= total {
            "errors:\n".to_owned()
        } else {
            format!("errors (first {} of {total}):\n", shown.len())
        };
        for (holder, error) in &shown {
            let code = error.code.as_deref().map(|code| format!("{code}: ")).unwrap_or_default();
            out.push_str(&format!(
                "  {}: {code}{}\n",
                holder.step.label(),
                one_line(&error.message, MESSAGE_WIDTH)
            ));
        }
        let rest = total.saturating_sub(shown.len() as u64);
        if rest > 0 {
            let mut shown_of: HashMap<&str, u64> = HashMap::new();
            for (holder, _) in &shown {
                *shown_of.entry(holder.job_id.as_str()).or_default() += 1;
            }
            let places: Vec<String> = self
                .holders
                .iter()
                .filter(|holder| {
                    holder.count > shown_of.get(holder.job_id.as_str()).copied().unwrap_or(0)
                })
                .map(|holder| {
                    let call = if holder.count > JOB_ERRORS_LIMIT {
                        "errorFile/signedURL"
                    } else {
                        "joberrors"
                    };
                    format!("`GET /v1/jobs/{}/{call}` ({})", holder.job_id, holder.step.label())
                })
                .collect();
            out.push_str(&format!(
                "the other {rest}: {}, or job `{}` in integrator.io's run history\n",
                places.join(", "),
                job.id
            ));
        }
        out
    }
}

/// Reads the errors of `job`: from its step jobs that have errors, or from the job itself when
/// none has. With `wanted`, stops reading once that many are in hand (the counts still cover
/// every holder). A call that fails is a warning: the counts are still reported.
async fn read_errors(
    printer: &Printer,
    session: &Session,
    target: &Target,
    job: &Job,
    wanted: Option<usize>,
) -> ErrorReport {
    let holder_of = |job: &Job| Holder {
        job_id: job.id.clone(),
        step: target.step(job),
        count: job.num_error,
        errors: Vec::new(),
    };
    let mut holders: Vec<Holder> = match session.client.job_family(&job.id).await {
        Ok(family) => {
            family.children.iter().filter(|child| child.num_error > 0).map(holder_of).collect()
        }
        Err(error) => {
            printer.warning(&format!("cannot read the steps of job `{}`: {error}", job.id));
            Vec::new()
        }
    };
    if holders.is_empty() {
        holders.push(holder_of(job));
    }
    let mut read = 0;
    for holder in &mut holders {
        if wanted.is_some_and(|wanted| read >= wanted) {
            break;
        }
        match session.client.job_errors(&holder.job_id).await {
            Ok(errors) => {
                read += errors.len();
                holder.errors = errors;
            }
            Err(error) => printer.warning(&format!(
                "cannot read the errors of job `{}` ({}): {error}",
                holder.job_id,
                holder.step.label()
            )),
        }
    }
    // A flow job with no errors of its own and no step holding any has nothing to list.
    holders.retain(|holder| holder.count > 0 || !holder.errors.is_empty());
    for holder in &mut holders {
        holder.count = holder.count.max(holder.errors.len() as u64);
    }
    ErrorReport { holders }
}

/// `text` on one line (control characters become spaces), cut at `width` characters.
fn one_line(text: &str, width: usize) -> String {
    let flat: String = text.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() <= width {
        return flat;
    }
    let mut cut: String = flat.chars().take(width).collect();
    cut.push('…');
    cut
}

/// The job's status and counts, one `name: value` per line, in the API's names.
fn job_report(job: &Job) -> String {
    let mut report = format!(
        "job: {}\nstatus: {}\nnumSuccess: {}\nnumError: {}\nnumIgnore: {}\n",
        job.id,
        job.status.as_str(),
        job.num_success,
        job.num_error,
        job.num_ignore
    );
    for name in EXTRA_COUNTS {
        if let Some(count) = job.document.get(name).and_then(Value::as_u64) {
            report.push_str(&format!("{name}: {count}\n"));
        }
    }
    report
}

fn flow_json(target: &Target) -> Value {
    json!({"id": target.id, "address": target.address.as_ref().map(Address::to_string)})
}

/// The `run --wait --format json` document.
fn json_report(target: &Target, job: &Job, outcome: Outcome, report: &ErrorReport) -> Value {
    let field = |name: &str| job.document.get(name).cloned().unwrap_or(Value::Null);
    let count = |name: &str| job.document.get(name).and_then(Value::as_u64);
    let errors: Vec<Value> = report
        .holders
        .iter()
        .flat_map(|holder| {
            holder.errors.iter().map(move |error| {
                json!({
                    "job_id": error.job_id,
                    "step": holder.step.to_json(),
                    "code": error.code,
                    "message": error.message,
                    "source": error.source,
                    "created_at": error.created_at,
                    "retry_id": error.retry_id,
                })
            })
        })
        .collect();
    json!({
        "format_version": RUN_FORMAT_VERSION,
        "flow": flow_json(target),
        "job": {
            "id": job.id,
            "status": job.status.as_str(),
            "started_at": field("startedAt"),
            "ended_at": field("endedAt"),
        },
        "outcome": outcome.as_str(),
        "counts": {
            "success": job.num_success,
            "error": job.num_error,
            "ignore": job.num_ignore,
            "export": count("numExport"),
            "pages_generated": count("numPagesGenerated"),
            "pages_processed": count("numPagesProcessed"),
        },
        "errors_total": report.total(),
        "errors_complete": report.listed() as u64 >= report.total(),
        "errors": errors,
    })
}

fn json_text(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn messages_are_kept_to_one_line() {
        assert_eq!(one_line("  a\nb\tc \u{1b}[31m ", 100), "a b c  [31m");
        assert_eq!(one_line("ééééé", 3), "ééé…");
        assert_eq!(one_line("abc", 3), "abc");
    }
}
