//! Test and sandbox controls: the in-process [`Admin`] handle and the `/admin` HTTP API (served
//! only when enabled; the account is chosen by the request's bearer token).
//!
//! | method and path | does |
//! |---|---|
//! | `POST /admin/reset` | deletes every resource, bin entry, job and state key of the account and zeroes its counters |
//! | `POST /admin/fixtures` | loads `{"integrations":[…], "connections":[…], …}` (documents as a GET returns them; `_id`s kept) → `{"loaded":{collection: n}}` |
//! | `GET /admin/fixtures` | the account's resources in fixture format, secrets unmasked |
//! | `GET /admin/counters` | `{"requestsReceived", "rateLimited", "serverErrorsInjected", "responsesDropped", "unauthenticated", "routes":[{"method","route","count"}]}` |
//! | `DELETE /admin/counters` | zeroes the account's counters |
//! | `GET /admin/counts` | `{collection: number of documents}` |
//! | `GET /admin/documents/{collection}` | every document of the collection, unmasked |
//! | `GET /admin/documents/{collection}/{id}` | one document, unmasked |
//! | `PATCH /admin/documents/{collection}/{id}` | out-of-band edit: a JSON merge patch (RFC 7386), no validation, `lastModified` bumped as a UI edit would → the new document |
//! | `GET /admin/settings` / `PUT /admin/settings` | read or change (partially) `pageSize`, `latencyMs`, `jitterMs`, `serverErrorRate`, `droppedWriteRate`, `forced429` (`{"every","burst","retryAfterSeconds"}` or null), `rateLimit` (`{"capacity","refillPerSecond"}` or null), `maskMode` (`keepOnMask`/`storeLiteral`), `cloneResponse` (`document`/`manifest`), `licensedConcurrency`, `maskLength`, `deleteInUse` (`"422"`/`"409"`/`"400"`/`"allow"`), `iClientOmittedSecret` (`"erased"`/`"kept"`), `lookupCacheLimits` (`{"entriesPerCall","bytesPerCall","bytesPerCache","bytesPerAccount","keysPerPage","bytesPerPage"}`, each optional) |
//! | `POST /admin/force-429` | `{"count": n}`: the account's next n `/v1` requests get 429 |
//! | `PUT /admin/job-outcome` | `{"outcome":"success"}`, `{"outcome":"errors","numError":n}` or `{"outcome":"failed"}` for the account's next runs |
//! | `GET /admin/fidelity` | every server behaviour: `[{"name","on","default","source","does","rules"?}]` |
//! | `PUT /admin/fidelity` | `{"<name>": true\|false, …}` (`"all"` first sets every one) → the new list |
//! | `POST /admin/raw` | loads documents exactly as a real account holds them (`{"flows":[…], …}`, `_id` required, nothing added or validated) → `{"loaded":{collection: n}}` |
//! | `POST /admin/connections/{id}/authorize` | the service obtains the connection's own tokens (OAuth authorization code, Salesforce, NetSuite `token-auto`) → `{"paths":[…]}` |
//! | `POST /admin/agents` | creates an on-premise agent in the account (`{"name": …}`, validated like `POST /v1/agents`; the service adds `offline: true`) → 201 the document |
//! | `POST /admin/stacks` | creates a stack (`{"name": …, "type": "server", "server": {…}}`) → 201 the document, unmasked |
//! | `POST /admin/documents/{collection}` | creates a document of any collection through the normal create path → 201 the document, unmasked |
//! | `GET /admin/lookupcaches/{id}/data` | every entry of a lookup cache, `[{"key","value"}]` in key order |
//! | `POST /admin/flows/{id}/branching` | the UI's "Add branching": `pageProcessors` move into a new router's first branch → the new document |
//! | `DELETE /admin/flows/{id}/branching` | the UI's "Delete branching": the first branch's steps become `pageProcessors`, `routers` goes → the new document |
//!
//! Settings (rates, latency, faults, modes) are emulator-wide; data, counters, rate budget and
//! job outcome are per account.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::config::{
    CloneResponse, Faults, Forced429, JobOutcome, JobProgression, Latency, MaskMode, RateLimit,
};
use crate::context::Reply;
use crate::error::{AdminError, ApiError};
use crate::kinds::ResourceKind;
use crate::persist::{LoadMode, dump_resources, load_resources};
use crate::rate::Bucket;
use crate::resources::edit_out_of_band;
use crate::shared::Shared;
use crate::store::{Account, Counters};

