//! The three-way field comparison of one resource (PRODUCT.md §2.2), and the breakdown of array
//! changes into readable element-level changes.

use flowform_model::{KeyHashMap, KeyHashSet};
use std::borrow::Cow;

use flowform_model::fields::is_write_only;
use flowform_model::fingerprint::value_digest;
use flowform_model::{
    Address, DesiredResource, FieldChange, FieldOp, FieldPath, Kind, Object, ResourceState,
    SecretRecord, Segment, Value,
};

use crate::align::{Aligned, align, pair_replacements};
use crate::compare::{contains_mask, has_unresolved_secret, leaf_fingerprint, same, superset};
use crate::defaults::default_at;
use crate::leaves::{IMPLIED_ENABLED, body_leaves, implies_enabled, is_ignored, owns, pattern_of};
use crate::normalize::{ManagedIds, live_equals, normalize_desired, normalize_live_node};
use crate::service::{
    Doc, Rewrite, canonical, exclusive, generated_keys, legacy_adaptor, managed_secrets_of,
    rewrite_at,
};

/// What the comparison of one resource needs besides the desired and live bodies.
pub(crate) struct FieldContext<'a> {
    /// The resource kind.
    pub kind: Kind,
    /// The resource's address, for warnings.
    pub address: &'a Address,
    /// The state's salt, for digests and fingerprints.
    pub salt: &'a str,
    /// What flowform last applied to this live resource (`None` for an adoption).
    pub state: Option<&'a ResourceState>,
    /// Managed ids, to read literal ids in the spec as references.
    pub ids: &'a ManagedIds,
    /// Addresses renamed by `moved` entries, new to old: digests recorded before a move name
    /// the old addresses.
    pub renamed: &'a KeyHashMap<Address, Address>,
}

/// The value at a path of a live document, and whether the path (or one of its ancestors) is
/// masked as `******`.
pub(crate) struct LiveLookup<'a> {
    pub value: Option<&'a Value>,
    pub masked: bool,
}

/// Looks `path` up in a (normalised) document.
pub(crate) fn lookup<'a>(live: &'a Value, path: &FieldPath) -> LiveLookup<'a> {
    let mut current = live;
    for segment in path.segments() {
        if current.is_mask() {
            return LiveLookup { value: None, masked: true };
        }
        let next = match (segment, current) {
            (Segment::Key(key), Value::Object(object)) => object.get(key),
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return LiveLookup { value: None, masked: false },
        }
    }
    LiveLookup { value: Some(current), masked: current.is_mask() }
}

/// Compares a desired resource with its live document. Returns the field changes in spec
/// order, followed by removals of previously applied paths.
///
/// The desired body and the live document are walked together, and only the live values the
/// comparison meets are normalised ([`normalize_live_node`], the rules of
/// [`crate::normalize_live`]); a leaf's path is only built when the leaf differs. Most leaves of
/// most resources are equal, and a plan of 10,000 resources must stay fast.
pub(crate) fn diff_fields(
    context: &FieldContext<'_>,
    desired: &DesiredResource,
    live: &Value,
    warnings: &mut Vec<String>,
) -> Vec<FieldChange> {
    let ignore = &desired.lifecycle.ignore_changes;
    let managed = managed_secrets_of(context.kind, Doc::Object(&desired.body), Some(live));
    let mut walk = Walk {
        context,
        ignore,
        live_root: live,
        managed: &managed,
        changes: Vec::new(),
        unverified: Vec::new(),
        warnings,
        pattern: String::new(),
    };
    let mut stack: Vec<&str> = Vec::new();
    walk.object(&desired.body, Some(live), false, &mut stack);
    if implies_enabled(desired) && !stack_ignored(&["disabled"], ignore) {
        let live_disabled = live.field("disabled");
        let masked = live_disabled.is_some_and(Value::is_mask);
        walk.pattern.push_str("disabled");
        walk.leaf(&["disabled"], &IMPLIED_ENABLED, live_disabled, masked);
        walk.pattern.clear();
    }
    let Walk { mut changes, mut pattern, unverified, .. } = walk;
    if let Some(state) = context.state {
        for path in state.applied_paths.keys() {
            if is_ignored(path, ignore)
                || owns(desired, path)
                || managed.contains(&pattern_of(path).as_str())
            {
                continue;
            }
            let LiveLookup { value: node, masked } = lookup(live, path);
            if masked {
                changes.push(removal(path, None, true));
                continue;
            }
            pattern.clear();
            pattern.push_str(&pattern_of(path));
            let Some(before) = node.and_then(|node| {
                normalize_live_node(context.kind, node, context.ids, &mut pattern)
            }) else {
                continue;
            };
            let sensitive = contains_mask(&before) || state.secret_fingerprints.contains_key(path);
            changes.push(removal(path, (!sensitive).then_some(before), sensitive));
        }
    }
    replacements(context, desired, live, &mut changes);
    // A write sends every secret the spec holds: one flowform never verified is listed, so the
    // apply never writes it silently. On its own it plans nothing (after `pull` the plan is
    // empty).
    if !changes.is_empty() {
        for path in unverified {
            if changes.iter().all(|change| change.path != path) {
                let mut change = FieldChange::new(path, FieldOp::Replace, None, None).sensitive();
                change.unverified = true;
                changes.push(change);
            }
        }
    }
    changes
}

