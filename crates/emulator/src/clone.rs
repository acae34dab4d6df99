//! Clone endpoints (API reference §6.5): `POST /v1/{flows|exports|imports|integrations}/{id}/clone`.
//! A flow clone copies its exports and imports (connections remapped through `connectionMap`),
//! an integration clone copies its flows; every copy carries `_sourceId`. The response is the
//! cloned document or a manifest, as configured.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::config::{CloneResponse, Settings};
use crate::context::{Ctx, Reply};
use crate::error::ApiError;
use crate::fidelity::Behaviour;
use crate::fidelity::read::shown;
use crate::json::Document;
use crate::kinds::{COMMON_SERVER_OWNED, RefTarget, ResourceKind, reference_target};
use crate::resources::{build_document, fresh_id, not_found};
use crate::store::AccountData;
use crate::validate::validate_document;

/// Everything one clone request created, in creation order.
struct Created {
    entries: Vec<(ResourceKind, String, Document)>,
}

impl Created {
    fn reply(self, settings: &Settings, primary: usize) -> Reply {
        match settings.clone_response {
            CloneResponse::Document => {
                let (kind, _, document) = &self.entries[primary];
                Reply::json(StatusCode::CREATED, Value::Object(shown(settings, *kind, document)))
            }
            CloneResponse::Manifest => {
                let mut order: Vec<usize> = (0..self.entries.len()).collect();
                // The primary resource first, then the rest in creation order.
                order.retain(|index| *index != primary);
                order.insert(0, primary);
                let manifest = order
                    .into_iter()
                    .map(|index| {
                        let (kind, id, document) = &self.entries[index];
                        json!({"model": kind.model(), "_id": id, "name": document.get("name").cloned().unwrap_or(Value::Null)})
                    })
                    .collect();
                Reply::json(StatusCode::CREATED, Value::Array(manifest))
            }
        }
        .committed()
    }
}

struct CloneRequest {
    name: Option<String>,
    connection_map: Option<HashMap<String, String>>,
    body: Map<String, Value>,
}

fn parse_request(body: Option<Value>) -> Result<CloneRequest, ApiError> {
    let body = match body {
        None => Map::new(),
        Some(Value::Object(body)) => body,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "the request body must be a JSON object",
            ));
        }
    };
    let name = match body.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => {
            return Err(ApiError::with_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "`name` must be a string",
                "name",
            ));
        }
    };
    let connection_map = match body.get("connectionMap") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            let mut parsed = HashMap::new();
            for (source, target) in map {
                let Some(target) = target.as_str() else {
                    return Err(ApiError::bad_request(
                        "invalid_connectionMap",
                        format!("`connectionMap.{source}` must be a connection id"),
                    ));
                };
                parsed.insert(source.clone(), target.to_owned());
            }
            Some(parsed)
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_connectionMap",
                "`connectionMap` must be an object",
            ));
        }
    };
    Ok(CloneRequest { name, connection_map, body })
}

/// Connections used by the given steps (exports/imports), in first-use order.
fn connections_of_steps(data: &AccountData, steps: &[(ResourceKind, String)]) -> Vec<String> {
    let mut used = Vec::new();
    for (kind, id) in steps {
        for reference in data.references.references_of(*kind, id) {
            if reference.target == ResourceKind::Connections && !used.contains(&reference.id) {
                used.push(reference.id.clone());
            }
        }
    }
    used
}

