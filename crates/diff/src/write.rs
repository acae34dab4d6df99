//! Pure helpers for the executor: the bodies it sends and the state it records afterwards. They
//! encode the same rules as the diff (which leaves flowform owns, which paths it removes, which
//! it ignores), so a fresh apply is always followed by an empty plan.

use flowform_model::fields::{SERVER_OWNED_ALL, is_breakable_reference, server_owned};
use flowform_model::fingerprint::{object_digest, value_digest};
use flowform_model::references::contains_reference;
use flowform_model::{
    Address, DesiredResource, FieldPath, Kind, LifecycleFlags, Object, ResourceState, Segment,
    ToJsonError, Value, is_mask_text,
};

use crate::compare::leaf_fingerprint;
use crate::field_diff::lookup;
use crate::leaves::{desired_leaves, is_ignored, null_leaves, owns, pattern_of};
use crate::service::{
    Doc, Rewrite, copies, exclusive, generated_keys, is_sample_key, managed_secrets_of, rewrite_at,
};

/// How to shape a request body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// For flows: write `disabled` with this value whatever the spec says. Flows are created
    /// (and updated while their dependencies change) disabled and enabled as the last step.
    pub force_disabled: Option<bool>,
    /// Leave out references inside `_runNextFlowIds`, `_runNextExportIds` and `aliases`, to
    /// break reference cycles; a second update adds them.
    pub omit_breakable: bool,
}

/// Why a request body could not be built. Messages never hold a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// A reference or secret in the spec could not be resolved.
    #[error("cannot build the request body of `{address}`")]
    Resolve {
        /// The resource being written.
        address: Address,
        /// The reference or secret that failed.
        #[source]
        source: ToJsonError,
    },
    /// The body would send the API's mask back as a value.
    #[error(
        "`{address}` `{path}` holds the masked value `******` in the live document and the spec does not set it; sending the document back would erase or overwrite the credential, so declare it in the spec as `${{secret.NAME}}`"
    )]
    MaskedValue {
        /// The resource being written.
        address: Address,
        /// Where the mask sits.
        path: FieldPath,
    },
    /// The live document is not a JSON object.
    #[error("the live document of `{address}` is not a JSON object")]
    LiveNotObject {
        /// The resource being written.
        address: Address,
    },
}

/// The body of `POST /{kind}`: the spec's body with references resolved and secrets exposed,
/// without the fields the spec sets to `null` (absent). Ignored paths are sent too:
/// `ignoreChanges` stops updates, not the first write.
pub fn create_document(
    desired: &DesiredResource,
    resolve: &dyn Fn(&Address) -> Option<String>,
    options: &WriteOptions,
) -> Result<serde_json::Value, WriteError> {
    let mut body = Value::Object(desired.body.clone());
    strip_nulls(&mut body);
    for path in managed_secrets_of(desired.kind(), Doc::Object(&desired.body), None) {
        remove_dotted(&mut body, path);
    }
    shape(desired.kind(), &mut body, options);
    finish(&desired.address, &body, resolve)
}

