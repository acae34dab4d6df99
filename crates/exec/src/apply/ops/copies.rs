//! What a clone made besides itself: found in the service's answer (a manifest of everything
//! created, or the clone's document, whose steps are the copies), matched with the copies the
//! plan predicted (by `_sourceId`, else by position, else by kind and name), and recorded in the
//! state with the clone as their owner. A copy the plan did not predict is recorded under an
//! address of the same form, so nothing the clone made is left unmanaged.

use std::collections::HashSet;

use flowform_api::ClonedEntry;
use flowform_model::copies::{StepRef, copied_kinds, copy_address, flow_steps_of};
use flowform_model::references::for_each_live_string;
use flowform_model::{Address, CloneCopy, Kind, RefOrId, ResourceState, Value};

use crate::apply::StepError;
use crate::apply::context::Context;
use crate::state::remote::StateApi;

/// One resource the clone made besides itself.
struct Made {
    kind: Kind,
    id: String,
    document: Value,
}

/// A copy recorded in the state.
pub(super) struct Recorded {
    pub address: Address,
    pub id: String,
}

/// Finds what the clone of `source_id` (now `clone_id`, whose document is `document`) made,
/// records each copy in the state owned by `owner`, and returns them.
pub(super) async fn record_copies<A: StateApi>(
    context: &Context<'_, '_, A>,
    owner: &Address,
    planned: &[CloneCopy],
    source_id: &str,
    clone_id: &str,
    document: &Value,
    manifest: &[ClonedEntry],
) -> Result<Vec<Recorded>, StepError> {
    let kind = owner.kind;
    if copied_kinds(kind).is_empty() {
        return Ok(Vec::new());
    }
    let made = find_made(context, kind, clone_id, document, manifest).await?;
    if made.is_empty() {
        return Ok(Vec::new());
    }
    // What each planned copy copies, by id (a source created in this run has its id now).
    let planned_sources: Vec<Option<String>> = planned
        .iter()
        .map(|copy| match &copy.source {
            RefOrId::Ref(address) => context.resolve()(address),
            RefOrId::Id(id) => Some(id.clone()),
        })
        .collect();
    // Position fallback for a flow clone whose copies carry no `_sourceId`: the clone's steps
    // are the source's, in the same places.
    let source_steps: Vec<String> = if kind == Kind::Flow {
        let source = context.document_by_id(kind, source_id).await?;
        flow_steps_of(&source).into_iter().map(|(_, step)| step_text(step)).collect()
    } else {
        Vec::new()
    };
    let clone_steps: Vec<String> =
        flow_steps_of(document).into_iter().map(|(_, step)| step_text(step)).collect();

    let mut used: HashSet<usize> = HashSet::new();
    let mut taken: HashSet<Address> = {
        let writer = context.writer.lock().await;
        writer.state().resources.keys().cloned().collect()
    };
    taken.extend(context.desired.resources.keys().cloned());
    taken.extend(planned.iter().map(|copy| copy.address.clone()));
    let mut recorded = Vec::new();
    for made in made {
        let copied = made.document.field("_sourceId").and_then(Value::as_str).map(str::to_owned);
        let copied = copied.or_else(|| {
            let position = clone_steps.iter().position(|step| *step == made.id)?;
            source_steps.get(position).cloned()
        });
        let name = made.document.field("name").and_then(Value::as_str);
        let matched = (0..planned.len())
            .filter(|index| !used.contains(index) && planned[*index].address.kind == made.kind)
            .find(|index| copied.is_some() && planned_sources[*index] == copied)
            .or_else(|| {
                (0..planned.len()).find(|index| {
                    !used.contains(index)
                        && planned[*index].address.kind == made.kind
                        && planned[*index].name.as_deref() == name
                        && name.is_some()
                })
            });
        let address = match matched {
            Some(index) => {
                used.insert(index);
                planned[index].address.clone()
            }
            None => {
                let basis = copied
                    .as_deref()
                    .and_then(|source| address_of(context, made.kind, source))
                    .map(|address| address.key)
                    .or_else(|| name.map(str::to_owned))
                    .unwrap_or_default();
                let address =
                    copy_address(owner, made.kind, &basis, &|address| taken.contains(address));
                taken.insert(address.clone());
                address
            }
        };
        let mut entry = ResourceState {
            id: made.id.clone(),
            last_modified: made
                .document
                .field("lastModified")
                .and_then(Value::as_str)
                .map(str::to_owned),
            owner: Some(owner.clone()),
            ..ResourceState::default()
        };
        // The copy as the service made it is the baseline for changes made outside flowform.
        entry.live =
            Some(flowform_diff::live_baseline(made.kind, &context.salt, &made.document, &entry));
        context.put(&address, entry).await?;
        context.bind(&address, &made.id);
        context
            .known_ids
            .lock()
            .expect("known ids lock")
            .entry(made.kind)
            .or_default()
            .insert(made.id.clone());
        recorded.push(Recorded { address, id: made.id });
    }
    Ok(recorded)
}

