//! `flowform run ADDR [--wait] [--timeout S]`: run a flow now. Without `--wait` the job id is
//! printed on stdout; with it the job is followed to its end and its status and counts are
//! printed, and the exit code is 1 when it failed, was canceled or had errors.

use std::time::Duration;

use flowform_api::{Job, JobStatus};
use flowform_model::Kind;

use super::shared::{is_object_id, parse_address, read_state};
use super::{locate_spec, open_session};
use crate::args::RunArgs;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

/// Job counters printed after `numSuccess`, `numError` and `numIgnore`, when the job has them.
const EXTRA_COUNTS: [&str; 3] = ["numExport", "numPagesGenerated", "numPagesProcessed"];

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

/// The flow's id and how to name it in messages.
async fn resolve_flow(session: &Session, given: &str) -> anyhow::Result<(String, String)> {
    if is_object_id(given) {
        return Ok((given.to_owned(), format!("flow {given}")));
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
    let label = format!("`{address}` ({id})");
    Ok((id, label))
}

async fn run_in(
    printer: &Printer,
    session: &Session,
    args: &RunArgs,
) -> anyhow::Result<ExitStatus> {
    let (flow_id, label) = resolve_flow(session, &args.flow).await?;
    let job_id = session
        .client
        .run_flow(&flow_id, None)
        .await
        .map_err(|error| anyhow::Error::new(error).context(format!("cannot run {label}")))?;
    printer.status(&format!("started {label} as job `{job_id}`"));
    if !(args.wait || args.timeout.is_some()) {
        printer.data(&format!("{job_id}\n"));
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
    printer.data(&job_report(&job));
    let problem = match job.status {
        JobStatus::Failed => Some("failed".to_owned()),
        JobStatus::Canceled => Some("was canceled".to_owned()),
        _ if job.num_error > 0 => Some(format!(
            "completed with {} error{}",
            job.num_error,
            if job.num_error == 1 { "" } else { "s" }
        )),
        _ => None,
    };
    match problem {
        Some(problem) => {
            printer.error_line(&format!("job `{job_id}` of {label} {problem}"));
            Ok(ExitStatus::Failure)
        }
        None => Ok(ExitStatus::Success),
    }
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
        if let Some(count) = job.document.get(name).and_then(serde_json::Value::as_u64) {
            report.push_str(&format!("{name}: {count}\n"));
        }
    }
    report
}
