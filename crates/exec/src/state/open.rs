//! Opening the state wherever it lives, and refusing a state that belongs to another account.
//!
//! Every command opens the state through here: [`read_checked`] (or [`read`]) without the lock,
//! [`open_locked`] to look at a locked state before deciding to write it, [`open_writer`] for a
//! writer at once, and [`break_lock`] for `flowform state unlock`. A state in the account (the
//! State API) needs the account's [`StateApi`]; a local file does not, so commands on a local
//! state can work offline.

use std::path::PathBuf;
use std::time::Duration;

use flowform_model::State;

use super::local::{self, LocalPaths, LocalStore};
use super::lock::{LockError, LockHolder};
use super::remote::{self, RemoteKeys, RemoteStore, StateApi};
use super::writer::{Backend, StateWriter, StoreError};

/// Where the state document lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// A JSON file (with its journal and lock next to it).
    File(PathBuf),
    /// The account's State API, under `flowform-NAME`.
    Integrator {
        /// `default`, or the environment name.
        name: String,
    },
}

impl StateLocation {
    /// Whether reading or writing the state needs the account (the State API).
    pub fn needs_account(&self) -> bool {
        matches!(self, StateLocation::Integrator { .. })
    }
}

impl std::fmt::Display for StateLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateLocation::File(path) => write!(f, "`{}`", path.display()),
            StateLocation::Integrator { name } => {
                write!(f, "the account's State API key `flowform-{name}`")
            }
        }
    }
}

/// Why a state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The backend failed (IO, API, corrupt document, lock held).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state belongs to another target.
    #[error("the state {location} belongs to `{found}`, not to `{expected}`")]
    OtherTarget {
        /// Where the state lives.
        location: String,
        /// The target recorded in the state.
        found: String,
        /// The target of this run.
        expected: String,
    },
    /// The state lives in the account, and no account was given.
    #[error("reading {location} needs the account")]
    NoAccount {
        /// Where the state lives.
        location: String,
    },
}

impl OpenError {
    /// A remedy to print under the error, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            OpenError::OtherTarget { .. } => Some(
                "each account needs its own state: pass `--state PATH` or `--env NAME` for this one; remove the old state only if the account it belongs to is gone"
                    .to_owned(),
            ),
            OpenError::NoAccount { .. } => Some(
                "give a token (`CELIGO_API_TOKEN` or `--token-file`) or use `--sandbox`".to_owned(),
            ),
            OpenError::Store(StoreError::Local(local::LocalError::Lock(LockError::Held { .. })))
            | OpenError::Store(StoreError::Remote(remote::RemoteError::Lock(LockError::Held {
                ..
            }))) => Some(
                "wait for it to finish, or retry with `--lock-timeout SECONDS`; if that process is gone (a crashed CI runner), run `flowform state unlock`"
                    .to_owned(),
            ),
            OpenError::Store(StoreError::Local(local::LocalError::Format { .. }))
            | OpenError::Store(StoreError::Remote(remote::RemoteError::Format { .. })) => Some(
                "restore the state from a backup (or version control), or move it aside and rebuild it with `flowform import`"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// The target a state bound before environments were part of the binding would record for
/// `target`: `<endpoint> (user <id>)` for `<endpoint> (user <id>, environment <id>)`.
fn without_environment(target: &str) -> Option<String> {
    let start = target.rfind(", environment ")?;
    target.ends_with(')').then(|| format!("{})", &target[..start]))
}

/// Whether a state bound to `found` may be used for `target`: the same target, or the same
/// endpoint and user recorded before the environment was part of the binding (taken over: the
/// next write records `target`).
pub fn same_target(found: &str, target: &str) -> bool {
    found == target || without_environment(target).is_some_and(|legacy| legacy == found)
}

fn check_target(location: &StateLocation, state: &State, target: &str) -> Result<(), OpenError> {
    if !same_target(&state.target, target) {
        return Err(OpenError::OtherTarget {
            location: location.to_string(),
            found: state.target.clone(),
            expected: target.to_owned(),
        });
    }
    Ok(())
}

fn no_account(location: &StateLocation) -> OpenError {
    OpenError::NoAccount { location: location.to_string() }
}

/// Reads the state without locking or writing (for `plan`, `state list`, …). `None` when
/// there is no state yet.
pub async fn read<A: StateApi>(
    location: &StateLocation,
    api: &A,
    target: &str,
) -> Result<Option<State>, OpenError> {
    read_checked(location, Some(api), Some(target)).await
}

/// Reads the state without locking or writing. `api` is needed only for a state in the account
/// ([`OpenError::NoAccount`] otherwise); `expected_target`, when given, must be the state's
/// target. `None` when there is no state yet.
pub async fn read_checked<A: StateApi>(
    location: &StateLocation,
    api: Option<&A>,
    expected_target: Option<&str>,
) -> Result<Option<State>, OpenError> {
    let state = match location {
        StateLocation::File(path) => {
            local::read(&LocalPaths::new(path)).map_err(StoreError::from)?
        }
        StateLocation::Integrator { name } => {
            let api = api.ok_or_else(|| no_account(location))?;
            remote::read(api, &RemoteKeys::new(name)).await.map_err(StoreError::from)?
        }
    };
    if let (Some(state), Some(expected)) = (&state, expected_target) {
        check_target(location, state, expected)?;
    }
    Ok(state)
}

/// A locked state, read but not written: look at it, then [`release`](LockedState::release)
/// it untouched or turn it into a [`StateWriter`].
pub struct LockedState<'a, A: StateApi> {
    backend: Backend<'a, A>,
    state: Option<State>,
    broken: Option<LockHolder>,
}

