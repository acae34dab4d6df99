//! `flowform state list|show|rm|mv|unlock`: read and edit the bindings of addresses to live
//! ids. Nothing here touches a live resource. With a local state file these commands work
//! offline (no token, no sandbox); with `--state integrator` they reach the account's State API.
//! Writes take the state lock and go through `flowform_exec`'s `StateWriter`.

use flowform_exec::remote::ClientStateApi;
use flowform_exec::state::{LockedState, StateLocation, break_lock, open_locked, read_checked};
use flowform_model::{Address, ResourceState, SecretRecord, State};
use serde_json::json;

use super::shared::{open_error, parse_address, store_error};
use super::{load_layout, open_session};
use crate::args::{StateCommand, StateFormat};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

/// The version of the JSON that `state list --format json` and `state show --format json`
/// print.
const STATE_JSON_VERSION: u32 = 1;

pub async fn state(
    settings: &Settings,
    printer: &Printer,
    command: &StateCommand,
) -> anyhow::Result<ExitStatus> {
    let loaded = load_layout(settings, printer)?;
    let location = settings.state_location(&loaded.root, loaded.environment.as_ref());
    let context = Context { settings, printer, location: &location, loaded: &loaded };
    if !location.needs_account() {
        return context.run(command, None, None).await;
    }
    let session = open_session(settings, printer, &loaded, command_name(command)).await?;
    let api = ClientStateApi(&session.client);
    let result = context.run(command, Some(&api), Some(&session.target)).await;
    session.close().await;
    result
}

fn command_name(command: &StateCommand) -> &'static str {
    match command {
        StateCommand::List(_) => "state list",
        StateCommand::Show(_) => "state show",
        StateCommand::Rm(_) => "state rm",
        StateCommand::Mv(_) => "state mv",
        StateCommand::Unlock => "state unlock",
    }
}

fn not_managed(address: &Address, location: &StateLocation) -> UserError {
    UserError::new(format!("`{address}` is not in the state {location}"))
        .with_hint("`flowform state list` shows the managed addresses")
}

/// The state, locked for an edit.
type Locked<'a> = LockedState<'a, ClientStateApi<'a>>;

struct Context<'a> {
    settings: &'a Settings,
    printer: &'a Printer,
    location: &'a StateLocation,
    loaded: &'a flowform_spec::Loaded,
}

