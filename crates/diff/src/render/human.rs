//! The plan for a person at a terminal.

use std::fmt::Write as _;

use flowform_model::{ActionKind, Change, FieldChange, FieldOp, Kind, OutsideChange, Plan};
use owo_colors::{OwoColorize, Style};

use super::{
    GROUPS, Line, PlanTarget, ShownValue, activation, copy_source, data_lines, element_word,
    lookup_line, plan_line, shown_outside, shown_sides, state_value, unified_lines, whole_lines,
    without_baseline_note,
};

/// Options of the human rendering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// Colour the output with ANSI escapes. The caller decides: only on a terminal, never with
    /// `NO_COLOR`.
    pub color: bool,
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, text: &str, style: Style) -> String {
        if self.color { text.style(style).to_string() } else { text.to_owned() }
    }
}

fn action_style(action: ActionKind) -> Style {
    match action {
        ActionKind::Create | ActionKind::Clone => Style::new().green(),
        ActionKind::Update => Style::new().yellow(),
        ActionKind::Adopt | ActionKind::Move | ActionKind::StateOnly => Style::new().cyan(),
        ActionKind::Delete => Style::new().red(),
        ActionKind::NoOp => Style::new(),
    }
}

fn action_symbol(action: ActionKind) -> &'static str {
    match action {
        ActionKind::Create | ActionKind::Clone => "+",
        ActionKind::Update | ActionKind::StateOnly => "~",
        ActionKind::Adopt => "<=",
        ActionKind::Move => "->",
        ActionKind::Delete => "-",
        ActionKind::NoOp => " ",
    }
}

/// Renders the plan for a terminal: problems first, then changes grouped by action with their
/// field changes (`path: old → new`, long text as unified diffs), flow activations, drift and
/// deletes set apart, warnings, and the closing
/// `Plan: N to create, N to clone, N to update, N to delete.` line.
pub fn human(plan: &Plan, options: &HumanOptions) -> String {
    render(plan, options, None)
}

/// [`human`], with a first line naming the account the plan applies to (and the environment):
/// what `plan`, `apply`, `destroy` and `show` print.
pub fn human_for(plan: &Plan, options: &HumanOptions, target: &PlanTarget) -> String {
    render(plan, options, Some(target))
}

