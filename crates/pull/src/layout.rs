//! Where each pulled resource is written, the text of every file, and the folder's README.
//!
//! ```text
//! README.md                        what was pulled, the secrets to set, the ids left literal
//! connections.yaml                 connections used by several integrations, or by none
//! scripts.yaml, scripts/KEY.js     every script, its code in a `.js` file (`contentFile`)
//! shared.yaml                      exports and imports used by flows of several integrations,
//!                                  or by no flow
//! flows/FLOW.yaml                  a flow outside any integration, with the exports and
//!                                  imports only it uses
//! INTEGRATION/integration.yaml     the integration
//! INTEGRATION/connections.yaml     connections used only inside this integration
//! INTEGRATION/shared.yaml          exports and imports used by several of its flows
//! INTEGRATION/flows/FLOW.yaml      a flow with the exports and imports only it uses
//! INTEGRATION/lookupcaches.yaml    lookup caches of the integration (`_integrationId`)
//! lookupcaches.yaml                lookup caches of no pulled integration
//! iclients.yaml                    iClients
//! filedefinitions.yaml             file definitions
//! ediprofiles.yaml                 EDI profiles
//! asynchelpers.yaml                async helpers used by several exports and imports, or none;
//!                                  one used by one export or import sits in that one's file
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use flowform_model::references::for_each_body_reference;
use flowform_model::{Address, FieldPath, Kind, Object, Segment, Value};

use crate::convert::{OutsideReference, UnmanagedId};
use crate::error::PullError;
use crate::secrets::SecretPlaceholder;
use crate::selection::Selection;

/// One resource as the layout sees it.
pub(crate) struct Placed<'a> {
    /// The body to write (a script names its `contentFile` instead of holding `content`).
    pub body: &'a Object,
    /// The script's code, for its `.js` file.
    pub script_content: Option<&'a str>,
}

/// The folder a resource's files live in: an integration's key, or the top (`None`).
type Home = Option<String>;

/// One YAML file being assembled.
#[derive(Default)]
struct FilePlan {
    header: String,
    addresses: BTreeSet<Address>,
}

/// The path of a script's code, relative to the output folder (and to `scripts.yaml`).
pub(crate) fn script_file(key: &str) -> String {
    format!("scripts/{key}.js")
}

/// The references a body holds.
fn references(body: &Object) -> BTreeSet<Address> {
    let mut found = BTreeSet::new();
    for_each_body_reference(body, &mut |_, address| {
        found.insert(address.clone());
    });
    found
}

/// The key of the pulled integration `address` belongs to (its `_integrationId`), if any.
fn pulled_integration(
    resources: &BTreeMap<Address, Placed<'_>>,
    address: &Address,
) -> Option<String> {
    match resources[address].body.get("_integrationId") {
        Some(Value::Ref(integration)) if resources.contains_key(integration) => {
            Some(integration.key.clone())
        }
        _ => None,
    }
}

/// The path of a lookup cache's data, relative to its YAML file.
pub(crate) fn data_file(key: &str) -> String {
    format!("data/{key}.json")
}

/// The rendered files by path, and the file that holds each resource.
pub(crate) type LaidOut = (BTreeMap<PathBuf, String>, BTreeMap<Address, PathBuf>);

