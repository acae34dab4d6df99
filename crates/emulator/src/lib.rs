//! An emulator of the Celigo integrator.io REST API (`/v1`), written from the API reference
//! (`shared/reference/integrator-api.md`), for flowform's tests, benchmarks and local sandbox.
//!
//! It owns: bearer-token accounts with isolated data and rate budgets; CRUD of integrations,
//! connections, exports, imports, scripts and flows, and of the kinds they reference (iClients,
//! lookup caches and their data, file definitions, EDI profiles, async helpers, on-premise
//! agents, stacks), with the API's validation, error envelope, secret masking, Link pagination
//! and projection; flow groups; the service's own behaviours (fidelity);
//! dependencies, the recycle bin, clones, flow runs and jobs, the State API; seeded fault
//! injection; an admin API; a data file; and the reader of the conformance corpus.
//!
//! It must never depend on a sibling crate or share wire types with flowform's client, so that
//! one mistaken assumption cannot hide on both sides, and it must never print: the CLI prints.
//!
//! # Use
//! - In async tests: [`start`]`(config, "127.0.0.1:0")` → [`EmulatorHandle`] with
//!   [`EmulatorHandle::url`] and [`EmulatorHandle::admin`].
//! - In synchronous tests: [`BackgroundEmulator::start`].
//! - For `flowform emulator serve`: [`serve`] with [`ServeOptions`].
//!
//! # Fidelity: the service's own behaviours
//! The emulator behaves as the service does where the references show it: fields the service
//! adds, values it rewrites, secrets it manages itself, mask forms, structural rules, list order.
//! Each is a [`Behaviour`] with its source, switchable through [`EmulatorConfig::fidelity`],
//! `emulator serve --fidelity-off/--fidelity-on` and `PUT /admin/fidelity`; `docs/fidelity.md`
//! is the table (behaviour, source, switch and default, how flowform copes, test).
//!
//! # Behaviour where the reference is silent or sources disagree
//! - PUT with the mask at a secret path: [`MaskMode`] (default: keep the stored secret).
//! - The mask itself: [`EmulatorConfig::mask_length`] asterisks (default 6, `******`).
//! - Clone response: [`CloneResponse`] (default: the cloned document).
//! - Deleting a referenced resource: [`DeleteInUse`] (default 422 `resource_in_use`, the
//!   message lists the dependents). `GET /v1/{collection}/{id}/dependencies` lists resources
//!   that *use* the resource ("used by"), not those it uses, so an empty object means "safe to
//!   delete".
//! - `concurrencyLevel` clamp: [`EmulatorConfig::licensed_concurrency`] (default 25).
//! - An unknown id answers 404 `{"errors":[{"code":"not_found",…}]}`; malformed JSON 400
//!   `invalid_json`; a non-object body 400 `invalid_body`; a non-JSON `Content-Type` with a body
//!   415 `unsupported_media_type`; PATCH of a path outside the kind's whitelist 422
//!   `invalid_field`.
//! - References to collections the emulator does not hold (tools, HTTP connectors, users, …)
//!   are only checked to be 24-hex ids; references inside `settings`, `settingsForm` and
//!   sample data are not checked.
//! - An iClient PUT that omits a stored secret: [`OmittedSecret`] (default: erased).
//! - Lookup cache data limits: [`LookupCacheLimits`] (default: the documented ones).
//! - Lists ignore unknown query parameters (so `?_integrationId=` does not filter; use the
//!   integration sub-collections). `limit` above 1,000 is capped, `limit=0` means the page size.
//!   The `Link` header carries `rel="next"` and, after the first page, `rel="prev"`, with the
//!   other query parameters (`include`/`exclude`) kept.
//! - Flows get `disabled:false` when it is omitted; integrations' flow groupings without `_id`
//!   an id. Clones are created with `disabled: true`.
//! - Jobs are not written to the data file.
//!
//! # Conformance corpus
//! [`read_corpus`] reads `tests/corpus/` (real `GET` documents from public sources) and
//! [`Admin::load_raw`] stores documents exactly as given, so a test can put a real account's
//! documents into the emulator.
//!
//! # Admin HTTP API
//! Served under `/admin` only when [`EmulatorConfig::admin`] is set; see [`admin`] for every
//! route.
#![warn(missing_docs)]

pub mod admin;
mod api;
mod background;
mod clone;
mod config;
mod context;
mod corpus;
mod error;
mod fidelity;
mod groupings;
mod jobs;
mod json;
mod kinds;
mod lookup_data;
mod persist;
mod rate;
mod resources;
mod serve;
mod server;
mod shared;
mod state_api;
mod store;
mod util;
mod validate;

pub use admin::{Admin, RequestCounters};
pub use background::BackgroundEmulator;
pub use config::{
    AccountConfig, CloneResponse, DEFAULT_LICENSED_CONCURRENCY, DEFAULT_MASK_LENGTH, DeleteInUse,
    EmulatorConfig, Faults, Forced429, JobOutcome, JobProgression, Latency, LookupCacheLimits,
    MEGABYTE, MaskMode, OmittedSecret, RateLimit,
};
pub use corpus::{CorpusDocument, CorpusSource, read_corpus};
pub use error::{AdminError, CorpusError, PersistError, StartError};
pub use fidelity::{Behaviour, Fidelity};
pub use kinds::ResourceKind;
pub use serve::{DEFAULT_SERVE_ADDR, ServeOptions, serve};
pub use server::{EmulatorHandle, start};
