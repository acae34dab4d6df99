//! Convergence under the service's own behaviours (issue 13): the emulator with every behaviour
//! it models on (`Fidelity::all()`, even the two off by default), then "apply, and the next plan
//! is empty". Each test names what failed before the client's table of the service's rewrites
//! (`flowform_diff::service`).

use flowform_emulator::{EmulatorConfig, Fidelity, ResourceKind};
use flowform_exec::apply::StepOutcome;
use flowform_model::{ActionKind, FieldOp};
use flowform_specgen::{Options, generate};
use serde_json::{Value, json};

use crate::support::{Workspace, assert_success, summary};

/// The emulator with every behaviour on.
async fn faithful() -> Workspace {
    Workspace::with_config(EmulatorConfig {
        fidelity: Fidelity::all(),
        ..EmulatorConfig::for_tests()
    })
    .await
}

fn done_texts(report: &flowform_exec::apply::ApplyReport) -> Vec<String> {
    report
        .steps
        .iter()
        .filter_map(|step| match &step.outcome {
            StepOutcome::Done(text) => Some(format!("{}: {text}", step.label)),
            _ => None,
        })
        .collect()
}

/// The figure of `docs/fidelity.md`: a generated spec of 1,000 resources whose values the
/// service rewrites or completes (every rule of `flowform_diff::service` and the defaults it
/// adds, `GeneratedSpec::with_service_rewrites`) applies under every behaviour, and the next
/// plan is empty: no perpetual diff. The service then authorizes the connections whose tokens
/// it obtains itself, every resource's name changes, and that converges too: updates of
/// connections whose tokens the service keeps, of flows with generated router ids, of imports
/// stored as arrays. Before the table, the first re-plan held several hundred updates.
#[tokio::test]
async fn a_thousand_resources_the_service_rewrites_converge() {
    let mut workspace = faithful().await;
    let spec = generate(Options { resources: 1_000, seed: 13 }).unwrap().with_service_rewrites();
    for (path, text) in spec.spec_files() {
        workspace.write(&path.to_string_lossy(), &text);
    }
    workspace.secrets = spec.secrets.iter().cloned().collect();
    let report = workspace.apply().await;
    assert_success(&report);
    assert_eq!(report.steps.iter().filter(|step| step.label.starts_with("create")).count(), 1_000);
    // The licence's clamp is said once, by the write that met it.
    let clamped: Vec<String> = done_texts(&report)
        .into_iter()
        .filter(|text| text.contains("the service stored"))
        .collect();
    assert!(clamped.len() >= 20, "{clamped:#?}");

    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), Vec::<String>::new(), "perpetual diffs after one apply");
    assert_eq!(plan.changes.len(), 1_000);

    // The service obtains the tokens of OAuth, Salesforce and NetSuite token-auto connections.
    let admin = workspace.emulator.admin();
    let mut authorized = 0;
    for connection in admin.documents(ResourceKind::Connections) {
        let id = connection["_id"].as_str().unwrap();
        if admin.authorize_connection(id).is_ok() {
            authorized += 1;
        }
    }
    assert!(authorized >= 20, "{authorized}");
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());

    // Every resource changes its name: 1,000 updates, each a full PUT of what the service holds.
    for (path, text) in spec.spec_files() {
        let renamed = text.replace("name: \"", "name: \"Renamed ");
        workspace.write(&path.to_string_lossy(), &renamed);
    }
    let plan = workspace.plan().await;
    assert_eq!(plan.actionable().count(), 1_000);
    assert!(
        plan.actionable().all(|change| change.action_kind() == ActionKind::Update),
        "{:?}",
        summary(&plan)
    );
    let report = workspace.apply().await;
    assert_success(&report);
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
    // The tokens the service obtained are still there.
    for connection in admin.documents(ResourceKind::Connections) {
        let text = connection.to_string();
        if text.contains("Token-Auto") || text.contains("token-auto") {
            assert!(text.contains("service-token-"), "{text}");
        }
    }
}

/// An HTTP import written `method: POST` is stored as `["POST"]`: before, every plan showed the
/// difference and no apply could remove it (the issue's first example).
#[tokio::test]
async fn an_http_import_method_stored_as_an_array_plans_nothing() {
    let workspace = faithful().await;
    workspace.write(
        "spec.yaml",
        r#"
connections:
  api:
    name: API
    type: http
    http: {baseURI: "https://api.example.com", mediaType: json}
imports:
  post:
    name: Post
    adaptorType: HTTPImport
    _connectionId: ${connection.api}
    http: {method: POST, relativeURI: /orders, requestMediaType: json}
"#,
    );
    assert_success(&workspace.apply().await);
    let stored = workspace.emulator.admin().documents(ResourceKind::Imports);
    assert_eq!(stored[0]["http"]["method"], json!(["POST"]));
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
}