/// Lays the resources out in files and renders them; also says which file holds each resource.
pub(crate) fn files(resources: &BTreeMap<Address, Placed<'_>>) -> Result<LaidOut, PullError> {
    // Who uses what, indexed once: accounts hold thousands of resources.
    let mut users: BTreeMap<Address, Vec<&Address>> = BTreeMap::new();
    for (user, placed) in resources {
        for used in references(placed.body) {
            if used != *user {
                users.entry(used).or_default().push(user);
            }
        }
    }
    let users_of = |target: &Address, kinds: &[Kind]| -> Vec<&Address> {
        users
            .get(target)
            .map(|users| users.iter().copied().filter(|user| kinds.contains(&user.kind)).collect())
            .unwrap_or_default()
    };

    let mut plans: BTreeMap<PathBuf, FilePlan> = BTreeMap::new();
    let mut homes: BTreeMap<&Address, Home> = BTreeMap::new();
    let add = |plans: &mut BTreeMap<PathBuf, FilePlan>,
               path: PathBuf,
               header: String,
               address: &Address| {
        let plan = plans.entry(path).or_default();
        if plan.header.is_empty() {
            plan.header = header;
        }
        plan.addresses.insert(address.clone());
    };

    for address in resources.keys().filter(|address| address.kind == Kind::Integration) {
        let key = &address.key;
        add(
            &mut plans,
            PathBuf::from(key).join("integration.yaml"),
            format!("Integration `{address}`."),
            address,
        );
        homes.insert(address, Some(key.clone()));
    }
    for address in resources.keys().filter(|address| address.kind == Kind::Flow) {
        let integration = pulled_integration(resources, address);
        let (path, header) = match &integration {
            Some(key) => (
                PathBuf::from(key).join("flows").join(format!("{}.yaml", address.key)),
                format!(
                    "Flow `{address}` of `integration.{key}`, with the exports and imports only it uses."
                ),
            ),
            None => (
                PathBuf::from("flows").join(format!("{}.yaml", address.key)),
                format!(
                    "Flow `{address}`, in no integration, with the exports and imports only it uses."
                ),
            ),
        };
        add(&mut plans, path, header, address);
        homes.insert(address, integration);
    }
    for address in
        resources.keys().filter(|address| matches!(address.kind, Kind::Export | Kind::Import))
    {
        let users = users_of(address, &[Kind::Flow]);
        let user_homes: BTreeSet<&Home> = users.iter().map(|user| &homes[user]).collect();
        let (path, header, home) = match (users.as_slice(), user_homes.len()) {
            ([flow], _) => {
                let home = homes[flow].clone();
                let path = match &home {
                    Some(key) => {
                        PathBuf::from(key).join("flows").join(format!("{}.yaml", flow.key))
                    }
                    None => PathBuf::from("flows").join(format!("{}.yaml", flow.key)),
                };
                (path, String::new(), home)
            }
            ([_, _, ..], 1) if user_homes.iter().all(|home| home.is_some()) => {
                let home = users.first().and_then(|flow| homes[flow].clone());
                let key = home.clone().unwrap_or_default();
                (
                    PathBuf::from(&key).join("shared.yaml"),
                    format!("Exports and imports used by several flows of `integration.{key}`."),
                    home,
                )
            }
            _ => (
                PathBuf::from("shared.yaml"),
                "Exports and imports used by flows of several integrations, or by no flow."
                    .to_owned(),
                None,
            ),
        };
        add(&mut plans, path, header, address);
        homes.insert(address, home);
    }
    for address in resources.keys().filter(|address| address.kind == Kind::Connection) {
        let users = users_of(address, &[Kind::Integration, Kind::Export, Kind::Import, Kind::Flow]);
        let user_homes: BTreeSet<&Home> = users.iter().map(|user| &homes[user]).collect();
        let home = match user_homes.into_iter().collect::<Vec<_>>().as_slice() {
            [Some(key)] => Some(key.clone()),
            _ => None,
        };
        let (path, header) = match &home {
            Some(key) => (
                PathBuf::from(key).join("connections.yaml"),
                format!("Connections used only inside `integration.{key}`."),
            ),
            None => (
                PathBuf::from("connections.yaml"),
                "Connections used by several integrations, or by none.".to_owned(),
            ),
        };
        add(&mut plans, path, header, address);
    }
    for address in resources.keys().filter(|address| address.kind == Kind::Script) {
        add(
            &mut plans,
            PathBuf::from("scripts.yaml"),
            "Scripts; the code of each is in `scripts/KEY.js`.".to_owned(),
            address,
        );
    }
    for address in resources.keys().filter(|address| address.kind == Kind::LookupCache) {
        let integration = pulled_integration(resources, address);
        let (path, header) = match &integration {
            Some(key) => (
                PathBuf::from(key).join("lookupcaches.yaml"),
                format!("Lookup caches of `integration.{key}`."),
            ),
            None => (PathBuf::from("lookupcaches.yaml"), "Lookup caches.".to_owned()),
        };
        add(&mut plans, path, header, address);
    }
    for (kind, file, header) in [
        (
            Kind::IClient,
            "iclients.yaml",
            "iClients: the OAuth and token apps connections borrow their credentials from.",
        ),
        (Kind::FileDefinition, "filedefinitions.yaml", "File definitions."),
        (Kind::EdiProfile, "ediprofiles.yaml", "EDI profiles."),
    ] {
        for address in resources.keys().filter(|address| address.kind == kind) {
            add(&mut plans, PathBuf::from(file), header.to_owned(), address);
        }
    }
    for address in resources.keys().filter(|address| address.kind == Kind::AsyncHelper) {
        // A helper used by one export or import sits beside it, in that one's file.
        let users = users_of(address, &[Kind::Export, Kind::Import]);
        let beside = match users.as_slice() {
            [user] => plans
                .iter()
                .find(|(_, plan)| plan.addresses.contains(*user))
                .map(|(path, _)| path.clone()),
            _ => None,
        };
        match beside {
            Some(path) => add(&mut plans, path, String::new(), address),
            None => add(
                &mut plans,
                PathBuf::from("asynchelpers.yaml"),
                "Async helpers used by several exports and imports, or by none.".to_owned(),
                address,
            ),
        }
    }

    let mut files = BTreeMap::new();
    let mut placed_in: BTreeMap<Address, PathBuf> = BTreeMap::new();
    for (path, plan) in &plans {
        for address in &plan.addresses {
            placed_in.insert(address.clone(), path.clone());
        }
    }
    for (path, plan) in plans {
        let mut sections = Object::default();
        for kind in Kind::ALL {
            let mut section = Object::default();
            for address in plan.addresses.iter().filter(|address| address.kind == kind) {
                section.insert(address.key.clone(), Value::Object(resources[address].body.clone()));
            }
            if !section.is_empty() {
                sections.insert(kind.plural().to_owned(), Value::Object(section));
            }
        }
        let header = format!("{}\nWritten by `flowform pull`; see README.md.", plan.header);
        let text = flowform_spec::spec_file(&header, &sections).map_err(|source| {
            let address = emit_error_address(&plan.addresses, &source);
            PullError::Emit { address, source }
        })?;
        files.insert(path, text);
    }
    for (address, placed) in resources {
        if let Some(content) = placed.script_content {
            files.insert(PathBuf::from(script_file(&address.key)), content.to_owned());
        }
    }
    Ok((files, placed_in))
}

