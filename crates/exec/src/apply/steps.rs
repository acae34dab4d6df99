//! The steps of a plan and their order, built from the plan alone: each change's action says
//! which operation its step runs (with the ids and addresses that operation needs, borrowed from
//! the plan), and each change's `depends_on` says what it waits for.

use flowform_model::KeyHashMap;
use flowform_model::fields::must_purge_before;
use flowform_model::{Action, Address, Change, CloneCopy, Plan, RefOrId};

use super::ApplyError;
use crate::graph::StepGraph;

/// What a step does, with what it needs from the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation<'p> {
    /// `POST /{kind}`.
    Create,
    /// `POST /{kind}/{id}/clone` of `from`, then an update that enforces the spec; the copies
    /// the service made are recorded in the state with the clone as their owner.
    Clone {
        /// The source.
        from: &'p RefOrId,
        /// The copies the plan expects the clone to make.
        copies: &'p [CloneCopy],
    },
    /// `DELETE` of a copy a clone of this run made that the clone does not use (the spec
    /// replaced the step it copies); the step's address is the copy's.
    DeleteCopy {
        /// The clone that made it.
        owner: &'p Address,
    },
    /// Record lifecycle flags in the state; nothing is sent.
    Record {
        /// The live resource.
        id: &'p str,
    },
    /// Bind an unmanaged live resource, then update it when the plan changes fields.
    Adopt {
        /// The live resource.
        id: &'p str,
        /// Whether fields change (then an update follows the binding).
        update: bool,
        /// The `lastModified` the plan saw.
        live_last_modified: Option<&'p str>,
    },
    /// Rename the state entry, then update when the plan changes fields.
    Move {
        /// The old address.
        from: &'p Address,
        /// The live resource.
        id: &'p str,
        /// Whether fields change (then an update follows the rename).
        update: bool,
        /// The `lastModified` the plan saw.
        live_last_modified: Option<&'p str>,
    },
    /// `GET` + `PUT`.
    Update {
        /// The live resource.
        id: &'p str,
        /// The `lastModified` the plan saw.
        live_last_modified: Option<&'p str>,
    },
    /// `PUT` adding back-references left out of an earlier write of this run.
    Fixup,
    /// `PUT` with `disabled: false` (flows), the last phase.
    Enable,
    /// `GET` + `PUT` of a resource about to be deleted, without its breakable references to
    /// other resources this plan deletes: undoes a cycle (an export and its async helper, flows
    /// that run each other) so each delete finds nothing using it.
    Unlink {
        /// The live resource.
        id: &'p str,
    },
    /// Write a lookup cache's data from its `dataFile` (after the cache's own write, if any).
    Data {
        /// The live cache, when it existed at plan time (else it was created in this run).
        id: Option<&'p str>,
        /// The change is the data alone (its cache is not written): the step is its update.
        alone: bool,
    },
    /// `DELETE`.
    Delete {
        /// The resource the state binds.
        id: &'p str,
        /// Purge it from the recycle bin once deleted: a resource this plan also deletes can
        /// only go once this one is purged ([`flowform_model::fields::HELD_BY_THE_RECYCLE_BIN`]).
        purge: bool,
    },
}

impl Operation<'_> {
    /// What the step does, in one word: `create`, `clone`, `adopt`, `move`, `update`, `link`
    /// (a fixup), `enable` or `delete`.
    pub fn verb(&self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Clone { .. } => "clone",
            Operation::DeleteCopy { .. } => "delete",
            Operation::Record { .. } => "record",
            Operation::Adopt { .. } => "adopt",
            Operation::Move { .. } => "move",
            Operation::Update { .. } => "update",
            Operation::Fixup => "link",
            Operation::Enable => "enable",
            Operation::Unlink { .. } => "unlink",
            Operation::Delete { .. } => "delete",
            Operation::Data { alone: true, .. } => "update",
            Operation::Data { alone: false, .. } => "write data of",
        }
    }

    /// Whether the operation creates the resource.
    fn creates(&self) -> bool {
        matches!(self, Operation::Create | Operation::Clone { .. })
    }
}

/// One step of an apply.
#[derive(Debug, Clone)]
pub struct Step<'p> {
    /// The resource.
    pub address: &'p Address,
    /// What the step does.
    pub operation: Operation<'p>,
    /// Leave breakable references out (a fixup step adds them).
    pub(crate) omit_breakable: bool,
}