fn render(plan: &Plan, options: &HumanOptions, target: Option<&PlanTarget>) -> String {
    let painter = Painter { color: options.color };
    let mut out = String::new();

    if let Some(target) = target {
        let _ = writeln!(out, "{}\n", painter.paint(&target.line(""), Style::new().bold()));
    }

    for problem in &plan.problems {
        let _ = writeln!(
            out,
            "{} {}",
            painter.paint("error:", Style::new().red().bold()),
            problem.message
        );
        if let Some(hint) = &problem.hint {
            let _ = writeln!(out, "  {} {hint}", painter.paint("hint:", Style::new().bold()));
        }
    }
    if !plan.problems.is_empty() {
        out.push('\n');
    }

    if plan.refresh_only {
        let _ = writeln!(
            out,
            "{}\n",
            painter.paint(
                "Refresh-only plan: nothing is written to the account; applying it records the account as it is in the state.",
                Style::new().bold()
            )
        );
        if plan.changed_outside.is_empty() && plan.problems.is_empty() {
            out.push_str("No changes outside flowform. The state matches the account.\n\n");
        }
    } else if !plan.has_changes() && plan.problems.is_empty() {
        out.push_str("No changes. The account matches the spec.\n\n");
    }
    render_outside(&mut out, &painter, plan);

    for (action, title) in GROUPS.iter().filter(|(action, _)| *action != ActionKind::Delete) {
        render_group(&mut out, &painter, plan, *action, title);
    }

    let activations: Vec<(&Change, String)> = plan
        .actionable()
        .filter_map(|change| activation(change).map(|reason| (change, reason)))
        .collect();
    if !activations.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            painter.paint(
                "Flow activations (these flows start running or change schedule):",
                Style::new().magenta().bold()
            )
        );
        for (change, reason) in activations {
            let _ = writeln!(
                out,
                "  {} {}: {reason}",
                painter.paint("!", Style::new().magenta()),
                change.address
            );
        }
        out.push('\n');
    }

    let drifted: Vec<&Change> = plan.actionable().filter(|change| change.has_drift()).collect();
    if !drifted.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            painter.paint(
                "Drift (changed outside flowform since the last apply; the apply puts the spec back):",
                Style::new().magenta().bold()
            )
        );
        for change in drifted {
            let paths: Vec<String> = change
                .fields()
                .iter()
                .filter(|field| field.drift)
                .map(|field| field.path.to_string())
                .collect();
            let _ = writeln!(out, "  {}: {}", change.address, paths.join(", "));
        }
        out.push('\n');
    }

    render_group(&mut out, &painter, plan, ActionKind::Delete, "Delete");

    if !plan.lookups.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            painter.paint(
                "Lookups (found in the account by the spec's `data:` section, not managed):",
                Style::new().bold()
            )
        );
        for found in &plan.lookups {
            let _ = writeln!(out, "  {}", lookup_line(found, ""));
        }
        out.push('\n');
    }

    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "{}", painter.paint("Warnings:", Style::new().yellow().bold()));
        for warning in &plan.warnings {
            let _ = writeln!(out, "  - {warning}");
        }
        out.push('\n');
    }

    if let Some(note) = without_baseline_note(plan) {
        let _ = writeln!(out, "{} {note}\n", painter.paint("note:", Style::new().bold()));
    }

    let summary = plan.summary();
    let mut extra = Vec::new();
    if summary.adopt > 0 {
        extra.push(format!("{} to adopt", summary.adopt));
    }
    if summary.moved > 0 {
        extra.push(format!("{} to move", summary.moved));
    }
    if summary.state_only > 0 {
        extra.push(format!(
            "{} state-only change{} (recorded in the state, nothing sent)",
            summary.state_only,
            if summary.state_only == 1 { "" } else { "s" }
        ));
    }
    if summary.no_op > 0 && !plan.refresh_only {
        extra.push(format!("{} unchanged", summary.no_op));
    }
    if !extra.is_empty() {
        let _ = writeln!(out, "Also: {}.", extra.join(", "));
    }
    if !plan.problems.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            painter.paint(
                &format!(
                    "The plan has {} problem{} and cannot be applied.",
                    plan.problems.len(),
                    if plan.problems.len() == 1 { "" } else { "s" }
                ),
                Style::new().red().bold()
            )
        );
    }
    let _ = writeln!(out, "{}", painter.paint(&plan_line(plan), Style::new().bold()));
    out
}

fn render_group(out: &mut String, painter: &Painter, plan: &Plan, action: ActionKind, title: &str) {
    let changes: Vec<&Change> =
        plan.changes.iter().filter(|change| change.action_kind() == action).collect();
    if changes.is_empty() {
        return;
    }
    let heading = format!("{title} ({}):", changes.len());
    let heading_style =
        if action == ActionKind::Delete { Style::new().red().bold() } else { Style::new().bold() };
    let _ = writeln!(out, "{}", painter.paint(&heading, heading_style));
    for change in changes {
        render_change(out, painter, change);
    }
    out.push('\n');
}

