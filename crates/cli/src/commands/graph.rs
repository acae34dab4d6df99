//! `flowform graph`: the spec's dependency graph on stdout, as Mermaid or Graphviz DOT, from the
//! spec alone (offline, like `validate`). `--target` draws what `plan --target` would select;
//! `--plan FILE` colours each resource by the action a saved plan records for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use flowform_diff::render::graph::{DependencyGraph, PlannedAction};
use flowform_exec::planner::{PlanError, target_scope};
use flowform_exec::saved::{self, SavedPlan};
use flowform_model::{ActionKind, Address, DesiredState, State};
use flowform_spec::SecretPolicy;

use super::load_spec;
use crate::args::{GraphArgs, GraphFormat};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

/// Mermaid's default limits (`maxEdges`, `maxTextSize`): GitHub and GitLab refuse to draw a
/// bigger diagram.
const MERMAID_MAX_EDGES: usize = 500;
const MERMAID_MAX_TEXT: usize = 50_000;

pub fn graph(
    settings: &Settings,
    printer: &Printer,
    args: &GraphArgs,
) -> anyhow::Result<ExitStatus> {
    // Secrets are not needed to draw references; unset ones are not worth a warning here.
    let loaded = load_spec(settings, printer, SecretPolicy::Offline, false)?;
    let desired = &loaded.desired;
    let scope = match args.targets.as_slice() {
        [] => None,
        targets => Some(scope_of(desired, targets, "--target")?),
    };
    let mut graph = DependencyGraph::from_desired(desired, scope.as_ref());
    if let Some(path) = &args.plan {
        let document = read_saved_plan(path)?;
        let shown = path.display().to_string();
        let (actions, planned_scope) =
            planned_actions(printer, desired, &document, &shown, scope.as_ref())?;
        graph.set_actions(&actions, planned_scope.as_ref());
    }
    let text = match args.format {
        GraphFormat::Mermaid => graph.mermaid(),
        GraphFormat::Dot => graph.dot(),
    };
    printer.data(&text);
    if args.format == GraphFormat::Mermaid
        && (graph.edges.len() > MERMAID_MAX_EDGES || text.len() > MERMAID_MAX_TEXT)
    {
        printer.warning(&format!(
            "the graph has {} references and {} characters: Mermaid renderers (GitHub and GitLab \
             among them) refuse diagrams over {MERMAID_MAX_EDGES} edges or {MERMAID_MAX_TEXT} \
             characters; draw part of it with `--target ADDR`, or use `--format dot`",
            graph.edges.len(),
            text.len()
        ));
    }
    Ok(ExitStatus::Success)
}

/// An empty state: the graph is drawn from the spec alone, so targets must name spec resources.
fn no_state() -> State {
    State::new(String::new(), String::new(), String::new())
}

/// The `--target` closure, as `plan --target` computes it, against the spec alone.
fn scope_of(
    desired: &DesiredState,
    targets: &[String],
    flag: &str,
) -> anyhow::Result<BTreeSet<Address>> {
    match target_scope(desired, &no_state(), targets) {
        Ok(scope) => Ok(scope.with_dependencies),
        Err(PlanError::UnknownTarget(target)) => {
            Err(UserError::new(format!("`{flag} {target}` names no resource in the spec"))
                .with_hint("give an address of the spec, such as `flow.nightly-sync`")
                .into())
        }
        Err(error) => Err(UserError::new(error.to_string())
            .with_hint("give an address of the spec, such as `flow.nightly-sync`")
            .into()),
    }
}

fn read_saved_plan(path: &Path) -> anyhow::Result<SavedPlan> {
    let shown = path.display().to_string();
    let text = fs_err::read_to_string(path).map_err(|error| {
        UserError::new(format!("cannot read the plan file `{shown}`")).with_source(error)
    })?;
    saved::parse(&shown, &text).map_err(|error| {
        UserError::new(error.to_string())
            .with_hint("give a file written by `flowform plan --out FILE`")
            .into()
    })
}

/// The actions of a saved plan by address, and the `--target` closure it was made with.
type Planned = (BTreeMap<Address, PlannedAction>, Option<BTreeSet<Address>>);

/// The actions a saved plan records, by address, and the part of the spec it planned (its
/// `--target` closure; `None` when it planned everything). The plan is parsed, not verified:
/// verifying needs the state and the account, and a picture does not.
fn planned_actions(
    printer: &Printer,
    desired: &DesiredState,
    document: &SavedPlan,
    shown: &str,
    drawn: Option<&BTreeSet<Address>>,
) -> anyhow::Result<Planned> {
    let mut actions = BTreeMap::new();
    let mut strangers = Vec::new();
    for change in &document.changes {
        let unreadable = |reason: String| {
            UserError::new(format!("`{shown}` is not a readable flowform plan: {reason}"))
                .with_hint("give a file written by `flowform plan --out FILE`")
        };
        let address = Address::from_str(&change.address).map_err(|error| {
            unreadable(format!("`{}` is not an address ({error})", change.address))
        })?;
        let action = PlannedAction::from_name(&change.action).ok_or_else(|| {
            unreadable(format!("unknown action `{}` for `{address}`", change.action))
        })?;
        let is_delete = change.action == ActionKind::Delete.as_str();
        if !is_delete && desired.get(&address).is_none() {
            strangers.push(format!("`{address}` ({})", change.action));
        }
        // With `--target`, only what is drawn; a delete only when it is named itself.
        let keep = drawn.is_none_or(|drawn| drawn.contains(&address));
        if keep {
            actions.insert(address, action);
        }
    }
    if !strangers.is_empty() {
        printer.warning(&format!(
            "the plan `{shown}` changes {} that the spec does not declare: it was made from \
             another version of the spec, so the actions shown may be out of date",
            strangers.join(", ")
        ));
    }
    let planned_scope = match document.options.targets.as_slice() {
        [] => None,
        targets => match target_scope(desired, &no_state(), targets) {
            Ok(scope) => Some(scope.with_dependencies),
            Err(_) => {
                printer.warning(&format!(
                    "the plan `{shown}` was limited to {} which the spec no longer declares; \
                     resources it did not change are shown as unchanged",
                    targets
                        .iter()
                        .map(|target| format!("`{target}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                None
            }
        },
    };
    Ok((actions, planned_scope))
}
