//! The kinds a real flow references (issue 16): iClients, lookup caches, file definitions, EDI
//! profiles, async helpers, agents and stacks have the CRUD of the first six, their references
//! are checked and counted as dependencies, and their secrets are masked.

use flowform_emulator::{AccountConfig, EmulatorConfig, ResourceKind};
use serde_json::{Value, json};

use crate::support::{Client, emulator, http_connection, test_emulator, wired_flow};

/// A valid body of each new collection, and a field a PUT drops by omitting it.
fn minimal(collection: &str, name: &str) -> Value {
    match collection {
        "iclients" => {
            json!({"name": name, "provider": "custom_oauth2", "oauth2": {"clientId": "app"}, "description": "app"})
        }
        "lookupcaches" => json!({"name": name, "description": "SKU to item"}),
        "filedefinitions" => json!({"name": name, "version": "2", "format": "delimited/x12",
            "delimited": {"rowSuffix": "~", "colDelimiter": "*"}, "rules": [], "description": "850"}),
        "ediprofiles" => {
            json!({"name": name, "fileType": "edifact", "unb010_0001": "ACME", "description": "EU"})
        }
        "asynchelpers" => {
            json!({"name": name, "description": "poll", "http": {"status": {"statusPath": "state"}}})
        }
        "agents" => json!({"name": name, "description": "warehouse"}),
        "stacks" => {
            json!({"name": name, "type": "server", "server": {"hostURI": "https://hooks.example.com"}, "description": "hooks"})
        }
        other => panic!("no minimal body for `{other}`"),
    }
}

const NEW_COLLECTIONS: [&str; 7] = [
    "iclients",
    "lookupcaches",
    "filedefinitions",
    "ediprofiles",
    "asynchelpers",
    "agents",
    "stacks",
];

#[tokio::test]
async fn every_new_collection_has_the_crud_of_the_first_six() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    for collection in NEW_COLLECTIONS {
        let list = format!("/v1/{collection}");
        assert_eq!(client.get(&list).await.status, 204, "{collection}: empty list");
        let first = client.create(collection, minimal(collection, "b")).await;
        let second = client.create(collection, minimal(collection, "a")).await;
        let third = client.create(collection, minimal(collection, "c")).await;

        let page = client.get(&format!("{list}?limit=2&include=description")).await;
        assert_eq!(page.status, 200, "{collection}");
        let link = page.header("link").expect("a next link");
        assert!(link.contains("rel=\"next\"") && link.contains("include=description"), "{link}");
        let items = page.json();
        assert_eq!(items.as_array().map(Vec::len), Some(2), "{collection}: {items}");
        let keys: Vec<&String> = items[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["_id", "name", "description"], "{collection}: projection");
        let next = link.split(['<', '>']).nth(1).unwrap().to_owned();
        let rest = client.get(&next).await.json();
        assert_eq!(rest[0]["_id"], json!(third), "{collection}: the second page");

        let got = client.get(&format!("{list}/{first}")).await;
        assert_eq!(got.status, 200);
        assert!(got.json()["description"].is_string(), "{collection}");

        // PUT is a full replace: the omitted `description` is gone.
        let mut replacement = minimal(collection, "b2");
        replacement.as_object_mut().unwrap().remove("description");
        let put = client.put(&format!("{list}/{first}"), replacement).await;
        assert_eq!(put.status, 200, "{collection}: {}", put.text());
        assert!(put.json().get("description").is_none(), "{collection}: {}", put.text());
        assert_eq!(put.json()["name"], json!("b2"));

        assert_eq!(client.get(&format!("{list}/{second}/dependencies")).await.json(), json!({}));
        assert_eq!(client.delete(&format!("{list}/{second}")).await.status, 204);
        assert_eq!(client.get(&format!("{list}/{second}")).await.status, 404);
        let bin = client.get(&format!("/v1/recycleBinTTL/{collection}")).await.json();
        assert_eq!(bin[0]["doc"]["_id"], json!(second), "{collection}: {bin}");
        let restored =
            client.post(&format!("/v1/recycleBinTTL/{collection}/{second}"), json!({})).await;
        assert_eq!(restored.status, 204, "{}", restored.text());
        assert_eq!(client.get(&format!("{list}/{second}")).await.status, 200);
    }
    let counts = handle.admin().counts();
    for kind in ResourceKind::ALL {
        let expected = if NEW_COLLECTIONS.contains(&kind.collection()) { 3 } else { 0 };
        assert_eq!(counts[&kind], expected, "{kind}");
    }
}

