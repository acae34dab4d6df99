//! Configuration of an emulator: its accounts, list paging, rate limit, latency, faults and the
//! switches for behaviours the API reference leaves open.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::fidelity::Fidelity;

/// Everything an emulator needs to start. `Default` gives the behaviour of the real service:
/// one account with token `sandbox`, pages of 1,000, the real rate limit (1,000 burst, 300/s),
/// no latency, no faults, admin API off, no data file, masked secrets kept on PUT and the cloned
/// document as clone response.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The accounts this emulator serves; each token selects one isolated account with its own
    /// data, request counters and rate budget. Must not be empty and tokens must be unique.
    pub accounts: Vec<AccountConfig>,
    /// Default number of records per list page (the `limit` query parameter may lower it, and
    /// may raise it up to 1,000).
    pub page_size: usize,
    /// The per-account leaky bucket, or `None` for no rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Added latency before every `/v1` request is handled.
    pub latency: Latency,
    /// Injected faults.
    pub faults: Faults,
    /// Seed of every random choice (fault decisions, jitter, job counts, id bytes).
    pub seed: u64,
    /// Whether the `/admin` HTTP API is served (the in-process [`crate::Admin`] always works).
    pub admin: bool,
    /// A JSON file the accounts' data is loaded from at start and written to (atomically, mode
    /// 0600) after every change and at shutdown.
    pub data_file: Option<PathBuf>,
    /// What a PUT that sends the mask `******` at a secret path does.
    pub mask_mode: MaskMode,
    /// Which of the two documented clone response shapes to return.
    pub clone_response: CloneResponse,
    /// How run jobs move from `queued` to `completed`.
    pub job_progression: JobProgression,
    /// Which server behaviours are modelled (see [`crate::Behaviour`]); the default is the
    /// catalogue's defaults.
    pub fidelity: Fidelity,
    /// The account's licensed maximum of connection concurrency, to which
    /// [`crate::Behaviour::ConcurrencyClamp`] clamps (Celigo's schemas: 25 standard, 50 with an
    /// Environments licence).
    pub licensed_concurrency: u32,
    /// How many asterisks a masked secret is returned as (the service: 6, `******`); other runs
    /// of asterisks test clients against other mask forms.
    pub mask_length: u8,
    /// What DELETE of a resource that others still reference does (undocumented; API reference
    /// §6.4 and §10).
    pub delete_in_use: DeleteInUse,
    /// What a PUT of an iClient that omits a stored secret does (the iClient schemas disagree).
    pub iclient_omitted_secret: OmittedSecret,
    /// The documented limits of lookup cache data (API reference §5.8).
    pub lookup_cache_limits: LookupCacheLimits,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            accounts: vec![AccountConfig::new("sandbox", "sandbox")],
            page_size: 1000,
            rate_limit: Some(RateLimit::default()),
            latency: Latency::default(),
            faults: Faults::default(),
            seed: 0,
            admin: false,
            data_file: None,
            mask_mode: MaskMode::KeepOnMask,
            clone_response: CloneResponse::Document,
            job_progression: JobProgression::default(),
            fidelity: Fidelity::default(),
            licensed_concurrency: DEFAULT_LICENSED_CONCURRENCY,
            mask_length: DEFAULT_MASK_LENGTH,
            delete_in_use: DeleteInUse::default(),
            iclient_omitted_secret: OmittedSecret::default(),
            lookup_cache_limits: LookupCacheLimits::default(),
        }
    }
}

/// The standard licence's connection concurrency maximum (Celigo's connection schemas).
pub const DEFAULT_LICENSED_CONCURRENCY: u32 = 25;

/// The service's mask: six asterisks.
pub const DEFAULT_MASK_LENGTH: u8 = 6;

impl EmulatorConfig {
    /// The default configuration with the admin API on and no rate limit: what most tests want.
    pub fn for_tests() -> Self {
        Self { admin: true, rate_limit: None, ..Self::default() }
    }
}

/// One account: a name (used as its key in the data file, never the token) and the API token
/// that selects it. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountConfig {
    /// Stable name of the account, used as its key in the data file.
    pub name: String,
    /// The bearer token that selects this account.
    pub token: String,
}

impl AccountConfig {
    /// An account called `name` selected by `token`.
    pub fn new(name: impl Into<String>, token: impl Into<String>) -> Self {
        Self { name: name.into(), token: token.into() }
    }
}

