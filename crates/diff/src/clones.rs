//! What clones make, in the plan: the copies a clone will make (predicted from its source, by
//! name and with the address the state will record them under), which of them the clone still
//! uses once the spec's fields are written, and which copies the state already manages are
//! still used by their owner (the others are deleted).
//!
//! The rules (README, "Clones"): a copy is managed from the apply that made it, without being
//! in the spec. It is kept while its owner is in the spec and the owner's document after the
//! plan (the live one with the spec's fields written, or the clone's predicted one) still uses
//! it, or belongs to it (a flow copied by an integration clone), or is used by another kept copy
//! of the same owner. Otherwise it is deleted: in the same apply as the change that stops using
//! it (after it), and with its owner.

use flowform_model::copies::{StepRef, copied_kinds, copy_address, flow_steps_of};
use flowform_model::references::{IdField, for_each_id_field, for_each_live_string};
use flowform_model::{
    Action, Address, Change, CloneCopy, DesiredResource, DesiredState, FieldChange, FieldOp,
    FieldPath, Kind, LiveState, RefOrId, State, Value,
};
use flowform_model::{KeyHashMap, KeyHashSet};

use crate::leaves::{body_leaves, desired_leaves, null_leaves, pattern_of};
use crate::normalize::{ManagedIds, normalize_desired};

/// How deep a chain of clones of clones (each created in the same plan) is followed.
const MAX_CLONE_DEPTH: usize = 8;

/// How the plan treats an address, as far as its document after the plan goes.
#[derive(Debug, Clone)]
enum Planned {
    /// Created from the spec's body.
    Created,
    /// Cloned from a source, then the spec's fields written.
    Cloned(RefOrId),
    /// An existing live resource (updated, unchanged, moved or adopted).
    Existing(String),
}

/// A clone's prediction: its copies and the document it will have.
#[derive(Debug, Clone)]
struct Prediction {
    copies: Vec<CloneCopy>,
    /// The source's document with the spec's fields written, and the kept copies named by
    /// address in place of the steps they copy.
    document: Value,
    /// The source's document as the clone receives it (before the spec's fields).
    source: Value,
}

/// The documents resources will have once the plan is applied, as far as the plan can tell.
pub(crate) struct PostPlan<'a> {
    desired: &'a DesiredState,
    state: &'a State,
    live: &'a LiveState,
    ids: &'a ManagedIds,
    planned: KeyHashMap<Address, Planned>,
    predictions: KeyHashMap<Address, Option<Prediction>>,
    /// Addresses taken by the spec, the state and the copies named so far (built when the first
    /// copy is named: most plans have no clone).
    taken: Option<KeyHashSet<Address>>,
}

