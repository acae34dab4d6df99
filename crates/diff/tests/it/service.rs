//! What the service does to documents (issue 13, `flowform_diff::service`): values it stores in
//! another form compare equal on both sides, read-only and fixed fields are never planned, its
//! additions are not written back by `pull`, structural replacements, identity, literal ids.
//! Each test says what failed before the table.

use flowform_diff::{DiffOptions, ManagedIds, normalize_live};
use flowform_model::{ActionKind, DataAddress, FieldOp, Kind, Lookup, LookupKind, Value};
use serde_json::json;

use crate::support::{World, address, id};

/// Applies `spec`, lets the service store `stored` instead (what a `GET` returns), and plans.
fn stored_as(
    kind: &str,
    spec: serde_json::Value,
    stored: serde_json::Value,
) -> flowform_model::Plan {
    let mut world = World::new();
    let live = world.applied(kind, spec);
    world.edit_live(&live, |document| {
        let id = document["_id"].clone();
        *document = stored;
        document["_id"] = id;
    });
    world.plan(DiffOptions::default())
}

/// Every rewrite of the table, one by one: the spec's value and the service's form of it are
/// the same value. Before, each of these was an update planned on every run (a perpetual diff:
/// the service rewrites it again after every apply).
#[test]
fn values_the_service_rewrites_compare_equal() {
    let cases = [
        (
            "import.post",
            json!({"name": "Post", "adaptorType": "HTTPImport", "http": {"method": "POST", "relativeURI": "/a", "body": "{{record}}"}}),
            json!({"name": "Post", "adaptorType": "HTTPImport", "http": {"method": ["POST"], "relativeURI": ["/a"], "body": ["{{record}}"]}}),
        ),
        (
            "connection.ns",
            json!({"name": "NS", "type": "netsuite", "netsuite": {"account": "tstdrv1", "roleId": 3, "entityId": 17, "authType": "Token", "wsdlVersion": "2025.1"}}),
            json!({"name": "NS", "type": "netsuite", "netsuite": {"account": "TSTDRV1", "roleId": "3", "entityId": "17", "authType": "token", "wsdlVersion": "latest"}}),
        ),
        (
            "connection.api",
            json!({"name": "API", "type": "http", "http": {"mediaType": "JSON", "ping": {"method": "get"}, "auth": {"type": "Basic"}}}),
            json!({"name": "API", "type": "http", "http": {"mediaType": "json", "ping": {"method": "GET"}, "auth": {"type": "basic"}, "encryptedFields": []}, "queues": [], "sandbox": false}),
        ),
        (
            "iclient.app",
            json!({"name": "App", "provider": "custom_oauth2", "oauth2": {"clientId": "c", "scope": "read write"}}),
            json!({"name": "App", "provider": "custom_oauth2", "published": false,
                   "oauth2": {"clientId": "c", "scope": ["read", "write"], "useNewAuthFailSchema": true}}),
        ),
        (
            "ediprofile.partner",
            json!({"name": "P", "fileType": "edix12", "tpInterchangeId": "PARTNER1", "myInterchangeId": "ACME"}),
            json!({"name": "P", "fileType": "edix12", "tpInterchangeId": "PARTNER1       ", "myInterchangeId": "ACME           "}),
        ),
        (
            "connection.dynamo",
            json!({"name": "D", "type": "dynamodb", "dynamodb": {"concurrencyLevel": 0}}),
            json!({"name": "D", "type": "dynamodb", "dynamodb": {"concurrencyLevel": 1}}),
        ),
        (
            "export.ns",
            json!({"name": "E", "adaptorType": "NetSuiteExport", "netsuite": {"restlet": {"searchId": 12, "restletVersion": "SuiteApp2"}},
                   "filter": {"type": "expression", "expression": {"rules": ["a"], "version": 1}}}),
            json!({"name": "E", "adaptorType": "NetSuiteExport", "netsuite": {"restlet": {"searchId": "12", "restletVersion": "suiteapp2"}},
                   "filter": {"type": "expression", "expression": {"rules": ["a"], "version": "1"}, "rules": ["a"], "version": "1"},
                   "oneToMany": false, "parsers": []}),
        ),
        (
            "import.sf",
            json!({"name": "S", "adaptorType": "SalesforceImport", "salesforce": {"operation": "Insert", "api": "REST"}, "ignoreExisting": false}),
            json!({"name": "S", "adaptorType": "SalesforceImport", "salesforce": {"operation": "insert", "api": "rest"},
                   "ignoreMissing": false, "distributed": false, "lookups": [], "file": {}}),
        ),
        (
            "flow.f",
            json!({"name": "F", "skipRetries": false, "pageGenerators": [{"_exportId": "x"}],
                   "pageProcessors": [{"type": "import", "_importId": "y"}]}),
            json!({"name": "F", "autoResolveMatchingTraceKeys": true, "skipRetries": false, "disabled": false,
                   "pageGenerators": [{"_exportId": "x", "skipRetries": false, "_id": "5f00000000000000000000aa"}],
                   "pageProcessors": [{"type": "import", "_importId": "y", "responseMapping": {"fields": [], "lists": []}}]}),
        ),
        (
            "flow.r",
            json!({"name": "R", "routers": [{"branches": [{"name": "a", "pageProcessors": []}]}]}),
            json!({"name": "R", "disabled": false, "routers": [{"id": "Ii7fKQRhpuE", "branches": [{"name": "a", "branchId": "o8TobATVHWX"}]}]}),
        ),
        (
            "integration.i",
            json!({"name": "I", "flowGroupings": [{"name": "In"}], "install": []}),
            json!({"name": "I", "flowGroupings": [{"name": "In", "_id": "5f00000000000000000000bb"}], "installSteps": [], "uninstallSteps": []}),
        ),
    ];
    for (address_text, spec, stored) in cases {
        let plan = stored_as(address_text, spec, stored);
        let changes: Vec<String> = plan
            .actionable()
            .flat_map(|change| change.fields())
            .map(|field| format!("{} {}", field.op.as_str(), field.path))
            .collect();
        assert!(changes.is_empty(), "{address_text}: {changes:?}");
    }
}

