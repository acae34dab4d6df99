//! The physical limits of the API that the figures are compared with (issue 8), computed from
//! the generated spec alone, never from anything flowform reports: how many requests a job
//! needs at least, how long the server's leaky bucket makes those requests take at least, and
//! the longest chain of requests that must follow one another.

use std::collections::HashMap;
use std::time::Duration;

use flowform_specgen::{Kind, Resource};

/// The server's leaky bucket (integrator.io: 1,000 burst, 300 per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerLimit {
    /// Requests the full bucket lets through at once.
    pub capacity: u32,
    /// Requests per second the bucket refills.
    pub refill_per_second: u32,
}

impl ServerLimit {
    /// The real service's limit.
    pub const REAL: ServerLimit = ServerLimit { capacity: 1000, refill_per_second: 300 };

    /// The least time `requests` requests take through a full bucket:
    /// `(requests − capacity) / refill`, or zero when they fit the burst.
    pub fn rate_bound(&self, requests: usize) -> Duration {
        let over = requests.saturating_sub(self.capacity as usize);
        Duration::from_secs_f64(over as f64 / f64::from(self.refill_per_second.max(1)))
    }
}

/// Requests of one complete list of `count` documents at `page_size` per page: one per page,
/// and one (answered 204) for an empty collection.
pub fn list_requests(count: usize, page_size: usize) -> usize {
    count.div_ceil(page_size.max(1)).max(1)
}

/// The counts of each kind among `resources`.
pub fn counts_by_kind(resources: &[Resource]) -> HashMap<Kind, usize> {
    let mut counts: HashMap<Kind, usize> = Kind::ALL.iter().map(|kind| (*kind, 0)).collect();
    for resource in resources {
        *counts.entry(resource.kind).or_default() += 1;
    }
    counts
}

/// Reading a whole account: one complete list per kind, kinds in parallel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListBound {
    /// Requests: the sum over kinds of `ceil(count / page)` (at least one per kind).
    pub requests: usize,
    /// Round trips one after the other: the pages of the longest list (pages of one list follow
    /// one another, since each page's `next` link names the following one).
    pub round_trips: usize,
}

/// The list-pages-only bound of a plan of the account holding `resources`.
pub fn list_bound(resources: &[Resource], page_size: usize) -> ListBound {
    let counts = counts_by_kind(resources);
    let pages: Vec<usize> =
        Kind::ALL.iter().map(|kind| list_requests(counts[kind], page_size)).collect();
    ListBound {
        requests: pages.iter().sum(),
        round_trips: pages.iter().copied().max().unwrap_or(1),
    }
}

/// The bound of an apply: `max(rate bound, sequential requests × latency)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApplyBound {
    /// Requests the job needs (lists, and the writes the change needs).
    pub needed_requests: usize,
    /// Requests that must follow one another: the list round trips, then the longest chain of
    /// writes that wait for one another.
    pub sequential_requests: usize,
    /// `(needed − capacity) / refill`.
    pub rate: Duration,
    /// `sequential_requests × latency`.
    pub chain: Duration,
}

impl ApplyBound {
    /// The larger of the two.
    pub fn bound(&self) -> Duration {
        self.rate.max(self.chain)
    }
}

