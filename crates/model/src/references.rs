//! The reference walkers: where a resource names another one.
//!
//! Two walkers, one for what a spec writes and one for what the account holds, sharing the field
//! facts of [`crate::fields`]:
//! - [`for_each_reference`] walks a body ([`Value`]) for `${KIND.KEY}` references, and
//!   [`for_each_id_field`] also for the plain strings written in id fields (`_connectionId:
//!   "abc"`), each with its [`Site`]. Used by the spec's reference and cycle checks, by the diff
//!   (a change's `depends_on`), by `--target` and by `pull`'s layout.
//! - [`for_each_live_string`] walks a live document for the strings that may be ids of
//!   other resources, with the key they sit under. Used by the diff (which managed resources still
//!   name a resource about to be deleted; which flows use a changed one), by `pull`'s selection
//!   and by the executor (the steps of a flow about to be cloned).
//!
//! Both borrow: nothing is cloned, and a path is only built when a caller asks for one.

use std::collections::BTreeMap;

use crate::desired::{DesiredResource, RefOrId};
use crate::fields::{RefTarget, SAMPLE_DATA_FIELDS, is_breakable_key, reference_target_of};
use crate::kind::Address;
use crate::lookup::Lookup;
use crate::path::{FieldPath, Segment};
use crate::plan::Dependency;
use crate::value::{Object, Value};

/// One step of a borrowed path: an object key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// An object key.
    Key(&'a str),
    /// An array index.
    Index(usize),
}

/// Where a reference (or an id field) sits in a body: its path from the root, borrowed from the
/// walk.
#[derive(Debug, Clone, Copy)]
pub struct Site<'p, 'a> {
    steps: &'p [Step<'a>],
}

