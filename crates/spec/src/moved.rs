//! `moved:` entries: renames that keep the same live resource.

use std::collections::HashMap;

use flowform_model::{Address, Moved, Origin};

use crate::checks::references::Declared;
use crate::diagnostic::{Code, Diagnostic};
use crate::resolve::is_null;
use crate::source::{SourceFile, Span};
use crate::yaml::{Node, NodeValue};

/// One `moved` section, as written.
pub(crate) struct Section<'a> {
    pub file: &'a SourceFile,
    pub node: &'a Node,
}

/// Parses and checks every `moved` entry of every file.
pub(crate) fn parse(
    sections: &[Section<'_>],
    declared: &Declared,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Moved> {
    let mut moved = Vec::new();
    let mut sources: HashMap<Address, (usize, Span)> = HashMap::new();
    for (section_index, section) in sections.iter().enumerate() {
        let file = section.file;
        if is_null(section.node) {
            continue;
        }
        let NodeValue::Sequence(items) = &section.node.value else {
            diagnostics.push(
                Diagnostic::error(
                    Code::Moved,
                    file,
                    section.node.span,
                    format!("`moved` must be a list, found {}", section.node.type_name()),
                )
                .with_help("for example `moved: [{from: flow.old-key, to: flow.new-key}]`"),
            );
            continue;
        };
        for item in items {
            let Some(entry) = item.as_mapping() else {
                diagnostics.push(Diagnostic::error(
                    Code::Moved,
                    file,
                    item.span,
                    "a `moved` entry is `{from: ADDRESS, to: ADDRESS}`",
                ));
                continue;
            };
            for extra in entry.iter().filter(|e| e.key != "from" && e.key != "to") {
                diagnostics.push(
                    Diagnostic::error(
                        Code::Moved,
                        file,
                        extra.key_span,
                        format!("unknown `moved` field `{}`", extra.key),
                    )
                    .with_help("a `moved` entry has `from` and `to`"),
                );
            }
            let from = side(file, item, "from", diagnostics);
            let to = side(file, item, "to", diagnostics);
            let (Some((from, from_span)), Some((to, to_span))) = (from, to) else {
                continue;
            };
            if from.kind != to.kind {
                diagnostics.push(
                    Diagnostic::error(
                        Code::Moved,
                        file,
                        to_span,
                        format!("`{from}` cannot move to `{to}`: a resource keeps its kind"),
                    )
                    .with_label("different kind"),
                );
                continue;
            }
            if from == to {
                diagnostics.push(Diagnostic::error(
                    Code::Moved,
                    file,
                    to_span,
                    format!("`{from}` moves to itself"),
                ));
                continue;
            }
            if declared.contains(&from) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::Moved,
                        file,
                        from_span,
                        format!("`{from}` is moved but still declared"),
                    )
                    .with_help(format!(
                        "a moved resource leaves its old address: remove `{}` from `{}:`, or \
                         remove this entry",
                        from.key,
                        from.kind.plural()
                    )),
                );
                continue;
            }
            if !declared.contains(&to) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::Moved,
                        file,
                        to_span,
                        format!("`{to}` is the target of a move but is not declared"),
                    )
                    .with_help(format!(
                        "declare `{}` under `{}:`",
                        to.key,
                        to.kind.plural()
                    )),
                );
                continue;
            }
            if let Some((first_section, first_span)) = sources.get(&from) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::Moved,
                        file,
                        from_span,
                        format!("`{from}` is moved twice"),
                    )
                    .with_related(Diagnostic::note(
                        sections[*first_section].file,
                        *first_span,
                        "first moved here",
                    )),
                );
                continue;
            }
            sources.insert(from.clone(), (section_index, from_span));
            let (line, column) = file.line_column(from_span.start);
            moved.push(Moved {
                from,
                to,
                origin: Some(Origin { file: file.path.clone(), line, column }),
            });
        }
    }
    moved
}

/// The address on one side of an entry.
fn side(
    file: &SourceFile,
    item: &Node,
    name: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Address, Span)> {
    let Some(side) = item.get(name) else {
        diagnostics.push(Diagnostic::error(
            Code::Moved,
            file,
            item.span,
            format!("this `moved` entry has no `{name}`"),
        ));
        return None;
    };
    let text = side.value.as_scalar().map_or("", |scalar| scalar.text.as_str());
    match text.parse::<Address>() {
        Ok(address) => Some((address, side.value.span)),
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(Code::Moved, file, side.value.span, error.to_string())
                    .with_help("write an address such as `flow.nightly-sync`"),
            );
            None
        }
    }
}
