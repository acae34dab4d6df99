//! The pictures of the flows a plan touches: each flow it creates, clones, changes, adopts, moves
//! or deletes, and each unchanged flow that uses a connection, export, import or script it
//! changes, drawn from the plan's own [`FlowPictures`](flowform_model::FlowPictures) data.

use std::collections::{BTreeMap, BTreeSet};

use flowform_model::{Action, Address, Change, FlowBodies, Plan, RefOrId};

use super::mermaid::{FlowPicture, Mark, flow_mermaid};
use crate::pictures::drawn_flows;

/// One flow's picture in a plan.
#[derive(Debug, Clone)]
pub struct PlanPicture<'a> {
    /// The flow.
    pub address: &'a Address,
    /// Its change in the plan: a no-op, or none (a plan read back from its JSON document lists
    /// no unchanged resources), for a flow drawn because it uses a changed resource.
    pub change: Option<&'a Change>,
    /// The picture: the flow after the change, marked.
    pub picture: FlowPicture,
}

impl PlanPicture<'_> {
    /// The flow's name: from its change, else from the plan's picture data.
    pub fn name<'p>(&'p self, plan: &'p Plan) -> Option<&'p str> {
        self.change
            .and_then(|change| change.name.as_deref())
            .or_else(|| plan.flow_pictures.names.get(self.address).map(String::as_str))
    }

    /// Whether the flow itself does not change (it is drawn because it uses a resource that does).
    pub fn unchanged(&self) -> bool {
        self.change.is_none_or(|change| {
            matches!(change.action, Action::NoOp { .. } | Action::StateOnly { .. })
        })
    }

    /// The picture as a Mermaid flowchart, labelled with the names the plan carries.
    pub fn mermaid(&self, plan: &Plan) -> String {
        let names = |address: &Address| plan.flow_pictures.names.get(address).cloned();
        flow_mermaid(&self.picture, &names)
    }
}

/// The pictures of the flows `plan` touches, in address order: every flow it changes, and every
/// flow in the `used_by` of a change. A flow the plan has no data for (a deleted flow already
/// gone from the account) is not drawn.
pub fn plan_pictures(plan: &Plan) -> Vec<PlanPicture<'_>> {
    let changed: BTreeSet<Address> =
        plan.actionable().map(|change| change.address.clone()).collect();
    let uses =
        |address: &Address| plan.flow_pictures.uses.get(address).cloned().unwrap_or_default();
    let mut pictures = Vec::new();
    for (address, change, bodies) in drawn(plan) {
        let Some(mut picture) = picture_of(change, bodies) else {
            continue;
        };
        picture.mark_affected(&changed, &uses);
        pictures.push(PlanPicture { address, change, picture });
    }
    pictures
}

/// The flows `plan` draws, with their change (none for an unchanged flow a plan read back does
/// not list) and picture data.
pub(crate) fn drawn(plan: &Plan) -> Vec<(&Address, Option<&Change>, &FlowBodies)> {
    drawn_flows(plan.changes.iter())
        .into_iter()
        .filter_map(|address| {
            let change = plan.changes.iter().find(|change| change.address == *address);
            let bodies = plan.flow_pictures.flows.get(address)?;
            Some((address, change, bodies))
        })
        .collect()
}

fn picture_of(change: Option<&Change>, bodies: &FlowBodies) -> Option<FlowPicture> {
    let FlowBodies { before, after, clone_source } = bodies;
    let Some(change) = change else {
        return Some(FlowPicture::of_body(after.as_ref()?, Mark::Unchanged));
    };
    Some(match &change.action {
        Action::Create { .. } => FlowPicture::of_body(after.as_ref()?, Mark::Added),
        Action::Clone { copies, .. } => match clone_source {
            Some(source) => {
                let mut picture = FlowPicture::of_clone(after.as_ref()?, source, Mark::Added);
                // The copies the clone makes, under the addresses the state will give them.
                let renamed: BTreeMap<Address, Address> = copies
                    .iter()
                    .filter_map(|copy| match &copy.source {
                        RefOrId::Ref(source) => Some((source.clone(), copy.address.clone())),
                        RefOrId::Id(_) => None,
                    })
                    .collect();
                picture.rename_copies(&renamed);
                picture
            }
            None => FlowPicture::of_body(after.as_ref()?, Mark::Added),
        },
        Action::Update { fields, .. }
        | Action::Adopt { fields, .. }
        | Action::Move { fields, .. } => {
            let paths: Vec<_> = fields.iter().map(|field| field.path.clone()).collect();
            FlowPicture::between_fields(before.as_ref()?, after.as_ref()?, &paths)
        }
        Action::Delete { .. } => FlowPicture::of_body(before.as_ref()?, Mark::Removed),
        Action::NoOp { .. } | Action::StateOnly { .. } => {
            FlowPicture::of_body(after.as_ref()?, Mark::Unchanged)
        }
    })
}
