//! What the pictures of a plan's flows are drawn from: for each flow the plan draws, its step
//! fields before and after the change (and the source of a clone), with the names of the
//! resources they reference and what those use. The diff fills it with the plan, so a plan, a
//! saved plan or its JSON document can be drawn later without the account or the spec.

use std::collections::BTreeMap;

use crate::kind::Address;
use crate::value::Object;

/// The fields of a flow body that its picture reads: its sources, steps and routers.
pub const PICTURE_FIELDS: [&str; 5] =
    ["_exportId", "_importId", "pageGenerators", "pageProcessors", "routers"];

/// The data of every flow picture a plan can draw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowPictures {
    /// The flows, by address: those the plan creates, clones, updates, adopts, moves or deletes,
    /// and the unchanged flows that use a connection, export, import or script it changes.
    pub flows: BTreeMap<Address, FlowBodies>,
    /// The `name` of each resource the bodies reference (from the spec, or from the account
    /// for resources the spec no longer has); plain names only, never a secret.
    pub names: BTreeMap<Address, String>,
    /// For each connection, export, import and script reached from the bodies: the
    /// connections, exports, imports and scripts the spec has it reference. Whether a step uses a
    /// resource that changes is read from it.
    pub uses: BTreeMap<Address, Vec<Address>>,
}

/// One flow's [`PICTURE_FIELDS`] on each side of the change. References are
/// [`Value::Ref`](crate::Value::Ref) on every side: the live sides are normalised as the diff
/// compares them (ids of managed resources written as `${KIND.KEY}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowBodies {
    /// The live flow; `None` for a flow that is created, and for an unchanged flow (whose
    /// live flow equals `after` in every field the spec sets).
    pub before: Option<Object>,
    /// The flow after the change: the spec's, and for an existing flow whose spec sets neither
    /// its sources or its steps (a clone brought them), the live flow's, which an update keeps;
    /// `None` for a flow that is deleted.
    pub after: Option<Object>,
    /// For a clone: the source flow, live when it exists, else as the spec declares it. The
    /// clone copies the parts `after` does not set from it.
    pub clone_source: Option<Object>,
}

/// The [`PICTURE_FIELDS`] of a flow body.
pub fn picture_fields(body: &Object) -> Object {
    body.iter()
        .filter(|(key, value)| PICTURE_FIELDS.contains(&key.as_str()) && !value.is_absent())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}
