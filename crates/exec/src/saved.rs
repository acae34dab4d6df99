//! Saved plans (`plan --out FILE`, `apply FILE`).
//!
//! A saved plan records what `apply FILE` must verify before doing anything: the target, the
//! state lineage and serial it was made against, a digest of the whole desired state, the live
//! `lastModified` of every touched resource, a digest of every planned change, and the
//! fingerprints of every secret (never a value). It also embeds the JSON plan for people and CI
//! to read. An HMAC keyed by the state's salt covers the whole document, so a truncated or edited
//! file is refused. `apply FILE` re-plans and refuses unless every recorded fact still holds,
//! then executes exactly the recorded changes. A refresh-only plan records instead every
//! resource changed outside flowform that it accepts, with the live `lastModified` seen and a
//! digest of its changes, and is verified against a refresh-only re-plan the same way.
//!
//! `flowform show FILE` renders a saved plan again without the account: [`SavedPlan::to_plan`]
//! reads the embedded JSON plan back into a [`Plan`] (with the unchanged resources the file
//! lists), for the same renderers `plan` uses. Nothing is verified then.
//!
//! Versions: a reader accepts every version up to [`SAVED_PLAN_VERSION`]. Fields added since
//! version 1 (`environment`, `unchanged`) are optional and left out when empty, so a version 1
//! file still parses and its signature still checks. A destroy plan (`options.destroy`) is
//! written as version 2: a build that reads only version 1 would apply it as an ordinary plan,
//! so it must refuse it as too new; a refresh-only plan (`options.refresh_only`, with the
//! resources it accepts in `outside`) is written as version 3 for the same reason; every other
//! plan is still written as version 1, which older builds read.

use std::collections::BTreeMap;

use flowform_model::fingerprint::{body_digest, secret_fingerprint};
use flowform_model::{
    Action, Address, Change, DesiredState, FieldChange, Lifecycle, OutsideChange, Plan, RefOrId,
    State, Value,
};
use serde::{Deserialize, Serialize};

/// The newest saved plan format version this build reads (and writes, for refresh-only plans).
pub const SAVED_PLAN_VERSION: u32 = 3;

/// The version of a plan that needs nothing newer than the first format.
const FIRST_VERSION: u32 = 1;

/// The version of a destroy plan (`options.destroy`).
const DESTROY_VERSION: u32 = 2;

/// The version of a refresh-only plan (`options.refresh_only`, the resources it accepts in
/// `outside`): a build that reads only versions 1 and 2 would apply it as an ordinary plan that
/// accepts nothing, so it must refuse it as too new.
const REFRESH_ONLY_VERSION: u32 = 3;

const DOCUMENT_KIND: &str = "flowform-plan";

/// The options a plan was made with; `apply FILE` uses the same ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// `--target` addresses.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `--no-delete`.
    #[serde(default)]
    pub no_delete: bool,
    /// `--adopt`.
    #[serde(default)]
    pub adopt: bool,
    /// `plan --destroy`: the plan deletes every managed resource (with `targets`, those and
    /// everything that depends on them), as `flowform destroy` does. Since format version 2.
    #[serde(default, skip_serializing_if = "is_false")]
    pub destroy: bool,
    /// `--refresh-only`: the plan accepts the account as it is into the state. Since format
    /// version 3.
    #[serde(default, skip_serializing_if = "is_false")]
    pub refresh_only: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// One resource the plan leaves unchanged (listed so a rendering can count them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedUnchanged {
    /// The address.
    pub address: String,
    /// The live id.
    pub id: String,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedChange {
    /// The address.
    pub address: String,
    /// The action (`create`, `update`, …).
    pub action: String,
    /// The live id, when the resource exists.
    #[serde(default)]
    pub id: Option<String>,
    /// The live `lastModified` seen when planning.
    #[serde(default)]
    pub live_last_modified: Option<String>,
    /// A salted digest of the change (action, id, every field change; secrets by fingerprint).
    pub digest: String,
}

/// One recorded secret fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSecret {
    /// The resource.
    pub address: String,
    /// The field path.
    pub path: String,
    /// The secret names (environment variables) the value comes from.
    pub names: Vec<String>,
    /// The salted fingerprint of the value.
    pub fingerprint: String,
}

