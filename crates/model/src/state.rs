//! The applied state: which live `_id` each address is bound to and what flowform last wrote.
//!
//! The state never holds field values. It keeps, per resource, the paths flowform wrote with a
//! salted digest of each value (so the diff can tell whether the spec changed at a path since
//! the last apply, which is how drift is told apart from an edit), a digest of the whole
//! desired body, HMAC fingerprints of secret values, and a [`LiveBaseline`]: a salted digest of
//! every leaf of the live document as flowform last accepted it, so a change made outside
//! flowform is found in any field, named by the spec or not. Serialisation lives in
//! `flowform-exec`.

use std::collections::BTreeMap;

use crate::desired::Lifecycle;
use crate::kind::{Address, Kind};
use crate::path::FieldPath;

/// The newest state format this build reads and writes. Version 2 is version 1's document whose
/// local journal may carry serial lines (it is folded in lazily); version 1 is still written
/// where there is no journal (the account's State API), and read everywhere.
pub const STATE_FORMAT_VERSION: u32 = 2;

/// The fingerprint recorded for a secret whose live value flowform never wrote (after `pull` or
/// `import`): nothing is known of it. The diff plans no change for it on its own, and lists it
/// as an unverified sensitive change whenever the resource is written anyway (the write sends
/// the spec's value). The next apply records the spec's fingerprint as an unverified baseline
/// ([`UNVERIFIED_PREFIX`]), so a later change of the spec's secret shows.
pub const UNKNOWN_FINGERPRINT: &str = "unknown";

/// The prefix of a baseline fingerprint: the spec's secret at an apply that did not write it.
/// Like [`UNKNOWN_FINGERPRINT`] it says nothing about the live value; unlike it, a change of the
/// spec's secret since then is seen. States written before this prefix existed recorded
/// baselines as plain fingerprints; those read as written (verified).
pub const UNVERIFIED_PREFIX: &str = "unverified:";

/// What a recorded secret fingerprint says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretRecord<'a> {
    /// flowform wrote a value with this fingerprint.
    Written(&'a str),
    /// Never verified, with the fingerprint of the spec's secret at the last apply.
    Unverified(&'a str),
    /// Never verified, nothing known ([`UNKNOWN_FINGERPRINT`]).
    Unknown,
}

impl<'a> SecretRecord<'a> {
    /// Reads a recorded fingerprint.
    pub fn of(recorded: &'a str) -> SecretRecord<'a> {
        if recorded == UNKNOWN_FINGERPRINT {
            SecretRecord::Unknown
        } else if let Some(baseline) = recorded.strip_prefix(UNVERIFIED_PREFIX) {
            SecretRecord::Unverified(baseline)
        } else {
            SecretRecord::Written(recorded)
        }
    }

    /// Whether flowform never verified the live value.
    pub fn is_unverified(self) -> bool {
        !matches!(self, SecretRecord::Written(_))
    }
}

/// The state of one managed resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceState {
    /// The live `_id`.
    pub id: String,
    /// Paths flowform wrote at the last apply, each with the salted digest of the value written
    /// (see [`crate::fingerprint::value_digest`]).
    pub applied_paths: BTreeMap<FieldPath, String>,
    /// Digest of the whole normalised desired body at the last apply.
    pub digest: String,
    /// Salted HMAC-SHA-256 fingerprints of secret (and masked) values at the last apply.
    pub secret_fingerprints: BTreeMap<FieldPath, String>,
    /// The live `lastModified` seen right after the last apply.
    pub last_modified: Option<String>,
    /// `lifecycle.preventDestroy` as of the last apply, kept so that removing the resource
    /// from the spec cannot silently delete a protected resource.
    pub prevent_destroy: bool,
    /// `lifecycle.ignoreChanges` as of the last apply (so an edit of it alone is recorded).
    pub ignore_changes: Vec<FieldPath>,
    /// `lifecycle.adopt` as of the last apply (so an edit of it alone is recorded).
    pub adopt: bool,
    /// For a resource the service made while cloning another one (an export or import copied
    /// by a flow clone): the clone's address. Such a copy is managed without being in the spec:
    /// kept while its owner is in the spec and uses it, deleted otherwise (and with its
    /// owner). `None` for everything the spec declares, adopts or imports.
    pub owner: Option<Address>,
    /// The live document as flowform last accepted it (after its own write, `pull`, `import`,
    /// an adoption or `apply --refresh-only`); `None` in states written before baselines
    /// existed, until the next apply records one.
    pub live: Option<LiveBaseline>,
}

impl ResourceState {
    /// The lifecycle flags this entry records, as the state keeps them.
    pub fn lifecycle_flags(&self) -> LifecycleFlags {
        LifecycleFlags {
            prevent_destroy: self.prevent_destroy,
            ignore_changes: self.ignore_changes.clone(),
            adopt: self.adopt,
            owner: self.owner.clone(),
        }
    }

    /// Sets the lifecycle flags (after the resource was written, bound or re-recorded).
    pub fn set_lifecycle_flags(&mut self, flags: LifecycleFlags) {
        self.prevent_destroy = flags.prevent_destroy;
        self.ignore_changes = flags.ignore_changes;
        self.adopt = flags.adopt;
        self.owner = flags.owner;
    }
}

/// What the state records of a resource's `lifecycle` (and of who owns it), compared with the
/// spec's to find lifecycle-only edits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleFlags {
    /// `preventDestroy`.
    pub prevent_destroy: bool,
    /// `ignoreChanges`, in the spec's order.
    pub ignore_changes: Vec<FieldPath>,
    /// `adopt`.
    pub adopt: bool,
    /// The clone that made the resource (see [`ResourceState::owner`]).
    pub owner: Option<Address>,
}

