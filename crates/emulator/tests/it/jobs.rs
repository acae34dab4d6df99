//! Flow runs and jobs.

use std::time::Duration;

use flowform_emulator::{EmulatorConfig, JobOutcome, JobProgression, ResourceKind};
use serde_json::json;

use crate::support::{Client, emulator, test_emulator, wired_flow};

#[tokio::test]
async fn a_run_creates_a_job_that_completes_poll_by_poll() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let run = client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await;
    assert_eq!(run.status, 201);
    let job_id = run.json()["_jobId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(job_id.len(), 24);
    let statuses: Vec<String> = {
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let job = client.get(&format!("/v1/jobs/{job_id}")).await.json();
            statuses.push(job["status"].as_str().unwrap_or_default().to_owned());
        }
        statuses
    };
    assert_eq!(statuses, ["queued", "running", "completed", "completed"]);
    let job = client.get(&format!("/v1/jobs/{job_id}")).await.json();
    assert_eq!(job["type"], "flow");
    assert_eq!(job["_flowId"], json!(wired.flow));
    assert_eq!(job["_integrationId"], json!(wired.integration));
    assert_eq!(job["numError"], 0);
    assert!(job["numSuccess"].as_u64().unwrap_or_default() >= 1);
    assert_eq!(job["numSuccess"], job["numExport"]);
    assert!(job.get("startedAt").is_some() && job.get("endedAt").is_some());
    let family = client.get(&format!("/v1/jobs/{job_id}/family")).await.json();
    let child_types: Vec<&str> = family["children"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|child| child["type"].as_str())
        .collect();
    assert_eq!(child_types, ["export", "import"]);
    assert_eq!(family["children"][0]["_flowJobId"], json!(job_id));
    let flow = handle.admin().document(ResourceKind::Flows, &wired.flow).expect("flow");
    assert!(flow.get("lastExecutedAt").is_some());
    // A body-less POST works too.
    assert_eq!(
        client
            .send(hyper::Method::POST, &format!("/v1/flows/{}/run", wired.flow), None)
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn disabled_flows_cannot_run() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    client
        .patch(
            &format!("/v1/flows/{}", wired.flow),
            json!([{"op": "replace", "path": "/disabled", "value": true}]),
        )
        .await;
    let run = client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await;
    assert_eq!(run.status, 422);
    assert_eq!(run.error_code(), "inactive_flow");
    assert_eq!(client.post("/v1/flows/5f00000000000000000000ff/run", json!({})).await.status, 404);
}

#[tokio::test]
async fn job_outcomes_can_be_errors_or_failure() {
    let handle = emulator(EmulatorConfig {
        job_progression: JobProgression::PerPoll { polls_per_stage: 0 },
        ..EmulatorConfig::for_tests()
    })
    .await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    handle.admin().set_job_outcome(JobOutcome::CompletedWithErrors(1));
    let job =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .clone();
    let job = client.get(&format!("/v1/jobs/{}", job.as_str().unwrap_or_default())).await.json();
    assert_eq!(
        (job["status"].clone(), job["numError"].clone(), job["retriable"].clone()),
        (json!("completed"), json!(1), json!(true))
    );
    handle.admin().set_job_outcome(JobOutcome::Failed);
    let job =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .clone();
    let job = client.get(&format!("/v1/jobs/{}", job.as_str().unwrap_or_default())).await.json();
    assert_eq!(job["status"], "failed");
}

