//! The `${…}` placeholders inside strings: references, variables, environment variables and
//! secrets, and the `$${` escape.

use flowform_model::{Address, DataAddress, Kind, LookupKind, validate_key};

use crate::suggest::closest;

/// One `${…}` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placeholder {
    /// `${KIND.KEY}`.
    Reference(Address),
    /// `${data.KIND.KEY}`: what a `data:` lookup finds.
    Lookup(DataAddress),
    /// `${var.NAME}`.
    Variable(String),
    /// `${env.NAME}` or `${env.NAME:-default}`.
    Environment { name: String, default: Option<String> },
    /// `${secret.NAME}`.
    Secret(String),
}

/// A piece of a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Literal text (`$${` already turned into `${`).
    Text(&'a str),
    /// A placeholder, with its text as written (`${var.host}`).
    Placeholder { placeholder: Placeholder, raw: &'a str },
}

/// A `${…}` that is not one of the known forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlaceholderError {
    /// The placeholder as written (up to the end of the string when it is not closed).
    pub raw: String,
    pub message: String,
    pub help: String,
}

const FORMS_HELP: &str = "placeholders are `${KIND.KEY}` (KIND one of integration, iclient, \
                          connection, script, filedefinition, ediprofile, lookupcache, export, \
                          import, asynchelper, flow), `${data.KIND.KEY}` (a `data:` lookup), \
                          `${var.NAME}`, `${env.NAME}`, `${env.NAME:-default}` and \
                          `${secret.NAME}`; write `$${` for a literal `${`";

/// Whether the text may hold a placeholder or an escape, so that the cheap path can skip it.
pub(crate) fn may_have_placeholders(text: &str) -> bool {
    text.contains("${")
}

/// Splits a string into literal text and placeholders.
pub(crate) fn split(text: &str) -> Result<Vec<Piece<'_>>, PlaceholderError> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        let after = &rest[dollar..];
        if after.starts_with("$${") {
            // The escape keeps one `$` and the brace: `$${x}` is the literal text `${x}`.
            pieces.push(Piece::Text(&rest[..dollar]));
            pieces.push(Piece::Text("${"));
            rest = &rest[dollar + 3..];
        } else if after.starts_with("${") {
            pieces.push(Piece::Text(&rest[..dollar]));
            let Some(close) = after.find('}') else {
                return Err(PlaceholderError {
                    raw: after.to_owned(),
                    message: format!("`{after}` is not closed with `}}`"),
                    help: FORMS_HELP.to_owned(),
                });
            };
            let raw = &after[..=close];
            let placeholder = classify(&after[2..close], raw)?;
            pieces.push(Piece::Placeholder { placeholder, raw });
            rest = &after[close + 1..];
        } else {
            pieces.push(Piece::Text(&rest[..=dollar]));
            rest = &rest[dollar + 1..];
        }
    }
    pieces.push(Piece::Text(rest));
    pieces.retain(|piece| !matches!(piece, Piece::Text("")));
    Ok(pieces)
}

