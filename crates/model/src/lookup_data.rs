//! A lookup cache's data managed from a file beside the spec (`dataFile:`), and how a plan
//! describes a change of it.
//!
//! Two formats, chosen by the file's extension: `.json`, one JSON object of keys to values
//! (what `pull` writes, one entry per line), and `.jsonl`, one `{"key": …, "value": …}` object
//! per line. Values are any JSON (the Help Center's lookup cache pages take strings, numbers,
//! booleans, null and objects; docs/fidelity.md open question 18). Both are read as a stream,
//! one entry at a time, so neither side of a comparison is ever held whole: the callers keep a
//! [`EntryDigest`] per key at most.
//!
//! No IO here: the callers open the files and pass readers.

use std::io::{BufRead, Read};
use std::path::Path;

use serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};
use sha2::{Digest, Sha256};

use crate::value::Value;

/// The documented limits of one data call (integrator-api.md §5.8: the official CLI batches at
/// most 1,000 entries and 5 MB per call).
pub const ENTRIES_PER_CALL: usize = 1_000;
/// Bytes of one data call's body (5 MB), see [`ENTRIES_PER_CALL`].
pub const BYTES_PER_CALL: usize = 5 * 1_000_000;
/// The most a cache holds (50 MB, API §5.8); a larger data file cannot be applied.
pub const BYTES_PER_CACHE: u64 = 50 * 1_000_000;

/// How a data file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// `.json`: one object, key to value.
    Json,
    /// `.jsonl`: one `{"key": …, "value": …}` per line.
    JsonLines,
}

impl DataFormat {
    /// The format a path's extension names.
    pub fn of(path: &Path) -> Option<DataFormat> {
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("json") => Some(DataFormat::Json),
            Some("jsonl") => Some(DataFormat::JsonLines),
            _ => None,
        }
    }
}

/// Why a data file cannot be read, with where (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct DataFileError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl DataFileError {
    fn of_json(error: &serde_json::Error) -> DataFileError {
        let message = error.to_string();
        // serde_json appends " at line L column C"; the position is kept apart.
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        DataFileError { line: error.line(), column: error.column(), message }
    }
}

/// Calls `visit` with every entry of a data file, in file order; a `visit` error stops the read
/// at that entry's place. Returns the number of entries.
pub fn for_each_entry(
    reader: impl Read,
    format: DataFormat,
    visit: &mut dyn FnMut(String, serde_json::Value) -> Result<(), String>,
) -> Result<usize, DataFileError> {
    match format {
        DataFormat::Json => {
            let mut deserializer =
                serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
            let mut entries = Entries { visit, count: 0 };
            (&mut entries)
                .deserialize(&mut deserializer)
                .and_then(|()| deserializer.end())
                .map_err(|error| DataFileError::of_json(&error))?;
            Ok(entries.count)
        }
        DataFormat::JsonLines => {
            let mut count = 0;
            for (index, line) in std::io::BufReader::new(reader).lines().enumerate() {
                let line_number = index + 1;
                let fail = |message: String, column: usize| DataFileError {
                    line: line_number,
                    column,
                    message,
                };
                let line = line.map_err(|error| fail(error.to_string(), 0))?;
                if line.trim().is_empty() {
                    continue;
                }
                let entry: serde_json::Value = serde_json::from_str(&line).map_err(|error| {
                    let mut error = DataFileError::of_json(&error);
                    error.line = line_number;
                    error
                })?;
                let serde_json::Value::Object(mut object) = entry else {
                    return Err(fail("an entry is `{\"key\": \"…\", \"value\": …}`".into(), 1));
                };
                let key = match object.remove("key") {
                    Some(serde_json::Value::String(key)) => key,
                    _ => return Err(fail("an entry needs a string `key`".into(), 1)),
                };
                let Some(value) = object.remove("value") else {
                    return Err(fail(format!("the entry `{key}` needs a `value`"), 1));
                };
                if let Some(extra) = object.keys().next() {
                    return Err(fail(
                        format!("an entry holds `key` and `value` only, not `{extra}`"),
                        1,
                    ));
                }
                visit(key, value).map_err(|message| fail(message, 1))?;
                count += 1;
            }
            Ok(count)
        }
    }
}