#[tokio::test]
async fn the_new_kinds_are_validated() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    for (collection, body, field) in [
        ("iclients", json!({"name": "x"}), "provider"),
        ("iclients", json!({"name": "x", "provider": "myspace"}), "provider"),
        (
            "iclients",
            json!({"name": "x", "provider": "azureserviceprincipal", "azureserviceprincipal": {"clientId": "c", "tenantId": "t"}}),
            "azureserviceprincipal.clientSecret",
        ),
        ("iclients", json!({"name": "x", "provider": "awsIam"}), "awsIam.externalId"),
        ("lookupcaches", json!({"description": "no name"}), "name"),
        (
            "filedefinitions",
            json!({"name": "x", "version": "2", "format": "delimited/x12"}),
            "rules",
        ),
        ("ediprofiles", json!({"name": "x"}), "fileType"),
        ("ediprofiles", json!({"name": "x", "fileType": "edi"}), "fileType"),
        ("stacks", json!({"name": "x", "type": "lambda"}), "lambda"),
        ("stacks", json!({"name": "x", "type": "cloud"}), "type"),
        ("agents", json!({}), "name"),
    ] {
        let response = client.post(&format!("/v1/{collection}"), body.clone()).await;
        assert_eq!(response.status, 422, "{collection} {body}: {}", response.text());
        let fields: Vec<String> = response.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(fields.contains(&field.to_owned()), "{collection} {body}: {fields:?}");
    }
    // `fileType` of an EDI profile and `globalId` of a file definition are fixed at creation.
    let profile = client.create("ediprofiles", json!({"name": "p", "fileType": "edifact"})).await;
    let put = client
        .put(&format!("/v1/ediprofiles/{profile}"), json!({"name": "p", "fileType": "edix12"}))
        .await;
    assert_eq!(put.json()["fileType"], json!("edifact"), "{}", put.text());
    let definition = client
        .create("filedefinitions", json!({"name": "d", "version": "2", "format": "delimited/x12", "rules": [], "globalId": "850"}))
        .await;
    let put = client
        .put(&format!("/v1/filedefinitions/{definition}"), json!({"name": "d", "version": "2", "format": "delimited/x12", "rules": [], "globalId": "810"}))
        .await;
    assert_eq!(put.json()["globalId"], json!("850"), "{}", put.text());
}

#[tokio::test]
async fn patch_follows_the_documented_whitelists() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let cache = client.create("lookupcaches", minimal("lookupcaches", "SKUs")).await;
    let renamed = client
        .patch(
            &format!("/v1/lookupcaches/{cache}"),
            json!([{"op": "replace", "path": "/name", "value": "Items"}]),
        )
        .await;
    assert_eq!(renamed.status, 204, "{}", renamed.text());
    assert_eq!(
        client.get(&format!("/v1/lookupcaches/{cache}")).await.json()["name"],
        json!("Items")
    );
    let refused = client
        .patch(
            &format!("/v1/lookupcaches/{cache}"),
            json!([{"op": "replace", "path": "/includeDataInTemplatesAndCloning", "value": true}]),
        )
        .await;
    assert_eq!((refused.status, refused.error_code()), (422, "invalid_field".to_owned()));
    let app = client.create("iclients", minimal("iclients", "App")).await;
    let fail_path = client
        .patch(
            &format!("/v1/iclients/{app}"),
            json!([{"op": "replace", "path": "/oauth2/failPath", "value": "error"}]),
        )
        .await;
    assert_eq!(fail_path.status, 204, "{}", fail_path.text());
    let name = client
        .patch(
            &format!("/v1/iclients/{app}"),
            json!([{"op": "replace", "path": "/name", "value": "x"}]),
        )
        .await;
    assert_eq!(name.status, 422);
    let helper = client.create("asynchelpers", minimal("asynchelpers", "Poll")).await;
    let refused = client
        .patch(
            &format!("/v1/asynchelpers/{helper}"),
            json!([{"op": "replace", "path": "/name", "value": "x"}]),
        )
        .await;
    assert_eq!(refused.status, 422, "no whitelist is documented");
}

