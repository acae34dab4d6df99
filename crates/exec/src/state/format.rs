//! The state document's JSON form and its journal lines.
//!
//! The document holds no field values: paths with salted digests, HMAC fingerprints of
//! secrets, ids and timestamps. See `docs/state-format.md`. Versions 1 and 2 have the same
//! document; a local file is written as version 2, which says that its journal may carry
//! [`JournalLine::Serial`] lines (a version-1 reader would stop at them and lose what follows,
//! so it must refuse the file). The account's State API has no journal and keeps version 1.

use std::collections::BTreeMap;
use std::str::FromStr;

use flowform_model::{
    Address, FieldPath, LiveBaseline, PendingCreate, ResourceState, STATE_FORMAT_VERSION, State,
};
use serde::{Deserialize, Serialize};

/// The version a document whose journal may carry [`JournalLine::Serial`] lines is written with
/// ([`render_local`]).
pub const LOCAL_VERSION: u32 = 2;

/// The version written where there is no journal ([`render`]: the State API).
pub const DOCUMENT_VERSION: u32 = 1;

const _: () = assert!(LOCAL_VERSION <= STATE_FORMAT_VERSION && DOCUMENT_VERSION < LOCAL_VERSION);

/// Why a state document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Not JSON, or not the expected shape.
    #[error("the state document is not valid: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// Written by a newer flowform.
    #[error(
        "the state document has format version {found}, newer than this flowform understands ({supported})"
    )]
    TooNew {
        /// The version in the document.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },
}

impl FormatError {
    fn invalid(reason: impl Into<String>) -> FormatError {
        FormatError::Invalid { reason: reason.into() }
    }
}

/// The document; `R` is how its `resources` are held: [`ResourcesIn`] when read,
/// [`ResourcesOut`] when written.
#[derive(Serialize, Deserialize)]
struct StateDocument<R> {
    version: u32,
    lineage: String,
    serial: u64,
    target: String,
    salt: String,
    #[serde(default)]
    resources: R,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<PendingDocument>,
}

/// The `resources` as read: by address, each address parsed as it is read (an address given
/// twice keeps its last resource). A map by the addresses' text first was a second sort of
/// thousands of resources, in another order.
#[derive(Default)]
struct ResourcesIn(BTreeMap<Address, ResourceDocument>);

impl<'de> Deserialize<'de> for ResourcesIn {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ResourcesIn;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a map of addresses to resources")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ResourcesIn, A::Error> {
                let mut resources = BTreeMap::new();
                while let Some((ParsedKey(address), resource)) = map.next_entry()? {
                    resources.insert(address, resource);
                }
                Ok(ResourcesIn(resources))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The `resources` as written: in the order of the addresses' text.
struct ResourcesOut(Vec<(String, ResourceDocument)>);

impl Serialize for ResourcesOut {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.iter().map(|(address, resource)| (address.as_str(), resource));
        map_in_text_order(serializer, entries.collect())
    }
}

/// Writes `entries` as a map in the order of their keys' text (as a map of strings would).
fn map_in_text_order<S: serde::Serializer, K: AsRef<str> + Serialize, V: Serialize>(
    serializer: S,
    mut entries: Vec<(K, V)>,
) -> Result<S::Ok, S::Error> {
    entries.sort_unstable_by(|left, right| left.0.as_ref().cmp(right.0.as_ref()));
    serializer.collect_map(entries)
}

/// One resource in the state document.
#[derive(Serialize, Deserialize, Clone)]
pub struct ResourceDocument {
    id: String,
    #[serde(default)]
    applied_paths: PathDigests,
    #[serde(default)]
    digest: String,
    #[serde(default, skip_serializing_if = "PathDigests::is_empty")]
    secret_fingerprints: PathDigests,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    prevent_destroy: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ignore_changes: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    adopt: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    live: Option<LiveDocument>,
}

