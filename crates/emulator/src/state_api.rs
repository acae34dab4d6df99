//! The State API (API reference §6.9), with its uneven status codes and plain-text bodies:
//! global keys answer PUT with `200 OK` text and DELETE with 204; resource-scoped keys answer
//! the first PUT with `Created`, later ones with `OK`, and DELETE with 200.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::context::Reply;
use crate::error::ApiError;
use crate::kinds::ResourceKind;
use crate::resources::not_found;
use crate::store::AccountData;

fn key_not_found(key: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("State key `{key}` not found"))
}

fn keys_reply(keys: Option<&BTreeMap<String, Value>>) -> Reply {
    match keys {
        Some(keys) if !keys.is_empty() => {
            Reply::json(StatusCode::OK, json!({ "keys": keys.keys().collect::<Vec<_>>() }))
        }
        _ => Reply::empty(StatusCode::NO_CONTENT),
    }
}

pub(crate) fn list_global(data: &AccountData) -> Reply {
    keys_reply(Some(&data.state))
}

pub(crate) fn delete_all_global(data: &mut AccountData) -> Reply {
    data.state.clear();
    Reply::empty(StatusCode::NO_CONTENT).committed()
}

pub(crate) fn get_global(data: &AccountData, key: &str) -> Result<Reply, ApiError> {
    let value = data.state.get(key).ok_or_else(|| key_not_found(key))?;
    Ok(Reply::json(StatusCode::OK, value.clone()))
}

pub(crate) fn put_global(data: &mut AccountData, key: &str, value: Value) -> Reply {
    data.state.insert(key.to_owned(), value);
    Reply::text(StatusCode::OK, "OK").committed()
}

pub(crate) fn delete_global(data: &mut AccountData, key: &str) -> Result<Reply, ApiError> {
    data.state.remove(key).ok_or_else(|| key_not_found(key))?;
    Ok(Reply::empty(StatusCode::NO_CONTENT).committed())
}

fn check_resource(data: &AccountData, kind: ResourceKind, id: &str) -> Result<(), ApiError> {
    if data.contains(kind, id) { Ok(()) } else { Err(not_found(kind)) }
}

pub(crate) fn list_scoped(
    data: &AccountData,
    kind: ResourceKind,
    id: &str,
) -> Result<Reply, ApiError> {
    check_resource(data, kind, id)?;
    // Scoped listings answer 200 even when empty (unlike the global listing's 204).
    let keys: Vec<&String> = data
        .scoped_state
        .get(&(kind, id.to_owned()))
        .map(|keys| keys.keys().collect())
        .unwrap_or_default();
    Ok(Reply::json(StatusCode::OK, json!({ "keys": keys })))
}

pub(crate) fn delete_all_scoped(
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
) -> Result<Reply, ApiError> {
    check_resource(data, kind, id)?;
    data.scoped_state.remove(&(kind, id.to_owned()));
    Ok(Reply::empty(StatusCode::OK).committed())
}

pub(crate) fn get_scoped(
    data: &AccountData,
    kind: ResourceKind,
    id: &str,
    key: &str,
) -> Result<Reply, ApiError> {
    check_resource(data, kind, id)?;
    let value = data
        .scoped_state
        .get(&(kind, id.to_owned()))
        .and_then(|keys| keys.get(key))
        .ok_or_else(|| key_not_found(key))?;
    Ok(Reply::json(StatusCode::OK, value.clone()))
}

pub(crate) fn put_scoped(
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
    key: &str,
    value: Value,
) -> Result<Reply, ApiError> {
    check_resource(data, kind, id)?;
    let previous =
        data.scoped_state.entry((kind, id.to_owned())).or_default().insert(key.to_owned(), value);
    let text = if previous.is_none() { "Created" } else { "OK" };
    Ok(Reply::text(StatusCode::OK, text).committed())
}

pub(crate) fn delete_scoped(
    data: &mut AccountData,
    kind: ResourceKind,
    id: &str,
    key: &str,
) -> Result<Reply, ApiError> {
    check_resource(data, kind, id)?;
    let scope = (kind, id.to_owned());
    let removed = data.scoped_state.get_mut(&scope).and_then(|keys| keys.remove(key));
    if removed.is_none() {
        return Err(key_not_found(key));
    }
    if data.scoped_state.get(&scope).is_some_and(BTreeMap::is_empty) {
        data.scoped_state.remove(&scope);
    }
    Ok(Reply::empty(StatusCode::OK).committed())
}
