//! Normalisation of live documents, so the diff (and `pull`) speak the spec's language.
//!
//! A normalised document has:
//! - no server-owned fields (`flowform_model::fields`: `_id`, `lastModified`, …, per kind);
//! - no `null` values and no empty objects (the API drops them from responses anyway);
//! - no value equal to a known server default ([`crate::defaults`]), inside array elements too,
//!   and no empty array as an object member (the service adds `[]` for lists nobody sent and
//!   drops others, so absent and `[]` mean the same);
//! - every value in the form the service stores it ([`crate::service`]: case, casts, one-element
//!   arrays as their element), no read-only field, no generated key `pull` leaves out, no copy
//!   the service keeps of another member;
//! - every string that is the `_id` of a managed resource replaced by [`Value::Ref`] to that
//!   resource's address, and every id a lookup stands for (what a `data:` lookup found, a flow
//!   group's `_id`) by that [`Value::Lookup`] (except inside sample-data subtrees such as
//!   `mockOutput`, which hold records, not configuration).
//!
//! Masked secrets (`******`, any run of asterisks) are kept outside sample data: the diff needs
//! to see them, and `pull` replaces them with `${secret.NAME}` placeholders itself. A mask inside
//! sample data (captured webhook headers come back as `****`) is not a secret flowform manages
//! and is dropped. `pull` writes specs from [`normalize_live`], so a pulled spec equals the
//! normalised live document exactly and plans empty. Desired values are put through the same
//! rules (`normalize_desired`, and `canonical` for single values), so both sides meet in one
//! form.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use flowform_model::fields::{SERVER_OWNED_ALL, server_owned};
use flowform_model::{Address, Kind, Lookup, Object, State, Value, is_mask_text};

use crate::defaults::{CONDITIONAL_DEFAULTS, default_at};
use crate::service::{
    Doc, Rewrite, canonical_by, copies, generated_keys, is_read_only, is_sample_key,
    keeps_empty_list, legacy_adaptor, rewrite_at,
};

/// The live ids flowform manages and the addresses they map back to.
///
/// Built from the state, plus the ids a plan binds anew (adoptions) or rebinds (moves), so that
/// a live `_connectionId: "5f…"` reads as `${connection.slack}`.
#[derive(Debug, Clone, Default)]
pub struct ManagedIds {
    by_id: IdMap<Address>,
    /// The shortest and longest id, so most strings are ruled out without hashing them.
    lengths: Option<(usize, usize)>,
    /// Ids that lookups stand for (found by `data:`, flow groups), with their lengths.
    lookups: IdMap<Lookup>,
    lookup_lengths: Option<(usize, usize)>,
}

/// FNV-1a: live ids are random and come from the account, not from an attacker, and this map is
/// asked about every string of every live document, so a fast hash matters more than SipHash's
/// flooding resistance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Default for IdHasher {
    fn default() -> IdHasher {
        IdHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by live ids.
pub(crate) type IdMap<V> = HashMap<String, V, BuildHasherDefault<IdHasher>>;

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
        let id = id.into();
        let length = id.len();
        self.lengths = Some(match self.lengths {
            Some((shortest, longest)) => (shortest.min(length), longest.max(length)),
            None => (length, length),
        });
        self.by_id.insert(id, address);
    }

    /// Maps `id` to a lookup, unless it is the id of a managed resource (a reference wins).
    pub fn insert_lookup(&mut self, id: impl Into<String>, lookup: Lookup) {
        let id = id.into();
        let length = id.len();
        self.lookup_lengths = Some(match self.lookup_lengths {
            Some((shortest, longest)) => (shortest.min(length), longest.max(length)),
            None => (length, length),
        });
        self.lookups.insert(id, lookup);
    }

    /// The lookup `id` stands for, when it is not a managed resource's id.
    pub fn lookup(&self, id: &str) -> Option<&Lookup> {
        let (shortest, longest) = self.lookup_lengths?;
        if id.len() < shortest || id.len() > longest || self.address(id).is_some() {
            return None;
        }
        self.lookups.get(id)
    }

    /// What a live string means: a reference to a managed resource, a lookup, or nothing.
    pub fn reference(&self, id: &str) -> Option<Value> {
        match self.address(id) {
            Some(address) => Some(Value::Ref(address.clone())),
            None => self.lookup(id).map(|lookup| Value::Lookup(lookup.clone())),
        }
    }

    /// The address `id` maps to.
    pub fn address(&self, id: &str) -> Option<&Address> {
        let (shortest, longest) = self.lengths?;
        if id.len() < shortest || id.len() > longest {
            return None;
        }
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

    /// Every id with its address, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Address)> {
        self.by_id.iter().map(|(id, address)| (id.as_str(), address))
    }
}