struct Entries<'v> {
    visit: &'v mut dyn FnMut(String, serde_json::Value) -> Result<(), String>,
    count: usize,
}

impl<'de> DeserializeSeed<'de> for &mut Entries<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Entries<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON object of lookup keys to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let value: serde_json::Value = map.next_value()?;
            (self.visit)(key, value).map_err(A::Error::custom)?;
            self.count += 1;
        }
        Ok(())
    }
}

/// A short digest of an entry's value, independent of the order of object members (values are
/// compared as JSON values, numbers by their text).
pub type EntryDigest = [u8; 16];

/// The [`EntryDigest`] of a value.
pub fn entry_digest(value: &serde_json::Value) -> EntryDigest {
    let text = crate::fingerprint::canonical(&Value::from_json(value));
    let hash = Sha256::digest(text.as_bytes());
    let mut digest = [0; 16];
    digest.copy_from_slice(&hash[..16]);
    digest
}

/// A digest of a sequence of entries (each key with its [`EntryDigest`]), in the order they
/// come: of a data file as written, or of a live cache as its pages list it.
#[derive(Debug, Clone, Default)]
pub struct EntriesDigest(Sha256);

impl EntriesDigest {
    /// An empty digest.
    pub fn new() -> EntriesDigest {
        EntriesDigest::default()
    }

    /// Adds one entry.
    pub fn add(&mut self, key: &str, digest: &EntryDigest) {
        self.0.update((key.len() as u64).to_le_bytes());
        self.0.update(key.as_bytes());
        self.0.update(digest);
    }

    /// `sha256:<hex>`.
    pub fn finish(self) -> String {
        format!("sha256:{}", hex::encode(self.0.finalize()))
    }
}

/// The bytes an entry takes in a data call's body: `{"key":…,"value":…}` and a comma.
pub fn entry_bytes(key: &str, value: &serde_json::Value) -> usize {
    let key = serde_json::to_string(key).map_or(key.len() + 2, |text| text.len());
    let value = serde_json::to_string(value).map_or(0, |text| text.len());
    key + value + "{\"key\":,\"value\":},".len()
}

/// A lookup cache's `dataFile`, as the spec loader found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// The file (absolute, inside the spec root).
    pub path: std::path::PathBuf,
    /// The path as the spec writes it.
    pub written: String,
    /// Its format.
    pub format: DataFormat,
    /// How many entries it holds.
    pub entries: usize,
    /// Its first keys in key order, at most [`SAMPLE_KEYS`].
    pub first_keys: Vec<String>,
    /// A digest of its bytes (the spec digest of saved plans includes it).
    pub digest: String,
}

/// How many keys of each kind of change a plan names.
pub const SAMPLE_KEYS: usize = 5;

/// How a lookup cache's data changes: counts, and the first few keys of each (in key order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataChange {
    /// The data file, as the spec writes it.
    pub file: String,
    /// Keys in the file and not in the cache.
    pub added: usize,
    /// Keys in both whose values differ.
    pub changed: usize,
    /// Keys in the cache and not in the file (deleted).
    pub removed: usize,
    /// Keys in both with the same value.
    pub unchanged: usize,
    /// The first added keys, at most [`SAMPLE_KEYS`].
    pub first_added: Vec<String>,
    /// The first changed keys.
    pub first_changed: Vec<String>,
    /// The first removed keys.
    pub first_removed: Vec<String>,
    /// A digest of the live entries compared (`None` for a cache that does not exist yet): an
    /// apply of a saved plan is refused when the cache's data moved since.
    pub live_digest: Option<String>,
}