/// The saved plan document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Always `flowform-plan`.
    pub kind: String,
    /// [`SAVED_PLAN_VERSION`].
    pub format_version: u32,
    /// The flowform version that wrote it.
    pub flowform_version: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// The target account (endpoint and user).
    pub target: String,
    /// The environment (`--env NAME`) the plan was made with; shown, not verified (the target,
    /// the state lineage and the spec are). Since format version 1, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The state lineage the plan was made against.
    pub state_lineage: String,
    /// The state serial the plan was made against.
    pub state_serial: u64,
    /// The options used.
    pub options: PlanOptions,
    /// Digest of the whole desired state.
    pub spec_digest: String,
    /// The actionable changes, in plan order.
    pub changes: Vec<SavedChange>,
    /// Fingerprints of every secret in the desired state.
    pub secrets: Vec<SavedSecret>,
    /// Every resource changed outside flowform that a refresh-only plan accepts (action
    /// `changed-outside` or `deleted-outside`), with the live `lastModified` seen and a digest
    /// of its changes; absent for other plans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside: Vec<SavedChange>,
    /// The JSON plan (see `docs/plan-format.md`), for reading.
    pub plan: serde_json::Value,
    /// The resources the plan leaves unchanged (the JSON plan only counts them). Optional: a
    /// file without it is rendered with the count alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<SavedUnchanged>,
    /// HMAC over the rest of the document, keyed by the state salt.
    #[serde(default)]
    pub signature: String,
}

/// Why a saved plan cannot be applied. Every message says what moved and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    /// Not a saved plan, or truncated.
    #[error("`{path}` is not a readable flowform plan: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Written by a newer flowform.
    #[error(
        "`{path}` was written by a newer flowform (plan format {found}, this build reads {supported})"
    )]
    TooNew {
        /// The file.
        path: String,
        /// The version found.
        found: u64,
        /// The version supported.
        supported: u32,
    },
    /// The signature does not match.
    #[error("`{path}` was modified after it was written, or belongs to another state")]
    Tampered {
        /// The file.
        path: String,
    },
    /// The plan belongs to another workspace, target, or state history.
    #[error("the plan was made for {expected}, but this run uses {found}")]
    OtherTarget {
        /// What the plan recorded.
        expected: String,
        /// What this run has.
        found: String,
    },
    /// The plan is stale.
    #[error("the saved plan is stale: {reason}")]
    Stale {
        /// What moved.
        reason: String,
    },
}

impl SavedPlanError {
    /// The hint shown under the error.
    pub fn hint(&self) -> &'static str {
        match self {
            SavedPlanError::Stale { .. } => {
                "run `flowform plan --out FILE` again and review the new plan"
            }
            SavedPlanError::OtherTarget { .. } => {
                "apply the plan with the same `--state`, `--env` and endpoint it was made with, or plan again"
            }
            _ => "run `flowform plan --out FILE` again",
        }
    }
}

/// A canonical value for one field change, secrets by fingerprint only. The marks added later
/// (`unverified`, `replaced_by`) take part only when set, so the digest of an ordinary change is
/// what it always was.
fn field_value(field: &FieldChange) -> Value {
    let side = |value: &Option<Value>| value.clone().unwrap_or(Value::Null);
    let mut parts = vec![
        Value::String(field.path.to_string()),
        Value::String(field.op.as_str().to_owned()),
        side(&field.before),
        side(&field.after),
        Value::Bool(field.drift),
        Value::Bool(field.sensitive),
    ];
    if field.unverified {
        parts.push(Value::String("unverified".to_owned()));
    }
    if let Some(by) = &field.replaced_by {
        parts.push(Value::String(format!("replaced by {by}")));
    }
    Value::Array(parts)
}

