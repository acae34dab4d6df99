//! flowform-spec's integration tests: one binary, one module per area.

mod fixtures;
mod generated;
mod hostile;
mod support;
