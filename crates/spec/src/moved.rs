//! `moved:` entries: renames that keep the same live resource.

use std::collections::HashMap;

use flowform_model::{Address, Moved, Origin};

use crate::checks::references::Declared;
use crate::diagnostic::Diagnostic;
use crate::problems;
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
            diagnostics.push(problems::moved_not_a_list(file, section.node));
            continue;
        };
        for item in items {
            let Some(entry) = item.as_mapping() else {
                diagnostics.push(problems::moved_entry_not_a_mapping(file, item.span));
                continue;
            };
            for extra in entry.iter().filter(|e| e.key != "from" && e.key != "to") {
                diagnostics.push(problems::unknown_moved_field(file, extra.key_span, &extra.key));
            }
            let from = side(file, item, "from", diagnostics);
            let to = side(file, item, "to", diagnostics);
            let (Some((from, from_span)), Some((to, to_span))) = (from, to) else {
                continue;
            };
            if from.kind != to.kind {
                diagnostics.push(problems::moved_across_kinds(file, to_span, &from, &to));
                continue;
            }
            if from == to {
                diagnostics.push(problems::moved_to_itself(file, to_span, &from));
                continue;
            }
            if declared.contains(&from) {
                diagnostics.push(problems::moved_but_declared(file, from_span, &from));
                continue;
            }
            if !declared.contains(&to) {
                diagnostics.push(problems::moved_target_undeclared(file, to_span, &to));
                continue;
            }
            if let Some((first_section, first_span)) = sources.get(&from) {
                diagnostics.push(problems::moved_twice(
                    file,
                    from_span,
                    &from,
                    sections[*first_section].file,
                    *first_span,
                ));
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
        diagnostics.push(problems::moved_side_missing(file, item.span, name));
        return None;
    };
    let text = side.value.as_scalar().map_or("", |scalar| scalar.text.as_str());
    match text.parse::<Address>() {
        Ok(address) => Some((address, side.value.span)),
        Err(error) => {
            diagnostics.push(problems::moved_side_invalid(
                file,
                side.value.span,
                error.to_string(),
            ));
            None
        }
    }
}
