//! The local state backend: `state.json` written atomically, a journal of events since the last
//! full write, and a lock file.
//!
//! Every completed step is appended to `state.json.journal` as one JSON line (one `write` call,
//! so a killed process leaves at most a torn last line, which replay ignores and the next writer
//! cuts off). A full write (temp file, fsync, rename, fsync of the directory) folds the journal
//! in and removes it. The journal's first line names the serial and lineage it extends, so a
//! journal left over from an older document is never replayed onto a newer one.
//!
//! The journal is folded lazily: a run that changed the state ends with a `serial` line (the
//! serial a full write would have given it) and an fsync of the journal, not with a rewrite of
//! the whole document, until the journal grows past a fraction of the document
//! ([`fold_due`]); rewriting a document of megabytes was the largest part of the end of an
//! apply. Only a version-2 document's journal gets serial lines ([`format::LOCAL_VERSION`]: an
//! older flowform refuses such a document instead of stopping at a line it does not know); a
//! version-1 document is folded as before, and written as version 2.

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
    let mut state = read_document(paths)?.map(|(state, _)| state);
    replay_journal(paths, &mut state)?;
    Ok(state)
}

/// What replaying a journal found.
enum Replay {
    /// No journal, or one that does not extend the document (left over from an older one).
    None,
    /// A journal that extends the document, replayed.
    Extends {
        /// Whether it held any event (not only serial lines).
        events: bool,
        /// Whether events follow its last serial line (or its header): the changes of a run
        /// that did not end (a crash).
        open_tail: bool,
        /// The length of its complete, valid lines; anything after was torn by a crash.
        valid: u64,
    },
}

fn replay_journal(paths: &LocalPaths, state: &mut Option<State>) -> Result<Replay, LocalError> {
    let text = match fs_err::read_to_string(&paths.journal) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Replay::None),
        Err(source) => return Err(LocalError::Io { path: paths.journal.clone(), source }),
    };
    let mut lines = text.split_inclusive('\n');
    let Some(header) = lines.next() else { return Ok(Replay::None) };
    let Ok(JournalHeader { base_serial, lineage }) = serde_json::from_str(header.trim_end()) else {
        return Ok(Replay::None);
    };
    if !header.ends_with('\n') {
        return Ok(Replay::None);
    }
    let Some(state) = state.as_mut() else { return Ok(Replay::None) };
    if state.lineage != lineage || state.serial != base_serial {
        return Ok(Replay::None);
    }
    let (mut events, mut open_tail, mut valid) = (false, false, header.len());
    for line in lines {
        // A line without its newline was torn by a crash mid-write: it and anything after it
        // never completed.
        if !line.ends_with('\n') {
            break;
        }
        let Ok(event) = serde_json::from_str::<JournalLine>(line.trim_end()) else { break };
        let serial = matches!(event, JournalLine::Serial { .. });
        event
            .apply_owned(state)
            .map_err(|source| LocalError::Format { path: paths.journal.clone(), source })?;
        events |= !serial;
        open_tail = !serial;
        valid += line.len();
    }
    Ok(Replay::Extends { events, open_tail, valid: valid as u64 })
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
    /// Reads the state: the store, and the state if there is one. The changes a run that did
    /// not end left in the journal get a serial of their own at once, as a full write would
    /// give them (a version-1 document is folded then, as before).
    pub fn read(self) -> Result<(LocalStore, Option<State>), LocalError> {
        let mut store = self.0;
        let (mut state, on_disk) = read_document(&store.paths)?.unzip();
        let lazy = on_disk.as_ref().is_some_and(|disk| disk.version >= format::LOCAL_VERSION);
        store.on_disk = on_disk;
        match replay_journal(&store.paths, &mut state)? {
            Replay::Extends { open_tail, valid, .. } if lazy => {
                let state = state.as_mut().expect("a journal extends a document");
                store.reopen_journal(state.serial, valid)?;
                if open_tail {
                    store.mark_serial(state)?;
                }
            }
            Replay::Extends { events: true, .. } => {
                store.save(state.as_mut().expect("a journal extends a document"))?;
            }
            _ => store.remove_journal()?,
        }
        Ok((store, state))
    }
}