impl<'a, A: StateApi> LockedState<'a, A> {
    /// The state read, if there is one.
    pub fn state(&self) -> Option<&State> {
        self.state.as_ref()
    }

    /// A stale lock that was broken to open the state, for a warning.
    pub fn broken(&self) -> Option<&LockHolder> {
        self.broken.as_ref()
    }

    /// Lets go of the lock without writing anything. Best effort: an unreleased remote lock
    /// expires on its own.
    pub async fn release(self) {
        match self.backend {
            Backend::Local(store) => drop(store),
            Backend::Remote(store) => {
                let _ = store.release().await;
            }
        }
    }

    /// The writer; a missing state starts empty, bound to `target_if_new`.
    pub fn into_writer(self, target_if_new: &str) -> StateWriter<'a, A> {
        let mut state = self.state.unwrap_or_else(|| super::new_state(target_if_new.to_owned()));
        if state.target != target_if_new && same_target(&state.target, target_if_new) {
            // A state bound before environments were read: it now names its environment.
            state.target = target_if_new.to_owned();
        }
        StateWriter::new(self.backend, state)
    }
}

/// Locks and reads the state. `api` is needed only for a state in the account;
/// `expected_target`, when given, must be the state's target (the lock is released before
/// refusing).
pub async fn open_locked<'a, A: StateApi>(
    location: &StateLocation,
    api: Option<&'a A>,
    expected_target: Option<&str>,
    command: &str,
    lock_timeout: Duration,
) -> Result<LockedState<'a, A>, OpenError> {
    let (backend, state, broken) = match location {
        StateLocation::File(path) => {
            let (store, state, broken) =
                LocalStore::open(path, command, lock_timeout).await.map_err(StoreError::from)?;
            (Backend::Local(store), state, broken)
        }
        StateLocation::Integrator { name } => {
            let api = api.ok_or_else(|| no_account(location))?;
            let (store, state, broken) =
                RemoteStore::open(api, RemoteKeys::new(name), command, lock_timeout)
                    .await
                    .map_err(StoreError::from)?;
            (Backend::Remote(store), state, broken)
        }
    };
    let locked = LockedState { backend, state, broken };
    if let (Some(state), Some(expected)) = (&locked.state, expected_target)
        && let Err(error) = check_target(location, state, expected)
    {
        locked.release().await;
        return Err(error);
    }
    Ok(locked)
}

/// Locks and opens the state for writing; a missing state starts empty, bound to `target`.
/// Returns a stale lock that was broken, for a warning.
pub async fn open_writer<'a, A: StateApi>(
    location: &StateLocation,
    api: &'a A,
    target: &str,
    command: &str,
    lock_timeout: Duration,
) -> Result<(StateWriter<'a, A>, Option<LockHolder>), OpenError> {
    let locked = open_locked(location, Some(api), Some(target), command, lock_timeout).await?;
    let broken = locked.broken.clone();
    Ok((locked.into_writer(target), broken))
}

/// The writer of a local state locked and read apart ([`LocalStore::lock`],
/// [`local::LockedFile::read`]: `apply` reads the state while it lists the account), with the
/// checks of [`open_writer`]: the state must belong to `target` (the lock is released before
/// refusing); a missing state starts empty, bound to `target`.
pub fn local_writer<'a, A: StateApi>(
    location: &StateLocation,
    store: LocalStore,
    state: Option<State>,
    target: &str,
) -> Result<StateWriter<'a, A>, OpenError> {
    if let Some(state) = &state {
        // Dropping the store releases the lock.
        check_target(location, state, target)?;
    }
    Ok(LockedState { backend: Backend::Local(store), state, broken: None }.into_writer(target))
}

