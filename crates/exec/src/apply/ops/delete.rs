//! `DELETE /{kind}/{id}`; a resource already gone counts as deleted.

use flowform_model::Address;

use super::copies::uses;
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

/// Deletes a copy the clone `owner` made in this run and does not use once the spec's fields
/// are written. Never deletes what the clone's written document still names.
pub(super) async fn delete_copy<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    owner: &Address,
) -> Result<String, StepError> {
    let Some(id) = context.resolve()(address) else {
        return Ok(format!("the clone made no such copy; nothing to delete (`{owner}`)"));
    };
    let written = context.documents.lock().expect("documents lock").get(owner).cloned();
    if let Some(document) = written
        && uses(&document, &id)
    {
        return Ok(format!("kept ({id}): `{owner}` still uses it"));
    }
    let text = delete(context, address, &id).await?;
    Ok(format!("{text}, unused copy made by cloning `{owner}`"))
}
