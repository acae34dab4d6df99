//! The live state: documents read from the account.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::kind::Kind;

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
    /// The whole document, as returned.
    pub document: serde_json::Value,
}

impl LiveResource {
    /// Builds the envelope from a document. Returns `None` when the document has no string
    /// `_id`.
    pub fn from_document(kind: Kind, document: serde_json::Value) -> Option<LiveResource> {
        let id = document.get("_id")?.as_str()?.to_owned();
        let text =
            |field: &str| document.get(field).and_then(|value| value.as_str()).map(str::to_owned);
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
        self.document.get("_integrationId").and_then(|value| value.as_str())
    }
}

/// Everything read from the account, by kind and id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// Documents by kind, then by id in list order.
    pub resources: BTreeMap<Kind, IndexMap<String, LiveResource>>,
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
