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
use std::sync::Arc;

use indexmap::IndexMap;

use flowform_api::Client;
use flowform_diff::{ManagedIds, live_baseline, record_applied};
use flowform_model::{
    Address, DataAddress, DataLookup, DesiredResource, Kind, Lifecycle, LiveResource, LiveState,
    Lookup, LookupKind, Object, ResourceState, SecretValue, State, UNKNOWN_FINGERPRINT, Value,
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
    /// Secrets the service obtains and keeps itself (an OAuth authorization, NetSuite
    /// token-auto), by resource and path: not written (no placeholder), listed in the README.
    pub managed_secrets: Vec<(Address, flowform_model::FieldPath)>,
    /// Things the user should know (each also explained in `README.md` where it applies).
    pub warnings: Vec<String>,
    /// The `data:` lookups written (`lookups.yaml`): agents and stacks found by name.
    pub lookups: IndexMap<DataAddress, DataLookup>,
    /// Lookup caches' data files: where each goes, and where [`pull`] staged its entries.
    pub data_files: Vec<PulledData>,
    /// Keeps the staged data files until the pull is written.
    pub staging: Option<Arc<tempfile::TempDir>>,
}

/// A lookup cache's data file of a pull.
#[derive(Debug, Clone)]
pub struct PulledData {
    /// The cache.
    pub address: Address,
    /// The file, relative to the output folder.
    pub path: PathBuf,
    /// The entries, staged by [`pull`] (read page by page, written as they came).
    pub staged: PathBuf,
}

/// What a pull reads besides the lists of the kinds flowform manages.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Agents and stacks (as their lists return them), read when a pulled resource names one:
    /// each with a unique name becomes a `data:` lookup by that name.
    pub lookup_only: BTreeMap<LookupKind, Vec<serde_json::Value>>,
    /// Each lookup cache's entries, staged in a `.json` file: cache id → file. A cache with
    /// staged data gets `dataFile`; one without keeps its data unmanaged.
    pub data: BTreeMap<String, PathBuf>,
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

    // Agents and stacks are listed only when a pulled resource names one.
    let mut extras = Extras::default();
    let mut named: std::collections::BTreeSet<LookupKind> = std::collections::BTreeSet::new();
    for kind in Kind::ALL {
        for resource in scope.of_kind(kind).filter_map(|id| live.get(kind, id)) {
            flowform_model::references::for_each_live_string(&resource.document, &mut |key, _| {
                match key {
                    "_agentId" => {
                        named.insert(LookupKind::Agent);
                    }
                    "_stackId" => {
                        named.insert(LookupKind::Stack);
                    }
                    _ => {}
                }
            });
        }
    }
    for kind in named {
        let documents = client
            .list_collection(kind.plural())
            .await
            .map_err(|error| PullError::Read(Box::new(error)))?;
        extras.lookup_only.insert(kind, documents);
    }

    // Each pulled lookup cache's entries, page by page into a staged file.
    let caches: Vec<String> = scope.of_kind(Kind::LookupCache).cloned().collect();
    let mut staging = None;
    if !caches.is_empty() {
        let directory = tempfile::Builder::new()
            .prefix("flowform-pull-data-")
            .tempdir()
            .map_err(|error| PullError::Stage(error.to_string()))?;
        for id in caches {
            let path = directory.path().join(format!("{id}.json"));
            stage_data(client, &id, &path).await?;
            extras.data.insert(id, path);
        }
        staging = Some(Arc::new(directory));
    }
    let mut pulled = build_with(&live, &extras, selection, options)?;
    pulled.staging = staging;
    Ok(pulled)
}

