//! Validation errors in the `{"errors":[…]}` envelope.

use serde_json::{Value, json};

use crate::support::{Client, test_emulator, wired_flow};

fn codes_and_fields(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|error| {
            (
                error["code"].as_str().unwrap_or_default().to_owned(),
                error["field"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn name_and_per_kind_fields_are_required() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let cases = [
        ("integrations", json!({}), vec![("missing_required_field", "name")]),
        ("connections", json!({"name": "c"}), vec![("missing_required_field", "type")]),
        (
            "connections",
            json!({"name": "c", "type": "http"}),
            vec![("missing_required_field", "http")],
        ),
        (
            "connections",
            json!({"name": "c", "type": "carrier-pigeon"}),
            vec![("invalid_field", "type")],
        ),
        (
            "connections",
            json!({"name": "c", "type": "filesystem", "filesystem": {"directoryPath": "/in"}}),
            vec![("missing_required_field", "_agentId")],
        ),
        // Empty sub-objects are dropped, so an empty type block counts as missing.
        (
            "connections",
            json!({"name": "c", "type": "s3", "s3": {}}),
            vec![("missing_required_field", "s3")],
        ),
        ("exports", json!({"name": "e"}), vec![("missing_required_field", "adaptorType")]),
        (
            "exports",
            json!({"name": "e", "adaptorType": "HTTPExport"}),
            vec![("missing_required_field", "_connectionId")],
        ),
        (
            "exports",
            json!({"name": "e", "adaptorType": "httpexport"}),
            vec![("invalid_field", "adaptorType")],
        ),
        (
            "imports",
            json!({"name": "i", "adaptorType": "HTTPImport"}),
            vec![("missing_required_field", "_connectionId")],
        ),
        ("scripts", json!({"name": "s"}), vec![("missing_required_field", "content")]),
        ("flows", json!({"description": "no name"}), vec![("missing_required_field", "name")]),
    ];
    for (collection, body, expected) in cases {
        let response = client.post(&format!("/v1/{collection}"), body.clone()).await;
        assert_eq!(response.status, 422, "{collection} {body}");
        let expected: Vec<(String, String)> =
            expected.into_iter().map(|(c, f)| (c.to_owned(), f.to_owned())).collect();
        assert_eq!(codes_and_fields(&response.json()), expected, "{collection} {body}");
    }
    // Webhook exports need no connection.
    let webhook = client.post("/v1/exports", json!({"name": "hook", "adaptorType": "WebhookExport", "webhook": {"provider": "custom"}})).await;
    assert_eq!(webhook.status, 201);
    assert_eq!(handle.admin().counts().values().sum::<usize>(), 1, "nothing else was stored");
}

#[tokio::test]
async fn every_problem_is_reported_at_once() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let response = client
        .post("/v1/flows", json!({"schedule": "bad", "_integrationId": "5f0000000000000000000001", "pageGenerators": [{}]}))
        .await;
    assert_eq!(response.status, 422);
    let fields: Vec<String> =
        codes_and_fields(&response.json()).into_iter().map(|(_, field)| field).collect();
    assert_eq!(fields, vec!["name", "schedule", "pageGenerators[0]._exportId", "_integrationId"]);
}

#[tokio::test]
async fn references_to_nothing_are_invalid_ref() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let missing = "5f00000000000000000000ff";
    let cases = [
        (
            "exports",
            json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": missing}),
            "_connectionId",
        ),
        (
            "imports",
            json!({"name": "i", "adaptorType": "HTTPImport", "_connectionId": wired.connection, "hooks": {"preMap": {"_scriptId": missing, "function": "f"}}}),
            "hooks.preMap._scriptId",
        ),
        ("flows", json!({"name": "f", "_integrationId": missing}), "_integrationId"),
        (
            "flows",
            json!({"name": "f", "pageGenerators": [{"_exportId": missing}]}),
            "pageGenerators[0]._exportId",
        ),
        (
            "flows",
            json!({"name": "f", "routers": [{"id": "r1", "branches": [{"name": "b", "pageProcessors": [{"type": "import", "_importId": missing}]}]}]}),
            "routers[0].branches[0].pageProcessors[0]._importId",
        ),
        (
            "flows",
            json!({"name": "f", "_runNextFlowIds": [wired.flow, missing]}),
            "_runNextFlowIds[1]",
        ),
        (
            "flows",
            json!({"name": "f", "_integrationId": wired.integration, "_flowGroupingId": missing}),
            "_flowGroupingId",
        ),
        (
            "connections",
            json!({"name": "c", "type": "http", "http": {"_iClientId": "not-an-id"}}),
            "http._iClientId",
        ),
    ];
    for (collection, body, field) in cases {
        let response = client.post(&format!("/v1/{collection}"), body.clone()).await;
        assert_eq!(response.status, 422, "{body}");
        assert_eq!(
            codes_and_fields(&response.json()),
            vec![("invalid_ref".to_owned(), field.to_owned())],
            "{body}"
        );
    }
    // References inside sample data and settings are not checked; unmodelled kinds only by shape.
    let ok = client
        .post("/v1/exports", json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": wired.connection,
            "mockOutput": {"_exportId": missing}, "settings": {"_flowId": "x"}, "tool": {"_toolId": missing}}))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
}

