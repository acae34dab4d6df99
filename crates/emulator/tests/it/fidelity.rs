//! Every fidelity behaviour, shown over HTTP: each scenario says whether the behaviour was
//! observed; [`shows`] runs it on an emulator with the catalogue's defaults plus the behaviour
//! (it must be observed) and with the defaults minus the behaviour (it must not be). A test
//! fails when its behaviour is switched off, and `every_behaviour_has_a_test` fails when a new
//! behaviour has no test.

use std::future::Future;

use flowform_emulator::{Behaviour, EmulatorConfig, Fidelity, ResourceKind};
use serde_json::{Value, json};

use crate::support::{Client, emulator, http_connection, wired_flow};

/// Runs `scenario` with `behaviour` on, then off, on fresh emulators.
async fn shows<F, Fut>(behaviour: Behaviour, scenario: F)
where
    F: Fn(Client) -> Fut,
    Fut: Future<Output = bool>,
{
    for on in [true, false] {
        let fidelity = Fidelity::default().set(behaviour, on);
        let handle = emulator(EmulatorConfig { fidelity, ..EmulatorConfig::for_tests() }).await;
        let observed = scenario(Client::sandbox(&handle)).await;
        assert_eq!(observed, on, "`{behaviour}` switched {}", if on { "on" } else { "off" });
    }
}

async fn created(client: &Client, collection: &str, body: Value) -> Value {
    let response = client.post(&format!("/v1/{collection}"), body).await;
    assert_eq!(response.status, 201, "create {collection}: {}", response.text());
    let id = response.id();
    client.get(&format!("/v1/{collection}/{id}")).await.json()
}

async fn connection(client: &Client) -> String {
    client.create("connections", http_connection("API", "secret")).await
}

async fn http_export(client: &Client) -> Value {
    let connection = connection(client).await;
    created(client, "exports", json!({"name": "Get", "adaptorType": "HTTPExport", "_connectionId": connection, "http": {"relativeURI": "/orders", "method": "GET"}})).await
}

async fn http_import(client: &Client, http: Value) -> Value {
    let connection = connection(client).await;
    created(
        client,
        "imports",
        json!({"name": "Post", "adaptorType": "HTTPImport", "_connectionId": connection, "http": http}),
    )
    .await
}

async fn flow_with(client: &Client, shape: impl FnOnce(&str, &str) -> Value) -> Value {
    let connection = connection(client).await;
    let export = client
        .create(
            "exports",
            json!({"name": "Get", "adaptorType": "HTTPExport", "_connectionId": connection}),
        )
        .await;
    let import = client
        .create(
            "imports",
            json!({"name": "Post", "adaptorType": "HTTPImport", "_connectionId": connection}),
        )
        .await;
    created(client, "flows", shape(&export, &import)).await
}