/// The removals a structural replacement needs: where the spec sets one side of a pair of
/// mutually exclusive fields and the account holds the other (a flow switched between
/// `pageProcessors` and `routers` in the UI), the other side is removed in the same write,
/// marked as replaced by the spec's side. Earlier removals of the same path are merged.
fn replacements(
    context: &FieldContext<'_>,
    desired: &DesiredResource,
    live: &Value,
    changes: &mut Vec<FieldChange>,
) {
    let body = Doc::Object(&desired.body);
    for pair in exclusive(context.kind) {
        for (wanted, unwanted) in [(pair.one, pair.other), (pair.other, pair.one)] {
            let Some(by) =
                wanted.iter().find(|field| body.get(field).is_some_and(|value| !value.is_absent()))
            else {
                continue;
            };
            for field in unwanted {
                if body.get(field).is_some_and(|value| !value.is_absent()) {
                    continue;
                }
                let path: FieldPath = FieldPath::from_keys(field.split('.'));
                let LiveLookup { value: node, masked } = lookup(live, &path);
                let mut pattern = (*field).to_owned();
                let before = if masked {
                    None
                } else {
                    match node.and_then(|node| {
                        normalize_live_node(context.kind, node, context.ids, &mut pattern)
                    }) {
                        Some(before) => Some(before),
                        None => continue,
                    }
                };
                let sensitive = masked
                    || before.as_ref().is_some_and(contains_mask)
                    || is_write_only(context.kind, &path);
                changes.retain(|change| !change.path.starts_with(&path));
                let mut change = removal(&path, if sensitive { None } else { before }, sensitive);
                change.replaced_by = Some(FieldPath::from_keys(by.split('.')));
                changes.push(change);
            }
        }
    }
}

/// Whether the key-only path in `stack` lies at or under one of the `ignore` paths.
fn stack_ignored(stack: &[&str], ignore: &[FieldPath]) -> bool {
    ignore.iter().any(|ignored| {
        ignored.0.len() <= stack.len()
            && ignored.0.iter().zip(stack).all(
                |(segment, key)| matches!(segment, Segment::Key(ignored_key) if ignored_key == key),
            )
    })
}

fn path_of(stack: &[&str]) -> FieldPath {
    FieldPath(stack.iter().map(|key| Segment::Key((*key).to_owned())).collect())
}

/// The walk of a desired body along its live document.
struct Walk<'context, 'a> {
    context: &'context FieldContext<'a>,
    ignore: &'context [FieldPath],
    /// The whole live document.
    live_root: &'context Value,
    /// The secret paths the service manages in this resource: never compared or written.
    managed: &'context [&'static str],
    changes: Vec<FieldChange>,
    /// Secrets the spec holds whose live value flowform never verified, unchanged otherwise.
    unverified: Vec<FieldPath>,
    warnings: &'context mut Vec<String>,
    /// The dotted, index-free path of the current position.
    pattern: String,
}

