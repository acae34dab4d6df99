//! `flowform show PLANFILE`: a plan saved by `plan --out`, rendered again (human, JSON or
//! markdown) without the account, the spec or the state. The file is parsed, not verified:
//! verifying it needs the account (`apply PLANFILE` does it), so the rendering says so and names
//! the target the plan records.

use flowform_diff::render::{HumanOptions, MarkdownOptions, PlanTarget};

use super::execute::target_of;
use super::shared::{plural, read_saved_plan, saved_plan_error};
use crate::args::{PlanFormat, ShowArgs};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

pub fn show(settings: &Settings, printer: &Printer, args: &ShowArgs) -> anyhow::Result<ExitStatus> {
    let (shown, document) = read_saved_plan(&args.plan_file)?;
    let unverified = format!(
        "{} `{shown}` made {}, not verified against the account: `flowform apply {shown}` verifies it",
        if document.options.destroy { "saved destroy plan" } else { "saved plan" },
        document.created_at,
    );
    if args.format == PlanFormat::Json {
        // The plan document exactly as `plan --format json` printed it; the remark goes to
        // stderr, so stdout stays that document.
        let plan = document.json_plan(&shown).map_err(saved_plan_error)?;
        printer.data(&flowform_diff::render::json::to_text(&plan));
        printer.status(&format!("{unverified}; target `{}`", document.target));
        return Ok(ExitStatus::Success);
    }
    let read_back = document.to_plan(&shown).map_err(saved_plan_error)?;
    if read_back.unlisted_unchanged > 0 {
        printer.warning(&format!(
            "`{shown}` was written by an older flowform: it counts {} without naming them, so they are left out here",
            plural(read_back.unlisted_unchanged, "unchanged resource")
        ));
    }
    let target = PlanTarget {
        note: Some(unverified),
        ..target_of(&document.target, document.environment.as_deref())
    };
    printer.data(&match args.format {
        PlanFormat::Markdown => flowform_diff::render::markdown_for(
            &read_back.plan,
            &MarkdownOptions::default(),
            &target,
        ),
        _ => flowform_diff::render::human_for(
            &read_back.plan,
            &HumanOptions { color: settings.data_color },
            &target,
        ),
    });
    Ok(ExitStatus::Success)
}
