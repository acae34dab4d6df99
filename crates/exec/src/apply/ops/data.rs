//! A lookup cache's data written from its `dataFile`: the keys the file no longer has deleted,
//! the entries it adds or changes upserted, in batches within the documented limits
//! (`crate::lookup_data::apply`). Nothing is recorded in the state: the next plan compares the
//! cache with the file again.

use flowform_model::Address;

use crate::apply::StepError;
use crate::apply::context::Context;
use crate::state::remote::StateApi;

pub(super) async fn data<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    id: Option<&str>,
) -> Result<String, StepError> {
    let file = context
        .desired
        .data_files
        .get(address)
        .ok_or_else(|| StepError::NotInSpec { address: address.clone() })?;
    let (id, existing) = match id {
        Some(id) => (id.to_owned(), true),
        None => (context.id_of(address)?, false),
    };
    let written = crate::lookup_data::apply(context.client, &id, file, existing)
        .await
        .map_err(StepError::Data)?;
    Ok(format!(
        "{} entr{} upserted, {} key{} deleted, in {} call{} ({id})",
        written.upserted,
        if written.upserted == 1 { "y" } else { "ies" },
        written.deleted,
        if written.deleted == 1 { "" } else { "s" },
        written.calls,
        if written.calls == 1 { "" } else { "s" }
    ))
}
