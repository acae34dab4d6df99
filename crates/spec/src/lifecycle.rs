//! The `lifecycle:` block: flowform's own directives for one resource, never sent to the API.

use flowform_model::{Address, FieldPath, Kind, Lifecycle, RefOrId, Value};

use crate::checks::ReferenceUse;
use crate::placeholder::{self, Piece, Placeholder};
use crate::problems;
use crate::resolve::{Mode, Resolver, is_null};
use crate::source::{SourceFile, Span};
use crate::yaml::{Node, NodeValue};

/// Whether `text` is a literal integrator.io id: 24 hexadecimal digits.
pub(crate) fn is_literal_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Parses a `lifecycle` block. References it holds are appended to `references` so they are
/// checked like the body's.
pub(crate) fn parse(
    resolver: &mut Resolver<'_>,
    file: &SourceFile,
    address: &Address,
    node: &Node,
    references: &mut Vec<ReferenceUse>,
) -> Lifecycle {
    let mut lifecycle = Lifecycle::default();
    if is_null(node) {
        return lifecycle;
    }
    let Some(entries) = node.as_mapping() else {
        resolver.diagnostics.push(problems::lifecycle_not_a_mapping(file, node));
        return lifecycle;
    };
    let mut connection_map_span = None;
    for entry in entries {
        let value_span = entry.value.span;
        match entry.key.as_str() {
            "cloneFrom" => {
                if !matches!(
                    address.kind,
                    Kind::Flow | Kind::Export | Kind::Import | Kind::Integration
                ) {
                    resolver.diagnostics.push(problems::clone_not_available(
                        file,
                        entry.key_span,
                        address.kind,
                    ));
                    continue;
                }
                let value = resolver.convert(file, &entry.value, Mode::Body);
                match value {
                    Value::Ref(source) => {
                        if source == *address {
                            resolver
                                .diagnostics
                                .push(problems::clone_from_itself(file, value_span, address));
                            continue;
                        }
                        references.push(ReferenceUse {
                            path: FieldPath::from_keys(["lifecycle", "cloneFrom"]),
                            address: source.clone(),
                            span: value_span,
                            expected: Some(address.kind),
                        });
                        lifecycle.clone_from = Some(RefOrId::Ref(source));
                    }
                    Value::String(id) if is_literal_id(&id) => {
                        lifecycle.clone_from = Some(RefOrId::Id(id));
                    }
                    _ => resolver.diagnostics.push(problems::clone_from_not_a_reference(
                        file,
                        value_span,
                        address.kind,
                    )),
                }
            }
            "connectionMap" => {
                connection_map_span = Some(entry.key_span);
                lifecycle.connection_map = connection_map(resolver, file, &entry.value, references);
            }
            "preventDestroy" | "adopt" => {
                let value = resolver.convert(file, &entry.value, Mode::Body);
                let Value::Bool(flag) = value else {
                    resolver
                        .diagnostics
                        .push(problems::lifecycle_flag_not_boolean(file, value_span, &entry.key));
                    continue;
                };
                if entry.key == "adopt" {
                    lifecycle.adopt = flag;
                } else {
                    lifecycle.prevent_destroy = flag;
                }
            }
            "ignoreChanges" => {
                lifecycle.ignore_changes = ignore_changes(resolver, file, &entry.value);
            }
            other => resolver.diagnostics.push(problems::unknown_lifecycle_setting(
                file,
                entry.key_span,
                other,
            )),
        }
    }
    if let (Some(span), None) = (connection_map_span, &lifecycle.clone_from) {
        resolver.diagnostics.push(problems::connection_map_without_clone(file, span));
    }
    lifecycle
}

/// A connection, as a reference or a literal id, written as a mapping key or value.
fn connection_side(
    resolver: &mut Resolver<'_>,
    file: &SourceFile,
    span: Span,
    value: Value,
    references: &mut Vec<ReferenceUse>,
) -> Option<RefOrId> {
    match value {
        Value::Ref(address) => {
            references.push(ReferenceUse {
                path: FieldPath::from_keys(["lifecycle", "connectionMap"]),
                address: address.clone(),
                span,
                expected: Some(Kind::Connection),
            });
            Some(RefOrId::Ref(address))
        }
        Value::String(id) if is_literal_id(&id) => Some(RefOrId::Id(id)),
        _ => {
            resolver.diagnostics.push(problems::connection_map_side(file, span));
            None
        }
    }
}

fn connection_map(
    resolver: &mut Resolver<'_>,
    file: &SourceFile,
    node: &Node,
    references: &mut Vec<ReferenceUse>,
) -> Option<Vec<(RefOrId, RefOrId)>> {
    let Some(entries) = node.as_mapping() else {
        resolver.diagnostics.push(problems::connection_map_not_a_mapping(file, node));
        return None;
    };
    let mut map = Vec::new();
    for entry in entries {
        // Keys are not interpolated anywhere else; here a key is exactly one reference.
        let key = match placeholder::split(&entry.key).ok().as_deref() {
            Some([Piece::Placeholder { placeholder: Placeholder::Reference(address), .. }]) => {
                Value::Ref(address.clone())
            }
            _ => Value::String(entry.key.clone()),
        };
        let source = connection_side(resolver, file, entry.key_span, key, references);
        let value = resolver.convert(file, &entry.value, Mode::Body);
        let target = connection_side(resolver, file, entry.value.span, value, references);
        if let (Some(source), Some(target)) = (source, target) {
            map.push((source, target));
        }
    }
    Some(map)
}

fn ignore_changes(resolver: &mut Resolver<'_>, file: &SourceFile, node: &Node) -> Vec<FieldPath> {
    let NodeValue::Sequence(items) = &node.value else {
        resolver.diagnostics.push(problems::ignore_changes_not_a_list(file, node));
        return Vec::new();
    };
    let mut paths = Vec::new();
    for item in items {
        let text = match item.as_scalar() {
            Some(scalar) if !is_null(item) => scalar.text.as_str(),
            _ => {
                resolver
                    .diagnostics
                    .push(problems::ignore_changes_entry_not_a_path(file, item.span));
                continue;
            }
        };
        match text.parse::<FieldPath>() {
            Ok(path) if path.is_root() => {
                resolver.diagnostics.push(problems::ignore_changes_empty_path(file, item.span));
            }
            Ok(path) => paths.push(path),
            Err(error) => resolver.diagnostics.push(problems::ignore_changes_invalid_path(
                file,
                item.span,
                error.to_string(),
            )),
        }
    }
    paths
}
