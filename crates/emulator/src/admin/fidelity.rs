//! Admin controls for fidelity: which server behaviours are on, the settings of the open
//! questions (licence, mask form, DELETE of a referenced resource), raw documents as a real
//! account holds them, the service's own token handling and the UI's structural flow edits.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Admin;
use crate::config::DeleteInUse;
use crate::error::AdminError;
use crate::fidelity::tables::{CASE_RULES, Case, READ_ONLY_RULES, managed_token_paths};
use crate::fidelity::{Behaviour, Fidelity};
use crate::json::{Document, set_dotted};
use crate::kinds::ResourceKind;
use crate::persist::{LoadMode, load_resources};
use crate::resources::edit_out_of_band;
use crate::util::to_hex;

impl Admin {
    /// The behaviours switched on (emulator-wide).
    pub fn fidelity(&self) -> Fidelity {
        self.shared.settings().fidelity
    }

    /// Replaces the set of behaviours switched on (emulator-wide).
    pub fn set_fidelity(&self, fidelity: Fidelity) {
        self.shared.update_settings(|settings| settings.fidelity = fidelity);
    }

    /// Switches one behaviour on or off (emulator-wide).
    pub fn set_behaviour(&self, behaviour: Behaviour, on: bool) {
        self.shared
            .update_settings(|settings| settings.fidelity = settings.fidelity.set(behaviour, on));
    }

    /// Sets the licensed maximum connection concurrency (emulator-wide).
    pub fn set_licensed_concurrency(&self, limit: u32) -> Result<(), AdminError> {
        if limit == 0 {
            return Err(AdminError::InvalidSetting {
                reason: "the licensed concurrency must be at least 1".to_owned(),
            });
        }
        self.shared.update_settings(|settings| settings.licensed_concurrency = limit);
        Ok(())
    }

    /// Sets how many asterisks a masked secret is returned as (emulator-wide).
    pub fn set_mask_length(&self, length: u8) -> Result<(), AdminError> {
        super::check_mask_length(length)?;
        self.shared.update_settings(|settings| settings.mask_length = length);
        Ok(())
    }

    /// Sets what DELETE of a still-referenced resource answers (emulator-wide).
    pub fn set_delete_in_use(&self, answer: DeleteInUse) {
        self.shared.update_settings(|settings| settings.delete_in_use = answer);
    }

    /// Loads documents exactly as a real account holds them: `{"flows":[…], …}`, every document
    /// with its 24-hex `_id`, nothing added (no timestamps, no defaults), nothing validated
    /// (references may point outside the documents), masks stored as they are. A document with
    /// an existing id replaces it. Nothing is loaded if any document lacks a valid `_id`.
    /// This is how the conformance corpus (`tests/corpus/`) is put into an account.
    pub fn load_raw(&self, documents: &Value) -> Result<BTreeMap<ResourceKind, usize>, AdminError> {
        let counts = {
            let mut data = self.account().write();
            load_resources(&mut data, documents, &self.shared.ids, LoadMode::Raw)
                .map_err(|reason| AdminError::InvalidInput { reason })?
        };
        self.shared.data_changed();
        Ok(counts)
    }

    /// Completes the service-side authorization of a connection whose tokens the service
    /// obtains itself (OAuth authorization code, Salesforce, NetSuite `token-auto`), as the
    /// browser consent or the SuiteApp would: each managed token path gets a fresh value.
    /// Returns the paths set.
    pub fn authorize_connection(&self, id: &str) -> Result<Vec<String>, AdminError> {
        let kind = ResourceKind::Connections;
        let not_found =
            || AdminError::NotFound { collection: kind.collection().to_owned(), id: id.to_owned() };
        let mut patch = Document::new();
        let paths = {
            let data = self.account().read();
            let document = data.get(kind, id).ok_or_else(not_found)?;
            managed_token_paths(document)
        };
        if paths.is_empty() {
            return Err(AdminError::InvalidInput {
                reason: format!(
                    "connection `{id}` has no tokens the service obtains itself (an `oauth` \
                     connection with grant type `authorizecode`, a Salesforce connection or a \
                     NetSuite `token-auto` connection)"
                ),
            });
        }
        for path in &paths {
            let bytes = self.account().rng().next_u64().to_be_bytes();
            set_dotted(
                &mut patch,
                path,
                Value::String(format!("service-token-{}", to_hex(&bytes))),
            );
        }
        edit_out_of_band(&mut self.account().write(), kind, id, &patch).ok_or_else(not_found)?;
        self.shared.data_changed();
        Ok(paths.into_iter().map(str::to_owned).collect())
    }

    /// The UI's "Add branching" on a linear flow: its `pageProcessors` move into the first
    /// branch of a new router and `pageProcessors` disappears (Celigo QA `TC_C47406`: after
    /// adding branching `flowResponse.pageProcessors` is undefined). No validation, `lastModified`
    /// bumped. Returns the new document, unmasked.
    pub fn add_branching(&self, flow_id: &str) -> Result<Value, AdminError> {
        self.restructure(flow_id, |flow, router_id| {
            let processors = flow.shift_remove("pageProcessors").unwrap_or(json!([]));
            flow.insert(
                "routers".into(),
                json!([{
                    "id": router_id,
                    "name": "",
                    "routeRecordsTo": "first_matching_branch",
                    "routeRecordsUsing": "input_filters",
                    "branches": [{"name": "Branch 1.0", "pageProcessors": processors}],
                }]),
            );
        })
    }

