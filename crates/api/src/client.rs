//! The client and its request core: TLS, authentication, the rate budget, retries, body caps,
//! and turning responses into errors.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use secrecy::ExposeSecret;

use crate::budget::{Event, RateBudget, RequestStats, Withdrawal, withdrawn};
use crate::config::ClientConfig;
use crate::endpoint::{Endpoint, display_path};
use crate::error::{Error, parse_error_body};

/// The integrator.io client. Cheap to clone (everything is behind one `Arc`); make one per
/// account per process and share it, so every task spends the same rate budget.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) config: ClientConfig,
    pub(crate) budget: Arc<RateBudget>,
    authorization: HeaderValue,
    /// The server clock minus the local clock, in milliseconds, from the last `Date` header.
    clock_offset_ms: Mutex<Option<i64>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// Whether a request may be sent again after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// GET, PUT, DELETE and replace/remove PATCH: sending twice has the effect of sending once.
    Idempotent,
    /// POST (create, clone, run): only 429s and refused connections are retried here; the
    /// caller decides what to do after anything ambiguous.
    Never,
}

/// One request to make.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<Bytes>,
    pub(crate) long_running: bool,
    pub(crate) retry: Retry,
}

/// A successful (2xx) response, body fully read.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// The body as JSON; `None` for 204 or an empty (all-whitespace) body.
    pub(crate) fn json(&self) -> Result<Option<serde_json::Value>, Error> {
        if self.status == StatusCode::NO_CONTENT || self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body).map(Some).map_err(|error| Error::InvalidResponse {
            method: self.method.clone(),
            path: self.path.clone(),
            status: self.status.as_u16(),
            reason: format!("the body is not JSON ({error})"),
        })
    }

    /// The body as `T` (`None` for 204 or an empty body), with [`Reply::json`]'s error.
    pub(crate) fn json_as<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, Error> {
        if self.status == StatusCode::NO_CONTENT || self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|error| self.invalid(format!("the body is not JSON ({error})")))
    }

    /// Whether the body is a JSON object (its first byte past whitespace is `{`).
    pub(crate) fn is_object(&self) -> bool {
        self.body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{')
    }

    /// The items of a list page: a JSON array of documents (an empty body or 204 is none),
    /// each read as `T`; a single object is tolerated as a page of one, as Celigo's CLI does.
    pub(crate) fn page_items<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>, Error> {
        if self.status == StatusCode::NO_CONTENT {
            return Ok(Vec::new());
        }
        let not_json =
            |error: serde_json::Error| self.invalid(format!("the body is not JSON ({error})"));
        match self.body.iter().find(|byte| !byte.is_ascii_whitespace()) {
            None => Ok(Vec::new()),
            Some(b'[') => serde_json::from_slice(&self.body).map_err(not_json),
            Some(b'{') => {
                serde_json::from_slice(&self.body).map(|item| vec![item]).map_err(not_json)
            }
            Some(_) => {
                let other: serde_json::Value =
                    serde_json::from_slice(&self.body).map_err(not_json)?;
                Err(self.invalid(format!(
                    "expected a JSON array of documents, got `{}`",
                    crate::pagination::json_type(&other)
                )))
            }
        }
    }

    pub(crate) fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::InvalidResponse {
            method: self.method.clone(),
            path: self.path.clone(),
            status: self.status.as_u16(),
            reason: reason.into(),
        }
    }
}

/// A response of any status, before it is judged.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

fn root_certificates() -> Arc<rustls::RootCertStore> {
    static ROOTS: OnceLock<Arc<rustls::RootCertStore>> = OnceLock::new();
    Arc::clone(ROOTS.get_or_init(|| {
        // Mozilla's roots (webpki-roots) make a fresh machine or a bare container work without
        // any CA bundle installed; the system's roots, when they load, are added so a
        // corporate TLS-inspecting proxy whose CA is installed system-wide also works.
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let native = rustls_native_certs::load_native_certs();
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, "system root certificates loaded");
        Arc::new(roots)
    }))
}

