//! Problems found checking a body against Celigo's schemas and the API reference: wrong types,
//! values outside an enumeration, values the service rewrites, missing required fields,
//! unknown nested fields, adaptor sections.

use flowform_model::Kind;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::{SourceFile, Span};
use crate::suggest::did_you_mean;

/// "an export", "a flow".
pub(crate) fn with_article(kind: Kind) -> String {
    kind.with_article()
}

/// A value of a type the service cannot store at that place.
pub(crate) fn invalid_type(
    file: &SourceFile,
    span: Span,
    path: &str,
    expected: &str,
    found: &str,
) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidType,
        file,
        span,
        format!("`{path}` must be {expected}, found {found}"),
    )
    .with_label(format!("expected {expected}"))
    .with_help(format!(
        "Celigo's schemas describe `{path}` as {expected}; integrator.io refuses the document \
             otherwise"
    ))
}

/// A value whose type is not the one the schemas describe, but which the service may take (a
/// fraction for a whole number; a sequence where the schemas describe a mapping, which real
/// documents show they sometimes get wrong).
pub(crate) fn unexpected_scalar(
    file: &SourceFile,
    span: Span,
    path: &str,
    expected: &str,
    found: &str,
) -> Diagnostic {
    Diagnostic::warning(
        Code::InvalidType,
        file,
        span,
        format!("`{path}` should be {expected}, found {found}"),
    )
    .with_label(format!("expected {expected}"))
    .with_help(format!("Celigo's schemas describe `{path}` as {expected}"))
}

/// A value the service stores in another form; `canonical` is that form, as JSON.
pub(crate) fn rewritten_value(
    file: &SourceFile,
    span: Span,
    path: &str,
    written: &str,
    canonical: &str,
    why: &str,
) -> Diagnostic {
    Diagnostic::warning(
        Code::RewrittenValue,
        file,
        span,
        format!("integrator.io stores `{path}: {written}` as `{canonical}`"),
    )
    .with_label(format!("stored as `{canonical}`"))
    .with_help(format!(
        "{why}; write `{canonical}` so the spec says what the account will hold (plans read \
         both forms as the same value)"
    ))
}

/// A mapping where the service keeps a list of mappings. Whether the service would store a list
/// of that one mapping or refuse the document is not documented (`docs/fidelity.md`, open
/// questions), so it is an error: nothing is written that might be refused halfway.
pub(crate) fn wrapped_in_list(file: &SourceFile, span: Span, path: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidType,
        file,
        span,
        format!("`{path}` is a mapping where integrator.io keeps a list of them"),
    )
    .with_label("a list of mappings belongs here")
    .with_help(
        "write it as a list (`- …` before the mapping's first key); whether the service would \
         take a single mapping as a list of one or refuse the document is not documented",
    )
}

/// A string outside the field's enumeration; `values` are the listed ones. `enforced`: the API
/// refuses any other value (an error); otherwise the schemas' list may not be complete (a
/// warning).
pub(crate) fn not_one_of(
    file: &SourceFile,
    span: Span,
    path: &str,
    value: &str,
    values: &[String],
    suggestions: &[String],
    enforced: bool,
) -> Diagnostic {
    let listed = if values.len() <= 16 {
        format!(
            "`{path}` is one of {}",
            values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
        )
    } else {
        format!("`{path}` takes {} values listed in Celigo's schemas", values.len())
    };
    let help = match did_you_mean(suggestions, str::to_owned) {
        Some(hint) => format!("{hint} {listed} (case matters)"),
        None => format!("{listed} (case matters)"),
    };
    if enforced {
        Diagnostic::error(
            Code::InvalidValue,
            file,
            span,
            format!("`{value}` is not a valid `{path}`"),
        )
        .with_label("not a valid value")
        .with_help(format!("{help}; integrator.io refuses any other value"))
    } else {
        Diagnostic::warning(
            Code::InvalidValue,
            file,
            span,
            format!("`{value}` is not one of the values Celigo's schemas list for `{path}`"),
        )
        .with_label("not a listed value")
        .with_help(format!("{help}; integrator.io may refuse it"))
    }
}

/// A number or a string outside the field's bounds.
pub(crate) fn out_of_range(file: &SourceFile, span: Span, path: &str, bound: String) -> Diagnostic {
    Diagnostic::warning(Code::OutOfRange, file, span, format!("`{path}` {bound}"))
        .with_label("out of range")
        .with_help("Celigo's schemas give this bound; integrator.io may refuse or clamp the value")
}

