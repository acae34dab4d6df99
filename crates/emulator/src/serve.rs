//! The `flowform emulator serve` command's options and entry point, for the CLI crate to call.
//! It prints nothing: the CLI prints the URL (the first line of stdout) and then waits with
//! [`EmulatorHandle::run_until_ctrl_c`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{
    AccountConfig, CloneResponse, DEFAULT_LICENSED_CONCURRENCY, DEFAULT_MASK_LENGTH, DeleteInUse,
    EmulatorConfig, Faults, Latency, LookupCacheLimits, MaskMode, OmittedSecret, RateLimit,
};
use crate::error::StartError;
use crate::fidelity::{Behaviour, Fidelity};
use crate::server::{EmulatorHandle, start};

/// The default listening address of `emulator serve`.
pub const DEFAULT_SERVE_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 4790);

/// Options of `flowform emulator serve`. With the `clap` feature it derives `clap::Args`, so the
/// CLI can `#[command(flatten)]` it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ServeOptions {
    /// Address to listen on (port 0 picks a free port)
    #[cfg_attr(feature = "clap", arg(long, default_value_t = DEFAULT_SERVE_ADDR))]
    pub addr: SocketAddr,
    /// JSON file that keeps the data between runs (created with mode 0600)
    #[cfg_attr(feature = "clap", arg(long = "data", value_name = "FILE"))]
    pub data_file: Option<PathBuf>,
    /// API token of an account (repeatable: one isolated account per token; default `sandbox`)
    #[cfg_attr(feature = "clap", arg(long = "token", value_name = "T"))]
    pub tokens: Vec<String>,
    /// Records per list page
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 1000))]
    pub page_size: usize,
    /// Rate limit burst per account (0 turns the limit off)
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 1000))]
    pub rate_capacity: u32,
    /// Rate limit refill per second (0 turns the limit off)
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 300))]
    pub rate_refill: u32,
    /// Latency added to every request, in milliseconds
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 0))]
    pub latency_ms: u64,
    /// Random extra latency of up to this many milliseconds
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 0))]
    pub jitter_ms: u64,
    /// Share of requests (0–1) answered with a 5xx
    #[cfg_attr(feature = "clap", arg(long, value_name = "P", default_value_t = 0.0))]
    pub fault_rate: f64,
    /// Share of successful writes (0–1) whose response is dropped after the change is committed
    #[cfg_attr(feature = "clap", arg(long, value_name = "P", default_value_t = 0.0))]
    pub drop_rate: f64,
    /// Seed of the fault, latency and job-count randomness
    #[cfg_attr(feature = "clap", arg(long, value_name = "S", default_value_t = 0))]
    pub seed: u64,
    /// Serve the /admin API (reset, fixtures, counters, out-of-band edits, settings)
    #[cfg_attr(feature = "clap", arg(long))]
    pub admin: bool,
    /// Store a `******` sent back on PUT literally instead of keeping the stored secret
    #[cfg_attr(feature = "clap", arg(long))]
    pub store_literal_masks: bool,
    /// Answer clone requests with a manifest array instead of the cloned document
    #[cfg_attr(feature = "clap", arg(long))]
    pub clone_manifest: bool,
    /// Switch off server behaviours (names as in docs/fidelity.md, comma-separated or repeated;
    /// `all` for every one)
    #[cfg_attr(
        feature = "clap",
        arg(long = "fidelity-off", value_name = "NAME", value_delimiter = ',')
    )]
    pub fidelity_off: Vec<String>,
    /// Switch on server behaviours, after `--fidelity-off` (e.g. ones off by default; `all`)
    #[cfg_attr(
        feature = "clap",
        arg(long = "fidelity-on", value_name = "NAME", value_delimiter = ',')
    )]
    pub fidelity_on: Vec<String>,
    /// The licensed maximum connection concurrency that `concurrencyLevel` is clamped to
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = DEFAULT_LICENSED_CONCURRENCY))]
    pub licensed_concurrency: u32,
    /// How many asterisks a masked secret is returned as
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = DEFAULT_MASK_LENGTH))]
    pub mask_length: u8,
    /// What DELETE of a still-referenced resource answers: 422, 409, 400 or allow
    #[cfg_attr(feature = "clap", arg(long, value_name = "ANSWER", default_value = "422"))]
    pub delete_in_use: String,
    /// What a PUT of an iClient that omits a stored secret does: erased or kept
    #[cfg_attr(feature = "clap", arg(long, value_name = "ANSWER", default_value = "erased"))]
    pub iclient_omitted_secret: String,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            addr: DEFAULT_SERVE_ADDR,
            data_file: None,
            tokens: Vec::new(),
            page_size: 1000,
            rate_capacity: 1000,
            rate_refill: 300,
            latency_ms: 0,
            jitter_ms: 0,
            fault_rate: 0.0,
            drop_rate: 0.0,
            seed: 0,
            admin: false,
            store_literal_masks: false,
            clone_manifest: false,
            fidelity_off: Vec::new(),
            fidelity_on: Vec::new(),
            licensed_concurrency: DEFAULT_LICENSED_CONCURRENCY,
            mask_length: DEFAULT_MASK_LENGTH,
            delete_in_use: DeleteInUse::default().name().to_owned(),
            iclient_omitted_secret: OmittedSecret::default().name().to_owned(),
        }
    }
}

