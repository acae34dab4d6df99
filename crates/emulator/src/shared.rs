//! State shared by every request and the admin handles: the accounts, their tokens, the
//! run-time settings, the id generator and the persistence task.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::config::Settings;
use crate::context::Reply;
use crate::persist::Persistence;
use crate::store::Account;
use crate::util::IdGenerator;

/// State shared by every request and the admin handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) accounts: Vec<Arc<Account>>,
    pub(crate) tokens: HashMap<String, usize>,
    pub(crate) settings: RwLock<Settings>,
    pub(crate) ids: IdGenerator,
    pub(crate) admin_enabled: bool,
    pub(crate) persistence: Option<Arc<Persistence>>,
    pub(crate) unauthenticated: AtomicU64,
    pub(crate) url: String,
}

impl Shared {
    pub(crate) fn settings(&self) -> Settings {
        *self.settings.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        let mut settings = self.settings.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut settings);
    }

    pub(crate) fn account_index(&self, token: &str) -> Option<usize> {
        self.tokens.get(token).copied()
    }

    /// The account of a request's bearer token, or the 401 the real service sends (its special
    /// `{"message": …}` body, not the error envelope).
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<usize, Unauthorized> {
        let Some(authorization) = headers.get(header::AUTHORIZATION) else {
            return Err(Unauthorized("Unauthorized"));
        };
        let token = authorization.to_str().ok().and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        token
            .and_then(|token| self.account_index(token))
            .ok_or(Unauthorized("Bearer Authentication Failed"))
    }

    /// Tells the persistence task that data changed.
    pub(crate) fn data_changed(&self) {
        if let Some(persistence) = &self.persistence {
            persistence.notify_changed();
        }
    }
}

/// A failed authentication, answered with the real service's special 401 body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unauthorized(&'static str);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        Reply::json(StatusCode::UNAUTHORIZED, json!({ "message": self.0 })).into_response()
    }
}