impl LifecycleFlags {
    /// The flags a spec resource's lifecycle gives (no owner: the spec declares it).
    pub fn of(lifecycle: &Lifecycle) -> LifecycleFlags {
        LifecycleFlags {
            prevent_destroy: lifecycle.prevent_destroy,
            ignore_changes: lifecycle.ignore_changes.clone(),
            adopt: lifecycle.adopt,
            owner: None,
        }
    }
}

/// Digests of a live document as flowform last accepted it: what `plan --refresh-only`
/// compares the account with to find changes made outside flowform. Digests only, never values.
///
/// The document is normalised first (server-owned and volatile fields, `null`s, empty objects
/// and server defaults dropped; ids kept as they are, so renaming an address changes nothing),
/// then every leaf (objects are walked, arrays are leaves, as [`crate::Value::leaves`]) gets a
/// salted digest ([`crate::fingerprint::value_digest`]), the digest `applied_paths` uses too.
///
/// The leaves are kept relative to the entry's `applied_paths`: most leaves of a document are
/// values flowform wrote and the account kept, whose digest is the applied one, so only the
/// others are stored. [`LiveBaseline::leaves`] gives them all back. A baseline therefore belongs
/// to the `applied_paths` it was made with, and is made anew whenever they change.
///
/// A baseline also records the version of the normalisation rules it was made with
/// ([`BASELINE_RULES`]): when a flowform release changes what normalisation keeps (issue 13 put
/// the service's rewrites, generated keys and empty lists into it), leaves made by older rules
/// would differ from the account's for ever. Such a baseline is [`LiveBaseline::is_current`]
/// `false`: it still tells an unchanged document by its whole-document digest, counts as no
/// baseline for a document that changed, and the next apply makes it anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveBaseline {
    /// The leaves whose digest is not the applied one at the same path (or that flowform never
    /// applied), with their digest; an applied path the live document does not have, with
    /// `None`. Every other applied path is a leaf whose digest is the applied one. Sorted by
    /// path, each path once (a vector at its exact size: a state holds one per resource, and a
    /// map's first node alone would take more than the few entries it holds).
    pub paths: Vec<(FieldPath, Option<String>)>,
    /// A salted digest of the whole document as the API returned it, without its server-owned
    /// fields ([`crate::fingerprint::document_digest`]), when the leaves are exactly its leaves:
    /// a document with this digest has not changed, and its leaves need no digests. `None` when
    /// some leaves were kept from an earlier baseline (changes made outside flowform that a
    /// write carried along but nobody accepted yet).
    pub digest: Option<String>,
    /// The live `lastModified` of that document. A script's `content` (which lists leave out)
    /// is only compared once the live `lastModified` moved past it.
    pub last_modified: Option<String>,
    /// The version of the normalisation rules the leaves were made with ([`BASELINE_RULES`]
    /// for every baseline this build makes; 1 for baselines written before the version was
    /// recorded).
    pub rules: u32,
}

