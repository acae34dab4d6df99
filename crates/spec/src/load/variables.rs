//! Stage 4: variables. Precedence, lowest first: the spec's `variables:` defaults, the
//! environment file's `variables:`, each `--var-file` in the order given, each `--var` in the
//! order given. A variable is declared by a `variables:` section (of a spec file or of the
//! environment file); `--var` for an undeclared one is an error, a variable file's entry for
//! one a warning (a variable file may be shared by several specs, as Terraform's are).

use std::collections::{HashMap, HashSet};

use flowform_model::Value;

use super::declarations::VariableDeclaration;
use super::parse::ParsedFile;
use crate::diagnostic::Diagnostic;
use crate::options::LoadOptions;
use crate::placeholder::is_variable_name;
use crate::problems;
use crate::resolve::{Mode, Resolver, is_null};
use crate::scalar::{self, Typed};
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::Node;

/// Variables by name, after every override; `None` for a value that could not be used
/// (already reported).
pub(crate) fn resolve_variables(
    options: &LoadOptions,
    declarations: &[VariableDeclaration<'_>],
    environment_variables: Option<(&SourceFile, &Node)>,
    variable_files: &[ParsedFile],
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, Option<Value>> {
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
    let known = |declared: &HashSet<String>, name: &str| {
        let mut names: Vec<&str> = declared.iter().map(String::as_str).collect();
        names.sort_unstable();
        closest(name, names)
    };
    for variable_file in variable_files {
        let file = &variable_file.source;
        let Some(root) = &variable_file.root else { continue };
        if is_null(root) {
            continue;
        }
        let Some(entries) = root.as_mapping() else {
            diagnostics.push(problems::variable_file_not_a_mapping(file, root));
            continue;
        };
        for entry in entries {
            if !is_variable_name(&entry.key) {
                diagnostics.push(problems::invalid_variable_name(file, entry.key_span, &entry.key));
                continue;
            }
            if !declared.contains(&entry.key) {
                diagnostics.push(problems::undeclared_variable_in_file(
                    file,
                    entry.key_span,
                    &entry.key,
                    &known(&declared, &entry.key),
                ));
                continue;
            }
            let value = convert(&mut resolver, file, &entry.value);
            values.insert(entry.key.clone(), value);
        }
    }
    for (name, text) in &options.vars {
        if !is_variable_name(name) {
            diagnostics.push(problems::invalid_variable_flag_name(name));
            continue;
        }
        if !declared.contains(name) {
            diagnostics.push(problems::undeclared_variable_flag(name, &known(&declared, name)));
            continue;
        }
        match flag_value(text) {
            Ok(value) => {
                values.insert(name.clone(), Some(value));
            }
            Err(problem) => diagnostics.push(problems::invalid_variable_flag_value(name, &problem)),
        }
    }
    diagnostics.extend(resolver.finish());
    values
}

/// A `--var` value read as a YAML scalar: `true`, `20`, `null` and `~` keep their type; text
/// in single or double quotes (`"true"`) stays text; anything else is text as written, and an
/// empty value is the empty string.
pub(crate) fn flag_value(text: &str) -> Result<Value, String> {
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        // YAML's double-quoted scalars escape as JSON strings do, for what a flag holds.
        return serde_json::from_str::<String>(text)
            .map(Value::String)
            .map_err(|_| format!("`{text}` is not a valid double-quoted string"));
    }
    if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
        return Ok(Value::String(text[1..text.len() - 1].replace("''", "'")));
    }
    if text.is_empty() {
        return Ok(Value::String(String::new()));
    }
    match scalar::type_plain(text) {
        Ok(Typed::Null) => Ok(Value::Null),
        Ok(Typed::Bool(flag)) => Ok(Value::Bool(flag)),
        Ok(Typed::Number(number)) => Ok(Value::Number(number)),
        Ok(Typed::String) => Ok(Value::String(text.to_owned())),
        Err(_) => {
            Err(format!("`{text}` is not a number JSON can hold; quote it to keep it as text"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values_are_yaml_scalars() {
        assert_eq!(flag_value("true"), Ok(Value::Bool(true)));
        assert_eq!(flag_value("False"), Ok(Value::Bool(false)));
        assert_eq!(flag_value("20"), Ok(Value::Number(20.into())));
        assert_eq!(flag_value("~"), Ok(Value::Null));
        assert_eq!(flag_value("\"true\""), Ok(Value::String("true".into())));
        assert_eq!(flag_value("'20'"), Ok(Value::String("20".into())));
        assert_eq!(flag_value("'it''s'"), Ok(Value::String("it's".into())));
        assert_eq!(flag_value("\"a\\tb\""), Ok(Value::String("a\tb".into())));
        assert_eq!(flag_value(""), Ok(Value::String(String::new())));
        assert_eq!(flag_value("#eng"), Ok(Value::String("#eng".into())));
        assert_eq!(flag_value("a: b"), Ok(Value::String("a: b".into())));
        assert_eq!(
            flag_value("https://x.example.com"),
            Ok(Value::String("https://x.example.com".into()))
        );
        assert!(flag_value("99999999999999999999999").is_err());
        assert!(flag_value("\"unterminated\\\"").is_err());
    }
}
