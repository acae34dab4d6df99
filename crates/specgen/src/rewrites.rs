//! A variant of a generated spec whose values the service rewrites or completes: what a user
//! writes and integrator.io stores differently (issue 13). Every fact the client's table
//! (`flowform_diff::service`, `flowform_diff::defaults`) holds is exercised by many resources:
//! case rewrites, numbers stored as strings, scalars stored as one-element arrays, the licence's
//! concurrency clamp, NetSuite's WSDL version, read-only fields, defaults written out, empty
//! lists, expression rules kept twice, generated router and branch ids and flow-grouping ids,
//! secrets the service obtains itself (OAuth authorization code, Salesforce, NetSuite
//! `token-auto`), conditional defaults (NetSuite distributed imports), iClient scopes written as
//! one string and X12 interchange ids the service pads.
//!
//! Applied to an account, such a spec must plan empty the next time under every behaviour the
//! emulator models. The bodies keep their references and secrets; the counts per kind do not
//! change.

use serde_json::{Value, json};

use crate::{GeneratedSpec, Kind, Resource, secret};

/// How many variants each kind cycles through (the resource index modulo this).
const CONNECTION_VARIANTS: usize = 6;
const EXPORT_VARIANTS: usize = 3;
const IMPORT_VARIANTS: usize = 8;

impl GeneratedSpec {
    /// This spec with bodies whose values the service rewrites or completes (see the module
    /// documentation). Deterministic, like the spec it starts from.
    #[must_use]
    pub fn with_service_rewrites(mut self) -> GeneratedSpec {
        let secret_name = |index: usize| {
            let pool = self
                .secrets
                .iter()
                .filter(|(name, _)| name.starts_with("SPECGEN_API_TOKEN_"))
                .count();
            format!("SPECGEN_API_TOKEN_{}", index % pool.max(1))
        };
        let names: Vec<String> = (0..self.resources.len()).map(secret_name).collect();
        let scripts = self.resources.iter().filter(|r| r.kind == Kind::Script).count();
        for resource in &mut self.resources {
            let secret = names[resource.index].as_str();
            match resource.kind {
                Kind::Integration => integration(resource),
                Kind::Connection => connection(resource, secret),
                Kind::Export => export(resource),
                Kind::Import => import(resource, scripts),
                Kind::Flow => flow(resource),
                Kind::IClient => iclient(resource),
                Kind::EdiProfile => edi_profile(resource),
                // Nothing of these is documented as rewritten or completed (the service
                // table's deliberate "none"); a file definition's `globalId` is fixed at
                // creation, which an apply to an empty account never meets.
                Kind::Script | Kind::FileDefinition | Kind::LookupCache | Kind::AsyncHelper => {}
            }
        }
        self
    }
}

fn set(body: &mut Value, key: &str, value: Value) {
    if let Value::Object(object) = body {
        object.insert(key.to_owned(), value);
    }
}

/// An iClient's scopes as one string: the service stores the list (split at whitespace).
fn iclient(resource: &mut Resource) {
    if resource.index.is_multiple_of(2)
        && let Some(oauth2) = resource.body.get_mut("oauth2")
        && let Some(scope) = oauth2.get("scope").and_then(Value::as_array)
    {
        let joined: Vec<&str> = scope.iter().filter_map(Value::as_str).collect();
        let joined = joined.join(" ");
        set(oauth2, "scope", Value::String(joined));
    }
}

/// An X12 profile's interchange ids unpadded: the service stores them padded to 15 characters.
fn edi_profile(resource: &mut Resource) {
    let index = resource.index;
    set(&mut resource.body, "tpInterchangeId", Value::String(format!("PARTNER{index}")));
    set(&mut resource.body, "myInterchangeId", Value::String("ACME".to_owned()));
}

fn integration(resource: &mut Resource) {
    if resource.index.is_multiple_of(2) {
        // Written out as the service stores them: empty lists. Every generated integration
        // declares its flow groups by name already (`FLOW_GROUPS`), whose `_id`s the service
        // generates.
        set(&mut resource.body, "install", json!([]));
        set(&mut resource.body, "installSteps", json!([]));
    }
}

