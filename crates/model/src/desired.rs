//! The desired state: what the spec says the account should hold.

use std::path::PathBuf;

use indexmap::IndexMap;

use crate::kind::{Address, Kind};
use crate::lookup::{DataAddress, DataLookup};
use crate::path::FieldPath;
use crate::value::{Object, Value};

/// Where something was written in the spec, for messages outside the spec crate
/// (a plan error that names the resource's location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The spec file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A reference to another managed resource or a literal 24-hex id of an unmanaged one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefOrId {
    /// `${KIND.KEY}`.
    Ref(Address),
    /// A literal id.
    Id(String),
}

/// flowform's own directives for one resource (`lifecycle:`); never sent to the API.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lifecycle {
    /// Create by cloning this resource (same kind) instead of `POST /{kind}`.
    pub clone_from: Option<RefOrId>,
    /// `connectionMap` sent with the clone: source connection → target connection.
    /// `None` when not written (flowform then self-maps for flows).
    pub connection_map: Option<Vec<(RefOrId, RefOrId)>>,
    /// Any plan that deletes this resource fails.
    pub prevent_destroy: bool,
    /// Paths whose live value is never diffed or written.
    pub ignore_changes: Vec<FieldPath>,
    /// Adopt a live resource of the same kind and name when not in state.
    pub adopt: bool,
    /// For integrations: flow groups renamed in the spec, `(old name, new name)` (a group
    /// written `{name: NEW, renamedFrom: OLD}` under `flowGroups`). The live group of the old
    /// name keeps its id (and its flows) under the new name.
    pub flow_group_renames: Vec<(String, String)>,
}

/// One resource as the spec wants it, fully resolved (variables and environment substituted,
/// `contentFile` read), with references kept as [`Value::Ref`] and secrets as
/// [`Value::Secret`].
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredResource {
    /// `KIND.KEY`.
    pub address: Address,
    /// The body in the API's field names, without `lifecycle` and without server-owned fields.
    pub body: Object,
    /// flowform's directives.
    pub lifecycle: Lifecycle,
    /// Where the resource's key was written.
    pub origin: Option<Origin>,
}

impl DesiredResource {
    /// The resource kind.
    pub fn kind(&self) -> Kind {
        self.address.kind
    }

    /// The `name` field, if it is a plain string.
    pub fn name(&self) -> Option<&str> {
        self.body.get("name").and_then(Value::as_str)
    }

    /// The body as one [`Value::Object`] (cloned).
    pub fn body_value(&self) -> Value {
        Value::Object(self.body.clone())
    }
}

/// A `moved` entry: the resource once at `from` is now at `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The old address.
    pub from: Address,
    /// The new address.
    pub to: Address,
    /// Where the entry was written.
    pub origin: Option<Origin>,
}

/// Everything the spec declares, resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesiredState {
    /// Resources by address, in spec order.
    pub resources: IndexMap<Address, DesiredResource>,
    /// Renames.
    pub moved: Vec<Moved>,
    /// The `data:` section: resources found in the account, not managed.
    pub lookups: IndexMap<DataAddress, DataLookup>,
    /// Lookup caches whose data the spec manages (`dataFile:`), by address.
    pub data_files: std::collections::BTreeMap<Address, crate::lookup_data::DataFile>,
}

impl DesiredState {
    /// The resource at `address`.
    pub fn get(&self, address: &Address) -> Option<&DesiredResource> {
        self.resources.get(address)
    }

    /// Resources of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &DesiredResource> {
        self.resources.values().filter(move |resource| resource.address.kind == kind)
    }
}
