//! One module per operation a step runs.

mod bind;
mod clone;
mod copies;
mod create;
mod data;
mod delete;
mod rewrite;
mod unlink;
mod update;

use super::StepError;
use super::context::Context;
use super::steps::{Operation, Step};
use crate::state::remote::StateApi;

/// The text of a step that wrote `document`, with what the service stored differently from
/// what the spec asks (`flowform_diff::service_notes`), said once, here.
fn noted(
    text: String,
    desired: &flowform_model::DesiredResource,
    document: &flowform_model::Value,
) -> String {
    with_notes(text, flowform_diff::service_notes(desired, document))
}

/// `text` with notes on what the service stored differently, when there are any.
fn with_notes(text: String, notes: Vec<String>) -> String {
    if notes.is_empty() { text } else { format!("{text}; {}", notes.join("; ")) }
}

/// Runs one step; the text says what was done.
pub(crate) async fn run_step<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step<'_>,
) -> Result<String, StepError> {
    let address = step.address;
    match step.operation {
        Operation::Create => create::create(context, step).await,
        Operation::Clone { from, copies } => clone::clone(context, step, from, copies).await,
        Operation::DeleteCopy { owner } => delete::delete_copy(context, address, owner).await,
        Operation::Record { id } => bind::record(context, address, id).await,
        Operation::Adopt { id, update, live_last_modified } => {
            bind::adopt(context, address, id).await?;
            if !update {
                return Ok(format!("adopted ({id})"));
            }
            let text = update::update(context, step, id, live_last_modified).await?;
            Ok(format!("adopted, {text}"))
        }
        Operation::Move { from, id, update, live_last_modified } => {
            bind::rename(context, from, address, id).await?;
            if !update {
                return Ok(format!("moved from {from} ({id})"));
            }
            let text = update::update(context, step, id, live_last_modified).await?;
            Ok(format!("moved from {from}, {text}"))
        }
        Operation::Update { id, live_last_modified } => {
            update::update(context, step, id, live_last_modified).await
        }
        Operation::Fixup | Operation::Enable => rewrite::rewrite(context, step).await,
        Operation::Delete { id, purge } => delete::delete(context, address, id, purge).await,
        Operation::Unlink { id } => unlink::unlink(context, address, id).await,
        Operation::Data { id, .. } => data::data(context, address, id).await,
    }
}
