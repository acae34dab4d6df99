//! Resource identity: which live resource, if any, each desired address is bound to, and why.

use flowform_model::{
    Address, DesiredResource, DesiredState, Kind, LiveResource, LiveState, PlanProblem,
    ResourceState, State, Value,
};
use flowform_model::{KeyHashMap, KeyHashSet};

/// How a desired resource relates to the account.
#[derive(Debug)]
pub(crate) enum Binding<'a> {
    /// In state and live: update or no-op.
    Existing { state: &'a ResourceState, live: &'a LiveResource },
    /// A `moved` rename: the state entry at `from` takes the new address.
    Moved { from: &'a Address, state: &'a ResourceState, live: &'a LiveResource },
    /// An unmanaged live resource of the same kind and name becomes managed.
    Adopted { live: &'a LiveResource },
    /// Nothing live: create or clone.
    New,
    /// A problem prevents planning this resource.
    Blocked,
}

/// The identity decisions of a plan.
pub(crate) struct Identities<'a> {
    /// One binding per desired resource, in address order.
    pub bindings: Vec<(&'a DesiredResource, Binding<'a>)>,
    /// State addresses whose entry moves to a new address (not deleted).
    pub moved_from: KeyHashSet<&'a Address>,
    /// Warnings to show with the plan.
    pub warnings: Vec<String>,
    /// Problems that fail the plan.
    pub problems: Vec<PlanProblem>,
}

/// Decides the binding of every desired resource (PRODUCT.md §2.3 and the identity rules of the
/// diff brief): state first, then `moved` entries, then unmanaged live resources of the same kind
/// and name (adopted only when asked, never guessed), else a create or clone.
pub(crate) fn resolve<'a>(
    desired: &'a DesiredState,
    state: &'a State,
    live: &'a LiveState,
    adopt_all: bool,
) -> Identities<'a> {
    let mut resources: Vec<&DesiredResource> = desired.resources.values().collect();
    resources.sort_by(|left, right| left.address.cmp(&right.address));

    let managed_ids: KeyHashSet<&str> =
        state.resources.values().map(|resource| resource.id.as_str()).collect();
    let mut identities = Identities {
        bindings: Vec::with_capacity(resources.len()),
        moved_from: KeyHashSet::default(),
        warnings: Vec::new(),
        problems: Vec::new(),
    };
    // Ids bound so far, so a flow's `_integrationId` reference can be compared with a live one.
    let mut bound_ids: KeyHashMap<&Address, &str> =
        state.resources.iter().map(|(address, resource)| (address, resource.id.as_str())).collect();
    // Unmanaged live ids claimed by adoptions, to refuse two addresses adopting one resource.
    let mut adopted_by: KeyHashMap<&str, Vec<&Address>> = KeyHashMap::default();

    for resource in resources {
        let address = &resource.address;
        if let Some(resource_state) = state.get(address) {
            if let Some(live_resource) = live.get(address.kind, &resource_state.id) {
                identities.bindings.push((
                    resource,
                    Binding::Existing { state: resource_state, live: live_resource },
                ));
                continue;
            }
            identities.warnings.push(format!(
                "`{address}` (`{}`) is in state but no longer exists in the account (deleted outside flowform); it will be created again",
                resource_state.id
            ));
        } else if let Some(binding) = resolve_move(resource, desired, state, live, &mut identities)
        {
            if let Binding::Moved { from, state: from_state, .. } = &binding {
                identities.moved_from.insert(*from);
                bound_ids.insert(address, from_state.id.as_str());
            }
            identities.bindings.push((resource, binding));
            continue;
        }

        let candidates = same_name_candidates(resource, live, &managed_ids, &bound_ids);
        let pending = state.pending.iter().find(|pending| pending.address == *address);
        let recovered: Vec<&LiveResource> = match pending {
            Some(pending) => candidates
                .iter()
                .copied()
                .filter(|candidate| {
                    candidate
                        .created_at
                        .as_deref()
                        .is_some_and(|created| created >= pending.started_at.as_str())
                })
                .collect(),
            None => Vec::new(),
        };
        let wants_adopt = adopt_all || resource.lifecycle.adopt;
        let binding = match candidates.as_slice() {
            [] => Binding::New,
            [only] if wants_adopt || recovered.len() == 1 => {
                if !wants_adopt {
                    identities.warnings.push(format!(
                        "`{address}`: an earlier create got no answer, and live {} `{}` (`{}`) was created after it was sent; flowform records it instead of creating a duplicate",
                        address.kind,
                        only.name.as_deref().unwrap_or(""),
                        only.id
                    ));
                }
                adopted_by.entry(only.id.as_str()).or_default().push(address);
                bound_ids.insert(address, only.id.as_str());
                Binding::Adopted { live: only }
            }
            [only] => {
                identities.problems.push(duplicate_problem(resource, only));
                Binding::Blocked
            }
            several => {
                let ids: Vec<String> =
                    several.iter().map(|candidate| format!("`{}`", candidate.id)).collect();
                identities.problems.push(PlanProblem {
                    path: None,
                    origin: None,
                    address: address.clone(),
                    message: format!(
                        "`{address}` is not in state and {} live {}s share its name `{}`{}: {}; flowform never guesses which one to adopt",
                        several.len(),
                        address.kind,
                        resource.name().unwrap_or_default(),
                        if address.kind == Kind::Flow { " in the same integration" } else { "" },
                        ids.join(", ")
                    ),
                    hint: Some(format!(
                        "bind the right one with `flowform import {address} ID`, or rename the others in the account"
                    )),
                });
                Binding::Blocked
            }
        };
        identities.bindings.push((resource, binding));
    }

    // Two addresses adopting one live resource would share it: refuse both.
    for (id, addresses) in adopted_by {
        if addresses.len() < 2 {
            continue;
        }
        let names: Vec<String> = addresses.iter().map(|address| format!("`{address}`")).collect();
        for (resource, binding) in identities.bindings.iter_mut() {
            if addresses.contains(&&resource.address) {
                *binding = Binding::Blocked;
                identities.problems.push(PlanProblem {
                    path: None,
                    origin: None,
                    address: resource.address.clone(),
                    message: format!(
                        "live {} `{id}` would be adopted by {}; flowform never binds one live resource to two addresses",
                        resource.address.kind,
                        names.join(" and ")
                    ),
                    hint: Some("give the resources distinct names, or bind one with `flowform import ADDR ID`".to_owned()),
                });
            }
        }
    }
    // A create whose outcome was never recorded, for an address that has left the spec: the
    // resource may exist, unmanaged (flowform never touches it), and only a person can tell.
    for pending in state.pending.iter().filter(|pending| desired.get(&pending.address).is_none()) {
        identities.warnings.push(format!(
            "`{}`: a create sent at {} got no answer and the address has left the spec; a live {} named `{}` created since then may exist, unmanaged (flowform never touches it): check the account, and delete it there or put it back in the spec and bind it with `flowform import`; the next apply forgets this record",
            pending.address, pending.started_at, pending.kind, pending.name
        ));
    }
    if let Some(problem) = nothing_bound_exists(desired, state, live) {
        identities.problems.push(problem);
    }
    identities.problems.sort_by(|left, right| left.address.cmp(&right.address));
    identities
}

