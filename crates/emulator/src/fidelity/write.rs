//! The write side of fidelity: what the service changes in a written document
//! ([`rewrite_input`]) and what it adds that nobody sent ([`add_defaults`]).

use serde_json::{Map, Value, json};

use super::tables::{
    CASE_RULES, CLAMPED_CONNECTION_TYPES, Case, EXPRESSION_FIELDS, IMMUTABLE_AFTER_CREATE,
    IMPORT_ARRAY_FIELDS, READ_ONLY_RULES, STRING_FIELDS, managed_token_paths,
};
use super::{Behaviour, Fidelity};
use crate::context::Ctx;
use crate::json::{Document, get_dotted, remove_dotted, set_dotted};
use crate::kinds::ResourceKind;
use crate::util::to_hex;

/// Rewrites a document being written (its `_id` and the client's fields, before server-owned
/// fields are carried over): drops what the client may not set, casts, re-cases, clamps.
/// `previous` is the stored document on PUT.
pub(crate) fn rewrite_input(
    ctx: &Ctx<'_>,
    kind: ResourceKind,
    document: &mut Document,
    previous: Option<&Document>,
) {
    let fidelity = ctx.settings.fidelity;
    let on = |behaviour| fidelity.is_on(behaviour);
    if on(Behaviour::ReadOnlyDropped) {
        for rule in READ_ONLY_RULES.iter().filter(|rule| rule.kind == kind) {
            keep_stored(document, previous, rule.path);
        }
        if let Some(previous) = previous {
            for (_, path) in
                IMMUTABLE_AFTER_CREATE.iter().filter(|(rule_kind, _)| *rule_kind == kind)
            {
                keep_stored(document, Some(previous), path);
            }
        }
    }
    if on(Behaviour::ServerManagedTokens) && kind == ResourceKind::Connections {
        // The written document decides the mode: a connection switched to a mode where the
        // client supplies the tokens (say NetSuite `token`) takes the client's values.
        for path in managed_token_paths(document) {
            keep_stored(document, previous, path);
        }
    }
    if kind == ResourceKind::Integrations
        && !on(Behaviour::FlowGroupingsWipedByPut)
        && !document.contains_key("flowGroupings")
        && let Some(stored) = previous.and_then(|previous| previous.get("flowGroupings"))
    {
        document.insert("flowGroupings".into(), stored.clone());
    }
    if kind == ResourceKind::IClients && on(Behaviour::IClientScopeArray) {
        scope_to_array(document);
    }
    if kind == ResourceKind::EdiProfiles && on(Behaviour::EdiInterchangeIdPadding) {
        pad_interchange_ids(document);
    }
    if matches!(kind, ResourceKind::Exports | ResourceKind::Imports) {
        if on(Behaviour::EmptyFileLookupsDropped)
            && get_dotted(document, "file.lookups")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        {
            remove_dotted(document, "file.lookups");
        }
        if on(Behaviour::ExpressionRulesTwice) {
            for field in EXPRESSION_FIELDS {
                if let Some(Value::Object(expression)) = document.get_mut(*field) {
                    hold_rules_twice(expression);
                }
            }
        }
        if on(Behaviour::StringFieldCasts) {
            for field in EXPRESSION_FIELDS {
                for path in ["version", "expression.version"] {
                    number_to_string(document, &format!("{field}.{path}"));
                }
            }
        }
    }
    if kind == ResourceKind::Imports && on(Behaviour::HttpImportArrays) {
        let adaptor =
            document.get("adaptorType").and_then(Value::as_str).unwrap_or_default().to_owned();
        if matches!(adaptor.as_str(), "HTTPImport" | "RESTImport") {
            for (path, empty_when_absent) in IMPORT_ARRAY_FIELDS {
                match get_dotted(document, path) {
                    Some(Value::Array(_)) | Some(Value::Null) => {}
                    Some(scalar) => {
                        let wrapped = Value::Array(vec![scalar.clone()]);
                        set_dotted(document, path, wrapped);
                    }
                    None if *empty_when_absent && adaptor == "HTTPImport" => {
                        set_dotted(document, path, Value::Array(Vec::new()));
                    }
                    None => {}
                }
            }
        }
    }
    if on(Behaviour::StringFieldCasts) {
        for (_, path) in STRING_FIELDS.iter().filter(|(rule_kind, _)| *rule_kind == kind) {
            number_to_string(document, path);
        }
    }
    if on(Behaviour::CaseRewrites) {
        for rule in CASE_RULES.iter().filter(|rule| rule.kind == kind) {
            if let Some(Value::String(text)) = get_dotted(document, rule.path) {
                let cased = match rule.case {
                    Case::Lower => text.to_lowercase(),
                    Case::Upper => text.to_uppercase(),
                };
                if cased != *text {
                    set_dotted(document, rule.path, Value::String(cased));
                }
            }
        }
    }
    if kind == ResourceKind::Connections {
        if on(Behaviour::NetSuiteWsdlVersion)
            && let Some(Value::String(version)) = get_dotted(document, "netsuite.wsdlVersion")
        {
            let stored =
                if matches!(version.as_str(), "next" | "2023.1") { "next" } else { "latest" };
            set_dotted(document, "netsuite.wsdlVersion", Value::String(stored.to_owned()));
        }
        if on(Behaviour::ConcurrencyClamp) {
            let limit = u64::from(ctx.settings.licensed_concurrency.max(1));
            for connection_type in CLAMPED_CONNECTION_TYPES {
                for field in ["concurrencyLevel", "targetConcurrencyLevel"] {
                    let path = format!("{connection_type}.{field}");
                    if let Some(Value::Number(number)) = get_dotted(document, &path) {
                        let clamped = clamp(number, limit);
                        if clamped.as_ref() != Some(number) {
                            set_dotted(document, &path, clamped.map_or(Value::Null, Value::Number));
                        }
                    }
                }
            }
        }
    }
}

