//! Flow runs and jobs (API reference §6.6): `POST /v1/flows/{id}/run` creates a parent `flow`
//! job plus one `export` child per page generator and one `import` child per import step; jobs
//! move `queued → running → completed|failed` per poll or on a clock; `/v1/jobs` applies the
//! documented filter rules; `GET /v1/jobs/{id}/joberrors` lists a finished job's errors.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::config::{JobOutcome, JobProgression};
use crate::context::{Ctx, Reply};
use crate::error::ApiError;
use crate::json::Document;
use crate::kinds::ResourceKind;
use crate::resources::{fresh_id, not_found};
use crate::store::{AccountData, Job, JobCounts};
use crate::util::{format_timestamp, now_millis, parse_timestamp};

/// The most rows `GET /v1/jobs` returns (it has no Link pagination).
const JOBS_PAGE: usize = 1001;

/// The most errors `GET /v1/jobs/{id}/joberrors` returns: "if a job has <= 1000 errors use this
/// API to retrieve the errors directly" (API reference §6.6; Celigo's `job.md`, S1); above that
/// the service offers an error file instead.
const JOB_ERRORS_LIMIT: u64 = 1000;

pub(crate) fn run(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    flow_id: &str,
    body: Option<Value>,
) -> Result<Reply, ApiError> {
    let flow =
        data.get(ResourceKind::Flows, flow_id).ok_or_else(|| not_found(ResourceKind::Flows))?;
    if flow.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "inactive_flow",
            "The flow is disabled; enable it before running it",
        ));
    }
    let selected: Option<Vec<String>> = body
        .as_ref()
        .and_then(|body| body.get("_exportIds"))
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect());
    let mut export_steps: Vec<String> = Vec::new();
    let mut import_steps: Vec<String> = Vec::new();
    for reference in data.references.references_of(ResourceKind::Flows, flow_id) {
        let is_generator = reference.path.starts_with("pageGenerators[");
        let is_step = is_generator
            || reference.path.starts_with("pageProcessors[")
            || reference.path.starts_with("routers[");
        if !is_step {
            continue;
        }
        match reference.target {
            ResourceKind::Exports
                if is_generator
                    && selected
                        .as_ref()
                        .is_none_or(|selected| selected.contains(&reference.id)) =>
            {
                export_steps.push(reference.id.clone());
            }
            ResourceKind::Imports => import_steps.push(reference.id.clone()),
            _ => {}
        }
    }
    let integration_id = flow.get("_integrationId").cloned();
    let outcome = data.job_outcome;
    let now = now_millis();
    let parent_id = fresh_id(ctx, data);
    let mut rng = ctx.account.rng();
    let mut parent_counts =
        JobCounts { num_pages: export_steps.len() as u64, ..JobCounts::default() };
    let mut children = Vec::new();
    let mut child_jobs = Vec::new();
    for export_id in &export_steps {
        let records = rng.up_to(49) + 1;
        parent_counts.num_export += records;
        let counts = JobCounts {
            num_export: records,
            num_success: records,
            num_pages: 1,
            ..JobCounts::default()
        };
        child_jobs.push(("export", "_exportId", export_id.clone(), counts));
    }
    drop(rng);
    let (num_success, num_error) = match outcome {
        JobOutcome::Success => (parent_counts.num_export, 0),
        JobOutcome::CompletedWithErrors(errors) => {
            (parent_counts.num_export.saturating_sub(errors), errors)
        }
        JobOutcome::Failed => (0, parent_counts.num_export.max(1)),
    };
    parent_counts.num_success = num_success;
    parent_counts.num_error = num_error;
    for import_id in &import_steps {
        let counts = JobCounts {
            num_success,
            num_error,
            num_pages: parent_counts.num_pages,
            ..JobCounts::default()
        };
        child_jobs.push(("import", "_importId", import_id.clone(), counts));
    }
    for (job_type, id_field, step_id, counts) in child_jobs {
        let child_id = fresh_id(ctx, data);
        let mut document = Document::new();
        document.insert("_id".into(), Value::String(child_id.clone()));
        document.insert("type".into(), Value::String(job_type.into()));
        document.insert("_flowJobId".into(), Value::String(parent_id.clone()));
        document.insert("_parentJobId".into(), Value::String(parent_id.clone()));
        document.insert("_flowId".into(), Value::String(flow_id.to_owned()));
        if let Some(integration_id) = &integration_id {
            document.insert("_integrationId".into(), integration_id.clone());
        }
        document.insert(id_field.into(), Value::String(step_id));
        children.push(child_id.clone());
        data.jobs.insert(
            child_id,
            Job {
                document,
                parent: Some(parent_id.clone()),
                children: Vec::new(),
                created_millis: now,
                polls: 0,
                outcome,
                final_counts: counts,
                canceled: false,
            },
        );
    }
    let mut document = Document::new();
    document.insert("_id".into(), Value::String(parent_id.clone()));
    document.insert("type".into(), Value::String("flow".into()));
    document.insert("_flowId".into(), Value::String(flow_id.to_owned()));
    if let Some(integration_id) = integration_id {
        document.insert("_integrationId".into(), integration_id);
    }
    data.jobs.insert(
        parent_id.clone(),
        Job {
            document,
            parent: None,
            children,
            created_millis: now,
            polls: 0,
            outcome,
            final_counts: parent_counts,
            canceled: false,
        },
    );
    if let Some(flow) = data.get_mut_unindexed(ResourceKind::Flows, flow_id) {
        // `lastExecutedAt` is server-owned; a run does not change `lastModified`.
        flow.insert("lastExecutedAt".into(), Value::String(format_timestamp(now)));
    }
    Ok(Reply::json(StatusCode::CREATED, json!({ "_jobId": parent_id })).committed())
}

