//! The client against the real emulator (`flowform-emulator`) over loopback HTTP: the two were
//! written independently from the same API reference, so every test here checks one side's
//! reading of the reference against the other's.
//!
//! The emulator's admin handle sees what the server really holds (secrets unmasked) and what it
//! really received (request counters), which the client cannot see for itself.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use flowform_api::{
    Client, ClientConfig, Endpoint, Error, JobStatus, Kind, PatchOp, RetryPolicy, SecretString,
    StateScope, TokioSleeper,
};
use flowform_emulator::{
    CloneResponse, EmulatorConfig, EmulatorHandle, Faults, Forced429, JobOutcome, MaskMode,
    ResourceKind,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{RecordingSleeper, chain, config as client_config, json_of};

/// The token of the emulator's default account.
const TOKEN: &str = "sandbox";

async fn emulator(config: EmulatorConfig) -> EmulatorHandle {
    flowform_emulator::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("the emulator starts on a free port")
}

/// A client whose waits are recorded, not slept, and whose retries do not back off.
fn fast_client(handle: &EmulatorHandle) -> (Client, RecordingSleeper) {
    let (mut config, sleeper) = client_config(&handle.url(), TOKEN);
    config.retry.no_delay = true;
    (Client::new(config).unwrap(), sleeper)
}

fn resource_kind(kind: Kind) -> ResourceKind {
    match kind {
        Kind::Integration => ResourceKind::Integrations,
        Kind::IClient => ResourceKind::IClients,
        Kind::FileDefinition => ResourceKind::FileDefinitions,
        Kind::EdiProfile => ResourceKind::EdiProfiles,
        Kind::LookupCache => ResourceKind::LookupCaches,
        Kind::AsyncHelper => ResourceKind::AsyncHelpers,
        Kind::Connection => ResourceKind::Connections,
        Kind::Script => ResourceKind::Scripts,
        Kind::Export => ResourceKind::Exports,
        Kind::Import => ResourceKind::Imports,
        Kind::Flow => ResourceKind::Flows,
    }
}

fn http_connection(name: &str, password: &str) -> Value {
    json!({
        "name": name,
        "type": "http",
        "http": {
            "baseURI": "https://shop.example.com",
            "mediaType": "json",
            "auth": {"type": "basic", "basic": {"username": "bot", "password": password}}
        }
    })
}

/// A request the client cannot make on purpose (a query it refuses to build, a route it does
/// not wrap), sent over a plain TCP connection: the status and the body.
async fn raw_request(handle: &EmulatorHandle, method: &str, path: &str) -> (u16, String) {
    let address = handle.url().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let body = if method == "GET" { "" } else { "{}" };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

/// The ids of one resource of each kind, wired together: the flow runs the export into the
/// import, the import calls the script, both steps use the connection.
struct Wired {
    integration: String,
    iclient: String,
    file_definition: String,
    edi_profile: String,
    lookup_cache: String,
    async_helper: String,
    connection: String,
    script: String,
    export: String,
    import: String,
    flow: String,
}

fn body_of(kind: Kind, wired: &Wired) -> Value {
    match kind {
        Kind::Integration => json!({"name": "Orders", "description": "version 1"}),
        Kind::IClient => json!({
            "name": "Shop app", "provider": "custom_oauth2",
            "oauth2": {"clientId": "shop", "clientSecret": "app-s3cret"}
        }),
        Kind::FileDefinition => json!({
            "name": "850", "version": "2", "format": "delimited/x12",
            "delimited": {"rowSuffix": "~", "colDelimiter": "*"}, "rules": []
        }),
        Kind::EdiProfile => json!({"name": "Partner", "fileType": "edifact"}),
        Kind::LookupCache => json!({"name": "SKUs", "_integrationId": wired.integration}),
        Kind::AsyncHelper => json!({
            "name": "Poll orders", "http": {"status": {"_exportId": wired.export, "statusPath": "state"}}
        }),
        Kind::Connection => {
            let mut connection = http_connection("Shop API", "s3cret-password");
            connection["http"]["_iClientId"] = json!(wired.iclient);
            connection
        }
        Kind::Script => json!({
            "name": "Order hooks",
            "content": "function preMap(options) { return options.data; }"
        }),
        Kind::Export => json!({
            "name": "Get orders", "adaptorType": "HTTPExport", "_connectionId": wired.connection,
            "http": {"relativeURI": "/orders", "method": "GET"}
        }),
        Kind::Import => json!({
            "name": "Post orders", "adaptorType": "HTTPImport", "_connectionId": wired.connection,
            "http": {"relativeURI": ["/erp"], "method": ["POST"]},
            "hooks": {"preMap": {"_scriptId": wired.script, "function": "preMap"}}
        }),
        Kind::Flow => json!({
            "name": "Orders to ERP", "_integrationId": wired.integration, "disabled": false,
            "pageGenerators": [{"_exportId": wired.export}],
            "pageProcessors": [{"type": "import", "_importId": wired.import}]
        }),
    }
}

/// Creates one resource of each kind in dependency order through the client.
async fn wire(client: &Client) -> Wired {
    let none = HashSet::new();
    let mut wired = Wired {
        integration: String::new(),
        iclient: String::new(),
        file_definition: String::new(),
        edi_profile: String::new(),
        lookup_cache: String::new(),
        async_helper: String::new(),
        connection: String::new(),
        script: String::new(),
        export: String::new(),
        import: String::new(),
        flow: String::new(),
    };
    for kind in Kind::ALL {
        let created = client.create(kind, &body_of(kind, &wired), &none).await.unwrap();
        assert!(!created.recovered);
        let id = created.resource.id;
        match kind {
            Kind::Integration => wired.integration = id,
            Kind::IClient => wired.iclient = id,
            Kind::FileDefinition => wired.file_definition = id,
            Kind::EdiProfile => wired.edi_profile = id,
            Kind::LookupCache => wired.lookup_cache = id,
            Kind::AsyncHelper => wired.async_helper = id,
            Kind::Connection => wired.connection = id,
            Kind::Script => wired.script = id,
            Kind::Export => wired.export = id,
            Kind::Import => wired.import = id,
            Kind::Flow => wired.flow = id,
        }
    }
    wired
}

fn id_of(wired: &Wired, kind: Kind) -> &str {
    match kind {
        Kind::Integration => &wired.integration,
        Kind::IClient => &wired.iclient,
        Kind::FileDefinition => &wired.file_definition,
        Kind::EdiProfile => &wired.edi_profile,
        Kind::LookupCache => &wired.lookup_cache,
        Kind::AsyncHelper => &wired.async_helper,
        Kind::Connection => &wired.connection,
        Kind::Script => &wired.script,
        Kind::Export => &wired.export,
        Kind::Import => &wired.import,
        Kind::Flow => &wired.flow,
    }
}

// CRUD of every kind.

#[tokio::test]
async fn every_kind_goes_through_create_read_update_patch_and_delete() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (client, _) = fast_client(&handle);
    let wired = wire(&client).await;

    for kind in Kind::ALL {
        let id = id_of(&wired, kind);
        let read = client.get(kind, id).await.unwrap();
        assert_eq!(read.id, id);
        assert_eq!(read.kind, kind);
        assert!(read.created_at.is_some() && read.last_modified.is_some(), "{kind}: {read:?}");
        assert!(client.list(kind).await.unwrap().iter().any(|listed| listed.id == id), "{kind}");

        // A full replace. A connection is read back masked, so its body comes from the caller's
        // own values (as flowform's diff does), never from the GET.
        let masked = matches!(kind, Kind::Connection | Kind::IClient);
        let mut body = if masked { body_of(kind, &wired) } else { json_of(&read.document) };
        body["description"] = json!(format!("changed {kind}"));
        let updated = client.update(kind, id, &body).await.unwrap();
        assert_eq!(json_of(&updated.document)["description"], format!("changed {kind}"));
        let (before, after) = (read.last_modified.unwrap(), updated.last_modified.unwrap());
        assert!(after > before, "{kind}: lastModified `{before}` → `{after}`");
        let reread = client.get(kind, id).await.unwrap();
        assert_eq!(reread.last_modified.as_deref(), Some(after.as_str()));
        assert_eq!(json_of(&reread.document)["description"], format!("changed {kind}"));
    }
    // Script lists leave out the source; GET by id has it.
    let listed = client.list(Kind::Script).await.unwrap();
    assert!(listed[0].document.field("content").is_none());
    assert!(
        json_of(&client.get(Kind::Script, &wired.script).await.unwrap().document)["content"]
            .is_string()
    );
    // The integration's sub-collection holds its flow.
    let flows = client.list_in_integration(&wired.integration, Kind::Flow).await.unwrap();
    assert_eq!(
        flows.iter().map(|flow| flow.id.as_str()).collect::<Vec<_>>(),
        [wired.flow.as_str()]
    );

    // Renaming a connection with PATCH (204) never re-sends its secret.
    let before = client.get(Kind::Connection, &wired.connection).await.unwrap();
    client
        .patch(
            Kind::Connection,
            &wired.connection,
            &[PatchOp::Replace { path: "/name".into(), value: json!("Shop API (EU)") }],
        )
        .await
        .unwrap();
    let counters = admin.counters();
    assert_eq!(counters.route("PATCH", "/v1/connections/{id}"), 1);
    let renamed = client.get(Kind::Connection, &wired.connection).await.unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Shop API (EU)"));
    assert!(renamed.last_modified > before.last_modified);
    let stored = admin.document(ResourceKind::Connections, &wired.connection).unwrap();
    assert_eq!(stored["http"]["auth"]["basic"]["password"], "s3cret-password");

    // Delete in reverse dependency order; each is gone afterwards (404, `is_not_found`). An
    // iClient waits until the connection naming it is purged from the recycle bin too.
    let mut bin = 0;
    for kind in Kind::ALL.into_iter().rev().filter(|kind| *kind != Kind::Integration) {
        let id = id_of(&wired, kind);
        if kind == Kind::IClient {
            let refused = client.delete(kind, id).await.unwrap_err();
            assert_eq!(refused.status(), Some(422), "{refused}");
            client.purge(Kind::Connection, &wired.connection).await.unwrap();
            client.purge(Kind::Connection, &wired.connection).await.unwrap();
            bin -= 1;
        }
        bin += 1;
        client.delete(kind, id).await.unwrap();
        let gone = client.get(kind, id).await.unwrap_err();
        assert!(gone.is_not_found(), "{kind}: {gone}");
        assert_eq!(gone.status(), Some(404));
        let again = client.delete(kind, id).await.unwrap_err();
        assert!(again.is_not_found(), "deleting twice: {again}");
        assert!(admin.document(resource_kind(kind), id).is_none());
    }
    client.delete(Kind::Integration, &wired.integration).await.unwrap();
    assert!(client.list(Kind::Integration).await.unwrap().is_empty(), "204 → empty list");
    assert_eq!(admin.recycle_bin().len(), bin + 1, "deletes are soft: the bin holds the rest");
}

// Pagination.

#[tokio::test]
async fn thousands_of_documents_in_pages_of_seven_arrive_complete_and_in_order() {
    const COUNT: usize = 2_500;
    const PAGE: usize = 7;
    let handle = emulator(EmulatorConfig { page_size: PAGE, ..EmulatorConfig::for_tests() }).await;
    let admin = handle.admin();
    let exports: Vec<Value> = (0..COUNT)
        .map(|index| {
            json!({
                "name": format!("export-{index:05}"), "adaptorType": "HTTPExport",
                "_connectionId": "5f0000000000000000000001",
                "http": {"relativeURI": format!("/orders/{index}"), "method": "GET"}
            })
        })
        .collect();
    let loaded = admin.load_fixtures(&json!({ "exports": exports })).unwrap();
    assert_eq!(loaded[&ResourceKind::Exports], COUNT);
    let expected: Vec<String> = (0..COUNT).map(|index| format!("export-{index:05}")).collect();
    let minimum = COUNT.div_ceil(PAGE) as u64;

    for prefetch in [1_usize, 2, 4] {
        admin.reset_counters();
        let (mut config, _) = client_config(&handle.url(), TOKEN);
        config.prefetch_pages = prefetch;
        let client = Client::new(config).unwrap();
        let exports = client.list(Kind::Export).await.unwrap();
        let names: Vec<String> = exports.iter().map(|e| e.name.clone().unwrap()).collect();
        assert_eq!(names, expected, "prefetch {prefetch}: complete, in order, no duplicates");

        let stats = client.stats();
        let counters = admin.counters();
        let received = counters.route("GET", "/v1/exports");
        assert_eq!(stats.pages, minimum, "prefetch {prefetch}");
        // Speculation may ask for at most `prefetch - 1` pages past the end.
        let overshoot = prefetch as u64 - 1;
        assert!(
            (minimum..=minimum + overshoot).contains(&received),
            "prefetch {prefetch}: {received} requests for {minimum} pages"
        );
        assert_eq!(received, stats.sent.get, "prefetch {prefetch}: the two sides agree");
        assert_eq!(counters.requests_received, stats.requests());
        assert_eq!((stats.retries, stats.rate_limited), (0, 0));
    }

    // Several kinds at once with a wide window and few requests in flight: requests waiting
    // for a slot when their list ends are withdrawn, never sent, and the two sides still agree.
    let scripts: Vec<Value> = (0..300)
        .map(|index| json!({"name": format!("script-{index:03}"), "content": "x"}))
        .collect();
    let connections: Vec<Value> =
        (0..200).map(|index| http_connection(&format!("connection-{index:03}"), "pw")).collect();
    admin.load_fixtures(&json!({ "scripts": scripts, "connections": connections })).unwrap();
    admin.reset_counters();
    let (mut config, _) = client_config(&handle.url(), TOKEN);
    (config.prefetch_pages, config.max_in_flight) = (8, 4);
    let client = Client::new(config).unwrap();
    let live = client.list_kinds(&[Kind::Export, Kind::Script, Kind::Connection]).await.unwrap();
    assert_eq!(live.len(), COUNT + 500);
    let stats = client.stats();
    let minimum =
        (COUNT.div_ceil(PAGE) + 300_usize.div_ceil(PAGE) + 200_usize.div_ceil(PAGE)) as u64;
    assert_eq!(stats.pages, minimum);
    assert_eq!(admin.counters().requests_received, stats.sent.get);
    // When a list ends, at most 3 of the 4 slots hold its requests past the end; the rest of
    // its window (up to 7) was still waiting and is withdrawn.
    assert!(stats.sent.get <= minimum + 3 * 3, "{} for {minimum} pages", stats.sent.get);

    // A list that ends on its second page sends nothing past the end, whatever the prefetch:
    // the speculation window opens one page at a time.
    let flows: Vec<Value> =
        (0..10).map(|index| json!({"name": format!("flow-{index}"), "disabled": true})).collect();
    admin.load_fixtures(&json!({ "flows": flows })).unwrap();
    admin.reset_counters();
    let (mut config, _) = client_config(&handle.url(), TOKEN);
    config.prefetch_pages = 4;
    let client = Client::new(config).unwrap();
    assert_eq!(client.list(Kind::Flow).await.unwrap().len(), 10);
    assert_eq!(admin.counters().route("GET", "/v1/flows"), 2);
    assert_eq!(client.stats().sent.get, 2);

    // An empty collection answers 204, which is an empty list.
    admin.reset_counters();
    let (client, _) = fast_client(&handle);
    assert!(client.list(Kind::Import).await.unwrap().is_empty());
    assert_eq!(admin.counters().route("GET", "/v1/imports"), 1);
    assert_eq!(raw_request(&handle, "GET", "/v1/imports").await.0, 204);
}

// Projection.

#[tokio::test]
async fn include_projects_every_page_and_bad_field_names_never_reach_the_server() {
    let handle = emulator(EmulatorConfig { page_size: 50, ..EmulatorConfig::for_tests() }).await;
    let admin = handle.admin();
    let exports: Vec<Value> = (0..120)
        .map(|index| {
            json!({
                "name": format!("export-{index:03}"), "adaptorType": "HTTPExport",
                "_connectionId": "5f0000000000000000000001",
                "http": {"relativeURI": format!("/orders/{index}"), "method": "GET"},
                "mockOutput": {"page_of_records": [{"record": {"id": index}}]}
            })
        })
        .collect();
    admin.load_fixtures(&json!({ "exports": exports })).unwrap();
    let (client, _) = fast_client(&handle);

    let projected = client
        .list_projected(Kind::Export, &["_id", "name", "createdAt", "http.relativeURI"])
        .await
        .unwrap();
    assert_eq!(projected.len(), 120);
    for (index, export) in projected.iter().enumerate() {
        let document = export.document.as_object().unwrap();
        let mut keys: Vec<&str> = document.keys().map(String::as_str).collect();
        keys.sort_unstable();
        // `adaptorType` is always kept on exports; the link of every page kept the projection.
        assert_eq!(keys, ["_id", "adaptorType", "createdAt", "http", "name"], "item {index}");
        assert_eq!(
            json_of(&export.document)["http"],
            json!({"relativeURI": format!("/orders/{index}")})
        );
        assert!(export.created_at.is_some());
    }

    // Field names the API would refuse (400 `invalid_query_params`) are dropped by the client,
    // so the server never sees them: one pass over 3 pages (plus at most one speculative
    // request past the end), not a refused request followed by a fallback pass.
    admin.reset_counters();
    let before = client.stats();
    let projected =
        client.list_projected(Kind::Export, &["name", "bad-field", "a b", "x;y"]).await.unwrap();
    assert_eq!(projected.len(), 120);
    assert!(projected.iter().all(|export| export.document.field("_connectionId").is_none()));
    let (stats, received) = (client.stats(), admin.counters().route("GET", "/v1/exports"));
    assert_eq!(stats.pages - before.pages, 3);
    assert_eq!(received, stats.sent.get - before.sent.get);
    assert!((3..=4).contains(&received), "{received}");

    // What the client protects against: the emulator's 400 for such names, and for include
    // with exclude together.
    for query in ["include=bad-field", "include=name&exclude=http"] {
        let (status, body) = raw_request(&handle, "GET", &format!("/v1/exports?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["errors"][0]["code"], "invalid_query_params", "{query}");
    }
    // Projection is only for lists: GET by id ignores it and returns the whole document.
    let full = client.get(Kind::Export, &projected[0].id).await.unwrap();
    assert!(full.document.field("_connectionId").is_some());
}

// Masked secrets.

#[tokio::test]
async fn a_masked_get_body_is_never_sent_back_in_either_mask_mode() {
    for mode in [MaskMode::KeepOnMask, MaskMode::StoreLiteral] {
        let handle =
            emulator(EmulatorConfig { mask_mode: mode, ..EmulatorConfig::for_tests() }).await;
        let admin = handle.admin();
        let (client, _) = fast_client(&handle);
        let created = client
            .create(
                Kind::Connection,
                &http_connection("Shop API", "s3cret-password"),
                &HashSet::new(),
            )
            .await
            .unwrap();
        let id = created.resource.id.clone();
        assert_eq!(
            json_of(&created.resource.document)["http"]["auth"]["basic"]["password"],
            "******"
        );

        let mut body = json_of(&client.get(Kind::Connection, &id).await.unwrap().document);
        assert_eq!(body["http"]["auth"]["basic"]["password"], "******", "{mode:?}");
        body["name"] = json!("Shop API renamed");
        let refused = client.update(Kind::Connection, &id, &body).await.unwrap_err();
        match &refused {
            Error::MaskInBody { field, .. } => {
                assert_eq!(field, "http.auth.basic.password", "{mode:?}");
            }
            other => panic!("{mode:?}: expected MaskInBody, got {other}"),
        }
        assert!(refused.to_string().contains(&id), "the error names the path: {refused}");
        // Creating a copy from the GET body is refused the same way.
        let copy = client.create(Kind::Connection, &body, &HashSet::new()).await.unwrap_err();
        assert!(matches!(copy, Error::MaskInBody { .. }), "{mode:?}: {copy}");

        let counters = admin.counters();
        assert_eq!(counters.route("PUT", "/v1/connections/{id}"), 0, "{mode:?}: nothing sent");
        assert_eq!(counters.route("POST", "/v1/connections"), 1, "{mode:?}: only the first");
        let stored = admin.document(ResourceKind::Connections, &id).unwrap();
        assert_eq!(stored["http"]["auth"]["basic"]["password"], "s3cret-password", "{mode:?}");
        assert_eq!(stored["name"], "Shop API", "{mode:?}");
    }
}

// Dropped writes.

#[tokio::test]
async fn a_create_whose_response_is_dropped_is_recovered_with_its_id_and_not_duplicated() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (client, _) = fast_client(&handle);
    let none = HashSet::new();
    // Two integrations, and a flow of the same name already in each: one is a known resource
    // (excluded by the caller), the other lives in another integration.
    let first = client.create(Kind::Integration, &json!({"name": "A"}), &none).await.unwrap();
    let second = client.create(Kind::Integration, &json!({"name": "B"}), &none).await.unwrap();
    let flow_in = |integration: &str| json!({"name": "Nightly sync", "_integrationId": integration, "disabled": true});
    let elsewhere =
        client.create(Kind::Flow, &flow_in(&second.resource.id), &none).await.unwrap().resource;
    let known =
        client.create(Kind::Flow, &flow_in(&first.resource.id), &none).await.unwrap().resource;
    let known_ids = HashSet::from([known.id.clone()]);

    admin.set_faults(Faults { dropped_write_rate: 1.0, ..Faults::default() }).unwrap();
    let created = client.create(Kind::Flow, &flow_in(&first.resource.id), &known_ids).await;
    admin.set_faults(Faults::default()).unwrap();
    let created = created.unwrap();

    assert!(created.recovered);
    assert_ne!(created.resource.id, known.id);
    assert_ne!(created.resource.id, elsewhere.id);
    let counters = admin.counters();
    assert_eq!(counters.responses_dropped, 1);
    assert_eq!(counters.route("POST", "/v1/flows"), 3, "the create was sent once");
    let stored: Vec<Value> = admin
        .documents(ResourceKind::Flows)
        .into_iter()
        .filter(|flow| {
            flow["name"] == "Nightly sync" && flow["_integrationId"] == first.resource.id
        })
        .collect();
    assert_eq!(stored.len(), 2, "the known flow and exactly one new one");
    assert!(stored.iter().any(|flow| flow["_id"] == created.resource.id.as_str()));
    assert_eq!(
        json_of(&created.resource.document)["disabled"],
        true,
        "the full document was read back"
    );
    assert_eq!(client.stats().recovered_creates, 1);

    // A delete whose answer is lost is sent again; the 404 that follows means it is done.
    admin.set_faults(Faults { dropped_write_rate: 1.0, ..Faults::default() }).unwrap();
    let deleted = client.delete(Kind::Flow, &created.resource.id).await;
    admin.set_faults(Faults::default()).unwrap();
    deleted.unwrap();
    assert!(admin.document(ResourceKind::Flows, &created.resource.id).is_none());
    assert_eq!(admin.counters().route("DELETE", "/v1/flows/{id}"), 2);
}

// Server errors.

#[tokio::test]
async fn bursts_of_server_errors_on_reads_are_ridden_out_by_retries() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (mut config, _) = client_config(&handle.url(), TOKEN);
    config.retry = RetryPolicy { no_delay: true, max_retries: 8, ..RetryPolicy::default() };
    let client = Client::new(config).unwrap();
    let wired = wire(&client).await;

    admin.reset_counters();
    // With 30 % of requests failing, nine failures in a row (one request lost) has a chance of
    // 2e-5; the emulator's generator is seeded, so the sequence is the same on every run.
    admin.set_faults(Faults { server_error_rate: 0.3, ..Faults::default() }).unwrap();
    let before = client.stats();
    for round in 0..10 {
        for kind in Kind::ALL {
            let read = client.get(kind, id_of(&wired, kind)).await;
            assert!(read.is_ok(), "round {round}, {kind}: {}", read.unwrap_err());
        }
        assert_eq!(client.list(Kind::Flow).await.unwrap().len(), 1);
    }
    admin.set_faults(Faults::default()).unwrap();
    let stats = client.stats();
    let injected = admin.counters().server_errors_injected;
    assert!(injected > 0, "the burst happened");
    assert_eq!(stats.server_errors - before.server_errors, injected);
    assert_eq!(stats.retries - before.retries, injected, "one retry per 5xx");
    assert_eq!(stats.sent.get - before.sent.get, admin.counters().requests_received);

    // When every answer is a 5xx, the retries are bounded and the error says so.
    admin.reset_counters();
    admin.set_faults(Faults { server_error_rate: 1.0, ..Faults::default() }).unwrap();
    let error = client.get(Kind::Flow, &wired.flow).await.unwrap_err();
    admin.set_faults(Faults::default()).unwrap();
    assert!(matches!(error, Error::RetriesExhausted { attempts: 9, .. }), "{error}");
    assert!(error.is_retryable());
    assert!(matches!(error.status(), Some(500 | 502 | 503)), "{error}");
    assert_eq!(admin.counters().requests_received, 9);
}

// Forced 429s.

#[tokio::test]
async fn forced_429s_are_waited_out_for_at_least_retry_after_and_counted() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    // The recording sleeper: the waits are checked, not spent.
    let (client, sleeper) = crate::support::client(&handle.url(), TOKEN);

    // The admin's next three answers are 429 with `Retry-After: 1`.
    admin.force_429(3);
    let info = client.whoami().await.unwrap();
    assert!(info.user_id.is_some());
    assert_eq!(client.stats().rate_limited, 3);
    assert_eq!(admin.counters().rate_limited, 3);
    let long_waits = sleeper.waits().iter().filter(|wait| **wait >= Duration::from_secs(1)).count();
    assert!(long_waits >= 3, "{:?}", sleeper.waits());
    // The budget lowered its rate after the 429s (AIMD) and holds it for a while.
    assert!(client.stats().current_rate_per_second < client.config().rate.per_second);

    // Deterministic bursts: of every 5 requests the last 2 get 429 with `Retry-After: 3`.
    let handle = emulator(EmulatorConfig {
        faults: Faults {
            forced_429: Some(Forced429 { every: 5, burst: 2, retry_after_seconds: 3 }),
            ..Faults::default()
        },
        ..EmulatorConfig::for_tests()
    })
    .await;
    let (client, sleeper) = crate::support::client(&handle.url(), TOKEN);
    for _ in 0..12 {
        assert!(client.list(Kind::Flow).await.unwrap().is_empty());
    }
    // Requests 4-5, 9-10 and 14-15 of the 18 it took.
    let forced = handle.admin().counters().rate_limited;
    assert_eq!(forced, 6);
    assert_eq!(handle.admin().counters().requests_received, 18);
    assert_eq!(client.stats().rate_limited, forced);
    assert_eq!(client.stats().retries, forced);
    // Every 429 was followed by a wait of at least its `Retry-After` (plus at most 250 ms of
    // jitter); the budget's shared pause may add shorter waits of its own.
    let retry_after_waits: Vec<Duration> =
        sleeper.waits().into_iter().filter(|wait| *wait >= Duration::from_secs(3)).collect();
    assert!(retry_after_waits.len() as u64 >= forced, "{:?}", sleeper.waits());
    assert!(retry_after_waits.iter().all(|wait| *wait <= Duration::from_millis(3_250)));
}