fn render_change(out: &mut String, painter: &Painter, change: &Change) {
    let mut header = format!(
        "  {} {}",
        painter.paint(action_symbol(change.action_kind()), action_style(change.action_kind())),
        painter.paint(&change.address.to_string(), Style::new().bold())
    );
    if let Some(name) = &change.name {
        let _ = write!(header, " {}", serde_json::Value::String(name.clone()));
    }
    if let Some(id) = change.id() {
        let _ = write!(header, " ({id})");
    }
    if let Some(from) = change.action.moved_from() {
        let _ = write!(header, ", moved from {from}");
    }
    if let Some(source) = change.action.clone_from() {
        let source = match source {
            flowform_model::RefOrId::Ref(address) => format!("${{{address}}}"),
            flowform_model::RefOrId::Id(id) => id.clone(),
        };
        let _ = write!(header, ", cloned from {source}");
    }
    if change.action_kind() == ActionKind::StateOnly {
        let _ = write!(header, " (state only)");
    }
    let _ = writeln!(out, "{header}");
    for field in change.fields() {
        render_field(out, painter, change.kind(), change.action_kind(), field);
    }
    if let Some(data) = &change.data {
        for (index, line) in data_lines(data, "").into_iter().enumerate() {
            let symbol = if index == 0 { "~" } else { " " };
            let _ = writeln!(out, "      {} {line}", painter.paint(symbol, Style::new().yellow()));
        }
    }
    for state_change in change.action.state_changes() {
        let _ = writeln!(
            out,
            "      {} {}: {} → {}",
            painter.paint("~", Style::new().cyan()),
            state_change.flag.as_str(),
            state_value(&state_change.before),
            state_value(&state_change.after)
        );
    }
    if !change.action.copies().is_empty() {
        let _ = writeln!(out, "      the clone makes:");
        for copy in change.action.copies() {
            let mut line = format!(
                "        {} {}",
                painter.paint("+", Style::new().green()),
                painter.paint(&copy.address.to_string(), Style::new().bold())
            );
            if let Some(name) = &copy.name {
                let _ = write!(line, " {}", serde_json::Value::String(name.clone()));
            }
            let _ = write!(line, " (copy of {})", copy_source(&copy.source));
            if !copy.kept {
                let _ = write!(
                    line,
                    ", {}",
                    painter.paint(
                        "unused once the spec is written: deleted after the clone",
                        Style::new().red()
                    )
                );
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if !change.used_by.is_empty() {
        let flows: Vec<String> = change.used_by.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "      used by: {}", flows.join(", "));
    }
    if change.action_kind() == ActionKind::Delete && !change.depends_on.is_empty() {
        let waits: Vec<String> = change.waits_for().map(ToString::to_string).collect();
        let _ = writeln!(out, "      after: {}", waits.join(", "));
    }
}

fn render_field(
    out: &mut String,
    painter: &Painter,
    kind: Kind,
    action: ActionKind,
    field: &FieldChange,
) {
    let (before, after) = shown_sides(kind, field);
    let (symbol, style) = match field.op {
        FieldOp::Add => ("+", Style::new().green()),
        FieldOp::Remove => ("-", Style::new().red()),
        FieldOp::Replace => ("~", Style::new().yellow()),
    };
    let mut drift = if field.drift {
        format!("  {}", painter.paint("(drift: changed outside flowform)", Style::new().magenta()))
    } else {
        String::new()
    };
    if let Some(note) = super::unverified_note(field) {
        drift
            .push_str(&format!("  {}", painter.paint(&format!("({note})"), Style::new().yellow())));
    }
    if let Some(note) = super::replacement_note(field) {
        drift.push_str(&format!("  ({note})"));
    }
    let marker = painter.paint(symbol, style);
    let long = before.is_some_and(ShownValue::is_long) || after.is_some_and(ShownValue::is_long);
    let lines = if let Some(word) = element_word(action, field) {
        // An element inserted into or removed from a list: its value, once.
        let value = if field.op == FieldOp::Add { after } else { before };
        match value {
            Some(value) if value.is_long() => {
                let _ = writeln!(out, "      {marker} {} ({word}):{drift}", field.path);
                whole_lines(&value.long_text(), field.op == FieldOp::Add)
            }
            Some(value) => {
                let text = value.short();
                let _ = writeln!(out, "      {marker} {} ({word}): {text}{drift}", field.path);
                return;
            }
            None => {
                let _ = writeln!(out, "      {marker} {} ({word}){drift}", field.path);
                return;
            }
        }
    } else if !long {
        let text = match (before, after) {
            (Some(before), Some(after)) => format!("{} → {}", before.short(), after.short()),
            (None, Some(after)) if matches!(action, ActionKind::Create | ActionKind::Clone) => {
                after.short()
            }
            (None, Some(after)) => format!("(absent) → {}", after.short()),
            (Some(before), None) => format!("{} → (absent)", before.short()),
            (None, None) => "(absent)".to_owned(),
        };
        let _ = writeln!(out, "      {marker} {}: {text}{drift}", field.path);
        return;
    } else {
        let _ = writeln!(out, "      {marker} {}:{drift}", field.path);
        match (before, after) {
            (Some(before), Some(after)) => unified_lines(&before.long_text(), &after.long_text()),
            (None, Some(after)) => whole_lines(&after.long_text(), true),
            (Some(before), None) => whole_lines(&before.long_text(), false),
            (None, None) => Vec::new(),
        }
    };
    for line in lines {
        let text = match &line {
            Line::Added(text) => painter.paint(&format!("+{text}"), Style::new().green()),
            Line::Removed(text) => painter.paint(&format!("-{text}"), Style::new().red()),
            Line::Context(text) => format!(" {text}"),
            Line::Hunk(text) => painter.paint(text, Style::new().cyan()),
        };
        let _ = writeln!(out, "          {text}");
    }
}

/// The resources changed outside flowform: a note in an ordinary plan (no action), the whole
/// content of a refresh-only plan. Only the live value now is known.
fn render_outside(out: &mut String, painter: &Painter, plan: &Plan) {
    if plan.changed_outside.is_empty() {
        return;
    }
    let title = if plan.refresh_only {
        format!("Changed outside flowform since the last apply ({}):", plan.changed_outside.len())
    } else {
        "Changed outside flowform since the last apply (no action; `flowform apply --refresh-only` accepts these changes into the state):".to_owned()
    };
    let _ = writeln!(out, "{}", painter.paint(&title, Style::new().magenta().bold()));
    for change in &plan.changed_outside {
        render_outside_change(out, painter, plan.refresh_only, change);
    }
    out.push('\n');
}

fn render_outside_change(
    out: &mut String,
    painter: &Painter,
    refresh_only: bool,
    change: &OutsideChange,
) {
    let (symbol, style) =
        if change.deleted { ("-", Style::new().red()) } else { ("~", Style::new().magenta()) };
    let mut header = format!(
        "  {} {}",
        painter.paint(symbol, style),
        painter.paint(&change.address.to_string(), Style::new().bold())
    );
    if let Some(name) = &change.name {
        let _ = write!(header, " {}", serde_json::Value::String(name.clone()));
    }
    let _ = write!(header, " ({})", change.id);
    if change.deleted {
        header.push_str(if refresh_only {
            ": deleted outside flowform (applying removes it from the state)"
        } else {
            ": deleted outside flowform"
        });
    }
    let _ = writeln!(out, "{header}");
    let kind = change.address.kind;
    for field in &change.fields {
        let (symbol, style) = match field.op {
            FieldOp::Add => ("+", Style::new().green()),
            FieldOp::Remove => ("-", Style::new().red()),
            FieldOp::Replace => ("~", Style::new().yellow()),
        };
        let marker = painter.paint(symbol, style);
        match shown_outside(kind, field) {
            None => {
                let _ = writeln!(out, "      {marker} {}: (removed)", field.path);
            }
            Some(value) if value.is_long() => {
                let _ = writeln!(out, "      {marker} {}:", field.path);
                for line in value.long_text().lines() {
                    let _ = writeln!(out, "          {}", painter.paint(line, style));
                }
            }
            Some(value) => {
                let _ = writeln!(out, "      {marker} {}: {}", field.path, value.short());
            }
        }
    }
}
