//! `pull` of a hand-built account: the layout and text of the files, the plan right after, the
//! apply of the pulled spec to an empty account, selections, and writing into a folder.

use serde_json::json;

use flowform_model::Kind;
use flowform_pull::{PullError, PullOptions, Selection, WriteError};

use crate::support::{
    Accounts, apply_folder, assert_loads_as_pulled, assert_success, changes, create, json_of, plan,
    pull_into, read_tree, secret_values, state_location,
};

/// The ids of the hand-built account.
pub struct Built {
    pub billing: String,
    pub archive_flow: String,
    pub other_flow: String,
}

/// An account with two flows of the same name, a router, a `_runNextFlowIds` cycle, a flow
/// group, masked secrets, a script with tricky text, exports and imports shared in several ways,
/// an integration called `Environments`, a flow in no integration, and a flow of another
/// integration that a pulled flow chains to.
pub async fn build_account(accounts: &Accounts) -> Built {
    let client = &accounts.source;
    let billing = create(
        client,
        Kind::Integration,
        json!({"name": "Orders & Billing", "description": "Orders: to Slack # and ERP", "flowGroupings": [{"name": "Nightly"}]}),
    )
    .await;
    let environments = create(client, Kind::Integration, json!({"name": "Environments"})).await;
    let other = create(client, Kind::Integration, json!({"name": "Other team"})).await;
    let groups =
        json_of(&client.get(Kind::Integration, &billing).await.unwrap().document)["flowGroupings"]
            .clone();
    let group = groups[0]["_id"].as_str().unwrap().to_owned();

    let slack = create(
        client,
        Kind::Connection,
        json!({"name": "Slack API", "type": "http", "http": {
            "baseURI": "https://slack.com/api", "mediaType": "json", "concurrencyLevel": 25,
            "auth": {"type": "token", "token": {"token": "xoxb-secret", "location": "header", "headerName": "Authorization", "scheme": "Bearer"}}
        }}),
    )
    .await;
    let github = create(
        client,
        Kind::Connection,
        json!({"name": "GitHub", "type": "http", "http": {
            "baseURI": "https://api.github.com", "mediaType": "json",
            "auth": {"type": "basic", "basic": {"username": "bot", "password": "hunter2"}}
        }}),
    )
    .await;
    let script = create(
        client,
        Kind::Script,
        json!({"name": "Format issue", "description": "Builds the text", "content":
            "function preMap(options) {\n\treturn options.data.map((d) => `${d.title}: {{x}}`); \n}\n"}),
    )
    .await;
    let new_orders = create(
        client,
        Kind::Export,
        json!({"name": "New orders", "adaptorType": "HTTPExport", "_connectionId": github,
            "http": {"method": "GET", "relativeURI": "/orders?since={{lastExportDateTime}}&cost=${price}"},
            "hooks": {"preSavePage": {"_scriptId": script, "function": "preSavePage"}}}),
    )
    .await;
    let webhook = create(
        client,
        Kind::Export,
        json!({"name": "Order webhook", "adaptorType": "WebhookExport",
            "webhook": {"provider": "custom", "verify": "token", "token": "webhook-secret", "path": "/hooks/orders"}}),
    )
    .await;
    let lookup = create(
        client,
        Kind::Export,
        json!({"name": "Look up customer", "adaptorType": "HTTPExport", "_connectionId": github, "isLookup": true,
            "http": {"method": "GET", "relativeURI": "/customers/{{data.customerId}}"}}),
    )
    .await;
    let post = create(
        client,
        Kind::Import,
        json!({"name": "Post to Slack", "adaptorType": "HTTPImport", "_connectionId": slack,
            "http": {"method": ["POST"], "relativeURI": ["/chat.postMessage"], "requestMediaType": "json", "body": ["{\n  \"text\": \"{{text}}\"\n}"]},
            "mapping": {"fields": [{"extract": "title", "generate": "text"}, {"extract": "true", "generate": "yes"}]},
            "hooks": {"preMap": {"_scriptId": script, "function": "preMap"}}}),
    )
    .await;
    let archive = create(
        client,
        Kind::Import,
        json!({"name": "Archive", "adaptorType": "HTTPImport", "_connectionId": slack,
            "http": {"method": ["PUT"], "relativeURI": ["/archive"]}}),
    )
    .await;

    let other_flow = create(
        client,
        Kind::Flow,
        json!({"name": "Other flow", "_integrationId": other, "pageGenerators": [{"_exportId": lookup}],
            "pageProcessors": [{"type": "import", "_importId": archive}]}),
    )
    .await;
    let first_flow = create(
        client,
        Kind::Flow,
        json!({"name": "Orders to Slack", "_integrationId": billing, "_flowGroupingId": group, "disabled": true,
            "schedule": "? 0 */2 * * *", "timezone": "America/New_York",
            "pageGenerators": [{"_exportId": new_orders, "skipRetries": false}],
            "pageProcessors": [
                {"type": "export", "_exportId": lookup, "responseMapping": {"fields": [{"extract": "data[0].name", "generate": "customer"}]}},
                {"type": "import", "_importId": post, "proceedOnFailure": false}
            ],
            "settings": {"channel": "#orders", "threshold": 2.5, "tags": ["a", "b: c"], "empty": {}}}),
    )
    .await;
    let second_flow = create(
        client,
        Kind::Flow,
        json!({"name": "Orders to Slack", "_integrationId": billing,
            "pageGenerators": [{"_exportId": webhook}],
            "routers": [{"routeRecordsTo": "first_matching_branch", "routeRecordsUsing": "input_filters", "branches": [
                {"name": "big", "inputFilter": {"version": "1", "rules": ["greaterthan", ["extract", "total"], 1000]},
                 "pageProcessors": [{"type": "export", "_exportId": lookup}, {"type": "import", "_importId": post}]},
                {"name": "rest", "pageProcessors": []}
            ]}],
            "_runNextFlowIds": [first_flow]}),
    )
    .await;
    // Close the `_runNextFlowIds` cycle and chain to a flow outside `Orders & Billing`.
    let mut first = json_of(&client.get(Kind::Flow, &first_flow).await.unwrap().document);
    first["_runNextFlowIds"] = json!([second_flow, other_flow]);
    client.update(Kind::Flow, &first_flow, &first).await.unwrap();
    let archive_flow = create(
        client,
        Kind::Flow,
        json!({"name": "Archive orders", "_integrationId": environments,
            "pageGenerators": [{"_exportId": webhook}], "pageProcessors": [{"type": "import", "_importId": archive}]}),
    )
    .await;
    create(
        client,
        Kind::Flow,
        json!({"name": "Standalone", "pageGenerators": [{"_exportId": new_orders}],
            "pageProcessors": [{"type": "import", "_importId": archive}]}),
    )
    .await;
    Built { billing, archive_flow, other_flow }
}

