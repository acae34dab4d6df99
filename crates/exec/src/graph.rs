//! A dependency graph of steps and the runner that walks it: every step starts once the steps
//! it depends on are done, at most `parallelism` at a time; a failed step skips everything that
//! depends on it while unrelated steps go on; a stop request ends scheduling and lets steps in
//! flight finish.

use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

/// Steps and "must run after" edges.
#[derive(Debug)]
pub struct StepGraph<S> {
    graph: DiGraph<S, ()>,
}

impl<S> Default for StepGraph<S> {
    fn default() -> Self {
        StepGraph { graph: DiGraph::new() }
    }
}

/// A cycle among steps: the steps involved, by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(pub Vec<usize>);

impl<S> StepGraph<S> {
    /// An empty graph.
    pub fn new() -> StepGraph<S> {
        StepGraph::default()
    }

    /// Adds a step; returns its index.
    pub fn add(&mut self, step: S) -> usize {
        self.graph.add_node(step).index()
    }

    /// Makes `later` wait for `earlier`. Self-edges and duplicates are ignored.
    pub fn order(&mut self, earlier: usize, later: usize) {
        if earlier == later {
            return;
        }
        let (earlier, later) = (NodeIndex::new(earlier), NodeIndex::new(later));
        if self.graph.find_edge(earlier, later).is_none() {
            self.graph.add_edge(earlier, later, ());
        }
    }

    /// The step at `index`.
    pub fn step(&self, index: usize) -> &S {
        &self.graph[NodeIndex::new(index)]
    }

    /// The step at `index`, to change it.
    pub fn step_mut(&mut self, index: usize) -> &mut S {
        &mut self.graph[NodeIndex::new(index)]
    }

    /// The number of steps.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether there are no steps.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The steps `index` waits for.
    pub fn dependencies(&self, index: usize) -> Vec<usize> {
        self.graph
            .neighbors_directed(NodeIndex::new(index), Direction::Incoming)
            .map(|node| node.index())
            .collect()
    }

    /// Fails with the steps of one cycle when the graph has any.
    pub fn check_acyclic(&self) -> Result<(), Cycle> {
        if petgraph::algo::toposort(&self.graph, None).is_ok() {
            return Ok(());
        }
        let components = petgraph::algo::tarjan_scc(&self.graph);
        let cycle = components
            .into_iter()
            .find(|component| component.len() > 1)
            .map(|component| {
                let mut indexes: Vec<usize> = component.into_iter().map(NodeIndex::index).collect();
                indexes.sort_unstable();
                indexes
            })
            .unwrap_or_default();
        Err(Cycle(cycle))
    }

    /// The longest chain of steps (1 for independent steps): the lower bound on sequential
    /// rounds whatever the parallelism.
    pub fn depth(&self) -> usize {
        let Ok(order) = petgraph::algo::toposort(&self.graph, None) else { return 0 };
        let mut depth = vec![1usize; self.graph.node_count()];
        for node in order {
            for next in self.graph.neighbors_directed(node, Direction::Outgoing) {
                depth[next.index()] = depth[next.index()].max(depth[node.index()] + 1);
            }
        }
        depth.into_iter().max().unwrap_or(0)
    }
}

/// What became of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T, E> {
    /// It ran and succeeded, with this result.
    Done(T),
    /// It ran and failed.
    Failed(E),
    /// It did not run because a step it depends on (directly or not) failed or was skipped;
    /// the index names the failed step.
    Skipped {
        /// The failed step that caused the skip.
        because_of: usize,
    },
    /// It did not run because a stop was requested.
    NotRun,
}

/// Runs every step of `graph` with `run_step`, honouring the order, at most `parallelism()`
/// at a time: the limit is read again whenever steps may start (after each completion), so it
/// may follow the rate budget. `stop` is polled between completions: once it returns true, no
/// new step starts and the steps in flight finish. Returns one outcome per step, by index.
///
/// Steps run as futures on the caller's task (no spawning), so they may borrow from the
/// caller; concurrency comes from their IO.
pub async fn run<'g, S, T, E, F, Fut>(
    graph: &'g StepGraph<S>,
    parallelism: &dyn Fn() -> usize,
    stop: &dyn Fn() -> bool,
    run_step: F,
) -> Vec<Outcome<T, E>>
where
    F: Fn(usize, &'g S) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let count = graph.len();
    let mut outcomes: Vec<Option<Outcome<T, E>>> = (0..count).map(|_| None).collect();
    let mut waiting_on: Vec<usize> =
        (0..count).map(|index| graph.dependencies(index).len()).collect();
    let mut ready: std::collections::VecDeque<usize> =
        (0..count).filter(|&index| waiting_on[index] == 0).collect();
    let mut in_flight = FuturesUnordered::new();

    loop {
        let allowed = parallelism().max(1);
        while in_flight.len() < allowed && !stop() {
            let Some(index) = ready.pop_front() else { break };
            let step = graph.step(index);
            let future = run_step(index, step);
            in_flight.push(async move { (index, future.await) });
        }
        let Some((index, result)) = in_flight.next().await else { break };
        let succeeded = result.is_ok();
        outcomes[index] = Some(match result {
            Ok(value) => Outcome::Done(value),
            Err(error) => Outcome::Failed(error),
        });
        let successors: Vec<NodeIndex> =
            graph.graph.neighbors_directed(NodeIndex::new(index), Direction::Outgoing).collect();
        if succeeded {
            for next in successors {
                waiting_on[next.index()] -= 1;
                if waiting_on[next.index()] == 0 && outcomes[next.index()].is_none() {
                    ready.push_back(next.index());
                }
            }
        } else {
            skip_descendants(graph, index, index, &mut outcomes);
        }
    }

    outcomes.into_iter().map(|outcome| outcome.unwrap_or(Outcome::NotRun)).collect()
}

