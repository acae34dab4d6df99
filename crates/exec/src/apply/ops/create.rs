//! `POST /{kind}`, with the client's lost-response recovery.

use std::collections::HashSet;

use flowform_diff::{WriteOptions, create_document, record_applied};

use crate::apply::StepError;
use crate::apply::context::{Context, check_disabled};
use crate::apply::steps::Step;
use crate::state::remote::StateApi;

pub(super) async fn create<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step<'_>,
) -> Result<String, StepError> {
    let desired = context.desired(step.address)?;
    let kind = step.address.kind;
    let options = WriteOptions {
        force_disabled: context.force_disabled(desired, true, false),
        omit_breakable: step.omit_breakable,
    };
    let resolve = context.resolve();
    let body = create_document(&*context.resolved(desired).await?, &resolve, &options)?;
    let known: HashSet<String> =
        context.known_ids.lock().expect("known ids lock").get(&kind).cloned().unwrap_or_default();
    let created = match context.client.create(kind, &body, &known).await {
        Ok(created) => created,
        Err(error) => {
            // A definite refusal (4xx) created nothing: the write-ahead record can go. Anything
            // else may have created the resource; the record stays for the next run to find it.
            if error.status().is_some_and(|status| (400..500).contains(&status)) {
                let mut writer = context.writer.lock().await;
                let _ = writer.resolve_pending(step.address).await;
            }
            return Err(error.into());
        }
    };
    let resource = created.resource;
    // Recorded whatever the check says: the resource exists.
    let verified = check_disabled(step.address, &body, &resource.document);
    context
        .known_ids
        .lock()
        .expect("known ids lock")
        .entry(kind)
        .or_default()
        .insert(resource.id.clone());
    let recorded = record_applied(desired, &context.salt, &resource.id, &resource.document, None);
    let id = resource.id.clone();
    let text = if created.recovered {
        format!("created ({id}; recovered after a lost response)")
    } else {
        format!("created ({id})")
    };
    let text = super::noted(text, desired, &resource.document);
    context.record(step.address, recorded, resource.document).await?;
    verified?;
    Ok(text)
}
