//! The naive plan the issue compares flowform with: what a per-resource refresh does. One
//! `GET /v1/{collection}/{id}` per resource the state names, `in_flight` at a time, each
//! response parsed as JSON. A 429 is retried after its `Retry-After` (1 s when missing), as
//! Celigo's documentation recommends; nothing else limits the rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::emulator::TOKEN;

/// What the naive refresh did.
#[derive(Debug, Clone, Copy)]
pub struct NaiveOutcome {
    /// From the first request to the last response.
    pub wall: Duration,
    /// Requests sent, retries included.
    pub requests: u64,
    /// 429s received.
    pub rate_limited: u64,
}

/// The `(collection, id)` of every resource a local state file names.
pub fn state_targets(state: &serde_json::Value) -> anyhow::Result<Vec<(String, String)>> {
    let resources = state
        .get("resources")
        .and_then(serde_json::Value::as_object)
        .context("the state has no `resources`")?;
    resources
        .iter()
        .map(|(address, resource)| {
            let (kind, _) = address.split_once('.').context("an address has a kind")?;
            let id = resource
                .get("id")
                .and_then(serde_json::Value::as_str)
                .with_context(|| format!("`{address}` has no id"))?;
            Ok((format!("{kind}s"), id.to_owned()))
        })
        .collect()
}

/// Refreshes every target with one GET each, `in_flight` at a time.
pub async fn refresh(
    url: &str,
    targets: Vec<(String, String)>,
    in_flight: usize,
) -> anyhow::Result<NaiveOutcome> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(in_flight)
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot build the HTTP client")?;
    let targets = Arc::new(targets);
    let next = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let rate_limited = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let (http, targets, next) = (http.clone(), targets.clone(), next.clone());
        let (requests, rate_limited) = (requests.clone(), rate_limited.clone());
        let url = url.to_owned();
        workers.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some((collection, id)) = targets.get(index) else { return Ok(()) };
                loop {
                    requests.fetch_add(1, Ordering::Relaxed);
                    let response = http
                        .get(format!("{url}/v1/{collection}/{id}"))
                        .bearer_auth(TOKEN)
                        .send()
                        .await
                        .with_context(|| format!("GET /v1/{collection}/{id}"))?;
                    let status = response.status();
                    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                        rate_limited.fetch_add(1, Ordering::Relaxed);
                        let wait = response
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|value| value.to_str().ok())
                            .and_then(|value| value.trim().parse::<u64>().ok())
                            .unwrap_or(1);
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                        continue;
                    }
                    let body = response.bytes().await?;
                    if !status.is_success() {
                        bail!("GET /v1/{collection}/{id} answered {status}");
                    }
                    let _document: serde_json::Value = serde_json::from_slice(&body)?;
                    break;
                }
            }
        }));
    }
    for worker in workers {
        worker.await.context("a refresh worker panicked")??;
    }
    Ok(NaiveOutcome {
        wall: started.elapsed(),
        requests: requests.load(Ordering::Relaxed),
        rate_limited: rate_limited.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_come_from_the_state() {
        let state = serde_json::json!({"resources": {
            "flow.a": {"id": "0123456789abcdef01234567"},
            "export.b": {"id": "89abcdef0123456701234567"},
        }});
        let mut targets = state_targets(&state).unwrap();
        targets.sort();
        assert_eq!(
            targets,
            [
                ("exports".to_owned(), "89abcdef0123456701234567".to_owned()),
                ("flows".to_owned(), "0123456789abcdef01234567".to_owned()),
            ]
        );
        assert!(state_targets(&serde_json::json!({"resources": {"flow.a": {}}})).is_err());
    }
}
