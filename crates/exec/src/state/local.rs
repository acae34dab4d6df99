//! The local state backend: `state.json` written atomically, a journal of events since the last
//! full write, and a lock file.
//!
//! Every completed step is appended to `state.json.journal` as one JSON line (one `write` call,
//! so a killed process leaves at most a torn last line, which replay ignores). A full write
//! (temp file, fsync, rename, fsync of the directory) folds the journal in and removes it. The
//! journal's first line names the serial and lineage it extends, so a journal left over from an
//! older document is never replayed onto a newer one.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flowform_model::State;

use super::format::{self, FormatError, JournalLine};
use super::lock::{LocalLock, LockError, LockHolder};

/// Errors of the local backend. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The state file could not be read or written.
    #[error("cannot access the state file `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The state file is corrupt or too new; it is left untouched.
    #[error("cannot use the state file `{path}`; it was left untouched")]
    Format {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: FormatError,
    },
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// The paths of the files of one local state.
#[derive(Debug, Clone)]
pub struct LocalPaths {
    /// `state.json`.
    pub state: PathBuf,
    /// `state.json.journal`.
    pub journal: PathBuf,
    /// `state.json.lock`.
    pub lock: PathBuf,
}

impl LocalPaths {
    /// The files for the state at `path`.
    pub fn new(path: &Path) -> LocalPaths {
        let with_suffix = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        LocalPaths {
            state: path.to_owned(),
            journal: with_suffix(".journal"),
            lock: with_suffix(".lock"),
        }
    }
}

/// Reads the state at `paths` (with its journal replayed in memory) without locking or writing
/// anything. `None` when there is no state yet.
pub fn read(paths: &LocalPaths) -> Result<Option<State>, LocalError> {
    let io = |source| LocalError::Io { path: paths.state.clone(), source };
    let text = match fs_err::read_to_string(&paths.state) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == ErrorKind::NotFound => None,
        Err(error) => return Err(io(error)),
    };
    let mut state = match text {
        Some(text) => Some(
            format::parse(&text)
                .map_err(|source| LocalError::Format { path: paths.state.clone(), source })?,
        ),
        None => None,
    };
    replay_journal(paths, &mut state)?;
    Ok(state)
}

fn replay_journal(paths: &LocalPaths, state: &mut Option<State>) -> Result<bool, LocalError> {
    let text = match fs_err::read_to_string(&paths.journal) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(LocalError::Io { path: paths.journal.clone(), source }),
    };
    let mut lines = text.split_inclusive('\n');
    let Some(header) = lines.next() else { return Ok(false) };
    let Ok(JournalHeader { base_serial, lineage }) = serde_json::from_str(header.trim_end()) else {
        return Ok(false);
    };
    match state {
        Some(existing) if existing.lineage == lineage && existing.serial == base_serial => {}
        _ => return Ok(false),
    }
    let Some(state) = state.as_mut() else { return Ok(false) };
    let mut replayed = false;
    for line in lines {
        // A line without its newline was torn by a crash mid-write: it and anything after it
        // never completed.
        if !line.ends_with('\n') {
            break;
        }
        let Ok(event) = serde_json::from_str::<JournalLine>(line.trim_end()) else { break };
        event
            .apply(state)
            .map_err(|source| LocalError::Format { path: paths.journal.clone(), source })?;
        replayed = true;
    }
    Ok(replayed)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct JournalHeader {
    base_serial: u64,
    lineage: String,
}

/// A local state whose lock is held and whose document is not read yet ([`LocalStore::lock`]).
/// Dropping it releases the lock.
#[derive(Debug)]
pub struct LockedFile(LocalStore);

impl LockedFile {
    /// Reads the state (a journal left by an interrupted run is folded into the document at
    /// once): the store, and the state if there is one.
    pub fn read(self) -> Result<(LocalStore, Option<State>), LocalError> {
        let mut store = self.0;
        let mut state = read_without_journal(&store.paths)?;
        store.on_disk = state.as_ref().map(|state| (state.lineage.clone(), state.serial));
        if replay_journal(&store.paths, &mut state)? {
            if let Some(state) = state.as_mut() {
                store.save(state)?;
            }
        } else {
            store.remove_journal()?;
        }
        Ok((store, state))
    }
}