fn skip_descendants<S, T, E>(
    graph: &StepGraph<S>,
    from: usize,
    because_of: usize,
    outcomes: &mut [Option<Outcome<T, E>>],
) {
    let mut stack = vec![NodeIndex::new(from)];
    while let Some(node) = stack.pop() {
        for next in graph.graph.neighbors_directed(node, Direction::Outgoing) {
            if outcomes[next.index()].is_none() {
                outcomes[next.index()] = Some(Outcome::Skipped { because_of });
                stack.push(next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn order_failure_and_parallelism() {
        // a → b → d, a → c, e independent, f depends on b (fails) and e.
        let mut graph = StepGraph::new();
        let names = ["a", "b", "c", "d", "e", "f"];
        for name in names {
            graph.add(name);
        }
        graph.order(0, 1);
        graph.order(1, 3);
        graph.order(0, 2);
        graph.order(1, 5);
        graph.order(4, 5);
        assert_eq!(graph.depth(), 3);
        let log = RefCell::new(Vec::new());
        let running = RefCell::new(0usize);
        let peak = RefCell::new(0usize);
        let outcomes = run(&graph, &|| 2, &|| false, |_, name: &&str| {
            let name = *name;
            let (log, running, peak) = (&log, &running, &peak);
            async move {
                *running.borrow_mut() += 1;
                let now = *running.borrow();
                peak.replace_with(|peak| (*peak).max(now));
                tokio::time::sleep(Duration::from_millis(10)).await;
                *running.borrow_mut() -= 1;
                log.borrow_mut().push(name);
                if name == "b" { Err("boom") } else { Ok(()) }
            }
        })
        .await;
        assert_eq!(outcomes[0], Outcome::Done(()));
        assert_eq!(outcomes[1], Outcome::Failed("boom"));
        assert_eq!(outcomes[2], Outcome::Done(()));
        assert_eq!(outcomes[3], Outcome::Skipped { because_of: 1 });
        assert_eq!(outcomes[4], Outcome::Done(()));
        assert_eq!(outcomes[5], Outcome::Skipped { because_of: 1 });
        let log = log.into_inner();
        assert!(log.iter().position(|n| *n == "a") < log.iter().position(|n| *n == "b"));
        assert!(!log.contains(&"d") && !log.contains(&"f"));
        assert_eq!(peak.into_inner(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_is_read_again_as_steps_finish() {
        let mut graph = StepGraph::new();
        for index in 0..6 {
            graph.add(index);
        }
        let finished = RefCell::new(0usize);
        let running = RefCell::new(0usize);
        let started_while = RefCell::new(Vec::new());
        let limit = || if *finished.borrow() == 0 { 4 } else { 1 };
        let outcomes = run(&graph, &limit, &|| false, |_, _| {
            let (finished, running, started_while) = (&finished, &running, &started_while);
            async move {
                *running.borrow_mut() += 1;
                started_while.borrow_mut().push((*finished.borrow(), *running.borrow()));
                tokio::time::sleep(Duration::from_millis(10)).await;
                *running.borrow_mut() -= 1;
                *finished.borrow_mut() += 1;
                Ok::<(), ()>(())
            }
        })
        .await;
        assert!(outcomes.iter().all(|outcome| *outcome == Outcome::Done(())));
        let started_while = started_while.into_inner();
        // Four at once while the limit is 4, then one at a time once it dropped to 1.
        assert_eq!(started_while.iter().filter(|(done, _)| *done == 0).count(), 4);
        assert!(
            started_while.iter().filter(|(done, _)| *done > 0).all(|(_, running)| *running == 1)
        );
    }

    #[tokio::test]
    async fn stop_ends_scheduling() {
        let mut graph = StepGraph::new();
        for index in 0..5 {
            graph.add(index);
        }
        let started = RefCell::new(0usize);
        let outcomes = run(&graph, &|| 1, &|| *started.borrow() >= 2, |_, _| {
            *started.borrow_mut() += 1;
            async { Ok::<(), ()>(()) }
        })
        .await;
        assert_eq!(outcomes.iter().filter(|outcome| **outcome == Outcome::Done(())).count(), 2);
        assert_eq!(outcomes.iter().filter(|outcome| **outcome == Outcome::NotRun).count(), 3);
    }

    #[test]
    fn cycles_are_reported() {
        let mut graph = StepGraph::new();
        for index in 0..3 {
            graph.add(index);
        }
        graph.order(0, 1);
        graph.order(1, 2);
        assert!(graph.check_acyclic().is_ok());
        graph.order(2, 1);
        assert_eq!(graph.check_acyclic(), Err(Cycle(vec![1, 2])));
    }
}
