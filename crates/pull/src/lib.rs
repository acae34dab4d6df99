//! `flowform pull`: writes spec files, and the state that binds them, from a live account.
//!
//! [`pull`] reads the account (one list per kind, then each pulled script by id, since lists omit
//! `content`) and hands it to [`build`], which is pure: it picks the resources ([`Selection`]),
//! gives each a readable key ([`keys::slug`] of its name, unique and the same on every run),
//! normalises each document exactly as the diff reads live documents (server-owned and volatile
//! fields, nulls and server defaults dropped; ids of pulled resources mapped to `${KIND.KEY}`),
//! replaces masked secrets by `${secret.NAME}` placeholders, lays the resources out in files and
//! renders them with the spec crate's YAML writer. [`Pulled::resource_states`] gives the state
//! entries the CLI records, so that `plan` right after `pull` shows no changes; [`write()`] puts
//! the files on disk.
//!
//! Invariants: a pulled file, read back by `flowform_spec::load` with the secrets set, gives
//! exactly the desired bodies in [`Pulled::resources`]; and those bodies equal the normalised
//! live documents, so the diff finds nothing to change. The same account always gives the same
//! files.
//!
//! This crate must never print (warnings are returned), never write anything but the output
//! folder, and never write a secret value: the API masks them, and every mask becomes a
//! placeholder.
#![warn(missing_docs)]

mod convert;
mod error;
pub mod keys;
mod layout;
mod secrets;
mod selection;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use flowform_api::Client;
use flowform_diff::{ManagedIds, live_baseline, record_applied};
use flowform_model::{
    Address, DesiredResource, Kind, Lifecycle, LiveResource, LiveState, Object, ResourceState,
    SecretValue, State, UNKNOWN_FINGERPRINT, Value,
};

pub use convert::{OutsideReference, UnmanagedId};
pub use error::{PullError, WriteError};
pub use secrets::SecretPlaceholder;
pub use selection::Selection;
pub use write::{Written, write};

/// Options of a pull.
#[derive(Debug, Clone, Copy, Default)]
pub struct PullOptions<'a> {
    /// A state of this account, when there is one: resources it already manages keep their
    /// address as key instead of a fresh slug.
    pub state: Option<&'a State>,
}

/// One pulled resource: its live id and document, and the desired resource its spec text loads
/// into (secrets unresolved, a script's `content` inline).
#[derive(Debug, Clone)]
pub struct PulledResource {
    /// The live `_id`.
    pub id: String,
    /// What the spec says, as [`flowform_spec::load`] reads the pulled files.
    pub desired: DesiredResource,
    /// The document as the API returned it.
    pub live: LiveResource,
}

/// The result of a pull, before anything is written.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// Every file, by path relative to the output folder: YAML specs, script `.js` files and
    /// `README.md`.
    pub files: BTreeMap<PathBuf, String>,
    /// Every pulled resource by address.
    pub resources: BTreeMap<Address, PulledResource>,
    /// The `${secret.NAME}` placeholders written for masked values, by address and path.
    pub secrets: Vec<SecretPlaceholder>,
    /// Ids of managed kinds outside the pull, written literally.
    pub outside_references: Vec<OutsideReference>,
    /// Ids of kinds flowform does not manage, written literally.
    pub unmanaged_ids: Vec<UnmanagedId>,
    /// Things the user should know (each also explained in `README.md` where it applies).
    pub warnings: Vec<String>,
}

