//! Value comparison as the diff sees it: numbers by value, objects regardless of key order,
//! secrets never by value.

use flowform_model::fingerprint::{secret_fingerprint, value_digest};
use flowform_model::{Value, is_mask_text};

/// Whether two normalised values mean the same. Numbers compare by value (`5.0` equals `5`),
/// objects ignore key order, and a secret equals nothing: secrets are compared by fingerprint,
/// never here.
pub(crate) fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(left), Value::Bool(right)) => left == right,
        (Value::Number(left), Value::Number(right)) => same_number(left, right),
        (Value::String(left), Value::String(right)) => left == right,
        (Value::Ref(left), Value::Ref(right)) => left == right,
        (Value::Lookup(left), Value::Lookup(right)) => left == right,
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len()
                && left.iter().zip(right).all(|(left, right)| same(left, right))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, value)| right.get(key).is_some_and(|other| same(value, other)))
        }
        _ => false,
    }
}

fn same_number(left: &serde_json::Number, right: &serde_json::Number) -> bool {
    if left == right {
        return true;
    }
    match (left.as_i64(), right.as_i64()) {
        (Some(left), Some(right)) => left == right,
        _ => match (left.as_f64(), right.as_f64()) {
            (Some(left), Some(right)) => left == right,
            _ => false,
        },
    }
}

/// Whether `live` holds everything `desired` says: in objects every desired key is present and
/// holds a superset of the desired value (extra live keys are allowed: server defaults or UI
/// additions inside array elements); arrays need the same length and superset elements;
/// everything else must be the [`same`].
pub(crate) fn superset(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(live), Value::Object(desired)) => desired
            .iter()
            .all(|(key, value)| live.get(key).is_some_and(|other| superset(other, value))),
        (Value::Array(live), Value::Array(desired)) => {
            live.len() == desired.len()
                && live.iter().zip(desired).all(|(live, desired)| superset(live, desired))
        }
        _ => same(live, desired),
    }
}

/// Whether `value` holds a secret whose value is unknown (its environment variable is unset).
pub(crate) fn has_unresolved_secret(value: &Value) -> bool {
    match value {
        Value::Secret(secret) => !secret.is_resolved(),
        Value::Array(items) => items.iter().any(has_unresolved_secret),
        Value::Object(object) => object.values().any(has_unresolved_secret),
        _ => false,
    }
}

/// The fingerprint recorded for a sensitive leaf: the HMAC of the string for a secret or a
/// plain string, and the HMAC of the value's salted digest for anything else (an array with
/// secrets inside, a masked number). `None` when a secret inside is unresolved.
pub(crate) fn leaf_fingerprint(salt: &str, value: &Value) -> Option<String> {
    match value {
        Value::Secret(secret) => secret.expose().map(|exposed| secret_fingerprint(salt, exposed)),
        Value::String(text) => Some(secret_fingerprint(salt, text)),
        other if has_unresolved_secret(other) => None,
        other => Some(secret_fingerprint(salt, &value_digest(salt, other))),
    }
}

/// Whether `value` is, or holds anywhere inside, one of the API's masks (`******`, `****`, …).
pub(crate) fn contains_mask(value: &Value) -> bool {
    match value {
        Value::String(text) => is_mask_text(text),
        Value::Array(items) => items.iter().any(contains_mask),
        Value::Object(object) => object.values().any(contains_mask),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::SecretValue;
    use serde_json::json;

    fn value(json: serde_json::Value) -> Value {
        Value::from_json(&json)
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same(&value(json!(5)), &value(json!(5.0))));
        assert!(!same(&value(json!(5)), &value(json!(5.5))));
        assert!(same(&value(json!({"a": [1, {"b": 2}]})), &value(json!({"a": [1.0, {"b": 2}]}))));
    }

    #[test]
    fn supersets_allow_extra_keys_in_elements_only() {
        let live = value(json!([{"a": 1, "b": false}, {"a": 2}]));
        assert!(superset(&live, &value(json!([{"a": 1}, {"a": 2}]))));
        assert!(!superset(&live, &value(json!([{"a": 1}]))));
        assert!(!superset(&live, &value(json!([{"a": 1}, {"a": 3}]))));
    }

    #[test]
    fn secrets_are_never_equal_by_value() {
        let secret = Value::Secret(SecretValue::new(vec!["T".into()], "x".into()));
        assert!(!same(&secret, &secret.clone()));
        let unresolved =
            Value::Array(vec![Value::Secret(SecretValue::unresolved(vec!["T".into()]))]);
        assert_eq!(leaf_fingerprint("salt", &unresolved), None);
        assert_eq!(
            leaf_fingerprint("salt", &secret),
            leaf_fingerprint("salt", &Value::String("x".into()))
        );
    }
}
