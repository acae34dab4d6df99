//! The in-memory store of one account: its collections in creation order, a reference index in
//! both directions (so dependency checks and integration sub-collections never scan a
//! collection), lookup cache data, the recycle bin, jobs and State API keys.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use indexmap::IndexMap;
use serde_json::Value;

use crate::config::JobOutcome;
use crate::json::Document;
use crate::kinds::{RefTarget, ResourceKind, UNSCANNED_SUBTREES, reference_target};
use crate::rate::Bucket;
use crate::util::{
    SeededRng, fnv1a, format_timestamp, is_object_id, now_millis, parse_timestamp, to_hex,
};

/// One account: its data behind one lock, plus counters, rate budget and random generator.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) user_id: String,
    /// What `GET /v1/environments` lists; `None` for an account whose licence has no
    /// environments (the default), which answers 403 `feature_not_enabled`.
    pub(crate) environments: Mutex<Option<Vec<serde_json::Value>>>,
    data: RwLock<AccountData>,
    pub(crate) bucket: Mutex<Bucket>,
    pub(crate) counters: Mutex<Counters>,
    rng: Mutex<SeededRng>,
    /// Requests still to be answered 429 because of [`crate::Admin::force_429`].
    pub(crate) forced_429_remaining: AtomicU64,
    /// Authenticated `/v1` requests received, numbering requests for forced 429 bursts.
    pub(crate) request_number: AtomicU64,
}

impl Account {
    pub(crate) fn new(name: String, seed: u64, bucket: Bucket) -> Self {
        let name_hash = fnv1a(name.as_bytes());
        let mut user_rng = SeededRng::new(name_hash);
        let mut user_bytes = [0u8; 12];
        user_bytes[..8].copy_from_slice(&user_rng.next_u64().to_be_bytes());
        user_bytes[8..].copy_from_slice(&user_rng.next_u64().to_be_bytes()[..4]);
        Self {
            user_id: to_hex(&user_bytes),
            environments: Mutex::new(None),
            name,
            data: RwLock::new(AccountData::default()),
            bucket: Mutex::new(bucket),
            counters: Mutex::new(Counters::default()),
            rng: Mutex::new(SeededRng::new(seed ^ name_hash)),
            forced_429_remaining: AtomicU64::new(0),
            request_number: AtomicU64::new(0),
        }
    }

