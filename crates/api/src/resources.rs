//! Resource operations: whoami, list, get, create (with lost-response recovery), update, patch,
//! delete, clone and dependencies.

use std::collections::HashSet;
use std::time::Duration;

use flowform_model::{Kind, LiveResource, LiveState, Value};
use futures::future::try_join_all;
use reqwest::Method;

use crate::budget::Event;
use crate::client::{Call, Client, Reply, Retry, segment};
use crate::error::Error;
use crate::pagination::json_type;
use crate::types::{
    Cloned, ClonedEntry, Created, Dependencies, Dependent, Environment, PatchOp, TokenInfo,
    find_mask,
};

/// The fields the recovery search asks for (a server that ignores projection is fine too).
const RECOVERY_PROJECTION: &str = "_id,name,createdAt,_integrationId";

/// How far back the recovery search looks when no `Date` header has told the server's clock.
const UNKNOWN_CLOCK_ALLOWANCE: Duration = Duration::from_secs(15 * 60);

/// What the recovery search found.
enum Recovery {
    Nothing,
    One(String),
    Several(Vec<String>),
}

fn collection(kind: Kind) -> String {
    format!("/v1/{}", kind.plural())
}

fn document_path(kind: Kind, id: &str) -> Result<String, Error> {
    Ok(format!("/v1/{}/{}", kind.plural(), segment("id", id)?))
}

fn model_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Integration => "Integration",
        Kind::IClient => "iClient",
        Kind::FileDefinition => "FileDefinition",
        Kind::EdiProfile => "EDIProfile",
        Kind::LookupCache => "LookupCache",
        Kind::AsyncHelper => "AsyncHelper",
        Kind::Connection => "Connection",
        Kind::Script => "Script",
        Kind::Export => "Export",
        Kind::Import => "Import",
        Kind::Flow => "Flow",
    }
}