/// A concurrency the licence lowered is the spec's value while the spec stays as applied; a
/// changed spec is planned again, and a live value changed to something else too.
#[test]
fn a_clamped_concurrency_is_the_specs_value_until_the_spec_changes() {
    let spec = json!({"name": "API", "type": "http", "http": {"concurrencyLevel": 50}});
    let mut world = World::new();
    let live = world.applied("connection.api", spec);
    world.edit_live(&live, |document| document["http"]["concurrencyLevel"] = json!(25));
    assert!(!world.plan(DiffOptions::default()).has_changes());
    world.desire(
        "connection.api",
        json!({"name": "API", "type": "http", "http": {"concurrencyLevel": 40}}),
    );
    let plan = world.plan(DiffOptions::default());
    assert_eq!(plan.actionable().count(), 1);
    // Without an apply of the spec's value (an adopted or pulled connection), lower is a change.
    let mut adopted = World::new();
    adopted.unmanaged(
        Kind::Connection,
        json!({"name": "API", "type": "http", "http": {"concurrencyLevel": 25}}),
    );
    adopted.desire(
        "connection.api",
        json!({"name": "API", "type": "http", "http": {"concurrencyLevel": 50}}),
    );
    let plan = adopted.plan(DiffOptions { adopt: true, ..DiffOptions::default() });
    assert_eq!(plan.actionable().next().unwrap().fields().len(), 1);
}