/// The salted digest of one change.
pub fn change_digest(salt: &str, change: &Change) -> String {
    let value = Value::Array(vec![
        Value::String(change.address.to_string()),
        Value::String(change.action.as_str().to_owned()),
        change.id().map(|id| Value::String(id.to_owned())).unwrap_or(Value::Null),
        change
            .action
            .moved_from()
            .map(|from| Value::String(from.to_string()))
            .unwrap_or(Value::Null),
        Value::Array(change.fields().iter().map(field_value).collect()),
        // What a clone makes and which copies it deletes, and what a state-only change records.
        Value::Array(
            change
                .action
                .copies()
                .iter()
                .map(|copy| {
                    Value::Array(vec![
                        Value::String(copy.address.to_string()),
                        ref_or_id(&copy.source),
                        Value::Bool(copy.kept),
                    ])
                })
                .chain(change.action.state_changes().iter().map(|state_change| {
                    Value::Array(vec![
                        Value::String(state_change.flag.as_str().to_owned()),
                        state_change.before.clone(),
                        state_change.after.clone(),
                    ])
                }))
                .collect(),
        ),
        // A lookup cache's data change, with the digest of the live entries it was planned
        // against: data written since the plan refuses the saved plan.
        match &change.data {
            Some(data) => Value::Array(vec![
                Value::String(data.file.clone()),
                Value::String(data.counts()),
                data.live_digest.clone().map_or(Value::Null, Value::String),
            ]),
            None => Value::Null,
        },
    ]);
    body_digest(salt, &value)
}

/// What a refresh-only plan does to a resource changed outside flowform.
fn outside_action(change: &OutsideChange) -> &'static str {
    if change.deleted { "deleted-outside" } else { "changed-outside" }
}

/// The salted digest of a change made outside flowform (values shown by the plan; sensitive
/// ones are withheld there too).
pub fn outside_digest(salt: &str, change: &OutsideChange) -> String {
    let fields = change
        .fields
        .iter()
        .map(|field| {
            Value::Array(vec![
                Value::String(field.path.to_string()),
                Value::String(field.op.as_str().to_owned()),
                field.value.clone().unwrap_or(Value::Null),
                Value::Bool(field.sensitive),
            ])
        })
        .collect();
    let value = Value::Array(vec![
        Value::String(change.address.to_string()),
        Value::String(outside_action(change).to_owned()),
        Value::String(change.id.clone()),
        Value::Array(fields),
    ]);
    body_digest(salt, &value)
}

fn ref_or_id(value: &RefOrId) -> Value {
    match value {
        RefOrId::Ref(address) => Value::Ref(address.clone()),
        RefOrId::Id(id) => Value::String(id.clone()),
    }
}

fn lifecycle_value(lifecycle: &Lifecycle) -> Value {
    Value::Array(vec![
        lifecycle.clone_from.as_ref().map(ref_or_id).unwrap_or(Value::Null),
        match &lifecycle.connection_map {
            Some(pairs) => Value::Array(
                pairs
                    .iter()
                    .map(|(from, to)| Value::Array(vec![ref_or_id(from), ref_or_id(to)]))
                    .collect(),
            ),
            None => Value::Null,
        },
        Value::Bool(lifecycle.prevent_destroy),
        Value::Array(
            lifecycle.ignore_changes.iter().map(|path| Value::String(path.to_string())).collect(),
        ),
        Value::Bool(lifecycle.adopt),
    ])
}

/// The salted digest of a whole desired state (bodies with secrets, lifecycles, moves).
pub fn spec_digest(salt: &str, desired: &DesiredState) -> String {
    let resources = desired
        .resources
        .values()
        .map(|resource| {
            Value::Array(vec![
                Value::String(resource.address.to_string()),
                Value::Object(resource.body.clone()),
                lifecycle_value(&resource.lifecycle),
            ])
        })
        .collect();
    let moved = desired
        .moved
        .iter()
        .map(|entry| {
            Value::Array(vec![
                Value::String(entry.from.to_string()),
                Value::String(entry.to.to_string()),
            ])
        })
        .collect();
    // What the spec finds in the account and the lookup caches' data files: a saved plan made
    // with other criteria or other data is refused.
    let lookups = desired
        .lookups
        .values()
        .map(|lookup| {
            Value::Array(vec![
                Value::String(lookup.address.to_string()),
                Value::Array(
                    lookup
                        .criteria
                        .iter()
                        .map(|(field, value)| {
                            Value::Array(vec![Value::String(field.clone()), value.clone()])
                        })
                        .collect(),
                ),
            ])
        })
        .collect();
    let data_files = desired
        .data_files
        .iter()
        .map(|(address, file)| {
            Value::Array(vec![
                Value::String(address.to_string()),
                Value::String(file.written.clone()),
                Value::String(file.digest.clone()),
            ])
        })
        .collect();
    body_digest(
        salt,
        &Value::Array(vec![
            Value::Array(resources),
            Value::Array(moved),
            Value::Array(lookups),
            Value::Array(data_files),
        ]),
    )
}

