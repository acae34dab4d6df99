//! A lookup cache's data against its `dataFile`, both read as streams: the file once into a
//! digest per key (never its values), the cache page by page through `getData` (never whole).
//! The plan compares them ([`compare`]); the apply writes the difference ([`apply`]): keys gone
//! from the file deleted in batches as the cache's pages come, then the file read again and the
//! added and changed entries upserted in batches, each call within the documented limits
//! (1,000 entries and 5 MB, integrator-api.md §5.8).

use std::collections::HashMap;

use flowform_api::Client;
use flowform_model::lookup_data::{
    BYTES_PER_CALL, DataChange, DataFile, ENTRIES_PER_CALL, EntriesDigest, EntryDigest,
    entry_bytes, entry_digest, for_each_entry, keep_sample,
};

/// Why a lookup cache's data could not be compared or written.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The data file could not be read (it changed since the spec was loaded).
    #[error("cannot read the data file `{path}`: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A request failed.
    #[error(transparent)]
    Api(Box<flowform_api::Error>),
}

impl From<flowform_api::Error> for DataError {
    fn from(error: flowform_api::Error) -> DataError {
        DataError::Api(Box::new(error))
    }
}

/// Per key of the file: the value's digest, and whether the cache holds the key (and with what).
struct FileKeys {
    keys: HashMap<String, (EntryDigest, Seen)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Not in the cache (yet): added.
    No,
    /// In the cache with the same value.
    Same,
    /// In the cache with another value.
    Changed,
}

fn read_digests(file: &DataFile) -> Result<FileKeys, DataError> {
    let failed = |reason: String| DataError::File { path: file.written.clone(), reason };
    let opened = fs_err::File::open(&file.path).map_err(|error| failed(error.to_string()))?;
    let mut keys = HashMap::with_capacity(file.entries);
    for_each_entry(opened, file.format, &mut |key, value| {
        keys.insert(key, (entry_digest(&value), Seen::No));
        Ok(())
    })
    .map_err(|error| failed(error.to_string()))?;
    Ok(FileKeys { keys })
}

/// Compares a live cache's data with the file, page by page.
pub async fn compare(client: &Client, id: &str, file: &DataFile) -> Result<DataChange, DataError> {
    let mut keys = read_digests(file)?;
    let mut change = DataChange { file: file.written.clone(), ..DataChange::default() };
    let mut live_digest = EntriesDigest::new();
    let mut page = None;
    loop {
        let current = client.lookup_data_page(id, page.as_deref()).await?;
        for (key, value) in &current.entries {
            let digest = entry_digest(value);
            live_digest.add(key, &digest);
            match keys.keys.get_mut(key) {
                None => {
                    change.removed += 1;
                    keep_sample(&mut change.first_removed, key);
                }
                Some((wanted, seen)) if *wanted == digest => {
                    *seen = Seen::Same;
                    change.unchanged += 1;
                }
                Some((_, seen)) => {
                    *seen = Seen::Changed;
                    change.changed += 1;
                    keep_sample(&mut change.first_changed, key);
                }
            }
        }
        match current.next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    for (key, (_, seen)) in &keys.keys {
        if *seen == Seen::No {
            change.added += 1;
            keep_sample(&mut change.first_added, key);
        }
    }
    change.live_digest = Some(live_digest.finish());
    Ok(change)
}

/// What [`apply`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataWritten {
    /// Entries added or changed.
    pub upserted: usize,
    /// Keys deleted.
    pub deleted: usize,
    /// Data calls made.
    pub calls: usize,
}

/// Makes the cache hold exactly the file's entries: deletes the keys the file does not have
/// and upserts the entries it adds or changes. `existing` is false for a cache created moments
/// ago (it holds nothing, so it is not read).
pub async fn apply(
    client: &Client,
    id: &str,
    file: &DataFile,
    existing: bool,
) -> Result<DataWritten, DataError> {
    let mut keys = read_digests(file)?;
    let mut written = DataWritten::default();
    if existing {
        let mut doomed: Vec<String> = Vec::new();
        let mut doomed_bytes = 0;
        let mut page = None;
        loop {
            let current = client.lookup_data_page(id, page.as_deref()).await?;
            for (key, value) in &current.entries {
                match keys.keys.get_mut(key) {
                    None => {
                        let bytes = key.len() + 8;
                        if doomed.len() == ENTRIES_PER_CALL
                            || doomed_bytes + bytes > BYTES_PER_CALL - 64
                        {
                            delete(client, id, &mut doomed, &mut written).await?;
                            doomed_bytes = 0;
                        }
                        doomed_bytes += bytes;
                        doomed.push(key.clone());
                    }
                    Some((wanted, seen)) => {
                        *seen =
                            if *wanted == entry_digest(value) { Seen::Same } else { Seen::Changed };
                    }
                }
            }
            // Keys are deleted after their page is read: the next page starts after the last
            // key of this one, whatever happens to the keys before it.
            match current.next {
                Some(next) => page = Some(next),
                None => break,
            }
        }
        if !doomed.is_empty() {
            delete(client, id, &mut doomed, &mut written).await?;
        }
    }
    // The file again, as a stream: every entry the cache lacks or holds otherwise, in batches.
    // Reading is synchronous (a blocking task); each batch is sent as it fills, one call at a
    // time, so at most two batches of values (5 MB each) are held at once.
    let failed = |reason: String| DataError::File { path: file.written.clone(), reason };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<(String, serde_json::Value)>>(1);
    let source = file.clone();
    let wanted: HashMap<String, bool> =
        keys.keys.drain().map(|(key, (_, seen))| (key, seen != Seen::Same)).collect();
    let reader = tokio::task::spawn_blocking(move || {
        let opened = fs_err::File::open(&source.path).map_err(|error| error.to_string())?;
        let mut batch: Vec<(String, serde_json::Value)> = Vec::new();
        let mut batch_bytes = 0;
        let send = |batch: Vec<(String, serde_json::Value)>| {
            sender.blocking_send(batch).map_err(|_| "the apply stopped".to_owned())
        };
        for_each_entry(opened, source.format, &mut |key, value| {
            if !wanted.get(&key).copied().unwrap_or(true) {
                return Ok(());
            }
            let bytes = entry_bytes(&key, &value);
            if batch.len() == ENTRIES_PER_CALL || batch_bytes + bytes > BYTES_PER_CALL - 64 {
                send(std::mem::take(&mut batch))?;
                batch_bytes = 0;
            }
            batch_bytes += bytes;
            batch.push((key, value));
            Ok(())
        })
        .map_err(|error| error.to_string())?;
        if !batch.is_empty() {
            send(batch)?;
        }
        Ok::<(), String>(())
    });
    while let Some(entries) = receiver.recv().await {
        client.upsert_lookup_data(id, &entries).await?;
        written.upserted += entries.len();
        written.calls += 1;
    }
    reader.await.map_err(|error| failed(error.to_string()))?.map_err(failed)?;
    Ok(written)
}

async fn delete(
    client: &Client,
    id: &str,
    keys: &mut Vec<String>,
    written: &mut DataWritten,
) -> Result<(), DataError> {
    client.delete_lookup_keys(id, keys).await?;
    written.deleted += keys.len();
    written.calls += 1;
    keys.clear();
    Ok(())
}