impl<'body> Walk<'_, '_> {
    fn object(
        &mut self,
        object: &'body Object,
        live: Option<&Value>,
        masked: bool,
        stack: &mut Vec<&'body str>,
    ) {
        for (key, desired) in object {
            stack.push(key);
            let length = self.pattern.len();
            if !self.pattern.is_empty() {
                self.pattern.push('.');
            }
            self.pattern.push_str(key);
            if !stack_ignored(stack, self.ignore) {
                let live_child = if masked { None } else { live.and_then(|live| live.field(key)) };
                let child_masked = masked || live_child.is_some_and(Value::is_mask);
                let whole = matches!(
                    rewrite_at(self.context.kind, &self.pattern),
                    Some(Rewrite::ReadOnly | Rewrite::FixedAfterCreate)
                );
                match desired {
                    // A flow's `disabled: null` is the implied `disabled: false` (compared
                    // after the walk).
                    Value::Null
                        if self.context.kind == Kind::Flow
                            && stack.len() == 1
                            && key == "disabled" => {}
                    Value::Null => self.absent(stack, live_child, child_masked),
                    // What the service ignores on write is judged as one value.
                    Value::Object(_) if whole => {
                        self.leaf(stack, desired, live_child, child_masked)
                    }
                    Value::Object(child) => self.object(child, live_child, child_masked, stack),
                    _ => self.leaf(stack, desired, live_child, child_masked),
                }
            }
            self.pattern.truncate(length);
            stack.pop();
        }
    }

    /// A field the spec sets to `null`: it must be absent live, so a live value (one that does
    /// not normalise away, like a server default) is planned for removal.
    fn absent(&mut self, stack: &[&str], live: Option<&Value>, masked: bool) {
        let Some(node) = live else {
            // Absent live (or under a masked ancestor, whose parts are not known).
            return;
        };
        let before = if masked {
            None
        } else {
            match normalize_live_node(self.context.kind, node, self.context.ids, &mut self.pattern)
            {
                Some(before) => Some(before),
                None => return,
            }
        };
        let path = path_of(stack);
        let sensitive = masked
            || before.as_ref().is_some_and(contains_mask)
            || self
                .context
                .state
                .is_some_and(|state| state.secret_fingerprints.contains_key(&path));
        let mut change = removal(&path, if sensitive { None } else { before }, sensitive);
        change.drift = spec_unchanged_since_apply(self.context, &path, &Value::Null);
        self.changes.push(change);
    }

    /// Compares one leaf; `self.pattern` is its dotted path.
    fn leaf(&mut self, stack: &[&str], desired: &Value, live: Option<&Value>, masked: bool) {
        let kind = self.context.kind;
        if self.managed.contains(&self.pattern.as_str()) {
            self.warnings.push(format!(
                "`{}` `{}` is a secret the service obtains and keeps itself; flowform never writes it, so the spec's value is not used (leave it out of the spec)",
                self.context.address,
                path_of(stack)
            ));
            return;
        }
        match rewrite_at(kind, &self.pattern) {
            Some(Rewrite::ReadOnly) => {
                let canonical = canonical_scalar(kind, &self.pattern, desired, self.context.ids);
                if live.is_some_and(|live| !masked && !same(&canonical, live)) {
                    self.warnings.push(format!(
                        "`{}` `{}` is read-only: the service ignores a written value and keeps its own, so the spec's value is not compared (leave it out of the spec)",
                        self.context.address,
                        path_of(stack)
                    ));
                }
                return;
            }
            Some(Rewrite::FixedAfterCreate) => {
                let canonical = canonical_scalar(kind, &self.pattern, desired, self.context.ids);
                let differs = match live {
                    Some(live) => !masked && !same(&canonical, live),
                    None => true,
                };
                if differs {
                    self.warnings.push(format!(
                        "`{}` `{}` is fixed when the resource is created: the service ignores a new value, so the change is not planned (delete and recreate the resource to change it)",
                        self.context.address,
                        path_of(stack)
                    ));
                }
                return;
            }
            _ => {}
        }
        let has_generated = has_generated_keys(kind, &self.pattern);
        if let (Value::Array(_), Some(node), false) = (desired, live, masked)
            && !desired.contains_secret()
            && !has_generated
            && live_equals(kind, node, desired, self.context.ids, &mut self.pattern)
        {
            return;
        }
        let live = if masked {
            None
        } else {
            live.and_then(|node| {
                normalize_live_node(kind, node, self.context.ids, &mut self.pattern)
            })
        };
        // A legacy document's adaptor is its sub-document (`legacy_adaptor`).
        let live = live.or_else(|| {
            (self.pattern == "adaptorType")
                .then(|| legacy_adaptor(kind, Doc::Value(self.live_root)))
                .flatten()
                .map(|adaptor| Value::String(adaptor.to_owned()))
        });
        let secret = desired.contains_secret();
        if !secret
            && !masked
            && let Some(live) = &live
        {
            let equal = match desired {
                Value::Array(_) if has_generated => {
                    let mut live = live.clone();
                    strip_generated(kind, &mut self.pattern, &mut live, desired);
                    same(desired, &live)
                }
                Value::Array(_) => same(desired, live),
                _ => same(&canonical_scalar(kind, &self.pattern, desired, self.context.ids), live),
            };
            if equal {
                return;
            }
        }
        let path = path_of(stack);
        let found = LiveLookup { value: live.as_ref(), masked };
        // A path that held a secret at the last apply may still hold it live, unmasked: whatever
        // the spec says there now, the live value is never shown.
        let previously_secret =
            self.context.state.is_some_and(|state| state.secret_fingerprints.contains_key(&path));
        if secret || masked || previously_secret {
            compare_sensitive(
                self.context,
                &path,
                desired,
                &found,
                self.ignore,
                &mut self.changes,
                &mut self.unverified,
                self.warnings,
            );
        } else if let Value::Array(_) = desired {
            compare_array(
                self.context,
                &path,
                desired,
                live.as_ref(),
                self.ignore,
                &mut self.changes,
            );
        } else {
            compare_scalar(self.context, &path, desired, live.as_ref(), &mut self.changes);
        }
    }
}