/// Every secret of the desired state with its fingerprint, in a stable order.
pub fn secret_fingerprints(salt: &str, desired: &DesiredState) -> Vec<SavedSecret> {
    let mut secrets = Vec::new();
    for resource in desired.resources.values() {
        let body = Value::Object(resource.body.clone());
        for (path, value) in body.leaves() {
            collect_secrets(salt, &resource.address, path, value, &mut secrets);
        }
    }
    secrets
}

fn collect_secrets(
    salt: &str,
    address: &Address,
    path: flowform_model::FieldPath,
    value: &Value,
    secrets: &mut Vec<SavedSecret>,
) {
    match value {
        Value::Secret(secret) => secrets.push(SavedSecret {
            address: address.to_string(),
            path: path.to_string(),
            names: secret.names.clone(),
            fingerprint: secret
                .expose()
                .map(|exposed| secret_fingerprint(salt, exposed))
                .unwrap_or_else(|| "unresolved".to_owned()),
        }),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_secrets(salt, address, path.index(index), item, secrets);
            }
        }
        Value::Object(object) => {
            for (key, item) in object {
                collect_secrets(salt, address, path.key(key), item, secrets);
            }
        }
        _ => {}
    }
}

fn signature(salt: &str, document: &SavedPlan) -> String {
    let mut unsigned = document.clone();
    unsigned.signature = String::new();
    // Serialising the document's plain fields cannot fail.
    let text = serde_json::to_string(&unsigned).expect("saved plan serialises");
    secret_fingerprint(salt, &text)
}

/// Everything a saved plan records, gathered while planning.
pub struct PlanRecord<'a> {
    /// The target description.
    pub target: &'a str,
    /// The environment (`--env NAME`), when one was chosen.
    pub environment: Option<&'a str>,
    /// The state the plan was made against.
    pub state: &'a State,
    /// The options.
    pub options: PlanOptions,
    /// The desired state.
    pub desired: &'a DesiredState,
    /// The plan.
    pub plan: &'a Plan,
    /// The JSON rendering of the plan.
    pub json_plan: serde_json::Value,
}

/// Builds and signs a saved plan.
pub fn build(record: PlanRecord<'_>) -> SavedPlan {
    let salt = &record.state.salt;
    let mut document = SavedPlan {
        kind: DOCUMENT_KIND.to_owned(),
        format_version: if record.options.refresh_only {
            REFRESH_ONLY_VERSION
        } else if record.options.destroy {
            DESTROY_VERSION
        } else {
            FIRST_VERSION
        },
        flowform_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: crate::state::lock::now_rfc3339(),
        target: record.target.to_owned(),
        environment: record.environment.map(str::to_owned),
        state_lineage: record.state.lineage.clone(),
        state_serial: record.state.serial,
        options: record.options,
        spec_digest: spec_digest(salt, record.desired),
        changes: record
            .plan
            .actionable()
            .map(|change| SavedChange {
                address: change.address.to_string(),
                action: change.action.as_str().to_owned(),
                id: change.id().map(str::to_owned),
                live_last_modified: change.action.live_last_modified().map(str::to_owned),
                digest: change_digest(salt, change),
            })
            .collect(),
        secrets: secret_fingerprints(salt, record.desired),
        outside: if record.plan.refresh_only {
            record
                .plan
                .changed_outside
                .iter()
                .map(|change| SavedChange {
                    address: change.address.to_string(),
                    action: outside_action(change).to_owned(),
                    id: Some(change.id.clone()),
                    live_last_modified: change.live_last_modified.clone(),
                    digest: outside_digest(salt, change),
                })
                .collect()
        } else {
            Vec::new()
        },
        plan: record.json_plan,
        unchanged: record
            .plan
            .changes
            .iter()
            .filter_map(|change| match &change.action {
                Action::NoOp { id, .. } => {
                    Some(SavedUnchanged { address: change.address.to_string(), id: id.clone() })
                }
                _ => None,
            })
            .collect(),
        signature: String::new(),
    };
    document.signature = signature(salt, &document);
    document
}

