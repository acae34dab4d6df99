//! `flowform apply [PLANFILE]`: without a file, plan under the state lock, show the plan, ask
//! (`--auto-approve` skips the question and is required off a terminal), then apply. With a
//! file, verify that nothing it was made against moved (target, state serial, spec, secrets,
//! every touched resource's `lastModified`) and apply exactly it, without asking.

use std::path::Path;

use flowform_exec::planner::make_plan;
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::{self, SavedPlanError};
use flowform_spec::SecretPolicy;

use super::execute::{self, Work, human_plan, plan_error, plan_options};
use super::load_spec_with_session;
use crate::args::ApplyArgs;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

pub async fn apply(
    settings: &Settings,
    printer: &Printer,
    args: &ApplyArgs,
) -> anyhow::Result<ExitStatus> {
    // A saved plan is read first: a missing or broken file needs no account.
    let saved_plan = match &args.plan_file {
        Some(path) => Some(read_saved_plan(path)?),
        None => None,
    };
    let (loaded, session) =
        load_spec_with_session(settings, printer, SecretPolicy::Required, true, "apply").await?;
    let result =
        apply_in(settings, printer, &session, &loaded.desired, args, saved_plan.as_ref()).await;
    session.close().await;
    result
}

fn read_saved_plan(path: &Path) -> anyhow::Result<(String, saved::SavedPlan)> {
    let shown = path.display().to_string();
    let text = fs_err::read_to_string(path).map_err(|error| {
        UserError::new(format!("cannot read the plan file `{shown}`")).with_source(error)
    })?;
    let document = saved::parse(&shown, &text).map_err(saved_plan_error)?;
    Ok((shown, document))
}

fn saved_plan_error(error: SavedPlanError) -> anyhow::Error {
    let hint = error.hint();
    UserError::new(error.to_string()).with_hint(hint).into()
}

async fn apply_in(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    desired: &flowform_model::DesiredState,
    args: &ApplyArgs,
    saved_plan: Option<&(String, saved::SavedPlan)>,
) -> anyhow::Result<ExitStatus> {
    let api = ClientStateApi(&session.client);
    let started = std::time::Instant::now();
    let mut writer = execute::open_writer(settings, printer, session, &api, "apply").await?;
    printer.timing("state opened", started);
    // Everything up to the executor may refuse; the lock is released untouched then.
    let prepared = async {
        let options = match saved_plan {
            Some((path, document)) => {
                saved::verify(path, document, &session.target, writer.state(), desired)
                    .map_err(saved_plan_error)?;
                document.options.clone()
            }
            None => plan_options(&args.shape),
        };
        let started = std::time::Instant::now();
        let live = execute::read_account(&session.client, desired, writer.state(), printer).await?;
        printer.timing("account read (after the state)", started);
        let started = std::time::Instant::now();
        let plan = make_plan(desired, writer.state(), &live, &options)
            .map_err(|error| plan_error(printer, error))?;
        printer.timing("plan made", started);
        if let Some((_, document)) = saved_plan {
            saved::verify_changes(document, &writer.state().salt, &plan)
                .map_err(saved_plan_error)?;
        }
        anyhow::Ok((plan, live))
    }
    .await;
    let (plan, live) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            let _ = writer.release().await;
            return Err(error);
        }
    };
    if saved_plan.is_none() {
        let started = std::time::Instant::now();
        printer.data(&human_plan(settings, &plan));
        printer.timing("plan shown", started);
        // Nothing to ask about when nothing changes; the executor still runs, since it records
        // the baseline fingerprints of secrets flowform never wrote (after `import`).
        if plan.has_changes()
            && !execute::confirm(printer, &mut writer, args.auto_approve, "").await?
        {
            let _ = writer.release().await;
            printer.error_line("apply cancelled: the answer was not `yes`; nothing was changed");
            return Ok(ExitStatus::Failure);
        }
    }
    let work =
        Work { desired, plan: &plan, live: &live, parallelism: args.parallelism, verb: "apply" };
    execute::execute(printer, session, writer, work).await
}
