//! Integration tests of the emulator over real loopback HTTP.

mod admin;
mod auth;
mod clone;
mod conformance;
mod conformance_corpus;
mod crud;
mod dependencies;
mod faults;
mod fidelity;
mod groupings;
mod jobs;
mod kinds;
mod lists;
mod lookup_data;
mod persistence;
mod rate_limit;
mod secrets;
mod state;
mod support;
mod validation;