/// Normalises a live document of `kind` (see the module documentation for the rules). A
/// document that is not an object is returned unchanged.
pub fn normalize_live(kind: Kind, document: &Value, ids: &ManagedIds) -> Value {
    match document {
        Value::Object(object) => {
            let mut kept = normalized_object(kind, object, ids, &mut String::new(), true, true);
            if let Some(adaptor) = legacy_adaptor(kind, Doc::Object(object)) {
                kept.insert("adaptorType".to_owned(), Value::String(adaptor.to_owned()));
            }
            for conditional in CONDITIONAL_DEFAULTS.iter().filter(|default| default.kind == kind) {
                let (field, wanted) = conditional.when;
                if object.get(field).and_then(Value::as_str) == Some(wanted) {
                    match object.get(conditional.path) {
                        Some(value) if conditional.value.matches(value) => {
                            kept.shift_remove(conditional.path);
                        }
                        // Under the condition the table's default is not one: keep the value.
                        Some(value) if !kept.contains_key(conditional.path) => {
                            kept.insert(conditional.path.to_owned(), value.clone());
                        }
                        _ => {}
                    }
                }
            }
            Value::Object(kept)
        }
        other => other.clone(),
    }
}

/// Normalises one node of a live document found at the dotted, index-free `pattern`: the rules of
/// [`normalize_live`] applied to that subtree. `None` when it counts as absent (`null`, an empty
/// object, a server-owned field, a server default). The diff uses it to normalise only what it
/// compares, not whole documents. `pattern` is restored before returning.
pub(crate) fn normalize_live_node(
    kind: Kind,
    node: &Value,
    ids: &ManagedIds,
    pattern: &mut String,
) -> Option<Value> {
    let mut keys = pattern.split('.');
    let top = keys.next().unwrap_or_default();
    if (!pattern.contains('.') && SERVER_OWNED_ALL.contains(&top))
        || is_owned_subtree(kind, pattern)
        || is_read_only(kind, pattern)
    {
        return None;
    }
    let outside_sample_data = !pattern.split('.').any(is_sample_key);
    let value = normalized(kind, node, ids, pattern, outside_sample_data)?;
    (!is_default(kind, pattern, &value, outside_sample_data)
        && (!is_empty_array(&value) || keeps_empty_list(kind, pattern)))
    .then_some(value)
}

fn is_empty_array(value: &Value) -> bool {
    matches!(value, Value::Array(items) if items.is_empty())
}

/// A desired value found at the dotted, index-free `pattern`, normalised by the same rules, so
/// both sides meet in one canonical form (a literal managed id in the spec reads as the reference
/// it is; `null` members and server defaults inside list elements go). `Null` when nothing is
/// left.
pub(crate) fn normalize_desired(
    kind: Kind,
    value: &Value,
    ids: &ManagedIds,
    pattern: &str,
) -> Value {
    let mut buffer = pattern.to_owned();
    let in_sample = pattern.split('.').any(is_sample_key);
    normalized(kind, value, ids, &mut buffer, !in_sample).unwrap_or(Value::Null)
}

