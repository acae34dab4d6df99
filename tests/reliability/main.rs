//! Reliability and security tests of the real `flowform` binary (issue 9): SIGKILL at random
//! points of a large apply, two applies at once on one state, a catalogue of hostile inputs,
//! a canary hunt for secrets in every output and file, and transport rules. The figures they
//! print (`--nocapture`) are quoted in `docs/reliability.md`.
//!
//! The harness is the end-to-end package's (`tests/it/support.rs`); `common` adds what these
//! tests share: generated specs, the convergence checks, a seeded random source and a watchdog
//! that turns a hang into a failure.

#[allow(dead_code, unused_macros)]
#[macro_use]
#[path = "../it/support.rs"]
mod support;

#[macro_use]
#[path = "../shared/specs.rs"]
mod specs;

mod canary;
mod common;
mod concurrency;
mod crash;
mod faults;
mod hostile;
mod transport;
