//! Create, read, replace, patch and delete of the resource collections, plus lists with Link
//! pagination and include/exclude projection, dependencies and the recycle bin.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::config::{DeleteInUse, MaskMode, OmittedSecret};
use crate::context::{Ctx, Reply};
use crate::error::ApiError;
use crate::fidelity::read::{HEADER_MASK, secret_mask, shown, shown_borrowed};
use crate::fidelity::{self, Behaviour};
use crate::groupings::ungroup_orphans;
use crate::json::{
    Document, get_dotted, merge_patch, normalise, parse_pointer, project_exclude, project_include,
    remove_dotted, remove_pointer, set_dotted, set_pointer,
};
use crate::kinds::{COMMON_SERVER_OWNED, ResourceKind};
use crate::store::{AccountData, next_timestamp};
use crate::util::{format_timestamp, now_millis, parse_timestamp};
use crate::validate::validate_document;

/// The largest page a client may ask for with `limit`.
pub(crate) const MAX_LIMIT: usize = 1000;

/// Turns a request body into a document ready to merge: an object without server-owned fields,
/// without nulls and empty objects.
pub(crate) fn prepare_input(
    ctx: &Ctx<'_>,
    kind: ResourceKind,
    body: Value,
) -> Result<Document, ApiError> {
    let Value::Object(mut input) = body else {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the request body must be a JSON object",
        ));
    };
    for path in COMMON_SERVER_OWNED.iter().chain(kind.server_owned()) {
        remove_dotted(&mut input, path);
    }
    if ctx.settings.fidelity.is_on(Behaviour::NullsDropped) {
        normalise(&mut input);
    }
    Ok(input)
}

/// Builds the document to store from prepared input: `_id` first, the input's fields rewritten
/// as the service does (fidelity), secrets kept or replaced according to the mask mode,
/// server-owned fields carried over from `previous`, the fields the service adds, then
/// `createdAt` and `lastModified`.
pub(crate) fn build_document(
    ctx: &Ctx<'_>,
    kind: ResourceKind,
    id: &str,
    input: Document,
    previous: Option<&Document>,
) -> Document {
    let mut document = Document::new();
    document.insert("_id".into(), Value::String(id.to_owned()));
    document.extend(input);
    fidelity::write::rewrite_input(ctx, kind, &mut document, previous);
    if let Some(previous) = previous {
        keep_secrets(ctx, kind, &mut document, previous);
        for path in COMMON_SERVER_OWNED.iter().chain(kind.server_owned()) {
            if matches!(*path, "_id" | "createdAt" | "lastModified") {
                continue;
            }
            if let Some(value) = get_dotted(previous, path) {
                set_dotted(&mut document, path, value.clone());
            }
        }
    }
    fidelity::write::add_defaults(ctx, kind, &mut document);
    let created = previous
        .and_then(|previous| previous.get("createdAt").cloned())
        .unwrap_or_else(|| Value::String(format_timestamp(now_millis())));
    let last_modified = next_timestamp(previous.and_then(|previous| previous.get("lastModified")));
    document.insert("lastModified".into(), Value::String(last_modified));
    document.insert("createdAt".into(), created);
    document
}

/// The secrets a PUT keeps from the stored document: each one sent back as the mask (in the
/// default [`MaskMode::KeepOnMask`]), each value of a secret object sent back as the mask, each
/// iClient `oauth2.auth.queryParameters` value sent back as `****`; and, for iClients with
/// [`OmittedSecret::Kept`], each one the PUT omits.
fn keep_secrets(ctx: &Ctx<'_>, kind: ResourceKind, document: &mut Document, previous: &Document) {
    let mask = secret_mask(&ctx.settings);
    let keep_masks = ctx.settings.mask_mode == MaskMode::KeepOnMask;
    let keep_omitted = kind == ResourceKind::IClients
        && ctx.settings.iclient_omitted_secret == OmittedSecret::Kept;
    for path in kind.secret_paths() {
        let Some(stored) = get_dotted(previous, path) else { continue };
        let sent = get_dotted(document, path);
        let sent_mask = sent.and_then(Value::as_str) == Some(mask.as_str());
        if (keep_masks && sent_mask) || (keep_omitted && sent.is_none()) {
            set_dotted(document, path, stored.clone());
        }
    }
    let mut value_objects: Vec<(&str, &str, bool)> =
        kind.secret_value_objects().iter().map(|path| (*path, mask.as_str(), keep_masks)).collect();
    if kind == ResourceKind::IClients
        && ctx.settings.fidelity.is_on(Behaviour::IClientQueryParameterMasks)
    {
        value_objects.push(("oauth2.auth.queryParameters", HEADER_MASK, true));
    }
    for (path, object_mask, keep_object_masks) in value_objects {
        let Some(Value::Object(stored)) = get_dotted(previous, path) else { continue };
        let mut sent = match get_dotted(document, path) {
            Some(Value::Object(sent)) => sent.clone(),
            None if keep_omitted => Map::new(),
            _ => continue,
        };
        for (key, stored_value) in stored {
            let sent_mask = sent.get(key).and_then(Value::as_str) == Some(object_mask);
            if (keep_object_masks && sent_mask) || (keep_omitted && !sent.contains_key(key)) {
                sent.insert(key.clone(), stored_value.clone());
            }
        }
        set_dotted(document, path, Value::Object(sent));
    }
}

