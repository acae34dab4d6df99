//! Salted digests and fingerprints (HMAC-SHA-256), the only trace of values kept in state and
//! plan files.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::value::{Object, Value};

type HmacSha256 = Hmac<Sha256>;

fn hmac_hex(salt: &str, domain: &str, parts: &[&[u8]]) -> String {
    // An HMAC accepts keys of any length, so building it cannot fail.
    let mut mac = HmacSha256::new_from_slice(salt.as_bytes()).expect("hmac accepts any key length");
    mac.update(domain.as_bytes());
    mac.update(&[0]);
    for part in parts {
        mac.update(&(part.len() as u64).to_le_bytes());
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The fingerprint of a secret value: `hmac-sha256:<hex>` keyed by the state's salt.
pub fn secret_fingerprint(salt: &str, secret: &str) -> String {
    format!("hmac-sha256:{}", hmac_hex(salt, "secret", &[secret.as_bytes()]))
}

/// A salted digest of one value, as recorded per applied path. Secrets are digested by their
/// exposed value (unresolved secrets by their names), references by their address, so the
/// digest changes exactly when what the spec says at that path changes.
pub fn value_digest(salt: &str, value: &Value) -> String {
    let mut canonical = String::new();
    canonical_text(value, &mut canonical);
    hmac_hex(salt, "value", &[canonical.as_bytes()])[..32].to_owned()
}

/// A digest of a whole body (used as the resource `digest` in state and plans).
pub fn body_digest(salt: &str, body: &Value) -> String {
    let mut canonical = String::new();
    canonical_text(body, &mut canonical);
    canonical_body_digest(salt, &canonical)
}

/// [`body_digest`] of `Value::Object(body)`, without building that value.
pub fn object_digest(salt: &str, body: &Object) -> String {
    let mut canonical = String::new();
    canonical_object(body, &mut canonical);
    canonical_body_digest(salt, &canonical)
}

fn canonical_body_digest(salt: &str, canonical: &str) -> String {
    format!("sha256:{}", hmac_hex(salt, "body", &[canonical.as_bytes()]))
}

/// A salted digest of a document as it is, member order included, leaving out the members
/// `skip` names by their key path (array elements add no key). The document is written once
/// into one buffer and digested in one go: cheap enough to tell, for every resource of a large
/// account, that a document did not change. Secrets count by their exposed value, references
/// by their address.
pub fn document_digest(salt: &str, document: &Value, skip: &dyn Fn(&[&str]) -> bool) -> String {
    let mut text = Vec::with_capacity(1024);
    let mut keys: Vec<&str> = Vec::new();
    stream(document, &mut keys, skip, &mut text);
    hmac_hex(salt, "document", &[&text])[..32].to_owned()
}

/// Appends a tagged, length-prefixed part.
fn part(text: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    text.push(tag);
    text.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    text.extend_from_slice(bytes);
}

fn stream<'a>(
    value: &'a Value,
    keys: &mut Vec<&'a str>,
    skip: &dyn Fn(&[&str]) -> bool,
    text: &mut Vec<u8>,
) {
    use std::io::Write as _;
    match value {
        Value::Null => text.push(b'n'),
        Value::Bool(value) => text.push(if *value { b't' } else { b'f' }),
        Value::Number(number) => {
            text.push(b'#');
            // Writing into a vector cannot fail.
            let _ = write!(text, "{number};");
        }
        Value::String(string) => part(text, b's', string.as_bytes()),
        Value::Ref(address) => {
            text.push(b'r');
            let _ = write!(text, "{address};");
        }
        Value::Lookup(lookup) => part(text, b'l', lookup.to_string().as_bytes()),
        Value::Secret(secret) => match secret.expose() {
            Some(exposed) => part(text, b'x', exposed.as_bytes()),
            None => part(text, b'?', secret.names.join(",").as_bytes()),
        },
        Value::Array(items) => {
            part(text, b'[', &(items.len() as u32).to_le_bytes());
            for item in items {
                stream(item, keys, skip, text);
            }
        }
        Value::Object(object) => {
            text.push(b'{');
            for (key, child) in object {
                keys.push(key);
                if !skip(keys) {
                    part(text, b'k', key.as_bytes());
                    stream(child, keys, skip, text);
                }
                keys.pop();
            }
            text.push(b'}');
        }
    }
}

/// [`canonical_text`] as a string, for digests inside the crate.
pub(crate) fn canonical(value: &Value) -> String {
    let mut out = String::new();
    canonical_text(value, &mut out);
    out
}

/// [`canonical_text`] of an object: its members in key order.
fn canonical_object(object: &Object, out: &mut String) {
    // Written straight into `out`, with no text made per key, length or number: every write
    // records a digest per applied path, and a plan compares them.
    let mut members: Vec<(&String, &Value)> = object.iter().collect();
    members.sort_unstable_by_key(|(key, _)| *key);
    out.push('{');
    for (key, value) in members {
        sized(out, key);
        canonical_text(value, out);
    }
    out.push('}');
}

/// `LEN:TEXT`, the length in bytes (written with `itoa`: `write!` costs more than the short
/// texts most digests are made of).
fn sized(out: &mut String, text: &str) {
    out.push_str(itoa::Buffer::new().format(text.len()));
    out.push(':');
    out.push_str(text);
}

/// A canonical, order-independent text of a value. It contains secret values, so it is only
/// ever fed to a digest, never shown.
fn canonical_text(value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    // Writing into a string cannot fail.
    match value {
        Value::Null => out.push('n'),
        Value::Bool(value) => out.push(if *value { 't' } else { 'f' }),
        Value::Number(number) => {
            let _ = write!(out, "#{number};");
        }
        Value::String(text) => {
            out.push('s');
            sized(out, text);
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                canonical_text(item, out);
            }
            out.push(']');
        }
        Value::Object(object) => canonical_object(object, out),
        Value::Ref(address) => {
            let _ = write!(out, "r{address};");
        }
        Value::Lookup(lookup) => {
            out.push('l');
            sized(out, &lookup.to_string());
        }
        Value::Secret(secret) => {
            out.push('x');
            match secret.expose() {
                Some(value) => sized(out, value),
                None => {
                    out.push('?');
                    for (index, name) in secret.names.iter().enumerate() {
                        if index > 0 {
                            out.push(',');
                        }
                        out.push_str(name);
                    }
                    out.push(';');
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::SecretValue;

    #[test]
    fn fingerprints_depend_on_salt_and_value() {
        let one = secret_fingerprint("salt-a", "hunter2");
        assert_eq!(one, secret_fingerprint("salt-a", "hunter2"));
        assert_ne!(one, secret_fingerprint("salt-b", "hunter2"));
        assert_ne!(one, secret_fingerprint("salt-a", "hunter3"));
        assert!(!one.contains("hunter2"));
    }

    #[test]
    fn document_digests_leave_out_what_skip_names() {
        let one = Value::from_json(
            &serde_json::json!({"a": 1, "lastModified": "x", "b": {"c": [1, {"d": 2}]}}),
        );
        let two = Value::from_json(
            &serde_json::json!({"a": 1, "lastModified": "y", "b": {"c": [1, {"d": 2}]}}),
        );
        let three = Value::from_json(
            &serde_json::json!({"a": 1, "lastModified": "y", "b": {"c": [1, {"d": 3}]}}),
        );
        let skip = |keys: &[&str]| keys == ["lastModified"];
        assert_eq!(document_digest("s", &one, &skip), document_digest("s", &two, &skip));
        assert_ne!(document_digest("s", &two, &skip), document_digest("s", &three, &skip));
        assert_ne!(document_digest("s", &one, &|_| false), document_digest("s", &two, &|_| false));
        assert_ne!(document_digest("s", &one, &skip), document_digest("t", &one, &skip));
        let skip_nested = |keys: &[&str]| keys == ["b", "c", "d"];
        assert_eq!(
            document_digest("s", &two, &skip_nested),
            document_digest("s", &three, &skip_nested)
        );
    }

    #[test]
    fn digests_ignore_key_order_and_see_secrets() {
        let one = Value::from_json(&serde_json::json!({"a": 1, "b": [true, "x"]}));
        let two = Value::from_json(&serde_json::json!({"b": [true, "x"], "a": 1}));
        assert_eq!(body_digest("s", &one), body_digest("s", &two));
        // A body digested in place is the digest states already hold for it.
        let Value::Object(object) = &one else { unreachable!("an object") };
        assert_eq!(object_digest("s", object), body_digest("s", &one));
        let secret = |value: &str| Value::Secret(SecretValue::new(vec!["T".into()], value.into()));
        assert_ne!(value_digest("s", &secret("a")), value_digest("s", &secret("b")));
        assert_ne!(value_digest("s", &Value::String("1".into())), value_digest("s", &one));
    }

    /// States hold these digests: the canonical text they are made of never changes. Every
    /// kind of value, nested, with multi-byte text and keys that sort differently by length.
    #[test]
    fn digests_are_the_ones_states_hold() {
        let mut body = Value::from_json(&serde_json::json!({
            "zeta": [1, -2.5, 1e21, null, false, "été ✓"],
            "a": {"bb": "x", "b": {"k": [], "j": {}}, "ba": 0},
            "10": true,
        }));
        let Value::Object(object) = &mut body else { unreachable!("an object") };
        object.insert(
            "_connectionId".into(),
            Value::Ref("connection.conn-01".parse().expect("an address")),
        );
        object.insert("group".into(), Value::Lookup(crate::Lookup::FlowGroup("Ops ✓".into())));
        object.insert(
            "secrets".into(),
            Value::Array(vec![
                Value::Secret(SecretValue::new(vec!["A".into()], "pässword".into())),
                Value::Secret(SecretValue::unresolved(vec!["A".into(), "B".into()])),
            ]),
        );
        assert_eq!(
            canonical(&body),
            "{2:10t13:_connectionIdrconnection.conn-01;1:a{1:b{1:j{}1:k[]}2:ba#0;2:bbs1:x}\
             5:groupl20:flow group \"Ops ✓\"7:secrets[x9:pässwordx?A,B;]\
             4:zeta[#1;#-2.5;#1e+21;nfs9:été ✓]}"
        );
        assert_eq!(
            body_digest("salt", &body),
            "sha256:16b01fde9293680a3912bce9de01d80674a8e326a529b8c6e7692cf49d6c016a"
        );
        assert_eq!(value_digest("salt", &body), "3d1e3f4071332c8ad4927c7c16fb9d2d");
        let Value::Object(object) = &body else { unreachable!("an object") };
        assert_eq!(object_digest("salt", object), body_digest("salt", &body));
    }
}
