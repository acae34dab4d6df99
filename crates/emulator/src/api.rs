//! The `/v1` router: maps method and path to the operations of the other modules. Every
//! operation runs synchronously under the account's lock.

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::clone;
use crate::context::{Ctx, Reply};
use crate::error::ApiError;
use crate::groupings;
use crate::jobs;
use crate::kinds::ResourceKind;
use crate::lookup_data;
use crate::resources::{self, ListQuery, ListSource, encode, not_found};
use crate::state_api;
use crate::util::is_object_id;

/// A `/v1` request after authentication, with its path split into decoded segments (without
/// the `v1` prefix).
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) segments: Vec<String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) content_type: Option<String>,
    /// `http://host:port` as the client addressed the server, for Link headers.
    pub(crate) origin: String,
}

impl ApiRequest {
    /// The JSON body, `None` when empty. A non-empty body must be declared JSON (415) and parse
    /// (400).
    pub(crate) fn json_body(&self) -> Result<Option<Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let declared_json = self.content_type.as_deref().is_some_and(|content_type| {
            let essence =
                content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        });
        if !declared_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be sent with `Content-Type: application/json`",
            ));
        }
        serde_json::from_slice(&self.body).map(Some).map_err(|error| {
            ApiError::bad_request(
                "invalid_json",
                format!("the request body is not valid JSON: {error}"),
            )
        })
    }

    fn link_base(&self) -> String {
        let path: Vec<String> = self.segments.iter().map(|segment| encode(segment)).collect();
        format!("{}/v1/{}", self.origin, path.join("/"))
    }
}

pub(crate) fn is_write(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// A label for request counters: the path with ids and state keys replaced by placeholders.
pub(crate) fn route_label(prefix: &str, segments: &[String]) -> String {
    let mut label = String::from(prefix);
    for (index, segment) in segments.iter().enumerate() {
        label.push('/');
        let after_state = index > 0 && segments[index - 1] == "state";
        if is_object_id(segment) {
            label.push_str("{id}");
        } else if after_state {
            label.push_str("{key}");
        } else if index == 1
            && segments[0] == "recycleBinTTL"
            && ResourceKind::from_collection(segment).is_none()
        {
            label.push_str("{collection}");
        } else {
            label.push_str(segment);
        }
    }
    label
}

pub(crate) fn dispatch(ctx: &Ctx<'_>, request: &ApiRequest) -> Reply {
    route(ctx, request).unwrap_or_else(Reply::from)
}

fn route_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed on this route",
    )
}

