//! The dependency graph of a spec (`flowform graph`): resources as nodes labelled with their name
//! and address, references as edges from the resource that refers to the one it names, as
//! `terraform graph` draws them. Drawn as Mermaid ([`DependencyGraph::mermaid`]) or Graphviz DOT
//! ([`DependencyGraph::dot`]); with a plan, each node carries its planned action.
//!
//! The input types are this module's own: a graph is built from a desired state
//! ([`DependencyGraph::from_desired`]) and planned actions are set by address, so the rendering
//! does not depend on how a plan stores its changes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use flowform_model::references::Step;
use flowform_model::{Address, DesiredState, Kind};

use super::mermaid::{cut_label, mermaid_label, mermaid_text, with_legend};

/// What a plan does to a resource, as a graph shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlannedAction {
    /// Created.
    Create,
    /// Created by a clone.
    Clone,
    /// Updated.
    Update,
    /// Adopted (a live resource of the same name becomes managed).
    Adopt,
    /// Moved to a new address.
    Move,
    /// Deleted.
    Delete,
    /// In the plan, with nothing to change.
    NoChange,
    /// Left out of the plan (outside its `--target`).
    Outside,
}

impl PlannedAction {
    /// Parses the action names of plans (`create`, `clone`, `update`, `adopt`, `move`,
    /// `delete`, `no-op`; a `state-only` change leaves the account as it is, so it draws as no
    /// change).
    pub fn from_name(name: &str) -> Option<PlannedAction> {
        Some(match name {
            "create" => PlannedAction::Create,
            "clone" => PlannedAction::Clone,
            "update" => PlannedAction::Update,
            "adopt" => PlannedAction::Adopt,
            "move" => PlannedAction::Move,
            "delete" => PlannedAction::Delete,
            "no-op" | "state-only" => PlannedAction::NoChange,
            _ => return None,
        })
    }

    /// The line a label shows for the action.
    fn text(self) -> &'static str {
        match self {
            PlannedAction::Create => "+ create",
            PlannedAction::Clone => "+ clone",
            PlannedAction::Update => "~ update",
            PlannedAction::Adopt => "~ adopt",
            PlannedAction::Move => "~ move",
            PlannedAction::Delete => "- delete",
            PlannedAction::NoChange => "no change",
            PlannedAction::Outside => "not in the plan",
        }
    }

    /// The class (colour) of the action, shared with flow pictures.
    fn class(self) -> Option<&'static str> {
        match self {
            PlannedAction::Create | PlannedAction::Clone => Some("added"),
            PlannedAction::Update | PlannedAction::Adopt | PlannedAction::Move => Some("changed"),
            PlannedAction::Delete => Some("removed"),
            PlannedAction::NoChange => None,
            PlannedAction::Outside => Some("outside"),
        }
    }

    /// Graphviz styles and colours for the action.
    fn dot_style(self) -> (&'static [&'static str], &'static str) {
        match self {
            PlannedAction::Create | PlannedAction::Clone => {
                (&["filled"], "fillcolor=\"#dafbe1\", color=\"#1a7f37\"")
            }
            PlannedAction::Update | PlannedAction::Adopt | PlannedAction::Move => {
                (&["filled"], "fillcolor=\"#fff8c5\", color=\"#9a6700\"")
            }
            PlannedAction::Delete => {
                (&["filled", "dashed"], "fillcolor=\"#ffebe9\", color=\"#cf222e\"")
            }
            PlannedAction::NoChange => (&[], ""),
            PlannedAction::Outside => (&["dashed"], "color=\"#8c959f\", fontcolor=\"#57606a\""),
        }
    }
}

/// A resource in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// Its address.
    pub address: Address,
    /// Its `name`, when it has a plain one.
    pub name: Option<String>,
    /// What a plan does to it, when the graph is drawn with a plan.
    pub action: Option<PlannedAction>,
}

/// How one resource refers to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// A `${KIND.KEY}` in the body.
    Reference,
    /// `lifecycle.cloneFrom`: created as a clone of the other.
    CloneFrom,
    /// `lifecycle.connectionMap`: a connection the clone maps.
    ConnectionMap,
}

