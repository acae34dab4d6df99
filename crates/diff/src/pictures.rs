//! The data of the flow pictures a plan can draw ([`FlowPictures`]): filled by the diff with
//! the plan, from the spec, the state and the live documents, so the renderers (and a saved
//! plan's JSON document) need nothing else.

use std::collections::{BTreeMap, BTreeSet};

use flowform_model::pictures::{PICTURE_FIELDS, picture_fields};
use flowform_model::references::for_each_reference;
use flowform_model::{
    Action, Address, Change, DesiredState, FieldChange, FieldOp, FlowBodies, FlowPictures, Kind,
    LiveState, Object, RefOrId, Segment, State, Value,
};

use crate::normalize::{ManagedIds, normalize_live};

/// The flows a plan draws: every flow it changes in any way, and every unchanged flow that uses
/// a connection, export, import or script it changes (`used_by`), in address order.
pub(crate) fn drawn_flows<'a>(
    changes: impl Iterator<Item = &'a Change> + Clone,
) -> BTreeSet<&'a Address> {
    let mut flows = BTreeSet::new();
    for change in changes {
        if matches!(change.action, Action::NoOp { .. } | Action::StateOnly { .. }) {
            continue;
        }
        if change.kind() == Kind::Flow {
            flows.insert(&change.address);
        }
        flows.extend(change.used_by.iter().filter(|flow| flow.kind == Kind::Flow));
    }
    flows
}

/// What the inputs of the diff say about resources, for the pictures.
struct Sources<'a> {
    desired: &'a DesiredState,
    state: &'a State,
    live: &'a LiveState,
    ids: &'a ManagedIds,
}

impl Sources<'_> {
    /// A live flow's picture fields, normalised as the diff compares them.
    fn live_flow(&self, id: &str) -> Option<Object> {
        let live = self.live.get(Kind::Flow, id)?;
        // Normalised first (managed ids become references), then reduced to what a picture
        // reads, which keeps the references a step holds.
        let fields = match &live.document {
            Value::Object(document) => Value::Object(
                document
                    .iter()
                    .filter(|(key, _)| PICTURE_FIELDS.contains(&key.as_str()))
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            ),
            _ => return None,
        };
        match normalize_live(Kind::Flow, &fields, self.ids) {
            Value::Object(object) => Some(picture_fields(&object)),
            _ => None,
        }
    }

    /// The flow a clone copies: live when the source exists, else as the spec declares it.
    fn clone_source(&self, from: &RefOrId) -> Option<Object> {
        match from {
            RefOrId::Ref(address) => {
                let live = self.state.get(address).and_then(|entry| self.live_flow(&entry.id));
                live.or_else(|| {
                    self.desired.get(address).map(|source| picture_fields(&source.body))
                })
            }
            RefOrId::Id(id) => self.live_flow(id),
        }
    }

    /// What a resource references: in the spec, else (a managed resource the spec does not
    /// declare, such as one being deleted) in its live document, read as the diff reads it.
    fn references(&self, address: &Address) -> Vec<Address> {
        if let Some(resource) = self.desired.get(address) {
            return resource
                .dependencies()
                .into_iter()
                .map(|dependency| dependency.address)
                .collect();
        }
        let Some(live) =
            self.state.get(address).and_then(|entry| self.live.get(address.kind, &entry.id))
        else {
            return Vec::new();
        };
        let document = normalize_live(address.kind, &live.document, self.ids);
        let mut found: BTreeSet<Address> = BTreeSet::new();
        for_each_reference(&document, &mut |_, target| {
            found.insert(target.clone());
        });
        found.into_iter().collect()
    }

    /// A resource's plain `name`: from the spec, else from its live document.
    fn name(&self, address: &Address) -> Option<String> {
        if let Some(resource) = self.desired.get(address) {
            return resource.name().map(str::to_owned);
        }
        let entry = self.state.get(address)?;
        self.live.get(address.kind, &entry.id)?.name.clone()
    }
}