fn is_short_id(value: &Value) -> bool {
    value.as_str().is_some_and(|id| id.len() == 11 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
}

// --- Fields the service adds that nobody sent -----------------------------------------------

async fn flow_trace_keys(client: Client) -> bool {
    created(&client, "flows", json!({"name": "f"})).await["autoResolveMatchingTraceKeys"]
        == json!(true)
}

async fn flow_skip_retries(client: Client) -> bool {
    created(&client, "flows", json!({"name": "f"})).await["skipRetries"] == json!(false)
}

async fn page_generator_skip_retries(client: Client) -> bool {
    let flow = flow_with(
        &client,
        |export, _| json!({"name": "f", "pageGenerators": [{"_exportId": export}]}),
    )
    .await;
    flow["pageGenerators"][0]["skipRetries"] == json!(false)
}

async fn page_generator_id(client: Client) -> bool {
    let flow = flow_with(
        &client,
        |export, _| json!({"name": "f", "pageGenerators": [{"_exportId": export}]}),
    )
    .await;
    flow["pageGenerators"][0]["_id"].as_str().is_some_and(|id| id.len() == 24)
}

async fn page_processor_response_mapping(client: Client) -> bool {
    let empty = json!({"fields": [], "lists": []});
    let linear = flow_with(&client, |export, import| {
        json!({"name": "f", "pageGenerators": [{"_exportId": export}], "pageProcessors": [{"type": "import", "_importId": import}]})
    })
    .await;
    let branched = flow_with(&client, |export, import| {
        json!({"name": "b", "pageGenerators": [{"_exportId": export}],
               "routers": [{"branches": [{"name": "All", "pageProcessors": [{"type": "import", "_importId": import}]}]}]})
    })
    .await;
    let top = linear["pageProcessors"][0]["responseMapping"] == empty;
    let inside =
        branched["routers"][0]["branches"][0]["pageProcessors"][0]["responseMapping"] == empty;
    assert_eq!(top, inside, "top-level and branch processors are treated alike");
    top
}

async fn router_id(client: Client) -> bool {
    let flow = created(
        &client,
        "flows",
        json!({"name": "f", "routers": [{"branches": [{"name": "All"}]}]}),
    )
    .await;
    is_short_id(&flow["routers"][0]["id"])
}

async fn branch_id(client: Client) -> bool {
    let flow = created(
        &client,
        "flows",
        json!({"name": "f", "routers": [{"id": "r1", "branches": [{"name": "All"}]}]}),
    )
    .await;
    is_short_id(&flow["routers"][0]["branches"][0]["branchId"])
}

async fn connection_queues(client: Client) -> bool {
    let response = client.post("/v1/connections", http_connection("c", "p")).await;
    let id = response.id();
    let body = client.get(&format!("/v1/connections/{id}")).await.json();
    body["queues"] == json!([{"name": id, "size": 0}])
}

async fn connection_empty_arrays(client: Client) -> bool {
    let rest = created(&client, "connections", json!({"name": "Slack", "type": "rest", "rest": {"baseURI": "https://slack.com/api", "authType": "token", "bearerToken": "t"}})).await;
    let http = created(&client, "connections", json!({"name": "Shop", "type": "http", "http": {"baseURI": "https://x", "auth": {"type": "token", "token": {"token": "t"}}, "ping": {"relativeURI": "/me"}}})).await;
    let empty = json!([]);
    let observed = [
        &rest["rest"]["encryptedFields"],
        &rest["rest"]["unencryptedFields"],
        &rest["rest"]["scope"],
        &http["http"]["encryptedFields"],
        &http["http"]["auth"]["oauth"]["scope"],
        &http["http"]["ping"]["failValues"],
        &http["http"]["ping"]["successValues"],
    ];
    let all = observed.iter().all(|value| **value == empty);
    let none = observed.iter().all(|value| value.is_null());
    assert!(all || none, "all or none: {rest} {http}");
    all
}

async fn step_api_identifier(client: Client) -> bool {
    let export = http_export(&client).await;
    let import = http_import(&client, json!({"relativeURI": "/x"})).await;
    let shaped = |value: &Value, prefix: char| {
        value.as_str().is_some_and(|text| {
            text.len() == 10
                && text.starts_with(prefix)
                && text[1..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
    };
    shaped(&export["apiIdentifier"], 'e') && shaped(&import["apiIdentifier"], 'i')
}

async fn export_asynchronous(client: Client) -> bool {
    let connection = connection(&client).await;
    let export = created(&client, "exports", json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": connection, "asynchronous": false})).await;
    export["asynchronous"] == json!(true)
}

async fn step_one_to_many(client: Client) -> bool {
    http_export(&client).await["oneToMany"] == json!(false)
}

async fn step_parsers(client: Client) -> bool {
    http_export(&client).await["parsers"] == json!([])
}

async fn import_lookups(client: Client) -> bool {
    http_import(&client, json!({"relativeURI": "/x"})).await["lookups"] == json!([])
}

async fn import_ignore_flags(client: Client) -> bool {
    let import = http_import(&client, json!({"relativeURI": "/x"})).await;
    import["ignoreExisting"] == json!(false) && import["ignoreMissing"] == json!(false)
}

async fn import_distributed(client: Client) -> bool {
    let http = http_import(&client, json!({"relativeURI": "/x"})).await;
    let netsuite = client.create("connections", json!({"name": "NS", "type": "netsuite", "netsuite": {"authType": "token-auto", "account": "TSTDRV1"}})).await;
    let distributed = created(&client, "imports", json!({"name": "NS", "adaptorType": "NetSuiteDistributedImport", "_connectionId": netsuite, "netsuite_da": {"operation": "add", "recordType": "customer"}})).await;
    http["distributed"] == json!(false) && distributed["distributed"] == json!(true)
}

async fn http_step_defaults(client: Client) -> bool {
    let export = http_export(&client).await;
    let import = http_import(&client, json!({"relativeURI": "/x"})).await;
    export["http"]["formType"] == json!("http")
        && export["http"]["isRest"] == json!(false)
        && export["http"]["sendAuthForFileDownloads"] == json!(false)
        && export["http"]["response"]["twoDArray"]
            == json!({"doNotNormalize": false, "hasHeader": false})
        && import["http"]["formType"] == json!("http")
        && import["http"]["batchSize"] == json!(1)
        && import["http"]["sendPostMappedData"] == json!(true)
}

async fn integration_arrays(client: Client) -> bool {
    let integration =
        created(&client, "integrations", json!({"name": "I", "description": "d"})).await;
    [
        "install",
        "_registeredLookupCacheIds",
        "installSteps",
        "uninstallSteps",
        "changeEditionSteps",
        "flowGroupings",
        "apiGroupings",
    ]
    .iter()
    .all(|field| integration[*field] == json!([]))
}

async fn legacy_sandbox_flag(client: Client) -> bool {
    let connection = created(&client, "connections", http_connection("c", "p")).await;
    let script =
        created(&client, "scripts", json!({"name": "s", "content": "function f() {}"})).await;
    connection["sandbox"] == json!(false) && script["sandbox"] == json!(false)
}

async fn script_child_record_hook(client: Client) -> bool {
    let script =
        created(&client, "scripts", json!({"name": "s", "content": "function f() {}"})).await;
    script["postResponseHookToProcessOnChildRecord"] == json!(false)
}

async fn salesforce_defaults(client: Client) -> bool {
    let connection = created(&client, "connections", json!({"name": "SF", "type": "salesforce", "salesforce": {"baseURI": "https://example.my.salesforce.com"}})).await;
    connection["salesforce"]["oauth2FlowType"] == json!("refreshToken")
        && connection["salesforce"]["sandbox"] == json!(false)
}

async fn flow_free_on_copies(client: Client) -> bool {
    let wired = wired_flow(&client).await;
    let original = client.get(&format!("/v1/flows/{}", wired.flow)).await.json();
    assert!(original.get("free").is_none(), "only copies carry `free`: {original}");
    let clone = client
        .post(&format!("/v1/flows/{}/clone", wired.flow), json!({"_integrationId": wired.integration, "connectionMap": {wired.connection.clone(): wired.connection.clone()}}))
        .await;
    assert_eq!(clone.status, 201, "{}", clone.text());
    clone.json()["free"] == json!(false)
}

// --- Values the service rewrites ------------------------------------------------------------

async fn http_import_arrays(client: Client) -> bool {
    let import = http_import(
        &client,
        json!({"method": "POST", "relativeURI": "/dump", "response": {"resourceIdPath": "id"}}),
    )
    .await;
    let http = &import["http"];
    let arrays = http["method"] == json!(["POST"])
        && http["relativeURI"] == json!(["/dump"])
        && http["body"] == json!([])
        && http["response"]["resourceIdPath"] == json!(["id"]);
    let scalars = http["method"] == json!("POST") && http.get("body").is_none();
    assert!(arrays || scalars, "{import}");
    // Exports keep strings (service-behaviours.md §2).
    assert_eq!(http_export(&client).await["http"]["method"], json!("GET"));
    arrays
}

async fn expression_rules_twice(client: Client) -> bool {
    let rules = json!(["equals", ["extract", "country"], "US"]);
    let import = http_import(&client, json!({"relativeURI": "/x"})).await;
    let id = import["_id"].as_str().unwrap_or_default().to_owned();
    let mut changed = import.clone();
    changed["filter"] = json!({"type": "expression", "expression": {"rules": rules.clone()}});
    let body = client.put(&format!("/v1/imports/{id}"), changed).await.json();
    body["filter"]
        == json!({"type": "expression", "expression": {"rules": rules, "version": "1"}, "rules": rules, "version": "1"})
}

async fn case_rewrites(client: Client) -> bool {
    let connection = created(&client, "connections", json!({"name": "NS", "type": "netsuite", "netsuite": {"authType": "Token-Auto", "account": "tstdrv123"}})).await;
    connection["netsuite"]["account"] == json!("TSTDRV123")
        && connection["netsuite"]["authType"] == json!("token-auto")
}

async fn string_field_casts(client: Client) -> bool {
    let connection = created(&client, "connections", json!({"name": "NS", "type": "netsuite", "netsuite": {"authType": "token", "account": "TSTDRV1", "roleId": 3, "entityId": 141286}})).await;
    connection["netsuite"]["roleId"] == json!("3")
        && connection["netsuite"]["entityId"] == json!("141286")
}

async fn concurrency_clamp(client: Client) -> bool {
    let connection = created(&client, "connections", json!({"name": "c", "type": "http", "http": {"baseURI": "https://x", "concurrencyLevel": 999, "targetConcurrencyLevel": 0}})).await;
    connection["http"]["concurrencyLevel"] == json!(25)
        && connection["http"]["targetConcurrencyLevel"] == json!(1)
}

async fn netsuite_wsdl_version(client: Client) -> bool {
    let connection = created(&client, "connections", json!({"name": "NS", "type": "netsuite", "netsuite": {"authType": "token-auto", "account": "TSTDRV1", "wsdlVersion": "2023.1"}})).await;
    connection["netsuite"]["wsdlVersion"] == json!("next")
}

async fn read_only_dropped(client: Client) -> bool {
    let connection = created(&client, "connections", json!({"name": "NS", "type": "netsuite", "netsuite": {"authType": "token-auto", "account": "TSTDRV1", "useSsoLogin": true, "concurrencyLevelRESTlet": 3}})).await;
    connection["netsuite"].get("useSsoLogin").is_none()
        && connection["netsuite"].get("concurrencyLevelRESTlet").is_none()
}

async fn nulls_dropped(client: Client) -> bool {
    let connection = connection(&client).await;
    let export = created(
        &client,
        "exports",
        json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": connection,
        "hooks": {"preSavePage": {"_scriptId": null, "function": null}}, "description": null}),
    )
    .await;
    export.get("hooks").is_none() && export.get("description").is_none()
}

async fn empty_file_lookups_dropped(client: Client) -> bool {
    let connection = client.create("connections", json!({"name": "FTP", "type": "ftp", "ftp": {"hostURI": "ftp.example.com", "username": "u", "password": "p"}})).await;
    let import = created(
        &client,
        "imports",
        json!({"name": "Upload", "adaptorType": "FTPImport", "_connectionId": connection,
        "file": {"type": "csv", "lookups": []}, "ftp": {"directoryPath": "/in"}}),
    )
    .await;
    import["file"].get("lookups").is_none()
}

// --- Secrets --------------------------------------------------------------------------------

async fn credential_object_masked(client: Client) -> bool {
    let connection = created(&client, "connections", json!({"name": "c", "type": "http", "http": {"baseURI": "https://x", "encrypted": {"apiKey": "k-1", "signingKey": "k-2"}}})).await;
    let encrypted = &connection["http"]["encrypted"];
    if *encrypted == json!({"apiKey": "******", "signingKey": "******"}) {
        return false;
    }
    assert_eq!(*encrypted, json!("******"), "{connection}");
    true
}

async fn server_managed_tokens(client: Client) -> bool {
    let id = client.create("connections", json!({"name": "NS", "type": "netsuite", "netsuite": {"authType": "token-auto", "account": "TSTDRV1", "tokenId": "sent-by-client", "tokenSecret": "sent-too"}})).await;
    let admin_document = |client: &Client, id: &str| {
        let client = client.clone();
        let id = id.to_owned();
        async move { client.get(&format!("/admin/documents/connections/{id}")).await.json() }
    };
    let stored = admin_document(&client, &id).await;
    let taken_from_client = stored["netsuite"]["tokenId"] == json!("sent-by-client");
    // The service completes the authorization; a PUT that omits the tokens keeps them.
    let authorized = client.post(&format!("/admin/connections/{id}/authorize"), json!({})).await;
    assert_eq!(authorized.status, 200, "{}", authorized.text());
    let path = format!("/v1/connections/{id}");
    let mut body = client.get(&path).await.json();
    assert_eq!(body["netsuite"]["tokenId"], "******");
    body["netsuite"].as_object_mut().map(|netsuite| netsuite.remove("tokenId"));
    body["netsuite"].as_object_mut().map(|netsuite| netsuite.remove("tokenSecret"));
    body["name"] = json!("NetSuite");
    assert_eq!(client.put(&path, body).await.status, 200);
    let kept = admin_document(&client, &id).await["netsuite"]["tokenId"]
        .as_str()
        .is_some_and(|token| token.starts_with("service-token-"));
    assert_eq!(kept, !taken_from_client, "kept on PUT exactly when not client-settable");
    !taken_from_client
}

async fn sample_header_masks(client: Client) -> bool {
    let export = created(&client, "exports", json!({"name": "Receiver", "adaptorType": "WebhookExport", "webhook": {"provider": "custom"},
        "sampleHeaders": [{"name": "host", "value": "hooks.example.com"}, {"name": "x-celigo-signature", "value": "abc"}]})).await;
    let values: Vec<&Value> = export["sampleHeaders"]
        .as_array()
        .map(|headers| headers.iter().map(|header| &header["value"]).collect())
        .unwrap_or_default();
    values.iter().all(|value| **value == json!("****"))
}

// --- Structure and lists --------------------------------------------------------------------

async fn routers_exclude_page_processors(client: Client) -> bool {
    let response = client
        .post("/v1/flows", json!({"name": "f", "pageProcessors": [], "routers": [{"id": "r", "branches": [{"name": "All"}]}]}))
        .await;
    if response.status == 201 {
        return false;
    }
    assert_eq!(response.status, 422, "{}", response.text());
    let message = response.json()["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert_eq!(message, "\"pageProcessors\" is not allowed when \"routers\" is present");
    true
}

async fn lists_sorted_by_name(client: Client) -> bool {
    for name in ["b flow", "DF #1", "a flow", "/getCustomer", "a flow"] {
        client.create("flows", json!({"name": name})).await;
    }
    let listed = client.get("/v1/flows").await.json();
    let names: Vec<&str> = listed
        .as_array()
        .map(|flows| flows.iter().filter_map(|flow| flow["name"].as_str()).collect())
        .unwrap_or_default();
    let ids: Vec<&str> = listed
        .as_array()
        .map(|flows| flows.iter().filter_map(|flow| flow["_id"].as_str()).collect())
        .unwrap_or_default();
    if names == ["b flow", "DF #1", "a flow", "/getCustomer", "a flow"] {
        return false;
    }
    assert_eq!(names, ["/getCustomer", "DF #1", "a flow", "a flow", "b flow"]);
    assert!(ids[2] < ids[3], "equal names by `_id`");
    true
}

macro_rules! fidelity_tests {
    ($($test:ident: $behaviour:ident => $scenario:ident;)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                shows(Behaviour::$behaviour, $scenario).await;
            }
        )*

        #[test]
        fn every_behaviour_has_a_test() {
            let covered = [$(Behaviour::$behaviour),*];
            for behaviour in Behaviour::ALL {
                assert!(covered.contains(behaviour), "no test shows `{behaviour}`");
            }
        }
    };
}

fidelity_tests! {
    flows_get_auto_resolve_matching_trace_keys: FlowAutoResolveMatchingTraceKeys => flow_trace_keys;
    flows_get_skip_retries: FlowSkipRetries => flow_skip_retries;
    page_generators_get_skip_retries: PageGeneratorSkipRetries => page_generator_skip_retries;
    page_generators_get_an_id: PageGeneratorId => page_generator_id;
    page_processors_get_an_empty_response_mapping: PageProcessorResponseMapping => page_processor_response_mapping;
    routers_get_an_id: RouterId => router_id;
    branches_get_a_branch_id: BranchId => branch_id;
    connections_get_queues_named_after_themselves: ConnectionQueues => connection_queues;
    connections_get_empty_arrays: ConnectionEmptyArrays => connection_empty_arrays;
    steps_get_an_api_identifier: StepApiIdentifier => step_api_identifier;
    exports_are_asynchronous_whatever_was_sent: ExportAsynchronous => export_asynchronous;
    steps_get_one_to_many_false: StepOneToMany => step_one_to_many;
    steps_get_empty_parsers: StepParsers => step_parsers;
    imports_get_empty_lookups: ImportLookups => import_lookups;
    imports_get_ignore_flags: ImportIgnoreFlags => import_ignore_flags;
    imports_get_distributed: ImportDistributed => import_distributed;
    http_steps_get_the_form_defaults: HttpStepDefaults => http_step_defaults;
    integrations_get_empty_arrays: IntegrationArrays => integration_arrays;
    legacy_accounts_get_sandbox_false: LegacySandboxFlag => legacy_sandbox_flag;
    scripts_get_the_child_record_flag: ScriptChildRecordHook => script_child_record_hook;
    salesforce_connections_get_their_defaults: SalesforceDefaults => salesforce_defaults;
    flow_copies_get_free_false: FlowFreeOnCopies => flow_free_on_copies;
    http_imports_store_arrays: HttpImportArrays => http_import_arrays;
    expression_filters_hold_their_rules_twice: ExpressionRulesTwice => expression_rules_twice;
    annotated_fields_are_re_cased: CaseRewrites => case_rewrites;
    numbers_in_string_fields_become_strings: StringFieldCasts => string_field_casts;
    concurrency_is_clamped_to_the_licence: ConcurrencyClamp => concurrency_clamp;
    netsuite_wsdl_versions_are_normalised: NetSuiteWsdlVersion => netsuite_wsdl_version;
    read_only_fields_are_dropped: ReadOnlyDropped => read_only_dropped;
    nulls_and_empty_objects_are_dropped: NullsDropped => nulls_dropped;
    empty_file_lookups_are_dropped: EmptyFileLookupsDropped => empty_file_lookups_dropped;
    credential_objects_come_back_as_one_mask: CredentialObjectMasked => credential_object_masked;
    service_managed_tokens_are_not_client_settable: ServerManagedTokens => server_managed_tokens;
    webhook_sample_headers_are_masked_with_four_asterisks: SampleHeaderMasks => sample_header_masks;
    routers_and_page_processors_are_exclusive: RoutersExcludePageProcessors => routers_exclude_page_processors;
    lists_are_ordered_by_name: ListsSortedByName => lists_sorted_by_name;
    iclients_get_published_false: IClientPublished => iclient_published;
    iclients_get_the_auth_failure_fields: IClientAuthFailures => iclient_auth_failures;
    iclients_with_jwt_get_a_token: IClientJwtToken => iclient_jwt_token;
    lookup_caches_get_their_owner: LookupCacheOwner => lookup_cache_owner;
    lookup_caches_report_their_size: LookupCacheSize => lookup_cache_size;
    agents_are_created_offline: AgentOffline => agent_offline;
    iclient_scopes_become_arrays: IClientScopeArray => iclient_scope_array;
    edi_interchange_ids_are_padded: EdiInterchangeIdPadding => edi_interchange_id_padding;
    a_put_without_flow_groupings_wipes_them: FlowGroupingsWipedByPut => flow_groupings_wiped_by_put;
    iclient_query_parameters_are_masked_with_four_asterisks: IClientQueryParameterMasks => iclient_query_parameter_masks;
    recycled_connections_hold_their_iclient: RecycledConnectionsHoldIClients => recycled_connections_hold_iclients;
}

// --- The kinds a real flow references ------------------------------------------------------

async fn iclient(client: &Client, extra: Value) -> Value {
    let mut body = json!({"name": "App", "provider": "custom_oauth2"});
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    created(client, "iclients", body).await
}

async fn iclient_published(client: Client) -> bool {
    iclient(&client, json!({})).await.get("published") == Some(&json!(false))
}

async fn iclient_auth_failures(client: Client) -> bool {
    let app = iclient(&client, json!({"oauth2": {"clientId": "c", "failPath": "error", "failValues": ["denied"], "failStatusCode": 400,
        "useNewAuthFailSchema": false, "failures": [{"path": "sent"}]}}))
    .await;
    let oauth2 = &app["oauth2"];
    let computed = oauth2["useNewAuthFailSchema"] == json!(true)
        && oauth2["failures"]
            == json!([{"statusCode": 400, "path": "error", "values": ["denied"]}]);
    // Off, nothing adds them, and the client's values are dropped as read-only all the same.
    let absent = oauth2.get("useNewAuthFailSchema").is_none() && oauth2.get("failures").is_none();
    assert!(computed || absent, "{app}");
    computed
}

async fn iclient_jwt_token(client: Client) -> bool {
    let app = iclient(
        &client,
        json!({"enableJWT": true, "jwt": {"signatureMethod": "hmac-sha256", "secret": "k"}}),
    )
    .await;
    app["jwt"].get("token") == Some(&json!("******"))
}

async fn iclient_scope_array(client: Client) -> bool {
    let app = iclient(&client, json!({"oauth2": {"scope": "read write", "clientId": "c"}})).await;
    let comma = iclient(&client, json!({"oauth2": {"scope": "a,b", "scopeDelimiter": ","}})).await;
    let arrays = app["oauth2"]["scope"] == json!(["read", "write"])
        && comma["oauth2"]["scope"] == json!(["a", "b"]);
    assert!(arrays || app["oauth2"]["scope"] == json!("read write"), "{app}");
    arrays
}

async fn iclient_query_parameter_masks(client: Client) -> bool {
    let response = client
        .post("/v1/iclients", json!({"name": "App", "provider": "custom_oauth2", "oauth2": {"auth": {"uri": "https://x", "queryParameters": {"audience": "api", "prompt": "consent"}}}}))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let id = response.id();
    let shown = response.json()["oauth2"]["auth"]["queryParameters"].clone();
    if shown != json!({"audience": "****", "prompt": "****"}) {
        assert_eq!(shown, json!({"audience": "api", "prompt": "consent"}));
        return false;
    }
    // Sending the mask back keeps the stored value; a new value replaces it.
    let put = client
        .put(&format!("/v1/iclients/{id}"), json!({"name": "App", "provider": "custom_oauth2", "oauth2": {"auth": {"uri": "https://x", "queryParameters": {"audience": "****", "prompt": "login"}}}}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let stored = client.get(&format!("/admin/documents/iclients/{id}")).await.json();
    assert_eq!(
        stored["oauth2"]["auth"]["queryParameters"],
        json!({"audience": "api", "prompt": "login"})
    );
    true
}

async fn lookup_cache_owner(client: Client) -> bool {
    let user = client.get("/v1/tokenInfo").await.json()["_userId"].clone();
    let cache = created(
        &client,
        "lookupcaches",
        json!({"name": "SKUs", "_userId": "5f0000000000000000000001"}),
    )
    .await;
    assert_ne!(cache.get("_userId"), Some(&json!("5f0000000000000000000001")), "read-only");
    cache.get("_userId") == Some(&user)
}

async fn lookup_cache_size(client: Client) -> bool {
    let cache = created(&client, "lookupcaches", json!({"name": "SKUs", "size": 99})).await;
    let id = cache["_id"].as_str().unwrap_or_default().to_owned();
    if cache.get("size").is_none() {
        assert!(cache.get("sizeInMB").is_none(), "{cache}");
        return false;
    }
    assert_eq!((&cache["size"], &cache["sizeInMB"]), (&json!(0), &json!("0 MB")));
    let upsert = client
        .post(
            &format!("/v1/lookupcaches/{id}/data"),
            json!({"data": [{"key": "a", "value": "bc"}]}),
        )
        .await;
    assert_eq!(upsert.status, 200, "{}", upsert.text());
    let after = client.get(&format!("/v1/lookupcaches/{id}")).await.json();
    // `a` (1 byte) plus `"bc"` (4 bytes of JSON).
    (&after["size"], &after["sizeInMB"]) == (&json!(5), &json!("<5 MB"))
}

async fn agent_offline(client: Client) -> bool {
    created(&client, "agents", json!({"name": "Warehouse agent", "offline": false}))
        .await
        .get("offline")
        == Some(&json!(true))
}

async fn edi_interchange_id_padding(client: Client) -> bool {
    let profile = created(&client, "ediprofiles", json!({"name": "Costco", "fileType": "edix12", "tpInterchangeId": "COSTCO", "myInterchangeId": "ACME"})).await;
    let edifact = created(
        &client,
        "ediprofiles",
        json!({"name": "EU", "fileType": "edifact", "tpInterchangeId": "EU"}),
    )
    .await;
    assert_eq!(edifact["tpInterchangeId"], json!("EU"), "only X12 ids are padded");
    profile["tpInterchangeId"] == json!("COSTCO         ")
        && profile["myInterchangeId"] == json!("ACME           ")
}

async fn flow_groupings_wiped_by_put(client: Client) -> bool {
    let integration = created(
        &client,
        "integrations",
        json!({"name": "Orders", "flowGroupings": [{"name": "Inbound"}]}),
    )
    .await;
    let id = integration["_id"].as_str().unwrap_or_default().to_owned();
    let group = integration["flowGroupings"][0]["_id"].clone();
    let flow = client
        .create("flows", json!({"name": "f", "_integrationId": id, "_flowGroupingId": group}))
        .await;
    let put =
        client.put(&format!("/v1/integrations/{id}"), json!({"name": "Orders renamed"})).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let after = client.get(&format!("/v1/integrations/{id}")).await.json();
    let flow = client.get(&format!("/v1/flows/{flow}")).await.json();
    // Wiped: gone, or `[]` where `integration-arrays` fills the empty list back in.
    let wiped = after.get("flowGroupings").and_then(Value::as_array).is_none_or(Vec::is_empty);
    assert_eq!(flow.get("_flowGroupingId").is_none(), wiped, "a flow follows its group: {flow}");
    if !wiped {
        assert_eq!(after["flowGroupings"][0]["_id"], group, "{after}");
    }
    wiped
}

async fn recycled_connections_hold_iclients(client: Client) -> bool {
    let app = client.create("iclients", json!({"name": "App", "provider": "custom_oauth2"})).await;
    let connection = client
        .create("connections", json!({"name": "API", "type": "http", "http": {"baseURI": "https://x", "_iClientId": app}}))
        .await;
    assert_eq!(client.delete(&format!("/v1/iclients/{app}")).await.status, 422, "in use");
    assert_eq!(client.delete(&format!("/v1/connections/{connection}")).await.status, 204);
    let refused = client.delete(&format!("/v1/iclients/{app}")).await;
    if refused.status == 204 {
        return false;
    }
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.error_code(), "resource_in_use");
    assert!(refused.text().contains("recycle bin"), "{}", refused.text());
    let purged = client.delete(&format!("/v1/recycleBinTTL/connections/{connection}")).await;
    assert_eq!(purged.status, 204);
    assert_eq!(client.delete(&format!("/v1/iclients/{app}")).await.status, 204);
    true
}

// --- Settings of the open questions and admin controls --------------------------------------

#[tokio::test]
async fn the_licensed_concurrency_is_a_setting() {
    let handle =
        emulator(EmulatorConfig { licensed_concurrency: 50, ..EmulatorConfig::for_tests() }).await;
    let client = Client::sandbox(&handle);
    let body = json!({"name": "c", "type": "salesforce", "salesforce": {"baseURI": "https://x", "concurrencyLevel": 999}});
    assert_eq!(
        created(&client, "connections", body.clone()).await["salesforce"]["concurrencyLevel"],
        json!(50)
    );
    let settings = client.put("/admin/settings", json!({"licensedConcurrency": 10})).await;
    assert_eq!(settings.json()["licensedConcurrency"], json!(10));
    assert_eq!(
        created(&client, "connections", body).await["salesforce"]["concurrencyLevel"],
        json!(10)
    );
}

#[tokio::test]
async fn other_mask_forms_are_a_setting_and_keep_on_mask_recognises_the_form_in_use() {
    let handle = emulator(EmulatorConfig { mask_length: 8, ..EmulatorConfig::for_tests() }).await;
    let client = Client::sandbox(&handle);
    let id = client.create("connections", http_connection("c", "first")).await;
    let path = format!("/v1/connections/{id}");
    let body = client.get(&path).await.json();
    assert_eq!(body["http"]["auth"]["basic"]["password"], json!("********"));
    assert_eq!(client.put(&path, body).await.status, 200);
    let stored = handle.admin().document(ResourceKind::Connections, &id).expect("stored");
    assert_eq!(stored["http"]["auth"]["basic"]["password"], json!("first"));
    assert_eq!(client.put("/admin/settings", json!({"maskLength": 0})).await.status, 400);
}

#[tokio::test]
async fn delete_of_a_referenced_resource_answers_as_configured() {
    for (answer, status) in [("422", 422), ("409", 409), ("400", 400), ("allow", 204)] {
        let handle = emulator(EmulatorConfig::for_tests()).await;
        let client = Client::sandbox(&handle);
        let settings = client.put("/admin/settings", json!({"deleteInUse": answer})).await;
        assert_eq!(settings.json()["deleteInUse"], json!(answer));
        let wired = wired_flow(&client).await;
        let response = client.delete(&format!("/v1/connections/{}", wired.connection)).await;
        assert_eq!(response.status, status, "{answer}: {}", response.text());
        if status != 204 {
            assert_eq!(response.error_code(), "resource_in_use");
        }
    }
}

#[tokio::test]
async fn the_fidelity_switches_are_listed_and_set_through_the_admin_api() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let client = Client::sandbox(&handle);
    let listed = client.get("/admin/fidelity").await.json();
    let entries = listed.as_array().expect("a list");
    assert_eq!(entries.len(), Behaviour::ALL.len());
    let skip = entries.iter().find(|entry| entry["name"] == "flow-skip-retries").expect("listed");
    assert_eq!(skip["on"], skip["default"]);
    assert!(skip["source"].as_str().is_some_and(|source| source.contains("sample.json")));
    let router = entries.iter().find(|entry| entry["name"] == "router-id").expect("listed");
    assert_eq!((router["on"].clone(), router["default"].clone()), (json!(true), json!(true)));
    let case = entries.iter().find(|entry| entry["name"] == "case-rewrites").expect("listed");
    assert!(case["rules"].as_array().is_some_and(|rules| !rules.is_empty()));
    let changed =
        client.put("/admin/fidelity", json!({"all": false, "router-id": true})).await.json();
    let on: Vec<&str> = changed
        .as_array()
        .expect("a list")
        .iter()
        .filter(|entry| entry["on"] == json!(true))
        .filter_map(|entry| entry["name"].as_str())
        .collect();
    assert_eq!(on, ["router-id"]);
    assert_eq!(handle.admin().fidelity(), Fidelity::only(Behaviour::RouterId));
    let flow = created(&client, "flows", json!({"name": "f"})).await;
    assert!(
        flow.get("skipRetries").is_none() && flow.get("autoResolveMatchingTraceKeys").is_none()
    );
    let refused = client.put("/admin/fidelity", json!({"no-such-behaviour": true})).await;
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("no-such-behaviour"));
}

