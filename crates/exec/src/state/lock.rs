//! Who holds a state lock, and the local lock file.
//!
//! A lock file (`state.json.lock`) is created exclusively and holds the holder's pid, host,
//! process start time and command. A second flowform fails fast naming the holder (or waits up
//! to `--lock-timeout`). A lock whose holder provably died (same host, and the pid is gone or
//! belongs to a process started at another time) is stale: it is broken automatically with a
//! warning, so a re-run after a crash needs no manual step. Any other lock can be broken with
//! `flowform state unlock`.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The identity of a lock holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// The process start time in clock ticks since boot (Linux), to tell a reused pid apart.
    #[serde(default)]
    pub process_start: Option<u64>,
    /// What the holder is doing (`apply`, `destroy`, …).
    pub command: String,
    /// When the lock was taken (RFC 3339).
    pub acquired_at: String,
    /// When a remote lock expires unless renewed (RFC 3339); local locks do not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`flowform {}` (pid {} on host `{}`, since {})",
            self.command, self.pid, self.host, self.acquired_at
        )
    }
}

impl LockHolder {
    /// The holder describing this process.
    pub fn current(command: &str) -> LockHolder {
        let pid = std::process::id();
        LockHolder {
            pid,
            host: host_name(),
            process_start: process_start(pid),
            command: command.to_owned(),
            acquired_at: now_rfc3339(),
            expires_at: None,
        }
    }

    /// Whether this holder is provably dead: it ran on this host and its process is gone (or
    /// the pid now belongs to a process started at another time). Unknown means alive.
    pub fn is_provably_dead(&self) -> bool {
        if self.host != host_name() || !Path::new("/proc/self").exists() {
            return false;
        }
        if !Path::new(&format!("/proc/{}", self.pid)).exists() {
            return true;
        }
        match (self.process_start, process_start(self.pid)) {
            (Some(recorded), Some(now)) => recorded != now,
            _ => false,
        }
    }
}

