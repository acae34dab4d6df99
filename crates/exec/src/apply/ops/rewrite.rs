//! A fixup or an enable: rewrite the document this run last wrote, with the back-references
//! left out of the first write, or with the spec's `disabled`.

use flowform_diff::{WriteOptions, record_applied, update_document};
use flowform_model::{Kind, Value};

use crate::apply::StepError;
use crate::apply::context::{Context, check_disabled};
use crate::apply::steps::{Operation, Step};
use crate::state::remote::StateApi;

pub(super) async fn rewrite<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step<'_>,
) -> Result<String, StepError> {
    let desired = context.desired(step.address)?;
    let kind = step.address.kind;
    let id = context.id_of(step.address)?;
    let written = context.documents.lock().expect("documents lock").get(step.address).cloned();
    let document = match written {
        Some(document) => document,
        None => context.client.get(kind, &id).await?.document,
    };
    let previous = context.state_entry(step.address).await;
    let force_disabled = match step.operation {
        // A fixup keeps a flow that waits for the enable phase disabled.
        Operation::Fixup
            if context.to_enable.lock().expect("enable lock").contains(step.address) =>
        {
            Some(true)
        }
        Operation::Fixup if desired.kind() == Kind::Flow => {
            document.field("disabled").and_then(Value::as_bool).filter(|disabled| *disabled)
        }
        // The enable is the flow's first write of `disabled: false` (it was created or cloned
        // disabled, or the spec enables it again): written whatever `ignoreChanges` says, since
        // that stops later writes, not the first one.
        Operation::Enable => Some(false),
        _ => None,
    };
    let options = WriteOptions { force_disabled, omit_breakable: false };
    let resolve = context.resolve();
    let written = context.resolved(desired).await?;
    let body = update_document(&document, &written, previous.as_ref(), &resolve, &options)?;
    let updated = context.client.update(kind, &id, &body).await?;
    // Recorded whatever the check says: the write happened.
    let verified = check_disabled(step.address, &body, &updated.document);
    let recorded =
        record_applied(desired, &context.salt, &id, &updated.document, previous.as_ref());
    context.record(step.address, recorded, updated.document).await?;
    verified?;
    Ok(match step.operation {
        // Verified: `check_disabled` read `disabled: false` back from the account's answer.
        Operation::Enable => format!("enabled ({id})"),
        _ => format!("back-references added ({id})"),
    })
}
