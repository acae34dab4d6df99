//! The planner and executor against the emulator over loopback HTTP.

#[macro_use]
#[path = "../../../../tests/shared/specs.rs"]
mod specs;

mod apply;
mod faults;
mod fidelity;
mod fuzz;
mod kinds;
mod refresh;
mod regression;
mod support;
