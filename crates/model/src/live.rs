//! The live state: documents read from the account.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::kind::Kind;
use crate::lookup::{DataAddress, FoundLookup};
use crate::value::Value;

/// One live resource as the API returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveResource {
    /// The kind.
    pub kind: Kind,
    /// `_id`.
    pub id: String,
    /// `name`, when the document has one.
    pub name: Option<String>,
    /// `lastModified`, when the document has one.
    pub last_modified: Option<String>,
    /// `createdAt`, when the document has one.
    pub created_at: Option<String>,
    /// The whole document, as returned, as a [`Value`] (plain JSON: no references, no
    /// secrets). Documents become values once, when they are read, and JSON again only in a
    /// request body (ARCHITECTURE.md, "Live documents").
    pub document: Value,
}

impl LiveResource {
    /// Builds the envelope from a document, taking it over (strings are moved, arrays and
    /// objects kept at their exact size). Returns `None` when the document has no string `_id`.
    pub fn from_document(kind: Kind, document: serde_json::Value) -> Option<LiveResource> {
        LiveResource::from_value(kind, Value::from(document))
    }

    /// [`LiveResource::from_document`] for a document already read as a [`Value`].
    pub fn from_value(kind: Kind, document: Value) -> Option<LiveResource> {
        let id = document.field("_id")?.as_str()?.to_owned();
        let text = |field: &str| document.field(field).and_then(Value::as_str).map(str::to_owned);
        Some(LiveResource {
            kind,
            id,
            name: text("name"),
            last_modified: text("lastModified"),
            created_at: text("createdAt"),
            document,
        })
    }

    /// `_integrationId` of the document, when it is a string.
    pub fn integration_id(&self) -> Option<&str> {
        self.document.field("_integrationId").and_then(Value::as_str)
    }
}

/// Everything read from the account, by kind and id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// Documents by kind, then by id in list order.
    pub resources: BTreeMap<Kind, IndexMap<String, LiveResource, crate::KeyHasher>>,
    /// What the spec's `data:` lookups found (filled by the planner).
    pub lookups: BTreeMap<DataAddress, FoundLookup>,
    /// For live lookup caches a spec's `dataFile` may bind to: their data compared with that
    /// file, by the cache's id (filled by the planner, reading the cache page by page).
    pub lookup_data: BTreeMap<String, crate::lookup_data::DataChange>,
}

impl LiveState {
    /// Adds a resource, replacing any with the same kind and id.
    pub fn insert(&mut self, resource: LiveResource) {
        self.resources.entry(resource.kind).or_default().insert(resource.id.clone(), resource);
    }

    /// The resource of `kind` with `id`.
    pub fn get(&self, kind: Kind, id: &str) -> Option<&LiveResource> {
        self.resources.get(&kind)?.get(id)
    }

    /// The resource with `id`, whatever its kind.
    pub fn find(&self, id: &str) -> Option<&LiveResource> {
        self.resources.values().find_map(|resources| resources.get(id))
    }

    /// Resources of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &LiveResource> {
        self.resources.get(&kind).into_iter().flat_map(|resources| resources.values())
    }

    /// The number of resources.
    pub fn len(&self) -> usize {
        self.resources.values().map(IndexMap::len).sum()
    }

    /// Whether there are no resources.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_document_keeps_its_values_and_key_order() {
        let text = r#"{"_id":"6b0a3cfd89d467ef1da3cc6f","name":"A","z":1,"a":{"y":[1,{"q":null,"b":true}],"c":"d"},"lastModified":"2026-01-01T00:00:00.000Z"}"#;
        let document: serde_json::Value = serde_json::from_str(text).unwrap();
        let resource = LiveResource::from_document(Kind::Flow, document.clone()).unwrap();
        assert_eq!(resource.document, Value::from_json(&document));
        let json = resource.document.to_json(&|_| None).unwrap();
        assert_eq!(json.to_string(), text, "key order is kept");
        assert_eq!(resource.name.as_deref(), Some("A"));
        assert_eq!(resource.last_modified.as_deref(), Some("2026-01-01T00:00:00.000Z"));
    }

    #[test]
    fn a_document_without_a_string_id_is_refused() {
        assert!(LiveResource::from_document(Kind::Flow, serde_json::json!({"_id": 1})).is_none());
        assert!(LiveResource::from_document(Kind::Flow, serde_json::json!([])).is_none());
    }
}
