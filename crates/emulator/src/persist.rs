//! The data file: every account's resources, recycle bin and State API keys as JSON, keyed by
//! account name (never by token), written atomically (temporary file in the same directory,
//! then rename) with mode 0600 because it holds secrets in clear, like the real service's
//! database. Jobs are not persisted.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, Notify, watch};

use crate::error::PersistError;
use crate::kinds::ResourceKind;
use crate::lookup_data;
use crate::store::{Account, AccountData};
use crate::util::{IdGenerator, is_object_id};

const FORMAT: &str = "flowform-emulator-data";
const VERSION: u64 = 1;

#[derive(Debug)]
pub(crate) struct Persistence {
    path: PathBuf,
    changed: Notify,
    /// Serialises snapshots and writes so an older snapshot never lands after a newer one.
    writing: Mutex<()>,
}

impl Persistence {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, changed: Notify::new(), writing: Mutex::new(()) }
    }

    pub(crate) fn notify_changed(&self) {
        self.changed.notify_one();
    }

    /// Loads the file, if it exists, into the accounts with matching names.
    pub(crate) fn load_into(&self, accounts: &[Arc<Account>]) -> Result<(), PersistError> {
        let text = match fs_err::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(PersistError::Io(error)),
        };
        let root: Value = serde_json::from_str(&text)?;
        let shape = |reason: &str| PersistError::Shape { reason: reason.to_owned() };
        if root.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(shape("missing `format: flowform-emulator-data`"));
        }
        if root.get("version").and_then(Value::as_u64) != Some(VERSION) {
            return Err(shape("unsupported `version`"));
        }
        let Some(saved) = root.get("accounts").and_then(Value::as_object) else {
            return Err(shape("missing `accounts`"));
        };
        for account in accounts {
            if let Some(saved_account) = saved.get(&account.name) {
                let mut data = account.write();
                restore_account(&mut data, saved_account)
                    .map_err(|reason| PersistError::Shape { reason })?;
            }
        }
        Ok(())
    }

    /// Writes a snapshot whenever data changes, until shutdown.
    pub(crate) async fn run(&self, accounts: &[Arc<Account>], mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                () = self.changed.notified() => {
                    if let Err(error) = self.flush(accounts).await {
                        tracing::error!(error = %error, path = %self.path.display(), "failed to write the emulator data file");
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }

    pub(crate) async fn flush(&self, accounts: &[Arc<Account>]) -> Result<(), PersistError> {
        let _guard = self.writing.lock().await;
        let snapshot = snapshot(accounts);
        let bytes = serde_json::to_vec_pretty(&snapshot)?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|error| PersistError::Io(std::io::Error::other(error)))??;
        Ok(())
    }
}

fn snapshot(accounts: &[Arc<Account>]) -> Value {
    let mut saved = Map::new();
    for account in accounts {
        let data = account.read();
        saved.insert(account.name.clone(), dump_account(&data));
    }
    json!({ "format": FORMAT, "version": VERSION, "accounts": saved })
}

/// The resources of an account in fixture format: `{"integrations":[…], …}`, unmasked.
pub(crate) fn dump_resources(data: &AccountData) -> Map<String, Value> {
    let mut resources = Map::new();
    for kind in ResourceKind::ALL {
        let documents: Vec<Value> =
            data.collection(kind).values().cloned().map(Value::Object).collect();
        resources.insert(kind.collection().to_owned(), Value::Array(documents));
    }
    resources
}

fn dump_account(data: &AccountData) -> Value {
    let bin: Vec<Value> = data
        .recycle_bin
        .values()
        .map(|(kind, document)| json!({"collection": kind.collection(), "doc": Value::Object(document.clone())}))
        .collect();
    let scoped: BTreeMap<String, Value> = data
        .scoped_state
        .iter()
        .map(|((kind, id), keys)| (format!("{}/{id}", kind.collection()), json!(keys)))
        .collect();
    let lookup_cache_data: BTreeMap<&String, Value> = data
        .lookup_data
        .keys()
        .map(|id| (id, Value::Array(lookup_data::entries(data, id))))
        .collect();
    json!({
        "resources": dump_resources(data),
        "recycleBin": bin,
        "state": data.state,
        "scopedState": scoped,
        "lookupCacheData": lookup_cache_data,
    })
}