/// A fresh id that no document, bin entry or job of the account uses.
pub(crate) fn fresh_id(ctx: &Ctx<'_>, data: &AccountData) -> String {
    loop {
        let id = ctx.ids.next_id();
        let taken = ResourceKind::ALL.iter().any(|kind| data.contains(*kind, &id))
            || data.recycle_bin.contains_key(&id)
            || data.jobs.contains_key(&id);
        if !taken {
            return id;
        }
    }
}

pub(crate) fn create(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    kind: ResourceKind,
    body: Value,
) -> Result<Reply, ApiError> {
    let document = create_document(ctx, data, kind, body)?;
    let response = shown(&ctx.settings, kind, &document);
    Ok(Reply::json(StatusCode::CREATED, Value::Object(response)).committed())
}

/// Creates a document as POST does and returns it as stored (unmasked).
pub(crate) fn create_document(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    kind: ResourceKind,
    body: Value,
) -> Result<Document, ApiError> {
    let input = prepare_input(ctx, kind, body)?;
    let id = fresh_id(ctx, data);
    let document = build_document(ctx, kind, &id, input, None);
    validate_document(ctx.settings.fidelity, kind, &document, data, &id)?;
    data.put(kind, id, document.clone());
    Ok(document)
}

pub(crate) fn read(
    ctx: &Ctx<'_>,
    data: &AccountData,
    kind: ResourceKind,
    id: &str,
) -> Result<Reply, ApiError> {
    let document = data.get(kind, id).ok_or_else(|| not_found(kind))?;
    let shown = shown_borrowed(&ctx.settings, kind, document);
    let body = serde_json::to_vec(shown.as_ref()).expect("a stored document serialises");
    Ok(Reply::json_bytes(StatusCode::OK, body))
}

pub(crate) fn replace(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
    body: Value,
) -> Result<Reply, ApiError> {
    let previous = data.get(kind, id).ok_or_else(|| not_found(kind))?;
    let input = prepare_input(ctx, kind, body)?;
    let document = build_document(ctx, kind, id, input, Some(previous));
    validate_document(ctx.settings.fidelity, kind, &document, data, id)?;
    let response = shown(&ctx.settings, kind, &document);
    data.put(kind, id.to_owned(), document);
    if kind == ResourceKind::Integrations {
        ungroup_orphans(data, id);
    }
    Ok(Reply::json(StatusCode::OK, Value::Object(response)).committed())
}

