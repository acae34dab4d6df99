//! Running flows, following their jobs and reading their errors.

use std::time::Duration;

use flowform_model::Kind;
use reqwest::Method;
use tokio::time::Instant;

use crate::client::{Call, Client, Retry, segment};
use crate::error::Error;
use crate::types::Job;

/// The first pause between job polls; it grows by half each poll up to [`MAX_POLL_INTERVAL`].
const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(500);
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// The poll interval when retry delays are disabled (a poll loop must still not spin).
const NO_DELAY_POLL_INTERVAL: Duration = Duration::from_millis(10);
/// The most errors `GET /v1/jobs/<id>/joberrors` gives (API reference §6.6): a job with more
/// has an error file instead (`GET /v1/jobs/<id>/errorFile/signedURL`).
pub const JOB_ERRORS_LIMIT: u64 = 1000;

/// How many polls may answer 404 before the job is taken as missing: a job can take a moment to
/// become readable after the run that created it.
const NOT_FOUND_GRACE_POLLS: u32 = 3;

impl Client {
    /// Runs a flow now (`POST /v1/flows/<id>/run`, long timeout) and returns the job id. `body`
    /// is the optional run options (`{"_exportIds": …}`, `{"export": {"startDate": …}}`); `None`
    /// sends `{}`. Never retried after an ambiguous failure ([`Error::AmbiguousWrite`]).
    pub async fn run_flow(
        &self,
        flow_id: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<String, Error> {
        let path = format!("/v1/flows/{}/run", segment("id", flow_id)?);
        let empty = serde_json::json!({});
        let body = body.unwrap_or(&empty);
        let ambiguous = |cause: Error| Error::AmbiguousWrite {
            operation: "run",
            method: Method::POST,
            path: path.clone(),
            hint: format!(
                "check the flow's latest jobs (`GET /v1/flows/{flow_id}/jobs/latest`) before running it again"
            ),
            cause: Box::new(cause),
        };
        let outcome = self
            .execute(Call {
                method: Method::POST,
                url: self.url(&path),
                body: Some(Client::body(body)),
                long_running: true,
                retry: Retry::Never,
            })
            .await;
        let reply = match outcome {
            Ok(reply) => reply,
            Err(error) if error.leaves_post_outcome_unknown() => return Err(ambiguous(error)),
            Err(error) => return Err(error),
        };
        let document = reply.json().map_err(ambiguous)?;
        let job_id = |value: &serde_json::Value| {
            value
                .get("_jobId")
                .or_else(|| value.get("_id"))
                .and_then(|id| id.as_str())
                .map(str::to_owned)
        };
        let found = match &document {
            Some(serde_json::Value::Array(items)) => items.iter().find_map(job_id),
            Some(other) => job_id(other),
            None => None,
        };
        found.ok_or_else(|| ambiguous(reply.invalid("the run response has no `_jobId`")))
    }

    /// One job (`GET /v1/jobs/<id>`).
    pub async fn job(&self, job_id: &str) -> Result<Job, Error> {
        let path = format!("/v1/jobs/{}", segment("job id", job_id)?);
        let reply = self.request(Method::GET, &path, None, Retry::Idempotent).await?;
        match reply.json()? {
            Some(document @ serde_json::Value::Object(_)) => {
                Ok(Job::from_document(job_id, document))
            }
            _ => Err(reply.invalid("expected a job document")),
        }
    }

    /// Polls a job with a growing interval until it is `completed`, `failed` or `canceled`, and
    /// returns it; [`Error::JobWaitTimeout`] after `timeout`.
    pub async fn wait_for_job(&self, job_id: &str, timeout: Duration) -> Result<Job, Error> {
        let started = Instant::now();
        let no_delay = self.inner.config.retry.no_delay;
        let mut interval = if no_delay { NO_DELAY_POLL_INTERVAL } else { FIRST_POLL_INTERVAL };
        let mut not_found_polls = 0;
        let mut last_status = String::from("unknown");
        // Time waited counts both the clock and the sleeps asked for, so a sleeper that does not
        // really sleep (tests) still reaches the timeout.
        let mut slept = Duration::ZERO;
        loop {
            match self.job(job_id).await {
                Ok(job) if job.status.is_final() => return Ok(job),
                Ok(job) => last_status = job.status.as_str().to_owned(),
                Err(error) if error.is_not_found() && not_found_polls < NOT_FOUND_GRACE_POLLS => {
                    not_found_polls += 1;
                }
                Err(error) => return Err(error),
            }
            let waited = started.elapsed().max(slept);
            if waited >= timeout {
                return Err(Error::JobWaitTimeout {
                    job_id: job_id.to_owned(),
                    waited,
                    last_status,
                });
            }
            let pause = interval.min(timeout - waited);
            slept += pause;
            self.sleep(pause).await;
            if !no_delay {
                interval = interval.mul_f64(1.5).min(MAX_POLL_INTERVAL);
            }
        }
    }

    /// A job and its child jobs (`GET /v1/jobs/<id>/family`): for a flow job, one export job per
    /// page generator and one import job per import step, which hold the step's counts and
    /// errors.
    pub async fn job_family(&self, job_id: &str) -> Result<JobFamily, Error> {
        let path = format!("/v1/jobs/{}/family", segment("job id", job_id)?);
        let reply = self.request(Method::GET, &path, None, Retry::Idempotent).await?;
        let Some(serde_json::Value::Object(mut document)) = reply.json()? else {
            return Err(reply.invalid("expected a job document with `children`"));
        };
        let children = match document.remove("children") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(children)) => children
                .into_iter()
                .filter(serde_json::Value::is_object)
                .map(|child| Job::from_document("", child))
                .collect(),
            Some(_) => return Err(reply.invalid("`children` is not a list")),
        };
        Ok(JobFamily { job: Job::from_document(job_id, document.into()), children })
    }

    /// The errors of one job (`GET /v1/jobs/<id>/joberrors`), at most [`JOB_ERRORS_LIMIT`]. An
    /// empty answer (204, or no body) is no errors.
    pub async fn job_errors(&self, job_id: &str) -> Result<Vec<JobError>, Error> {
        let path = format!("/v1/jobs/{}/joberrors", segment("job id", job_id)?);
        let reply = self.request(Method::GET, &path, None, Retry::Idempotent).await?;
        let items = match reply.json()? {
            None => Vec::new(),
            Some(serde_json::Value::Array(items)) => items,
            // Tolerated: the list wrapped in an object, as other error listings are.
            Some(serde_json::Value::Object(mut object)) => match object.remove("errors") {
                Some(serde_json::Value::Array(items)) => items,
                _ => return Err(reply.invalid("expected a list of job errors")),
            },
            Some(_) => return Err(reply.invalid("expected a list of job errors")),
        };
        Ok(items.into_iter().map(|item| JobError::from_document(job_id, item)).collect())
    }

    /// The latest jobs of a flow (`GET /v1/flows/<id>/jobs/latest`), to check whether a run whose
    /// answer was lost did start.
    pub async fn latest_jobs(&self, flow_id: &str) -> Result<Vec<Job>, Error> {
        let path = format!("/v1/{}/{}/jobs/latest", Kind::Flow.plural(), segment("id", flow_id)?);
        let reply = self.request(Method::GET, &path, None, Retry::Idempotent).await?;
        Ok(match reply.json()? {
            None => Vec::new(),
            Some(serde_json::Value::Array(items)) => {
                items.into_iter().map(|item| Job::from_document("", item)).collect()
            }
            Some(item @ serde_json::Value::Object(_)) => vec![Job::from_document("", item)],
            Some(_) => return Err(reply.invalid("expected a list of jobs")),
        })
    }
}