impl<'p> Step<'p> {
    pub(crate) fn new(address: &'p Address, operation: Operation<'p>) -> Step<'p> {
        Step { address, operation, omit_breakable: false }
    }

    /// `create flow.nightly`, `enable flow.nightly`, …
    pub fn label(&self) -> String {
        format!("{} {}", self.operation.verb(), self.address)
    }
}

/// The operation of a change's step; `None` for a no-op, and for an update of a lookup cache's
/// data alone (its data step does it).
fn operation(change: &Change) -> Option<Operation<'_>> {
    Some(match &change.action {
        Action::Update { fields, .. } if fields.is_empty() && change.data.is_some() => return None,
        Action::Create { .. } => Operation::Create,
        Action::Clone { from, copies, .. } => Operation::Clone { from, copies },
        Action::StateOnly { id, .. } => Operation::Record { id },
        Action::Adopt { id, fields, live_last_modified } => Operation::Adopt {
            id,
            update: !fields.is_empty(),
            live_last_modified: live_last_modified.as_deref(),
        },
        Action::Move { from, id, fields, live_last_modified } => Operation::Move {
            from,
            id,
            update: !fields.is_empty(),
            live_last_modified: live_last_modified.as_deref(),
        },
        Action::Update { id, live_last_modified, .. } => {
            Operation::Update { id, live_last_modified: live_last_modified.as_deref() }
        }
        Action::Delete { id, .. } => Operation::Delete { id, purge: false },
        Action::NoOp { .. } => return None,
    })
}