    // A panic while a lock is held cannot leave the data half-written in a way later requests
    // must avoid (every change is built first and inserted last), so poisoning is ignored.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, AccountData> {
        self.data.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, AccountData> {
        self.data.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn rng(&self) -> MutexGuard<'_, SeededRng> {
        self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn counters(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn next_request_number(&self) -> u64 {
        self.request_number.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Request counters of one account.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counters {
    pub(crate) requests_received: u64,
    pub(crate) rate_limited: u64,
    pub(crate) server_errors_injected: u64,
    pub(crate) responses_dropped: u64,
    pub(crate) by_route: BTreeMap<(String, String), u64>,
}

/// A reference from one document to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    pub(crate) target: ResourceKind,
    pub(crate) id: String,
    pub(crate) path: String,
}

/// A reference field whose value cannot be an id of anything.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MalformedReference {
    pub(crate) path: String,
}

pub(crate) type SourceKey = (ResourceKind, String);

/// Both directions of the reference graph of an account.
#[derive(Debug, Default)]
pub(crate) struct RefIndex {
    outgoing: HashMap<SourceKey, Vec<Reference>>,
    incoming: HashMap<SourceKey, BTreeMap<SourceKey, Vec<String>>>,
}

impl RefIndex {
    fn set(&mut self, source: SourceKey, references: Vec<Reference>) {
        self.remove(&source);
        for reference in &references {
            self.incoming
                .entry((reference.target, reference.id.clone()))
                .or_default()
                .entry(source.clone())
                .or_default()
                .push(reference.path.clone());
        }
        self.outgoing.insert(source, references);
    }

    fn remove(&mut self, source: &SourceKey) {
        let Some(old) = self.outgoing.remove(source) else { return };
        for reference in old {
            let key = (reference.target, reference.id);
            if let Some(sources) = self.incoming.get_mut(&key) {
                sources.remove(source);
                if sources.is_empty() {
                    self.incoming.remove(&key);
                }
            }
        }
    }

    pub(crate) fn references_of(&self, kind: ResourceKind, id: &str) -> &[Reference] {
        self.outgoing.get(&(kind, id.to_owned())).map_or(&[], Vec::as_slice)
    }

    /// Everything that references `(kind, id)`, with the paths it does so at.
    pub(crate) fn referrers(
        &self,
        kind: ResourceKind,
        id: &str,
    ) -> Option<&BTreeMap<SourceKey, Vec<String>>> {
        self.incoming.get(&(kind, id.to_owned()))
    }
}

/// Finds every reference field of a document (API reference §5.10): modelled targets become
/// [`Reference`]s; values that cannot be ids are reported as malformed.
pub(crate) fn collect_references(document: &Document) -> (Vec<Reference>, Vec<MalformedReference>) {
    let mut references = Vec::new();
    let mut malformed = Vec::new();
    walk_object(document, "", &mut references, &mut malformed);
    (references, malformed)
}

fn walk_object(
    object: &serde_json::Map<String, Value>,
    prefix: &str,
    references: &mut Vec<Reference>,
    malformed: &mut Vec<MalformedReference>,
) {
    for (key, value) in object {
        if UNSCANNED_SUBTREES.contains(&key.as_str()) {
            continue;
        }
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match reference_target(key) {
            Some(target) => collect_reference_value(target, value, &path, references, malformed),
            None => walk_value(value, &path, references, malformed),
        }
    }
}

fn walk_value(
    value: &Value,
    path: &str,
    references: &mut Vec<Reference>,
    malformed: &mut Vec<MalformedReference>,
) {
    match value {
        Value::Object(object) => walk_object(object, path, references, malformed),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_value(item, &format!("{path}[{index}]"), references, malformed);
            }
        }
        _ => {}
    }
}

fn collect_reference_value(
    target: RefTarget,
    value: &Value,
    path: &str,
    references: &mut Vec<Reference>,
    malformed: &mut Vec<MalformedReference>,
) {
    match value {
        Value::String(id) => match target {
            _ if !is_object_id(id) => malformed.push(MalformedReference { path: path.to_owned() }),
            RefTarget::Modelled(kind) => {
                references.push(Reference { target: kind, id: id.clone(), path: path.to_owned() });
            }
            RefTarget::Unmodelled => {}
        },
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_reference_value(
                    target,
                    item,
                    &format!("{path}[{index}]"),
                    references,
                    malformed,
                );
            }
        }
        // Normalisation removes nulls before this runs; any other non-string cannot be an id.
        Value::Null => {}
        _ => malformed.push(MalformedReference { path: path.to_owned() }),
    }
}

/// A job record (see `jobs.rs` for how its status is derived).
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) document: Document,
    /// The parent flow job for `export`/`import` child jobs.
    pub(crate) parent: Option<String>,
    pub(crate) children: Vec<String>,
    pub(crate) created_millis: i64,
    pub(crate) polls: u32,
    pub(crate) outcome: JobOutcome,
    /// Counts reported once the job is finished.
    pub(crate) final_counts: JobCounts,
    /// Set by a cancel request.
    pub(crate) canceled: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JobCounts {
    pub(crate) num_export: u64,
    pub(crate) num_success: u64,
    pub(crate) num_error: u64,
    pub(crate) num_ignore: u64,
    pub(crate) num_pages: u64,
}

/// All data of one account.
#[derive(Debug, Default)]
pub(crate) struct AccountData {
    collections: [IndexMap<String, Document>; ResourceKind::COUNT],
    /// Each stored document's JSON text, written when it is stored and dropped when it is
    /// changed in place, so that a list page copies it instead of serialising the document
    /// again (`resources::list_page`).
    texts: [HashMap<String, Box<[u8]>>; ResourceKind::COUNT],
    /// Each collection's `(name, _id)` pairs in list order (byte-wise name, then id), kept with
    /// the collections so a sorted page costs no sort.
    by_name: [BTreeSet<(String, String)>; ResourceKind::COUNT],
    pub(crate) references: RefIndex,
    /// Deleted documents by id, in deletion order.
    pub(crate) recycle_bin: IndexMap<String, (ResourceKind, Document)>,
    pub(crate) jobs: IndexMap<String, Job>,
    /// Global State API keys.
    pub(crate) state: BTreeMap<String, Value>,
    /// Resource-scoped State API keys.
    pub(crate) scoped_state: HashMap<SourceKey, BTreeMap<String, Value>>,
    /// Lookup cache data by cache id (kept while the cache is in the recycle bin, dropped when
    /// it is purged).
    pub(crate) lookup_data: HashMap<String, CacheData>,
    pub(crate) job_outcome: JobOutcome,
}