impl Pulled {
    /// The state entries of the pulled resources, digested with `salt` (the salt of the state
    /// they go into): every pulled leaf is recorded as applied with its digest (through
    /// [`flowform_diff::record_applied`], the live document standing for the response), every
    /// secret with the fingerprint [`UNKNOWN_FINGERPRINT`], the live `lastModified`, and the
    /// live baseline of the document (changes made outside flowform are found from then on).
    pub fn resource_states(&self, salt: &str) -> BTreeMap<Address, ResourceState> {
        self.resources
            .iter()
            .map(|(address, resource)| {
                let mut state = record_applied(
                    &resource.desired,
                    salt,
                    &resource.id,
                    &resource.live.document,
                    None,
                );
                for (path, value) in Value::Object(resource.desired.body.clone()).leaves() {
                    if value.contains_secret() {
                        state.secret_fingerprints.insert(path, UNKNOWN_FINGERPRINT.to_owned());
                    }
                }
                // The document as pulled is the baseline for changes made outside flowform.
                state.live =
                    Some(live_baseline(address.kind, salt, &resource.live.document, &state));
                (address.clone(), state)
            })
            .collect()
    }
}

impl Pulled {
    /// The addresses an existing state binds that this pull does not write: when the pulled
    /// state replaces an earlier one (a pull with `--force` into the same folder), remove them,
    /// or the next plan would delete those resources from the account as "gone from the spec".
    pub fn stale_addresses(&self, state: &State) -> Vec<Address> {
        state
            .resources
            .keys()
            .filter(|address| !self.resources.contains_key(*address))
            .cloned()
            .collect()
    }
}

/// Reads the account and builds the pull (see [`build`]).
pub async fn pull(
    client: &Client,
    selection: &Selection,
    options: &PullOptions<'_>,
) -> Result<Pulled, PullError> {
    let mut live =
        client.list_kinds(&Kind::ALL).await.map_err(|error| PullError::Read(Box::new(error)))?;
    let scope = selection::resolve(&live, selection)?;
    let scripts: Vec<(String, String)> = scope
        .of_kind(Kind::Script)
        .filter_map(|id| live.get(Kind::Script, id))
        .filter(|script| script.document.field("content").is_none())
        .map(|script| (script.id.clone(), script.name.clone().unwrap_or_default()))
        .collect();
    let fetched = futures::future::try_join_all(scripts.into_iter().map(|(id, name)| async move {
        client.get(Kind::Script, &id).await.map_err(|source| PullError::ReadScript {
            id,
            name,
            source: Box::new(source),
        })
    }))
    .await?;
    for script in fetched {
        live.insert(script);
    }
    build(&live, selection, options)
}

