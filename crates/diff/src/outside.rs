//! Changes made outside flowform, in any field: the live baseline the state keeps (salted
//! digests of every leaf of a live document as flowform last accepted it), and the comparison
//! of the account with it (`plan --refresh-only`, and the ordinary plan's note).
//!
//! A baseline is taken from the normalised document ([`crate::normalize_live`] without id
//! mapping: server-owned and volatile fields, `null`s, empty objects and server defaults
//! dropped, ids kept as they are so that renaming an address changes nothing). Only digests are
//! kept, so a change shows the live value now and never the one before.

use std::collections::{BTreeMap, BTreeSet};

use flowform_model::fields::{SERVER_OWNED_ALL, is_write_only, server_owned, withhold_write_only};
use flowform_model::fingerprint::{document_digest, value_digest};
use flowform_model::{
    Address, DesiredResource, FieldOp, FieldPath, Kind, LiveBaseline, LiveResource, LiveState,
    OutsideChange, OutsideField, Plan, ResourceState, State, Value,
};

use crate::compare::contains_mask;
use crate::leaves::desired_leaves;
use crate::normalize::{ManagedIds, normalize_live, normalize_live_node};

/// The field scripts keep their source in; lists leave it out.
const CONTENT: &str = "content";

/// The baseline of a live document as it is, for the state entry `entry` (relative to its
/// `applied_paths`): what `pull`, `import`, an adoption and `apply --refresh-only` record.
///
/// A script document without `content` (a list entry whose source was not read) keeps the
/// `content` digest of the entry's earlier baseline, since its source is unknown, not gone.
pub fn live_baseline(
    kind: Kind,
    salt: &str,
    document: &Value,
    entry: &ResourceState,
) -> LiveBaseline {
    let (leaves, digest, last_modified) = whole_baseline(kind, salt, document, Some(entry));
    LiveBaseline::new(leaves, &entry.applied_paths, digest, last_modified)
}

/// Every leaf digest of a document, its quick digest and its `lastModified` (see
/// [`live_baseline`]).
fn whole_baseline(
    kind: Kind,
    salt: &str,
    document: &Value,
    previous: Option<&ResourceState>,
) -> (BTreeMap<FieldPath, String>, Option<String>, Option<String>) {
    let normalized = normalize(kind, document);
    let mut leaves = leaf_digests(salt, &normalized);
    let mut digest = Some(quick_digest(&OwnedFields::of(kind), salt, document));
    let last_modified = document.field("lastModified").and_then(Value::as_str).map(str::to_owned);
    if kind == Kind::Script && normalized.field(CONTENT).is_none() {
        digest = None;
        let content = FieldPath::from_keys([CONTENT]);
        let earlier = previous.and_then(|previous| {
            let baseline = previous.live.as_ref().filter(|live| live.is_current())?;
            baseline
                .leaves(&previous.applied_paths)
                .get(&content)
                .map(|digest| (*digest).to_owned())
        });
        if let Some(earlier) = earlier {
            leaves.insert(content, earlier);
        }
    }
    (leaves, digest, last_modified)
}

