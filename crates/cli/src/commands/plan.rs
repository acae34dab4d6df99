//! `flowform plan`: read the account, diff it against the spec and the state, print the plan on
//! stdout (human, JSON or markdown), optionally save it for `apply FILE`.

use flowform_exec::planner::make_plan;
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::{self, PlanRecord};
use flowform_spec::SecretPolicy;

use super::execute::{self, human_plan, plan_error, plan_options};
use super::load_spec_with_session;
use super::shared::read_state;
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
    let (loaded, session) =
        load_spec_with_session(settings, printer, SecretPolicy::Required, true, "plan").await?;
    let result = plan_in(settings, printer, &session, &loaded.desired, args).await;
    session.close().await;
    result
}

async fn plan_in(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    desired: &flowform_model::DesiredState,
    args: &PlanArgs,
) -> anyhow::Result<ExitStatus> {
    let options = plan_options(&args.shape);
    let started = std::time::Instant::now();
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
        None => read_state(session).await?,
    };
    printer.timing("state read", started);
    let started = std::time::Instant::now();
    let live = execute::read_account(&session.client, desired, &state, printer).await?;
    printer.timing("account read (after the state)", started);
    let started = std::time::Instant::now();
    let plan =
        make_plan(desired, &state, &live, &options).map_err(|error| plan_error(printer, error))?;
    printer.timing("plan made", started);
    let started = std::time::Instant::now();
    let context = flowform_diff::render::JsonContext { target: session.target.clone() };
    let json_plan = flowform_diff::render::json(&plan, &context);
    printer.data(&match args.format {
        PlanFormat::Human => human_plan(settings, &plan),
        PlanFormat::Json => json_plan.clone(),
        PlanFormat::Markdown => flowform_diff::render::markdown(
            &plan,
            &flowform_diff::render::MarkdownOptions::default(),
        ),
    });
    printer.timing("plan shown", started);
    if let Some(path) = &args.out {
        let document = saved::build(PlanRecord {
            target: &session.target,
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
