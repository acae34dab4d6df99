//! The executor: turns a plan into ordered API calls and records every completed step in the
//! state at once.
//!
//! Where things are:
//! - [`steps`]: the steps of a plan and their order ([`build_steps`]), from the plan's
//!   `depends_on` alone;
//! - `run`: the run itself: the write-ahead records, the phases (writes with their fixups and
//!   deletes, then the enable-last phase), the secret baselines;
//! - `ahead`: the reads of updates sent when the run starts (GET-ahead), the writes kept in
//!   order;
//! - `context`: what every step shares (ids, documents written in this run, the state writer);
//! - `ops`: one module per operation: `create`, `clone`, `update`, `rewrite` (fixups and
//!   enables), `delete`, and `bind` (the state bookkeeping of adopts and moves);
//! - [`StepError`]: why a step failed, with its causes as a `#[source]` chain;
//! - `refresh`: [`accept`], which carries out a refresh-only plan (`apply --refresh-only`): the
//!   account as it is becomes the state's baselines, and nothing is sent to the account.
//!
//! Steps and their order:
//! - a *write* per create, clone, adopt, move and update. A write waits for the creates of the
//!   resources it references (it needs their ids) and for the updates of its parents (parents
//!   first). A reference inside `_runNextFlowIds`, `_runNextExportIds` or `aliases` to a
//!   resource created in the same run is left out of the write and added by a *fixup* update
//!   once both exist, which is how reference cycles are broken;
//! - a *delete* per delete, after every update that drops a reference to it and every delete
//!   of a resource that references it (children first);
//! - an *enable* per flow the spec wants enabled that is created or currently disabled: flows
//!   are written with `disabled: true` and enabled in a last phase, once everything else ran,
//!   if the flow and everything it depends on were written.
//!
//! Every create is first recorded as a write-ahead `pending` entry (one state write before any
//! create is sent), so a create whose answer is lost, even to a crash, is found and adopted on
//! the next run instead of being created twice.
//!
//! The executor never prints: it reports progress through [`ApplyOptions::progress`] and returns
//! an [`ApplyReport`].

mod ahead;
mod context;
mod error;
mod ops;
mod refresh;
mod run;
pub mod steps;

use std::sync::atomic::AtomicBool;

use flowform_model::Address;

pub use ahead::EarlyReads;
pub use error::StepError;
pub use refresh::{RefreshReport, accept};
pub use run::apply;
pub use steps::{Operation, Step, build_steps};

/// What happened to one step.
#[derive(Debug)]
pub enum StepOutcome {
    /// Done; the text says what (`created (65a…)`, `recovered a lost create (65a…)`, …).
    Done(String),
    /// Failed, and why.
    Failed(StepError),
    /// Not run because a step it depends on failed; the text says which.
    Skipped(String),
    /// Not run because the apply was interrupted.
    NotRun,
}

/// Progress, for the CLI to render.
#[derive(Debug)]
pub enum Progress<'a> {
    /// The apply is about to run this many steps: the plan's steps and the enables of the
    /// enable-last phase, counted from the plan and the live documents it was made from, so the
    /// total stays put when that phase starts.
    Started {
        /// The number of steps.
        total: usize,
    },
    /// The enable-last phase needs another number of steps than counted at the start (a flow
    /// was enabled or disabled in the account since the plan was made): the new total.
    Total {
        /// The number of steps.
        total: usize,
    },
    /// A step began.
    StepStarted {
        /// Its label (`create flow.nightly`).
        label: &'a str,
        /// The resource.
        address: &'a Address,
        /// What the step does: `create`, `clone`, `adopt`, `move`, `update`, `link`, `enable` or
        /// `delete`.
        action: &'static str,
    },
    /// A step ended (or was skipped without starting).
    StepFinished {
        /// Its label.
        label: &'a str,
        /// The resource.
        address: &'a Address,
        /// What the step does, as in [`Progress::StepStarted`].
        action: &'static str,
        /// How.
        outcome: &'a StepOutcome,
    },
}

/// Options of an apply.
pub struct ApplyOptions<'a> {
    /// Steps in flight at most (`--parallelism`, default 8) while the client's rate budget has
    /// no requests to spare.
    pub parallelism: usize,
    /// Steps in flight at most while the rate budget has requests to spare: one step per spare
    /// request, up to this. A full bucket (after an idle period) is spent at once instead of
    /// `parallelism` steps at a time, and steps too slow to use the rate (long latency) get
    /// more company until the bucket stops filling up. `parallelism` or less turns it off.
    pub burst_parallelism: usize,
    /// Set (by a Ctrl-C handler) to stop scheduling; steps in flight finish.
    pub stop: &'a AtomicBool,
    /// Receives progress events.
    pub progress: &'a (dyn Fn(&Progress<'_>) + Sync),
    /// The updates' reads sent while the plan was made ([`crate::planner::make_plan_reading`]),
    /// taken by the run instead of being sent again.
    pub early_reads: Option<&'a EarlyReads>,
}

/// One step in the report.
#[derive(Debug)]
pub struct StepReport {
    /// The step's label.
    pub label: String,
    /// The resource.
    pub address: Address,
    /// What the step does, as in [`Progress::StepStarted`].
    pub action: &'static str,
    /// The outcome.
    pub outcome: StepOutcome,
}

/// The result of an apply.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Every step, in run order.
    pub steps: Vec<StepReport>,
    /// Whether a stop was requested.
    pub interrupted: bool,
    /// The baselines recorded after the steps (fingerprints of secrets flowform never wrote,
    /// live baselines of resources whose state entry had none) could not be written to the
    /// state; every step's own record is not affected.
    pub baselines_not_recorded: Option<crate::state::StoreError>,
}

impl ApplyReport {
    /// Steps that ran and succeeded.
    pub fn done(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| matches!(step.outcome, StepOutcome::Done(_)))
    }

    /// Steps that failed.
    pub fn failed(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| matches!(step.outcome, StepOutcome::Failed(_)))
    }

    /// Steps skipped because a step they depend on failed.
    pub fn skipped(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| matches!(step.outcome, StepOutcome::Skipped(_)))
    }

    /// Steps that did not run because the apply was interrupted.
    pub fn not_run(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| matches!(step.outcome, StepOutcome::NotRun))
    }

    /// Whether every step ran and succeeded.
    pub fn is_success(&self) -> bool {
        !self.interrupted
            && self.steps.iter().all(|step| matches!(step.outcome, StepOutcome::Done(_)))
    }
}

/// Why the apply could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The write-ahead records could not be written; nothing was sent.
    #[error("cannot record the creates about to be sent in the state; nothing was changed")]
    State(#[source] crate::state::StoreError),
    /// The plan's order has a cycle the executor cannot break.
    #[error("the changes cannot be ordered: {0}")]
    Cycle(String),
}