/// Whether the live node at `pattern`, normalised, is the [`same`](crate::compare::same) as
/// `desired`, decided without building the normalised value. A `false` may be a false negative
/// (a field with a default, a desired value that is not canonical); callers then normalise and
/// compare properly. Used for lists, which are large and almost always equal.
pub(crate) fn live_equals(
    kind: Kind,
    node: &Value,
    desired: &Value,
    ids: &ManagedIds,
    pattern: &mut String,
) -> bool {
    if matches!(node, Value::Null)
        || is_owned_subtree(kind, pattern)
        || default_at(kind, pattern).is_some()
        || rewrites_at(kind, pattern)
        || is_empty_array(node)
    {
        return false;
    }
    let outside_sample_data = !pattern.split('.').any(is_sample_key);
    equals(kind, node, desired, ids, pattern, outside_sample_data)
}

fn equals(
    kind: Kind,
    node: &Value,
    desired: &Value,
    ids: &ManagedIds,
    pattern: &mut String,
    outside_sample_data: bool,
) -> bool {
    match (node, desired) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(live), Value::Bool(wanted)) => live == wanted,
        (Value::Number(_), Value::Number(_)) => crate::compare::same(node, desired),
        (Value::String(text), wanted) if !outside_sample_data && is_mask_text(text) => {
            matches!(wanted, Value::Null)
        }
        (Value::String(text), wanted) => match ids.address(text).filter(|_| outside_sample_data) {
            Some(address) => matches!(wanted, Value::Ref(wanted) if wanted == address),
            None => match ids.lookup(text).filter(|_| outside_sample_data) {
                Some(lookup) => matches!(wanted, Value::Lookup(wanted) if wanted == lookup),
                None => matches!(wanted, Value::String(wanted) if wanted == text),
            },
        },
        (Value::Array(items), Value::Array(wanted)) => {
            items.len() == wanted.len()
                && items.iter().zip(wanted).all(|(item, wanted)| {
                    equals(kind, item, wanted, ids, pattern, outside_sample_data)
                })
        }
        (Value::Object(object), Value::Object(wanted)) => {
            let mut survivors = 0;
            for (key, child) in object {
                let length = pattern.len();
                if !pattern.is_empty() {
                    pattern.push('.');
                }
                pattern.push_str(key);
                let child_outside = outside_sample_data && !is_sample_key(key);
                if rewrites_at(kind, pattern) {
                    pattern.truncate(length);
                    return false;
                }
                let verdict = if server_owned(kind).contains(&pattern.as_str())
                    || is_dropped_generated(kind, pattern)
                    || (!child_outside && child.is_mask())
                    || is_absent_live(kind, child, pattern)
                    || (child_outside
                        && default_at(kind, pattern).is_some_and(|default| default.matches(child)))
                {
                    true
                } else {
                    survivors += 1;
                    wanted.get(key).is_some_and(|wanted| {
                        equals(kind, child, wanted, ids, pattern, child_outside)
                    })
                };
                pattern.truncate(length);
                if !verdict {
                    return false;
                }
            }
            survivors == wanted.len()
        }
        _ => false,
    }
}

/// Whether normalisation changes the value at `pattern` by a rule the lazy equality does not
/// follow (a rewrite, or an object holding the service's copies): it then gives up.
fn rewrites_at(kind: Kind, pattern: &str) -> bool {
    rewrite_at(kind, pattern).is_some() || copies(kind).iter().any(|copy| copy.object == pattern)
}

/// Whether a live node normalises to nothing: `null`, or an object whose every member is
/// absent, server-owned or a default.
fn is_absent_live(kind: Kind, node: &Value, pattern: &mut String) -> bool {
    match node {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(object) => object.iter().all(|(key, child)| {
            let length = pattern.len();
            pattern.push('.');
            pattern.push_str(key);
            let absent = server_owned(kind).contains(&pattern.as_str())
                || is_absent_live(kind, child, pattern)
                || default_at(kind, pattern).is_some_and(|default| default.matches(child));
            pattern.truncate(length);
            absent
        }),
        _ => false,
    }
}

