//! Field paths inside a resource body: `pageProcessors[1]._importId`, `http.auth.token.token`.

use std::fmt;
use std::str::FromStr;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
    /// The element of an array of objects whose `field` is the string `value`, written
    /// `[generate="email"]`. Plans use it for mapping rows, which are identified by their
    /// `generate` field rather than their position. Boxed so that a segment stays as small as a
    /// `String` (state files hold many paths).
    Keyed(Box<KeyedElement>),
}

/// What identifies a keyed element: `[field="value"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyedElement {
    /// The field that identifies the element (`generate`).
    pub field: String,
    /// Its value.
    pub value: String,
}

/// A path to a field inside a resource body.
///
/// Its text form joins keys with `.`, writes indexes as `[N]` and keyed elements as
/// `[field="value"]`; a key that is empty or holds `.`, `[`, `]` or `"` is written as `["..."]`
/// with `\` escapes (as is a keyed element's value), so every path round-trips through
/// [`Display`](fmt::Display) and [`FromStr`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// The empty path (the document root).
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// A path made of object keys only.
    pub fn from_keys<I, S>(keys: I) -> FieldPath
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        FieldPath(keys.into_iter().map(|key| Segment::Key(key.into())).collect())
    }

    /// This path with one more key.
    pub fn key(&self, key: impl Into<String>) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.into()));
        FieldPath(segments)
    }

    /// This path with one more index.
    pub fn index(&self, index: usize) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        FieldPath(segments)
    }

    /// This path with one more keyed element: `[field="value"]`.
    pub fn keyed(&self, field: impl Into<String>, value: impl Into<String>) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Keyed(Box::new(KeyedElement {
            field: field.into(),
            value: value.into(),
        })));
        FieldPath(segments)
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The last object key on the path, ignoring trailing indexes and keyed elements:
    /// `_runNextFlowIds` for `_runNextFlowIds[2]`.
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) | Segment::Keyed(_) => None,
        })
    }

    /// The first object key on the path.
    pub fn first_key(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The path with every index (and keyed element) removed:
    /// `routers.branches.pageProcessors._importId`. Used to match paths against tables written
    /// without indexes.
    pub fn without_indexes(&self) -> String {
        let keys: Vec<&str> = self
            .0
            .iter()
            .filter_map(|segment| match segment {
                Segment::Key(key) => Some(key.as_str()),
                Segment::Index(_) | Segment::Keyed(_) => None,
            })
            .collect();
        keys.join(".")
    }
}

fn needs_quoting(key: &str) -> bool {
    key.is_empty() || key.contains(['.', '[', ']', '"', '\\'])
}

fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for character in text.chars() {
        if matches!(character, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{character}")?;
    }
    f.write_str("\"")
}

/// Whether `field` can be written bare inside `[field="value"]`.
fn is_keyed_field(field: &str) -> bool {
    let mut characters = field.chars();
    characters.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Keyed(keyed) => {
                    let KeyedElement { field, value } = keyed.as_ref();
                    // Keyed elements are built by the diff with identifier-like fields; any
                    // other field is written quoted so the text still parses back.
                    f.write_str("[")?;
                    if is_keyed_field(field) {
                        f.write_str(field)?;
                    } else {
                        write_quoted(f, field)?;
                    }
                    f.write_str("=")?;
                    write_quoted(f, value)?;
                    f.write_str("]")?;
                }
                Segment::Key(key) if needs_quoting(key) => {
                    f.write_str("[")?;
                    write_quoted(f, key)?;
                    f.write_str("]")?;
                }
                Segment::Key(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
            }
        }
        Ok(())
    }
}

/// Reads a quoted string whose opening `"` was consumed, up to and including the closing `"`.
fn read_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut text = String::new();
    loop {
        match chars.next()? {
            '\\' => text.push(chars.next()?),
            '"' => return Some(text),
            character => text.push(character),
        }
    }
}

/// Reads `"value"]` after the `=` of a keyed element.
fn read_keyed_value(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    if chars.next()? != '"' {
        return None;
    }
    let value = read_quoted(chars)?;
    (chars.next()? == ']').then_some(value)
}

