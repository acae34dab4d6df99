//! `flowform pull --out DIR [--integration NAME|ID]… [--force]`: write spec files, and the state
//! that binds them, from a live account, so that `plan` in the new folder shows no changes.
//!
//! The account is chosen as for every command (token and endpoint, `--env` read from the spec
//! root of `-f`, default `.`; no token means the local sandbox). The state goes where the next
//! `plan` in `DIR` looks for it: `--state` (a path relative to `DIR`, or `integrator`), else the
//! environment file's `state`, else `DIR/.flowform/state.json` (`DIR/.flowform/NAME.state.json`
//! with `--env NAME`). `--out` has no default, so a pull never writes into the current folder by
//! accident; `--force` is needed to write into a folder that holds files or to replace a state
//! that already manages resources.

use std::collections::BTreeMap;
use std::path::Path;

use flowform_exec::remote::ClientStateApi;
use flowform_exec::state::{StateLocation, open_writer, read_checked};
use flowform_model::Kind;
use flowform_pull::{PullOptions, Pulled, Selection, WriteError, Written};

use super::locate_spec;
use super::shared::{open_error, plural, store_error};
use crate::args::PullArgs;
use crate::diagnostics;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::{Account, Settings};

pub async fn pull(
    settings: &Settings,
    printer: &Printer,
    args: &PullArgs,
) -> anyhow::Result<ExitStatus> {
    let located = locate_spec(settings, printer)?;
    let environment = located.environment.as_ref();
    let target = settings.target(&located.root, environment)?;
    // The pulled folder is the spec root of the next plan: a state path is relative to it.
    let location = settings.state_location(&args.out, environment);
    let sandbox_data = match &target.account {
        Account::Sandbox { data_file, .. } => Some(data_file.clone()),
        Account::Remote(_) => None,
    };
    // The state of the spec root the pull runs from (when it is another one): its keys name
    // the resources it manages, clone copies included, so the pulled spec keeps them.
    let here = settings.state_location(&located.root, environment);
    let hints = (here != location).then_some(here);
    let session = Session::open(settings, printer, target, "pull").await?;
    let result = pull_into(settings, printer, &session, args, &location, hints.as_ref()).await;
    session.close().await;
    let status = result?;
    if let Some(data_file) = sandbox_data {
        copy_sandbox(printer, &data_file, &args.out)?;
    }
    Ok(status)
}

async fn pull_into(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    args: &PullArgs,
    location: &StateLocation,
    hints: Option<&StateLocation>,
) -> anyhow::Result<ExitStatus> {
    let api = ClientStateApi(&session.client);
    // Checked before anything is written: a state of another account, or one that manages
    // resources already, must not be replaced by surprise.
    let existing =
        read_checked(location, Some(&api), Some(&session.target)).await.map_err(open_error)?;
    if let Some(state) = &existing
        && !state.resources.is_empty()
        && !args.force
    {
        return Err(UserError::new(format!(
            "a state at {location} already manages {}",
            plural(state.resources.len(), "resource")
        ))
        .with_hint(
            "pull into a new folder (or with `--state PATH`), or pass `--force` to replace that state with the pulled one: what the pull does not write stops being managed, and nothing live is changed",
        )
        .into());
    }
    let selection = if args.integrations.is_empty() {
        Selection::All
    } else {
        Selection::Integrations(args.integrations.clone())
    };
    printer.status("reading the account…");
    // Keys come from the state being replaced, else from the current spec root's state when it
    // belongs to this account (only read, never written).
    let managed = existing.as_ref().filter(|state| !state.resources.is_empty());
    let hinted = match (managed, hints) {
        (None, Some(hints)) => {
            read_checked(hints, Some(&api), Some(&session.target)).await.ok().flatten()
        }
        _ => None,
    };
    let key_state = managed.or(hinted.as_ref()).or(existing.as_ref());
    let pulled =
        flowform_pull::pull(&session.client, &selection, &PullOptions { state: key_state })
            .await
            .map_err(|error| match error {
            flowform_pull::PullError::UnknownIntegration { .. }
            | flowform_pull::PullError::AmbiguousIntegration { .. } => {
                anyhow::Error::new(UserError::new(error.to_string()))
            }
            other => anyhow::Error::new(other),
        })?;
    let written = flowform_pull::write(&pulled, &args.out, args.force).map_err(write_error)?;
    for removed in &written.removed {
        printer.status(&format!(
            "removed `{}`: the account no longer has what it held",
            args.out.join(removed).display()
        ));
    }
    record_state(settings, printer, session, &api, location, &pulled).await?;
    for warning in &pulled.warnings {
        printer.warning(warning);
    }
    print_summary(printer, args, location, &pulled, &written);
    if written.diagnostics.is_empty() {
        return Ok(ExitStatus::Success);
    }
    for diagnostic in &written.diagnostics {
        printer.diagnostic(&diagnostics::render(diagnostic, printer.color()), true);
    }
    printer.error_line(&format!(
        "the pulled spec has {}: the account holds values the spec rules refuse; fix them (above) before `flowform plan`",
        plural(written.diagnostics.len(), "error")
    ));
    Ok(ExitStatus::Failure)
}