impl ServeOptions {
    /// The emulator configuration these options describe. The first token's account is named
    /// `sandbox` (so a data file written with the default token is read back by the first
    /// token), later ones `account-2`, `account-3`, ….
    pub fn to_config(&self) -> Result<EmulatorConfig, StartError> {
        let tokens =
            if self.tokens.is_empty() { vec!["sandbox".to_owned()] } else { self.tokens.clone() };
        let accounts = tokens
            .into_iter()
            .enumerate()
            .map(|(index, token)| {
                let name = if index == 0 {
                    "sandbox".to_owned()
                } else {
                    format!("account-{}", index + 1)
                };
                AccountConfig::new(name, token)
            })
            .collect();
        let rate_limit = (self.rate_capacity > 0 && self.rate_refill > 0).then_some(RateLimit {
            capacity: self.rate_capacity,
            refill_per_second: self.rate_refill,
        });
        Ok(EmulatorConfig {
            accounts,
            page_size: self.page_size,
            rate_limit,
            latency: Latency {
                fixed: Duration::from_millis(self.latency_ms),
                jitter: Duration::from_millis(self.jitter_ms),
            },
            faults: Faults {
                server_error_rate: self.fault_rate,
                dropped_write_rate: self.drop_rate,
                forced_429: None,
            },
            seed: self.seed,
            admin: self.admin,
            data_file: self.data_file.clone(),
            mask_mode: if self.store_literal_masks {
                MaskMode::StoreLiteral
            } else {
                MaskMode::KeepOnMask
            },
            clone_response: if self.clone_manifest {
                CloneResponse::Manifest
            } else {
                CloneResponse::Document
            },
            job_progression: Default::default(),
            fidelity: self.fidelity()?,
            licensed_concurrency: self.licensed_concurrency,
            mask_length: self.mask_length,
            delete_in_use: DeleteInUse::from_name(&self.delete_in_use).ok_or_else(|| {
                StartError::InvalidConfig {
                    reason: format!(
                        "`--delete-in-use` must be 422, 409, 400 or allow, got `{}`",
                        self.delete_in_use
                    ),
                }
            })?,
            iclient_omitted_secret: OmittedSecret::from_name(&self.iclient_omitted_secret)
                .ok_or_else(|| StartError::InvalidConfig {
                    reason: format!(
                        "`--iclient-omitted-secret` must be erased or kept, got `{}`",
                        self.iclient_omitted_secret
                    ),
                })?,
            lookup_cache_limits: LookupCacheLimits::default(),
        })
    }