    /// The UI's "Delete branching": the first branch's steps become the flow's `pageProcessors`
    /// and `routers` disappears with every other branch (Celigo QA `TC_C45141`). Returns the
    /// new document, unmasked.
    pub fn remove_branching(&self, flow_id: &str) -> Result<Value, AdminError> {
        self.restructure(flow_id, |flow, _| {
            let routers = flow.shift_remove("routers");
            let processors = routers
                .as_ref()
                .and_then(|routers| routers.get(0))
                .and_then(|router| router.get("branches"))
                .and_then(|branches| branches.get(0))
                .and_then(|branch| branch.get("pageProcessors"))
                .cloned()
                .unwrap_or(json!([]));
            flow.insert("pageProcessors".into(), processors);
        })
    }

    fn restructure(
        &self,
        flow_id: &str,
        change: impl FnOnce(&mut Document, String),
    ) -> Result<Value, AdminError> {
        let kind = ResourceKind::Flows;
        let not_found = || AdminError::NotFound {
            collection: kind.collection().to_owned(),
            id: flow_id.to_owned(),
        };
        let router_id = {
            const ALPHABET: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            let mut rng = self.account().rng();
            (0..11)
                .map(|_| char::from(ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize]))
                .collect::<String>()
        };
        let edited = {
            let mut data = self.account().write();
            let mut flow = data.get(kind, flow_id).ok_or_else(not_found)?.clone();
            change(&mut flow, router_id);
            // A merge patch cannot remove a key that a replacement removes, so the changed
            // document replaces the stored one through an edit of the whole document.
            data.put(kind, flow_id.to_owned(), flow);
            edit_out_of_band(&mut data, kind, flow_id, &Document::new()).ok_or_else(not_found)?
        };
        self.shared.data_changed();
        Ok(Value::Object(edited))
    }
}

/// `GET /admin/fidelity`: every behaviour with its state, default, source and effect; the rule
/// tables of the behaviours that have one.
pub(crate) fn fidelity_json(fidelity: Fidelity) -> Value {
    let behaviours: Vec<Value> = Behaviour::ALL
        .iter()
        .map(|behaviour| {
            let mut entry = json!({
                "name": behaviour.name(),
                "on": fidelity.is_on(*behaviour),
                "default": behaviour.default_on(),
                "source": behaviour.source(),
                "does": behaviour.summary(),
            });
            let rules: Vec<Value> = match behaviour {
                Behaviour::CaseRewrites => CASE_RULES
                    .iter()
                    .map(|rule| json!({
                        "collection": rule.kind.collection(),
                        "path": rule.path,
                        "case": match rule.case { Case::Lower => "lower", Case::Upper => "upper" },
                        "source": rule.source,
                    }))
                    .collect(),
                Behaviour::ReadOnlyDropped => READ_ONLY_RULES
                    .iter()
                    .map(|rule| json!({
                        "collection": rule.kind.collection(),
                        "path": rule.path,
                        "source": rule.source,
                    }))
                    .collect(),
                _ => Vec::new(),
            };
            if !rules.is_empty() {
                entry["rules"] = Value::Array(rules);
            }
            entry
        })
        .collect();
    Value::Array(behaviours)
}

/// `PUT /admin/fidelity`: `{"<name>": true|false, …}`; the key `all` sets every behaviour first.
pub(crate) fn apply_fidelity(admin: &Admin, body: &Value) -> Result<(), AdminError> {
    let Some(body) = body.as_object() else {
        return Err(invalid("the fidelity switches must be a JSON object of booleans"));
    };
    let mut fidelity = admin.fidelity();
    if let Some(all) = body.get("all") {
        let all = all.as_bool().ok_or_else(|| invalid("`all` must be a boolean"))?;
        fidelity = if all { Fidelity::all() } else { Fidelity::none() };
    }
    for (name, on) in body.iter().filter(|(name, _)| name.as_str() != "all") {
        let behaviour = Behaviour::from_name(name)
            .ok_or_else(|| invalid(format!("unknown fidelity behaviour `{name}`")))?;
        let on = on.as_bool().ok_or_else(|| invalid(format!("`{name}` must be a boolean")))?;
        fidelity = fidelity.set(behaviour, on);
    }
    admin.set_fidelity(fidelity);
    Ok(())
}

/// The admin settings of the open questions, applied from `PUT /admin/settings`.
pub(crate) fn apply_question_settings(
    admin: &Admin,
    body: &Map<String, Value>,
) -> Result<(), AdminError> {
    if let Some(value) = body.get("licensedConcurrency") {
        let limit = value
            .as_u64()
            .and_then(|limit| u32::try_from(limit).ok())
            .ok_or_else(|| invalid("`licensedConcurrency` must be a positive integer"))?;
        admin.set_licensed_concurrency(limit)?;
    }
    if let Some(value) = body.get("maskLength") {
        let length = value
            .as_u64()
            .and_then(|length| u8::try_from(length).ok())
            .ok_or_else(|| invalid("`maskLength` must be an integer between 1 and 32"))?;
        admin.set_mask_length(length)?;
    }
    if let Some(value) = body.get("deleteInUse") {
        let answer = value.as_str().and_then(DeleteInUse::from_name).ok_or_else(|| {
            invalid("`deleteInUse` must be \"422\", \"409\", \"400\" or \"allow\"")
        })?;
        admin.set_delete_in_use(answer);
    }
    Ok(())
}

fn invalid(reason: impl Into<String>) -> AdminError {
    AdminError::InvalidSetting { reason: reason.into() }
}
