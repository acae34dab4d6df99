//! `examples/promotion`: one spec, a sandbox and a production environment file; each is loaded
//! with its environment and applied to its own account, and the different endpoints, variables
//! and secrets land where they should. The two accounts have different agents (each finds its
//! own by the name its environment file gives, and production also has one named like the
//! sandbox's) and different ids for everything; the iClient, the lookup cache with its data, the
//! file definition and the flow groups are created in each, and both plans are empty afterwards.

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
    ["SHOP_CLIENT_SECRET", "ERP_PASSWORD", "SLACK_BOT_TOKEN"]
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
    // Each account's own ERP agent (the name its environment file gives); production also has
    // an agent named like the sandbox's, and agents created first, so no id is shared.
    let agent = |token: &str, name: &str| {
        let admin = accounts.emulator.admin().for_token(token).unwrap();
        admin.create_agent(&serde_json::json!({"name": name})).unwrap()["_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sandbox_agent = agent("source-token", "ERP agent (test)");
    agent("target-token", "ERP agent (test)");
    agent("target-token", "Warehouse agent");
    let production_agent = agent("target-token", "ERP agent");
    assert_ne!(sandbox_agent, production_agent);
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
        assert_eq!(loaded.desired.resources.len(), 14);
        assert_eq!(loaded.desired.lookups.len(), 1, "data.agent.erp");

        // `state: integrator`: the state lives in the account, under `flowform-ENV`.
        let state = StateLocation::Integrator { name: environment.to_owned() };
        let report = apply_folder(client, &root, &state, &secrets, Some(environment)).await;
        assert_success(&report);
        let plan = plan_with_state(client, &root, &state, &secrets, Some(environment)).await;
        assert!(!plan.has_changes(), "{environment}: {:#?}", changes(&plan));
        // Every kind's baseline (the iClient, the lookup cache, the file definition, …) was
        // made from what the service stored, so nothing reads as changed outside flowform.
        assert!(plan.changed_outside.is_empty(), "{environment}: {:#?}", plan.changed_outside);
        assert!(plan.without_baseline.is_empty(), "{environment}: {:?}", plan.without_baseline);
        // The plan shows the agent the lookup found in this account.
        let wanted = if environment == "sandbox" { &sandbox_agent } else { &production_agent };
        let found: Vec<_> =
            plan.lookups.iter().map(|found| (found.id.as_str(), found.name.as_deref())).collect();
        let name = if environment == "sandbox" { "ERP agent (test)" } else { "ERP agent" };
        assert_eq!(found, [(wanted.as_str(), Some(name))], "{environment}");
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
    let app = |token| document(&accounts, token, "iclients", "Shop OAuth app");
    assert_eq!(app("source-token")["oauth2"]["clientId"], "flowform-orders-sandbox");
    assert_eq!(app("source-token")["oauth2"]["clientSecret"], "sandbox-shop_client_secret");
    assert_eq!(app("target-token")["oauth2"]["clientSecret"], "production-shop_client_secret");
    let erp = |token| document(&accounts, token, "connections", "ERP");
    assert_eq!(erp("source-token")["http"]["baseURI"], "https://erp-test.example.com/rest");
    assert_eq!(erp("target-token")["http"]["auth"]["basic"]["password"], "production-erp_password");
    // Each connection runs through its own account's agent.
    assert_eq!(erp("source-token")["_agentId"], sandbox_agent.as_str());
    assert_eq!(erp("target-token")["_agentId"], production_agent.as_str());
    let flow = |token| document(&accounts, token, "flows", "Shop orders to ERP");
    assert_eq!(flow("source-token")["schedule"], "? 0 * * * *");
    assert_eq!(flow("source-token")["timezone"], "UTC");
    assert_eq!(flow("target-token")["schedule"], "? */15 * * * *");
    assert_eq!(flow("target-token")["timezone"], "Europe/Berlin");
    for token in ["source-token", "target-token"] {
        assert_eq!(shop(token)["http"]["_iClientId"], app(token)["_id"], "{token}");
        let cache = document(&accounts, token, "lookupcaches", "Shop SKU to ERP item");
        let erp_order = document(&accounts, token, "imports", "Create the ERP sales order");
        assert_eq!(erp_order["lookups"][0]["_lookupCacheId"], cache["_id"], "{token}");
        let admin = accounts.emulator.admin().for_token(token).unwrap();
        let entries = admin.lookup_cache_data(cache["_id"].as_str().unwrap()).unwrap();
        assert_eq!(entries.len(), 5, "{token}: every entry of data/sku-map.json: {entries:?}");
        assert!(
            entries.iter().any(|entry| entry["key"] == "MUG-WHITE"
                && entry["value"] == serde_json::json!({"item": "200-0001", "warehouse": "EU-1"})),
            "{token}: {entries:?}"
        );
        let definition =
            document(&accounts, token, "filedefinitions", "X12 855 purchase order acknowledgement");
        let rejected = document(&accounts, token, "exports", "Orders the ERP rejected");
        assert_eq!(rejected["file"]["fileDefinition"]["_fileDefinitionId"], definition["_id"]);
        // The groups by name, each flow in its own.
        let groups = &integration(token)["flowGroupings"];
        let group = |name: &str| {
            groups
                .as_array()
                .and_then(|groups| groups.iter().find(|group| group["name"] == name))
                .map(|group| group["_id"].clone())
                .unwrap_or_else(|| panic!("{token}: no group `{name}` in {groups}"))
        };
        assert_eq!(flow(token)["_flowGroupingId"], group("Orders"), "{token}");
        let chained = document(&accounts, token, "flows", "Rejected orders to Slack");
        assert_eq!(chained["_flowGroupingId"], group("Alerts"), "{token}");
        assert_eq!(flow(token)["disabled"], false, "{token}: enabled as the last step");
        assert_eq!(flow(token)["_runNextFlowIds"][0], chained["_id"], "{token}");
        let alert = document(&accounts, token, "imports", "Post a rejected order to Slack");
        let channel = if token == "source-token" { "#orders-sandbox" } else { "#orders" };
        assert_eq!(alert["mapping"]["fields"][1]["hardCodedValue"], channel);
        assert!(admin.state_value("flowform-sandbox").is_some() == (token == "source-token"));
        assert!(admin.state_value("flowform-production").is_some() == (token == "target-token"));
        assert_eq!(admin.count(ResourceKind::Flows), 2);
        assert_eq!(admin.count(ResourceKind::IClients), 1);
    }
    // No id of one account is in the other: everything was created or found in each.
    let ids = |token: &str| -> std::collections::BTreeSet<String> {
        let fixtures = accounts.emulator.admin().for_token(token).unwrap().export_fixtures();
        fixtures
            .as_object()
            .into_iter()
            .flat_map(|collections| collections.values())
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|document| document["_id"].as_str().map(str::to_owned))
            .collect()
    };
    let shared: Vec<String> =
        ids("source-token").intersection(&ids("target-token")).cloned().collect();
    assert!(shared.is_empty(), "ids in both accounts: {shared:?}");
}
