//! What the pictures of a plan's flows are drawn from: for each flow the plan draws, its step
//! fields before and after the change (and the source of a clone), with the names of the
//! resources they reference and what those use. The diff fills it with the plan, so a plan, a
//! saved plan or its JSON document can be drawn later without the account or the spec.

use std::collections::BTreeMap;

use crate::kind::Address;
use crate::value::{Object, Value};

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
/// [`Value::Ref`] on every side: the live sides are normalised as the diff
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

/// The [`PICTURE_FIELDS`] of a flow body, reduced to what a picture reads: each step's `type`,
/// the resource it runs and the references it holds (a hook's script), each router's `id`,
/// `name`, how it routes, its script and next router, each branch's `name`, next router and
/// steps. Everything else a step holds (mappings, filters, settings) is left out: a plan's
/// field changes say whether a step changes, and the picture needs no more.
pub fn picture_fields(body: &Object) -> Object {
    let mut fields = Object::default();
    for (key, value) in body {
        if value.is_absent() {
            continue;
        }
        let kept = match key.as_str() {
            "_exportId" | "_importId" => value.clone(),
            "pageGenerators" | "pageProcessors" => steps(value),
            "routers" => each(value, router),
            _ => continue,
        };
        fields.insert(key.clone(), kept);
    }
    fields
}

/// `shape` applied to every element of a list (anything else is kept as it is).
fn each(value: &Value, shape: fn(&Object) -> Object) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::Object(object) => Value::Object(shape(object)),
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn steps(value: &Value) -> Value {
    each(value, step)
}

/// A step: its type, its resource, and the parts of the rest that hold a reference.
fn step(object: &Object) -> Object {
    let mut kept = Object::default();
    for (key, value) in object {
        if matches!(key.as_str(), "type" | "_exportId" | "_importId") {
            kept.insert(key.clone(), value.clone());
        } else if let Some(references) = references_only(value) {
            kept.insert(key.clone(), references);
        }
    }
    kept
}

fn router(object: &Object) -> Object {
    let mut kept = Object::default();
    for (key, value) in object {
        let value = match key.as_str() {
            "id" | "name" | "routeRecordsTo" | "routeRecordsUsing" | "nextRouterId" => {
                value.clone()
            }
            "script" => match value {
                Value::Object(script) => Value::Object(
                    script
                        .iter()
                        .filter(|(key, _)| key.as_str() == "_scriptId")
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect(),
                ),
                other => other.clone(),
            },
            "branches" => each(value, branch),
            _ => continue,
        };
        kept.insert(key.clone(), value);
    }
    kept
}

fn branch(object: &Object) -> Object {
    let mut kept = Object::default();
    for (key, value) in object {
        let value = match key.as_str() {
            "name" | "nextRouterId" => value.clone(),
            "pageProcessors" => steps(value),
            _ => continue,
        };
        kept.insert(key.clone(), value);
    }
    kept
}

/// The parts of `value` that hold a reference, or `None` when none does.
fn references_only(value: &Value) -> Option<Value> {
    match value {
        Value::Ref(_) => Some(value.clone()),
        Value::Object(object) => {
            let kept: Object = object
                .iter()
                .filter_map(|(key, child)| references_only(child).map(|child| (key.clone(), child)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter_map(references_only).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Address;

    fn reference(text: &str) -> Value {
        Value::Ref(text.parse::<Address>().expect("an address"))
    }

    #[test]
    fn picture_fields_keep_what_a_picture_reads() {
        let step = |id: &str| {
            let mut step = Object::default();
            step.insert("type".into(), Value::String("import".into()));
            step.insert("_importId".into(), reference(id));
            step.insert("proceedOnFailure".into(), Value::Bool(true));
            let mut hook = Object::default();
            hook.insert("_scriptId".into(), reference("script.shape"));
            hook.insert("function".into(), Value::String("preMap".into()));
            let mut hooks = Object::default();
            hooks.insert("postResponseMap".into(), Value::Object(hook));
            step.insert("hooks".into(), Value::Object(hooks));
            step.insert("responseMapping".into(), Value::String("a mapping".into()));
            Value::Object(step)
        };
        let mut branch = Object::default();
        branch.insert("name".into(), Value::String("US".into()));
        branch.insert("inputFilter".into(), Value::String("a filter".into()));
        branch.insert("pageProcessors".into(), Value::Array(vec![step("import.b")]));
        let mut router = Object::default();
        router.insert("id".into(), Value::String("split".into()));
        router.insert("branches".into(), Value::Array(vec![Value::Object(branch)]));
        let mut body = Object::default();
        body.insert("name".into(), Value::String("Flow".into()));
        body.insert("settings".into(), Value::String("settings".into()));
        body.insert("pageProcessors".into(), Value::Array(vec![step("import.a")]));
        body.insert("routers".into(), Value::Array(vec![Value::Object(router)]));

        let kept = Value::Object(picture_fields(&body));
        let text = format!("{kept:?}");
        for gone in ["Flow", "settings", "proceedOnFailure", "mapping", "filter", "preMap"] {
            assert!(!text.contains(gone), "`{gone}` is kept: {text}");
        }
        for path in [
            "pageProcessors[0]._importId",
            "pageProcessors[0].hooks.postResponseMap._scriptId",
            "routers[0].branches[0].name",
            "routers[0].branches[0].pageProcessors[0].type",
        ] {
            assert!(kept.get(&path.parse().expect("a path")).is_some(), "{path}: {text}");
        }
    }
}