impl DataChange {
    /// Whether anything changes.
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.changed == 0 && self.removed == 0
    }

    /// `3 added, 1 changed, 2 removed`, leaving out zeros.
    pub fn counts(&self) -> String {
        let parts: Vec<String> =
            [(self.added, "added"), (self.changed, "changed"), (self.removed, "removed")]
                .into_iter()
                .filter(|(count, _)| *count > 0)
                .map(|(count, what)| format!("{count} {what}"))
                .collect();
        if parts.is_empty() { "no change".to_owned() } else { parts.join(", ") }
    }
}

/// Keeps the [`SAMPLE_KEYS`] smallest keys seen.
pub fn keep_sample(sample: &mut Vec<String>, key: &str) {
    if sample.len() == SAMPLE_KEYS && sample.last().is_some_and(|last| key >= last.as_str()) {
        return;
    }
    let position = sample.partition_point(|kept| kept.as_str() < key);
    sample.insert(position, key.to_owned());
    sample.truncate(SAMPLE_KEYS);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        text: &str,
        format: DataFormat,
    ) -> Result<Vec<(String, serde_json::Value)>, DataFileError> {
        let mut entries = Vec::new();
        for_each_entry(text.as_bytes(), format, &mut |key, value| {
            entries.push((key, value));
            Ok(())
        })?;
        Ok(entries)
    }

    #[test]
    fn both_formats_stream_their_entries() {
        let json = "{\n  \"a\": 1,\n  \"b\": {\"x\": [true, null]}\n}\n";
        assert_eq!(
            read(json, DataFormat::Json).unwrap(),
            [
                ("a".into(), serde_json::json!(1)),
                ("b".into(), serde_json::json!({"x": [true, null]}))
            ]
        );
        let lines = "{\"key\": \"a\", \"value\": 1}\n\n{\"value\": \"v\", \"key\": \"b\"}\n";
        assert_eq!(read(lines, DataFormat::JsonLines).unwrap().len(), 2);
    }

    #[test]
    fn errors_name_their_place() {
        let error = read("{\n  \"a\": 1,\n  \"b\" 2\n}", DataFormat::Json).unwrap_err();
        assert_eq!((error.line, error.column), (3, 7), "{error}");
        let error = read("[1, 2]", DataFormat::Json).unwrap_err();
        assert!(error.message.contains("a JSON object of lookup keys"), "{error}");
        let error = read("{\"key\": \"a\", \"value\": 1}\n{\"key\": 3}\n", DataFormat::JsonLines)
            .unwrap_err();
        assert_eq!(error.line, 2);
        let mut seen = std::collections::HashSet::new();
        let error =
            for_each_entry("{\"a\": 1, \"a\": 2}".as_bytes(), DataFormat::Json, &mut |key, _| {
                if seen.insert(key.clone()) { Ok(()) } else { Err(format!("`{key}` twice")) }
            })
            .unwrap_err();
        assert_eq!(error.message, "`a` twice");
        assert_eq!(error.line, 1);
    }

    #[test]
    fn digests_ignore_member_order_and_samples_keep_the_smallest() {
        assert_eq!(
            entry_digest(&serde_json::json!({"a": 1, "b": 2})),
            entry_digest(&serde_json::json!({"b": 2, "a": 1}))
        );
        assert_ne!(entry_digest(&serde_json::json!("1")), entry_digest(&serde_json::json!(1)));
        let mut sample = Vec::new();
        for key in ["k9", "k1", "k5", "k3", "k7", "k2", "k8"] {
            keep_sample(&mut sample, key);
        }
        assert_eq!(sample, ["k1", "k2", "k3", "k5", "k7"]);
        let change = DataChange { added: 2, removed: 1, ..DataChange::default() };
        assert_eq!(change.counts(), "2 added, 1 removed");
        assert!(entry_bytes("k", &serde_json::json!("v")) >= r#"{"key":"k","value":"v"}"#.len());
    }
}