/// Whether keys the service generates lie inside the list at `pattern`.
fn has_generated_keys(kind: Kind, pattern: &str) -> bool {
    generated_keys(kind).iter().any(|generated| {
        generated.path.strip_prefix(pattern).is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Removes from a normalised live value the keys the service generated where the desired value
/// leaves them out (element by element, by position): a router the spec writes without `id`
/// is the same router with the `id` the service gave it. `pattern` is restored.
pub(crate) fn strip_generated(kind: Kind, pattern: &mut String, live: &mut Value, desired: &Value) {
    match (live, desired) {
        (Value::Array(items), Value::Array(wanted)) => {
            for (item, wanted) in items.iter_mut().zip(wanted) {
                strip_generated(kind, pattern, item, wanted);
            }
        }
        (Value::Object(object), Value::Object(wanted)) => {
            let generated: Vec<String> = object
                .keys()
                .filter(|key| !wanted.contains_key(*key))
                .filter(|key| {
                    let path = child_pattern(pattern, key);
                    generated_keys(kind).iter().any(|generated| generated.path == path)
                })
                .cloned()
                .collect();
            for key in generated {
                object.shift_remove(&key);
            }
            for (key, child) in object.iter_mut() {
                if let Some(wanted) = wanted.get(key) {
                    let length = pattern.len();
                    if !pattern.is_empty() {
                        pattern.push('.');
                    }
                    pattern.push_str(key);
                    strip_generated(kind, pattern, child, wanted);
                    pattern.truncate(length);
                }
            }
        }
        _ => {}
    }
}

fn removal(path: &FieldPath, before: Option<Value>, sensitive: bool) -> FieldChange {
    let change = FieldChange::new(path.clone(), FieldOp::Remove, before, None);
    if sensitive { change.sensitive() } else { change }
}

/// Whether the spec did not change at `path` since the last apply: then a live difference was
/// made outside flowform. A reference to a moved resource matches the digest recorded under its
/// old address.
fn spec_unchanged_since_apply(
    context: &FieldContext<'_>,
    path: &FieldPath,
    desired: &Value,
) -> bool {
    let Some(recorded) = context.state.and_then(|state| state.applied_paths.get(path)) else {
        return false;
    };
    if *recorded == value_digest(context.salt, desired) {
        return true;
    }
    if context.renamed.is_empty() {
        return false;
    }
    let mut renamed = desired.clone();
    (rename_references(&mut renamed, context.renamed))
        && *recorded == value_digest(context.salt, &renamed)
}

/// Rewrites references to moved resources to their old addresses; returns whether any changed.
fn rename_references(value: &mut Value, renamed: &KeyHashMap<Address, Address>) -> bool {
    match value {
        Value::Ref(address) => match renamed.get(address) {
            Some(old) => {
                *address = old.clone();
                true
            }
            None => false,
        },
        Value::Array(items) => {
            // Every reference must be renamed, so no short-circuiting `any` here.
            let mut changed = false;
            for item in items.iter_mut() {
                changed |= rename_references(item, renamed);
            }
            changed
        }
        Value::Object(object) => {
            let mut changed = false;
            for child in object.values_mut() {
                changed |= rename_references(child, renamed);
            }
            changed
        }
        _ => false,
    }
}

/// A desired single value in the form the service stores it (its rewrite at `pattern`), and a
/// literal managed id read as the reference it is.
fn canonical_scalar<'a>(
    kind: Kind,
    pattern: &str,
    value: &'a Value,
    ids: &ManagedIds,
) -> Cow<'a, Value> {
    let stored = canonical(kind, pattern, value);
    let id = match stored.as_ref() {
        Value::String(text) => ids.reference(text),
        _ => None,
    };
    match id {
        Some(reference) => Cow::Owned(reference),
        None => stored,
    }
}

/// Whether a live number below the spec's is the licence's clamp of the spec's value: the
/// service lowers `concurrencyLevel` to what the licence allows (no API says how much), so a
/// lower live value after flowform wrote the spec's value is that value, as stored.
fn clamped_by_licence(
    context: &FieldContext<'_>,
    path: &FieldPath,
    pattern: &str,
    desired: &Value,
    live: &Value,
) -> bool {
    if rewrite_at(context.kind, pattern) != Some(Rewrite::LicenceClamp) {
        return false;
    }
    let (Some(wanted), Some(stored)) = (number(desired), number(live)) else {
        return false;
    };
    stored >= 1.0 && stored < wanted && spec_unchanged_since_apply(context, path, desired)
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        _ => None,
    }
}