/// The address this run knows `id` by.
fn address_of<A: StateApi>(context: &Context<'_, '_, A>, kind: Kind, id: &str) -> Option<Address> {
    let ids = context.ids.lock().expect("ids lock");
    ids.iter()
        .find(|(address, known)| address.kind == kind && known.as_str() == id)
        .map(|(address, _)| address.clone())
}

fn step_text(step: StepRef<'_>) -> String {
    match step {
        StepRef::Ref(address) => address.to_string(),
        StepRef::Id(id) => id.to_owned(),
    }
}

/// The resources the clone made besides itself: the manifest's other entries, or (when the
/// service answered with the document) the steps of the cloned flow, and for an integration its
/// flows and theirs, that did not exist before the clone.
async fn find_made<A: StateApi>(
    context: &Context<'_, '_, A>,
    kind: Kind,
    clone_id: &str,
    document: &Value,
    manifest: &[ClonedEntry],
) -> Result<Vec<Made>, StepError> {
    let copied = copied_kinds(kind);
    let mut candidates: Vec<(Kind, String)> = Vec::new();
    if !manifest.is_empty() {
        for entry in manifest.iter().filter(|entry| entry.id != clone_id) {
            if let Some(entry_kind) = Kind::from_singular(&entry.model.to_ascii_lowercase())
                && copied.contains(&entry_kind)
            {
                candidates.push((entry_kind, entry.id.clone()));
            }
        }
    } else {
        let mut flows: Vec<(String, Value)> = Vec::new();
        if kind == Kind::Integration {
            for flow in context.client.list_in_integration(clone_id, Kind::Flow).await? {
                candidates.push((Kind::Flow, flow.id.clone()));
                flows.push((flow.id, flow.document));
            }
        } else {
            flows.push((clone_id.to_owned(), document.clone()));
        }
        for (_, flow) in &flows {
            for (step_kind, step) in flow_steps_of(flow) {
                if let StepRef::Id(id) = step
                    && copied.contains(&step_kind)
                    && !candidates.iter().any(|(_, known)| known == id)
                {
                    candidates.push((step_kind, id.to_owned()));
                }
            }
        }
        // A step that existed before the clone (read at plan time, or made earlier in this
        // run) is not a copy.
        let known = context.known_ids.lock().expect("known ids lock").clone();
        let bound: HashSet<String> =
            context.ids.lock().expect("ids lock").values().cloned().collect();
        candidates.retain(|(candidate_kind, id)| {
            !bound.contains(id) && !known.get(candidate_kind).is_some_and(|ids| ids.contains(id))
        });
    }
    let mut made = Vec::with_capacity(candidates.len());
    for (candidate_kind, id) in candidates {
        let document = context.client.get(candidate_kind, &id).await?.document;
        made.push(Made { kind: candidate_kind, id, document });
    }
    Ok(made)
}

/// Whether `document` names `id` anywhere a reference can sit.
pub(super) fn uses(document: &Value, id: &str) -> bool {
    let mut found = false;
    for_each_live_string(document, &mut |_, text| found |= text == id);
    found
}