/// The baseline after flowform wrote `desired`: the document the write returned (`written`),
/// except for fields that had changed outside flowform before the write and that the write did
/// not set. A write sends the whole document, so it carries such changes along; they keep
/// their earlier digests (and so stay "changed outside flowform") until
/// `apply --refresh-only` accepts them, or the spec takes them over.
///
/// `before` is the live document the write started from (`None` for a create), `previous` the
/// state entry before the write, `recorded` the entry after it (its `applied_paths`, which the
/// baseline is kept relative to).
pub fn baseline_after_write(
    desired: &DesiredResource,
    salt: &str,
    before: Option<&Value>,
    written: &Value,
    previous: Option<&ResourceState>,
    recorded: &ResourceState,
) -> LiveBaseline {
    let kind = desired.kind();
    let (mut leaves, mut digest, last_modified) = whole_baseline(kind, salt, written, previous);
    // A baseline made by older normalisation rules is not carried over: its leaves would never
    // match the written document's.
    let earlier = previous
        .and_then(|previous| {
            Some((
                previous.live.as_ref().filter(|live| live.is_current())?,
                &previous.applied_paths,
            ))
        })
        .map(|(baseline, applied)| baseline.leaves(applied));
    if let (Some(earlier), Some(before)) = (earlier, before) {
        let before = leaf_digests(salt, &normalize(kind, before));
        let paths: BTreeSet<&FieldPath> = earlier.keys().copied().chain(before.keys()).collect();
        let desired_leaves = desired_leaves(desired);
        let overlaps = |path: &FieldPath, other: &FieldPath| {
            path.starts_with(other) || other.starts_with(path)
        };
        let wrote = |path: &FieldPath| {
            desired_leaves.iter().any(|(leaf, _)| overlaps(path, leaf))
                || previous.is_some_and(|previous| {
                    previous.applied_paths.keys().any(|applied| overlaps(path, applied))
                })
        };
        for path in paths {
            let was = earlier.get(path).copied();
            if was == before.get(path).map(String::as_str) || wrote(path) {
                continue;
            }
            match was {
                Some(digest) => leaves.insert(path.clone(), digest.to_owned()),
                None => leaves.remove(path),
            };
            digest = None;
        }
    }
    LiveBaseline::new(leaves, &recorded.applied_paths, digest, last_modified)
}

/// A refresh-only plan: every managed resource changed or deleted outside flowform since its
/// baseline, and no change to the account. Pure, like [`crate::diff`].
pub fn refresh(state: &State, live: &LiveState) -> Plan {
    let ids = ManagedIds::from_state(state);
    let (changed_outside, without_baseline) = changed_outside(state, live, &ids);
    Plan { changed_outside, without_baseline, refresh_only: true, ..Plan::default() }
}

/// Every managed resource changed (or deleted) outside flowform since its baseline, in address
/// order, and the managed resources that have no baseline yet.
pub(crate) fn changed_outside(
    state: &State,
    live: &LiveState,
    ids: &ManagedIds,
) -> (Vec<OutsideChange>, Vec<Address>) {
    let mut changes = Vec::new();
    let mut without_baseline = Vec::new();
    let owned: Vec<OwnedFields> = Kind::ALL.iter().map(|kind| OwnedFields::of(*kind)).collect();
    for (address, entry) in &state.resources {
        let Some(live_resource) = live.get(address.kind, &entry.id) else {
            changes.push(OutsideChange {
                address: address.clone(),
                id: entry.id.clone(),
                name: None,
                live_last_modified: None,
                fields: Vec::new(),
                deleted: true,
            });
            continue;
        };
        let Some(baseline) = &entry.live else {
            without_baseline.push(address.clone());
            continue;
        };
        let owned = &owned[Kind::ALL.iter().position(|kind| *kind == address.kind).unwrap_or(0)];
        if !baseline.is_current() {
            // Made by older normalisation rules: where its leaves differ from today's, a change
            // made outside flowform cannot be told from a rule that changed (reported, it would
            // show for ever). The whole-document digest does not depend on the rules, so an
            // unchanged document is still told, and so is one whose leaves all match; any other
            // counts as having no baseline, and the next apply makes one.
            if !compare(address.kind, owned, &state.salt, (baseline, entry), live_resource, ids)
                .is_empty()
            {
                without_baseline.push(address.clone());
            }
            continue;
        }
        let fields =
            compare(address.kind, owned, &state.salt, (baseline, entry), live_resource, ids);
        if !fields.is_empty() {
            changes.push(OutsideChange {
                address: address.clone(),
                id: entry.id.clone(),
                name: live_resource.name.clone(),
                live_last_modified: live_resource.last_modified.clone(),
                fields,
                deleted: false,
            });
        }
    }
    (changes, without_baseline)
}

