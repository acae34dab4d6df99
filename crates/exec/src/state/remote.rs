//! The `--state integrator` backend: the state document lives in the target account itself,
//! under the State API key `flowform-<name>`, guarded by a lock key `flowform-<name>-lock`
//! that holds the holder and an expiry.
//!
//! The State API has no compare-and-swap, so the lock is taken by writing a holder with a
//! random nonce and reading it back after a short pause; whoever reads their own nonce holds it.
//! A holder that stops renewing loses the lock when it expires (two minutes); a holder that
//! provably died on this host is broken at once.

use std::future::Future;
use std::time::{Duration, Instant};

use flowform_model::State;
use serde::{Deserialize, Serialize};

use super::format::{self, FormatError};
use super::lock::{LockError, LockHolder};

/// How long a remote lock lives without renewal.
pub const LOCK_TTL: Duration = Duration::from_secs(120);

/// The error type of a [`StateApi`] implementation.
pub type ApiError = Box<dyn std::error::Error + Send + Sync>;

/// The part of the State API the remote backend needs (implemented over the API client by the
/// caller; tests use an in-memory map).
pub trait StateApi: Send + Sync {
    /// `GET /v1/state/{key}`; `None` when the key does not exist.
    fn get(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<serde_json::Value>, ApiError>> + Send;
    /// `PUT /v1/state/{key}`.
    fn put(
        &self,
        key: &str,
        value: &serde_json::Value,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// `DELETE /v1/state/{key}`.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// Errors of the remote backend.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// A State API call failed.
    #[error("cannot {action} the state key `{key}` in the account")]
    Api {
        /// What was attempted (`read`, `write`, `delete`).
        action: &'static str,
        /// The key.
        key: String,
        /// The cause.
        #[source]
        source: ApiError,
    },
    /// The stored document is corrupt or too new; it is left untouched.
    #[error("cannot use the state stored under `{key}`; it was left untouched")]
    Format {
        /// The key.
        key: String,
        /// The cause.
        #[source]
        source: FormatError,
    },
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Another run took the lock while this one held it (this run stalled past the lock's
    /// expiry, or someone ran `flowform state unlock`); nothing more is written to the state.
    #[error(
        "the state lock `{key}` was taken over by {holder}; this run writes nothing more to the state"
    )]
    LockLost {
        /// The lock key.
        key: String,
        /// Who holds it now (`nobody` when the key was removed).
        holder: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RemoteLock {
    #[serde(flatten)]
    holder: LockHolder,
    nonce: String,
}

/// The State API keys for a state name (`default`, or the environment name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteKeys {
    /// The document key.
    pub document: String,
    /// The lock key.
    pub lock: String,
}

impl RemoteKeys {
    /// Keys for `name`: `flowform-NAME` and `flowform-NAME-lock`.
    pub fn new(name: &str) -> RemoteKeys {
        RemoteKeys { document: format!("flowform-{name}"), lock: format!("flowform-{name}-lock") }
    }
}

fn expired(holder: &LockHolder) -> bool {
    let Some(expires_at) = &holder.expires_at else { return false };
    match expires_at.parse::<jiff::Timestamp>() {
        Ok(expires_at) => expires_at < jiff::Timestamp::now(),
        // An unreadable expiry cannot protect anything.
        Err(_) => true,
    }
}

fn expiry_from_now() -> String {
    let expires =
        jiff::Timestamp::now() + jiff::SignedDuration::try_from(LOCK_TTL).unwrap_or_default();
    expires.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Reads the state stored under `keys` without locking.
pub async fn read<A: StateApi>(api: &A, keys: &RemoteKeys) -> Result<Option<State>, RemoteError> {
    let value = api.get(&keys.document).await.map_err(|source| RemoteError::Api {
        action: "read",
        key: keys.document.clone(),
        source,
    })?;
    match value {
        None => Ok(None),
        Some(value) => format::parse(&value.to_string())
            .map(Some)
            .map_err(|source| RemoteError::Format { key: keys.document.clone(), source }),
    }
}

/// A locked remote state.
pub struct RemoteStore<'a, A: StateApi> {
    api: &'a A,
    keys: RemoteKeys,
    lock: RemoteLock,
    renewed_at: Instant,
}

impl<'a, A: StateApi> RemoteStore<'a, A> {
    /// Takes the lock (waiting up to `lock_timeout`) and reads the state. Returns a stale lock
    /// that was broken, if any.
    pub async fn open(
        api: &'a A,
        keys: RemoteKeys,
        command: &str,
        lock_timeout: Duration,
    ) -> Result<(RemoteStore<'a, A>, Option<State>, Option<LockHolder>), RemoteError> {
        let started = Instant::now();
        let mut broken = None;
        let mine = RemoteLock {
            holder: LockHolder {
                expires_at: Some(expiry_from_now()),
                ..LockHolder::current(command)
            },
            nonce: super::random_hex(16),
        };
        loop {
            let existing = get_lock(api, &keys).await?;
            match existing {
                Some(existing) if existing.nonce != mine.nonce => {
                    if existing.holder.is_provably_dead() || expired(&existing.holder) {
                        broken = Some(existing.holder);
                    } else if started.elapsed() >= lock_timeout {
                        return Err(LockError::Held {
                            holder: Box::new(existing.holder),
                            location: format!("state key `{}`", keys.lock),
                        }
                        .into());
                    } else {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                }
                _ => {}
            }
            put_json(api, &keys.lock, &mine).await?;
            // Another writer may have raced us; the last write wins, so read it back after a
            // pause longer than one request round trip.
            tokio::time::sleep(Duration::from_millis(300)).await;
            if get_lock(api, &keys).await?.is_some_and(|current| current.nonce == mine.nonce) {
                break;
            }
        }
        let mut store = RemoteStore { api, keys, lock: mine, renewed_at: Instant::now() };
        let state = read(api, &store.keys).await?;
        store.renewed_at = Instant::now();
        Ok((store, state, broken))
    }

    /// Writes the whole state (serial + 1), renewing the lock when a third of its life passed.
    /// The lock is read first: a run that lost it (it stalled past the expiry and another run
    /// broke the lock, or `state unlock` was used) must not overwrite the new holder's state.
    pub async fn save(&mut self, state: &mut State) -> Result<(), RemoteError> {
        self.check_still_held().await?;
        self.renew_if_due().await?;
        state.serial += 1;
        let value: serde_json::Value =
            serde_json::from_str(&format::render(state)).expect("a rendered state is JSON");
        self.api.put(&self.keys.document, &value).await.map_err(|source| RemoteError::Api {
            action: "write",
            key: self.keys.document.clone(),
            source,
        })
    }

    /// Fails with [`RemoteError::LockLost`] unless the lock key still holds this run's nonce.
    async fn check_still_held(&self) -> Result<(), RemoteError> {
        match get_lock(self.api, &self.keys).await? {
            Some(current) if current.nonce == self.lock.nonce => Ok(()),
            current => Err(RemoteError::LockLost {
                key: self.keys.lock.clone(),
                holder: current
                    .map(|lock| lock.holder.to_string())
                    .unwrap_or_else(|| "nobody (the lock was removed)".to_owned()),
            }),
        }
    }

    /// Renews the lock when a third of its life has passed.
    pub async fn renew_if_due(&mut self) -> Result<(), RemoteError> {
        if self.renewed_at.elapsed() < LOCK_TTL / 3 {
            return Ok(());
        }
        self.lock.holder.expires_at = Some(expiry_from_now());
        put_json(self.api, &self.keys.lock, &self.lock).await?;
        self.renewed_at = Instant::now();
        Ok(())
    }

    /// Releases the lock if this store still holds it.
    pub async fn release(self) -> Result<(), RemoteError> {
        if get_lock(self.api, &self.keys)
            .await?
            .is_some_and(|current| current.nonce == self.lock.nonce)
        {
            self.api.delete(&self.keys.lock).await.map_err(|source| RemoteError::Api {
                action: "delete",
                key: self.keys.lock.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// The keys in use.
    pub fn keys(&self) -> &RemoteKeys {
        &self.keys
    }
}

/// Who holds the remote lock now, if anyone does: a holder that provably died or whose lock
/// expired holds nothing (the next writer breaks it).
pub async fn live_holder<A: StateApi>(
    api: &A,
    keys: &RemoteKeys,
) -> Result<Option<LockHolder>, RemoteError> {
    Ok(get_lock(api, keys)
        .await?
        .map(|lock| lock.holder)
        .filter(|holder| !holder.is_provably_dead() && !expired(holder)))
}

/// Removes the remote lock whoever holds it (`flowform state unlock`).
pub async fn force_unlock<A: StateApi>(
    api: &A,
    keys: &RemoteKeys,
) -> Result<Option<LockHolder>, RemoteError> {
    let existing = get_lock(api, keys).await?;
    if existing.is_some() {
        api.delete(&keys.lock).await.map_err(|source| RemoteError::Api {
            action: "delete",
            key: keys.lock.clone(),
            source,
        })?;
    }
    Ok(existing.map(|lock| lock.holder))
}

async fn get_lock<A: StateApi>(
    api: &A,
    keys: &RemoteKeys,
) -> Result<Option<RemoteLock>, RemoteError> {
    let value = api.get(&keys.lock).await.map_err(|source| RemoteError::Api {
        action: "read",
        key: keys.lock.clone(),
        source,
    })?;
    // An unreadable lock value is treated as no lock: it names no holder to wait for.
    Ok(value.and_then(|value| serde_json::from_value(value).ok()))
}

async fn put_json<A: StateApi, T: Serialize>(
    api: &A,
    key: &str,
    value: &T,
) -> Result<(), RemoteError> {
    let value = serde_json::to_value(value).expect("lock serialises");
    api.put(key, &value).await.map_err(|source| RemoteError::Api {
        action: "write",
        key: key.to_owned(),
        source,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// An in-memory State API.
    #[derive(Default)]
    pub(crate) struct MemoryStateApi {
        pub(crate) keys: Mutex<HashMap<String, serde_json::Value>>,
    }

    impl StateApi for MemoryStateApi {
        async fn get(&self, key: &str) -> Result<Option<serde_json::Value>, ApiError> {
            Ok(self.keys.lock().unwrap().get(key).cloned())
        }
        async fn put(&self, key: &str, value: &serde_json::Value) -> Result<(), ApiError> {
            self.keys.lock().unwrap().insert(key.to_owned(), value.clone());
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), ApiError> {
            self.keys.lock().unwrap().remove(key);
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn lock_save_and_release() {
        let api = MemoryStateApi::default();
        let keys = RemoteKeys::new("default");
        let (mut store, state, broken) =
            RemoteStore::open(&api, keys.clone(), "apply", Duration::ZERO).await.unwrap();
        assert!(state.is_none() && broken.is_none());
        let error =
            match RemoteStore::open(&api, keys.clone(), "apply", Duration::from_secs(1)).await {
                Err(error) => error,
                Ok(_) => panic!("second lock must fail"),
            };
        assert!(error.to_string().contains("locked by `flowform apply`"), "{error}");
        let mut state = State::new("l".into(), "t".into(), "s".into());
        store.save(&mut state).await.unwrap();
        assert_eq!(read(&api, &keys).await.unwrap().unwrap().serial, 1);
        store.release().await.unwrap();
        assert!(api.keys.lock().unwrap().get(&keys.lock).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_lost_its_lock_writes_nothing_more() {
        let api = MemoryStateApi::default();
        let keys = RemoteKeys::new("default");
        let (mut store, _, _) =
            RemoteStore::open(&api, keys.clone(), "apply", Duration::ZERO).await.unwrap();
        let mut state = State::new("l".into(), "t".into(), "s".into());
        store.save(&mut state).await.unwrap();
        // Another run broke the lock (this one stalled past its expiry) and wrote its state.
        let other = RemoteLock {
            holder: LockHolder { host: "another-runner".into(), ..LockHolder::current("apply") },
            nonce: "other".into(),
        };
        api.keys.lock().unwrap().insert(keys.lock.clone(), serde_json::to_value(&other).unwrap());
        let newer = State { serial: 9, ..State::new("l".into(), "t".into(), "s".into()) };
        api.keys
            .lock()
            .unwrap()
            .insert(keys.document.clone(), serde_json::from_str(&format::render(&newer)).unwrap());
        let error = store.save(&mut state).await.unwrap_err();
        assert!(matches!(error, RemoteError::LockLost { .. }), "{error}");
        assert!(error.to_string().contains("another-runner"), "{error}");
        assert_eq!(read(&api, &keys).await.unwrap().unwrap().serial, 9, "the newer state stays");
        // Releasing leaves the other run's lock alone.
        store.release().await.unwrap();
        assert!(api.keys.lock().unwrap().contains_key(&keys.lock));
    }

    #[tokio::test(start_paused = true)]
    async fn expired_lock_is_broken() {
        let api = MemoryStateApi::default();
        let keys = RemoteKeys::new("prod");
        let old = RemoteLock {
            holder: LockHolder {
                host: "another-runner".into(),
                expires_at: Some("2000-01-01T00:00:00.000Z".into()),
                ..LockHolder::current("apply")
            },
            nonce: "old".into(),
        };
        api.keys.lock().unwrap().insert(keys.lock.clone(), serde_json::to_value(&old).unwrap());
        let (_store, _, broken) =
            RemoteStore::open(&api, keys, "apply", Duration::ZERO).await.unwrap();
        assert_eq!(broken.unwrap().host, "another-runner");
    }

    #[tokio::test(start_paused = true)]
    async fn corrupt_document_is_refused() {
        let api = MemoryStateApi::default();
        let keys = RemoteKeys::new("default");
        api.keys.lock().unwrap().insert(keys.document.clone(), serde_json::json!({"version": 99}));
        let error = read(&api, &keys).await.unwrap_err();
        assert!(error.to_string().contains("left untouched"));
    }
}