/// The data of one lookup cache: its entries in key order (byte-wise) and their size.
#[derive(Debug, Default, Clone)]
pub(crate) struct CacheData {
    pub(crate) entries: BTreeMap<String, Value>,
    /// The sum of [`entry_size`] over the entries.
    pub(crate) bytes: u64,
}

/// The size an entry counts for: its key's bytes plus its value's JSON bytes.
pub(crate) fn entry_size(key: &str, value: &Value) -> u64 {
    let value_bytes = serde_json::to_vec(value).map_or(0, |bytes| bytes.len());
    (key.len() + value_bytes) as u64
}

impl CacheData {
    /// Data holding `entries`, with its size computed.
    pub(crate) fn from_entries(entries: BTreeMap<String, Value>) -> Self {
        let bytes = entries.iter().map(|(key, value)| entry_size(key, value)).sum();
        Self { entries, bytes }
    }
}

impl AccountData {
    pub(crate) fn collection(&self, kind: ResourceKind) -> &IndexMap<String, Document> {
        &self.collections[kind.index()]
    }

    pub(crate) fn get(&self, kind: ResourceKind, id: &str) -> Option<&Document> {
        self.collections[kind.index()].get(id)
    }

    /// Mutable access for server-owned, non-reference fields only (the reference index is not
    /// updated).
    pub(crate) fn get_mut_unindexed(
        &mut self,
        kind: ResourceKind,
        id: &str,
    ) -> Option<&mut Document> {
        self.texts[kind.index()].remove(id);
        self.collections[kind.index()].get_mut(id)
    }

    /// The JSON text of a stored document, as `serde_json` writes it; `None` once the document
    /// was changed in place (its text is written again when it is next stored).
    pub(crate) fn text(&self, kind: ResourceKind, id: &str) -> Option<&[u8]> {
        self.texts[kind.index()].get(id).map(|text| &**text)
    }

    pub(crate) fn contains(&self, kind: ResourceKind, id: &str) -> bool {
        self.collections[kind.index()].contains_key(id)
    }

    /// The position of a document in its collection (creation order), for sorting.
    pub(crate) fn position(&self, kind: ResourceKind, id: &str) -> Option<usize> {
        self.collections[kind.index()].get_index_of(id)
    }

    /// Inserts or replaces a document (keeping the position of a replaced one) and re-indexes
    /// its references.
    pub(crate) fn put(&mut self, kind: ResourceKind, id: String, document: Document) {
        let (references, _) = collect_references(&document);
        self.references.set((kind, id.clone()), references);
        let names = &mut self.by_name[kind.index()];
        if let Some(old) = self.collections[kind.index()].get(&id) {
            names.remove(&(document_name(old), id.clone()));
        }
        names.insert((document_name(&document), id.clone()));
        match serde_json::to_vec(&document) {
            Ok(text) => self.texts[kind.index()].insert(id.clone(), text.into_boxed_slice()),
            Err(_) => self.texts[kind.index()].remove(&id),
        };
        self.collections[kind.index()].insert(id, document);
    }

    /// The ids of a collection in list order: by `name` (byte-wise), equal names by `_id`.
    pub(crate) fn ids_by_name(&self, kind: ResourceKind) -> impl Iterator<Item = &String> {
        self.by_name[kind.index()].iter().map(|(_, id)| id)
    }

    /// The list-order key of a document.
    pub(crate) fn name_key(&self, kind: ResourceKind, id: &str) -> (String, String) {
        (self.get(kind, id).map(document_name).unwrap_or_default(), id.to_owned())
    }

