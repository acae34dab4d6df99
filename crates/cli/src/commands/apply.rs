//! `flowform apply [PLANFILE]`: without a file, plan under the state lock, show the plan, ask
//! (`--auto-approve` skips the question and is required off a terminal), then apply. With a
//! file, verify that nothing it was made against moved (target, state serial, spec, secrets,
//! every touched resource's `lastModified`) and apply exactly it, without asking. A file saved
//! by `plan --destroy` is applied like `destroy`: against an empty spec, so the spec's secrets
//! are not needed. A refresh-only plan (`--refresh-only`, or a saved one) writes nothing to the
//! account: it records the account as it is in the state. `--format json` prints one JSON
//! event per line on stdout (docs/apply-events.md).

use flowform_diff::render::PlanTarget;
use flowform_exec::apply::EarlyReads;
use flowform_exec::planner::{PlanError, make_plan, make_plan_reading};
use flowform_exec::remote::ClientStateApi;
use flowform_exec::saved;
use std::time::{Duration, Instant};

use flowform_api::Client;
use flowform_exec::state::{LocalPaths, LocalStore, StateLocation, StateWriter};
use flowform_model::{DesiredState, LiveState, Plan, State};
use flowform_spec::SecretPolicy;

use super::execute::{self, Events, Work, human_plan, plan_error, plan_options, plan_target};
use super::shared::{read_saved_plan, saved_plan_error, store_error};
use super::{locate_spec, open_session, start_spec_with_early};
use crate::args::ApplyArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

pub async fn apply(
    settings: &Settings,
    printer: &Printer,
    args: &ApplyArgs,
) -> anyhow::Result<ExitStatus> {
    let events = Events::new(printer, args.format, "apply");
    let result = apply_with(settings, printer, args, &events).await;
    if let Err(error) = &result {
        events.error(error);
    }
    result
}

async fn apply_with(
    settings: &Settings,
    printer: &Printer,
    args: &ApplyArgs,
    events: &Events,
) -> anyhow::Result<ExitStatus> {
    // A saved plan is read first: a missing or broken file needs no account.
    let saved_plan = match &args.plan_file {
        Some(path) => Some(read_saved_plan(path)?),
        None => None,
    };
    if saved_plan.as_ref().is_some_and(|(_, document)| document.options.destroy) {
        let located = locate_spec(settings, printer)?;
        let session = open_session(settings, printer, &located, "apply").await?;
        let nothing = DesiredState::default();
        let result = apply_in(
            settings,
            printer,
            &session,
            &nothing,
            args,
            saved_plan.as_ref(),
            events,
            None,
        )
        .await;
        session.close().await;
        return result;
    }
    let (spec, session, early) = start_spec_with_early(
        settings,
        printer,
        SecretPolicy::Required,
        true,
        "apply",
        start_early,
    )
    .await?;
    let loaded = match spec.finish(printer, true).await {
        Ok(loaded) => loaded,
        Err(error) => {
            // Dropping the early work stops it and releases the state lock it took.
            drop(early);
            session.close().await;
            return Err(error);
        }
    };
    let early = match early {
        Some(early) => early.finish(printer, &session).await,
        None => None,
    };
    let result = apply_in(
        settings,
        printer,
        &session,
        &loaded.desired,
        args,
        saved_plan.as_ref(),
        events,
        early,
    )
    .await;
    session.close().await;
    // The spec, the account and the plan are given back by the process's exit, not freed one
    // allocation at a time.
    std::mem::forget(loaded);
    result
}

/// The state locked and the account listed while the spec is still loading (`apply` on a
/// local state file).
struct Early<'a> {
    writer: StateWriter<'a, ClientStateApi<'a>>,
    lists: Result<LiveState, PlanError>,
}

/// What the early work found, before the account check decides whether it counts.
struct EarlyParts {
    store: LocalStore,
    state: Option<State>,
    locked: Duration,
    lists: Result<LiveState, PlanError>,
    listed: Duration,
}