mod fidelity;
mod kinds;

/// Request counters of one account, for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCounters {
    /// Authenticated `/v1` requests received (including those answered 429 or 5xx).
    pub requests_received: u64,
    /// 429 responses sent (rate limit and forced).
    pub rate_limited: u64,
    /// Injected 5xx responses.
    pub server_errors_injected: u64,
    /// Committed writes whose response was dropped.
    pub responses_dropped: u64,
    /// Requests without a valid token (emulator-wide: they belong to no account).
    pub unauthenticated: u64,
    /// Requests per `(method, route)`, e.g. `("GET", "/v1/flows/{id}")`.
    pub by_route: BTreeMap<(String, String), u64>,
}

impl RequestCounters {
    /// The count for one method and route label (ids shown as `{id}`, state keys as `{key}`).
    pub fn route(&self, method: &str, route: &str) -> u64 {
        self.by_route.get(&(method.to_owned(), route.to_owned())).copied().unwrap_or(0)
    }
}

/// In-process admin controls for one account (cheap to clone). The same powers as the `/admin`
/// HTTP API; documents read here are unmasked.
#[derive(Debug, Clone)]
pub struct Admin {
    shared: Arc<Shared>,
    account: usize,
}

impl Admin {
    pub(crate) fn new(shared: Arc<Shared>, account: usize) -> Self {
        Self { shared, account }
    }

    fn account(&self) -> &Account {
        &self.shared.accounts[self.account]
    }

    /// The account's user id, as `GET /v1/tokenInfo` gives it (`_userId`).
    pub fn user_id(&self) -> String {
        self.account().user_id.clone()
    }

    /// Sets what `GET /v1/environments` lists (the documents as the service returns them:
    /// `_id`, `name`, `_envUserId`, `enabled`), or `None` for a licence without environments
    /// (403 `feature_not_enabled`, the default).
    pub fn set_environments(&self, environments: Option<Vec<Value>>) {
        *self.account().environments.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            environments;
    }

    /// The controls of the account selected by `token`.
    pub fn for_token(&self, token: &str) -> Result<Admin, AdminError> {
        let account = self.shared.account_index(token).ok_or(AdminError::UnknownAccount)?;
        Ok(Admin { shared: self.shared.clone(), account })
    }

    /// The account's name.
    pub fn account_name(&self) -> &str {
        &self.account().name
    }

    /// Deletes all of the account's data (resources, recycle bin, jobs, state) and zeroes its
    /// counters.
    pub fn reset(&self) {
        self.account().write().clear();
        self.reset_counters();
        self.account().forced_429_remaining.store(0, Ordering::Relaxed);
        self.shared.data_changed();
    }

    /// Loads fixtures: `{"integrations":[…], "connections":[…], …}` with documents as a GET
    /// returns them. Documents keep their `_id` (a document with an existing id replaces it).
    /// Nothing is loaded if any document is malformed.
    pub fn load_fixtures(
        &self,
        fixtures: &Value,
    ) -> Result<BTreeMap<ResourceKind, usize>, AdminError> {
        let counts = {
            let mut data = self.account().write();
            load_resources(&mut data, fixtures, &self.shared.ids, LoadMode::Fixture)
                .map_err(|reason| AdminError::InvalidInput { reason })?
        };
        self.shared.data_changed();
        Ok(counts)
    }

    /// The account's resources in fixture format, unmasked.
    pub fn export_fixtures(&self) -> Value {
        Value::Object(dump_resources(&self.account().read()))
    }

    /// The account's request counters.
    pub fn counters(&self) -> RequestCounters {
        let counters: Counters = self.account().counters().clone();
        RequestCounters {
            requests_received: counters.requests_received,
            rate_limited: counters.rate_limited,
            server_errors_injected: counters.server_errors_injected,
            responses_dropped: counters.responses_dropped,
            unauthenticated: self.shared.unauthenticated.load(Ordering::Relaxed),
            by_route: counters.by_route,
        }
    }

    /// Zeroes the account's counters.
    pub fn reset_counters(&self) {
        *self.account().counters() = Counters::default();
    }

