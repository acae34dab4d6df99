//! One function per subcommand: `Settings` + `Printer` in, `ExitStatus` out.

mod apply;
mod destroy;
mod emulator;
mod execute;
mod import;
mod plan;
mod pull;
mod run_flow;
mod schema;
mod state;
mod validate;

use flowform_spec::{Code, Loaded, SecretPolicy};

pub use execute::BURST_PARALLELISM;

use crate::args::{Command, EmulatorCommand};
use crate::diagnostics;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

/// Runs the command the settings name.
pub async fn run(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match &settings.command {
        Command::Validate => validate::validate(settings, printer),
        Command::Schema => schema::schema(settings, printer),
        Command::Plan(args) => plan::plan(settings, printer, args).await,
        Command::Apply(args) => apply::apply(settings, printer, args).await,
        Command::Destroy(args) => destroy::destroy(settings, printer, args).await,
        Command::Pull(args) => pull::pull(settings, printer, args).await,
        Command::Import(args) => import::import(settings, printer, args).await,
        Command::State(command) => state::state(settings, printer, command).await,
        Command::Run(args) => run_flow::run_flow(settings, printer, args).await,
        Command::Emulator(EmulatorCommand::Serve(options)) => {
            emulator::serve(settings, printer, options).await
        }
    }
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 { format!("1 {word}") } else { format!("{count} {word}s") }
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
    printer.detail(1, &format!("spec root: {}", loaded.root.display()));
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

/// Loads the spec only to learn where things are (the spec root and the environment file) for
/// commands that do not act on its resources (`state …`, `run`): problems in resource bodies
/// are not theirs to report, but an unreadable input or environment file is, since it changes
/// which state is meant.
pub fn load_layout(settings: &Settings, printer: &Printer) -> anyhow::Result<Loaded> {
    let loaded = flowform_spec::load(&settings.load_options(SecretPolicy::Offline));
    let blocking: Vec<_> = loaded
        .diagnostics
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
    Ok(loaded)
}

/// Opens a session on the account the settings and the spec's environment file choose.
pub async fn open_session(
    settings: &Settings,
    printer: &Printer,
    loaded: &Loaded,
    command: &str,
) -> anyhow::Result<Session> {
    let target = settings.target(&loaded.root, loaded.environment.as_ref())?;
    let started = std::time::Instant::now();
    let session = Session::open(settings, printer, target, command).await?;
    printer.timing("account opened", started);
    Ok(session)
}