/// The spec asks for 50, the licence allows 25: the apply says once that the service stored
/// 25, and the next plans are empty. A later change of the spec's value is planned again.
#[tokio::test]
async fn a_concurrency_above_the_licence_is_said_once_and_plans_nothing() {
    let workspace = faithful().await;
    let spec = |level: u32| {
        format!(
            "connections:\n  api:\n    name: API\n    type: http\n    http: {{baseURI: \"https://api.example.com\", mediaType: json, concurrencyLevel: {level}}}\n"
        )
    };
    workspace.write("spec.yaml", &spec(50));
    let report = workspace.apply().await;
    assert_success(&report);
    let texts = done_texts(&report);
    assert!(
        texts.iter().any(|text| text.contains(
            "the service stored `http.concurrencyLevel` as 25 (the spec asks 50; the account's licence allows no more)"
        )),
        "{texts:#?}"
    );
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
    let report = workspace.apply().await;
    assert!(report.steps.is_empty(), "nothing to say the second time");
    workspace.write("spec.yaml", &spec(10));
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update connection.api"]);
    assert_success(&workspace.apply().await);
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
}

const OAUTH: &str = r#"
connections:
  crm:
    name: CRM
    type: http
    http:
      baseURI: "https://crm.example.com"
      mediaType: json
      auth:
        type: oauth
        oauth:
          grantType: authorizecode
          clientId: flowform
          clientSecret: ${secret.CRM_CLIENT_SECRET}
          authURI: "https://crm.example.com/oauth/authorize"
          tokenURI: "https://crm.example.com/oauth/token"
        token: {location: header, headerName: Authorization, scheme: Bearer}
"#;

/// A connection whose tokens the service obtained itself (OAuth authorization code): changing
/// only `http.baseURI` is one update that leaves the tokens alone. Before, the update refused to
/// send the masked tokens back (the masked-value error) and nothing could be changed.
#[tokio::test]
async fn a_connection_with_tokens_the_service_manages_updates_its_other_fields() {
    let mut workspace = faithful().await;
    workspace.secrets.insert("CRM_CLIENT_SECRET".into(), "s3cret".into());
    workspace.write("spec.yaml", OAUTH);
    assert_success(&workspace.apply().await);
    let admin = workspace.emulator.admin();
    let id = admin.documents(ResourceKind::Connections)[0]["_id"].as_str().unwrap().to_owned();
    assert_eq!(
        admin.authorize_connection(&id).unwrap(),
        ["http.auth.token.token", "http.auth.token.refreshToken"]
    );
    let tokens =
        admin.document(ResourceKind::Connections, &id).unwrap()["http"]["auth"]["token"].clone();
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());

    workspace.write(
        "spec.yaml",
        &OAUTH.replace("https://crm.example.com\"", "https://crm.example.org\""),
    );
    let plan = workspace.plan().await;
    let fields: Vec<String> = plan
        .actionable()
        .flat_map(|change| change.fields())
        .map(|field| field.path.to_string())
        .collect();
    assert_eq!(fields, ["http.baseURI"]);
    assert_success(&workspace.apply().await);
    let stored = admin.document(ResourceKind::Connections, &id).unwrap();
    assert_eq!(stored["http"]["baseURI"], json!("https://crm.example.org"));
    assert_eq!(stored["http"]["auth"]["token"], tokens, "the service's tokens are kept");
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
}

/// A spec that writes a token the service manages never has it written: the plan warns and
/// plans nothing for it, and the stored token stays.
#[tokio::test]
async fn a_spec_value_for_a_token_the_service_manages_is_never_written() {
    let mut workspace = faithful().await;
    workspace.secrets.insert("SF_TOKEN".into(), "from-the-spec".into());
    workspace.write(
        "spec.yaml",
        "connections:\n  sf:\n    name: SF\n    type: salesforce\n    salesforce: {sandbox: true, refreshToken: \"${secret.SF_TOKEN}\"}\n",
    );
    assert_success(&workspace.apply().await);
    let admin = workspace.emulator.admin();
    let id = admin.documents(ResourceKind::Connections)[0]["_id"].as_str().unwrap().to_owned();
    assert!(
        !admin
            .document(ResourceKind::Connections, &id)
            .unwrap()
            .to_string()
            .contains("from-the-spec")
    );
    admin.authorize_connection(&id).unwrap();
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), Vec::<String>::new());
    assert!(
        plan.warnings.iter().any(|warning| warning.contains(
            "`connection.sf` `salesforce.refreshToken` is a secret the service obtains and keeps itself"
        )),
        "{:#?}",
        plan.warnings
    );
}

