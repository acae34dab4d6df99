//! The kinds a real flow references (issue 16): iClients, lookup caches, file definitions, EDI
//! profiles and async helpers are created in dependency order (the export ↔ async helper cycle
//! broken and linked), converge, and are deleted with what names them: a connection naming a
//! deleted iClient is purged from the recycle bin first.

use flowform_emulator::ResourceKind;

use crate::support::{Workspace, assert_success, summary};

pub(crate) const KINDS: &str = r#"
integrations:
  orders:
    name: Orders

iclients:
  shop-app:
    name: Shop app
    provider: custom_oauth2
    oauth2:
      clientId: shop
      clientSecret: ${secret.SHOP_APP_SECRET}
      scope: [orders.read]

connections:
  shop:
    name: Shop
    type: http
    http:
      baseURI: https://shop.example.com
      mediaType: json
      _iClientId: ${iclient.shop-app}
      auth:
        type: oauth
        oauth:
          grantType: clientcredentials

filedefinitions:
  po-850:
    name: Purchase order 850
    version: "2"
    format: delimited/x12
    delimited:
      rowSuffix: "~"
      colDelimiter: "*"
    rules: []

ediprofiles:
  partner:
    name: Partner
    fileType: edifact

lookupcaches:
  skus:
    name: SKUs
    description: SKU to item
    _integrationId: ${integration.orders}

exports:
  submit-feed:
    name: Submit feed
    adaptorType: HTTPExport
    _connectionId: ${connection.shop}
    http:
      method: GET
      relativeURI: /feeds
      _asyncHelperId: ${asynchelper.feed-status}
  edi-in:
    name: EDI in
    adaptorType: HTTPExport
    _connectionId: ${connection.shop}
    _ediProfileId: ${ediprofile.partner}
    http:
      method: GET
      relativeURI: /edi
    file:
      type: filedefinition
      fileDefinition:
        _fileDefinitionId: ${filedefinition.po-850}

imports:
  items:
    name: Items
    adaptorType: HTTPImport
    _connectionId: ${connection.shop}
    http:
      method: [POST]
      relativeURI: [/items]
    lookups:
      - name: sku
        _lookupCacheId: ${lookupcache.skus}

asynchelpers:
  feed-status:
    name: Feed status
    http:
      status:
        _exportId: ${export.submit-feed}
        statusPath: state
      result:
        _exportId: ${export.submit-feed}

flows:
  feeds:
    name: Feeds
    _integrationId: ${integration.orders}
    disabled: true
    pageGenerators:
      - _exportId: ${export.submit-feed}
    pageProcessors:
      - type: import
        _importId: ${import.items}
"#;

async fn workspace() -> Workspace {
    let mut workspace = Workspace::new().await;
    workspace.secrets.insert("SHOP_APP_SECRET".into(), "app-secret-one".into());
    workspace.write("spec.yaml", KINDS);
    workspace
}

#[tokio::test]
async fn every_new_kind_is_created_in_order_and_converges() {
    let workspace = workspace().await;
    let plan = workspace.plan().await;
    assert_eq!(plan.summary().create, 11, "{:?}", summary(&plan));
    let report = workspace.apply().await;
    assert_success(&report);
    // The export was created without its async helper and linked once the helper existed.
    let labels: Vec<&str> = report.steps.iter().map(|step| step.label.as_str()).collect();
    let at = |label: &str| labels.iter().position(|found| *found == label).unwrap();
    assert!(at("create export.submit-feed") < at("create asynchelper.feed-status"), "{labels:?}");
    assert!(at("create asynchelper.feed-status") < at("link export.submit-feed"), "{labels:?}");
    let admin = workspace.emulator.admin();
    let export = admin
        .documents(ResourceKind::Exports)
        .into_iter()
        .find(|export| export["name"] == "Submit feed")
        .unwrap();
    let helper = &admin.documents(ResourceKind::AsyncHelpers)[0];
    assert_eq!(export["http"]["_asyncHelperId"], helper["_id"]);
    assert_eq!(helper["http"]["status"]["_exportId"], export["_id"]);
    let iclient = &admin.documents(ResourceKind::IClients)[0];
    assert_eq!(iclient["oauth2"]["clientSecret"], "app-secret-one");
    let plan = workspace.plan().await;
    assert!(!plan.has_changes(), "{:?}", summary(&plan));
    let state = workspace.state_files_text();
    assert!(!state.contains("app-secret-one"), "no secret in the state");

    // A rotated iClient secret is one sensitive update.
    let mut workspace = workspace;
    workspace.secrets.insert("SHOP_APP_SECRET".into(), "app-secret-two".into());
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update iclient.shop-app"]);
    assert_success(&workspace.apply().await);
    assert!(!workspace.plan().await.has_changes());
}

