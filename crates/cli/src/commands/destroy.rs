//! `flowform destroy`: delete every resource the state manages, dependents first, after showing
//! the plan and asking (`--auto-approve` skips the question and is required off a terminal).
//! With `--target ADDR`, only ADDR and everything that depends on it (what references it must
//! go first), and what its clone made. It plans against an empty spec, so `preventDestroy` (as
//! recorded at the last apply) still refuses, in destroy's terms, and resources flowform does
//! not manage are never touched. What clones made (the copies the state records with their
//! owner) is deleted too, after the resources that use it, so a destroy that runs leaves
//! nothing flowform made.

use flowform_exec::planner::{make_plan, read_live};
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved::PlanOptions;
use flowform_model::DesiredState;

use super::execute::{
    self, Events, Tally, Work, human_plan, plan_error, plan_error_of, plan_target,
};
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
    let events = Events::new(printer, args.format, "destroy");
    let result = async {
        let located = locate_spec(settings, printer)?;
        let session = open_session(settings, printer, &located, "destroy").await?;
        let result = destroy_in(settings, printer, &session, args, &events).await;
        session.close().await;
        result
    }
    .await;
    if let Err(error) = &result {
        events.error(error);
    }
    result
}

async fn destroy_in(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    args: &DestroyArgs,
    events: &Events,
) -> anyhow::Result<ExitStatus> {
    events.set_target(&session.target, settings.env.as_deref());
    let api = ClientStateApi(&session.client);
    let mut writer = execute::open_writer(settings, printer, session, &api, "destroy").await?;
    let nothing = DesiredState::default();
    let options =
        PlanOptions { destroy: true, targets: args.targets.clone(), ..PlanOptions::default() };
    let prepared = async {
        let live = read_live(&session.client, &nothing, writer.state())
            .await
            .map_err(|error| plan_error(printer, error))?;
        let plan = make_plan(&nothing, writer.state(), &live, &options).map_err(|error| {
            plan_error_of(printer, error, "destroy refused, nothing was deleted")
        })?;
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
        events.finish("nothing_to_do", &Tally::default(), ExitStatus::Success);
        return Ok(ExitStatus::Success);
    }
    let target = plan_target(settings, session);
    events.plan(&plan, &session.target);
    let shown = human_plan(settings, &plan, &target);
    // With `--format json`, stdout is for the events: the plan goes to stderr.
    if events.enabled() {
        printer.text(&shown)
    } else {
        printer.data(&shown)
    }
    let what = "Every resource listed above will be deleted from";
    if !execute::confirm(printer, &mut writer, args.auto_approve, what, &target).await? {
        let _ = writer.release().await;
        printer.error_line("destroy cancelled: the answer was not `yes`; nothing was changed");
        events.finish("cancelled", &Tally::default(), ExitStatus::Failure);
        return Ok(ExitStatus::Failure);
    }
    let work = Work {
        desired: &nothing,
        plan: &plan,
        live: &live,
        parallelism: args.parallelism,
        verb: "destroy",
        events,
        early_reads: None,
    };
    execute::execute(printer, session, writer, work).await
}
