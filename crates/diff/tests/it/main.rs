//! Tests of `flowform-diff`: data-driven plan snapshots (each rule of the diff with its three
//! renderings), the write helpers, property tests and the secret canary.

mod arrays;
mod canary;
mod clones;
mod fields;
mod identity;
mod outside;
mod pictures;
mod plan_format;
mod properties;
mod render;
mod secrets;
mod service;
mod step_lists;
mod support;
mod write;