/// Who holds the state's lock now, without taking it: `None` when nobody does, or when the
/// holder provably died or (remote) let its lock expire, since the next writer breaks such a
/// lock. `plan` asks, to say that an apply is running. `api` is needed only for a state in the
/// account.
pub async fn lock_holder<A: StateApi>(
    location: &StateLocation,
    api: Option<&A>,
) -> Result<Option<LockHolder>, OpenError> {
    match location {
        StateLocation::File(path) => Ok(super::lock::read_holder(&LocalPaths::new(path).lock)
            .filter(|holder| !holder.is_provably_dead())),
        StateLocation::Integrator { name } => {
            let api = api.ok_or_else(|| no_account(location))?;
            Ok(remote::live_holder(api, &RemoteKeys::new(name)).await.map_err(StoreError::from)?)
        }
    }
}

/// Breaks the lock of the state, whoever holds it (`flowform state unlock`); returns the holder
/// that was removed. `api` is needed only for a state in the account.
pub async fn break_lock<A: StateApi>(
    location: &StateLocation,
    api: Option<&A>,
) -> Result<Option<LockHolder>, OpenError> {
    match location {
        StateLocation::File(path) => super::lock::force_unlock(&LocalPaths::new(path).lock)
            .map_err(|error| OpenError::Store(StoreError::Local(LockError::Io(error).into()))),
        StateLocation::Integrator { name } => {
            let api = api.ok_or_else(|| no_account(location))?;
            Ok(remote::force_unlock(api, &RemoteKeys::new(name)).await.map_err(StoreError::from)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote::tests::MemoryStateApi;
    use super::*;

    #[tokio::test]
    async fn a_local_state_needs_no_account_and_a_remote_one_does() {
        let directory = tempfile::tempdir().unwrap();
        let file = StateLocation::File(directory.path().join(".flowform/state.json"));
        assert!(!file.needs_account());
        let read = read_checked::<MemoryStateApi>(&file, None, None).await.unwrap();
        assert!(read.is_none());

        let remote = StateLocation::Integrator { name: "default".into() };
        assert!(remote.needs_account());
        let error = read_checked::<MemoryStateApi>(&remote, None, None).await.unwrap_err();
        assert!(matches!(error, OpenError::NoAccount { .. }), "{error}");
        assert!(error.hint().unwrap().contains("--sandbox"));
        let error = open_locked::<MemoryStateApi>(&remote, None, None, "state rm", Duration::ZERO)
            .await
            .err()
            .unwrap();
        assert!(matches!(error, OpenError::NoAccount { .. }), "{error}");
    }

    #[tokio::test]
    async fn another_targets_state_is_refused_and_its_lock_released() {
        let api = MemoryStateApi::default();
        for location in [
            StateLocation::Integrator { name: "default".into() },
            StateLocation::File(tempfile::tempdir().unwrap().keep().join("state.json")),
        ] {
            let (mut writer, _) =
                open_writer(&location, &api, "account-a", "apply", Duration::ZERO).await.unwrap();
            writer.flush().await.unwrap();
            writer.finish().await.unwrap();

            let error =
                open_locked(&location, Some(&api), Some("account-b"), "import", Duration::ZERO)
                    .await
                    .err()
                    .unwrap();
            assert_eq!(
                error.to_string(),
                format!("the state {location} belongs to `account-a`, not to `account-b`")
            );
            assert!(error.hint().unwrap().contains("--state PATH"));
            // The refusal let go of the lock: the next open does not wait for it.
            let locked = open_locked(&location, Some(&api), None, "state list", Duration::ZERO)
                .await
                .unwrap();
            assert_eq!(locked.state().unwrap().target, "account-a");
            // Held: a second opener is refused with the lock hint, and the lock can be broken.
            let error = open_locked(&location, Some(&api), None, "apply", Duration::ZERO)
                .await
                .err()
                .unwrap();
            assert!(error.hint().unwrap().contains("flowform state unlock"), "{error}");
            assert_eq!(
                lock_holder(&location, Some(&api)).await.unwrap().unwrap().command,
                "state list",
                "the holder is seen without taking the lock"
            );
            let holder = break_lock(&location, Some(&api)).await.unwrap().unwrap();
            assert_eq!(holder.command, "state list");
            assert!(break_lock(&location, Some(&api)).await.unwrap().is_none());
            assert!(lock_holder(&location, Some(&api)).await.unwrap().is_none());
            locked.release().await;
            assert!(read_checked(&location, Some(&api), Some("account-b")).await.is_err());
        }
    }
}
