//! Problems finding, reading and parsing spec files.

use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::limits::{MAX_ALIAS_EXPANSION_NODES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES_PER_FILE};
use crate::source::{SourceFile, Span};

/// A path that cannot be read; `reason` is the OS message.
pub(crate) fn unreadable_path(path: &Path, reason: Option<&str>) -> Diagnostic {
    let message = match reason {
        None => format!("`{}` does not exist", path.display()),
        Some(reason) => format!("cannot read `{}`: {reason}", path.display()),
    };
    Diagnostic::without_location(Severity::Error, Code::Io, message)
}

/// A directory given with `-f` that holds no spec file.
pub(crate) fn no_spec_files(directory: &Path) -> Diagnostic {
    Diagnostic::without_location(
        Severity::Error,
        Code::NoSpecFiles,
        format!("no `*.yaml` or `*.yml` files under `{}`", directory.display()),
    )
}

/// A line of `.flowformignore` that is not a valid pattern.
pub(crate) fn invalid_ignore_pattern(file: &SourceFile, span: Span, error: &str) -> Diagnostic {
    Diagnostic::error(
        Code::Io,
        file,
        span,
        format!("invalid pattern in `.flowformignore`: {error}"),
    )
    .with_label("invalid pattern")
    .with_help("`.flowformignore` takes gitignore patterns, such as `docker-compose.yml` or `ci/`")
}

/// A file over the size limit.
pub(crate) fn file_too_large(path: &Path) -> Diagnostic {
    Diagnostic::without_location(
        Severity::Error,
        Code::FileTooLarge,
        format!(
            "`{}` is larger than the limit of {MAX_FILE_BYTES} bytes (16 MiB) for a spec file",
            path.display()
        ),
    )
    .with_file(path)
    .with_help("split the spec into several files")
}

/// A file that is not UTF-8; `source` shows it with the bad bytes replaced.
pub(crate) fn not_utf8(source: &SourceFile, span: Span, valid_up_to: usize) -> Diagnostic {
    Diagnostic::error(
        Code::NotUtf8,
        source,
        span,
        format!("`{}` is not UTF-8: invalid byte at offset {valid_up_to}", source.path.display()),
    )
    .with_label("not UTF-8")
    .with_help("save the file as UTF-8")
}

/// A file with no YAML document at all.
pub(crate) fn no_document(file: &SourceFile) -> Diagnostic {
    Diagnostic::error(Code::EmptyFile, file, Span::new(0, 0), "this file holds no YAML document")
        .with_help(
            "a spec file is a mapping of sections such as `flows:`; delete the file or add a \
             section",
        )
}

/// A file whose one document is empty.
pub(crate) fn empty_document(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(Code::EmptyFile, file, span, "this file holds an empty document").with_help(
        "a spec file is a mapping of sections such as `flows:`; delete the file or add a section",
    )
}

/// A second YAML document in one file.
pub(crate) fn multiple_documents(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::MultipleDocuments,
        file,
        span,
        "a spec file holds one YAML document, this is a second one",
    )
    .with_label("second document starts here")
    .with_help("split the documents into separate files")
}

/// A YAML syntax error, with a hint when one can be judged from the line.
pub(crate) fn invalid_yaml(
    file: &SourceFile,
    span: Span,
    info: &str,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::error(Code::Yaml, file, span, format!("invalid YAML: {info}"))
        .with_label("here")
        .with_optional_help(help)
}

/// An alias to an anchor that does not exist.
pub(crate) fn unknown_anchor(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(Code::Yaml, file, span, "invalid YAML: alias to an unknown anchor")
}

/// Aliases that expand past the budget.
pub(crate) fn alias_limit(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::AliasLimit,
        file,
        span,
        format!("aliases in this file expand to more than {MAX_ALIAS_EXPANSION_NODES} nodes"),
    )
    .with_label("this alias goes over the limit")
    .with_help("this looks like an alias bomb; write the values out or use fewer nested aliases")
}

/// A file with more nodes than the limit.
pub(crate) fn too_many_nodes(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooManyNodes,
        file,
        span,
        format!("this file has more than {MAX_NODES_PER_FILE} YAML nodes"),
    )
    .with_help("split the spec into several files")
}

/// Nesting deeper than the limit.
pub(crate) fn too_deep(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        file,
        span,
        format!("nesting is deeper than the limit of {MAX_DEPTH} levels"),
    )
    .with_label("too deep here")
}

/// The same key twice in one mapping.
pub(crate) fn duplicate_mapping_key(
    file: &SourceFile,
    span: Span,
    key: &str,
    first: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateMappingKey,
        file,
        span,
        format!("duplicate key `{key}` in this mapping"),
    )
    .with_label("duplicate key")
    .with_help("a mapping holds each key once; remove or rename one")
    .with_related(Diagnostic::note(file, first, format!("`{key}` is first written here")))
}

/// A YAML merge key (`<<`).
pub(crate) fn merge_key(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(Code::UnsupportedYaml, file, span, "YAML merge keys (`<<`) are not supported")
        .with_help("write the fields out, or share values with `variables:`")
}

/// A mapping key that is a collection.
pub(crate) fn complex_key(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::UnsupportedYaml,
        file,
        span,
        "a mapping key must be a scalar; JSON objects only have string keys",
    )
    .with_label("complex key")
}
