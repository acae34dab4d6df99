//! A live document turned into the body a spec holds: normalised like the diff reads it, with
//! references only where the spec accepts them, masks and every value at a write-only path
//! (`flowform_model::fields::pulled_as_secret`) replaced by secret placeholders, and the ids of
//! resources outside the pull noted. A value the service keeps as a list of one
//! ([`Rewrite::OneElementArray`], an iClient's one scope) is written as that list, the form
//! `validate` asks for.

use std::collections::HashMap;

use flowform_diff::service::{Doc, Rewrite, managed_secret_paths, rewrites};
use flowform_diff::{ManagedIds, normalize_live};
use flowform_model::fields::{
    RefTarget, SAMPLE_DATA_FIELDS, pulled_as_secret, reference_target, write_only_paths,
};
use flowform_model::{
    Address, FieldPath, Kind, LiveResource, LiveState, Object, Segment, Value, is_mask_text,
};

/// A reference to a resource that is not pulled, written as its literal id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideReference {
    /// The pulled resource that holds the id.
    pub address: Address,
    /// Where.
    pub path: FieldPath,
    /// The literal id.
    pub id: String,
    /// The kind the field points at.
    pub kind: Kind,
    /// What the id is in the account, for people: ``flow `Nightly` in integration `Billing` ``,
    /// or that nothing has it.
    pub description: String,
}

/// An id of a resource kind flowform does not manage (iClients, stacks, lookup caches, agents,
/// …), written literally: such ids differ between accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmanagedId {
    /// The pulled resource that holds the id.
    pub address: Address,
    /// Where.
    pub path: FieldPath,
    /// The literal id.
    pub id: String,
    /// The API collection it points into (`iclients`).
    pub collection: &'static str,
}

/// One converted document.
#[derive(Debug, Clone, Default)]
pub(crate) struct Converted {
    /// The body as the spec says it (a script keeps its `content`); masked values hold
    /// placeholder secrets named later.
    pub body: Object,
    /// Paths whose live value is the mask, or that are write-only whatever their value, in
    /// document order.
    pub masked: Vec<FieldPath>,
    /// Secrets the service obtains and keeps itself (OAuth authorization code, Salesforce,
    /// NetSuite token-auto): left out of the body, never a placeholder.
    pub managed: Vec<FieldPath>,
    /// Ids of managed kinds that are not pulled.
    pub outside: Vec<OutsideReference>,
    /// Ids of kinds flowform does not manage.
    pub unmanaged: Vec<UnmanagedId>,
    /// Ids of pulled resources found where the spec does not take a reference (free-form
    /// settings, fields that point at another kind): written literally.
    pub literal_pulled: Vec<(FieldPath, Address)>,
    /// Top-level fields left out because flowform's spec gives them another meaning.
    pub dropped: Vec<String>,
}

/// What the conversion needs to know about the pull.
pub(crate) struct Context<'a> {
    pub ids: &'a ManagedIds,
    pub id_of: &'a HashMap<Address, String>,
    pub live: &'a LiveState,
}

/// Converts the live document of the pulled resource at `address`.
pub(crate) fn convert(
    context: &Context<'_>,
    address: &Address,
    resource: &LiveResource,
) -> Converted {
    let mut converted = Converted::default();
    let Value::Object(mut body) = normalize_live(address.kind, &resource.document, context.ids)
    else {
        return converted;
    };
    for managed in managed_secret_paths(address.kind, Doc::Value(&resource.document)) {
        let path = FieldPath::from_keys(managed.split('.'));
        if remove_pruning(&mut body, path.segments()).is_some() {
            converted.managed.push(path);
        }
    }
    for rule in rewrites(address.kind) {
        if matches!(rule.rewrite, Rewrite::OneElementArray | Rewrite::ScopeList) {
            as_list_of_one(&mut body, rule.path);
        }
    }
    // `lifecycle` holds flowform's directives in a spec, and `contentFile` names a script's file.
    for reserved in ["lifecycle", "contentFile"] {
        if body.shift_remove(reserved).is_some() {
            converted.dropped.push(reserved.to_owned());
        }
    }
    let mut path = Vec::new();
    for (key, value) in body.iter_mut() {
        path.push(Segment::Key(key.clone()));
        walk(context, address, value, &mut path, &mut converted);
        path.pop();
    }
    converted.body = body;
    converted
}