/// Writes a cache's entries into `path` as one JSON object, an entry per line, as the pages
/// come (never the whole cache in memory).
async fn stage_data(client: &Client, id: &str, path: &std::path::Path) -> Result<(), PullError> {
    use std::io::Write as _;
    let failed = |error: std::io::Error| PullError::Stage(error.to_string());
    let mut out = std::io::BufWriter::new(fs_err::File::create(path).map_err(failed)?);
    out.write_all(b"{").map_err(failed)?;
    let mut first = true;
    let mut page = None;
    loop {
        let current = client
            .lookup_data_page(id, page.as_deref())
            .await
            .map_err(|error| PullError::Read(Box::new(error)))?;
        for (key, value) in &current.entries {
            let key =
                serde_json::to_string(key).map_err(|error| PullError::Stage(error.to_string()))?;
            let value = serde_json::to_string(value)
                .map_err(|error| PullError::Stage(error.to_string()))?;
            write!(out, "{}\n  {key}: {value}", if first { "" } else { "," }).map_err(failed)?;
            first = false;
        }
        match current.next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    out.write_all(if first { b"}\n" } else { b"\n}\n" }).map_err(failed)?;
    out.flush().map_err(failed)?;
    Ok(())
}

/// Builds the pull from what was read of the account. Pure: the same `live` always gives the
/// same result. Script documents must hold their `content` (lists omit it; [`pull`] reads each
/// script by id). Without [`Extras`]: agents and stacks stay literal ids, and lookup caches'
/// data is not pulled.
pub fn build(
    live: &LiveState,
    selection: &Selection,
    options: &PullOptions<'_>,
) -> Result<Pulled, PullError> {
    build_with(live, &Extras::default(), selection, options)
}

/// [`build`] with what [`pull`] reads besides the lists: agents and stacks become `data:`
/// lookups by name, staged lookup cache data becomes `dataFile`s.
pub fn build_with(
    live: &LiveState,
    extras: &Extras,
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
    // Flow groups of the pulled integrations read as names; agents and stacks of a unique name
    // as lookups (only those a pulled resource uses are written).
    for (address, resource) in &live_of {
        if address.kind != Kind::Integration {
            continue;
        }
        for group in
            resource.document.field("flowGroupings").and_then(Value::as_array).into_iter().flatten()
        {
            if let (Some(id), Some(name)) = (
                group.field("_id").and_then(Value::as_str),
                group.field("name").and_then(Value::as_str),
            ) {
                ids.insert_lookup(id, Lookup::FlowGroup(name.to_owned()));
            }
        }
    }
    let candidate_lookups = lookup_candidates(extras);
    for (id, lookup) in &candidate_lookups {
        ids.insert_lookup(id.clone(), Lookup::Data(lookup.address.clone()));
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

    let managed_secrets: Vec<(Address, flowform_model::FieldPath)> = converted
        .iter()
        .flat_map(|(address, entry)| {
            entry.managed.iter().map(|path| (address.clone(), path.clone()))
        })
        .collect();
    if !managed_secrets.is_empty() {
        let connections: std::collections::BTreeSet<&Address> =
            managed_secrets.iter().map(|(address, _)| address).collect();
        warnings.push(format!(
            "{} secret{} of {} the service obtains and keeps itself (an OAuth authorization, NetSuite token-auto) {} not written and need no environment variable; README.md lists them",
            managed_secrets.len(),
            if managed_secrets.len() == 1 { "" } else { "s" },
            connections.iter().map(|address| format!("`{address}`")).collect::<Vec<_>>().join(", "),
            if managed_secrets.len() == 1 { "is" } else { "are" },
        ));
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
    let mut used_lookups: std::collections::BTreeSet<DataAddress> = Default::default();
    for (address, mut entry) in converted {
        let Some(resource) = live_of.get(&address) else { continue };
        collect_lookups(&entry.body, &mut used_lookups);
        if address.kind == Kind::Integration {
            strip_group_ids(&address, &mut entry.body, &mut warnings);
        }
        let (mut written, content) = if address.kind == Kind::Script {
            script_body(&address, &entry.body)
        } else {
            (entry.body.clone(), None)
        };
        written = groups_by_name(written);
        if address.kind == Kind::LookupCache && extras.data.contains_key(&resource.id) {
            written.insert("dataFile".to_owned(), Value::String(layout::data_file(&address.key)));
        }
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
    let (mut files, placed_in) = layout::files(&placed)?;
    let mut data_files = Vec::new();
    for (address, resource) in &resources {
        if address.kind != Kind::LookupCache {
            continue;
        }
        let Some(staged) = extras.data.get(&resource.id) else { continue };
        let directory = placed_in
            .get(address)
            .and_then(|file| file.parent())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        data_files.push(PulledData {
            address: address.clone(),
            path: directory.join(layout::data_file(&address.key)),
            staged: staged.clone(),
        });
    }
    let lookups: IndexMap<DataAddress, DataLookup> = candidate_lookups
        .into_iter()
        .filter(|(_, lookup)| used_lookups.contains(&lookup.address))
        .map(|(_, lookup)| (lookup.address.clone(), lookup))
        .collect();
    if !lookups.is_empty() {
        files.insert(PathBuf::from("lookups.yaml"), lookups_file(&lookups)?);
    }
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
            managed_secrets: &managed_secrets,
            outside: &outside_references,
            unmanaged: &unmanaged_ids,
            literal_pulled: &literal_pulled,
            lookups: lookups
                .values()
                .map(|lookup| {
                    let name = lookup
                        .criteria
                        .iter()
                        .find(|(field, _)| field == "name")
                        .and_then(|(_, value)| value.as_str())
                        .unwrap_or_default()
                        .to_owned();
                    (lookup.address.to_string(), name)
                })
                .collect(),
        }),
    );

    Ok(Pulled {
        files,
        resources,
        secrets,
        outside_references,
        unmanaged_ids,
        managed_secrets,
        warnings,
        lookups,
        data_files,
        staging: None,
    })
}

/// The agents and stacks that can be found by name (their name is unique in the account), as
/// `data:` lookups keyed by the slug of the name, by their live id.
fn lookup_candidates(extras: &Extras) -> Vec<(String, DataLookup)> {
    let mut found = Vec::new();
    for (kind, documents) in &extras.lookup_only {
        let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for document in documents {
            if let (Some(id), Some(name)) = (
                document.get("_id").and_then(serde_json::Value::as_str),
                document.get("name").and_then(serde_json::Value::as_str),
            ) {
                by_name.entry(name).or_default().push(id);
            }
        }
        let mut taken: std::collections::BTreeSet<String> = Default::default();
        for (name, ids) in by_name {
            let [id] = ids.as_slice() else { continue };
            let mut base = keys::slug(name);
            if base.is_empty() {
                base = kind.singular().to_owned();
            }
            let mut key = base.clone();
            let mut number = 2;
            while !taken.insert(key.clone()) {
                key = format!("{base}-{number}");
                number += 1;
            }
            found.push((
                (*id).to_owned(),
                DataLookup {
                    address: DataAddress::new(*kind, key),
                    criteria: vec![("name".to_owned(), Value::String(name.to_owned()))],
                    origin: None,
                },
            ));
        }
    }
    found
}

/// Every `${data.…}` a body holds.
fn collect_lookups(body: &Object, found: &mut std::collections::BTreeSet<DataAddress>) {
    flowform_model::references::for_each_id_field(body, &mut |_, field| {
        if let flowform_model::references::IdField::Lookup(Lookup::Data(address)) = field {
            found.insert(address.clone());
        }
    });
}

/// An integration's groups as the spec holds them: names only (`_id`s are the service's).
fn strip_group_ids(address: &Address, body: &mut Object, warnings: &mut Vec<String>) {
    let Some(Value::Array(groups)) = body.get_mut("flowGroupings") else { return };
    for group in groups.iter_mut() {
        if let Value::Object(group) = group {
            group.shift_remove("_id");
            let extra: Vec<String> = group.keys().filter(|key| *key != "name").cloned().collect();
            for key in extra {
                group.shift_remove(&key);
                warnings.push(format!(
                    "`{address}` has a flow group with a field `{key}`, which a spec cannot write; it is left out"
                ));
            }
        }
    }
}

/// A body as written: an integration's `flowGroupings` as `flowGroups: [NAME, …]`, a flow's
/// `_flowGroupingId` as `flowGroup: NAME`.
fn groups_by_name(body: Object) -> Object {
    body.into_iter()
        .map(|(key, value)| match (key.as_str(), value) {
            ("flowGroupings", Value::Array(groups)) => (
                "flowGroups".to_owned(),
                Value::Array(
                    groups
                        .into_iter()
                        .map(|group| group.field("name").cloned().unwrap_or(Value::Null))
                        .collect(),
                ),
            ),
            ("_flowGroupingId", Value::Lookup(Lookup::FlowGroup(name))) => {
                ("flowGroup".to_owned(), Value::String(name))
            }
            (_, value) => (key, value),
        })
        .collect()
}

/// `lookups.yaml`: the `data:` section.
fn lookups_file(lookups: &IndexMap<DataAddress, DataLookup>) -> Result<String, PullError> {
    let mut kinds: BTreeMap<LookupKind, Object> = BTreeMap::new();
    for lookup in lookups.values() {
        let criteria: Object = lookup.criteria.iter().cloned().collect();
        kinds
            .entry(lookup.address.kind)
            .or_default()
            .insert(lookup.address.key.clone(), Value::Object(criteria));
    }
    let mut data = Object::default();
    for (kind, entries) in kinds {
        data.insert(kind.plural().to_owned(), Value::Object(entries));
    }
    let mut sections = Object::default();
    sections.insert("data".to_owned(), Value::Object(data));
    let header = "Agents and stacks the resources use, found by name in the account \
                  (`${data.agent.KEY}`); flowform does not manage them.\nWritten by \
                  `flowform pull`; see README.md.";
    flowform_spec::spec_file(header, &sections).map_err(|source| PullError::Emit {
        address: Address::new(Kind::Integration, "lookups"),
        source,
    })
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
    let mut written = Object::with_capacity_and_hasher(body.len(), flowform_model::KeyHasher);
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