/// The body of `PUT /{kind}/{id}`, which replaces the whole resource: the live document without
/// server-owned fields, with every desired leaf set (resolved), the fields the spec sets to
/// `null` and the paths flowform applied before and the spec no longer holds removed, and
/// ignored paths left as they are live. (The update that follows a clone writes ignored paths
/// too: the executor passes the resource with its `ignoreChanges` emptied, since `ignoreChanges`
/// stops later writes, not the first one.)
///
/// What the service does shapes the body too ([`crate::service`]): secrets the service manages
/// are left out (it keeps them when a `PUT` omits them), the counterpart of a mutually exclusive
/// field the spec sets is removed (a structural replacement), a stale copy the service keeps of
/// a field the spec sets is removed, masked values inside captured sample data are removed (they
/// are not secrets, and sending a mask back would store it), and keys the service generated in
/// list elements the spec rewrites are kept by position (router `id`s, `branchId`s).
///
/// Fails rather than send a mask anywhere else: a masked live value the spec does not supply
/// would otherwise be written back as the credential.
pub fn update_document(
    live: &Value,
    desired: &DesiredResource,
    state: Option<&ResourceState>,
    resolve: &dyn Fn(&Address) -> Option<String>,
    options: &WriteOptions,
) -> Result<serde_json::Value, WriteError> {
    if live.as_object().is_none() {
        return Err(WriteError::LiveNotObject { address: desired.address.clone() });
    }
    let kind = desired.kind();
    let mut document = live.clone();
    strip_server_owned(kind, &mut document);

    let leaves = desired_leaves(desired);
    let ignore = &desired.lifecycle.ignore_changes;
    if let Some(state) = state {
        for path in state.applied_paths.keys() {
            if !is_ignored(path, ignore) && !owns(desired, path) {
                remove_applied(&mut document, path);
            }
        }
    }
    for (path, value) in &leaves {
        set_forced(&mut document, path, (*value).clone());
    }
    for path in null_leaves(desired, false) {
        remove_applied(&mut document, &path);
    }
    // Ignored paths inside a list the spec sets keep their live value.
    for ignored in ignore {
        let inside_a_leaf = leaves
            .iter()
            .any(|(path, _)| ignored.0.len() > path.0.len() && ignored.starts_with(path));
        if inside_a_leaf {
            match live.get(ignored) {
                Some(value) => {
                    document.set(ignored, value.clone());
                }
                None => {
                    document.remove(ignored);
                }
            }
        }
    }
    if kind == Kind::Integration {
        carry_group_ids(&mut document, live, &desired.lifecycle.flow_group_renames);
    }
    shape_for_service(desired, live, &mut document);
    shape(kind, &mut document, options);
    finish(&desired.address, &document, resolve)
}

/// Gives each flow group of an integration's body the `_id` of the live group of the same name
/// (or of the name it was renamed from, `renamedFrom`): a group keeps its id, and so its flows,
/// across writes; a new name gets no id, and the service assigns one. A full `PUT` thus always
/// carries the live groups the spec keeps, and never wipes them (integrator-api.md §5.1, §5.2).
fn carry_group_ids(document: &mut Value, live: &Value, renames: &[(String, String)]) {
    let live_groups: Vec<(&str, &Value)> = live
        .field("flowGroupings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|group| {
            let name = group.field("name").and_then(Value::as_str)?;
            let id = group.field("_id")?;
            Some((name, id))
        })
        .collect();
    let Value::Object(object) = document else { return };
    let Some(Value::Array(groups)) = object.get_mut("flowGroupings") else { return };
    let mut used = vec![false; live_groups.len()];
    for group in groups.iter_mut() {
        let Value::Object(group) = group else { continue };
        if group.contains_key("_id") {
            continue;
        }
        let Some(name) = group.get("name").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let renamed_from =
            renames.iter().find(|(_, new)| *new == name).map(|(old, _)| old.as_str());
        let position = live_groups
            .iter()
            .enumerate()
            .find(|(index, (live_name, _))| !used[*index] && *live_name == name)
            .or_else(|| {
                live_groups.iter().enumerate().find(|(index, (live_name, _))| {
                    !used[*index] && Some(*live_name) == renamed_from
                })
            })
            .map(|(index, _)| index);
        if let Some(index) = position {
            used[index] = true;
            group.insert("_id".to_owned(), live_groups[index].1.clone());
        }
    }
}

/// The body of the `PUT` that unlinks a resource about to be deleted: its live document without
/// server-owned fields and without the breakable references whose ids `unlink` selects
/// ([`flowform_model::references::remove_live_breakable`]). `None` when it holds none. Fails
/// rather than send a mask back (the resource keeps a secret the spec no longer supplies).
pub fn unlink_document(
    address: &Address,
    live: &Value,
    unlink: &dyn Fn(&str) -> bool,
) -> Result<Option<serde_json::Value>, WriteError> {
    if live.as_object().is_none() {
        return Err(WriteError::LiveNotObject { address: address.clone() });
    }
    let mut document = live.clone();
    if !flowform_model::references::remove_live_breakable(&mut document, unlink) {
        return Ok(None);
    }
    strip_server_owned(address.kind, &mut document);
    finish(address, &document, &|_| None).map(Some)
}

