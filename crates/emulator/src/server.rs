//! The HTTP server: binding, the connection loop (which can drop a connection after a committed
//! write), the `/v1` pipeline (auth → counters → forced 429 → rate limit → injected 5xx →
//! operation → latency → dropped response) and the handle tests and the CLI hold.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::admin::{self, Admin};
use crate::api::{self, ApiRequest, is_write, route_label};
use crate::config::{EmulatorConfig, Settings};
use crate::context::{Ctx, Reply};
use crate::error::{ApiError, StartError};
use crate::persist::Persistence;
use crate::rate::Bucket;
use crate::shared::Shared;
use crate::store::Account;
use crate::util::IdGenerator;

/// Largest request body accepted (script sources can be large).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Lets a request close its own connection without a response.
#[derive(Clone)]
struct ConnectionKill(Arc<Notify>);

/// A running emulator. Dropping it stops accepting connections; [`EmulatorHandle::shutdown`]
/// also waits for open connections and flushes the data file.
#[derive(Debug)]
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    flusher: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash, no `/v1`).
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    /// The in-process admin controls of the first account; see [`Admin::for_token`] for others.
    pub fn admin(&self) -> Admin {
        Admin::new(self.shared.clone(), 0)
    }

    /// Stops accepting connections, lets open ones finish (up to 5 seconds), then writes the
    /// data file one last time.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.await;
        }
        if let Some(persistence) = &self.shared.persistence
            && let Err(error) = persistence.flush(&self.shared.accounts).await
        {
            tracing::error!(error = %error, "failed to write the emulator data file at shutdown");
        }
    }

    /// Runs until ctrl-c, then shuts down gracefully (what `flowform emulator serve` does after
    /// printing the URL).
    pub async fn run_until_ctrl_c(self) -> std::io::Result<()> {
        let signal = tokio::signal::ctrl_c().await;
        self.shutdown().await;
        signal
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn check_config(config: &EmulatorConfig) -> Result<(), StartError> {
    let invalid = |reason: &str| Err(StartError::InvalidConfig { reason: reason.to_owned() });
    if config.accounts.is_empty() {
        return invalid("at least one account is needed");
    }
    let mut tokens = std::collections::HashSet::new();
    let mut names = std::collections::HashSet::new();
    for account in &config.accounts {
        if account.token.is_empty() || account.token.chars().any(char::is_whitespace) {
            return invalid("account tokens must be non-empty and contain no whitespace");
        }
        if !tokens.insert(account.token.as_str()) {
            return invalid("two accounts have the same token");
        }
        if !names.insert(account.name.as_str()) {
            return Err(StartError::InvalidConfig {
                reason: format!("two accounts are named `{}`", account.name),
            });
        }
    }
    if config.page_size == 0 {
        return invalid("the page size must be at least 1");
    }
    if config.licensed_concurrency == 0 {
        return invalid("the licensed concurrency must be at least 1");
    }
    crate::admin::check_mask_length(config.mask_length)
        .map_err(|error| StartError::InvalidConfig { reason: error.to_string() })?;
    crate::admin::check_faults(&config.faults)
        .map_err(|error| StartError::InvalidConfig { reason: error.to_string() })?;
    Ok(())
}

/// Starts an emulator listening on `addr` (use `127.0.0.1:0` for a free port).
pub async fn start(config: EmulatorConfig, addr: SocketAddr) -> Result<EmulatorHandle, StartError> {
    check_config(&config)?;
    let accounts: Vec<Arc<Account>> = config
        .accounts
        .iter()
        .map(|account| {
            Arc::new(Account::new(
                account.name.clone(),
                config.seed,
                Bucket::full(config.rate_limit),
            ))
        })
        .collect();
    let persistence = match &config.data_file {
        Some(path) => {
            let persistence = Persistence::new(path.clone());
            persistence
                .load_into(&accounts)
                .map_err(|source| StartError::LoadData { path: path.clone(), source })?;
            Some(Arc::new(persistence))
        }
        None => None,
    };
    let listener =
        TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| StartError::Bind { addr, source })?;
    let tokens = config
        .accounts
        .iter()
        .enumerate()
        .map(|(index, account)| (account.token.clone(), index))
        .collect();
    let shared = Arc::new(Shared {
        accounts,
        tokens,
        settings: RwLock::new(Settings::from_config(&config)),
        ids: IdGenerator::new(config.seed),
        admin_enabled: config.admin,
        persistence,
        unauthenticated: AtomicU64::new(0),
        url: format!("http://{local}"),
    });
    let router = Router::new()
        .route("/v1/{*path}", any(v1_handler))
        .route("/admin/{*path}", any(admin::admin_handler))
        .fallback(|| async {
            Reply::from(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route"))
        })
        .with_state(shared.clone());
    let (shutdown, shutdown_receiver) = watch::channel(false);
    let server = tokio::spawn(serve_connections(listener, router, shutdown_receiver.clone()));
    let flusher = shared.persistence.clone().map(|persistence| {
        let shared = shared.clone();
        tokio::spawn(async move { persistence.run(&shared.accounts, shutdown_receiver).await })
    });
    Ok(EmulatorHandle { shared, shutdown, server: Some(server), flusher })
}

async fn serve_connections(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Running out of file descriptors is transient; back off instead of spinning.
                    tracing::warn!(error = %error, "failed to accept a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let request_kill = ConnectionKill(kill.clone());
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(request_kill.clone());
                router.clone().oneshot(request.map(Body::new))
            },
        );
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(error = %error, "connection ended with an error");
                    }
                }
                // Dropping the connection closes the socket with no response written.
                () = kill.notified() => {}
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