/// A locked local state, open for writing.
#[derive(Debug)]
pub struct LocalStore {
    paths: LocalPaths,
    journal: Option<fs_err::File>,
    /// The lineage and serial of the document on disk, as this store last read or wrote it
    /// (nobody else writes it while the lock is held).
    on_disk: Option<(String, u64)>,
    _lock: LocalLock,
}

impl LocalStore {
    /// Locks and reads the state at `path`. A journal left by an interrupted run is folded into
    /// the document at once. Returns the store, the state (if any) and a stale lock that was
    /// broken (if any), for a warning.
    pub async fn open(
        path: &Path,
        command: &str,
        lock_timeout: Duration,
    ) -> Result<(LocalStore, Option<State>, Option<LockHolder>), LocalError> {
        let (locked, broken) = LocalStore::lock(path, command, lock_timeout).await?;
        let (store, state) = locked.read()?;
        Ok((store, state, broken))
    }

    /// Takes the lock of the state at `path` without reading the state: [`LockedFile::read`]
    /// reads it (on another thread, while other work goes on). Returns a stale lock that was
    /// broken (if any), for a warning.
    pub async fn lock(
        path: &Path,
        command: &str,
        lock_timeout: Duration,
    ) -> Result<(LockedFile, Option<LockHolder>), LocalError> {
        let paths = LocalPaths::new(path);
        if let Some(parent) = paths.state.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            fs_err::create_dir_all(parent)
                .map_err(|source| LocalError::Io { path: parent.to_owned(), source })?;
        }
        let (lock, broken) = LocalLock::acquire(&paths.lock, command, lock_timeout).await?;
        Ok((LockedFile(LocalStore { paths, journal: None, on_disk: None, _lock: lock }), broken))
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.paths.state
    }

    /// Appends one event to the journal. `state` is the state the event was already applied
    /// to in memory; the journal extends the last full write, so a brand-new state is written in
    /// full first.
    pub fn record(&mut self, state: &mut State, event: &JournalLine) -> Result<(), LocalError> {
        if self.journal.is_none() && !self.written_once(state) {
            return self.save(state);
        }
        let io = |source| LocalError::Io { path: self.paths.journal.clone(), source };
        if self.journal.is_none() {
            let mut file = fs_err::OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&self.paths.journal)
                .map_err(io)?;
            let header =
                JournalHeader { base_serial: state.serial, lineage: state.lineage.clone() };
            let mut line = serde_json::to_string(&header).expect("journal header serialises");
            line.push('\n');
            file.write_all(line.as_bytes()).map_err(io)?;
            self.journal = Some(file);
        }
        let mut line = serde_json::to_string(event).expect("journal line serialises");
        line.push('\n');
        let journal = self.journal.as_mut().expect("journal opened above");
        journal
            .write_all(line.as_bytes())
            .map_err(|source| LocalError::Io { path: self.paths.journal.clone(), source })
    }

    /// Writes the whole state atomically (serial + 1) and drops the journal.
    pub fn save(&mut self, state: &mut State) -> Result<(), LocalError> {
        state.serial += 1;
        let text = format::render(state);
        write_atomically(&self.paths.state, text.as_bytes())
            .map_err(|source| LocalError::Io { path: self.paths.state.clone(), source })?;
        self.on_disk = Some((state.lineage.clone(), state.serial));
        self.journal = None;
        self.remove_journal()
    }

    /// Whether the document on disk is the one `state` extends, so a journal may extend it.
    /// Tracked rather than read back: parsing the document again (megabytes for thousands of
    /// resources) at the first step of every apply was a tenth of a small apply's time.
    fn written_once(&self, state: &State) -> bool {
        self.on_disk
            .as_ref()
            .is_some_and(|(lineage, serial)| *lineage == state.lineage && *serial == state.serial)
    }

    fn remove_journal(&mut self) -> Result<(), LocalError> {
        match fs_err::remove_file(&self.paths.journal) {
            Err(source) if source.kind() != ErrorKind::NotFound => {
                Err(LocalError::Io { path: self.paths.journal.clone(), source })
            }
            _ => Ok(()),
        }
    }
}