/// A reference: `from` refers to (and depends on) `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GraphEdge {
    /// The referring resource.
    pub from: Address,
    /// The resource it names.
    pub to: Address,
    /// How.
    pub relation: Relation,
}

/// Resources and their references, in a stable order (by kind, then key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependencyGraph {
    /// The resources, sorted by address.
    pub nodes: Vec<GraphNode>,
    /// The references, sorted, one per pair and relation.
    pub edges: Vec<GraphEdge>,
}

impl DependencyGraph {
    /// The graph of a desired state, limited to `scope` when given (the `--target` closure:
    /// every reference of a resource in it is in it too). References to resources outside the
    /// graph are left out.
    pub fn from_desired(
        desired: &DesiredState,
        scope: Option<&BTreeSet<Address>>,
    ) -> DependencyGraph {
        let in_scope = |address: &Address| scope.is_none_or(|scope| scope.contains(address));
        let mut nodes: Vec<GraphNode> = desired
            .resources
            .values()
            .filter(|resource| in_scope(&resource.address))
            .map(|resource| GraphNode {
                address: resource.address.clone(),
                name: resource.name().map(str::to_owned),
                action: None,
            })
            .collect();
        nodes.sort_by(|a, b| a.address.cmp(&b.address));
        let present: BTreeSet<&Address> = nodes.iter().map(|node| &node.address).collect();
        let mut edges: BTreeSet<GraphEdge> = BTreeSet::new();
        for resource in desired.resources.values().filter(|resource| in_scope(&resource.address)) {
            resource.for_each_reference(|site, target| {
                if !present.contains(target) {
                    return;
                }
                let relation = match site.steps() {
                    [Step::Key("lifecycle"), Step::Key("cloneFrom")] => Relation::CloneFrom,
                    [Step::Key("lifecycle"), Step::Key("connectionMap")] => Relation::ConnectionMap,
                    _ => Relation::Reference,
                };
                edges.insert(GraphEdge {
                    from: resource.address.clone(),
                    to: target.clone(),
                    relation,
                });
            });
        }
        DependencyGraph { nodes, edges: edges.into_iter().collect() }
    }

    /// Sets every node's action from a plan: `actions` holds the plan's changes by address;
    /// nodes the plan does not change are [`PlannedAction::NoChange`], or
    /// [`PlannedAction::Outside`] when `planned_scope` (the plan's `--target` closure) leaves
    /// them out. A deleted resource the spec no longer has becomes a node of its own.
    pub fn set_actions(
        &mut self,
        actions: &BTreeMap<Address, PlannedAction>,
        planned_scope: Option<&BTreeSet<Address>>,
    ) {
        for node in &mut self.nodes {
            node.action = Some(match actions.get(&node.address) {
                Some(action) => *action,
                None if planned_scope.is_some_and(|scope| !scope.contains(&node.address)) => {
                    PlannedAction::Outside
                }
                None => PlannedAction::NoChange,
            });
        }
        let known: BTreeSet<Address> = self.nodes.iter().map(|node| node.address.clone()).collect();
        for (address, action) in actions {
            if !known.contains(address) {
                self.nodes.push(GraphNode {
                    address: address.clone(),
                    name: None,
                    action: Some(*action),
                });
            }
        }
        self.nodes.sort_by(|a, b| a.address.cmp(&b.address));
    }

