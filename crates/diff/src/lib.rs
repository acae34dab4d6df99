//! flowform's diff engine: it turns the desired state (the spec), the applied state (what
//! flowform last wrote) and the live state (what the account holds) into a typed [`Plan`], and
//! renders that plan for people (`render::human`), for machines (`render::json`) and for pull
//! requests (`render::markdown`).
//!
//! It owns the rules that decide what a plan says: resource identity (update, create, clone,
//! adopt, move, delete), the normalisation of live documents (server-owned fields, nulls, server
//! defaults, ids mapped back to `${KIND.KEY}`), the three-way field comparison of PRODUCT.md
//! §2.2, changes made outside flowform in any field (the live baselines and the refresh-only
//! plan, [`refresh`]), and the pure helpers the executor uses to build request bodies and to record state after
//! a write, so that planning and applying can never disagree about a field.
//!
//! It must never do IO: no network, no filesystem, no clock, no environment, no async. Every
//! function is a pure function of its arguments and cannot fail on IO. It must never let a
//! secret value reach a plan, a rendering, an error or `Debug` output: secrets are compared by
//! salted fingerprint only and show as `(sensitive)`.
#![warn(missing_docs)]

mod align;
mod blast;
mod clones;
mod compare;
pub mod defaults;
mod engine;
mod field_diff;
mod identity;
mod leaves;
mod literal_ids;
pub mod normalize;
mod outside;
mod pictures;
pub mod render;
pub mod service;
mod write;

pub use engine::{DiffOptions, diff, diff_observed};
pub use normalize::{ManagedIds, normalize_live};
pub use outside::{baseline_after_write, live_baseline, refresh};
pub use write::{
    WriteError, WriteOptions, create_document, desired_digest, record_applied, service_notes,
    unlink_document, update_document,
};

#[doc(no_inline)]
pub use flowform_model::Plan;