fn compare_scalar(
    context: &FieldContext<'_>,
    path: &FieldPath,
    desired: &Value,
    live: Option<&Value>,
    changes: &mut Vec<FieldChange>,
) {
    let pattern = pattern_of(path);
    let canonical = canonical_scalar(context.kind, &pattern, desired, context.ids);
    let (op, before) = match live {
        Some(live) if same(&canonical, live) => return,
        Some(live) if clamped_by_licence(context, path, &pattern, desired, live) => return,
        Some(live) => (FieldOp::Replace, Some(live.clone())),
        None => match default_at(context.kind, &pattern) {
            // An absent live value is the default: equal when the spec asks for the default,
            // and shown as the default it replaces otherwise.
            Some(default) if default.matches(&canonical) => return,
            Some(default)
                if clamped_by_licence(context, path, &pattern, desired, &default.to_value()) =>
            {
                return;
            }
            Some(default) => (FieldOp::Replace, Some(default.to_value())),
            None => (FieldOp::Add, None),
        },
    };
    changes.push(
        FieldChange::new(path.clone(), op, before, Some(desired.clone()))
            .with_drift(spec_unchanged_since_apply(context, path, desired)),
    );
}

/// The ignored paths strictly inside `path`, relative to it.
fn ignored_inside(path: &FieldPath, ignore: &[FieldPath]) -> Vec<FieldPath> {
    ignore
        .iter()
        .filter(|ignored| ignored.0.len() > path.0.len() && ignored.starts_with(path))
        .map(|ignored| FieldPath(ignored.0[path.0.len()..].to_vec()))
        .collect()
}

fn without_paths(value: &Value, paths: &[FieldPath]) -> Value {
    let mut value = value.clone();
    for path in paths {
        value.remove(path);
    }
    value
}

fn compare_array(
    context: &FieldContext<'_>,
    path: &FieldPath,
    desired: &Value,
    live: Option<&Value>,
    ignore: &[FieldPath],
    changes: &mut Vec<FieldChange>,
) {
    let pattern = pattern_of(path);
    let inside = ignored_inside(path, ignore);
    let canonical =
        normalize_desired(context.kind, &without_paths(desired, &inside), context.ids, &pattern);
    let live_owned;
    let live = match live {
        Some(live) if !inside.is_empty() || has_generated_keys(context.kind, &pattern) => {
            let mut stripped = without_paths(live, &inside);
            strip_generated(context.kind, &mut pattern.clone(), &mut stripped, &canonical);
            live_owned = stripped;
            Some(&live_owned)
        }
        other => other,
    };
    match live {
        Some(live) if same(&canonical, live) => return,
        Some(live)
            if superset(live, &canonical) && spec_unchanged_since_apply(context, path, desired) =>
        {
            // Live holds everything the spec says, plus keys inside elements that the server
            // or the UI added; the spec did not change since the last apply, so leave it alone.
            return;
        }
        None if matches!(&canonical, Value::Array(items) if items.is_empty()) => return,
        _ => {}
    }
    let drift = spec_unchanged_since_apply(context, path, desired);
    element_changes(changes, context.kind, path, &pattern, live, &canonical, drift);
}

/// Compares a leaf that holds a secret, or whose live value is masked: by fingerprint only.
///
/// What the state recorded decides ([`SecretRecord`]): a fingerprint flowform wrote is compared;
/// a secret flowform never verified (after `pull`, `import`, or an adoption) plans nothing on
/// its own unless the spec's secret changed since its baseline, and is pushed to `unverified`
/// so the resource's write lists it; an adoption (no state) lists it as an unverified change.
#[allow(clippy::too_many_arguments)]
fn compare_sensitive(
    context: &FieldContext<'_>,
    path: &FieldPath,
    desired: &Value,
    found: &LiveLookup<'_>,
    ignore: &[FieldPath],
    changes: &mut Vec<FieldChange>,
    unverified: &mut Vec<FieldPath>,
    warnings: &mut Vec<String>,
) {
    let Some(fingerprint) = leaf_fingerprint(context.salt, desired) else {
        let names = secret_names(desired).join("`, `");
        warnings.push(format!(
            "`{}` `{path}` cannot be compared because secret `{names}` is not set",
            context.address
        ));
        return;
    };
    let recorded = context
        .state
        .and_then(|state| state.secret_fingerprints.get(path))
        .map(|recorded| SecretRecord::of(recorded));
    let (secret_same, never_verified) = match recorded {
        Some(SecretRecord::Written(written)) => (written == fingerprint, false),
        Some(SecretRecord::Unverified(baseline)) => (baseline == fingerprint, true),
        Some(SecretRecord::Unknown) => (true, true),
        // Adopted, or a path flowform never recorded: the live value is unknown.
        None => (false, context.state.is_none() || found.masked),
    };
    let skeleton_same = match desired {
        // Inside an array the non-secret parts are still compared, with every secret position
        // blanked on both sides so no secret value takes part in the comparison.
        Value::Array(_) if !found.masked => match found.value {
            Some(live) => {
                let pattern = pattern_of(path);
                let inside = ignored_inside(path, ignore);
                let mut desired_skeleton = without_paths(desired, &inside);
                let mut live_skeleton = without_paths(live, &inside);
                blank_secrets(&mut desired_skeleton, &mut live_skeleton);
                let desired_skeleton =
                    normalize_desired(context.kind, &desired_skeleton, context.ids, &pattern);
                same(&desired_skeleton, &live_skeleton)
                    || (superset(&live_skeleton, &desired_skeleton)
                        && spec_unchanged_since_apply(context, path, desired))
            }
            None => false,
        },
        _ => true,
    };
    if secret_same && skeleton_same {
        if never_verified {
            unverified.push(path.clone());
        }
        return;
    }
    let op = if found.value.is_none() && !found.masked { FieldOp::Add } else { FieldOp::Replace };
    let mut change = FieldChange::new(path.clone(), op, None, None)
        .sensitive()
        .with_drift(secret_same && spec_unchanged_since_apply(context, path, desired));
    change.unverified = never_verified && op == FieldOp::Replace;
    changes.push(change);
}

