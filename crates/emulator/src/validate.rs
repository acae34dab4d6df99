//! Validation of a document about to be stored: required fields per kind, references that must
//! point at something (`invalid_ref`), and the flow rules of API reference §5.6 and §4.3.
//! All problems are reported in one response, as the API does.

use std::collections::HashSet;

use serde_json::Value;

use crate::error::{ApiError, Problems};
use crate::fidelity::{Behaviour, Fidelity};
use crate::json::Document;
use crate::kinds::ResourceKind;
use crate::store::{AccountData, collect_references};

const CONNECTION_TYPES: &[&str] = &[
    "netsuite",
    "salesforce",
    "ftp",
    "s3",
    "wrapper",
    "http",
    "rdbms",
    "mongodb",
    "as2",
    "filesystem",
    "mcp",
    "dynamodb",
    "jdbc",
    "van",
    "rest",
];

const EXPORT_ADAPTORS: &[&str] = &[
    "HTTPExport",
    "NetSuiteExport",
    "SalesforceExport",
    "RDBMSExport",
    "MongodbExport",
    "JDBCExport",
    "DynamodbExport",
    "FTPExport",
    "S3Export",
    "WebhookExport",
    "AS2Export",
    "SimpleExport",
    "FileSystemExport",
    "WrapperExport",
];

/// Exports that have no connection (API reference §5.4).
const CONNECTIONLESS_EXPORTS: &[&str] = &["WebhookExport", "SimpleExport"];
/// Virtual imports that live in the imports collection without a connection (§5.5).
const CONNECTIONLESS_IMPORTS: &[&str] = &["AiAgentImport", "GuardrailImport"];

/// Checks a complete document of `kind` whose id is `own_id` against the account's data.
pub(crate) fn validate_document(
    fidelity: Fidelity,
    kind: ResourceKind,
    document: &Document,
    data: &AccountData,
    own_id: &str,
) -> Result<(), ApiError> {
    let mut problems = Problems::default();
    check_name(kind, document, &mut problems);
    match kind {
        ResourceKind::Connections => check_connection(document, &mut problems),
        ResourceKind::Exports => check_export(document, &mut problems),
        ResourceKind::Imports => check_import(document, &mut problems),
        ResourceKind::Scripts => check_script(document, &mut problems),
        ResourceKind::Flows => check_flow(fidelity, document, data, &mut problems),
        ResourceKind::Integrations => check_integration(document, &mut problems),
        ResourceKind::IClients => check_iclient(document, &mut problems),
        ResourceKind::FileDefinitions => check_file_definition(document, &mut problems),
        ResourceKind::EdiProfiles => check_edi_profile(document, &mut problems),
        ResourceKind::Stacks => check_stack(document, &mut problems),
        // `name` is their only documented requirement (the lookup cache skill's "minimum
        // required fields"; the UI creates an async helper with its name only, singh-gurkawalbir/
        // demo `src/forms/definitions/asyncHelpers/index.js`).
        ResourceKind::LookupCaches | ResourceKind::AsyncHelpers | ResourceKind::Agents => {}
    }
    check_references(kind, document, data, own_id, &mut problems);
    problems.into_result()
}

fn check_name(kind: ResourceKind, document: &Document, problems: &mut Problems) {
    match document.get("name") {
        None => problems.push("missing_required_field", "`name` is required", "name"),
        Some(Value::String(name)) if name.trim().is_empty() => {
            problems.push("missing_required_field", "`name` is required", "name");
        }
        Some(Value::String(name)) => {
            let limited = matches!(kind, ResourceKind::Connections | ResourceKind::Scripts);
            if limited && name.chars().count() > 100 {
                problems.push("invalid_field", "`name` must be at most 100 characters", "name");
            }
        }
        Some(_) => problems.push("invalid_field", "`name` must be a string", "name"),
    }
}

fn required_string<'a>(
    document: &'a Document,
    field: &str,
    problems: &mut Problems,
) -> Option<&'a str> {
    match document.get(field) {
        None => {
            problems.push("missing_required_field", format!("`{field}` is required"), field);
            None
        }
        Some(Value::String(text)) => Some(text),
        Some(_) => {
            problems.push("invalid_field", format!("`{field}` must be a string"), field);
            None
        }
    }
}