/// Builds the pull from what was read of the account. Pure: the same `live` always gives the
/// same result. Script documents must hold their `content` (lists omit it; [`pull`] reads each
/// script by id).
pub fn build(
    live: &LiveState,
    selection: &Selection,
    options: &PullOptions<'_>,
) -> Result<Pulled, PullError> {
    let scope = selection::resolve(live, selection)?;
    let mut warnings = scope.warnings.clone();

    let candidates: Vec<keys::Candidate<'_>> = Kind::ALL
        .into_iter()
        .flat_map(|kind| {
            scope.of_kind(kind).filter_map(move |id| live.get(kind, id)).map(move |resource| {
                keys::Candidate {
                    kind,
                    id: &resource.id,
                    name: resource.name.as_deref(),
                    order: identity_text(live, resource),
                }
            })
        })
        .collect();
    let keys = keys::assign(&candidates, options.state);
    let mut ids = ManagedIds::new();
    let mut id_of: HashMap<Address, String> = HashMap::new();
    let mut live_of: BTreeMap<Address, &LiveResource> = BTreeMap::new();
    for candidate in &candidates {
        let Some(address) = keys.get(candidate.id) else { continue };
        ids.insert(candidate.id.to_owned(), address.clone());
        id_of.insert(address.clone(), candidate.id.to_owned());
        if let Some(resource) = live.get(candidate.kind, candidate.id) {
            live_of.insert(address.clone(), resource);
        }
    }

    if let Selection::Integrations(_) = selection {
        shared_outside(live, &scope, &ids, &mut warnings);
    }

    let context = convert::Context { ids: &ids, id_of: &id_of, live };
    let mut converted: BTreeMap<Address, convert::Converted> = live_of
        .iter()
        .map(|(address, resource)| (address.clone(), convert::convert(&context, address, resource)))
        .collect();

    let masked: BTreeMap<Address, Vec<flowform_model::FieldPath>> = converted
        .iter()
        .filter(|(_, converted)| !converted.masked.is_empty())
        .map(|(address, converted)| (address.clone(), converted.masked.clone()))
        .collect();
    let secrets = secrets::name_secrets(&masked);
    for secret in &secrets {
        if let Some(entry) = converted.get_mut(&secret.address) {
            let mut body = Value::Object(std::mem::take(&mut entry.body));
            body.set(
                &secret.path,
                Value::Secret(SecretValue::unresolved(vec![secret.name.clone()])),
            );
            if let Value::Object(object) = body {
                entry.body = object;
            }
        }
        if secret.address.kind == Kind::Connection
            && matches!(secret.path.to_string().as_str(), "http.encrypted" | "mcp.encrypted")
        {
            warnings.push(format!(
                "`{}` `{}` is masked as a whole, but integrator.io takes an object there; replace `${{secret.{}}}` with the object, its values written as `${{secret.NAME}}` placeholders",
                secret.address, secret.path, secret.name
            ));
        }
    }

    let mut outside_references = Vec::new();
    let mut unmanaged_ids = Vec::new();
    let mut literal_pulled = Vec::new();
    for (address, entry) in &converted {
        for field in &entry.dropped {
            warnings.push(format!(
                "`{address}` has a field `{field}`, which a flowform spec reserves for its own use; it is not written"
            ));
        }
        for (path, target) in &entry.literal_pulled {
            warnings.push(format!(
                "`{address}` `{path}` holds the id of `{target}` where the spec takes no reference; it is written as the literal id, which does not exist in another account"
            ));
            literal_pulled.push((address.clone(), path.to_string(), target.clone()));
        }
        outside_references.extend(entry.outside.iter().cloned());
        unmanaged_ids.extend(entry.unmanaged.iter().cloned());
    }
    // Flow groups are parts of the pulled integrations (`flowGroupings[]._id`), not outside ids.
    let group_ids: std::collections::BTreeSet<&str> = live_of
        .iter()
        .filter(|(address, _)| address.kind == Kind::Integration)
        .filter_map(|(_, integration)| integration.document.field("flowGroupings")?.as_array())
        .flatten()
        .filter_map(|group| group.field("_id")?.as_str())
        .collect();
    unmanaged_ids
        .retain(|id| !(id.collection == "flowGroupings" && group_ids.contains(id.id.as_str())));
    if !outside_references.is_empty() {
        let listed: Vec<String> = outside_references
            .iter()
            .map(|reference| {
                format!(
                    "`{}` `{}` → `{}` ({})",
                    reference.address, reference.path, reference.id, reference.description
                )
            })
            .collect();
        warnings.push(format!(
            "{} reference{} to resources outside the pull {} written as literal ids: {}",
            listed.len(),
            if listed.len() == 1 { "" } else { "s" },
            if listed.len() == 1 { "is" } else { "are" },
            listed.join("; ")
        ));
    }

    let mut resources = BTreeMap::new();
    let mut emitted: BTreeMap<Address, (Object, Option<String>)> = BTreeMap::new();
    for (address, entry) in converted {
        let Some(resource) = live_of.get(&address) else { continue };
        let (written, content) = if address.kind == Kind::Script {
            script_body(&address, &entry.body)
        } else {
            (entry.body.clone(), None)
        };
        emitted.insert(address.clone(), (written, content));
        resources.insert(
            address.clone(),
            PulledResource {
                id: resource.id.clone(),
                desired: DesiredResource {
                    address: address.clone(),
                    body: entry.body,
                    lifecycle: Lifecycle::default(),
                    origin: None,
                },
                live: (*resource).clone(),
            },
        );
    }

    let placed: BTreeMap<Address, layout::Placed<'_>> = emitted
        .iter()
        .map(|(address, (body, content))| {
            (address.clone(), layout::Placed { body, script_content: content.as_deref() })
        })
        .collect();
    let mut files = layout::files(&placed)?;
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    for address in resources.keys() {
        *counts.entry(address.kind).or_default() += 1;
    }
    files.insert(
        PathBuf::from("README.md"),
        layout::readme(&layout::ReadmeFacts {
            selection,
            integrations: resources
                .keys()
                .filter(|address| address.kind == Kind::Integration)
                .collect(),
            counts,
            secrets: &secrets,
            outside: &outside_references,
            unmanaged: &unmanaged_ids,
            literal_pulled: &literal_pulled,
        }),
    );

    Ok(Pulled { files, resources, secrets, outside_references, unmanaged_ids, warnings })
}