#[tokio::test]
async fn a_connection_deleted_with_its_iclient_is_purged_first() {
    let workspace = workspace().await;
    assert_success(&workspace.apply().await);
    // The connection, its iClient, and everything that used the connection leave the spec.
    let kept = KINDS[..KINDS.find("iclients:").unwrap()].to_owned()
        + &KINDS[KINDS.find("filedefinitions:").unwrap()..KINDS.find("exports:").unwrap()];
    workspace.write("spec.yaml", &kept);
    let plan = workspace.plan().await;
    let deletes: Vec<String> = summary(&plan);
    assert!(deletes.contains(&"delete iclient.shop-app".to_owned()), "{deletes:?}");
    let report = workspace.apply().await;
    assert_success(&report);
    let connection = report.steps.iter().find(|step| step.label == "delete connection.shop");
    let text = format!("{:?}", connection.unwrap().outcome);
    assert!(text.contains("purged from the recycle bin"), "{text}");
    let admin = workspace.emulator.admin();
    assert!(admin.documents(ResourceKind::IClients).is_empty());
    assert!(admin.documents(ResourceKind::Connections).is_empty());
    assert!(
        !admin.recycle_bin().iter().any(|(kind, _)| *kind == ResourceKind::Connections),
        "the connection is purged"
    );
    assert!(!workspace.plan().await.has_changes());
}

const GROUPS: &str = r#"
integrations:
  orders:
    name: Orders
    flowGroups: [Inbound, Accounting, Outbound]

exports:
  a: {name: A, adaptorType: WebhookExport, webhook: {provider: custom}}
  b: {name: B, adaptorType: WebhookExport, webhook: {provider: custom}}

flows:
  first:
    name: First
    _integrationId: ${integration.orders}
    flowGroup: Inbound
    disabled: true
    pageGenerators: [{_exportId: "${export.a}"}]
  second:
    name: Second
    _integrationId: ${integration.orders}
    flowGroup: Accounting
    disabled: true
    pageGenerators: [{_exportId: "${export.b}"}]
"#;

