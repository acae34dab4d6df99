//! One open, locked state, whatever the backend: the in-memory document plus the events that
//! change it, persisted as they happen.
//!
//! Local states append every event to the journal at once (a completed step is never lost,
//! even to SIGKILL), and end a run with a serial line in the journal until it is due to be
//! folded into the document (`LocalStore::commit`). Remote states write the whole document at most once a second while an
//! apply runs (each write is an API request under the account's rate budget) and always at
//! [`StateWriter::finish`]; what a crash can lose there is covered by the write-ahead
//! `pending` records, which are always written before the creates they describe.

use std::time::{Duration, Instant};

use flowform_model::{Address, PendingCreate, ResourceState, State};

use super::format::{JournalLine, PendingDocument, ResourceDocument};
use super::local::{LocalError, LocalStore};
use super::remote::{RemoteError, RemoteStore, StateApi};

/// The minimum interval between two remote writes during an apply.
pub const REMOTE_WRITE_INTERVAL: Duration = Duration::from_secs(1);

/// An error of either backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Local backend.
    #[error(transparent)]
    Local(#[from] LocalError),
    /// Remote backend.
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

/// Where an open state lives.
pub enum Backend<'a, A: StateApi> {
    /// A local file.
    Local(LocalStore),
    /// The account's State API.
    Remote(RemoteStore<'a, A>),
}

/// An open state with its backend.
pub struct StateWriter<'a, A: StateApi> {
    state: State,
    backend: Backend<'a, A>,
    dirty: bool,
    written_at: Instant,
}

impl<'a, A: StateApi> StateWriter<'a, A> {
    /// Wraps an opened backend and its state.
    pub fn new(backend: Backend<'a, A>, state: State) -> StateWriter<'a, A> {
        StateWriter { state, backend, dirty: false, written_at: Instant::now() }
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Records a resource's new state.
    pub async fn put(
        &mut self,
        address: &Address,
        resource: ResourceState,
    ) -> Result<(), StoreError> {
        let line = JournalLine::Put {
            address: address.to_string(),
            resource: ResourceDocument::from_model(&resource),
        };
        self.state.resources.insert(address.clone(), resource);
        self.persist(line).await
    }

    /// Removes a resource from the state.
    pub async fn remove(&mut self, address: &Address) -> Result<(), StoreError> {
        self.state.resources.remove(address);
        self.persist(JournalLine::Remove { address: address.to_string() }).await
    }

    /// Moves a resource to another address (a `moved` rename or `state mv`).
    pub async fn rename(&mut self, from: &Address, to: &Address) -> Result<(), StoreError> {
        if let Some(resource) = self.state.resources.get(from).cloned() {
            self.remove(from).await?;
            self.put(to, resource).await?;
        }
        Ok(())
    }

    /// Writes write-ahead records for creates about to be sent, durably, before returning.
    pub async fn add_pending(&mut self, pending: Vec<PendingCreate>) -> Result<(), StoreError> {
        if pending.is_empty() {
            return Ok(());
        }
        for record in pending {
            self.state.pending.retain(|existing| existing.address != record.address);
            let line = JournalLine::Pending { pending: PendingDocument::from_model(&record) };
            self.state.pending.push(record);
            if let Backend::Local(store) = &mut self.backend {
                store.record(&mut self.state, &line)?;
            }
        }
        self.dirty = true;
        if let Backend::Remote(_) = &self.backend {
            self.flush().await?;
        }
        Ok(())
    }

    /// Drops the write-ahead record of `address` (its create was recorded or did not happen).
    pub async fn resolve_pending(&mut self, address: &Address) -> Result<(), StoreError> {
        if !self.state.pending.iter().any(|pending| &pending.address == address) {
            return Ok(());
        }
        self.state.pending.retain(|pending| &pending.address != address);
        self.persist(JournalLine::Resolved { address: address.to_string() }).await
    }

    async fn persist(&mut self, line: JournalLine) -> Result<(), StoreError> {
        self.dirty = true;
        match &mut self.backend {
            Backend::Local(store) => store.record(&mut self.state, &line)?,
            Backend::Remote(_) => {
                if self.written_at.elapsed() >= REMOTE_WRITE_INTERVAL {
                    self.flush().await?;
                }
            }
        }
        Ok(())
    }

    /// Writes the whole document now.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Local(store) => store.save(&mut self.state)?,
            Backend::Remote(store) => store.save(&mut self.state).await?,
        }
        self.dirty = false;
        self.written_at = Instant::now();
        Ok(())
    }

