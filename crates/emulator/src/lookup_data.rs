//! Lookup cache data (API reference §5.8; docs.celigo.com "Lookup caches API endpoints",
//! article 33900314608667): the key-value entries of a cache, kept beside its document.
//!
//! - `POST /v1/lookupcaches/{id}/data` `{"data":[{"key","value"}]}` upserts → 200 and the cache
//!   document (with its new `size`/`sizeInMB`).
//! - `POST /v1/lookupcaches/{id}/getData`: no body → the first page (keys in byte-wise order, at
//!   most 1,000 keys or 5 MB) with `nextPageURL` when more remain; `?startAfterKey=k` → the page
//!   after `k`; `{"keys":[…]}` → those entries; `{"startsWith":"p"}` → entries whose key starts
//!   with `p`, paged the same way. → 200 `{"data":[{"key","value"}], "nextPageURL"?}`.
//! - `DELETE /v1/lookupcaches/{id}/data` `{"keys":[…]}` → 200 and the cache document.
//! - `DELETE /v1/lookupcaches/{id}/data/purge` → 204.
//!
//! Values may be any JSON (the Help Center's "Create and manage lookup caches": string, number,
//! boolean, null and objects). A call over the limits ([`LookupCacheLimits`]) changes nothing
//! and is answered 422 `limit_exceeded` (the lookup cache skill: "422 on data upsert: entries
//! exceed 5 MB batch limit"). An entry counts its key's bytes plus its value's JSON bytes.

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::config::{LookupCacheLimits, MEGABYTE};
use crate::context::{Ctx, Reply};
use crate::error::{ApiError, Problems};
use crate::fidelity::Behaviour;
use crate::fidelity::read::shown;
use crate::kinds::ResourceKind;
use crate::resources::{encode, not_found};
use crate::store::{AccountData, CacheData, entry_size};

const KIND: ResourceKind = ResourceKind::LookupCaches;

/// The `sizeInMB` text of a size (configuring-lookup-caches/schemas/response.yml:38-45): `0 MB`
/// when empty, `<5 MB` … `<50 MB` rounded up to the next 5 MB, `50 MB` at the cap and above.
pub(crate) fn size_in_mb(bytes: u64) -> String {
    let cap = 50 * MEGABYTE;
    if bytes == 0 {
        "0 MB".to_owned()
    } else if bytes >= cap {
        "50 MB".to_owned()
    } else {
        let step = 5 * MEGABYTE;
        format!("<{} MB", (bytes / step + 1) * 5)
    }
}

fn limit_exceeded(message: String, field: &str) -> ApiError {
    ApiError::with_field(StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded", message, field)
}

/// Writes the cache's `size` and `sizeInMB` from its data (when the behaviour is on).
fn refresh_size(ctx: &Ctx<'_>, data: &mut AccountData, id: &str) {
    if !ctx.settings.fidelity.is_on(Behaviour::LookupCacheSize) {
        return;
    }
    let bytes = data.lookup_data.get(id).map_or(0, |cache| cache.bytes);
    if let Some(document) = data.get_mut_unindexed(KIND, id) {
        document.insert("size".into(), json!(bytes));
        document.insert("sizeInMB".into(), Value::String(size_in_mb(bytes)));
    }
}

fn cache_reply(ctx: &Ctx<'_>, data: &AccountData, id: &str) -> Reply {
    let document = data.get(KIND, id).map(|document| shown(&ctx.settings, KIND, document));
    Reply::json(StatusCode::OK, document.map_or(Value::Null, Value::Object)).committed()
}

fn object_body(body: Option<Value>) -> Result<serde_json::Map<String, Value>, ApiError> {
    match body {
        None => Err(ApiError::bad_request("invalid_body", "a JSON request body is required")),
        Some(Value::Object(object)) => Ok(object),
        Some(_) => {
            Err(ApiError::bad_request("invalid_body", "the request body must be a JSON object"))
        }
    }
}

/// The field `field` of a request body, or 422 `missing_required_field` saying what it must be.
fn required<'a>(
    body: &'a serde_json::Map<String, Value>,
    field: &str,
    what: &str,
) -> Result<&'a Value, ApiError> {
    body.get(field).ok_or_else(|| {
        ApiError::with_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_required_field",
            format!("`{field}` is required: {what}"),
            field,
        )
    })
}

/// A data call's two limits: how many entries its `field` carries (`what` reads on from the
/// count: "entries; one call may carry") and how many bytes its body has.
fn check_call_limits(
    limits: &LookupCacheLimits,
    field: &str,
    count: usize,
    what: &str,
    body_bytes: usize,
) -> Result<(), ApiError> {
    if count > limits.entries_per_call {
        let most = limits.entries_per_call;
        return Err(limit_exceeded(format!("`{field}` has {count} {what} at most {most}"), field));
    }
    check_call_size(limits, body_bytes)
}

fn check_call_size(limits: &LookupCacheLimits, body_bytes: usize) -> Result<(), ApiError> {
    if body_bytes > limits.bytes_per_call {
        return Err(limit_exceeded(
            format!(
                "the request body has {body_bytes} bytes; one call may carry at most {} bytes",
                limits.bytes_per_call
            ),
            "data",
        ));
    }
    Ok(())
}