/// The three stages a job goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Queued,
    Running,
    Finished,
}

fn stage(progression: JobProgression, root: &Job, now: i64) -> Stage {
    match progression {
        JobProgression::PerPoll { polls_per_stage } => {
            if polls_per_stage == 0 {
                return Stage::Finished;
            }
            match root.polls / polls_per_stage {
                0 => Stage::Queued,
                1 => Stage::Running,
                _ => Stage::Finished,
            }
        }
        JobProgression::Clock { queued_for, running_for } => {
            let elapsed = now.saturating_sub(root.created_millis).max(0) as u128;
            if elapsed < queued_for.as_millis() {
                Stage::Queued
            } else if elapsed < queued_for.as_millis() + running_for.as_millis() {
                Stage::Running
            } else {
                Stage::Finished
            }
        }
    }
}

/// Renders a job as the API shows it, deriving its status from its root job's progress.
fn render(
    data: &AccountData,
    progression: JobProgression,
    job_id: &str,
    now: i64,
) -> Option<Document> {
    let job = data.jobs.get(job_id)?;
    let root = job.parent.as_ref().and_then(|parent| data.jobs.get(parent)).unwrap_or(job);
    let current = stage(progression, root, now);
    let (started, ended) = match progression {
        JobProgression::PerPoll { .. } => (root.created_millis, root.created_millis),
        JobProgression::Clock { queued_for, running_for } => {
            let started = root.created_millis + queued_for.as_millis() as i64;
            (started, started + running_for.as_millis() as i64)
        }
    };
    let mut document = job.document.clone();
    let status = if root.canceled {
        "canceled"
    } else {
        match current {
            Stage::Queued => "queued",
            Stage::Running => "running",
            Stage::Finished if job.outcome == JobOutcome::Failed => "failed",
            Stage::Finished => "completed",
        }
    };
    document.insert("status".into(), Value::String(status.into()));
    let counts = if current == Stage::Finished && !root.canceled {
        job.final_counts
    } else {
        JobCounts::default()
    };
    document.insert("numSuccess".into(), json!(counts.num_success));
    document.insert("numError".into(), json!(counts.num_error));
    document.insert("numIgnore".into(), json!(counts.num_ignore));
    document.insert("numExport".into(), json!(counts.num_export));
    document.insert("numPagesGenerated".into(), json!(counts.num_pages));
    document.insert("numPagesProcessed".into(), json!(counts.num_pages));
    document.insert("retriable".into(), Value::Bool(counts.num_error > 0));
    if current >= Stage::Running && !root.canceled {
        document.insert("startedAt".into(), Value::String(format_timestamp(started.min(now))));
    }
    if current == Stage::Finished || root.canceled {
        document.insert("endedAt".into(), Value::String(format_timestamp(ended.min(now))));
    }
    document.insert("createdAt".into(), Value::String(format_timestamp(job.created_millis)));
    document.insert(
        "lastModified".into(),
        Value::String(format_timestamp(job.created_millis.max(ended.min(now)))),
    );
    Some(document)
}