/// Warns about pulled connections, scripts, exports and imports that resources outside the
/// selection use too: two specs managing one resource would both apply their changes to it.
fn shared_outside(
    live: &LiveState,
    scope: &selection::Scope,
    ids: &ManagedIds,
    warnings: &mut Vec<String>,
) {
    let mut users: BTreeMap<Address, std::collections::BTreeSet<String>> = BTreeMap::new();
    for kind in Kind::ALL {
        for resource in live.of_kind(kind).filter(|resource| !scope.contains(kind, &resource.id)) {
            let mut found = Vec::new();
            selection::collect_ids(&resource.document, &mut found);
            for text in found {
                if let Some(address) = ids.address(text)
                    && !matches!(address.kind, Kind::Flow | Kind::Integration)
                {
                    users.entry(address.clone()).or_default().insert(format!(
                        "{kind} `{}`",
                        resource.name.as_deref().unwrap_or("(no name)")
                    ));
                }
            }
        }
    }
    for (address, users) in users {
        let users: Vec<String> = users.into_iter().collect();
        warnings.push(format!(
            "`{address}` is also used by {}, which {} not pulled; if another spec manages it too, both apply their changes to it",
            users.join(", "),
            if users.len() == 1 { "is" } else { "are" }
        ));
    }
}

/// The content of a live document, normalised without references, with every id of the account
/// replaced by the kind and name of what it names and object keys sorted: the same resource
/// reads the same in every account, which orders resources of the same name.
fn identity_text(live: &LiveState, resource: &LiveResource) -> String {
    fn canonical(value: &Value, live: &LiveState, out: &mut String) {
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
            Value::Number(number) => out.push_str(&number.to_string()),
            Value::String(text) => match live.find(text) {
                Some(other) => {
                    out.push('<');
                    out.push_str(other.kind.singular());
                    out.push(':');
                    out.push_str(other.name.as_deref().unwrap_or_default());
                    out.push('>');
                }
                None => out.push_str(&serde_json::Value::String(text.clone()).to_string()),
            },
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    canonical(item, live, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Object(object) => {
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                entries.sort_by(|left, right| left.0.cmp(right.0));
                out.push('{');
                for (key, child) in entries {
                    out.push_str(&serde_json::Value::String(key.clone()).to_string());
                    out.push(':');
                    canonical(child, live, out);
                    out.push(',');
                }
                out.push('}');
            }
            // A document normalised without managed ids holds neither.
            Value::Ref(_) | Value::Lookup(_) | Value::Secret(_) => {}
        }
    }
    let normalized =
        flowform_diff::normalize_live(resource.kind, &resource.document, &ManagedIds::new());
    let mut text = String::new();
    canonical(&normalized, live, &mut text);
    text
}

/// A script's body as written: `contentFile` in place of `content`, and the content for its
/// `.js` file.
fn script_body(address: &Address, body: &Object) -> (Object, Option<String>) {
    let mut written = Object::with_capacity(body.len());
    let mut content = None;
    for (key, value) in body {
        match (key.as_str(), value) {
            ("content", Value::String(text)) => {
                written.insert(
                    "contentFile".to_owned(),
                    Value::String(layout::script_file(&address.key)),
                );
                content = Some(text.clone());
            }
            _ => {
                written.insert(key.clone(), value.clone());
            }
        }
    }
    (written, content)
}