/// The current time as RFC 3339 with milliseconds, UTC.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// This machine's host name, or `unknown`.
pub fn host_name() -> String {
    fs_err::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The start time of a process in clock ticks since boot, from `/proc/PID/stat` (field 22).
fn process_start(pid: u32) -> Option<u64> {
    let stat = fs_err::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is parenthesised and may hold spaces; fields after it are plain.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Why a lock could not be taken or broken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another flowform holds the lock.
    #[error("the state is locked by {holder}")]
    Held {
        /// The holder.
        holder: Box<LockHolder>,
        /// Where the lock lives.
        location: String,
    },
    /// The lock exists but its content is unreadable.
    #[error("the state lock `{location}` exists but cannot be read")]
    Unreadable {
        /// Where the lock lives.
        location: String,
    },
    /// IO failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A held local lock; dropping it removes the lock file if it still names this holder.
#[derive(Debug)]
pub struct LocalLock {
    path: PathBuf,
    holder: LockHolder,
}

impl LocalLock {
    /// Takes the lock at `path`, waiting up to `timeout`. Stale locks are broken (the returned
    /// list names what was broken, for a warning).
    pub async fn acquire(
        path: &Path,
        command: &str,
        timeout: Duration,
    ) -> Result<(LocalLock, Option<LockHolder>), LockError> {
        let started = Instant::now();
        let holder = LockHolder::current(command);
        let mut broken = None;
        loop {
            // Serialising a plain struct cannot fail.
            let text = serde_json::to_string(&holder).expect("lock holder serialises");
            match create_exclusively(path, text.as_bytes()) {
                Ok(()) => {
                    return Ok((LocalLock { path: path.to_owned(), holder }, broken));
                }
                Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                    let location = path.display().to_string();
                    match read_holder(path) {
                        Some(existing) if existing.is_provably_dead() => {
                            remove_if_holder(path, &existing)?;
                            broken = Some(existing);
                            continue;
                        }
                        Some(existing) => {
                            if started.elapsed() >= timeout {
                                return Err(LockError::Held {
                                    holder: Box::new(existing),
                                    location,
                                });
                            }
                        }
                        None => {
                            // A holder may be between creating and writing the file; give it a
                            // moment before calling the lock unreadable.
                            if lock_age(path).is_some_and(|age| age > Duration::from_secs(5))
                                && started.elapsed() >= timeout
                            {
                                return Err(LockError::Unreadable { location });
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Who holds this lock.
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }
}

impl Drop for LocalLock {
    fn drop(&mut self) {
        // Best effort: a lock left behind by a failure here is detected as stale next time.
        let _ = remove_if_holder(&self.path, &self.holder);
    }
}

/// Creates `path` holding `contents`, failing with `AlreadyExists` when it exists. The contents
/// go to a private temporary file first, which is then hard-linked into place (the link fails
/// if the lock exists), so a lock file always names its holder: a crash between creating the
/// file and writing it can no longer leave an empty lock that no one can prove stale. Where
/// hard links are not supported, the file is created exclusively and written in place.
fn create_exclusively(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let directory =
        path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary =
        directory.join(format!(".{name}.{}.{}.tmp", std::process::id(), super::random_hex(4)));
    let written = (|| {
        let mut file = fs_err::OpenOptions::new().write(true).create_new(true).open(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| fs_err::hard_link(&temporary, path));
    let _ = fs_err::remove_file(&temporary);
    match linked {
        Err(error) if error.kind() != ErrorKind::AlreadyExists => {
            let mut file = fs_err::OpenOptions::new().write(true).create_new(true).open(path)?;
            file.write_all(contents)?;
            file.sync_all()
        }
        result => result,
    }
}

/// Reads the holder of a lock file.
pub fn read_holder(path: &Path) -> Option<LockHolder> {
    let text = fs_err::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn lock_age(path: &Path) -> Option<Duration> {
    fs_err::metadata(path).ok()?.modified().ok()?.elapsed().ok()
}

fn remove_if_holder(path: &Path, holder: &LockHolder) -> std::io::Result<()> {
    if read_holder(path).as_ref() == Some(holder) {
        match fs_err::remove_file(path) {
            Err(error) if error.kind() != ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

/// Removes a local lock whoever holds it (`flowform state unlock`). Returns the holder that was
/// removed, if any.
pub fn force_unlock(path: &Path) -> std::io::Result<Option<LockHolder>> {
    let holder = read_holder(path);
    match fs_err::remove_file(path) {
        Ok(()) => Ok(holder),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_holder_fails_and_names_the_first() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json.lock");
        let (first, broken) = LocalLock::acquire(&path, "apply", Duration::ZERO).await.unwrap();
        assert!(broken.is_none());
        let error =
            LocalLock::acquire(&path, "apply", Duration::from_millis(150)).await.unwrap_err();
        let text = error.to_string();
        assert!(text.contains(&format!("pid {}", std::process::id())), "{text}");
        drop(first);
        assert!(!path.exists());
        LocalLock::acquire(&path, "apply", Duration::ZERO).await.unwrap();
    }

    #[tokio::test]
    async fn dead_holder_is_broken() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json.lock");
        let mut dead = LockHolder::current("apply");
        // A pid far above any default pid_max is never alive.
        dead.pid = 999_999_999;
        fs_err::write(&path, serde_json::to_string(&dead).unwrap()).unwrap();
        let (_lock, broken) = LocalLock::acquire(&path, "apply", Duration::ZERO).await.unwrap();
        assert_eq!(broken, Some(dead));
    }

    #[tokio::test]
    async fn a_lock_file_always_names_its_holder_and_leaves_no_temporary_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json.lock");
        let (lock, _) = LocalLock::acquire(&path, "apply", Duration::ZERO).await.unwrap();
        assert_eq!(read_holder(&path).as_ref(), Some(lock.holder()));
        let names: Vec<String> = fs_err::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["state.json.lock"]);
        let error = create_exclusively(&path, b"{}").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AlreadyExists);
    }

    #[test]
    fn force_unlock_removes_any_holder() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json.lock");
        let other = LockHolder { host: "elsewhere".into(), ..LockHolder::current("apply") };
        fs_err::write(&path, serde_json::to_string(&other).unwrap()).unwrap();
        assert!(!other.is_provably_dead());
        assert_eq!(force_unlock(&path).unwrap(), Some(other));
        assert_eq!(force_unlock(&path).unwrap(), None);
    }
}
