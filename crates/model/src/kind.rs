//! Resource kinds, keys and addresses.

use std::fmt;
use std::str::FromStr;

/// The six integrator.io resource kinds flowform manages.
///
/// The order of the variants is the order in which a spec file lists its sections and a plan
/// groups its changes; it is also a valid creation order when no reference says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `/v1/integrations`.
    Integration,
    /// `/v1/connections`.
    Connection,
    /// `/v1/scripts`.
    Script,
    /// `/v1/exports`.
    Export,
    /// `/v1/imports`.
    Import,
    /// `/v1/flows`.
    Flow,
}

impl Kind {
    /// Every kind, in section order.
    pub const ALL: [Kind; 6] =
        [Kind::Integration, Kind::Connection, Kind::Script, Kind::Export, Kind::Import, Kind::Flow];

    /// The singular name used in addresses and references: `flow` in `flow.nightly`.
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Integration => "integration",
            Kind::Connection => "connection",
            Kind::Script => "script",
            Kind::Export => "export",
            Kind::Import => "import",
            Kind::Flow => "flow",
        }
    }

    /// The plural name: the spec section and the API collection (`/v1/flows`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Integration => "integrations",
            Kind::Connection => "connections",
            Kind::Script => "scripts",
            Kind::Export => "exports",
            Kind::Import => "imports",
            Kind::Flow => "flows",
        }
    }

    /// Parses a singular name (`flow`).
    pub fn from_singular(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.singular() == name)
    }

    /// Parses a plural name, as used for spec sections and API collections (`flows`).
    pub fn from_plural(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.plural() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.singular())
    }
}

/// Why a key is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key is empty.
    #[error("a key cannot be empty")]
    Empty,
    /// The key is longer than 63 characters.
    #[error("key `{0}` is longer than 63 characters")]
    TooLong(String),
    /// The key has a character outside `[a-z0-9_-]` or does not start with `[a-z0-9]`.
    #[error("key `{0}` must match `[a-z0-9][a-z0-9_-]{{0,62}}`")]
    Invalid(String),
}

/// Checks a resource key against `[a-z0-9][a-z0-9_-]{0,62}`.
pub fn validate_key(key: &str) -> Result<(), KeyError> {
    let bytes = key.as_bytes();
    let Some(first) = bytes.first() else {
        return Err(KeyError::Empty);
    };
    if bytes.len() > 63 {
        return Err(KeyError::TooLong(key.to_owned()));
    }
    let lower_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !lower_alnum(*first) || !bytes.iter().all(|&b| lower_alnum(b) || b == b'_' || b == b'-') {
        return Err(KeyError::Invalid(key.to_owned()));
    }
    Ok(())
}

/// A resource's address: `KIND.KEY` with the singular kind, such as `flow.github-to-slack`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    /// The resource kind.
    pub kind: Kind,
    /// The resource key, valid per [`validate_key`].
    pub key: String,
}

impl Address {
    /// Builds an address. The key is not validated; use [`Address::from_str`] for user input.
    pub fn new(kind: Kind, key: impl Into<String>) -> Address {
        Address { kind, key: key.into() }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.singular(), self.key)
    }
}

/// Why an address could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// No `.` separates kind and key.
    #[error("address `{0}` must have the form `KIND.KEY`, such as `flow.nightly-sync`")]
    Shape(String),
    /// The kind is not one of the six.
    #[error(
        "unknown kind `{kind}` in address `{address}`; expected one of integration, connection, script, export, import, flow"
    )]
    UnknownKind {
        /// The kind as written.
        kind: String,
        /// The whole address as written.
        address: String,
    },
    /// The key is not valid.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Address, AddressError> {
        let (kind, key) =
            text.split_once('.').ok_or_else(|| AddressError::Shape(text.to_owned()))?;
        let kind = Kind::from_singular(kind).ok_or_else(|| AddressError::UnknownKind {
            kind: kind.to_owned(),
            address: text.to_owned(),
        })?;
        validate_key(key)?;
        Ok(Address::new(kind, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(validate_key("github-to-slack_2").is_ok());
        assert!(validate_key("0abc").is_ok());
        assert_eq!(validate_key(""), Err(KeyError::Empty));
        assert!(matches!(validate_key("-abc"), Err(KeyError::Invalid(_))));
        assert!(matches!(validate_key("Abc"), Err(KeyError::Invalid(_))));
        assert!(matches!(validate_key("a.b"), Err(KeyError::Invalid(_))));
        assert!(validate_key(&"a".repeat(63)).is_ok());
        assert!(matches!(validate_key(&"a".repeat(64)), Err(KeyError::TooLong(_))));
    }

    #[test]
    fn addresses() {
        let address: Address = "flow.nightly".parse().unwrap();
        assert_eq!(address, Address::new(Kind::Flow, "nightly"));
        assert_eq!(address.to_string(), "flow.nightly");
        assert!(matches!(
            "flows.nightly".parse::<Address>(),
            Err(AddressError::UnknownKind { .. })
        ));
        assert!(matches!("flow".parse::<Address>(), Err(AddressError::Shape(_))));
        assert!(matches!("flow.Bad".parse::<Address>(), Err(AddressError::Key(_))));
    }
}
