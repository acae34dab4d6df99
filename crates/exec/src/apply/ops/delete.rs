//! `DELETE /{kind}/{id}`; a resource already gone counts as deleted. When the plan also deletes
//! a resource this one names and the recycle bin would keep holding it (a connection naming an
//! iClient), the deleted resource is purged from the bin before the state forgets it, so a run
//! that stops in between purges it on the next try.

use flowform_model::Address;

use super::copies::uses;
use crate::apply::StepError;
use crate::apply::context::Context;
use crate::state::remote::StateApi;

pub(super) async fn delete<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    id: &str,
    purge: bool,
) -> Result<String, StepError> {
    let mut outcome = match context.client.delete(address.kind, id).await {
        Ok(()) => format!("deleted ({id})"),
        Err(error) if error.is_not_found() => format!("already gone ({id})"),
        Err(error) if error.status().is_some_and(|status| (400..500).contains(&status)) => {
            // Refused: say what still uses it, as `/dependencies` lists it (integrator-api.md
            // §6.7), naming what flowform manages by address.
            return Err(match in_use(context, address, id).await {
                Some(users) => StepError::InUse {
                    address: address.clone(),
                    id: id.to_owned(),
                    users,
                    source: Box::new(error),
                },
                None => error.into(),
            });
        }
        Err(error) => return Err(error.into()),
    };
    if purge {
        context.client.purge(address.kind, id).await?;
        outcome.push_str("; purged from the recycle bin");
    }
    context.writer.lock().await.remove(address).await.map_err(StepError::State)?;
    Ok(outcome)
}

/// What uses the resource, per `GET /{kind}/{id}/dependencies`: `None` when the listing fails
/// or is empty (the refusal is then shown as it came).
async fn in_use<A: StateApi>(
    context: &Context<'_, '_, A>,
    address: &Address,
    id: &str,
) -> Option<Vec<String>> {
    let dependencies = context.client.dependencies(address.kind, id).await.ok()?;
    if dependencies.is_empty() {
        return None;
    }
    let ids = context.ids.lock().expect("ids lock").clone();
    let users = dependencies
        .iter()
        .map(|(collection, dependent)| {
            let managed = ids
                .iter()
                .find(|(_, known)| **known == dependent.id)
                .map(|(address, _)| address.clone());
            match managed {
                Some(managed) => format!("`{managed}` ({})", dependent.id),
                None => format!(
                    "{} `{}` ({}), which flowform does not manage",
                    collection.trim_end_matches('s'),
                    dependent.name.as_deref().unwrap_or_default(),
                    dependent.id
                ),
            }
        })
        .collect();
    Some(users)
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
    let text = delete(context, address, &id, false).await?;
    Ok(format!("{text}, unused copy made by cloning `{owner}`"))
}
