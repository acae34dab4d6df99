//! A small stateful integrator.io stand-in for the tests that need state (pagination, lost
//! writes, the rate limiter): collections of the six kinds with `skip`/`limit` pagination and
//! `Link` headers, a leaky bucket that answers 429, masked connection secrets, and fault knobs
//! (fail the next requests, drop the connection after committing a create, hang after it).
//!
//! It keeps its own JSON handling (no client types) so a wire-format mistake cannot hide on both
//! sides. It is a test fake, not the project's emulator.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

pub const TOKEN: &str = "fake-token-0123456789abcdef";
const MASK: &str = "******";

/// The leaky bucket of the real API: `capacity` requests, refilled at `per_second`.
#[derive(Debug)]
pub struct LeakyBucket {
    pub capacity: f64,
    pub per_second: f64,
    level: f64,
    last: Instant,
}

impl LeakyBucket {
    pub fn new(capacity: f64, per_second: f64) -> LeakyBucket {
        LeakyBucket { capacity, per_second, level: capacity, last: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.level = (self.level + now.duration_since(self.last).as_secs_f64() * self.per_second)
            .min(self.capacity);
        self.last = now;
        if self.level >= 1.0 {
            self.level -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Default)]
pub struct FakeState {
    pub page_size: usize,
    /// The origin written into `Link` headers (it differs from the real one on purpose: the
    /// client must re-issue the path against its own endpoint).
    pub link_origin: String,
    pub collections: BTreeMap<String, Vec<Value>>,
    pub bucket: Option<LeakyBucket>,
    /// Statuses to answer to the next requests (after auth and rate limiting).
    pub fail_next: VecDeque<u16>,
    /// Commit the next N creates, then kill the connection without answering.
    pub drop_after_commit: u32,
    /// Kill the connection of the next N creates without committing.
    pub drop_before_commit: u32,
    /// Commit the next N creates, then never answer.
    pub hang_after_commit: u32,
    /// The server clock minus the real clock (createdAt and `Date` follow it).
    pub clock_skew: Duration,
    pub clock_behind: bool,
    pub latency: Duration,
    pub requests: Vec<(Method, String)>,
    pub rate_limited: u64,
    next_id: u64,
}

impl FakeState {
    pub fn count(&self, method: &Method, path_prefix: &str) -> usize {
        self.requests
            .iter()
            .filter(|(m, path)| m == method && path.starts_with(path_prefix))
            .count()
    }

    fn now(&self) -> jiff::Timestamp {
        let now = jiff::Timestamp::now();
        let skew = jiff::SignedDuration::try_from(self.clock_skew).unwrap();
        if self.clock_behind { now - skew } else { now + skew }
    }

    /// Inserts a document directly, as if created at `created_at`.
    pub fn seed(
        &mut self,
        plural: &str,
        mut document: Value,
        created_at: jiff::Timestamp,
    ) -> String {
        self.next_id += 1;
        let id = format!("{:024x}", 0x5f00_0000_0000_0000_0000_0000u128 + u128::from(self.next_id));
        document["_id"] = json!(id);
        document["createdAt"] = json!(created_at.to_string());
        document["lastModified"] = json!(created_at.to_string());
        self.collections.entry(plural.to_owned()).or_default().push(document);
        id
    }

    pub fn named(&self, plural: &str, name: &str) -> Vec<Value> {
        self.collections
            .get(plural)
            .map(|documents| documents.iter().filter(|d| d["name"] == name).cloned().collect())
            .unwrap_or_default()
    }
}

pub struct Fake {
    pub url: String,
    pub state: Arc<Mutex<FakeState>>,
}

impl Fake {
    pub async fn start(page_size: usize) -> Fake {
        let state = Arc::new(Mutex::new(FakeState {
            page_size,
            link_origin: "https://api.integrator.io".to_owned(),
            ..FakeState::default()
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state))
            .into_make_service_with_connect_info::<Connection>();
        tokio::spawn(async move {
            axum::serve(KillableListener(listener), app).await.unwrap();
        });
        Fake { url: format!("http://{address}"), state }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }
}

/// A listener whose connections can be killed from a handler: the handler sets the flag and
/// every later write fails, so hyper drops the connection without sending a byte.
struct KillableListener(TcpListener);

#[derive(Clone, Debug)]
pub struct Connection {
    killed: Arc<AtomicBool>,
}

struct KillableStream {
    stream: TcpStream,
    killed: Arc<AtomicBool>,
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = (SocketAddr, Arc<AtomicBool>);

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((stream, address)) = self.0.accept().await {
                let killed = Arc::new(AtomicBool::new(false));
                return (KillableStream { stream, killed: Arc::clone(&killed) }, (address, killed));
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok((self.0.local_addr()?, Arc::new(AtomicBool::new(false))))
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, KillableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Connection {
        Connection { killed: Arc::clone(&stream.remote_addr().1) }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::Error::from(io::ErrorKind::ConnectionReset)));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

fn errors(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (status, axum::Json(json!({"errors": [{"code": code, "message": message}]}))).into_response()
}

fn mask_secrets(plural: &str, mut document: Value) -> Value {
    if plural == "connections" {
        for pointer in ["/http/auth/token/token", "/http/auth/basic/password"] {
            if let Some(value) = document.pointer_mut(pointer) {
                *value = json!(MASK);
            }
        }
    }
    document
}

fn project(document: &Value, include: Option<&str>) -> Value {
    let Some(include) = include.filter(|include| !include.is_empty()) else {
        return document.clone();
    };
    let mut projected = serde_json::Map::new();
    for field in ["_id", "name"].into_iter().chain(include.split(',')) {
        if let Some(value) = document.get(field) {
            projected.insert(field.to_owned(), value.clone());
        }
    }
    Value::Object(projected)
}

async fn handle(
    State(state): State<Arc<Mutex<FakeState>>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = {
        let mut state = state.lock().unwrap();
        state.requests.push((
            method.clone(),
            uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
        ));
        state.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (mut response, hang) = route(&state, &connection, &method, &uri, &headers, &body);
    if hang {
        std::future::pending::<()>().await;
    }
    let state = state.lock().unwrap();
    if !state.clock_skew.is_zero() {
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&state.now())
            .unwrap();
        response.headers_mut().insert(header::DATE, HeaderValue::from_str(&date).unwrap());
    }
    response
}

/// Answers a request; `true` asks the caller to never answer (after a committed create).
fn route(
    shared: &Arc<Mutex<FakeState>>,
    connection: &Connection,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> (Response, bool) {
    let response = answer(shared, connection, method, uri, headers, body);
    let hang = {
        let mut state = shared.lock().unwrap();
        let hang = *method == Method::POST
            && response.status() == StatusCode::CREATED
            && state.hang_after_commit > 0;
        if hang {
            state.hang_after_commit -= 1;
        }
        hang
    };
    (response, hang)
}

fn answer(
    shared: &Arc<Mutex<FakeState>>,
    connection: &Connection,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        None => {
            return (StatusCode::UNAUTHORIZED, axum::Json(json!({"message": "Unauthorized"})))
                .into_response();
        }
        Some(value) if value != format!("Bearer {TOKEN}") => {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"message": "Bearer Authentication Failed"})),
            )
                .into_response();
        }
        Some(_) => {}
    }
    let mut state = shared.lock().unwrap();
    if let Some(bucket) = state.bucket.as_mut()
        && !bucket.take()
    {
        state.rate_limited += 1;
        let mut response = errors(429, "rate_limited", "Too many requests. Retry after 1 seconds.");
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    if let Some(status) = state.fail_next.pop_front() {
        return errors(status, "server_error", "injected failure");
    }
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let query: BTreeMap<String, String> = reqwest::Url::parse(&format!("http://fake{uri}"))
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default();
    match (method.clone(), segments.as_slice()) {
        (Method::GET, ["v1", "tokenInfo"]) => {
            axum::Json(json!({"_userId": "5e0000000000000000000009", "scope": "*"})).into_response()
        }
        (Method::GET, ["v1", plural]) => list(&state, uri.path(), plural, None, &query),
        (Method::GET, ["v1", "integrations", id, plural]) => {
            list(&state, uri.path(), plural, Some(id), &query)
        }
        (Method::POST, ["v1", plural]) => {
            let Ok(mut document) = serde_json::from_slice::<Value>(body) else {
                return errors(400, "invalid_json", "bad body");
            };
            if state.drop_before_commit > 0 {
                state.drop_before_commit -= 1;
                connection.killed.store(true, Ordering::SeqCst);
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            for field in ["_id", "createdAt", "lastModified"] {
                document.as_object_mut().map(|o| o.remove(field));
            }
            let now = state.now();
            let id = state.seed(plural, document, now);
            let created = mask_secrets(
                plural,
                state.collections[*plural].iter().find(|d| d["_id"] == id).unwrap().clone(),
            );
            if state.drop_after_commit > 0 {
                state.drop_after_commit -= 1;
                connection.killed.store(true, Ordering::SeqCst);
            }
            (StatusCode::CREATED, axum::Json(created)).into_response()
        }
        (method, ["v1", plural, id]) => {
            let Some(documents) = state.collections.get_mut(*plural) else {
                return errors(404, "not_found", "no such collection");
            };
            let Some(position) = documents.iter().position(|d| d["_id"] == *id) else {
                return errors(404, "not_found", "Object not found");
            };
            match method {
                Method::GET => {
                    axum::Json(mask_secrets(plural, documents[position].clone())).into_response()
                }
                Method::PUT => {
                    let Ok(mut document) = serde_json::from_slice::<Value>(body) else {
                        return errors(400, "invalid_json", "bad body");
                    };
                    let old = &documents[position];
                    document["_id"] = old["_id"].clone();
                    document["createdAt"] = old["createdAt"].clone();
                    documents[position] = document.clone();
                    axum::Json(mask_secrets(plural, document)).into_response()
                }
                Method::DELETE => {
                    documents.remove(position);
                    StatusCode::NO_CONTENT.into_response()
                }
                _ => errors(405, "method_not_allowed", "no"),
            }
        }
        _ => errors(404, "not_found", "no such route"),
    }
}

fn list(
    state: &FakeState,
    path: &str,
    plural: &str,
    integration: Option<&str>,
    query: &BTreeMap<String, String>,
) -> Response {
    let all: Vec<&Value> = state
        .collections
        .get(plural)
        .map(|documents| {
            documents
                .iter()
                .filter(|d| integration.is_none_or(|id| d["_integrationId"] == id))
                .collect()
        })
        .unwrap_or_default();
    let skip: usize = query.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(state.page_size)
        .min(state.page_size);
    let page: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(limit)
        .map(|d| {
            project(&mask_secrets(plural, (*d).clone()), query.get("include").map(String::as_str))
        })
        .collect();
    if page.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let mut response = axum::Json(page).into_response();
    if skip + limit < all.len() {
        let mut next = format!("{}{path}?skip={}&limit={limit}", state.link_origin, skip + limit);
        if let Some(include) = query.get("include") {
            next.push_str(&format!("&include={include}"));
        }
        let link = format!("<{next}>; rel=\"next\"");
        response.headers_mut().insert(header::LINK, HeaderValue::from_str(&link).unwrap());
    }
    response
}