fn group_of(workspace: &Workspace, flow: &str) -> Option<String> {
    let admin = workspace.emulator.admin();
    let integration = admin.documents(ResourceKind::Integrations).remove(0);
    let flow = admin
        .documents(ResourceKind::Flows)
        .into_iter()
        .find(|document| document["name"] == flow)
        .unwrap();
    let id = flow["_flowGroupingId"].as_str()?;
    integration["flowGroupings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["_id"] == id)
        .map(|group| group["name"].as_str().unwrap().to_owned())
}

fn group_ids(workspace: &Workspace) -> Vec<(String, String)> {
    let integration = workspace.emulator.admin().documents(ResourceKind::Integrations).remove(0);
    integration["flowGroupings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            (group["name"].as_str().unwrap().to_owned(), group["_id"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn flow_groups_are_created_renamed_reordered_and_deleted_by_name() {
    let workspace = Workspace::new().await;
    workspace.write("spec.yaml", GROUPS);
    assert_success(&workspace.apply().await);
    assert_eq!(group_of(&workspace, "First").as_deref(), Some("Inbound"));
    assert_eq!(group_of(&workspace, "Second").as_deref(), Some("Accounting"));
    assert!(!workspace.plan().await.has_changes());
    let before = group_ids(&workspace);
    let state = workspace.state_files_text();
    for (_, id) in &before {
        assert!(!state.contains(id.as_str()), "no group id in the state");
    }

    // Rename Accounting (its flow stays in it), reorder, drop Outbound: one integration update,
    // the flows untouched, the renamed group keeps its id.
    let renamed = GROUPS
        .replace(
            "flowGroups: [Inbound, Accounting, Outbound]",
            "flowGroups: [{name: Finance, renamedFrom: Accounting}, Inbound]",
        )
        .replace("flowGroup: Accounting", "flowGroup: Finance");
    workspace.write("spec.yaml", &renamed);
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update integration.orders"]);
    assert_success(&workspace.apply().await);
    let after = group_ids(&workspace);
    assert_eq!(
        after.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
        ["Finance", "Inbound"]
    );
    let id = |groups: &[(String, String)], name: &str| {
        groups.iter().find(|(found, _)| found == name).map(|(_, id)| id.clone())
    };
    assert_eq!(id(&after, "Finance"), id(&before, "Accounting"));
    assert_eq!(id(&after, "Inbound"), id(&before, "Inbound"));
    assert_eq!(group_of(&workspace, "Second").as_deref(), Some("Finance"));
    assert!(!workspace.plan().await.has_changes());

    // Move a flow to another group, and out of any.
    let moved = renamed.replace("flowGroup: Inbound", "flowGroup: Finance").replace(
        "    flowGroup: Finance\n    disabled: true\n    pageGenerators: [{_exportId: \"${export.b}\"}]",
        "    disabled: true\n    pageGenerators: [{_exportId: \"${export.b}\"}]",
    );
    workspace.write("spec.yaml", &moved);
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update flow.first", "update flow.second"]);
    assert_success(&workspace.apply().await);
    assert_eq!(group_of(&workspace, "First").as_deref(), Some("Finance"));
    assert_eq!(group_of(&workspace, "Second"), None);
    assert!(!workspace.plan().await.has_changes());

    // A change to the integration that does not touch its groups keeps them (and their ids).
    let described =
        moved.replace("    name: Orders\n", "    name: Orders\n    description: edited\n");
    workspace.write("spec.yaml", &described);
    assert_success(&workspace.apply().await);
    assert_eq!(group_ids(&workspace), after);
    assert_eq!(group_of(&workspace, "First").as_deref(), Some("Finance"));
    assert!(!workspace.plan().await.has_changes());
}

const LOOKUPS: &str = r#"
variables:
  agent: Warehouse agent

data:
  agents:
    warehouse:
      name: ${var.agent}

connections:
  files:
    name: Files
    type: filesystem
    _agentId: ${data.agent.warehouse}
    filesystem:
      directoryPath: /in
"#;

#[tokio::test]
async fn data_lookups_find_one_resource_by_name_or_fail_the_plan() {
    let workspace = Workspace::new().await;
    workspace.write("spec.yaml", LOOKUPS);
    // Nothing named so: the plan fails before anything is written, naming the spec line.
    let desired = workspace.load();
    let state = workspace.state().await;
    let error =
        flowform_exec::planner::read_live(&workspace.client, &desired, &state).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("spec.yaml:7:5"), "{text}");
    assert!(text.contains("finds no agent with name: \"Warehouse agent\""), "{text}");

    let admin = workspace.emulator.admin();
    let agent = admin.create_agent(&serde_json::json!({"name": "Warehouse agent"})).unwrap();
    admin.create_agent(&serde_json::json!({"name": "Office agent"})).unwrap();
    let (_, plan, _) = workspace.plan_with(&Default::default()).await;
    assert_eq!(plan.lookups.len(), 1);
    assert_eq!(plan.lookups[0].id, agent["_id"].as_str().unwrap());
    assert_success(&workspace.apply().await);
    let connection = &admin.documents(ResourceKind::Connections)[0];
    assert_eq!(connection["_agentId"], agent["_id"]);
    assert!(!workspace.plan().await.has_changes());

    // A second agent of that name: ambiguous, the plan fails.
    admin.create_agent(&serde_json::json!({"name": "Warehouse agent"})).unwrap();
    let error = flowform_exec::planner::read_live(&workspace.client, &workspace.load(), &state)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("finds 2 agents"), "{error}");
}

