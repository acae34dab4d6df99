//! Every diagnostic the spec crate reports, each built by one named constructor, grouped by
//! the stage that finds it. The checks decide *whether* something is wrong; these functions
//! decide how it is said (message, label, help), so the wording of one problem lives in one
//! place and reads the same wherever it is found.

mod bodies;
mod files;
mod flows;
mod layout;
mod lifecycle;
mod moved;
mod schema;
mod values;
mod variables;

pub(crate) use bodies::*;
pub(crate) use files::*;
pub(crate) use flows::*;
pub(crate) use layout::*;
pub(crate) use lifecycle::*;
pub(crate) use moved::*;
pub(crate) use schema::*;
pub(crate) use values::*;
pub(crate) use variables::*;

/// `a`, `b`, `c` with each item in backticks.
pub(crate) fn quoted_list(items: &[&str]) -> String {
    items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
}