impl<'a> PostPlan<'a> {
    pub(crate) fn new(
        desired: &'a DesiredState,
        state: &'a State,
        live: &'a LiveState,
        ids: &'a ManagedIds,
        changes: &[Change],
    ) -> PostPlan<'a> {
        let planned = changes
            .iter()
            .filter_map(|change| {
                let planned = match &change.action {
                    Action::Create { .. } => Planned::Created,
                    Action::Clone { from, .. } => Planned::Cloned(from.clone()),
                    Action::Delete { .. } => return None,
                    other => Planned::Existing(other.id()?.to_owned()),
                };
                Some((change.address.clone(), planned))
            })
            .collect();
        PostPlan {
            desired,
            state,
            live,
            ids,
            planned,
            predictions: KeyHashMap::default(),
            taken: None,
        }
    }

    /// The document `address` will have after the plan; `None` when nothing can tell (neither
    /// in the spec nor live).
    fn document(&mut self, address: &Address, depth: usize) -> Option<Value> {
        let desired = self.desired.get(address);
        match (self.planned.get(address).cloned(), desired) {
            (Some(Planned::Created), Some(resource)) => {
                let mut body = resource.body_value();
                for path in null_leaves(resource, true) {
                    body.remove(&path);
                }
                Some(body)
            }
            (Some(Planned::Cloned(_)), Some(_)) => {
                self.predict(address, depth).map(|prediction| prediction.document)
            }
            (Some(Planned::Existing(id)), Some(resource)) => {
                let mut document = self.live.get(address.kind, &id)?.document.clone();
                overlay(&mut document, resource, desired_leaves(resource), false);
                Some(document)
            }
            _ => {
                let id = &self.state.get(address)?.id;
                Some(self.live.get(address.kind, id)?.document.clone())
            }
        }
    }

    /// The document of a clone's source after the plan.
    fn source_document(&mut self, kind: Kind, source: &RefOrId, depth: usize) -> Option<Value> {
        match source {
            RefOrId::Ref(address) => self.document(address, depth),
            RefOrId::Id(id) => match self.ids.address(id).cloned() {
                Some(address) if address.kind == kind => self.document(&address, depth),
                _ => Some(self.live.get(kind, id)?.document.clone()),
            },
        }
    }

    /// What the clone at `address` will make and the document it will have (memoised).
    fn predict(&mut self, address: &Address, depth: usize) -> Option<Prediction> {
        if let Some(known) = self.predictions.get(address) {
            return known.clone();
        }
        if depth > MAX_CLONE_DEPTH {
            return None;
        }
        // Marked first, so a cycle of clones (refused by the spec's checks) cannot loop here.
        self.predictions.insert(address.clone(), None);
        let prediction = self.compute(address, depth);
        self.predictions.insert(address.clone(), prediction.clone());
        prediction
    }

    fn compute(&mut self, address: &Address, depth: usize) -> Option<Prediction> {
        let resource = self.desired.get(address)?;
        let Some(Planned::Cloned(from)) = self.planned.get(address).cloned() else {
            return None;
        };
        let source = self.source_document(address.kind, &from, depth + 1)?;
        // What the clone's spec writes at creation (ignored paths too) replaces what it brought.
        let mut reduced = source.clone();
        for (path, _) in body_leaves(&resource.body) {
            reduced.remove(&path);
        }
        for path in null_leaves(resource, true) {
            reduced.remove(&path);
        }
        // Which steps the clone copies (a table of kinds: `copied_kinds`), each with the text
        // it is known by in the source's document.
        let steps: Vec<(Kind, String, RefOrId)> = match copied_kinds(address.kind) {
            [] => Vec::new(),
            _ if address.kind == Kind::Integration => self.integration_steps(&from),
            _ => flow_steps_of(&source)
                .into_iter()
                .map(|(kind, step)| (kind, key_of(step), self.identify(kind, step)))
                .collect(),
        };
        // A flow clone keeps the copies its document still names once the spec's fields are
        // written; an integration's copies belong to it.
        let still_used: KeyHashSet<(Kind, String)> =
            flow_steps_of(&reduced).into_iter().map(|(kind, step)| (kind, key_of(step))).collect();
        let mut copies = Vec::new();
        let mut replaced: KeyHashMap<String, Address> = KeyHashMap::default();
        for (kind, key, identity) in steps {
            let kept =
                address.kind == Kind::Integration || still_used.contains(&(kind, key.clone()));
            let copy = self.copy(address, kind, identity, kept);
            replaced.insert(key, copy.address.clone());
            copies.push(copy);
        }
        let mut document = reduced;
        substitute(&mut document, &replaced);
        overlay(&mut document, resource, body_leaves(&resource.body), true);
        Some(Prediction { copies, document, source })
    }

    /// For an integration clone: the flows of the source integration, then their steps.
    /// The flows come from the account (the ones the source has live), as the service copies
    /// what the integration holds when the clone runs.
    fn integration_steps(&self, from: &RefOrId) -> Vec<(Kind, String, RefOrId)> {
        let source_id = match from {
            RefOrId::Ref(address) => self.state.get(address).map(|entry| entry.id.clone()),
            RefOrId::Id(id) => Some(id.clone()),
        };
        let mut flows: Vec<(String, RefOrId, Value)> = Vec::new();
        if let Some(source_id) = &source_id {
            for flow in self.live.of_kind(Kind::Flow) {
                if flow.integration_id() == Some(source_id.as_str()) {
                    let identity = self.identify(Kind::Flow, StepRef::Id(&flow.id));
                    flows.push((flow.id.clone(), identity, flow.document.clone()));
                }
            }
        }
        let mut steps = Vec::new();
        for (id, identity, document) in &flows {
            steps.push((Kind::Flow, id.clone(), identity.clone()));
            for (step_kind, step) in flow_steps_of(document) {
                let key = key_of(step);
                if !steps.iter().any(|(known, existing, _)| *known == step_kind && *existing == key)
                {
                    steps.push((step_kind, key, self.identify(step_kind, step)));
                }
            }
        }
        steps
    }

    /// A step as the copy's source: a managed address when flowform manages it.
    fn identify(&self, kind: Kind, step: StepRef<'_>) -> RefOrId {
        match step {
            StepRef::Ref(address) => RefOrId::Ref(address.clone()),
            StepRef::Id(id) => match self.ids.address(id) {
                Some(address) if address.kind == kind => RefOrId::Ref(address.clone()),
                _ => RefOrId::Id(id.to_owned()),
            },
        }
    }

    /// Names the copy of `source` made by cloning into `owner`.
    fn copy(&mut self, owner: &Address, kind: Kind, source: RefOrId, kept: bool) -> CloneCopy {
        let (basis, name) = match &source {
            RefOrId::Ref(address) => (address.key.clone(), self.name_of(address)),
            RefOrId::Id(id) => {
                let name = self.live.get(kind, id).and_then(|live| live.name.clone());
                (name.clone().unwrap_or_default(), name)
            }
        };
        let (desired, state) = (self.desired, self.state);
        let taken = self.taken.get_or_insert_with(|| {
            desired.resources.keys().chain(state.resources.keys()).cloned().collect()
        });
        let address = copy_address(owner, kind, &basis, &|address| taken.contains(address));
        taken.insert(address.clone());
        CloneCopy { address, name, source, kept }
    }

    /// The name a resource has after the plan: the spec's, else the live one.
    fn name_of(&self, address: &Address) -> Option<String> {
        if let Some(resource) = self.desired.get(address) {
            return resource.name().map(str::to_owned);
        }
        let id = &self.state.get(address)?.id;
        self.live.get(address.kind, id)?.name.clone()
    }
}