    /// An out-of-band edit, as if made in the UI: merges `patch` (RFC 7386 merge patch) into
    /// the stored document without validation and bumps `lastModified`. Returns the new
    /// document, unmasked.
    pub fn edit(&self, kind: ResourceKind, id: &str, patch: &Value) -> Result<Value, AdminError> {
        let Some(patch) = patch.as_object() else {
            return Err(AdminError::InvalidInput {
                reason: "an edit must be a JSON object (merge patch)".to_owned(),
            });
        };
        let edited =
            edit_out_of_band(&mut self.account().write(), kind, id, patch).ok_or_else(|| {
                AdminError::NotFound { collection: kind.collection().to_owned(), id: id.to_owned() }
            })?;
        self.shared.data_changed();
        Ok(Value::Object(edited))
    }

    /// A stored document, unmasked.
    pub fn document(&self, kind: ResourceKind, id: &str) -> Option<Value> {
        self.account().read().get(kind, id).cloned().map(Value::Object)
    }

    /// Every stored document of a kind in creation order, unmasked.
    pub fn documents(&self, kind: ResourceKind) -> Vec<Value> {
        self.account().read().collection(kind).values().cloned().map(Value::Object).collect()
    }

    /// How many documents of a kind the account holds.
    pub fn count(&self, kind: ResourceKind) -> usize {
        self.account().read().collection(kind).len()
    }

    /// How many documents of each kind the account holds.
    pub fn counts(&self) -> BTreeMap<ResourceKind, usize> {
        self.account().read().counts()
    }

    /// Documents in the recycle bin, oldest deletion first, unmasked.
    pub fn recycle_bin(&self) -> Vec<(ResourceKind, Value)> {
        self.account()
            .read()
            .recycle_bin
            .values()
            .map(|(kind, document)| (*kind, Value::Object(document.clone())))
            .collect()
    }

    /// A global State API value.
    pub fn state_value(&self, key: &str) -> Option<Value> {
        self.account().read().state.get(key).cloned()
    }

    /// The current faults (emulator-wide).
    pub fn faults(&self) -> Faults {
        self.shared.settings().faults
    }

    /// Replaces the faults (emulator-wide).
    pub fn set_faults(&self, faults: Faults) -> Result<(), AdminError> {
        check_faults(&faults)?;
        self.shared.update_settings(|settings| settings.faults = faults);
        Ok(())
    }

    /// Replaces the added latency (emulator-wide).
    pub fn set_latency(&self, latency: Latency) {
        self.shared.update_settings(|settings| settings.latency = latency);
    }

    /// Replaces the rate limit (emulator-wide; `None` turns it off). Every account's bucket
    /// starts full again.
    pub fn set_rate_limit(&self, rate_limit: Option<RateLimit>) {
        self.shared.update_settings(|settings| settings.rate_limit = rate_limit);
        for account in &self.shared.accounts {
            *account.bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Bucket::full(rate_limit);
        }
    }

    /// The account's next `count` `/v1` requests are answered 429 with `Retry-After: 1`.
    pub fn force_429(&self, count: u64) {
        self.account().forced_429_remaining.store(count, Ordering::Relaxed);
    }

    /// How the account's next runs end.
    pub fn set_job_outcome(&self, outcome: JobOutcome) {
        self.account().write().job_outcome = outcome;
    }

    /// Switches the mask mode (emulator-wide).
    pub fn set_mask_mode(&self, mode: MaskMode) {
        self.shared.update_settings(|settings| settings.mask_mode = mode);
    }

    /// Switches the clone response shape (emulator-wide).
    pub fn set_clone_response(&self, shape: CloneResponse) {
        self.shared.update_settings(|settings| settings.clone_response = shape);
    }

    /// Switches how jobs progress (emulator-wide; applies to existing jobs too).
    pub fn set_job_progression(&self, progression: JobProgression) {
        self.shared.update_settings(|settings| settings.job_progression = progression);
    }

    /// Changes the default list page size (emulator-wide).
    pub fn set_page_size(&self, page_size: usize) -> Result<(), AdminError> {
        if page_size == 0 {
            return Err(AdminError::InvalidSetting {
                reason: "the page size must be at least 1".to_owned(),
            });
        }
        self.shared.update_settings(|settings| settings.page_size = page_size);
        Ok(())
    }
}

/// A mask must be a run of 1 to 32 asterisks.
pub(crate) fn check_mask_length(length: u8) -> Result<(), AdminError> {
    if (1..=32).contains(&length) {
        Ok(())
    } else {
        Err(AdminError::InvalidSetting {
            reason: format!("the mask length must be between 1 and 32, got `{length}`"),
        })
    }
}

