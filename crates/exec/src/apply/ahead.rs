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
    /// Sends the read of every update of `graph` when they and their writes fit in the budget's
    /// spare requests; otherwise sends none.
    pub fn start(client: &Client, graph: &StepGraph<Step<'_>>) -> Ahead {
        let updates: Vec<(&Address, &str)> = (0..graph.len())
            .map(|index| graph.step(index))
            .filter_map(|step| match step.operation {
                Operation::Update { id, .. } => Some((step.address, id)),
                _ => None,
            })
            .collect();
        if updates.is_empty() || updates.len() * 2 > client.budget().spare() {
            return Ahead::default();
        }
        let reads = updates
            .into_iter()
            .map(|(address, id)| {
                let (client, kind, owned) = (client.clone(), address.kind, id.to_owned());
                let read = tokio::spawn(async move { client.get(kind, &owned).await });
                (address.clone(), (id.to_owned(), read))
            })
            .collect();
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
