//! Literal ids checked against the account before anything is written: a spec that names a
//! resource of a kind flowform lists (integrations, connections, iClients, scripts, file
//! definitions, EDI profiles, lookup caches, exports, imports, async helpers, flows) by a
//! literal id the account does not hold would fail halfway through an apply (the service
//! refuses the write with `invalid_ref`, after the steps before it ran). The plan fails
//! instead, naming the resource and the field (the CLI adds the file and line).
//!
//! Not checked here, on purpose:
//! - `${data.KIND.KEY}` lookups: the planner resolves each against the listing before the diff
//!   and refuses one that finds no resource or more than one (`flowform_exec`'s lookups), so
//!   what reaches the diff is an id found in the account;
//! - flow groups (`_flowGroupingId`): a spec names a group by name (`flowGroup`), checked
//!   against its integration's groups; a literal group id is not an id of a listed kind;
//! - a literal `_agentId` or `_stackId`: agents and stacks are listed only when a `data:` lookup
//!   names them, so no listing holds the id to check it against. The checked way to name one is
//!   a lookup by name (`${data.agent.KEY}`), which `pull` writes; a literal one is sent as
//!   written and a wrong one is refused by the service when written (README, literal ids).

use flowform_model::fields::RefTarget;
use flowform_model::references::{IdField, for_each_id_field};
use flowform_model::{
    Address, DesiredResource, DesiredState, FieldPath, Kind, LiveState, PlanProblem, RefOrId,
};

/// Whether `text` has the shape of an id (24 hexadecimal digits).
fn is_literal_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Subtrees the spec reads as free-form (settings, sample data), where an id field is not one.
fn is_free_form(path: &FieldPath) -> bool {
    matches!(path.first_key(), Some("settings" | "settingsForm"))
}

/// A problem for every literal id of a managed kind the account does not hold.
pub(crate) fn missing_literal_ids(desired: &DesiredState, live: &LiveState) -> Vec<PlanProblem> {
    let mut problems = Vec::new();
    for resource in desired.resources.values() {
        for_each_id_field(&resource.body, &mut |site, field| {
            // A field the model marks as naming a collection it does not reference through
            // `${…}` (an export's `_postParseListenerId`) still names one of the listed kinds.
            let target = match field {
                IdField::Text(_, RefTarget::Managed(kind)) => Some(kind),
                IdField::Text(_, RefTarget::Unmanaged(collection)) => Kind::from_plural(collection),
                IdField::Ref(_) | IdField::Lookup(_) => None,
            };
            if let (IdField::Text(text, _), Some(kind)) = (field, target)
                && is_literal_id(text)
                && live.get(kind, text).is_none()
            {
                let path = site.to_path();
                if !is_free_form(&path) {
                    problems.push(problem(resource, path, kind, text, live));
                }
            }
        });
        let lifecycle = &resource.lifecycle;
        if let Some(RefOrId::Id(id)) = &lifecycle.clone_from
            && live.get(resource.kind(), id).is_none()
        {
            let path = FieldPath::from_keys(["lifecycle", "cloneFrom"]);
            problems.push(problem(resource, path, resource.kind(), id, live));
        }
        for (source, target) in lifecycle.connection_map.iter().flatten() {
            for side in [source, target] {
                if let RefOrId::Id(id) = side
                    && live.get(Kind::Connection, id).is_none()
                {
                    let path = FieldPath::from_keys(["lifecycle", "connectionMap"]);
                    problems.push(problem(resource, path, Kind::Connection, id, live));
                }
            }
        }
    }
    problems
}

fn problem(
    resource: &DesiredResource,
    path: FieldPath,
    kind: Kind,
    id: &str,
    live: &LiveState,
) -> PlanProblem {
    let address: &Address = &resource.address;
    let what = match live.find(id) {
        Some(other) => format!(
            "the id of {} `{}`, not of {}",
            other.kind,
            other.name.as_deref().unwrap_or("(no name)"),
            with_article(kind)
        ),
        None => format!("no {kind} of the account has it"),
    };
    PlanProblem {
        address: address.clone(),
        message: format!("`{address}` `{path}` names {kind} `{id}`, and {what}"),
        hint: Some(format!(
            "write a reference to a resource of the spec (`${{{}.KEY}}`), or the id of {} that exists in this account",
            kind.singular(),
            with_article(kind)
        )),
        path: Some(path),
        origin: resource.origin.clone(),
    }
}

fn with_article(kind: Kind) -> String {
    match kind {
        Kind::Integration | Kind::Export | Kind::Import => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}
