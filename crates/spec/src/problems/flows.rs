//! Problems with the flow rules the API enforces: steps or routers, router ids, step types,
//! schedules.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};

/// A flow with both `pageProcessors` and `routers`.
pub(crate) fn steps_and_routers(file: &SourceFile, routers: Span, steps: Span) -> Diagnostic {
    Diagnostic::error(
        Code::StepsAndRouters,
        file,
        routers,
        "a flow has either `pageProcessors` or `routers`, not both",
    )
    .with_label("`routers` here")
    .with_help("move the steps into a router branch's `pageProcessors`, or remove `routers`")
    .with_related(Diagnostic::note(file, steps, "`pageProcessors` here"))
}

/// Two routers of a flow with one id.
pub(crate) fn duplicate_router_id(
    file: &SourceFile,
    span: Span,
    id: &str,
    first: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateRouterId,
        file,
        span,
        format!("router id `{id}` is used twice in this flow"),
    )
    .with_label("duplicate id")
    .with_help("give every router of a flow its own `id`")
    .with_related(Diagnostic::note(file, first, format!("`{id}` first used here")))
}

/// A `nextRouterId` that names no router; `help` lists the close or known ids.
pub(crate) fn unknown_next_router(
    file: &SourceFile,
    span: Span,
    next: &str,
    help: String,
) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownNextRouter,
        file,
        span,
        format!("`nextRouterId` `{next}` names no router of this flow"),
    )
    .with_label("unknown router id")
    .with_help(help)
}

/// A step whose `type` does not match its id field; `step` is its path.
pub(crate) fn step_type(
    file: &SourceFile,
    span: Span,
    message: String,
    step: &str,
    help: &str,
) -> Diagnostic {
    Diagnostic::error(Code::StepType, file, span, message)
        .with_label(format!("step {step}"))
        .with_help(help)
}

/// A `schedule` that is not a string.
pub(crate) fn schedule_not_a_string(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(Code::Schedule, file, span, "a `schedule` must be a string")
        .with_help("for example `schedule: \"? 0 2 * * *\"`")
}

/// A `schedule` that is not Celigo's cron; `help` says what to write.
pub(crate) fn invalid_cron(file: &SourceFile, span: Span, text: &str, help: String) -> Diagnostic {
    Diagnostic::error(
        Code::Schedule,
        file,
        span,
        format!("`{text}` is not Celigo's 6-field cron with a leading `?` (the seconds field)"),
    )
    .with_label("invalid schedule")
    .with_help(help)
}

/// A scheduled flow without a `timezone`.
pub(crate) fn schedule_without_timezone(file: &SourceFile, span: Span) -> Diagnostic {
    Diagnostic::error(Code::Schedule, file, span, "a scheduled flow needs a `timezone`")
        .with_label("schedule without timezone")
        .with_help("add an IANA zone name, such as `timezone: America/New_York` or `timezone: UTC`")
}