const CACHE: &str = r#"
lookupcaches:
  skus:
    name: SKUs
    dataFile: data/skus.json
"#;

fn entries(count: usize, value: impl Fn(usize) -> serde_json::Value) -> String {
    let mut object = serde_json::Map::new();
    for index in 0..count {
        object.insert(format!("sku-{index:05}"), value(index));
    }
    serde_json::to_string_pretty(&serde_json::Value::Object(object)).unwrap()
}

#[tokio::test]
async fn lookup_cache_data_is_diffed_by_key_and_written_in_batches_within_the_limits() {
    let workspace = Workspace::new().await;
    let admin = workspace.emulator.admin();
    // Small pages, so the comparison reads the cache page by page.
    let limits = flowform_emulator::LookupCacheLimits { keys_per_page: 97, ..Default::default() };
    admin.set_lookup_cache_limits(limits).unwrap();
    workspace.write("spec.yaml", CACHE);
    workspace.write("data/skus.json", &entries(2_345, |index| serde_json::json!({"item": index})));
    let plan = workspace.plan().await;
    let change = plan.actionable().next().unwrap();
    let data = change.data.as_ref().unwrap();
    assert_eq!((data.added, data.changed, data.removed), (2_345, 0, 0));
    assert_eq!(data.first_added, ["sku-00000", "sku-00001", "sku-00002", "sku-00003", "sku-00004"]);
    let report = workspace.apply().await;
    assert_success(&report);
    let cache = &admin.documents(ResourceKind::LookupCaches)[0];
    let id = cache["_id"].as_str().unwrap().to_owned();
    assert_eq!(admin.lookup_cache_data(&id).unwrap().len(), 2_345);
    let step = report.steps.iter().find(|step| step.label == "write data of lookupcache.skus");
    let text = format!("{:?}", step.unwrap().outcome);
    assert!(text.contains("2345 entries upserted, 0 keys deleted, in 3 calls"), "{text}");
    assert!(!workspace.plan().await.has_changes());

    // One changed, two removed, one added: a data-only update, shown by key.
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&entries(2_345, |index| serde_json::json!({"item": index}))).unwrap();
    object.insert("sku-00007".into(), serde_json::json!({"item": "seven"}));
    object.remove("sku-00003");
    object.remove("sku-02000");
    object.insert("sku-99999".into(), serde_json::json!(null));
    workspace.write("data/skus.json", &serde_json::to_string(&object).unwrap());
    let plan = workspace.plan().await;
    assert_eq!(summary(&plan), ["update lookupcache.skus"]);
    let change = plan.actionable().next().unwrap();
    assert!(change.fields().is_empty());
    let data = change.data.as_ref().unwrap();
    assert_eq!((data.added, data.changed, data.removed, data.unchanged), (1, 1, 2, 2_342));
    assert_eq!(data.first_removed, ["sku-00003", "sku-02000"]);
    let human = flowform_diff::render::human(&plan, &Default::default());
    assert!(
        human.contains("data (data/skus.json): 1 added, 1 changed, 2 removed, 2342 unchanged"),
        "{human}"
    );
    assert!(human.contains("removed: sku-00003, sku-02000"), "{human}");
    let report = workspace.apply().await;
    assert_success(&report);
    assert_eq!(report.steps.len(), 1, "the cache itself is not written: {report:#?}");
    let stored = admin.lookup_cache_data(&id).unwrap();
    assert_eq!(stored.len(), 2_344);
    assert!(
        stored.iter().any(|entry| entry["key"] == "sku-00007" && entry["value"]["item"] == "seven")
    );
    assert!(!workspace.plan().await.has_changes());

    // Large values: batches are cut by bytes too (5 MB a call).
    let big = "x".repeat(20_000);
    workspace.write("data/skus.json", &entries(600, |_| serde_json::json!(big)));
    let plan = workspace.plan().await;
    let data = plan.actionable().next().unwrap().data.clone().unwrap();
    assert_eq!((data.added, data.changed, data.removed), (1, 599, 1_745));
    assert_success(&workspace.apply().await);
    assert_eq!(admin.lookup_cache_data(&id).unwrap().len(), 600);
    assert!(!workspace.plan().await.has_changes());
}