/// The early work in flight: a task that takes the state lock without waiting, then lists the
/// account while the state is read on another thread, all while the spec loads and the account
/// check (`GET /v1/tokenInfo`) travels. The lists are read after the lock is held (a listing
/// older than the lock could miss the creates of an apply that holds it: docs/benchmarks.md,
/// fix 4) and they only read; nothing is planned or written before the account check has
/// answered and the state is found to belong to its user ([`EarlyTask::finish`]). Only for a
/// state in a local file, so that a broken spec writes nothing to the account (a state in the
/// account is locked by writing to it). Dropping it stops the task, which releases the lock.
struct EarlyTask(tokio::task::JoinHandle<Option<EarlyParts>>);

impl Drop for EarlyTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn start_early(client: &Client, state: &StateLocation) -> Option<EarlyTask> {
    let StateLocation::File(path) = state else {
        return None;
    };
    // A lock someone holds (or held: a stale lock is broken, with a warning, by the usual
    // path after the spec) is left to the usual path.
    if fs_err::symlink_metadata(LocalPaths::new(path).lock).is_ok() {
        return None;
    }
    let (client, path) = (client.clone(), path.clone());
    Some(EarlyTask(tokio::spawn(async move {
        let started = Instant::now();
        let (locked, _) = LocalStore::lock(&path, "apply", Duration::ZERO).await.ok()?;
        let reading = tokio::task::spawn_blocking(move || {
            let read = locked.read();
            (read, started.elapsed())
        });
        let listing = Instant::now();
        let lists = flowform_exec::planner::list_live(&client).await;
        let listed = listing.elapsed();
        let (read, locked) = reading.await.ok()?;
        let (store, state) = read.ok()?;
        Some(EarlyParts { store, state, locked, lists, listed })
    })))
}

impl EarlyTask {
    /// The early work once the spec is loaded and the account open. `None` (the state opened
    /// after the spec, as before) when the lock is held by someone else, the state cannot be
    /// opened or belongs to another account: the wait and the error are then the usual ones.
    async fn finish<'a>(mut self, printer: &Printer, session: &'a Session) -> Option<Early<'a>> {
        let parts = (&mut self.0).await.ok()??;
        printer.timing_of("state opened (while the spec loads)", parts.locked);
        printer.timing_of("account listed (while the spec loads)", parts.listed);
        let writer = flowform_exec::state::local_writer(
            &session.state,
            parts.store,
            parts.state,
            &session.target,
        )
        .ok()?;
        Some(Early { writer, lists: parts.lists })
    }
}