/// Read-only and create-only fields: a spec value that differs is a warning, never a change.
/// Before, both were planned on every run.
#[test]
fn read_only_and_create_only_fields_are_never_planned() {
    let plan = stored_as(
        "connection.ns",
        json!({"name": "NS", "type": "netsuite", "netsuite": {"dataCenterURLs": {"restDomain": "mine"}}}),
        json!({"name": "NS", "type": "netsuite", "netsuite": {"dataCenterURLs": {"restDomain": "theirs"}}}),
    );
    assert!(!plan.has_changes());
    assert!(
        plan.warnings
            .iter()
            .any(|warning| warning.contains("`netsuite.dataCenterURLs` is read-only")),
        "{:?}",
        plan.warnings
    );
    let plan = stored_as(
        "connection.as2",
        json!({"name": "AS2", "type": "as2", "as2": {"as2Id": "new-id"}}),
        json!({"name": "AS2", "type": "as2", "as2": {"as2Id": "first-id"}}),
    );
    assert!(!plan.has_changes());
    assert!(
        plan.warnings
            .iter()
            .any(|warning| warning.contains("`as2.as2Id` is fixed when the resource is created")),
        "{:?}",
        plan.warnings
    );
}

/// `pull` writes the normalised live document: what the service added is not in it. Before,
/// the pulled spec carried `autoResolveMatchingTraceKeys`, `skipRetries`, empty
/// `responseMapping`s, branch ids, the second copy of expression rules, arrays for HTTP import
/// fields and every empty list.
#[test]
fn normalisation_leaves_out_what_the_service_added() {
    let flow = Value::from(json!({
        "_id": id(1), "name": "F", "disabled": false, "autoResolveMatchingTraceKeys": true, "skipRetries": false,
        "pageGenerators": [{"_exportId": "x", "skipRetries": false, "_id": id(9)}],
        "routers": [{"id": "Ii7fKQRhpuE", "routeRecordsTo": "first_matching_branch", "branches": [
            {"name": "a", "branchId": "o8TobATVHWX", "pageProcessors": [{"type": "import", "_importId": "y", "responseMapping": {"fields": [], "lists": []}}]}
        ]}]
    }));
    assert_eq!(
        normalize_live(Kind::Flow, &flow, &ManagedIds::new()),
        Value::from(json!({"name": "F", "pageGenerators": [{"_exportId": "x"}],
            "routers": [{"id": "Ii7fKQRhpuE", "branches": [{"name": "a", "pageProcessors": [{"type": "import", "_importId": "y"}]}]}]}))
    );
    let import = Value::from(json!({
        "_id": id(2), "name": "I", "adaptorType": "NetSuiteDistributedImport", "distributed": true, "oneToMany": false,
        "lookups": [], "parsers": [], "ignoreExisting": false, "apiIdentifier": "i123456789",
        "filter": {"type": "expression", "expression": {"rules": ["r"], "version": "1"}, "rules": ["r"], "version": "1"},
        "netsuite_da": {"operation": "add"}
    }));
    assert_eq!(
        normalize_live(Kind::Import, &import, &ManagedIds::new()),
        Value::from(json!({"name": "I", "adaptorType": "NetSuiteDistributedImport",
            "filter": {"type": "expression", "expression": {"rules": ["r"]}}, "netsuite_da": {"operation": "add"}}))
    );
    let http = Value::from(json!({"_id": id(3), "name": "H", "adaptorType": "HTTPImport",
        "http": {"method": ["PUT"], "relativeURI": [], "body": [], "formType": "http", "isRest": false, "batchSize": 1, "sendPostMappedData": true}}));
    assert_eq!(
        normalize_live(Kind::Import, &http, &ManagedIds::new()),
        Value::from(json!({"name": "H", "adaptorType": "HTTPImport", "http": {"method": "PUT"}}))
    );
}

