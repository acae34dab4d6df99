//! The planner and executor against the emulator over loopback HTTP.

mod apply;
mod faults;
mod regression;
mod support;