/// The service's part of an update body (see [`update_document`]).
fn shape_for_service(desired: &DesiredResource, live: &Value, document: &mut Value) {
    let kind = desired.kind();
    let body = Doc::Object(&desired.body);
    let sets = |dotted: &str| body.get(dotted).is_some_and(|value| !value.is_absent());
    for path in managed_secrets_of(kind, body, Some(live)) {
        remove_dotted(document, path);
    }
    for pair in exclusive(kind) {
        for (wanted, unwanted) in [(pair.one, pair.other), (pair.other, pair.one)] {
            if wanted.iter().any(|field| sets(field)) {
                for field in unwanted.iter().filter(|field| !sets(field)) {
                    remove_dotted(document, field);
                }
            }
        }
    }
    for copy in copies(kind) {
        let copied = format!("{}.{}", copy.object, copy.copy);
        let original = format!("{}.{}", copy.object, copy.of);
        if sets(&original) && !sets(&copied) {
            remove_dotted(document, &copied);
        } else if sets(&copied) && !sets(&original) {
            remove_dotted(document, &original);
        }
    }
    remove_sample_masks(document, false);
    // An integration's groups got their ids by name (`carry_group_ids`); carrying them by
    // position too would give a new group the id (and the flows) of another.
    for generated in generated_keys(kind).iter().filter(|key| key.path != "flowGroupings._id") {
        let keys: Vec<&str> = generated.path.split('.').collect();
        carry_generated(document, live, &keys);
    }
}

/// Removes a dotted, index-free path of objects.
fn remove_dotted(document: &mut Value, dotted: &str) {
    document.remove(&FieldPath::from_keys(dotted.split('.')));
}

/// Removes masked strings inside sample and captured data (`sampleHeaders` values come back as
/// `****`): they are no secret flowform could supply, and sending them back would store the
/// mask.
fn remove_sample_masks(value: &mut Value, in_sample: bool) {
    match value {
        Value::Object(object) => {
            object.retain(|_, child| !(in_sample && child.is_mask()));
            for (key, child) in object.iter_mut() {
                remove_sample_masks(child, in_sample || is_sample_key(key));
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                if in_sample && item.is_mask() {
                    *item = Value::Null;
                } else {
                    remove_sample_masks(item, in_sample);
                }
            }
        }
        _ => {}
    }
}

