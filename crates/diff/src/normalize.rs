//! Normalisation of live documents, so the diff (and `pull`) speak the spec's language.
//!
//! A normalised document has:
//! - no server-owned fields (`flowform_model::fields`: `_id`, `lastModified`, …, per kind);
//! - no `null` values and no empty objects (the API drops them from responses anyway);
//! - no value equal to a known server default ([`crate::defaults`]), inside array elements too;
//! - every string that is the `_id` of a managed resource replaced by [`Value::Ref`] to that
//!   resource's address (except inside sample-data subtrees such as `mockOutput`, which hold
//!   records, not configuration).
//!
//! Masked secrets (`******`) are kept: the diff needs to see them, and `pull` replaces them with
//! `${secret.NAME}` placeholders itself. `pull` writes specs from [`normalize_live`], so a pulled
//! spec equals the normalised live document exactly and plans empty.

use std::collections::HashMap;

use flowform_model::fields::{SAMPLE_DATA_FIELDS, SERVER_OWNED_ALL, server_owned};
use flowform_model::{Address, Kind, State, Value};

use crate::defaults::default_at;

/// The live ids flowform manages and the addresses they map back to.
///
/// Built from the state, plus the ids a plan binds anew (adoptions) or rebinds (moves), so that
/// a live `_connectionId: "5f…"` reads as `${connection.slack}`.
#[derive(Debug, Clone, Default)]
pub struct ManagedIds {
    by_id: HashMap<String, Address>,
}

impl ManagedIds {
    /// An empty map.
    pub fn new() -> ManagedIds {
        ManagedIds::default()
    }

    /// Every resource in `state`.
    pub fn from_state(state: &State) -> ManagedIds {
        let mut ids = ManagedIds::new();
        for (address, resource) in &state.resources {
            ids.insert(resource.id.clone(), address.clone());
        }
        ids
    }

    /// Maps `id` to `address`, replacing any earlier address.
    pub fn insert(&mut self, id: impl Into<String>, address: Address) {
        self.by_id.insert(id.into(), address);
    }

    /// The address `id` maps to.
    pub fn address(&self, id: &str) -> Option<&Address> {
        self.by_id.get(id)
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Normalises a live document of `kind` (see the module documentation for the rules). A
/// document that is not an object is returned converted but otherwise unchanged.
pub fn normalize_live(kind: Kind, document: &serde_json::Value, ids: &ManagedIds) -> Value {
    let mut value = Value::from_json(document);
    normalize_node(kind, &mut value, ids, &mut String::new(), true, true);
    value
}

/// Normalises a value found at the dotted, index-free `pattern` (the empty string for a whole
/// document) in place. The same rules apply to desired values before they are compared with
/// live ones, so both sides meet in one canonical form. Returns whether anything is left (false
/// for `null` and for objects left empty).
pub(crate) fn normalize_at(kind: Kind, value: &mut Value, ids: &ManagedIds, pattern: &str) -> bool {
    let mut buffer = pattern.to_owned();
    let in_sample = pattern.split('.').any(|key| SAMPLE_DATA_FIELDS.contains(&key));
    normalize_node(kind, value, ids, &mut buffer, !in_sample, pattern.is_empty())
}

/// The recursive step. `pattern` is the dotted, index-free path of `value`; `at_root` says
/// whether `value` is a whole document (its keys are top-level fields).
fn normalize_node(
    kind: Kind,
    value: &mut Value,
    ids: &ManagedIds,
    pattern: &mut String,
    map_ids: bool,
    at_root: bool,
) -> bool {
    match value {
        Value::Null => false,
        Value::Object(object) => {
            object.retain(|key, child| {
                let length = pattern.len();
                if !pattern.is_empty() {
                    pattern.push('.');
                }
                pattern.push_str(key);
                let keep = if (at_root && SERVER_OWNED_ALL.contains(&key.as_str()))
                    || server_owned(kind).contains(&pattern.as_str())
                {
                    false
                } else {
                    let child_maps_ids = map_ids && !SAMPLE_DATA_FIELDS.contains(&key.as_str());
                    let kept = normalize_node(kind, child, ids, pattern, child_maps_ids, false);
                    kept && !is_default(kind, pattern, child, child_maps_ids)
                };
                pattern.truncate(length);
                keep
            });
            !object.is_empty() || at_root
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Value::Object(_) | Value::Array(_) = item {
                    // An element left empty stays as `{}`: positions in a list matter.
                    normalize_node(kind, item, ids, pattern, map_ids, false);
                } else {
                    normalize_scalar(item, ids, map_ids);
                }
            }
            true
        }
        _ => {
            normalize_scalar(value, ids, map_ids);
            true
        }
    }
}

fn normalize_scalar(value: &mut Value, ids: &ManagedIds, map_ids: bool) {
    if !map_ids {
        return;
    }
    if let Value::String(text) = value
        && let Some(address) = ids.address(text)
    {
        *value = Value::Ref(address.clone());
    }
}

fn is_default(kind: Kind, pattern: &str, value: &Value, outside_sample_data: bool) -> bool {
    outside_sample_data && default_at(kind, pattern).is_some_and(|default| default.matches(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_owned_null_empty_and_defaults_and_maps_ids() {
        let mut ids = ManagedIds::new();
        ids.insert("5f0000000000000000000001", Address::new(Kind::Export, "github"));
        let document = json!({
            "_id": "5f00000000000000000000ff",
            "lastModified": "2026-01-01T00:00:00.000Z",
            "name": "Flow",
            "disabled": false,
            "description": null,
            "settings": {},
            "logging": {"debugUntil": "2026-01-01T00:00:00.000Z"},
            "pageGenerators": [{"_exportId": "5f0000000000000000000001"}],
            "pageProcessors": [{"type": "import", "_importId": "5f0000000000000000000002", "proceedOnFailure": false}],
            "routers": [{"routeRecordsTo": "first_matching_branch", "branches": [{"name": "a", "pageProcessors": [{"proceedOnFailure": true}]}]}],
            "mockOutput": {"page": [{"id": "5f0000000000000000000001", "x": null}]}
        });
        let normalized = normalize_live(Kind::Flow, &document, &ids);
        let expected = json!({
            "name": "Flow",
            "pageGenerators": [{"_exportId": "REF"}],
            "pageProcessors": [{"type": "import", "_importId": "5f0000000000000000000002"}],
            "routers": [{"branches": [{"name": "a", "pageProcessors": [{"proceedOnFailure": true}]}]}],
            "mockOutput": {"page": [{"id": "5f0000000000000000000001"}]}
        });
        let mut expected = Value::from_json(&expected);
        assert!(expected.set(
            &"pageGenerators[0]._exportId".parse().unwrap(),
            Value::Ref(Address::new(Kind::Export, "github"))
        ));
        assert_eq!(normalized, expected);
    }

    #[test]
    fn keeps_masks_and_nested_owned_fields_of_other_kinds() {
        let document = json!({"http": {"auth": {"token": {"token": "******"}}}, "logging": {"debugUntil": "x"}});
        let normalized = normalize_live(Kind::Connection, &document, &ManagedIds::new());
        assert_eq!(normalized, Value::from_json(&document));
    }
}