/// Renders a saved plan as pretty JSON.
pub fn render(document: &SavedPlan) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("saved plan serialises");
    text.push('\n');
    text
}

/// Parses a saved plan file's text (`path` is only for messages). The signature is checked by
/// [`verify`], which needs the state.
pub fn parse(path: &str, text: &str) -> Result<SavedPlan, SavedPlanError> {
    let unreadable = |reason: String| SavedPlanError::Unreadable { path: path.to_owned(), reason };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| unreadable(error.to_string()))?;
    if value.get("kind").and_then(serde_json::Value::as_str) != Some(DOCUMENT_KIND) {
        return Err(unreadable("it has no `\"kind\": \"flowform-plan\"`".to_owned()));
    }
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| unreadable("missing `format_version`".to_owned()))?;
    if version > u64::from(SAVED_PLAN_VERSION) {
        return Err(SavedPlanError::TooNew {
            path: path.to_owned(),
            found: version,
            supported: SAVED_PLAN_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|error| unreadable(error.to_string()))
}

/// A saved plan read back for rendering ([`SavedPlan::to_plan`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadBack {
    /// The plan, with the unchanged resources the file lists as no-ops.
    pub plan: Plan,
    /// Unchanged resources the file counts but does not list (a file written before they were
    /// listed): a rendering cannot count them.
    pub unlisted_unchanged: usize,
}

impl SavedPlan {
    /// The embedded JSON plan (docs/plan-format.md), parsed with the format's own types.
    pub fn json_plan(
        &self,
        path: &str,
    ) -> Result<flowform_diff::render::json::JsonPlan, SavedPlanError> {
        let version = self.plan.get("format_version").and_then(serde_json::Value::as_u64);
        let supported = flowform_diff::render::json::FORMAT_VERSION;
        if let Some(found) = version.filter(|found| *found > u64::from(supported)) {
            return Err(SavedPlanError::TooNew { path: path.to_owned(), found, supported });
        }
        serde_json::from_value(self.plan.clone()).map_err(|error| SavedPlanError::Unreadable {
            path: path.to_owned(),
            reason: format!("its `plan` is not a JSON plan: {error}"),
        })
    }

    /// Reads the embedded JSON plan back into a [`Plan`] for the renderers (`flowform show`):
    /// the recorded changes with the live `lastModified` each was planned against, then the
    /// unchanged resources as no-ops. Parses only; nothing is verified.
    pub fn to_plan(&self, path: &str) -> Result<ReadBack, SavedPlanError> {
        let unreadable = |reason: String| SavedPlanError::Unreadable {
            path: path.to_owned(),
            reason: format!("its `plan` {reason}"),
        };
        let document = self.json_plan(path)?;
        let mut plan = flowform_diff::render::json::plan_from_document(&document)
            .map_err(|error| unreadable(error.to_string()))?;
        let planned: BTreeMap<&str, Option<&str>> = self
            .changes
            .iter()
            .map(|change| (change.address.as_str(), change.live_last_modified.as_deref()))
            .collect();
        for change in &mut plan.changes {
            let seen = planned.get(change.address.to_string().as_str()).copied().flatten();
            match &mut change.action {
                Action::Update { live_last_modified, .. }
                | Action::Adopt { live_last_modified, .. }
                | Action::Move { live_last_modified, .. }
                | Action::Delete { live_last_modified, .. }
                | Action::StateOnly { live_last_modified, .. }
                | Action::NoOp { live_last_modified, .. } => {
                    *live_last_modified = seen.map(str::to_owned)
                }
                Action::Create { .. } | Action::Clone { .. } => {}
            }
        }
        for unchanged in &self.unchanged {
            let address = unchanged
                .address
                .parse()
                .map_err(|error| unreadable(format!("lists `{}`: {error}", unchanged.address)))?;
            plan.changes.push(Change {
                address,
                name: None,
                depends_on: Vec::new(),
                used_by: Vec::new(),
                action: Action::NoOp { id: unchanged.id.clone(), live_last_modified: None },
                data: None,
            });
        }
        let unlisted_unchanged = document.summary.no_op.saturating_sub(self.unchanged.len());
        Ok(ReadBack { plan, unlisted_unchanged })
    }
}

