//! `GET` + `PUT`: the live document with the spec's changes, refused when the live resource
//! moved since the plan.

use std::borrow::Cow;

use flowform_api::{Client, LiveResource};
use flowform_diff::{WriteOptions, baseline_after_write, record_applied, update_document};
use flowform_model::{Address, DesiredResource, KeyHashMap, ResourceState, Value};

use crate::apply::StepError;
use crate::apply::context::{Context, check_disabled, lacks_source, live_disabled};
use crate::apply::steps::Step;
use crate::state::remote::StateApi;

pub(super) async fn update<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step<'_>,
    id: &str,
    planned_last_modified: Option<&str>,
) -> Result<String, StepError> {
    let desired = context.desired(step.address)?;
    let fresh = context.ahead.get(context.client, step.address, id).await?;
    if let Some(planned) = planned_last_modified
        && fresh.last_modified.as_deref() != Some(planned)
    {
        return Err(StepError::ModifiedSincePlan {
            address: step.address.clone(),
            planned: planned.to_owned(),
            now: fresh.last_modified.clone().unwrap_or_else(|| "none".to_owned()),
        });
    }
    let options = WriteOptions {
        force_disabled: context.force_disabled(desired, false, live_disabled(&fresh.document)),
        omit_breakable: step.omit_breakable,
    };
    let resolved = match context.resolved(desired).await? {
        Cow::Borrowed(_) => None,
        Cow::Owned(resolved) => Some(resolved),
    };
    let write = Write {
        client: context.client.clone(),
        id: id.to_owned(),
        salt: context.salt.clone(),
        ids: reference_ids(context, resolved.as_ref().unwrap_or(desired)),
        desired: desired.clone(),
        resolved,
        previous: context.state_entry(step.address).await,
        live: fresh.document,
        before: context.document_before(step.address, id),
        options,
    };
    // The body, the request, its answer and the digests of what it wrote are worked on by the
    // runtime's worker threads, beside the steps this task runs: a level's writes go out as
    // fast as the steps can start them (`docs/benchmarks.md`, issue 18's sixth round).
    let written = match tokio::spawn(write.run()).await {
        Ok(written) => written?,
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => return Err(StepError::Cancelled { address: step.address.clone() }),
    };
    // Recorded whatever the check says: the write happened.
    let verified = check_disabled(step.address, &written.body, &written.updated.document);
    let text = super::with_notes(format!("updated ({id})"), written.notes);
    let document = written.updated.document;
    if written.baseline_made {
        context.record_made(step.address, written.recorded, document).await?;
    } else {
        context.record(step.address, written.recorded, document).await?;
    }
    verified?;
    Ok(text)
}

/// What an update's write needs, owned, so that it runs as a task of its own.
struct Write {
    client: Client,
    id: String,
    salt: String,
    /// The ids the references of the resource have now.
    ids: KeyHashMap<Address, String>,
    /// The spec's resource, as state records it (with its lookups).
    desired: DesiredResource,
    /// The spec's resource with its lookups resolved, when it has any: what is written.
    resolved: Option<DesiredResource>,
    /// The state entry before the write.
    previous: Option<ResourceState>,
    /// The document the update's read found.
    live: Value,
    /// The document the write replaces, for the baseline ([`Context::document_before`]).
    before: Option<Value>,
    options: WriteOptions,
}

/// A write done: the body sent, the answer, the state entry to record and the notes on what
/// the service stored differently.
struct Written {
    body: serde_json::Value,
    updated: LiveResource,
    recorded: ResourceState,
    /// Whether `recorded` holds its live baseline: not for a script whose answer left its
    /// source out, for which [`Context::record`] reads the source back and makes it.
    baseline_made: bool,
    notes: Vec<String>,
}

impl Write {
    async fn run(self) -> Result<Written, StepError> {
        let Write { client, id, salt, ids, desired, resolved, previous, live, before, options } =
            self;
        let resolve = |address: &Address| ids.get(address).cloned();
        let written = resolved.as_ref().unwrap_or(&desired);
        let body = update_document(&live, written, previous.as_ref(), &resolve, &options)?;
        drop(live);
        let updated = client.update(desired.kind(), &id, &body).await?;
        let document = &updated.document;
        let mut recorded = record_applied(&desired, &salt, &id, document, previous.as_ref());
        let baseline_made = !lacks_source(desired.kind(), document);
        if baseline_made {
            recorded.live = Some(baseline_after_write(
                &desired,
                &salt,
                before.as_ref(),
                document,
                previous.as_ref(),
                &recorded,
            ));
        }
        let notes = flowform_diff::service_notes(&desired, document);
        Ok(Written { body, updated, recorded, baseline_made, notes })
    }
}

/// The ids the references of `resource` have now, for a body built away from the run.
fn reference_ids<A: StateApi>(
    context: &Context<'_, '_, A>,
    resource: &DesiredResource,
) -> KeyHashMap<Address, String> {
    let resolve = context.resolve();
    let mut ids = KeyHashMap::default();
    resource.for_each_reference(|_, address| {
        if let Some(id) = resolve(address) {
            ids.insert(address.clone(), id);
        }
    });
    ids
}