    /// Removes a document and its outgoing references. Removal shifts later documents, which is
    /// O(n) but only on delete, never on the read paths.
    pub(crate) fn take(&mut self, kind: ResourceKind, id: &str) -> Option<Document> {
        let document = self.collections[kind.index()].shift_remove(id)?;
        self.texts[kind.index()].remove(id);
        self.references.remove(&(kind, id.to_owned()));
        self.by_name[kind.index()].remove(&(document_name(&document), id.to_owned()));
        Some(document)
    }

    /// Documents in the recycle bin of kind `source_kind` that reference `(kind, id)`.
    pub(crate) fn binned_dependents(
        &self,
        source_kind: ResourceKind,
        kind: ResourceKind,
        id: &str,
    ) -> Vec<Dependent> {
        self.recycle_bin
            .iter()
            .filter(|(_, (bin_kind, _))| *bin_kind == source_kind)
            .filter_map(|(source_id, (_, document))| {
                let (references, _) = collect_references(document);
                let paths: Vec<String> = references
                    .into_iter()
                    .filter(|reference| reference.target == kind && reference.id == id)
                    .map(|reference| reference.path)
                    .collect();
                (!paths.is_empty()).then(|| Dependent {
                    kind: source_kind,
                    id: source_id.clone(),
                    name: document_name(document),
                    paths,
                    in_recycle_bin: true,
                })
            })
            .collect()
    }

    /// Everything that references `(kind, id)`, excluding the document itself, in a stable order.
    pub(crate) fn dependents(&self, kind: ResourceKind, id: &str) -> Vec<Dependent> {
        let Some(referrers) = self.references.referrers(kind, id) else { return Vec::new() };
        referrers
            .iter()
            .filter(|((source_kind, source_id), _)| !(*source_kind == kind && source_id == id))
            .filter_map(|((source_kind, source_id), paths)| {
                let document = self.get(*source_kind, source_id)?;
                Some(Dependent {
                    kind: *source_kind,
                    id: source_id.clone(),
                    name: document
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    paths: paths.clone(),
                    in_recycle_bin: false,
                })
            })
            .collect()
    }

    /// Ids of `kind` documents that reference `(target, id)`, in creation order.
    pub(crate) fn referrers_of_kind(
        &self,
        kind: ResourceKind,
        target: ResourceKind,
        id: &str,
    ) -> Vec<String> {
        let mut ids: Vec<String> = self
            .references
            .referrers(target, id)
            .map(|referrers| {
                referrers
                    .keys()
                    .filter(|(source_kind, _)| *source_kind == kind)
                    .map(|(_, source_id)| source_id.clone())
                    .collect()
            })
            .unwrap_or_default();
        self.sort_by_position(kind, &mut ids);
        ids
    }

    pub(crate) fn sort_by_position(&self, kind: ResourceKind, ids: &mut Vec<String>) {
        ids.sort_by_key(|id| self.position(kind, id).unwrap_or(usize::MAX));
        ids.dedup();
    }

    pub(crate) fn clear(&mut self) {
        let job_outcome = self.job_outcome;
        *self = AccountData { job_outcome, ..AccountData::default() };
    }

    pub(crate) fn counts(&self) -> BTreeMap<ResourceKind, usize> {
        ResourceKind::ALL.into_iter().map(|kind| (kind, self.collection(kind).len())).collect()
    }
}

/// A resource that references another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dependent {
    pub(crate) kind: ResourceKind,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) paths: Vec<String>,
    /// The dependent is in the recycle bin (it holds the resource until purged).
    pub(crate) in_recycle_bin: bool,
}

/// A document's name for list order (a missing or non-string name sorts as empty).
fn document_name(document: &Document) -> String {
    document.get("name").and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// A `lastModified` for a change now: the current time, but always later than `previous` so a
/// client comparing timestamps never misses a change made within the same millisecond.
pub(crate) fn next_timestamp(previous: Option<&Value>) -> String {
    let now = now_millis();
    let previous = previous.and_then(Value::as_str).and_then(parse_timestamp);
    format_timestamp(match previous {
        Some(previous) if previous >= now => previous + 1,
        _ => now,
    })
}
