//! What every `/v1` operation is given and what it gives back: [`Ctx`] (the request's settings,
//! the id generator and the account) and [`Reply`] (status, headers, body, and whether stored
//! data changed). Kept apart from the server so that the operation modules (`api`, `resources`,
//! `clone`, `jobs`, `state_api`) depend on this small module, never on the server that calls
//! them.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::config::Settings;
use crate::error::ApiError;
use crate::store::Account;
use crate::util::IdGenerator;

/// What an operation needs: the settings of this request, the id generator and the account.
pub(crate) struct Ctx<'a> {
    pub(crate) settings: Settings,
    pub(crate) ids: &'a IdGenerator,
    pub(crate) account: &'a Account,
}

/// An operation's response.
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: ReplyBody,
    /// Whether the operation changed stored data.
    pub(crate) committed: bool,
}

#[derive(Debug)]
enum ReplyBody {
    Json(Value),
    /// JSON already serialised (a list page written document by document).
    JsonBytes(Vec<u8>),
    Text(&'static str),
    Empty,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, value: Value) -> Self {
        Self { status, headers: Vec::new(), body: ReplyBody::Json(value), committed: false }
    }

    /// A JSON body already serialised.
    pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Self {
        Self { status, headers: Vec::new(), body: ReplyBody::JsonBytes(bytes), committed: false }
    }

    pub(crate) fn text(status: StatusCode, text: &'static str) -> Self {
        Self { status, headers: Vec::new(), body: ReplyBody::Text(text), committed: false }
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Self { status, headers: Vec::new(), body: ReplyBody::Empty, committed: false }
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn committed(mut self) -> Self {
        self.committed = true;
        self
    }
}

impl From<ApiError> for Reply {
    fn from(error: ApiError) -> Self {
        Reply::json(error.status, error.body())
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            ReplyBody::Json(value) => json_response(serde_json::to_vec(&value).unwrap_or_default()),
            ReplyBody::JsonBytes(bytes) => json_response(bytes),
            ReplyBody::Text(text) => {
                let mut response = Response::new(Body::from(text));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                response
            }
            ReplyBody::Empty => Response::new(Body::empty()),
        };
        *response.status_mut() = self.status;
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

fn json_response(bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}
