//! Names for the `${secret.NAME}` placeholders that stand for masked values.

use std::collections::{BTreeMap, HashMap};

use flowform_model::{Address, FieldPath, Segment};

/// A masked value of the account, written as `${secret.NAME}`: the environment variable `name`
/// must hold the real value at plan and apply time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPlaceholder {
    /// The environment variable, such as `CONNECTION_SLACK_TOKEN`.
    pub name: String,
    /// The resource holding the secret.
    pub address: Address,
    /// Where in the resource (`http.auth.token.token`).
    pub path: FieldPath,
}

/// `camelCase`, `kebab-case` and `dotted.names` in upper snake case: `CAMEL_CASE`.
pub(crate) fn upper_snake(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous_lower_or_digit = false;
    for character in text.chars() {
        if character.is_ascii_alphanumeric() {
            if character.is_ascii_uppercase() && previous_lower_or_digit {
                out.push('_');
            }
            out.push(character.to_ascii_uppercase());
            previous_lower_or_digit = character.is_ascii_lowercase() || character.is_ascii_digit();
        } else {
            if !out.ends_with('_') {
                out.push('_');
            }
            previous_lower_or_digit = false;
        }
    }
    out.trim_matches('_').to_owned()
}

fn path_words(path: &FieldPath) -> String {
    let words: Vec<String> = path
        .segments()
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => upper_snake(key),
            Segment::Index(index) => index.to_string(),
            Segment::Keyed(keyed) => upper_snake(&keyed.value),
        })
        .filter(|word| !word.is_empty())
        .collect();
    words.join("_")
}

/// Names every masked path: `KIND_KEY_FIELD` with the last key of the path (`token` in
/// `http.auth.token.token`), or the whole path when two masked paths of the resource share their
/// last key. Names that still collide (keys that differ only in `-` and `_`) get `_2`, `_3`, …
/// in address and path order. The same paths always get the same names.
pub(crate) fn name_secrets(masked: &BTreeMap<Address, Vec<FieldPath>>) -> Vec<SecretPlaceholder> {
    let mut wanted: Vec<(String, &Address, &FieldPath)> = Vec::new();
    for (address, paths) in masked {
        let prefix =
            format!("{}_{}", upper_snake(address.kind.singular()), upper_snake(&address.key));
        let mut last_words: HashMap<String, usize> = HashMap::new();
        for path in paths {
            let last = path.last_key().map(upper_snake).unwrap_or_default();
            *last_words.entry(last).or_default() += 1;
        }
        for path in paths {
            let last = path.last_key().map(upper_snake).unwrap_or_default();
            let tail =
                if last.is_empty() || last_words[&last] > 1 { path_words(path) } else { last };
            let name = if tail.is_empty() {
                format!("{prefix}_SECRET")
            } else {
                format!("{prefix}_{tail}")
            };
            wanted.push((name, address, path));
        }
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (name, _, _) in &wanted {
        *counts.entry(name.clone()).or_default() += 1;
    }
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut placeholders = Vec::with_capacity(wanted.len());
    for (name, address, path) in wanted {
        let name = if counts[&name] > 1 {
            let seen = used.entry(name.clone()).or_default();
            *seen += 1;
            if *seen == 1 { name } else { format!("{name}_{seen}") }
        } else {
            name
        };
        placeholders.push(SecretPlaceholder { name, address: address.clone(), path: path.clone() });
    }
    placeholders
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::Kind;

    #[test]
    fn upper_snake_case() {
        assert_eq!(upper_snake("refreshToken"), "REFRESH_TOKEN");
        assert_eq!(upper_snake("slack-api_v2"), "SLACK_API_V2");
        assert_eq!(upper_snake("secretAccessKey"), "SECRET_ACCESS_KEY");
        assert_eq!(upper_snake("HTTPHeader"), "HTTPHEADER");
        assert_eq!(upper_snake("--a--b--"), "A_B");
    }

    #[test]
    fn names_from_key_and_field() {
        let slack = Address::new(Kind::Connection, "slack-api");
        let slack2 = Address::new(Kind::Connection, "slack_api");
        let hook = Address::new(Kind::Export, "github-hook");
        let mut masked = BTreeMap::new();
        masked.insert(
            slack.clone(),
            vec![
                "http.auth.token.token".parse().unwrap(),
                "http.auth.jwt.token".parse().unwrap(),
                "http.auth.basic.password".parse().unwrap(),
            ],
        );
        masked.insert(slack2.clone(), vec!["http.auth.basic.password".parse().unwrap()]);
        masked.insert(
            hook.clone(),
            vec!["webhook.key".parse().unwrap(), "headers[0].value".parse().unwrap()],
        );
        let names: Vec<(String, String)> = name_secrets(&masked)
            .into_iter()
            .map(|placeholder| {
                (placeholder.name, format!("{} {}", placeholder.address, placeholder.path))
            })
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    "CONNECTION_SLACK_API_HTTP_AUTH_TOKEN_TOKEN".into(),
                    "connection.slack-api http.auth.token.token".into()
                ),
                (
                    "CONNECTION_SLACK_API_HTTP_AUTH_JWT_TOKEN".into(),
                    "connection.slack-api http.auth.jwt.token".into()
                ),
                (
                    "CONNECTION_SLACK_API_PASSWORD".into(),
                    "connection.slack-api http.auth.basic.password".into()
                ),
                (
                    "CONNECTION_SLACK_API_PASSWORD_2".into(),
                    "connection.slack_api http.auth.basic.password".into()
                ),
                ("EXPORT_GITHUB_HOOK_KEY".into(), "export.github-hook webhook.key".into()),
                ("EXPORT_GITHUB_HOOK_VALUE".into(), "export.github-hook headers[0].value".into()),
            ]
        );
    }
}
