//! Blast radius: the flows that use a changed connection, export, import or script.

use flowform_model::{KeyHashMap, KeyHashSet};
use std::collections::VecDeque;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Scope;

use flowform_model::references::for_each_live_string;
use flowform_model::{Action, Address, Change, Kind, LiveResource, LiveState};

use crate::normalize::ManagedIds;

/// Whether a change of this kind and action puts the flows using the resource at risk.
pub(crate) fn needs_blast_radius(change: &Change) -> bool {
    matches!(change.kind(), Kind::Connection | Kind::Export | Kind::Import | Kind::Script)
        && match &change.action {
            Action::Update { .. } => true,
            Action::Move { fields, .. } | Action::Adopt { fields, .. } => !fields.is_empty(),
            _ => false,
        }
}

/// Kinds through which a flow uses a resource: a flow uses an export's connection and an
/// import's hook script, but not the connections of another flow it chains to, nor everything an
/// integration's aliases name.
fn passes_use(kind: Kind) -> bool {
    matches!(kind, Kind::Connection | Kind::Export | Kind::Import | Kind::Script)
}

/// Fills `used_by` of every changed connection, export, import and script with the managed
/// flows that use it, directly or through exports, imports and scripts: from the spec's
/// references, and from the live documents (which also find managed flows that use it through
/// resources flowform does not manage). Unmanaged live flows that use it are named in a warning.
///
/// `found` is [`LiveUses`]'s result when the plan started it; otherwise the uses are read here.
pub(crate) fn fill_used_by<'live>(
    changes: &mut [Change],
    found: Option<LiveReferrers<'live>>,
    live: &'live LiveState,
    ids: &ManagedIds,
    warnings: &mut Vec<String>,
) {
    if !changes.iter().any(needs_blast_radius) {
        return;
    }
    // The spec's references, as the changes already hold them (`depends_on` of every change that
    // is not a delete lists exactly the addresses its resource references), as sorted pairs
    // (target, referrer) of positions in `changes`: a plan of 10,000 resources holds tens of
    // thousands of references, and sorting them as pairs of addresses (natural order) was most
    // of this function's time. A target no change has is never looked up, so it is left out.
    let position: KeyHashMap<&Address, usize> =
        changes.iter().enumerate().map(|(index, change)| (&change.address, index)).collect();
    let mut desired_referrers: Vec<(usize, usize)> = changes
        .iter()
        .enumerate()
        .filter(|(_, change)| !matches!(change.action, Action::Delete { .. }))
        .flat_map(|(index, change)| {
            let position = &position;
            change.waits_for().filter_map(move |target| Some((*position.get(target)?, index)))
        })
        .collect();
    desired_referrers.sort_unstable();
    let live_referrers = found.unwrap_or_else(|| live_referrers(live));

    // Set on the changes once the walk, which reads them (and `position` borrows), is done.
    let mut found: Vec<(usize, Vec<Address>, Option<String>)> = Vec::new();
    let mut seen: KeyHashSet<usize> = KeyHashSet::default();
    for (index, change) in changes.iter().enumerate() {
        if !needs_blast_radius(change) {
            continue;
        }
        let mut used_by: Vec<Address> = Vec::new();
        seen.clear();
        let start = position.get(&change.address).copied().unwrap_or(index);
        let mut queue: VecDeque<usize> = VecDeque::from([start]);
        while let Some(target) = queue.pop_front() {
            for &referrer in referrers_of(&desired_referrers, &target) {
                if !seen.insert(referrer) {
                    continue;
                }
                let address = &changes[referrer].address;
                if address.kind == Kind::Flow {
                    used_by.push(address.clone());
                } else if passes_use(address.kind) {
                    queue.push_back(referrer);
                }
            }
        }

        let mut unmanaged: Vec<String> = Vec::new();
        if let Some(id) = change.id() {
            let mut seen_ids: KeyHashSet<&str> = KeyHashSet::default();
            let mut queue: VecDeque<&str> = VecDeque::from([id]);
            while let Some(target) = queue.pop_front() {
                for referrer in referrers_of(&live_referrers, &target) {
                    if !seen_ids.insert(referrer.id.as_str()) {
                        continue;
                    }
                    if referrer.kind == Kind::Flow {
                        match ids.address(&referrer.id) {
                            Some(address) => used_by.push(address.clone()),
                            None => unmanaged.push(format!(
                                "`{}` (`{}`)",
                                referrer.name.as_deref().unwrap_or("unnamed"),
                                referrer.id
                            )),
                        }
                    } else if passes_use(referrer.kind) {
                        queue.push_back(referrer.id.as_str());
                    }
                }
            }
        }
        used_by.sort();
        used_by.dedup();
        let warning = (!unmanaged.is_empty()).then(|| {
            unmanaged.sort();
            unmanaged.dedup();
            format!(
                "`{}` is also used by flows flowform does not manage: {}",
                change.address,
                unmanaged.join(", ")
            )
        });
        found.push((index, used_by, warning));
    }
    for (index, used_by, warning) in found {
        changes[index].used_by = used_by;
        warnings.extend(warning);
    }
}

