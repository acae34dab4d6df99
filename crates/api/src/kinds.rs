//! The requests the kinds a real flow references need beyond CRUD (integrator-api.md §5.8,
//! §5.9, §6.4): the data of a lookup cache, the recycle bin's purge, and lists of the
//! collections flowform only looks resources up in (`/v1/agents`, `/v1/stacks`).

use reqwest::Method;

use crate::client::{Client, Retry, segment};
use crate::error::Error;
use crate::pagination::json_type;
use flowform_model::Kind;

/// The collections a `data:` lookup may search besides the kinds flowform manages: on-premise
/// agents and stacks (API §5.9), which flowform never writes.
pub const LOOKUP_ONLY_COLLECTIONS: [&str; 2] = ["agents", "stacks"];

/// One page of a lookup cache's data (`POST /v1/lookupcaches/{id}/getData`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataPage {
    /// The entries, as `(key, value)`.
    pub entries: Vec<(String, serde_json::Value)>,
    /// Where the next page is (path and query), when there is one.
    pub next: Option<String>,
}

fn lookup_cache_path(id: &str) -> Result<String, Error> {
    Ok(format!("/v1/lookupcaches/{}", segment("id", id)?))
}

impl Client {
    /// Purges a deleted resource from the recycle bin (`DELETE /v1/recycleBinTTL/<kind>/<id>`,
    /// API §6.4): it can no longer be restored, and stops holding what it referenced (an
    /// iClient cannot be deleted while a connection in the bin names it). A resource already
    /// purged counts as purged.
    pub async fn purge(&self, kind: Kind, id: &str) -> Result<(), Error> {
        let path = format!("/v1/recycleBinTTL/{}/{}", kind.plural(), segment("id", id)?);
        match self.request(Method::DELETE, &path, None, Retry::Idempotent).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Every document of a collection flowform does not manage, such as `agents` (one of
    /// [`LOOKUP_ONLY_COLLECTIONS`]), all pages, as the list returns them.
    pub async fn list_collection(&self, collection: &str) -> Result<Vec<serde_json::Value>, Error> {
        if !LOOKUP_ONLY_COLLECTIONS.contains(&collection) {
            return Err(Error::UnknownCollection { collection: collection.to_owned() });
        }
        self.list_documents(&format!("/v1/{collection}")).await
    }

    /// One page of a lookup cache's data: the first page when `page` is `None`, else the page a
    /// [`DataPage::next`] named. Pages come in the order the service gives; nothing is assumed
    /// about their size (API §5.8; docs/fidelity.md open question 14).
    pub async fn lookup_data_page(&self, id: &str, page: Option<&str>) -> Result<DataPage, Error> {
        let first = format!("{}/getData", lookup_cache_path(id)?);
        let path = page.unwrap_or(&first);
        let reply = self
            .request(Method::POST, path, Some(&serde_json::json!({})), Retry::Idempotent)
            .await?;
        let document = reply.json()?.unwrap_or(serde_json::Value::Null);
        let Some(entries) = document.get("data").and_then(serde_json::Value::as_array) else {
            return Err(reply.invalid(format!(
                "expected `{{\"data\": [...]}}`, got `{}`",
                json_type(&document)
            )));
        };
        let mut parsed = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let key = entry.get("key").and_then(serde_json::Value::as_str);
            let (Some(key), Some(value)) = (key, entry.get("value")) else {
                return Err(reply.invalid(format!(
                    "entry {index} of the page is not `{{\"key\": \"…\", \"value\": …}}`"
                )));
            };
            parsed.push((key.to_owned(), value.clone()));
        }
        let next = match document.get("nextPageURL") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(url)) => {
                // Taken as path and query and sent to the configured endpoint, like a `Link`
                // header: the token never goes to a host a response names.
                let resolved = self
                    .url(path)
                    .join(url)
                    .map_err(|_| reply.invalid("`nextPageURL` is not a URL".to_owned()))?;
                let mut path_and_query = resolved.path().to_owned();
                if let Some(query) = resolved.query() {
                    path_and_query.push('?');
                    path_and_query.push_str(query);
                }
                if !path_and_query.starts_with(&first) || path_and_query == path {
                    return Err(reply.invalid(
                        "`nextPageURL` does not name a later page of the same cache".to_owned(),
                    ));
                }
                Some(path_and_query)
            }
            Some(other) => {
                return Err(
                    reply.invalid(format!("`nextPageURL` is `{}`, not a string", json_type(other)))
                );
            }
        };
        Ok(DataPage { entries: parsed, next })
    }

    /// Upserts entries (`POST /v1/lookupcaches/{id}/data` `{"data": [{key, value}]}`). The
    /// caller keeps each call within the documented limits (1,000 entries and 5 MB). Sending the
    /// same entries twice stores them once, so the call is retried like a `PUT`.
    pub async fn upsert_lookup_data(
        &self,
        id: &str,
        entries: &[(String, serde_json::Value)],
    ) -> Result<(), Error> {
        let path = format!("{}/data", lookup_cache_path(id)?);
        let data: Vec<serde_json::Value> = entries
            .iter()
            .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
            .collect();
        let body = serde_json::json!({ "data": data });
        self.request(Method::POST, &path, Some(&body), Retry::Idempotent).await?;
        Ok(())
    }

    /// Deletes keys (`DELETE /v1/lookupcaches/{id}/data` `{"keys": [...]}`); keys not in the
    /// cache are ignored by the service.
    pub async fn delete_lookup_keys(&self, id: &str, keys: &[String]) -> Result<(), Error> {
        let path = format!("{}/data", lookup_cache_path(id)?);
        let body = serde_json::json!({ "keys": keys });
        self.request(Method::DELETE, &path, Some(&body), Retry::Idempotent).await?;
        Ok(())
    }
}