/// Counts a poll of a job: per-poll progression advances the job's root.
fn poll(data: &mut AccountData, job_id: &str) {
    let root_id = match data.jobs.get(job_id) {
        Some(job) => job.parent.clone().unwrap_or_else(|| job_id.to_owned()),
        None => return,
    };
    if let Some(root) = data.jobs.get_mut(&root_id) {
        root.polls = root.polls.saturating_add(1);
    }
}

fn job_not_found() -> ApiError {
    ApiError::not_found("Job")
}

pub(crate) fn get(ctx: &Ctx<'_>, data: &mut AccountData, job_id: &str) -> Result<Reply, ApiError> {
    let document = render(data, ctx.settings.job_progression, job_id, now_millis())
        .ok_or_else(job_not_found)?;
    poll(data, job_id);
    Ok(Reply::json(StatusCode::OK, Value::Object(document)))
}

pub(crate) fn family(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    job_id: &str,
) -> Result<Reply, ApiError> {
    let now = now_millis();
    let progression = ctx.settings.job_progression;
    let mut document = render(data, progression, job_id, now).ok_or_else(job_not_found)?;
    let children: Vec<Value> = data
        .jobs
        .get(job_id)
        .map(|job| job.children.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|child| render(data, progression, child, now).map(Value::Object))
        .collect();
    document.insert("children".into(), Value::Array(children));
    poll(data, job_id);
    Ok(Reply::json(StatusCode::OK, Value::Object(document)))
}

pub(crate) fn cancel(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    job_id: &str,
) -> Result<Reply, ApiError> {
    let now = now_millis();
    let document =
        render(data, ctx.settings.job_progression, job_id, now).ok_or_else(job_not_found)?;
    let finished = matches!(
        document.get("status").and_then(Value::as_str),
        Some("completed" | "failed" | "canceled")
    );
    if !finished {
        let root_id = data
            .jobs
            .get(job_id)
            .and_then(|job| job.parent.clone())
            .unwrap_or_else(|| job_id.to_owned());
        if let Some(root) = data.jobs.get_mut(&root_id) {
            root.canceled = true;
        }
    }
    let document =
        render(data, ctx.settings.job_progression, job_id, now).ok_or_else(job_not_found)?;
    Ok(Reply::json(StatusCode::OK, Value::Object(document)).committed())
}

