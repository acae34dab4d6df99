//! flowform's integrator.io REST client.
//!
//! This crate owns everything about talking to integrator.io over HTTP: the validated endpoint
//! ([`Endpoint`], [`Region`]), the token (a `secrecy::SecretString` that reaches only the
//! `Authorization` header), the wire shapes of the API (documents are parsed as JSON and handed
//! over to [`flowform_model::LiveResource`], which keeps them as model values; request bodies are
//! JSON), `Link` pagination, the tolerant error parser, one
//! rate budget per account ([`RateBudget`]: a token bucket under the server's leaky bucket with
//! AIMD after 429s and a bound on requests in flight), retries with backoff and jitter, and the
//! recovery of creates whose response was lost.
//!
//! It must never print, never log or return the token or a secret value (errors and `Debug`
//! output are redacted, and text from the server is scrubbed of the token), never send the
//! secret mask `******` back to the API, and never send a POST twice without first proving the
//! first one created nothing. It knows nothing about specs, plans or state files.
//!
//! Environment: [`NO_RETRY_DELAY_ENV`] (`FLOWFORM_TEST_NO_RETRY_DELAY=1`) makes every retry
//! wait zero-length, for end-to-end tests; [`HTTP_TIMEOUT_ENV`] (`FLOWFORM_HTTP_TIMEOUT_SECS`)
//! sets the timeout of ordinary requests in seconds; [`BASE_URL_ENV`] (`CELIGO_BASE_URL`) is read by the
//! caller and passed to [`Endpoint::resolve`].
#![warn(missing_docs)]

mod budget;
mod client;
mod config;
mod endpoint;
mod error;
mod jobs;
mod kinds;
mod pagination;
mod resources;
mod state;
mod types;

pub use budget::{MethodCounts, RateBudget, RequestStats};
pub use client::Client;
pub use config::{
    ClientConfig, DEFAULT_MAX_RESPONSE_BYTES, HTTP_TIMEOUT_ENV, NO_RETRY_DELAY_ENV, RateLimit,
    RetryPolicy, Sleeper, Timeouts, TokioSleeper,
};
pub use endpoint::{BASE_URL_ENV, Endpoint, Region};
pub use error::{ApiErrorItem, Error};
pub use flowform_model::{Kind, LiveResource, LiveState};
pub use jobs::{JOB_ERRORS_LIMIT, JobError, JobFamily};
pub use kinds::{DataPage, LOOKUP_ONLY_COLLECTIONS};
pub use secrecy::SecretString;
pub use types::{
    Cloned, ClonedEntry, Created, Dependencies, Dependent, Environment, Job, JobStatus, PatchOp,
    StateScope, TokenInfo,
};