/// Checks that a saved plan belongs to this target and state, is unmodified, and still
/// matches the desired state: the first half of `apply FILE`.
pub fn verify(
    path: &str,
    document: &SavedPlan,
    target: &str,
    state: &State,
    desired: &DesiredState,
) -> Result<(), SavedPlanError> {
    if document.target != target {
        return Err(SavedPlanError::OtherTarget {
            expected: format!("target `{}`", document.target),
            found: format!("target `{target}`"),
        });
    }
    if document.state_lineage != state.lineage {
        return Err(SavedPlanError::OtherTarget {
            expected: format!("state lineage `{}`", document.state_lineage),
            found: format!("state lineage `{}`", state.lineage),
        });
    }
    if signature(&state.salt, document) != document.signature {
        return Err(SavedPlanError::Tampered { path: path.to_owned() });
    }
    if document.state_serial != state.serial {
        return Err(SavedPlanError::Stale {
            reason: format!(
                "the state changed since the plan was made (serial {} then, {} now): another apply ran",
                document.state_serial, state.serial
            ),
        });
    }
    let now: BTreeMap<(String, String), SavedSecret> = secret_fingerprints(&state.salt, desired)
        .into_iter()
        .map(|secret| ((secret.address.clone(), secret.path.clone()), secret))
        .collect();
    for secret in &document.secrets {
        match now.get(&(secret.address.clone(), secret.path.clone())) {
            Some(current) if current.fingerprint == secret.fingerprint => {}
            _ => {
                return Err(SavedPlanError::Stale {
                    reason: format!(
                        "secret `{}` used by `{}` at `{}` changed since the plan was made",
                        secret.names.join("`, `"),
                        secret.address,
                        secret.path
                    ),
                });
            }
        }
    }
    if spec_digest(&state.salt, desired) != document.spec_digest {
        return Err(SavedPlanError::Stale {
            reason: "the spec changed since the plan was made".to_owned(),
        });
    }
    Ok(())
}

/// Checks the re-computed plan against the recorded changes: the second half of `apply FILE`,
/// after the live documents were read again. Names the first resource that moved.
pub fn verify_changes(
    document: &SavedPlan,
    salt: &str,
    replanned: &Plan,
) -> Result<(), SavedPlanError> {
    let now: BTreeMap<String, &Change> =
        replanned.actionable().map(|change| (change.address.to_string(), change)).collect();
    for saved in &document.changes {
        let Some(change) = now.get(&saved.address) else {
            return Err(SavedPlanError::Stale {
                reason: format!("`{}` no longer needs the planned {}", saved.address, saved.action),
            });
        };
        if change.action.live_last_modified() != saved.live_last_modified.as_deref() {
            return Err(SavedPlanError::Stale {
                reason: format!(
                    "`{}` was modified in the account since the plan was made (lastModified {} then, {} now)",
                    saved.address,
                    saved.live_last_modified.as_deref().unwrap_or("none"),
                    change.action.live_last_modified().unwrap_or("none")
                ),
            });
        }
        if change_digest(salt, change) != saved.digest {
            return Err(SavedPlanError::Stale {
                reason: format!("the planned change to `{}` is no longer the same", saved.address),
            });
        }
    }
    if let Some(extra) =
        now.keys().find(|address| !document.changes.iter().any(|saved| &saved.address == *address))
    {
        return Err(SavedPlanError::Stale {
            reason: format!("`{extra}` now needs a change the saved plan does not contain"),
        });
    }
    if document.options.refresh_only {
        verify_outside(document, salt, replanned)?;
    }
    Ok(())
}

