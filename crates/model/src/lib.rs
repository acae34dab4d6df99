//! flowform's domain model: resource kinds and addresses, resource bodies with references and
//! secrets, the desired state (from the spec), the applied state (what flowform last wrote),
//! the live state (what the account holds) and the plan.
//!
//! This crate owns the vocabulary every other crate speaks. It must never do IO, never depend
//! on a sibling crate, and never know a serialisation format other than the JSON values the
//! API documents are made of.
#![warn(missing_docs)]

pub mod copies;
pub mod desired;
pub mod fields;
pub mod fingerprint;
pub mod kind;
pub mod live;
pub mod lookup;
pub mod lookup_data;
pub mod path;
pub mod pictures;
pub mod plan;
pub mod references;
pub mod region;
pub mod state;
pub mod value;

pub use desired::{DesiredResource, DesiredState, Lifecycle, Moved, Origin, RefOrId};
pub use kind::{Address, AddressError, KeyError, Kind, natural_cmp, slug, validate_key};
pub use live::{LiveResource, LiveState};
pub use lookup::{DataAddress, DataLookup, FoundLookup, Lookup, LookupKind};
pub use lookup_data::{DataChange, DataFormat};
pub use path::{FieldPath, KeyedElement, PathError, Segment};
pub use pictures::{FlowBodies, FlowPictures};
pub use plan::{
    Action, ActionKind, Change, CloneCopy, Dependency, FieldChange, FieldOp, OutsideChange,
    OutsideField, Plan, PlanProblem, StateChange, StateFlag, Summary,
};
pub use region::{Region, RegionError};
pub use state::{
    BASELINE_RULES, LifecycleFlags, LiveBaseline, PendingCreate, ResourceState,
    STATE_FORMAT_VERSION, SecretRecord, State, UNKNOWN_FINGERPRINT, UNVERIFIED_PREFIX,
};
pub use value::{
    KeyHashMap, KeyHashSet, KeyHasher, MASK, MASK_MIN_LENGTH, Object, SecretValue, ToJsonError,
    Value, is_mask_text,
};