/// Copies a generated key (`keys`, a dotted path through objects and lists) from the live
/// document into the element at the same position of the body where the body leaves it out.
fn carry_generated(document: &mut Value, live: &Value, keys: &[&str]) {
    match (document, live) {
        (Value::Array(items), Value::Array(live_items)) => {
            for (item, live_item) in items.iter_mut().zip(live_items) {
                carry_generated(item, live_item, keys);
            }
        }
        (Value::Object(object), Value::Object(live_object)) => {
            let Some((first, rest)) = keys.split_first() else { return };
            match (rest.is_empty(), object.get_mut(*first), live_object.get(*first)) {
                (true, None, Some(generated)) if !generated.is_absent() => {
                    object.insert((*first).to_owned(), generated.clone());
                }
                (false, Some(child), Some(live_child)) => carry_generated(child, live_child, rest),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Notes on values the service stored differently from what `desired` asked and no canonical
/// form explains: a `concurrencyLevel` the licence lowered. Said once, by the write that met it
/// (the next plans treat the stored value as the spec's).
pub fn service_notes(desired: &DesiredResource, response: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    for (path, value) in desired_leaves(desired) {
        if rewrite_at(desired.kind(), &pattern_of(&path)) != Some(Rewrite::LicenceClamp) {
            continue;
        }
        let stored = response.get(&path);
        if let (Value::Number(wanted), Some(Value::Number(stored))) = (value, stored)
            && let (Some(wanted_level), Some(stored_level)) = (wanted.as_f64(), stored.as_f64())
            && stored_level < wanted_level
            && stored_level >= 1.0
        {
            notes.push(format!(
                "the service stored `{path}` as {stored} (the spec asks {wanted}; the account's licence allows no more); later plans read {stored} as the spec's value"
            ));
        }
    }
    notes
}

/// The state of a resource after a successful write of `desired`, given the API's `response`
/// (the created or updated document, or a re-read of it).
///
/// `applied_paths` holds every desired leaf that is not ignored, with its salted digest;
/// `secret_fingerprints` every leaf that holds a secret or that the response masks. A
/// back-reference left out to break a cycle (the response does not hold it yet) is not recorded,
/// so the next plan adds it as a plain change; likewise a flow's `disabled` written forced to
/// another value than the spec's. Entries of `previous` for ignored paths (and for left-out
/// references, whose earlier value is still live) are kept: flowform did not write them this
/// time.
pub fn record_applied(
    desired: &DesiredResource,
    salt: &str,
    id: &str,
    response: &Value,
    previous: Option<&ResourceState>,
) -> ResourceState {
    let ignore = &desired.lifecycle.ignore_changes;
    let mut recorded = ResourceState {
        id: id.to_owned(),
        digest: desired_digest(desired, salt),
        last_modified: response.field("lastModified").and_then(Value::as_str).map(str::to_owned),
        ..ResourceState::default()
    };
    recorded.set_lifecycle_flags(LifecycleFlags::of(&desired.lifecycle));
    let mut left_out: Vec<FieldPath> = Vec::new();
    let managed = managed_secrets_of(desired.kind(), Doc::Object(&desired.body), Some(response));
    for (path, value) in desired_leaves(desired) {
        if managed.contains(&pattern_of(&path).as_str()) {
            // Never written, so never recorded.
            continue;
        }
        let found = lookup(response, &path);
        if is_breakable_reference(&path)
            && contains_reference(value)
            && !holds_list_like(found.value, value)
        {
            left_out.push(path);
            continue;
        }
        if desired.kind() == Kind::Flow && is_disabled_path(&path) && !holds_flag(response, value) {
            // The flow was written with `disabled` forced (created disabled, to be enabled as
            // the last step): flowform did not write the spec's value, so nothing is recorded
            // (not even an earlier entry) and the next plan shows the activation as a plain
            // change, not as drift.
            continue;
        }
        recorded.applied_paths.insert(path.clone(), value_digest(salt, value));
        if (value.contains_secret() || found.masked)
            && let Some(fingerprint) = leaf_fingerprint(salt, value)
        {
            recorded.secret_fingerprints.insert(path, fingerprint);
        }
    }
    // A field the spec sets to `null` was written as a removal: recorded, so a value put back
    // outside flowform shows as drift.
    for path in null_leaves(desired, false) {
        recorded.applied_paths.insert(path, value_digest(salt, &Value::Null));
    }
    if let Some(previous) = previous {
        let kept = |path: &FieldPath| is_ignored(path, ignore) || left_out.contains(path);
        for (path, digest) in &previous.applied_paths {
            if kept(path) {
                recorded.applied_paths.entry(path.clone()).or_insert_with(|| digest.clone());
            }
        }
        for (path, fingerprint) in &previous.secret_fingerprints {
            if kept(path) {
                recorded
                    .secret_fingerprints
                    .entry(path.clone())
                    .or_insert_with(|| fingerprint.clone());
            }
        }
    }
    recorded
}

/// The digest of the desired body recorded in state (`digest`) and in saved plans.
pub fn desired_digest(desired: &DesiredResource, salt: &str) -> String {
    object_digest(salt, &desired.body)
}

fn is_disabled_path(path: &FieldPath) -> bool {
    matches!(path.segments(), [Segment::Key(key)] if key == "disabled")
}

/// Whether a written flow's `disabled` (false when absent, as the API reads it) is `desired`.
fn holds_flag(written: &Value, desired: &Value) -> bool {
    let written = written.as_object().and_then(|object| object.get("disabled"));
    match (written, desired) {
        (Some(Value::Bool(written)), Value::Bool(desired)) => written == desired,
        (None | Some(Value::Null), Value::Bool(desired)) => !desired,
        _ => true,
    }
}

/// Whether `written` holds what `desired` asked for at a breakable path: a list of the same
/// length, or any value for a non-list.
fn holds_list_like(written: Option<&Value>, desired: &Value) -> bool {
    match (written, desired) {
        (Some(Value::Array(written)), Value::Array(desired)) => written.len() == desired.len(),
        (Some(written), _) => !written.is_absent(),
        (None, _) => false,
    }
}

/// Applies the write options.
fn shape(kind: Kind, body: &mut Value, options: &WriteOptions) {
    if options.omit_breakable {
        omit_breakable(body);
    }
    if kind == Kind::Flow
        && let Some(disabled) = options.force_disabled
    {
        set_forced(body, &FieldPath::from_keys(["disabled"]), Value::Bool(disabled));
    }
}

/// Drops every element holding a reference from `_runNextFlowIds`, `_runNextExportIds` and
/// `aliases` lists (literal ids stay), wherever they sit.
fn omit_breakable(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let mut emptied = Vec::new();
            for (key, child) in object.iter_mut() {
                if is_breakable_reference(&FieldPath::from_keys([key.as_str()])) {
                    match child {
                        Value::Array(items) => items.retain(|item| !contains_reference(item)),
                        other if contains_reference(other) => emptied.push(key.clone()),
                        _ => {}
                    }
                } else {
                    omit_breakable(child);
                }
            }
            for key in emptied {
                object.shift_remove(&key);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(omit_breakable),
        _ => {}
    }
}

/// Drops the members set to `null` (fields the spec wants absent), at any depth of objects;
/// a `null` inside a list is a value and stays.
fn strip_nulls(value: &mut Value) {
    if let Value::Object(object) = value {
        object.retain(|_, child| !matches!(child, Value::Null));
        object.values_mut().for_each(strip_nulls);
    }
}

/// Converts to JSON and refuses any mask.
fn finish(
    address: &Address,
    body: &Value,
    resolve: &dyn Fn(&Address) -> Option<String>,
) -> Result<serde_json::Value, WriteError> {
    let json = body
        .to_json(resolve)
        .map_err(|source| WriteError::Resolve { address: address.clone(), source })?;
    if let Some(path) = find_mask(&json, FieldPath::root()) {
        return Err(WriteError::MaskedValue { address: address.clone(), path });
    }
    Ok(json)
}

fn find_mask(json: &serde_json::Value, path: FieldPath) -> Option<FieldPath> {
    match json {
        serde_json::Value::String(text) if is_mask_text(text) => Some(path),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(index, item)| find_mask(item, path.index(index)))
        }
        serde_json::Value::Object(object) => {
            object.iter().find_map(|(key, child)| find_mask(child, path.key(key)))
        }
        _ => None,
    }
}

/// Removes a path flowform applied before and the spec no longer holds. When the live document
/// masks an ancestor of the path as one `******` value (an encrypted object such as
/// `http.encrypted`, returned as a plain mask), the whole masked value goes: it stands for what
/// flowform wrote there, and sending the mask back is never an option.
fn remove_applied(document: &mut Value, path: &FieldPath) {
    let masked_ancestor = (1..path.0.len())
        .map(|length| FieldPath(path.0[..length].to_vec()))
        .find(|ancestor| document.get(ancestor).is_some_and(Value::is_mask));
    match masked_ancestor {
        Some(ancestor) => {
            document.remove(&ancestor);
        }
        None => {
            document.remove(path);
        }
    }
}

/// Removes the server-owned fields of `kind` from a document.
fn strip_server_owned(kind: Kind, document: &mut Value) {
    let Value::Object(object) = document else {
        return;
    };
    for key in SERVER_OWNED_ALL {
        object.shift_remove(*key);
    }
    for owned in server_owned(kind) {
        remove_pattern(document, &owned.split('.').collect::<Vec<_>>());
    }
}

/// Removes the field at a dotted, index-free pattern, in every element of the lists on the way.
fn remove_pattern(value: &mut Value, keys: &[&str]) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    match value {
        Value::Object(object) => {
            if rest.is_empty() {
                object.shift_remove(*first);
            } else if let Some(child) = object.get_mut(*first) {
                remove_pattern(child, rest);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| remove_pattern(item, keys)),
        _ => {}
    }
}

/// Sets `value` at a key-only `path`, creating objects on the way and replacing anything that is
/// not an object (a masked `******` where the spec writes an object, such as `http.encrypted`).
fn set_forced(document: &mut Value, path: &FieldPath, value: Value) {
    if path.segments().iter().any(|segment| !matches!(segment, Segment::Key(_))) {
        // Desired leaves are key-only paths; any other path takes the ordinary route.
        document.set(path, value);
        return;
    }
    let mut current = document;
    for segment in path.segments() {
        let Segment::Key(key) = segment else {
            return;
        };
        if !matches!(current, Value::Object(_)) {
            *current = Value::Object(Object::default());
        }
        current = match current {
            Value::Object(object) => object.entry(key.clone()).or_insert(Value::Null),
            _ => return,
        };
    }
    *current = value;
}
