//! The desired leaves of a resource: what flowform owns in a live document.

use flowform_model::{DesiredResource, FieldPath, Kind, Object, Segment, Value};

/// `disabled: false`, the value a flow that omits `disabled` has (PRODUCT.md §1.2: a flow that
/// omits `disabled` is enabled, as in the API).
pub(crate) static IMPLIED_ENABLED: Value = Value::Bool(false);

/// Whether the resource is a flow that leaves `disabled` out, and so is implied enabled.
pub(crate) fn implies_enabled(resource: &DesiredResource) -> bool {
    resource.kind() == Kind::Flow
        && resource.body.get("disabled").is_none_or(|disabled| disabled.is_absent())
}

/// The leaves of a desired body: objects are walked into, everything else (arrays included) is a
/// leaf; `null` and empty objects yield none. A flow without `disabled` gets the implied
/// `disabled: false`, so that a flow left disabled (by a failed apply or in the UI) is planned to
/// be enabled, as its spec says. Ignored paths are left out.
pub(crate) fn desired_leaves(resource: &DesiredResource) -> Vec<(FieldPath, &Value)> {
    let mut leaves = body_leaves(&resource.body);
    if implies_enabled(resource) {
        leaves.push((FieldPath::from_keys(["disabled"]), &IMPLIED_ENABLED));
    }
    let ignore = &resource.lifecycle.ignore_changes;
    leaves.retain(|(path, _)| !is_ignored(path, ignore));
    leaves
}

/// The paths the spec sets to `null`: fields that must be absent live (removed when the live
/// resource has them). Key-only paths, ignored ones left out; a flow's `disabled: null` is the
/// implied `disabled: false` instead ([`implies_enabled`]), so it is not among them.
pub(crate) fn null_leaves(resource: &DesiredResource, with_ignored: bool) -> Vec<FieldPath> {
    let mut paths = Vec::new();
    collect_nulls(&resource.body, &mut Vec::new(), &mut paths);
    if resource.kind() == Kind::Flow {
        paths.retain(|path| !matches!(path.segments(), [Segment::Key(key)] if key == "disabled"));
    }
    if !with_ignored {
        let ignore = &resource.lifecycle.ignore_changes;
        paths.retain(|path| !is_ignored(path, ignore));
    }
    paths
}

fn collect_nulls(object: &Object, prefix: &mut Vec<Segment>, paths: &mut Vec<FieldPath>) {
    for (key, value) in object {
        prefix.push(Segment::Key(key.clone()));
        match value {
            Value::Null => paths.push(FieldPath(prefix.clone())),
            Value::Object(child) => collect_nulls(child, prefix, paths),
            _ => {}
        }
        prefix.pop();
    }
}

/// The leaves of a body as written, without implied values and without skipping ignored paths
/// (what a create sends).
pub(crate) fn body_leaves(body: &Object) -> Vec<(FieldPath, &Value)> {
    let mut leaves = Vec::new();
    collect(body, &mut Vec::new(), &mut leaves);
    leaves
}

fn collect<'a>(
    object: &'a Object,
    prefix: &mut Vec<Segment>,
    leaves: &mut Vec<(FieldPath, &'a Value)>,
) {
    for (key, value) in object {
        prefix.push(Segment::Key(key.clone()));
        match value {
            Value::Null => {}
            Value::Object(child) => collect(child, prefix, leaves),
            _ => leaves.push((FieldPath(prefix.clone()), value)),
        }
        prefix.pop();
    }
}

/// Whether `path` lies at or under one of the `ignore` paths (`lifecycle.ignoreChanges`).
pub(crate) fn is_ignored(path: &FieldPath, ignore: &[FieldPath]) -> bool {
    ignore.iter().any(|ignored| path.starts_with(ignored))
}

/// Whether the desired resource still owns `path` (a path flowform applied before): the path is
/// a leaf of the body, lies above one (an object with something in it), or lies inside one (a
/// list or value the spec sets as a whole, or a `null` the spec writes to say "absent", which
/// its own removal covers). Ignored leaves count: what lies under an ignored path is never
/// removed.
pub(crate) fn owns(resource: &DesiredResource, path: &FieldPath) -> bool {
    let segments = path.segments();
    if implies_enabled(resource) && matches!(segments, [Segment::Key(key)] if key == "disabled") {
        return true;
    }
    let mut current = &resource.body;
    for (position, segment) in segments.iter().enumerate() {
        let Segment::Key(key) = segment else {
            return false;
        };
        match current.get(key) {
            None => return false,
            Some(Value::Null) => return true,
            Some(Value::Object(child)) => {
                if position + 1 == segments.len() {
                    return !child.values().all(Value::is_absent);
                }
                current = child;
            }
            Some(_) => return true,
        }
    }
    false
}

/// The dotted, index-free pattern of a path, as the field tables are written.
pub(crate) fn pattern_of(path: &FieldPath) -> String {
    path.without_indexes()
}
