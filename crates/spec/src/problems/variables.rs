//! Problems with variables: their names, declarations, values and `--var` flags.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::{SourceFile, Span};
use crate::suggest::did_you_mean;

const NAME_HELP: &str =
    "variable names are letters, digits, `_` and `-`, starting with a letter or `_`";

/// A variable's value that holds a reference.
pub(crate) fn variable_holds_reference(file: &SourceFile, at: Span, raw: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidVariable,
        file,
        at,
        format!("a variable's value cannot hold the reference `{raw}`"),
    )
    .with_help("write the reference in the resource body instead")
}

/// A variable's value that uses another variable.
pub(crate) fn variable_uses_variable(file: &SourceFile, at: Span, raw: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidVariable,
        file,
        at,
        format!("a variable's value cannot use another variable (`{raw}`)"),
    )
    .with_help("variables may only use `${env.NAME}`")
}

/// A variable's value that holds a secret.
pub(crate) fn variable_holds_secret(file: &SourceFile, at: Span, raw: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidVariable,
        file,
        at,
        format!("a variable's value cannot hold the secret `{raw}`"),
    )
    .with_help("write the secret in the resource body instead")
}

/// A variable holding a mapping or a sequence, used inside a longer string.
pub(crate) fn variable_not_scalar(
    file: &SourceFile,
    at: Span,
    name: &str,
    raw: &str,
) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidVariable,
        file,
        at,
        format!(
            "variable `{name}` holds a mapping or a sequence, which cannot be part of a longer \
             string"
        ),
    )
    .with_help(format!("use `{raw}` as the whole value"))
}

/// A `variables:` key that is not a variable name.
pub(crate) fn invalid_variable_name(file: &SourceFile, span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidVariable,
        file,
        span,
        format!("`{name}` is not a valid variable name"),
    )
    .with_help(NAME_HELP)
}

/// `--var NAME=…` whose name is not a variable name.
pub(crate) fn invalid_variable_flag_name(name: &str) -> Diagnostic {
    Diagnostic::without_location(
        Severity::Error,
        Code::InvalidVariable,
        format!("`--var {name}=…`: `{name}` is not a valid variable name"),
    )
    .with_help(NAME_HELP)
}

/// The same variable declared twice.
pub(crate) fn duplicate_variable(
    file: &SourceFile,
    span: Span,
    name: &str,
    first_file: &SourceFile,
    first_span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateVariable,
        file,
        span,
        format!("variable `{name}` is declared twice"),
    )
    .with_help("declare each variable once; environment files and `--var` override it")
    .with_related(Diagnostic::note(first_file, first_span, "first declared here"))
}

/// `--var NAME=…` for a variable no `variables:` section declares.
pub(crate) fn undeclared_variable_flag(name: &str, suggestions: &[String]) -> Diagnostic {
    let declare = format!("declare `{name}` in a `variables:` section, with its default");
    let help = match did_you_mean(suggestions, |s| format!("--var {s}=…")) {
        Some(hint) => format!("{hint} To set `{name}` itself, {declare}"),
        None => format!("to set it, {declare}"),
    };
    Diagnostic::without_location(
        Severity::Error,
        Code::UndeclaredVariable,
        format!("`--var {name}=…` sets `{name}`, which no `variables:` section declares"),
    )
    .with_help(help)
}

/// A variable file's entry for a variable no `variables:` section declares: a warning, as a
/// variable file may be shared by several specs.
pub(crate) fn undeclared_variable_in_file(
    file: &SourceFile,
    span: Span,
    name: &str,
    suggestions: &[String],
) -> Diagnostic {
    let declare = "the value is ignored until a `variables:` section declares it";
    let help = match did_you_mean(suggestions, str::to_owned) {
        Some(hint) => format!("{hint} {declare}"),
        None => declare.to_owned(),
    };
    Diagnostic::warning(
        Code::UndeclaredVariable,
        file,
        span,
        format!("`{name}` is not a declared variable"),
    )
    .with_label("not declared")
    .with_help(help)
}

/// A `--var` value that cannot be read.
pub(crate) fn invalid_variable_flag_value(name: &str, problem: &str) -> Diagnostic {
    Diagnostic::without_location(
        Severity::Error,
        Code::InvalidVariable,
        format!("`--var {name}=…`: {problem}"),
    )
    .with_help("values are YAML scalars: `true`, `20`, text; quote text that reads as another type: `--var 'name=\"true\"'`")
}

/// A variable file (`--var-file`) that is not a mapping of variables.
pub(crate) fn variable_file_not_a_mapping(
    file: &SourceFile,
    root: &crate::yaml::Node,
) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidVariable,
        file,
        root.span,
        format!("a variable file must be a mapping of variables, found {}", root.type_name()),
    )
    .with_help("for example `region_label: eu` and `paused: true`, one variable per line")
}
