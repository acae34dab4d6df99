//! Admin controls for the kinds a real flow references: creating documents through the normal
//! create path (agents and stacks, which an account gets from installing an agent or setting up
//! a stack server, and any other kind), reading lookup cache data, and the settings of iClient
//! secrets and lookup cache limits.

use serde_json::{Map, Value, json};

use super::Admin;
use crate::config::{LookupCacheLimits, OmittedSecret};
use crate::context::Ctx;
use crate::error::{AdminError, ApiError};
use crate::kinds::ResourceKind;
use crate::lookup_data;
use crate::resources::create_document;

impl Admin {
    /// Creates a document of `kind` as `POST /v1/{collection}` would (server-owned fields
    /// stripped, the service's defaults added, validated, a fresh `_id`) and returns it as
    /// stored, unmasked. Tests use it to give an account agents and stacks whose ids differ
    /// from another account's.
    pub fn create(&self, kind: ResourceKind, body: &Value) -> Result<Value, AdminError> {
        let created = {
            let ctx = Ctx {
                settings: self.shared.settings(),
                ids: &self.shared.ids,
                account: self.account(),
            };
            let mut data = self.account().write();
            create_document(&ctx, &mut data, kind, body.clone()).map_err(refused)?
        };
        self.shared.data_changed();
        Ok(Value::Object(created))
    }

    /// Creates an on-premise agent (`{"name": …}`; the service adds `offline: true`).
    pub fn create_agent(&self, body: &Value) -> Result<Value, AdminError> {
        self.create(ResourceKind::Agents, body)
    }

    /// Creates a stack (`{"name": …, "type": "server", "server": {…}}`).
    pub fn create_stack(&self, body: &Value) -> Result<Value, AdminError> {
        self.create(ResourceKind::Stacks, body)
    }

    /// Every entry of a lookup cache (`[{"key","value"}]`, key order), or `None` when the
    /// account has no such cache.
    pub fn lookup_cache_data(&self, id: &str) -> Option<Vec<Value>> {
        let data = self.account().read();
        data.contains(ResourceKind::LookupCaches, id).then(|| lookup_data::entries(&data, id))
    }

    /// Sets what a PUT of an iClient that omits a stored secret does (emulator-wide).
    pub fn set_iclient_omitted_secret(&self, answer: OmittedSecret) {
        self.shared.update_settings(|settings| settings.iclient_omitted_secret = answer);
    }

    /// Replaces the lookup cache limits (emulator-wide).
    pub fn set_lookup_cache_limits(&self, limits: LookupCacheLimits) -> Result<(), AdminError> {
        if limits.entries_per_call == 0 || limits.keys_per_page == 0 {
            return Err(invalid("lookup cache limits of entries and keys must be at least 1"));
        }
        self.shared.update_settings(|settings| settings.lookup_cache_limits = limits);
        Ok(())
    }
}

/// An API refusal as an admin error, its messages joined.
fn refused(error: ApiError) -> AdminError {
    let reasons: Vec<String> = error
        .errors
        .iter()
        .map(|entry| match &entry.field {
            Some(field) => format!("{} ({}: `{field}`)", entry.message, entry.code),
            None => format!("{} ({})", entry.message, entry.code),
        })
        .collect();
    AdminError::InvalidInput { reason: reasons.join("; ") }
}

fn invalid(reason: impl Into<String>) -> AdminError {
    AdminError::InvalidSetting { reason: reason.into() }
}

/// The lookup cache limits as `GET /admin/settings` shows them.
pub(crate) fn limits_json(limits: LookupCacheLimits) -> Value {
    json!({
        "entriesPerCall": limits.entries_per_call,
        "bytesPerCall": limits.bytes_per_call,
        "bytesPerCache": limits.bytes_per_cache,
        "bytesPerAccount": limits.bytes_per_account,
        "keysPerPage": limits.keys_per_page,
        "bytesPerPage": limits.bytes_per_page,
    })
}

/// Applies `iClientOmittedSecret` and `lookupCacheLimits` (each limit optional) of
/// `PUT /admin/settings`.
pub(crate) fn apply_settings(admin: &Admin, body: &Map<String, Value>) -> Result<(), AdminError> {
    if let Some(value) = body.get("iClientOmittedSecret") {
        let answer = value
            .as_str()
            .and_then(OmittedSecret::from_name)
            .ok_or_else(|| invalid("`iClientOmittedSecret` must be \"erased\" or \"kept\""))?;
        admin.set_iclient_omitted_secret(answer);
    }
    if let Some(value) = body.get("lookupCacheLimits") {
        let Some(object) = value.as_object() else {
            return Err(invalid("`lookupCacheLimits` must be an object"));
        };
        let mut limits = admin.shared.settings().lookup_cache_limits;
        let number = |key: &str| -> Result<Option<u64>, AdminError> {
            match object.get(key) {
                None => Ok(None),
                Some(value) => value.as_u64().map(Some).ok_or_else(|| {
                    invalid(format!("`lookupCacheLimits.{key}` must be a non-negative integer"))
                }),
            }
        };
        let size = |value: u64| {
            usize::try_from(value).map_err(|_| invalid("a lookup cache limit is too large"))
        };
        if let Some(value) = number("entriesPerCall")? {
            limits.entries_per_call = size(value)?;
        }
        if let Some(value) = number("bytesPerCall")? {
            limits.bytes_per_call = size(value)?;
        }
        if let Some(value) = number("bytesPerCache")? {
            limits.bytes_per_cache = value;
        }
        if let Some(value) = number("bytesPerAccount")? {
            limits.bytes_per_account = value;
        }
        if let Some(value) = number("keysPerPage")? {
            limits.keys_per_page = size(value)?;
        }
        if let Some(value) = number("bytesPerPage")? {
            limits.bytes_per_page = size(value)?;
        }
        admin.set_lookup_cache_limits(limits)?;
    }
    Ok(())
}
