//! Stage 3: collecting what the files declare: resources by address, variables, `moved`
//! sections; section, key and duplicate problems.

use std::collections::HashMap;

use flowform_model::{Address, Kind, validate_key};

use super::parse::ParsedFile;
use crate::diagnostic::Diagnostic;
use crate::lookups;
use crate::moved;
use crate::problems;
use crate::resolve::is_null;
use crate::source::{SourceFile, Span};
use crate::yaml::Node;

/// A resource as declared: its key and body node.
pub(crate) struct ResourceDeclaration<'a> {
    pub address: Address,
    pub file: &'a SourceFile,
    pub key_span: Span,
    pub body: &'a Node,
}

/// A `variables:` entry.
pub(crate) struct VariableDeclaration<'a> {
    pub name: &'a str,
    pub file: &'a SourceFile,
    pub key_span: Span,
    pub value: &'a Node,
}

/// Everything the files declare, in file order.
#[derive(Default)]
pub(crate) struct Declarations<'a> {
    pub resources: Vec<ResourceDeclaration<'a>>,
    pub variables: Vec<VariableDeclaration<'a>>,
    pub moved: Vec<moved::Section<'a>>,
    pub data: Vec<lookups::Section<'a>>,
}

pub(crate) fn collect_declarations<'a>(
    files: &'a [ParsedFile],
    diagnostics: &mut Vec<Diagnostic>,
) -> Declarations<'a> {
    let mut declarations = Declarations::default();
    let mut first_seen: HashMap<Address, (&'a SourceFile, Span)> = HashMap::new();
    for parsed in files {
        let file = &parsed.source;
        let Some(root) = &parsed.root else {
            continue;
        };
        if is_null(root) {
            diagnostics.push(problems::empty_document(file, root.span));
            continue;
        }
        let Some(sections) = root.as_mapping() else {
            diagnostics.push(problems::file_not_a_mapping(file, root));
            continue;
        };
        for section in sections {
            let node = &section.value;
            match section.key.as_str() {
                "variables" => {
                    if is_null(node) {
                        continue;
                    }
                    let Some(entries) = node.as_mapping() else {
                        diagnostics.push(problems::section_not_a_mapping(
                            file,
                            node,
                            "`variables`",
                        ));
                        continue;
                    };
                    for entry in entries {
                        declarations.variables.push(VariableDeclaration {
                            name: &entry.key,
                            file,
                            key_span: entry.key_span,
                            value: &entry.value,
                        });
                    }
                }
                "moved" => declarations.moved.push(moved::Section { file, node }),
                "data" => declarations.data.push(lookups::Section { file, node }),
                name => {
                    let Some(kind) = Kind::from_plural(name) else {
                        diagnostics.push(problems::unknown_section(file, section.key_span, name));
                        continue;
                    };
                    if is_null(node) {
                        continue;
                    }
                    let Some(entries) = node.as_mapping() else {
                        diagnostics.push(problems::section_not_a_mapping(
                            file,
                            node,
                            &format!("`{name}`"),
                        ));
                        continue;
                    };
                    for entry in entries {
                        if let Err(error) = validate_key(&entry.key) {
                            diagnostics.push(problems::invalid_key(
                                file,
                                entry.key_span,
                                error.to_string(),
                                suggested_key(&entry.key),
                            ));
                            continue;
                        }
                        let address = Address::new(kind, entry.key.clone());
                        if let Some((first_file, first_span)) = first_seen.get(&address) {
                            diagnostics.push(problems::duplicate_key(
                                file,
                                entry.key_span,
                                &address,
                                first_file,
                                *first_span,
                            ));
                            continue;
                        }
                        first_seen.insert(address.clone(), (file, entry.key_span));
                        declarations.resources.push(ResourceDeclaration {
                            address,
                            file,
                            key_span: entry.key_span,
                            body: &entry.value,
                        });
                    }
                }
            }
        }
    }
    declarations
}

/// A lowercase, dash-separated version of an invalid key, when that one is valid.
fn suggested_key(key: &str) -> Option<String> {
    let mut suggestion = String::new();
    for character in key.chars() {
        match character {
            c if c.is_ascii_alphanumeric() => suggestion.push(c.to_ascii_lowercase()),
            '_' | '-' => suggestion.push(character),
            _ => {
                if !suggestion.ends_with('-') {
                    suggestion.push('-');
                }
            }
        }
    }
    let suggestion = suggestion.trim_matches(['-', '_']).to_owned();
    (suggestion != key && validate_key(&suggestion).is_ok()).then_some(suggestion)
}
