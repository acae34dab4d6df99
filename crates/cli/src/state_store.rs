//! Opening the state for the CLI's commands, on `flowform_exec::state`'s backends: the local
//! file (`LocalStore`, with its journal and lock) or the account's State API (`RemoteStore`).
//!
//! This is the CLI's own small opener until `flowform_exec::state::open` lands; it does the
//! same two things: refuse a state bound to another target, and name the lock holder.

use std::time::Duration;

use flowform_api::{Client, StateScope};
use flowform_exec::state::local::{self, LocalPaths};
use flowform_exec::state::lock::{LockError, LockHolder};
use flowform_exec::state::remote::{self, ApiError};
use flowform_exec::state::{
    Backend, LocalError, LocalStore, RemoteError, RemoteKeys, RemoteStore, StateApi, StateWriter,
    StoreError,
};
use flowform_model::State;

use crate::error::UserError;
use crate::settings::StateLocation;

/// The account's State API (global keys) over the API client.
pub struct ClientStateApi<'a>(pub &'a Client);

impl StateApi for ClientStateApi<'_> {
    async fn get(&self, key: &str) -> Result<Option<serde_json::Value>, ApiError> {
        Ok(self.0.state_get(&StateScope::Global, key).await?)
    }

    async fn put(&self, key: &str, value: &serde_json::Value) -> Result<(), ApiError> {
        Ok(self.0.state_put(&StateScope::Global, key, value).await?)
    }

    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        Ok(self.0.state_delete(&StateScope::Global, key).await?)
    }
}

/// A state open for writing: locked, read, and checked against the target.
pub type Writer<'a> = StateWriter<'a, ClientStateApi<'a>>;

/// The hint for a lock held by someone else.
const LOCK_HINT: &str = "wait for it to finish, or retry with `--lock-timeout SECONDS`; if that process is gone (a crashed CI runner), run `flowform state unlock`";

/// Turns a store error into a user error, with a hint when the lock is held.
pub fn store_error(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::Local(LocalError::Lock(lock)) | StoreError::Remote(RemoteError::Lock(lock)) => {
            lock_error(lock)
        }
        other => anyhow::Error::new(other),
    }
}

fn lock_error(error: LockError) -> anyhow::Error {
    match error {
        LockError::Held { .. } => {
            anyhow::Error::new(UserError::new(error.to_string()).with_hint(LOCK_HINT))
        }
        other => anyhow::Error::new(other),
    }
}

fn no_account(location: &StateLocation) -> anyhow::Error {
    anyhow::Error::new(
        UserError::new(format!("reading {location} needs the account"))
            .with_hint("give a token (CELIGO_API_TOKEN or `--token-file`) or use `--sandbox`"),
    )
}

/// Reads the state without locking it. `None` when there is none yet. `expected_target`, when
/// given, must match the state's.
pub async fn read(
    location: &StateLocation,
    api: Option<&ClientStateApi<'_>>,
    expected_target: Option<&str>,
) -> anyhow::Result<Option<State>> {
    let state = match location {
        StateLocation::File(path) => local::read(&LocalPaths::new(path))?,
        StateLocation::Integrator { name } => {
            let api = api.ok_or_else(|| no_account(location))?;
            remote::read(api, &RemoteKeys::new(name)).await?
        }
    };
    if let (Some(state), Some(expected)) = (&state, expected_target) {
        check_target(location, state, expected)?;
    }
    Ok(state)
}

/// Refuses a state bound to another account.
fn check_target(location: &StateLocation, state: &State, expected: &str) -> Result<(), UserError> {
    if state.target == expected {
        return Ok(());
    }
    Err(UserError::new(format!(
        "the state {location} belongs to `{}`, not to `{expected}`",
        state.target
    ))
    .with_hint(
        "each account needs its own state: pass `--state PATH` or `--env NAME` for this one; remove the old state only if the account it belongs to is gone",
    ))
}

/// A locked state, read but not yet written: look at it, then either release it untouched or
/// turn it into a [`Writer`].
pub struct Opened<'a> {
    backend: Backend<'a, ClientStateApi<'a>>,
    state: Option<State>,
    /// A stale lock that was broken to open it, for a warning.
    pub broken: Option<LockHolder>,
    location: StateLocation,
}

/// Locks and reads the state.
pub async fn open<'a>(
    location: &StateLocation,
    api: Option<&'a ClientStateApi<'a>>,
    command: &str,
    lock_timeout: Duration,
) -> anyhow::Result<Opened<'a>> {
    let (backend, state, broken) = match location {
        StateLocation::File(path) => {
            let (store, state, broken) = LocalStore::open(path, command, lock_timeout)
                .await
                .map_err(|error| store_error(error.into()))?;
            (Backend::Local(store), state, broken)
        }
        StateLocation::Integrator { name } => {
            let api = api.ok_or_else(|| no_account(location))?;
            let (store, state, broken) =
                RemoteStore::open(api, RemoteKeys::new(name), command, lock_timeout)
                    .await
                    .map_err(|error| store_error(error.into()))?;
            (Backend::Remote(store), state, broken)
        }
    };
    Ok(Opened { backend, state, broken, location: location.clone() })
}

impl<'a> Opened<'a> {
    /// The state read, if there is one.
    pub fn state(&self) -> Option<&State> {
        self.state.as_ref()
    }

    /// Refuses (and releases) a state bound to another target than `expected`, when given.
    pub async fn check_target(self, expected: Option<&str>) -> anyhow::Result<Opened<'a>> {
        let problem = match (&self.state, expected) {
            (Some(state), Some(expected)) => check_target(&self.location, state, expected).err(),
            _ => None,
        };
        match problem {
            Some(problem) => {
                self.release().await;
                Err(problem.into())
            }
            None => Ok(self),
        }
    }

    /// Lets go of the lock without writing anything.
    pub async fn release(self) {
        match self.backend {
            Backend::Local(store) => drop(store),
            // Best effort: an unreleased remote lock expires on its own.
            Backend::Remote(store) => {
                let _ = store.release().await;
            }
        }
    }

    /// The writer; a missing state starts empty, bound to `target_if_new`.
    pub fn into_writer(self, target_if_new: &str) -> Writer<'a> {
        let state =
            self.state.unwrap_or_else(|| flowform_exec::state::new_state(target_if_new.to_owned()));
        StateWriter::new(self.backend, state)
    }
}

/// Breaks the lock of the state, whoever holds it; returns the holder that was removed.
pub async fn force_unlock(
    location: &StateLocation,
    api: Option<&ClientStateApi<'_>>,
) -> anyhow::Result<Option<LockHolder>> {
    match location {
        StateLocation::File(path) => {
            Ok(flowform_exec::state::force_unlock(&LocalPaths::new(path).lock)?)
        }
        StateLocation::Integrator { name } => {
            let api = api.ok_or_else(|| no_account(location))?;
            Ok(remote::force_unlock(api, &RemoteKeys::new(name)).await?)
        }
    }
}

/// Whether the location is a local file (the state commands then work offline).
pub fn is_local(location: &StateLocation) -> bool {
    matches!(location, StateLocation::File(_))
}
