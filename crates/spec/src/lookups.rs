//! The `data:` section: resources the spec finds in the account instead of managing them.
//!
//! ```yaml
//! data:
//!   agents:
//!     warehouse:
//!       name: ${var.warehouse_agent}
//!   connections:
//!     erp:
//!       name: ERP (managed by the finance team)
//! ```
//!
//! Each entry is `PLURAL: {KEY: {FIELD: VALUE, …}}`: the live resource of that collection whose
//! top-level fields hold every value. `${data.agent.warehouse}` then stands for its `_id`,
//! found at plan time. Values may come from variables, so each environment finds its own.

use std::collections::HashMap;

use indexmap::IndexMap;

use flowform_model::{DataAddress, DataLookup, LookupKind, Origin, Value, validate_key};

use crate::diagnostic::{Code, Diagnostic};
use crate::resolve::{Mode, Resolver, is_null};
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::{Node, NodeValue};

/// One `data` section, as written.
pub(crate) struct Section<'a> {
    pub file: &'a SourceFile,
    pub node: &'a Node,
}

/// Whether a top-level `data:` node reads as flowform's section: a mapping whose keys are
/// lookup collections (`agents`, `connections`, …). A Kubernetes ConfigMap's `data:` maps file
/// names to text and is not one.
pub(crate) fn looks_like_the_section(node: &Node) -> bool {
    match &node.value {
        NodeValue::Mapping(entries) => {
            !entries.is_empty()
                && entries.iter().all(|entry| LookupKind::from_plural(&entry.key).is_some())
        }
        _ => is_null(node),
    }
}

fn plurals() -> String {
    LookupKind::all().map(|kind| format!("`{}`", kind.plural())).collect::<Vec<_>>().join(", ")
}

/// Parses every `data:` section into lookups, reporting what cannot be used.
pub(crate) fn parse(
    sections: &[Section<'_>],
    resolver: &mut Resolver<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> IndexMap<DataAddress, DataLookup> {
    let mut lookups = IndexMap::new();
    let mut first_seen: HashMap<DataAddress, (&SourceFile, Span)> = HashMap::new();
    for section in sections {
        let file = section.file;
        if is_null(section.node) {
            continue;
        }
        let Some(kinds) = section.node.as_mapping() else {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidLookup,
                    file,
                    section.node.span,
                    "`data` must be a mapping of collections to lookups",
                )
                .with_help(format!(
                    "for example `data: {{agents: {{warehouse: {{name: Warehouse}}}}}}`; the \
                     collections are {}",
                    plurals()
                )),
            );
            continue;
        };
        for kind_entry in kinds {
            let Some(kind) = LookupKind::from_plural(&kind_entry.key) else {
                let names: Vec<&str> = LookupKind::all().map(LookupKind::plural).collect();
                let suggestions = closest(&kind_entry.key, names);
                let help = did_you_mean(&suggestions, str::to_owned).unwrap_or_else(|| {
                    format!("the collections a lookup searches are {}", plurals())
                });
                diagnostics.push(
                    Diagnostic::error(
                        Code::InvalidLookup,
                        file,
                        kind_entry.key_span,
                        format!("`{}` is not a collection a lookup searches", kind_entry.key),
                    )
                    .with_label("unknown collection")
                    .with_help(help),
                );
                continue;
            };
            if is_null(&kind_entry.value) {
                continue;
            }
            let Some(entries) = kind_entry.value.as_mapping() else {
                diagnostics.push(
                    Diagnostic::error(
                        Code::InvalidLookup,
                        file,
                        kind_entry.value.span,
                        format!("`data.{}` must be a mapping of keys to lookups", kind.plural()),
                    )
                    .with_help(format!("for example `{}: {{KEY: {{name: NAME}}}}`", kind.plural())),
                );
                continue;
            };
            for entry in entries {
                if let Err(error) = validate_key(&entry.key) {
                    diagnostics.push(
                        Diagnostic::error(
                            Code::InvalidLookup,
                            file,
                            entry.key_span,
                            format!("invalid lookup key: {error}"),
                        )
                        .with_help("a lookup key is written like a resource key"),
                    );
                    continue;
                }
                let address = DataAddress::new(kind, entry.key.clone());
                if let Some((first_file, first_span)) = first_seen.get(&address) {
                    let (line, column) = first_file.line_column(first_span.start);
                    diagnostics.push(
                        Diagnostic::error(
                            Code::InvalidLookup,
                            file,
                            entry.key_span,
                            format!("`{address}` is declared twice"),
                        )
                        .with_help(format!(
                            "the first is at {}:{line}:{column}; rename one",
                            first_file.path.display()
                        )),
                    );
                    continue;
                }
                first_seen.insert(address.clone(), (file, entry.key_span));
                let Some(criteria) = criteria(file, &address, &entry.value, resolver, diagnostics)
                else {
                    continue;
                };
                let (line, column) = file.line_column(entry.key_span.start);
                let origin = Some(Origin { file: file.path.clone(), line, column });
                lookups.insert(address.clone(), DataLookup { address, criteria, origin });
            }
        }
    }
    lookups
}

/// The criteria of one lookup: a non-empty mapping of top-level fields to scalar values.
fn criteria(
    file: &SourceFile,
    address: &DataAddress,
    node: &Node,
    resolver: &mut Resolver<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<(String, Value)>> {
    let example = format!("for example `{}: {{name: NAME}}`", address.key);
    let Some(fields) = node.as_mapping().filter(|fields| !fields.is_empty()) else {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidLookup,
                file,
                node.span,
                format!("`{address}` must say what to find: a mapping of fields to values"),
            )
            .with_help(example),
        );
        return None;
    };
    let mut criteria = Vec::with_capacity(fields.len());
    let mut usable = true;
    for field in fields {
        let value = resolver.convert(file, &field.value, Mode::Criterion);
        match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                criteria.push((field.key.clone(), value));
            }
            other => {
                usable = false;
                let found = match other {
                    Value::Null => "nothing",
                    Value::Array(_) => "a sequence",
                    Value::Object(_) => "a mapping",
                    _ => "a value it cannot compare",
                };
                diagnostics.push(
                    Diagnostic::error(
                        Code::InvalidLookup,
                        file,
                        field.value.span,
                        format!("`{address}` `{}` holds {found}", field.key),
                    )
                    .with_help(
                        "a criterion is a string, number or boolean the resource's field holds \
                         (from `${var.NAME}` too)",
                    ),
                );
            }
        }
    }
    usable.then_some(criteria)
}