/// Whether `pattern` is a server-owned field of `kind` or lies under one.
fn is_owned_subtree(kind: Kind, pattern: &str) -> bool {
    server_owned(kind).iter().any(|owned| {
        pattern == *owned || pattern.strip_prefix(owned).is_some_and(|rest| rest.starts_with('.'))
    })
}

/// The members of an object that survive normalisation, normalised; dropped members are never
/// copied. `at_root` says whether the object is a whole document (its keys are top-level
/// fields).
fn normalized_object(
    kind: Kind,
    object: &Object,
    ids: &ManagedIds,
    pattern: &mut String,
    map_ids: bool,
    at_root: bool,
) -> Object {
    let mut kept = Object::with_capacity_and_hasher(object.len(), flowform_model::KeyHasher);
    for (key, child) in object {
        let length = pattern.len();
        if !pattern.is_empty() {
            pattern.push('.');
        }
        pattern.push_str(key);
        let owned = (at_root && SERVER_OWNED_ALL.contains(&key.as_str()))
            || server_owned(kind).contains(&pattern.as_str())
            || is_dropped_generated(kind, pattern);
        if !owned {
            let child_maps_ids = map_ids && !is_sample_key(key);
            if let Some(value) = normalized(kind, child, ids, pattern, child_maps_ids)
                && !is_default(kind, pattern, &value, child_maps_ids)
                && (!is_empty_array(&value) || keeps_empty_list(kind, pattern))
            {
                kept.insert(key.clone(), value);
            }
        }
        pattern.truncate(length);
    }
    drop_copies(kind, pattern, &mut kept);
    kept
}

/// Whether `pattern` is a key the service generates that `pull` leaves out (and a comparison
/// ignores on both sides).
fn is_dropped_generated(kind: Kind, pattern: &str) -> bool {
    generated_keys(kind).iter().any(|generated| !generated.pulled && generated.path == pattern)
}

/// Drops the members of the object at `pattern` that are the service's copies of another
/// member, when they hold the same (a differing copy is kept: it says something).
fn drop_copies(kind: Kind, pattern: &str, object: &mut Object) {
    for copy in copies(kind).iter().filter(|copy| copy.object == pattern) {
        let original = copy
            .of
            .split('.')
            .try_fold(None::<&Value>, |current, key| match current {
                None => object.get(key).map(Some),
                Some(value) => value.field(key).map(Some),
            })
            .flatten();
        let same_as_original = match (object.get(copy.copy), original) {
            (Some(copied), Some(original)) => crate::compare::same(copied, original),
            _ => false,
        };
        if same_as_original {
            object.shift_remove(copy.copy);
        }
    }
}

/// One value, normalised; `None` when it counts as absent. `pattern` is its dotted, index-free
/// path.
fn normalized(
    kind: Kind,
    value: &Value,
    ids: &ManagedIds,
    pattern: &mut String,
    map_ids: bool,
) -> Option<Value> {
    let rewrite = rewrite_at(kind, pattern);
    if let Some(rewrite) = rewrite {
        if rewrite == Rewrite::ReadOnly {
            return None;
        }
        if !matches!(value, Value::Object(_)) {
            let canonical = canonical_by(rewrite, value);
            return normalized_plain(kind, &canonical, ids, pattern, map_ids);
        }
    }
    normalized_plain(kind, value, ids, pattern, map_ids)
}

