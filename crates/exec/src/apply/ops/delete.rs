//! `DELETE /{kind}/{id}`; a resource already gone counts as deleted.

use flowform_model::Address;

use crate::apply::StepError;
use crate::apply::context::Context;
use crate::state::remote::StateApi;

pub(super) async fn delete<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    id: &str,
) -> Result<String, StepError> {
    let outcome = match context.client.delete(address.kind, id).await {
        Ok(()) => format!("deleted ({id})"),
        Err(error) if error.is_not_found() => format!("already gone ({id})"),
        Err(error) => return Err(error.into()),
    };
    context.writer.lock().await.remove(address).await.map_err(StepError::State)?;
    Ok(outcome)
}