// The real rate limit.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_hundred_concurrent_creates_under_the_real_rate_limit_receive_no_429() {
    const CREATES: usize = 1_200;
    // The service's limit: a 1,000 bucket refilled at 300/s.
    let handle = emulator(EmulatorConfig { admin: true, ..EmulatorConfig::default() }).await;
    let admin = handle.admin();
    // The default budget (900 burst, 290/s) with real sleeping: 300 creates past the burst take
    // about a second of refill.
    let mut config =
        ClientConfig::new(Endpoint::parse(&handle.url()).unwrap(), SecretString::from(TOKEN));
    config.retry = RetryPolicy::default();
    config.sleeper = Arc::new(TokioSleeper);
    let client = Client::new(config).unwrap();
    let tasks: Vec<_> = (0..CREATES)
        .map(|index| {
            let client = client.clone();
            tokio::spawn(async move {
                let body = json!({"name": format!("hook-{index:04}"), "content": "x"});
                client.create(Kind::Script, &body, &HashSet::new()).await
            })
        })
        .collect();
    for task in tasks {
        let created = task.await.unwrap().unwrap();
        assert!(!created.recovered);
    }
    let counters = admin.counters();
    assert_eq!(counters.rate_limited, 0, "the server never answered 429");
    assert_eq!(client.stats().rate_limited, 0);
    assert_eq!(counters.route("POST", "/v1/scripts"), CREATES as u64);
    assert_eq!(admin.count(ResourceKind::Scripts), CREATES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_above_the_server_limit_backs_off_on_real_429s_and_creates_no_duplicate() {
    // A server far stricter than the client believes: 20 burst, 500/s, against a client budget
    // of 80 burst at 2,000/s. The 429s it causes are waited out (Retry-After, then a halved
    // rate) and resent; a 429 means nothing was done, so no recovery search and no duplicate.
    let handle = emulator(EmulatorConfig {
        rate_limit: Some(flowform_emulator::RateLimit { capacity: 20, refill_per_second: 500 }),
        ..EmulatorConfig::for_tests()
    })
    .await;
    let admin = handle.admin();
    let mut config =
        ClientConfig::new(Endpoint::parse(&handle.url()).unwrap(), SecretString::from(TOKEN));
    config.retry = RetryPolicy::default();
    config.rate = flowform_api::RateLimit { burst: 80, per_second: 2_000.0, ..Default::default() };
    config.sleeper = Arc::new(TokioSleeper);
    let client = Client::new(config).unwrap();
    let tasks: Vec<_> = (0..80)
        .map(|index| {
            let client = client.clone();
            tokio::spawn(async move {
                let body = json!({"name": format!("hook-{index:02}"), "content": "x"});
                client.create(Kind::Script, &body, &HashSet::new()).await
            })
        })
        .collect();
    for task in tasks {
        assert!(!task.await.unwrap().unwrap().recovered);
    }
    let (stats, counters) = (client.stats(), admin.counters());
    assert!(stats.rate_limited > 0, "the server did refuse some");
    assert_eq!(stats.rate_limited, counters.rate_limited);
    assert_eq!(stats.sent.post, counters.route("POST", "/v1/scripts"));
    assert_eq!(stats.sent.get, 0, "a 429 is never ambiguous: no recovery search");
    assert!(stats.current_rate_per_second < 2_000.0, "the rate was lowered: {stats:?}");
    assert_eq!(admin.count(ResourceKind::Scripts), 80, "every create landed exactly once");
}

// Clones.

#[tokio::test]
async fn clones_are_understood_in_both_response_shapes() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (client, _) = fast_client(&handle);
    let wired = wire(&client).await;
    let request = json!({
        "name": "Orders to ERP (copy)", "_integrationId": wired.integration,
        "connectionMap": {wired.connection.clone(): wired.connection.clone()}
    });

    admin.set_clone_response(CloneResponse::Document);
    let cloned = client.clone_resource(Kind::Flow, &wired.flow, &request).await.unwrap();
    let document = cloned.resource.as_ref().expect("the document shape carries the clone");
    assert_eq!(document.id, cloned.id);
    assert_eq!(document.name.as_deref(), Some("Orders to ERP (copy)"));
    assert!(cloned.manifest.is_empty());
    let stored = admin.document(ResourceKind::Flows, &cloned.id).unwrap();
    assert_eq!(stored["_sourceId"], wired.flow.as_str());

    admin.set_clone_response(CloneResponse::Manifest);
    let cloned = client.clone_resource(Kind::Flow, &wired.flow, &request).await.unwrap();
    assert!(cloned.resource.is_none());
    let models: Vec<&str> = cloned.manifest.iter().map(|entry| entry.model.as_str()).collect();
    assert_eq!(models, ["Flow", "Export", "Import"]);
    assert_eq!(cloned.id, cloned.manifest[0].id, "the primary id is the flow's");
    let stored = admin.document(ResourceKind::Flows, &cloned.id).unwrap();
    assert_eq!(stored["_sourceId"], wired.flow.as_str());
    for entry in &cloned.manifest[1..] {
        let kind = if entry.model == "Export" { Kind::Export } else { Kind::Import };
        let step = client.get(kind, &entry.id).await.unwrap();
        assert_eq!(step.name, entry.name);
    }
    // An export clone in the manifest shape names the export first.
    let cloned_export = client
        .clone_resource(Kind::Export, &wired.export, &json!({"name": "Get orders (copy)"}))
        .await
        .unwrap();
    assert_eq!(cloned_export.manifest[0].model, "Export");

    // A flow that uses connections needs a connectionMap: 400 `invalid_connectionMap`.
    let error = client
        .clone_resource(Kind::Flow, &wired.flow, &json!({"_integrationId": wired.integration}))
        .await
        .unwrap_err();
    match &error {
        Error::Api { status: 400, errors, path, .. } => {
            assert_eq!(errors[0].code.as_deref(), Some("invalid_connectionMap"), "{error}");
            assert_eq!(path, &format!("/v1/flows/{}/clone", wired.flow));
        }
        other => panic!("expected a 400, got {other}"),
    }
    assert!(error.to_string().contains("invalid_connectionMap"), "{error}");
    assert_eq!(admin.counters().route("POST", "/v1/flows/{id}/clone"), 3);
}