/// `POST /v1/lookupcaches/{id}/data`.
pub(crate) fn upsert(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    id: &str,
    body_bytes: usize,
    body: Option<Value>,
) -> Result<Reply, ApiError> {
    data.get(KIND, id).ok_or_else(|| not_found(KIND))?;
    let limits = ctx.settings.lookup_cache_limits;
    let body = object_body(body)?;
    let entries = required(&body, "data", "an array of `{\"key\", \"value\"}` entries")?;
    let Some(entries) = entries.as_array() else {
        return Err(ApiError::with_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "`data` must be an array of `{\"key\", \"value\"}` entries",
            "data",
        ));
    };
    check_call_limits(&limits, "data", entries.len(), "entries; one call may carry", body_bytes)?;
    let mut problems = Problems::default();
    let mut batch: BTreeMap<String, Value> = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let key = entry.get("key");
        match key {
            Some(Value::String(key)) if !key.is_empty() => match entry.get("value") {
                Some(value) => {
                    batch.insert(key.clone(), value.clone());
                }
                None => problems.push(
                    "missing_required_field",
                    "an entry needs a `value`",
                    format!("data[{index}].value"),
                ),
            },
            None => problems.push(
                "missing_required_field",
                "an entry needs a `key`",
                format!("data[{index}].key"),
            ),
            Some(_) => problems.push(
                "invalid_field",
                "`key` must be a non-empty string",
                format!("data[{index}].key"),
            ),
        }
    }
    problems.into_result()?;
    let current = data.lookup_data.get(id).cloned().unwrap_or_default();
    let mut bytes = current.bytes;
    for (key, value) in &batch {
        if let Some(old) = current.entries.get(key) {
            bytes -= entry_size(key, old);
        }
        bytes += entry_size(key, value);
    }
    check_totals(data, &limits, id, current.bytes, bytes)?;
    let cache = data.lookup_data.entry(id.to_owned()).or_default();
    cache.entries.extend(batch);
    cache.bytes = bytes;
    refresh_size(ctx, data, id);
    Ok(cache_reply(ctx, data, id))
}

/// Refuses a change that would take the cache past its limit or the account past its own.
fn check_totals(
    data: &AccountData,
    limits: &LookupCacheLimits,
    id: &str,
    old_bytes: u64,
    new_bytes: u64,
) -> Result<(), ApiError> {
    if new_bytes > limits.bytes_per_cache {
        return Err(limit_exceeded(
            format!(
                "the lookup cache would hold {new_bytes} bytes; a cache may hold at most {} bytes",
                limits.bytes_per_cache
            ),
            "data",
        ));
    }
    let others: u64 = data
        .lookup_data
        .iter()
        .filter(|(cache_id, _)| cache_id.as_str() != id && data.contains(KIND, cache_id))
        .map(|(_, cache)| cache.bytes)
        .sum();
    if new_bytes > old_bytes && others + new_bytes > limits.bytes_per_account {
        return Err(limit_exceeded(
            format!(
                "the account's lookup caches would hold {} bytes; they may hold at most {} bytes together",
                others + new_bytes,
                limits.bytes_per_account
            ),
            "data",
        ));
    }
    Ok(())
}

fn string_list(value: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    let invalid = || {
        ApiError::with_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("`{field}` must be an array of strings"),
            field,
        )
    };
    value
        .as_array()
        .ok_or_else(invalid)?
        .iter()
        .map(|key| key.as_str().map(str::to_owned).ok_or_else(invalid))
        .collect()
}

/// `DELETE /v1/lookupcaches/{id}/data` `{"keys":[…]}`: keys not in the cache are ignored.
pub(crate) fn delete_keys(
    ctx: &Ctx<'_>,
    data: &mut AccountData,
    id: &str,
    body_bytes: usize,
    body: Option<Value>,
) -> Result<Reply, ApiError> {
    data.get(KIND, id).ok_or_else(|| not_found(KIND))?;
    let limits = ctx.settings.lookup_cache_limits;
    let body = object_body(body)?;
    let keys = string_list(required(&body, "keys", "an array of the keys to delete")?, "keys")?;
    check_call_limits(&limits, "keys", keys.len(), "keys; one call may delete", body_bytes)?;
    if let Some(cache) = data.lookup_data.get_mut(id) {
        for key in &keys {
            if let Some(value) = cache.entries.remove(key) {
                cache.bytes -= entry_size(key, &value);
            }
        }
    }
    refresh_size(ctx, data, id);
    Ok(cache_reply(ctx, data, id))
}

/// `DELETE /v1/lookupcaches/{id}/data/purge` → 204.
pub(crate) fn purge(ctx: &Ctx<'_>, data: &mut AccountData, id: &str) -> Result<Reply, ApiError> {
    data.get(KIND, id).ok_or_else(|| not_found(KIND))?;
    data.lookup_data.remove(id);
    refresh_size(ctx, data, id);
    Ok(Reply::empty(StatusCode::NO_CONTENT).committed())
}

