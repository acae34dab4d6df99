//! What a spec names without owning it: resources found by the `data:` section
//! (`${data.agent.warehouse}`), and flow groups named inside their integration.
//!
//! Both stand for a live id that only the account knows: a lookup's id is found at plan time
//! (by listing the collection and matching the criteria the spec gives), a flow group's when
//! its integration is written (the service assigns group ids). In a body they are a
//! [`crate::Value::Lookup`]; the diff maps live ids back to them, so plans, state digests and
//! pulled specs never carry the id itself.

use std::cmp::Ordering;
use std::fmt;

use crate::desired::Origin;
use crate::kind::{Kind, natural_cmp};
use crate::value::Value;

/// A collection a `data:` lookup searches: a kind flowform manages (a connection another team
/// manages, say), or one it only ever reads (on-premise agents, stacks: API §5.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LookupKind {
    /// A kind flowform manages elsewhere; the lookup finds one it does not.
    Managed(Kind),
    /// `/v1/agents`: on-premise agents.
    Agent,
    /// `/v1/stacks`: hook servers and Lambda functions.
    Stack,
}

impl LookupKind {
    /// Every lookup kind: the managed kinds in section order, then agents and stacks.
    pub fn all() -> impl Iterator<Item = LookupKind> {
        Kind::ALL.into_iter().map(LookupKind::Managed).chain([LookupKind::Agent, LookupKind::Stack])
    }

    /// The singular name used in references: `agent` in `${data.agent.KEY}`.
    pub fn singular(self) -> &'static str {
        match self {
            LookupKind::Managed(kind) => kind.singular(),
            LookupKind::Agent => "agent",
            LookupKind::Stack => "stack",
        }
    }

    /// The plural name: the key under `data:` and the API collection (`agents`).
    pub fn plural(self) -> &'static str {
        match self {
            LookupKind::Managed(kind) => kind.plural(),
            LookupKind::Agent => "agents",
            LookupKind::Stack => "stacks",
        }
    }

    /// The name used in prose: `agent`, `lookup cache`.
    pub fn described(self) -> &'static str {
        match self {
            LookupKind::Managed(kind) => kind.described(),
            other => other.singular(),
        }
    }

    /// Parses a singular name (`agent`).
    pub fn from_singular(name: &str) -> Option<LookupKind> {
        LookupKind::all().find(|kind| kind.singular() == name)
    }

    /// Parses a plural name (`agents`).
    pub fn from_plural(name: &str) -> Option<LookupKind> {
        LookupKind::all().find(|kind| kind.plural() == name)
    }

    /// The managed kind, when it is one.
    pub fn managed(self) -> Option<Kind> {
        match self {
            LookupKind::Managed(kind) => Some(kind),
            _ => None,
        }
    }
}

impl fmt::Display for LookupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.singular())
    }
}

/// The address of a lookup: `data.agent.warehouse`. Orders by kind, then by key in natural order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataAddress {
    /// What is searched.
    pub kind: LookupKind,
    /// The key under `data: {PLURAL: {KEY: …}}`.
    pub key: String,
}

impl DataAddress {
    /// Builds an address (the key is not validated).
    pub fn new(kind: LookupKind, key: impl Into<String>) -> DataAddress {
        DataAddress { kind, key: key.into() }
    }
}

impl Ord for DataAddress {
    fn cmp(&self, other: &DataAddress) -> Ordering {
        self.kind.cmp(&other.kind).then_with(|| natural_cmp(&self.key, &other.key))
    }
}

impl PartialOrd for DataAddress {
    fn partial_cmp(&self, other: &DataAddress) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DataAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data.{}.{}", self.kind.singular(), self.key)
    }
}

/// A value that stands for an id only the account knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// `${data.KIND.KEY}`: the id of the live resource the `data:` lookup finds.
    Data(DataAddress),
    /// A flow's `flowGroup: NAME`: the `_id` of the group of that name in the flow's
    /// integration (its `_flowGroupingId`).
    FlowGroup(String),
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lookup::Data(address) => write!(f, "${{{address}}}"),
            Lookup::FlowGroup(name) => write!(f, "flow group {name:?}"),
        }
    }
}

/// One entry of the `data:` section: what to find.
#[derive(Debug, Clone, PartialEq)]
pub struct DataLookup {
    /// `data.KIND.KEY`.
    pub address: DataAddress,
    /// Top-level fields and the values the resource must hold, every one (`name: Warehouse`).
    pub criteria: Vec<(String, Value)>,
    /// Where the entry's key was written.
    pub origin: Option<Origin>,
}

impl DataLookup {
    /// Whether a live document matches every criterion (scalars compared as JSON values).
    pub fn matches(&self, document: &Value) -> bool {
        self.criteria.iter().all(|(field, wanted)| {
            document.field(field).is_some_and(|found| crate::lookup::same_scalar(found, wanted))
        })
    }

    /// The criteria as written, for messages: `name: "Warehouse agent"`.
    pub fn describe(&self) -> String {
        self.criteria
            .iter()
            .map(|(field, value)| format!("{field}: {value:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Scalars compare as JSON values (numbers by value).
fn same_scalar(found: &Value, wanted: &Value) -> bool {
    match (found, wanted) {
        (Value::Number(found), Value::Number(wanted)) => {
            found == wanted || found.as_f64().zip(wanted.as_f64()).is_some_and(|(a, b)| a == b)
        }
        _ => found == wanted,
    }
}

/// What a lookup found in the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLookup {
    /// The lookup.
    pub address: DataAddress,
    /// The live `_id`.
    pub id: String,
    /// The live `name`, when it has one.
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_addresses_and_matching() {
        assert_eq!(LookupKind::from_singular("agent"), Some(LookupKind::Agent));
        assert_eq!(
            LookupKind::from_plural("connections"),
            Some(LookupKind::Managed(Kind::Connection))
        );
        assert_eq!(LookupKind::from_plural("agent"), None);
        let address = DataAddress::new(LookupKind::Agent, "warehouse");
        assert_eq!(address.to_string(), "data.agent.warehouse");
        assert_eq!(Lookup::Data(address.clone()).to_string(), "${data.agent.warehouse}");
        let lookup = DataLookup {
            address,
            criteria: vec![
                ("name".into(), Value::String("Warehouse".into())),
                ("port".into(), Value::Number(8080.into())),
            ],
            origin: None,
        };
        let document = Value::from(serde_json::json!({"name": "Warehouse", "port": 8080.0}));
        assert!(lookup.matches(&document));
        assert!(!lookup.matches(&Value::from(serde_json::json!({"name": "Warehouse"}))));
        assert_eq!(lookup.describe(), "name: \"Warehouse\", port: 8080");
    }
}
