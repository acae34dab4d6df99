//! Problems with `moved:` entries.

use flowform_model::Address;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};
use crate::yaml::Node;

fn moved_error(file: &SourceFile, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::Moved, file, span, message)
}

/// A `moved` section that is not a list.
pub(crate) fn moved_not_a_list(file: &SourceFile, node: &Node) -> Diagnostic {
    moved_error(file, node.span, format!("`moved` must be a list, found {}", node.type_name()))
        .with_help("for example `moved: [{from: flow.old-key, to: flow.new-key}]`")
}

/// A `moved` entry that is not a mapping.
pub(crate) fn moved_entry_not_a_mapping(file: &SourceFile, span: Span) -> Diagnostic {
    moved_error(file, span, "a `moved` entry is `{from: ADDRESS, to: ADDRESS}`")
}

/// A field of a `moved` entry other than `from` and `to`.
pub(crate) fn unknown_moved_field(file: &SourceFile, span: Span, field: &str) -> Diagnostic {
    moved_error(file, span, format!("unknown `moved` field `{field}`"))
        .with_help("a `moved` entry has `from` and `to`")
}

/// A move between kinds.
pub(crate) fn moved_across_kinds(
    file: &SourceFile,
    span: Span,
    from: &Address,
    to: &Address,
) -> Diagnostic {
    moved_error(file, span, format!("`{from}` cannot move to `{to}`: a resource keeps its kind"))
        .with_label("different kind")
}

/// A move to the same address.
pub(crate) fn moved_to_itself(file: &SourceFile, span: Span, from: &Address) -> Diagnostic {
    moved_error(file, span, format!("`{from}` moves to itself"))
}

/// A moved address that is still declared.
pub(crate) fn moved_but_declared(file: &SourceFile, span: Span, from: &Address) -> Diagnostic {
    moved_error(file, span, format!("`{from}` is moved but still declared")).with_help(format!(
        "a moved resource leaves its old address: remove `{}` from `{}:`, or remove this entry",
        from.key,
        from.kind.plural()
    ))
}

/// A move target that is not declared.
pub(crate) fn moved_target_undeclared(file: &SourceFile, span: Span, to: &Address) -> Diagnostic {
    moved_error(file, span, format!("`{to}` is the target of a move but is not declared"))
        .with_help(format!("declare `{}` under `{}:`", to.key, to.kind.plural()))
}

/// An address moved twice.
pub(crate) fn moved_twice(
    file: &SourceFile,
    span: Span,
    from: &Address,
    first_file: &SourceFile,
    first_span: Span,
) -> Diagnostic {
    moved_error(file, span, format!("`{from}` is moved twice")).with_related(Diagnostic::note(
        first_file,
        first_span,
        "first moved here",
    ))
}

/// A `moved` entry without `from` or `to`.
pub(crate) fn moved_side_missing(file: &SourceFile, span: Span, name: &str) -> Diagnostic {
    moved_error(file, span, format!("this `moved` entry has no `{name}`"))
}

/// A side of a `moved` entry that is not an address.
pub(crate) fn moved_side_invalid(file: &SourceFile, span: Span, error: String) -> Diagnostic {
    moved_error(file, span, error).with_help("write an address such as `flow.nightly-sync`")
}
