//! Integration tests of flowform-api over real loopback HTTP: the emulator (`emulator.rs`) as
//! the remote, wiremock where a precise failure sequence is easiest to script, and a small
//! stateful fake (`fake.rs`) for failures the emulator does not offer (hangs, drops before a
//! commit, odd links).

mod emulator;
mod fake;
mod stateful;
mod support;
mod wire;
