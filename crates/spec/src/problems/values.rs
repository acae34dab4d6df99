//! Problems met turning one YAML value into a body value: tags, numbers, placeholders,
//! environment variables, secrets and masks.

use flowform_model::{Address, DataAddress, MASK};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::options::SecretPolicy;
use crate::scalar::NumberError;
use crate::source::{SourceFile, Span};
use crate::suggest::did_you_mean;

/// A `!!bool` tag on text that is not a boolean.
pub(crate) fn tagged_not_a_boolean(file: &SourceFile, span: Span, text: &str) -> Diagnostic {
    Diagnostic::error(Code::UnsupportedYaml, file, span, format!("`{text}` is not a boolean"))
        .with_help("write `true` or `false`")
}

/// A `!!int` or `!!float` tag on text that is not a number.
pub(crate) fn tagged_not_a_number(file: &SourceFile, span: Span, text: &str) -> Diagnostic {
    Diagnostic::error(Code::UnsupportedYaml, file, span, format!("`{text}` is not a number"))
        .with_help("remove the tag or write a number")
}

/// A `!!binary` value.
pub(crate) fn binary_value(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::UnsupportedYaml,
        file,
        span,
        "binary values (`!!binary`) cannot be written in a JSON body",
    )
    .with_help("remove the tag to keep the base64 text as a string")
}

/// Any other YAML tag, on a scalar or a collection.
pub(crate) fn unsupported_tag(file: &SourceFile, span: Span, tag: &str) -> Diagnostic {
    Diagnostic::error(
        Code::UnsupportedYaml,
        file,
        span,
        format!("YAML tag `{tag}` is not supported; a resource body is JSON"),
    )
    .with_help("remove the tag")
}

/// A number JSON cannot hold exactly.
pub(crate) fn invalid_number(
    file: &SourceFile,
    span: Span,
    text: &str,
    error: NumberError,
) -> Diagnostic {
    let message = match error {
        NumberError::OutOfRange => format!("the integer `{text}` does not fit in 64 bits"),
        NumberError::NotFinite => {
            format!("`{text}` is not a finite number, and JSON has no infinity or NaN")
        }
    };
    Diagnostic::error(Code::InvalidNumber, file, span, message)
        .with_help(format!("quote it to keep it as a string: `\"{text}\"`"))
}

/// A `${…}` that is not one of the known forms.
pub(crate) fn invalid_placeholder(
    file: &SourceFile,
    at: Span,
    message: String,
    help: String,
) -> Diagnostic {
    Diagnostic::error(Code::InvalidPlaceholder, file, at, message).with_help(help)
}

/// A reference inside a longer string.
pub(crate) fn reference_in_string(
    file: &SourceFile,
    at: Span,
    raw: &str,
    address: &Address,
) -> Diagnostic {
    Diagnostic::error(
        Code::ReferenceInString,
        file,
        at,
        format!("the reference `{raw}` is inside a longer string"),
    )
    .with_label("reference")
    .with_help(format!(
        "a reference resolves to the `_id` of `{address}` and must be the whole value, such as \
         `_flowId: {raw}`; write `$${{` for a literal `${{`"
    ))
}

/// `${data.KIND.KEY}` inside a longer string.
pub(crate) fn lookup_in_string(
    file: &SourceFile,
    at: Span,
    raw: &str,
    address: &DataAddress,
) -> Diagnostic {
    Diagnostic::error(
        Code::ReferenceInString,
        file,
        at,
        format!("the lookup `{raw}` is inside a longer string"),
    )
    .with_label("lookup")
    .with_help(format!(
        "a lookup resolves to the `_id` of what `{address}` finds and must be the whole value, \
         such as `_agentId: {raw}`; write `$${{` for a literal `${{`"
    ))
}

/// A reference, lookup or secret in a `data:` lookup's criterion.
pub(crate) fn criterion_holds(file: &SourceFile, at: Span, raw: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidLookup,
        file,
        at,
        format!("a lookup's criterion cannot hold `{raw}`"),
    )
    .with_help(
        "criteria are plain values, `${var.NAME}` or `${env.NAME}`: a lookup is resolved \
         against the account before anything else",
    )
}

