//! The only module that writes to the terminal. stdout is for data (schemas, plans as JSON);
//! everything else — status, warnings, diagnostics, errors — goes to stderr.
//!
//! Output goes through `std::io::Write` with write errors ignored rather than through `print!`,
//! which panics when the reader goes away (`flowform schema | head -1`); so there is no print
//! macro to allow here, and the workspace's `print_stdout`/`print_stderr` lints stay clean.

use std::io::Write;

use owo_colors::OwoColorize;

use crate::error::UserError;
use crate::settings::Verbosity;

/// Writes to stdout and stderr according to `--quiet`, `--verbose` and colour.
pub struct Printer {
    color: bool,
    verbosity: Verbosity,
}

impl Printer {
    pub fn new(color: bool, verbosity: Verbosity) -> Printer {
        Printer { color, verbosity }
    }

    /// Whether stderr gets colour.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Whether `-q` was given.
    pub fn quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    fn stdout(text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    fn stderr(text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// Data, on stdout, always.
    pub fn data(&self, text: &str) {
        Self::stdout(text);
    }

    /// A status line on stderr, unless `-q`.
    pub fn status(&self, line: &str) {
        if !self.quiet() {
            Self::stderr(&format!("{line}\n"));
        }
    }

    /// A detail line on stderr with `-v` (level 1) or `-vv` (level 2).
    pub fn detail(&self, level: u8, line: &str) {
        if matches!(self.verbosity, Verbosity::Verbose(given) if given >= level) {
            Self::stderr(&format!("{line}\n"));
        }
    }

    /// A rendered diagnostic on stderr; warnings are left out with `-q`.
    pub fn diagnostic(&self, rendered: &str, is_error: bool) {
        if is_error || !self.quiet() {
            Self::stderr(rendered);
        }
    }

    /// `error: …` on stderr, always.
    pub fn error_line(&self, message: &str) {
        Self::stderr(&format!("{} {message}\n", self.error_label()));
    }

    fn error_label(&self) -> String {
        if self.color { "error:".red().bold().to_string() } else { "error:".to_owned() }
    }

    /// An error and its causes: `error: …`, one `caused by: …` per source, then `hint: …`
    /// for every cause that carries one.
    pub fn error(&self, error: &anyhow::Error) {
        Self::stderr(&format_error(error, self.color));
    }

    /// A command-line error from clap (or `--help`/`--version` output, which goes to stdout).
    pub fn clap(&self, error: &clap::Error) {
        let rendered =
            if self.color { error.render().ansi().to_string() } else { error.render().to_string() };
        if error.use_stderr() {
            Self::stderr(&rendered);
        } else {
            Self::stdout(&rendered);
        }
    }
}

/// The text of an error report: `error: …`, one `caused by: …` per source, then a `hint: …`
/// line for every cause that carries one.
fn format_error(error: &anyhow::Error, color: bool) -> String {
    let label = |text: &str, style: fn(&str) -> String| {
        if color { style(text) } else { text.to_owned() }
    };
    let mut out = format!("{} {error}\n", label("error:", |t| t.red().bold().to_string()));
    for cause in error.chain().skip(1) {
        out.push_str(&format!("caused by: {cause}\n"));
    }
    for cause in error.chain() {
        if let Some(UserError { hint: Some(hint), .. }) = cause.downcast_ref::<UserError>() {
            out.push_str(&format!("{} {hint}\n", label("hint:", |t| t.cyan().bold().to_string())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_error;
    use crate::error::UserError;

    #[test]
    fn errors_print_causes_then_hints() {
        let cause =
            UserError::new("endpoint `ftp://x` has the scheme `ftp`").with_hint("use https://");
        let error = anyhow::Error::new(cause).context("cannot resolve the target account");
        assert_eq!(
            format_error(&error, false),
            "error: cannot resolve the target account\n\
             caused by: endpoint `ftp://x` has the scheme `ftp`\n\
             hint: use https://\n"
        );
        let plain = anyhow::anyhow!("state file `x` is locked");
        assert_eq!(format_error(&plain, false), "error: state file `x` is locked\n");
        assert!(format_error(&plain, true).contains('\u{1b}'));
    }
}
