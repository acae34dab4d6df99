//! End-to-end tests of the `flowform` binary (validate, schema, exit codes).

#[macro_use]
mod support;

mod example;
mod schema;
mod secrets;
mod validate;
mod variables;