/// A locked local state, open for writing.
#[derive(Debug)]
pub struct LocalStore {
    paths: LocalPaths,
    /// The journal being appended to, which extends the document on disk.
    journal: Option<Journal>,
    /// The document on disk, as this store last read or wrote it (nobody else writes it while
    /// the lock is held).
    on_disk: Option<OnDisk>,
    _lock: LocalLock,
}

/// What a store knows of the document on disk.
#[derive(Debug)]
struct OnDisk {
    lineage: String,
    serial: u64,
    target: String,
    version: u32,
    /// Its length in bytes.
    length: u64,
}

/// The open journal of a store.
#[derive(Debug)]
struct Journal {
    file: fs_err::File,
    /// Its length in bytes.
    length: u64,
    /// The serial the state it holds stands at: its last serial line's, or its header's.
    serial: u64,
    /// Whether events were appended after the last serial line.
    open_tail: bool,
    /// Whether this store created the file (its directory entry is not known durable yet).
    created: bool,
}

/// Whether a journal of `journal` bytes over a document of `document` bytes is folded into it
/// at the end of a run rather than extended with a serial line: past an eighth of the document,
/// or past 64 KiB for small documents. Replaying a journal costs a little more per byte than
/// reading the document, and every read pays for it; an eighth keeps a read about as fast as
/// a read of the document alone (the open no longer scans the document twice), while most runs
/// of a 5% change end in the journal.
pub fn fold_due(journal: u64, document: u64) -> bool {
    journal > (document / 8).max(64 * 1024)
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
        if self.journal.is_none() {
            let io = |source| LocalError::Io { path: self.paths.journal.clone(), source };
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
            self.journal = Some(Journal {
                file,
                length: line.len() as u64,
                serial: state.serial,
                open_tail: false,
                created: true,
            });
        }
        self.append(event)
    }

    /// Ends a run that changed the state: a serial line (serial + 1) appended to the journal
    /// and the journal fsynced, or, when the journal cannot carry it or is due to be folded
    /// ([`fold_due`]), a full write ([`LocalStore::save`]).
    pub fn commit(&mut self, state: &mut State) -> Result<(), LocalError> {
        let extends = match (&self.journal, &self.on_disk) {
            (Some(journal), Some(disk)) => {
                disk.version >= format::LOCAL_VERSION
                    && disk.lineage == state.lineage
                    // A target taken over (see `open::same_target`) is in no journal line.
                    && disk.target == state.target
                    && journal.serial == state.serial
                    && !fold_due(journal.length, disk.length)
            }
            _ => false,
        };
        if !extends {
            return self.save(state);
        }
        self.mark_serial(state)?;
        let io = |source| LocalError::Io { path: self.paths.journal.clone(), source };
        let journal = self.journal.as_mut().expect("checked above");
        journal.file.sync_data().map_err(io)?;
        if journal.created {
            sync_directory(&self.paths.journal);
            journal.created = false;
        }
        Ok(())
    }

    /// Writes the whole state atomically (serial + 1) and drops the journal.
    pub fn save(&mut self, state: &mut State) -> Result<(), LocalError> {
        state.serial += 1;
        let text = format::render_local(state);
        write_atomically(&self.paths.state, text.as_bytes())
            .map_err(|source| LocalError::Io { path: self.paths.state.clone(), source })?;
        self.on_disk = Some(OnDisk {
            lineage: state.lineage.clone(),
            serial: state.serial,
            target: state.target.clone(),
            version: format::LOCAL_VERSION,
            length: text.len() as u64,
        });
        self.journal = None;
        self.remove_journal()
    }

    /// Whether the document on disk is the one `state` extends, so a journal may extend it.
    /// Tracked rather than read back: parsing the document again (megabytes for thousands of
    /// resources) at the first step of every apply was a tenth of a small apply's time.
    fn written_once(&self, state: &State) -> bool {
        self.on_disk
            .as_ref()
            .is_some_and(|disk| disk.lineage == state.lineage && disk.serial == state.serial)
    }

    /// Opens the journal that extends the document for appending, cutting off what follows
    /// its `valid` bytes (a line torn by a crash, which a line appended after it would turn
    /// into garbage that hides everything after it). `serial` is where its replay left the
    /// state.
    fn reopen_journal(&mut self, serial: u64, valid: u64) -> Result<(), LocalError> {
        let io = |source| LocalError::Io { path: self.paths.journal.clone(), source };
        let file = fs_err::OpenOptions::new().append(true).open(&self.paths.journal).map_err(io)?;
        if file.metadata().map_err(io)?.len() != valid {
            file.set_len(valid).map_err(io)?;
        }
        self.journal =
            Some(Journal { file, length: valid, serial, open_tail: false, created: false });
        Ok(())
    }

    /// Appends a serial line (serial + 1) to the open journal.
    fn mark_serial(&mut self, state: &mut State) -> Result<(), LocalError> {
        let serial = state.serial + 1;
        self.append(&JournalLine::Serial { serial })?;
        state.serial = serial;
        let journal = self.journal.as_mut().expect("a serial line goes to an open journal");
        journal.serial = serial;
        journal.open_tail = false;
        Ok(())
    }

    fn append(&mut self, event: &JournalLine) -> Result<(), LocalError> {
        let mut line = serde_json::to_string(event).expect("journal line serialises");
        line.push('\n');
        let journal = self.journal.as_mut().expect("the journal is open");
        journal
            .file
            .write_all(line.as_bytes())
            .map_err(|source| LocalError::Io { path: self.paths.journal.clone(), source })?;
        journal.length += line.len() as u64;
        journal.open_tail = true;
        Ok(())
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

/// The document alone (no journal), with what the store keeps of it.
fn read_document(paths: &LocalPaths) -> Result<Option<(State, OnDisk)>, LocalError> {
    let text = match fs_err::read_to_string(&paths.state) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(LocalError::Io { path: paths.state.clone(), source }),
    };
    let (state, version) = format::parse_versioned(&text)
        .map_err(|source| LocalError::Format { path: paths.state.clone(), source })?;
    let disk = OnDisk {
        lineage: state.lineage.clone(),
        serial: state.serial,
        target: state.target.clone(),
        version,
        length: text.len() as u64,
    };
    Ok(Some((state, disk)))
}

