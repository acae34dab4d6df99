//! Resource kinds, keys and addresses.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The integrator.io resource kinds flowform manages.
///
/// The order of the variants is the order in which a spec file lists its sections and a plan
/// groups its changes; it is also a valid creation order when no reference says otherwise: the
/// official CLI's creation tiers (integrator-api.md §5.10: iClient → script → connection → file
/// definition → EDI profile → lookup cache → export → import → async helper → flow), with
/// integrations first because connections, lookup caches and flows may name one. The
/// back-edges the CLI repairs with a second write (export or import → async helper) are
/// breakable references ([`crate::fields::is_breakable_reference`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `/v1/integrations`.
    Integration,
    /// `/v1/iclients`: OAuth and token apps a connection borrows its credentials from.
    IClient,
    /// `/v1/connections`.
    Connection,
    /// `/v1/scripts`.
    Script,
    /// `/v1/filedefinitions`: parsing and generation rules of structured files (EDI).
    FileDefinition,
    /// `/v1/ediprofiles`: a trading partner's interchange envelopes.
    EdiProfile,
    /// `/v1/lookupcaches`: key-value stores; their data lives beside the document.
    LookupCache,
    /// `/v1/exports`.
    Export,
    /// `/v1/imports`.
    Import,
    /// `/v1/asynchelpers`: how an asynchronous HTTP export or import polls for its result.
    AsyncHelper,
    /// `/v1/flows`.
    Flow,
}

impl Kind {
    /// Every kind, in section order.
    pub const ALL: [Kind; 11] = [
        Kind::Integration,
        Kind::IClient,
        Kind::Connection,
        Kind::Script,
        Kind::FileDefinition,
        Kind::EdiProfile,
        Kind::LookupCache,
        Kind::Export,
        Kind::Import,
        Kind::AsyncHelper,
        Kind::Flow,
    ];

    /// The singular name used in addresses and references: `flow` in `flow.nightly`.
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Integration => "integration",
            Kind::IClient => "iclient",
            Kind::Connection => "connection",
            Kind::Script => "script",
            Kind::FileDefinition => "filedefinition",
            Kind::EdiProfile => "ediprofile",
            Kind::LookupCache => "lookupcache",
            Kind::Export => "export",
            Kind::Import => "import",
            Kind::AsyncHelper => "asynchelper",
            Kind::Flow => "flow",
        }
    }

    /// The plural name: the spec section and the API collection (`/v1/flows`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Integration => "integrations",
            Kind::IClient => "iclients",
            Kind::Connection => "connections",
            Kind::Script => "scripts",
            Kind::FileDefinition => "filedefinitions",
            Kind::EdiProfile => "ediprofiles",
            Kind::LookupCache => "lookupcaches",
            Kind::Export => "exports",
            Kind::Import => "imports",
            Kind::AsyncHelper => "asynchelpers",
            Kind::Flow => "flows",
        }
    }

    /// The name used in prose: `iClient`, `lookup cache`, `flow`.
    pub fn described(self) -> &'static str {
        match self {
            Kind::IClient => "iClient",
            Kind::FileDefinition => "file definition",
            Kind::EdiProfile => "EDI profile",
            Kind::LookupCache => "lookup cache",
            Kind::AsyncHelper => "async helper",
            other => other.singular(),
        }
    }

    /// [`Kind::described`] with its article: `an iClient`, `a lookup cache`.
    pub fn with_article(self) -> String {
        let described = self.described();
        let article = match described.as_bytes().first() {
            Some(b'a' | b'e' | b'i' | b'o' | b'u' | b'E') => "an",
            _ => "a",
        };
        format!("{article} {described}")
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

/// Longest key the spec accepts.
pub const MAX_KEY_LENGTH: usize = 63;

/// The slug of a name: lowercase ASCII letters and digits, `_` kept, every other run of
/// characters turned into one `-`, no leading or trailing separator, at most 63 characters.
/// Common accented Latin letters lose their accents. Empty when nothing usable is left.
pub fn slug(name: &str) -> String {
    let mut spaced = String::with_capacity(name.len());
    for character in name.chars().flat_map(char::to_lowercase) {
        if character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_' {
            spaced.push(character);
        } else if let Some(folded) = fold_accent(character) {
            spaced.push_str(folded);
        } else {
            spaced.push(' ');
        }
    }
    let joined = spaced.split(' ').filter(|word| !word.is_empty()).collect::<Vec<_>>().join("-");
    let mut slug = joined.trim_matches(['-', '_']).to_owned();
    if slug.len() > MAX_KEY_LENGTH {
        slug.truncate(MAX_KEY_LENGTH);
        slug = slug.trim_end_matches(['-', '_']).to_owned();
    }
    slug
}