#[tokio::test]
async fn a_ui_edit_replaces_page_processors_with_routers_and_back() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let path = format!("/v1/flows/{}", wired.flow);
    let before = client.get(&path).await.json();
    let branched = client.post(&format!("/admin/flows/{}/branching", wired.flow), json!({})).await;
    assert_eq!(branched.status, 200, "{}", branched.text());
    let after = client.get(&path).await.json();
    assert!(after.get("pageProcessors").is_none(), "{after}");
    assert_eq!(after["routers"][0]["branches"][0]["pageProcessors"], before["pageProcessors"]);
    assert!(is_short_id(&after["routers"][0]["id"]));
    assert!(after["lastModified"].as_str() > before["lastModified"].as_str());
    // A client that still writes its linear flow alongside the UI's routers is refused.
    let mut stale = after.clone();
    stale["pageProcessors"] = before["pageProcessors"].clone();
    let refused = client.put(&path, stale).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .text()
            .contains("\\\"pageProcessors\\\" is not allowed when \\\"routers\\\" is present"),
        "{}",
        refused.text()
    );
    let linear = client.delete(&format!("/admin/flows/{}/branching", wired.flow)).await;
    assert_eq!(linear.status, 200);
    let restored = client.get(&path).await.json();
    assert!(restored.get("routers").is_none());
    assert_eq!(restored["pageProcessors"], before["pageProcessors"]);
}

