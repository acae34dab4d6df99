//! Stage 5: converting one declared resource into a [`DesiredResource`]: its body, its
//! `lifecycle`, a script's `contentFile`; server-owned and unknown fields.

use flowform_model::fields::{is_server_owned_key, server_owned};
use flowform_model::{DesiredResource, FieldPath, Kind, Lifecycle, Lookup, Object, Origin, Value};

use super::declarations::ResourceDeclaration;
use crate::checks::references::{self, Literal, LookupUse};
use crate::checks::{ReferenceUse, key_span_at};
use crate::content_file;
use crate::diagnostic::{Code, Diagnostic};
use crate::known_fields::{is_known_field, known_fields};
use crate::lifecycle;
use crate::problems;
use crate::resolve::{Mode, Resolver, is_null};
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::validate;
use crate::yaml::{Node, NodeValue};

/// A converted resource and what the checks after conversion need.
pub(crate) struct Converted {
    pub resource: DesiredResource,
    pub uses: Vec<ReferenceUse>,
    pub literals: Vec<Literal>,
    pub lookups: Vec<LookupUse>,
    /// A flow's `flowGroup`, with where it is written.
    pub group: Option<(String, Span)>,
    /// A lookup cache's `dataFile`.
    pub data_file: Option<flowform_model::lookup_data::DataFile>,
}

