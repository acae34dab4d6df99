//! The read side of fidelity: a stored document as every `/v1` response shows it, with each
//! secret replaced by the mask in the configured form.

use std::borrow::Cow;

use serde_json::Value;

use super::Behaviour;
use crate::config::Settings;
use crate::json::{Document, get_dotted, set_dotted};
use crate::kinds::ResourceKind;

/// The mask of captured webhook header values (sb-dataops/netsuite-celigo-conector-teste).
pub(crate) const HEADER_MASK: &str = "****";

/// The string a secret is returned as: a run of `mask_length` asterisks (the service: six).
pub(crate) fn secret_mask(settings: &Settings) -> String {
    "*".repeat(usize::from(settings.mask_length.max(1)))
}

/// The document as the API returns it: every stored secret masked, captured header values
/// masked.
pub(crate) fn shown(settings: &Settings, kind: ResourceKind, document: &Document) -> Document {
    shown_borrowed(settings, kind, document).into_owned()
}

/// [`shown`], copying the document only when something in it is masked (a list page of
/// exports or flows is mostly documents without secrets).
pub(crate) fn shown_borrowed<'d>(
    settings: &Settings,
    kind: ResourceKind,
    document: &'d Document,
) -> Cow<'d, Document> {
    let mut copy = Cow::Borrowed(document);
    let mask = secret_mask(settings);
    let whole_objects = settings.fidelity.is_on(Behaviour::CredentialObjectMasked);
    for path in kind.secret_paths() {
        let masked = match get_dotted(&copy, path) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(object)) if !whole_objects => {
                let mut object = object.clone();
                for value in object.values_mut() {
                    mask_leaves(value, &mask);
                }
                Value::Object(object)
            }
            Some(_) => Value::String(mask.clone()),
        };
        set_dotted(copy.to_mut(), path, masked);
    }
    for path in kind.secret_value_objects() {
        mask_values(&mut copy, path, &mask);
    }
    if kind == ResourceKind::IClients
        && settings.fidelity.is_on(Behaviour::IClientQueryParameterMasks)
    {
        mask_values(&mut copy, "oauth2.auth.queryParameters", HEADER_MASK);
    }
    let has_header_value = |document: &Document| {
        matches!(document.get("sampleHeaders"), Some(Value::Array(headers)) if headers
            .iter()
            .filter_map(Value::as_object)
            .any(|header| header.get("value").is_some_and(|value| !value.is_null())))
    };
    if kind == ResourceKind::Exports
        && settings.fidelity.is_on(Behaviour::SampleHeaderMasks)
        && has_header_value(&copy)
        && let Some(Value::Array(headers)) = copy.to_mut().get_mut("sampleHeaders")
    {
        for header in headers.iter_mut().filter_map(Value::as_object_mut) {
            if header.get("value").is_some_and(|value| !value.is_null()) {
                header.insert("value".into(), Value::String(HEADER_MASK.to_owned()));
            }
        }
    }
    copy
}

/// Masks each value of the object at `path` (its keys stay).
fn mask_values(document: &mut Cow<'_, Document>, path: &str, mask: &str) {
    if let Some(Value::Object(object)) = get_dotted(document, path) {
        let mut object = object.clone();
        for value in object.values_mut() {
            mask_leaves(value, mask);
        }
        set_dotted(document.to_mut(), path, Value::Object(object));
    }
}

fn mask_leaves(value: &mut Value, mask: &str) {
    match value {
        Value::Object(object) => object.values_mut().for_each(|value| mask_leaves(value, mask)),
        Value::Array(items) => items.iter_mut().for_each(|value| mask_leaves(value, mask)),
        Value::Null => {}
        other => *other = Value::String(mask.to_owned()),
    }
}