fn entry_json(key: &str, value: &Value) -> Value {
    json!({"key": key, "value": value})
}

/// `POST /v1/lookupcaches/{id}/getData[?startAfterKey=k]`. `origin` is the client's
/// `http://host:port`, for `nextPageURL`.
pub(crate) fn get_data(
    ctx: &Ctx<'_>,
    data: &AccountData,
    id: &str,
    body: Option<Value>,
    start_after: Option<&str>,
    origin: &str,
) -> Result<Reply, ApiError> {
    data.get(KIND, id).ok_or_else(|| not_found(KIND))?;
    let limits = ctx.settings.lookup_cache_limits;
    let body = match body {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_body",
                "the request body must be a JSON object",
            ));
        }
    };
    let empty = CacheData::default();
    let cache = data.lookup_data.get(id).unwrap_or(&empty);
    let keys = body.get("keys").filter(|keys| !keys.is_null());
    let starts_with = body.get("startsWith").filter(|prefix| !prefix.is_null());
    if keys.is_some() && starts_with.is_some() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "pass either `keys` or `startsWith`, not both",
        ));
    }
    if let Some(keys) = keys {
        let keys = string_list(keys, "keys")?;
        let mut found = Vec::new();
        let mut bytes = 0usize;
        let mut seen = std::collections::HashSet::new();
        for key in &keys {
            if !seen.insert(key.as_str()) {
                continue;
            }
            if let Some(value) = cache.entries.get(key) {
                bytes += entry_size(key, value) as usize;
                found.push(entry_json(key, value));
            }
        }
        if bytes > limits.bytes_per_page {
            return Err(limit_exceeded(
                format!(
                    "the requested entries hold {bytes} bytes; one response may carry at most {} bytes",
                    limits.bytes_per_page
                ),
                "keys",
            ));
        }
        return Ok(Reply::json(StatusCode::OK, json!({"data": found})));
    }
    let prefix = match starts_with {
        None => None,
        Some(Value::String(prefix)) => Some(prefix.as_str()),
        Some(_) => {
            return Err(ApiError::with_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "`startsWith` must be a string",
                "startsWith",
            ));
        }
    };
    let lower = match (start_after, prefix) {
        (Some(after), Some(prefix)) if prefix > after => Bound::Included(prefix),
        (Some(after), _) => Bound::Excluded(after),
        (None, Some(prefix)) => Bound::Included(prefix),
        (None, None) => Bound::Unbounded,
    };
    let mut matching = cache
        .entries
        .range::<str, _>((lower, Bound::Unbounded))
        .take_while(|(key, _)| prefix.is_none_or(|prefix| key.starts_with(prefix)));
    let mut page = Vec::new();
    let mut bytes = 0usize;
    let mut last_key: Option<&str> = None;
    let mut more = false;
    for (key, value) in matching.by_ref() {
        let size = entry_size(key, value) as usize;
        let full = page.len() >= limits.keys_per_page.max(1)
            || (!page.is_empty() && bytes + size > limits.bytes_per_page);
        if full {
            more = true;
            break;
        }
        bytes += size;
        page.push(entry_json(key, value));
        last_key = Some(key);
    }
    let mut response = json!({"data": page});
    if let (true, Some(last_key)) = (more, last_key) {
        response["nextPageURL"] = Value::String(format!(
            "{origin}/v1/lookupcaches/{id}/getData?startAfterKey={}",
            encode(last_key)
        ));
    }
    Ok(Reply::json(StatusCode::OK, response))
}

/// Every entry of a cache, in key order (for the admin API and the data file).
pub(crate) fn entries(data: &AccountData, id: &str) -> Vec<Value> {
    data.lookup_data
        .get(id)
        .map(|cache| cache.entries.iter().map(|(key, value)| entry_json(key, value)).collect())
        .unwrap_or_default()
}

/// Parses `[{"key","value"}]` (the data file and the admin API) into cache data.
pub(crate) fn parse_entries(entries: &Value) -> Result<CacheData, String> {
    let Some(entries) = entries.as_array() else {
        return Err("lookup cache data must be an array of `{\"key\", \"value\"}`".to_owned());
    };
    let mut map = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let key = entry.get("key").and_then(Value::as_str).filter(|key| !key.is_empty());
        let (Some(key), Some(value)) = (key, entry.get("value")) else {
            return Err(format!("lookup cache entry {index} needs a string `key` and a `value`"));
        };
        map.insert(key.to_owned(), value.clone());
    }
    Ok(CacheData::from_entries(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_in_mb_rounds_up_to_five_megabyte_steps() {
        assert_eq!(size_in_mb(0), "0 MB");
        assert_eq!(size_in_mb(1), "<5 MB");
        assert_eq!(size_in_mb(5 * MEGABYTE - 1), "<5 MB");
        assert_eq!(size_in_mb(5 * MEGABYTE), "<10 MB");
        assert_eq!(size_in_mb(49 * MEGABYTE), "<50 MB");
        assert_eq!(size_in_mb(50 * MEGABYTE), "50 MB");
    }
}
