//! The applied state: which live `_id` each address is bound to and what flowform last wrote.
//!
//! The state never holds field values. It keeps, per resource, the paths flowform wrote with a
//! salted digest of each value (so the diff can tell whether the spec changed at a path since
//! the last apply, which is how drift is told apart from an edit), a digest of the whole
//! desired body, and HMAC fingerprints of secret values. Serialisation lives in `flowform-exec`.

use std::collections::BTreeMap;

use crate::desired::Lifecycle;
use crate::kind::{Address, Kind};
use crate::path::FieldPath;

/// The newest state format this build reads and writes.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// The fingerprint recorded for a secret whose live value flowform never wrote (after `pull` or
/// `import`): the diff assumes the spec's secret matches the live one, and the next apply records
/// the real fingerprint as the baseline, so later rotations are detected.
pub const UNKNOWN_FINGERPRINT: &str = "unknown";

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
