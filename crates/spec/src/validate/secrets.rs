//! Plain values at write-only paths: a credential written into the spec in clear (`password:
//! hunter2`) would end up in git, in every plan and in pull-request comments. Each one is an
//! error that suggests `${secret.NAME}` and never shows the value; its place is returned so
//! the loader can hide the value from every snippet of the file.

use flowform_model::{FieldPath, Kind, Object, Segment, Value};

use crate::diagnostic::Diagnostic;
use crate::problems;
use crate::source::{SourceFile, Span};
use crate::yaml::{Node, NodeValue};

/// The write-only paths of one kind as a tree of names; a leaf covers everything under it.
#[derive(Default)]
struct Tree {
    children: std::collections::HashMap<&'static str, Tree>,
    secret: bool,
}

/// The trees of every kind, built once.
fn tree(kind: Kind) -> &'static Tree {
    static TREES: std::sync::OnceLock<Vec<(Kind, Tree)>> = std::sync::OnceLock::new();
    let trees = TREES.get_or_init(|| {
        Kind::ALL
            .iter()
            .map(|kind| {
                let mut root = Tree::default();
                for path in flowform_model::fields::write_only_paths(*kind) {
                    let leaf = path
                        .split('.')
                        .fold(&mut root, |tree, name| tree.children.entry(name).or_default());
                    leaf.secret = true;
                }
                (*kind, root)
            })
            .collect()
    });
    &trees.iter().find(|(k, _)| *k == kind).expect("every kind has a tree").1
}

/// Reports every plain value at a write-only path of the body; returns their spans. Only the
/// subtrees that lead to a write-only path are walked.
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
    walk_object(tree(kind), body, Some(node), &mut path, &mut found);
    let mut spans = Vec::new();
    for (path, span) in found {
        let name = suggested_name(address_key, &path);
        diagnostics.push(problems::plain_secret(file, span, &path.to_string(), &name));
        spans.push(span);
    }
    spans
}

fn walk_object(
    tree: &Tree,
    object: &Object,
    node: Option<&Node>,
    path: &mut Vec<Segment>,
    found: &mut Vec<(FieldPath, Span)>,
) {
    for (name, subtree) in &tree.children {
        let Some(value) = object.get(*name) else { continue };
        path.push(Segment::Key((*name).to_owned()));
        let child = node.and_then(|node| node.get(name)).map(|entry| &entry.value);
        walk(subtree, value, child.or(node), path, found);
        path.pop();
    }
}

/// Follows `tree` down `value` (lists are crossed, as write-only paths are index-free); at a
/// write-only path, every plain value underneath is collected.
fn walk(
    tree: &Tree,
    value: &Value,
    node: Option<&Node>,
    path: &mut Vec<Segment>,
    found: &mut Vec<(FieldPath, Span)>,
) {
    match value {
        Value::Object(object) if tree.secret => {
            for (key, child) in object {
                path.push(Segment::Key(key.clone()));
                let child_node = node.and_then(|node| node.get(key)).map(|entry| &entry.value);
                walk(tree, child, child_node.or(node), path, found);
                path.pop();
            }
        }
        Value::Object(object) => walk_object(tree, object, node, path, found),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                let item_node = node.and_then(|node| match &node.value {
                    NodeValue::Sequence(nodes) => nodes.get(index),
                    _ => None,
                });
                walk(tree, item, item_node.or(node), path, found);
                path.pop();
            }
        }
        Value::String(text) if text.is_empty() || text == flowform_model::MASK => {}
        Value::String(_) | Value::Number(_) | Value::Bool(_) if tree.secret => {
            if let Some(node) = node {
                found.push((FieldPath(path.clone()), node.span));
            }
        }
        _ => {}
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