/// `GET /v1/jobs/{id}/joberrors` (API reference §6.6): the errors of a finished job, at most
/// [`JOB_ERRORS_LIMIT`], as an array in the shape of the example answer in Celigo's `job.md`
/// (S1): `code`, `message`, `source`, `createdAt`, `_retryId`, `_jobId`, the `resolve`/`retry`
/// flags and the data URIs. A step job (export, import) holds its own `numError` errors; a flow
/// job holds errors only when none of its steps does (a run that failed before any step, or a
/// flow without steps), so each error is listed once. The messages are simulated: a record
/// refused for a missing required field, as in that example.
pub(crate) fn errors(ctx: &Ctx<'_>, data: &AccountData, job_id: &str) -> Result<Reply, ApiError> {
    let job = data.jobs.get(job_id).ok_or_else(job_not_found)?;
    let document = render(data, ctx.settings.job_progression, job_id, now_millis())
        .ok_or_else(job_not_found)?;
    let finished =
        matches!(document.get("status").and_then(Value::as_str), Some("completed" | "failed"));
    let steps_hold_errors = job
        .children
        .iter()
        .any(|child| data.jobs.get(child).is_some_and(|child| child.final_counts.num_error > 0));
    let count = if !finished || steps_hold_errors {
        0
    } else {
        job.final_counts.num_error.min(JOB_ERRORS_LIMIT)
    };
    let created_at = document.get("endedAt").cloned().unwrap_or(Value::Null);
    let retry_prefix = job_id.get(..16).unwrap_or(job_id);
    let errors: Vec<Value> = (0..count)
        .map(|index| {
            json!({
                "resolve": false,
                "retry": false,
                "createdAt": created_at,
                "code": "422",
                "message": format!(
                    "{{\"errors\":[{{\"field\":\"expires\",\"code\":\"missing_required_field\",\"message\":\"record {} has no expires\"}}]}}",
                    index + 1
                ),
                "source": "integrator.io",
                "exportDataURI": "",
                "importDataURI": "",
                "_retryId": format!("{retry_prefix}{index:08x}"),
                "_jobId": job_id,
            })
        })
        .collect();
    Ok(Reply::json(StatusCode::OK, Value::Array(errors)))
}

/// `GET /v1/flows/{id}/jobs/latest`: the flow's newest flow job, as a one-element array.
pub(crate) fn latest_for_flow(
    ctx: &Ctx<'_>,
    data: &AccountData,
    flow_id: &str,
) -> Result<Reply, ApiError> {
    data.get(ResourceKind::Flows, flow_id).ok_or_else(|| not_found(ResourceKind::Flows))?;
    let latest = data.jobs.iter().rev().find(|(_, job)| {
        job.parent.is_none() && job.document.get("_flowId").and_then(Value::as_str) == Some(flow_id)
    });
    match latest.and_then(|(id, _)| render(data, ctx.settings.job_progression, id, now_millis())) {
        Some(document) => {
            Ok(Reply::json(StatusCode::OK, Value::Array(vec![Value::Object(document)])))
        }
        None => Ok(Reply::empty(StatusCode::NO_CONTENT)),
    }
}

/// A numeric or date bound filter of `/v1/jobs`.
enum Bound {
    AtMost(i64),
    AtLeast(i64),
}

