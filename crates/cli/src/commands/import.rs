//! `flowform import ADDR ID`: start managing an existing live resource. The address must be in
//! the spec; the resource must exist; neither may be bound already. Nothing live is changed:
//! the next `plan` shows how the resource differs from the spec.

use flowform_diff::live_baseline;
use flowform_exec::remote::ClientStateApi;
use flowform_exec::state::open_locked;
use flowform_model::{DesiredResource, FieldPath, ResourceState, UNKNOWN_FINGERPRINT};
use flowform_spec::SecretPolicy;

use super::shared::{is_object_id, open_error, parse_address, store_error};
use super::{load_spec, open_session};
use crate::args::ImportArgs;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;

pub async fn import(
    settings: &Settings,
    printer: &Printer,
    args: &ImportArgs,
) -> anyhow::Result<ExitStatus> {
    let address = parse_address(&args.address)?;
    let id = args.id.trim();
    if !is_object_id(id) {
        return Err(UserError::new(format!(
            "`{id}` is not an integrator.io id (24 hexadecimal characters)"
        ))
        .into());
    }
    // Secrets are not needed: an imported secret is recorded with an unknown fingerprint. Warnings
    // are `validate`'s and `plan`'s to show.
    let loaded = load_spec(settings, printer, SecretPolicy::Offline, false)?;
    let Some(desired) = loaded.desired.get(&address) else {
        return Err(UserError::new(format!("`{address}` is not in the spec"))
            .with_hint("write the resource in the spec first; import binds a spec address to a live resource")
            .into());
    };
    let session = open_session(settings, printer, &loaded, "import").await?;
    let result = import_into(settings, printer, &session, desired, id).await;
    session.close().await;
    result
}

async fn import_into(
    settings: &Settings,
    printer: &Printer,
    session: &Session,
    desired: &DesiredResource,
    id: &str,
) -> anyhow::Result<ExitStatus> {
    let address = &desired.address;
    let api = ClientStateApi(&session.client);
    let opened = open_locked(
        &session.state,
        Some(&api),
        Some(&session.target),
        "import",
        settings.lock_timeout,
    )
    .await
    .map_err(open_error)?;
    if let Some(holder) = opened.broken() {
        printer.warning(&format!("broke a stale state lock held by {holder}"));
    }
    let conflict = opened.state().and_then(|state| {
        if let Some(existing) = state.get(address) {
            return Some(
                UserError::new(format!(
                    "`{address}` is already managed: it is bound to `{}`",
                    existing.id
                ))
                .with_hint(format!(
                    "run `flowform state rm {address}` first to bind it to another resource"
                )),
            );
        }
        state.address_of(id).map(|other| {
            UserError::new(format!("`{id}` is already managed as `{other}`")).with_hint(format!(
                "run `flowform state mv {other} {address}` to give it the new address"
            ))
        })
    });
    if let Some(conflict) = conflict {
        opened.release().await;
        return Err(conflict.into());
    }
    let live = match session.client.get(address.kind, id).await {
        Ok(live) => live,
        Err(error) => {
            opened.release().await;
            if error.is_not_found() {
                return Err(UserError::new(format!(
                    "there is no {} with the id `{id}` in the account",
                    address.kind.singular()
                ))
                .with_source(error)
                .into());
            }
            return Err(anyhow::Error::new(error)
                .context(format!("cannot read the {} `{id}`", address.kind.singular())));
        }
    };
    if let (Some(live_name), Some(spec_name)) = (&live.name, desired.name())
        && live_name != spec_name
    {
        printer.warning(&format!(
            "the live {} is named `{live_name}` and the spec names it `{spec_name}`: the next apply renames it",
            address.kind.singular()
        ));
    }
    let mut record = ResourceState {
        id: id.to_owned(),
        last_modified: live.last_modified.clone(),
        secret_fingerprints: secret_paths(desired)
            .into_iter()
            .map(|path| (path, UNKNOWN_FINGERPRINT.to_owned()))
            .collect(),
        ..ResourceState::default()
    };
    // The spec's lifecycle flags as they are now, so the next plan has no state-only change.
    record.set_lifecycle_flags(flowform_model::LifecycleFlags::of(&desired.lifecycle));
    let mut writer = opened.into_writer(&session.target);
    // The document as imported is the baseline for changes made outside flowform.
    record.live = Some(live_baseline(address.kind, &writer.state().salt, &live.document, &record));
    let recorded = writer.put(address, record).await;
    let finished = writer.finish().await;
    recorded.and(finished.map(drop)).map_err(store_error)?;
    printer.status(&format!(
        "imported `{address}` ({id}); run `flowform plan` to see how it differs from the spec"
    ));
    Ok(ExitStatus::Success)
}

/// The paths of the desired leaves that hold a secret (outside `ignoreChanges`): their live
/// values were never written by flowform, so their fingerprints are unknown.
fn secret_paths(desired: &DesiredResource) -> Vec<FieldPath> {
    let ignored = &desired.lifecycle.ignore_changes;
    desired
        .body_value()
        .leaves()
        .into_iter()
        .filter(|(path, value)| {
            value.contains_secret() && !ignored.iter().any(|ignore| path.starts_with(ignore))
        })
        .map(|(path, _)| path)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::{Address, Kind, Lifecycle, SecretValue, Value};

    #[test]
    fn secret_leaves_outside_ignored_paths() {
        let secret = Value::Secret(SecretValue::new(vec!["TOKEN".into()], "v".into()));
        let mut auth = flowform_model::Object::default();
        auth.insert("token".into(), secret.clone());
        let mut body = flowform_model::Object::default();
        body.insert("name".into(), Value::String("x".into()));
        body.insert("auth".into(), Value::Object(auth));
        body.insert("headers".into(), Value::Array(vec![secret.clone()]));
        body.insert("ignored".into(), secret);
        let desired = DesiredResource {
            address: Address::new(Kind::Connection, "x"),
            body,
            lifecycle: Lifecycle {
                ignore_changes: vec![FieldPath::from_keys(["ignored"])],
                ..Lifecycle::default()
            },
            origin: None,
        };
        let paths: Vec<String> = secret_paths(&desired).iter().map(ToString::to_string).collect();
        assert_eq!(paths, ["auth.token", "headers"]);
    }
}
