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
    let state = std::fs::read_to_string(workspace.path().join(".flowform/state.json")).unwrap();
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