    /// Makes what changed since the last full write durable, then releases the lock. Always
    /// call it, also after failures. A local state ends the run in its journal (a serial line,
    /// fsynced) until the journal is due to be folded into the document; a remote one writes
    /// the document.
    pub async fn finish(mut self) -> Result<State, StoreError> {
        if self.dirty {
            match &mut self.backend {
                Backend::Local(store) => store.commit(&mut self.state)?,
                Backend::Remote(store) => store.save(&mut self.state).await?,
            }
            self.dirty = false;
        }
        self.release().await
    }

    /// Releases the lock without writing anything more; returns the state in memory.
    pub async fn release(self) -> Result<State, StoreError> {
        match self.backend {
            Backend::Local(store) => drop(store),
            Backend::Remote(store) => store.release().await?,
        }
        Ok(self.state)
    }

    /// Renews a remote lock when due (call it while waiting, e.g. for a confirmation).
    pub async fn keep_alive(&mut self) -> Result<(), StoreError> {
        if let Backend::Remote(store) = &mut self.backend {
            store.renew_if_due().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote::tests::MemoryStateApi;
    use super::super::remote::{self, RemoteKeys};
    use super::*;
    use flowform_model::Kind;

    #[tokio::test(start_paused = true)]
    async fn remote_writes_are_coalesced_and_finished() {
        let api = MemoryStateApi::default();
        let keys = RemoteKeys::new("default");
        let (store, _, _) =
            RemoteStore::open(&api, keys.clone(), "apply", Duration::ZERO).await.unwrap();
        let mut writer = StateWriter::new(
            Backend::Remote(store),
            State::new("l".into(), "t".into(), "s".into()),
        );
        for index in 0..10 {
            let address = Address::new(Kind::Flow, format!("f{index}"));
            writer
                .put(&address, ResourceState { id: format!("{index}"), ..Default::default() })
                .await
                .unwrap();
        }
        // Paused time does not advance by itself, so no interval elapsed: nothing written yet.
        assert!(remote::read(&api, &keys).await.unwrap().is_none());
        let state = writer.finish().await.unwrap();
        let stored = remote::read(&api, &keys).await.unwrap().unwrap();
        assert_eq!(stored.resources.len(), 10);
        assert_eq!(stored, state);
    }

    #[tokio::test]
    async fn local_events_reach_the_journal_at_once() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        let (store, _, _) = LocalStore::open(&path, "apply", Duration::ZERO).await.unwrap();
        let mut writer: StateWriter<'_, MemoryStateApi> =
            StateWriter::new(Backend::Local(store), State::new("l".into(), "t".into(), "s".into()));
        let address = Address::new(Kind::Export, "orders");
        writer
            .add_pending(vec![PendingCreate {
                address: address.clone(),
                kind: Kind::Export,
                name: "Orders".into(),
                integration_id: None,
                started_at: "2026-01-01T00:00:00.000Z".into(),
            }])
            .await
            .unwrap();
        writer.put(&address, ResourceState { id: "1".into(), ..Default::default() }).await.unwrap();
        writer.resolve_pending(&address).await.unwrap();
        let seen = super::super::local::read(&super::super::local::LocalPaths::new(&path))
            .unwrap()
            .unwrap();
        assert_eq!(seen.resources[&address].id, "1");
        assert!(seen.pending.is_empty());
        writer.finish().await.unwrap();
    }
}