/// The export and import steps of a flow, in order of appearance.
fn steps_of_flow(data: &AccountData, flow_id: &str) -> Vec<(ResourceKind, String)> {
    let mut steps = Vec::new();
    for reference in data.references.references_of(ResourceKind::Flows, flow_id) {
        let is_step = ["pageGenerators[", "pageProcessors[", "routers["]
            .iter()
            .any(|prefix| reference.path.starts_with(prefix));
        let step_kind = matches!(reference.target, ResourceKind::Exports | ResourceKind::Imports);
        if is_step && step_kind && data.contains(reference.target, &reference.id) {
            let step = (reference.target, reference.id.clone());
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
    }
    steps
}

/// Checks that the connection map covers every used connection and points at existing ones.
fn check_connection_map(
    data: &AccountData,
    used: &[String],
    map: Option<&HashMap<String, String>>,
    required: bool,
) -> Result<(), ApiError> {
    if used.is_empty() && map.is_none() {
        return Ok(());
    }
    let empty = HashMap::new();
    let map = match map {
        Some(map) => map,
        None if required => {
            return Err(ApiError::bad_request(
                "invalid_connectionMap",
                format!(
                    "`connectionMap` is required: the resource uses connections {}",
                    quoted(used)
                ),
            ));
        }
        None => &empty,
    };
    if required {
        let missing: Vec<String> =
            used.iter().filter(|id| !map.contains_key(*id)).cloned().collect();
        if !missing.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_connectionMap",
                format!(
                    "`connectionMap` must map every connection the resource uses; missing {}",
                    quoted(&missing)
                ),
            ));
        }
    }
    for (source, target) in map {
        if !data.contains(ResourceKind::Connections, target) {
            return Err(ApiError::with_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_ref",
                format!("Invalid reference: connection `{target}` does not exist"),
                format!("connectionMap.{source}"),
            ));
        }
    }
    Ok(())
}

fn quoted(ids: &[String]) -> String {
    ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
}

/// Replaces, anywhere in the value (outside sample data and settings), the ids of reference
/// fields that the map renames.
fn remap_references(value: &mut Value, map: &HashMap<String, String>) {
    match value {
        Value::Object(object) => {
            for (key, member) in object.iter_mut() {
                if crate::kinds::UNSCANNED_SUBTREES.contains(&key.as_str()) {
                    continue;
                }
                if matches!(reference_target(key), Some(RefTarget::Modelled(_))) {
                    remap_ids(member, map);
                } else {
                    remap_references(member, map);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| remap_references(item, map)),
        _ => {}
    }
}

fn remap_ids(value: &mut Value, map: &HashMap<String, String>) {
    match value {
        Value::String(id) => {
            if let Some(new_id) = map.get(id.as_str()) {
                *id = new_id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| remap_ids(item, map)),
        _ => {}
    }
}

/// The copy of a stored document without its server-owned fields, remapped, with `_sourceId`.
fn copy_of(
    ctx: &Ctx<'_>,
    data: &AccountData,
    kind: ResourceKind,
    source_id: &str,
    new_id: &str,
    remap: &HashMap<String, String>,
    adjust: impl FnOnce(&mut Document),
) -> Result<Document, ApiError> {
    let source = data.get(kind, source_id).ok_or_else(|| not_found(kind))?;
    let mut input = source.clone();
    for path in COMMON_SERVER_OWNED.iter().chain(kind.server_owned()) {
        crate::json::remove_dotted(&mut input, path);
    }
    let mut value = Value::Object(input);
    remap_references(&mut value, remap);
    let Value::Object(mut input) = value else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "a cloned document lost its shape",
        ));
    };
    adjust(&mut input);
    let mut document = build_document(ctx, kind, new_id, input, None);
    document.insert("_sourceId".into(), Value::String(source_id.to_owned()));
    if kind == ResourceKind::Flows && ctx.settings.fidelity.is_on(Behaviour::FlowFreeOnCopies) {
        document.insert("free".into(), Value::Bool(false));
    }
    Ok(document)
}

