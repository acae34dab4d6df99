//! `flowform schema`: the JSON Schema of the spec language, on stdout.

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

pub fn schema(_settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    printer.data(&flowform_spec::schema::json_schema_text());
    Ok(ExitStatus::Success)
}