// Runs and jobs.

#[tokio::test]
async fn runs_are_followed_to_every_job_outcome_and_a_disabled_flow_is_refused() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (client, _) = fast_client(&handle);
    let wired = wire(&client).await;
    let timeout = Duration::from_secs(30);

    let outcomes = [
        (JobOutcome::Success, JobStatus::Completed, Some(0)),
        (JobOutcome::CompletedWithErrors(3), JobStatus::Completed, Some(3)),
        (JobOutcome::Failed, JobStatus::Failed, None),
    ];
    for (outcome, status, errors) in outcomes {
        admin.set_job_outcome(outcome);
        let job_id = client.run_flow(&wired.flow, None).await.unwrap();
        let job = client.wait_for_job(&job_id, timeout).await.unwrap();
        assert_eq!(job.id, job_id);
        assert_eq!(job.status, status, "{outcome:?}");
        if let Some(errors) = errors {
            assert_eq!(job.num_error, errors, "{outcome:?}");
        } else {
            assert!(job.num_error > 0, "{outcome:?}");
        }
        assert_eq!(job.document["_flowId"], wired.flow.as_str());
        // The errors live on the step jobs that had them; every one is listed once.
        let family = client.job_family(&job_id).await.unwrap();
        assert_eq!(family.job.id, job_id);
        assert!(!family.children.is_empty(), "{family:?}");
        let mut listed = 0;
        for holder in std::iter::once(&family.job).chain(&family.children) {
            let errors = client.job_errors(&holder.id).await.unwrap();
            assert!(errors.iter().all(|error| error.job_id == holder.id), "{errors:?}");
            assert!(errors.iter().all(|error| !error.message.is_empty()), "{errors:?}");
            listed += errors.len() as u64;
        }
        let expected: u64 = family.children.iter().map(|child| child.num_error).sum();
        assert_eq!(listed, expected, "{outcome:?}");
    }
    // A canceled job (the client has no cancel call; flowform never cancels runs).
    admin.set_job_outcome(JobOutcome::Success);
    let job_id = client.run_flow(&wired.flow, Some(&json!({"_exportIds": [wired.export]}))).await;
    let job_id = job_id.unwrap();
    let (status, body) = raw_request(&handle, "PUT", &format!("/v1/jobs/{job_id}/cancel")).await;
    assert!((200..300).contains(&status), "{status}: {body}");
    let job = client.wait_for_job(&job_id, timeout).await.unwrap();
    assert_eq!(job.status, JobStatus::Canceled);
    let latest = client.latest_jobs(&wired.flow).await.unwrap();
    assert!(latest.iter().any(|job| job.id == job_id), "{latest:?}");

    // Running a disabled flow: 422 `inactive_flow`.
    client
        .patch(
            Kind::Flow,
            &wired.flow,
            &[PatchOp::Replace { path: "/disabled".into(), value: json!(true) }],
        )
        .await
        .unwrap();
    let error = client.run_flow(&wired.flow, None).await.unwrap_err();
    assert_eq!(error.status(), Some(422), "{error}");
    assert_eq!(error.api_errors()[0].code.as_deref(), Some("inactive_flow"));
    assert!(!matches!(error, Error::AmbiguousWrite { .. }), "a 422 is not ambiguous: {error}");
}

