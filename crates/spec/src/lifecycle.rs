//! The `lifecycle:` block: flowform's own directives for one resource, never sent to the API.

use flowform_model::{Address, FieldPath, Kind, Lifecycle, RefOrId, Value};

use crate::checks::ReferenceUse;
use crate::diagnostic::{Code, Diagnostic};
use crate::placeholder::{self, Piece, Placeholder};
use crate::resolve::{Mode, Resolver, is_null};
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::{Node, NodeValue};

const LIFECYCLE_KEYS: [&str; 5] =
    ["cloneFrom", "connectionMap", "preventDestroy", "ignoreChanges", "adopt"];

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
        resolver.diagnostics.push(
            Diagnostic::error(
                Code::Lifecycle,
                file,
                node.span,
                format!("`lifecycle` must be a mapping, found {}", node.type_name()),
            )
            .with_help("for example `lifecycle: {preventDestroy: true}`"),
        );
        return lifecycle;
    };
    let error =
        |span: Span, message: String| Diagnostic::error(Code::Lifecycle, file, span, message);
    let mut connection_map_span = None;
    for entry in entries {
        let value_span = entry.value.span;
        match entry.key.as_str() {
            "cloneFrom" => {
                if !matches!(
                    address.kind,
                    Kind::Flow | Kind::Export | Kind::Import | Kind::Integration
                ) {
                    resolver.diagnostics.push(
                        error(
                            entry.key_span,
                            format!("`cloneFrom` is not available for {}s", address.kind),
                        )
                        .with_help("flows, exports, imports and integrations can be cloned"),
                    );
                    continue;
                }
                let value = resolver.convert(file, &entry.value, Mode::Body);
                match value {
                    Value::Ref(source) => {
                        if source == *address {
                            resolver.diagnostics.push(error(
                                value_span,
                                format!("`{address}` cannot be cloned from itself"),
                            ));
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
                    _ => resolver.diagnostics.push(
                        error(value_span, "`cloneFrom` must be a reference or a 24-hex id".into())
                            .with_help(format!(
                                "for example `cloneFrom: ${{{}.KEY}}`",
                                address.kind.singular()
                            )),
                    ),
                }
            }
            "connectionMap" => {
                connection_map_span = Some(entry.key_span);
                lifecycle.connection_map = connection_map(resolver, file, &entry.value, references);
            }
            "preventDestroy" | "adopt" => {
                let value = resolver.convert(file, &entry.value, Mode::Body);
                let Value::Bool(flag) = value else {
                    resolver.diagnostics.push(error(
                        value_span,
                        format!("`{}` must be `true` or `false`", entry.key),
                    ));
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
            other => {
                let suggestions = closest(other, LIFECYCLE_KEYS);
                let help = did_you_mean(&suggestions, str::to_owned).unwrap_or_else(|| {
                    format!("`lifecycle` takes {}", quoted_list(&LIFECYCLE_KEYS))
                });
                resolver.diagnostics.push(
                    error(entry.key_span, format!("unknown lifecycle setting `{other}`"))
                        .with_help(help),
                );
            }
        }
    }
    if let (Some(span), None) = (connection_map_span, &lifecycle.clone_from) {
        resolver.diagnostics.push(
            Diagnostic::warning(
                Code::Lifecycle,
                file,
                span,
                "`connectionMap` has no effect without `cloneFrom`",
            )
            .with_help("add `cloneFrom`, or remove `connectionMap`"),
        );
    }
    lifecycle
}

fn quoted_list(items: &[&str]) -> String {
    items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
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
            resolver.diagnostics.push(
                Diagnostic::error(
                    Code::Lifecycle,
                    file,
                    span,
                    "a `connectionMap` entry maps a connection to a connection: each side is \
                     `${connection.KEY}` or a 24-hex id",
                )
                .with_help("quote references used as keys: `\"${connection.a}\": ${connection.b}`"),
            );
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
        resolver.diagnostics.push(
            Diagnostic::error(
                Code::Lifecycle,
                file,
                node.span,
                format!("`connectionMap` must be a mapping, found {}", node.type_name()),
            )
            .with_help("for example `connectionMap: {\"${connection.a}\": ${connection.b}}`"),
        );
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
        resolver.diagnostics.push(
            Diagnostic::error(
                Code::Lifecycle,
                file,
                node.span,
                format!("`ignoreChanges` must be a list of paths, found {}", node.type_name()),
            )
            .with_help("for example `ignoreChanges: [schedule, pageGenerators[0].skipRetries]`"),
        );
        return Vec::new();
    };
    let mut paths = Vec::new();
    for item in items {
        let text = match item.as_scalar() {
            Some(scalar) if !is_null(item) => scalar.text.as_str(),
            _ => {
                resolver.diagnostics.push(Diagnostic::error(
                    Code::Lifecycle,
                    file,
                    item.span,
                    "an `ignoreChanges` entry must be a dotted path such as `schedule`",
                ));
                continue;
            }
        };
        match text.parse::<FieldPath>() {
            Ok(path) if path.is_root() => resolver.diagnostics.push(Diagnostic::error(
                Code::Lifecycle,
                file,
                item.span,
                "an empty `ignoreChanges` path would ignore the whole resource",
            )),
            Ok(path) => paths.push(path),
            Err(error) => resolver.diagnostics.push(
                Diagnostic::error(Code::Lifecycle, file, item.span, error.to_string()).with_help(
                    "paths are dotted keys with `[N]` indexes, such as `http.auth.type`",
                ),
            ),
        }
    }
    paths
}