fn connection(resource: &mut Resource, secret_name: &str) {
    let index = resource.index;
    let name = resource.body["name"].clone();
    let base = format!("https://api{}.example.com", index + 1);
    resource.body = match index % CONNECTION_VARIANTS {
        // HTTP, values in another case than the service stores, above the licence's limit.
        0 => json!({
            "name": name,
            "type": "http",
            "http": {
                "baseURI": base,
                "mediaType": "JSON",
                "concurrencyLevel": 26 + index % 24,
                "ping": { "relativeURI": "/health", "method": "get" },
                "auth": { "type": "Basic", "basic": { "username": format!("svc-{index}"), "password": secret(secret_name) } },
            },
            "sandbox": false,
        }),
        // NetSuite with `token-auto`: the service manages the tokens; numbers for string ids,
        // an upper-cased account, a WSDL version the service maps, a read-only field.
        1 => json!({
            "name": name,
            "type": "netsuite",
            "netsuite": {
                "account": format!("tstdrv{}", 100 + index),
                "environment": "production",
                "roleId": 3,
                "entityId": 1000 + index,
                "authType": "Token-Auto",
                "wsdlVersion": (["2025.1", "2023.1", "next"][index % 3]),
                "concurrencyLevel": 40,
                "requestLevelCredentials": false,
            },
        }),
        // HTTP OAuth 2.0 authorization code: the service obtains the tokens.
        2 => json!({
            "name": name,
            "type": "http",
            "http": {
                "baseURI": base,
                "mediaType": "Json",
                "auth": {
                    "type": "OAuth",
                    "oauth": {
                        "grantType": "AuthorizeCode",
                        "clientId": format!("client-{index}"),
                        "clientSecret": secret(secret_name),
                        "authURI": format!("{base}/oauth/authorize"),
                        "tokenURI": format!("{base}/oauth/token"),
                        "scope": ["read", "write"],
                        "clientCredentialsLocation": "BasicAuthHeader",
                    },
                    "token": { "location": "header", "headerName": "Authorization", "scheme": "Bearer", "refreshMethod": "post" },
                },
            },
        }),
        // Salesforce: the service manages the tokens (one spec writes one anyway) and clamps
        // the concurrency it asks for.
        3 => {
            let mut salesforce = json!({ "oauth2FlowType": "refreshToken", "concurrencyLevel": 45, "sandbox": false });
            if index % 12 == 3 {
                salesforce["refreshToken"] = secret(secret_name);
            }
            json!({ "name": name, "type": "salesforce", "salesforce": salesforce })
        }
        // A REST connection (the legacy form), values in another case.
        4 => json!({
            "name": name,
            "type": "rest",
            "rest": {
                "baseURI": base,
                "mediaType": "JSON",
                "authType": "Basic",
                "basicAuth": { "username": format!("rest-{index}"), "password": secret(secret_name) },
                "pingMethod": "get",
                "pingRelativeURI": "/ping",
                "concurrencyLevel": 30,
                "encryptedFields": [],
                "scope": [],
            },
        }),
        // DynamoDB: a concurrency the service raises to 1.
        _ => json!({
            "name": name,
            "type": "dynamodb",
            "dynamodb": {
                "aws": { "accessKeyId": format!("AKIAGENERATED{index:06}"), "secretAccessKey": secret(secret_name) },
                "concurrencyLevel": 0,
            },
        }),
    };
}

fn expression(version: Value) -> Value {
    json!({ "rules": ["equals", ["extract", "status"], "open"], "version": version })
}

fn export(resource: &mut Resource) {
    let is_lookup = resource.body.get("isLookup").is_some();
    let index = resource.index;
    if is_lookup && index.is_multiple_of(EXPORT_VARIANTS) {
        // A NetSuite RESTlet lookup: a number for a string id, a version the service lower-cases.
        let name = resource.body["name"].clone();
        let connection = resource.body["_connectionId"].clone();
        resource.body = json!({
            "name": name,
            "adaptorType": "NetSuiteExport",
            "_connectionId": connection,
            "isLookup": true,
            "netsuite": { "type": "restlet", "restlet": { "recordType": "customer", "searchId": 1200 + index, "restletVersion": "SuiteApp2" } },
        });
    } else if is_lookup && index % EXPORT_VARIANTS == 1 {
        // An expression transform written once (the service keeps the rules twice).
        set(
            &mut resource.body,
            "transform",
            json!({ "type": "expression", "expression": expression(json!("1")) }),
        );
    } else if resource.body["adaptorType"] == "HTTPExport" && index % 4 == 1 {
        // A filter with a number for the version and the rules in the top-level form.
        set(
            &mut resource.body,
            "filter",
            json!({ "type": "expression", "rules": ["equals", ["extract", "kind"], "order"], "version": 1 }),
        );
        set(&mut resource.body, "oneToMany", json!(false));
    }
}

