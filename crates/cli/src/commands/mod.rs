//! One function per subcommand: `Settings` + `Printer` in, `ExitStatus` out.

mod apply;
mod completions;
mod destroy;
mod emulator;
mod execute;
mod graph;
mod import;
mod plan;
mod pull;
mod run_flow;
mod schema;
mod shared;
mod show;
mod state;
mod validate;

use std::path::Path;

use flowform_api::Client;
use flowform_exec::state::StateLocation;
use flowform_spec::{Code, Diagnostic, EnvironmentSettings, Loaded, Located, SecretPolicy};

pub use completions::{completions, man};
pub use execute::BURST_PARALLELISM;

use crate::args::{Command, EmulatorCommand};
use crate::diagnostics;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::{Account, Settings};
use shared::plural;

/// Runs the command the settings name.
pub async fn run(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match &settings.command {
        Command::Validate(args) => validate::validate(settings, printer, args),
        Command::Schema => schema::schema(settings, printer),
        Command::Graph(args) => graph::graph(settings, printer, args),
        Command::Plan(args) => plan::plan(settings, printer, args).await,
        Command::Apply(args) => apply::apply(settings, printer, args).await,
        Command::Destroy(args) => destroy::destroy(settings, printer, args).await,
        Command::Show(args) => show::show(settings, printer, args),
        Command::Pull(args) => pull::pull(settings, printer, args).await,
        Command::Import(args) => import::import(settings, printer, args).await,
        Command::State(command) => state::state(settings, printer, command).await,
        Command::Run(args) => run_flow::run_flow(settings, printer, args).await,
        Command::Emulator(EmulatorCommand::Serve(options)) => {
            emulator::serve(settings, printer, options).await
        }
        Command::Completions(args) => completions::completions(printer, args),
        Command::Man(args) => completions::man(printer, args),
    }
}

/// Loads the spec for a command that acts on it: errors are printed and fail the command;
/// warnings are printed when `show_warnings` (and not `-q`).
pub fn load_spec(
    settings: &Settings,
    printer: &Printer,
    secrets: SecretPolicy,
    show_warnings: bool,
) -> anyhow::Result<Loaded> {
    let started = std::time::Instant::now();
    let loaded = flowform_spec::load(&settings.load_options(secrets));
    printer.timing("spec loaded", started);
    report_spec(printer, loaded, show_warnings)
}

/// Prints a loaded spec's diagnostics and fails on its errors.
fn report_spec(printer: &Printer, loaded: Loaded, show_warnings: bool) -> anyhow::Result<Loaded> {
    printer.detail(1, &format!("spec root: {}", loaded.root.display()));
    diagnostics::report_skipped(printer, &loaded.skipped);
    for diagnostic in &loaded.diagnostics {
        if show_warnings || diagnostic.is_error() {
            printer.diagnostic(
                &diagnostics::render(diagnostic, printer.color()),
                diagnostic.is_error(),
            );
        }
    }
    let errors = loaded.error_count();
    if errors > 0 {
        return Err(UserError::new(format!("the spec has {}", plural(errors, "error")))
            .with_hint("`flowform validate` lists the problems without touching any account")
            .into());
    }
    Ok(loaded)
}

/// Loads the spec (as [`load_spec`]) and opens the session on the account it names. With an
/// integrator.io account the spec is parsed on a blocking thread while the account check
/// (`GET /v1/tokenInfo`) travels; the spec's problems are still reported first, and no state is
/// touched before the spec is known to be sound. The local sandbox is opened after the spec, as
/// it takes the sandbox lock.
pub async fn load_spec_with_session(
    settings: &Settings,
    printer: &Printer,
    secrets: SecretPolicy,
    show_warnings: bool,
    command: &str,
) -> anyhow::Result<(Loaded, Session)> {
    let (spec, session) =
        start_spec_with_session(settings, printer, secrets, show_warnings, command).await?;
    let loaded = match spec.finish(printer, show_warnings).await {
        Ok(loaded) => loaded,
        Err(error) => {
            session.close().await;
            return Err(error);
        }
    };
    Ok((loaded, session))
}

