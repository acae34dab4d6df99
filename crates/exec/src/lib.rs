//! flowform's executor side: the state store (local file with journal and lock, or the
//! account's State API), the planner that turns spec + state + live into a plan, saved plan
//! files, and the executor that applies a plan in dependency order.
//!
//! It owns every write to the account and to the state. It must never print (it reports
//! progress through callbacks the CLI renders) and never hold a secret value longer than the
//! request that sends it.
#![warn(missing_docs)]

pub mod apply;
pub mod graph;
pub mod lookup_data;
pub mod lookups;
pub mod planner;
pub mod remote;
pub mod saved;
pub mod state;
