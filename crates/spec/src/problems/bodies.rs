//! Problems with resource bodies: server-owned and unknown fields, and scripts' `contentFile`.

use flowform_model::Kind;

use crate::diagnostic::{Code, Diagnostic};
use crate::limits::MAX_CONTENT_FILE_BYTES;
use crate::source::{SourceFile, Span};
use crate::suggest::did_you_mean;

/// A field the server owns.
pub(crate) fn server_owned_field(file: &SourceFile, span: Span, field: &str) -> Diagnostic {
    Diagnostic::error(
        Code::ServerOwnedField,
        file,
        span,
        format!("`{field}` is owned by the server and cannot be set in a spec"),
    )
    .with_label("server-owned")
    .with_help("remove it: integrator.io sets it, and flowform tracks ids in its state")
}

/// A top-level field Celigo's schemas do not list for the kind.
pub(crate) fn unknown_field(
    file: &SourceFile,
    span: Span,
    kind: Kind,
    field: &str,
    suggestions: &[String],
) -> Diagnostic {
    let suggestion = did_you_mean(suggestions, str::to_owned);
    let note =
        format!("Celigo's schemas do not list `{field}` for {}s; it is sent as written", kind);
    Diagnostic::warning(Code::UnknownField, file, span, format!("unknown {} field `{field}`", kind))
        .with_label("unknown field")
        .with_help(match suggestion {
            Some(suggestion) => format!("{suggestion} {note}"),
            None => note,
        })
}

/// A script with both `content` and `contentFile`.
pub(crate) fn content_and_content_file(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::ContentFile,
        file,
        span,
        "a script has `content` or `contentFile`, not both",
    )
    .with_help("keep the script in the file and remove `content`")
}

/// `contentFile` on a kind other than scripts.
pub(crate) fn content_file_not_for_kind(file: &SourceFile, span: Span, kind: Kind) -> Diagnostic {
    Diagnostic::error(
        Code::ContentFile,
        file,
        span,
        format!("`contentFile` is only for scripts, not {}s", kind),
    )
    .with_help("put the code in a script and refer to it with `_scriptId: ${script.KEY}`")
}

/// Why a `contentFile` cannot be read.
pub(crate) enum ContentFileProblem<'a> {
    /// The value is not a path.
    NotAPath,
    /// An absolute path.
    Absolute,
    /// A path that leaves the spec root by `..`; the root is named.
    Escapes(&'a std::path::Path),
    /// The file cannot be read; the OS message, and whether the relative base is worth naming.
    Unreadable { reason: String, relative_to: Option<&'a std::path::Path> },
    /// A symlink out of the spec root.
    SymlinkOut,
    /// Not a regular file.
    NotAFile,
    /// Over the size limit, with the size when known.
    TooLarge(Option<u64>),
    /// Not UTF-8: the offset of the first bad byte.
    NotUtf8(usize),
}

/// A `contentFile` that cannot be used; `text` is the path as written.
pub(crate) fn content_file(
    file: &SourceFile,
    span: Span,
    text: &str,
    problem: ContentFileProblem<'_>,
) -> Diagnostic {
    let error = |message: String| Diagnostic::error(Code::ContentFile, file, span, message);
    match problem {
        ContentFileProblem::NotAPath => {
            error("`contentFile` must be a path, such as `scripts/transform.js`".into())
        }
        ContentFileProblem::Absolute => {
            error(format!("`contentFile` `{text}` is an absolute path"))
                .with_label("absolute path")
                .with_help(
                    "write a path relative to this YAML file that stays inside the spec root",
                )
        }
        ContentFileProblem::Escapes(root) => error(format!(
            "`contentFile` `{text}` escapes the spec root `{}` by `..`",
            root.display()
        ))
        .with_label("outside the spec root")
        .with_help("keep script files inside the spec root, next to the YAML"),
        ContentFileProblem::Unreadable { reason, relative_to } => {
            let diagnostic = error(format!("cannot read `contentFile` `{text}`: {reason}"));
            match relative_to {
                Some(yaml) => {
                    diagnostic.with_help(format!("the path is relative to `{}`", yaml.display()))
                }
                None => diagnostic,
            }
        }
        ContentFileProblem::SymlinkOut => {
            error(format!("`contentFile` `{text}` is a symlink that leads outside the spec root"))
                .with_label("symlink out of the spec root")
                .with_help("copy the script into the spec root instead of linking to it")
        }
        ContentFileProblem::NotAFile => error(format!("`contentFile` `{text}` is not a file")),
        ContentFileProblem::TooLarge(Some(size)) => error(format!(
            "`contentFile` `{text}` is {size} bytes, over the limit of {MAX_CONTENT_FILE_BYTES} \
             bytes (4 MiB) for a script"
        )),
        ContentFileProblem::TooLarge(None) => error(format!(
            "`contentFile` `{text}` is over the limit of {MAX_CONTENT_FILE_BYTES} bytes (4 MiB) \
             for a script"
        )),
        ContentFileProblem::NotUtf8(offset) => {
            error(format!("`contentFile` `{text}` is not UTF-8: invalid byte at offset {offset}"))
                .with_help("save the script as UTF-8")
        }
    }
}
