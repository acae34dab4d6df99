//! Which live resources a pull writes.

use std::collections::{BTreeMap, BTreeSet};

use flowform_model::references::for_each_live_string;
use flowform_model::{Kind, LiveResource, LiveState, Value};

use crate::error::PullError;

/// What to pull.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Selection {
    /// Every integration, connection, script, export, import and flow of the account.
    #[default]
    All,
    /// These integrations (each given by name or id), their flows, and the connections,
    /// scripts, exports and imports those flows use, directly or through each other.
    Integrations(Vec<String>),
}

/// The ids a pull writes, by kind, and what was skipped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub ids: BTreeMap<Kind, BTreeSet<String>>,
    pub warnings: Vec<String>,
}

impl Scope {
    pub(crate) fn contains(&self, kind: Kind, id: &str) -> bool {
        self.ids.get(&kind).is_some_and(|ids| ids.contains(id))
    }

    fn insert(&mut self, kind: Kind, id: &str) -> bool {
        self.ids.entry(kind).or_default().insert(id.to_owned())
    }

    /// The pulled resources of `kind`, in id order.
    pub(crate) fn of_kind<'a>(&'a self, kind: Kind) -> impl Iterator<Item = &'a String> + 'a {
        self.ids.get(&kind).into_iter().flatten()
    }
}

/// Whether the resource belongs to an integration app (its vendor installs and upgrades it;
/// flowform cannot create it).
fn is_integration_app(resource: &LiveResource) -> bool {
    resource.document.field("_connectorId").and_then(Value::as_str).is_some_and(|id| !id.is_empty())
}

/// Resolves the selection against the account.
pub(crate) fn resolve(live: &LiveState, selection: &Selection) -> Result<Scope, PullError> {
    let mut scope = Scope::default();
    let mut skipped_apps = BTreeSet::new();
    match selection {
        Selection::All => {
            for kind in Kind::ALL {
                for resource in live.of_kind(kind) {
                    if is_integration_app(resource) {
                        skipped_apps.insert((kind, resource.id.clone(), resource.name.clone()));
                    } else {
                        scope.insert(kind, &resource.id);
                    }
                }
            }
        }
        Selection::Integrations(selectors) => {
            let integrations = pick_integrations(live, selectors)?;
            for integration in &integrations {
                if is_integration_app(integration) {
                    skipped_apps.insert((
                        Kind::Integration,
                        integration.id.clone(),
                        integration.name.clone(),
                    ));
                    continue;
                }
                scope.insert(Kind::Integration, &integration.id);
            }
            let selected: BTreeSet<String> = scope.of_kind(Kind::Integration).cloned().collect();
            let mut pending: Vec<(Kind, String)> = Vec::new();
            for flow in live.of_kind(Kind::Flow) {
                if flow.integration_id().is_some_and(|id| selected.contains(id)) {
                    if is_integration_app(flow) {
                        skipped_apps.insert((Kind::Flow, flow.id.clone(), flow.name.clone()));
                    } else if scope.insert(Kind::Flow, &flow.id) {
                        pending.push((Kind::Flow, flow.id.clone()));
                    }
                }
            }
            for id in &selected {
                pending.push((Kind::Integration, id.clone()));
            }
            // Follow ids from what is pulled into connections, scripts, exports and imports;
            // flows and integrations are pulled only when selected.
            while let Some((kind, id)) = pending.pop() {
                let Some(resource) = live.get(kind, &id) else { continue };
                let mut found = Vec::new();
                collect_ids(&resource.document, &mut found);
                for text in found {
                    let Some(target) = live.find(text) else { continue };
                    if matches!(target.kind, Kind::Flow | Kind::Integration)
                        || scope.contains(target.kind, &target.id)
                    {
                        continue;
                    }
                    let other_integration =
                        target.integration_id().is_some_and(|owner| !selected.contains(owner));
                    if other_integration {
                        // Another integration's resource: it stays a literal id, reported with
                        // the other references outside the pull.
                        continue;
                    }
                    if is_integration_app(target) {
                        skipped_apps.insert((target.kind, target.id.clone(), target.name.clone()));
                        continue;
                    }
                    scope.insert(target.kind, &target.id);
                    pending.push((target.kind, target.id.clone()));
                }
            }
        }
    }
    for (kind, id, name) in skipped_apps {
        scope.warnings.push(format!(
            "{kind} `{}` (`{id}`) belongs to an integration app, which its vendor installs and upgrades; it is not pulled",
            name.as_deref().unwrap_or("(no name)")
        ));
    }
    Ok(scope)
}

/// Every string of a document outside sample data that may be the id of another resource
/// (strings under an `_id` key, the document's own or an element's, are left out).
pub(crate) fn collect_ids<'a>(document: &'a Value, found: &mut Vec<&'a str>) {
    for_each_live_string(document, &mut |key, text| {
        if key != "_id" {
            found.push(text);
        }
    });
}

/// The integrations the selectors name: by id, else by exact name, else by name ignoring case.
fn pick_integrations<'a>(
    live: &'a LiveState,
    selectors: &[String],
) -> Result<Vec<&'a LiveResource>, PullError> {
    let mut picked: Vec<&LiveResource> = Vec::new();
    for selector in selectors {
        let by_id = live.get(Kind::Integration, selector);
        let matches: Vec<&LiveResource> = match by_id {
            Some(resource) => vec![resource],
            None => {
                let exact: Vec<&LiveResource> = live
                    .of_kind(Kind::Integration)
                    .filter(|resource| resource.name.as_deref() == Some(selector.as_str()))
                    .collect();
                if exact.is_empty() {
                    live.of_kind(Kind::Integration)
                        .filter(|resource| {
                            resource
                                .name
                                .as_deref()
                                .is_some_and(|name| name.eq_ignore_ascii_case(selector))
                        })
                        .collect()
                } else {
                    exact
                }
            }
        };
        match matches.as_slice() {
            [] => {
                // Sorted: the order of a list is the service's (by name, or by creation).
                let mut names: Vec<&str> = live
                    .of_kind(Kind::Integration)
                    .filter_map(|resource| resource.name.as_deref())
                    .collect();
                names.sort_unstable();
                return Err(PullError::UnknownIntegration {
                    selector: selector.clone(),
                    known: names
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            [one] => {
                if !picked.iter().any(|resource| resource.id == one.id) {
                    picked.push(one);
                }
            }
            several => {
                return Err(PullError::AmbiguousIntegration {
                    selector: selector.clone(),
                    ids: several
                        .iter()
                        .map(|resource| format!("`{}`", resource.id))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    }
    Ok(picked)
}