fn check_connection(document: &Document, problems: &mut Problems) {
    let Some(connection_type) = required_string(document, "type", problems) else { return };
    if !CONNECTION_TYPES.contains(&connection_type) {
        problems.push(
            "invalid_field",
            format!("`type` must be one of {}", CONNECTION_TYPES.join(", ")),
            "type",
        );
        return;
    }
    if !matches!(document.get(connection_type), Some(Value::Object(_))) {
        problems.push(
            "missing_required_field",
            format!("`{connection_type}` is required when `type` is `{connection_type}`"),
            connection_type,
        );
    }
    if connection_type == "filesystem" && !document.contains_key("_agentId") {
        problems.push(
            "missing_required_field",
            "The file system connection requires Agent",
            "_agentId",
        );
    }
    if connection_type == "s3" {
        let s3 = document.get("s3");
        let auth_type = s3.and_then(|s3| s3.get("authType")).and_then(Value::as_str);
        if auth_type == Some("accesskey") && s3.and_then(|s3| s3.get("accessKeyId")).is_none() {
            problems.push(
                "missing_required_field",
                "`s3.accessKeyId` is required when `s3.authType` is `accesskey`",
                "s3.accessKeyId",
            );
        }
    }
}

fn check_export(document: &Document, problems: &mut Problems) {
    let Some(adaptor) = required_string(document, "adaptorType", problems) else { return };
    if !EXPORT_ADAPTORS.contains(&adaptor) {
        problems.push(
            "invalid_field",
            format!("`adaptorType` must be one of {}", EXPORT_ADAPTORS.join(", ")),
            "adaptorType",
        );
        return;
    }
    if !CONNECTIONLESS_EXPORTS.contains(&adaptor) && !document.contains_key("_connectionId") {
        problems.push(
            "missing_required_field",
            format!("`_connectionId` is required when `adaptorType` is `{adaptor}`"),
            "_connectionId",
        );
    }
}

fn check_import(document: &Document, problems: &mut Problems) {
    let Some(adaptor) = required_string(document, "adaptorType", problems) else { return };
    if !adaptor.ends_with("Import") {
        problems.push("invalid_field", "`adaptorType` must name an import adaptor", "adaptorType");
        return;
    }
    if !CONNECTIONLESS_IMPORTS.contains(&adaptor) && !document.contains_key("_connectionId") {
        problems.push("missing_required_field", "`_connectionId` is required", "_connectionId");
    }
}

fn check_script(document: &Document, problems: &mut Problems) {
    required_string(document, "content", problems);
    if let Some(Value::String(description)) = document.get("description")
        && description.chars().count() > 1024
    {
        problems.push(
            "invalid_field",
            "`description` must be at most 1024 characters",
            "description",
        );
    }
}

fn check_integration(document: &Document, problems: &mut Problems) {
    let Some(groupings) = document.get("flowGroupings") else { return };
    let Some(groupings) = groupings.as_array() else {
        problems.push("invalid_field", "`flowGroupings` must be an array", "flowGroupings");
        return;
    };
    let mut ids = HashSet::new();
    for (index, grouping) in groupings.iter().enumerate() {
        if grouping.get("name").and_then(Value::as_str).is_none() {
            problems.push(
                "missing_required_field",
                "a flow grouping needs a `name`",
                format!("flowGroupings[{index}].name"),
            );
        }
        // Group ids are ObjectIds the service assigns (§5.2); a group keeps its id.
        match grouping.get("_id") {
            None => {}
            Some(Value::String(id))
                if crate::util::is_object_id(id) && !ids.insert(id.as_str()) =>
            {
                problems.push(
                    "invalid_field",
                    format!("two flow groupings have the id `{id}`"),
                    format!("flowGroupings[{index}]._id"),
                );
            }
            Some(Value::String(id)) if crate::util::is_object_id(id) => {}
            Some(_) => problems.push(
                "invalid_field",
                "a flow grouping's `_id` must be a 24-hex id",
                format!("flowGroupings[{index}]._id"),
            ),
        }
    }
}