/// The live baseline of one resource: salted digests of the leaves of its live document as
/// flowform last accepted it.
///
/// Relative to the resource's `applied_paths`, whose digests are made the same way, as the
/// model keeps it: a leaf whose digest equals the applied digest at the same path (a value
/// flowform wrote and the account kept as it is, most leaves) is left out, and an applied path
/// the live document does not have is written with the digest `""`. `last_modified` is left
/// out when it is the resource's. `rules` is the version of the normalisation rules the digests
/// were made with (`flowform_model::BASELINE_RULES`); baselines written before it existed have
/// none and read as version 1.
#[derive(Serialize, Deserialize, Clone)]
pub struct LiveDocument {
    #[serde(default = "first_rules")]
    rules: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(default)]
    paths: LivePaths,
}

/// Paths with their digests (or fingerprints), read straight into [`FieldPath`]s: a state of
/// thousands of resources holds tens of thousands of them, and reading them as strings first,
/// then parsing each into a second map, was a third of reading the state. Written in the
/// order of their text, as a map of strings would be.
#[derive(Clone, Default)]
struct PathDigests(BTreeMap<FieldPath, String>);

impl PathDigests {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A live baseline's paths: the digest of each leaf, `None` (written `""`) for an applied path
/// the live document lacks (see [`LiveDocument`]).
#[derive(Clone, Default)]
struct LivePaths(Vec<(FieldPath, Option<String>)>);

/// Writes `(path, digest)` pairs as a map in the order of the paths' text.
fn serialize_paths<'a, S: serde::Serializer>(
    serializer: S,
    entries: impl Iterator<Item = (&'a FieldPath, &'a str)>,
) -> Result<S::Ok, S::Error> {
    map_in_text_order(
        serializer,
        entries.map(|(path, digest)| (path.to_string(), digest)).collect(),
    )
}

impl Serialize for PathDigests {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_paths(serializer, self.0.iter().map(|(path, digest)| (path, digest.as_str())))
    }
}

impl Serialize for LivePaths {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.iter().map(|(path, digest)| (path, digest.as_deref().unwrap_or("")));
        serialize_paths(serializer, entries)
    }
}

/// A map key parsed from its text as it is read (no string kept): an address or a field path.
struct ParsedKey<T>(T);

/// What a [`ParsedKey`] holds, as its errors name it.
trait KeyName {
    const NAME: &'static str;
}

impl KeyName for Address {
    const NAME: &'static str = "address";
}

impl KeyName for FieldPath {
    const NAME: &'static str = "field path";
}

