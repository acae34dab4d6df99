//! The typed results of API calls. Documents themselves stay `serde_json::Value`s inside
//! [`LiveResource`]: the API has far more fields than any Rust type would keep up with.

use std::collections::BTreeMap;

use flowform_model::{FieldPath, Kind, LiveResource, MASK, is_mask_text};

/// One entry of `GET /v1/environments` (integrator-api.md §1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// `_id`.
    pub id: String,
    /// `name` (Production, Sandbox, …).
    pub name: Option<String>,
    /// `_envUserId`: read-only; the user the environment's resources belong to. flowform reads
    /// the environment whose `_envUserId` is the token's `_userId` as the token's.
    pub env_user_id: Option<String>,
}

/// What `GET /v1/tokenInfo` says about the token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    /// `_userId`: the user the token acts for.
    pub user_id: Option<String>,
    /// `scope`, such as `*` for a full-access token.
    pub scope: Option<String>,
    /// The whole response.
    pub document: serde_json::Value,
}

/// The result of a create.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The created resource, as the server returned it.
    pub resource: LiveResource,
    /// True when the create's response was lost and the resource was found by the recovery
    /// search (same kind and name, created after the request began) instead of created again.
    pub recovered: bool,
}

/// One resource a clone created, from the array ("manifest") form of a clone response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClonedEntry {
    /// `model`, such as `Flow` or `Export`.
    pub model: String,
    /// `_id`.
    pub id: String,
    /// `name`, when given.
    pub name: Option<String>,
}

/// The result of a clone. The API answers either with the cloned document or with an array
/// listing every resource it created; both become this.
#[derive(Debug, Clone, PartialEq)]
pub struct Cloned {
    /// The id of the clone of the resource that was asked to be cloned.
    pub id: String,
    /// The clone's document, when the server returned it.
    pub resource: Option<LiveResource>,
    /// Every resource the clone created, when the server listed them (empty otherwise).
    pub manifest: Vec<ClonedEntry>,
}

/// One resource that depends on (or is used by) another, from `/dependencies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependent {
    /// Its id.
    pub id: String,
    /// Its name, when given.
    pub name: Option<String>,
    /// The field paths through which it refers.
    pub paths: Vec<String>,
    /// `accessLevel`, when given.
    pub access_level: Option<String>,
}

/// The answer of `GET /v1/<kind>/<id>/dependencies`: dependents by resource type (`flows`,
/// `exports`, …, as the API names them). Empty means nothing depends on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Dependents by resource type.
    pub by_type: BTreeMap<String, Vec<Dependent>>,
}

impl Dependencies {
    /// Whether nothing depends on the resource.
    pub fn is_empty(&self) -> bool {
        self.by_type.values().all(Vec::is_empty)
    }

    /// Every dependent, with its resource type.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Dependent)> {
        self.by_type
            .iter()
            .flat_map(|(kind, dependents)| dependents.iter().map(move |d| (kind.as_str(), d)))
    }
}

/// A JSON-Patch operation for `PATCH /v1/<kind>/<id>`. The API accepts only whitelisted paths
/// per kind (such as `/name` on connections).
#[derive(Debug, Clone, PartialEq)]
pub enum PatchOp {
    /// `{"op":"replace","path":…,"value":…}`.
    Replace {
        /// A JSON pointer such as `/name`.
        path: String,
        /// The new value.
        value: serde_json::Value,
    },
    /// `{"op":"add","path":…,"value":…}`.
    Add {
        /// A JSON pointer.
        path: String,
        /// The value.
        value: serde_json::Value,
    },
    /// `{"op":"remove","path":…}`.
    Remove {
        /// A JSON pointer.
        path: String,
    },
}

impl PatchOp {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            PatchOp::Replace { path, value } => {
                serde_json::json!({"op": "replace", "path": path, "value": value})
            }
            PatchOp::Add { path, value } => {
                serde_json::json!({"op": "add", "path": path, "value": value})
            }
            PatchOp::Remove { path } => serde_json::json!({"op": "remove", "path": path}),
        }
    }
}

/// A job's status. `completed`, `failed` and `canceled` are final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    /// `queued`.
    Queued,
    /// `running`.
    Running,
    /// `retrying`.
    Retrying,
    /// `canceling`.
    Canceling,
    /// `completed` (may still have errors: see [`Job::num_error`]).
    Completed,
    /// `failed`.
    Failed,
    /// `canceled`.
    Canceled,
    /// A status this client does not know, kept as sent.
    Other(String),
}