#[tokio::test]
async fn iclient_secrets_are_masked_and_a_put_keeps_only_those_sent_back_masked() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let body = json!({"name": "NetSuite app", "provider": "netsuite",
        "netsuite": {"consumerKey": "ck-1", "consumerSecret": "cs-1"},
        "oauth2": {"clientId": "c", "clientSecret": "s-1", "grantType": "password", "username": "bot", "password": "p-1",
            "encrypted": {"apiKey": "k-1", "region": "eu-1"}, "unencrypted": {"account": "42"}}});
    let created = client.post("/v1/iclients", body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.id();
    let shown = client.get(&format!("/v1/iclients/{id}")).await.json();
    assert_eq!(shown["netsuite"], json!({"consumerKey": "******", "consumerSecret": "******"}));
    assert_eq!(shown["oauth2"]["clientSecret"], json!("******"));
    assert_eq!(shown["oauth2"]["password"], json!("******"));
    assert_eq!(shown["oauth2"]["encrypted"], json!({"apiKey": "******", "region": "******"}));
    assert_eq!(shown["oauth2"]["unencrypted"], json!({"account": "42"}));
    for listed in client.get("/v1/iclients").await.json().as_array().unwrap() {
        assert!(!listed.to_string().contains("-1\""), "lists are masked: {listed}");
    }
    // Sending the GET body back keeps every secret (the mask round trip of base.yml).
    let mut echo = shown.clone();
    echo["oauth2"]["clientSecret"] = json!("s-2");
    assert_eq!(client.put(&format!("/v1/iclients/{id}"), echo).await.status, 200);
    let stored = handle.admin().document(ResourceKind::IClients, &id).unwrap();
    assert_eq!(stored["netsuite"], json!({"consumerKey": "ck-1", "consumerSecret": "cs-1"}));
    assert_eq!(stored["oauth2"]["clientSecret"], json!("s-2"));
    assert_eq!(stored["oauth2"]["encrypted"], json!({"apiKey": "k-1", "region": "eu-1"}));
    // Omitted secrets are erased by default ("not preserved if omitted")…
    let mut without = shown.clone();
    without["netsuite"].as_object_mut().unwrap().remove("consumerSecret");
    without["oauth2"]["encrypted"].as_object_mut().unwrap().remove("region");
    assert_eq!(client.put(&format!("/v1/iclients/{id}"), without.clone()).await.status, 200);
    let stored = handle.admin().document(ResourceKind::IClients, &id).unwrap();
    assert!(stored["netsuite"].get("consumerSecret").is_none(), "{stored}");
    assert_eq!(stored["oauth2"]["encrypted"], json!({"apiKey": "k-1"}));
    // …and kept with the other reading of the schemas.
    let settings = client.put("/admin/settings", json!({"iClientOmittedSecret": "kept"})).await;
    assert_eq!(settings.json()["iClientOmittedSecret"], json!("kept"));
    let mut put = json!({"name": "NetSuite app", "provider": "netsuite", "netsuite": {"consumerSecret": "cs-3"},
        "oauth2": {"clientId": "c", "encrypted": {"region": "eu-3"}}});
    assert_eq!(client.put(&format!("/v1/iclients/{id}"), put.clone()).await.status, 200);
    let stored = handle.admin().document(ResourceKind::IClients, &id).unwrap();
    assert_eq!(stored["netsuite"], json!({"consumerKey": "ck-1", "consumerSecret": "cs-3"}));
    assert_eq!(stored["oauth2"]["clientSecret"], json!("s-2"));
    assert_eq!(stored["oauth2"]["password"], json!("p-1"));
    assert_eq!(stored["oauth2"]["encrypted"], json!({"apiKey": "k-1", "region": "eu-3"}));
    // Stacks mask their tokens too.
    put = json!({"name": "Hooks", "type": "server", "server": {"hostURI": "https://h", "systemToken": "t-1"}});
    let stack = client.post("/v1/stacks", put).await.json();
    assert_eq!(stack["server"]["systemToken"], json!("******"));
}