/// PATCH with the JSON-patch subset (`replace`, `add`, `remove`) on whitelisted paths → 204.
pub(crate) fn patch(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
    body: Value,
) -> Result<Reply, ApiError> {
    let previous = data.get(kind, id).ok_or_else(|| not_found(kind))?;
    let Value::Array(operations) = body else {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the request body must be a JSON-patch array like [{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"…\"}]",
        ));
    };
    let mut patched = Value::Object(previous.clone());
    for (index, operation) in operations.iter().enumerate() {
        let op = operation.get("op").and_then(Value::as_str).unwrap_or_default();
        let pointer = operation.get("path").and_then(Value::as_str).unwrap_or_default();
        let field = format!("[{index}].path");
        let Some(segments) = parse_pointer(pointer) else {
            return Err(ApiError::with_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("`{pointer}` is not a JSON pointer"),
                field,
            ));
        };
        if !patch_allowed(kind, &segments) {
            return Err(ApiError::with_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("`{pointer}` cannot be changed with PATCH on {kind}"),
                pointer,
            ));
        }
        match op {
            "replace" | "add" => {
                let value = operation.get("value").cloned().ok_or_else(|| {
                    ApiError::with_field(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "missing_required_field",
                        format!("operation `{op}` needs a `value`"),
                        format!("[{index}].value"),
                    )
                })?;
                check_debug_until(kind, &segments, &value)?;
                set_pointer(&mut patched, &segments, value).map_err(|reason| {
                    ApiError::with_field(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_field",
                        reason,
                        pointer,
                    )
                })?;
            }
            "remove" => remove_pointer(&mut patched, &segments),
            other => {
                return Err(ApiError::with_field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    format!(
                        "unsupported patch operation `{other}`; use `replace`, `add` or `remove`"
                    ),
                    format!("[{index}].op"),
                ));
            }
        }
    }
    let Value::Object(mut document) = patched else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "patch lost the document",
        ));
    };
    if ctx.settings.fidelity.is_on(Behaviour::NullsDropped) {
        normalise(&mut document);
    }
    if kind == ResourceKind::Integrations {
        fidelity::write::assign_group_ids(ctx, &mut document);
    }
    let last_modified = next_timestamp(previous.get("lastModified"));
    document.insert("lastModified".into(), Value::String(last_modified));
    validate_document(ctx.settings.fidelity, kind, &document, data, id)?;
    data.put(kind, id.to_owned(), document);
    if kind == ResourceKind::Integrations {
        ungroup_orphans(data, id);
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT).committed())
}

fn patch_allowed(kind: ResourceKind, segments: &[String]) -> bool {
    kind.patch_whitelist().iter().any(|pattern| {
        let pattern: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
        pattern.len() <= segments.len()
            && pattern.iter().zip(segments).all(|(expected, actual)| match *expected {
                "*" => actual == "-" || actual.parse::<usize>().is_ok(),
                name => name == actual,
            })
    })
}

/// Scripts accept `debugUntil` at most one hour ahead (API reference §5.7).
fn check_debug_until(
    kind: ResourceKind,
    segments: &[String],
    value: &Value,
) -> Result<(), ApiError> {
    if kind != ResourceKind::Scripts || segments != ["debugUntil"] {
        return Ok(());
    }
    let until = value.as_str().and_then(parse_timestamp);
    match until {
        Some(until) if until <= now_millis() + 3_600_000 => Ok(()),
        _ => Err(ApiError::with_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "`debugUntil` must be a timestamp at most one hour ahead",
            "debugUntil",
        )),
    }
}

/// DELETE: while anything references the resource, refused with the configured status and
/// `resource_in_use` (or allowed, leaving the references dangling); otherwise the document
/// moves to the recycle bin → 204.
pub(crate) fn delete(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
) -> Result<Reply, ApiError> {
    let document = data.get(kind, id).ok_or_else(|| not_found(kind))?;
    let mut dependents = data.dependents(kind, id);
    if kind == ResourceKind::IClients
        && ctx.settings.fidelity.is_on(Behaviour::RecycledConnectionsHoldIClients)
    {
        dependents.extend(data.binned_dependents(ResourceKind::Connections, kind, id));
    }
    let status = match ctx.settings.delete_in_use {
        DeleteInUse::Unprocessable => Some(StatusCode::UNPROCESSABLE_ENTITY),
        DeleteInUse::Conflict => Some(StatusCode::CONFLICT),
        DeleteInUse::BadRequest => Some(StatusCode::BAD_REQUEST),
        DeleteInUse::Allowed => None,
    };
    if let (false, Some(status)) = (dependents.is_empty(), status) {
        let name = document.get("name").and_then(Value::as_str).unwrap_or_default();
        let listed: Vec<String> = dependents
            .iter()
            .map(|dependent| {
                let bin = if dependent.in_recycle_bin {
                    ", in the recycle bin: purge it first"
                } else {
                    ""
                };
                format!(
                    "{} `{}` ({}{bin})",
                    dependent.kind.singular(),
                    dependent.name,
                    dependent.id
                )
            })
            .collect();
        return Err(ApiError::new(
            status,
            "resource_in_use",
            format!(
                "Cannot delete {} `{name}` ({id}): it is used by {}",
                kind.singular(),
                listed.join(", ")
            ),
        ));
    }
    if let Some(document) = data.take(kind, id) {
        data.recycle_bin.insert(id.to_owned(), (kind, document));
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT).committed())
}

