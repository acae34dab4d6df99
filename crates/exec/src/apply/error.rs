//! Why a step failed.

use flowform_model::Address;

use crate::state::StoreError;

/// Why one step failed. The CLI prints it like every other error: the step's label as the
/// `error:` line, then one `caused by:` line per source, then [`StepError::hint`].
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A request to integrator.io failed (the client's message names the request, the status
    /// and the API's error codes). Boxed: the client's error is large, and steps return this.
    #[error(transparent)]
    Api(Box<flowform_api::Error>),
    /// A clone request got no definite answer: the clone may exist.
    #[error("the clone of `{source_id}` got no definite answer")]
    CloneUnsure {
        /// The resource being cloned.
        source_id: String,
        /// The name the clone would have.
        name: String,
        /// The request's failure.
        #[source]
        source: Box<flowform_api::Error>,
    },
    /// The request body could not be built (an unresolved reference or secret, or a masked
    /// value that would be sent back).
    #[error(transparent)]
    Body(#[from] flowform_diff::WriteError),
    /// The account changed, but the state could not record it.
    #[error("the change was made in the account, but recording it in the state failed")]
    State(#[source] StoreError),
    /// The live resource changed since the plan was made.
    #[error(
        "`{address}` was modified in the account after the plan was made (lastModified {planned} then, {now} now)"
    )]
    ModifiedSincePlan {
        /// The resource.
        address: Address,
        /// The `lastModified` the plan saw.
        planned: String,
        /// The `lastModified` now.
        now: String,
    },
    /// A resource the step needs has no id yet (its own create did not happen).
    #[error("`{address}` has no id in the target account")]
    MissingId {
        /// The resource without an id.
        address: Address,
    },
    /// A flow was written with `disabled`, but the account answered with the other value.
    #[error(
        "`{address}` was written with `disabled: {disabled}`, but integrator.io answered that it is still {}",
        if *disabled { "enabled" } else { "disabled" }
    )]
    DisabledNotApplied {
        /// The flow.
        address: Address,
        /// The value sent.
        disabled: bool,
    },
    /// The account refused a delete because something still uses the resource.
    #[error("`{address}` (`{id}`) is still used by {}", users.join(", "))]
    InUse {
        /// The resource.
        address: Address,
        /// Its id.
        id: String,
        /// What uses it, as `/dependencies` lists it.
        users: Vec<String>,
        /// The refusal.
        #[source]
        source: Box<flowform_api::Error>,
    },
    /// A lookup cache's data could not be written.
    #[error("the lookup cache's data could not be written")]
    Data(#[source] crate::lookup_data::DataError),
    /// A flow's group is not (or no longer) a group of its integration.
    #[error(
        "`{address}` names the flow group `{name}`, which integration `{integration}` does not have"
    )]
    NoFlowGroup {
        /// The flow.
        address: Address,
        /// The group's name.
        name: String,
        /// The integration's id.
        integration: String,
    },
    /// A write's request ended without an answer because its task was cancelled (the runtime
    /// is stopping): the write may or may not have reached the service.
    #[error("the write of `{address}` was cancelled before integrator.io answered")]
    Cancelled {
        /// The resource.
        address: Address,
    },
    /// The plan names a resource the spec does not declare (a plan and spec that do not belong
    /// together).
    #[error("`{address}` is not in the spec")]
    NotInSpec {
        /// The resource.
        address: Address,
    },
}

impl From<flowform_api::Error> for StepError {
    fn from(error: flowform_api::Error) -> StepError {
        StepError::Api(Box::new(error))
    }
}

impl StepError {
    /// Whether running the same command again can succeed without anyone fixing anything: a
    /// transient failure of the service or the network, or a state that could not be written.
    pub fn is_transient(&self) -> bool {
        match self {
            StepError::Api(error) => error.is_retryable(),
            StepError::State(_) | StepError::Cancelled { .. } => true,
            _ => false,
        }
    }

    /// How to go on, when there is something to say beyond re-running.
    pub fn hint(&self) -> Option<String> {
        match self {
            StepError::CloneUnsure { name, .. } => Some(format!(
                "the clone may have happened: look for a new `{name}` in the account before running the command again"
            )),
            StepError::State(_) => Some(
                "run the same command again once the state is writable; it finds the change in the account and converges"
                    .to_owned(),
            ),
            StepError::ModifiedSincePlan { .. } => {
                Some("plan again, and review what changed in the account".to_owned())
            }
            StepError::InUse { address, .. } => Some(format!(
                "flowform deletes only what its state manages: delete or change what uses `{address}` in integrator.io (or bring it under management with `flowform import`), then run the same command again; `flowform state rm {address}` keeps `{address}` in the account and stops managing it"
            )),
            StepError::DisabledNotApplied { address, .. } => Some(format!(
                "open `{address}` in integrator.io to see why it keeps that state (a flow whose steps are incomplete cannot be enabled), fix it, and run `flowform apply` again"
            )),
            _ => None,
        }
    }
}
