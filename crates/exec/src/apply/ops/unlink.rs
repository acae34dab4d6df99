//! An unlink: the live document of a resource about to be deleted, written back without its
//! breakable references to other resources this plan deletes (an export's `_asyncHelperId`, a
//! flow's `_runNextFlowIds`), so that each delete of the cycle finds nothing using it. Nothing is
//! recorded: the resource's own delete follows.

use flowform_diff::unlink_document;
use flowform_model::Address;

use crate::apply::StepError;
use crate::apply::context::Context;
use crate::state::remote::StateApi;

pub(super) async fn unlink<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    id: &str,
) -> Result<String, StepError> {
    let fresh = match context.client.get(address.kind, id).await {
        Ok(fresh) => fresh,
        Err(error) if error.is_not_found() => return Ok(format!("already gone ({id})")),
        Err(error) => return Err(error.into()),
    };
    let deleting = &context.deleting;
    let Some(body) = unlink_document(address, &fresh.document, &|text| deleting.contains(text))?
    else {
        return Ok(format!("nothing to unlink ({id})"));
    };
    context.client.update(address.kind, id, &body).await?;
    Ok(format!("unlinked from what this plan deletes ({id})"))
}