/// `GET /v1/{kind}/{id}/dependencies`: what uses the resource, keyed by collection; `{}` when
/// nothing does.
pub(crate) fn dependencies(
    data: &AccountData,
    kind: ResourceKind,
    id: &str,
) -> Result<Reply, ApiError> {
    data.get(kind, id).ok_or_else(|| not_found(kind))?;
    let mut grouped = Map::new();
    for dependent in data.dependents(kind, id) {
        let entry =
            grouped.entry(dependent.kind.collection()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(json!({
                "id": dependent.id,
                "name": dependent.name,
                "paths": dependent.paths,
                "accessLevel": "owner",
            }));
        }
    }
    Ok(Reply::json(StatusCode::OK, Value::Object(grouped)))
}

pub(crate) fn not_found(kind: ResourceKind) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("{} not found", capitalised(kind.singular())),
    )
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Parsed list query: paging and projection.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    skip: usize,
    limit: Option<usize>,
    include: Option<String>,
    exclude: Option<String>,
    /// Parameters carried into the next link unchanged.
    passthrough: Vec<(String, String)>,
}

impl ListQuery {
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut query = ListQuery::default();
        for (key, value) in pairs {
            match key.as_str() {
                "skip" => {
                    query.skip = value.parse().map_err(|_| {
                        invalid_query(format!("`skip` must be a number, got `{value}`"))
                    })?;
                }
                "limit" => {
                    let limit: usize = value.parse().map_err(|_| {
                        invalid_query(format!("`limit` must be a number, got `{value}`"))
                    })?;
                    query.limit = (limit > 0).then_some(limit.min(MAX_LIMIT));
                }
                "include" | "exclude" => {
                    if !value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ','))
                    {
                        return Err(invalid_query(format!(
                            "`{key}` may contain only letters, digits, `.`, `_` and `,`"
                        )));
                    }
                    let slot =
                        if key == "include" { &mut query.include } else { &mut query.exclude };
                    *slot = (!value.is_empty()).then(|| value.clone());
                }
                "include[]" | "exclude[]" => {
                    return Err(invalid_query(format!(
                        "`{key}` is not supported; pass a comma-separated `{}`",
                        &key[..7]
                    )));
                }
                _ => query.passthrough.push((key.clone(), value.clone())),
            }
        }
        if query.include.is_some() && query.exclude.is_some() {
            return Err(invalid_query("pass either `include` or `exclude`, not both".to_owned()));
        }
        Ok(query)
    }
}

fn invalid_query(message: String) -> ApiError {
    ApiError::bad_request("invalid_query_params", message)
}

