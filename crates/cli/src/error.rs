//! An error meant for the user, with an optional remedy printed on its own `hint:` line.

use std::fmt;

/// An error with a message and, when there is one, a hint on how to fix it and the error that
/// caused it (printed as `caused by: …`).
#[derive(Debug)]
pub struct UserError {
    /// What went wrong: lowercase, no trailing period, values in backticks.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// What caused it.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> UserError {
        UserError { message: message.into(), hint: None, source: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> UserError {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> UserError {
        self.source = Some(source.into());
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn std::error::Error + 'static))
    }
}