/// The `$ref` targets (`kind.key`) inside a generated body.
fn references(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(object) => {
            if let Some(serde_json::Value::String(address)) = object.get("$ref") {
                found.push(address.clone());
                return;
            }
            object.values().for_each(|child| references(child, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

/// The longest chain of requests that must follow one another, where a resource that takes
/// part costs `cost(resource)` requests of its own, made after the requests of every
/// taking-part resource it references (a write needs the ids of what it references, and
/// parents are written first), and `tail(resource)` more requests after its own (a flow's
/// enable). Resources with no cost (`None`) are not part of the job and break chains. A
/// reference that closes a cycle is left out (it is added by a later update, which this bound
/// does not count: the bound stays a lower bound).
pub fn longest_chain(
    resources: &[Resource],
    cost: impl Fn(&Resource) -> Option<usize>,
    tail: impl Fn(&Resource) -> usize,
) -> usize {
    let index_of: HashMap<String, usize> = resources
        .iter()
        .enumerate()
        .map(|(index, resource)| (format!("{}.{}", resource.kind.singular(), resource.key), index))
        .collect();
    let edges: Vec<Vec<usize>> = resources
        .iter()
        .map(|resource| {
            let mut found = Vec::new();
            references(&resource.body, &mut found);
            found.iter().filter_map(|address| index_of.get(address).copied()).collect()
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done(usize),
    }
    let mut marks = vec![Mark::New; resources.len()];
    let mut longest = 0;
    for start in 0..resources.len() {
        if cost(&resources[start]).is_none() {
            continue;
        }
        // Iterative depth-first walk (the reference graph of a large spec is deep enough that
        // recursion is not worth the risk).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&(node, next_edge)) = stack.last() {
            if next_edge == 0 && marks[node] == Mark::New {
                marks[node] = Mark::Visiting;
            }
            if let Mark::Done(_) = marks[node] {
                stack.pop();
                continue;
            }
            if let Some(&target) = edges[node].get(next_edge) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if cost(&resources[target]).is_some() && marks[target] == Mark::New {
                    stack.push((target, 0));
                }
                continue;
            }
            let node_cost = cost(&resources[node]).unwrap_or(0);
            let before = edges[node]
                .iter()
                .filter(|target| cost(&resources[**target]).is_some())
                .filter_map(|target| match marks[*target] {
                    Mark::Done(length) => Some(length),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            marks[node] = Mark::Done(before + node_cost);
            stack.pop();
        }
        if let Mark::Done(length) = marks[start] {
            longest = longest.max(length + tail(&resources[start]));
        }
    }
    longest
}

/// Whether the spec wants a flow enabled (`disabled` absent or false): such a flow is created
/// disabled and enabled with one more request once it and what it uses are written.
pub fn wants_enabled(resource: &Resource) -> bool {
    resource.kind == Kind::Flow
        && !matches!(resource.body.get("disabled"), Some(serde_json::Value::Bool(true)))
}

/// The bound of an apply that creates every resource of `resources` in an empty account: the
/// empty lists (one request each), one create per resource and one enable per flow that wants
/// to be enabled; the chain is the lists' round trip, the longest chain of creates through
/// references, and the enable.
pub fn apply_from_empty(
    resources: &[Resource],
    limit: ServerLimit,
    latency: Duration,
) -> ApplyBound {
    let lists = list_bound(&[], 1);
    let enables = resources.iter().filter(|resource| wants_enabled(resource)).count();
    let needed_requests = lists.requests + resources.len() + enables;
    let chain =
        longest_chain(resources, |_| Some(1), |resource| usize::from(wants_enabled(resource)));
    let sequential_requests = lists.round_trips + chain;
    ApplyBound {
        needed_requests,
        sequential_requests,
        rate: limit.rate_bound(needed_requests),
        chain: latency * sequential_requests as u32,
    }
}

/// The bound of an apply that updates the resources `changed` says of an account holding
/// `resources`: the complete lists, then a GET (to check nobody changed it since the plan) and
/// a PUT per changed resource, parents before the resources that reference them.
pub fn apply_change(
    resources: &[Resource],
    changed: impl Fn(&Resource) -> bool,
    page_size: usize,
    limit: ServerLimit,
    latency: Duration,
) -> ApplyBound {
    let lists = list_bound(resources, page_size);
    let changed_count = resources.iter().filter(|resource| changed(resource)).count();
    let needed_requests = lists.requests + 2 * changed_count;
    let chain = longest_chain(resources, |resource| changed(resource).then_some(2), |_| 0);
    let sequential_requests = lists.round_trips + chain;
    ApplyBound {
        needed_requests,
        sequential_requests,
        rate: limit.rate_bound(needed_requests),
        chain: latency * sequential_requests as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(kind: Kind, key: &str, body: serde_json::Value) -> Resource {
        Resource { kind, key: key.to_owned(), index: 0, integration: 0, body, content: None }
    }

    fn small_account() -> Vec<Resource> {
        vec![
            resource(Kind::Integration, "i", json!({"name": "I"})),
            resource(Kind::Connection, "c", json!({"name": "C"})),
            resource(Kind::Export, "e", json!({"_connectionId": {"$ref": "connection.c"}})),
            resource(Kind::Import, "m", json!({"_connectionId": {"$ref": "connection.c"}})),
            resource(
                Kind::Flow,
                "f",
                json!({
                    "_integrationId": {"$ref": "integration.i"},
                    "pageGenerators": [{"_exportId": {"$ref": "export.e"}}],
                    "pageProcessors": [{"_importId": {"$ref": "import.m"}}],
                    "_runNextFlowIds": [{"$ref": "flow.g"}],
                }),
            ),
            resource(
                Kind::Flow,
                "g",
                json!({"disabled": true, "_integrationId": {"$ref": "integration.i"}, "_runNextFlowIds": [{"$ref": "flow.f"}]}),
            ),
        ]
    }

    #[test]
    fn rate_bound_counts_only_what_exceeds_the_burst() {
        let limit = ServerLimit::REAL;
        assert_eq!(limit.rate_bound(900), Duration::ZERO);
        assert_eq!(limit.rate_bound(1000), Duration::ZERO);
        assert_eq!(limit.rate_bound(4000), Duration::from_secs(10));
    }

    #[test]
    fn list_pages() {
        assert_eq!(list_requests(0, 1000), 1);
        assert_eq!(list_requests(1000, 1000), 1);
        assert_eq!(list_requests(1001, 1000), 2);
        let spec =
            flowform_specgen::generate(flowform_specgen::Options { resources: 5000, seed: 1 })
                .unwrap();
        // 50 integrations, 5 iClients, 200 connections, 250 scripts, 5 file definitions, 2 EDI
        // profiles, 20 lookup caches, 1,500 exports, 1,963 imports, 5 async helpers and 1,000
        // flows: one page each but the exports' and imports' two.
        assert_eq!(list_bound(&spec.resources, 1000), ListBound { requests: 13, round_trips: 2 });
    }

    #[test]
    fn chains_follow_references_and_skip_cycles() {
        let account = small_account();
        // connection → export → flow f (g is in a cycle with f, so one of the two edges is
        // left out): three creates, then f's enable.
        let bound = apply_from_empty(&account, ServerLimit::REAL, Duration::from_millis(10));
        // An empty list per kind (11), six creates, f's enable.
        assert_eq!(bound.needed_requests, 11 + 6 + 1);
        assert_eq!(bound.sequential_requests, 1 + 3 + 1);
        assert_eq!(bound.chain, Duration::from_millis(50));
        assert_eq!(bound.bound(), Duration::from_millis(50));
        // Only the export and flow f change: GET + PUT each, the export first.
        let change = apply_change(
            &account,
            |resource| matches!(resource.key.as_str(), "e" | "f"),
            1000,
            ServerLimit::REAL,
            Duration::from_millis(10),
        );
        assert_eq!(change.needed_requests, 11 + 4);
        assert_eq!(change.sequential_requests, 1 + 4);
        // A change of resources that do not reference one another has no chain between them.
        let apart = longest_chain(&account, |r| (r.kind == Kind::Import).then_some(2), |_| 0);
        assert_eq!(apart, 2);
    }
}