impl JobStatus {
    fn parse(text: &str) -> JobStatus {
        match text {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "retrying" => JobStatus::Retrying,
            "canceling" => JobStatus::Canceling,
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            "canceled" | "cancelled" => JobStatus::Canceled,
            other => JobStatus::Other(other.to_owned()),
        }
    }

    /// Whether the job has ended.
    pub fn is_final(&self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Canceled)
    }

    /// The status as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Retrying => "retrying",
            JobStatus::Canceling => "canceling",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Canceled => "canceled",
            JobStatus::Other(other) => other,
        }
    }
}

/// A job, from `GET /v1/jobs/<id>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// `_id`.
    pub id: String,
    /// `status` (a job without one is reported as `queued`).
    pub status: JobStatus,
    /// `numSuccess`.
    pub num_success: u64,
    /// `numError`.
    pub num_error: u64,
    /// `numIgnore`.
    pub num_ignore: u64,
    /// The whole document.
    pub document: serde_json::Value,
}

impl Job {
    pub(crate) fn from_document(fallback_id: &str, document: serde_json::Value) -> Job {
        let count =
            |field: &str| document.get(field).and_then(serde_json::Value::as_u64).unwrap_or(0);
        Job {
            id: document.get("_id").and_then(|id| id.as_str()).unwrap_or(fallback_id).to_owned(),
            status: document
                .get("status")
                .and_then(|status| status.as_str())
                .map_or(JobStatus::Queued, JobStatus::parse),
            num_success: count("numSuccess"),
            num_error: count("numError"),
            num_ignore: count("numIgnore"),
            document,
        }
    }
}

/// Where State API keys live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateScope {
    /// `/v1/state/…`: the account's global keys.
    Global,
    /// `/v1/<kind>/<id>/state/…`: keys scoped under one resource (the global listing never
    /// shows them).
    Resource {
        /// The resource kind.
        kind: Kind,
        /// The resource id.
        id: String,
    },
}

/// The path of the first string (or object key) in `value` that contains the mask `******`, or
/// a string that is another mask (any run of three or more asterisks: `****` and the like).
pub(crate) fn find_mask(value: &serde_json::Value) -> Option<FieldPath> {
    fn walk(value: &serde_json::Value, path: FieldPath) -> Option<FieldPath> {
        match value {
            serde_json::Value::String(text) if text.contains(MASK) || is_mask_text(text) => {
                Some(path)
            }
            serde_json::Value::Array(items) => {
                items.iter().enumerate().find_map(|(index, item)| walk(item, path.index(index)))
            }
            serde_json::Value::Object(object) => object.iter().find_map(|(key, item)| {
                if key.contains(MASK) {
                    Some(path.key(key.clone()))
                } else {
                    walk(item, path.key(key.clone()))
                }
            }),
            _ => None,
        }
    }
    walk(value, FieldPath::root())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_mask_anywhere() {
        let body = serde_json::json!({
            "name": "x",
            "http": {"auth": {"token": {"token": "******"}}},
        });
        assert_eq!(find_mask(&body).unwrap().to_string(), "http.auth.token.token");
        let nested = serde_json::json!({"list": [{"a": 1}, {"b": ["ok", "pre******post"]}]});
        let path = find_mask(&nested).unwrap().to_string();
        assert!(path.contains("list") && path.contains('1'), "{path}");
        assert!(find_mask(&serde_json::json!({"password": "*****"})).is_some());
        assert!(find_mask(&serde_json::json!({"value": "****"})).is_some());
        assert!(find_mask(&serde_json::json!({"glob": "**", "text": "a***"})).is_none());
        assert!(find_mask(&serde_json::json!({"******": 1})).is_some());
    }

    #[test]
    fn jobs_parse_tolerantly() {
        let job =
            Job::from_document("j1", serde_json::json!({"status": "completed", "numError": 2}));
        assert_eq!(job.id, "j1");
        assert!(job.status.is_final());
        assert_eq!(job.num_error, 2);
        let odd = Job::from_document("j2", serde_json::json!({"_id": "j2", "status": "paused"}));
        assert_eq!(odd.status, JobStatus::Other("paused".into()));
        assert!(!odd.status.is_final());
    }
}