/// Fsyncs the directory of `path`, so a file created there survives a power loss. Not every
/// platform can fsync a directory; the file itself is written either way.
fn sync_directory(path: &Path) {
    let directory =
        path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(directory) = fs_err::File::open(directory) {
        let _ = directory.sync_all();
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
        sync_directory(path);
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

        let paths = LocalPaths::new(&path);
        let read_back = read(&paths).unwrap().unwrap();
        assert_eq!(read_back.resources.len(), 2);
        assert_eq!(read_back.serial, 1, "the first event wrote the new state in full");
        let (mut store, reopened, _) =
            LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        let mut reopened = reopened.unwrap();
        assert_eq!(reopened.resources[&Address::new(Kind::Flow, "b")].id, "2");
        // The crashed run's change got a serial of its own (as a full write gave it), and the
        // torn line is gone, so what is appended next is read.
        assert_eq!(reopened.serial, 2);
        let journal = fs_err::read_to_string(&paths.journal).unwrap();
        assert!(journal.ends_with("{\"op\":\"put\",\"address\":\"flow.b\",\"resource\":{\"id\":\"2\",\"applied_paths\":{},\"digest\":\"\"}}\n{\"op\":\"serial\",\"serial\":2}\n"), "{journal}");
        assert_eq!(read(&paths).unwrap().unwrap(), reopened);
        let event = put("flow.c", "3");
        event.apply(&mut reopened).unwrap();
        store.record(&mut reopened, &event).unwrap();
        drop(store);
        let read_back = read(&paths).unwrap().unwrap();
        assert_eq!(read_back.resources[&Address::new(Kind::Flow, "c")].id, "3");
        assert_eq!(read_back.serial, 2, "a run's events move the serial when it ends");

        // The folded form is the same state.
        let (mut store, reopened, _) =
            LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        let mut reopened = reopened.unwrap();
        assert_eq!(reopened.serial, 3);
        store.save(&mut reopened).unwrap();
        assert!(!paths.journal.exists(), "a full write folds the journal in");
        assert_eq!(read(&paths).unwrap().unwrap(), reopened);
        assert_eq!(reopened.serial, 4);
    }

    /// A locked store over a state of `count` resources written in full, as a previous run left
    /// it.
    async fn store_with(path: &Path, count: usize) -> (LocalStore, State) {
        let (mut store, _, _) = LocalStore::open(path, "apply", Duration::ZERO).await.unwrap();
        let mut state = State::new("l".into(), "t".into(), "s".into());
        for index in 0..count {
            put(&format!("flow.f{index}"), &format!("{index:024}")).apply(&mut state).unwrap();
        }
        store.save(&mut state).unwrap();
        drop(store);
        let (store, state, _) = LocalStore::open(path, "apply", Duration::ZERO).await.unwrap();
        (store, state.unwrap())
    }

    #[tokio::test]
    async fn a_run_ends_in_the_journal_until_it_is_due_to_be_folded() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        let paths = LocalPaths::new(&path);
        // A document of about 160 KiB: folded once its journal passes 64 KiB.
        let (mut store, mut state) = store_with(&path, 2_000).await;
        let document = fs_err::read_to_string(&path).unwrap();
        assert!(document.starts_with("{\n  \"version\": 2,\n"), "a local file is version 2");
        assert_eq!(state.serial, 1);
        let mut serials = vec![state.serial];
        let mut runs = 0;
        while paths.journal.exists() || runs == 0 {
            // One run: a few changed resources, then its end.
            for index in 0..50 {
                let event = put(&format!("flow.f{index}"), &format!("{runs:012}{index:012}"));
                event.apply(&mut state).unwrap();
                store.record(&mut state, &event).unwrap();
            }
            store.commit(&mut state).unwrap();
            runs += 1;
            serials.push(state.serial);
            let read_back = read(&paths).unwrap().unwrap();
            assert_eq!(read_back, state, "what is read is what was recorded, serial included");
            if paths.journal.exists() {
                assert_eq!(fs_err::read_to_string(&path).unwrap(), document, "not rewritten");
            }
            // The next run opens what this one left.
            drop(store);
            let (reopened, reopened_state, _) =
                LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
            assert_eq!(reopened_state.as_ref(), Some(&state), "nothing to fold at the open");
            store = reopened;
        }
        assert!(runs > 3, "several runs ended in the journal before the fold ({runs})");
        // Every run that changed the state moved the serial, by one, folded or not.
        assert_eq!(serials, (1..=runs + 1).collect::<Vec<u64>>());
        assert_ne!(fs_err::read_to_string(&path).unwrap(), document, "folded at last");
        assert_eq!(read(&paths).unwrap().unwrap(), state);
    }

    #[tokio::test]
    async fn a_version_1_document_is_folded_as_before_and_becomes_version_2() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        let paths = LocalPaths::new(&path);
        let mut state = State::new("l".into(), "t".into(), "s".into());
        put("flow.a", "1").apply(&mut state).unwrap();
        state.serial = 5;
        fs_err::write(&path, format::render(&state)).unwrap();
        // A journal an older flowform's crashed run left: folded at the open, as before.
        let header = JournalHeader { base_serial: 5, lineage: "l".into() };
        let line = serde_json::to_string(&put("flow.b", "2")).unwrap();
        let journal = format!("{}\n{line}\n", serde_json::to_string(&header).unwrap());
        fs_err::write(&paths.journal, &journal).unwrap();
        let (mut store, opened, _) =
            LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        let mut opened = opened.unwrap();
        assert_eq!(opened.serial, 6);
        assert!(!paths.journal.exists());
        assert_eq!(format::parse_versioned(&fs_err::read_to_string(&path).unwrap()).unwrap().1, 2);

        // A version-1 document's run ends in a full write (no serial line an older flowform
        // would stop at), which writes version 2.
        fs_err::write(&path, format::render(&opened)).unwrap();
        drop(store);
        let (reopened, _, _) = LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        store = reopened;
        let event = put("flow.c", "3");
        event.apply(&mut opened).unwrap();
        store.record(&mut opened, &event).unwrap();
        store.commit(&mut opened).unwrap();
        assert_eq!(opened.serial, 7);
        assert!(!paths.journal.exists());
        let (written, version) =
            format::parse_versioned(&fs_err::read_to_string(&path).unwrap()).unwrap();
        assert_eq!((written, version), (opened, 2));
    }

    #[tokio::test]
    async fn a_target_taken_over_is_written_in_full() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        let (mut store, mut state) = store_with(&path, 3).await;
        state.target = "t (environment e)".into();
        let event = put("flow.x", "9");
        event.apply(&mut state).unwrap();
        store.record(&mut state, &event).unwrap();
        store.commit(&mut state).unwrap();
        assert!(!LocalPaths::new(&path).journal.exists());
        assert_eq!(read(&LocalPaths::new(&path)).unwrap().unwrap(), state);
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