/// A flow the UI switched to routers while the spec keeps `pageProcessors`: the plan removes
/// `routers` as replaced by `pageProcessors` (and the write drops them). Before, the plan added
/// `pageProcessors` next to the live `routers`, which the service refuses.
#[test]
fn a_switch_between_exclusive_fields_is_a_replacement() {
    let plan = stored_as(
        "flow.f",
        json!({"name": "F", "pageProcessors": [{"type": "import", "_importId": "y"}]}),
        json!({"name": "F", "disabled": false, "routers": [{"id": "r1", "branches": [{"name": "b", "pageProcessors": [{"type": "import", "_importId": "y"}]}]}]}),
    );
    let fields: Vec<(String, FieldOp, Option<String>)> = plan
        .actionable()
        .flat_map(|change| change.fields())
        .map(|field| {
            (field.path.to_string(), field.op, field.replaced_by.as_ref().map(ToString::to_string))
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("pageProcessors[0]".to_owned(), FieldOp::Add, None),
            ("routers".to_owned(), FieldOp::Remove, Some("pageProcessors".to_owned())),
        ]
    );
}

/// Neither the duplicate guard nor adopt considers a resource of an integration app or of
/// another integration. Before, `--adopt` bound them.
#[test]
fn integration_app_resources_are_never_adopted() {
    let mut world = World::new();
    world.unmanaged(Kind::Connection, json!({"name": "Slack API", "type": "http", "_connectorId": id(70), "_integrationId": id(71)}));
    world.unmanaged(
        Kind::Export,
        json!({"name": "Orders", "adaptorType": "HTTPExport", "_integrationId": id(72)}),
    );
    world.desire("connection.slack", json!({"name": "Slack API", "type": "http"}));
    world.desire("export.orders", json!({"name": "Orders", "adaptorType": "HTTPExport"}));
    let plan = world.plan(DiffOptions { adopt: true, ..DiffOptions::default() });
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let actions: Vec<ActionKind> = plan.actionable().map(|change| change.action_kind()).collect();
    assert_eq!(actions, [ActionKind::Create, ActionKind::Create]);
}

/// A state whose resources all exist nowhere in the account: the state of another environment
/// (or account). The plan is refused instead of creating everything again. One missing
/// resource alone is still recreated with a warning.
#[test]
fn a_state_of_another_environment_is_refused() {
    let mut world = World::new();
    world.applied("connection.a", json!({"name": "A", "type": "http"}));
    world.applied("connection.b", json!({"name": "B", "type": "http"}));
    let mut elsewhere = World::new();
    elsewhere.desired = world.desired.clone();
    elsewhere.state = world.state.clone();
    let plan = elsewhere.plan(DiffOptions::default());
    assert_eq!(plan.problems.len(), 1, "{:?}", plan.problems);
    assert!(
        plan.problems[0]
            .message
            .starts_with("none of the 2 resources the state binds exists in this account")
    );
    let b = world.state.get(&address("connection.b")).unwrap().id.clone();
    world.server.delete(&b);
    let plan = world.plan(DiffOptions::default());
    assert!(plan.problems.is_empty());
    assert!(plan.warnings.iter().any(|warning| warning.contains("will be created again")));
}

/// A literal id of a managed kind that the account does not hold is a problem naming the
/// field. Before, the plan went through and the apply failed on that resource.
#[test]
fn a_literal_id_the_account_lacks_is_a_problem() {
    let mut world = World::new();
    let existing = world.unmanaged(Kind::Connection, json!({"name": "Other", "type": "http"}));
    world.desire(
        "export.a",
        json!({"name": "A", "adaptorType": "HTTPExport", "_connectionId": existing}),
    );
    world.desire(
        "export.b",
        json!({"name": "B", "adaptorType": "HTTPExport", "_connectionId": id(99)}),
    );
    world.desire("export.c", json!({"name": "C", "adaptorType": "HTTPExport", "_connectionId": "not-an-id", "settings": {"_connectionId": id(98)}}));
    world.desire(
        "export.d",
        json!({"name": "D", "adaptorType": "HTTPExport", "_postParseListenerId": id(97)}),
    );
    let plan = world.plan(DiffOptions::default());
    let problems: Vec<(String, Option<String>)> = plan
        .problems
        .iter()
        .map(|problem| {
            (problem.address.to_string(), problem.path.as_ref().map(ToString::to_string))
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("export.b".to_owned(), Some("_connectionId".to_owned())),
            ("export.d".to_owned(), Some("_postParseListenerId".to_owned())),
        ]
    );
    assert!(plan.problems[0].message.contains("no connection of the account has it"));
}

