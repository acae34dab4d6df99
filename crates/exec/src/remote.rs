//! The account, as the executor sees it: the API client, and the State API under the narrow
//! trait the remote state backend needs.

use flowform_api::{Client, StateScope};

use crate::state::remote::{ApiError, StateApi};

/// The State API of the client's account (`/v1/state/{key}`).
pub struct ClientStateApi<'a>(pub &'a Client);

impl StateApi for ClientStateApi<'_> {
    async fn get(&self, key: &str) -> Result<Option<serde_json::Value>, ApiError> {
        self.0
            .state_get(&StateScope::Global, key)
            .await
            .map_err(|error| Box::new(error) as ApiError)
    }

    async fn put(&self, key: &str, value: &serde_json::Value) -> Result<(), ApiError> {
        self.0
            .state_put(&StateScope::Global, key, value)
            .await
            .map_err(|error| Box::new(error) as ApiError)
    }

    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        match self.0.state_delete(&StateScope::Global, key).await {
            Err(error) if error.is_not_found() => Ok(()),
            result => result.map_err(|error| Box::new(error) as ApiError),
        }
    }
}