fn restore_account(data: &mut AccountData, saved: &Value) -> Result<(), String> {
    data.clear();
    if let Some(resources) = saved.get("resources") {
        load_resources(data, resources, &IdGenerator::new(0), LoadMode::Fixture)?;
    }
    for entry in saved.get("recycleBin").and_then(Value::as_array).into_iter().flatten() {
        let kind =
            entry.get("collection").and_then(Value::as_str).and_then(ResourceKind::from_collection);
        let document = entry.get("doc").and_then(Value::as_object);
        let id = document.and_then(|document| document.get("_id")).and_then(Value::as_str);
        if let (Some(kind), Some(document), Some(id)) = (kind, document, id) {
            data.recycle_bin.insert(id.to_owned(), (kind, document.clone()));
        }
    }
    if let Some(state) = saved.get("state").and_then(Value::as_object) {
        data.state = state.iter().map(|(key, value)| (key.clone(), value.clone())).collect();
    }
    if let Some(caches) = saved.get("lookupCacheData").and_then(Value::as_object) {
        for (id, entries) in caches {
            data.lookup_data.insert(id.clone(), lookup_data::parse_entries(entries)?);
        }
    }
    if let Some(scoped) = saved.get("scopedState").and_then(Value::as_object) {
        for (scope, keys) in scoped {
            let Some((collection, id)) = scope.split_once('/') else { continue };
            let (Some(kind), Some(keys)) =
                (ResourceKind::from_collection(collection), keys.as_object())
            else {
                continue;
            };
            data.scoped_state.insert(
                (kind, id.to_owned()),
                keys.iter().map(|(key, value)| (key.clone(), value.clone())).collect(),
            );
        }
    }
    Ok(())
}

/// How [`load_resources`] treats documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadMode {
    /// Fixtures and the data file: a missing `_id` is generated, missing timestamps are added.
    Fixture,
    /// Documents exactly as a real account holds them: `_id` required, nothing added.
    Raw,
}

/// Loads fixtures (`{"integrations":[docs…], …}`, documents as a GET returns them) into the
/// account, keeping each document's `_id` and timestamps (in [`LoadMode::Fixture`] giving it
/// an id and timestamps when missing). Returns how many documents of each kind were loaded.
pub(crate) fn load_resources(
    data: &mut AccountData,
    fixtures: &Value,
    ids: &IdGenerator,
    mode: LoadMode,
) -> Result<BTreeMap<ResourceKind, usize>, String> {
    let Some(fixtures) = fixtures.as_object() else {
        return Err("fixtures must be an object keyed by collection name".to_owned());
    };
    for key in fixtures.keys() {
        if ResourceKind::from_collection(key).is_none() {
            return Err(format!("unknown collection `{key}`"));
        }
    }
    // Check everything before loading anything so bad fixtures change nothing.
    let mut prepared = Vec::new();
    for kind in ResourceKind::ALL {
        let Some(documents) = fixtures.get(kind.collection()) else { continue };
        let Some(documents) = documents.as_array() else {
            return Err(format!("`{}` must be an array of documents", kind.collection()));
        };
        for (index, document) in documents.iter().enumerate() {
            let Some(document) = document.as_object() else {
                return Err(format!("`{}[{index}]` must be an object", kind.collection()));
            };
            match document.get("_id") {
                None if mode == LoadMode::Fixture => {}
                None => {
                    return Err(format!(
                        "`{}[{index}]` has no `_id`; raw documents keep the id they were read with",
                        kind.collection()
                    ));
                }
                Some(Value::String(id)) if is_object_id(id) => {}
                Some(_) => {
                    return Err(format!(
                        "`{}[{index}]._id` must be 24 lowercase hex digits",
                        kind.collection()
                    ));
                }
            }
            prepared.push((kind, document.clone()));
        }
    }
    let mut counts = BTreeMap::new();
    for (kind, mut document) in prepared {
        let id = match document.get("_id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => {
                let id = ids.next_id();
                let mut with_id = Map::new();
                with_id.insert("_id".into(), Value::String(id.clone()));
                with_id.extend(document);
                document = with_id;
                id
            }
        };
        if mode == LoadMode::Fixture {
            let now = Value::String(crate::util::format_timestamp(crate::util::now_millis()));
            document.entry("lastModified").or_insert_with(|| now.clone());
            document.entry("createdAt").or_insert(now);
        }
        data.put(kind, id, document);
        *counts.entry(kind).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Writes `bytes` to `path` through a temporary file in the same directory (mode 0600) and a
/// rename, so readers never see a half-written file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs_err::create_dir_all(&directory)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".to_owned());
    let temporary = directory.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let mut options = fs_err::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs_err::rename(&temporary, path)
}