fn route(ctx: &Ctx<'_>, request: &ApiRequest) -> Result<Reply, ApiError> {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let method = &request.method;
    let account = ctx.account;
    match segments.as_slice() {
        ["tokenInfo"] => match *method {
            Method::GET => {
                Ok(Reply::json(StatusCode::OK, json!({"_userId": account.user_id, "scope": "*"})))
            }
            _ => Err(method_not_allowed()),
        },
        // integrator-api.md §1.2: `GET /v1/environments` (`_envUserId` and `enabled` read-only);
        // `feature_not_enabled` (§4.3) where the licence has no environments.
        ["environments"] => match *method {
            Method::GET => {
                let environments =
                    account.environments.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                match environments.as_ref() {
                    Some(list) => Ok(Reply::json(StatusCode::OK, json!(list))),
                    None => Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "feature_not_enabled",
                        "environments are not enabled for this account",
                    )),
                }
            }
            _ => Err(method_not_allowed()),
        },
        ["jobs"] => match *method {
            Method::GET => jobs::list(ctx, &account.read(), &request.query),
            _ => Err(method_not_allowed()),
        },
        ["jobs", id] => match *method {
            Method::GET => jobs::get(ctx, &mut account.write(), id),
            _ => Err(method_not_allowed()),
        },
        ["jobs", id, "family"] => match *method {
            Method::GET => jobs::family(ctx, &mut account.write(), id),
            _ => Err(method_not_allowed()),
        },
        ["jobs", id, "joberrors"] => match *method {
            Method::GET => jobs::errors(ctx, &account.read(), id),
            _ => Err(method_not_allowed()),
        },
        ["jobs", id, "cancel"] => match *method {
            Method::PUT => jobs::cancel(ctx, &mut account.write(), id),
            _ => Err(method_not_allowed()),
        },
        ["state"] => match *method {
            Method::GET => Ok(state_api::list_global(&account.read())),
            Method::DELETE => Ok(state_api::delete_all_global(&mut account.write())),
            _ => Err(method_not_allowed()),
        },
        ["state", key] => match *method {
            Method::GET => state_api::get_global(&account.read(), key),
            Method::PUT => {
                let value = request.json_body()?.ok_or_else(missing_body)?;
                Ok(state_api::put_global(&mut account.write(), key, value))
            }
            Method::DELETE => state_api::delete_global(&mut account.write(), key),
            _ => Err(method_not_allowed()),
        },
        ["recycleBinTTL"] => match *method {
            Method::GET => Ok(resources::recycle_bin_list(ctx, &account.read(), None)),
            _ => Err(method_not_allowed()),
        },
        ["recycleBinTTL", collection] => {
            let kind = ResourceKind::from_collection(collection).ok_or_else(route_not_found)?;
            match *method {
                Method::GET => Ok(resources::recycle_bin_list(ctx, &account.read(), Some(kind))),
                _ => Err(method_not_allowed()),
            }
        }
        ["recycleBinTTL", collection, id] => {
            let kind = ResourceKind::from_collection(collection).ok_or_else(route_not_found)?;
            match *method {
                Method::POST => resources::recycle_bin_restore(ctx, &mut account.write(), kind, id),
                Method::DELETE => resources::recycle_bin_purge(&mut account.write(), kind, id),
                _ => Err(method_not_allowed()),
            }
        }
        ["flows", "updateFlowGrouping"] => match *method {
            Method::PUT => {
                let body = request.json_body()?;
                groupings::update_flow_grouping(ctx, &mut account.write(), body)
            }
            _ => Err(method_not_allowed()),
        },
        [collection, rest @ ..] => {
            let kind = ResourceKind::from_collection(collection).ok_or_else(route_not_found)?;
            resource_route(ctx, request, kind, rest)
        }
        [] => Err(route_not_found()),
    }
}

fn missing_body() -> ApiError {
    ApiError::bad_request("invalid_body", "a JSON request body is required")
}