/// The TLS set-up. A plain-`http` endpoint (only allowed on loopback: the emulator, the local
/// sandbox) never makes a TLS connection, since every request goes to the endpoint and
/// redirects are not followed, so its client trusts no roots instead of parsing every system
/// certificate at start-up (about 5 ms of CPU per process).
fn tls_config(endpoint: &Endpoint) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = if endpoint.url().scheme() == "https" {
        root_certificates()
    } else {
        Arc::new(rustls::RootCertStore::empty())
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn random_unit() -> f64 {
    rand::random::<f64>()
}

impl Client {
    /// Builds a client. Fails on a token that cannot be sent in a header or on TLS setup.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let token = config.token.expose_secret();
        if token.trim().is_empty() {
            return Err(Error::InvalidToken { reason: "the token is empty" });
        }
        if token.chars().any(|character| character.is_whitespace() || character.is_control()) {
            return Err(Error::InvalidToken {
                reason: "the token contains whitespace or control characters",
            });
        }
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Error::InvalidToken {
                reason: "the token is not valid in an HTTP header",
            })?;
        // Marked sensitive so the HTTP stack never logs it.
        authorization.set_sensitive(true);

        let tls = tls_config(&config.endpoint)
            .map_err(|error| Error::TlsSetup { reason: error.to_string() })?;
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.timeouts.connect)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.max_in_flight.max(1))
            .tcp_nodelay(true)
            .tls_backend_preconfigured(tls);
        if config.endpoint.is_loopback() {
            // A proxy from the environment must never see traffic meant for a local emulator.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|source| Error::BuildClient { source })?;
        let budget = config
            .shared_budget
            .clone()
            .unwrap_or_else(|| Arc::new(RateBudget::new(config.rate, config.max_in_flight)));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config,
                budget,
                authorization,
                clock_offset_ms: Mutex::new(None),
            }),
        })
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.config.endpoint
    }

    /// The configuration (its `Debug` never shows the token).
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The rate budget this client spends (shared with every clone of the client).
    pub fn budget(&self) -> &Arc<RateBudget> {
        &self.inner.budget
    }

    /// The counters of the budget: requests by method, retries, 429s, recovered creates, pages.
    pub fn stats(&self) -> RequestStats {
        self.inner.budget.stats()
    }

    /// Removes the token from text that came from the server or the network stack.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let token = self.inner.config.token.expose_secret();
        if token.len() >= 4 && text.contains(token) {
            text.replace(token, "[redacted]")
        } else {
            text.to_owned()
        }
    }

    /// `/v1/…` on the endpoint.
    pub(crate) fn url(&self, path_and_query: &str) -> Url {
        self.inner
            .config
            .endpoint
            .join(path_and_query)
            .expect("paths built by the client always join onto a validated origin")
    }

    /// The server clock minus the local clock, as last seen in a `Date` header.
    pub(crate) fn clock_offset(&self) -> Option<i64> {
        *self.inner.clock_offset_ms.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note_server_date(&self, headers: &HeaderMap) {
        let Some(date) = headers.get(header::DATE).and_then(|value| value.to_str().ok()) else {
            return;
        };
        let Ok(server) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(date) else {
            return;
        };
        let offset = server.as_millisecond() - jiff::Timestamp::now().as_millisecond();
        *self.inner.clock_offset_ms.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(offset);
    }

    pub(crate) async fn sleep(&self, duration: Duration) {
        if !duration.is_zero() {
            self.inner.config.sleeper.sleep(duration).await;
        }
    }

    pub(crate) fn record(&self, event: Event) {
        self.inner.budget.record(event);
    }

    /// Sleeps, unless `withdrawal` comes first.
    async fn sleep_unless(&self, duration: Duration, withdrawal: Option<&Withdrawal>) {
        tokio::select! {
            biased;
            () = withdrawn(withdrawal) => {}
            () = self.sleep(duration) => {}
        }
    }

    /// Sends a call through the budget with retries, and returns the 2xx reply or the error.
    pub(crate) async fn execute(&self, call: Call) -> Result<Reply, Error> {
        let reply = self.execute_unless(call, None).await?;
        Ok(reply.expect("a call that cannot be withdrawn is always sent"))
    }

    /// [`Client::execute`], except that the call (or its next retry) is not sent once
    /// `withdrawal` is withdrawn before it got its send permit: then `Ok(None)`.
    pub(crate) async fn execute_unless(
        &self,
        call: Call,
        withdrawal: Option<&Withdrawal>,
    ) -> Result<Option<Reply>, Error> {
        let config = &self.inner.config;
        let policy = config.retry;
        let path = self.scrub(&display_path(&call.url));
        let mut attempts: u32 = 0;
        let mut failure_retries: u32 = 0;
        let mut rate_limited_retries: u32 = 0;
        let mut earlier_attempt_ambiguous = false;
        loop {
            let budget = &self.inner.budget;
            let Some(permit) =
                budget.acquire_unless(&call.method, config.sleeper.as_ref(), withdrawal).await
            else {
                return Ok(None);
            };
            attempts += 1;
            if attempts > 1 {
                self.record(Event::Retry);
            }
            let sent_at = permit.sent_at;
            let started = std::time::Instant::now();
            let outcome = self.send_once(&call, &path).await;
            drop(permit);
            let elapsed_ms = started.elapsed().as_millis();

            let (retry_after, failure) = match outcome {
                Ok(raw) => {
                    self.note_server_date(&raw.headers);
                    tracing::debug!(method = %call.method, path = %path, status = raw.status.as_u16(), elapsed_ms, attempt = attempts, "integrator.io request");
                    let status = raw.status;
                    if status.is_success() {
                        return Ok(Some(Reply {
                            method: call.method,
                            path,
                            status,
                            headers: raw.headers,
                            body: raw.body,
                        }));
                    }
                    if status == StatusCode::NOT_FOUND
                        && call.method == Method::DELETE
                        && earlier_attempt_ambiguous
                    {
                        // An earlier DELETE attempt reached the server but its answer was lost:
                        // the resource is gone, which is what was asked.
                        return Ok(Some(Reply {
                            method: call.method,
                            path,
                            status: StatusCode::NO_CONTENT,
                            headers: raw.headers,
                            body: Bytes::new(),
                        }));
                    }
                    let retry_after = parse_retry_after(&raw.headers);
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        self.record(Event::RateLimited);
                        let pause = policy.rate_limited_wait(retry_after, random_unit());
                        self.inner.budget.on_rate_limited(sent_at, pause);
                        if rate_limited_retries >= policy.max_rate_limited_retries {
                            return Err(Error::RateLimited { method: call.method, path, attempts });
                        }
                        rate_limited_retries += 1;
                        tracing::debug!(method = %call.method, path = %path, wait_ms = pause.as_millis(), "rate limited; waiting");
                        self.sleep_unless(pause, withdrawal).await;
                        continue;
                    }
                    if status.is_server_error() {
                        self.record(Event::ServerError);
                    }
                    let error = self.error_from(&call.method, &path, raw);
                    (retry_after, error)
                }
                Err(error) => {
                    tracing::debug!(method = %call.method, path = %path, elapsed_ms, attempt = attempts, error = %error, "integrator.io request failed");
                    self.record(Event::TransportFailure);
                    (None, error)
                }
            };

            let transient = failure.is_retryable();
            let may_resend = match call.retry {
                Retry::Idempotent => transient,
                // Nothing reached the server, so resending cannot duplicate anything.
                Retry::Never => matches!(failure, Error::Transport { request_sent: false, .. }),
            };
            if !may_resend || failure_retries >= policy.max_retries {
                if attempts > 1 && transient {
                    return Err(Error::RetriesExhausted {
                        method: call.method,
                        path,
                        attempts,
                        last: Box::new(failure),
                    });
                }
                return Err(failure);
            }
            earlier_attempt_ambiguous |= failure.leaves_post_outcome_unknown();
            failure_retries += 1;
            let backoff = policy.backoff(failure_retries, random_unit());
            let wait = match retry_after {
                Some(retry_after) => {
                    backoff.max(policy.rate_limited_wait(Some(retry_after), random_unit()))
                }
                None => backoff,
            };
            self.sleep_unless(wait, withdrawal).await;
        }
    }

    async fn send_once(&self, call: &Call, path: &str) -> Result<Raw, Error> {
        let config = &self.inner.config;
        let timeout =
            if call.long_running { config.timeouts.long_running } else { config.timeouts.request };
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .header(header::AUTHORIZATION, self.inner.authorization.clone())
            .header(header::ACCEPT, "application/json")
            .timeout(timeout);
        if let Some(body) = &call.body {
            request = request.header(header::CONTENT_TYPE, "application/json").body(body.clone());
        }
        let limit = config.max_response_bytes;
        let transport = |error: reqwest::Error| {
            if error.is_timeout() {
                Error::Timeout {
                    method: call.method.clone(),
                    path: path.to_owned(),
                    after: timeout,
                }
            } else {
                Error::Transport {
                    method: call.method.clone(),
                    path: path.to_owned(),
                    request_sent: !error.is_connect(),
                    source: error.without_url(),
                }
            }
        };
        let exchange = async {
            let mut response = request.send().await.map_err(transport)?;
            let too_large = || Error::BodyTooLarge {
                method: call.method.clone(),
                path: path.to_owned(),
                limit_bytes: limit,
            };
            if response.content_length().is_some_and(|length| length > limit) {
                return Err(too_large());
            }
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            // Sized from the announced length (at most the limit, checked above): a page of a
            // thousand documents is megabytes, and growing by doubling copies it and touches
            // fresh memory at each step.
            let announced = response.content_length().unwrap_or(0).min(limit);
            let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
            while let Some(chunk) = response.chunk().await.map_err(transport)? {
                if (body.len() + chunk.len()) as u64 > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Raw { status, headers, body: Bytes::from(body) })
        };
        // reqwest's own timeout covers the exchange; this outer one is a backstop so that no
        // server, however it misbehaves, can hold a task longer than the timeout.
        match tokio::time::timeout(timeout + Duration::from_secs(1), exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                method: call.method.clone(),
                path: path.to_owned(),
                after: timeout,
            }),
        }
    }

    fn error_from(&self, method: &Method, path: &str, raw: Raw) -> Error {
        let scrub = |text: &str| self.scrub(text);
        let status = raw.status;
        if status.is_redirection() {
            let location = raw
                .headers
                .get(header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(|location| self.scrub(&crate::endpoint::redact_url_text(location)))
                .unwrap_or_default();
            return Error::InvalidResponse {
                method: method.clone(),
                path: path.to_owned(),
                status: status.as_u16(),
                reason: format!("unexpected redirect to `{location}`; is the endpoint right?"),
            };
        }
        let errors = parse_error_body(&raw.body, &scrub);
        match status {
            StatusCode::UNAUTHORIZED => Error::Unauthorized {
                method: method.clone(),
                path: path.to_owned(),
                endpoint: self.inner.config.endpoint.to_string(),
                message: errors.first().map(|item| item.message.clone()).filter(|m| !m.is_empty()),
            },
            StatusCode::NOT_FOUND => {
                Error::NotFound { method: method.clone(), path: path.to_owned(), errors }
            }
            _ => Error::Api {
                method: method.clone(),
                path: path.to_owned(),
                status: status.as_u16(),
                errors,
            },
        }
    }

    /// Serialises a body once.
    pub(crate) fn body(value: &serde_json::Value) -> Bytes {
        Bytes::from(serde_json::to_vec(value).expect("a serde_json::Value always serialises"))
    }

    /// A plain request with the ordinary timeout.
    pub(crate) async fn request(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
        retry: Retry,
    ) -> Result<Reply, Error> {
        self.execute(Call {
            method,
            url: self.url(path_and_query),
            body: body.map(Client::body),
            long_running: false,
            retry,
        })
        .await
    }
}