impl Client {
    fn refuse_mask(
        &self,
        method: &Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<(), Error> {
        match find_mask(body) {
            Some(field) => Err(Error::MaskInBody {
                method: method.clone(),
                request_path: path.to_owned(),
                field: field.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn resource(
        &self,
        kind: Kind,
        reply: &Reply,
        document: serde_json::Value,
    ) -> Result<LiveResource, Error> {
        match document {
            serde_json::Value::Object(_) => LiveResource::from_document(kind, document)
                .ok_or_else(|| reply.invalid("the document has no string `_id`")),
            other => {
                Err(reply.invalid(format!("expected a JSON object, got `{}`", json_type(&other))))
            }
        }
    }

    /// The document of `reply` as a resource, read straight into the model's values (`None`
    /// for an empty body); anything but an object is refused as [`Client::resource`] does.
    fn resource_of(&self, kind: Kind, reply: &Reply) -> Result<Option<LiveResource>, Error> {
        if !reply.is_object() {
            return match reply.json()? {
                Some(document) => self.resource(kind, reply, document).map(Some),
                None => Ok(None),
            };
        }
        let Some(document) = reply.json_as::<Value>()? else { return Ok(None) };
        LiveResource::from_value(kind, document)
            .map(Some)
            .ok_or_else(|| reply.invalid("the document has no string `_id`"))
    }

    fn resources(
        &self,
        kind: Kind,
        path: &str,
        documents: Vec<Value>,
    ) -> Result<Vec<LiveResource>, Error> {
        documents
            .into_iter()
            .enumerate()
            .map(|(index, document)| {
                LiveResource::from_value(kind, document).ok_or_else(|| Error::InvalidResponse {
                    method: Method::GET,
                    path: path.to_owned(),
                    status: 200,
                    reason: format!(
                        "item {index} of the list is not a document with a string `_id`"
                    ),
                })
            })
            .collect()
    }

    /// `GET /v1/tokenInfo`: checks the token and says whose it is.
    pub async fn whoami(&self) -> Result<TokenInfo, Error> {
        let reply = self.request(Method::GET, "/v1/tokenInfo", None, Retry::Idempotent).await?;
        let document = reply.json()?.unwrap_or(serde_json::Value::Null);
        if !document.is_object() {
            return Err(
                reply.invalid(format!("expected a JSON object, got `{}`", json_type(&document)))
            );
        }
        let text = |field: &str| {
            document.get(field).and_then(|value| match value {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        Ok(TokenInfo { user_id: text("_userId"), scope: text("scope"), document: document.clone() })
    }

    /// `GET /v1/environments`: the account's environments, or `None` when the account has none
    /// to list (a licence without environments answers 404, 403 or `feature_not_enabled`, and a
    /// token of restricted scope may not list them). Entries without a string `_id` are skipped.
    pub async fn environments(&self) -> Result<Option<Vec<Environment>>, Error> {
        let documents = match self.list_documents("/v1/environments").await {
            Ok(documents) => documents,
            Err(error)
                if matches!(error.status(), Some(403 | 404))
                    || error
                        .api_errors()
                        .iter()
                        .any(|item| item.code.as_deref() == Some("feature_not_enabled")) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        let text = |document: &serde_json::Value, field: &str| {
            document.get(field).and_then(serde_json::Value::as_str).map(str::to_owned)
        };
        Ok(Some(
            documents
                .iter()
                .filter_map(|document| {
                    Some(Environment {
                        id: text(document, "_id")?,
                        name: text(document, "name"),
                        env_user_id: text(document, "_envUserId"),
                    })
                })
                .collect(),
        ))
    }

    /// Every resource of a kind (`GET /v1/<kind>`, all pages, the documents as the list endpoint
    /// returns them; script lists omit `content`).
    pub async fn list(&self, kind: Kind) -> Result<Vec<LiveResource>, Error> {
        let path = collection(kind);
        let documents = self.list_documents::<Value>(&path).await?;
        self.resources(kind, &path, documents)
    }

    /// Every resource of a kind with only the given fields (`include=…`). The server always adds
    /// `_id` and `name`, may add others, and may ignore the projection; a server that refuses
    /// projection with 400 gets the plain list instead.
    pub async fn list_projected(
        &self,
        kind: Kind,
        fields: &[&str],
    ) -> Result<Vec<LiveResource>, Error> {
        let fields: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|field| {
                !field.is_empty()
                    && field.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            })
            .collect();
        if fields.is_empty() {
            return self.list(kind).await;
        }
        let path = format!("{}?include={}", collection(kind), fields.join(","));
        match self.list_documents::<Value>(&path).await {
            Ok(documents) => self.resources(kind, &collection(kind), documents),
            Err(Error::Api { status: 400, .. }) => self.list(kind).await,
            Err(error) => Err(error),
        }
    }

    /// Every resource of a kind inside one integration (`GET /v1/integrations/<id>/<kind>`).
    /// Available for connections, exports, imports and flows.
    pub async fn list_in_integration(
        &self,
        integration_id: &str,
        kind: Kind,
    ) -> Result<Vec<LiveResource>, Error> {
        if matches!(kind, Kind::Integration | Kind::Script) {
            return Err(Error::Unsupported { operation: "listing inside an integration", kind });
        }
        let path = format!("/v1/integrations/{}/{}", segment("id", integration_id)?, kind.plural());
        let documents = self.list_documents::<Value>(&path).await?;
        self.resources(kind, &path, documents)
    }

    /// Several resources by id, fetched concurrently under the shared budget, in the order given.
    /// Use it for the full documents that lists leave out (script lists omit `content`).
    pub async fn get_many(&self, kind: Kind, ids: &[String]) -> Result<Vec<LiveResource>, Error> {
        try_join_all(ids.iter().map(|id| self.get(kind, id))).await
    }

    /// Lists several kinds concurrently (under the shared budget) into one [`LiveState`]. The
    /// documents are what the list endpoints return (script lists omit `content`: see
    /// [`Client::get_many`]).
    pub async fn list_kinds(&self, kinds: &[Kind]) -> Result<LiveState, Error> {
        let lists = try_join_all(kinds.iter().map(|kind| self.list(*kind))).await?;
        let mut live = LiveState::default();
        for resource in lists.into_iter().flatten() {
            live.insert(resource);
        }
        Ok(live)
    }

    /// One resource by id.
    pub async fn get(&self, kind: Kind, id: &str) -> Result<LiveResource, Error> {
        let path = document_path(kind, id)?;
        let reply = self.request(Method::GET, &path, None, Retry::Idempotent).await?;
        match self.resource_of(kind, &reply)? {
            Some(resource) => Ok(resource),
            None => self.resource(kind, &reply, serde_json::Value::Null),
        }
    }

    /// Creates a resource (`POST /v1/<kind>`).
    ///
    /// A create is never sent again blindly. When its outcome is unknown (timeout, connection
    /// lost after sending, 5xx, unreadable answer), the client waits briefly, then lists the kind
    /// looking for a resource with the same `name` (for flows also the same `_integrationId`),
    /// created at or after the moment the request began (by the server's clock, estimated from
    /// `Date` headers), and not in `known_ids`. Exactly one: it is returned with `recovered:
    /// true`. None: nothing was created, and the create is sent again (up to
    /// `max_create_attempts`). Several: [`Error::AmbiguousCreate`] names them.
    ///
    /// A body containing the mask `******` anywhere is refused ([`Error::MaskInBody`]).
    pub async fn create(
        &self,
        kind: Kind,
        body: &serde_json::Value,
        known_ids: &HashSet<String>,
    ) -> Result<Created, Error> {
        let path = collection(kind);
        self.refuse_mask(&Method::POST, &path, body)?;
        let name = body.get("name").and_then(|name| name.as_str()).map(str::to_owned);
        let integration_id = match kind {
            Kind::Flow => body.get("_integrationId").and_then(|id| id.as_str()).map(str::to_owned),
            _ => None,
        };
        let policy = self.inner.config.retry;
        let payload = Client::body(body);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let started = jiff::Timestamp::now();
            let outcome = self
                .execute(Call {
                    method: Method::POST,
                    url: self.url(&path),
                    body: Some(payload.clone()),
                    long_running: false,
                    retry: Retry::Never,
                })
                .await;
            let failure = match outcome {
                Ok(reply) => {
                    let document = reply.json().and_then(|document| {
                        self.resource(kind, &reply, document.unwrap_or(serde_json::Value::Null))
                    });
                    match document {
                        Ok(resource) => return Ok(Created { resource, recovered: false }),
                        // A success status with an unreadable body: created, id unknown.
                        Err(error) => error,
                    }
                }
                Err(error) if error.leaves_post_outcome_unknown() => error,
                Err(error) => return Err(error),
            };
            let Some(name) = name.as_deref() else {
                return Err(Error::AmbiguousWrite {
                    operation: "create",
                    method: Method::POST,
                    path,
                    hint: format!(
                        "the body has no `name` to look for; list the {kind}s before creating it again"
                    ),
                    cause: Box::new(failure),
                });
            };
            tracing::debug!(kind = %kind, name, error = %failure, "create outcome unknown; looking for what it may have created");
            if !policy.no_delay {
                self.sleep(policy.recovery_settle_delay).await;
            }
            let search =
                self.find_created(kind, name, integration_id.as_deref(), started, known_ids).await;
            match search {
                Ok(Recovery::One(id)) => {
                    let resource = self.get(kind, &id).await?;
                    self.record(Event::RecoveredCreate);
                    tracing::debug!(kind = %kind, name, id = %id, "recovered a create whose response was lost");
                    return Ok(Created { resource, recovered: true });
                }
                Ok(Recovery::Several(candidates)) => {
                    return Err(Error::AmbiguousCreate {
                        kind,
                        name: name.to_owned(),
                        method: Method::POST,
                        path,
                        candidates,
                        cause: Box::new(failure),
                    });
                }
                Ok(Recovery::Nothing) if attempt < policy.max_create_attempts.max(1) => {
                    tracing::debug!(kind = %kind, name, attempt, "nothing was created; sending the create again");
                    self.sleep(policy.backoff(attempt, rand::random::<f64>())).await;
                }
                Ok(Recovery::Nothing) => {
                    return Err(Error::RetriesExhausted {
                        method: Method::POST,
                        path,
                        attempts: attempt,
                        last: Box::new(failure),
                    });
                }
                Err(search_error) => {
                    return Err(Error::AmbiguousWrite {
                        operation: "create",
                        method: Method::POST,
                        path,
                        hint: format!(
                            "looking for a {kind} named `{name}` created since failed too ({search_error}); check the account before creating it again"
                        ),
                        cause: Box::new(failure),
                    });
                }
            }
        }
    }

    async fn find_created(
        &self,
        kind: Kind,
        name: &str,
        integration_id: Option<&str>,
        started: jiff::Timestamp,
        known_ids: &HashSet<String>,
    ) -> Result<Recovery, Error> {
        let policy = self.inner.config.retry;
        let (offset_ms, allowance) = match self.clock_offset() {
            Some(offset) => (offset, policy.clock_skew_allowance),
            None => (0, UNKNOWN_CLOCK_ALLOWANCE.max(policy.clock_skew_allowance)),
        };
        let allowance_ms = i64::try_from(allowance.as_millis()).unwrap_or(i64::MAX);
        let threshold_ms =
            started.as_millisecond().saturating_add(offset_ms).saturating_sub(allowance_ms);
        let fields: Vec<&str> = RECOVERY_PROJECTION.split(',').collect();
        let listed = self.list_projected(kind, &fields).await?;
        let mut matches = Vec::new();
        let mut undated = Vec::new();
        for resource in listed {
            if resource.name.as_deref() != Some(name) || known_ids.contains(&resource.id) {
                continue;
            }
            if let Some(integration_id) = integration_id
                && resource.integration_id() != Some(integration_id)
            {
                continue;
            }
            match resource
                .created_at
                .as_deref()
                .and_then(|text| text.parse::<jiff::Timestamp>().ok())
            {
                Some(created) if created.as_millisecond() >= threshold_ms => {
                    matches.push(resource.id)
                }
                Some(_) => {}
                // Without `createdAt` it cannot be ruled out, so it makes the result ambiguous.
                None => undated.push(resource.id),
            }
        }
        Ok(match (matches.len(), undated.len()) {
            (0, 0) => Recovery::Nothing,
            (1, 0) => Recovery::One(matches.remove(0)),
            _ => Recovery::Several(matches.into_iter().chain(undated).collect()),
        })
    }

    /// Replaces a resource (`PUT /v1/<kind>/<id>`, a full replace: omitted fields are erased).
    /// A body containing `******` is refused.
    pub async fn update(
        &self,
        kind: Kind,
        id: &str,
        body: &serde_json::Value,
    ) -> Result<LiveResource, Error> {
        let path = document_path(kind, id)?;
        self.refuse_mask(&Method::PUT, &path, body)?;
        let reply = self.request(Method::PUT, &path, Some(body), Retry::Idempotent).await?;
        match self.resource_of(kind, &reply)? {
            Some(resource) => Ok(resource),
            // No echo: read back what was stored.
            None => self.get(kind, id).await,
        }
    }

    /// Changes whitelisted fields (`PATCH /v1/<kind>/<id>` with JSON-Patch operations; the API
    /// answers 200 or 204). Values containing `******` are refused. Replace and remove patches
    /// are retried like PUT; a patch with an `add` is not (it might append twice).
    pub async fn patch(&self, kind: Kind, id: &str, ops: &[PatchOp]) -> Result<(), Error> {
        let path = document_path(kind, id)?;
        let body = serde_json::Value::Array(ops.iter().map(PatchOp::to_json).collect());
        self.refuse_mask(&Method::PATCH, &path, &body)?;
        let retry = if ops.iter().any(|op| matches!(op, PatchOp::Add { .. })) {
            Retry::Never
        } else {
            Retry::Idempotent
        };
        self.request(Method::PATCH, &path, Some(&body), retry).await?;
        Ok(())
    }

    /// Deletes a resource (`DELETE /v1/<kind>/<id>`; it goes to the recycle bin). When a retry
    /// finds the resource already gone after an attempt whose answer was lost, that is success.
    pub async fn delete(&self, kind: Kind, id: &str) -> Result<(), Error> {
        let path = document_path(kind, id)?;
        self.request(Method::DELETE, &path, None, Retry::Idempotent).await?;
        Ok(())
    }

    /// Clones a resource (`POST /v1/<kind>/<id>/clone`, long timeout). Both answer shapes are
    /// understood: the cloned document, or an array manifest of every created resource (the
    /// primary id is the first entry of the same model). Never retried after an ambiguous
    /// failure: [`Error::AmbiguousWrite`] says what to check.
    pub async fn clone_resource(
        &self,
        kind: Kind,
        id: &str,
        body: &serde_json::Value,
    ) -> Result<Cloned, Error> {
        let path = format!("{}/clone", document_path(kind, id)?);
        self.refuse_mask(&Method::POST, &path, body)?;
        let outcome = self
            .execute(Call {
                method: Method::POST,
                url: self.url(&path),
                body: Some(Client::body(body)),
                long_running: true,
                retry: Retry::Never,
            })
            .await;
        let ambiguous = |cause: Error| {
            let named = body
                .get("name")
                .and_then(|name| name.as_str())
                .map(|name| format!(" named `{name}`"))
                .unwrap_or_default();
            Error::AmbiguousWrite {
                operation: "clone",
                method: Method::POST,
                path: path.clone(),
                hint: format!(
                    "look for a {kind}{named} whose `_sourceId` is `{id}` before cloning again"
                ),
                cause: Box::new(cause),
            }
        };
        let reply = match outcome {
            Ok(reply) => reply,
            Err(error) if error.leaves_post_outcome_unknown() => return Err(ambiguous(error)),
            Err(error) => return Err(error),
        };
        let parsed = match reply.json() {
            Ok(parsed) => parsed,
            Err(error) => return Err(ambiguous(error)),
        };
        match parsed {
            Some(serde_json::Value::Array(entries)) => {
                let manifest = entries
                    .iter()
                    .enumerate()
                    .map(|(index, entry)| {
                        let text = |field: &str| {
                            entry.get(field).and_then(|v| v.as_str()).map(str::to_owned)
                        };
                        let id = text("_id").or_else(|| text("id")).ok_or_else(|| {
                            ambiguous(
                                reply.invalid(format!("clone manifest entry {index} has no `_id`")),
                            )
                        })?;
                        Ok(ClonedEntry {
                            model: text("model").unwrap_or_default(),
                            id,
                            name: text("name"),
                        })
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                let primary = manifest
                    .iter()
                    .find(|entry| entry.model.eq_ignore_ascii_case(model_name(kind)))
                    .or_else(|| manifest.first())
                    .map(|entry| entry.id.clone())
                    .ok_or_else(|| ambiguous(reply.invalid("the clone manifest is empty")))?;
                Ok(Cloned { id: primary, resource: None, manifest })
            }
            Some(document @ serde_json::Value::Object(_)) => {
                let resource = self.resource(kind, &reply, document).map_err(ambiguous)?;
                Ok(Cloned {
                    id: resource.id.clone(),
                    resource: Some(resource),
                    manifest: Vec::new(),
                })
            }
            other => Err(ambiguous(reply.invalid(format!(
                "expected the cloned document or a manifest array, got `{}`",
                other.as_ref().map_or("an empty body", json_type)
            )))),
        }
    }

    /// What uses (or is used by) a resource (`GET /v1/<kind>/<id>/dependencies`); empty means it
    /// is safe to delete.
    pub async fn dependencies(&self, kind: Kind, id: &str) -> Result<Dependencies, Error> {
        let path = format!("{}/dependencies", document_path(kind, id)?);
        let reply = self.request(Method::GET, &path, None, Retry::Idempotent).await?;
        let mut dependencies = Dependencies::default();
        let object = match reply.json()? {
            None => return Ok(dependencies),
            Some(serde_json::Value::Object(object)) => object,
            Some(other) => {
                return Err(reply.invalid(format!(
                    "expected an object keyed by resource type, got `{}`",
                    json_type(&other)
                )));
            }
        };
        for (resource_type, entries) in object {
            let serde_json::Value::Array(entries) = entries else {
                return Err(reply.invalid(format!("`{resource_type}` is not a list of dependents")));
            };
            let mut dependents = Vec::new();
            for entry in entries {
                let text =
                    |field: &str| entry.get(field).and_then(|v| v.as_str()).map(str::to_owned);
                let Some(id) = text("id").or_else(|| text("_id")) else {
                    return Err(reply.invalid(format!("a `{resource_type}` dependent has no `id`")));
                };
                let paths = entry
                    .get("paths")
                    .and_then(|paths| paths.as_array())
                    .map(|paths| {
                        paths.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect()
                    })
                    .unwrap_or_default();
                dependents.push(Dependent {
                    id,
                    name: text("name"),
                    paths,
                    access_level: text("accessLevel"),
                });
            }
            dependencies.by_type.insert(resource_type, dependents);
        }
        Ok(dependencies)
    }
}