/// The fewest resources a state must bind (and the spec still declare) for "none of them
/// exists" to read as another environment rather than a resource or two deleted by hand.
const ENVIRONMENT_GUARD_MINIMUM: usize = 2;

/// A state used against another environment (or account) than the one it was written for: the
/// state binds resources the spec still declares and not one of them exists in the account.
/// The binding names the environment when the API says which one a token is for; when it does
/// not (tokens of one user in two environments may look alike), this refuses the plan that
/// would create every resource again and rebind the state to the copies.
fn nothing_bound_exists(
    desired: &DesiredState,
    state: &State,
    live: &LiveState,
) -> Option<PlanProblem> {
    let bound: Vec<(&Address, &ResourceState)> = state
        .resources
        .iter()
        .filter(|(address, _)| desired.resources.contains_key(*address))
        .collect();
    if bound.len() < ENVIRONMENT_GUARD_MINIMUM
        || bound.iter().any(|(address, resource)| live.get(address.kind, &resource.id).is_some())
    {
        return None;
    }
    let named: Vec<String> = bound
        .iter()
        .take(3)
        .map(|(address, resource)| format!("`{address}` (`{}`)", resource.id))
        .collect();
    let more =
        if bound.len() > 3 { format!(" and {} more", bound.len() - 3) } else { String::new() };
    Some(PlanProblem {
        path: None,
        origin: None,
        address: bound[0].0.clone(),
        message: format!(
            "none of the {} resources the state binds exists in this account ({}{more}): the state may belong to another environment or account, or everything was deleted outside flowform; flowform will not create them all again over it",
            bound.len(),
            named.join(", ")
        ),
        hint: Some(
            "check `--state`, the token and the endpoint; if the resources were deleted on purpose, forget them with `flowform state rm ADDRESS…` and plan again".to_owned(),
        ),
    })
}

fn duplicate_problem(resource: &DesiredResource, live: &LiveResource) -> PlanProblem {
    let address = &resource.address;
    PlanProblem {
        path: None,
        origin: None,
        address: address.clone(),
        message: format!(
            "`{address}` is not in state, but live {} `{}` (`{}`) has the same name{}; creating it would make a second copy",
            address.kind,
            live.name.as_deref().unwrap_or_default(),
            live.id,
            if address.kind == Kind::Flow { " in the same integration" } else { "" }
        ),
        hint: Some(format!(
            "adopt it with `lifecycle.adopt: true` (or `--adopt`), or bind it with `flowform import {address} {}`",
            live.id
        )),
    }
}