/// Wraps the scalar at the dotted, key-only `path` in a list of one: the diff reads `POST` and
/// `["POST"]` alike, and the list is what the service stores and what `validate` asks for.
fn as_list_of_one(body: &mut Object, path: &str) {
    let path = FieldPath::from_keys(path.split('.'));
    let mut document = Value::Object(std::mem::take(body));
    if let Some(scalar) =
        document.get(&path).filter(|value| !matches!(value, Value::Array(_) | Value::Null)).cloned()
    {
        document.set(&path, Value::Array(vec![scalar]));
    }
    if let Value::Object(object) = document {
        *body = object;
    }
}

/// Removes the value at a key-only path, and the objects it leaves empty.
fn remove_pruning(object: &mut Object, path: &[Segment]) -> Option<Value> {
    let (Segment::Key(first), rest) = path.split_first()? else { return None };
    if rest.is_empty() {
        return object.shift_remove(first);
    }
    let Value::Object(child) = object.get_mut(first)? else { return None };
    let removed = remove_pruning(child, rest);
    if child.is_empty() {
        object.shift_remove(first);
    }
    removed
}

/// Whether the loader reads the path as free-form (no reference checks): `settings`,
/// `settingsForm` and sample data at the top.
fn is_free_form(path: &[Segment]) -> bool {
    matches!(path.first(), Some(Segment::Key(first))
        if first == "settings" || first == "settingsForm" || SAMPLE_DATA_FIELDS.contains(&first.as_str()))
}

/// Whether the path lies in sample data, where normalisation maps no ids.
fn in_sample_data(path: &[Segment]) -> bool {
    path.iter().any(|segment| matches!(segment, Segment::Key(key) if SAMPLE_DATA_FIELDS.contains(&key.as_str())))
}

fn is_literal_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

fn walk(
    context: &Context<'_>,
    address: &Address,
    value: &mut Value,
    path: &mut Vec<Segment>,
    converted: &mut Converted,
) {
    // A write-only path becomes a placeholder whatever the account returned there: the mask in
    // any form, or a value in the clear (objects are walked, so each of their values does).
    if !matches!(value, Value::Object(_))
        && !write_only_paths(address.kind).is_empty()
        && pulled_as_secret(address.kind, &FieldPath(path.clone()))
    {
        converted.masked.push(FieldPath(path.clone()));
        return;
    }
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                path.push(Segment::Key(key.clone()));
                walk(context, address, child, path, converted);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                path.push(Segment::Index(index));
                walk(context, address, item, path, converted);
                path.pop();
            }
        }
        Value::Ref(target) => {
            let field_path = FieldPath(path.clone());
            let accepted = !is_free_form(path)
                && reference_target(&field_path) == Some(RefTarget::Managed(target.kind));
            if !accepted {
                // The spec would reject the reference here (or read it as a dependency that
                // could close a cycle), so the id stays literal; the diff still reads it as the
                // resource it names.
                if let Some(id) = context.id_of.get(target) {
                    converted.literal_pulled.push((field_path, target.clone()));
                    *value = Value::String(id.clone());
                }
            }
        }
        Value::String(text) if is_mask_text(text) => {
            converted.masked.push(FieldPath(path.clone()));
        }
        Value::String(text) => {
            if in_sample_data(path) || is_free_form(path) || !is_literal_id(text) {
                return;
            }
            let field_path = FieldPath(path.clone());
            match reference_target(&field_path) {
                Some(RefTarget::Managed(kind)) => converted.outside.push(OutsideReference {
                    address: address.clone(),
                    description: describe(context.live, kind, text),
                    path: field_path,
                    id: text.clone(),
                    kind,
                }),
                Some(RefTarget::Unmanaged(collection)) => converted.unmanaged.push(UnmanagedId {
                    address: address.clone(),
                    path: field_path,
                    id: text.clone(),
                    collection,
                }),
                None => {}
            }
        }
        _ => {}
    }
}

/// What an id outside the pull is, for the warning.
fn describe(live: &LiveState, kind: Kind, id: &str) -> String {
    match live.get(kind, id) {
        Some(resource) => {
            let name = resource.name.as_deref().unwrap_or("(no name)");
            let integration = resource
                .integration_id()
                .and_then(|integration| live.get(Kind::Integration, integration))
                .and_then(|integration| integration.name.as_deref());
            match (kind, integration) {
                (Kind::Integration, _) | (_, None) => format!("{kind} `{name}`"),
                (_, Some(integration)) => format!("{kind} `{name}` in integration `{integration}`"),
            }
        }
        None => match live.find(id) {
            Some(other) => format!(
                "the {} `{}`, not {}",
                other.kind,
                other.name.as_deref().unwrap_or("(no name)"),
                kind.with_article()
            ),
            None => format!("no {kind} in the account has this id"),
        },
    }
}
