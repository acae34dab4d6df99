//! Opening the state wherever it lives, and refusing a state that belongs to another account.

use std::path::PathBuf;
use std::time::Duration;

use flowform_model::State;

use super::local::{self, LocalPaths, LocalStore};
use super::lock::LockHolder;
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
    #[error("the state at {location} belongs to `{found}`, not to `{expected}`")]
    OtherTarget {
        /// Where the state lives.
        location: String,
        /// The target recorded in the state.
        found: String,
        /// The target of this run.
        expected: String,
    },
}

impl OpenError {
    /// A remedy to print under the error, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            OpenError::OtherTarget { .. } => Some(
                "each account needs its own state: pass `--state PATH` (or `--env NAME`) for this account, or point flowform at the account the state belongs to"
                    .to_owned(),
            ),
            OpenError::Store(StoreError::Local(local::LocalError::Lock(_)))
            | OpenError::Store(StoreError::Remote(remote::RemoteError::Lock(_))) => Some(
                "wait for the other run to finish, or retry with `--lock-timeout SECONDS`; if it is gone, `flowform state unlock` breaks the lock"
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

fn check_target(location: &StateLocation, state: &State, target: &str) -> Result<(), OpenError> {
    if state.target != target {
        return Err(OpenError::OtherTarget {
            location: location.to_string(),
            found: state.target.clone(),
            expected: target.to_owned(),
        });
    }
    Ok(())
}

/// Reads the state without locking or writing (for `plan`, `state list`, …). `None` when
/// there is no state yet.
pub async fn read<A: StateApi>(
    location: &StateLocation,
    api: &A,
    target: &str,
) -> Result<Option<State>, OpenError> {
    let state = match location {
        StateLocation::File(path) => {
            local::read(&LocalPaths::new(path)).map_err(StoreError::from)?
        }
        StateLocation::Integrator { name } => {
            remote::read(api, &RemoteKeys::new(name)).await.map_err(StoreError::from)?
        }
    };
    if let Some(state) = &state {
        check_target(location, state, target)?;
    }
    Ok(state)
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
    let (backend, state, broken) = match location {
        StateLocation::File(path) => {
            let (store, state, broken) =
                LocalStore::open(path, command, lock_timeout).await.map_err(StoreError::from)?;
            (Backend::Local(store), state, broken)
        }
        StateLocation::Integrator { name } => {
            let (store, state, broken) =
                RemoteStore::open(api, RemoteKeys::new(name), command, lock_timeout)
                    .await
                    .map_err(StoreError::from)?;
            (Backend::Remote(store), state, broken)
        }
    };
    let state = match state {
        Some(state) => {
            if let Err(error) = check_target(location, &state, target) {
                // Release the lock before refusing.
                let _ = StateWriter::new(backend, state).release().await;
                return Err(error);
            }
            state
        }
        None => super::new_state(target.to_owned()),
    };
    Ok((StateWriter::new(backend, state), broken))
}