pub(crate) fn check_faults(faults: &Faults) -> Result<(), AdminError> {
    for (name, rate) in [
        ("server error rate", faults.server_error_rate),
        ("dropped write rate", faults.dropped_write_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(AdminError::InvalidSetting {
                reason: format!("the {name} must be between 0 and 1, got `{rate}`"),
            });
        }
    }
    if let Some(burst) = faults.forced_429
        && (burst.every == 0 || burst.burst > burst.every)
    {
        return Err(AdminError::InvalidSetting {
            reason: "forced 429 bursts need `every` ≥ 1 and `burst` ≤ `every`".to_owned(),
        });
    }
    Ok(())
}

fn admin_error(error: AdminError) -> Reply {
    let status = match error {
        AdminError::UnknownAccount => StatusCode::UNAUTHORIZED,
        AdminError::UnknownCollection { .. } | AdminError::NotFound { .. } => StatusCode::NOT_FOUND,
        AdminError::InvalidInput { .. } | AdminError::InvalidSetting { .. } => {
            StatusCode::BAD_REQUEST
        }
    };
    Reply::from(ApiError::new(status, "admin_error", error.to_string()))
}

fn kind_of(collection: &str) -> Result<ResourceKind, AdminError> {
    ResourceKind::from_collection(collection)
        .ok_or_else(|| AdminError::UnknownCollection { name: collection.to_owned() })
}

fn settings_json(shared: &Shared) -> Value {
    let settings = shared.settings();
    json!({
        "pageSize": settings.page_size,
        "latencyMs": settings.latency.fixed.as_millis() as u64,
        "jitterMs": settings.latency.jitter.as_millis() as u64,
        "serverErrorRate": settings.faults.server_error_rate,
        "droppedWriteRate": settings.faults.dropped_write_rate,
        "forced429": settings.faults.forced_429.map(|burst| json!({
            "every": burst.every, "burst": burst.burst, "retryAfterSeconds": burst.retry_after_seconds,
        })),
        "rateLimit": settings.rate_limit.map(|limit| json!({
            "capacity": limit.capacity, "refillPerSecond": limit.refill_per_second,
        })),
        "maskMode": match settings.mask_mode { MaskMode::KeepOnMask => "keepOnMask", MaskMode::StoreLiteral => "storeLiteral" },
        "cloneResponse": match settings.clone_response { CloneResponse::Document => "document", CloneResponse::Manifest => "manifest" },
        "licensedConcurrency": settings.licensed_concurrency,
        "maskLength": settings.mask_length,
        "deleteInUse": settings.delete_in_use.name(),
        "iClientOmittedSecret": settings.iclient_omitted_secret.name(),
        "lookupCacheLimits": kinds::limits_json(settings.lookup_cache_limits),
    })
}

fn invalid(reason: impl Into<String>) -> AdminError {
    AdminError::InvalidSetting { reason: reason.into() }
}

fn number(body: &Map<String, Value>, key: &str) -> Result<Option<u64>, AdminError> {
    match body.get(key) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(format!("`{key}` must be a non-negative integer"))),
    }
}