#[tokio::test]
async fn references_to_the_new_kinds_must_resolve() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let missing = "5f00000000000000000000ff";
    let cases = [
        (
            "connections",
            json!({"name": "c", "type": "http", "http": {"baseURI": "https://x", "_iClientId": missing}}),
            "http._iClientId",
        ),
        (
            "connections",
            json!({"name": "c", "type": "filesystem", "filesystem": {"directoryPath": "/in"}, "_agentId": missing}),
            "_agentId",
        ),
        (
            "exports",
            json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": wired.connection, "_postParseListenerId": missing}),
            "_postParseListenerId",
        ),
        (
            "exports",
            json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": wired.connection, "http": {"_asyncHelperId": missing}}),
            "http._asyncHelperId",
        ),
        (
            "exports",
            json!({"name": "e", "adaptorType": "FTPExport", "_connectionId": wired.connection, "_ediProfileId": missing}),
            "_ediProfileId",
        ),
        (
            "exports",
            json!({"name": "e", "adaptorType": "FTPExport", "_connectionId": wired.connection, "file": {"type": "filedefinition", "fileDefinition": {"_fileDefinitionId": missing}}}),
            "file.fileDefinition._fileDefinitionId",
        ),
        (
            "exports",
            json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": wired.connection, "hooks": {"preSavePage": {"_stackId": missing, "function": "f"}}}),
            "hooks.preSavePage._stackId",
        ),
        (
            "imports",
            json!({"name": "i", "adaptorType": "HTTPImport", "_connectionId": wired.connection, "lookups": [{"name": "sku", "_lookupCacheId": missing}]}),
            "lookups[0]._lookupCacheId",
        ),
        (
            "asynchelpers",
            json!({"name": "h", "http": {"status": {"_exportId": missing}}}),
            "http.status._exportId",
        ),
        ("lookupcaches", json!({"name": "c", "_integrationId": missing}), "_integrationId"),
    ];
    for (collection, body, field) in cases {
        let response = client.post(&format!("/v1/{collection}"), body).await;
        assert_eq!(response.status, 422, "{collection} {field}: {}", response.text());
        assert_eq!(response.json()["errors"][0]["code"], json!("invalid_ref"));
        assert_eq!(response.json()["errors"][0]["field"], json!(field));
    }
    // The same documents with real targets are created.
    let app = client.create("iclients", minimal("iclients", "App")).await;
    let agent = handle.admin().create_agent(&json!({"name": "Warehouse"})).unwrap();
    let stack = handle.admin().create_stack(&minimal("stacks", "Hooks")).unwrap();
    let cache = client
        .create("lookupcaches", json!({"name": "SKUs", "_integrationId": wired.integration}))
        .await;
    let profile = client.create("ediprofiles", minimal("ediprofiles", "Partner")).await;
    let definition = client.create("filedefinitions", minimal("filedefinitions", "850")).await;
    let helper = client.create("asynchelpers", json!({"name": "Poll"})).await;
    for (collection, body) in [
        (
            "connections",
            json!({"name": "c", "type": "http", "http": {"baseURI": "https://x", "_iClientId": app}}),
        ),
        (
            "connections",
            json!({"name": "c", "type": "filesystem", "filesystem": {"directoryPath": "/in"}, "_agentId": agent["_id"]}),
        ),
        (
            "exports",
            json!({"name": "e", "adaptorType": "FTPExport", "_connectionId": wired.connection, "_ediProfileId": profile,
            "_postParseListenerId": wired.export, "http": {"_asyncHelperId": helper},
            "file": {"type": "filedefinition", "fileDefinition": {"_fileDefinitionId": definition}},
            "hooks": {"preSavePage": {"_stackId": stack["_id"], "function": "f"}}}),
        ),
        (
            "imports",
            json!({"name": "i", "adaptorType": "HTTPImport", "_connectionId": wired.connection, "lookups": [{"name": "sku", "_lookupCacheId": cache}]}),
        ),
    ] {
        let response = client.post(&format!("/v1/{collection}"), body).await;
        assert_eq!(response.status, 201, "{collection}: {}", response.text());
    }
}

