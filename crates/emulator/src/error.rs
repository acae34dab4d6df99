//! Errors: the API's error envelope (`ApiError`, turned into HTTP responses) and the public
//! errors of starting an emulator and of the admin controls.

use std::path::PathBuf;

use axum::http::StatusCode;
use serde_json::{Value, json};

/// One entry of the `{"errors":[…]}` envelope.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorEntry {
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) field: Option<String>,
}

/// An API failure: a status and one or more envelope entries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<ErrorEntry>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![ErrorEntry {
                code: code.to_owned(),
                message: message.into(),
                field: None,
            }],
        }
    }

    pub(crate) fn with_field(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        field: impl Into<String>,
    ) -> Self {
        Self {
            status,
            errors: vec![ErrorEntry {
                code: code.to_owned(),
                message: message.into(),
                field: Some(field.into()),
            }],
        }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn body(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|entry| {
                let mut object = serde_json::Map::new();
                object.insert("code".into(), Value::String(entry.code.clone()));
                object.insert("message".into(), Value::String(entry.message.clone()));
                if let Some(field) = &entry.field {
                    object.insert("field".into(), Value::String(field.clone()));
                }
                Value::Object(object)
            })
            .collect();
        json!({ "errors": errors })
    }
}

/// Collects validation problems so one response can report all of them, as the API does.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    entries: Vec<ErrorEntry>,
    /// The status of the response: 422 unless a problem asks for another (the first wins).
    status: Option<StatusCode>,
}

impl Problems {
    pub(crate) fn push(
        &mut self,
        code: &str,
        message: impl Into<String>,
        field: impl Into<String>,
    ) {
        self.push_with_status(StatusCode::UNPROCESSABLE_ENTITY, code, message, field);
    }

    pub(crate) fn push_with_status(
        &mut self,
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        field: impl Into<String>,
    ) {
        self.status.get_or_insert(status);
        self.entries.push(ErrorEntry {
            code: code.to_owned(),
            message: message.into(),
            field: Some(field.into()),
        });
    }

    pub(crate) fn into_result(self) -> Result<(), ApiError> {
        if self.entries.is_empty() {
            Ok(())
        } else {
            Err(ApiError {
                status: self.status.unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                errors: self.entries,
            })
        }
    }
}

/// Failure to start an emulator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration cannot work (no accounts, duplicate tokens, a rate out of range…).
    #[error("invalid emulator configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// The listening socket could not be bound.
    #[error("failed to listen on `{addr}`")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The data file exists but could not be read or parsed.
    #[error("failed to load the emulator data file `{}`", path.display())]
    LoadData {
        /// The data file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: PersistError,
    },
    /// The runtime thread of a [`crate::BackgroundEmulator`] could not be created.
    #[error("failed to start the emulator's background runtime")]
    Runtime {
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Failure to read or write the data file.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading, writing or renaming failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The file is not valid JSON.
    #[error("the data file is not valid JSON")]
    Json(#[from] serde_json::Error),
    /// The file is JSON but not an emulator data file.
    #[error("the data file has an unexpected shape: {reason}")]
    Shape {
        /// What is wrong.
        reason: String,
    },
}

/// Failure of an admin control.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No account has this token.
    #[error("no account has the given token")]
    UnknownAccount,
    /// The collection name is not one of the six resource collections.
    #[error("unknown collection `{name}`")]
    UnknownCollection {
        /// The name given.
        name: String,
    },
    /// No document with this id.
    #[error("no {collection} document has id `{id}`")]
    NotFound {
        /// The collection searched.
        collection: String,
        /// The id asked for.
        id: String,
    },
    /// The fixtures or edit body is not acceptable.
    #[error("invalid admin input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// A setting is out of range.
    #[error("invalid setting: {reason}")]
    InvalidSetting {
        /// What is wrong.
        reason: String,
    },
}

/// Failure to read the conformance corpus.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A folder or file could not be read.
    #[error("failed to read `{}`", path.display())]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A document file is not JSON.
    #[error("`{}` is not valid JSON", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A folder or file does not follow the corpus layout.
    #[error("`{}`: {reason}", path.display())]
    Layout {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong, and what is expected.
        reason: String,
    },
}
