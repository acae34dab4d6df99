//! `flowform completions SHELL` and `flowform man [COMMAND]…`: generated from the clap
//! definitions in `args.rs`, so they cannot drift from the command line. Neither reads the
//! settings, the spec or an account.

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs, ManArgs};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// The binary's name, as the completion scripts register it.
const BINARY: &str = "flowform";

/// Prints the completion script for one shell on stdout.
pub fn completions(printer: &Printer, args: &CompletionsArgs) -> anyhow::Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), BINARY, &mut script);
    printer.data(&String::from_utf8_lossy(&script));
    Ok(ExitStatus::Success)
}

/// Prints the manual page of `flowform`, or of the subcommand `args.command` names, as roff.
/// An unknown command is a usage error (exit 64).
pub fn man(printer: &Printer, args: &ManArgs) -> anyhow::Result<ExitStatus> {
    match render_man(&args.command) {
        Ok(page) => {
            printer.data(&page);
            Ok(ExitStatus::Success)
        }
        Err(error) => {
            printer.error(&anyhow::Error::new(error));
            Ok(ExitStatus::Usage)
        }
    }
}

/// The roff text of the page for `path` (empty: the top-level page).
fn render_man(path: &[String]) -> Result<String, UserError> {
    let mut command = Cli::command();
    // Building propagates the global options into every subcommand and names the subcommands
    // `flowform-plan`, `flowform-state-list`, as their pages are titled.
    command.build();
    let mut current = command;
    let mut walked = vec![BINARY.to_owned()];
    for name in path {
        let Some(found) = current.find_subcommand(name).cloned() else {
            let known: Vec<&str> = current
                .get_subcommands()
                .map(clap::Command::get_name)
                .filter(|known| *known != "help")
                .collect();
            let error = UserError::new(format!("`{}` has no command `{name}`", walked.join(" ")));
            return Err(if known.is_empty() {
                error.with_hint(format!("`flowform man {}` is its page", walked[1..].join(" ")))
            } else {
                error.with_hint(format!("its commands are: {}", known.join(", ")))
            });
        };
        walked.push(name.clone());
        current = found;
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(current)
        .render(&mut page)
        .map_err(|error| UserError::new("cannot render the manual page").with_source(error))?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

#[cfg(test)]
mod tests {
    use super::render_man;

    #[test]
    fn pages_render_for_the_binary_and_its_commands() {
        let page = render_man(&[]).unwrap();
        assert!(page.contains(".TH flowform 1"), "{page}");
        assert!(page.contains("plan"), "{page}");
        let page = render_man(&["state".into(), "list".into()]).unwrap();
        assert!(page.contains(".TH flowform-state-list"), "{page}");
        assert!(page.contains("format"), "{page}");
        let error = render_man(&["nope".into()]).unwrap_err();
        assert_eq!(error.message, "`flowform` has no command `nope`");
        assert!(error.hint.unwrap().starts_with("its commands are: validate, schema, plan"));
        let error = render_man(&["state".into(), "list".into(), "x".into()]).unwrap_err();
        assert_eq!(error.message, "`flowform state list` has no command `x`");
        assert_eq!(error.hint.as_deref(), Some("`flowform man state list` is its page"));
    }
}
