//! The state bookkeeping of adopts and moves: the live resource exists already, only the state
//! learns about it (an update may follow, see `update`).

use flowform_diff::{live_baseline, record_applied};
use flowform_model::{Address, LifecycleFlags, ResourceState};

use crate::apply::StepError;
use crate::apply::context::Context;
use crate::state::remote::StateApi;

/// Binds `address` to the unmanaged live resource `id`.
pub(super) async fn adopt<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    id: &str,
) -> Result<(), StepError> {
    let desired = context.desired(address)?;
    let mut entry = ResourceState { id: id.to_owned(), ..ResourceState::default() };
    entry.set_lifecycle_flags(LifecycleFlags::of(&desired.lifecycle));
    // The document as it was adopted is the baseline: what changed outside flowform before
    // is not known, and later changes are.
    entry.live = context
        .live
        .get(address.kind, id)
        .map(|resource| live_baseline(address.kind, &context.salt, &resource.document, &entry));
    context.bind(address, id);
    context.put(address, entry).await
}

/// Moves the state entry at `from` to `to` (a `moved` rename).
pub(super) async fn rename<A: StateApi>(
    context: &Context<'_, '_, A>,
    from: &Address,
    to: &Address,
    id: &str,
) -> Result<(), StepError> {
    let desired = context.desired(to)?;
    let mut writer = context.writer.lock().await;
    writer.rename(from, to).await.map_err(StepError::State)?;
    // The entry takes the spec's lifecycle flags, and the copies its clone made follow it.
    if let Some(entry) = writer.state().get(to).cloned() {
        let mut entry = entry;
        entry.set_lifecycle_flags(LifecycleFlags::of(&desired.lifecycle));
        writer.put(to, entry).await.map_err(StepError::State)?;
    }
    let copies: Vec<(Address, ResourceState)> = writer
        .state()
        .copies_of(from)
        .map(|(address, entry)| (address.clone(), entry.clone()))
        .collect();
    for (address, mut entry) in copies {
        entry.owner = Some(to.clone());
        writer.put(&address, entry).await.map_err(StepError::State)?;
    }
    drop(writer);
    context.bind(to, id);
    Ok(())
}

/// A state-only change: the spec's lifecycle flags (and, for a clone's copy the spec now
/// declares, no owner) recorded with what the spec says now, from the live document read for
/// the plan, which matched the spec (that is what made the change state-only). No request is
/// sent.
pub(super) async fn record<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    id: &str,
) -> Result<String, StepError> {
    let desired = context.desired(address)?;
    let previous = context.state_entry(address).await;
    let mut entry = match context.live.get(address.kind, id) {
        Some(live) => {
            let mut entry =
                record_applied(desired, &context.salt, id, &live.document, previous.as_ref());
            // A secret the live document hides keeps the fingerprint recorded before.
            if let Some(previous) = &previous {
                for (path, fingerprint) in &previous.secret_fingerprints {
                    if entry.applied_paths.contains_key(path) {
                        entry
                            .secret_fingerprints
                            .entry(path.clone())
                            .or_insert_with(|| fingerprint.clone());
                    }
                }
                // Nothing was written: the live baseline stays what it was, kept relative to
                // the paths recorded now.
                entry.live = previous.live.as_ref().map(|baseline| {
                    baseline.rebased(&previous.applied_paths, &entry.applied_paths)
                });
            }
            entry
        }
        None => previous.unwrap_or(ResourceState { id: id.to_owned(), ..ResourceState::default() }),
    };
    entry.set_lifecycle_flags(LifecycleFlags::of(&desired.lifecycle));
    context.bind(address, id);
    context.put(address, entry).await?;
    Ok(format!("recorded in the state, nothing sent ({id})"))
}