/// The site of `lifecycle.cloneFrom` (the paths [`DesiredResource::for_each_reference`] gives the
/// lifecycle's references, as `flowform-spec` reports them).
const CLONE_FROM: [Step<'static>; 2] = [Step::Key("lifecycle"), Step::Key("cloneFrom")];
/// The site of `lifecycle.connectionMap`.
const CONNECTION_MAP: [Step<'static>; 2] = [Step::Key("lifecycle"), Step::Key("connectionMap")];

impl<'p, 'a> Site<'p, 'a> {
    /// The steps from the root.
    pub fn steps(&self) -> &'p [Step<'a>] {
        self.steps
    }

    /// The site as an owned [`FieldPath`].
    pub fn to_path(&self) -> FieldPath {
        FieldPath(
            self.steps
                .iter()
                .map(|step| match step {
                    Step::Key(key) => Segment::Key((*key).to_owned()),
                    Step::Index(index) => Segment::Index(*index),
                })
                .collect(),
        )
    }

    /// The object keys on the path, without indexes.
    fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.steps.iter().filter_map(|step| match step {
            Step::Key(key) => Some(*key),
            Step::Index(_) => None,
        })
    }

    /// The first object key on the path (the top-level field).
    pub fn first_key(&self) -> Option<&'a str> {
        match self.steps.first() {
            Some(Step::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The kind the field points at, as [`crate::fields::reference_target`] judges a path.
    pub fn target(&self) -> Option<RefTarget> {
        let last = self.keys().last()?;
        reference_target_of(last, &mut self.keys())
    }

    /// Whether a reference here is a back-reference apply may leave out of a write and add in a
    /// later update (inside `_runNextFlowIds`, `_runNextExportIds` or integration `aliases`), as
    /// [`crate::fields::is_breakable_reference`] judges a path.
    pub fn is_breakable(&self) -> bool {
        self.keys().any(is_breakable_key)
    }
}

/// What an id field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdField<'a> {
    /// `${KIND.KEY}`, wherever it is written.
    Ref(&'a Address),
    /// A plain string in a field that holds an id ([`Site::target`] is this target).
    Text(&'a str, RefTarget),
    /// A lookup (`${data.KIND.KEY}`, a flow group by name), wherever it is written.
    Lookup(&'a Lookup),
}

/// Calls `visit` for every reference inside `value`, with its site, in document order.
pub fn for_each_reference<'a>(value: &'a Value, visit: &mut dyn FnMut(Site<'_, 'a>, &'a Address)) {
    walk(value, &mut Vec::new(), false, &mut |site, found| {
        if let IdField::Ref(address) = found {
            visit(site, address);
        }
    });
}

/// Calls `visit` for every reference inside the body `object`, with its site, in document order.
pub fn for_each_body_reference<'a>(
    object: &'a Object,
    visit: &mut dyn FnMut(Site<'_, 'a>, &'a Address),
) {
    let mut steps = Vec::new();
    walk_object(object, &mut steps, false, &mut |site, found| {
        if let IdField::Ref(address) = found {
            visit(site, address);
        }
    });
}

/// Calls `visit` for every reference inside the body `object`, every lookup, and every plain
/// string in a field that holds an id, in document order.
pub fn for_each_id_field<'a>(object: &'a Object, visit: &mut dyn FnMut(Site<'_, 'a>, IdField<'a>)) {
    walk_object(object, &mut Vec::new(), true, visit);
}

/// Whether `value` holds a reference anywhere.
pub fn contains_reference(value: &Value) -> bool {
    match value {
        Value::Ref(_) => true,
        Value::Array(items) => items.iter().any(contains_reference),
        Value::Object(object) => object.values().any(contains_reference),
        _ => false,
    }
}

fn walk<'a>(
    value: &'a Value,
    steps: &mut Vec<Step<'a>>,
    with_text: bool,
    visit: &mut dyn FnMut(Site<'_, 'a>, IdField<'a>),
) {
    match value {
        Value::Ref(address) => visit(Site { steps }, IdField::Ref(address)),
        Value::Lookup(lookup) if with_text => visit(Site { steps }, IdField::Lookup(lookup)),
        Value::String(text) if with_text => {
            let site = Site { steps };
            if let Some(target) = site.target() {
                visit(site, IdField::Text(text, target));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                steps.push(Step::Index(index));
                walk(item, steps, with_text, visit);
                steps.pop();
            }
        }
        Value::Object(object) => walk_object(object, steps, with_text, visit),
        _ => {}
    }
}

fn walk_object<'a>(
    object: &'a Object,
    steps: &mut Vec<Step<'a>>,
    with_text: bool,
    visit: &mut dyn FnMut(Site<'_, 'a>, IdField<'a>),
) {
    for (key, child) in object {
        steps.push(Step::Key(key));
        walk(child, steps, with_text, visit);
        steps.pop();
    }
}

impl DesiredResource {
    /// What a change to this resource waits for: every address it references, sorted, each
    /// breakable when every reference to it is ([`Site::is_breakable`]). The resource itself is
    /// included only through breakable references (a flow that chains to itself).
    pub fn dependencies(&self) -> Vec<Dependency> {
        let mut by_address: BTreeMap<&Address, bool> = BTreeMap::new();
        self.for_each_reference(|site, address| {
            let breakable = site.is_breakable();
            by_address.entry(address).and_modify(|all| *all &= breakable).or_insert(breakable);
        });
        by_address
            .into_iter()
            .filter(|(address, breakable)| *breakable || **address != self.address)
            .map(|(address, breakable)| Dependency { address: address.clone(), breakable })
            .collect()
    }

    /// Calls `visit` for every reference this resource holds, borrowing: in the body (with its
    /// site), `lifecycle.cloneFrom` and the `lifecycle.connectionMap` sides (with the sites
    /// `lifecycle.cloneFrom` and `lifecycle.connectionMap`).
    pub fn for_each_reference<'a>(&'a self, mut visit: impl FnMut(Site<'_, 'a>, &'a Address)) {
        for_each_body_reference(&self.body, &mut visit);
        if let Some(RefOrId::Ref(address)) = &self.lifecycle.clone_from {
            visit(Site { steps: &CLONE_FROM }, address);
        }
        for (source, target) in self.lifecycle.connection_map.iter().flatten() {
            for side in [source, target] {
                if let RefOrId::Ref(address) = side {
                    visit(Site { steps: &CONNECTION_MAP }, address);
                }
            }
        }
    }
}

/// Calls `visit` for every string of a live document outside sample data (`mockOutput`, …),
/// with the object key it sits under (a string in a list sits under the list's key); the
/// document's own top-level `_id` is left out. These are the strings that may be ids of other
/// resources: the diff's normalisation reads exactly these as references when they are managed
/// ids.
pub fn for_each_live_string<'a>(document: &'a Value, visit: &mut dyn FnMut(&'a str, &'a str)) {
    if let Value::Object(object) = document {
        for (key, child) in object {
            if key != "_id" {
                walk_live(child, key, visit);
            }
        }
    }
}

/// [`for_each_live_string`], also saying whether the string sits in a breakable field (under
/// `_runNextFlowIds`, `_runNextExportIds`, integration `aliases` or `_asyncHelperId`, as
/// [`Site::is_breakable`] judges a spec's references): a reference there can be removed from a
/// live resource without breaking it, which is how a cycle of resources being deleted together
/// is undone.
pub fn for_each_live_reference_string<'a>(
    document: &'a Value,
    visit: &mut dyn FnMut(&'a str, &'a str, bool),
) {
    fn walk<'a>(
        value: &'a Value,
        key: &'a str,
        breakable: bool,
        visit: &mut dyn FnMut(&'a str, &'a str, bool),
    ) {
        if SAMPLE_DATA_FIELDS.contains(&key) {
            return;
        }
        let breakable = breakable || is_breakable_key(key);
        match value {
            Value::String(text) => visit(key, text, breakable),
            Value::Array(items) => items.iter().for_each(|item| walk(item, key, breakable, visit)),
            Value::Object(object) => {
                for (child_key, child) in object {
                    walk(child, child_key, breakable, visit);
                }
            }
            _ => {}
        }
    }
    if let Value::Object(object) = document {
        for (key, child) in object {
            if key != "_id" {
                walk(child, key, false, visit);
            }
        }
    }
}

/// Removes, from a live document, every breakable reference (see
/// [`for_each_live_reference_string`]) whose id `unlink` selects: list elements go from their
/// list, a single field goes from its object. Returns whether anything was removed.
pub fn remove_live_breakable(document: &mut Value, unlink: &dyn Fn(&str) -> bool) -> bool {
    fn holds(value: &Value, unlink: &dyn Fn(&str) -> bool) -> bool {
        match value {
            Value::String(text) => unlink(text),
            Value::Array(items) => items.iter().any(|item| holds(item, unlink)),
            Value::Object(object) => object.values().any(|child| holds(child, unlink)),
            _ => false,
        }
    }
    fn walk(value: &mut Value, unlink: &dyn Fn(&str) -> bool) -> bool {
        let mut removed = false;
        match value {
            Value::Object(object) => {
                let mut gone = Vec::new();
                for (key, child) in object.iter_mut() {
                    if SAMPLE_DATA_FIELDS.contains(&key.as_str()) {
                        continue;
                    }
                    if is_breakable_key(key) {
                        match child {
                            Value::Array(items) => {
                                let before = items.len();
                                items.retain(|item| !holds(item, unlink));
                                removed |= items.len() != before;
                            }
                            other if holds(other, unlink) => gone.push(key.clone()),
                            _ => {}
                        }
                    } else {
                        removed |= walk(child, unlink);
                    }
                }
                removed |= !gone.is_empty();
                for key in gone {
                    object.shift_remove(&key);
                }
            }
            Value::Array(items) => {
                for item in items {
                    removed |= walk(item, unlink);
                }
            }
            _ => {}
        }
        removed
    }
    walk(document, unlink)
}

fn walk_live<'a>(value: &'a Value, key: &'a str, visit: &mut dyn FnMut(&'a str, &'a str)) {
    if SAMPLE_DATA_FIELDS.contains(&key) {
        return;
    }
    match value {
        Value::String(text) => visit(key, text),
        Value::Array(items) => items.iter().for_each(|item| walk_live(item, key, visit)),
        Value::Object(object) => {
            for (child_key, child) in object {
                walk_live(child, child_key, visit);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::Lifecycle;
    use crate::fields::{is_breakable_reference, reference_target};
    use crate::kind::Kind;

    fn body(json: serde_json::Value) -> Object {
        match Value::from_json(&json) {
            Value::Object(object) => object,
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn references_and_id_fields_with_their_sites() {
        let mut object = body(serde_json::json!({
            "name": "n",
            "_integrationId": "not-an-id",
            "overrides": {"connections": [{"_id": "abc"}]},
            "settings": {"_connectionId": "free-form"},
            "_runNextFlowIds": [null],
            "pageProcessors": [{"type": "import", "_importId": null}],
        }));
        object.insert(
            "_runNextFlowIds".into(),
            Value::Array(vec![Value::Ref(Address::new(Kind::Flow, "next"))]),
        );
        if let Some(Value::Array(items)) = object.get_mut("pageProcessors")
            && let Some(Value::Object(step)) = items.get_mut(0)
        {
            step.insert("_importId".into(), Value::Ref(Address::new(Kind::Import, "post")));
        }
        let mut found = Vec::new();
        for_each_id_field(&object, &mut |site, field| {
            let path = site.to_path();
            assert_eq!(site.target(), reference_target(&path), "{path}");
            assert_eq!(site.is_breakable(), is_breakable_reference(&path), "{path}");
            found.push(format!("{path} {field:?}"));
        });
        assert_eq!(
            found,
            [
                "_integrationId Text(\"not-an-id\", Managed(Integration))",
                "overrides.connections[0]._id Text(\"abc\", Managed(Connection))",
                "settings._connectionId Text(\"free-form\", Managed(Connection))",
                "_runNextFlowIds[0] Ref(Address { kind: Flow, key: \"next\" })",
                "pageProcessors[0]._importId Ref(Address { kind: Import, key: \"post\" })",
            ]
        );
        let mut references = Vec::new();
        for_each_body_reference(&object, &mut |site, address| {
            references.push((site.to_path().to_string(), site.is_breakable(), address.clone()))
        });
        assert_eq!(references.len(), 2);
        assert!(references[0].1 && !references[1].1);
    }

    #[test]
    fn a_resource_walks_its_lifecycle_too() {
        let resource = DesiredResource {
            address: Address::new(Kind::Flow, "copy"),
            body: body(serde_json::json!({"name": "copy"})),
            lifecycle: Lifecycle {
                clone_from: Some(RefOrId::Ref(Address::new(Kind::Flow, "source"))),
                connection_map: Some(vec![(
                    RefOrId::Ref(Address::new(Kind::Connection, "a")),
                    RefOrId::Id("b".repeat(24)),
                )]),
                ..Lifecycle::default()
            },
            origin: None,
        };
        let mut found = Vec::new();
        resource.for_each_reference(|site, address| {
            found.push(format!("{} {address}", site.to_path()));
        });
        assert_eq!(
            found,
            ["lifecycle.cloneFrom flow.source", "lifecycle.connectionMap connection.a"]
        );
    }

    #[test]
    fn dependencies_are_breakable_only_when_every_reference_is() {
        let flow = |key: &str| Value::Ref(Address::new(Kind::Flow, key));
        let mut object = Object::default();
        object.insert("_runNextFlowIds".into(), Value::Array(vec![flow("self"), flow("next")]));
        object.insert("_flowId".into(), flow("next"));
        object.insert("_integrationId".into(), Value::Ref(Address::new(Kind::Integration, "i")));
        let resource = DesiredResource {
            address: Address::new(Kind::Flow, "self"),
            body: object,
            lifecycle: Lifecycle::default(),
            origin: None,
        };
        let dependencies: Vec<(String, bool)> = resource
            .dependencies()
            .into_iter()
            .map(|dependency| (dependency.address.to_string(), dependency.breakable))
            .collect();
        assert_eq!(
            dependencies,
            [
                ("integration.i".into(), false),
                ("flow.next".into(), false),
                ("flow.self".into(), true)
            ]
        );
    }

    #[test]
    fn live_breakable_references_are_found_and_removed() {
        let mut document = Value::from(serde_json::json!({
            "_id": "self",
            "http": {"_asyncHelperId": "h", "relativeURI": "/x"},
            "_runNextFlowIds": ["f1", "f2"],
            "aliases": [{"alias": "a", "_flowId": "f1"}],
            "pageGenerators": [{"_exportId": "f1"}],
        }));
        let mut found = Vec::new();
        for_each_live_reference_string(&document, &mut |key, text, breakable| {
            found.push(format!("{key}={text}:{breakable}"))
        });
        assert_eq!(
            found,
            [
                "_asyncHelperId=h:true",
                "relativeURI=/x:false",
                "_runNextFlowIds=f1:true",
                "_runNextFlowIds=f2:true",
                "alias=a:true",
                "_flowId=f1:true",
                "_exportId=f1:false"
            ]
        );
        assert!(remove_live_breakable(&mut document, &|id| id == "f1" || id == "h"));
        assert_eq!(
            document,
            Value::from(serde_json::json!({
                "_id": "self",
                "http": {"relativeURI": "/x"},
                "_runNextFlowIds": ["f2"],
                "aliases": [],
                "pageGenerators": [{"_exportId": "f1"}],
            }))
        );
        assert!(!remove_live_breakable(&mut document, &|id| id == "f1"));
    }

    #[test]
    fn live_strings_skip_sample_data_and_the_own_id() {
        let document = Value::from(serde_json::json!({
            "_id": "self",
            "name": "n",
            "mockOutput": {"_connectionId": "sample"},
            "pageGenerators": [{"_exportId": "e", "_id": "nested"}],
            "_runNextFlowIds": ["f1", "f2"],
        }));
        let mut found = Vec::new();
        for_each_live_string(&document, &mut |key, text| found.push(format!("{key}={text}")));
        assert_eq!(
            found,
            ["name=n", "_exportId=e", "_id=nested", "_runNextFlowIds=f1", "_runNextFlowIds=f2"]
        );
    }
}
