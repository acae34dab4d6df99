//! Turning YAML nodes into body values: typing scalars and substituting placeholders.

use std::collections::{BTreeMap, HashMap};

use flowform_model::{Lookup, MASK, SecretValue, Value};

use crate::diagnostic::{Code, Diagnostic};
use crate::options::{ProcessEnvironment, SecretPolicy};
use crate::placeholder::{self, Piece, Placeholder};
use crate::problems;
use crate::scalar::{self, Typed};
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::{Node, NodeValue, Scalar, Style, is_null_text};

/// What a string being resolved may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A resource body: everything.
    Body,
    /// A variable's value: only `${env.…}` (a variable is a plain value, so it can be
    /// substituted anywhere without carrying references or secrets along).
    Variable,
    /// A `data:` lookup's criterion: `${var.…}` and `${env.…}` (each environment finds its
    /// own), nothing the account or a secret holds.
    Criterion,
}

/// A problem that may repeat many times (the same unset secret in every connection): reported
/// once, at its first place, with a count.
struct Repeated {
    diagnostic: Diagnostic,
    count: usize,
}

/// Converts nodes to values; collects what it finds wrong.
pub(crate) struct Resolver<'a> {
    /// Variables by name; `None` when the declaration was invalid (already reported).
    variables: &'a HashMap<String, Option<Value>>,
    environment: &'a ProcessEnvironment,
    secrets: SecretPolicy,
    pub diagnostics: Vec<Diagnostic>,
    repeated: BTreeMap<(Code, String), Repeated>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(
        variables: &'a HashMap<String, Option<Value>>,
        environment: &'a ProcessEnvironment,
        secrets: SecretPolicy,
    ) -> Resolver<'a> {
        Resolver {
            variables,
            environment,
            secrets,
            diagnostics: Vec::new(),
            repeated: BTreeMap::new(),
        }
    }

    /// Every diagnostic, the repeated ones last with their counts.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        for (_, repeated) in std::mem::take(&mut self.repeated) {
            let mut diagnostic = repeated.diagnostic;
            if repeated.count > 1 {
                diagnostic.message =
                    format!("{} (used in {} places)", diagnostic.message, repeated.count);
                diagnostic.label = Some("first use".to_owned());
            }
            self.diagnostics.push(diagnostic);
        }
        self.diagnostics
    }

    /// Takes in what `later` found, as if this resolver had gone on to convert what `later`
    /// converted: its diagnostics after these, a repeated problem counted once more per use
    /// and reported at its first place.
    pub(crate) fn append(&mut self, mut later: Resolver<'_>) {
        self.diagnostics.append(&mut later.diagnostics);
        for (key, repeated) in later.repeated {
            self.repeated
                .entry(key)
                .and_modify(|first| first.count += repeated.count)
                .or_insert(repeated);
        }
    }

    fn report_repeated(&mut self, name: &str, diagnostic: Diagnostic) {
        self.repeated
            .entry((diagnostic.code, name.to_owned()))
            .and_modify(|repeated| repeated.count += 1)
            .or_insert(Repeated { diagnostic, count: 1 });
    }

    /// Converts a node and everything under it. The tree's depth is bounded by the loader's
    /// depth limit, so the recursion is too.
    pub(crate) fn convert(&mut self, file: &SourceFile, node: &Node, mode: Mode) -> Value {
        match &node.value {
            NodeValue::Mapping(entries) => Value::Object(
                entries
                    .iter()
                    .map(|entry| (entry.key.clone(), self.convert(file, &entry.value, mode)))
                    .collect(),
            ),
            NodeValue::Sequence(items) => {
                Value::Array(items.iter().map(|item| self.convert(file, item, mode)).collect())
            }
            NodeValue::Scalar(scalar) => self.scalar(file, node.span, scalar, mode),
        }
    }

    fn scalar(&mut self, file: &SourceFile, span: Span, scalar: &Scalar, mode: Mode) -> Value {
        let text = scalar.text.as_str();
        if let Some(tag) = &scalar.tag {
            return match tag.text.as_str() {
                "!" | "!!str" => self.interpolate(file, span, text, mode),
                "!!timestamp" => Value::String(text.to_owned()),
                "!!null" => Value::Null,
                "!!bool" => match text {
                    "true" | "True" | "TRUE" => Value::Bool(true),
                    "false" | "False" | "FALSE" => Value::Bool(false),
                    _ => {
                        self.diagnostics.push(problems::tagged_not_a_boolean(file, span, text));
                        Value::Null
                    }
                },
                "!!int" | "!!float" => {
                    let number = scalar::type_integer(text).or_else(|| scalar::type_float(text));
                    match number {
                        Some(Ok(number)) => Value::Number(number),
                        Some(Err(error)) => {
                            self.diagnostics
                                .push(problems::invalid_number(file, span, text, error));
                            Value::Null
                        }
                        None => {
                            self.diagnostics.push(problems::tagged_not_a_number(file, span, text));
                            Value::Null
                        }
                    }
                }
                "!!binary" => {
                    self.diagnostics.push(problems::binary_value(file, span));
                    Value::Null
                }
                other => {
                    self.diagnostics.push(problems::unsupported_tag(file, span, other));
                    Value::Null
                }
            };
        }
        match scalar.style {
            Style::Quoted | Style::Block => self.interpolate(file, span, text, mode),
            Style::Plain => match scalar::type_plain(text) {
                Ok(Typed::Null) => Value::Null,
                Ok(Typed::Bool(value)) => Value::Bool(value),
                Ok(Typed::Number(number)) => Value::Number(number),
                Ok(Typed::String) => self.interpolate(file, span, text, mode),
                Err(error) => {
                    self.diagnostics.push(problems::invalid_number(file, span, text, error));
                    Value::Null
                }
            },
        }
    }

    /// The span of `raw` inside the scalar at `span`, when the source text shows it verbatim;
    /// otherwise the whole scalar.
    fn narrow(file: &SourceFile, span: Span, raw: &str) -> Span {
        file.slice(span)
            .and_then(|source| source.find(raw))
            .map_or(span, |at| Span::new(span.start + at, span.start + at + raw.len()))
    }

    /// Resolves the placeholders in a string.
    pub(crate) fn interpolate(
        &mut self,
        file: &SourceFile,
        span: Span,
        text: &str,
        mode: Mode,
    ) -> Value {
        if !placeholder::may_have_placeholders(text) {
            self.check_mask(file, span, text);
            return Value::String(text.to_owned());
        }
        let pieces = match placeholder::split(text) {
            Ok(pieces) => pieces,
            Err(error) => {
                let at = Self::narrow(file, span, &error.raw);
                self.diagnostics.push(problems::invalid_placeholder(
                    file,
                    at,
                    error.message,
                    error.help,
                ));
                return Value::String(text.to_owned());
            }
        };
        // A string that is exactly one reference or one variable keeps that value's type.
        if let [Piece::Placeholder { placeholder, raw }] = pieces.as_slice() {
            match (placeholder, mode) {
                (Placeholder::Reference(address), Mode::Body) => {
                    return Value::Ref(address.clone());
                }
                (Placeholder::Lookup(address), Mode::Body) => {
                    return Value::Lookup(Lookup::Data(address.clone()));
                }
                (Placeholder::Variable(name), Mode::Body | Mode::Criterion) => {
                    return self.variable(file, Self::narrow(file, span, raw), name);
                }
                _ => {}
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut secret_names: Vec<String> = Vec::new();
        let mut secret_missing = false;
        for piece in &pieces {
            let (placeholder, raw) = match piece {
                Piece::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                Piece::Placeholder { placeholder, raw } => (placeholder, *raw),
            };
            let at = Self::narrow(file, span, raw);
            match placeholder {
                Placeholder::Reference(address) => {
                    self.diagnostics.push(match mode {
                        Mode::Variable => problems::variable_holds_reference(file, at, raw),
                        Mode::Criterion => problems::criterion_holds(file, at, raw),
                        Mode::Body => problems::reference_in_string(file, at, raw, address),
                    });
                    out.push_str(raw);
                }
                Placeholder::Lookup(address) => {
                    self.diagnostics.push(match mode {
                        Mode::Variable => problems::variable_holds_reference(file, at, raw),
                        Mode::Criterion => problems::criterion_holds(file, at, raw),
                        Mode::Body => problems::lookup_in_string(file, at, raw, address),
                    });
                    out.push_str(raw);
                }
                Placeholder::Variable(name) => {
                    if mode == Mode::Variable {
                        self.diagnostics.push(problems::variable_uses_variable(file, at, raw));
                        continue;
                    }
                    match self.variable(file, at, name) {
                        Value::String(text) => out.push_str(&text),
                        Value::Number(number) => out.push_str(&number.to_string()),
                        Value::Bool(value) => out.push_str(if value { "true" } else { "false" }),
                        Value::Null => {}
                        _ => self
                            .diagnostics
                            .push(problems::variable_not_scalar(file, at, name, raw)),
                    }
                }
                Placeholder::Environment { name, default } => {
                    self.environment_piece(file, at, name, default.as_deref(), &mut out);
                }
                Placeholder::Secret(name) => {
                    if mode == Mode::Variable {
                        self.diagnostics.push(problems::variable_holds_secret(file, at, raw));
                        continue;
                    }
                    if mode == Mode::Criterion {
                        self.diagnostics.push(problems::criterion_holds(file, at, raw));
                        continue;
                    }
                    if !secret_names.contains(name) {
                        secret_names.push(name.clone());
                    }
                    secret_missing |= !self.secret_piece(file, at, name, &mut out);
                }
            }
        }
        if !secret_names.is_empty() {
            return Value::Secret(if secret_missing {
                SecretValue::unresolved(secret_names)
            } else {
                SecretValue::new(secret_names, out)
            });
        }
        self.check_mask(file, span, &out);
        Value::String(out)
    }

    /// Appends the value of `${env.NAME}` (or its default) to `out`.
    fn environment_piece(
        &mut self,
        file: &SourceFile,
        at: Span,
        name: &str,
        default: Option<&str>,
        out: &mut String,
    ) {
        match (self.environment.get(name), default) {
            (Ok(Some(value)), _) => out.push_str(&value),
            (Ok(None), Some(default)) => out.push_str(default),
            (Ok(None), None) => {
                let diagnostic = problems::missing_environment_variable(file, at, name);
                self.report_repeated(name, diagnostic);
            }
            (Err(_), _) => {
                self.diagnostics.push(problems::environment_variable_not_unicode(file, at, name));
            }
        }
    }

    /// Appends the value of `${secret.NAME}` to `out`; returns whether it has one.
    fn secret_piece(&mut self, file: &SourceFile, at: Span, name: &str, out: &mut String) -> bool {
        match self.environment.get(name) {
            Ok(Some(value)) if value.is_empty() => {
                let diagnostic = problems::empty_secret(file, at, name, self.secrets);
                self.report_repeated(name, diagnostic);
                false
            }
            Ok(Some(value)) => {
                if value == MASK {
                    self.diagnostics.push(problems::secret_is_mask(file, at, name));
                }
                out.push_str(&value);
                true
            }
            Ok(None) => {
                let diagnostic = problems::missing_secret(file, at, name, self.secrets);
                self.report_repeated(name, diagnostic);
                false
            }
            Err(_) => {
                self.diagnostics.push(problems::secret_not_unicode(file, at, name));
                false
            }
        }
    }

    fn check_mask(&mut self, file: &SourceFile, span: Span, text: &str) {
        if text == MASK {
            self.diagnostics.push(problems::masked_value(file, span));
        }
    }

    fn variable(&mut self, file: &SourceFile, at: Span, name: &str) -> Value {
        match self.variables.get(name) {
            Some(Some(value)) => value.clone(),
            Some(None) => Value::Null,
            None => {
                let suggestions = closest(name, self.variables.keys().map(String::as_str));
                let diagnostic = problems::unresolved_variable(file, at, name, &suggestions);
                self.report_repeated(name, diagnostic);
                Value::Null
            }
        }
    }
}

/// Whether a node is a plain scalar that reads as null, or an explicit `!!null`.
pub(crate) fn is_null(node: &Node) -> bool {
    match &node.value {
        NodeValue::Scalar(scalar) => match &scalar.tag {
            Some(tag) => tag.text == "!!null",
            None => scalar.style == Style::Plain && is_null_text(&scalar.text),
        },
        _ => false,
    }
}