impl<'de, T> Deserialize<'de> for ParsedKey<T>
where
    T: FromStr + KeyName,
    T::Err: std::fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(std::marker::PhantomData<T>);
        impl<T> serde::de::Visitor<'_> for Visitor<T>
        where
            T: FromStr + KeyName,
            T::Err: std::fmt::Display,
        {
            type Value = ParsedKey<T>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "{} as text", T::NAME)
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ParsedKey<T>, E> {
                T::from_str(text)
                    .map(ParsedKey)
                    .map_err(|error| E::custom(format!("{} `{text}`: {error}", T::NAME)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// Reads a map of paths to strings into `(path, value)` pairs, in the document's order.
fn deserialize_paths<'de, D, V>(
    deserializer: D,
    value: impl Fn(String) -> V,
) -> Result<Vec<(FieldPath, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Visitor<F>(F);
    impl<'de, V, F: Fn(String) -> V> serde::de::Visitor<'de> for Visitor<F> {
        type Value = Vec<(FieldPath, V)>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("a map of field paths to digests")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some((ParsedKey(path), digest)) =
                map.next_entry::<ParsedKey<FieldPath>, String>()?
            {
                entries.push((path, (self.0)(digest)));
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Visitor(value))
}

impl<'de> Deserialize<'de> for PathDigests {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Equal paths: the last wins, as in a map of strings.
        deserialize_paths(deserializer, |digest| digest)
            .map(|entries| PathDigests(entries.into_iter().collect()))
    }
}

impl<'de> Deserialize<'de> for LivePaths {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_paths(deserializer, |digest| (!digest.is_empty()).then_some(digest))
            .map(LivePaths)
    }
}

/// One write-ahead record in the state document.
#[derive(Serialize, Deserialize, Clone)]
pub struct PendingDocument {
    address: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    integration_id: Option<String>,
    started_at: String,
}

/// One line of the local journal: an event applied to the last full state document.
#[derive(Serialize, Deserialize, Clone)]
#[serde(tag = "op", rename_all = "snake_case", try_from = "FlatJournalLine")]
pub enum JournalLine {
    /// A resource was written (created, updated, adopted, imported).
    Put {
        /// The address.
        address: String,
        /// Its new state.
        resource: ResourceDocument,
    },
    /// A resource left the state (deleted, `state rm`).
    Remove {
        /// The address.
        address: String,
    },
    /// A create is about to be sent.
    Pending {
        /// The write-ahead record.
        pending: PendingDocument,
    },
    /// A pending create was resolved (recorded, or known not to have happened).
    Resolved {
        /// The address.
        address: String,
    },
    /// The state's serial moved to `serial`: a run that changed the state ended, and the
    /// events before this line are its changes (a lazily folded journal; version 2).
    Serial {
        /// The new serial, above every serial before it.
        serial: u64,
    },
}

/// A journal line as read: one flat object, so serde reads it in one pass (an internally tagged
/// enum buffers each line whole before reading it again, which made replaying a journal cost
/// twice as much per byte as reading the document).
#[derive(Deserialize)]
struct FlatJournalLine {
    op: String,
    address: Option<String>,
    resource: Option<ResourceDocument>,
    pending: Option<PendingDocument>,
    serial: Option<u64>,
}

impl TryFrom<FlatJournalLine> for JournalLine {
    type Error = String;

    fn try_from(line: FlatJournalLine) -> Result<JournalLine, String> {
        let missing = |field: &str| format!("a journal `{}` line needs `{field}`", line.op);
        Ok(match line.op.as_str() {
            "put" => JournalLine::Put {
                address: line.address.ok_or_else(|| missing("address"))?,
                resource: line.resource.ok_or_else(|| missing("resource"))?,
            },
            "remove" => {
                JournalLine::Remove { address: line.address.ok_or_else(|| missing("address"))? }
            }
            "pending" => {
                JournalLine::Pending { pending: line.pending.ok_or_else(|| missing("pending"))? }
            }
            "resolved" => {
                JournalLine::Resolved { address: line.address.ok_or_else(|| missing("address"))? }
            }
            "serial" => {
                JournalLine::Serial { serial: line.serial.ok_or_else(|| missing("serial"))? }
            }
            other => return Err(format!("unknown journal line `{other}`")),
        })
    }
}

fn parse_address(text: &str) -> Result<Address, FormatError> {
    Address::from_str(text)
        .map_err(|error| FormatError::invalid(format!("address `{text}`: {error}")))
}

impl ResourceDocument {
    /// Converts from the model.
    pub fn from_model(resource: &ResourceState) -> ResourceDocument {
        ResourceDocument {
            id: resource.id.clone(),
            applied_paths: PathDigests(resource.applied_paths.clone()),
            digest: resource.digest.clone(),
            secret_fingerprints: PathDigests(resource.secret_fingerprints.clone()),
            last_modified: resource.last_modified.clone(),
            prevent_destroy: resource.prevent_destroy,
            ignore_changes: resource.ignore_changes.iter().map(ToString::to_string).collect(),
            adopt: resource.adopt,
            owner: resource.owner.as_ref().map(ToString::to_string),
            live: resource.live.as_ref().map(|live| live_document(resource, live)),
        }
    }

    /// Converts to the model, checking every address and path.
    pub fn to_model(&self) -> Result<ResourceState, FormatError> {
        self.clone().into_model()
    }

    /// Converts to the model, checking every address and path; the strings move over
    /// (reading a state of thousands of resources, cloning them was a tenth of the time).
    pub fn into_model(self) -> Result<ResourceState, FormatError> {
        if self.id.is_empty() {
            return Err(FormatError::invalid("a resource has an empty `id`"));
        }
        let live = match self.live {
            Some(live) => Some(live_baseline(live, self.last_modified.as_ref())?),
            None => None,
        };
        Ok(ResourceState {
            id: self.id,
            applied_paths: self.applied_paths.0,
            digest: self.digest,
            secret_fingerprints: self.secret_fingerprints.0,
            last_modified: self.last_modified,
            prevent_destroy: self.prevent_destroy,
            ignore_changes: self
                .ignore_changes
                .iter()
                .map(|path| {
                    FieldPath::from_str(path)
                        .map_err(|error| FormatError::invalid(error.to_string()))
                })
                .collect::<Result<_, _>>()?,
            adopt: self.adopt,
            owner: self.owner.as_deref().map(parse_address).transpose()?,
            live,
        })
    }
}

/// The rules version of a baseline that records none: written before versions existed.
fn first_rules() -> u32 {
    1
}

/// The baseline as written (see [`LiveDocument`]).
fn live_document(resource: &ResourceState, live: &LiveBaseline) -> LiveDocument {
    LiveDocument {
        rules: live.rules,
        digest: live.digest.clone(),
        last_modified: live
            .last_modified
            .clone()
            .filter(|last_modified| resource.last_modified.as_ref() != Some(last_modified)),
        paths: LivePaths(live.paths.clone()),
    }
}

/// The baseline back from its written form (see [`LiveDocument`]); `last_modified` is the
/// resource's.
fn live_baseline(
    live: LiveDocument,
    last_modified: Option<&String>,
) -> Result<LiveBaseline, FormatError> {
    Ok(LiveBaseline::from_parts(
        live.paths.0,
        live.digest,
        live.last_modified.or(last_modified.cloned()),
    )
    .with_rules(live.rules))
}

impl PendingDocument {
    /// Converts from the model.
    pub fn from_model(pending: &PendingCreate) -> PendingDocument {
        PendingDocument {
            address: pending.address.to_string(),
            name: pending.name.clone(),
            integration_id: pending.integration_id.clone(),
            started_at: pending.started_at.clone(),
        }
    }

    /// Converts to the model, checking the address.
    pub fn to_model(&self) -> Result<PendingCreate, FormatError> {
        let address = parse_address(&self.address)?;
        Ok(PendingCreate {
            kind: address.kind,
            address,
            name: self.name.clone(),
            integration_id: self.integration_id.clone(),
            started_at: self.started_at.clone(),
        })
    }
}

impl JournalLine {
    /// Applies this event to `state`.
    pub fn apply(&self, state: &mut State) -> Result<(), FormatError> {
        self.clone().apply_owned(state)
    }

    /// Applies this event to `state`, moving its strings over.
    pub fn apply_owned(self, state: &mut State) -> Result<(), FormatError> {
        match self {
            JournalLine::Put { address, resource } => {
                state.resources.insert(parse_address(&address)?, resource.into_model()?);
            }
            JournalLine::Remove { address } => {
                state.resources.remove(&parse_address(&address)?);
            }
            JournalLine::Pending { pending } => {
                let pending = pending.to_model()?;
                state.pending.retain(|existing| existing.address != pending.address);
                state.pending.push(pending);
            }
            JournalLine::Resolved { address } => {
                let address = parse_address(&address)?;
                state.pending.retain(|existing| existing.address != address);
            }
            JournalLine::Serial { serial } => {
                if serial <= state.serial {
                    return Err(FormatError::invalid(format!(
                        "the journal's serial `{serial}` does not follow `{}`",
                        state.serial
                    )));
                }
                state.serial = serial;
            }
        }
        Ok(())
    }
}

/// Parses a state document, refusing newer format versions with a clear error.
pub fn parse(text: &str) -> Result<State, FormatError> {
    parse_versioned(text).map(|(state, _)| state)
}

/// Parses a state document, refusing newer format versions with a clear error; also returns
/// the document's format version.
pub fn parse_versioned(text: &str) -> Result<(State, u32), FormatError> {
    // Straight into the document's types: going through a `serde_json::Value` of the whole
    // document first took twice the time and three times the memory on a state of thousands
    // of resources, at the moment the account's lists arrive. The version is looked at on its
    // own only when that fails (a newer document need not have this version's shape, and must
    // be refused as too new, not as invalid): a first pass for it over every document was
    // 6% of the read.
    let document = match serde_json::from_str::<StateDocument<ResourcesIn>>(text) {
        Ok(document) => document,
        Err(error) => {
            check_version(version_only(text)?)?;
            return Err(FormatError::invalid(error.to_string()));
        }
    };
    check_version(Some(u64::from(document.version)))?;
    if document.lineage.is_empty() || document.salt.is_empty() {
        return Err(FormatError::invalid("`lineage` and `salt` must not be empty"));
    }
    let mut state = State::new(document.lineage, document.target, document.salt);
    state.serial = document.serial;
    // Consumed as converted, so the document shrinks while the state grows.
    for (address, resource) in document.resources.0 {
        state.resources.insert(address, resource.into_model()?);
    }
    for pending in &document.pending {
        state.pending.push(pending.to_model()?);
    }
    Ok((state, document.version))
}

/// The document's `version` when it is a number (serde skips the other fields without
/// building them).
fn version_only(text: &str) -> Result<Option<u64>, FormatError> {
    #[derive(Deserialize)]
    struct VersionOnly {
        version: Option<serde_json::Value>,
    }
    let VersionOnly { version } =
        serde_json::from_str(text).map_err(|error| FormatError::invalid(error.to_string()))?;
    Ok(version.as_ref().and_then(serde_json::Value::as_u64))
}

fn check_version(version: Option<u64>) -> Result<(), FormatError> {
    let version = version.ok_or_else(|| FormatError::invalid("missing numeric `version`"))?;
    if version > u64::from(STATE_FORMAT_VERSION) {
        return Err(FormatError::TooNew { found: version, supported: STATE_FORMAT_VERSION });
    }
    if version == 0 {
        return Err(FormatError::invalid("`version` must be at least 1"));
    }
    Ok(())
}

/// Renders a state document as version 1 (pretty JSON, stable order, trailing newline): for a
/// backend without a journal.
pub fn render(state: &State) -> String {
    render_as(state, DOCUMENT_VERSION)
}

/// Renders a local state file's document: version 2 ([`LOCAL_VERSION`]), whose journal may
/// carry serial lines.
pub fn render_local(state: &State) -> String {
    render_as(state, LOCAL_VERSION)
}

fn render_as(state: &State, version: u32) -> String {
    let document = StateDocument {
        version,
        lineage: state.lineage.clone(),
        serial: state.serial,
        target: state.target.clone(),
        salt: state.salt.clone(),
        resources: ResourcesOut(
            state
                .resources
                .iter()
                .map(|(address, resource)| {
                    (address.to_string(), ResourceDocument::from_model(resource))
                })
                .collect(),
        ),
        pending: state.pending.iter().map(PendingDocument::from_model).collect(),
    };
    // Serialising plain maps and strings cannot fail.
    let mut text = serde_json::to_string_pretty(&document).expect("state document serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::Kind;

    fn sample() -> State {
        let mut state =
            State::new("lineage-1".into(), "http://127.0.0.1:1 (sandbox)".into(), "salt".into());
        state.serial = 7;
        let mut resource = ResourceState { id: "a".repeat(24), ..ResourceState::default() };
        resource.applied_paths.insert("pageProcessors".parse().unwrap(), "d1".into());
        resource.applied_paths.insert("settings[\"a.b\"]".parse().unwrap(), "d2".into());
        resource
            .secret_fingerprints
            .insert("http.auth.token.token".parse().unwrap(), "hmac-sha256:00".into());
        resource.prevent_destroy = true;
        resource.ignore_changes = vec!["disabled".parse().unwrap(), "settings.a".parse().unwrap()];
        resource.adopt = true;
        resource.last_modified = Some("2026-01-01T00:00:00.000Z".into());
        // Relative to the applied paths: `pageProcessors` as applied, `settings["a.b"]` gone
        // from the live document, `filter.type` not applied.
        let mut leaves = BTreeMap::new();
        leaves.insert("pageProcessors".parse().unwrap(), "d1".to_owned());
        leaves.insert("filter.type".parse().unwrap(), "d3".to_owned());
        let live = LiveBaseline::new(
            leaves,
            &resource.applied_paths,
            Some("00".into()),
            Some("2026-01-01T00:00:00.000Z".into()),
        );
        resource.live = Some(live);
        state.resources.insert(Address::new(Kind::Flow, "nightly"), resource);
        state.resources.insert(
            Address::new(Kind::Export, "nightly--orders"),
            ResourceState {
                id: "c".repeat(24),
                owner: Some(Address::new(Kind::Flow, "nightly")),
                ..ResourceState::default()
            },
        );
        state.pending.push(PendingCreate {
            address: Address::new(Kind::Export, "orders"),
            kind: Kind::Export,
            name: "Orders".into(),
            integration_id: None,
            started_at: "2026-01-01T00:00:00.000Z".into(),
        });
        state
    }

    #[test]
    fn round_trip() {
        let state = sample();
        let text = render(&state);
        assert_eq!(parse(&text).unwrap(), state);
        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            document["resources"]["flow.nightly"]["live"],
            serde_json::json!({"rules": flowform_model::BASELINE_RULES, "digest": "00", "paths": {"filter.type": "d3", "settings[\"a.b\"]": ""}}),
            "the baseline is written relative to the applied paths"
        );
    }

    #[test]
    fn a_baseline_without_rules_reads_as_the_first_rules() {
        let text = render(&sample())
            .replace(&format!("\"rules\": {}", flowform_model::BASELINE_RULES), "\"rules\": 1");
        let older = parse(&text).unwrap();
        let live = older.resources[&Address::new(Kind::Flow, "nightly")].live.clone().unwrap();
        assert_eq!(live.rules, 1);
        assert!(!live.is_current());
        let text = text.replace("\"rules\": 1,", "");
        assert!(!text.contains("\"rules\""));
        assert_eq!(parse(&text).unwrap(), older, "a baseline with no `rules` was made by rules 1");
    }

    #[test]
    fn refuses_newer_and_invalid() {
        let text = render(&sample()).replace("\"version\": 1", "\"version\": 9");
        assert!(matches!(parse(&text), Err(FormatError::TooNew { found: 9, .. })));
        assert!(matches!(parse("{"), Err(FormatError::Invalid { .. })));
        assert!(matches!(parse("{\"version\":1}"), Err(FormatError::Invalid { .. })));
        assert!(matches!(parse("{\"version\":\"1\"}"), Err(FormatError::Invalid { .. })));
        // A newer document of another shape is too new, not invalid.
        let newer = STATE_FORMAT_VERSION + 1;
        assert!(matches!(
            parse(&format!("{{\"resources\": [1], \"version\": {newer}}}")),
            Err(FormatError::TooNew { found, .. }) if found == u64::from(newer)
        ));
        // Versions 1 and 2 have the same document.
        let text = render_local(&sample());
        assert!(text.contains("\"version\": 2,"));
        assert_eq!(parse_versioned(&text).unwrap(), (sample(), LOCAL_VERSION));
        assert_eq!(parse_versioned(&render(&sample())).unwrap(), (sample(), DOCUMENT_VERSION));
        let text = render(&sample()).replace("flow.nightly", "flow.Nightly");
        assert!(matches!(parse(&text), Err(FormatError::Invalid { .. })));
    }

    #[test]
    fn paths_and_addresses_read_in_any_order_and_write_in_text_order() {
        let text = r#"{"version": 2, "lineage": "l", "serial": 1, "target": "t", "salt": "s",
            "resources": {
                "flow.b": {"id": "2", "applied_paths": {"z": "1", "a[10]": "2", "a[9]": "3", "z": "4"},
                    "live": {"rules": 2, "paths": {"y": "", "b": "5"}}},
                "flow.a": {"id": "1"},
                "flow.b": {"id": "3", "applied_paths": {"z": "1", "a[10]": "2", "a[9]": "3", "z": "4"},
                    "live": {"rules": 2, "paths": {"y": "", "b": "5"}}}
            }}"#;
        let state = parse(text).unwrap();
        let b = &state.resources[&Address::new(Kind::Flow, "b")];
        assert_eq!(b.id, "3", "an address given twice keeps its last resource");
        let paths: Vec<(String, &str)> = b
            .applied_paths
            .iter()
            .map(|(path, digest)| (path.to_string(), digest.as_str()))
            .collect();
        assert_eq!(
            paths,
            [("a[9]".to_owned(), "3"), ("a[10]".to_owned(), "2"), ("z".to_owned(), "4")],
            "paths in their own order; a path given twice keeps its last digest"
        );
        let live = b.live.as_ref().unwrap();
        assert_eq!(live.paths[0], ("b".parse().unwrap(), Some("5".to_owned())));
        assert_eq!(live.paths[1], ("y".parse().unwrap(), None));
        let rendered = render_local(&state);
        let order = |needles: &[&str]| {
            let found: Vec<usize> =
                needles.iter().map(|needle| rendered.find(needle).expect(needle)).collect();
            found.windows(2).all(|pair| pair[0] < pair[1])
        };
        assert!(order(&["\"flow.a\"", "\"flow.b\""]), "{rendered}");
        assert!(order(&["\"a[10]\"", "\"a[9]\"", "\"z\""]), "written in text order: {rendered}");
        assert!(rendered.contains("\"y\": \"\""), "{rendered}");
        assert_eq!(parse(&rendered).unwrap(), state);
        let bad = text.replacen("\"a[10]\"", "\"a[\"", 1);
        let error = parse(&bad).unwrap_err().to_string();
        assert!(error.starts_with("the state document is not valid: "), "{error}");
    }

    #[test]
    fn journal_replay() {
        let mut state = sample();
        let lines = [
            JournalLine::Remove { address: "flow.nightly".into() },
            JournalLine::Resolved { address: "export.orders".into() },
            JournalLine::Put {
                address: "export.orders".into(),
                resource: ResourceDocument::from_model(&ResourceState {
                    id: "b".repeat(24),
                    ..Default::default()
                }),
            },
        ];
        for line in &lines {
            let text = serde_json::to_string(line).unwrap();
            let parsed: JournalLine = serde_json::from_str(&text).unwrap();
            parsed.apply(&mut state).unwrap();
        }
        assert!(state.pending.is_empty());
        assert_eq!(state.resources.len(), 2);
        assert_eq!(state.resources[&Address::new(Kind::Export, "orders")].id, "b".repeat(24));
        // A serial line moves the serial forward, never back.
        JournalLine::Serial { serial: 9 }.apply(&mut state).unwrap();
        assert_eq!(state.serial, 9);
        let line: JournalLine = serde_json::from_str(r#"{"op":"serial","serial":9}"#).unwrap();
        assert!(matches!(line.apply(&mut state), Err(FormatError::Invalid { .. })));
        assert_eq!(state.serial, 9);
    }
}
