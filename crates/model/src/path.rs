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
}

/// A path to a field inside a resource body.
///
/// Its text form joins keys with `.` and writes indexes as `[N]`; a key that is empty or holds
/// `.`, `[`, `]` or `"` is written as `["..."]` with `\` escapes, so every path round-trips
/// through [`Display`](fmt::Display) and [`FromStr`].
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

    /// The last object key on the path, ignoring trailing indexes: `_runNextFlowIds` for
    /// `_runNextFlowIds[2]`.
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        })
    }

    /// The first object key on the path.
    pub fn first_key(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The path with every index removed: `routers.branches.pageProcessors._importId`.
    /// Used to match paths against tables written without indexes.
    pub fn without_indexes(&self) -> String {
        let keys: Vec<&str> = self
            .0
            .iter()
            .filter_map(|segment| match segment {
                Segment::Key(key) => Some(key.as_str()),
                Segment::Index(_) => None,
            })
            .collect();
        keys.join(".")
    }
}

fn needs_quoting(key: &str) -> bool {
    key.is_empty() || key.contains(['.', '[', ']', '"', '\\'])
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if needs_quoting(key) => {
                    f.write_str("[\"")?;
                    for character in key.chars() {
                        if matches!(character, '"' | '\\') {
                            f.write_str("\\")?;
                        }
                        write!(f, "{character}")?;
                    }
                    f.write_str("\"]")?;
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
        let error = |reason| PathError { path: text.to_owned(), reason };
        let mut segments = Vec::new();
        let mut chars = text.chars().peekable();
        let mut expect_key = true;
        while let Some(&next) = chars.peek() {
            match next {
                '[' => {
                    chars.next();
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        let mut key = String::new();
                        loop {
                            match chars.next() {
                                Some('\\') => {
                                    key.push(chars.next().ok_or(error("dangling escape"))?)
                                }
                                Some('"') => break,
                                Some(character) => key.push(character),
                                None => return Err(error("unterminated quoted key")),
                            }
                        }
                        if chars.next() != Some(']') {
                            return Err(error("expected `]` after a quoted key"));
                        }
                        segments.push(Segment::Key(key));
                    } else {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            let path: FieldPath = text.parse().unwrap();
            assert_eq!(path.to_string(), text, "{path:?}");
        }
        assert!(FieldPath::from_str("").unwrap().is_root());
    }

    #[test]
    fn rejects() {
        for text in ["a..b", "a.", ".a", "a[x]", "a[1", "a[\"b", "a[1]b"] {
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