/// The fields of `live` that differ from `baseline`, in path order.
fn compare(
    kind: Kind,
    owned: &OwnedFields,
    salt: &str,
    (baseline, entry): (&LiveBaseline, &ResourceState),
    live: &LiveResource,
    ids: &ManagedIds,
) -> Vec<OutsideField> {
    if baseline
        .digest
        .as_deref()
        .is_some_and(|digest| digest == quick_digest(owned, salt, &live.document))
    {
        return Vec::new();
    }
    let normalized = normalize(kind, &live.document);
    let expected = baseline.leaves(&entry.applied_paths);
    // A script's source is known only when it was read since it last changed: when the live
    // `lastModified` moved past the baseline's (the planner reads it then).
    let content = FieldPath::from_keys([CONTENT]);
    let content_unknown = kind == Kind::Script
        && (normalized.field(CONTENT).is_none()
            || (live.last_modified.is_some() && live.last_modified == baseline.last_modified));
    let mut fields = Vec::new();
    let mut seen: BTreeSet<&FieldPath> = BTreeSet::new();
    let leaves = normalized.leaves();
    for (path, value) in &leaves {
        if content_unknown && *path == content {
            continue;
        }
        let op = match expected.get(path) {
            Some(digest) if *digest == value_digest(salt, value) => {
                seen.insert(path);
                continue;
            }
            Some(_) => FieldOp::Replace,
            None => FieldOp::Add,
        };
        seen.insert(path);
        fields.push(field(kind, path, op, Some(value), ids));
    }
    for path in expected.keys() {
        if seen.contains(path) || (content_unknown && **path == content) {
            continue;
        }
        fields.push(field(kind, path, FieldOp::Remove, None, ids));
    }
    fields.sort_by(|left, right| left.path.cmp(&right.path));
    fields
}

/// One changed field, its value shown with managed ids as references and never at a
/// write-only path or when masked.
fn field(
    kind: Kind,
    path: &FieldPath,
    op: FieldOp,
    value: Option<&Value>,
    ids: &ManagedIds,
) -> OutsideField {
    let sensitive = is_write_only(kind, path) || value.is_some_and(contains_mask);
    let value = value.filter(|_| !sensitive).map(|value| {
        let mut pattern = path.without_indexes();
        let mut shown =
            normalize_live_node(kind, value, ids, &mut pattern).unwrap_or_else(|| value.clone());
        withhold_write_only(kind, path, &mut shown);
        shown
    });
    OutsideField { path: path.clone(), op, value, sensitive }
}

/// The digest that tells at once that a document did not change: the document as the API
/// returned it, member order included, without its server-owned fields (`lastModified`,
/// `lastExecutedAt`, …). Streamed, nothing normalised: most documents of a plan did not change,
/// and a plan of 10,000 resources must stay fast. A document that differs from the one
/// recorded only in what normalisation drops (a `null`, an order) is compared leaf by leaf and
/// found unchanged.
fn quick_digest(owned: &OwnedFields, salt: &str, document: &Value) -> String {
    document_digest(salt, document, &|keys: &[&str]| owned.contains(keys))
}

/// The server-owned fields of a kind as key paths, for [`quick_digest`]'s skip test, which
/// runs for every member of every document.
struct OwnedFields {
    /// Top-level fields.
    top: Vec<&'static str>,
    /// Nested fields, as keys.
    nested: Vec<Vec<&'static str>>,
    /// The most keys a server-owned path has: deeper members are never skipped.
    depth: usize,
}

impl OwnedFields {
    fn of(kind: Kind) -> OwnedFields {
        let mut top: Vec<&'static str> = SERVER_OWNED_ALL.to_vec();
        let mut nested = Vec::new();
        for field in server_owned(kind) {
            let keys: Vec<&'static str> = field.split('.').collect();
            if keys.len() == 1 {
                top.push(field);
            } else {
                nested.push(keys);
            }
        }
        let depth = nested.iter().map(Vec::len).max().unwrap_or(1);
        OwnedFields { top, nested, depth }
    }

    fn contains(&self, keys: &[&str]) -> bool {
        match keys.len() {
            1 => self.top.contains(&keys[0]),
            length if length <= self.depth => {
                self.nested.iter().any(|owned| owned.as_slice() == keys)
            }
            _ => false,
        }
    }
}

/// The document as baselines see it: normalised, ids left as they are.
fn normalize(kind: Kind, document: &Value) -> Value {
    normalize_live(kind, document, &ManagedIds::new())
}

/// The salted digest of every leaf.
fn leaf_digests(salt: &str, normalized: &Value) -> BTreeMap<FieldPath, String> {
    normalized.leaves().into_iter().map(|(path, value)| (path, value_digest(salt, value))).collect()
}