/// Keys whose value is the id of something a flow uses (a connection, export, import or script).
/// Other references (`_integrationId`, `_flowId`, `_runNextFlowIds`) are not use: a flow does not
/// use what the next flow in a chain uses.
const USE_KEYS: [&str; 7] = [
    "_connectionId",
    "_borrowConcurrencyFromConnectionId",
    "_newConnectionId",
    "_exportId",
    "_keepDeltaBehindExportId",
    "_importId",
    "_scriptId",
];

/// The referrers of `target` in pairs (target, referrer) sorted by target.
fn referrers_of<'a, K: Ord, R>(pairs: &'a [(K, R)], target: &K) -> impl Iterator<Item = &'a R> {
    let start = pairs.partition_point(|(other, _)| other < target);
    pairs[start..]
        .iter()
        .take_while(move |(other, _)| other == target)
        .map(|(_, referrer)| referrer)
}

/// Pairs (id, referrer) sorted by id: see [`live_referrers`].
pub(crate) type LiveReferrers<'live> = Vec<(&'live str, &'live LiveResource)>;

/// The live documents' uses of ids, read on a thread of the plan's scope while it compares the
/// rest: started by the first change that needs a blast radius (a plan without one never reads
/// them), taken by [`fill_used_by`]. Reading every live document is a tenth of a small plan's
/// time, and the comparison keeps both cores busy only while it runs.
pub(crate) struct LiveUses<'live> {
    live: &'live LiveState,
    started: AtomicBool,
    found: OnceLock<LiveReferrers<'live>>,
}

impl<'live> LiveUses<'live> {
    pub(crate) fn new(live: &'live LiveState) -> Self {
        LiveUses { live, started: AtomicBool::new(false), found: OnceLock::new() }
    }

    /// Starts reading the uses on a thread of `scope` (which joins it), unless started already.
    pub(crate) fn start<'scope>(&'scope self, scope: &'scope Scope<'scope, '_>) {
        if !self.started.swap(true, Ordering::Relaxed) {
            scope.spawn(move || self.found.get_or_init(|| live_referrers(self.live)));
        }
    }

    /// The uses read, once the scope that started them ended.
    pub(crate) fn into_found(self) -> Option<LiveReferrers<'live>> {
        self.found.into_inner()
    }
}

/// Every live id with each live resource whose document uses it (outside sample data): pairs
/// (id, referrer) sorted by id, referrers of one id in the order of `live`.
fn live_referrers(live: &LiveState) -> LiveReferrers<'_> {
    let mut referrers: Vec<(&str, &LiveResource)> = Vec::new();
    for (kind, resources) in &live.resources {
        if *kind == Kind::Integration {
            continue;
        }
        for resource in resources.values() {
            let mut found = Vec::new();
            for_each_live_string(&resource.document, &mut |key, text| {
                if USE_KEYS.contains(&key) {
                    found.push(text);
                }
            });
            found.sort_unstable();
            found.dedup();
            for id in found {
                if id != resource.id {
                    referrers.push((id, resource));
                }
            }
        }
    }
    // Stable: the referrers of one id stay in the order of `live`, as they were found.
    referrers.sort_by(|left, right| left.0.cmp(right.0));
    referrers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live_with_a_flow() -> LiveState {
        let mut live = LiveState::default();
        for (kind, document) in [
            (Kind::Export, json!({"_id": "e1", "name": "E", "_connectionId": "c1"})),
            (
                Kind::Flow,
                json!({"_id": "f1", "name": "F", "pageGenerators": [{"_exportId": "e1"}]}),
            ),
        ] {
            live.insert(LiveResource::from_document(kind, document).expect("an id"));
        }
        live
    }

    #[test]
    fn live_uses_are_read_once_and_only_when_started() {
        let live = live_with_a_flow();
        let unstarted = LiveUses::new(&live);
        std::thread::scope(|_| {});
        assert!(unstarted.into_found().is_none());

        let uses = LiveUses::new(&live);
        std::thread::scope(|scope| {
            uses.start(scope);
            uses.start(scope);
        });
        let found = uses.into_found().expect("started");
        assert_eq!(found, live_referrers(&live));
        let pairs: Vec<(&str, &str)> =
            found.iter().map(|(id, referrer)| (*id, referrer.id.as_str())).collect();
        assert_eq!(pairs, [("c1", "e1"), ("e1", "f1")]);
    }
}
