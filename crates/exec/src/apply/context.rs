//! What every step of one run shares.

use flowform_model::{KeyHashMap, KeyHashSet};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Mutex;

use flowform_api::Client;
use flowform_diff::baseline_after_write;
use flowform_model::{
    Address, DesiredResource, DesiredState, Kind, LiveState, Lookup, ResourceState, Value,
};

use super::StepError;
use super::ahead::Ahead;
use crate::state::StateWriter;
use crate::state::remote::StateApi;

pub(crate) struct Context<'c, 'w, A: StateApi> {
    pub client: &'c Client,
    pub desired: &'c DesiredState,
    pub live: &'c LiveState,
    pub salt: String,
    pub writer: tokio::sync::Mutex<&'c mut StateWriter<'w, A>>,
    /// Ids by address: the state's, plus everything created or adopted in this run.
    pub ids: Mutex<KeyHashMap<Address, String>>,
    /// The latest document of each resource written in this run.
    pub documents: Mutex<KeyHashMap<Address, Value>>,
    /// Ids of live resources per kind (for the lost-create search to exclude).
    pub known_ids: Mutex<KeyHashMap<Kind, std::collections::HashSet<String>>>,
    /// Flows written disabled that the enable phase must enable.
    pub to_enable: Mutex<BTreeSet<Address>>,
    /// The ids of the resources this plan deletes (what an unlink removes references to).
    pub deleting: KeyHashSet<String>,
    /// The reads of updates sent when the run started.
    pub ahead: Ahead,
}

