//! `GET` + `PUT`: the live document with the spec's changes, refused when the live resource
//! moved since the plan.

use flowform_diff::{WriteOptions, record_applied, update_document};

use crate::apply::StepError;
use crate::apply::context::{Context, check_disabled, live_disabled};
use crate::apply::steps::Step;
use crate::state::remote::StateApi;

pub(super) async fn update<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step<'_>,
    id: &str,
    planned_last_modified: Option<&str>,
) -> Result<String, StepError> {
    let desired = context.desired(step.address)?;
    let kind = step.address.kind;
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
    let previous = context.state_entry(step.address).await;
    let options = WriteOptions {
        force_disabled: context.force_disabled(desired, false, live_disabled(&fresh.document)),
        omit_breakable: step.omit_breakable,
    };
    let resolve = context.resolve();
    let written = context.resolved(desired).await?;
    let body = update_document(&fresh.document, &written, previous.as_ref(), &resolve, &options)?;
    let updated = context.client.update(kind, id, &body).await?;
    // Recorded whatever the check says: the write happened.
    let verified = check_disabled(step.address, &body, &updated.document);
    let recorded = record_applied(desired, &context.salt, id, &updated.document, previous.as_ref());
    let text = super::noted(format!("updated ({id})"), desired, &updated.document);
    context.record(step.address, recorded, updated.document).await?;
    verified?;
    Ok(text)
}