/// The providers of configuring-connections/iclient-schemas/base.yml:12-39.
const ICLIENT_PROVIDERS: &[&str] = &[
    "custom_oauth2",
    "netsuite",
    "amazonmws",
    "awsIam",
    "azureserviceprincipal",
    "integrator",
    "salesforce",
    "shopify",
    "ebay-xml",
    "microsoftbusinesscentral",
    "google",
    "azureoauth",
    "squareup",
    "zendesk",
    "docusign",
    "ebay",
    "windowslive",
    "bigcommerce",
    "asana",
    "box",
    "dropbox",
    "clover",
    "servicenow",
    "jobvite",
    "twilio",
    "certify",
    "woocommerce",
];

/// iClients: `provider` is required (iclient-schemas/request.yml) and one of base.yml's; the
/// Azure service principal and AWS IAM providers need their sub-object's required fields
/// (base.yml:492-532).
fn check_iclient(document: &Document, problems: &mut Problems) {
    let Some(provider) = required_string(document, "provider", problems) else { return };
    if !ICLIENT_PROVIDERS.contains(&provider) {
        problems.push(
            "invalid_field",
            format!("`provider` must be one of {}", ICLIENT_PROVIDERS.join(", ")),
            "provider",
        );
        return;
    }
    let required: &[&str] = match provider {
        "azureserviceprincipal" => &["clientId", "clientSecret", "tenantId"],
        "awsIam" => &["externalId"],
        _ => &[],
    };
    for field in required {
        let path = format!("{provider}.{field}");
        let present = document.get(provider).and_then(|block| block.get(*field)).is_some();
        if !present {
            problems.push(
                "missing_required_field",
                format!("`{path}` is required when `provider` is `{provider}`"),
                path,
            );
        }
    }
}

/// File definitions: `name`, `version`, `format` and `rules` are required (celigo/ai
/// `skills/building-b2b/references/schemas/file-definition-request.yml`).
fn check_file_definition(document: &Document, problems: &mut Problems) {
    for field in ["version", "format"] {
        if !document.contains_key(field) {
            problems.push("missing_required_field", format!("`{field}` is required"), field);
        }
    }
    match document.get("rules") {
        None => problems.push("missing_required_field", "`rules` is required", "rules"),
        Some(Value::Array(_)) => {}
        Some(_) => problems.push("invalid_field", "`rules` must be an array", "rules"),
    }
}

/// EDI profiles: `name` and `fileType` (`edix12` or `edifact`) are required (celigo/ai
/// `skills/building-b2b/references/schemas/edi-profile-request.yml` and `SKILL.md`).
fn check_edi_profile(document: &Document, problems: &mut Problems) {
    let Some(file_type) = required_string(document, "fileType", problems) else { return };
    if !matches!(file_type, "edix12" | "edifact") {
        problems.push("invalid_field", "`fileType` must be `edix12` or `edifact`", "fileType");
    }
}

/// Stacks: `type`, when given, is `server` or `lambda` with its sub-object (the UI's stacks
/// mock, singh-gurkawalbir/demo `src/test/api/routes/stacks.js`).
fn check_stack(document: &Document, problems: &mut Problems) {
    let Some(stack_type) = document.get("type") else { return };
    match stack_type.as_str() {
        Some(stack_type @ ("server" | "lambda")) => {
            if !matches!(document.get(stack_type), Some(Value::Object(_))) {
                problems.push(
                    "missing_required_field",
                    format!("`{stack_type}` is required when `type` is `{stack_type}`"),
                    stack_type,
                );
            }
        }
        _ => problems.push("invalid_field", "`type` must be `server` or `lambda`", "type"),
    }
}

