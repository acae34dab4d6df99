//! `flowform completions SHELL` and `flowform man [COMMAND]…`: generated from the clap
//! definitions in `args.rs`, so they cannot drift from the command line. Neither reads the
//! settings, the spec or an account.

use std::path::Path;

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

/// Prints the manual page of `flowform`, or of the subcommand `args.command` names, as roff;
/// with `--dir`, writes every page there. An unknown command is a usage error (exit 64).
pub fn man(printer: &Printer, args: &ManArgs) -> anyhow::Result<ExitStatus> {
    if let Some(directory) = &args.dir {
        let written = write_pages(directory)?;
        printer.status(&format!("wrote {written} pages into `{}`", directory.display()));
        return Ok(ExitStatus::Success);
    }
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

/// The command line as the pages show it. Building propagates the global options into every
/// subcommand and names the subcommands `flowform-plan`, `flowform-state-list`, as their pages
/// are titled.
fn built_command() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    command
}

/// Writes `flowform.1` and a page per command and subcommand into `directory`; returns how many.
fn write_pages(directory: &Path) -> Result<usize, UserError> {
    fn walk(
        command: &clap::Command,
        directory: &Path,
        written: &mut usize,
    ) -> Result<(), UserError> {
        let name = command.get_display_name().unwrap_or_else(|| command.get_name());
        let path = directory.join(format!("{name}.1"));
        fs_err::write(&path, render(command.clone())?)
            .map_err(|error| UserError::new("cannot write a manual page").with_source(error))?;
        *written += 1;
        for subcommand in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
            walk(subcommand, directory, written)?;
        }
        Ok(())
    }
    fs_err::create_dir_all(directory).map_err(|error| {
        UserError::new("cannot create the folder for the manual pages").with_source(error)
    })?;
    let mut written = 0;
    walk(&built_command(), directory, &mut written)?;
    Ok(written)
}

fn render(command: clap::Command) -> Result<String, UserError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|error| UserError::new("cannot render the manual page").with_source(error))?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// The roff text of the page for `path` (empty: the top-level page).
fn render_man(path: &[String]) -> Result<String, UserError> {
    let mut current = built_command();
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
    render(current)
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
        let hint = error.hint.unwrap();
        assert!(hint.starts_with("its commands are: validate, "), "{hint}");
        assert!(hint.contains(", plan, ") && hint.ends_with(", completions, man"), "{hint}");
        let error = render_man(&["state".into(), "list".into(), "x".into()]).unwrap_err();
        assert_eq!(error.message, "`flowform state list` has no command `x`");
        assert_eq!(error.hint.as_deref(), Some("`flowform man state list` is its page"));
    }

    #[test]
    fn every_page_is_written() {
        let directory = tempfile::tempdir().unwrap();
        let written = super::write_pages(directory.path()).unwrap();
        let mut names: Vec<String> = fs_err::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), written);
        for name in
            ["flowform.1", "flowform-plan.1", "flowform-state-list.1", "flowform-emulator-serve.1"]
        {
            assert!(names.iter().any(|found| found == name), "{name} missing: {names:?}");
        }
        assert!(!names.iter().any(|found| found.contains("help")), "{names:?}");
    }
}