/// Builds the steps of a plan and their order, from each change's action and `depends_on`.
pub fn build_steps(plan: &Plan) -> Result<StepGraph<Step<'_>>, ApplyError> {
    let mut graph = StepGraph::new();
    let mut write_of: KeyHashMap<&Address, usize> = KeyHashMap::default();
    let mut create_of: KeyHashMap<&Address, usize> = KeyHashMap::default();
    let mut delete_of: KeyHashMap<&Address, usize> = KeyHashMap::default();
    let mut change_of: KeyHashMap<usize, usize> = KeyHashMap::default();
    for (index, change) in plan.changes.iter().enumerate() {
        let Some(operation) = operation(change) else { continue };
        let step = graph.add(Step::new(&change.address, operation));
        change_of.insert(step, index);
        if let Operation::Delete { .. } = operation {
            delete_of.insert(&change.address, step);
        } else {
            write_of.insert(&change.address, step);
            if operation.creates() {
                create_of.insert(&change.address, step);
            }
        }
        // A copy the clone will not use is deleted once the clone (and its update) is done.
        for copy in change.action.copies().iter().filter(|copy| !copy.kept) {
            let delete = graph
                .add(Step::new(&copy.address, Operation::DeleteCopy { owner: &change.address }));
            graph.order(step, delete);
        }
    }

    // A lookup cache's data: after the cache's own write, if there is one.
    for (index, change) in plan.changes.iter().enumerate() {
        if change.data.is_none() || matches!(change.action, Action::Delete { .. }) {
            continue;
        }
        let id = if change.action.creates() { None } else { change.id() };
        let alone = !write_of.contains_key(&change.address);
        let step = graph.add(Step::new(&change.address, Operation::Data { id, alone }));
        change_of.insert(step, index);
        if let Some(&write) = write_of.get(&change.address) {
            graph.order(write, step);
        }
    }

    // Writes: hard edges to the creates of what they reference, soft edges to parents'
    // updates; breakable references to new resources become fixups.
    let mut fixups: Vec<(&Address, usize, Vec<usize>)> = Vec::new();
    for (&address, &step) in &write_of {
        let change = &plan.changes[change_of[&step]];
        let mut fixup_after = Vec::new();
        for dependency in &change.depends_on {
            if dependency.address == *address {
                // A flow that chains to itself (`_runNextFlowIds: [${flow.SELF}]`) has no id to
                // name until it exists: created without the reference, then linked.
                if dependency.breakable && create_of.contains_key(address) {
                    fixup_after.push(step);
                }
                continue;
            }
            match (create_of.get(&dependency.address), dependency.breakable) {
                (Some(&create), true) => fixup_after.push(create),
                (Some(&create), false) => graph.order(create, step),
                (None, false) => {
                    if let Some(&parent) = write_of.get(&dependency.address) {
                        graph.order(parent, step);
                    }
                }
                (None, true) => {}
            }
        }
        if !fixup_after.is_empty() {
            fixups.push((address, step, fixup_after));
        }
    }
    for (address, step, after) in fixups {
        let fixup = graph.add(Step::new(address, Operation::Fixup));
        graph.order(step, fixup);
        for create in after {
            graph.order(create, fixup);
        }
        graph.step_mut(step).omit_breakable = true;
    }

    // Deletes: after the updates that drop references to them, and after the deletes of the
    // resources that reference them (a delete's `depends_on` lists its referrers). A referrer
    // the recycle bin keeps holding on to this resource (a connection naming an iClient) is
    // purged from the bin as part of its delete.
    // A referrer deleted too whose references are all breakable is unlinked before this delete
    // instead: a cycle of resources leaving together (an export and its async helper) has no
    // order otherwise.
    let mut unlink_of: KeyHashMap<&Address, usize> = KeyHashMap::default();
    let deletes: Vec<usize> = delete_of.values().copied().collect();
    for delete in deletes {
        let change = &plan.changes[change_of[&delete]];
        for dependency in &change.depends_on {
            let dependent = &dependency.address;
            if *dependent == change.address {
                continue;
            }
            if let Some(&write) = write_of.get(dependent) {
                graph.order(write, delete);
            }
            if let Some(&other) = delete_of.get(dependent) {
                let dependent_change = &plan.changes[change_of[&other]];
                match (dependency.breakable, dependent_change.action.id()) {
                    (true, Some(id)) => {
                        let unlink = *unlink_of.entry(dependent).or_insert_with(|| {
                            let unlink = graph.add(Step::new(dependent, Operation::Unlink { id }));
                            graph.order(unlink, other);
                            unlink
                        });
                        graph.order(unlink, delete);
                    }
                    _ => graph.order(other, delete),
                }
                if must_purge_before(dependent.kind, change.address.kind)
                    && let Operation::Delete { purge, .. } = &mut graph.step_mut(other).operation
                {
                    *purge = true;
                }
            }
        }
    }

    graph.check_acyclic().map_err(|cycle| {
        let names: Vec<String> = cycle.0.iter().map(|&index| graph.step(index).label()).collect();
        ApplyError::Cycle(names.join(" → "))
    })?;
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::{Change, Dependency, Kind};

    fn change(address: &str, action: Action, depends_on: Vec<Dependency>) -> Change {
        Change {
            address: address.parse().unwrap(),
            name: None,
            depends_on,
            used_by: Vec::new(),
            action,
            data: None,
        }
    }

    fn on(address: &str, breakable: bool) -> Dependency {
        Dependency { address: address.parse().unwrap(), breakable }
    }

    fn labels(graph: &StepGraph<Step<'_>>) -> Vec<String> {
        (0..graph.len()).map(|index| graph.step(index).label()).collect()
    }

    #[test]
    fn steps_follow_depends_on_and_break_cycles_with_fixups() {
        let create = || Action::Create { fields: Vec::new() };
        let plan = Plan {
            changes: vec![
                change("connection.c", create(), vec![]),
                change("flow.a", create(), vec![on("connection.c", false), on("flow.b", true)]),
                change("flow.b", create(), vec![on("flow.a", true), on("flow.b", true)]),
                change(
                    "export.old",
                    Action::Delete { id: "e".repeat(24), live_last_modified: None },
                    vec![on("flow.kept", false)],
                ),
                change(
                    "flow.kept",
                    Action::Update {
                        id: "f".repeat(24),
                        fields: Vec::new(),
                        live_last_modified: None,
                    },
                    vec![],
                ),
            ],
            ..Plan::default()
        };
        let graph = build_steps(&plan).unwrap();
        let labels = labels(&graph);
        let index = |label: &str| labels.iter().position(|found| found == label).unwrap();
        assert_eq!(labels.iter().filter(|label| label.starts_with("link ")).count(), 2);
        assert_eq!(graph.dependencies(index("create flow.a")), [index("create connection.c")]);
        assert!(graph.step(index("create flow.a")).omit_breakable);
        assert!(
            graph.dependencies(index("delete export.old")).contains(&index("update flow.kept"))
        );
        assert_eq!(graph.depth(), 3);
        assert_eq!(plan.changes[0].kind(), Kind::Connection);
    }
}