/// Fills the picture data of every flow [`drawn_flows`] selects from `changes`.
pub(crate) fn flow_pictures(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
    ids: &ManagedIds,
    changes: &[Change],
) -> FlowPictures {
    let sources = Sources { desired, state, live, ids };
    let by_address: BTreeMap<&Address, &Change> =
        changes.iter().map(|change| (&change.address, change)).collect();
    let mut pictures = FlowPictures::default();
    for address in drawn_flows(changes.iter()) {
        let Some(change) = by_address.get(address) else {
            continue;
        };
        let desired_body = desired.get(address).map(|flow| &flow.body);
        let after = || desired_body.map(picture_fields);
        let bodies = match &change.action {
            Action::Create { .. } => FlowBodies { after: after(), ..FlowBodies::default() },
            Action::Clone { from, .. } => FlowBodies {
                after: after(),
                clone_source: sources.clone_source(from),
                ..FlowBodies::default()
            },
            Action::Update { id, fields, .. }
            | Action::Adopt { id, fields, .. }
            | Action::Move { id, fields, .. } => {
                let before = sources.live_flow(id);
                let after =
                    desired_body.map(|body| after_the_change(body, before.as_ref(), fields));
                FlowBodies { before, after, clone_source: None }
            }
            Action::Delete { id, .. } => {
                FlowBodies { before: sources.live_flow(id), ..FlowBodies::default() }
            }
            Action::NoOp { id, .. } | Action::StateOnly { id, .. } => {
                let live = sources.live_flow(id);
                let after = desired_body.map(|body| after_the_change(body, live.as_ref(), &[]));
                FlowBodies { after, ..FlowBodies::default() }
            }
        };
        pictures.flows.insert(address.clone(), bodies);
    }

    // The names of what the bodies reference, and what those use, through connections,
    // exports, imports and scripts.
    let mut referenced: BTreeSet<Address> = BTreeSet::new();
    for bodies in pictures.flows.values() {
        for body in [&bodies.before, &bodies.after, &bodies.clone_source].into_iter().flatten() {
            for value in body.values() {
                for_each_reference(value, &mut |_, address| {
                    referenced.insert(address.clone());
                });
            }
        }
    }
    let mut queue: Vec<Address> = referenced.iter().cloned().collect();
    let mut seen: BTreeSet<Address> = BTreeSet::new();
    while let Some(address) = queue.pop() {
        if !seen.insert(address.clone()) || !uses_through(address.kind) {
            continue;
        }
        let used: Vec<Address> = sources
            .references(&address)
            .into_iter()
            .filter(|target| uses_through(target.kind) && *target != address)
            .collect();
        queue.extend(used.iter().cloned());
        if !used.is_empty() {
            pictures.uses.insert(address, used);
        }
    }
    // The flows' own names too: a plan read back from its document lists no unchanged flow.
    referenced.extend(pictures.flows.keys().cloned());
    // The copies a clone makes are drawn under their own addresses, with the source's name.
    for change in changes.iter().filter(|change| pictures.flows.contains_key(&change.address)) {
        for copy in change.action.copies() {
            if let Some(name) = &copy.name {
                pictures.names.insert(copy.address.clone(), name.clone());
            }
        }
    }
    for address in referenced {
        if let Some(name) = sources.name(&address) {
            pictures.names.insert(address, name);
        }
    }
    pictures
}

/// The groups of [`PICTURE_FIELDS`](flowform_model::pictures::PICTURE_FIELDS) a spec sets
/// together: the sources, and the steps.
const PARTS: [&[&str]; 2] =
    [&["pageGenerators", "_exportId"], &["pageProcessors", "routers", "_importId"]];

/// An existing flow's picture fields after the change: the spec's, and where the spec sets
/// neither sources nor steps (a cloned flow, whose clone brought them), the live flow's, which an
/// update keeps, unless the plan removes them (flowform wrote them before).
fn after_the_change(body: &Object, live: Option<&Object>, fields: &[FieldChange]) -> Object {
    let mut after = picture_fields(body);
    let Some(live) = live else {
        return after;
    };
    for part in PARTS {
        if part.iter().any(|key| after.contains_key(*key)) {
            continue;
        }
        for key in part {
            let removed = fields.iter().any(|field| {
                field.op == FieldOp::Remove
                    && matches!(field.path.0.as_slice(), [Segment::Key(removed)] if removed == key)
            });
            if let (Some(value), false) = (live.get(*key), removed) {
                after.insert((*key).to_owned(), value.clone());
            }
        }
    }
    after
}

/// Kinds through which a flow uses a resource (as the blast radius counts use).
fn uses_through(kind: Kind) -> bool {
    matches!(kind, Kind::Connection | Kind::Export | Kind::Import | Kind::Script)
}