    /// The catalogue's defaults with `fidelity_off`, then `fidelity_on`, applied.
    fn fidelity(&self) -> Result<Fidelity, StartError> {
        let mut fidelity = Fidelity::default();
        for (names, on) in [(&self.fidelity_off, false), (&self.fidelity_on, true)] {
            for name in names.iter().map(|name| name.trim()).filter(|name| !name.is_empty()) {
                if name == "all" {
                    fidelity = if on { Fidelity::all() } else { Fidelity::none() };
                    continue;
                }
                let behaviour = Behaviour::from_name(name).ok_or_else(|| {
                    let known: Vec<&str> =
                        Behaviour::ALL.iter().map(|behaviour| behaviour.name()).collect();
                    StartError::InvalidConfig {
                        reason: format!(
                            "unknown fidelity behaviour `{name}`; known behaviours: all, {}",
                            known.join(", ")
                        ),
                    }
                })?;
                fidelity = fidelity.set(behaviour, on);
            }
        }
        Ok(fidelity)
    }
}

/// Starts the emulator `serve` describes and returns its handle; the caller prints
/// [`EmulatorHandle::url`] and then awaits [`EmulatorHandle::run_until_ctrl_c`].
pub async fn serve(options: &ServeOptions) -> Result<EmulatorHandle, StartError> {
    start(options.to_config()?, options.addr).await
}

#[cfg(all(test, feature = "clap"))]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        serve: ServeOptions,
    }

    #[test]
    fn the_documented_flags_parse() {
        let command = Command::parse_from([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--data",
            "sandbox.json",
            "--token",
            "a",
            "--token",
            "b",
            "--page-size",
            "5",
            "--rate-capacity",
            "0",
            "--rate-refill",
            "10",
            "--latency-ms",
            "20",
            "--fault-rate",
            "0.1",
            "--seed",
            "9",
            "--admin",
        ]);
        let config = command.serve.to_config().expect("valid");
        assert_eq!(config.accounts.len(), 2);
        assert_eq!(config.page_size, 5);
        assert_eq!(config.rate_limit, None);
        assert_eq!(config.latency.fixed, Duration::from_millis(20));
        assert_eq!(config.faults.server_error_rate, 0.1);
        assert_eq!((config.seed, config.admin), (9, true));
        assert_eq!(config.fidelity, Fidelity::default());
        assert_eq!(Command::parse_from(["serve"]).serve, ServeOptions::default());
    }

    #[test]
    fn fidelity_flags_switch_behaviours_off_then_on() {
        let command = Command::parse_from([
            "serve",
            "--fidelity-off",
            "all",
            "--fidelity-on",
            "router-id,flow-skip-retries",
            "--fidelity-on",
            "page-generator-id",
            "--licensed-concurrency",
            "50",
            "--mask-length",
            "8",
            "--delete-in-use",
            "409",
            "--iclient-omitted-secret",
            "kept",
        ]);
        let config = command.serve.to_config().expect("valid");
        assert_eq!(config.iclient_omitted_secret, OmittedSecret::Kept);
        let expected = Fidelity::only(Behaviour::RouterId)
            .with(Behaviour::FlowSkipRetries)
            .with(Behaviour::PageGeneratorId);
        assert_eq!(config.fidelity, expected);
        assert_eq!(config.licensed_concurrency, 50);
        assert_eq!(config.mask_length, 8);
        assert_eq!(config.delete_in_use, DeleteInUse::Conflict);
        let off = Command::parse_from(["serve", "--fidelity-off", "flow-skip-retries"]);
        let fidelity = off.serve.to_config().expect("valid").fidelity;
        assert_eq!(fidelity, Fidelity::default().without(Behaviour::FlowSkipRetries));
    }

    #[test]
    fn an_unknown_behaviour_or_answer_is_refused_with_the_choices() {
        let unknown = Command::parse_from(["serve", "--fidelity-off", "flow-skip-retry"]);
        let error = unknown.serve.to_config().expect_err("unknown name").to_string();
        assert!(
            error.contains("`flow-skip-retry`") && error.contains("flow-skip-retries"),
            "{error}"
        );
        let answer = Command::parse_from(["serve", "--delete-in-use", "418"]);
        let error = answer.serve.to_config().expect_err("unknown answer").to_string();
        assert!(error.contains("`418`"), "{error}");
        let omitted = Command::parse_from(["serve", "--iclient-omitted-secret", "lost"]);
        let error = omitted.serve.to_config().expect_err("unknown answer").to_string();
        assert!(error.contains("`lost`") && error.contains("erased or kept"), "{error}");
    }
}
