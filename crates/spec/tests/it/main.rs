//! flowform-spec's integration tests: one binary, one module per area.

mod fixtures;
mod hostile;
mod support;