/// The refresh-only half of [`verify_changes`]: every resource the plan accepts is still
/// changed outside flowform in the same way, with the same `lastModified`, and nothing else is.
fn verify_outside(
    document: &SavedPlan,
    salt: &str,
    replanned: &Plan,
) -> Result<(), SavedPlanError> {
    let now: BTreeMap<String, &OutsideChange> = replanned
        .changed_outside
        .iter()
        .map(|change| (change.address.to_string(), change))
        .collect();
    for saved in &document.outside {
        let Some(change) = now.get(&saved.address) else {
            return Err(SavedPlanError::Stale {
                reason: format!(
                    "`{}` is no longer changed outside flowform as the plan says",
                    saved.address
                ),
            });
        };
        if change.live_last_modified != saved.live_last_modified {
            return Err(SavedPlanError::Stale {
                reason: format!(
                    "`{}` was modified in the account since the plan was made (lastModified {} then, {} now)",
                    saved.address,
                    saved.live_last_modified.as_deref().unwrap_or("none"),
                    change.live_last_modified.as_deref().unwrap_or("none")
                ),
            });
        }
        if outside_digest(salt, change) != saved.digest {
            return Err(SavedPlanError::Stale {
                reason: format!(
                    "the changes made outside flowform to `{}` are no longer the same",
                    saved.address
                ),
            });
        }
    }
    if let Some(extra) =
        now.keys().find(|address| !document.outside.iter().any(|saved| &saved.address == *address))
    {
        return Err(SavedPlanError::Stale {
            reason: format!(
                "`{extra}` was changed outside flowform since the plan was made; the saved plan does not accept it"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::{Action, DesiredResource, FieldOp, Kind, SecretValue};

    fn desired(secret: &str) -> DesiredState {
        let mut state = DesiredState::default();
        let address = Address::new(Kind::Connection, "slack");
        let mut body = flowform_model::Object::default();
        body.insert("name".into(), Value::String("Slack".into()));
        body.insert(
            "token".into(),
            Value::Secret(SecretValue::new(vec!["SLACK_TOKEN".into()], secret.into())),
        );
        state.resources.insert(
            address.clone(),
            DesiredResource { address, body, lifecycle: Lifecycle::default(), origin: None },
        );
        state
    }

    fn plan() -> Plan {
        Plan {
            changes: vec![Change {
                address: Address::new(Kind::Connection, "slack"),
                name: Some("Slack".into()),
                depends_on: vec![],
                used_by: vec![],
                action: Action::Update {
                    id: "c".repeat(24),
                    fields: vec![FieldChange::new(
                        "name".parse().unwrap(),
                        FieldOp::Replace,
                        Some(Value::String("Old".into())),
                        Some(Value::String("Slack".into())),
                    )],
                    live_last_modified: Some("2026-01-01T00:00:00.000Z".into()),
                },
                data: None,
            }],
            ..Plan::default()
        }
    }

    fn saved(state: &State) -> SavedPlan {
        build(PlanRecord {
            target: "t",
            environment: None,
            state,
            options: PlanOptions::default(),
            desired: &desired("xoxb-1"),
            plan: &plan(),
            json_plan: serde_json::json!({"format_version": 1}),
        })
    }

    #[test]
    fn round_trip_and_verify() {
        let state = State::new("lineage".into(), "t".into(), "salt".into());
        let document = saved(&state);
        let text = render(&document);
        assert!(!text.contains("xoxb-1"), "no secret value in the file");
        let parsed = parse("plan.json", &text).unwrap();
        verify("plan.json", &parsed, "t", &state, &desired("xoxb-1")).unwrap();
        verify_changes(&parsed, &state.salt, &plan()).unwrap();
    }

    /// A file as the first format wrote it (no `environment`, `unchanged` or `options.destroy`)
    /// is still written that way for an ordinary plan, so older builds read it, and reads,
    /// verifies and renders here.
    #[test]
    fn an_ordinary_plan_stays_version_1_and_a_destroy_plan_is_version_2() {
        let state = State::new("lineage".into(), "t".into(), "salt".into());
        let json_plan = serde_json::from_str(&flowform_diff::render::json(
            &plan(),
            &flowform_diff::render::JsonContext { target: "t".into() },
        ))
        .unwrap();
        let document = build(PlanRecord {
            target: "t",
            environment: None,
            state: &state,
            options: PlanOptions::default(),
            desired: &desired("xoxb-1"),
            plan: &plan(),
            json_plan,
        });
        let text = render(&document);
        assert_eq!(document.format_version, 1);
        for added in ["environment", "unchanged", "destroy"] {
            assert!(!text.contains(&format!("\"{added}\"")), "`{added}` in a version 1 file");
        }
        let parsed = parse("plan.json", &text).unwrap();
        verify("plan.json", &parsed, "t", &state, &desired("xoxb-1")).unwrap();
        let read_back = parsed.to_plan("plan.json").unwrap();
        assert_eq!(read_back.unlisted_unchanged, 0);
        assert_eq!(read_back.plan.changes.len(), 1);
        assert_eq!(
            read_back.plan.changes[0].action.live_last_modified(),
            Some("2026-01-01T00:00:00.000Z"),
            "the lastModified the change was planned against comes from the recorded change"
        );

        let mut with_unchanged = plan();
        with_unchanged.changes.push(Change {
            address: Address::new(Kind::Integration, "main"),
            name: Some("Main".into()),
            depends_on: vec![],
            used_by: vec![],
            action: Action::NoOp { id: "a".repeat(24), live_last_modified: None },
            data: None,
        });
        let destroy = build(PlanRecord {
            target: "t",
            environment: Some("prod"),
            state: &state,
            options: PlanOptions { destroy: true, ..PlanOptions::default() },
            desired: &DesiredState::default(),
            plan: &with_unchanged,
            json_plan: serde_json::from_str(&flowform_diff::render::json(
                &with_unchanged,
                &flowform_diff::render::JsonContext { target: "t".into() },
            ))
            .unwrap(),
        });
        assert_eq!(destroy.format_version, 2);
        let parsed = parse("destroy.json", &render(&destroy)).unwrap();
        assert!(parsed.options.destroy);
        assert_eq!(parsed.environment.as_deref(), Some("prod"));
        verify("destroy.json", &parsed, "t", &state, &DesiredState::default()).unwrap();
        let read_back = parsed.to_plan("destroy.json").unwrap();
        assert_eq!(read_back.plan.summary().no_op, 1);
        assert_eq!(read_back.unlisted_unchanged, 0);
        // A file without the list of unchanged resources (as version 1 wrote them) counts them.
        let mut older = parsed.clone();
        older.unchanged.clear();
        assert_eq!(older.to_plan("old.json").unwrap().unlisted_unchanged, 1);
        assert!(matches!(
            parse("p", "{\"kind\": \"flowform-plan\", \"format_version\": 4}"),
            Err(SavedPlanError::TooNew { found: 4, supported: 3, .. })
        ));
    }

    #[test]
    fn refusals_name_what_moved() {
        let mut state = State::new("lineage".into(), "t".into(), "salt".into());
        let document = saved(&state);
        let error = verify("p", &document, "t", &state, &desired("xoxb-2")).unwrap_err();
        assert!(error.to_string().contains("secret `SLACK_TOKEN`"), "{error}");
        let error = verify("p", &document, "other", &state, &desired("xoxb-1")).unwrap_err();
        assert!(matches!(error, SavedPlanError::OtherTarget { .. }));
        let mut tampered = document.clone();
        tampered.changes[0].action = "delete".into();
        let error = verify("p", &tampered, "t", &state, &desired("xoxb-1")).unwrap_err();
        assert!(matches!(error, SavedPlanError::Tampered { .. }));
        let mut moved = plan();
        if let Action::Update { live_last_modified, .. } = &mut moved.changes[0].action {
            *live_last_modified = Some("2026-02-02T00:00:00.000Z".into());
        }
        let error = verify_changes(&document, &state.salt, &moved).unwrap_err();
        assert!(error.to_string().contains("`connection.slack` was modified"), "{error}");
        state.serial += 1;
        let error = verify("p", &document, "t", &state, &desired("xoxb-1")).unwrap_err();
        assert!(error.to_string().contains("another apply ran"), "{error}");
        assert!(matches!(
            parse("p", "{\"kind\": \"flowform-plan\""),
            Err(SavedPlanError::Unreadable { .. })
        ));
        assert!(matches!(
            parse("p", "{\"kind\": \"flowform-plan\", \"format_version\": 7}"),
            Err(SavedPlanError::TooNew { found: 7, .. })
        ));
    }
}