fn classify(inner: &str, raw: &str) -> Result<Placeholder, PlaceholderError> {
    let error =
        |message: String, help: String| PlaceholderError { raw: raw.to_owned(), message, help };
    let Some((namespace, rest)) = inner.split_once('.') else {
        return Err(error(format!("unknown placeholder `{raw}`"), FORMS_HELP.to_owned()));
    };
    match namespace {
        "var" => {
            if is_variable_name(rest) {
                Ok(Placeholder::Variable(rest.to_owned()))
            } else {
                Err(error(
                    format!("`{rest}` in `{raw}` is not a valid variable name"),
                    "variable names are letters, digits, `_` and `-`, starting with a letter or `_`"
                        .to_owned(),
                ))
            }
        }
        "env" => {
            let (name, default) = match rest.split_once(":-") {
                Some((name, default)) => (name, Some(default.to_owned())),
                None => (rest, None),
            };
            if is_environment_name(name) {
                Ok(Placeholder::Environment { name: name.to_owned(), default })
            } else {
                Err(error(
                    format!("`{name}` in `{raw}` is not a valid environment variable name"),
                    "environment variable names are letters, digits and `_`, starting with a \
                     letter or `_`; a default is written `${env.NAME:-default}`"
                        .to_owned(),
                ))
            }
        }
        "data" => {
            let lookup_help = || {
                format!(
                    "a lookup is `${{data.KIND.KEY}}`, KIND one of {}, KEY as written under \
                     `data: {{KINDS: {{KEY: …}}}}`",
                    LookupKind::all().map(LookupKind::singular).collect::<Vec<_>>().join(", ")
                )
            };
            let Some((kind, key)) = rest.split_once('.') else {
                return Err(error(format!("unknown placeholder `{raw}`"), lookup_help()));
            };
            let Some(lookup_kind) = LookupKind::from_singular(kind) else {
                let help = match LookupKind::from_plural(kind) {
                    Some(plural) => format!(
                        "lookups use the singular kind: `${{data.{}.{key}}}`",
                        plural.singular()
                    ),
                    None => lookup_help(),
                };
                return Err(error(format!("unknown placeholder `{raw}`"), help));
            };
            match validate_key(key) {
                Ok(()) => Ok(Placeholder::Lookup(DataAddress::new(lookup_kind, key))),
                Err(key_error) => {
                    Err(error(format!("invalid lookup `{raw}`: {key_error}"), lookup_help()))
                }
            }
        }
        "secret" => {
            if is_environment_name(rest) {
                Ok(Placeholder::Secret(rest.to_owned()))
            } else {
                Err(error(
                    format!("`{rest}` in `{raw}` is not a valid secret name"),
                    "a secret is read from the environment variable of the same name: letters, \
                     digits and `_`, starting with a letter or `_`"
                        .to_owned(),
                ))
            }
        }
        _ => {
            if let Some(kind) = Kind::from_singular(namespace) {
                return match validate_key(rest) {
                    Ok(()) => Ok(Placeholder::Reference(Address::new(kind, rest))),
                    Err(key_error) => Err(error(
                        format!("invalid reference `{raw}`: {key_error}"),
                        "a reference is `${KIND.KEY}` with the key as written in the spec"
                            .to_owned(),
                    )),
                };
            }
            if let Some(kind) = Kind::from_plural(namespace) {
                return Err(error(
                    format!("unknown placeholder `{raw}`"),
                    format!("references use the singular kind: `${{{}.{rest}}}`", kind.singular()),
                ));
            }
            let namespaces = ["var", "env", "secret", "data"]
                .into_iter()
                .chain(Kind::ALL.iter().map(|kind| kind.singular()));
            let help = match closest(namespace, namespaces).first() {
                Some(best) => format!("did you mean `${{{best}.{rest}}}`? {FORMS_HELP}"),
                None => FORMS_HELP.to_owned(),
            };
            Err(error(format!("unknown placeholder `{raw}`"), help))
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_-]*`, at most 64 characters.
pub(crate) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(first) if first.is_ascii_alphabetic() || first == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `[A-Za-z_][A-Za-z0-9_]*`, as POSIX shells name environment variables.
pub(crate) fn is_environment_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(first) if first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_placeholders_and_escapes() {
        let pieces = split("https://${var.host}/api?x=$${literal}&c=$5 {{timestamp}}").unwrap();
        assert_eq!(
            pieces,
            vec![
                Piece::Text("https://"),
                Piece::Placeholder {
                    placeholder: Placeholder::Variable("host".into()),
                    raw: "${var.host}"
                },
                Piece::Text("/api?x="),
                Piece::Text("${"),
                Piece::Text("literal}&c=$"),
                Piece::Text("5 {{timestamp}}"),
            ]
        );
        assert_eq!(
            split("${env.HOME:-/root}").unwrap(),
            vec![Piece::Placeholder {
                placeholder: Placeholder::Environment {
                    name: "HOME".into(),
                    default: Some("/root".into())
                },
                raw: "${env.HOME:-/root}"
            }]
        );
        assert_eq!(
            split("${flow.nightly-sync}").unwrap(),
            vec![Piece::Placeholder {
                placeholder: Placeholder::Reference(Address::new(Kind::Flow, "nightly-sync")),
                raw: "${flow.nightly-sync}"
            }]
        );
    }

    #[test]
    fn rejects_unknown_forms() {
        assert!(split("${var.host").unwrap_err().message.contains("not closed"));
        let error = split("${flows.x}").unwrap_err();
        assert!(error.help.contains("`${flow.x}`"), "{error:?}");
        let error = split("${secrets.TOKEN}").unwrap_err();
        assert!(error.help.contains("did you mean `${secret.TOKEN}`"), "{error:?}");
        assert!(split("${flow.Bad}").is_err());
        assert!(split("${plain}").is_err());
        assert!(split("${env.A-B}").is_err());
    }
}
