//! The only module that writes to the terminal. stdout is for data (schemas, plans as JSON);
//! everything else — status, warnings, diagnostics, errors — goes to stderr.
//!
//! Output goes through `std::io::Write` with write errors ignored rather than through `print!`,
//! which panics when the reader goes away (`flowform schema | head -1`); so there is no print
//! macro to allow here, and the workspace's `print_stdout`/`print_stderr` lints stay clean.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use owo_colors::OwoColorize;

use crate::error::UserError;
use crate::settings::Verbosity;

/// The question `apply` and `destroy` ask on a terminal.
pub const CONFIRMATION_PROMPT: &str =
    "Do you want to perform these actions? Only 'yes' will be accepted:";

/// Writes to stdout and stderr according to `--quiet`, `--verbose` and colour. Cheap to clone
/// (the Ctrl-C watcher keeps its own copy).
#[derive(Debug, Clone)]
pub struct Printer {
    color: bool,
    verbosity: Verbosity,
    stderr_is_terminal: bool,
    stdin_is_terminal: bool,
}

impl Printer {
    pub fn new(color: bool, verbosity: Verbosity) -> Printer {
        Printer {
            color,
            verbosity,
            stderr_is_terminal: std::io::stderr().is_terminal(),
            stdin_is_terminal: std::io::stdin().is_terminal(),
        }
    }

    /// Whether stderr gets colour.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Whether `-q` was given.
    pub fn quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    /// Whether `-v` (or more) was given.
    pub fn verbose(&self) -> bool {
        matches!(self.verbosity, Verbosity::Verbose(_))
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

    /// Text meant for stdout moved to stderr (the plan, when stdout has JSON events), unless
    /// `-q`.
    pub fn text(&self, text: &str) {
        if !self.quiet() {
            Self::stderr(text);
        }
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

    /// `timing: WHAT: N ms` on stderr with `-vv`, `since` being when WHAT began: where a
    /// command's time goes, without a profiler.
    pub fn timing(&self, what: &str, since: std::time::Instant) {
        self.timing_of(what, since.elapsed());
    }

    /// `timing: WHAT: N ms` on stderr with `-vv`, for WHAT measured elsewhere.
    pub fn timing_of(&self, what: &str, took: std::time::Duration) {
        self.detail(2, &format!("timing: {what}: {:.1} ms", took.as_secs_f64() * 1e3));
    }

    /// `warning: …` on stderr, unless `-q`.
    pub fn warning(&self, message: &str) {
        if !self.quiet() {
            let label =
                if self.color { "warning:".yellow().bold().to_string() } else { "warning:".into() };
            Self::stderr(&format!("{label} {message}\n"));
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

impl Printer {
    /// A progress display for `total` steps: an indicatif bar on stderr when stderr is a
    /// terminal and neither `-q` nor `-v` is given (verbose output would tear the bar); plain
    /// lines otherwise, and nothing at all with `-q`.
    pub fn progress(&self, total: u64) -> Progress {
        let bar = if self.stderr_is_terminal && self.verbosity == Verbosity::Normal {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = if self.color {
                "{spinner:.cyan} [{pos}/{len}] {wide_msg}"
            } else {
                "{spinner} [{pos}/{len}] {wide_msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar, printer: self.clone() }
    }

    /// Asks the confirmation question on stderr and reads the answer from stdin; true only for
    /// `yes`. Asks only when stdin and stderr are both terminals: anywhere else (CI, a pipe) it
    /// is an error whose hint names `--auto-approve`, so nothing is ever applied unasked.
    pub fn confirm(&self, preamble: &str) -> Result<bool, UserError> {
        if !(self.stdin_is_terminal && self.stderr_is_terminal) {
            return Err(UserError::new(
                "cannot ask for confirmation: stdin or stderr is not a terminal",
            )
            .with_hint("review the plan, then pass `--auto-approve` to apply it without asking"));
        }
        if !preamble.is_empty() {
            Self::stderr(&format!("{preamble}\n"));
        }
        Self::stderr(&format!("{CONFIRMATION_PROMPT} "));
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|error| UserError::new("cannot read the answer").with_source(error))?;
        Ok(answer.trim() == "yes")
    }
}

/// Progress of a multi-step operation (apply, destroy): one line per finished step, under a
/// bar on a terminal.
pub struct Progress {
    bar: ProgressBar,
    printer: Printer,
}

impl Progress {
    /// Sets the total number of steps (the executor announces it once, and again only when
    /// the enable-last phase needs another number).
    pub fn set_total(&self, count: u64) {
        self.bar.set_length(count);
    }

    /// Says what is running now (shown in the bar only).
    pub fn running(&self, message: &str) {
        self.bar.set_message(message.to_owned());
    }

    /// A step finished: its line (`created flow.x (id)`) is printed and the bar advances.
    pub fn finished(&self, line: &str) {
        self.line(line, false);
        self.bar.inc(1);
    }

    /// A step failed or was skipped: its line is printed even with `-q`, and the bar advances.
    pub fn failed(&self, line: &str) {
        self.line(line, true);
        self.bar.inc(1);
    }

    fn line(&self, line: &str, always: bool) {
        if self.bar.is_hidden() {
            if always || !self.printer.quiet() {
                Printer::stderr(&format!("{line}\n"));
            }
        } else {
            self.bar.println(line);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
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
    let mut previous = error.to_string();
    for cause in error.chain().skip(1) {
        // A wrapper that only passes its cause's message on (`#[error(transparent)]`) would
        // repeat the line above.
        let text = cause.to_string();
        if text != previous {
            out.push_str(&format!("caused by: {text}\n"));
        }
        previous = text;
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
        let transparent = UserError::new("the state is locked by `flowform apply`")
            .with_hint("wait")
            .with_source(UserError::new("the state is locked by `flowform apply`"));
        assert_eq!(
            format_error(&anyhow::Error::new(transparent), false),
            "error: the state is locked by `flowform apply`\nhint: wait\n"
        );
        let plain = anyhow::anyhow!("state file `x` is locked");
        assert_eq!(format_error(&plain, false), "error: state file `x` is locked\n");
        assert!(format_error(&plain, true).contains('\u{1b}'));
    }
}