fn rate_limited(retry_after_seconds: u64) -> Response {
    let error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("Too many requests. Retry after {retry_after_seconds} seconds."),
    );
    Reply::from(error).header("retry-after", retry_after_seconds.to_string()).into_response()
}

fn split_path(path: &str) -> Vec<String> {
    path.split('/').filter(|segment| !segment.is_empty()).map(percent_decode).collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn v1_handler(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let (parts, body) = request.into_parts();
    let account_index = match shared.authenticate(&parts.headers) {
        Ok(index) => index,
        Err(unauthorized) => {
            shared.unauthenticated.fetch_add(1, Ordering::Relaxed);
            return unauthorized.into_response();
        }
    };
    let account = shared.accounts[account_index].clone();
    let segments = split_path(parts.uri.path().trim_start_matches("/v1"));
    {
        let mut counters = account.counters();
        counters.requests_received += 1;
        *counters
            .by_route
            .entry((parts.method.to_string(), route_label("/v1", &segments)))
            .or_default() += 1;
    }
    let settings = shared.settings();
    let request_number = account.next_request_number();
    let forced_by_admin = account
        .forced_429_remaining
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |remaining| remaining.checked_sub(1))
        .is_ok();
    let forced_by_burst = settings.faults.forced_429.and_then(|burst| {
        let in_burst = burst.every > 0
            && (request_number - 1) % burst.every >= burst.every.saturating_sub(burst.burst);
        in_burst.then_some(burst.retry_after_seconds.max(1))
    });
    let limited = if forced_by_admin {
        Some(1)
    } else if let Some(retry_after) = forced_by_burst {
        Some(retry_after)
    } else if let Some(limit) = settings.rate_limit {
        let mut bucket = account.bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        bucket.take(limit, Instant::now()).err()
    } else {
        None
    };
    if let Some(retry_after) = limited {
        account.counters().rate_limited += 1;
        return rate_limited(retry_after);
    }
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return Reply::from(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            ))
            .into_response();
        }
    };
    let (delay, server_error) = {
        let mut rng = account.rng();
        let jitter = settings.latency.jitter.mul_f64(if settings.latency.jitter.is_zero() {
            0.0
        } else {
            rng.next_unit()
        });
        let server_error =
            rng.chance(settings.faults.server_error_rate).then(|| match rng.up_to(2) {
                0 => StatusCode::INTERNAL_SERVER_ERROR,
                1 => StatusCode::BAD_GATEWAY,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            });
        (settings.latency.fixed + jitter, server_error)
    };
    if let Some(status) = server_error {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        account.counters().server_errors_injected += 1;
        let message = "Something went wrong on our side; please retry";
        return Reply::from(ApiError::new(status, "internal_error", message)).into_response();
    }
    let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|Query(query)| query)
        .unwrap_or_default();
    let origin = parts
        .headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| shared.url.clone());
    let api_request = ApiRequest {
        method: parts.method.clone(),
        segments,
        query,
        body,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        origin,
    };
    let ctx = Ctx { settings, ids: &shared.ids, account: &account };
    let reply = api::dispatch(&ctx, &api_request);
    // The added latency is spent after the operation, as a slow network or a slow answer
    // would be: a client that gives up while waiting leaves a committed write behind, which
    // is the ambiguous case clients must handle (a timeout never cancels a change here).
    if reply.committed {
        shared.data_changed();
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if reply.committed {
        let drop_response = is_write(&parts.method)
            && kill.is_some()
            && account.rng().chance(settings.faults.dropped_write_rate);
        if let (true, Some(kill)) = (drop_response, kill) {
            account.counters().responses_dropped += 1;
            kill.0.notify_one();
            // The connection task drops this request together with its connection.
            std::future::pending::<()>().await;
        }
    }
    reply.into_response()
}
