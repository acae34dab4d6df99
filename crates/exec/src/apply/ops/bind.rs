//! The state bookkeeping of adopts and moves: the live resource exists already, only the state
//! learns about it (an update may follow, see `update`).

use flowform_model::{Address, ResourceState};

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
    let entry = ResourceState {
        id: id.to_owned(),
        prevent_destroy: desired.lifecycle.prevent_destroy,
        ..ResourceState::default()
    };
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
    context.writer.lock().await.rename(from, to).await.map_err(StepError::State)?;
    context.bind(to, id);
    Ok(())
}