/// An iClient's `oauth2.scope` given as a string becomes an array, split at `scopeDelimiter`
/// (or whitespace when none is set).
fn scope_to_array(document: &mut Document) {
    let Some(Value::Object(oauth2)) = document.get_mut("oauth2") else { return };
    let Some(Value::String(scope)) = oauth2.get("scope") else { return };
    let delimiter =
        oauth2.get("scopeDelimiter").and_then(Value::as_str).filter(|text| !text.is_empty());
    let scopes: Vec<Value> = match delimiter {
        Some(delimiter) => scope.split(delimiter).map(str::trim).collect::<Vec<_>>(),
        None => scope.split_whitespace().collect(),
    }
    .into_iter()
    .filter(|scope| !scope.is_empty())
    .map(|scope| Value::String(scope.to_owned()))
    .collect();
    oauth2.insert("scope".into(), Value::Array(scopes));
}

/// The X12 interchange ids (ISA06/ISA08) right-padded with spaces to 15 characters.
fn pad_interchange_ids(document: &mut Document) {
    if document.get("fileType").and_then(Value::as_str) != Some("edix12") {
        return;
    }
    for field in ["tpInterchangeId", "myInterchangeId"] {
        if let Some(Value::String(id)) = document.get_mut(field) {
            let length = id.chars().count();
            if length < 15 {
                id.push_str(&" ".repeat(15 - length));
            }
        }
    }
}

/// Gives every flow grouping written without an `_id` a fresh one (API reference §5.2: the
/// server assigns the group id); groups that carry theirs keep it.
pub(crate) fn assign_group_ids(ctx: &Ctx<'_>, document: &mut Document) {
    if let Some(Value::Array(groupings)) = document.get_mut("flowGroupings") {
        for grouping in groupings.iter_mut().filter_map(Value::as_object_mut) {
            if !grouping.contains_key("_id") {
                grouping.insert("_id".into(), Value::String(ctx.ids.next_id()));
            }
        }
    }
}

/// Replaces the document's value at `path` with the stored one (removing it if nothing is
/// stored): the client cannot set it.
fn keep_stored(document: &mut Document, previous: Option<&Document>, path: &str) {
    match previous.and_then(|previous| get_dotted(previous, path)) {
        Some(stored) => set_dotted(document, path, stored.clone()),
        None => {
            remove_dotted(document, path);
        }
    }
}

