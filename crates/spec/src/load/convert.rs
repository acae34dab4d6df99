//! Stage 5: converting one declared resource into a [`DesiredResource`]: its body, its
//! `lifecycle`, a script's `contentFile`; server-owned and unknown fields.

use flowform_model::fields::{is_server_owned, server_owned};
use flowform_model::{DesiredResource, FieldPath, Kind, Lifecycle, Object, Origin, Value};

use super::declarations::ResourceDeclaration;
use crate::checks::references::{self, Literal};
use crate::checks::{ReferenceUse, key_span_at};
use crate::content_file;
use crate::diagnostic::Diagnostic;
use crate::known_fields::{is_known_field, known_fields};
use crate::lifecycle;
use crate::problems;
use crate::resolve::{Mode, Resolver, is_null};
use crate::suggest::closest;
use crate::validate;

/// Converts one resource: body, lifecycle, content file; reports field problems.
pub(crate) fn convert_resource(
    declaration: &ResourceDeclaration<'_>,
    resolver: &mut Resolver<'_>,
    content_root: &content_file::Root,
    diagnostics: &mut Vec<Diagnostic>,
) -> (DesiredResource, Vec<ReferenceUse>, Vec<Literal>) {
    let file = declaration.file;
    let address = &declaration.address;
    let kind = address.kind;
    let node = declaration.body;
    let mut body = Object::new();
    let mut lifecycle = Lifecycle::default();
    let mut lifecycle_uses = Vec::new();
    if let Some(entries) = node.as_mapping() {
        let has_content = entries.iter().any(|entry| entry.key == "content");
        for entry in entries {
            match entry.key.as_str() {
                "lifecycle" => {
                    lifecycle = lifecycle::parse(
                        resolver,
                        file,
                        address,
                        &entry.value,
                        &mut lifecycle_uses,
                    );
                }
                "contentFile" if kind == Kind::Script => {
                    if has_content {
                        diagnostics.push(problems::content_and_content_file(file, entry.key_span));
                        continue;
                    }
                    match content_file::read(content_root, file, &entry.value) {
                        Ok(content) => {
                            body.insert("content".to_owned(), Value::String(content));
                        }
                        Err(diagnostic) => diagnostics.push(diagnostic),
                    }
                }
                "contentFile" => diagnostics.push(problems::content_file_not_for_kind(
                    file,
                    entry.key_span,
                    kind,
                )),
                key if is_server_owned(kind, &FieldPath::from_keys([key])) => {
                    diagnostics.push(problems::server_owned_field(file, entry.key_span, key));
                }
                key => {
                    if !is_known_field(kind, key) && !validate::is_listed_top_level(kind, key) {
                        let suggestions = closest(key, known_fields(kind).iter().copied());
                        diagnostics.push(problems::unknown_field(
                            file,
                            entry.key_span,
                            kind,
                            key,
                            &suggestions,
                        ));
                    }
                    let value = resolver.convert(file, &entry.value, Mode::Body);
                    body.insert(key.to_owned(), value);
                }
            }
        }
    } else if !is_null(node) {
        diagnostics.push(problems::body_not_a_mapping(file, node, address));
    }
    for owned in server_owned(kind).iter().filter(|owned| owned.contains('.')) {
        let keys: Vec<&str> = owned.split('.').collect();
        if remove_nested(&mut body, &keys) {
            let path = FieldPath::from_keys(keys.iter().copied());
            diagnostics.push(problems::server_owned_field(
                file,
                key_span_at(node, path.segments()),
                owned,
            ));
        }
    }
    let (mut uses, literals) = references::collect(&body, node);
    uses.extend(lifecycle_uses);
    let (line, column) = file.line_column(declaration.key_span.start);
    let resource = DesiredResource {
        address: address.clone(),
        body,
        lifecycle,
        origin: Some(Origin { file: file.path.clone(), line, column }),
    };
    (resource, uses, literals)
}

/// Removes the value at a dotted path of object keys; returns whether it was there.
fn remove_nested(object: &mut Object, keys: &[&str]) -> bool {
    match keys {
        [] => false,
        [last] => object.shift_remove(*last).is_some(),
        [first, rest @ ..] => match object.get_mut(*first) {
            Some(Value::Object(child)) => remove_nested(child, rest),
            _ => false,
        },
    }
}
