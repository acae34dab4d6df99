//! Resolving what the spec finds in the account rather than owns, at plan time and before
//! anything is written: each `data:` lookup must find exactly one live resource (a collection
//! flowform does not manage, `/v1/agents` or `/v1/stacks`, is listed only when the spec looks
//! something up in it), and a flow whose integration the spec does not manage must name one of
//! that integration's live groups.

use std::collections::BTreeMap;

use flowform_api::Client;
use flowform_model::{
    DataLookup, DesiredState, FoundLookup, Kind, LiveState, Lookup, LookupKind, Origin, Value,
};

use crate::planner::PlanError;

/// A lookup (or a flow's group) the account cannot resolve, with where the spec wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupProblem {
    /// Where it is written (the `data:` entry's key, or the flow's key).
    pub origin: Option<Origin>,
    /// What is wrong, lowercase, values in backticks.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl std::fmt::Display for LookupProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.origin {
            Some(origin) => write!(f, "{origin}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A document a lookup can match: its id, name and the document itself.
struct Candidate<'a> {
    id: &'a str,
    name: Option<&'a str>,
    document: &'a Value,
}

/// Resolves every `data:` lookup of `desired` against the account into `live.lookups`, and
/// checks the flow groups of flows in integrations the spec does not manage. Every problem is
/// reported at once.
pub async fn resolve(
    client: &Client,
    desired: &DesiredState,
    live: &mut LiveState,
) -> Result<(), PlanError> {
    let mut problems = Vec::new();
    // Collections flowform does not manage are listed only when looked up in, all at once.
    let mut wanted: Vec<LookupKind> = desired
        .lookups
        .values()
        .map(|lookup| lookup.address.kind)
        .filter(|kind| kind.managed().is_none())
        .collect();
    wanted.sort();
    wanted.dedup();
    let lists = futures::future::try_join_all(wanted.iter().map(|kind| async move {
        client.list_collection(kind.plural()).await.map(|documents| (*kind, documents))
    }))
    .await
    .map_err(PlanError::Read)?;
    let listed: BTreeMap<LookupKind, Vec<Value>> = lists
        .into_iter()
        .map(|(kind, documents)| (kind, documents.into_iter().map(Value::from).collect()))
        .collect();

    for lookup in desired.lookups.values() {
        let candidates: Vec<Candidate<'_>> = match lookup.address.kind.managed() {
            Some(kind) => live
                .of_kind(kind)
                .map(|resource| Candidate {
                    id: &resource.id,
                    name: resource.name.as_deref(),
                    document: &resource.document,
                })
                .collect(),
            None => listed
                .get(&lookup.address.kind)
                .into_iter()
                .flatten()
                .filter_map(|document| {
                    Some(Candidate {
                        id: document.field("_id")?.as_str()?,
                        name: document.field("name").and_then(Value::as_str),
                        document,
                    })
                })
                .collect(),
        };
        match found(lookup, &candidates) {
            Ok(found) => {
                live.lookups.insert(lookup.address.clone(), found);
            }
            Err(problem) => problems.push(problem),
        }
    }

    check_unmanaged_groups(desired, live, &mut problems);
    if problems.is_empty() { Ok(()) } else { Err(PlanError::Lookups(problems)) }
}

fn found(lookup: &DataLookup, candidates: &[Candidate<'_>]) -> Result<FoundLookup, LookupProblem> {
    let matches: Vec<&Candidate<'_>> =
        candidates.iter().filter(|candidate| lookup.matches(candidate.document)).collect();
    let address = &lookup.address;
    let described = address.kind.described();
    match matches.as_slice() {
        [one] => Ok(FoundLookup {
            address: address.clone(),
            id: one.id.to_owned(),
            name: one.name.map(str::to_owned),
        }),
        [] => {
            let names: Vec<String> = candidates
                .iter()
                .filter_map(|candidate| candidate.name)
                .take(10)
                .map(|name| format!("`{name}`"))
                .collect();
            let hint = if names.is_empty() {
                format!(
                    "the account has no {}; create it there first (flowform does not manage {})",
                    address.kind.plural(),
                    address.kind.plural()
                )
            } else {
                format!(
                    "the account's {} are named {}{}; fix the criteria (or the variable they read)",
                    address.kind.plural(),
                    names.join(", "),
                    if candidates.len() > names.len() { ", …" } else { "" }
                )
            };
            Err(LookupProblem {
                origin: lookup.origin.clone(),
                message: format!(
                    "`{address}` finds no {described} with {} in the account",
                    lookup.describe()
                ),
                hint,
            })
        }
        many => Err(LookupProblem {
            origin: lookup.origin.clone(),
            message: format!(
                "`{address}` finds {} {} with {}: {}",
                many.len(),
                address.kind.plural(),
                lookup.describe(),
                many.iter()
                    .map(|candidate| format!("`{}`", candidate.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: "add a criterion that tells them apart (another field they hold, or `_id`)"
                .to_owned(),
        }),
    }
}

/// A flow whose `_integrationId` is a literal id names a group that integration must have live
/// (the spec's own integrations were checked by `validate`).
fn check_unmanaged_groups(
    desired: &DesiredState,
    live: &LiveState,
    problems: &mut Vec<LookupProblem>,
) {
    for flow in desired.of_kind(Kind::Flow) {
        let Some(Value::Lookup(Lookup::FlowGroup(name))) = flow.body.get("_flowGroupingId") else {
            continue;
        };
        let Some(Value::String(integration_id)) = flow.body.get("_integrationId") else {
            continue;
        };
        let Some(integration) = live.get(Kind::Integration, integration_id) else {
            problems.push(LookupProblem {
                origin: flow.origin.clone(),
                message: format!(
                    "`{}` names the flow group `{name}` of the integration `{integration_id}`, which the account does not have",
                    flow.address
                ),
                hint: "check the flow's `_integrationId`".to_owned(),
            });
            continue;
        };
        let names: Vec<&str> = integration
            .document
            .field("flowGroupings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|group| group.field("name").and_then(Value::as_str))
            .collect();
        if !names.contains(&name.as_str()) {
            problems.push(LookupProblem {
                origin: flow.origin.clone(),
                message: format!(
                    "`{}` names the flow group `{name}`, which the integration `{}` does not have",
                    flow.address,
                    integration.name.as_deref().unwrap_or(integration_id)
                ),
                hint: if names.is_empty() {
                    "that integration has no flow groups; flowform does not manage it, so add the group there".to_owned()
                } else {
                    format!(
                        "its groups are {}",
                        names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
                    )
                },
            });
        }
    }
}