const BLANK: &str = "\u{0}flowform-secret\u{0}";

/// Replaces every secret in `desired`, and the value at the same place in `live`, by one marker.
fn blank_secrets(desired: &mut Value, live: &mut Value) {
    match desired {
        Value::Secret(_) => {
            *desired = Value::String(BLANK.to_owned());
            *live = Value::String(BLANK.to_owned());
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                match live {
                    Value::Array(live_items) if index < live_items.len() => {
                        blank_secrets(item, &mut live_items[index])
                    }
                    _ => blank_secrets(item, &mut Value::Null),
                }
            }
        }
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match live {
                    Value::Object(live_object) if live_object.contains_key(key) => {
                        if let Some(live_child) = live_object.get_mut(key) {
                            blank_secrets(child, live_child);
                        }
                    }
                    _ => blank_secrets(child, &mut Value::Null),
                }
            }
        }
        _ => {}
    }
}

fn secret_names(value: &Value) -> Vec<String> {
    let mut names = Vec::new();
    collect_secret_names(value, &mut names);
    names.sort();
    names.dedup();
    names
}

fn collect_secret_names(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Secret(secret) if !secret.is_resolved() => {
            names.extend(secret.names.iter().cloned())
        }
        Value::Array(items) => items.iter().for_each(|item| collect_secret_names(item, names)),
        Value::Object(object) => {
            object.values().for_each(|child| collect_secret_names(child, names))
        }
        _ => {}
    }
}

/// Whether the list at `pattern` is a mapping list whose rows are identified by `generate`.
fn is_mapping_list(pattern: &str) -> bool {
    const MAPPING_LISTS: [&str; 7] = [
        "mapping.fields",
        "mapping.lists",
        "mapping.lists.fields",
        "responseMapping.fields",
        "responseMapping.lists",
        "responseMapping.lists.fields",
        "mappings",
    ];
    MAPPING_LISTS.iter().any(|list| {
        pattern == *list || pattern.strip_suffix(list).is_some_and(|rest| rest.ends_with('.'))
    })
}

/// The rows of a mapping list by their `generate` value, or `None` when a row is not an object
/// with a string `generate` or two rows share one.
fn rows_by_generate(items: &[Value]) -> Option<KeyHashMap<&str, &Value>> {
    let mut rows = KeyHashMap::with_capacity_and_hasher(items.len(), Default::default());
    for item in items {
        let generate = item.as_object()?.get("generate")?.as_str()?;
        if rows.insert(generate, item).is_some() {
            return None;
        }
    }
    Some(rows)
}

fn child_pattern(pattern: &str, key: &str) -> String {
    if pattern.is_empty() { key.to_owned() } else { format!("{pattern}.{key}") }
}

fn push(
    changes: &mut Vec<FieldChange>,
    path: FieldPath,
    op: FieldOp,
    before: Option<&Value>,
    after: Option<&Value>,
    drift: bool,
) {
    changes.push(FieldChange::new(path, op, before.cloned(), after.cloned()).with_drift(drift));
}