impl fmt::Debug for AccountConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AccountConfig")
            .field("name", &self.name)
            .field("token", &"(redacted)")
            .finish()
    }
}

/// A leaky bucket: `capacity` requests may burst, and the bucket refills at
/// `refill_per_second`. Each `/v1` request takes one token; an empty bucket answers 429.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Bucket size (the real service: 1,000).
    pub capacity: u32,
    /// Tokens added per second (the real service: 300).
    pub refill_per_second: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { capacity: 1000, refill_per_second: 300 }
    }
}

/// Latency added to every `/v1` request: `fixed` plus a uniform random share of `jitter`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// Always added.
    pub fixed: Duration,
    /// Upper bound of the random extra delay (drawn from the seeded generator).
    pub jitter: Duration,
}

/// Injected faults. Random decisions come from the account's seeded generator, so a
/// sequential client sees the same faults on every run with the same seed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Share of `/v1` requests (0.0–1.0) answered with a 5xx (500, 502 or 503) before anything
    /// is changed.
    pub server_error_rate: f64,
    /// Share of successful writes (POST, PUT, PATCH, DELETE) whose change is committed but whose
    /// response is dropped: the connection is closed without a response.
    pub dropped_write_rate: f64,
    /// Deterministic bursts of 429 responses, independent of the rate limit.
    pub forced_429: Option<Forced429>,
}

/// Forced 429 bursts: of every `every` authenticated requests of an account, the last `burst`
/// are answered 429 with `Retry-After: retry_after_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forced429 {
    /// Length of the cycle, in requests.
    pub every: u64,
    /// How many requests at the end of each cycle get a 429.
    pub burst: u64,
    /// The `Retry-After` value sent with them.
    pub retry_after_seconds: u64,
}

/// What PUT does with the mask `******` sent at a secret path. Sources disagree (API reference
/// §5.3): Celigo's iClient schema says the stored secret is kept, Celigo's connection skill says
/// the mask is saved as the credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MaskMode {
    /// A mask sent back keeps the stored secret.
    #[default]
    KeepOnMask,
    /// A mask sent back replaces the secret with the literal string `******`.
    StoreLiteral,
}

/// What a PUT of an iClient does with a secret it omits. Celigo's iClient schemas disagree:
/// `configuring-connections/iclient-schemas/base.yml` and `request.yml` say a secret "is not
/// preserved if omitted" (re-send the mask to keep it); the provider files `oauth2.yml`,
/// `netsuite.yml`, `salesforce.yml` and `ebay.yml` say "omit on update to keep existing value".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OmittedSecret {
    /// An omitted secret is erased, as any omitted field of a full-replace PUT (base.yml).
    #[default]
    Erased,
    /// An omitted secret keeps its stored value (the provider files).
    Kept,
}

impl OmittedSecret {
    /// The name used by `emulator serve --iclient-omitted-secret` and the admin settings.
    pub fn name(self) -> &'static str {
        match self {
            OmittedSecret::Erased => "erased",
            OmittedSecret::Kept => "kept",
        }
    }

    /// The setting named `name` (`erased` or `kept`).
    pub fn from_name(name: &str) -> Option<OmittedSecret> {
        [OmittedSecret::Erased, OmittedSecret::Kept]
            .into_iter()
            .find(|answer| answer.name() == name)
    }
}

/// The limits of lookup cache data: per call, per cache, per account and per page of
/// `getData`. `Default` is the documented service (API reference §5.8; docs.celigo.com
/// "Lookup caches API endpoints": at most 1,000 entries or 5 MB per upsert or delete, pages of
/// at most 1,000 keys or 5 MB, 50 MB per cache, 1 GB per environment). Tests lower them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupCacheLimits {
    /// Entries (upsert) or keys (delete) one call may carry.
    pub entries_per_call: usize,
    /// Bytes of the request body of one upsert or delete.
    pub bytes_per_call: usize,
    /// Bytes one cache may hold (keys plus JSON values).
    pub bytes_per_cache: u64,
    /// Bytes all caches of an account may hold together.
    pub bytes_per_account: u64,
    /// Keys one `getData` page returns at most.
    pub keys_per_page: usize,
    /// Bytes one `getData` page returns at most (a larger single entry still comes alone).
    pub bytes_per_page: usize,
}

/// One megabyte as the limits count it (2^20 bytes).
pub const MEGABYTE: u64 = 1024 * 1024;

