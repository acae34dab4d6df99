//! Plain values at write-only paths: a credential written into the spec in clear (`password:
//! hunter2`) would end up in git, in every plan and in pull-request comments. Each one is an
//! error that suggests `${secret.NAME}` and never shows the value; its place is returned so
//! the loader can hide the value from every snippet of the file.

use flowform_model::fields::is_write_only;
use flowform_model::{FieldPath, Kind, Object, Segment, Value};

use crate::diagnostic::Diagnostic;
use crate::problems;
use crate::source::{SourceFile, Span};
use crate::yaml::{Node, NodeValue};

/// Reports every plain value at a write-only path of the body; returns their spans.
pub(super) fn check(
    kind: Kind,
    address_key: &str,
    file: &SourceFile,
    body: &Object,
    node: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Span> {
    let mut found = Vec::new();
    let mut path = Vec::new();
    for (key, value) in body {
        path.push(Segment::Key(key.clone()));
        let child = node.get(key).map(|entry| &entry.value);
        walk(kind, value, child, &mut path, &mut found);
        path.pop();
    }
    let mut spans = Vec::new();
    for (path, span) in found {
        let name = suggested_name(address_key, &path);
        diagnostics.push(problems::plain_secret(file, span, &path.to_string(), &name));
        spans.push(span);
    }
    spans
}

/// Collects (path, span) of plain values at or under write-only paths. `node` follows the
/// value while the YAML has the same structure (a variable that expanded into a structure has
/// one node for all of it).
fn walk(
    kind: Kind,
    value: &Value,
    node: Option<&Node>,
    path: &mut Vec<Segment>,
    found: &mut Vec<(FieldPath, Span)>,
) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                path.push(Segment::Key(key.clone()));
                let child_node = node.and_then(|node| node.get(key)).map(|entry| &entry.value);
                walk(kind, child, child_node.or(node), path, found);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                let item_node = node.and_then(|node| match &node.value {
                    NodeValue::Sequence(nodes) => nodes.get(index),
                    _ => None,
                });
                walk(kind, item, item_node.or(node), path, found);
                path.pop();
            }
        }
        Value::String(text) if text.is_empty() || text == flowform_model::MASK => {}
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            let field_path = FieldPath(path.clone());
            if is_write_only(kind, &field_path)
                && let Some(node) = node
            {
                found.push((field_path, node.span));
            }
        }
        Value::Null | Value::Ref(_) | Value::Secret(_) => {}
    }
}

/// `SLACK_TOKEN` for `connection.slack`'s `http.auth.token.token`: the key and the field, in
/// the form environment variable names take.
fn suggested_name(key: &str, path: &FieldPath) -> String {
    let field = path.last_key().unwrap_or("secret");
    let mut name = String::new();
    let mut previous_lower = false;
    for character in format!("{key}_{field}").chars() {
        if character.is_ascii_uppercase() && previous_lower {
            name.push('_');
        }
        previous_lower = character.is_ascii_lowercase() || character.is_ascii_digit();
        name.push(if character.is_ascii_alphanumeric() {
            character.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let path: FieldPath = "http.auth.token.token".parse().unwrap();
        assert_eq!(suggested_name("slack", &path), "SLACK_TOKEN");
        let path: FieldPath = "rest.oauth.clientSecret".parse().unwrap();
        assert_eq!(suggested_name("erp-prod", &path), "ERP_PROD_CLIENT_SECRET");
    }
}