/// Why a path could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid field path `{path}`: {reason}")]
pub struct PathError {
    /// The path as written.
    pub path: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for FieldPath {
    type Err = PathError;

    fn from_str(text: &str) -> Result<FieldPath, PathError> {
        // Most paths are plain keys joined by dots (every path of a state's digests): those are
        // split at once; anything else (indexes, keyed elements, quotes, an empty key and its
        // error) is read by the general parser.
        if !text.is_empty() && !text.bytes().any(|byte| matches!(byte, b'[' | b']' | b'"')) {
            let mut segments =
                Vec::with_capacity(text.bytes().filter(|&byte| byte == b'.').count() + 1);
            for key in text.split('.') {
                if key.is_empty() {
                    return parse_general(text);
                }
                segments.push(Segment::Key(key.to_owned()));
            }
            return Ok(FieldPath(segments));
        }
        parse_general(text)
    }
}

/// [`FieldPath`]'s parser for every form of path.
fn parse_general(text: &str) -> Result<FieldPath, PathError> {
    let error = |reason| PathError { path: text.to_owned(), reason };
    let mut segments =
        Vec::with_capacity(1 + text.bytes().filter(|&byte| byte == b'.' || byte == b'[').count());
    let mut chars = text.chars().peekable();
    let mut expect_key = true;
    while let Some(&next) = chars.peek() {
        match next {
            '[' => {
                chars.next();
                match chars.peek() {
                    Some('"') => {
                        chars.next();
                        let quoted =
                            read_quoted(&mut chars).ok_or(error("unterminated quoted key"))?;
                        match chars.next() {
                            Some(']') => segments.push(Segment::Key(quoted)),
                            Some('=') => {
                                let value = read_keyed_value(&mut chars)
                                    .ok_or(error("expected `=\"value\"]` in a keyed element"))?;
                                segments.push(Segment::Keyed(Box::new(KeyedElement {
                                    field: quoted,
                                    value,
                                })));
                            }
                            _ => return Err(error("expected `]` after a quoted key")),
                        }
                    }
                    Some(first) if first.is_ascii_alphabetic() || *first == '_' => {
                        let mut field = String::new();
                        while let Some(&character) = chars.peek() {
                            if !(character.is_ascii_alphanumeric() || character == '_') {
                                break;
                            }
                            field.push(character);
                            chars.next();
                        }
                        if chars.next() != Some('=') {
                            return Err(error(
                                "`[...]` holds an index (digits) or a keyed element (`[field=\"value\"]`)",
                            ));
                        }
                        let value = read_keyed_value(&mut chars)
                            .ok_or(error("expected `=\"value\"]` in a keyed element"))?;
                        segments.push(Segment::Keyed(Box::new(KeyedElement { field, value })));
                    }
                    _ => {
                        let mut digits = String::new();
                        loop {
                            match chars.next() {
                                Some(']') => break,
                                Some(digit) if digit.is_ascii_digit() => digits.push(digit),
                                _ => return Err(error("an index must be digits in `[...]`")),
                            }
                        }
                        let index = digits
                            .parse()
                            .map_err(|_| error("an index must be digits in `[...]`"))?;
                        segments.push(Segment::Index(index));
                    }
                }
                expect_key = false;
            }
            '.' => {
                chars.next();
                if expect_key {
                    return Err(error("empty key"));
                }
                expect_key = true;
            }
            _ => {
                if !expect_key && !segments.is_empty() {
                    return Err(error("expected `.` or `[` between segments"));
                }
                let mut key = String::new();
                while let Some(&character) = chars.peek() {
                    if character == '.' || character == '[' {
                        break;
                    }
                    if character == ']' || character == '"' {
                        return Err(error("unexpected `]` or `\"`"));
                    }
                    key.push(character);
                    chars.next();
                }
                segments.push(Segment::Key(key));
                expect_key = false;
            }
        }
    }
    if expect_key && !segments.is_empty() {
        return Err(error("trailing `.`"));
    }
    Ok(FieldPath(segments))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain dotted paths split at once read as the general parser reads them, errors included.
    #[test]
    fn plain_paths_read_as_the_general_parser_reads_them() {
        for text in [
            "a",
            "http.auth.token",
            "a.b.c.d.e",
            "ünï.cödé",
            "with space.x",
            "_id",
            ".a",
            "a.",
            "a..b",
            ".",
            "a[0]",
            "steps[name=\"x\"].y",
        ] {
            assert_eq!(text.parse::<FieldPath>(), parse_general(text), "{text}");
        }
    }

    #[test]
    fn round_trip() {
        for text in [
            "name",
            "http.auth.token.token",
            "pageProcessors[1]._importId",
            "routers[0].branches[2].pageProcessors[0]._exportId",
            "settings[\"a.b\"].c",
            "[\"\"]",
            "[3]",
            "settings[\"quote\\\"d\"]",
            "mapping.fields[generate=\"email\"].extract",
            "mapping.lists[generate=\"items\"].fields[generate=\"a.b[0]\"]",
            "rows[\"odd field\"=\"x\\\"y\"]",
        ] {
            let path: FieldPath = text.parse().unwrap();
            assert_eq!(path.to_string(), text, "{path:?}");
        }
        assert!(FieldPath::from_str("").unwrap().is_root());
    }

    #[test]
    fn a_segment_is_as_small_as_a_string() {
        // State files hold one path per applied field; keyed elements are boxed to keep this.
        assert_eq!(std::mem::size_of::<Segment>(), std::mem::size_of::<String>());
    }

    #[test]
    fn rejects() {
        for text in
            ["a..b", "a.", ".a", "a[x]", "a[1", "a[\"b", "a[1]b", "a[g=x]", "a[g=\"x\"", "a[g]"]
        {
            assert!(text.parse::<FieldPath>().is_err(), "{text}");
        }
    }

    #[test]
    fn helpers() {
        let path: FieldPath = "_runNextFlowIds[2]".parse().unwrap();
        assert_eq!(path.last_key(), Some("_runNextFlowIds"));
        let path: FieldPath = "routers[0].branches[1].pageProcessors[0]._importId".parse().unwrap();
        assert_eq!(path.without_indexes(), "routers.branches.pageProcessors._importId");
        assert!(path.starts_with(&"routers[0]".parse().unwrap()));
        assert!(!path.starts_with(&"routers[1]".parse().unwrap()));
    }
}