fn listing(files: &std::collections::BTreeMap<std::path::PathBuf, String>) -> String {
    files.keys().map(|path| format!("{}\n", path.display())).collect()
}

#[tokio::test]
async fn pull_everything_then_plan_is_empty_and_the_spec_applies_elsewhere() {
    let accounts = Accounts::start().await;
    build_account(&accounts).await;
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("pulled");
    let pulled = pull_into(&accounts.source, &Selection::All, &out).await;

    insta::assert_snapshot!(listing(&pulled.files), @"
    README.md
    connections.yaml
    environments-integration/flows/archive-orders.yaml
    environments-integration/integration.yaml
    flows/standalone.yaml
    orders-billing/flows/orders-to-slack-2.yaml
    orders-billing/flows/orders-to-slack.yaml
    orders-billing/integration.yaml
    orders-billing/shared.yaml
    other-team/flows/other-flow.yaml
    other-team/integration.yaml
    scripts/format-issue.js
    scripts.yaml
    shared.yaml
    ");
    let file = |path: &str| pulled.files[std::path::Path::new(path)].as_str();
    insta::with_settings!({filters => vec![(r"\b[0-9a-f]{24}\b", "[id]")]}, {
        insta::assert_snapshot!("flow_file", file("orders-billing/flows/orders-to-slack.yaml"));
        insta::assert_snapshot!("flow_with_router", file("orders-billing/flows/orders-to-slack-2.yaml"));
        insta::assert_snapshot!("integration_file", file("orders-billing/integration.yaml"));
        insta::assert_snapshot!("top_connections", file("connections.yaml"));
        insta::assert_snapshot!("scripts_file", file("scripts.yaml"));
        insta::assert_snapshot!("top_shared", file("shared.yaml"));
        insta::assert_snapshot!("readme_all", file("README.md"));
    });
    assert_eq!(
        file("scripts/format-issue.js"),
        "function preMap(options) {\n\treturn options.data.map((d) => `${d.title}: {{x}}`); \n}\n"
    );
    assert!(pulled.outside_references.is_empty(), "{:?}", pulled.outside_references);
    assert_eq!(read_tree(&out), pulled.files, "the files on disk are the pulled files");

    // The spec loads into exactly what was pulled, and plans empty.
    let secrets = secret_values(&pulled);
    assert_loads_as_pulled(&out, &pulled, &secrets);
    let plan = plan(&accounts.source, &out, &secrets, None).await;
    assert!(!plan.has_changes(), "changes right after pull: {:#?}", changes(&plan));

    // The same spec creates everything in an empty account, which pulls into the same files.
    let report = apply_folder(
        &accounts.target,
        &out,
        &state_location(&folder.path().join("target")),
        &secrets,
        None,
    )
    .await;
    assert_success(&report);
    let again = folder.path().join("again");
    let repulled = pull_into(&accounts.target, &Selection::All, &again).await;
    assert_eq!(listing(&repulled.files), listing(&pulled.files));
    for (path, text) in &pulled.files {
        assert_eq!(
            &repulled.files[path],
            text,
            "`{}` differs after the round trip",
            path.display()
        );
    }

    // Pulling the same account twice gives the same files.
    let twice = flowform_pull::pull(&accounts.source, &Selection::All, &PullOptions::default())
        .await
        .unwrap();
    assert_eq!(twice.files, pulled.files);
}

#[tokio::test]
async fn pull_one_integration_keeps_outside_ids_literal() {
    let accounts = Accounts::start().await;
    let built = build_account(&accounts).await;
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("billing");
    let selection = Selection::Integrations(vec!["orders & billing".to_owned()]);
    let pulled = pull_into(&accounts.source, &selection, &out).await;

    let addresses: Vec<String> = pulled.resources.keys().map(ToString::to_string).collect();
    insta::assert_snapshot!(addresses.join("\n"), @r"
    integration.orders-billing
    connection.github
    connection.slack-api
    script.format-issue
    export.look-up-customer
    export.new-orders
    export.order-webhook
    import.post-to-slack
    flow.orders-to-slack
    flow.orders-to-slack-2
    ");
    assert_eq!(pulled.outside_references.len(), 1, "{:?}", pulled.outside_references);
    let outside = &pulled.outside_references[0];
    assert_eq!(outside.address.to_string(), "flow.orders-to-slack");
    assert_eq!(outside.path.to_string(), "_runNextFlowIds[1]");
    assert_eq!(outside.id, built.other_flow);
    assert_eq!(outside.description, "flow `Other flow` in integration `Other team`");
    assert!(
        pulled.warnings.iter().any(|warning| warning.contains(&built.other_flow)),
        "{:#?}",
        pulled.warnings
    );
    assert!(pulled.files[std::path::Path::new("README.md")].contains(&built.other_flow));
    let flow_file =
        &pulled.files[std::path::Path::new("orders-billing/flows/orders-to-slack.yaml")];
    assert!(flow_file.contains(&format!("- {}", built.other_flow)), "{flow_file}");

    let secrets = secret_values(&pulled);
    assert_loads_as_pulled(&out, &pulled, &secrets);
    let plan = plan(&accounts.source, &out, &secrets, None).await;
    assert!(!plan.has_changes(), "changes right after pull: {:#?}", changes(&plan));

    // The id works as a selector too, and unknown or ambiguous selectors are refused.
    let by_id = flowform_pull::pull(
        &accounts.source,
        &Selection::Integrations(vec![built.billing.clone()]),
        &PullOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(by_id.files, pulled.files);
    let unknown = flowform_pull::pull(
        &accounts.source,
        &Selection::Integrations(vec!["Billing".to_owned()]),
        &PullOptions::default(),
    )
    .await
    .unwrap_err();
    insta::assert_snapshot!(unknown.to_string(), @"no integration has the id or name `Billing`; the account has `Environments`, `Orders & Billing`, `Other team`");
    create(&accounts.source, Kind::Integration, json!({"name": "Other team"})).await;
    let ambiguous = flowform_pull::pull(
        &accounts.source,
        &Selection::Integrations(vec!["Other team".to_owned()]),
        &PullOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(ambiguous, PullError::AmbiguousIntegration { .. }), "{ambiguous}");
}

#[tokio::test]
async fn writing_refuses_a_non_empty_folder_unless_forced() {
    let accounts = Accounts::start().await;
    let built = build_account(&accounts).await;
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("spec");
    let pulled = pull_into(&accounts.source, &Selection::All, &out).await;

    // Someone's environment file and notes, next to the pulled spec.
    fs_err::create_dir_all(out.join("environments")).unwrap();
    fs_err::write(out.join("environments/production.yaml"), "variables: {}\n").unwrap();
    fs_err::write(out.join("NOTES.txt"), "keep me\n").unwrap();

    let refused = flowform_pull::write(&pulled, &out, false).unwrap_err();
    assert!(matches!(refused, WriteError::NotEmpty { .. }));
    assert!(refused.to_string().contains("is not empty"), "{refused}");
    assert!(refused.hint().is_some());

    // A flow deleted in the account: a forced pull removes its file, keeps the other files.
    accounts.source.delete(Kind::Flow, &built.archive_flow).await.unwrap();
    let state = crate::support::read_state(&accounts.source, &state_location(&out)).await;
    let again = flowform_pull::pull(
        &accounts.source,
        &Selection::All,
        &PullOptions { state: Some(&state) },
    )
    .await
    .unwrap();
    assert_eq!(
        again.stale_addresses(&state).iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["flow.archive-orders"]
    );
    let written = flowform_pull::write(&again, &out, true).unwrap();
    assert_eq!(
        written.removed.iter().map(|path| path.display().to_string()).collect::<Vec<_>>(),
        ["environments-integration/flows/archive-orders.yaml"]
    );
    let mut on_disk = read_tree(&out);
    assert_eq!(on_disk.remove(std::path::Path::new("NOTES.txt")).as_deref(), Some("keep me\n"));
    assert!(on_disk.remove(std::path::Path::new("environments/production.yaml")).is_some());
    assert_eq!(on_disk, again.files);

    // An existing empty folder is fine; a file is not a folder.
    let empty = folder.path().join("empty");
    fs_err::create_dir_all(&empty).unwrap();
    flowform_pull::write(&again, &empty, false).unwrap();
    assert_eq!(read_tree(&empty), again.files);
    let file = folder.path().join("file");
    fs_err::write(&file, "x").unwrap();
    assert!(matches!(
        flowform_pull::write(&again, &file, true),
        Err(WriteError::NotADirectory { .. })
    ));
}