    fn label_lines(node: &GraphNode) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(name) = &node.name {
            lines.push(cut_label(name));
        }
        lines.push(node.address.to_string());
        // Unchanged resources say nothing: the legend names their plain colour.
        if let Some(action) = node.action.filter(|action| *action != PlannedAction::NoChange) {
            lines.push(action.text().to_owned());
        }
        lines
    }

    /// The graph as a Mermaid `flowchart LR`. Node ids are `n0`, `n1`, … in address order; with
    /// planned actions, nodes are coloured by action and a legend explains the colours.
    pub fn mermaid(&self) -> String {
        let mut content: Vec<String> = Vec::new();
        let mut ids: BTreeMap<&Address, String> = BTreeMap::new();
        let mut classes: BTreeSet<&'static str> = BTreeSet::new();
        for (index, node) in self.nodes.iter().enumerate() {
            let id = format!("n{index}");
            let label = mermaid_label(&Self::label_lines(node));
            let mut line = match node.address.kind {
                Kind::Flow => format!("{id}([\"{label}\"])"),
                _ => format!("{id}[\"{label}\"]"),
            };
            if let Some(class) = node.action.and_then(PlannedAction::class) {
                classes.insert(class);
                line.push_str(":::");
                line.push_str(class);
            }
            content.push(line);
            ids.insert(&node.address, id);
        }
        for edge in &self.edges {
            let (Some(from), Some(to)) = (ids.get(&edge.from), ids.get(&edge.to)) else {
                continue;
            };
            content.push(match edge.relation {
                Relation::Reference => format!("{from} --> {to}"),
                Relation::CloneFrom => format!("{from} -.->|\"clone of\"| {to}"),
                Relation::ConnectionMap => format!("{from} -.->|\"maps\"| {to}"),
            });
        }
        let actions: BTreeSet<PlannedAction> =
            self.nodes.iter().filter_map(|node| node.action).collect();
        let legend: Vec<String> = actions
            .iter()
            .enumerate()
            .map(|(index, action)| {
                let mut line = format!("l{index}[\"{}\"]", mermaid_text(action.text()));
                if let Some(class) = action.class() {
                    classes.insert(class);
                    line.push_str(":::");
                    line.push_str(class);
                }
                line
            })
            .collect();
        with_legend(&content, &legend, classes.into_iter())
    }

    /// The graph as Graphviz DOT (`dot -Tsvg`): nodes by address, labelled with name, address
    /// and planned action.
    pub fn dot(&self) -> String {
        let mut text = String::from(
            "digraph flowform {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        for node in &self.nodes {
            let label: Vec<String> =
                Self::label_lines(node).iter().map(|line| dot_text(line)).collect();
            let mut styles: Vec<&str> = Vec::new();
            if node.address.kind == Kind::Flow {
                styles.push("rounded");
            }
            let (action_styles, colours) =
                node.action.map_or((&[][..], ""), PlannedAction::dot_style);
            styles.extend(action_styles);
            let mut attributes = format!("label=\"{}\"", label.join("\\n"));
            if !styles.is_empty() {
                let _ = write!(attributes, ", style=\"{}\"", styles.join(","));
            }
            if !colours.is_empty() {
                let _ = write!(attributes, ", {colours}");
            }
            let _ = writeln!(text, "  \"{}\" [{attributes}];", dot_text(&node.address.to_string()));
        }
        for edge in &self.edges {
            let from = dot_text(&edge.from.to_string());
            let to = dot_text(&edge.to.to_string());
            let _ = match edge.relation {
                Relation::Reference => writeln!(text, "  \"{from}\" -> \"{to}\";"),
                Relation::CloneFrom => {
                    writeln!(text, "  \"{from}\" -> \"{to}\" [label=\"clone of\", style=dashed];")
                }
                Relation::ConnectionMap => {
                    writeln!(text, "  \"{from}\" -> \"{to}\" [label=\"maps\", style=dotted];")
                }
            };
        }
        text.push_str("}\n");
        text
    }
}

/// Escapes text for a double-quoted DOT string: backslashes (which would start Graphviz's own
/// escapes such as `\N` and `\l`) and quotes are escaped, control characters become spaces.
pub fn dot_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            character if character.is_control() => escaped.push(' '),
            character => escaped.push(character),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_cannot_escape_their_quotes() {
        assert_eq!(dot_text(r#"a "b" \l c"#), r#"a \"b\" \\l c"#);
        assert_eq!(dot_text("a\nb"), "a b");
    }

    #[test]
    fn every_plan_action_name_parses() {
        for name in ["create", "clone", "update", "adopt", "move", "delete", "no-op"] {
            assert!(PlannedAction::from_name(name).is_some(), "{name}");
        }
        assert_eq!(PlannedAction::from_name("explode"), None);
    }
}
