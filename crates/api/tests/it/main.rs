//! Integration tests of flowform-api over real loopback HTTP: wiremock where a precise failure
//! sequence is easiest to script, a small stateful fake (`fake.rs`) where state matters.

mod fake;
mod stateful;
mod support;
mod wire;