/// A job and its child jobs, from `GET /v1/jobs/<id>/family`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobFamily {
    /// The job asked for (its `children` removed).
    pub job: Job,
    /// Its child jobs, in the order the API gives them.
    pub children: Vec<Job>,
}

/// One error of a job, from `GET /v1/jobs/<id>/joberrors` (fields as in Celigo's `job.md`
/// example: `code`, `message`, `source`, `createdAt`, `_retryId`, `_jobId`).
#[derive(Debug, Clone, PartialEq)]
pub struct JobError {
    /// `_jobId`: the job that holds the error (the job asked for when missing).
    pub job_id: String,
    /// `code`, as text (the API sends an HTTP status such as `"422"` or an error code).
    pub code: Option<String>,
    /// `message` (empty when missing; a non-text message as its JSON text).
    pub message: String,
    /// `source`, such as `integrator.io` or `application`.
    pub source: Option<String>,
    /// `createdAt`.
    pub created_at: Option<String>,
    /// `_retryId`: the retry data of the failed record, when it can be retried.
    pub retry_id: Option<String>,
    /// The whole item.
    pub document: serde_json::Value,
}

impl JobError {
    fn from_document(job_id: &str, document: serde_json::Value) -> JobError {
        let text = |field: &str| match document.get(field) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        };
        let message = match &document {
            serde_json::Value::String(message) => message.clone(),
            _ => text("message").unwrap_or_default(),
        };
        JobError {
            job_id: text("_jobId").unwrap_or_else(|| job_id.to_owned()),
            code: text("code"),
            message,
            source: text("source"),
            created_at: text("createdAt"),
            retry_id: text("_retryId"),
            document,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::JobError;

    #[test]
    fn job_errors_parse_tolerantly() {
        let error = JobError::from_document(
            "j1",
            json!({"code": 422, "message": {"errors": []}, "_retryId": "r1", "source": null}),
        );
        assert_eq!(error.job_id, "j1");
        assert_eq!(error.code.as_deref(), Some("422"));
        assert_eq!(error.message, r#"{"errors":[]}"#);
        assert_eq!(error.retry_id.as_deref(), Some("r1"));
        assert_eq!(error.source, None);
        let bare = JobError::from_document("j2", json!("connection refused"));
        assert_eq!((bare.message.as_str(), bare.code), ("connection refused", None));
    }
}
