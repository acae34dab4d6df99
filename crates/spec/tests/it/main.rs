//! flowform-spec's integration tests: one binary, one module per area.

mod corpus;
mod discovery;
mod fixtures;
mod fuzz;
mod generated;
mod hostile;
mod locate;
mod schema;
mod support;