#[tokio::test]
async fn flow_rules_routers_cron_and_steps() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let import = json!({"type": "import", "_importId": wired.import});
    let router = |id: &str, next: Option<&str>| {
        let mut router =
            json!({"id": id, "branches": [{"name": "all", "pageProcessors": [import.clone()]}]});
        if let Some(next) = next {
            router["nextRouterId"] = json!(next);
        }
        router
    };
    let cases = [
        (
            json!({"name": "f", "pageProcessors": [import.clone()], "routers": [router("r1", None)]}),
            "invalid_field",
            "pageProcessors",
        ),
        (
            json!({"name": "f", "routers": [router("r1", None), router("r1", None)]}),
            "invalid_field",
            "routers[1].id",
        ),
        (
            json!({"name": "f", "routers": [router("r1", Some("r9"))]}),
            "invalid_field",
            "routers[0].nextRouterId",
        ),
        (
            json!({"name": "f", "routers": [{"id": "r1"}]}),
            "missing_required_field",
            "routers[0].branches",
        ),
        (
            json!({"name": "f", "routers": [{"id": "r1", "branches": [{"pageProcessors": []}]}]}),
            "missing_required_field",
            "routers[0].branches[0].name",
        ),
        (json!({"name": "f", "schedule": "0 0 2 * * *"}), "invalid_field", "schedule"),
        (json!({"name": "f", "schedule": "? 0 2 * *"}), "invalid_field", "schedule"),
        (
            json!({"name": "f", "pageGenerators": [{"_exportId": wired.export, "schedule": "? 99 * * * *"}]}),
            "invalid_field",
            "pageGenerators[0].schedule",
        ),
        (
            json!({"name": "f", "pageProcessors": [{"type": "import"}]}),
            "missing_required_field",
            "pageProcessors[0]._importId",
        ),
        (
            json!({"name": "f", "pageProcessors": [{"type": "lookup", "_exportId": wired.export}]}),
            "invalid_field",
            "pageProcessors[0].type",
        ),
    ];
    for (body, code, field) in cases {
        let response = client.post("/v1/flows", body.clone()).await;
        assert_eq!(response.status, 422, "{body}");
        assert_eq!(
            codes_and_fields(&response.json()),
            vec![(code.to_owned(), field.to_owned())],
            "{body}"
        );
    }
    let good = client
        .post("/v1/flows", json!({"name": "branching", "schedule": "? */5 * * * *", "timezone": "UTC",
            "pageGenerators": [{"_exportId": wired.export}],
            "routers": [router("r1", Some("r2")), {"branches": [{"name": "rest", "pageProcessors": []}]}]}))
        .await;
    assert_eq!(good.status, 422, "r2 does not exist yet: {}", good.text());
    let good = client
        .post("/v1/flows", json!({"name": "branching", "schedule": "? */5 * * * *",
            "pageGenerators": [{"_exportId": wired.export}],
            "routers": [router("r1", Some("r2")), router("r2", None), {"branches": [{"name": "rest"}]}]}))
        .await;
    assert_eq!(good.status, 201, "{}", good.text());
    let generated = good.json()["routers"][2]["id"].as_str().map(str::len);
    assert_eq!(generated, Some(11), "a router without id gets one");
    let message = client
        .post("/v1/flows", json!({"name": "f", "pageProcessors": [], "routers": []}))
        .await
        .json();
    assert_eq!(
        message["errors"][0]["message"],
        "\"pageProcessors\" is not allowed when \"routers\" is present"
    );
}

#[tokio::test]
async fn put_is_validated_like_post() {
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let wired = wired_flow(&client).await;
    let path = format!("/v1/flows/{}", wired.flow);
    let response = client
        .put(&path, json!({"pageGenerators": [{"_exportId": "5f00000000000000000000ff"}]}))
        .await;
    assert_eq!(response.status, 422);
    assert_eq!(
        codes_and_fields(&response.json()),
        vec![
            ("missing_required_field".into(), "name".into()),
            ("invalid_ref".into(), "pageGenerators[0]._exportId".into())
        ]
    );
    assert_eq!(
        client.get(&path).await.json()["name"],
        "Orders to ERP",
        "a refused PUT changes nothing"
    );
}