fn check_flow(
    fidelity: Fidelity,
    document: &Document,
    data: &AccountData,
    problems: &mut Problems,
) {
    if let Some(schedule) = document.get("schedule") {
        check_schedule(schedule, "schedule", problems);
    }
    if let Some(generators) = document.get("pageGenerators") {
        match generators.as_array() {
            Some(generators) => {
                for (index, generator) in generators.iter().enumerate() {
                    let path = format!("pageGenerators[{index}]");
                    if generator.get("_exportId").is_none() {
                        problems.push(
                            "missing_required_field",
                            "a page generator needs an `_exportId`",
                            format!("{path}._exportId"),
                        );
                    }
                    if let Some(schedule) = generator.get("schedule") {
                        check_schedule(schedule, &format!("{path}.schedule"), problems);
                    }
                }
            }
            None => problems.push(
                "invalid_field",
                "`pageGenerators` must be an array",
                "pageGenerators",
            ),
        }
    }
    if fidelity.is_on(Behaviour::RoutersExcludePageProcessors)
        && document.contains_key("routers")
        && document.contains_key("pageProcessors")
    {
        problems.push(
            "invalid_field",
            "\"pageProcessors\" is not allowed when \"routers\" is present",
            "pageProcessors",
        );
    }
    if let Some(processors) = document.get("pageProcessors") {
        check_page_processors(processors, "pageProcessors", problems);
    }
    if let Some(routers) = document.get("routers") {
        check_routers(routers, problems);
    }
    check_flow_grouping(document, data, problems);
}

fn check_page_processors(processors: &Value, path: &str, problems: &mut Problems) {
    let Some(processors) = processors.as_array() else {
        problems.push("invalid_field", format!("`{path}` must be an array"), path);
        return;
    };
    for (index, processor) in processors.iter().enumerate() {
        let item = format!("{path}[{index}]");
        let id_field = match processor.get("type").and_then(Value::as_str) {
            Some("export") => "_exportId",
            Some("import") => "_importId",
            Some(_) => {
                problems.push(
                    "invalid_field",
                    "`type` must be `export` or `import`",
                    format!("{item}.type"),
                );
                continue;
            }
            None => {
                problems.push(
                    "missing_required_field",
                    "a page processor needs a `type`",
                    format!("{item}.type"),
                );
                continue;
            }
        };
        if processor.get(id_field).is_none() {
            problems.push(
                "missing_required_field",
                format!("a page processor of this type needs `{id_field}`"),
                format!("{item}.{id_field}"),
            );
        }
    }
}

fn check_routers(routers: &Value, problems: &mut Problems) {
    let Some(routers) = routers.as_array() else {
        problems.push("invalid_field", "`routers` must be an array", "routers");
        return;
    };
    let mut seen = HashSet::new();
    for (index, router) in routers.iter().enumerate() {
        if let Some(id) = router.get("id").and_then(Value::as_str)
            && !seen.insert(id)
        {
            problems.push("invalid_field", "Duplicate router id", format!("routers[{index}].id"));
        }
    }
    for (router_index, router) in routers.iter().enumerate() {
        let path = format!("routers[{router_index}]");
        check_enum(
            router,
            "routeRecordsTo",
            &["first_matching_branch", "all_matching_branches"],
            &path,
            problems,
        );
        check_enum(router, "routeRecordsUsing", &["input_filters", "script"], &path, problems);
        check_next_router(router, &seen, &path, problems);
        let Some(branches) = router.get("branches").and_then(Value::as_array) else {
            problems.push(
                "missing_required_field",
                "a router needs `branches`",
                format!("{path}.branches"),
            );
            continue;
        };
        for (branch_index, branch) in branches.iter().enumerate() {
            let branch_path = format!("{path}.branches[{branch_index}]");
            if branch.get("name").and_then(Value::as_str).is_none() {
                problems.push(
                    "missing_required_field",
                    "a branch needs a `name`",
                    format!("{branch_path}.name"),
                );
            }
            if let Some(processors) = branch.get("pageProcessors") {
                check_page_processors(
                    processors,
                    &format!("{branch_path}.pageProcessors"),
                    problems,
                );
            }
            check_next_router(branch, &seen, &branch_path, problems);
        }
    }
}

fn check_enum(object: &Value, field: &str, allowed: &[&str], path: &str, problems: &mut Problems) {
    if let Some(value) = object.get(field)
        && !value.as_str().is_some_and(|text| allowed.contains(&text))
    {
        problems.push(
            "invalid_field",
            format!("`{field}` must be one of {}", allowed.join(", ")),
            format!("{path}.{field}"),
        );
    }
}

fn check_next_router(
    object: &Value,
    router_ids: &HashSet<&str>,
    path: &str,
    problems: &mut Problems,
) {
    if let Some(next) = object.get("nextRouterId")
        && !next.as_str().is_some_and(|id| router_ids.contains(id))
    {
        problems.push("invalid_field", "Invalid nextRouterId", format!("{path}.nextRouterId"));
    }
}