fn write_error(error: WriteError) -> anyhow::Error {
    let hint = error.hint();
    let mut user = UserError::new(error.to_string());
    if let Some(hint) = hint {
        user = user.with_hint(hint);
    }
    match error {
        WriteError::Io(source) => user.with_source(source).into(),
        _ => user.into(),
    }
}

/// Writes the state of the pulled resources: what an earlier pull bound and this one did not
/// write leaves the state (or the next plan would delete it from the account), and every pulled
/// resource is recorded as applied, so the next plan shows no changes.
async fn record_state(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    api: &ClientStateApi<'_>,
    location: &StateLocation,
    pulled: &Pulled,
) -> anyhow::Result<()> {
    let (mut writer, broken) =
        open_writer(location, api, &session.target, "pull", settings.lock_timeout)
            .await
            .map_err(open_error)?;
    if let Some(holder) = broken {
        printer.warning(&format!("broke a stale state lock held by {holder}"));
    }
    let recorded = async {
        for address in pulled.stale_addresses(writer.state()) {
            writer.remove(&address).await?;
        }
        let salt = writer.state().salt.clone();
        for (address, resource) in pulled.resource_states(&salt) {
            writer.put(&address, resource).await?;
        }
        // A pull of an empty account still writes the state it is bound to.
        writer.flush().await
    }
    .await;
    let finished = writer.finish().await;
    recorded.and(finished.map(drop)).map_err(|error| {
        store_error(error).context(format!(
            "the spec files were written but the state {location} was not; pull again with `--force`"
        ))
    })
}

fn print_summary(
    printer: &Printer,
    args: &PullArgs,
    location: &StateLocation,
    pulled: &Pulled,
    written: &Written,
) {
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    for address in pulled.resources.keys() {
        *counts.entry(address.kind).or_default() += 1;
    }
    let counted: Vec<String> = Kind::ALL
        .into_iter()
        .filter_map(|kind| {
            let count = counts.get(&kind).copied().unwrap_or(0);
            (count > 0).then(|| {
                let word = if count == 1 { kind.singular() } else { kind.plural() };
                format!("{count} {word}")
            })
        })
        .collect();
    let what = if counted.is_empty() { "nothing".to_owned() } else { counted.join(", ") };
    printer.status(&format!(
        "pulled {what} into `{}` ({}); the state is in {location}",
        args.out.display(),
        plural(written.files.len(), "file")
    ));
    if !pulled.secrets.is_empty() {
        let names: Vec<String> =
            pulled.secrets.iter().map(|secret| format!("`{}`", secret.name)).collect();
        printer.status(&format!(
            "set {} before `flowform plan` ({} lists where each goes): {}",
            if names.len() == 1 {
                "this environment variable"
            } else {
                "these environment variables"
            },
            args.out.join("README.md").display(),
            names.join(", ")
        ));
    }
    let state_flag = match location {
        StateLocation::Integrator { .. } => " --state integrator",
        StateLocation::File(_) => "",
    };
    printer.status(&format!(
        "next: `cd {} && flowform plan{state_flag}` shows no changes",
        args.out.display()
    ));
}

/// With the local sandbox, the pulled folder gets a copy of the sandbox account it was pulled
/// from: each spec folder has its own sandbox (`.flowform/sandbox.json`), and without the copy
/// the next `plan` there would look at an empty one.
fn copy_sandbox(printer: &Printer, data_file: &Path, out: &Path) -> anyhow::Result<()> {
    let Some(file_name) = data_file.file_name() else { return Ok(()) };
    let copy = out.join(".flowform").join(file_name);
    let same = match (fs_err::canonicalize(data_file), fs_err::canonicalize(&copy)) {
        (Ok(source), Ok(destination)) => source == destination,
        _ => false,
    };
    if same || !data_file.exists() {
        return Ok(());
    }
    fs_err::create_dir_all(out.join(".flowform"))?;
    fs_err::copy(data_file, &copy)?;
    printer.status(&format!(
        "copied the local sandbox to `{}`, so that `flowform plan` in `{}` sees the account that was pulled",
        copy.display(),
        out.display()
    ));
    Ok(())
}