/// One page of a list: a bare array, `Link` next/prev, 204 when there is nothing to return.
/// `ids` yields the ids of the listed documents in order; only the page is materialised.
pub(crate) fn list_page(
    ctx: &Ctx<'_>,
    data: &AccountData,
    kind: ResourceKind,
    ids: &ListSource,
    query: &ListQuery,
    link_base: &str,
) -> Reply {
    let total = match ids {
        ListSource::All => data.collection(kind).len(),
        ListSource::Ids(ids) => ids.len(),
    };
    let limit = query.limit.unwrap_or(ctx.settings.page_size).max(1);
    if query.skip >= total {
        return Reply::empty(StatusCode::NO_CONTENT);
    }
    let end = query.skip.saturating_add(limit).min(total);
    let include_paths: Option<Vec<Vec<&str>>> = query.include.as_deref().map(|include| {
        include.split(',').filter(|p| !p.is_empty()).map(|p| p.split('.').collect()).collect()
    });
    let exclude_paths: Option<Vec<Vec<&str>>> = query.exclude.as_deref().map(|exclude| {
        exclude.split(',').filter(|p| !p.is_empty()).map(|p| p.split('.').collect()).collect()
    });
    let always: &[&str] = match kind {
        ResourceKind::Exports | ResourceKind::Imports => &["_id", "name", "adaptorType"],
        _ => &["_id", "name"],
    };
    let by_name = ctx.settings.fidelity.is_on(Behaviour::ListsSortedByName);
    let page: Vec<(&String, &Document)> = match ids {
        ListSource::All if by_name => data
            .ids_by_name(kind)
            .skip(query.skip)
            .take(end - query.skip)
            .filter_map(|id| Some((id, data.get(kind, id)?)))
            .collect(),
        ListSource::All => (query.skip..end)
            .filter_map(|position| data.collection(kind).get_index(position))
            .collect(),
        ListSource::Ids(ids) => {
            let mut ids: Vec<&String> = ids.iter().collect();
            if by_name {
                ids.sort_by_cached_key(|id| data.name_key(kind, id));
            }
            ids[query.skip..end].iter().filter_map(|id| Some((*id, data.get(kind, id)?))).collect()
        }
    };
    // Written document by document into one buffer: a page of 1,000 documents is neither
    // copied (only documents with something masked are) nor gathered into one `Value` first,
    // and a document shown as stored is copied from the text kept with it, not serialised
    // again (the same bytes: `serde_json` wrote both).
    let reshaped =
        kind == ResourceKind::Scripts || include_paths.is_some() || exclude_paths.is_some();
    let mut body = Vec::with_capacity(page.len().saturating_mul(512));
    body.push(b'[');
    for (position, (id, document)) in page.into_iter().enumerate() {
        if position > 0 {
            body.push(b',');
        }
        let visible = shown_borrowed(&ctx.settings, kind, document);
        if !reshaped
            && matches!(visible, std::borrow::Cow::Borrowed(_))
            && let Some(text) = data.text(kind, id)
        {
            body.extend_from_slice(text);
            continue;
        }
        let written = if reshaped {
            let mut visible = visible.into_owned();
            if kind == ResourceKind::Scripts {
                // Script lists omit `content`; GET the script by id for its source.
                visible.shift_remove("content");
            }
            if let Some(paths) = &include_paths {
                visible = project_include(&visible, paths, always);
            }
            if let Some(paths) = &exclude_paths {
                project_exclude(&mut visible, paths);
            }
            serde_json::to_writer(&mut body, &visible)
        } else {
            serde_json::to_writer(&mut body, visible.as_ref())
        };
        written.expect("a stored document serialises");
    }
    body.push(b']');
    let mut links = Vec::new();
    if end < total {
        links.push(format!("<{}>; rel=\"next\"", page_url(link_base, query, end, limit)));
    }
    if query.skip > 0 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            page_url(link_base, query, query.skip.saturating_sub(limit), limit)
        ));
    }
    let mut reply = Reply::json_bytes(StatusCode::OK, body);
    if !links.is_empty() {
        reply = reply.header("link", links.join(", "));
    }
    reply
}

/// Which documents a list shows.
#[derive(Debug)]
pub(crate) enum ListSource {
    /// The whole collection in creation order (O(1) access by position).
    All,
    /// These ids, in this order.
    Ids(Vec<String>),
}

fn page_url(link_base: &str, query: &ListQuery, skip: usize, limit: usize) -> String {
    let mut parameters: Vec<String> = query
        .passthrough
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect();
    if let Some(include) = &query.include {
        parameters.push(format!("include={}", encode(include)));
    }
    if let Some(exclude) = &query.exclude {
        parameters.push(format!("exclude={}", encode(exclude)));
    }
    parameters.push(format!("skip={skip}"));
    parameters.push(format!("limit={limit}"));
    format!("{link_base}?{}", parameters.join("&"))
}