/// Breaks the change of a value into element-level changes with readable paths: ordered lists
/// element by element (`pageProcessors[1]._importId`), mapping lists row by row keyed by
/// `generate` (`mapping.fields[generate="email"]`), objects key by key. The result, applied to
/// `live` in order, gives `desired` exactly: keys that live holds inside elements and the spec
/// does not are shown as removed, because the whole list is written.
///
/// List elements are added and removed as JSON Patch does (RFC 6902): an `add` at `[N]` inserts
/// before the element at N, a `remove` takes the element out and closes the gap. A list's removals
/// come first, from the highest index down, so each names its element's position in the live
/// list; its additions and the changes inside kept elements follow in list order, at their
/// positions in the desired list. The step lists of a flow are aligned by what each step is
/// ([`step_list`]), lists of plain values by the values, so a step inserted anywhere is one `add`
/// and the steps after it are unchanged; where as many elements are removed as added in one
/// place, they are paired and compared element by element (a step that runs another import).
/// Other lists are compared position by position.
pub(crate) fn element_changes(
    changes: &mut Vec<FieldChange>,
    kind: Kind,
    path: &FieldPath,
    pattern: &str,
    live: Option<&Value>,
    desired: &Value,
    drift: bool,
) {
    match (live, desired) {
        (None, _) => added_changes(changes, path, pattern, desired, drift),
        (Some(live), desired) if same(live, desired) => {}
        (Some(Value::Array(live_items)), Value::Array(desired_items)) => {
            let keyed = if is_mapping_list(pattern) {
                rows_by_generate(live_items).zip(rows_by_generate(desired_items))
            } else {
                None
            };
            match keyed {
                Some((live_rows, _)) => keyed_changes(
                    changes,
                    kind,
                    path,
                    pattern,
                    live_items,
                    &live_rows,
                    desired_items,
                    drift,
                ),
                None => {
                    let aligned = match step_list(kind, pattern) {
                        Some(list) => {
                            let live_keys: Vec<_> =
                                live_items.iter().map(|item| list.identity(item)).collect();
                            let desired_keys: Vec<_> =
                                desired_items.iter().map(|item| list.identity(item)).collect();
                            // A step takes another's place only when it runs the same kind of
                            // resource (an import for an import).
                            let same_field = |old: usize, new: usize| {
                                live_keys[old].map(|(field, _)| field)
                                    == desired_keys[new].map(|(field, _)| field)
                            };
                            pair_replacements(align(&live_keys, &desired_keys), same_field)
                        }
                        None if live_items.iter().chain(desired_items).all(is_scalar) => {
                            pair_replacements(align(live_items, desired_items), |_, _| true)
                        }
                        None => positions(live_items.len(), desired_items.len()),
                    };
                    let list = List { path, pattern, live: live_items, desired: desired_items };
                    list_changes(changes, kind, &list, &aligned, drift);
                }
            }
        }
        (Some(Value::Object(live_object)), Value::Object(desired_object)) => {
            for (key, desired_child) in desired_object {
                let child_path = path.key(key);
                let child_pattern = child_pattern(pattern, key);
                element_changes(
                    changes,
                    kind,
                    &child_path,
                    &child_pattern,
                    live_object.get(key),
                    desired_child,
                    drift,
                );
            }
            for (key, live_child) in live_object {
                if !desired_object.contains_key(key) {
                    push(changes, path.key(key), FieldOp::Remove, Some(live_child), None, drift);
                }
            }
        }
        (Some(live), desired) => {
            push(changes, path.clone(), FieldOp::Replace, Some(live), Some(desired), drift)
        }
    }
}

/// The lists of a flow whose elements have an identity: the steps (what each runs), routers
/// (their `id`) and branches (their `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepList {
    /// `pageGenerators`: by `_exportId`.
    Sources,
    /// `pageProcessors`, and a branch's: by `_importId` or `_exportId`.
    Processors,
    /// `routers`: by `id`.
    Routers,
    /// A router's `branches`: by `name`.
    Branches,
}

impl StepList {
    /// What identifies an element of the list: the field that names it and its value, or `None`
    /// for an element without one (an unfinished step), which matches another such element.
    pub(crate) fn identity(self, item: &Value) -> Option<(&'static str, &Value)> {
        let fields: &[&'static str] = match self {
            StepList::Sources => &["_exportId"],
            StepList::Processors => &["_importId", "_exportId"],
            StepList::Routers => &["id"],
            StepList::Branches => &["name"],
        };
        let object = item.as_object()?;
        fields.iter().find_map(|field| {
            object.get(*field).filter(|value| !value.is_absent()).map(|value| (*field, value))
        })
    }
}

/// The step list a flow's list at the index-free `pattern` is, if it is one.
pub(crate) fn step_list(kind: Kind, pattern: &str) -> Option<StepList> {
    if kind != Kind::Flow {
        return None;
    }
    match pattern {
        "pageGenerators" => Some(StepList::Sources),
        "pageProcessors" | "routers.branches.pageProcessors" => Some(StepList::Processors),
        "routers" => Some(StepList::Routers),
        "routers.branches" => Some(StepList::Branches),
        _ => None,
    }
}

