//! Client configuration: endpoint, token, timeouts, rate budget, retry policy.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::budget::RateBudget;
use crate::endpoint::Endpoint;

/// The environment variable that, when `1` (or `true`), makes every retry, backoff, 429 wait
/// and recovery pause zero-length. It exists for end-to-end tests of the binary; the rate
/// budget itself still applies.
pub const NO_RETRY_DELAY_ENV: &str = "FLOWFORM_TEST_NO_RETRY_DELAY";

/// The environment variable that sets the timeout of ordinary requests, in seconds (a decimal
/// such as `0.5` is allowed), instead of the default 30 s; the connect timeout is lowered to it
/// when it is shorter. Values that are not a positive number are ignored. It exists so that
/// tests of a server that accepts a connection and never answers end quickly, and for networks
/// where 30 s is the wrong bound; clone and run keep their long timeout.
pub const HTTP_TIMEOUT_ENV: &str = "FLOWFORM_HTTP_TIMEOUT_SECS";

/// The response-size cap used unless configured otherwise: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How the client sleeps. Every wait of the client (rate budget, backoff, `Retry-After`, job
/// polling) goes through this, so tests can record the waits instead of sleeping.
pub trait Sleeper: Send + Sync + 'static {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Sleeps with `tokio::time::sleep`, so `#[tokio::test(start_paused = true)]` controls it.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Request timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Whole-request timeout (connect to last body byte) for ordinary requests. Default 30 s.
    pub request: Duration,
    /// Timeout for slow server-side operations: clone and run. Default 360 s, as Celigo's CLI.
    pub long_running: Duration,
    /// TCP/TLS connect timeout. Default 10 s.
    pub connect: Duration,
}

impl Timeouts {
    /// The defaults, with the request timeout taken from [`HTTP_TIMEOUT_ENV`] when it holds a
    /// positive number of seconds.
    pub fn from_env() -> Timeouts {
        let seconds = std::env::var(HTTP_TIMEOUT_ENV).ok();
        Timeouts::default().with_request_seconds(seconds.as_deref())
    }

    /// These timeouts with the ordinary request timeout set from `seconds` (a positive decimal
    /// number, at most a day), and the connect timeout lowered to it when shorter; anything
    /// else leaves them as they are.
    pub fn with_request_seconds(self, seconds: Option<&str>) -> Timeouts {
        let parsed = seconds
            .and_then(|text| text.trim().parse::<f64>().ok())
            .filter(|seconds| seconds.is_finite() && *seconds > 0.0 && *seconds <= 86_400.0);
        match parsed {
            Some(seconds) => {
                let request = Duration::from_secs_f64(seconds);
                Timeouts { request, connect: self.connect.min(request), ..self }
            }
            None => self,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            request: Duration::from_secs(30),
            long_running: Duration::from_secs(360),
            connect: Duration::from_secs(10),
        }
    }
}

/// The client-side rate budget. The server's bucket is 1,000 requests with 300/s refill; the
/// defaults stay a margin under both, so a healthy server never answers 429.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests that may be sent at once from a full bucket. Default 900.
    pub burst: u32,
    /// Sustained requests per second. Default 290.
    pub per_second: f64,
    /// The floor the rate never drops below after 429s. Default 5/s.
    pub min_per_second: f64,
    /// How long the lowered rate is held after a 429 before it creeps back. Default 5 s.
    pub hold_after_429: Duration,
    /// How much of `per_second` is added back each second after the hold. Default 0.05 (5 %).
    pub recovery_fraction_per_second: f64,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit {
            burst: 900,
            per_second: 290.0,
            min_per_second: 5.0,
            hold_after_429: Duration::from_secs(5),
            recovery_fraction_per_second: 0.05,
        }
    }
}