fn number_to_string(document: &mut Document, path: &str) {
    if let Some(Value::Number(number)) = get_dotted(document, path) {
        let text = number.to_string();
        set_dotted(document, path, Value::String(text));
    }
}

/// Clamps a number into `1..=limit`, keeping integers integral.
fn clamp(number: &serde_json::Number, limit: u64) -> Option<serde_json::Number> {
    let value = number.as_f64()?;
    if value < 1.0 {
        Some(1.into())
    } else if value > limit as f64 {
        Some(limit.into())
    } else {
        Some(number.clone())
    }
}

/// `{type:"expression", expression:{rules}}` or `{type:"expression", rules}` becomes
/// `{type, expression:{rules, version:"1"}, rules, version:"1"}`.
fn hold_rules_twice(filter: &mut Map<String, Value>) {
    if filter.get("type").and_then(Value::as_str) != Some("expression") {
        return;
    }
    let nested = filter.get("expression").and_then(Value::as_object);
    let rules =
        nested.and_then(|nested| nested.get("rules")).or_else(|| filter.get("rules")).cloned();
    let Some(rules) = rules else { return };
    let version = nested
        .and_then(|nested| nested.get("version"))
        .or_else(|| filter.get("version"))
        .map(|version| match version {
            Value::Number(number) => Value::String(number.to_string()),
            other => other.clone(),
        })
        .unwrap_or_else(|| Value::String("1".to_owned()));
    let mut expression =
        filter.get("expression").and_then(Value::as_object).cloned().unwrap_or_default();
    expression.insert("rules".into(), rules.clone());
    expression.insert("version".into(), version.clone());
    filter.insert("expression".into(), Value::Object(expression));
    filter.insert("rules".into(), rules);
    filter.insert("version".into(), version);
}