fn default_name(requested: Option<String>, source: Option<&Document>) -> String {
    requested.unwrap_or_else(|| {
        let source_name = source
            .and_then(|source| source.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        format!("Clone - {source_name}")
    })
}

/// Clones the steps of `flow_ids` not cloned yet, extending `step_map` (old id → new id).
fn clone_steps(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    steps: &[(ResourceKind, String)],
    connection_map: &HashMap<String, String>,
    step_map: &mut HashMap<String, String>,
    created: &mut Created,
) -> Result<(), ApiError> {
    for (kind, step_id) in steps {
        if step_map.contains_key(step_id) {
            continue;
        }
        let new_id = fresh_id(ctx, data);
        let document = copy_of(ctx, data, *kind, step_id, &new_id, connection_map, |_| {})?;
        validate_document(ctx.settings.fidelity, *kind, &document, data, &new_id)?;
        data.put(*kind, new_id.clone(), document.clone());
        step_map.insert(step_id.clone(), new_id.clone());
        created.entries.push((*kind, new_id, document));
    }
    Ok(())
}

pub(crate) fn clone_flow(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    flow_id: &str,
    body: Option<Value>,
) -> Result<Reply, ApiError> {
    let source = data
        .get(ResourceKind::Flows, flow_id)
        .ok_or_else(|| not_found(ResourceKind::Flows))?
        .clone();
    let request = parse_request(body)?;
    let integration_id =
        request.body.get("_integrationId").and_then(Value::as_str).map(str::to_owned);
    let Some(integration_id) =
        integration_id.filter(|id| data.contains(ResourceKind::Integrations, id))
    else {
        return Err(ApiError::with_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ref",
            "Integration not found for the given id",
            "_integrationId",
        ));
    };
    let grouping = match request.body.get("_flowGroupingId") {
        None | Some(Value::Null) => None,
        Some(Value::String(grouping)) => Some(grouping.clone()),
        Some(_) => {
            return Err(ApiError::with_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_ref",
                "Invalid reference: _flowGroupingId",
                "_flowGroupingId",
            ));
        }
    };
    let steps = steps_of_flow(data, flow_id);
    let used = connections_of_steps(data, &steps);
    check_connection_map(data, &used, request.connection_map.as_ref(), true)?;
    let connection_map = request.connection_map.unwrap_or_default();
    // Validate the flow copy before creating anything, so a refused clone leaves nothing behind.
    let new_flow_id = fresh_id(ctx, data);
    let name = default_name(request.name, Some(&source));
    let adjust_flow = |input: &mut Document| {
        input.insert("name".into(), Value::String(name.clone()));
        input.insert("_integrationId".into(), Value::String(integration_id.clone()));
        input.shift_remove("_flowGroupingId");
        if let Some(grouping) = &grouping {
            input.insert("_flowGroupingId".into(), Value::String(grouping.clone()));
        }
        input.insert("disabled".into(), Value::Bool(true));
    };
    let probe = copy_of(
        ctx,
        data,
        ResourceKind::Flows,
        flow_id,
        &new_flow_id,
        &HashMap::new(),
        adjust_flow,
    )?;
    validate_document(ctx.settings.fidelity, ResourceKind::Flows, &probe, data, &new_flow_id)?;
    let mut created = Created { entries: Vec::new() };
    let mut step_map = HashMap::new();
    clone_steps(ctx, data, &steps, &connection_map, &mut step_map, &mut created)?;
    let mut flow_remap = connection_map.clone();
    flow_remap.extend(step_map);
    let flow =
        copy_of(ctx, data, ResourceKind::Flows, flow_id, &new_flow_id, &flow_remap, adjust_flow)?;
    validate_document(ctx.settings.fidelity, ResourceKind::Flows, &flow, data, &new_flow_id)?;
    data.put(ResourceKind::Flows, new_flow_id.clone(), flow.clone());
    created.entries.push((ResourceKind::Flows, new_flow_id, flow));
    let primary = created.entries.len() - 1;
    Ok(created.reply(&ctx.settings, primary))
}

/// Clones an export or import; `connectionMap` is optional and remaps its connection.
pub(crate) fn clone_step(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    kind: ResourceKind,
    step_id: &str,
    body: Option<Value>,
) -> Result<Reply, ApiError> {
    let source = data.get(kind, step_id).ok_or_else(|| not_found(kind))?.clone();
    let request = parse_request(body)?;
    let used = connections_of_steps(data, &[(kind, step_id.to_owned())]);
    check_connection_map(data, &used, request.connection_map.as_ref(), false)?;
    let connection_map = request.connection_map.unwrap_or_default();
    let new_id = fresh_id(ctx, data);
    let name = default_name(request.name, Some(&source));
    let document = copy_of(ctx, data, kind, step_id, &new_id, &connection_map, |input| {
        input.insert("name".into(), Value::String(name));
    })?;
    validate_document(ctx.settings.fidelity, kind, &document, data, &new_id)?;
    data.put(kind, new_id.clone(), document.clone());
    let created = Created { entries: vec![(kind, new_id, document)] };
    Ok(created.reply(&ctx.settings, 0))
}