impl Context<'_> {
    async fn run(
        &self,
        command: &StateCommand,
        api: Option<&ClientStateApi<'_>>,
        target: Option<&str>,
    ) -> anyhow::Result<ExitStatus> {
        match command {
            StateCommand::List(args) => {
                let state = read_checked(self.location, api, target).await.map_err(open_error)?;
                self.list(state.as_ref(), args.format);
            }
            StateCommand::Show(args) => {
                let address = parse_address(&args.address)?;
                let state = read_checked(self.location, api, target).await.map_err(open_error)?;
                let resource = state
                    .as_ref()
                    .and_then(|state| state.get(&address))
                    .ok_or_else(|| not_managed(&address, self.location))?;
                self.show(&address, resource, args.format);
            }
            StateCommand::Rm(args) => {
                let addresses = args
                    .addresses
                    .iter()
                    .map(|text| parse_address(text))
                    .collect::<Result<Vec<_>, _>>()?;
                let (opened, state) = self.open(api, target, "state rm").await?;
                self.remove(opened, &state, &addresses).await?;
            }
            StateCommand::Mv(args) => {
                let from = parse_address(&args.from)?;
                let to = parse_address(&args.to)?;
                if from.kind != to.kind {
                    return Err(UserError::new(format!(
                        "cannot move `{from}` to `{to}`: the kinds differ (`{}` and `{}`)",
                        from.kind.singular(),
                        to.kind.singular()
                    ))
                    .with_hint("a live resource keeps its kind; `state mv` only changes its key")
                    .into());
                }
                if from == to {
                    return Err(UserError::new(format!("cannot move `{from}` to itself")).into());
                }
                let (opened, state) = self.open(api, target, "state mv").await?;
                self.rename(opened, &state, &from, &to).await?;
            }
            StateCommand::Unlock => match break_lock(self.location, api)
                .await
                .map_err(open_error)?
            {
                Some(holder) => self.printer.status(&format!(
                    "removed the lock of the state {} held by {holder}",
                    self.location
                )),
                None => self.printer.status(&format!("the state {} is not locked", self.location)),
            },
        }
        Ok(ExitStatus::Success)
    }

    /// Locks the existing state for an edit; with no state there is nothing to edit.
    async fn open<'a>(
        &self,
        api: Option<&'a ClientStateApi<'a>>,
        target: Option<&str>,
        command: &str,
    ) -> anyhow::Result<(Locked<'a>, State)> {
        let opened = open_locked(self.location, api, target, command, self.settings.lock_timeout)
            .await
            .map_err(open_error)?;
        if let Some(holder) = opened.broken() {
            self.printer.warning(&format!("broke a stale state lock held by {holder}"));
        }
        let Some(state) = opened.state().cloned() else {
            opened.release().await;
            return Err(UserError::new(format!("there is no state at {}", self.location))
                .with_hint("`flowform apply` or `flowform import` creates it")
                .into());
        };
        Ok((opened, state))
    }

    fn list(&self, state: Option<&State>, format: StateFormat) {
        let resources: Vec<(&Address, &ResourceState)> =
            state.map(|state| state.resources.iter().collect()).unwrap_or_default();
        match format {
            StateFormat::Json => {
                let document = json!({
                    "format_version": STATE_JSON_VERSION,
                    "target": state.map(|state| state.target.as_str()),
                    "serial": state.map(|state| state.serial),
                    "resources": resources.iter().map(|(address, resource)| {
                        let mut entry = json!({
                            "address": address.to_string(),
                            "kind": address.kind.singular(),
                            "key": address.key,
                            "id": resource.id,
                        });
                        // A clone's copy names its owner (left out for everything else).
                        if let Some(owner) = &resource.owner {
                            entry["owner"] = json!(owner.to_string());
                        }
                        entry
                    }).collect::<Vec<_>>(),
                    "pending": state.map(|state| state.pending.iter().map(|pending| json!({
                        "address": pending.address.to_string(),
                        "name": pending.name,
                        "started_at": pending.started_at,
                    })).collect::<Vec<_>>()).unwrap_or_default(),
                });
                self.printer.data(&format!("{document:#}\n"));
            }
            StateFormat::Human => {
                let Some(state) = state else {
                    self.printer.status(&format!(
                        "there is no state at {}: nothing is managed yet",
                        self.location
                    ));
                    return;
                };
                if resources.is_empty() {
                    self.printer
                        .status(&format!("the state {} manages no resources", self.location));
                } else {
                    let width = resources
                        .iter()
                        .map(|(address, _)| address.to_string().len())
                        .max()
                        .unwrap_or(0)
                        .max("ADDRESS".len());
                    let mut table = format!("{:width$}  ID\n", "ADDRESS");
                    for (address, resource) in &resources {
                        let owner = resource
                            .owner
                            .as_ref()
                            .map(|owner| format!("  (copy made by cloning {owner})"))
                            .unwrap_or_default();
                        table.push_str(&format!(
                            "{:width$}  {}{owner}\n",
                            address.to_string(),
                            resource.id
                        ));
                    }
                    self.printer.data(&table);
                }
                for pending in &state.pending {
                    self.printer.warning(&format!(
                        "a create of `{}` (`{}`) was sent at {} and its outcome was never recorded; the next plan looks for it",
                        pending.address, pending.name, pending.started_at
                    ));
                }
            }
        }
    }

    fn show(&self, address: &Address, resource: &ResourceState, format: StateFormat) {
        let secret = |fingerprint: &String| match SecretRecord::of(fingerprint) {
            SecretRecord::Unknown => "unknown",
            SecretRecord::Unverified(_) => "unverified",
            SecretRecord::Written(_) => "recorded",
        };
        match format {
            StateFormat::Json => {
                let document = json!({
                    "format_version": STATE_JSON_VERSION,
                    "address": address.to_string(),
                    "id": resource.id,
                    "last_modified": resource.last_modified,
                    "prevent_destroy": resource.prevent_destroy,
                    "ignore_changes": resource.ignore_changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "adopt": resource.adopt,
                    "owner": resource.owner.as_ref().map(ToString::to_string),
                    "digest": resource.digest,
                    "applied_paths": resource.applied_paths.keys().map(ToString::to_string).collect::<Vec<_>>(),
                    "secret_paths": resource.secret_fingerprints.iter().map(|(path, fingerprint)| json!({
                        "path": path.to_string(),
                        "fingerprint": secret(fingerprint),
                    })).collect::<Vec<_>>(),
                });
                self.printer.data(&format!("{document:#}\n"));
            }
            StateFormat::Human => {
                let mut text = String::new();
                let mut row = |label: &str, value: &str| {
                    text.push_str(&format!("{label:<16} {value}\n"));
                };
                row("address", &address.to_string());
                row("id", &resource.id);
                row("last modified", resource.last_modified.as_deref().unwrap_or("(unknown)"));
                row("prevent destroy", if resource.prevent_destroy { "yes" } else { "no" });
                if !resource.ignore_changes.is_empty() {
                    let paths: Vec<String> =
                        resource.ignore_changes.iter().map(ToString::to_string).collect();
                    row("ignore changes", &paths.join(", "));
                }
                if resource.adopt {
                    row("adopt", "yes");
                }
                if let Some(owner) = &resource.owner {
                    row("owner", &format!("{owner} (a copy its clone made)"));
                }
                row("digest", if resource.digest.is_empty() { "(none)" } else { &resource.digest });
                text.push_str(&format!("applied paths    {}\n", resource.applied_paths.len()));
                for path in resource.applied_paths.keys() {
                    text.push_str(&format!("  {path}\n"));
                }
                if !resource.secret_fingerprints.is_empty() {
                    text.push_str(&format!(
                        "secret paths     {}\n",
                        resource.secret_fingerprints.len()
                    ));
                    for (path, fingerprint) in &resource.secret_fingerprints {
                        text.push_str(&format!("  {path} (fingerprint {})\n", secret(fingerprint)));
                    }
                }
                if let Some(owner) = resource.owner.as_ref()
                    && !self.loaded.desired.resources.contains_key(address)
                {
                    text.push_str(&format!(
                        "note             not in the spec: kept while `{owner}` is in the spec and uses it, deleted otherwise\n"
                    ));
                } else if !self.loaded.desired.resources.contains_key(address) {
                    text.push_str("note             not in the spec: a plan would delete it\n");
                }
                self.printer.data(&text);
            }
        }
    }

    async fn remove(
        &self,
        opened: Locked<'_>,
        state: &State,
        addresses: &[Address],
    ) -> anyhow::Result<()> {
        if let Some(missing) = addresses.iter().find(|address| state.get(address).is_none()) {
            opened.release().await;
            return Err(not_managed(missing, self.location).into());
        }
        // What a removed clone made goes with it: the copies stay in the account, unmanaged,
        // as the clone does (a copy left managed would be deleted from under it).
        let mut listed: Vec<(Address, Option<Address>)> =
            addresses.iter().map(|address| (address.clone(), None)).collect();
        for address in addresses {
            for (copy, _) in state.copies_of(address) {
                if !listed.iter().any(|(known, _)| known == copy) {
                    listed.push((copy.clone(), Some(address.clone())));
                }
            }
        }
        let mut writer = opened.into_writer(&state.target);
        let mut removed = Vec::new();
        for (address, owner) in &listed {
            if let Some(resource) = state.get(address) {
                if let Err(error) = writer.remove(address).await {
                    let _ = writer.finish().await;
                    return Err(store_error(error));
                }
                removed.push((address, owner, resource.id.clone()));
            }
        }
        writer.finish().await.map_err(store_error)?;
        for (address, owner, id) in removed {
            let with = owner
                .as_ref()
                .map(|owner| format!(" with `{owner}`, whose clone made it"))
                .unwrap_or_default();
            self.printer.status(&format!(
                "removed `{address}` ({id}) from the state{with}; the live resource was left as it is"
            ));
            if self.loaded.desired.resources.contains_key(address) {
                self.printer.warning(&format!(
                    "`{address}` is still in the spec: the next plan finds the live resource by name and stops until it is adopted or imported again"
                ));
            }
        }
        Ok(())
    }

    async fn rename(
        &self,
        opened: Locked<'_>,
        state: &State,
        from: &Address,
        to: &Address,
    ) -> anyhow::Result<()> {
        let problem = match (state.get(from), state.get(to)) {
            (None, _) => Some(not_managed(from, self.location)),
            (Some(_), Some(existing)) => Some(
                UserError::new(format!(
                    "cannot move `{from}` to `{to}`: `{to}` is already bound to `{}`",
                    existing.id
                ))
                .with_hint(format!("remove it first with `flowform state rm {to}` if it is stale")),
            ),
            (Some(_), None) => None,
        };
        if let Some(problem) = problem {
            opened.release().await;
            return Err(problem.into());
        }
        let id = state.get(from).map(|resource| resource.id.clone()).unwrap_or_default();
        let mut writer = opened.into_writer(&state.target);
        let mut renamed = writer.rename(from, to).await;
        // The copies its clone made follow it.
        for (copy, entry) in state.copies_of(from) {
            if renamed.is_ok() {
                let mut entry = entry.clone();
                entry.owner = Some(to.clone());
                renamed = writer.put(copy, entry).await;
            }
        }
        let finished = writer.finish().await;
        renamed.and(finished.map(drop)).map_err(store_error)?;
        self.printer.status(&format!("moved `{from}` to `{to}` ({id})"));
        Ok(())
    }
}
