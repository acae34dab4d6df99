//! GET-ahead for updates: the `GET` with which an update checks that its resource is unchanged
//! since the plan depends on no write of the run, so it is sent when the run starts instead of
//! when the step's dependencies are done. The `PUT`s keep their order (a write still waits for
//! the writes it depends on); a chain of updates `connection → export → flow` costs one round
//! trip for all the reads and one per write instead of two per write (`docs/benchmarks.md`).
//!
//! Only when every read and every write of the run's updates fits in what the rate budget has
//! to spare: then no request waits for the rate because of a read sent early, and a read is
//! answered at most a few round trips before its write (the time the step waits for its
//! dependencies). A larger run is bound by the rate, where reading early buys nothing and
//! would only widen the time between a read and its write; it reads as before.
//!
//! An apply that makes its own plan starts earlier still ([`EarlyReads`]): the read of each
//! update is sent as soon as the diff finds the update, so that it travels while the rest of
//! the plan is made; the run then takes it like a read sent at its start. At most half of the
//! requests the budget had to spare when the plan began are read early (each read may be
//! followed by its write). The diff cannot know yet whether the whole run fits in the budget:
//! in a run that does not (more than that many updates), the updates read early may wait for
//! their writes behind the rate, seconds instead of round trips, which widens their window the
//! way GET-ahead avoids for such runs; the reads that did not fit are made by the steps as
//! before. A small apply, the case this is for, always fits.
//!
//! The check itself is unchanged: the step compares the document read with the
//! `lastModified` of the plan and refuses a resource changed since. The window between that
//! read and the write grows from one round trip to the time the step waits for its
//! dependencies, which the check never covered anyway (a change made between the read and the
//! write is overwritten either way).

use std::collections::HashMap;
use std::sync::Mutex;

use flowform_api::{Client, LiveResource};
use flowform_model::Address;
use tokio::task::JoinHandle;

use super::steps::{Operation, Step};
use crate::graph::StepGraph;

type Read = JoinHandle<Result<LiveResource, flowform_api::Error>>;

/// The reads sent ahead, by address (with the id read), each taken by its step.
#[derive(Default)]
pub(crate) struct Ahead {
    reads: Mutex<HashMap<Address, (String, Read)>>,
}

impl Ahead {
    /// Takes the reads sent while the plan was made (`early`), and sends the read of every
    /// other update of `graph` when they and their writes fit in the budget's spare requests
    /// (otherwise none of them).
    pub fn start(
        client: &Client,
        graph: &StepGraph<Step<'_>>,
        early: Option<&EarlyReads>,
    ) -> Ahead {
        let mut reads = early.map(EarlyReads::take).unwrap_or_default();
        let updates: Vec<(&Address, &str)> = (0..graph.len())
            .map(|index| graph.step(index))
            .filter_map(|step| match step.operation {
                Operation::Update { id, .. } => Some((step.address, id)),
                _ => None,
            })
            .filter(|(address, id)| {
                reads.get(*address).is_none_or(|(read_id, _)| read_id.as_str() != *id)
            })
            .collect();
        if !updates.is_empty() && updates.len() * 2 <= client.budget().spare() {
            for (address, id) in updates {
                reads.insert(address.clone(), (id.to_owned(), spawn_read(client, address, id)));
            }
        }
        Ahead { reads: Mutex::new(reads) }
    }

    /// The document of `address` (id `id`): the read sent ahead when there is one, else a read
    /// now.
    pub async fn get(
        &self,
        client: &Client,
        address: &Address,
        id: &str,
    ) -> Result<LiveResource, flowform_api::Error> {
        let ahead = self.reads.lock().expect("reads lock").remove(address);
        if let Some((read_id, read)) = ahead
            && read_id == id
            && let Ok(answer) = read.await
        {
            return answer;
        }
        client.get(address.kind, id).await
    }
}

impl Drop for Ahead {
    /// Reads no step took (a dependency failed, the run was interrupted) are abandoned.
    fn drop(&mut self) {
        if let Ok(reads) = self.reads.get_mut() {
            for (_, (_, read)) in reads.drain() {
                read.abort();
            }
        }
    }
}

fn spawn_read(client: &Client, address: &Address, id: &str) -> Read {
    let (client, kind, id) = (client.clone(), address.kind, id.to_owned());
    tokio::spawn(async move { client.get(kind, &id).await })
}

/// The reads of updates sent while the plan is made ([`crate::planner::make_plan_reading`]):
/// called from the diff's threads, they are sent on the runtime that made this value. What the
/// run does not take is abandoned when this is dropped.
pub struct EarlyReads {
    client: Client,
    runtime: tokio::runtime::Handle,
    /// How many reads may be sent: half of the budget's spare requests when the plan began, so
    /// that every read and its write fit.
    limit: usize,
    reads: Mutex<HashMap<Address, (String, Read)>>,
}

impl EarlyReads {
    /// Ready to send reads with `client`. Must be called inside a tokio runtime.
    pub fn new(client: &Client) -> EarlyReads {
        EarlyReads {
            client: client.clone(),
            runtime: tokio::runtime::Handle::current(),
            limit: client.budget().spare() / 2,
            reads: Mutex::new(HashMap::new()),
        }
    }

    /// Sends the read of the resource at `address` (live id `id`), unless the budget's share is
    /// spent or it was sent already.
    pub fn send(&self, address: &Address, id: &str) {
        let mut reads = self.reads.lock().expect("reads lock");
        if reads.len() >= self.limit || reads.contains_key(address) {
            return;
        }
        let (client, kind, owned) = (self.client.clone(), address.kind, id.to_owned());
        let read = self.runtime.spawn(async move { client.get(kind, &owned).await });
        reads.insert(address.clone(), (id.to_owned(), read));
    }

    /// How many reads were sent.
    pub fn sent(&self) -> usize {
        self.reads.lock().expect("reads lock").len()
    }

    fn take(&self) -> HashMap<Address, (String, Read)> {
        std::mem::take(&mut *self.reads.lock().expect("reads lock"))
    }
}

impl Drop for EarlyReads {
    fn drop(&mut self) {
        if let Ok(reads) = self.reads.get_mut() {
            for (_, (_, read)) in reads.drain() {
                read.abort();
            }
        }
    }
}
