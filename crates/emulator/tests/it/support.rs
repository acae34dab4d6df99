//! A small HTTP client for the tests (hyper, no TLS) and helpers to build resources.

use std::net::SocketAddr;

use axum::body::Bytes;
use flowform_emulator::{EmulatorConfig, EmulatorHandle, start};
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Method, Request};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

pub async fn emulator(config: EmulatorConfig) -> EmulatorHandle {
    start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("the emulator starts on a free port")
}

/// An emulator with the admin API on and no rate limit.
pub async fn test_emulator() -> EmulatorHandle {
    emulator(EmulatorConfig::for_tests()).await
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!("body is not JSON ({error}): {}", String::from_utf8_lossy(&self.body))
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
    }

    /// The `code` of the first entry of the error envelope.
    pub fn error_code(&self) -> String {
        self.json()["errors"][0]["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn id(&self) -> String {
        self.json()["_id"].as_str().expect("the response has an `_id`").to_owned()
    }
}

#[derive(Clone)]
pub struct Client {
    http: HyperClient<HttpConnector, Full<Bytes>>,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
            base: base.to_owned(),
            token: Some(token.to_owned()),
        }
    }

    pub fn sandbox(handle: &EmulatorHandle) -> Self {
        Self::new(&handle.url(), "sandbox")
    }

    pub fn without_token(&self) -> Self {
        Self { token: None, ..self.clone() }
    }

    pub fn with_token(&self, token: &str) -> Self {
        Self { token: Some(token.to_owned()), ..self.clone() }
    }

    /// Sends a request; `path` may be absolute (`http://…`, as in a Link header) or start with `/`.
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Response, hyper_util::client::legacy::Error> {
        let uri =
            if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let mut builder =
            Request::builder().method(method).uri(uri).header("accept", "application/json");
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        let request = builder.body(Full::new(Bytes::from(body))).expect("a valid request");
        let response = self.http.request(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        Ok(Response { status, headers, body })
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let (content_type, bytes) = match body {
            Some(body) => {
                (Some("application/json"), serde_json::to_vec(&body).expect("serialisable"))
            }
            None => (None, Vec::new()),
        };
        self.try_send(method, path, content_type, bytes).await.expect("the emulator answers")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a resource and returns its id, failing the test on anything but 201.
    pub async fn create(&self, collection: &str, body: Value) -> String {
        let response = self.post(&format!("/v1/{collection}"), body).await;
        assert_eq!(response.status, 201, "create {collection}: {}", response.text());
        response.id()
    }
}

/// Creates an integration, an HTTP connection, an export, an import and a flow wiring them.
pub struct Wired {
    pub integration: String,
    pub connection: String,
    pub export: String,
    pub import: String,
    pub flow: String,
}

pub async fn wired_flow(client: &Client) -> Wired {
    let integration = client.create("integrations", json!({"name": "Orders"})).await;
    let connection = client.create("connections", http_connection("Shop API", "s3cret")).await;
    let export = client
        .create("exports", json!({"name": "Get orders", "adaptorType": "HTTPExport", "_connectionId": connection, "http": {"relativeURI": "/orders"}}))
        .await;
    let import = client
        .create("imports", json!({"name": "Post orders", "adaptorType": "HTTPImport", "_connectionId": connection, "http": {"relativeURI": "/erp"}}))
        .await;
    let flow = client
        .create(
            "flows",
            json!({
                "name": "Orders to ERP", "_integrationId": integration, "disabled": false,
                "pageGenerators": [{"_exportId": export}],
                "pageProcessors": [{"type": "import", "_importId": import}]
            }),
        )
        .await;
    Wired { integration, connection, export, import, flow }
}

pub fn http_connection(name: &str, password: &str) -> Value {
    json!({
        "name": name, "type": "http",
        "http": {"baseURI": "https://shop.example.com", "auth": {"type": "basic", "basic": {"username": "bot", "password": password}}}
    })
}