/// The resource an emit error is about: the error's path starts with the section and the
/// resource key.
fn emit_error_address(addresses: &BTreeSet<Address>, error: &flowform_spec::EmitError) -> Address {
    let path: Option<FieldPath> = error.path().parse().ok();
    let found = path.and_then(|path| match path.segments() {
        [Segment::Key(section), Segment::Key(key), ..] => {
            Kind::from_plural(section).map(|kind| Address::new(kind, key.clone()))
        }
        _ => None,
    });
    found
        .filter(|address| addresses.contains(address))
        .or_else(|| addresses.first().cloned())
        .unwrap_or_else(|| Address::new(Kind::Integration, "unknown"))
}

/// What the README reports.
pub(crate) struct ReadmeFacts<'a> {
    pub selection: &'a Selection,
    /// The pulled integrations.
    pub integrations: Vec<&'a Address>,
    pub counts: BTreeMap<Kind, usize>,
    pub secrets: &'a [SecretPlaceholder],
    pub managed_secrets: &'a [(Address, flowform_model::FieldPath)],
    pub outside: &'a [OutsideReference],
    pub unmanaged: &'a [UnmanagedId],
    pub literal_pulled: &'a [(Address, String, Address)],
    /// The `data:` lookups written, with the name each finds.
    pub lookups: Vec<(String, String)>,
}