#[expect(clippy::too_many_arguments, reason = "one call site; the early work is optional")]
async fn apply_in<'a>(
    settings: &Settings,
    printer: &Printer,
    session: &'a Session,
    desired: &DesiredState,
    args: &ApplyArgs,
    saved_plan: Option<&(String, saved::SavedPlan)>,
    events: &Events,
    early: Option<Early<'a>>,
) -> anyhow::Result<ExitStatus> {
    events.set_target(&session.target, settings.env.as_deref());
    let api = ClientStateApi(&session.client);
    let (mut writer, lists) = match early {
        Some(Early { writer, lists }) => (writer, Some(lists)),
        None => {
            let started = std::time::Instant::now();
            let writer = execute::open_writer(settings, printer, session, &api, "apply").await?;
            printer.timing("state opened", started);
            (writer, None)
        }
    };
    // With `--auto-approve` nothing waits between the plan and the run, so the updates' reads
    // are sent while the plan is made; after a confirmation they are sent when the run starts
    // (a read made before a person answers would not see what changed while they read).
    let early_reads = (saved_plan.is_none() && args.auto_approve && !args.shape.refresh_only)
        .then(|| EarlyReads::new(&session.client));
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
        let live = match lists {
            Some(lists) => {
                let mut live = lists.map_err(|error| plan_error(printer, error))?;
                flowform_exec::planner::complete_live(
                    &session.client,
                    desired,
                    writer.state(),
                    &mut live,
                )
                .await
                .map_err(|error| plan_error(printer, error))?;
                live
            }
            None => {
                execute::read_account(&session.client, desired, writer.state(), printer).await?
            }
        };
        printer.timing("account read (after the state)", started);
        let started = std::time::Instant::now();
        let plan = match &early_reads {
            // The pictures are drawn only in the JSON plan of `--format json`'s events.
            Some(reads) => {
                make_plan_reading(desired, writer.state(), &live, &options, reads, events.enabled())
            }
            None => make_plan(desired, writer.state(), &live, &options),
        }
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
    let target = plan_target(settings, session);
    events.plan(&plan, &session.target);
    if plan.refresh_only {
        let refresh =
            Refresh { plan: &plan, live: &live, target: &target, from_file: saved_plan.is_some() };
        return accept_refresh(settings, printer, writer, args, refresh, events).await;
    }
    if saved_plan.is_none() {
        let started = std::time::Instant::now();
        let shown = human_plan(settings, &plan, &target);
        // With `--format json`, stdout is for the events: the plan goes to stderr.
        if events.enabled() {
            printer.text(&shown)
        } else {
            printer.data(&shown)
        }
        printer.timing("plan shown", started);
        // Nothing to ask about when nothing changes; the executor still runs, since it records
        // the baseline fingerprints of secrets flowform never wrote (after `import`).
        if plan.has_changes()
            && !execute::confirm(
                printer,
                &mut writer,
                args.auto_approve,
                "The changes above will be made in",
                &target,
            )
            .await?
        {
            let _ = writer.release().await;
            printer.error_line("apply cancelled: the answer was not `yes`; nothing was changed");
            events.finish("cancelled", &execute::Tally::default(), ExitStatus::Failure);
            return Ok(ExitStatus::Failure);
        }
    }
    let work = Work {
        desired,
        plan: &plan,
        live: &live,
        parallelism: args.parallelism,
        verb: "apply",
        events,
        early_reads: early_reads.as_ref(),
    };
    let status = execute::execute(printer, session, writer, work).await;
    // Given back by the process's exit, not freed one allocation at a time.
    std::mem::forget((plan, live));
    status
}

/// A refresh-only plan to accept.
struct Refresh<'a> {
    plan: &'a Plan,
    live: &'a LiveState,
    target: &'a PlanTarget,
    /// A saved plan: shown and confirmed when it was made.
    from_file: bool,
}

/// `apply --refresh-only` (or a saved refresh-only plan): the plan is shown and confirmed like
/// any other, then the account as it is becomes the state's baselines. Nothing is written to
/// the account.
async fn accept_refresh(
    settings: &Settings,
    printer: &Printer,
    mut writer: StateWriter<'_, ClientStateApi<'_>>,
    args: &ApplyArgs,
    refresh: Refresh<'_>,
    events: &Events,
) -> anyhow::Result<ExitStatus> {
    let Refresh { plan, live, target, from_file } = refresh;
    if !from_file {
        let shown = human_plan(settings, plan, target);
        if events.enabled() {
            printer.text(&shown)
        } else {
            printer.data(&shown)
        }
        if plan.has_changes()
            && !execute::confirm(
                printer,
                &mut writer,
                args.auto_approve,
                "Nothing will be written to the account; the state will accept the changes above, made outside flowform in",
                target,
            )
            .await?
        {
            let _ = writer.release().await;
            printer.error_line("apply cancelled: the answer was not `yes`; nothing was changed");
            events.finish("cancelled", &execute::Tally::default(), ExitStatus::Failure);
            return Ok(ExitStatus::Failure);
        }
    }
    let accepted = flowform_exec::apply::accept(&mut writer, plan, live).await;
    // The state is saved whatever happened: every accepted resource must stay recorded.
    let saved = writer.finish().await;
    let report = accepted.map_err(store_error)?;
    saved.map_err(store_error)?;
    printer.status(&format!(
        "Refresh complete: the state records the account as it is ({} changed outside flowform, {} deleted outside flowform, {} new baseline{}); nothing was written to the account.",
        report.accepted,
        report.forgotten,
        report.baselines,
        if report.baselines == 1 { "" } else { "s" }
    ));
    events.summary(&execute::Tally::default(), ExitStatus::Success);
    Ok(ExitStatus::Success)
}