fn import(resource: &mut Resource, scripts: usize) {
    let index = resource.index;
    let name = resource.body["name"].clone();
    let connection = resource.body["_connectionId"].clone();
    let mapping = resource.body["mapping"].clone();
    let hooks = resource.body.get("hooks").cloned();
    let http = |method: Value, uri: Value| json!({ "method": method, "relativeURI": uri, "requestMediaType": "json" });
    let mut body = match index % IMPORT_VARIANTS {
        // Scalars the service stores as one-element arrays.
        0 => json!({
            "name": name,
            "adaptorType": "HTTPImport",
            "_connectionId": connection,
            "http": {
                "method": "POST",
                "relativeURI": format!("/ingest/{}", index + 1),
                "body": "{{{jsonSerialize record}}}",
                "response": { "resourceIdPath": "id" },
                "requestMediaType": "json",
            },
            "mapping": mapping,
        }),
        // An expression filter with a number for its version.
        2 => json!({
            "name": name,
            "adaptorType": "HTTPImport",
            "_connectionId": connection,
            "http": http(json!("PUT"), json!(format!("/records/{}", index + 1))),
            "filter": { "type": "expression", "expression": expression(json!(1)) },
            "mapping": mapping,
        }),
        // A NetSuite distributed import: values the service lower-cases, `distributed` it sets.
        3 => json!({
            "name": name,
            "adaptorType": "NetSuiteDistributedImport",
            "_connectionId": connection,
            "netsuite_da": {
                "operation": "Add",
                "recordType": "customer",
                "restletVersion": "SuiteApp2",
                "mapping": { "fields": [{ "extract": "email", "generate": "email" }] },
            },
        }),
        // A Salesforce import: values the service lower-cases.
        4 => json!({
            "name": name,
            "adaptorType": "SalesforceImport",
            "_connectionId": connection,
            "salesforce": { "operation": "Insert", "api": "REST", "sObjectType": "Account", "idLookup": { "whereClause": "Name = '{{name}}'" } },
        }),
        // Every default the service adds, written out.
        5 => json!({
            "name": name,
            "adaptorType": "HTTPImport",
            "_connectionId": connection,
            "http": { "method": ["POST"], "relativeURI": [format!("/ingest/{}", index + 1)], "requestMediaType": "json", "formType": "http", "isRest": false, "batchSize": 1, "sendPostMappedData": true },
            "oneToMany": false,
            "ignoreExisting": false,
            "ignoreMissing": false,
            "distributed": false,
            "lookups": [],
            "parsers": [],
            "mapping": mapping,
        }),
        // An input filter in the top-level form; an empty file lookup list the service drops.
        6 => json!({
            "name": name,
            "adaptorType": "HTTPImport",
            "_connectionId": connection,
            "http": http(json!(["POST"]), json!([format!("/ingest/{}", index + 1)])),
            "inputFilter": { "type": "expression", "rules": ["notempty", ["extract", "id"]] },
            "file": { "lookups": [] },
            "mapping": mapping,
        }),
        _ => json!({
            "name": name,
            "adaptorType": "HTTPImport",
            "_connectionId": connection,
            "http": http(json!(["POST"]), json!([format!("/ingest/{}", index + 1)])),
            "mapping": mapping,
        }),
    };
    if let Some(hooks) = hooks.filter(|_| scripts > 0 && index % IMPORT_VARIANTS != 3) {
        set(&mut body, "hooks", hooks);
    }
    resource.body = body;
}

fn flow(resource: &mut Resource) {
    let index = resource.index;
    if index % 4 == 1 {
        set(&mut resource.body, "autoResolveMatchingTraceKeys", json!(true));
        set(&mut resource.body, "skipRetries", json!(false));
    }
    if index % 10 == 8 {
        // Routers without ids: the service generates the router ids and branch ids.
        let Some(steps) = resource.body.get("pageProcessors").cloned() else { return };
        let steps: Vec<Value> = steps.as_array().cloned().unwrap_or_default();
        let (first, rest) = steps.split_at(steps.len() / 2);
        if let Value::Object(object) = &mut resource.body {
            object.remove("pageProcessors");
            object.insert(
                "routers".into(),
                json!([{
                    "routeRecordsTo": "all_matching_branches",
                    "branches": [
                        { "name": "first", "pageProcessors": first },
                        { "name": "second", "pageProcessors": rest },
                    ],
                }]),
            );
        }
    }
}
