//! Problems with `lifecycle:` blocks.

use flowform_model::{Address, Kind};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::Node;

/// The settings a `lifecycle` block takes.
pub(crate) const LIFECYCLE_KEYS: [&str; 5] =
    ["cloneFrom", "connectionMap", "preventDestroy", "ignoreChanges", "adopt"];

fn lifecycle_error(file: &SourceFile, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::Lifecycle, file, span, message)
}

/// A `lifecycle` that is not a mapping.
pub(crate) fn lifecycle_not_a_mapping(file: &SourceFile, node: &Node) -> Diagnostic {
    lifecycle_error(
        file,
        node.span,
        format!("`lifecycle` must be a mapping, found {}", node.type_name()),
    )
    .with_help("for example `lifecycle: {preventDestroy: true}`")
}

/// `cloneFrom` on a kind that cannot be cloned.
pub(crate) fn clone_not_available(file: &SourceFile, span: Span, kind: Kind) -> Diagnostic {
    lifecycle_error(file, span, format!("`cloneFrom` is not available for {kind}s"))
        .with_help("flows, exports, imports and integrations can be cloned")
}

/// `cloneFrom` naming the resource itself.
pub(crate) fn clone_from_itself(file: &SourceFile, span: Span, address: &Address) -> Diagnostic {
    lifecycle_error(file, span, format!("`{address}` cannot be cloned from itself"))
}

/// `cloneFrom` that is neither a reference nor an id.
pub(crate) fn clone_from_not_a_reference(file: &SourceFile, span: Span, kind: Kind) -> Diagnostic {
    lifecycle_error(file, span, "`cloneFrom` must be a reference or a 24-hex id")
        .with_help(format!("for example `cloneFrom: ${{{}.KEY}}`", kind.singular()))
}

/// `preventDestroy` or `adopt` that is not a boolean.
pub(crate) fn lifecycle_flag_not_boolean(file: &SourceFile, span: Span, key: &str) -> Diagnostic {
    lifecycle_error(file, span, format!("`{key}` must be `true` or `false`"))
}

/// An unknown `lifecycle` setting.
pub(crate) fn unknown_lifecycle_setting(file: &SourceFile, span: Span, name: &str) -> Diagnostic {
    let help = did_you_mean(&closest(name, LIFECYCLE_KEYS), str::to_owned)
        .unwrap_or_else(|| format!("`lifecycle` takes {}", super::quoted_list(&LIFECYCLE_KEYS)));
    lifecycle_error(file, span, format!("unknown lifecycle setting `{name}`")).with_help(help)
}

/// `connectionMap` without `cloneFrom`.
pub(crate) fn connection_map_without_clone(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::warning(
        Code::Lifecycle,
        file,
        span,
        "`connectionMap` has no effect without `cloneFrom`",
    )
    .with_help("add `cloneFrom`, or remove `connectionMap`")
}

/// A side of a `connectionMap` entry that is not a connection.
pub(crate) fn connection_map_side(file: &SourceFile, span: Span) -> Diagnostic {
    lifecycle_error(
        file,
        span,
        "a `connectionMap` entry maps a connection to a connection: each side is \
         `${connection.KEY}` or a 24-hex id",
    )
    .with_help("quote references used as keys: `\"${connection.a}\": ${connection.b}`")
}

/// A `connectionMap` that is not a mapping.
pub(crate) fn connection_map_not_a_mapping(file: &SourceFile, node: &Node) -> Diagnostic {
    lifecycle_error(
        file,
        node.span,
        format!("`connectionMap` must be a mapping, found {}", node.type_name()),
    )
    .with_help("for example `connectionMap: {\"${connection.a}\": ${connection.b}}`")
}

/// `ignoreChanges` that is not a list.
pub(crate) fn ignore_changes_not_a_list(file: &SourceFile, node: &Node) -> Diagnostic {
    lifecycle_error(
        file,
        node.span,
        format!("`ignoreChanges` must be a list of paths, found {}", node.type_name()),
    )
    .with_help("for example `ignoreChanges: [schedule, pageGenerators[0].skipRetries]`")
}

/// An `ignoreChanges` entry that is not text.
pub(crate) fn ignore_changes_entry_not_a_path(file: &SourceFile, span: Span) -> Diagnostic {
    lifecycle_error(file, span, "an `ignoreChanges` entry must be a dotted path such as `schedule`")
}

/// An empty `ignoreChanges` path.
pub(crate) fn ignore_changes_empty_path(file: &SourceFile, span: Span) -> Diagnostic {
    lifecycle_error(file, span, "an empty `ignoreChanges` path would ignore the whole resource")
}

/// An `ignoreChanges` path that does not parse.
pub(crate) fn ignore_changes_invalid_path(
    file: &SourceFile,
    span: Span,
    error: String,
) -> Diagnostic {
    lifecycle_error(file, span, error)
        .with_help("paths are dotted keys with `[N]` indexes, such as `http.auth.type`")
}