/// The duplicate guard and adoption cover the new kinds: an account that already holds an
/// iClient, a file definition, an EDI profile, a lookup cache and an async helper of the spec's
/// names stops the plan (a second copy is never created), and `--adopt` binds them instead.
#[tokio::test]
async fn the_duplicate_guard_and_adopt_cover_the_new_kinds() {
    let workspace = workspace().await;
    let admin = workspace.emulator.admin();
    let existing = [
        (
            ResourceKind::IClients,
            serde_json::json!({"name": "Shop app", "provider": "custom_oauth2", "oauth2": {"clientId": "shop", "clientSecret": "old"}}),
        ),
        (
            ResourceKind::FileDefinitions,
            serde_json::json!({"name": "Purchase order 850", "version": "2", "format": "delimited/x12", "rules": []}),
        ),
        (ResourceKind::EdiProfiles, serde_json::json!({"name": "Partner", "fileType": "edifact"})),
        (ResourceKind::LookupCaches, serde_json::json!({"name": "SKUs"})),
        (ResourceKind::AsyncHelpers, serde_json::json!({"name": "Feed status"})),
    ];
    let mut ids = Vec::new();
    for (kind, body) in &existing {
        ids.push(admin.create(*kind, body).unwrap()["_id"].as_str().unwrap().to_owned());
    }
    let desired = workspace.load();
    let state = workspace.state().await;
    let live =
        flowform_exec::planner::read_live(&workspace.client, &desired, &state).await.unwrap();
    let problems =
        match flowform_exec::planner::make_plan(&desired, &state, &live, &Default::default()) {
            Err(flowform_exec::planner::PlanError::Problems(problems)) => problems,
            other => panic!("the plan stops on the duplicates: {other:?}"),
        };
    let mut guarded: Vec<String> =
        problems.iter().map(|problem| problem.address.to_string()).collect();
    guarded.sort();
    assert_eq!(
        guarded,
        [
            "asynchelper.feed-status",
            "ediprofile.partner",
            "filedefinition.po-850",
            "iclient.shop-app",
            "lookupcache.skus"
        ],
        "{problems:?}"
    );
    let adopt = flowform_exec::saved::PlanOptions { adopt: true, ..Default::default() };
    let (_, plan, _) = workspace.plan_with(&adopt).await;
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(plan.summary().adopt, 5, "{:?}", summary(&plan));
    assert_eq!(plan.summary().create, 6, "{:?}", summary(&plan));

    // Adopted through `lifecycle.adopt` and applied: the same ids, no second copies, converged.
    let adopted = KINDS
        .replace("    name: Shop app\n", "    name: Shop app\n    lifecycle: {adopt: true}\n")
        .replace(
            "    name: Purchase order 850\n",
            "    name: Purchase order 850\n    lifecycle: {adopt: true}\n",
        )
        .replace("    name: Partner\n", "    name: Partner\n    lifecycle: {adopt: true}\n")
        .replace("    name: SKUs\n", "    name: SKUs\n    lifecycle: {adopt: true}\n")
        .replace(
            "    name: Feed status\n",
            "    name: Feed status\n    lifecycle: {adopt: true}\n",
        );
    assert_eq!(adopted.matches("lifecycle: {adopt: true}").count(), 5, "{adopted}");
    workspace.write("spec.yaml", &adopted);
    assert_success(&workspace.apply().await);
    for ((kind, _), id) in existing.iter().zip(&ids) {
        let documents = admin.documents(*kind);
        assert_eq!(documents.len(), 1, "{kind:?}: {documents:?}");
        assert_eq!(documents[0]["_id"], id.as_str(), "{kind:?}");
    }
    assert_eq!(
        admin.documents(ResourceKind::IClients)[0]["oauth2"]["clientSecret"],
        "app-secret-one"
    );
    assert!(!workspace.plan().await.has_changes());
}
