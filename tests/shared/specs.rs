//! The spec fixtures the tests share: the end-to-end and reliability tests (`tests/it`,
//! `tests/reliability`) and the executor's tests (`crates/exec/tests`) include this file with
//! `#[path]` (like `mutate.rs`: test data is not worth a crate, and plain text needs no
//! dependencies, so every includer can have it). Fixtures that need the same opening start with
//! [`main_and_api!`], so the integration and the connection are written once.

#![allow(dead_code)]

/// The opening most fixtures share: integration `main`, and connection `api` (HTTP, a token
/// from `${secret.VARIABLE}` in a header); the next fixture line may add to the token's fields.
/// A macro, so fixtures stay `&str` constants (`concat!` takes literals only).
macro_rules! main_and_api {
    ($variable:literal) => {
        concat!(
            r#"integrations:
  main:
    name: Main
connections:
  api:
    name: API
    type: http
    http:
      baseURI: https://example.com
      mediaType: json
      auth:
        type: token
        token:
          token: ${secret."#,
            $variable,
            r#"}
          location: header
"#
        )
    };
}

/// The bearer-token header of connection `api`, added after [`main_and_api!`].
macro_rules! bearer_header {
    () => {
        "          headerName: Authorization\n          scheme: Bearer\n"
    };
}

/// Import `post`: HTTP through connection `api`; the next fixture line may add to it.
macro_rules! post_import {
    () => {
        r#"imports:
  post:
    name: Post
    adaptorType: HTTPImport
    _connectionId: ${connection.api}
    http:
      method: [POST]
      relativeURI: [/post]
"#
    };
}

/// A small application: an integration, a connection with a secret (`API_TOKEN`), a script, an
/// export, an import using the script, and a scheduled flow using both.
pub const APP: &str = concat!(
    main_and_api!("API_TOKEN"),
    bearer_header!(),
    r#"scripts:
  shape:
    name: Shape
    content: |
      function preMap(options) { return options.data; }
exports:
  orders:
    name: Orders
    adaptorType: HTTPExport
    _connectionId: ${connection.api}
    http:
      method: GET
      relativeURI: /orders
"#,
    post_import!(),
    r#"    hooks:
      preMap:
        _scriptId: ${script.shape}
        function: preMap
flows:
  sync:
    name: Sync
    _integrationId: ${integration.main}
    schedule: "? 0 */2 * * *"
    timezone: UTC
    pageGenerators:
      - _exportId: ${export.orders}
    pageProcessors:
      - type: import
        _importId: ${import.post}
"#
);

/// Two flows on webhook exports; the first runs the second next (`_runNextFlowIds`).
pub const CHAIN: &str = r#"
integrations:
  main: {name: Main}
exports:
  a: {name: A, adaptorType: WebhookExport, webhook: {provider: custom}}
  b: {name: B, adaptorType: WebhookExport, webhook: {provider: custom}}
flows:
  first:
    name: First
    _integrationId: ${integration.main}
    pageGenerators: [{_exportId: "${export.a}"}]
    _runNextFlowIds: ["${flow.second}"]
  second:
    name: Second
    _integrationId: ${integration.main}
    pageGenerators: [{_exportId: "${export.b}"}]
"#;

/// A second file for [`APP`]: a realtime flow cloned from `flow.sync` that takes a webhook as
/// its source and drops the clone's schedule (`null`), enabled although it ignores `disabled`,
/// and protected. The clone copies `export.orders` (unused: the webhook replaces it) and
/// `import.post` (kept).
pub const CLONE_OF_SYNC: &str = r#"
exports:
  hook:
    name: Hook
    adaptorType: WebhookExport
    webhook: {provider: custom}
flows:
  realtime:
    name: Realtime
    _integrationId: ${integration.main}
    pageGenerators:
      - _exportId: ${export.hook}
    schedule: null
    timezone: null
    lifecycle:
      cloneFrom: ${flow.sync}
      preventDestroy: true
      ignoreChanges: [disabled]
"#;