#[tokio::test]
async fn raw_documents_are_stored_exactly_as_given() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let client = Client::sandbox(&handle);
    let document = json!({"_id": "5980e7fedd9939649f8a5d9a", "lastModified": "2017-08-19T17:04:54.005Z", "name": "Legacy",
        "_exportId": "55ea776bb751843c37b7b366", "hooks": {"preSavePage": {"_stackId": null}}, "_integrationId": ""});
    let loaded = client.post("/admin/raw", json!({"flows": [document.clone()]})).await;
    assert_eq!(loaded.json(), json!({"loaded": {"flows": 1}}));
    assert_eq!(client.get("/v1/flows/5980e7fedd9939649f8a5d9a").await.json(), document);
    let missing_id = client.post("/admin/raw", json!({"flows": [{"name": "no id"}]})).await;
    assert_eq!(missing_id.status, 400);
    assert!(missing_id.text().contains("_id"));
}

#[tokio::test]
async fn authorize_refuses_connections_whose_tokens_the_client_supplies() {
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let client = Client::sandbox(&handle);
    let id = client.create("connections", http_connection("c", "p")).await;
    let refused = client.post(&format!("/admin/connections/{id}/authorize"), json!({})).await;
    assert_eq!(refused.status, 400);
    let oauth = client.create("connections", json!({"name": "o", "type": "http", "http": {"baseURI": "https://x", "auth": {"type": "oauth", "oauth": {"authURI": "https://x/auth"}}}})).await;
    let authorized =
        client.post(&format!("/admin/connections/{oauth}/authorize"), json!({})).await.json();
    assert_eq!(
        authorized,
        json!({"paths": ["http.auth.token.token", "http.auth.token.refreshToken"]})
    );
    let body = client.get(&format!("/v1/connections/{oauth}")).await.json();
    assert_eq!(body["http"]["auth"]["token"], json!({"token": "******", "refreshToken": "******"}));
}

