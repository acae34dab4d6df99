//! Dependency cycles that apply cannot break.
//!
//! A resource is created after everything it refers to. References through `_runNextFlowIds`,
//! `_runNextExportIds` and integration `aliases` are left out of the create and added by a
//! second update (PRODUCT.md §5), so cycles made only of those are fine; any other cycle is an
//! error naming every resource in it.

use flowform_model::KeyHashMap;
use std::collections::VecDeque;

use flowform_model::Address;
use flowform_model::fields::is_breakable_reference;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::ReferenceUse;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceFile;

/// One resource as the cycle check sees it.
pub(crate) struct Resource<'a> {
    pub address: &'a Address,
    pub file: &'a SourceFile,
    pub uses: &'a [ReferenceUse],
}

/// Reports every cycle of unbreakable references.
pub(crate) fn check(resources: &[Resource<'_>], diagnostics: &mut Vec<Diagnostic>) {
    let index_of: KeyHashMap<&Address, usize> =
        resources.iter().enumerate().map(|(index, resource)| (resource.address, index)).collect();
    let mut graph: DiGraph<usize, (usize, usize)> = DiGraph::with_capacity(resources.len(), 0);
    let nodes: Vec<NodeIndex> = (0..resources.len()).map(|index| graph.add_node(index)).collect();
    for (from, resource) in resources.iter().enumerate() {
        for (use_index, reference) in resource.uses.iter().enumerate() {
            if is_breakable_reference(&reference.path) {
                continue;
            }
            if let Some(&to) = index_of.get(&reference.address) {
                graph.add_edge(nodes[from], nodes[to], (from, use_index));
            }
        }
    }
    let mut cyclic: Vec<Vec<usize>> = kosaraju_scc(&graph)
        .into_iter()
        .filter(|component| component.len() > 1 || graph.contains_edge(component[0], component[0]))
        .map(|component| {
            let mut members: Vec<usize> = component.into_iter().map(|node| graph[node]).collect();
            members.sort_unstable();
            members
        })
        .collect();
    cyclic.sort();
    for members in cyclic {
        diagnostics.push(report(resources, &graph, &nodes, &members));
    }
}

/// One diagnostic for a strongly connected component: a concrete cycle through its first
/// member, labelled edge by edge, and the names of all members.
fn report(
    resources: &[Resource<'_>],
    graph: &DiGraph<usize, (usize, usize)>,
    nodes: &[NodeIndex],
    members: &[usize],
) -> Diagnostic {
    let start = members[0];
    let in_component = |index: usize| members.binary_search(&index).is_ok();
    // Breadth-first search from the start back to it, inside the component; each node is
    // entered once, through the first edge that reaches it.
    let mut entered_by: KeyHashMap<usize, (usize, usize)> = KeyHashMap::default();
    let mut queue = VecDeque::from([start]);
    let mut closing = None;
    'search: while let Some(current) = queue.pop_front() {
        for edge in graph.edges(nodes[current]) {
            let target = graph[petgraph::visit::EdgeRef::target(&edge)];
            let weight = *edge.weight();
            if target == start {
                closing = Some(weight);
                break 'search;
            }
            if in_component(target) && !entered_by.contains_key(&target) {
                entered_by.insert(target, weight);
                queue.push_back(target);
            }
        }
    }
    // Walk back from the closing edge to the start to list the cycle's edges in order.
    let mut edges = Vec::new();
    if let Some(last) = closing {
        edges.push(last);
        let mut current = last.0;
        while current != start {
            let Some(&edge) = entered_by.get(&current) else {
                break;
            };
            edges.push(edge);
            current = edge.0;
        }
        edges.reverse();
    }
    let mut chain: Vec<String> =
        edges.iter().map(|(from, _)| format!("`{}`", resources[*from].address)).collect();
    chain.push(format!("`{}`", resources[start].address));
    let chain = chain.join(" → ");
    let message = if members.len() > edges.len() {
        let names: Vec<String> =
            members.iter().map(|index| format!("`{}`", resources[*index].address)).collect();
        format!("dependency cycle between {}: {chain}", names.join(", "))
    } else {
        format!("dependency cycle: {chain}")
    };
    let label = |(from, use_index): (usize, usize)| {
        let resource = &resources[from];
        let reference = &resource.uses[use_index];
        (
            resource,
            reference,
            format!("`{}` refers to `{}` here", resource.address, reference.address),
        )
    };
    let mut edges = edges.into_iter();
    let Some(first) = edges.next() else {
        // Unreachable for a component with a cycle; keep a plain diagnostic just in case.
        let resource = &resources[start];
        return Diagnostic::without_location(
            crate::diagnostic::Severity::Error,
            Code::Cycle,
            message,
        )
        .with_file(&resource.file.path);
    };
    let (resource, reference, text) = label(first);
    let mut diagnostic = Diagnostic::error(Code::Cycle, resource.file, reference.span, message)
        .with_label(text)
        .with_help(
            "a resource is created after everything it refers to; only references through \
             `_runNextFlowIds`, `_runNextExportIds` and integration `aliases` may form a cycle, \
             since apply adds them in a second update",
        );
    for edge in edges {
        let (resource, reference, text) = label(edge);
        diagnostic = diagnostic.with_related(Diagnostic::note(resource.file, reference.span, text));
    }
    diagnostic
}
