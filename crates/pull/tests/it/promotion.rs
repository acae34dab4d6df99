//! `examples/promotion`: one spec, a sandbox and a production environment file; each is loaded
//! with its environment and applied to its own account, and the different endpoints, variables
//! and secrets land where they should.

use std::collections::BTreeMap;
use std::path::PathBuf;

use flowform_emulator::ResourceKind;
use flowform_exec::state::StateLocation;
use flowform_spec::{LoadOptions, ProcessEnvironment, SecretPolicy};
use serde_json::Value;

use crate::support::{Accounts, apply_folder, assert_success, changes, plan_with_state};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/promotion")
}

fn secrets(environment: &str) -> BTreeMap<String, String> {
    ["SHOP_API_TOKEN", "ERP_PASSWORD", "SLACK_BOT_TOKEN"]
        .into_iter()
        .map(|name| (name.to_owned(), format!("{environment}-{}", name.to_lowercase())))
        .collect()
}

/// The document of `kind` named `name` in an account, secrets unmasked.
fn document(accounts: &Accounts, token: &str, collection: &str, name: &str) -> Value {
    let fixtures = accounts.emulator.admin().for_token(token).unwrap().export_fixtures();
    fixtures[collection]
        .as_array()
        .and_then(|documents| documents.iter().find(|document| document["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no {collection} `{name}` in {token}: {fixtures:#}"))
}

#[tokio::test]
async fn one_spec_promoted_to_sandbox_and_production() {
    let accounts = Accounts::start().await;
    let root = example();
    let environments = [
        ("sandbox", &accounts.source, "source-token", "https://api.integrator.io"),
        ("production", &accounts.target, "target-token", "https://api.eu.integrator.io"),
    ];
    for (environment, client, _, endpoint) in environments {
        let secrets = secrets(environment);
        let loaded = flowform_spec::load(&LoadOptions {
            paths: vec![root.clone()],
            env: Some(environment.to_owned()),
            vars: Vec::new(),
            secrets: SecretPolicy::Required,
            environment: ProcessEnvironment::Fixed(secrets.clone()),
            ..LoadOptions::default()
        });
        assert!(!loaded.has_errors(), "{environment}: {:#?}", loaded.diagnostics);
        assert!(loaded.diagnostics.is_empty(), "{environment}: {:#?}", loaded.diagnostics);
        let settings = loaded.environment.expect("an environment file");
        assert_eq!(settings.endpoint.as_deref(), Some(endpoint));
        assert_eq!(settings.state.as_deref(), Some("integrator"));
        assert_eq!(loaded.desired.resources.len(), 11);

        // `state: integrator`: the state lives in the account, under `flowform-ENV`.
        let state = StateLocation::Integrator { name: environment.to_owned() };
        let report = apply_folder(client, &root, &state, &secrets, Some(environment)).await;
        assert_success(&report);
        let plan = plan_with_state(client, &root, &state, &secrets, Some(environment)).await;
        assert!(!plan.has_changes(), "{environment}: {:#?}", changes(&plan));
    }

    // The same flows, with each environment's variables and secrets.
    let integration = |token| {
        document(
            &accounts,
            token,
            "integrations",
            if token == "source-token" { "Orders (sandbox)" } else { "Orders" },
        )
    };
    assert_eq!(integration("source-token")["settings"]["slackChannel"], "#orders-sandbox");
    assert_eq!(integration("target-token")["settings"]["slackChannel"], "#orders");
    let shop = |token| document(&accounts, token, "connections", "Shop API");
    assert_eq!(shop("source-token")["http"]["baseURI"], "https://sandbox.shop.example.com/api/v2");
    assert_eq!(shop("target-token")["http"]["baseURI"], "https://shop.example.com/api/v2");
    assert_eq!(shop("source-token")["http"]["auth"]["token"]["token"], "sandbox-shop_api_token");
    assert_eq!(shop("target-token")["http"]["auth"]["token"]["token"], "production-shop_api_token");
    let erp = |token| document(&accounts, token, "connections", "ERP");
    assert_eq!(erp("source-token")["http"]["baseURI"], "https://erp-test.example.com/rest");
    assert_eq!(erp("target-token")["http"]["auth"]["basic"]["password"], "production-erp_password");
    let flow = |token| document(&accounts, token, "flows", "Shop orders to ERP");
    assert_eq!(flow("source-token")["schedule"], "? 0 * * * *");
    assert_eq!(flow("source-token")["timezone"], "UTC");
    assert_eq!(flow("target-token")["schedule"], "? */15 * * * *");
    assert_eq!(flow("target-token")["timezone"], "Europe/Berlin");
    for token in ["source-token", "target-token"] {
        assert_eq!(flow(token)["disabled"], false, "{token}: enabled as the last step");
        let chained = document(&accounts, token, "flows", "Rejected orders to Slack");
        assert_eq!(flow(token)["_runNextFlowIds"][0], chained["_id"], "{token}");
        let alert = document(&accounts, token, "imports", "Post a rejected order to Slack");
        let channel = if token == "source-token" { "#orders-sandbox" } else { "#orders" };
        assert_eq!(alert["mapping"]["fields"][1]["hardCodedValue"], channel);
        let admin = accounts.emulator.admin().for_token(token).unwrap();
        assert!(admin.state_value("flowform-sandbox").is_some() == (token == "source-token"));
        assert!(admin.state_value("flowform-production").is_some() == (token == "target-token"));
        assert_eq!(admin.count(ResourceKind::Flows), 2);
    }
}