/// A spec being loaded while the account is opened: [`start_spec_with_session`] returns it
/// with the session, so a command can do more work (`apply` takes the state lock and lists
/// the account) before [`SpecLoading::finish`] waits for it and reports its problems.
pub enum SpecLoading {
    /// Loaded and reported already.
    Reported(Loaded),
    /// Loaded already (not reported yet).
    Loaded(Loaded),
    /// Still parsing on a blocking thread.
    Loading {
        task: tokio::task::JoinHandle<(Loaded, std::time::Duration)>,
        started: std::time::Instant,
    },
}

impl SpecLoading {
    /// Waits for the spec and reports its diagnostics; fails on its errors.
    pub async fn finish(self, printer: &Printer, show_warnings: bool) -> anyhow::Result<Loaded> {
        let loaded = match self {
            SpecLoading::Reported(loaded) => return Ok(loaded),
            SpecLoading::Loaded(loaded) => loaded,
            SpecLoading::Loading { task, started } => {
                let (loaded, took) = task.await.map_err(spec_stopped)?;
                printer.timing("account opened and spec loaded (together)", started);
                printer.timing_of("spec loaded", took);
                loaded
            }
        };
        report_spec(printer, loaded, show_warnings)
    }
}

fn spec_stopped(error: tokio::task::JoinError) -> anyhow::Error {
    anyhow::anyhow!("loading the spec stopped unexpectedly: {error}")
}

/// Opens the session on the account the spec names while the spec loads (see
/// [`load_spec_with_session`]); returns the spec still loading, or loaded but not yet reported.
/// A spec found to have errors before the account is open is reported here, and the account
/// check is dropped unanswered.
pub async fn start_spec_with_session(
    settings: &Settings,
    printer: &Printer,
    secrets: SecretPolicy,
    show_warnings: bool,
    command: &str,
) -> anyhow::Result<(SpecLoading, Session)> {
    let no_early = |_: &Client, _: &StateLocation| None::<()>;
    let (spec, session, _) =
        start_spec_with_early(settings, printer, secrets, show_warnings, command, no_early).await?;
    Ok((spec, session))
}

/// [`start_spec_with_session`], and `early` started with the account's client as soon as the
/// client exists, before the account check answers (an integrator.io account only, and only
/// when the spec is loaded beside the check): its result is returned for the command to wait
/// for. What `early` starts must be read-only and must be given up when the session does not
/// open; it is dropped (for a task: its handle) when the spec or the account check fails.
pub async fn start_spec_with_early<T>(
    settings: &Settings,
    printer: &Printer,
    secrets: SecretPolicy,
    show_warnings: bool,
    command: &str,
    early: impl FnOnce(&Client, &StateLocation) -> Option<T>,
) -> anyhow::Result<(SpecLoading, Session, Option<T>)> {
    let options = settings.load_options(secrets);
    let located = flowform_spec::locate(&options);
    let target = match settings.target(&located.root, located.environment.as_ref()) {
        Ok(target)
            if located.diagnostics.is_empty() && matches!(target.account, Account::Remote(_)) =>
        {
            target
        }
        // The local sandbox (opening it takes its lock) and whatever is wrong: the spec first,
        // then the account, as without the overlap.
        _ => {
            let loaded = load_spec(settings, printer, secrets, show_warnings)?;
            let session = open_session(settings, printer, &loaded, command).await?;
            return Ok((SpecLoading::Reported(loaded), session, None));
        }
    };
    let started = std::time::Instant::now();
    let mut loading = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        (flowform_spec::load(&options), started.elapsed())
    });
    let prepared = match Session::prepare(settings, printer, target) {
        Ok(prepared) => prepared,
        // The spec's problems come first, as below.
        Err(error) => {
            SpecLoading::Loading { task: loading, started }.finish(printer, show_warnings).await?;
            return Err(error);
        }
    };
    let early = prepared.remote_client().and_then(|client| early(client, prepared.state()));
    let opening = prepared.open(settings, printer, command);
    tokio::pin!(opening);
    // A spec with errors ends the command at once: the account check is dropped unanswered
    // rather than waited for (an unreachable endpoint would take its retries).
    tokio::select! {
        loaded = &mut loading => {
            let (loaded, took) = loaded.map_err(spec_stopped)?;
            printer.timing("account opened and spec loaded (together)", started);
            printer.timing_of("spec loaded", took);
            if loaded.has_errors() {
                return Err(SpecLoading::Loaded(loaded)
                    .finish(printer, show_warnings)
                    .await
                    .err()
                    .unwrap_or_else(|| anyhow::anyhow!("the spec has errors")));
            }
            let session = opening.await?;
            Ok((SpecLoading::Loaded(loaded), session, early))
        }
        session = &mut opening => {
            match session {
                Ok(session) => {
                    Ok((SpecLoading::Loading { task: loading, started }, session, early))
                }
                // The spec's problems come first: it is waited for and reported before the
                // account's.
                Err(error) => {
                    SpecLoading::Loading { task: loading, started }
                        .finish(printer, show_warnings)
                        .await?;
                    Err(error)
                }
            }
        }
    }
}