/// [`normalized`] after the value's own rewrite.
fn normalized_plain(
    kind: Kind,
    value: &Value,
    ids: &ManagedIds,
    pattern: &mut String,
    map_ids: bool,
) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(text) if !map_ids && is_mask_text(text) => None,
        Value::Object(object) => {
            let kept = normalized_object(kind, object, ids, pattern, map_ids, false);
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|item| match item {
                    // An element left empty stays as `{}` and a null element stays: positions in
                    // a list matter.
                    Value::Object(object) => {
                        Value::Object(normalized_object(kind, object, ids, pattern, map_ids, false))
                    }
                    // A rewrite of the list as a whole (a scalar stored as a list) is not one of
                    // its elements.
                    other
                        if matches!(
                            rewrite_at(kind, pattern),
                            Some(Rewrite::OneElementArray | Rewrite::ScopeList)
                        ) =>
                    {
                        normalized_plain(kind, other, ids, pattern, map_ids).unwrap_or(Value::Null)
                    }
                    other => normalized(kind, other, ids, pattern, map_ids).unwrap_or(Value::Null),
                })
                .collect(),
        )),
        Value::String(text) => Some(match ids.reference(text).filter(|_| map_ids) {
            Some(reference) => reference,
            None => value.clone(),
        }),
        other => Some(other.clone()),
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
        let document = Value::from(json!({
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
        }));
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

    mod lazy_equality {
        use super::*;
        use crate::compare::same;
        use proptest::prelude::*;

        const ID: &str = "5f0000000000000000000001";

        fn ids() -> ManagedIds {
            let mut ids = ManagedIds::new();
            ids.insert(ID, Address::new(Kind::Export, "github"));
            ids
        }

        /// Live list elements that exercise every rule: defaults, owned fields, nulls, empty
        /// objects, managed ids, sample data.
        fn node() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(json!(null)),
                Just(json!(false)),
                Just(json!(true)),
                Just(json!(1)),
                Just(json!(1.0)),
                Just(json!("text")),
                Just(json!(ID)),
                Just(json!({})),
            ];
            leaf.prop_recursive(3, 16, 3, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..3)
                        .prop_map(serde_json::Value::Array),
                    proptest::collection::btree_map(
                        prop_oneof![
                            Just("proceedOnFailure"),
                            Just("_importId"),
                            Just("logging"),
                            Just("debugUntil"),
                            Just("mockOutput"),
                            Just("info"),
                            Just("sandbox"),
                            Just("a"),
                        ],
                        inner,
                        0..4
                    )
                    .prop_map(|map| serde_json::Value::Object(
                        map.into_iter().map(|(key, value)| (key.to_owned(), value)).collect()
                    )),
                ]
            })
        }

        proptest! {
            #[test]
            fn agrees_with_normalising_then_comparing(live in node(), other in node(), connection in any::<bool>()) {
                // Flow list elements have a default (`proceedOnFailure`); under a connection's
                // `salesforce`, `info` is server-owned and `sandbox` defaults to false.
                let (kind, at) = if connection { (Kind::Connection, "salesforce") } else { (Kind::Flow, "pageProcessors") };
                let ids = ids();
                let live = Value::from(if connection { live } else { serde_json::Value::Array(vec![live]) });
                let mut pattern = at.to_owned();
                let normalized = normalize_live_node(kind, &live, &ids, &mut pattern);
                // A normalised value is what a spec that matches live says.
                if let Some(normalized) = &normalized {
                    prop_assert!(live_equals(kind, &live, normalized, &ids, &mut pattern));
                }
                // Never equal when normalising says otherwise (no false positive).
                let other = Value::from(if connection { other } else { serde_json::Value::Array(vec![other]) });
                let other = normalize_live_node(kind, &other, &ids, &mut pattern);
                if let Some(other) = other {
                    let lazy = live_equals(kind, &live, &other, &ids, &mut pattern);
                    let eager = normalized.as_ref().is_some_and(|normalized| same(&other, normalized));
                    prop_assert_eq!(lazy, eager);
                }
                prop_assert_eq!(pattern, at);
            }
        }
    }

    #[test]
    fn keeps_masks_and_nested_owned_fields_of_other_kinds() {
        let document = Value::from(
            json!({"http": {"auth": {"token": {"token": "******"}}}, "logging": {"debugUntil": "x"}}),
        );
        let normalized = normalize_live(Kind::Connection, &document, &ManagedIds::new());
        assert_eq!(normalized, document);
    }
}