/// Converts one resource: body, lifecycle, content file, flow groups; reports field problems.
pub(crate) fn convert_resource(
    declaration: &ResourceDeclaration<'_>,
    resolver: &mut Resolver<'_>,
    content_root: &content_file::Root,
    diagnostics: &mut Vec<Diagnostic>,
) -> Converted {
    let file = declaration.file;
    let address = &declaration.address;
    let kind = address.kind;
    let node = declaration.body;
    let mut body = Object::default();
    let mut lifecycle = Lifecycle::default();
    let mut lifecycle_uses = Vec::new();
    let mut group_renames = Vec::new();
    let mut group = None;
    let mut data_file = None;
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
                "dataFile" if kind == Kind::LookupCache => {
                    match crate::data_file::read(content_root, file, &entry.value) {
                        Ok(read) => data_file = Some(read),
                        Err(diagnostic) => diagnostics.push(diagnostic),
                    }
                }
                "dataFile" => diagnostics.push(
                    Diagnostic::error(
                        Code::DataFile,
                        file,
                        entry.key_span,
                        format!("`dataFile` is not for {}", kind.with_article()),
                    )
                    .with_help("only a lookup cache's entries are managed from a data file"),
                ),
                "contentFile" => diagnostics.push(problems::content_file_not_for_kind(
                    file,
                    entry.key_span,
                    kind,
                )),
                "flowGroups" if kind == Kind::Integration => {
                    if let Some(groups) =
                        flow_groups(file, &entry.value, resolver, &mut group_renames, diagnostics)
                    {
                        body.insert("flowGroupings".to_owned(), groups);
                    }
                }
                "flowGroup" if kind == Kind::Flow => {
                    match resolver.convert(file, &entry.value, Mode::Body) {
                        Value::Null => {}
                        Value::String(name) if !name.trim().is_empty() => {
                            group = Some((name.clone(), entry.value.span));
                            body.insert(
                                "_flowGroupingId".to_owned(),
                                Value::Lookup(Lookup::FlowGroup(name)),
                            );
                        }
                        _ => diagnostics.push(group_problem(
                            file,
                            entry.value.span,
                            "`flowGroup` names one of its integration's `flowGroups`",
                            "write the group's name, such as `flowGroup: Orders`",
                        )),
                    }
                }
                "flowGroups" | "flowGroup" => diagnostics.push(group_problem(
                    file,
                    entry.key_span,
                    &format!("`{}` is not for {}", entry.key, kind.with_article()),
                    "an integration lists its groups under `flowGroups`; a flow names its group \
                     with `flowGroup`",
                )),
                // No groups, as the service returns an integration without any (`[]`), is fine.
                "flowGroupings"
                    if kind == Kind::Integration
                        && matches!(&entry.value.value, NodeValue::Sequence(items) if items.is_empty()) =>
                {
                    body.insert("flowGroupings".to_owned(), Value::Array(Vec::new()));
                }
                "flowGroupings" if kind == Kind::Integration => diagnostics.push(group_problem(
                    file,
                    entry.key_span,
                    "`flowGroupings` holds the ids integrator.io gives flow groups",
                    "list the groups by name instead: `flowGroups: [Orders, Finance]`",
                )),
                "_flowGroupingId" if kind == Kind::Flow && !is_null(&entry.value) => {
                    diagnostics.push(group_problem(
                        file,
                        entry.key_span,
                        "`_flowGroupingId` holds the id integrator.io gives a flow group",
                        "name the group instead: `flowGroup: Orders` (one of the integration's \
                     `flowGroups`)",
                    ));
                }
                key if is_server_owned_key(kind, key) => {
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
    lifecycle.flow_group_renames = group_renames;
    let (mut uses, literals, lookups) = references::collect(&body, node);
    uses.extend(lifecycle_uses);
    let (line, column) = file.line_column(declaration.key_span.start);
    let resource = DesiredResource {
        address: address.clone(),
        body,
        lifecycle,
        origin: Some(Origin { file: file.path.clone(), line, column }),
    };
    Converted { resource, uses, literals, lookups, group, data_file }
}

fn group_problem(file: &SourceFile, span: Span, message: &str, help: &str) -> Diagnostic {
    Diagnostic::error(Code::FlowGroup, file, span, message.to_owned()).with_help(help.to_owned())
}

/// An integration's `flowGroups: [NAME | {name: NAME, renamedFrom: OLD}, …]` as the API's
/// `flowGroupings: [{name}, …]` (ids are the service's, carried by name when written); renames
/// go to `renames`.
fn flow_groups(
    file: &SourceFile,
    node: &Node,
    resolver: &mut Resolver<'_>,
    renames: &mut Vec<(String, String)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Value> {
    if is_null(node) {
        return Some(Value::Array(Vec::new()));
    }
    let NodeValue::Sequence(items) = &node.value else {
        diagnostics.push(group_problem(
            file,
            node.span,
            "`flowGroups` is a list of group names",
            "for example `flowGroups: [Orders, Finance]`",
        ));
        return None;
    };
    let mut groups = Vec::with_capacity(items.len());
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        let (name, name_span, renamed_from) = match item.as_mapping() {
            Some(entries) => {
                let mut name = None;
                let mut renamed_from = None;
                for entry in entries {
                    let value = resolver.convert(file, &entry.value, Mode::Body);
                    match (entry.key.as_str(), value) {
                        ("name", Value::String(text)) => name = Some((text, entry.value.span)),
                        ("renamedFrom", Value::String(text)) => {
                            renamed_from = Some((text, entry.value.span));
                        }
                        ("name" | "renamedFrom", _) => diagnostics.push(group_problem(
                            file,
                            entry.value.span,
                            &format!("`{}` of a flow group is its name, a string", entry.key),
                            "for example `{name: Finance, renamedFrom: Accounting}`",
                        )),
                        (other, _) => diagnostics.push(group_problem(
                            file,
                            entry.key_span,
                            &format!("a flow group has no field `{other}`"),
                            "a group is a name, or `{name: NEW, renamedFrom: OLD}` to rename one \
                             and keep its flows",
                        )),
                    }
                }
                let Some((name, span)) = name else {
                    diagnostics.push(group_problem(
                        file,
                        item.span,
                        "a flow group needs a `name`",
                        "for example `{name: Finance, renamedFrom: Accounting}`",
                    ));
                    continue;
                };
                (name, span, renamed_from)
            }
            None => match resolver.convert(file, item, Mode::Body) {
                Value::String(name) => (name, item.span, None),
                _ => {
                    diagnostics.push(group_problem(
                        file,
                        item.span,
                        "a flow group is written by its name",
                        "for example `flowGroups: [Orders, Finance]`",
                    ));
                    continue;
                }
            },
        };
        if name.trim().is_empty() {
            diagnostics.push(group_problem(
                file,
                name_span,
                "a flow group's name cannot be empty",
                "give the group a name",
            ));
            continue;
        }
        if seen.contains(&name) {
            diagnostics.push(group_problem(
                file,
                name_span,
                &format!("the flow group `{name}` is listed twice"),
                "a group's name must be unique in its integration (flows name their group)",
            ));
            continue;
        }
        if let Some((old, span)) = renamed_from {
            if old == name || renames.iter().any(|(from, _)| *from == old) {
                diagnostics.push(group_problem(
                    file,
                    span,
                    &format!("`renamedFrom: {old}` cannot be used here"),
                    "`renamedFrom` names the group's old name, once",
                ));
            } else {
                renames.push((old, name.clone()));
            }
        }
        seen.push(name.clone());
        let mut group = Object::default();
        group.insert("name".to_owned(), Value::String(name));
        groups.push(Value::Object(group));
    }
    if let Some((old, _)) = renames.iter().find(|(old, _)| seen.contains(old)) {
        diagnostics.push(group_problem(
            file,
            node.span,
            &format!("the flow group `{old}` is renamed but still listed"),
            "list the group under its new name only",
        ));
        renames.clear();
    }
    Some(Value::Array(groups))
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