/// Adds the fields the service stores that nobody sent. Runs after server-owned fields were
/// carried over from the stored document, so a field the service set once is not set again.
pub(crate) fn add_defaults(ctx: &Ctx<'_>, kind: ResourceKind, document: &mut Document) {
    let fidelity = ctx.settings.fidelity;
    let on = |behaviour| fidelity.is_on(behaviour);
    let sandbox_flag = on(Behaviour::LegacySandboxFlag) && kind != ResourceKind::Flows;
    match kind {
        ResourceKind::Flows => {
            // An omitted `disabled` means enabled (API reference §5.6): always modelled.
            document.entry("disabled").or_insert(Value::Bool(false));
            if on(Behaviour::FlowSkipRetries) {
                document.entry("skipRetries").or_insert(Value::Bool(false));
            }
            if on(Behaviour::FlowAutoResolveMatchingTraceKeys) {
                document.entry("autoResolveMatchingTraceKeys").or_insert(Value::Bool(true));
            }
            flow_steps(ctx, fidelity, document);
        }
        ResourceKind::Connections => {
            if on(Behaviour::ConnectionQueues) && !document.contains_key("queues") {
                let id = document.get("_id").cloned().unwrap_or(Value::Null);
                document.insert("queues".into(), json!([{"name": id, "size": 0}]));
            }
            if on(Behaviour::ConnectionEmptyArrays) {
                connection_arrays(document);
            }
            let is_salesforce = document.get("type").and_then(Value::as_str) == Some("salesforce");
            if on(Behaviour::SalesforceDefaults)
                && is_salesforce
                && let Some(Value::Object(salesforce)) = document.get_mut("salesforce")
            {
                salesforce
                    .entry("oauth2FlowType")
                    .or_insert(Value::String("refreshToken".to_owned()));
                salesforce.entry("sandbox").or_insert(Value::Bool(false));
            }
        }
        ResourceKind::Exports | ResourceKind::Imports => {
            if on(Behaviour::StepApiIdentifier) && !document.contains_key("apiIdentifier") {
                let prefix = if kind == ResourceKind::Exports { "e" } else { "i" };
                let bytes = ctx.account.rng().next_u64().to_be_bytes();
                let identifier = format!("{prefix}{}", &to_hex(&bytes)[..9]);
                document.insert("apiIdentifier".into(), Value::String(identifier));
            }
            let adaptor =
                document.get("adaptorType").and_then(Value::as_str).unwrap_or_default().to_owned();
            if kind == ResourceKind::Exports && on(Behaviour::ExportAsynchronous) {
                document.insert("asynchronous".into(), Value::Bool(true));
            }
            if on(Behaviour::StepOneToMany) {
                document.entry("oneToMany").or_insert(Value::Bool(false));
            }
            if on(Behaviour::StepParsers) {
                document.entry("parsers").or_insert(Value::Array(Vec::new()));
            }
            if kind == ResourceKind::Imports {
                if on(Behaviour::ImportLookups) {
                    document.entry("lookups").or_insert(Value::Array(Vec::new()));
                }
                if on(Behaviour::ImportIgnoreFlags) {
                    document.entry("ignoreExisting").or_insert(Value::Bool(false));
                    document.entry("ignoreMissing").or_insert(Value::Bool(false));
                }
                if on(Behaviour::ImportDistributed) {
                    let distributed = adaptor == "NetSuiteDistributedImport";
                    document.entry("distributed").or_insert(Value::Bool(distributed));
                }
            }
            if on(Behaviour::HttpStepDefaults) {
                http_step_defaults(kind, &adaptor, document);
            }
        }
        ResourceKind::Integrations => {
            assign_group_ids(ctx, document);
            if on(Behaviour::IntegrationArrays) {
                for field in [
                    "install",
                    "_registeredLookupCacheIds",
                    "installSteps",
                    "uninstallSteps",
                    "changeEditionSteps",
                    "flowGroupings",
                    "apiGroupings",
                ] {
                    document.entry(field).or_insert(Value::Array(Vec::new()));
                }
            }
        }
        ResourceKind::Scripts => {
            if on(Behaviour::ScriptChildRecordHook) {
                document
                    .entry("postResponseHookToProcessOnChildRecord")
                    .or_insert(Value::Bool(false));
            }
        }
        ResourceKind::IClients => iclient_defaults(ctx, fidelity, document),
        ResourceKind::LookupCaches => {
            if on(Behaviour::LookupCacheOwner) {
                let owner = Value::String(ctx.account.user_id.clone());
                document.entry("_userId").or_insert(owner);
            }
            if on(Behaviour::LookupCacheSize) {
                document.entry("size").or_insert(json!(0));
                document.entry("sizeInMB").or_insert(Value::String("0 MB".to_owned()));
            }
        }
        ResourceKind::Agents => {
            if on(Behaviour::AgentOffline) {
                document.entry("offline").or_insert(Value::Bool(true));
            }
        }
        ResourceKind::FileDefinitions
        | ResourceKind::EdiProfiles
        | ResourceKind::AsyncHelpers
        | ResourceKind::Stacks => {}
    }
    if sandbox_flag {
        document.entry("sandbox").or_insert(Value::Bool(false));
    }
}

fn iclient_defaults(ctx: &Ctx<'_>, fidelity: Fidelity, document: &mut Document) {
    let on = |behaviour| fidelity.is_on(behaviour);
    if on(Behaviour::IClientPublished) {
        document.entry("published").or_insert(Value::Bool(false));
    }
    if on(Behaviour::IClientAuthFailures)
        && let Some(Value::Object(oauth2)) = document.get_mut("oauth2")
    {
        oauth2.insert("useNewAuthFailSchema".into(), Value::Bool(true));
        let mut failure = Map::new();
        for (from, to) in
            [("failStatusCode", "statusCode"), ("failPath", "path"), ("failValues", "values")]
        {
            if let Some(value) = oauth2.get(from).filter(|value| !value.is_null()) {
                failure.insert(to.into(), value.clone());
            }
        }
        if failure.is_empty() {
            oauth2.shift_remove("failures");
        } else {
            oauth2.insert("failures".into(), Value::Array(vec![Value::Object(failure)]));
        }
    }
    let jwt_enabled = document.get("enableJWT") == Some(&Value::Bool(true));
    if on(Behaviour::IClientJwtToken)
        && jwt_enabled
        && let Some(Value::Object(jwt)) = document.get_mut("jwt")
        && !jwt.contains_key("token")
    {
        let bytes = ctx.account.rng().next_u64().to_be_bytes();
        jwt.insert("token".into(), Value::String(format!("jwt-{}", to_hex(&bytes))));
    }
}