const LINEAR: &str = r#"
connections:
  api: {name: API, type: http, http: {baseURI: "https://api.example.com", mediaType: json}}
exports:
  source: {name: Source, adaptorType: HTTPExport, _connectionId: "${connection.api}", http: {method: GET, relativeURI: /in}}
imports:
  sink: {name: Sink, adaptorType: HTTPImport, _connectionId: "${connection.api}", http: {method: POST, relativeURI: /out}}
flows:
  sync:
    name: Sync
    pageGenerators: [{_exportId: "${export.source}"}]
    pageProcessors: [{type: import, _importId: "${import.sink}"}]
"#;

/// A flow turned into a router in the UI ("Add branching") while the spec keeps its
/// `pageProcessors`: the plan replaces `routers` by `pageProcessors`, and one apply converges.
/// Before, the plan added `pageProcessors` beside the live `routers` and the service refused
/// the write with 422 "pageProcessors is not allowed when routers is present", run after run.
#[tokio::test]
async fn a_flow_branched_in_the_ui_is_put_back_in_one_apply() {
    let workspace = faithful().await;
    workspace.write("spec.yaml", LINEAR);
    assert_success(&workspace.apply().await);
    let admin = workspace.emulator.admin();
    let flow = admin.documents(ResourceKind::Flows)[0]["_id"].as_str().unwrap().to_owned();
    admin.add_branching(&flow).unwrap();

    let plan = workspace.plan().await;
    let change = plan.actionable().next().expect("a change");
    let replaced: Vec<(String, &str, Option<String>)> = change
        .fields()
        .iter()
        .map(|field| {
            (
                field.path.to_string(),
                field.op.as_str(),
                field.replaced_by.as_ref().map(ToString::to_string),
            )
        })
        .collect();
    assert!(
        replaced.contains(&(
            "routers".into(),
            FieldOp::Remove.as_str(),
            Some("pageProcessors".into())
        )),
        "{replaced:?}"
    );
    assert_success(&workspace.apply().await);
    let stored = admin.document(ResourceKind::Flows, &flow).unwrap();
    assert!(stored.get("routers").is_none() && stored.get("pageProcessors").is_some(), "{stored}");
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());

    // And back: the spec moves to routers while the account holds pageProcessors.
    let routed = LINEAR.replace(
        "    pageProcessors: [{type: import, _importId: \"${import.sink}\"}]",
        "    routers: [{branches: [{name: all, pageProcessors: [{type: import, _importId: \"${import.sink}\"}]}]}]",
    );
    workspace.write("spec.yaml", &routed);
    let plan = workspace.plan().await;
    let change = plan.actionable().next().expect("a change");
    assert!(
        change.fields().iter().any(|field| field.path.to_string() == "pageProcessors"
            && field.replaced_by.as_ref().map(ToString::to_string).as_deref() == Some("routers")),
        "{:?}",
        change.fields()
    );
    assert_success(&workspace.apply().await);
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
    // The UI deletes the branching: the plan puts the routers back, in one apply.
    admin.remove_branching(&flow).unwrap();
    assert_eq!(summary(&workspace.plan().await), ["update flow.sync"]);
    assert_success(&workspace.apply().await);
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
}

/// A router the spec writes without ids keeps the ids the service gave it when the flow is
/// written again: the ids are carried over by position.
#[tokio::test]
async fn generated_router_and_branch_ids_survive_an_update() {
    let workspace = faithful().await;
    let routed = LINEAR.replace(
        "    pageProcessors: [{type: import, _importId: \"${import.sink}\"}]",
        "    routers: [{branches: [{name: all, pageProcessors: [{type: import, _importId: \"${import.sink}\"}]}]}]",
    );
    workspace.write("spec.yaml", &routed);
    assert_success(&workspace.apply().await);
    let admin = workspace.emulator.admin();
    let before = admin.documents(ResourceKind::Flows)[0].clone();
    let ids = |flow: &Value| {
        (flow["routers"][0]["id"].clone(), flow["routers"][0]["branches"][0]["branchId"].clone())
    };
    assert!(ids(&before).0.is_string() && ids(&before).1.is_string(), "{before}");
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
    workspace.write("spec.yaml", &routed.replace("name: all", "name: everything"));
    let plan = workspace.plan().await;
    let paths: Vec<String> = plan
        .actionable()
        .flat_map(|change| change.fields())
        .map(|field| field.path.to_string())
        .collect();
    assert_eq!(paths, ["routers[0].branches[0].name"], "no generated id shows as removed");
    assert_success(&workspace.apply().await);
    let after = admin.documents(ResourceKind::Flows)[0].clone();
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(summary(&workspace.plan().await), Vec::<String>::new());
}