#[tokio::test]
async fn integration_app_resources_keep_their_connector_id_and_external_id() {
    // A connection an integration app installed (singh-gurkawalbir/demo clone fixture, redacted).
    let handle = emulator(EmulatorConfig::for_tests()).await;
    let client = Client::sandbox(&handle);
    let installed = json!({"_id": "6294909fccb94d35de693596", "type": "netsuite", "name": "NetSuite Connection",
        "_connectorId": "5b61ae4aeb538642c26bdbe6", "externalId": "netsuite_connection",
        "netsuite": {"account": "TSTDRV1934805", "authType": "token-auto", "tokenId": "******", "tokenSecret": "******"}});
    assert_eq!(client.post("/admin/raw", json!({"connections": [installed]})).await.status, 200);
    let path = "/v1/connections/6294909fccb94d35de693596";
    let mut body = client.get(path).await.json();
    body.as_object_mut().map(|connection| connection.remove("_connectorId"));
    body["name"] = json!("NetSuite (renamed)");
    let response = client.put(path, body).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let after = client.get(path).await.json();
    assert_eq!(
        after["_connectorId"],
        json!("5b61ae4aeb538642c26bdbe6"),
        "server-owned, carried over"
    );
    assert_eq!(after["externalId"], json!("netsuite_connection"));
    // A client cannot make its own resource look like an integration app's.
    let own = created(&client, "connections", json!({"name": "c", "type": "http", "http": {"baseURI": "https://x"}, "_connectorId": "5b61ae4aeb538642c26bdbe6"})).await;
    assert!(own.get("_connectorId").is_none(), "{own}");
}
