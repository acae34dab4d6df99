//! `POST /{kind}/{id}/clone`, then an update that enforces the spec on the copy. What the
//! service made besides the clone (a flow clone's copies of the flow's exports and imports) is
//! recorded in the state first, owned by the clone (see `copies`).

use std::collections::BTreeSet;

use flowform_diff::{WriteOptions, record_applied, update_document};
use flowform_model::references::for_each_live_string;
use flowform_model::{CloneCopy, Kind, LifecycleFlags, RefOrId, ResourceState, Value};

use super::copies::record_copies;
use crate::apply::StepError;
use crate::apply::context::{Context, check_disabled, live_disabled};
use crate::apply::steps::Step;
use crate::state::remote::StateApi;

pub(super) async fn clone<A: StateApi>(
    context: &Context<'_, '_, A>,
    step: &Step<'_>,
    from: &RefOrId,
    planned: &[CloneCopy],
) -> Result<String, StepError> {
    let desired = context.desired(step.address)?;
    let kind = step.address.kind;
    let resolve = context.resolve();
    let id_of = |side: &RefOrId| match side {
        RefOrId::Ref(address) => context.id_of(address),
        RefOrId::Id(id) => Ok(id.clone()),
    };
    let source_id = id_of(from)?;
    let mut body = serde_json::Map::new();
    if let Some(name) = desired.name() {
        body.insert("name".to_owned(), serde_json::Value::String(name.to_owned()));
    }
    if kind == Kind::Flow {
        let integration = match desired.body.get("_integrationId") {
            Some(Value::Ref(address)) => Some(context.id_of(address)?),
            Some(Value::String(id)) => Some(id.clone()),
            // The API requires it; use the source flow's integration.
            _ => context
                .live
                .get(Kind::Flow, &source_id)
                .and_then(|source| source.integration_id())
                .map(str::to_owned),
        };
        if let Some(integration) = integration {
            body.insert("_integrationId".to_owned(), serde_json::Value::String(integration));
        }
    }
    let connection_map = match &desired.lifecycle.connection_map {
        Some(pairs) => {
            let mut map = serde_json::Map::new();
            for (source, target) in pairs {
                map.insert(id_of(source)?, serde_json::Value::String(id_of(target)?));
            }
            Some(map)
        }
        None => self_connection_map(context, kind, &source_id).await?,
    };
    if let Some(map) = connection_map {
        body.insert("connectionMap".to_owned(), serde_json::Value::Object(map));
    }
    let body = serde_json::Value::Object(body);
    let cloned = context.client.clone_resource(kind, &source_id, &body).await.map_err(|error| {
        if error.status().is_some_and(|status| (400..500).contains(&status)) {
            StepError::from(error)
        } else {
            StepError::CloneUnsure {
                source_id: source_id.clone(),
                name: desired.name().unwrap_or_default().to_owned(),
                source: Box::new(error),
            }
        }
    })?;
    let clone_id = cloned.id.clone();
    // From here on the clone exists: record it at once, so a failure below leaves it managed.
    let mut entry = ResourceState { id: clone_id.clone(), ..ResourceState::default() };
    entry.set_lifecycle_flags(LifecycleFlags::of(&desired.lifecycle));
    context.put(step.address, entry).await?;
    context.bind(step.address, &clone_id);
    let document = match cloned.resource {
        Some(resource) => resource.document,
        None => context.client.get(kind, &clone_id).await?.document,
    };
    // The copies exist from here on, whatever happens next: recorded before the update, so a
    // failure below leaves them managed (the next plan deletes the ones the clone does not use).
    let copies = record_copies(
        context,
        step.address,
        planned,
        &source_id,
        &clone_id,
        &document,
        &cloned.manifest,
    )
    .await?;
    let options = WriteOptions {
        force_disabled: context.force_disabled(desired, true, live_disabled(&document)),
        omit_breakable: step.omit_breakable,
    };
    // `ignoreChanges` stops later writes, not the first one: the spec's values of ignored
    // paths are written now, as a create writes them.
    let mut first_write = context.resolved(desired).await?.into_owned();
    first_write.lifecycle.ignore_changes.clear();
    let body = update_document(&document, &first_write, None, &resolve, &options)?;
    let updated = context.client.update(kind, &clone_id, &body).await?;
    // Recorded whatever the check says: the write happened.
    let verified = check_disabled(step.address, &body, &updated.document);
    let recorded = record_applied(desired, &context.salt, &clone_id, &updated.document, None);
    let notes = flowform_diff::service_notes(desired, &updated.document);
    context.record(step.address, recorded, updated.document).await?;
    verified?;
    let mut text = format!("cloned from {source_id} ({clone_id})");
    if !copies.is_empty() {
        let listed: Vec<String> =
            copies.iter().map(|copy| format!("{} ({})", copy.address, copy.id)).collect();
        text.push_str(&format!("; copies recorded: {}", listed.join(", ")));
    }
    let text = super::with_notes(text, notes);
    Ok(text)
}

/// For a clone without `connectionMap`: every connection the source uses, mapped to itself.
/// Documents come from this run's writes, then the live state read at plan time, then a GET
/// (the source and its steps may have been created moments ago).
async fn self_connection_map<A: StateApi>(
    context: &Context<'_, '_, A>,
    kind: Kind,
    source_id: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, StepError> {
    let source = context.document_by_id(kind, source_id).await?;
    let mut connections = BTreeSet::new();
    let mut step_ids: Vec<(Kind, String)> = Vec::new();
    match kind {
        Kind::Flow => collect_steps(&source, &mut step_ids),
        Kind::Integration => {
            if let Some(registered) =
                source.field("_registeredConnectionIds").and_then(Value::as_array)
            {
                connections.extend(registered.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            for flow in context
                .live
                .of_kind(Kind::Flow)
                .filter(|flow| flow.integration_id() == Some(source_id))
            {
                collect_steps(&flow.document, &mut step_ids);
            }
        }
        _ => {}
    }
    let mut documents = vec![source];
    for (step_kind, id) in step_ids {
        documents.push(context.document_by_id(step_kind, &id).await?);
    }
    for document in documents {
        if let Some(connection) = document.field("_connectionId").and_then(Value::as_str) {
            connections.insert(connection.to_owned());
        }
    }
    if connections.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        connections.into_iter().map(|id| (id.clone(), serde_json::Value::String(id))).collect(),
    ))
}

/// The exports and imports a flow document names.
fn collect_steps(flow: &Value, steps: &mut Vec<(Kind, String)>) {
    for_each_live_string(flow, &mut |key, id| match key {
        "_exportId" => steps.push((Kind::Export, id.to_owned())),
        "_importId" => steps.push((Kind::Import, id.to_owned())),
        _ => {}
    });
}