// State API, referenced deletes, 401.

#[tokio::test]
async fn the_state_api_with_its_uneven_status_codes() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (client, _) = fast_client(&handle);
    let global = StateScope::Global;

    assert_eq!(client.state_keys(&global).await.unwrap(), Vec::<String>::new(), "204 → no keys");
    assert_eq!(client.state_get(&global, "flowform/lock").await.unwrap(), None, "404 → None");
    let value = json!({"holder": "ci", "nonce": 7, "tags": ["a", "b"]});
    client.state_put(&global, "flowform/lock", &value).await.unwrap(); // 200, text `OK`
    client.state_put(&global, "plain key", &json!("text")).await.unwrap();
    assert_eq!(admin.state_value("flowform/lock"), Some(value.clone()));
    assert_eq!(client.state_get(&global, "flowform/lock").await.unwrap(), Some(value));
    assert_eq!(client.state_get(&global, "plain key").await.unwrap(), Some(json!("text")));
    let mut keys = client.state_keys(&global).await.unwrap();
    keys.sort();
    assert_eq!(keys, ["flowform/lock", "plain key"]);
    // Keys are one path segment whatever they hold.
    client.state_put(&global, "50% done? #1", &json!(null)).await.unwrap();
    assert_eq!(client.state_get(&global, "50% done? #1").await.unwrap(), Some(json!(null)));
    assert_eq!(admin.state_value("50% done? #1"), Some(json!(null)));
    client.state_delete(&global, "50% done? #1").await.unwrap();
    client.state_delete(&global, "flowform/lock").await.unwrap(); // 204
    client.state_delete(&global, "plain key").await.unwrap();
    assert!(client.state_keys(&global).await.unwrap().is_empty());
    // The codes and bodies the client just coped with, as the server sent them.
    assert_eq!(raw_request(&handle, "PUT", "/v1/state/probe").await, (200, "OK".to_owned()));
    assert_eq!(raw_request(&handle, "DELETE", "/v1/state/probe").await, (204, String::new()));
    assert_eq!(raw_request(&handle, "GET", "/v1/state").await, (204, String::new()));
    let missing = client.state_delete(&global, "plain key").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");

    // Keys under a resource: first PUT answers `Created`, later ones `OK`, DELETE 200, and an
    // empty listing is a 200 with no keys.
    let integration = client
        .create(Kind::Integration, &json!({"name": "Stateful"}), &HashSet::new())
        .await
        .unwrap()
        .resource;
    let scoped = StateScope::Resource { kind: Kind::Integration, id: integration.id.clone() };
    assert!(client.state_keys(&scoped).await.unwrap().is_empty());
    client.state_put(&scoped, "cursor", &json!(1)).await.unwrap();
    client.state_put(&scoped, "cursor", &json!(2)).await.unwrap();
    assert_eq!(client.state_get(&scoped, "cursor").await.unwrap(), Some(json!(2)));
    assert_eq!(client.state_keys(&scoped).await.unwrap(), ["cursor"]);
    assert!(client.state_keys(&global).await.unwrap().is_empty(), "scoped keys stay scoped");
    client.state_delete(&scoped, "cursor").await.unwrap();
    assert_eq!(client.state_get(&scoped, "cursor").await.unwrap(), None);
}

