//! One function per subcommand: `Settings` + `Printer` in, `ExitStatus` out.

mod schema;
mod validate;

use crate::args::Command;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

/// Runs the command the settings name.
pub fn run(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match settings.command {
        Command::Validate => validate::validate(settings, printer),
        Command::Schema => schema::schema(settings, printer),
    }
}
