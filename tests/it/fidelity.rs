//! The real account's behaviours through the binary (issue 13): literal ids checked before any
//! write, integration apps' resources never claimed, secrets flowform never verified marked in
//! every plan format, secrets the service manages left out of `pull`, the environment in the
//! state's binding. Each test's comment says what failed before.

use flowform_emulator::ResourceKind;
use serde_json::json;

use crate::support::TestContext;

const MISSING_IMPORT: &str = "5f00000000000000000000ff";

/// A literal `_importId` the account does not hold: the plan fails naming the file, line and
/// field, and `apply` writes nothing. Before, the plan was fine and the apply created the
/// connection and the export, then failed on the flow (`2 done, 1 failed`).
#[test]
fn a_missing_literal_id_fails_the_plan_and_nothing_is_written() {
    let context = TestContext::new();
    context.write(
        "spec.yaml",
        &format!(
            r#"connections:
  api:
    name: API
    type: http
    http: {{baseURI: "https://api.example.com", mediaType: json}}
exports:
  source:
    name: Source
    adaptorType: HTTPExport
    _connectionId: ${{connection.api}}
    http: {{method: GET, relativeURI: /in}}
flows:
  sync:
    name: Sync
    pageGenerators:
      - _exportId: ${{export.source}}
    pageProcessors:
      - type: import
        _importId: {MISSING_IMPORT}
"#
        ),
    );
    cli_snapshot!(context, context.flowform().args(["plan"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: spec.yaml:19:20: `flow.sync` `pageProcessors[0]._importId` names import `[ID]`, and no import of the account has it
    hint: write a reference to a resource of the spec (`${import.KEY}`), or the id of an import that exists in this account
    error: the plan cannot be applied: 1 problem (above)
    ");
    let (code, rendered) = context.run(context.flowform().args(["apply", "--auto-approve"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("spec.yaml:19:20"), "{rendered}");
    let admin = context.admin();
    for kind in [ResourceKind::Connections, ResourceKind::Exports, ResourceKind::Flows] {
        assert_eq!(admin.count(kind), 0, "{kind:?}: nothing is written");
    }
}

/// A connection of an integration app (`_connectorId`) named like the spec's: neither the
/// duplicate guard nor `--adopt` takes it; the spec's connection is created beside it and the
/// app's is untouched. Before, the plan stopped on the duplicate guard and `--adopt` bound the
/// app's connection and overwrote it.
#[test]
fn an_integration_apps_connection_is_never_adopted() {
    let context = TestContext::new();
    context.load(json!({
        "integrations": [{"_id": "aaaaaaaaaaaaaaaaaaaaaaa1", "name": "Slack app", "_connectorId": "c0000000000000000000000c"}],
        "connections": [{
            "_id": "cccccccccccccccccccccccc",
            "name": "Slack API",
            "type": "http",
            "_connectorId": "c0000000000000000000000c",
            "_integrationId": "aaaaaaaaaaaaaaaaaaaaaaa1",
            "http": {"baseURI": "https://slack.com/api", "mediaType": "json"}
        }]
    }));
    context.write(
        "spec.yaml",
        "connections:\n  slack:\n    name: Slack API\n    type: http\n    http: {baseURI: \"https://hooks.example.com\", mediaType: json}\n",
    );
    let (code, rendered) = context.run(context.flowform().args(["plan", "--detailed-exitcode"]));
    assert_eq!(code, 2, "{rendered}");
    assert!(rendered.contains("+ connection.slack"), "{rendered}");
    let (code, rendered) =
        context.run(context.flowform().args(["apply", "--auto-approve", "--adopt"]));
    assert_eq!(code, 0, "{rendered}");
    assert_ne!(context.state()["resources"]["connection.slack"]["id"], "cccccccccccccccccccccccc");
    let app =
        context.admin().document(ResourceKind::Connections, "cccccccccccccccccccccccc").unwrap();
    assert_eq!(app["http"]["baseURI"], "https://slack.com/api");
    assert_eq!(context.admin().count(ResourceKind::Connections), 2);
}

/// After `pull`, a connection's token was never seen by flowform: the plan right after is
/// empty, and the first plan that writes the connection lists the token as an unverified
/// sensitive change in every format; the apply writes it and records it. Before, the write sent
/// the environment's value with nothing in the plan saying so.
#[test]
fn a_secret_never_verified_is_marked_in_every_plan_format() {
    let context = crate::context_with_fixtures();
    let (code, rendered) = context.run(context.flowform().args(["pull", "--out", "pulled"]));
    assert_eq!(code, 0, "{rendered}");
    let plan = |arguments: &[&str]| {
        context.run(
            context
                .flowform_in("pulled")
                .env("CONNECTION_API_TOKEN", "the value in the vault")
                .args(["plan", "--detailed-exitcode"])
                .args(arguments),
        )
    };
    assert_eq!(plan(&[]).0, 0);
    let file = context.root().join("pulled/connections.yaml");
    let text = fs_err::read_to_string(&file).unwrap();
    fs_err::write(&file, text.replace("https://example.com", "https://api.example.com")).unwrap();
    let (code, human) = plan(&[]);
    assert_eq!(code, 2, "{human}");
    assert!(
        human.contains("~ http.auth.token.token: (sensitive) → (sensitive)  (unverified: the account's value was never compared; the apply writes the spec's)"),
        "{human}"
    );
    let (_, json) = plan(&["--format", "json"]);
    assert!(json.contains("\"unverified\": true"), "{json}");
    let (_, markdown) = plan(&["--format", "markdown"]);
    assert!(
        markdown.contains("# unverified: the account's value was never compared"),
        "{markdown}"
    );
    let (code, rendered) = context.run(
        context
            .flowform_in("pulled")
            .env("CONNECTION_API_TOKEN", "the value in the vault")
            .args(["apply", "--auto-approve"]),
    );
    assert_eq!(code, 0, "{rendered}");
    let stored = context.admin().document(ResourceKind::Connections, crate::CONNECTION_ID).unwrap();
    assert_eq!(stored["http"]["auth"]["token"]["token"], "the value in the vault");
    assert_eq!(plan(&[]).0, 0);
    let state = crate::support::state_at(&context.root().join("pulled/.flowform/state.json"));
    let fingerprint =
        state["resources"]["connection.api"]["secret_fingerprints"]["http.auth.token.token"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(fingerprint != "unknown" && !fingerprint.starts_with("unverified:"), "{fingerprint}");
}

/// A connection whose tokens the service obtained (OAuth authorization code): `pull` writes no
/// placeholder for them and says so in its output and README; the plan after is empty and a
/// change of `http.baseURI` applies. Before, `pull` asked for `${secret.…}` values for the
/// tokens, and an apply either overwrote them or failed on the masked value.
#[test]
fn pull_leaves_out_the_tokens_the_service_manages() {
    let context = TestContext::new();
    context.load(json!({"connections": [{
        "_id": "cccccccccccccccccccccccc",
        "name": "CRM",
        "type": "http",
        "http": {
            "baseURI": "https://crm.example.com",
            "mediaType": "json",
            "auth": {
                "type": "oauth",
                "oauth": {"grantType": "authorizecode", "clientId": "flowform", "clientSecret": "client-secret"},
                "token": {"location": "header", "token": "service-access", "refreshToken": "service-refresh"}
            }
        }
    }]}));
    let (code, rendered) = context.run(context.flowform().args(["pull", "--out", "pulled"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(
        rendered.contains("2 secrets of `connection.crm` the service obtains and keeps itself"),
        "{rendered}"
    );
    assert!(rendered.contains("CONNECTION_CRM_CLIENT_SECRET"), "{rendered}");
    let spec = fs_err::read_to_string(context.root().join("pulled/connections.yaml")).unwrap();
    assert!(!spec.contains("TOKEN"), "{spec}");
    let readme = fs_err::read_to_string(context.root().join("pulled/README.md")).unwrap();
    assert!(readme.contains("## Secrets the service manages"), "{readme}");
    assert!(readme.contains("| `connection.crm` | `http.auth.token.refreshToken` |"), "{readme}");
    let in_pulled = |arguments: &[&str]| {
        context.run(
            context
                .flowform_in("pulled")
                .env("CONNECTION_CRM_CLIENT_SECRET", "client-secret")
                .args(arguments),
        )
    };
    assert_eq!(in_pulled(&["plan", "--detailed-exitcode"]).0, 0);
    let file = context.root().join("pulled/connections.yaml");
    let text = fs_err::read_to_string(&file).unwrap();
    fs_err::write(&file, text.replace("https://crm.example.com", "https://crm.example.org"))
        .unwrap();
    let (code, rendered) = in_pulled(&["apply", "--auto-approve"]);
    assert_eq!(code, 0, "{rendered}");
    let stored =
        context.admin().document(ResourceKind::Connections, "cccccccccccccccccccccccc").unwrap();
    assert_eq!(stored["http"]["baseURI"], "https://crm.example.org");
    assert_eq!(stored["http"]["auth"]["token"]["refreshToken"], "service-refresh");
    assert_eq!(in_pulled(&["plan", "--detailed-exitcode"]).0, 0);
}

/// An account that lists environments: the state is bound to the token's environment, and a
/// state bound before environments were read is taken over and rewritten. Before, the binding
/// named the endpoint and the user only.
#[test]
fn the_state_names_the_tokens_environment() {
    let context = crate::context_with_fixtures();
    let admin = context.admin();
    let (code, rendered) = context.run(context.flowform().env("API_TOKEN", "x").args([
        "import",
        "integration.main",
        crate::INTEGRATION_ID,
    ]));
    assert_eq!(code, 0, "{rendered}");
    let legacy = context.state()["target"].as_str().unwrap().to_owned();
    assert!(legacy.ends_with(&format!("(user {})", admin.user_id())), "{legacy}");
    admin.set_environments(Some(vec![
        json!({"_id": "e0000000000000000000000a", "name": "Production", "_envUserId": admin.user_id(), "enabled": true}),
        json!({"_id": "e0000000000000000000000b", "name": "Sandbox", "_envUserId": "5f000000000000000000beef", "enabled": true}),
    ]));
    let (code, rendered) = context.run(context.flowform().env("API_TOKEN", "x").args([
        "import",
        "connection.api",
        crate::CONNECTION_ID,
    ]));
    assert_eq!(code, 0, "{rendered}");
    let target = context.state()["target"].as_str().unwrap().to_owned();
    assert_eq!(
        target,
        format!("{}, environment e0000000000000000000000a)", legacy.trim_end_matches(')'))
    );
    // The other environment's token sees another target.
    admin.set_environments(Some(vec![json!({"_id": "e0000000000000000000000b", "name": "Sandbox", "_envUserId": admin.user_id(), "enabled": true})]));
    let (code, rendered) = context.run(context.flowform().env("API_TOKEN", "x").args(["plan"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("environment e0000000000000000000000b"), "{rendered}");
}

/// The token of the second account of [`corpus_accounts`].
const TARGET_TOKEN: &str = "tok-target-canary-77c1";

/// A real integration download (tests/corpus/sb-dataops-download: a NetSuite and an HTTP
/// connection, exports, imports, a flow, the integration) through the binary: loaded into an
/// account as the service returned it, pulled, planned (no change), applied to an empty second
/// account with a state of its own, planned there (no change). Every emulator behaviour is on.
/// Before issue 13, the plan after the pull showed the HTTP import's `method` and `relativeURI`
/// and the NetSuite values the service re-cases as changes.
#[test]
fn a_real_integration_pulls_and_applies_elsewhere_with_empty_plans() {
    let context = TestContext::with_config(flowform_emulator::EmulatorConfig {
        accounts: vec![
            flowform_emulator::AccountConfig::new("e2e", crate::support::TOKEN),
            flowform_emulator::AccountConfig::new("target", TARGET_TOKEN),
        ],
        fidelity: flowform_emulator::Fidelity::all(),
        ..flowform_emulator::EmulatorConfig::for_tests()
    });
    let root = crate::support::repository_root().join("tests/corpus");
    let source = flowform_emulator::read_corpus(&root)
        .unwrap()
        .into_iter()
        .find(|source| source.name == "sb-dataops-download")
        .unwrap();
    // The authors replaced the secret part of a webhook URL by asterisks: the account held a URL.
    let documents: serde_json::Value =
        serde_json::from_str(&source.raw_documents().to_string().replace("/******", "/redacted"))
            .unwrap();
    context.admin().load_raw(&documents).unwrap();
    let (code, rendered) = context.run(context.flowform().args(["pull", "--out", "pulled"]));
    assert_eq!(code, 0, "{rendered}");
    let (code, rendered) =
        context.run(context.flowform_in("pulled").args(["plan", "--detailed-exitcode"]));
    assert_eq!(code, 0, "{rendered}");
    let elsewhere = |arguments: &[&str]| {
        context.run(
            context
                .flowform_in("pulled")
                .env("CELIGO_API_TOKEN", TARGET_TOKEN)
                .args(arguments)
                .args(["--state", "../target-state.json"]),
        )
    };
    let (code, rendered) = elsewhere(&["apply", "--auto-approve"]);
    assert_eq!(code, 0, "{rendered}");
    let target = context.admin().for_token(TARGET_TOKEN).unwrap();
    for kind in [
        ResourceKind::Integrations,
        ResourceKind::Connections,
        ResourceKind::Exports,
        ResourceKind::Imports,
        ResourceKind::Flows,
    ] {
        assert_eq!(target.count(kind), source.count(kind), "{kind:?}: every resource is created");
    }
    let (code, rendered) = elsewhere(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{rendered}");
}