/// `GET /v1/jobs` with the documented filters and scope rules, newest first, at most 1,001 rows.
pub(crate) fn list(
    ctx: &Ctx<'_>,
    data: &AccountData,
    query: &[(String, String)],
) -> Result<Reply, ApiError> {
    let invalid = |message: String| ApiError::bad_request("invalid_query", message);
    let value_of =
        |name: &str| query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let mut types: Vec<String> = Vec::new();
    if let Some(job_type) = value_of("type") {
        types.push(job_type.to_owned());
    }
    if let Some(type_in) = value_of("type_in") {
        types.extend(type_in.split(',').filter(|t| !t.is_empty()).map(str::to_owned));
    }
    let parent_types = ["flow", "retry", "bulk_retry"];
    let wants_parents =
        types.is_empty() || types.iter().any(|t| parent_types.contains(&t.as_str()));
    let wants_children = types.iter().any(|t| t == "export" || t == "import");
    let has = |names: &[&str]| names.iter().any(|name| value_of(name).is_some());
    if wants_parents
        && !has(&[
            "_integrationId",
            "_flowId",
            "_flowId_in",
            "_exportId",
            "_importId",
            "_flowJobId",
            "createdAt_gte",
            "createdAt_lte",
        ])
    {
        return Err(invalid(
            "one of `_integrationId`, `_flowId`, `_exportId`, `_importId`, `_flowJobId`, `createdAt_gte` or `createdAt_lte` is required".into(),
        ));
    }
    if wants_children
        && !has(&["_flowJobId", "_exportId", "_importId", "_flowId", "_integrationId"])
    {
        return Err(invalid(
            "child jobs (`type=export|import`) need `_flowJobId` or a resource id".into(),
        ));
    }
    if value_of("status").is_some_and(|status| status.contains(',')) {
        return Err(invalid("`status` takes a single value".into()));
    }
    let mut bounds: Vec<(&str, Bound)> = Vec::new();
    for (key, value) in query {
        let (field, is_lower) = match (key.strip_suffix("_gte"), key.strip_suffix("_lte")) {
            (Some(field), _) => (field, true),
            (_, Some(field)) => (field, false),
            _ => continue,
        };
        let parsed = if matches!(field, "createdAt" | "startedAt" | "endedAt") {
            parse_timestamp(value)
                .ok_or_else(|| invalid(format!("`{key}` must be a date, got `{value}`")))?
        } else {
            value
                .parse()
                .map_err(|_| invalid(format!("`{key}` must be a number, got `{value}`")))?
        };
        bounds.push((field, if is_lower { Bound::AtLeast(parsed) } else { Bound::AtMost(parsed) }));
    }
    let flow_in: Option<Vec<&str>> = value_of("_flowId_in").map(|ids| ids.split(',').collect());
    let now = now_millis();
    let progression = ctx.settings.job_progression;
    let mut rows: Vec<(i64, usize, Document)> = Vec::new();
    for (position, (id, job)) in data.jobs.iter().enumerate() {
        let Some(document) = render(data, progression, id, now) else { continue };
        let job_type = document.get("type").and_then(Value::as_str).unwrap_or_default();
        let type_ok = if types.is_empty() {
            job.parent.is_none()
        } else {
            types.iter().any(|t| t == job_type)
        };
        if !type_ok {
            continue;
        }
        let exact = [
            "_integrationId",
            "_flowId",
            "_exportId",
            "_importId",
            "_flowJobId",
            "_parentJobId",
            "status",
        ];
        let matches_exact = exact.iter().all(|field| match value_of(field) {
            Some(expected) => document.get(*field).and_then(Value::as_str) == Some(expected),
            None => true,
        });
        let matches_flow_in = flow_in.as_ref().is_none_or(|ids| {
            document.get("_flowId").and_then(Value::as_str).is_some_and(|flow| ids.contains(&flow))
        });
        let matches_retriable = value_of("retriable").is_none_or(|expected| {
            document.get("retriable").and_then(Value::as_bool).map(|b| b.to_string()).as_deref()
                == Some(expected)
        });
        let matches_bounds = bounds.iter().all(|(field, bound)| {
            let actual = match document.get(*field) {
                Some(Value::String(text)) => parse_timestamp(text),
                Some(Value::Number(number)) => number.as_i64(),
                _ => None,
            };
            match (actual, bound) {
                (Some(actual), Bound::AtLeast(limit)) => actual >= *limit,
                (Some(actual), Bound::AtMost(limit)) => actual <= *limit,
                (None, _) => false,
            }
        });
        if matches_exact && matches_flow_in && matches_retriable && matches_bounds {
            rows.push((job.created_millis, position, document));
        }
    }
    rows.sort_by_key(|row| std::cmp::Reverse((row.0, row.1)));
    rows.truncate(JOBS_PAGE);
    if rows.is_empty() {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    Ok(Reply::json(
        StatusCode::OK,
        Value::Array(rows.into_iter().map(|(_, _, document)| Value::Object(document)).collect()),
    ))
}