/// `Retry-After` as seconds (the documented form) or an HTTP date.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = text.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(text).ok()?;
    let millis = at.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    Some(Duration::from_millis(millis.max(0).unsigned_abs()))
}

/// Validates an id (or other single path segment) before it is placed in a path.
pub(crate) fn segment<'a>(what: &'static str, value: &'a str) -> Result<&'a str, Error> {
    let invalid = |reason| Error::InvalidArgument { what, value: value.to_owned(), reason };
    if value.is_empty() {
        return Err(invalid("it is empty"));
    }
    if value.len() > 200 {
        return Err(invalid("it is longer than 200 characters"));
    }
    if value == "." || value == ".." {
        return Err(invalid("it is not a resource id"));
    }
    if !value.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
    {
        return Err(invalid("ids contain only letters, digits, `-`, `_` and `.`"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_millis(500)));
        headers
            .insert(header::RETRY_AFTER, HeaderValue::from_static("Thu, 01 Jan 1970 00:00:01 GMT"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn segments_refuse_path_tricks() {
        assert!(segment("id", "5f0c1e2d3b4a596877665544").is_ok());
        for bad in ["", "..", "a/b", "a?b", "a#b", "a%2f", "a b"] {
            assert!(segment("id", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tls_config_builds_with_ring_and_roots() {
        let https = Endpoint::parse("https://api.integrator.io").unwrap();
        let config = tls_config(&https).unwrap();
        assert_eq!(config.alpn_protocols.len(), 2);
        assert!(!root_certificates().is_empty());
        // A loopback `http` endpoint never uses TLS: no roots are read for it.
        let loopback = Endpoint::parse("http://127.0.0.1:4790").unwrap();
        assert!(tls_config(&loopback).is_ok());
    }
}