fn apply_settings(admin: &Admin, body: &Value) -> Result<(), AdminError> {
    let Some(body) = body.as_object() else {
        return Err(invalid("settings must be a JSON object"));
    };
    let current = admin.shared.settings();
    let mut faults = current.faults;
    let mut latency = current.latency;
    if let Some(page_size) = number(body, "pageSize")? {
        admin.set_page_size(
            usize::try_from(page_size).map_err(|_| invalid("`pageSize` is too large"))?,
        )?;
    }
    if let Some(millis) = number(body, "latencyMs")? {
        latency.fixed = Duration::from_millis(millis);
    }
    if let Some(millis) = number(body, "jitterMs")? {
        latency.jitter = Duration::from_millis(millis);
    }
    for (key, slot) in [
        ("serverErrorRate", &mut faults.server_error_rate),
        ("droppedWriteRate", &mut faults.dropped_write_rate),
    ] {
        if let Some(value) = body.get(key) {
            *slot = value.as_f64().ok_or_else(|| invalid(format!("`{key}` must be a number")))?;
        }
    }
    if let Some(value) = body.get("forced429") {
        faults.forced_429 = match value {
            Value::Null => None,
            Value::Object(burst) => Some(Forced429 {
                every: number(burst, "every")?.unwrap_or(0),
                burst: number(burst, "burst")?.unwrap_or(0),
                retry_after_seconds: number(burst, "retryAfterSeconds")?.unwrap_or(1),
            }),
            _ => return Err(invalid("`forced429` must be an object or null")),
        };
    }
    admin.set_faults(faults)?;
    admin.set_latency(latency);
    if let Some(value) = body.get("rateLimit") {
        let limit = match value {
            Value::Null => None,
            Value::Object(limit) => {
                let capacity = number(limit, "capacity")?.unwrap_or(0);
                let refill = number(limit, "refillPerSecond")?.unwrap_or(0);
                let to_u32 = |value: u64| {
                    u32::try_from(value).map_err(|_| invalid("rate limit values are too large"))
                };
                (capacity > 0 && refill > 0).then_some(RateLimit {
                    capacity: to_u32(capacity)?,
                    refill_per_second: to_u32(refill)?,
                })
            }
            _ => return Err(invalid("`rateLimit` must be an object or null")),
        };
        admin.set_rate_limit(limit);
    }
    match body.get("maskMode").and_then(Value::as_str) {
        None => {}
        Some("keepOnMask") => admin.set_mask_mode(MaskMode::KeepOnMask),
        Some("storeLiteral") => admin.set_mask_mode(MaskMode::StoreLiteral),
        Some(other) => return Err(invalid(format!("unknown `maskMode` `{other}`"))),
    }
    match body.get("cloneResponse").and_then(Value::as_str) {
        None => {}
        Some("document") => admin.set_clone_response(CloneResponse::Document),
        Some("manifest") => admin.set_clone_response(CloneResponse::Manifest),
        Some(other) => return Err(invalid(format!("unknown `cloneResponse` `{other}`"))),
    }
    fidelity::apply_question_settings(admin, body)?;
    kinds::apply_settings(admin, body)
}

fn job_outcome(body: &Value) -> Result<JobOutcome, AdminError> {
    match body.get("outcome").and_then(Value::as_str) {
        Some("success") => Ok(JobOutcome::Success),
        Some("failed") => Ok(JobOutcome::Failed),
        Some("errors") => {
            let errors = body.get("numError").and_then(Value::as_u64).unwrap_or(1);
            Ok(JobOutcome::CompletedWithErrors(errors))
        }
        _ => Err(invalid("`outcome` must be `success`, `errors` or `failed`")),
    }
}

pub(crate) async fn admin_handler(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if !shared.admin_enabled {
        return Reply::from(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route"))
            .into_response();
    }
    let (parts, body) = request.into_parts();
    let account = match shared.authenticate(&parts.headers) {
        Ok(index) => index,
        Err(unauthorized) => return unauthorized.into_response(),
    };
    let admin = Admin::new(shared.clone(), account);
    let body = if has_body(&parts.method) {
        let bytes = match axum::body::to_bytes(body, 256 * 1024 * 1024).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return admin_error(invalid("the request body could not be read")).into_response();
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(value) => value,
                Err(error) => {
                    return admin_error(AdminError::InvalidInput {
                        reason: format!("invalid JSON: {error}"),
                    })
                    .into_response();
                }
            }
        }
    } else {
        Value::Null
    };
    let segments: Vec<&str> = parts
        .uri
        .path()
        .trim_start_matches("/admin")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    route(&admin, &parts.method, &segments, &body).unwrap_or_else(admin_error).into_response()
}