/// The README of the pulled folder.
pub(crate) fn readme(facts: &ReadmeFacts<'_>) -> String {
    let mut text = String::from("# Pulled from integrator.io\n\n");
    let what = match facts.selection {
        Selection::All => "every integration of the account".to_owned(),
        Selection::Integrations(_) => format!(
            "the integration{} {}",
            if facts.integrations.len() == 1 { "" } else { "s" },
            facts
                .integrations
                .iter()
                .map(|address| format!("`{address}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let counts: Vec<String> = Kind::ALL
        .iter()
        .filter_map(|kind| {
            let count = facts.counts.get(kind).copied().unwrap_or(0);
            (count > 0).then(|| {
                format!("{count} {}", if count == 1 { kind.singular() } else { kind.plural() })
            })
        })
        .collect();
    let _ = writeln!(
        text,
        "`flowform pull` wrote this spec from {what}: {}. The state that binds each key to its live \
         resource was written with it, so `flowform plan` right now shows no changes.\n",
        if counts.is_empty() { "nothing".to_owned() } else { counts.join(", ") }
    );
    text.push_str(
        "## Layout\n\n\
         - `INTEGRATION/integration.yaml`: an integration; `INTEGRATION/flows/FLOW.yaml`: one of its flows, with the exports and imports only that flow uses.\n\
         - `INTEGRATION/shared.yaml`: exports and imports used by several flows of the integration; `INTEGRATION/connections.yaml`: connections used only inside it.\n\
         - `shared.yaml`, `connections.yaml`: what several integrations (or nothing) use; `flows/FLOW.yaml`: flows in no integration.\n\
         - `scripts.yaml` with the code of each script in `scripts/KEY.js`.\n\
         - `INTEGRATION/lookupcaches.yaml` (or `lookupcaches.yaml`): lookup caches, the entries of each in `data/KEY.json` beside it (`dataFile`); `iclients.yaml`, `filedefinitions.yaml`, `ediprofiles.yaml`, `asynchelpers.yaml` (an async helper used by one export or import sits in its file).\n\
         - `lookups.yaml`: the agents and stacks the resources use, found by name in each account (`data:`, used as `${data.agent.KEY}`).\n\n\
         Keys are slugs of the names; ids of pulled resources are written as `${KIND.KEY}` references, \
         agents and stacks as lookups by name, flow groups by name (`flowGroups`, `flowGroup`). \
         Move resources between files freely: flowform reads every `*.yaml` file below the folder.\n\n",
    );
    text.push_str("## Secrets\n\n");
    if facts.secrets.is_empty() {
        text.push_str("No field of the pulled resources is masked; no secret needs to be set.\n\n");
    } else {
        text.push_str(
            "integrator.io never returns secret values; each masked field is written as a \
             `${secret.NAME}` placeholder. Set these environment variables before `flowform plan` \
             and `flowform apply` (in CI, from the secret store):\n\n\
             | environment variable | resource | field |\n|---|---|---|\n",
        );
        for secret in facts.secrets {
            let _ =
                writeln!(text, "| `{}` | `{}` | `{}` |", secret.name, secret.address, secret.path);
        }
        text.push_str(
            "\nflowform never saw these values in the account, so the state records them as \
             unverified: a plan lists such a secret (marked unverified) whenever it writes its \
             resource, since the write sends the value you set; the first `apply` records it as the \
             baseline, and later plans show a change of the value you set.\n\n",
        );
    }
    if !facts.managed_secrets.is_empty() {
        text.push_str(
            "## Secrets the service manages\n\n\
             integrator.io obtains these itself (an OAuth authorization in its UI, Salesforce's \
             tokens, NetSuite `token-auto`) and keeps them when a resource is written. They are not \
             written in this spec and flowform never writes them; a connection created from this \
             spec in another account must be authorized there.\n\n\
             | resource | field |\n|---|---|\n",
        );
        for (address, path) in facts.managed_secrets {
            let _ = writeln!(text, "| `{address}` | `{path}` |");
        }
        text.push('\n');
    }
    if !facts.outside.is_empty() {
        text.push_str(
            "## Ids outside the pull\n\n\
             These fields hold ids of resources that were not pulled; they are written as literal ids, \
             which do not exist in another account. Pull them too, or replace the ids with \
             `${var.NAME}` variables set per environment.\n\n\
             | resource | field | id | what it is |\n|---|---|---|---|\n",
        );
        for reference in facts.outside {
            let _ = writeln!(
                text,
                "| `{}` | `{}` | `{}` | {} |",
                reference.address,
                reference.path,
                reference.id,
                reference.description.replace('|', "\\|")
            );
        }
        text.push('\n');
    }
    if !facts.literal_pulled.is_empty() {
        text.push_str(
            "## Ids of pulled resources in free-form fields\n\n\
             These fields hold the id of a pulled resource where the spec does not take a reference \
             (free-form `settings`, or a field that points at another kind), so the literal id is \
             written; it will not match in another account.\n\n\
             | resource | field | id of |\n|---|---|---|\n",
        );
        for (address, path, target) in facts.literal_pulled {
            let _ = writeln!(text, "| `{address}` | `{path}` | `{target}` |");
        }
        text.push('\n');
    }
    if !facts.lookups.is_empty() {
        text.push_str(
            "## Lookups\n\n\
             The agents and stacks the resources use are not managed by flowform; `lookups.yaml` \
             finds each by its name in the account the spec is planned against, so the spec works \
             in another account whose agent or stack has the same name (set the name from a \
             `${var.NAME}` when it differs).\n\n\
             | lookup | finds |\n|---|---|\n",
        );
        for (address, name) in &facts.lookups {
            let _ = writeln!(text, "| `${{{address}}}` | `{}` |", name.replace('|', "\\|"));
        }
        text.push('\n');
    }
    if !facts.unmanaged.is_empty() {
        text.push_str(
            "## Ids flowform does not manage\n\n\
             These fields point at resources flowform neither manages nor can find by a unique \
             name (tools, users, HTTP connectors, an agent or stack whose name is not unique, …). \
             Their ids differ between accounts: before promoting this spec to another account, \
             replace them with `${var.NAME}` variables set in each environment file, or with a \
             `data:` lookup.\n\n\
             | resource | field | id | collection |\n|---|---|---|---|\n",
        );
        for id in facts.unmanaged {
            let _ = writeln!(
                text,
                "| `{}` | `{}` | `{}` | `{}` |",
                id.address, id.path, id.id, id.collection
            );
        }
        text.push('\n');
    }
    text.push_str(
        "## Next\n\n\
         ```sh\n\
         flowform plan            # shows no changes\n\
         echo .flowform/ >> .gitignore\n\
         git add . && git commit -m \"Pull from integrator.io\"\n\
         ```\n\n\
         The state went where `flowform pull` was told to keep it: `.flowform/state.json` in this \
         folder by default, or the account itself with \
         `--state integrator`, which is what CI pipelines share. Plan with the same `--state`.\n",
    );
    text
}
