//! flowform-pull's integration tests: pulls from the emulator over loopback HTTP, the pulled
//! spec loaded, planned and applied with the real spec loader and executor.

mod build;
mod corpus;
mod large;
mod promotion;
mod pull;
mod round_trip;
mod support;