/// The plain letters for the accented Latin letters names commonly hold.
fn fold_accent(character: char) -> Option<&'static str> {
    Some(match character {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// A resource's address: `KIND.KEY` with the singular kind, such as `flow.github-to-slack`.
///
/// Addresses order by kind (section order), then by key in natural order ([`natural_cmp`]):
/// `flow.flow-2` comes before `flow.flow-10`. Plans, the state and every listing follow it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

impl Ord for Address {
    fn cmp(&self, other: &Address) -> Ordering {
        self.kind.cmp(&other.kind).then_with(|| natural_cmp(&self.key, &other.key))
    }
}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Address) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two texts in natural order: runs of ASCII digits compare as numbers, everything
/// else byte by byte, so `flow-2` < `flow-10` < `flow-10a` < `flow-11`.
///
/// A digit run against another byte compares as its first digit would, so the order of texts
/// without digits is the plain byte order. Texts that differ only in leading zeros
/// (`flow-01`, `flow-1`) are equal in natural order and are then ordered by their bytes, which
/// keeps this a total order that agrees with `==`.
pub fn natural_cmp(left: &str, right: &str) -> Ordering {
    let (left_bytes, right_bytes) = (left.as_bytes(), right.as_bytes());
    if left_bytes == right_bytes {
        return Ordering::Equal;
    }
    // Keys of one kind mostly share a long prefix (`flow-0`…): the bytes both texts share are
    // skipped at once, back to the start of a digit run the shared part ends in (that run is
    // compared by value below).
    let mut shared =
        left_bytes.iter().zip(right_bytes).take_while(|(left, right)| left == right).count();
    while shared > 0 && left_bytes[shared - 1].is_ascii_digit() {
        shared -= 1;
    }
    natural_cmp_from(left_bytes, right_bytes, shared)
}

/// Natural order of two texts whose first `start` bytes are equal and end outside a digit run.
fn natural_cmp_from(left_bytes: &[u8], right_bytes: &[u8], start: usize) -> Ordering {
    let (mut i, mut j) = (start, start);
    while i < left_bytes.len() && j < right_bytes.len() {
        let (a, b) = (left_bytes[i], right_bytes[j]);
        if a.is_ascii_digit() && b.is_ascii_digit() {
            let left_end = digit_run_end(left_bytes, i);
            let right_end = digit_run_end(right_bytes, j);
            let ordering = compare_numbers(&left_bytes[i..left_end], &right_bytes[j..right_end]);
            if ordering != Ordering::Equal {
                return ordering;
            }
            (i, j) = (left_end, right_end);
        } else {
            if a != b {
                return a.cmp(&b);
            }
            (i, j) = (i + 1, j + 1);
        }
    }
    let rest = (left_bytes.len() - i).cmp(&(right_bytes.len() - j));
    rest.then_with(|| left_bytes.cmp(right_bytes))
}

fn digit_run_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|byte| !byte.is_ascii_digit()).map_or(bytes.len(), |n| start + n)
}

