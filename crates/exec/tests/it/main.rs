//! The planner and executor against the emulator over loopback HTTP.

mod apply;
mod faults;
mod fuzz;
mod regression;
mod support;