impl Default for LookupCacheLimits {
    fn default() -> Self {
        Self {
            entries_per_call: 1000,
            bytes_per_call: 5 * MEGABYTE as usize,
            bytes_per_cache: 50 * MEGABYTE,
            bytes_per_account: 1024 * MEGABYTE,
            keys_per_page: 1000,
            bytes_per_page: 5 * MEGABYTE as usize,
        }
    }
}

/// What DELETE of a resource still referenced by another does. The reference says only that the
/// user gets an "unable to delete" error (API reference §6.4: "Gap … not documented"), so every
/// plausible answer can be chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeleteInUse {
    /// 422 `resource_in_use` listing the dependents.
    #[default]
    Unprocessable,
    /// 409 `resource_in_use`.
    Conflict,
    /// 400 `resource_in_use`.
    BadRequest,
    /// The delete succeeds and leaves the references dangling.
    Allowed,
}

impl DeleteInUse {
    /// The name used by `emulator serve --delete-in-use` and the admin settings.
    pub fn name(self) -> &'static str {
        match self {
            DeleteInUse::Unprocessable => "422",
            DeleteInUse::Conflict => "409",
            DeleteInUse::BadRequest => "400",
            DeleteInUse::Allowed => "allow",
        }
    }

    /// The setting named `name` (`422`, `409`, `400` or `allow`).
    pub fn from_name(name: &str) -> Option<DeleteInUse> {
        [
            DeleteInUse::Unprocessable,
            DeleteInUse::Conflict,
            DeleteInUse::BadRequest,
            DeleteInUse::Allowed,
        ]
        .into_iter()
        .find(|setting| setting.name() == name)
    }
}

/// The clone response shape (API reference §6.5 documents both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CloneResponse {
    /// The cloned resource's document.
    #[default]
    Document,
    /// An array `[{"model":"Flow","_id":…,"name":…}, {"model":"Export",…}, …]` of everything
    /// created.
    Manifest,
}

/// How a job started by `POST /v1/flows/{id}/run` advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobProgression {
    /// Each `GET /v1/jobs/{id}` (or `/family`) of the job counts as a poll; the job reports
    /// `queued` for the first `polls_per_stage` polls, `running` for the next
    /// `polls_per_stage`, then `completed` (or `failed`). Zero completes at once.
    PerPoll {
        /// Polls spent in each of `queued` and `running`.
        polls_per_stage: u32,
    },
    /// The job is `queued` for `queued_for` after its creation, then `running` for
    /// `running_for`, then finished.
    Clock {
        /// Time spent queued.
        queued_for: Duration,
        /// Time spent running.
        running_for: Duration,
    },
}

impl Default for JobProgression {
    fn default() -> Self {
        Self::PerPoll { polls_per_stage: 1 }
    }
}

/// How the next jobs of an account end (set with [`crate::Admin::set_job_outcome`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JobOutcome {
    /// `completed` with `numError: 0`.
    #[default]
    Success,
    /// `completed` with this many records in error.
    CompletedWithErrors(u64),
    /// `failed`.
    Failed,
}

/// The settings of a running emulator that the admin controls may change: the emulator-wide
/// part of [`EmulatorConfig`], copied into every request's context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) page_size: usize,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) latency: Latency,
    pub(crate) faults: Faults,
    pub(crate) mask_mode: MaskMode,
    pub(crate) clone_response: CloneResponse,
    pub(crate) job_progression: JobProgression,
    pub(crate) fidelity: Fidelity,
    pub(crate) licensed_concurrency: u32,
    pub(crate) mask_length: u8,
    pub(crate) delete_in_use: DeleteInUse,
    pub(crate) iclient_omitted_secret: OmittedSecret,
    pub(crate) lookup_cache_limits: LookupCacheLimits,
}

impl Settings {
    pub(crate) fn from_config(config: &EmulatorConfig) -> Settings {
        Settings {
            page_size: config.page_size,
            rate_limit: config.rate_limit,
            latency: config.latency,
            faults: config.faults,
            mask_mode: config.mask_mode,
            clone_response: config.clone_response,
            job_progression: config.job_progression,
            fidelity: config.fidelity,
            licensed_concurrency: config.licensed_concurrency,
            mask_length: config.mask_length,
            delete_in_use: config.delete_in_use,
            iclient_omitted_secret: config.iclient_omitted_secret,
            lookup_cache_limits: config.lookup_cache_limits,
        }
    }
}