/// When and how requests are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries of an idempotent request (GET, PUT, DELETE, PATCH) after a 5xx, 408, timeout or
    /// connection failure. Default 4 (so at most 5 attempts).
    pub max_retries: u32,
    /// Retries after 429 (any method: a 429 means the request was not processed). Default 8.
    pub max_rate_limited_retries: u32,
    /// The first backoff; doubled each retry. Default 500 ms.
    pub initial_backoff: Duration,
    /// The backoff cap. Default 30 s.
    pub max_backoff: Duration,
    /// The wait after a 429 without `Retry-After`. Default 1 s.
    pub default_retry_after: Duration,
    /// The most a `Retry-After` is honoured (a hostile value cannot park the client). Default
    /// 120 s.
    pub max_retry_after: Duration,
    /// Attempts of one create, counting the first; a further attempt is made only after the
    /// recovery search proved that nothing was created. Default 5, as many as an idempotent
    /// request gets (`max_retries` + 1): once the search proved nothing was created, sending
    /// the create again is as safe as resending a PUT, so a 5xx storm should not fail creates
    /// more often than updates (with 3, a 10 % 5xx rate failed one create in a thousand, which
    /// the seeded fault runs of `flowform-exec` saw in 3 of 100 applies).
    pub max_create_attempts: u32,
    /// The pause before looking for a create whose response was lost, so a request the server
    /// is still finishing has time to commit. Default 2 s.
    pub recovery_settle_delay: Duration,
    /// How much server-clock uncertainty the recovery search allows. Default 5 s.
    pub clock_skew_allowance: Duration,
    /// Make every retry-related wait zero (see [`NO_RETRY_DELAY_ENV`]).
    pub no_delay: bool,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 4,
            max_rate_limited_retries: 8,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            default_retry_after: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(120),
            max_create_attempts: 5,
            recovery_settle_delay: Duration::from_secs(2),
            clock_skew_allowance: Duration::from_secs(5),
            no_delay: false,
        }
    }
}

impl RetryPolicy {
    /// The default policy, with `no_delay` taken from [`NO_RETRY_DELAY_ENV`].
    pub fn from_env() -> RetryPolicy {
        let no_delay = std::env::var(NO_RETRY_DELAY_ENV)
            .is_ok_and(|value| matches!(value.trim(), "1" | "true" | "yes"));
        RetryPolicy { no_delay, ..RetryPolicy::default() }
    }

