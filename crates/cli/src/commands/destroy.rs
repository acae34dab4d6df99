//! `flowform destroy`: delete every resource the state manages, dependents first, after showing
//! the plan and asking (`--auto-approve` skips the question and is required off a terminal).
//! It plans against an empty spec, so `preventDestroy` (as recorded at the last apply) still
//! refuses, and resources flowform does not manage are never touched.

use flowform_exec::planner::{make_plan, read_live};
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::PlanOptions;
use flowform_model::DesiredState;

use super::execute::{self, Work, human_plan, plan_error};
use super::{locate_spec, open_session};
use crate::args::DestroyArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

pub async fn destroy(
    settings: &Settings,
    printer: &Printer,
    args: &DestroyArgs,
) -> anyhow::Result<ExitStatus> {
    let located = locate_spec(settings, printer)?;
    let session = open_session(settings, printer, &located, "destroy").await?;
    let result = destroy_in(settings, printer, &session, args).await;
    session.close().await;
    result
}

async fn destroy_in(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    args: &DestroyArgs,
) -> anyhow::Result<ExitStatus> {
    let api = ClientStateApi(&session.client);
    let mut writer = execute::open_writer(settings, printer, session, &api, "destroy").await?;
    let nothing = DesiredState::default();
    let prepared = async {
        let live = read_live(&session.client, &nothing, writer.state())
            .await
            .map_err(|error| plan_error(printer, error))?;
        let plan = make_plan(&nothing, writer.state(), &live, &PlanOptions::default())
            .map_err(|error| plan_error(printer, error))?;
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
    if !plan.has_changes() {
        let _ = writer.release().await;
        printer.status("nothing to destroy: the state manages no live resources");
        return Ok(ExitStatus::Success);
    }
    printer.data(&human_plan(settings, &plan));
    let preamble = "Every resource listed above will be deleted from the account.";
    if !execute::confirm(printer, &mut writer, args.auto_approve, preamble).await? {
        let _ = writer.release().await;
        printer.error_line("destroy cancelled: the answer was not `yes`; nothing was changed");
        return Ok(ExitStatus::Failure);
    }
    let work = Work {
        desired: &nothing,
        plan: &plan,
        live: &live,
        parallelism: args.parallelism,
        verb: "destroy",
    };
    execute::execute(printer, session, writer, work).await
}
