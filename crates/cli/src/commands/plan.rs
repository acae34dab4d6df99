//! `flowform plan`: read the account, diff it against the spec and the state, print the plan on
//! stdout (human, JSON or markdown), optionally save it for `apply FILE`. With `--destroy`, the
//! plan `destroy` would make: every managed resource deleted (with `--target`, those and what
//! depends on them), against an empty spec.

use flowform_exec::planner::{PlanError, plan_for_review};
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::{self, PlanRecord};
use flowform_exec::state::LockHolder;
use flowform_model::DesiredState;
use flowform_spec::SecretPolicy;

use super::execute::{self, human_plan, plan_error, plan_options, plan_target};
use super::shared::{open_error, read_state};
use super::{load_spec_with_session, locate_spec, open_session};
use crate::args::{PlanArgs, PlanFormat};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

pub async fn plan(
    settings: &Settings,
    printer: &Printer,
    args: &PlanArgs,
) -> anyhow::Result<ExitStatus> {
    if args.destroy {
        // As `destroy`: the spec's resources do not matter (only where the state is), and no
        // secret is needed to delete.
        let located = locate_spec(settings, printer)?;
        let session = open_session(settings, printer, &located, "plan").await?;
        let result = plan_in(settings, printer, &session, &DesiredState::default(), args).await;
        session.close().await;
        return result;
    }
    let (loaded, session) =
        load_spec_with_session(settings, printer, SecretPolicy::Required, true, "plan").await?;
    let result = plan_in(settings, printer, &session, &loaded.desired, args).await;
    session.close().await;
    result
}

/// The holder of the state's lock when it is not this run: another apply (or destroy, import,
/// `state rm`, …) is writing the state.
async fn lock_holder(session: &Session) -> anyhow::Result<Option<LockHolder>> {
    let api = ClientStateApi(&session.client);
    flowform_exec::state::lock_holder(&session.state, Some(&api)).await.map_err(open_error)
}

async fn plan_in(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    desired: &DesiredState,
    args: &PlanArgs,
) -> anyhow::Result<ExitStatus> {
    let options = saved::PlanOptions { destroy: args.destroy, ..plan_options(&args.shape) };
    let started = std::time::Instant::now();
    // A plan that is not saved takes no lock: it looks whether someone holds it, before the
    // state is read and again after the account is (the write-ahead records it reads belong to
    // a run that holds the lock).
    let mut in_progress = None;
    let state = match &args.out {
        // A saved plan is bound to a state's lineage and salt, so the first `plan --out` of a
        // new workspace writes the empty state it is made against.
        Some(_) => {
            let api = ClientStateApi(&session.client);
            let mut writer = execute::open_writer(settings, printer, session, &api, "plan").await?;
            if writer.state().serial == 0 {
                writer.flush().await.map_err(|error| {
                    anyhow::Error::new(error)
                        .context("cannot create the state the saved plan refers to")
                })?;
            }
            writer.finish().await?
        }
        None => {
            in_progress = lock_holder(session).await?;
            read_state(session).await?
        }
    };
    printer.timing("state read", started);
    let started = std::time::Instant::now();
    let live = execute::read_account(&session.client, desired, &state, printer).await?;
    printer.timing("account read (after the state)", started);
    if args.out.is_none() && in_progress.is_none() {
        in_progress = lock_holder(session).await?;
    }
    let started = std::time::Instant::now();
    let plan = plan_for_review(desired, &state, &live, &options, in_progress.as_ref())
        .map_err(|error| plan_error(printer, error))?;
    printer.timing("plan made", started);
    let started = std::time::Instant::now();
    let target = plan_target(settings, session);
    let context = flowform_diff::render::JsonContext { target: session.target.clone() };
    let json_plan = flowform_diff::render::json(&plan, &context);
    // A plan with problems cannot be applied. The JSON and markdown documents carry them (CI
    // posts them); the human plan is replaced by the problems as errors, as before. Either way
    // the command fails.
    let problems = !plan.problems.is_empty();
    match args.format {
        PlanFormat::Human if problems => {}
        PlanFormat::Human => printer.data(&human_plan(settings, &plan, &target)),
        PlanFormat::Json => printer.data(&json_plan),
        PlanFormat::Markdown => printer.data(&flowform_diff::render::markdown_for(
            &plan,
            &flowform_diff::render::MarkdownOptions::default(),
            &target,
        )),
    }
    printer.timing("plan shown", started);
    if problems {
        if let Some(path) = &args.out {
            printer.status(&format!("nothing was saved to `{}`", path.display()));
        }
        return Err(plan_error(printer, PlanError::Problems(plan.problems)));
    }
    if let Some(path) = &args.out {
        let document = saved::build(PlanRecord {
            target: &session.target,
            environment: settings.env.as_deref(),
            state: &state,
            options,
            desired,
            plan: &plan,
            json_plan: serde_json::from_str(&json_plan)?,
        });
        flowform_exec::state::write_atomically(path, saved::render(&document).as_bytes()).map_err(
            |error| {
                anyhow::Error::new(error)
                    .context(format!("cannot write the plan to `{}`", path.display()))
            },
        )?;
        printer.status(&format!(
            "saved the plan to `{}`; apply exactly it with `flowform apply {}`",
            path.display(),
            path.display()
        ));
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::ChangesPresent
    } else {
        ExitStatus::Success
    })
}