impl<A: StateApi> Context<'_, '_, A> {
    /// Resolves an address to the id it has now (for request bodies).
    pub fn resolve(&self) -> impl Fn(&Address) -> Option<String> + '_ {
        move |address: &Address| self.ids.lock().expect("ids lock").get(address).cloned()
    }

    /// The id `address` has now.
    pub fn id_of(&self, address: &Address) -> Result<String, StepError> {
        self.resolve()(address).ok_or_else(|| StepError::MissingId { address: address.clone() })
    }

    /// The spec's resource at `address`.
    pub fn desired(&self, address: &Address) -> Result<&DesiredResource, StepError> {
        self.desired.get(address).ok_or_else(|| StepError::NotInSpec { address: address.clone() })
    }

    /// `desired` as a request body is built from it: every lookup replaced by the id it stands
    /// for now. A `data:` lookup by what the plan found; a flow's group by the `_id` of the group
    /// of that name in its integration as this run last wrote it (or as it is live), since the
    /// service assigns group ids when the integration is written. State is recorded from the
    /// spec's own form (the lookups), not from this one.
    pub async fn resolved<'d>(
        &self,
        desired: &'d DesiredResource,
    ) -> Result<Cow<'d, DesiredResource>, StepError> {
        if !desired.body.values().any(Value::contains_lookup) {
            return Ok(Cow::Borrowed(desired));
        }
        let group_id = match desired.body.get("_flowGroupingId") {
            Some(Value::Lookup(Lookup::FlowGroup(name))) => {
                Some(self.group_id(desired, name).await?)
            }
            _ => None,
        };
        let lookups = &self.live.lookups;
        let mut body = Value::Object(desired.body.clone());
        body.resolve_lookups(&|lookup| match lookup {
            Lookup::Data(address) => lookups.get(address).map(|found| found.id.clone()),
            Lookup::FlowGroup(_) => group_id.clone(),
        })
        .map_err(|source| flowform_diff::WriteError::Resolve {
            address: desired.address.clone(),
            source,
        })?;
        let mut resolved = desired.clone();
        if let Value::Object(object) = body {
            resolved.body = object;
        }
        Ok(Cow::Owned(resolved))
    }

    /// The `_id` of the flow group `name` in the integration of the flow `desired`.
    async fn group_id(&self, desired: &DesiredResource, name: &str) -> Result<String, StepError> {
        let integration_id = match desired.body.get("_integrationId") {
            Some(Value::Ref(address)) => self.id_of(address)?,
            Some(Value::String(id)) => id.clone(),
            _ => {
                return Err(StepError::NoFlowGroup {
                    address: desired.address.clone(),
                    name: name.to_owned(),
                    integration: "(none)".to_owned(),
                });
            }
        };
        let integration = self.document_by_id(Kind::Integration, &integration_id).await?;
        integration
            .field("flowGroupings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|group| group.field("name").and_then(Value::as_str) == Some(name))
            .and_then(|group| group.field("_id").and_then(Value::as_str))
            .map(str::to_owned)
            .ok_or_else(|| StepError::NoFlowGroup {
                address: desired.address.clone(),
                name: name.to_owned(),
                integration: integration_id,
            })
    }

    /// The state entry of `address`, as it is now.
    pub async fn state_entry(&self, address: &Address) -> Option<ResourceState> {
        self.writer.lock().await.state().get(address).cloned()
    }

    /// Binds `address` to `id` for the rest of the run.
    pub fn bind(&self, address: &Address, id: &str) {
        self.ids.lock().expect("ids lock").insert(address.clone(), id.to_owned());
    }

    /// Records a completed write: the state entry with the live baseline of what was written
    /// (and the end of its write-ahead record), and the document written, for later steps of
    /// this run.
    ///
    /// The baseline is taken from `document` (the write's response); a script whose response
    /// left `content` out is read again for it. Fields that had changed outside flowform before
    /// the write and that the write did not set keep their earlier digests
    /// ([`flowform_diff::baseline_after_write`]): a write carries them along, it does not
    /// accept them.
    pub async fn record(
        &self,
        address: &Address,
        mut resource: ResourceState,
        mut document: Value,
    ) -> Result<(), StepError> {
        let kind = address.kind;
        if lacks_source(kind, &document) {
            // A partial response: the source flowform wrote is read back. Should the read fail,
            // the baseline keeps its earlier `content` digest (a script's source is unknown,
            // not gone), and the write stays recorded.
            if let Ok(read) = self.client.get(kind, &resource.id).await {
                document = read.document;
            }
        }
        let desired = self.desired(address)?;
        let previous = self.state_entry(address).await;
        {
            // The document before this write is borrowed where it lies: no await inside.
            let documents = self.documents.lock().expect("documents lock");
            resource.live = Some(baseline_after_write(
                desired,
                &self.salt,
                self.before_in(&documents, address, &resource.id),
                &document,
                previous.as_ref(),
                &resource,
            ));
        }
        self.record_made(address, resource, document).await
    }

    /// The document a write of `address` (live id `id`) replaces, copied for a write made away
    /// from the run (`ops/update.rs`).
    pub fn document_before(&self, address: &Address, id: &str) -> Option<Value> {
        let documents = self.documents.lock().expect("documents lock");
        self.before_in(&documents, address, id).cloned()
    }

    /// The document a write of `address` (live id `id`) replaces: this run's last write of it,
    /// else the listing's. A write's baseline takes its earlier digests from it.
    fn before_in<'d>(
        &'d self,
        documents: &'d KeyHashMap<Address, Value>,
        address: &Address,
        id: &str,
    ) -> Option<&'d Value> {
        documents
            .get(address)
            .or_else(|| self.live.get(address.kind, id).map(|live| &live.document))
    }

    /// Records a completed write whose state entry, live baseline included, is made already
    /// (as [`Context::record`] would make it): the document written is kept for later steps and
    /// the entry put.
    pub async fn record_made(
        &self,
        address: &Address,
        resource: ResourceState,
        document: Value,
    ) -> Result<(), StepError> {
        self.documents.lock().expect("documents lock").insert(address.clone(), document);
        self.bind(address, &resource.id);
        self.put(address, resource).await
    }

    /// Puts a state entry and drops the address's write-ahead record.
    pub async fn put(&self, address: &Address, resource: ResourceState) -> Result<(), StepError> {
        let mut writer = self.writer.lock().await;
        writer.put(address, resource).await.map_err(StepError::State)?;
        writer.resolve_pending(address).await.map_err(StepError::State)
    }

    /// Whether a flow write must force `disabled: true` (and leave the enable to the last phase).
    pub fn force_disabled(
        &self,
        resource: &DesiredResource,
        creating: bool,
        live_disabled: bool,
    ) -> Option<bool> {
        if resource.kind() != Kind::Flow {
            return None;
        }
        // After the first write, `ignoreChanges: [disabled]` leaves the live flag as it is.
        if !creating && ignores_disabled(resource) {
            return None;
        }
        if creating || (live_disabled && wants_enabled(resource)) {
            if wants_enabled(resource) {
                self.to_enable.lock().expect("enable lock").insert(resource.address.clone());
            }
            return Some(true);
        }
        None
    }

    /// The document of a resource by id: this run's latest write, else the live state read at
    /// plan time, else a `GET` (it may have been created moments ago).
    pub async fn document_by_id(&self, kind: Kind, id: &str) -> Result<Value, StepError> {
        let written = {
            let ids = self.ids.lock().expect("ids lock");
            let address = ids
                .iter()
                .find(|(address, known)| address.kind == kind && known.as_str() == id)
                .map(|(address, _)| address.clone());
            address.and_then(|address| {
                self.documents.lock().expect("documents lock").get(&address).cloned()
            })
        };
        if let Some(document) = written {
            return Ok(document);
        }
        if let Some(resource) = self.live.get(kind, id) {
            return Ok(resource.document.clone());
        }
        Ok(self.client.get(kind, id).await?.document)
    }
}