/// Percent-encodes a query component (RFC 3986 unreserved characters and `,` pass through).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b',') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The ids of an integration's sub-collection (`/v1/integrations/{id}/{collection}`), in
/// creation order: its flows; the exports and imports those flows use; the connections those
/// steps use plus the integration's registered and owned connections.
pub(crate) fn integration_members(
    data: &AccountData,
    integration_id: &str,
    kind: ResourceKind,
) -> Vec<String> {
    let flows =
        data.referrers_of_kind(ResourceKind::Flows, ResourceKind::Integrations, integration_id);
    let targets_of = |sources: &[(ResourceKind, String)], target: ResourceKind| -> Vec<String> {
        sources
            .iter()
            .flat_map(|(source_kind, source_id)| {
                data.references.references_of(*source_kind, source_id)
            })
            .filter(|reference| reference.target == target && data.contains(target, &reference.id))
            .map(|reference| reference.id.clone())
            .collect()
    };
    let flow_sources: Vec<(ResourceKind, String)> =
        flows.iter().map(|id| (ResourceKind::Flows, id.clone())).collect();
    // The exports and imports the flows use, as sources for the next hop.
    let steps_of = || -> Vec<(ResourceKind, String)> {
        [ResourceKind::Exports, ResourceKind::Imports]
            .into_iter()
            .flat_map(|kind| targets_of(&flow_sources, kind).into_iter().map(move |id| (kind, id)))
            .collect()
    };
    let mut ids = match kind {
        ResourceKind::Flows => flows,
        ResourceKind::Exports | ResourceKind::Imports => targets_of(&flow_sources, kind),
        ResourceKind::Connections => {
            let mut steps = steps_of();
            steps.push((ResourceKind::Integrations, integration_id.to_owned()));
            let mut connections = targets_of(&steps, ResourceKind::Connections);
            connections.extend(data.referrers_of_kind(
                ResourceKind::Connections,
                ResourceKind::Integrations,
                integration_id,
            ));
            connections
        }
        ResourceKind::AsyncHelpers => targets_of(&steps_of(), ResourceKind::AsyncHelpers),
        _ => Vec::new(),
    };
    let mut unique = std::collections::HashSet::new();
    ids.retain(|id| unique.insert(id.clone()));
    data.sort_by_position(kind, &mut ids);
    ids
}

/// `GET /v1/recycleBinTTL[/{collection}]`: `[{model, doc}]`, newest deletion last; 204 if empty.
pub(crate) fn recycle_bin_list(
    ctx: &Ctx<'_>,
    data: &AccountData,
    only: Option<ResourceKind>,
) -> Reply {
    let entries: Vec<Value> = data
        .recycle_bin
        .values()
        .filter(|(kind, _)| only.is_none_or(|only| only == *kind))
        .map(|(kind, document)| json!({"model": kind.model(), "doc": Value::Object(shown(&ctx.settings, *kind, document))}))
        .collect();
    if entries.is_empty() {
        Reply::empty(StatusCode::NO_CONTENT)
    } else {
        Reply::json(StatusCode::OK, Value::Array(entries))
    }
}

/// `POST /v1/recycleBinTTL/{collection}/{id}`: restore, if every reference still resolves.
pub(crate) fn recycle_bin_restore(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
) -> Result<Reply, ApiError> {
    let Some((bin_kind, document)) = data.recycle_bin.get(id).cloned() else {
        return Err(ApiError::not_found("Recycle bin entry"));
    };
    if bin_kind != kind {
        return Err(ApiError::not_found("Recycle bin entry"));
    }
    validate_document(ctx.settings.fidelity, kind, &document, data, id)?;
    data.recycle_bin.shift_remove(id);
    data.put(kind, id.to_owned(), document);
    Ok(Reply::empty(StatusCode::NO_CONTENT).committed())
}

/// `DELETE /v1/recycleBinTTL/{collection}/{id}`: purge for good.
pub(crate) fn recycle_bin_purge(
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
) -> Result<Reply, ApiError> {
    match data.recycle_bin.get(id) {
        Some((bin_kind, _)) if *bin_kind == kind => {
            data.recycle_bin.shift_remove(id);
            data.lookup_data.remove(id);
            Ok(Reply::empty(StatusCode::NO_CONTENT).committed())
        }
        _ => Err(ApiError::not_found("Recycle bin entry")),
    }
}

/// An out-of-band edit (admin): merge-patch the stored document and bump `lastModified` as a UI
/// edit would. No validation: the admin may put the account in any state.
pub(crate) fn edit_out_of_band(
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
    patch: &Document,
) -> Option<Document> {
    let mut document = data.get(kind, id)?.clone();
    merge_patch(&mut document, patch);
    document.insert("_id".into(), Value::String(id.to_owned()));
    let last_modified =
        next_timestamp(data.get(kind, id).and_then(|previous| previous.get("lastModified")));
    document.insert("lastModified".into(), Value::String(last_modified));
    data.put(kind, id.to_owned(), document.clone());
    Some(document)
}