fn flow_steps(ctx: &Ctx<'_>, fidelity: Fidelity, document: &mut Document) {
    let on = |behaviour| fidelity.is_on(behaviour);
    if let Some(Value::Array(generators)) = document.get_mut("pageGenerators") {
        for generator in generators.iter_mut().filter_map(Value::as_object_mut) {
            if on(Behaviour::PageGeneratorSkipRetries) {
                generator.entry("skipRetries").or_insert(Value::Bool(false));
            }
            if on(Behaviour::PageGeneratorId) && !generator.contains_key("_id") {
                generator.insert("_id".into(), Value::String(ctx.ids.next_id()));
            }
        }
    }
    let response_mapping = on(Behaviour::PageProcessorResponseMapping);
    if response_mapping && let Some(Value::Array(processors)) = document.get_mut("pageProcessors") {
        add_response_mappings(processors);
    }
    if let Some(Value::Array(routers)) = document.get_mut("routers") {
        for router in routers.iter_mut().filter_map(Value::as_object_mut) {
            if on(Behaviour::RouterId) && !router.contains_key("id") {
                router.insert("id".into(), Value::String(random_short_id(ctx)));
            }
            let Some(Value::Array(branches)) = router.get_mut("branches") else { continue };
            for branch in branches.iter_mut().filter_map(Value::as_object_mut) {
                if response_mapping
                    && let Some(Value::Array(processors)) = branch.get_mut("pageProcessors")
                {
                    add_response_mappings(processors);
                }
                if on(Behaviour::BranchId) && !branch.contains_key("branchId") {
                    branch.insert("branchId".into(), Value::String(random_short_id(ctx)));
                }
            }
        }
    }
}

fn add_response_mappings(processors: &mut [Value]) {
    for processor in processors.iter_mut().filter_map(Value::as_object_mut) {
        processor.entry("responseMapping").or_insert_with(|| json!({"fields": [], "lists": []}));
    }
}

/// 11 random alphanumerics, the shape of router ids and branch ids in 2026 documents.
pub(crate) fn random_short_id(ctx: &Ctx<'_>) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = ctx.account.rng();
    (0..11)
        .map(|_| char::from(ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize]))
        .collect()
}

fn connection_arrays(document: &mut Document) {
    let empty = || Value::Array(Vec::new());
    if let Some(Value::Object(rest)) = document.get_mut("rest") {
        for field in ["encryptedFields", "unencryptedFields", "scope"] {
            rest.entry(field).or_insert_with(empty);
        }
    }
    if let Some(Value::Object(http)) = document.get_mut("http") {
        http.entry("encryptedFields").or_insert_with(empty);
        if let Some(Value::Object(auth)) = http.get_mut("auth") {
            let oauth = auth.entry("oauth").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(oauth) = oauth {
                oauth.entry("scope").or_insert_with(empty);
            }
        }
        if let Some(Value::Object(ping)) = http.get_mut("ping") {
            ping.entry("failValues").or_insert_with(empty);
            ping.entry("successValues").or_insert_with(empty);
        }
    }
}

fn http_step_defaults(kind: ResourceKind, adaptor: &str, document: &mut Document) {
    let is_http = match kind {
        ResourceKind::Exports => adaptor == "HTTPExport",
        ResourceKind::Imports => adaptor == "HTTPImport",
        _ => false,
    };
    if !is_http {
        return;
    }
    let http = document.entry("http").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(http) = http else { return };
    http.entry("formType").or_insert_with(|| Value::String("http".to_owned()));
    http.entry("isRest").or_insert(Value::Bool(false));
    if kind == ResourceKind::Exports {
        http.entry("sendAuthForFileDownloads").or_insert(Value::Bool(false));
        let response = http.entry("response").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(response) = response {
            response
                .entry("twoDArray")
                .or_insert_with(|| json!({"doNotNormalize": false, "hasHeader": false}));
        }
    } else {
        http.entry("batchSize").or_insert_with(|| Value::Number(1.into()));
        http.entry("sendPostMappedData").or_insert(Value::Bool(true));
    }
}
