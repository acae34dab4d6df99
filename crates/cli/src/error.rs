//! An error meant for the user, with an optional remedy printed on its own `hint:` line.

use std::fmt;

/// An error with a message and, when there is one, a hint on how to fix it.
#[derive(Debug)]
pub struct UserError {
    /// What went wrong: lowercase, no trailing period, values in backticks.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> UserError {
        UserError { message: message.into(), hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> UserError {
        self.hint = Some(hint.into());
        self
    }

    /// Says where the faulty value came from: "`CELIGO_BASE_URL`: …".
    pub fn context(mut self, place: &str) -> UserError {
        self.message = format!("{place}: {}", self.message);
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}