/// The version of the normalisation rules live baselines are made with. 1: the rules of issue
/// 15 (server-owned fields, `null`s, empty objects and server defaults dropped); 2: also the
/// service's rewrites, read-only fields, generated keys, copies and empty lists (issue 13).
/// Raise it whenever `flowform_diff::normalize_live` changes what it keeps or how it writes a
/// value.
pub const BASELINE_RULES: u32 = 2;

impl Default for LiveBaseline {
    fn default() -> LiveBaseline {
        LiveBaseline { paths: Vec::new(), digest: None, last_modified: None, rules: BASELINE_RULES }
    }
}

impl LiveBaseline {
    /// A baseline of these leaves (every leaf with its digest), kept relative to `applied`.
    pub fn new(
        leaves: BTreeMap<FieldPath, String>,
        applied: &BTreeMap<FieldPath, String>,
        digest: Option<String>,
        last_modified: Option<String>,
    ) -> LiveBaseline {
        let mut paths: Vec<(FieldPath, Option<String>)> = applied
            .keys()
            .filter(|path| !leaves.contains_key(*path))
            .map(|path| (path.clone(), None))
            .collect();
        for (path, leaf) in leaves {
            if applied.get(&path) != Some(&leaf) {
                paths.push((path, Some(leaf)));
            }
        }
        LiveBaseline::from_parts(paths, digest, last_modified)
    }

    /// A baseline from its stored parts (`paths` in any order; for a path given twice, the last
    /// one counts).
    pub fn from_parts(
        mut paths: Vec<(FieldPath, Option<String>)>,
        digest: Option<String>,
        last_modified: Option<String>,
    ) -> LiveBaseline {
        paths.reverse();
        paths.sort_by(|left, right| left.0.cmp(&right.0));
        paths.dedup_by(|later, earlier| later.0 == earlier.0);
        paths.shrink_to_fit();
        LiveBaseline { paths, digest, last_modified, rules: BASELINE_RULES }
    }

    /// The same baseline, recorded as made with the normalisation rules of version `rules`
    /// (a baseline read back from a state).
    #[must_use]
    pub fn with_rules(mut self, rules: u32) -> LiveBaseline {
        self.rules = rules;
        self
    }

    /// Whether the baseline was made with this build's normalisation rules
    /// ([`BASELINE_RULES`]), so its leaves can be compared with the account's.
    pub fn is_current(&self) -> bool {
        self.rules == BASELINE_RULES
    }

    /// The same baseline, kept relative to `to` instead of `from` (the entry's `applied_paths`
    /// changed, and the live document did not: a state-only record).
    pub fn rebased(
        &self,
        from: &BTreeMap<FieldPath, String>,
        to: &BTreeMap<FieldPath, String>,
    ) -> LiveBaseline {
        let leaves = self
            .leaves(from)
            .into_iter()
            .map(|(path, digest)| (path.clone(), digest.to_owned()))
            .collect();
        LiveBaseline::new(leaves, to, self.digest.clone(), self.last_modified.clone())
            .with_rules(self.rules)
    }

    /// Whether `path` is one of the stored paths.
    fn stores(&self, path: &FieldPath) -> bool {
        self.paths.binary_search_by(|(stored, _)| stored.cmp(path)).is_ok()
    }