#[tokio::test]
async fn used_resources_of_the_new_kinds_cannot_be_deleted() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let app = client.create("iclients", minimal("iclients", "App")).await;
    let agent = handle.admin().create_agent(&json!({"name": "Warehouse"})).unwrap();
    let agent = agent["_id"].as_str().unwrap().to_owned();
    let cache = client.create("lookupcaches", minimal("lookupcaches", "SKUs")).await;
    let stack = handle.admin().create_stack(&minimal("stacks", "Hooks")).unwrap();
    let stack = stack["_id"].as_str().unwrap().to_owned();
    let connection = client
        .create("connections", json!({"name": "API", "type": "http", "_agentId": agent, "http": {"baseURI": "https://x", "_iClientId": app}}))
        .await;
    let listener = client
        .create("exports", json!({"name": "Listener", "adaptorType": "HTTPExport", "_connectionId": connection,
            "_postParseListenerId": wired.export, "hooks": {"preSavePage": {"_stackId": stack, "function": "f"}}}))
        .await;
    let import = client
        .create("imports", json!({"name": "Lookup", "adaptorType": "HTTPImport", "_connectionId": connection, "lookups": [{"name": "sku", "_lookupCacheId": cache}]}))
        .await;
    for (collection, id, user_collection, user, path) in [
        ("iclients", &app, "connections", &connection, "http._iClientId"),
        ("agents", &agent, "connections", &connection, "_agentId"),
        ("stacks", &stack, "exports", &listener, "hooks.preSavePage._stackId"),
        ("lookupcaches", &cache, "imports", &import, "lookups[0]._lookupCacheId"),
        ("exports", &wired.export, "exports", &listener, "_postParseListenerId"),
    ] {
        let refused = client.delete(&format!("/v1/{collection}/{id}")).await;
        assert_eq!(refused.status, 422, "{collection}: {}", refused.text());
        assert_eq!(refused.error_code(), "resource_in_use");
        let dependencies = client.get(&format!("/v1/{collection}/{id}/dependencies")).await.json();
        let users = dependencies[user_collection].as_array().expect("dependents").clone();
        assert!(
            users.iter().any(|entry| entry["id"] == json!(user)
                && entry["paths"].as_array().unwrap().contains(&json!(path))),
            "{collection}: {dependencies}"
        );
    }
}