/// Compares two runs of ASCII digits by their value, at any length.
fn compare_numbers(left: &[u8], right: &[u8]) -> Ordering {
    let significant = |digits: &[u8]| -> usize {
        digits.iter().position(|&digit| digit != b'0').map_or(digits.len(), |n| n)
    };
    let (left, right) = (&left[significant(left)..], &right[significant(right)..]);
    left.len().cmp(&right.len()).then_with(|| left.cmp(right))
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
    /// The kind is not one flowform manages.
    #[error(
        "unknown kind `{kind}` in address `{address}`; expected one of integration, iclient, connection, script, filedefinition, ediprofile, lookupcache, export, import, asynchelper, flow"
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
    fn slugs() {
        assert_eq!(slug("Orders to ERP"), "orders-to-erp");
        assert_eq!(slug("  GitHub → Slack!! (v2) "), "github-slack-v2");
        assert_eq!(slug("Café Crème Ñandú Straße"), "cafe-creme-nandu-strasse");
        assert_eq!(slug("snake_case_Name"), "snake_case_name");
        assert_eq!(slug("__private__"), "private");
        assert_eq!(slug("日本語"), "");
        assert_eq!(slug("2024 Q1 — export"), "2024-q1-export");
        let long = slug(&"word ".repeat(40));
        assert!(long.len() <= 63 && !long.ends_with('-'), "{long}");
        for name in ["a", "A-B", "x__y", "9", &"long name ".repeat(20)] {
            let key = slug(name);
            assert!(validate_key(&key).is_ok(), "{name:?} → {key:?}");
        }
    }

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

    #[test]
    fn addresses_sort_in_natural_order() {
        let mut addresses: Vec<Address> =
            ["flow.flow-10", "flow.flow-2", "export.z", "flow.flow-1", "flow.flow-10a", "flow.a"]
                .iter()
                .map(|text| text.parse().unwrap())
                .collect();
        addresses.sort();
        let texts: Vec<String> = addresses.iter().map(Address::to_string).collect();
        assert_eq!(
            texts,
            ["export.z", "flow.a", "flow.flow-1", "flow.flow-2", "flow.flow-10", "flow.flow-10a"]
        );
    }

    #[test]
    fn natural_order() {
        use Ordering::{Equal, Greater, Less};
        for (left, right, expected) in [
            ("flow-2", "flow-10", Less),
            ("flow-10", "flow-10a", Less),
            ("flow-10a", "flow-11", Less),
            ("a", "b", Less),
            ("a", "a", Equal),
            ("a1b", "a1", Greater),
            ("01", "1", Less),
            ("1", "01", Greater),
            ("007", "7", Less),
            ("x-9", "x_1", Less),
            ("9", "a", Less),
            ("9", "-", Greater),
            ("99999999999999999999999999999999", "100000000000000000000000000000000", Less),
            ("", "0", Less),
        ] {
            assert_eq!(natural_cmp(left, right), expected, "{left} vs {right}");
            assert_eq!(natural_cmp(right, left), expected.reverse(), "{right} vs {left}");
        }
    }

    /// The shared-prefix skip gives the order a walk from the first byte gives, for texts
    /// that share prefixes ending inside, before and after digit runs.
    #[test]
    fn shared_prefixes_are_skipped_without_changing_the_order() {
        let from_the_start =
            |left: &str, right: &str| natural_cmp_from(left.as_bytes(), right.as_bytes(), 0);
        let stems = ["", "flow-", "flow-0", "flow-01", "flow-1", "a9", "a10b", "x_"];
        let tails = ["", "0", "00", "1", "01", "9", "10", "099", "100", "a", "-", "1a", "0b2"];
        let texts: Vec<String> = stems
            .iter()
            .flat_map(|stem| tails.iter().map(move |tail| format!("{stem}{tail}")))
            .collect();
        for left in &texts {
            for right in &texts {
                assert_eq!(
                    natural_cmp(left, right),
                    from_the_start(left, right),
                    "{left} vs {right}"
                );
            }
        }
    }

    /// A total order that agrees with `==`: antisymmetric, transitive, and equal only for equal
    /// texts, over every text of up to three characters from a small alphabet.
    #[test]
    fn natural_order_is_a_total_order() {
        let alphabet = ["", "0", "1", "2", "9", "a", "-", "_"];
        let mut texts = std::collections::BTreeSet::new();
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    texts.insert(format!("{a}{b}{c}"));
                }
            }
        }
        let texts: Vec<String> = texts.into_iter().collect();
        let mut sorted = texts.clone();
        sorted.sort_by(|left, right| natural_cmp(left, right));
        for (index, left) in sorted.iter().enumerate() {
            for right in &sorted[index + 1..] {
                assert_eq!(natural_cmp(left, right), Ordering::Less, "{left:?} vs {right:?}");
                assert_eq!(natural_cmp(right, left), Ordering::Greater, "{right:?} vs {left:?}");
            }
            assert_eq!(natural_cmp(left, left), Ordering::Equal);
        }
    }
}