fn read_without_journal(paths: &LocalPaths) -> Result<Option<State>, LocalError> {
    match fs_err::read_to_string(&paths.state) {
        Ok(text) => format::parse(&text)
            .map(Some)
            .map_err(|source| LocalError::Format { path: paths.state.clone(), source }),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LocalError::Io { path: paths.state.clone(), source }),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory, fsynced and renamed
/// over the target, then fsyncs the directory, so readers see the old or the new file, never a
/// half-written one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory =
        path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name =
        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = directory.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs_err::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs_err::rename(&temporary, path)?;
        if let Ok(directory) = fs_err::File::open(directory) {
            // Not every platform can fsync a directory; the rename itself already happened.
            let _ = directory.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs_err::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::format::ResourceDocument;
    use flowform_model::{Address, Kind, ResourceState};

    fn put(address: &str, id: &str) -> JournalLine {
        JournalLine::Put {
            address: address.into(),
            resource: ResourceDocument::from_model(&ResourceState {
                id: id.into(),
                ..Default::default()
            }),
        }
    }

    #[tokio::test]
    async fn journal_survives_a_crash_before_the_full_write() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join(".flowform/state.json");
        let (mut store, state, _) = LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        assert!(state.is_none());
        let mut state = State::new("l".into(), "t".into(), "s".into());
        let event = put("flow.a", "1");
        event.apply(&mut state).unwrap();
        store.record(&mut state, &event).unwrap();
        let event = put("flow.b", "2");
        event.apply(&mut state).unwrap();
        store.record(&mut state, &event).unwrap();
        // A torn line from a crash mid-write is ignored.
        let mut journal =
            fs_err::OpenOptions::new().append(true).open(&store.paths.journal).unwrap();
        journal.write_all(b"{\"op\":\"remove\",\"addr").unwrap();
        // Simulate a crash: forget the store without a full write (its lock is released on drop,
        // as the stale-lock check would do for a dead process).
        drop(store);

        let read_back = read(&LocalPaths::new(&path)).unwrap().unwrap();
        assert_eq!(read_back.resources.len(), 2);
        assert_eq!(read_back.serial, 1, "the first event wrote the new state in full");
        let (mut store, reopened, _) =
            LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        let mut reopened = reopened.unwrap();
        assert_eq!(reopened.resources[&Address::new(Kind::Flow, "b")].id, "2");
        assert!(!LocalPaths::new(&path).journal.exists(), "journal folded into the document");
        let serial = reopened.serial;
        store.save(&mut reopened).unwrap();
        assert_eq!(read(&LocalPaths::new(&path)).unwrap().unwrap().serial, serial + 1);
    }

    #[tokio::test]
    async fn stale_journal_is_not_replayed() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        let (mut store, _, _) = LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        let mut state = State::new("l".into(), "t".into(), "s".into());
        store.save(&mut state).unwrap();
        let event = put("flow.a", "1");
        event.apply(&mut state).unwrap();
        store.record(&mut state, &event).unwrap();
        let journal = fs_err::read_to_string(&store.paths.journal).unwrap();
        store.save(&mut state).unwrap();
        // Put the old journal back, as if removing it had failed after the full write.
        fs_err::write(&store.paths.journal, journal.replace("flow.a", "flow.z")).unwrap();
        let read_back = read(&LocalPaths::new(&path)).unwrap().unwrap();
        assert!(read_back.resources.contains_key(&Address::new(Kind::Flow, "a")));
        assert!(!read_back.resources.contains_key(&Address::new(Kind::Flow, "z")));
    }

    #[tokio::test]
    async fn corrupt_state_is_left_untouched() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        fs_err::write(&path, "{\"version\": 1, \"lineage\": ").unwrap();
        let error = LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap_err();
        assert!(error.to_string().contains("left untouched"), "{error}");
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "{\"version\": 1, \"lineage\": ");
    }
}