/// `${env.NAME}` whose variable is unset and has no default.
pub(crate) fn missing_environment_variable(file: &SourceFile, at: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::MissingEnvironmentVariable,
        file,
        at,
        format!("environment variable `{name}` is not set"),
    )
    .with_help(format!("set `{name}`, or give a default: `${{env.{name}:-default}}`"))
}

/// `${env.NAME}` whose value is not UTF-8.
pub(crate) fn environment_variable_not_unicode(
    file: &SourceFile,
    at: Span,
    name: &str,
) -> Diagnostic {
    Diagnostic::error(
        Code::MissingEnvironmentVariable,
        file,
        at,
        format!("environment variable `{name}` is not valid UTF-8"),
    )
}

/// A secret whose environment variable holds the API's mask.
pub(crate) fn secret_is_mask(file: &SourceFile, at: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::MaskedValue,
        file,
        at,
        format!("secret `{name}` holds the API's mask `{MASK}`, not a credential"),
    )
    .with_help(format!(
        "set `{name}` to the real value; flowform never writes a mask back as a credential"
    ))
}

/// A secret whose environment variable is unset: a warning offline, an error when it is
/// needed.
pub(crate) fn missing_secret(
    file: &SourceFile,
    at: Span,
    name: &str,
    policy: SecretPolicy,
) -> Diagnostic {
    let (severity, help) = match policy {
        SecretPolicy::Offline => (
            Severity::Warning,
            format!(
                "`validate` checks offline; `plan` and `apply` need the environment variable \
                 `{name}`"
            ),
        ),
        SecretPolicy::Required => {
            (Severity::Error, format!("set the environment variable `{name}`"))
        }
    };
    Diagnostic::at(severity, Code::MissingSecret, file, at, format!("secret `{name}` is not set"))
        .with_help(help)
}

/// A secret whose environment variable is set but empty (as GitHub Actions passes a secret it
/// does not have): a warning offline, an error when it is needed.
pub(crate) fn empty_secret(
    file: &SourceFile,
    at: Span,
    name: &str,
    policy: SecretPolicy,
) -> Diagnostic {
    let severity = match policy {
        SecretPolicy::Offline => Severity::Warning,
        SecretPolicy::Required => Severity::Error,
    };
    Diagnostic::at(severity, Code::EmptySecret, file, at, format!("secret `{name}` is empty"))
        .with_help(format!(
            "the environment variable `{name}` is set to an empty value; set it to the secret (in \
             CI, check that the secret exists and is passed to the job)"
        ))
}

/// A secret whose environment variable is not UTF-8.
pub(crate) fn secret_not_unicode(file: &SourceFile, at: Span, name: &str) -> Diagnostic {
    Diagnostic::error(Code::MissingSecret, file, at, format!("secret `{name}` is not valid UTF-8"))
}

/// A value equal to the API's mask.
pub(crate) fn masked_value(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::MaskedValue,
        file,
        span,
        format!("`{MASK}` is the API's mask for a hidden secret, not a value"),
    )
    .with_label("masked value")
    .with_help(
        "write the secret as `${secret.NAME}` and set the environment variable NAME; flowform \
         never writes a mask back as a credential",
    )
}

/// `${var.NAME}` with no value anywhere.
pub(crate) fn unresolved_variable(
    file: &SourceFile,
    at: Span,
    name: &str,
    suggestions: &[String],
) -> Diagnostic {
    let mut help = format!(
        "declare it under `variables:`, in the environment file, or pass `--var {name}=VALUE`"
    );
    if let Some(hint) = did_you_mean(suggestions, |s| format!("${{var.{s}}}")) {
        help = format!("{hint} {help}");
    }
    Diagnostic::error(Code::UnresolvedVariable, file, at, format!("variable `{name}` has no value"))
        .with_help(help)
}