/// The kinds of issue 16 are listed, so their literal ids are checked too; a `data:` lookup, a
/// flow group and a literal agent or stack id are not (see `literal_ids.rs`: lookups resolve to
/// ids found in the listing, groups go by name, agents and stacks are listed only when looked
/// up).
#[test]
fn literal_ids_of_the_referenced_kinds_are_checked() {
    let mut world = World::new();
    let helper = world.unmanaged(Kind::AsyncHelper, json!({"name": "Status"}));
    world.desire(
        "connection.a",
        json!({"name": "A", "type": "http", "http": {"_iClientId": id(90)}, "_agentId": id(91)}),
    );
    world.desire(
        "export.a",
        json!({"name": "A", "adaptorType": "HTTPExport", "http": {"_asyncHelperId": helper},
               "hooks": {"preSavePage": {"_stackId": id(92), "function": "f"}}}),
    );
    world.desire(
        "import.a",
        json!({"name": "A", "adaptorType": "FTPImport", "_ediProfileId": id(93),
               "file": {"fileDefinition": {"_fileDefinitionId": id(94)}},
               "lookups": [{"name": "l", "_lookupCacheId": id(95)}],
               "http": {"_asyncHelperId": id(96)}}),
    );
    world.desire("flow.a", json!({"name": "A", "_flowGroupingId": id(97)}));
    let resource = world.desire("flow.b", json!({"name": "B"}));
    resource.body.insert(
        "_integrationId".to_owned(),
        Value::Lookup(Lookup::Data(DataAddress::new(
            LookupKind::Managed(Kind::Integration),
            "shop",
        ))),
    );
    let plan = world.plan(DiffOptions::default());
    let mut problems: Vec<String> = plan
        .problems
        .iter()
        .map(|problem| format!("{} {}", problem.address, problem.path.as_ref().unwrap()))
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        [
            "connection.a http._iClientId",
            "import.a _ediProfileId",
            "import.a file.fileDefinition._fileDefinitionId",
            "import.a http._asyncHelperId",
            "import.a lookups[0]._lookupCacheId",
        ]
    );
}

/// The plan compares on two threads, each taking every other share of the resources in address
/// order: the warnings and the changes still come in address order, and each update is reported
/// to `diff_observed`'s observer once.
#[test]
fn the_threads_shares_join_in_address_order() {
    let mut world = World::new();
    let mut ids = Vec::new();
    for index in 1..=8 {
        let address = format!("connection.ns{index}");
        let spec = json!({"name": format!("NS {index}"), "type": "netsuite", "netsuite": {"dataCenterURLs": {"restDomain": "mine"}}});
        ids.push(world.applied(&address, spec));
    }
    for (index, id) in ids.iter().enumerate() {
        world.edit_live(id, |document| {
            document["netsuite"]["dataCenterURLs"]["restDomain"] = json!("theirs");
            if index % 2 == 0 {
                document["name"] = json!("renamed in the UI");
            }
        });
    }
    let reported = std::sync::Mutex::new(Vec::new());
    let plan = flowform_diff::diff_observed(
        &world.desired,
        &world.state,
        &world.live(),
        &DiffOptions::default(),
        &|address, _| reported.lock().unwrap().push(address.to_string()),
    );
    let warned: Vec<&str> = plan
        .warnings
        .iter()
        .filter_map(|warning| warning.strip_prefix('`')?.split('`').next())
        .collect();
    let expected: Vec<String> = (1..=8).map(|index| format!("connection.ns{index}")).collect();
    assert_eq!(warned, expected, "{:?}", plan.warnings);
    let updated: Vec<String> = plan.actionable().map(|change| change.address.to_string()).collect();
    assert_eq!(updated, ["connection.ns1", "connection.ns3", "connection.ns5", "connection.ns7"]);
    let mut reported = reported.into_inner().unwrap();
    reported.sort();
    assert_eq!(reported, updated);
}