fn resource_route(
    ctx: &Ctx<'_>,
    request: &ApiRequest,
    kind: ResourceKind,
    rest: &[&str],
) -> Result<Reply, ApiError> {
    let method = &request.method;
    let account = ctx.account;
    if let Some(id) = rest.first()
        && !is_object_id(id)
    {
        return Err(not_found(kind));
    }
    match rest {
        [] => match *method {
            Method::GET => {
                let query = ListQuery::parse(&request.query)?;
                let data = account.read();
                Ok(resources::list_page(
                    ctx,
                    &data,
                    kind,
                    &ListSource::All,
                    &query,
                    &request.link_base(),
                ))
            }
            Method::POST => {
                let body =
                    request.json_body()?.unwrap_or_else(|| Value::Object(Default::default()));
                resources::create(ctx, &mut account.write(), kind, body)
            }
            _ => Err(method_not_allowed()),
        },
        [id] => match *method {
            Method::GET => resources::read(ctx, &account.read(), kind, id),
            Method::PUT => {
                let body =
                    request.json_body()?.unwrap_or_else(|| Value::Object(Default::default()));
                resources::replace(ctx, &mut account.write(), kind, id, body)
            }
            Method::PATCH => {
                let body = request.json_body()?.ok_or_else(missing_body)?;
                resources::patch(ctx, &mut account.write(), kind, id, body)
            }
            Method::DELETE => resources::delete(ctx, &mut account.write(), kind, id),
            _ => Err(method_not_allowed()),
        },
        [id, "dependencies"] => match *method {
            Method::GET => resources::dependencies(&account.read(), kind, id),
            _ => Err(method_not_allowed()),
        },
        [id, "clone"]
            if matches!(
                kind,
                ResourceKind::Flows
                    | ResourceKind::Exports
                    | ResourceKind::Imports
                    | ResourceKind::Integrations
            ) =>
        {
            if *method != Method::POST {
                return Err(method_not_allowed());
            }
            let body = request.json_body()?;
            let mut data = account.write();
            match kind {
                ResourceKind::Flows => clone::clone_flow(ctx, &mut data, id, body),
                ResourceKind::Integrations => clone::clone_integration(ctx, &mut data, id, body),
                _ => clone::clone_step(ctx, &mut data, kind, id, body),
            }
        }
        [id, "data"] if kind == ResourceKind::LookupCaches => {
            let body = request.json_body()?;
            let mut data = account.write();
            match *method {
                Method::POST => lookup_data::upsert(ctx, &mut data, id, request.body.len(), body),
                Method::DELETE => {
                    lookup_data::delete_keys(ctx, &mut data, id, request.body.len(), body)
                }
                _ => Err(method_not_allowed()),
            }
        }
        [id, "data", "purge"] if kind == ResourceKind::LookupCaches => match *method {
            Method::DELETE => lookup_data::purge(ctx, &mut account.write(), id),
            _ => Err(method_not_allowed()),
        },
        // The Help Center's example spells the route `getdata`; both spellings are served.
        [id, "getData" | "getdata"] if kind == ResourceKind::LookupCaches => match *method {
            Method::POST => {
                let body = request.json_body()?;
                let start_after = request
                    .query
                    .iter()
                    .find(|(key, _)| key == "startAfterKey")
                    .map(|(_, value)| value.as_str());
                lookup_data::get_data(ctx, &account.read(), id, body, start_after, &request.origin)
            }
            _ => Err(method_not_allowed()),
        },
        [id, "run"] if kind == ResourceKind::Flows => match *method {
            Method::POST => {
                let body = request.json_body()?;
                jobs::run(ctx, &mut account.write(), id, body)
            }
            _ => Err(method_not_allowed()),
        },
        [id, "jobs", "latest"] if kind == ResourceKind::Flows => match *method {
            Method::GET => jobs::latest_for_flow(ctx, &account.read(), id),
            _ => Err(method_not_allowed()),
        },
        [id, "ping"] if kind == ResourceKind::Connections => match *method {
            Method::GET | Method::POST => {
                let mut data = account.write();
                let connection = data.get_mut_unindexed(kind, id).ok_or_else(|| not_found(kind))?;
                connection.insert("offline".into(), Value::Bool(false));
                Ok(Reply::json(StatusCode::OK, json!({"code": 200})).committed())
            }
            _ => Err(method_not_allowed()),
        },
        [id, sub @ ("flows" | "exports" | "imports" | "connections" | "asynchelpers")]
            if kind == ResourceKind::Integrations =>
        {
            if *method != Method::GET {
                return Err(method_not_allowed());
            }
            let member_kind = ResourceKind::from_collection(sub).ok_or_else(route_not_found)?;
            let query = ListQuery::parse(&request.query)?;
            let data = account.read();
            if !data.contains(kind, id) {
                return Err(not_found(kind));
            }
            let ids = resources::integration_members(&data, id, member_kind);
            Ok(resources::list_page(
                ctx,
                &data,
                member_kind,
                &ListSource::Ids(ids),
                &query,
                &request.link_base(),
            ))
        }
        [id, "state"] => match *method {
            Method::GET => state_api::list_scoped(&account.read(), kind, id),
            Method::DELETE => state_api::delete_all_scoped(&mut account.write(), kind, id),
            _ => Err(method_not_allowed()),
        },
        [id, "state", key] => match *method {
            Method::GET => state_api::get_scoped(&account.read(), kind, id, key),
            Method::PUT => {
                let value = request.json_body()?.ok_or_else(missing_body)?;
                state_api::put_scoped(&mut account.write(), kind, id, key, value)
            }
            Method::DELETE => state_api::delete_scoped(&mut account.write(), kind, id, key),
            _ => Err(method_not_allowed()),
        },
        _ => Err(route_not_found()),
    }
}