/// The text a step is known by while predicting: its address or its id.
fn key_of(step: StepRef<'_>) -> String {
    match step {
        StepRef::Ref(address) => address.to_string(),
        StepRef::Id(id) => id.to_owned(),
    }
}

/// Writes the spec's leaves into a document and removes what the spec sets to `null`.
fn overlay(
    document: &mut Value,
    resource: &DesiredResource,
    leaves: Vec<(FieldPath, &Value)>,
    with_ignored: bool,
) {
    if document.as_object().is_none() {
        *document = Value::Object(Default::default());
    }
    for (path, value) in leaves {
        document.set(&path, value.clone());
    }
    for path in null_leaves(resource, with_ignored) {
        document.remove(&path);
    }
}

/// Replaces the steps a clone copied (by id or address) with references to their copies.
fn substitute(value: &mut Value, replaced: &KeyHashMap<String, Address>) {
    match value {
        Value::String(text) => {
            if let Some(address) = replaced.get(text.as_str()) {
                *value = Value::Ref(address.clone());
            }
        }
        Value::Ref(address) => {
            if let Some(copy) = replaced.get(&address.to_string()) {
                *value = Value::Ref(copy.clone());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| substitute(item, replaced)),
        Value::Object(object) => object.values_mut().for_each(|child| substitute(child, replaced)),
        _ => {}
    }
}

/// Fills in what each clone of the plan makes, and shows the fields the spec removes from what
/// the clone brings (`null`). A clone whose source cannot be read gets a warning.
pub(crate) fn complete_clones(
    changes: &mut [Change],
    post: &mut PostPlan<'_>,
    no_delete: bool,
    warnings: &mut Vec<String>,
) {
    for change in changes.iter_mut() {
        let Action::Clone { from, fields, copies } = &mut change.action else { continue };
        let Some(resource) = post.desired.get(&change.address) else { continue };
        let Some(prediction) = post.predict(&change.address, 0) else {
            if !copied_kinds(change.address.kind).is_empty() {
                warnings.push(format!(
                    "`{}`: what the clone of {} copies cannot be told before it runs; the apply records every copy it makes",
                    change.address,
                    match from {
                        RefOrId::Ref(address) => format!("`{address}`"),
                        RefOrId::Id(id) => format!("`{id}`"),
                    }
                ));
            }
            continue;
        };
        for path in null_leaves(resource, true) {
            let Some(before) = prediction.source.get(&path) else { continue };
            let before =
                normalize_desired(change.address.kind, before, post.ids, &pattern_of(&path));
            if before.is_absent() {
                continue;
            }
            fields.push(FieldChange::new(path, FieldOp::Remove, Some(before), None));
        }
        *copies = prediction.copies;
        if no_delete {
            // `--no-delete` plans no deletes, a clone's unused copies included: they stay,
            // managed, and the next plan without it deletes them.
            for copy in copies.iter_mut().filter(|copy| !copy.kept) {
                copy.kept = true;
                warnings.push(format!(
                    "`{}`, the copy `{}`'s clone makes and does not use, is not deleted because of `--no-delete`; it stays in the account and in state",
                    copy.address, change.address
                ));
            }
        }
    }
}

/// The copies in the state that stay (see the module documentation); every other copy whose
/// owner is not the spec's is deleted.
pub(crate) fn kept_copies(
    post: &mut PostPlan<'_>,
    moved_from: &KeyHashSet<&Address>,
) -> KeyHashSet<Address> {
    let (desired, state, live) = (post.desired, post.state, post.live);
    let mut owners: KeyHashMap<&Address, Vec<(&Address, &str)>> = KeyHashMap::default();
    for (address, resource) in &state.resources {
        if let Some(owner) = &resource.owner
            && !desired.resources.contains_key(address)
        {
            owners.entry(owner).or_default().push((address, resource.id.as_str()));
        }
    }
    let mut kept = KeyHashSet::default();
    for (owner, copies) in owners {
        // A renamed owner is planned under its new address.
        let now = if moved_from.contains(owner) {
            desired.moved.iter().find(|entry| entry.from == *owner).map(|entry| entry.to.clone())
        } else {
            Some(owner.clone())
        };
        let Some(now) = now.filter(|now| desired.resources.contains_key(now)) else { continue };
        let Some(Planned::Existing(owner_id)) = post.planned.get(&now).cloned() else { continue };
        let Some(document) = post.document(&now, 0) else { continue };
        let mut used: KeyHashSet<String> = KeyHashSet::default();
        if let Some(object) = document.as_object() {
            for_each_id_field(object, &mut |_, field| match field {
                IdField::Text(text, _) => {
                    used.insert(text.to_owned());
                }
                IdField::Ref(address) => {
                    used.insert(address.to_string());
                }
                // A lookup names nothing the clone copied.
                IdField::Lookup(_) => {}
            });
        }
        let live_of = |address: &Address, id: &str| live.get(address.kind, id);
        let mut staying: Vec<(&Address, &str)> = Vec::new();
        let mut pending: Vec<(&Address, &str)> =
            copies.into_iter().filter(|(address, id)| live_of(address, id).is_some()).collect();
        loop {
            let before = staying.len();
            pending.retain(|(address, id)| {
                let belongs = live_of(address, id).is_some_and(|live| {
                    let mut found = false;
                    for_each_live_string(&live.document, &mut |_, text| found |= text == owner_id);
                    found
                });
                if used.contains(*id) || used.contains(&address.to_string()) || belongs {
                    staying.push((address, id));
                    false
                } else {
                    true
                }
            });
            for (address, id) in &staying[before..] {
                if let Some(live) = live_of(address, id) {
                    for_each_live_string(&live.document, &mut |_, text| {
                        used.insert(text.to_owned());
                    });
                }
            }
            if staying.len() == before {
                break;
            }
        }
        kept.extend(staying.into_iter().map(|(address, _)| address.clone()));
    }
    kept
}