/// A required field that is missing. `condition` says when it is required; `error` whether
/// the service is known to refuse the document without it.
pub(crate) fn missing_field(
    file: &SourceFile,
    span: Span,
    severity: Severity,
    path: &str,
    condition: Option<&str>,
    where_: &str,
) -> Diagnostic {
    let message = match condition {
        Some(condition) => format!("`{path}` is required when {condition}"),
        None => format!("`{path}` is required"),
    };
    let help = match severity {
        Severity::Error => format!("add `{path}`; integrator.io refuses {where_} without it"),
        _ => format!(
            "add `{path}`; Celigo's schemas require it, and integrator.io may refuse {where_} \
             without it"
        ),
    };
    Diagnostic::at(severity, Code::MissingField, file, span, message)
        .with_label("missing a required field")
        .with_help(help)
}

/// None of a set of fields of which one is required.
pub(crate) fn missing_one_of(
    file: &SourceFile,
    span: Span,
    severity: Severity,
    paths: &[String],
    condition: Option<&str>,
) -> Diagnostic {
    let names = paths.iter().map(|path| format!("`{path}`")).collect::<Vec<_>>().join(" or ");
    let message = match condition {
        Some(condition) => format!("{names} is required when {condition}"),
        None => format!("{names} is required"),
    };
    Diagnostic::at(severity, Code::MissingField, file, span, message)
        .with_label("missing a required field")
        .with_help("add one of them; Celigo's schemas require one")
}

/// A nested field Celigo's schemas do not list.
pub(crate) fn unknown_nested_field(
    file: &SourceFile,
    span: Span,
    kind: Kind,
    parent: &str,
    field: &str,
    suggestions: &[String],
) -> Diagnostic {
    let note = format!(
        "Celigo's schemas do not list `{field}` in {}'s `{parent}`; it is sent as written",
        with_article(kind)
    );
    Diagnostic::warning(
        Code::UnknownField,
        file,
        span,
        format!("unknown field `{field}` in `{parent}`"),
    )
    .with_label("unknown field")
    .with_help(match did_you_mean(suggestions, str::to_owned) {
        Some(suggestion) => format!("{suggestion} {note}"),
        None => note,
    })
}

/// An adaptor's section on a resource of another adaptor or type.
pub(crate) fn foreign_section(
    file: &SourceFile,
    span: Span,
    section: &str,
    owner: &str,
    discriminator: &str,
    expected: Option<&str>,
) -> Diagnostic {
    let uses = match expected {
        Some(expected) => format!("; it uses `{expected}`"),
        None => String::new(),
    };
    Diagnostic::warning(
        Code::AdaptorSection,
        file,
        span,
        format!("`{section}` does not belong to {owner}"),
    )
    .with_label("another adaptor's section")
    .with_help(format!(
        "the `{section}` section configures another {discriminator}{uses}; remove it or change \
         `{discriminator}`"
    ))
}

/// An `adaptorType` that is not one the API lists.
pub(crate) fn unknown_adaptor(
    file: &SourceFile,
    span: Span,
    severity: Severity,
    kind: Kind,
    value: &str,
    suggestions: &[String],
    known: &[&str],
) -> Diagnostic {
    let listed = format!(
        "{}s take {}",
        kind,
        known.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
    );
    let help = match did_you_mean(suggestions, str::to_owned) {
        Some(hint) => format!("{hint} `adaptorType` is case-sensitive; {listed}"),
        None => listed,
    };
    let message = format!("`{value}` is not {} adaptor type", with_article(kind));
    Diagnostic::at(severity, Code::InvalidValue, file, span, message)
        .with_label("unknown adaptor type")
        .with_help(help)
}

/// A NetSuite connection with `authType: basic`, which the API refuses.
pub(crate) fn netsuite_basic_auth(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        file,
        span,
        "integrator.io refuses NetSuite connections with `authType: basic`",
    )
    .with_label("refused by integrator.io")
    .with_help(
        "NetSuite's web services need token-based authentication: use `authType: token` with \
         `tokenId` and `tokenSecret` (`netsuite_wsdl_tba_mandatory`)",
    )
}

/// A plain value at a write-only path. The value is never part of the message.
pub(crate) fn plain_secret(file: &SourceFile, span: Span, path: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::PlainSecret,
        file,
        span,
        format!("`{path}` is a secret, written here in plain text"),
    )
    .with_label("plain-text secret (value hidden)")
    .with_help(format!(
        "write `${{secret.{name}}}` and set the environment variable `{name}`; a value written \
         in the spec would end up in git, in plans and in pull-request comments"
    ))
}
