//! Flow groups (API reference §5.2): an integration's `flowGroupings: [{_id, name}]` and its
//! flows' `_flowGroupingId`.
//!
//! - The service assigns `_id` to a group written without one (on POST, PUT and PATCH of
//!   `flowGroupings`) and keeps the ids of groups that carry theirs (`fidelity/write.rs`).
//! - A group removed from the array leaves its flows ungrouped: their `_flowGroupingId` is
//!   removed ([`ungroup_orphans`], after every write of an integration).
//! - `PUT /v1/flows/updateFlowGrouping` `{"_flowIds":[…], "_flowGroupingId":"<id>"|null}`
//!   moves flows into a group of their integration or out of any group
//!   ([`update_flow_grouping`]).

use axum::http::StatusCode;
use serde_json::Value;

use crate::context::{Ctx, Reply};
use crate::error::{ApiError, Problems};
use crate::kinds::ResourceKind;
use crate::store::{AccountData, next_timestamp};
use crate::util::is_object_id;

/// The group ids of an integration.
pub(crate) fn group_ids(data: &AccountData, integration_id: &str) -> Vec<String> {
    data.get(ResourceKind::Integrations, integration_id)
        .and_then(|integration| integration.get("flowGroupings"))
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .filter_map(|group| group.get("_id").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Removes `_flowGroupingId` from the integration's flows whose group is gone. The flows'
/// `lastModified` is left alone: the service changes them as a side effect (not documented).
pub(crate) fn ungroup_orphans(data: &mut AccountData, integration_id: &str) {
    let groups = group_ids(data, integration_id);
    let flows =
        data.referrers_of_kind(ResourceKind::Flows, ResourceKind::Integrations, integration_id);
    for flow_id in flows {
        let Some(flow) = data.get_mut_unindexed(ResourceKind::Flows, &flow_id) else { continue };
        let orphaned = flow
            .get("_flowGroupingId")
            .and_then(Value::as_str)
            .is_some_and(|group| !groups.iter().any(|known| known == group));
        if orphaned {
            flow.shift_remove("_flowGroupingId");
        }
    }
}

/// `PUT /v1/flows/updateFlowGrouping` → 204. Every flow must exist (422 `invalid_ref`) and, for
/// a group id, belong to the integration that has the group (422 `invalid_ref`); nothing
/// changes unless every flow can move.
pub(crate) fn update_flow_grouping(
    _ctx: &Ctx<'_>,
    data: &mut AccountData,
    body: Option<Value>,
) -> Result<Reply, ApiError> {
    let Some(Value::Object(body)) = body else {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the request body must be `{\"_flowIds\":[…], \"_flowGroupingId\":\"<id>\"|null}`",
        ));
    };
    let mut problems = Problems::default();
    let flow_ids: Vec<String> = match body.get("_flowIds") {
        Some(Value::Array(ids)) if !ids.is_empty() => {
            let mut flow_ids = Vec::new();
            for (index, id) in ids.iter().enumerate() {
                match id.as_str() {
                    Some(id) if is_object_id(id) => flow_ids.push(id.to_owned()),
                    _ => problems.push(
                        "invalid_ref",
                        "Invalid reference: not a flow id",
                        format!("_flowIds[{index}]"),
                    ),
                }
            }
            flow_ids
        }
        Some(Value::Array(_)) | None => {
            problems.push(
                "missing_required_field",
                "`_flowIds` must list at least one flow",
                "_flowIds",
            );
            Vec::new()
        }
        Some(_) => {
            problems.push("invalid_field", "`_flowIds` must be an array of flow ids", "_flowIds");
            Vec::new()
        }
    };
    let group = match body.get("_flowGroupingId") {
        None => {
            problems.push(
                "missing_required_field",
                "`_flowGroupingId` is required: a group id, or null to ungroup",
                "_flowGroupingId",
            );
            None
        }
        Some(Value::Null) => None,
        Some(Value::String(group)) => Some(group.clone()),
        Some(_) => {
            problems.push("invalid_ref", "Invalid reference: _flowGroupingId", "_flowGroupingId");
            None
        }
    };
    for (index, flow_id) in flow_ids.iter().enumerate() {
        let Some(flow) = data.get(ResourceKind::Flows, flow_id) else {
            problems.push(
                "invalid_ref",
                format!("Invalid reference: flow `{flow_id}` does not exist"),
                format!("_flowIds[{index}]"),
            );
            continue;
        };
        if let Some(group) = &group {
            let integration =
                flow.get("_integrationId").and_then(Value::as_str).unwrap_or_default();
            if !group_ids(data, integration).contains(group) {
                problems.push(
                    "invalid_ref",
                    format!(
                        "Invalid reference: `{group}` is not a flow grouping of the integration of flow `{flow_id}`"
                    ),
                    "_flowGroupingId",
                );
            }
        }
    }
    problems.into_result()?;
    for flow_id in &flow_ids {
        let Some(flow) = data.get_mut_unindexed(ResourceKind::Flows, flow_id) else { continue };
        match &group {
            Some(group) => {
                flow.insert("_flowGroupingId".into(), Value::String(group.clone()));
            }
            None => {
                flow.shift_remove("_flowGroupingId");
            }
        }
        let last_modified = next_timestamp(flow.get("lastModified"));
        flow.insert("lastModified".into(), Value::String(last_modified));
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT).committed())
}