/// Follows `moved` entries backwards from the resource's address to a state entry.
fn resolve_move<'a>(
    resource: &'a DesiredResource,
    desired: &'a DesiredState,
    state: &'a State,
    live: &'a LiveState,
    identities: &mut Identities<'a>,
) -> Option<Binding<'a>> {
    let mut target = &resource.address;
    let mut visited: KeyHashSet<&Address> = KeyHashSet::default();
    while visited.insert(target) {
        let entry = desired.moved.iter().find(|moved| moved.to == *target)?;
        let from = &entry.from;
        if from.kind != resource.address.kind {
            identities.problems.push(PlanProblem {
                path: None,
                origin: None,
                address: resource.address.clone(),
                message: format!("`moved` from `{from}` to `{}` changes the kind", entry.to),
                hint: Some("a move keeps the kind; delete and create instead".to_owned()),
            });
            return Some(Binding::Blocked);
        }
        if desired.resources.contains_key(from) {
            identities.problems.push(PlanProblem {
                path: None,
                origin: None,
                address: resource.address.clone(),
                message: format!(
                    "`moved` from `{from}` to `{}`, but `{from}` is still declared in the spec",
                    entry.to
                ),
                hint: Some(format!("remove `{from}` from the spec, or remove the `moved` entry")),
            });
            return Some(Binding::Blocked);
        }
        if let Some(from_state) = state.get(from) {
            return match live.get(from.kind, &from_state.id) {
                Some(live_resource) => {
                    Some(Binding::Moved { from, state: from_state, live: live_resource })
                }
                None => {
                    identities.warnings.push(format!(
                        "`{}` was moved from `{from}`, whose live resource (`{}`) no longer exists; it will be created",
                        resource.address, from_state.id
                    ));
                    None
                }
            };
        }
        target = from;
    }
    None
}

/// Unmanaged live resources of the resource's kind with the same name that the spec may claim:
/// never a resource of an integration app (`_connectorId`: the app owns it, and adopting it
/// would hand it to the spec), and never one of another integration than the one the spec puts
/// the resource in (the desired `_integrationId` resolved through the ids bound so far; a new
/// integration holds no live resource yet). Flows always belong to an integration, so a flow's
/// candidate must be of the same one; other kinds (connections, lookup caches, async helpers)
/// may stand in no integration, and such a live resource is still a candidate (main's guard of
/// the kinds of issue 16).
fn same_name_candidates<'a>(
    resource: &DesiredResource,
    live: &'a LiveState,
    managed_ids: &KeyHashSet<&str>,
    bound_ids: &KeyHashMap<&Address, &str>,
) -> Vec<&'a LiveResource> {
    let Some(name) = resource.name() else {
        return Vec::new();
    };
    /// The integration the spec puts the resource in.
    enum Wanted {
        /// None, or not an integration of the spec's bound ids.
        None,
        /// One the spec creates in this plan.
        New,
        /// A live one.
        Id(String),
    }
    let wanted = if resource.kind() == Kind::Integration {
        Wanted::None
    } else {
        match resource.body.get("_integrationId") {
            Some(Value::Ref(address)) => match bound_ids.get(address) {
                Some(id) => Wanted::Id((*id).to_owned()),
                None => Wanted::New,
            },
            Some(Value::String(id)) if !id.is_empty() => Wanted::Id(id.clone()),
            _ => Wanted::None,
        }
    };
    let is_flow = resource.kind() == Kind::Flow;
    live.of_kind(resource.kind())
        .filter(|candidate| !managed_ids.contains(candidate.id.as_str()))
        .filter(|candidate| candidate.name.as_deref() == Some(name))
        .filter(|candidate| !belongs_to_an_integration_app(candidate))
        .filter(|candidate| {
            let theirs = candidate.integration_id().filter(|id| !id.is_empty());
            match (&wanted, theirs) {
                // A flow's name is unique only within its integration.
                (Wanted::New, _) if is_flow => false,
                (Wanted::Id(expected), theirs) if is_flow => theirs == Some(expected.as_str()),
                (_, None) => true,
                (Wanted::Id(expected), Some(theirs)) => theirs == expected,
                (Wanted::None | Wanted::New, Some(_)) => false,
            }
        })
        .collect()
}

/// Whether a live resource belongs to an integration app (it carries a `_connectorId`).
fn belongs_to_an_integration_app(candidate: &LiveResource) -> bool {
    candidate
        .document
        .field("_connectorId")
        .is_some_and(|id| !id.is_absent() && id.as_str() != Some(""))
}