#[tokio::test]
async fn job_errors_are_listed_on_the_jobs_that_hold_them() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    handle.admin().set_job_outcome(JobOutcome::CompletedWithErrors(3));
    let job_id =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    // Before the job ends there is nothing to list.
    let early = client.get(&format!("/v1/jobs/{job_id}/joberrors")).await;
    assert_eq!((early.status, early.json()), (200, json!([])));
    for _ in 0..3 {
        client.get(&format!("/v1/jobs/{job_id}")).await;
    }
    let family = client.get(&format!("/v1/jobs/{job_id}/family")).await.json();
    let import_job = family["children"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|child| child["type"] == "import")
        .expect("an import job")
        .clone();
    let import_id = import_job["_id"].as_str().unwrap_or_default();
    let errors = client.get(&format!("/v1/jobs/{import_id}/joberrors")).await.json();
    let errors = errors.as_array().expect("an array of errors");
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0]["_jobId"], json!(import_id));
    assert_eq!(errors[0]["code"], "422");
    assert_eq!(errors[0]["source"], "integrator.io");
    assert!(errors[0]["message"].as_str().unwrap_or_default().contains("missing_required_field"));
    assert_eq!(errors[0]["createdAt"], import_job["endedAt"]);
    assert_ne!(errors[0]["_retryId"], errors[1]["_retryId"]);
    // The step holds them, so the flow job lists none: each error is listed once.
    assert_eq!(client.get(&format!("/v1/jobs/{job_id}/joberrors")).await.json(), json!([]));
    let export_id = family["children"][0]["_id"].as_str().unwrap_or_default();
    assert_eq!(client.get(&format!("/v1/jobs/{export_id}/joberrors")).await.json(), json!([]));
    let missing = client.get("/v1/jobs/5f00000000000000000000ff/joberrors").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_failed_flow_without_steps_holds_its_own_errors() {
    let handle = emulator(EmulatorConfig {
        job_progression: JobProgression::PerPoll { polls_per_stage: 0 },
        ..EmulatorConfig::for_tests()
    })
    .await;
    let client = Client::sandbox(&handle);
    let integration = client.post("/v1/integrations", json!({"name": "I"})).await.json();
    let flow = client
        .post("/v1/flows", json!({"name": "Empty", "_integrationId": integration["_id"]}))
        .await
        .json();
    handle.admin().set_job_outcome(JobOutcome::Failed);
    let flow_id = flow["_id"].as_str().unwrap_or_default();
    let job_id = client.post(&format!("/v1/flows/{flow_id}/run"), json!({})).await.json()["_jobId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let errors = client.get(&format!("/v1/jobs/{job_id}/joberrors")).await.json();
    assert_eq!(errors.as_array().map(Vec::len), Some(1), "{errors}");
    assert_eq!(errors[0]["_jobId"], json!(job_id));
}

#[tokio::test]
async fn clock_progression_keeps_a_fresh_job_queued_and_cancel_ends_it() {
    let progression = JobProgression::Clock {
        queued_for: Duration::from_secs(3600),
        running_for: Duration::from_secs(3600),
    };
    let handle =
        emulator(EmulatorConfig { job_progression: progression, ..EmulatorConfig::for_tests() })
            .await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let job_id =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    for _ in 0..3 {
        assert_eq!(client.get(&format!("/v1/jobs/{job_id}")).await.json()["status"], "queued");
    }
    let canceled = client.put(&format!("/v1/jobs/{job_id}/cancel"), json!({})).await;
    assert_eq!(canceled.status, 200);
    assert_eq!(client.get(&format!("/v1/jobs/{job_id}")).await.json()["status"], "canceled");
    handle.admin().set_job_progression(JobProgression::Clock {
        queued_for: Duration::ZERO,
        running_for: Duration::ZERO,
    });
    let finished =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    assert_eq!(client.get(&format!("/v1/jobs/{finished}")).await.json()["status"], "completed");
}

#[tokio::test]
async fn job_lists_require_a_scope_and_apply_filters() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let other = wired_flow(&client).await;
    assert_eq!(client.get(&format!("/v1/jobs?_flowId={}", wired.flow)).await.status, 204);
    let first =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .clone();
    let second =
        client.post(&format!("/v1/flows/{}/run", wired.flow), json!({})).await.json()["_jobId"]
            .clone();
    client.post(&format!("/v1/flows/{}/run", other.flow), json!({})).await;
    for query in ["", "?status=queued", "?type=flow", "?type=export"] {
        let response = client.get(&format!("/v1/jobs{query}")).await;
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.error_code(), "invalid_query", "{query}");
    }
    let ids = |response: crate::support::Response| -> Vec<serde_json::Value> {
        response.json().as_array().into_iter().flatten().map(|job| job["_id"].clone()).collect()
    };
    assert_eq!(
        ids(client.get(&format!("/v1/jobs?_flowId={}", wired.flow)).await),
        vec![second.clone(), first.clone()],
        "newest first"
    );
    assert_eq!(
        ids(client.get(&format!("/v1/jobs?_integrationId={}", other.integration)).await).len(),
        1
    );
    assert_eq!(ids(client.get("/v1/jobs?createdAt_gte=2000-01-01").await).len(), 3);
    assert_eq!(client.get("/v1/jobs?createdAt_gte=2999-01-01T00:00:00Z").await.status, 204);
    assert_eq!(
        ids(client.get(&format!("/v1/jobs?_flowId_in={},{}", wired.flow, other.flow)).await).len(),
        3
    );
    let children = client
        .get(&format!("/v1/jobs?type=export&_flowJobId={}", first.as_str().unwrap_or_default()))
        .await
        .json();
    assert_eq!(children.as_array().map(Vec::len), Some(1));
    assert_eq!(children[0]["_exportId"], json!(wired.export));
    assert_eq!(client.get("/v1/jobs?createdAt_gte=yesterday").await.status, 400);
    assert_eq!(
        client.get(&format!("/v1/jobs?_flowId={}&status=queued,running", wired.flow)).await.status,
        400
    );
    assert_eq!(
        ids(client.get(&format!("/v1/jobs?_flowId={}&status=queued", wired.flow)).await).len(),
        2
    );
    let latest = client.get(&format!("/v1/flows/{}/jobs/latest", wired.flow)).await.json();
    assert_eq!(latest[0]["_id"], second);
}