/// Whether a write's answer lacks what its live baseline needs: a script's `content`, which an
/// answer may leave out ([`Context::record`] reads the source back).
pub(crate) fn lacks_source(kind: Kind, document: &Value) -> bool {
    kind == Kind::Script && document.field("content").is_none()
}

/// Whether the spec wants the flow enabled (`disabled` absent or false).
pub(crate) fn wants_enabled(resource: &DesiredResource) -> bool {
    resource.kind() == Kind::Flow
        && !matches!(resource.body.get("disabled"), Some(Value::Bool(true)))
}

/// Whether the resource's `ignoreChanges` covers a flow's `disabled`.
pub(crate) fn ignores_disabled(resource: &DesiredResource) -> bool {
    let disabled = flowform_model::FieldPath::from_keys(["disabled"]);
    resource.lifecycle.ignore_changes.iter().any(|ignored| disabled.starts_with(ignored))
}

/// Checks that a write of a flow's `disabled` took: the response (the document as the account
/// now has it) must hold the value sent. A step never reports a flow enabled (or disabled)
/// that is not.
pub(crate) fn check_disabled(
    address: &flowform_model::Address,
    sent: &serde_json::Value,
    response: &Value,
) -> Result<(), StepError> {
    if address.kind != Kind::Flow {
        return Ok(());
    }
    let Some(wanted) = sent.get("disabled").and_then(serde_json::Value::as_bool) else {
        return Ok(());
    };
    if live_disabled(response) == wanted {
        return Ok(());
    }
    Err(StepError::DisabledNotApplied { address: address.clone(), disabled: wanted })
}

/// The `disabled` flag of a live document (false when absent, as the API reads it).
pub(crate) fn live_disabled(document: &Value) -> bool {
    document.field("disabled").and_then(Value::as_bool).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::Address;

    #[test]
    fn a_write_of_disabled_is_checked_against_the_answer() {
        let flow = Address::new(Kind::Flow, "nightly");
        let sent = serde_json::json!({"name": "Nightly", "disabled": false});
        let answer = |json: serde_json::Value| Value::from(json);
        assert!(
            check_disabled(&flow, &sent, &answer(serde_json::json!({"disabled": false}))).is_ok()
        );
        // Absent reads as enabled, as the API does.
        assert!(check_disabled(&flow, &sent, &answer(serde_json::json!({}))).is_ok());
        let refused = check_disabled(&flow, &sent, &answer(serde_json::json!({"disabled": true})));
        let error = refused.expect_err("still disabled");
        assert_eq!(
            error.to_string(),
            "`flow.nightly` was written with `disabled: false`, but integrator.io answered that it is still disabled"
        );
        assert!(error.hint().is_some_and(|hint| hint.contains("flowform apply")));
        // Nothing to check when `disabled` was not written, or for other kinds.
        let other = serde_json::json!({"name": "Nightly"});
        assert!(
            check_disabled(&flow, &other, &answer(serde_json::json!({"disabled": true}))).is_ok()
        );
        let export = Address::new(Kind::Export, "orders");
        assert!(
            check_disabled(&export, &sent, &answer(serde_json::json!({"disabled": true}))).is_ok()
        );
    }
}
