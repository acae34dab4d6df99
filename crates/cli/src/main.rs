//! `flowform`: declarative GitOps deployments for Celigo integrator.io.
//!
//! Three thin layers: `args` (clap structs), `settings` (flags, environment variables and the
//! environment file merged into one `Settings`), and `commands` (one function per subcommand,
//! `Settings` + `Printer` in, `ExitStatus` out). Only `printer` writes to the terminal; only
//! `diagnostics` renders miette reports; exit codes are decided in `exit`. `session` connects
//! to the account (the local sandbox or integrator.io); the state is opened through
//! `flowform_exec::state`; `interrupt` turns Ctrl-C into a stop flag.
//!
//! `main` stays synchronous: it builds one tokio runtime and blocks on the command.

mod args;
#[cfg(test)]
mod ci_examples;
mod commands;
mod diagnostics;
mod error;
mod exit;
mod interrupt;
mod printer;
mod session;
mod settings;
mod spelling;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{Environment, Settings, Verbosity};

/// mimalloc: loading a spec, parsing pages and diffing are made of many small allocations, and
/// glibc's allocator spent about a third of `validate`'s time (see ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    run().into()
}

fn run() -> ExitStatus {
    let environment = Environment::from_process();
    let plain = Printer::new(false, Verbosity::Normal);
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(error) = spelling::check(&args) {
        plain.error(&anyhow::Error::new(error));
        return ExitStatus::Usage;
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Colour for clap's own messages follows the terminal; the flags are not parsed.
            plain.clap(&error);
            return match error.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    if error.use_stderr() { ExitStatus::Usage } else { ExitStatus::Success }
                }
                _ => ExitStatus::Usage,
            };
        }
    };
    // Completions and the manual page depend on the command line alone, so they work whatever
    // the environment holds (a shell's startup file runs `flowform completions`).
    match &cli.command {
        Command::Completions(args) => return finish(commands::completions(&plain, args), &plain),
        Command::Man(args) => return finish(commands::man(&plain, args), &plain),
        _ => {}
    }
    let settings = match Settings::resolve(cli.global, cli.command, &environment) {
        Ok(settings) => settings,
        Err(error) => {
            plain.error(&anyhow::Error::new(error));
            return ExitStatus::Usage;
        }
    };
    let printer = Printer::new(settings.color, settings.verbosity);
    // Two workers are plenty: the work is waiting on the network, under one rate budget.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("flowform")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            printer.error(&anyhow::Error::new(error).context("cannot start the async runtime"));
            return ExitStatus::Failure;
        }
    };
    let outcome = runtime.block_on(commands::run(&settings, &printer));
    let status = finish(outcome, &printer);
    // Every command awaits its own work (state writes, lock releases) before it returns; what
    // is left (a Ctrl-C watcher, idle connections, the worker threads) ends with the process
    // instead of being shut down and joined one thread at a time.
    std::mem::forget(runtime);
    status
}

/// The exit status of a command's outcome; an error is printed and is exit code 1.
fn finish(outcome: anyhow::Result<ExitStatus>, printer: &Printer) -> ExitStatus {
    match outcome {
        Ok(status) => status,
        Err(error) => {
            printer.error(&error);
            ExitStatus::Failure
        }
    }
}