fn check_schedule(schedule: &Value, path: &str, problems: &mut Problems) {
    if !schedule.as_str().is_some_and(is_valid_cron) {
        problems.push("invalid_field", "Invalid cron expression", path);
    }
}

fn check_flow_grouping(document: &Document, data: &AccountData, problems: &mut Problems) {
    let Some(grouping) = document.get("_flowGroupingId") else { return };
    let Some(grouping) = grouping.as_str() else {
        problems.push("invalid_ref", "Invalid reference: _flowGroupingId", "_flowGroupingId");
        return;
    };
    let integration = document
        .get("_integrationId")
        .and_then(Value::as_str)
        .and_then(|id| data.get(ResourceKind::Integrations, id));
    let known = integration
        .and_then(|integration| integration.get("flowGroupings"))
        .and_then(Value::as_array)
        .is_some_and(|groupings| {
            groupings.iter().any(|group| group.get("_id").and_then(Value::as_str) == Some(grouping))
        });
    if !known {
        problems.push(
            "invalid_ref",
            "Invalid reference: _flowGroupingId is not a flow grouping of the flow's integration",
            "_flowGroupingId",
        );
    }
}

fn check_references(
    kind: ResourceKind,
    document: &Document,
    data: &AccountData,
    own_id: &str,
    problems: &mut Problems,
) {
    let (references, malformed) = collect_references(document);
    for bad in malformed {
        problems.push(
            "invalid_ref",
            format!("Invalid reference: `{}` is not a valid id", bad.path),
            bad.path,
        );
    }
    for reference in references {
        let is_self = reference.target == kind && reference.id == own_id;
        if !is_self && !data.contains(reference.target, &reference.id) {
            problems.push(
                "invalid_ref",
                format!(
                    "Invalid reference: {} `{}` at `{}` does not exist",
                    reference.target.singular(),
                    reference.id,
                    reference.path
                ),
                reference.path,
            );
        }
    }
}

/// Celigo's 6-field cron: seconds (always `?`), minutes, hours, day of month, month, day of
/// week, e.g. `? 0 2 ? * *` or `? */5 * * * *`.
pub(crate) fn is_valid_cron(expression: &str) -> bool {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if fields.len() != 6 || fields[0] != "?" {
        return false;
    }
    const MONTHS: &[&str] =
        &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    valid_cron_field(fields[1], 0, 59, &[], false)
        && valid_cron_field(fields[2], 0, 23, &[], false)
        && valid_cron_field(fields[3], 1, 31, &[], true)
        && valid_cron_field(fields[4], 1, 12, MONTHS, false)
        && valid_cron_field(fields[5], 0, 7, DAYS, true)
}

fn valid_cron_field(
    field: &str,
    min: u32,
    max: u32,
    names: &[&str],
    allows_question: bool,
) -> bool {
    if field == "?" {
        return allows_question;
    }
    field.split(',').all(|item| {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step
            && !step.parse::<u32>().is_ok_and(|step| step >= 1 && step <= max.max(1))
        {
            return false;
        }
        if range == "*" {
            return true;
        }
        let value_ok = |text: &str| {
            text.parse::<u32>().is_ok_and(|value| value >= min && value <= max)
                || names.iter().any(|name| name.eq_ignore_ascii_case(text))
        };
        match range.split_once('-') {
            Some((low, high)) => value_ok(low) && value_ok(high),
            None => value_ok(range),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::is_valid_cron;

    #[test]
    fn cron_needs_six_fields_with_a_leading_question_mark() {
        for good in ["? 0 2 ? * *", "? */5 * * * *", "? 0 1,13 * * MON-FRI", "? 30 8 1 JAN ?"] {
            assert!(is_valid_cron(good), "{good}");
        }
        for bad in [
            "0 0 2 * * *",
            "? 0 2 * *",
            "? 61 * * * *",
            "? * 24 * * *",
            "? * * * * * *",
            "",
            "? a * * * *",
        ] {
            assert!(!is_valid_cron(bad), "{bad}");
        }
    }
}
