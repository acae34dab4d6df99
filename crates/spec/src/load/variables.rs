//! Stage 4: variables: spec defaults, overridden by the environment file, overridden by
//! `--var`; and the `--var` flags nothing uses.

use std::collections::{HashMap, HashSet};

use flowform_model::Value;

use super::declarations::VariableDeclaration;
use crate::diagnostic::Diagnostic;
use crate::options::LoadOptions;
use crate::placeholder::is_variable_name;
use crate::problems;
use crate::resolve::{Mode, Resolver, is_null};
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::Node;

/// Variables by name: spec defaults, overridden by the environment file, overridden by `--var`.
/// Also returns the names the spec and the environment file declare.
pub(crate) fn resolve_variables(
    options: &LoadOptions,
    declarations: &[VariableDeclaration<'_>],
    environment_variables: Option<(&SourceFile, &Node)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (HashMap<String, Option<Value>>, HashSet<String>) {
    let no_variables = HashMap::new();
    let mut resolver = Resolver::new(&no_variables, &options.environment, options.secrets);
    let mut values: HashMap<String, Option<Value>> = HashMap::new();
    let mut first_declared: HashMap<&str, (&SourceFile, Span)> = HashMap::new();
    let convert = |resolver: &mut Resolver<'_>, file: &SourceFile, node: &Node| {
        let before = resolver.diagnostics.len();
        let value = resolver.convert(file, node, Mode::Variable);
        let failed = resolver.diagnostics[before..].iter().any(Diagnostic::is_error);
        (!failed).then_some(value)
    };
    for declaration in declarations {
        if !is_variable_name(declaration.name) {
            diagnostics.push(problems::invalid_variable_name(
                declaration.file,
                declaration.key_span,
                declaration.name,
            ));
            continue;
        }
        if let Some((first_file, first_span)) = first_declared.get(declaration.name) {
            diagnostics.push(problems::duplicate_variable(
                declaration.file,
                declaration.key_span,
                declaration.name,
                first_file,
                *first_span,
            ));
            continue;
        }
        first_declared.insert(declaration.name, (declaration.file, declaration.key_span));
        let value = convert(&mut resolver, declaration.file, declaration.value);
        values.insert(declaration.name.to_owned(), value);
    }
    let mut declared: HashSet<String> = values.keys().cloned().collect();
    if let Some((file, node)) = environment_variables {
        match node.as_mapping() {
            Some(entries) => {
                for entry in entries {
                    if !is_variable_name(&entry.key) {
                        diagnostics.push(problems::invalid_variable_name(
                            file,
                            entry.key_span,
                            &entry.key,
                        ));
                        continue;
                    }
                    let value = convert(&mut resolver, file, &entry.value);
                    declared.insert(entry.key.clone());
                    values.insert(entry.key.clone(), value);
                }
            }
            None if is_null(node) => {}
            None => diagnostics.push(problems::section_not_a_mapping(file, node, "`variables`")),
        }
    }
    for (name, value) in &options.vars {
        if !is_variable_name(name) {
            diagnostics.push(problems::invalid_variable_flag_name(name));
            continue;
        }
        values.insert(name.clone(), Some(Value::String(value.clone())));
    }
    let (problems, _) = resolver.finish();
    diagnostics.extend(problems);
    (values, declared)
}

/// Warns about `--var` flags for variables nothing declares or uses.
pub(crate) fn report_unused_variable_flags(
    options: &LoadOptions,
    declared: &HashSet<String>,
    used: &HashSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (name, _) in &options.vars {
        if !is_variable_name(name) || declared.contains(name) || used.contains(name) {
            continue;
        }
        let known = declared.iter().chain(used).map(String::as_str);
        diagnostics.push(problems::unused_variable_flag(name, &closest(name, known)));
    }
}