#[tokio::test]
async fn deleting_a_referenced_resource_names_its_dependents() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (client, _) = fast_client(&handle);
    let wired = wire(&client).await;

    let dependencies = client.dependencies(Kind::Connection, &wired.connection).await.unwrap();
    let dependents: HashSet<(&str, &str)> =
        dependencies.iter().map(|(kind, dependent)| (kind, dependent.id.as_str())).collect();
    assert_eq!(
        dependents,
        HashSet::from([("exports", wired.export.as_str()), ("imports", wired.import.as_str())])
    );
    assert!(client.dependencies(Kind::Flow, &wired.flow).await.unwrap().is_empty());

    let error = client.delete(Kind::Connection, &wired.connection).await.unwrap_err();
    match &error {
        Error::Api { status: 422, errors, .. } => {
            assert_eq!(errors[0].code.as_deref(), Some("resource_in_use"));
            for dependent in [&wired.export, &wired.import] {
                assert!(errors[0].message.contains(dependent.as_str()), "{error}");
            }
        }
        other => panic!("expected 422, got {other}"),
    }
    let text = error.to_string();
    assert!(text.contains(&format!("/v1/connections/{}", wired.connection)), "{text}");
    assert!(text.contains("Get orders") && text.contains("Post orders"), "{text}");
    assert!(!error.is_retryable());
    assert_eq!(admin.counters().route("DELETE", "/v1/connections/{id}"), 1, "never retried");
    assert!(admin.document(ResourceKind::Connections, &wired.connection).is_some());
}

