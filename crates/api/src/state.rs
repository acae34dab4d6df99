//! The State API: small JSON values stored by key, globally or under a resource.

use reqwest::{Method, Url};

use crate::client::{Call, Client, Retry, segment};
use crate::error::Error;
use crate::types::StateScope;

impl Client {
    fn state_url(&self, scope: &StateScope, key: Option<&str>) -> Result<Url, Error> {
        let mut url = match scope {
            StateScope::Global => self.url("/v1/state"),
            StateScope::Resource { kind, id } => {
                self.url(&format!("/v1/{}/{}/state", kind.plural(), segment("id", id)?))
            }
        };
        if let Some(key) = key {
            if key.is_empty() {
                return Err(Error::InvalidArgument {
                    what: "state key",
                    value: String::new(),
                    reason: "it is empty",
                });
            }
            // Keys are free text: pushed as one percent-encoded path segment.
            url.path_segments_mut()
                .expect("an http(s) origin can always take path segments")
                .push(key);
        }
        Ok(url)
    }

    async fn state_call(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<crate::client::Reply, Error> {
        self.execute(Call {
            method,
            url,
            body: body.map(Client::body),
            long_running: false,
            retry: Retry::Idempotent,
        })
        .await
    }

    /// The value of a key; `None` when the key does not exist (404).
    pub async fn state_get(
        &self,
        scope: &StateScope,
        key: &str,
    ) -> Result<Option<serde_json::Value>, Error> {
        let url = self.state_url(scope, Some(key))?;
        match self.state_call(Method::GET, url, None).await {
            Ok(reply) => match reply.json() {
                Ok(value) => Ok(Some(value.unwrap_or(serde_json::Value::Null))),
                // A value stored by another tool as plain text is returned as a string.
                Err(_) => Ok(Some(serde_json::Value::String(
                    String::from_utf8_lossy(&reply.body).into_owned(),
                ))),
            },
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Creates or replaces a key (the API answers with the text `OK` or `Created`).
    pub async fn state_put(
        &self,
        scope: &StateScope,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<(), Error> {
        let url = self.state_url(scope, Some(key))?;
        self.state_call(Method::PUT, url, Some(value)).await?;
        Ok(())
    }

    /// Deletes a key (204 globally, 200 under a resource); a missing key is
    /// [`Error::NotFound`].
    pub async fn state_delete(&self, scope: &StateScope, key: &str) -> Result<(), Error> {
        let url = self.state_url(scope, Some(key))?;
        self.state_call(Method::DELETE, url, None).await?;
        Ok(())
    }

    /// The keys of a scope (`{"keys": […]}`; 204 when there are none).
    pub async fn state_keys(&self, scope: &StateScope) -> Result<Vec<String>, Error> {
        let url = self.state_url(scope, None)?;
        let reply = self.state_call(Method::GET, url, None).await?;
        let keys = match reply.json()? {
            None => return Ok(Vec::new()),
            Some(serde_json::Value::Object(mut object)) => match object.remove("keys") {
                Some(keys) => keys,
                None => return Err(reply.invalid("expected an object with `keys`")),
            },
            Some(array @ serde_json::Value::Array(_)) => array,
            Some(_) => return Err(reply.invalid("expected an object with `keys`")),
        };
        match keys {
            serde_json::Value::Array(keys) => keys
                .into_iter()
                .map(|key| match key {
                    serde_json::Value::String(key) => Ok(key),
                    _ => Err(reply.invalid("a state key is not a string")),
                })
                .collect(),
            serde_json::Value::Null => Ok(Vec::new()),
            _ => Err(reply.invalid("`keys` is not a list")),
        }
    }
}
