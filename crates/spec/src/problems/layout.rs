//! Problems with a file's layout (sections, keys, duplicates) and with environment files.

use std::path::Path;

use flowform_model::{Address, Kind};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::Node;

/// The top-level sections of a spec file.
pub(crate) const SECTIONS: [&str; 14] = [
    "integrations",
    "iclients",
    "connections",
    "scripts",
    "filedefinitions",
    "ediprofiles",
    "lookupcaches",
    "exports",
    "imports",
    "asynchelpers",
    "flows",
    "variables",
    "moved",
    "data",
];

/// A file whose root is not a mapping.
pub(crate) fn file_not_a_mapping(file: &SourceFile, root: &Node) -> Diagnostic {
    Diagnostic::error(
        Code::NotAMapping,
        file,
        root.span,
        format!("a spec file must be a mapping of sections, found {}", root.type_name()),
    )
    .with_help("start with a section such as `flows:` or `connections:`")
}

/// A section (`what` names it, in backticks) that is not a mapping of keys.
pub(crate) fn section_not_a_mapping(file: &SourceFile, node: &Node, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::NotAMapping,
        file,
        node.span,
        format!("{what} must be a mapping of keys, found {}", node.type_name()),
    )
}

/// A top-level key that is no section.
pub(crate) fn unknown_section(file: &SourceFile, span: Span, name: &str) -> Diagnostic {
    let help = match Kind::from_singular(name) {
        Some(kind) => format!("sections are plural: `{}:`", kind.plural()),
        None => did_you_mean(&closest(name, SECTIONS), str::to_owned).unwrap_or_else(|| {
            format!("a spec file has the sections {}", super::quoted_list(&SECTIONS))
        }),
    };
    Diagnostic::error(Code::UnknownSection, file, span, format!("unknown section `{name}`"))
        .with_label("unknown section")
        .with_help(help)
}

/// A resource key that is not valid; `error` says why, `suggestion` is a valid spelling.
pub(crate) fn invalid_key(
    file: &SourceFile,
    span: Span,
    error: String,
    suggestion: Option<String>,
) -> Diagnostic {
    Diagnostic::error(Code::InvalidKey, file, span, error).with_label("invalid key").with_help(
        format!(
            "keys are lowercase letters, digits, `_` and `-`, starting with a letter or digit, at \
             most 63 characters{}",
            suggestion.map(|key| format!(", such as `{key}`")).unwrap_or_default()
        ),
    )
}

/// The same address declared twice.
pub(crate) fn duplicate_key(
    file: &SourceFile,
    span: Span,
    address: &Address,
    first_file: &SourceFile,
    first_span: Span,
) -> Diagnostic {
    Diagnostic::error(Code::DuplicateKey, file, span, format!("`{address}` is declared twice"))
        .with_label("second declaration")
        .with_help("keys are unique per kind across all files; rename one")
        .with_related(Diagnostic::note(
            first_file,
            first_span,
            format!("`{address}` is first declared here"),
        ))
}

/// A resource body that is not a mapping.
pub(crate) fn body_not_a_mapping(file: &SourceFile, node: &Node, address: &Address) -> Diagnostic {
    Diagnostic::error(
        Code::NotAMapping,
        file,
        node.span,
        format!("the body of `{address}` must be a mapping, found {}", node.type_name()),
    )
    .with_help("write the resource's fields under its key, such as `name: …`")
}

/// `--env NAME` with a name that is not an environment name.
pub(crate) fn invalid_environment_name(name: &str) -> Diagnostic {
    Diagnostic::without_location(
        Severity::Error,
        Code::Environment,
        format!("`{name}` is not a valid environment name"),
    )
    .with_help("environment names are letters, digits, `_` and `-`, such as `prod`")
}

/// `--env NAME` with no file; `available` are the environments that exist.
pub(crate) fn missing_environment(
    directory: &Path,
    name: &str,
    available: &[String],
) -> Diagnostic {
    let help =
        match did_you_mean(&closest(name, available.iter().map(String::as_str)), str::to_owned) {
            Some(hint) => hint,
            None if available.is_empty() => {
                format!(
                    "create `{}` with a `variables:` mapping",
                    directory.join(format!("{name}.yaml")).display()
                )
            }
            None => format!("available environments: {}", available.join(", ")),
        };
    Diagnostic::without_location(
        Severity::Error,
        Code::Environment,
        format!(
            "environment `{name}` has no file: `{}` does not exist",
            directory.join(format!("{name}.yaml")).display()
        ),
    )
    .with_help(help)
}

/// An environment file whose root is not a mapping.
pub(crate) fn environment_not_a_mapping(file: &SourceFile, root: &Node) -> Diagnostic {
    Diagnostic::error(
        Code::Environment,
        file,
        root.span,
        format!("an environment file must be a mapping, found {}", root.type_name()),
    )
    .with_help("for example `variables: {host: api.example.com}` and `region: eu`")
}

/// An environment setting whose value is not text; `what` says what it must be.
pub(crate) fn environment_setting_not_text(
    file: &SourceFile,
    span: Span,
    key: &str,
    what: &str,
) -> Diagnostic {
    Diagnostic::error(Code::Environment, file, span, format!("`{key}` must be {what}"))
}

/// An environment `region` that is not a region.
pub(crate) fn invalid_region(file: &SourceFile, span: Span, error: String) -> Diagnostic {
    Diagnostic::error(Code::Environment, file, span, error)
}

/// An unknown key in an environment file; `keys` are the known ones.
pub(crate) fn unknown_environment_setting(
    file: &SourceFile,
    span: Span,
    name: &str,
    keys: &[&str],
) -> Diagnostic {
    let help =
        did_you_mean(&closest(name, keys.iter().copied()), str::to_owned).unwrap_or_else(|| {
            "an environment file holds `variables`, `endpoint`, `region` and `state`".to_owned()
        });
    Diagnostic::error(
        Code::Environment,
        file,
        span,
        format!("unknown environment setting `{name}`"),
    )
    .with_help(help)
}

/// An environment file with both `endpoint` and `region`.
pub(crate) fn endpoint_and_region(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Environment,
        file,
        span,
        "an environment sets `endpoint` or `region`, not both",
    )
    .with_help("`region` picks a Celigo data center; `endpoint` names a URL directly")
}
