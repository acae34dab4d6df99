//! Helpers every command may use: addresses and ids from the command line, the state's errors
//! with their remedies, the state read without a lock, counted words. Commands share code
//! through this module (and `execute` for `plan`, `apply` and `destroy`), never through each
//! other.

use std::str::FromStr;

use flowform_exec::remote::ClientStateApi;
use flowform_exec::state::{OpenError, StoreError};
use flowform_model::Address;

use crate::error::UserError;
use crate::session::Session;

/// Parses an address given on the command line.
pub fn parse_address(text: &str) -> Result<Address, UserError> {
    Address::from_str(text).map_err(|error| UserError::new(error.to_string()))
}

/// Whether `text` is a 24-hex id.
pub fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// A state that could not be opened (or written), with its remedy.
pub fn open_error(error: OpenError) -> anyhow::Error {
    let hint = error.hint();
    let message = error.to_string();
    let mut user = UserError::new(message);
    if let Some(hint) = hint {
        user = user.with_hint(hint);
    }
    match error {
        OpenError::Store(store) => user.with_source(store).into(),
        OpenError::OtherTarget { .. } | OpenError::NoAccount { .. } => user.into(),
    }
}

/// A state that could not be written, with its remedy (a lock lost to another run, …).
pub fn store_error(error: StoreError) -> anyhow::Error {
    open_error(OpenError::Store(error))
}

/// Reads the state without locking it; a missing state is an empty one bound to the session's
/// target (nothing is written).
pub async fn read_state(session: &Session) -> anyhow::Result<flowform_model::State> {
    let api = ClientStateApi(&session.client);
    let state = flowform_exec::state::open::read(&session.state, &api, &session.target)
        .await
        .map_err(open_error)?;
    Ok(state.unwrap_or_else(|| flowform_exec::state::new_state(session.target.clone())))
}

/// Reads and parses a plan file saved by `plan --out` (not verified: that needs the state and
/// the account). Returns the path as shown in messages, and the document.
pub fn read_saved_plan(
    path: &std::path::Path,
) -> anyhow::Result<(String, flowform_exec::saved::SavedPlan)> {
    let shown = path.display().to_string();
    let text = fs_err::read_to_string(path).map_err(|error| {
        UserError::new(format!("cannot read the plan file `{shown}`")).with_source(error)
    })?;
    let document = flowform_exec::saved::parse(&shown, &text).map_err(saved_plan_error)?;
    Ok((shown, document))
}

/// A saved plan that cannot be read or applied, with its remedy.
pub fn saved_plan_error(error: flowform_exec::saved::SavedPlanError) -> anyhow::Error {
    let hint = error.hint();
    UserError::new(error.to_string()).with_hint(hint).into()
}

/// `1 file`, `3 files`.
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 { format!("1 {word}") } else { format!("{count} {word}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids() {
        assert!(is_object_id("0123456789abcdefABCDEF01"));
        assert!(!is_object_id("0123456789abcdef0123456"));
        assert!(!is_object_id("0123456789abcdef0123456g"));
    }
}
