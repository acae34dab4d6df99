//! flowform's spec language: YAML files in, a resolved [`DesiredState`] and spanned
//! [`Diagnostic`]s out.
//!
//! This crate owns everything PRODUCT.md §1 says about spec files: discovery, the YAML loader
//! (a spanned node tree built from saphyr-parser events, with limits on size, depth, aliases and
//! nodes), sections and keys, `${…}` placeholders (references, variables, environment variables,
//! secrets, `${data.KIND.KEY}` lookups), environment files, `lifecycle`, script `contentFile`,
//! `moved`, `data:` lookups, flow groups by name, lookup cache `dataFile`s, and every check that
//! can be made without the remote API; and the YAML writer ([`emit`]) that `flowform pull` uses,
//! whose output this loader reads back as the same values. It is the only crate that knows YAML.
//!
//! It must never print (the CLI renders [`Diagnostic`]s with miette), never talk to the
//! network, never panic on any input, never recurse without a bound, and never put a secret's
//! value anywhere but a [`SecretValue`](flowform_model::SecretValue).
#![warn(missing_docs)]

#[cfg(test)]
mod celigo_schemas;
mod checks;
mod content_file;
mod data_file;
pub mod diagnostic;
mod discover;
pub mod emit;
pub mod environment;
pub mod known_fields;
mod lifecycle;
pub mod limits;
mod load;
mod lookups;
mod moved;
pub mod options;
mod origin;
mod placeholder;
mod problems;
mod resolve;
mod scalar;
pub mod schema;
mod source;
mod suggest;
mod validate;
mod yaml;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use emit::{EmitError, spec_file, to_yaml};
pub use environment::{EnvironmentSettings, Region, RegionError};
pub use flowform_model::DesiredState;
pub use load::{Loaded, Located, load, locate};
pub use options::{LoadOptions, ProcessEnvironment, SecretPolicy};
pub use origin::value_origin;