    /// Every leaf with its digest, in path order, given the `applied_paths` the baseline was
    /// made with.
    pub fn leaves<'a>(
        &'a self,
        applied: &'a BTreeMap<FieldPath, String>,
    ) -> BTreeMap<&'a FieldPath, &'a str> {
        let mut leaves: BTreeMap<&FieldPath, &str> = applied
            .iter()
            .filter(|(path, _)| !self.stores(path))
            .map(|(path, digest)| (path, digest.as_str()))
            .collect();
        for (path, digest) in &self.paths {
            if let Some(digest) = digest {
                leaves.insert(path, digest);
            }
        }
        leaves
    }
}

/// A create that was sent but whose outcome was not yet recorded (write-ahead record).
/// On the next run the planner looks for a live resource of this kind and name created after
/// `started_at` and adopts it instead of creating a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCreate {
    /// The address being created.
    pub address: Address,
    /// The kind (redundant with the address, kept for clarity in the file).
    pub kind: Kind,
    /// The `name` sent.
    pub name: String,
    /// For flows, the `_integrationId` sent, which narrows the search.
    pub integration_id: Option<String>,
    /// When the request was about to be sent (RFC 3339, UTC, milliseconds).
    pub started_at: String,
}

/// The state document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Format version, [`STATE_FORMAT_VERSION`] for new states.
    pub version: u32,
    /// Random id fixed when the state is first created; a saved plan records it.
    pub lineage: String,
    /// Incremented on every write; a saved plan records it.
    pub serial: u64,
    /// What the state is bound to (the endpoint and account), so a state is never used
    /// against another account by mistake.
    pub target: String,
    /// Hex salt for digests and fingerprints, random per lineage.
    pub salt: String,
    /// Managed resources.
    pub resources: BTreeMap<Address, ResourceState>,
    /// Creates in flight (write-ahead records).
    pub pending: Vec<PendingCreate>,
}

impl State {
    /// A new, empty state.
    pub fn new(lineage: String, target: String, salt: String) -> State {
        State {
            version: STATE_FORMAT_VERSION,
            lineage,
            serial: 0,
            target,
            salt,
            resources: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// The state of the resource at `address`.
    pub fn get(&self, address: &Address) -> Option<&ResourceState> {
        self.resources.get(address)
    }

    /// The copies `owner`'s clone made that the state manages (see [`ResourceState::owner`]).
    pub fn copies_of<'a>(
        &'a self,
        owner: &'a Address,
    ) -> impl Iterator<Item = (&'a Address, &'a ResourceState)> + 'a {
        self.resources.iter().filter(move |(_, resource)| resource.owner.as_ref() == Some(owner))
    }

    /// The address bound to a live id, if any.
    pub fn address_of(&self, id: &str) -> Option<&Address> {
        self.resources.iter().find(|(_, resource)| resource.id == id).map(|(address, _)| address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(entries: &[(&str, &str)]) -> BTreeMap<FieldPath, String> {
        entries.iter().map(|(path, digest)| (path.parse().unwrap(), (*digest).to_owned())).collect()
    }

    #[test]
    fn baselines_keep_only_what_differs_from_the_applied_paths() {
        let applied = paths(&[("name", "a"), ("_connectionId", "r"), ("settings.gone", "g")]);
        let leaves = paths(&[("name", "a"), ("_connectionId", "i"), ("filter.type", "f")]);
        let baseline = LiveBaseline::new(leaves.clone(), &applied, None, None);
        let kept: Vec<(String, Option<&str>)> = baseline
            .paths
            .iter()
            .map(|(path, digest)| (path.to_string(), digest.as_deref()))
            .collect();
        assert_eq!(
            kept,
            [
                ("_connectionId".to_owned(), Some("i")),
                ("filter.type".to_owned(), Some("f")),
                ("settings.gone".to_owned(), None),
            ]
        );
        let back: BTreeMap<FieldPath, String> = baseline
            .leaves(&applied)
            .into_iter()
            .map(|(path, digest)| (path.clone(), digest.to_owned()))
            .collect();
        assert_eq!(back, leaves);
    }
}