/// Clones an integration with all its flows (and their steps); flow groupings get new ids and
/// flows keep their grouping; `_runNextFlowIds` between cloned flows point at the clones.
pub(crate) fn clone_integration(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    integration_id: &str,
    body: Option<Value>,
) -> Result<Reply, ApiError> {
    let source = data
        .get(ResourceKind::Integrations, integration_id)
        .ok_or_else(|| not_found(ResourceKind::Integrations))?
        .clone();
    let request = parse_request(body)?;
    let flows =
        data.referrers_of_kind(ResourceKind::Flows, ResourceKind::Integrations, integration_id);
    let mut steps = Vec::new();
    for flow in &flows {
        for step in steps_of_flow(data, flow) {
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
    }
    let mut used = connections_of_steps(data, &steps);
    for reference in data.references.references_of(ResourceKind::Integrations, integration_id) {
        if reference.target == ResourceKind::Connections && !used.contains(&reference.id) {
            used.push(reference.id.clone());
        }
    }
    check_connection_map(data, &used, request.connection_map.as_ref(), true)?;
    let connection_map = request.connection_map.unwrap_or_default();
    let mut created = Created { entries: Vec::new() };
    let new_integration_id = fresh_id(ctx, data);
    let mut grouping_map: HashMap<String, String> = HashMap::new();
    let name = default_name(request.name, Some(&source));
    let integration = copy_of(
        ctx,
        data,
        ResourceKind::Integrations,
        integration_id,
        &new_integration_id,
        &connection_map,
        |input| {
            input.insert("name".into(), Value::String(name));
            if let Some(Value::Array(groupings)) = input.get_mut("flowGroupings") {
                for grouping in groupings.iter_mut().filter_map(Value::as_object_mut) {
                    let new_grouping = ctx.ids.next_id();
                    if let Some(Value::String(old)) =
                        grouping.insert("_id".into(), Value::String(new_grouping.clone()))
                    {
                        grouping_map.insert(old, new_grouping);
                    }
                }
            }
        },
    )?;
    validate_document(
        ctx.settings.fidelity,
        ResourceKind::Integrations,
        &integration,
        data,
        &new_integration_id,
    )?;
    data.put(ResourceKind::Integrations, new_integration_id.clone(), integration.clone());
    created.entries.push((ResourceKind::Integrations, new_integration_id.clone(), integration));
    let mut step_map = HashMap::new();
    clone_steps(ctx, data, &steps, &connection_map, &mut step_map, &mut created)?;
    // Reserve the new flow ids first so chained flows can point at each other's clones.
    let mut flow_map = connection_map.clone();
    flow_map.extend(step_map);
    let mut new_flow_ids = Vec::new();
    for flow in &flows {
        let new_id = fresh_id(ctx, data);
        flow_map.insert(flow.clone(), new_id.clone());
        new_flow_ids.push(new_id);
    }
    for (flow, new_flow_id) in flows.iter().zip(&new_flow_ids) {
        let document =
            copy_of(ctx, data, ResourceKind::Flows, flow, new_flow_id, &flow_map, |input| {
                input.insert("_integrationId".into(), Value::String(new_integration_id.clone()));
                if let Some(Value::String(grouping)) = input.get("_flowGroupingId").cloned() {
                    match grouping_map.get(&grouping) {
                        Some(new_grouping) => {
                            input.insert(
                                "_flowGroupingId".into(),
                                Value::String(new_grouping.clone()),
                            );
                        }
                        None => {
                            input.shift_remove("_flowGroupingId");
                        }
                    }
                }
                input.insert("disabled".into(), Value::Bool(true));
            })?;
        data.put(ResourceKind::Flows, new_flow_id.clone(), document.clone());
        created.entries.push((ResourceKind::Flows, new_flow_id.clone(), document));
    }
    Ok(created.reply(&ctx.settings, 0))
}