/// Whether a list element is one value (not a list or an object): lists of such values, like a
/// flow's `_runNextFlowIds`, are aligned by the values themselves.
fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// The positional alignment of two lists: element N with element N, the rest added or removed.
fn positions(live: usize, desired: usize) -> Vec<Aligned> {
    let common = live.min(desired);
    (0..common)
        .map(|index| Aligned::Both(index, index))
        .chain((common..live).map(Aligned::Old))
        .chain((common..desired).map(Aligned::New))
        .collect()
}

/// Both versions of one list.
struct List<'a> {
    path: &'a FieldPath,
    pattern: &'a str,
    live: &'a [Value],
    desired: &'a [Value],
}

/// The changes of an aligned list, in the order that applies them (see [`element_changes`]):
/// removals from the highest live index down, then additions and changes inside kept elements
/// in desired order.
fn list_changes(
    changes: &mut Vec<FieldChange>,
    kind: Kind,
    list: &List<'_>,
    aligned: &[Aligned],
    drift: bool,
) {
    for entry in aligned.iter().rev() {
        if let Aligned::Old(index) = *entry {
            let element = list.path.index(index);
            push(changes, element, FieldOp::Remove, list.live.get(index), None, drift);
        }
    }
    for entry in aligned {
        match *entry {
            Aligned::Old(_) => {}
            Aligned::New(index) => {
                let element = list.path.index(index);
                push(changes, element, FieldOp::Add, None, list.desired.get(index), drift);
            }
            Aligned::Both(live_index, desired_index) => {
                if let (Some(live), Some(desired)) =
                    (list.live.get(live_index), list.desired.get(desired_index))
                {
                    element_changes(
                        changes,
                        kind,
                        &list.path.index(desired_index),
                        list.pattern,
                        Some(live),
                        desired,
                        drift,
                    );
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn keyed_changes(
    changes: &mut Vec<FieldChange>,
    kind: Kind,
    path: &FieldPath,
    pattern: &str,
    live_items: &[Value],
    live_rows: &KeyHashMap<&str, &Value>,
    desired_items: &[Value],
    drift: bool,
) {
    let before = changes.len();
    let mut desired_keys = KeyHashSet::default();
    for row in desired_items {
        let Some(generate) =
            row.as_object().and_then(|object| object.get("generate")).and_then(Value::as_str)
        else {
            continue;
        };
        desired_keys.insert(generate);
        let row_path = path.keyed("generate", generate);
        match live_rows.get(generate) {
            Some(live_row) => {
                element_changes(changes, kind, &row_path, pattern, Some(live_row), row, drift)
            }
            None => push(changes, row_path, FieldOp::Add, None, Some(row), drift),
        }
    }
    for row in live_items {
        let Some(generate) =
            row.as_object().and_then(|object| object.get("generate")).and_then(Value::as_str)
        else {
            continue;
        };
        if !desired_keys.contains(generate) {
            push(
                changes,
                path.keyed("generate", generate),
                FieldOp::Remove,
                Some(row),
                None,
                drift,
            );
        }
    }
    if changes.len() == before {
        // Same rows in another order: the order is the change.
        let live = Value::Array(live_items.to_vec());
        let desired = Value::Array(desired_items.to_vec());
        push(changes, path.clone(), FieldOp::Replace, Some(&live), Some(&desired), drift);
    }
}

/// A value that is new at `path`: a non-empty list is shown element by element (mapping rows by
/// `generate`), anything else as one value.
fn added_changes(
    changes: &mut Vec<FieldChange>,
    path: &FieldPath,
    pattern: &str,
    value: &Value,
    drift: bool,
) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            let keyed = is_mapping_list(pattern) && rows_by_generate(items).is_some();
            for (index, item) in items.iter().enumerate() {
                let element = match item
                    .as_object()
                    .and_then(|row| row.get("generate"))
                    .and_then(Value::as_str)
                {
                    Some(generate) if keyed => path.keyed("generate", generate),
                    _ => path.index(index),
                };
                push(changes, element, FieldOp::Add, None, Some(item), drift);
            }
        }
        _ => push(changes, path.clone(), FieldOp::Add, None, Some(value), drift),
    }
}

/// The field list of a create or clone: every leaf of the body as written, lists element by
/// element; leaves holding a secret are sensitive.
pub(crate) fn creation_fields(desired: &DesiredResource) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for (path, value) in body_leaves(&desired.body) {
        if value.contains_secret() || has_unresolved_secret(value) {
            changes.push(FieldChange::new(path, FieldOp::Add, None, None).sensitive());
        } else {
            added_changes(&mut changes, &path, &pattern_of(&path), value, false);
        }
    }
    changes
}