    /// The backoff before retry number `retry` (1 for the first retry): exponential from
    /// `initial_backoff`, capped at `max_backoff`, scaled by `jitter` in `[0, 1)` into the upper
    /// half of the window ("equal jitter"), so concurrent clients spread out but never retry
    /// immediately.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        if self.no_delay {
            return Duration::ZERO;
        }
        let exponent = retry.saturating_sub(1).min(30);
        let window = self.initial_backoff.saturating_mul(1u32 << exponent).min(self.max_backoff);
        window.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// The wait after a 429 (or a 503 with `Retry-After`): at least `Retry-After` (or the
    /// default), capped at `max_retry_after`, plus up to 250 ms of jitter.
    pub fn rate_limited_wait(&self, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if self.no_delay {
            return Duration::ZERO;
        }
        let base = retry_after.unwrap_or(self.default_retry_after).min(self.max_retry_after);
        base + Duration::from_millis(250).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// Everything needed to build a [`crate::Client`]. `Debug` never shows the token.
#[derive(Clone)]
pub struct ClientConfig {
    /// Where the API is.
    pub endpoint: Endpoint,
    /// The API token, sent as `Authorization: Bearer …` and nowhere else.
    pub token: SecretString,
    /// The `User-Agent` header. Default `flowform/<version>`.
    pub user_agent: String,
    /// Request timeouts.
    pub timeouts: Timeouts,
    /// The rate budget settings (ignored when `shared_budget` is set).
    pub rate: RateLimit,
    /// Requests in flight at once, across every task using this budget. Default 16.
    pub max_in_flight: usize,
    /// Retry behaviour.
    pub retry: RetryPolicy,
    /// The cap on one response body. Default 64 MiB.
    pub max_response_bytes: u64,
    /// The cap on pages of one list; reaching it is an error, never a silent truncation.
    /// Default 10,000.
    pub max_pages: usize,
    /// How many further pages a list may request at once when the server's `next` links have
    /// the `skip`/`limit` shape; the window opens one page at a time, so a list of two pages
    /// never asks past its end. 1 disables the speculation. Default 2: in the benchmark against
    /// the emulator (6 kinds, 10,000 resources, 25 ms latency; `docs/benchmarks.md`), pages of
    /// 100 took 0.29-0.32 s instead of 0.48-0.51 s for 5-6 % more requests than the minimum,
    /// and pages of 1,000 took exactly the minimum of 12 requests; 4 gave 0.27-0.29 s for
    /// 16-18 % more.
    pub prefetch_pages: usize,
    /// A budget shared with other clients of the same account (one per account per process).
    /// When `None`, the client creates its own from `rate` and `max_in_flight`.
    pub shared_budget: Option<Arc<RateBudget>>,
    /// How the client waits.
    pub sleeper: Arc<dyn Sleeper>,
}

impl ClientConfig {
    /// A configuration with every default, the retry policy read from the environment.
    pub fn new(endpoint: Endpoint, token: SecretString) -> ClientConfig {
        ClientConfig {
            endpoint,
            token,
            user_agent: concat!("flowform/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeouts: Timeouts::from_env(),
            rate: RateLimit::default(),
            max_in_flight: 16,
            retry: RetryPolicy::from_env(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_pages: 10_000,
            prefetch_pages: 2,
            shared_budget: None,
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint)
            .field("token", &"[redacted]")
            .field("user_agent", &self.user_agent)
            .field("timeouts", &self.timeouts)
            .field("rate", &self.rate)
            .field("max_in_flight", &self.max_in_flight)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_pages", &self.max_pages)
            .field("prefetch_pages", &self.prefetch_pages)
            .field("shared_budget", &self.shared_budget.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stays_in_the_upper_half() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(250));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(500));
        assert_eq!(policy.backoff(2, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_secs(2));
        assert_eq!(policy.backoff(40, 1.0), Duration::from_secs(30));
        assert_eq!(policy.backoff(40, 0.0), Duration::from_secs(15));
    }

    #[test]
    fn rate_limited_wait_honours_retry_after_plus_jitter() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.rate_limited_wait(Some(Duration::from_secs(2)), 0.0),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.rate_limited_wait(Some(Duration::from_secs(2)), 1.0),
            Duration::from_millis(2_250)
        );
        assert_eq!(policy.rate_limited_wait(None, 0.0), Duration::from_secs(1));
        assert_eq!(
            policy.rate_limited_wait(Some(Duration::from_secs(99_999)), 0.0),
            Duration::from_secs(120)
        );
        let no_delay = RetryPolicy { no_delay: true, ..policy };
        assert_eq!(no_delay.rate_limited_wait(Some(Duration::from_secs(2)), 1.0), Duration::ZERO);
        assert_eq!(no_delay.backoff(3, 1.0), Duration::ZERO);
    }

    #[test]
    fn the_request_timeout_can_be_set_in_seconds() {
        let defaults = Timeouts::default();
        let short = defaults.with_request_seconds(Some("0.5"));
        assert_eq!(short.request, Duration::from_millis(500));
        assert_eq!(short.connect, Duration::from_millis(500));
        assert_eq!(short.long_running, defaults.long_running);
        let long = defaults.with_request_seconds(Some(" 90 "));
        assert_eq!((long.request, long.connect), (Duration::from_secs(90), defaults.connect));
        for ignored in
            [None, Some(""), Some("soon"), Some("0"), Some("-3"), Some("NaN"), Some("1e9")]
        {
            assert_eq!(defaults.with_request_seconds(ignored), defaults, "{ignored:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let config = ClientConfig::new(
            Endpoint::parse("https://api.integrator.io").unwrap(),
            SecretString::from("tok-very-secret-123"),
        );
        let shown = format!("{config:?}");
        assert!(!shown.contains("tok-very-secret-123"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