/// Finds the spec root and reads the environment file, for commands that do not act on the
/// spec's resources (`destroy`, `run`, `pull`): problems in resource bodies are not theirs to
/// report, but an unreadable input or environment file is, since it changes which account and
/// state are meant.
pub fn locate_spec(settings: &Settings, printer: &Printer) -> anyhow::Result<Located> {
    let located = flowform_spec::locate(&settings.load_options(SecretPolicy::Offline));
    fail_on_layout_errors(printer, &located.diagnostics)?;
    Ok(located)
}

/// Loads the spec only to learn where things are (the spec root and the environment file) and
/// which addresses it declares, for the `state` commands: as [`locate_spec`], only an unreadable
/// input or environment file is reported.
pub fn load_layout(settings: &Settings, printer: &Printer) -> anyhow::Result<Loaded> {
    let loaded = flowform_spec::load(&settings.load_options(SecretPolicy::Offline));
    fail_on_layout_errors(printer, &loaded.diagnostics)?;
    Ok(loaded)
}

fn fail_on_layout_errors(printer: &Printer, diagnostics: &[Diagnostic]) -> anyhow::Result<()> {
    let blocking: Vec<_> = diagnostics
        .iter()
        .filter(|diagnostic| {
            diagnostic.is_error() && matches!(diagnostic.code, Code::Io | Code::Environment)
        })
        .collect();
    for diagnostic in &blocking {
        printer.diagnostic(&diagnostics::render(diagnostic, printer.color()), true);
    }
    if !blocking.is_empty() {
        return Err(UserError::new("cannot tell which spec and state are meant").into());
    }
    Ok(())
}

/// Opens a session on the account the settings and the spec's environment file choose.
pub async fn open_session(
    settings: &Settings,
    printer: &Printer,
    layout: impl SpecLayout,
    command: &str,
) -> anyhow::Result<Session> {
    let target = settings.target(layout.root(), layout.environment())?;
    let started = std::time::Instant::now();
    let session = Session::open(settings, printer, target, command).await?;
    printer.timing("account opened", started);
    Ok(session)
}

/// Where a spec is: what [`open_session`] needs of a [`Loaded`] or a [`Located`] spec.
pub trait SpecLayout {
    fn root(&self) -> &Path;
    fn environment(&self) -> Option<&EnvironmentSettings>;
}

impl SpecLayout for &Loaded {
    fn root(&self) -> &Path {
        &self.root
    }
    fn environment(&self) -> Option<&EnvironmentSettings> {
        self.environment.as_ref()
    }
}

impl SpecLayout for &Located {
    fn root(&self) -> &Path {
        &self.root
    }
    fn environment(&self) -> Option<&EnvironmentSettings> {
        self.environment.as_ref()
    }
}