fn route(
    admin: &Admin,
    method: &Method,
    segments: &[&str],
    body: &Value,
) -> Result<Reply, AdminError> {
    let ok = |value: Value| Ok(Reply::json(StatusCode::OK, value));
    let not_allowed = || {
        Ok(Reply::from(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed",
        )))
    };
    match (segments, method.clone()) {
        (["reset"], Method::POST) => {
            admin.reset();
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (["fixtures"], Method::POST) => {
            let counts = admin.load_fixtures(body)?;
            let loaded: Map<String, Value> = counts
                .into_iter()
                .map(|(kind, count)| (kind.collection().to_owned(), json!(count)))
                .collect();
            ok(json!({ "loaded": loaded }))
        }
        (["fixtures"], Method::GET) => ok(admin.export_fixtures()),
        (["counters"], Method::GET) => {
            let counters = admin.counters();
            let routes: Vec<Value> = counters
                .by_route
                .iter()
                .map(|((method, route), count)| json!({"method": method, "route": route, "count": count}))
                .collect();
            ok(json!({
                "requestsReceived": counters.requests_received,
                "rateLimited": counters.rate_limited,
                "serverErrorsInjected": counters.server_errors_injected,
                "responsesDropped": counters.responses_dropped,
                "unauthenticated": counters.unauthenticated,
                "routes": routes,
            }))
        }
        (["counters"], Method::DELETE) => {
            admin.reset_counters();
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (["counts"], Method::GET) => {
            let counts: Map<String, Value> = admin
                .counts()
                .into_iter()
                .map(|(kind, count)| (kind.collection().to_owned(), json!(count)))
                .collect();
            ok(Value::Object(counts))
        }
        (["documents", collection], Method::GET) => {
            ok(Value::Array(admin.documents(kind_of(collection)?)))
        }
        (["documents", collection, id], Method::GET) => {
            let kind = kind_of(collection)?;
            admin.document(kind, id).map_or_else(
                || {
                    Err(AdminError::NotFound {
                        collection: kind.collection().to_owned(),
                        id: (*id).to_owned(),
                    })
                },
                ok,
            )
        }
        (["documents", collection, id], Method::PATCH) => {
            ok(admin.edit(kind_of(collection)?, id, body)?)
        }
        (["settings"], Method::GET) => ok(settings_json(&admin.shared)),
        (["settings"], Method::PUT) => {
            apply_settings(admin, body)?;
            ok(settings_json(&admin.shared))
        }
        (["force-429"], Method::POST) => {
            let count = body
                .get("count")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("`count` must be a non-negative integer"))?;
            admin.force_429(count);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (["job-outcome"], Method::PUT) => {
            admin.set_job_outcome(job_outcome(body)?);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (["fidelity"], Method::GET) => ok(fidelity::fidelity_json(admin.fidelity())),
        (["fidelity"], Method::PUT) => {
            fidelity::apply_fidelity(admin, body)?;
            ok(fidelity::fidelity_json(admin.fidelity()))
        }
        (["raw"], Method::POST) => {
            let counts = admin.load_raw(body)?;
            let loaded: Map<String, Value> = counts
                .into_iter()
                .map(|(kind, count)| (kind.collection().to_owned(), json!(count)))
                .collect();
            ok(json!({ "loaded": loaded }))
        }
        (["connections", id, "authorize"], Method::POST) => {
            ok(json!({ "paths": admin.authorize_connection(id)? }))
        }
        (["agents"], Method::POST) => {
            Ok(Reply::json(StatusCode::CREATED, admin.create_agent(body)?))
        }
        (["stacks"], Method::POST) => {
            Ok(Reply::json(StatusCode::CREATED, admin.create_stack(body)?))
        }
        (["documents", collection], Method::POST) => {
            Ok(Reply::json(StatusCode::CREATED, admin.create(kind_of(collection)?, body)?))
        }
        (["lookupcaches", id, "data"], Method::GET) => {
            admin.lookup_cache_data(id).map(Value::Array).map_or_else(
                || {
                    Err(AdminError::NotFound {
                        collection: ResourceKind::LookupCaches.collection().to_owned(),
                        id: (*id).to_owned(),
                    })
                },
                ok,
            )
        }
        (["environments"], Method::PUT) => {
            let environments = match body {
                Value::Null => None,
                Value::Array(list) => Some(list.clone()),
                _ => {
                    return Err(AdminError::InvalidInput {
                        reason: "expected an array of environments, or null".to_owned(),
                    });
                }
            };
            admin.set_environments(environments);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (["flows", id, "branching"], Method::POST) => ok(admin.add_branching(id)?),
        (["flows", id, "branching"], Method::DELETE) => ok(admin.remove_branching(id)?),
        (
            [
                "reset" | "fixtures" | "counters" | "counts" | "settings" | "force-429"
                | "job-outcome" | "fidelity" | "raw" | "environments",
            ],
            _,
        )
        | (["documents", ..], _)
        | (["agents" | "stacks"], _)
        | (["lookupcaches", _, "data"], _)
        | (["connections", _, "authorize"], _)
        | (["flows", _, "branching"], _) => not_allowed(),
        _ => Ok(Reply::from(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such admin route",
        ))),
    }
}

/// Whether a method may carry a JSON body the admin API reads.
fn has_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}