#[tokio::test]
async fn the_async_helper_cycle_can_be_created_in_either_order() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let connection = client.create("connections", http_connection("API", "s")).await;
    // Order 1: the helper by name only, the export pointing at it, then the helper's PUT
    // pointing back at the export (the UI creates a helper with its name only).
    let helper = client.create("asynchelpers", json!({"name": "Feed status"})).await;
    let export = client
        .create("exports", json!({"name": "Submit feed", "adaptorType": "HTTPExport", "_connectionId": connection, "http": {"relativeURI": "/feeds", "_asyncHelperId": helper}}))
        .await;
    let put = client
        .put(&format!("/v1/asynchelpers/{helper}"), json!({"name": "Feed status", "http": {
            "status": {"_exportId": export, "statusPath": "state", "inProgressValues": ["IN_PROGRESS"], "doneValues": ["DONE"]},
            "result": {"_exportId": export}, "submit": {"resourcePath": "feedId"}}}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let uses = client.get(&format!("/v1/exports/{export}/dependencies")).await.json();
    assert_eq!(
        uses["asynchelpers"][0]["paths"],
        json!(["http.status._exportId", "http.result._exportId"])
    );
    let used_by = client.get(&format!("/v1/asynchelpers/{helper}/dependencies")).await.json();
    assert_eq!(used_by["exports"][0]["paths"], json!(["http._asyncHelperId"]));
    assert_eq!(client.delete(&format!("/v1/exports/{export}")).await.status, 422);
    assert_eq!(client.delete(&format!("/v1/asynchelpers/{helper}")).await.status, 422);
    // Order 2: the status export first, the helper naming it, the export naming the helper.
    let status = client
        .create("exports", json!({"name": "Feed status", "adaptorType": "HTTPExport", "_connectionId": connection}))
        .await;
    let second = client
        .create("asynchelpers", json!({"name": "Report", "http": {"status": {"_exportId": status}, "result": {"_exportId": status}}}))
        .await;
    client
        .create("exports", json!({"name": "Request report", "adaptorType": "HTTPExport", "_connectionId": connection, "http": {"_asyncHelperId": second}}))
        .await;
    // Breaking the cycle (the export's PUT without the helper) lets both go, in that order.
    let put = client
        .put(&format!("/v1/exports/{export}"), json!({"name": "Submit feed", "adaptorType": "HTTPExport", "_connectionId": connection}))
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(client.delete(&format!("/v1/asynchelpers/{helper}")).await.status, 204);
    assert_eq!(client.delete(&format!("/v1/exports/{export}")).await.status, 204);
}

#[tokio::test]
async fn integrations_list_the_async_helpers_of_their_steps() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let helper = client.create("asynchelpers", json!({"name": "Poll"})).await;
    let _unused = client.create("asynchelpers", json!({"name": "Unused"})).await;
    let put = client
        .put(&format!("/v1/exports/{}", wired.export), json!({"name": "Get orders", "adaptorType": "HTTPExport", "_connectionId": wired.connection, "http": {"_asyncHelperId": helper}}))
        .await;
    assert_eq!(put.status, 200);
    let listed =
        client.get(&format!("/v1/integrations/{}/asynchelpers", wired.integration)).await.json();
    let ids: Vec<&Value> = listed.as_array().unwrap().iter().map(|helper| &helper["_id"]).collect();
    assert_eq!(ids, [&json!(helper)]);
}

#[tokio::test]
async fn agents_and_stacks_of_two_accounts_have_their_own_ids() {
    let config = EmulatorConfig {
        accounts: vec![
            AccountConfig::new("staging", "staging"),
            AccountConfig::new("production", "production"),
        ],
        ..EmulatorConfig::for_tests()
    };
    let handle = emulator(config).await;
    let staging = Client::new(&handle.url(), "staging");
    let production = Client::new(&handle.url(), "production");
    let created = staging.post("/admin/agents", json!({"name": "Warehouse agent"})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let staging_agent = created.id();
    let production_agent =
        production.post("/admin/agents", json!({"name": "Warehouse agent"})).await.id();
    assert_ne!(staging_agent, production_agent);
    let stack = production.post("/admin/stacks", minimal("stacks", "Hooks")).await;
    assert_eq!(stack.status, 201, "{}", stack.text());
    assert_eq!(stack.json()["offline"], Value::Null);
    let listed = staging.get("/v1/agents").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["name"], json!("Warehouse agent"));
    assert_eq!(listed[0]["offline"], json!(true));
    assert_eq!(staging.get("/v1/stacks").await.status, 204, "stacks are per account");
    // A connection of one account cannot name the other's agent.
    let body = |agent: &str| json!({"name": "Files", "type": "filesystem", "filesystem": {"directoryPath": "/in"}, "_agentId": agent});
    let refused = production.post("/v1/connections", body(&staging_agent)).await;
    assert_eq!((refused.status, refused.error_code()), (422, "invalid_ref".to_owned()));
    assert_eq!(production.post("/v1/connections", body(&production_agent)).await.status, 201);
    let invalid = staging.post("/admin/agents", json!({"description": "no name"})).await;
    assert_eq!(invalid.status, 400, "{}", invalid.text());
    assert!(invalid.text().contains("`name` is required"), "{}", invalid.text());
}
