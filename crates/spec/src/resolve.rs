//! Turning YAML nodes into body values: typing scalars and substituting placeholders.

use std::collections::{BTreeMap, HashMap, HashSet};

use flowform_model::{MASK, SecretValue, Value};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::options::{ProcessEnvironment, SecretPolicy};
use crate::placeholder::{self, Piece, Placeholder};
use crate::scalar::{self, NumberError, Typed};
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::{Node, NodeValue, Scalar, Style, is_null_text};

/// What a string being resolved may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A resource body: everything.
    Body,
    /// A variable's value: only `${env.…}` (a variable is a plain value, so it can be
    /// substituted anywhere without carrying references or secrets along).
    Variable,
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
    /// Variables some placeholder used.
    pub used_variables: HashSet<String>,
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
            used_variables: HashSet::new(),
        }
    }

    /// Every diagnostic, the repeated ones last with their counts.
    pub(crate) fn finish(mut self) -> (Vec<Diagnostic>, HashSet<String>) {
        for (_, repeated) in std::mem::take(&mut self.repeated) {
            let mut diagnostic = repeated.diagnostic;
            if repeated.count > 1 {
                diagnostic.message =
                    format!("{} (used in {} places)", diagnostic.message, repeated.count);
                diagnostic.label = Some("first use".to_owned());
            }
            self.diagnostics.push(diagnostic);
        }
        (self.diagnostics, self.used_variables)
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
            let unsupported = |message: String, help: &str| {
                Diagnostic::error(Code::UnsupportedYaml, file, span, message).with_help(help)
            };
            return match tag.text.as_str() {
                "!" | "!!str" => self.interpolate(file, span, text, mode),
                "!!timestamp" => Value::String(text.to_owned()),
                "!!null" => Value::Null,
                "!!bool" => match text {
                    "true" | "True" | "TRUE" => Value::Bool(true),
                    "false" | "False" | "FALSE" => Value::Bool(false),
                    _ => {
                        self.diagnostics.push(unsupported(
                            format!("`{text}` is not a boolean"),
                            "write `true` or `false`",
                        ));
                        Value::Null
                    }
                },
                "!!int" | "!!float" => {
                    let number = scalar::type_integer(text).or_else(|| scalar::type_float(text));
                    match number {
                        Some(Ok(number)) => Value::Number(number),
                        Some(Err(error)) => {
                            self.number_error(file, span, text, error);
                            Value::Null
                        }
                        None => {
                            self.diagnostics.push(unsupported(
                                format!("`{text}` is not a number"),
                                "remove the tag or write a number",
                            ));
                            Value::Null
                        }
                    }
                }
                "!!binary" => {
                    self.diagnostics.push(unsupported(
                        "binary values (`!!binary`) cannot be written in a JSON body".to_owned(),
                        "remove the tag to keep the base64 text as a string",
                    ));
                    Value::Null
                }
                other => {
                    self.diagnostics.push(unsupported(
                        format!("YAML tag `{other}` is not supported; a resource body is JSON"),
                        "remove the tag",
                    ));
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
                    self.number_error(file, span, text, error);
                    Value::Null
                }
            },
        }
    }

    fn number_error(&mut self, file: &SourceFile, span: Span, text: &str, error: NumberError) {
        let message = match error {
            NumberError::OutOfRange => format!("the integer `{text}` does not fit in 64 bits"),
            NumberError::NotFinite => {
                format!("`{text}` is not a finite number, and JSON has no infinity or NaN")
            }
        };
        self.diagnostics.push(
            Diagnostic::error(Code::InvalidNumber, file, span, message)
                .with_help(format!("quote it to keep it as a string: `\"{text}\"`")),
        );
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
                self.diagnostics.push(
                    Diagnostic::error(Code::InvalidPlaceholder, file, at, error.message)
                        .with_help(error.help),
                );
                return Value::String(text.to_owned());
            }
        };
        // A string that is exactly one reference or one variable keeps that value's type.
        if let [Piece::Placeholder { placeholder, raw }] = pieces.as_slice() {
            match (placeholder, mode) {
                (Placeholder::Reference(address), Mode::Body) => {
                    return Value::Ref(address.clone());
                }
                (Placeholder::Variable(name), Mode::Body) => {
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
                    let diagnostic = match mode {
                        Mode::Variable => Diagnostic::error(
                            Code::InvalidVariable,
                            file,
                            at,
                            format!("a variable's value cannot hold the reference `{raw}`"),
                        )
                        .with_help("write the reference in the resource body instead"),
                        Mode::Body => Diagnostic::error(
                            Code::ReferenceInString,
                            file,
                            at,
                            format!("the reference `{raw}` is inside a longer string"),
                        )
                        .with_label("reference")
                        .with_help(format!(
                            "a reference resolves to the `_id` of `{address}` and must be the \
                             whole value, such as `_flowId: {raw}`; write `$${{` for a literal \
                             `${{`"
                        )),
                    };
                    self.diagnostics.push(diagnostic);
                    out.push_str(raw);
                }
                Placeholder::Variable(name) => {
                    if mode == Mode::Variable {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::InvalidVariable,
                                file,
                                at,
                                format!("a variable's value cannot use another variable (`{raw}`)"),
                            )
                            .with_help("variables may only use `${env.NAME}`"),
                        );
                        continue;
                    }
                    match self.variable(file, at, name) {
                        Value::String(text) => out.push_str(&text),
                        Value::Number(number) => out.push_str(&number.to_string()),
                        Value::Bool(value) => out.push_str(if value { "true" } else { "false" }),
                        Value::Null => {}
                        _ => self.diagnostics.push(
                            Diagnostic::error(
                                Code::InvalidVariable,
                                file,
                                at,
                                format!(
                                    "variable `{name}` holds a mapping or a sequence, which \
                                     cannot be part of a longer string"
                                ),
                            )
                            .with_help(format!("use `{raw}` as the whole value")),
                        ),
                    }
                }
                Placeholder::Environment { name, default } => match self.environment.get(name) {
                    Ok(Some(value)) => out.push_str(&value),
                    Ok(None) => match default {
                        Some(default) => out.push_str(default),
                        None => {
                            let diagnostic = Diagnostic::error(
                                Code::MissingEnvironmentVariable,
                                file,
                                at,
                                format!("environment variable `{name}` is not set"),
                            )
                            .with_help(format!(
                                "set `{name}`, or give a default: `${{env.{name}:-default}}`"
                            ));
                            self.report_repeated(name, diagnostic);
                        }
                    },
                    Err(_) => self.diagnostics.push(Diagnostic::error(
                        Code::MissingEnvironmentVariable,
                        file,
                        at,
                        format!("environment variable `{name}` is not valid UTF-8"),
                    )),
                },
                Placeholder::Secret(name) => {
                    if mode == Mode::Variable {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::InvalidVariable,
                                file,
                                at,
                                format!("a variable's value cannot hold the secret `{raw}`"),
                            )
                            .with_help("write the secret in the resource body instead"),
                        );
                        continue;
                    }
                    if !secret_names.contains(name) {
                        secret_names.push(name.clone());
                    }
                    match self.environment.get(name) {
                        Ok(Some(value)) => {
                            if value == MASK {
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        Code::MaskedValue,
                                        file,
                                        at,
                                        format!(
                                            "secret `{name}` holds the API's mask `{MASK}`, not a \
                                             credential"
                                        ),
                                    )
                                    .with_help(format!(
                                        "set `{name}` to the real value; flowform never writes \
                                         a mask back as a credential"
                                    )),
                                );
                            }
                            out.push_str(&value);
                        }
                        Ok(None) => {
                            secret_missing = true;
                            let (severity, help) = match self.secrets {
                                SecretPolicy::Offline => (
                                    Severity::Warning,
                                    format!(
                                        "`validate` checks offline; `plan` and `apply` need the \
                                         environment variable `{name}`"
                                    ),
                                ),
                                SecretPolicy::Required => (
                                    Severity::Error,
                                    format!("set the environment variable `{name}`"),
                                ),
                            };
                            let diagnostic = Diagnostic::at(
                                severity,
                                Code::MissingSecret,
                                file,
                                at,
                                format!("secret `{name}` is not set"),
                            )
                            .with_help(help);
                            self.report_repeated(name, diagnostic);
                        }
                        Err(_) => {
                            secret_missing = true;
                            self.diagnostics.push(Diagnostic::error(
                                Code::MissingSecret,
                                file,
                                at,
                                format!("secret `{name}` is not valid UTF-8"),
                            ));
                        }
                    }
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

    fn check_mask(&mut self, file: &SourceFile, span: Span, text: &str) {
        if text == MASK {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::MaskedValue,
                    file,
                    span,
                    format!("`{MASK}` is the API's mask for a hidden secret, not a value"),
                )
                .with_label("masked value")
                .with_help(
                    "write the secret as `${secret.NAME}` and set the environment variable NAME; \
                     flowform never writes a mask back as a credential",
                ),
            );
        }
    }

    fn variable(&mut self, file: &SourceFile, at: Span, name: &str) -> Value {
        match self.variables.get(name) {
            Some(Some(value)) => {
                self.used_variables.insert(name.to_owned());
                value.clone()
            }
            Some(None) => {
                self.used_variables.insert(name.to_owned());
                Value::Null
            }
            None => {
                let suggestions = closest(name, self.variables.keys().map(String::as_str));
                let mut help = format!(
                    "declare it under `variables:`, in the environment file, or pass \
                     `--var {name}=VALUE`"
                );
                if let Some(hint) = did_you_mean(&suggestions, |s| format!("${{var.{s}}}")) {
                    help = format!("{hint} {help}");
                }
                let diagnostic = Diagnostic::error(
                    Code::UnresolvedVariable,
                    file,
                    at,
                    format!("variable `{name}` has no value"),
                )
                .with_help(help);
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
