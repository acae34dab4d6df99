//! The emulator as a separate process (`flowform emulator serve` on loopback, admin API on)
//! and the admin HTTP calls the harness makes: reset, fixtures, counters and run-time settings.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::bounds::ServerLimit;

/// The token of the emulator's only account. A made-up value: the emulator runs on loopback
/// for this benchmark only.
pub const TOKEN: &str = "flowform-bench";

/// A running `flowform emulator serve`, killed when dropped.
pub struct EmulatorProcess {
    child: Child,
    /// Kept open so the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The `--latency-ms` and rate limit it was started with.
    pub latency: Duration,
    /// The rate limit it enforces while measuring.
    pub limit: ServerLimit,
}

impl EmulatorProcess {
    /// Starts `binary emulator serve` on a free loopback port with the admin API, `latency`
    /// and `limit`, and reads its URL from the first line of its stdout. Its stderr goes to
    /// `log`.
    pub fn start(
        binary: &Path,
        latency: Duration,
        limit: ServerLimit,
        log: &Path,
    ) -> anyhow::Result<EmulatorProcess> {
        let log_file = fs_err::File::create(log)?;
        let mut child = Command::new(binary)
            .args(["emulator", "serve", "--addr", "127.0.0.1:0", "--admin", "--token", TOKEN])
            .args(["--latency-ms", &latency.as_millis().to_string()])
            .args(["--rate-capacity", &limit.capacity.to_string()])
            .args(["--rate-refill", &limit.refill_per_second.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file.into_parts().0))
            .spawn()
            .with_context(|| format!("cannot start `{} emulator serve`", binary.display()))?;
        let stdout = child.stdout.take().context("the emulator's stdout is piped")?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).context("cannot read the emulator's URL")?;
        let url = line.trim().to_owned();
        if !url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the emulator did not print its URL (got `{url}`); see `{}`", log.display());
        }
        Ok(EmulatorProcess { child, _stdout: stdout, url, latency, limit })
    }

    /// The emulator's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        // The emulator keeps its data in memory only: nothing is lost by killing it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emulator's request counters for the benchmark's account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Every `/v1` request received, including those answered 429.
    pub requests: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// `(method, route, count)`, e.g. `("PUT", "/v1/flows/{id}", 154)`.
    pub routes: Vec<(String, String, u64)>,
}

impl Counters {
    /// The count of one method and route.
    pub fn route(&self, method: &str, route: &str) -> u64 {
        self.routes
            .iter()
            .filter(|(m, r, _)| m == method && r == route)
            .map(|(_, _, count)| count)
            .sum()
    }

    /// The count of one method over every route.
    pub fn method(&self, method: &str) -> u64 {
        self.routes.iter().filter(|(m, _, _)| m == method).map(|(_, _, count)| count).sum()
    }
}

/// The admin HTTP API of the emulator.
pub struct AdminClient {
    http: reqwest::Client,
    url: String,
}

impl AdminClient {
    /// A client of the admin API at `url`.
    pub fn new(url: &str) -> anyhow::Result<AdminClient> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(AdminClient { http, url: url.to_owned() })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Option<Value>> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}/admin/{path}", self.url))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.with_context(|| format!("{method} /admin/{path}"))?;
        let status = response.status();
        let bytes = response.bytes().await.with_context(|| format!("{method} /admin/{path}"))?;
        if !status.is_success() {
            bail!("{method} /admin/{path} answered {status}: {}", String::from_utf8_lossy(&bytes));
        }
        if bytes.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("{method} /admin/{path}"))?))
    }

    /// Deletes every resource of the account and zeroes its counters.
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "reset", None).await.map(drop)
    }

    /// The account's resources in fixture format.
    pub async fn fixtures(&self) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, "fixtures", None)
            .await?
            .context("GET /admin/fixtures answered nothing")
    }

    /// Loads fixtures (documents keep their ids and timestamps).
    pub async fn load_fixtures(&self, fixtures: &Value) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "fixtures", Some(fixtures)).await.map(drop)
    }

    /// The default list page size.
    pub async fn page_size(&self) -> anyhow::Result<usize> {
        let settings = self
            .call(reqwest::Method::GET, "settings", None)
            .await?
            .context("GET /admin/settings answered nothing")?;
        let page_size = settings.get("pageSize").and_then(Value::as_u64).context("no pageSize")?;
        Ok(usize::try_from(page_size)?)
    }

    /// No latency and no rate limit: for preparing accounts, and for the scenarios measured
    /// without them.
    pub async fn unthrottled(&self) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::PUT,
            "settings",
            Some(&json!({"latencyMs": 0, "rateLimit": null})),
        )
        .await
        .map(drop)
    }

    /// The measuring settings: `latency` and the rate limit, with a full bucket (setting the
    /// limit refills it, as an idle period would), then zeroed counters.
    pub async fn throttled(&self, latency: Duration, limit: ServerLimit) -> anyhow::Result<()> {
        let settings = json!({
            "latencyMs": latency.as_millis() as u64,
            "rateLimit": {"capacity": limit.capacity, "refillPerSecond": limit.refill_per_second},
        });
        self.call(reqwest::Method::PUT, "settings", Some(&settings)).await?;
        self.zero_counters().await
    }

    /// Zeroes the account's counters.
    pub async fn zero_counters(&self) -> anyhow::Result<()> {
        self.call(reqwest::Method::DELETE, "counters", None).await.map(drop)
    }

    /// The account's counters.
    pub async fn counters(&self) -> anyhow::Result<Counters> {
        let counters = self
            .call(reqwest::Method::GET, "counters", None)
            .await?
            .context("GET /admin/counters answered nothing")?;
        parse_counters(&counters)
    }
}

fn parse_counters(counters: &Value) -> anyhow::Result<Counters> {
    let number = |key: &str| counters.get(key).and_then(Value::as_u64).context(key.to_owned());
    let routes = counters
        .get("routes")
        .and_then(Value::as_array)
        .context("routes")?
        .iter()
        .filter_map(|route| {
            Some((
                route.get("method")?.as_str()?.to_owned(),
                route.get("route")?.as_str()?.to_owned(),
                route.get("count")?.as_u64()?,
            ))
        })
        .collect();
    Ok(Counters {
        requests: number("requestsReceived")?,
        rate_limited: number("rateLimited")?,
        routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_parse() {
        let counters = parse_counters(&json!({
            "requestsReceived": 12, "rateLimited": 1, "serverErrorsInjected": 0,
            "responsesDropped": 0, "unauthenticated": 0,
            "routes": [
                {"method": "GET", "route": "/v1/flows", "count": 2},
                {"method": "PUT", "route": "/v1/flows/{id}", "count": 7},
                {"method": "PUT", "route": "/v1/exports/{id}", "count": 3},
            ],
        }))
        .unwrap();
        assert_eq!((counters.requests, counters.rate_limited), (12, 1));
        assert_eq!(counters.route("PUT", "/v1/flows/{id}"), 7);
        assert_eq!(counters.method("PUT"), 10);
        assert!(parse_counters(&json!({"routes": []})).is_err());
    }
}