#[tokio::test]
async fn a_rejected_token_names_the_endpoint_and_never_shows_the_token() {
    const BAD_TOKEN: &str = "bad-token-8f14e45fceea167a5a36dedd4bea2543";
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let admin = handle.admin();
    let (client, _) = crate::support::client(&handle.url(), BAD_TOKEN);

    let error = client.whoami().await.unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    assert_eq!(error.status(), Some(401));
    let text = chain(&error);
    assert!(text.contains("/v1/tokenInfo"), "{text}");
    assert!(text.contains(&handle.url()), "names the endpoint: {text}");
    assert!(text.contains("Bearer Authentication Failed"), "{text}");
    assert!(!text.contains(BAD_TOKEN), "{text}");

    let error = client.list(Kind::Flow).await.unwrap_err();
    let text = chain(&error);
    assert!(error.is_unauthorized() && text.contains("/v1/flows"), "{text}");
    assert!(!text.contains(BAD_TOKEN), "{text}");
    let error = client
        .create(Kind::Script, &json!({"name": "x", "content": "y"}), &HashSet::new())
        .await
        .unwrap_err();
    assert!(error.is_unauthorized() && !chain(&error).contains(BAD_TOKEN), "{error}");
    // A 401 is final: never retried, never followed by a recovery search.
    assert_eq!(admin.counters().unauthenticated, 3);
    assert_eq!(admin.count(ResourceKind::Scripts), 0);
}
