//! The plan as one pull-request comment: bounded in size whatever the plan's size.

use std::fmt::Write as _;

use flowform_model::{ActionKind, Change, FieldChange, FieldOp, Kind, OutsideChange, Plan};

use super::mermaid::{MERMAID_MAX_EDGES, MERMAID_MAX_TEXT, mermaid_edges};
use super::plan_pictures::{PlanPicture, plan_pictures};

use super::{
    GROUPS, Line, PlanTarget, ShownValue, activation, copy_source, data_lines, element_word,
    lookup_line, plan_line, shown_outside, shown_sides, state_value, unified_lines, whole_lines,
    without_baseline_note,
};

/// Options of the markdown rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// The most characters the comment may hold (GitHub allows 65,536 per comment).
    pub max_chars: usize,
}

impl Default for MarkdownOptions {
    fn default() -> MarkdownOptions {
        MarkdownOptions { max_chars: 60_000 }
    }
}

/// Room kept for the truncation note.
const NOTE_RESERVE: usize = 400;
/// A block is cut to fit only when at least this much room is left; otherwise it is left out.
const MIN_CUT_BLOCK: usize = 600;
/// Lists in the head (problems, deletes, activations, drift, warnings) show at most this many
/// entries each.
const HEAD_LIST_LIMIT: usize = 30;
/// A single warning or problem line is cut to this many characters.
const HEAD_LINE_LIMIT: usize = 400;

fn chars(text: &str) -> usize {
    text.chars().count()
}

fn cut(text: &str, limit: usize) -> String {
    if chars(text) <= limit {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(limit.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A fence longer than any run of backticks in `content`.
fn fence_for(content: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for character in content.chars() {
        if character == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Renders the plan for a pull-request comment of at most `max_chars` characters: the summary
/// table first, then problems, deletes, flow activations, drift and warnings, then a picture of
/// each flow the plan touches (a Mermaid flowchart, see [`plan_pictures`]), then one `<details>`
/// block per resource (deletes first). When it does not all fit, pictures are left out first
/// (whole, from the last), then the last resource blocks (or the last one is cut), and a note
/// says how many and where to see everything.
pub fn markdown(plan: &Plan, options: &MarkdownOptions) -> String {
    render(plan, options, None)
}

/// [`markdown`], with a line under the title naming the account the plan applies to (and the
/// environment): what `plan --format markdown` and `show --format markdown` print.
pub fn markdown_for(plan: &Plan, options: &MarkdownOptions, target: &PlanTarget) -> String {
    render(plan, options, Some(target))
}

fn render(plan: &Plan, options: &MarkdownOptions, target: Option<&PlanTarget>) -> String {
    let max_chars = options.max_chars;
    let summary = plan.summary();
    let mut head = String::new();
    if plan.refresh_only {
        head.push_str("### flowform refresh-only plan\n\n");
        if let Some(target) = target {
            let _ =
                writeln!(head, "{}\n", cut(&target.line("`").replace('\n', " "), HEAD_LINE_LIMIT));
        }
        head.push_str("Nothing is written to the account; applying this plan records the account as it is in the state.\n\n");
        let deleted = plan.changed_outside.iter().filter(|change| change.deleted).count();
        head.push_str("| outside flowform | count |\n| --- | ---: |\n");
        let _ = writeln!(head, "| changed | {} |", plan.changed_outside.len() - deleted);
        let _ = writeln!(head, "| deleted | {deleted} |");
        let _ = writeln!(head, "\n**{}**\n", plan_line(plan));
        if plan.changed_outside.is_empty() && plan.problems.is_empty() {
            head.push_str("No changes outside flowform. The state matches the account.\n\n");
        }
    } else {
        head.push_str("### flowform plan\n\n");
        if let Some(target) = target {
            let _ =
                writeln!(head, "{}\n", cut(&target.line("`").replace('\n', " "), HEAD_LINE_LIMIT));
        }
        head.push_str("| action | count |\n| --- | ---: |\n");
        for (label, count) in [
            ("create", summary.create),
            ("clone", summary.clone),
            ("update", summary.update),
            ("adopt", summary.adopt),
            ("move", summary.moved),
            ("delete", summary.delete),
            ("unchanged", summary.no_op),
        ] {
            let _ = writeln!(head, "| {label} | {count} |");
        }
        if summary.state_only > 0 {
            let _ = writeln!(head, "| state only (nothing sent) | {} |", summary.state_only);
        }
        let _ = writeln!(head, "\n**{}**\n", plan_line(plan));
        if !plan.has_changes() && plan.problems.is_empty() {
            head.push_str("No changes. The account matches the spec.\n\n");
        }
    }

    let mut sections: Vec<String> = vec![head];
    if !plan.problems.is_empty() {
        let items: Vec<String> = plan
            .problems
            .iter()
            .map(|problem| match &problem.hint {
                Some(hint) => format!("{} (hint: {hint})", problem.message),
                None => problem.message.clone(),
            })
            .collect();
        sections.push(callout("CAUTION", "Problems: this plan cannot be applied", &items));
    }
    let deletes: Vec<String> = plan
        .changes
        .iter()
        .filter(|change| change.action_kind() == ActionKind::Delete)
        .map(|change| {
            format!(
                "`{}`{}",
                change.address,
                change.id().map(|id| format!(" ({id})")).unwrap_or_default()
            )
        })
        .collect();
    if !deletes.is_empty() {
        sections.push(callout("WARNING", &format!("{} to delete", deletes.len()), &deletes));
    }
    let activations: Vec<String> = plan
        .actionable()
        .filter_map(|change| {
            activation(change).map(|reason| format!("`{}`: {reason}", change.address))
        })
        .collect();
    if !activations.is_empty() {
        sections.push(callout(
            "WARNING",
            "Flow activations: these flows start running or change schedule",
            &activations,
        ));
    }
    let drift: Vec<String> = plan
        .actionable()
        .filter(|change| change.has_drift())
        .map(|change| {
            let paths: Vec<String> = change
                .fields()
                .iter()
                .filter(|field| field.drift)
                .map(|field| format!("`{}`", field.path))
                .collect();
            format!("`{}`: {}", change.address, paths.join(", "))
        })
        .collect();
    if !drift.is_empty() {
        sections.push(callout(
            "NOTE",
            "Drift: changed outside flowform since the last apply (the apply puts the spec back)",
            &drift,
        ));
    }
    if !plan.changed_outside.is_empty() && !plan.refresh_only {
        let items: Vec<String> = plan
            .changed_outside
            .iter()
            .map(|change| {
                if change.deleted {
                    return format!("`{}`: deleted outside flowform", change.address);
                }
                let paths: Vec<String> =
                    change.fields.iter().map(|field| format!("`{}`", field.path)).collect();
                format!("`{}`: {}", change.address, paths.join(", "))
            })
            .collect();
        sections.push(callout(
            "NOTE",
            "Changed outside flowform since the last apply (no action; `flowform apply --refresh-only` accepts these changes into the state)",
            &items,
        ));
    }
    if let Some(note) = without_baseline_note(plan) {
        sections.push(format!("_Note: {note}._\n\n"));
    }
    if !plan.lookups.is_empty() {
        let mut text = String::from(
            "**Lookups** (found in the account by the spec's `data:` section, not managed)\n\n",
        );
        let lines: Vec<String> = plan.lookups.iter().map(|found| lookup_line(found, "`")).collect();
        push_list(&mut text, "", &lines);
        text.push('\n');
        sections.push(text);
    }
    if !plan.warnings.is_empty() {
        let mut text = String::from("**Warnings**\n\n");
        push_list(&mut text, "", &plan.warnings);
        text.push('\n');
        sections.push(text);
    }

    let mut ordered: Vec<Block<'_>> = Vec::new();
    for action in std::iter::once(ActionKind::Delete).chain(
        GROUPS.iter().map(|(action, _)| *action).filter(|action| *action != ActionKind::Delete),
    ) {
        ordered.extend(
            plan.changes.iter().filter(|change| change.action_kind() == action).map(Block::Change),
        );
    }
    ordered.extend(plan.changed_outside.iter().map(Block::Outside));

    let mut out = String::new();
    let mut used = 0;
    let mut omitted_sections = 0;
    for section in sections {
        let length = chars(&section);
        if used + length + NOTE_RESERVE <= max_chars {
            out.push_str(&section);
            used += length;
        } else {
            omitted_sections += 1;
        }
    }

    // The resource blocks come before the pictures in the budget (pictures go first when the
    // comment must be cut), but after them in the comment.
    let mut resources = String::new();
    let mut shown_blocks = 0;
    let mut cut_block = false;
    for entry in &ordered {
        let room = max_chars.saturating_sub(used + NOTE_RESERVE);
        let block = entry.text(None);
        let length = chars(&block);
        if length <= room {
            resources.push_str(&block);
            used += length;
            shown_blocks += 1;
            continue;
        }
        if room >= MIN_CUT_BLOCK {
            let block = entry.text(Some(room));
            if chars(&block) <= room {
                used += chars(&block);
                resources.push_str(&block);
                shown_blocks += 1;
                cut_block = true;
            }
        }
        break;
    }

    // Whole pictures only, in order, while they fit.
    let pictures = plan_pictures(plan);
    let mut shown_pictures = 0;
    let mut picture_text = String::new();
    let heading = "#### Flows\n\n";
    let mut room = max_chars.saturating_sub(used + NOTE_RESERVE + chars(heading));
    for picture in &pictures {
        let block = picture_block(plan, picture);
        let length = chars(&block);
        if length > room {
            break;
        }
        picture_text.push_str(&block);
        room -= length;
        shown_pictures += 1;
    }
    if shown_pictures > 0 {
        out.push_str(heading);
        out.push_str(&picture_text);
        used += chars(heading) + chars(&picture_text);
    }
    out.push_str(&resources);

    let omitted_blocks = ordered.len() - shown_blocks;
    let omitted_pictures = pictures.len() - shown_pictures;
    if omitted_blocks > 0 || omitted_sections > 0 || cut_block || omitted_pictures > 0 {
        let mut note =
            String::from("\n> [!NOTE]\n> **This plan is truncated** to fit one comment (");
        let _ = write!(note, "{max_chars} characters): ");
        let mut parts = Vec::new();
        if omitted_pictures > 0 {
            parts.push(format!(
                "{omitted_pictures} of {} flow pictures are left out",
                pictures.len()
            ));
        }
        if omitted_blocks > 0 {
            parts.push(format!("{omitted_blocks} of {} resources are not shown", ordered.len()));
        }
        if cut_block {
            parts.push("the last resource shown is cut short".to_owned());
        }
        if omitted_sections > 0 {
            parts.push(format!("{omitted_sections} summary sections are left out"));
        }
        let _ = writeln!(
            note,
            "{}. Run `flowform plan` (or `flowform plan --format json`) to see every change.",
            parts.join("; ")
        );
        if used + chars(&note) <= max_chars {
            out.push_str(&note);
        } else {
            out.push_str(&cut(&note, max_chars.saturating_sub(used)));
        }
    }
    out
}

/// One flow's picture as an open `<details>` block holding a ```` ```mermaid ```` block (labels
/// are escaped with Mermaid's entity codes and hold no backtick, so the fence cannot close early).
fn picture_block(plan: &Plan, picture: &PlanPicture<'_>) -> String {
    let action = match picture.change {
        Some(change) if !picture.unchanged() => change.action.as_str(),
        _ => "unchanged",
    };
    let mut summary =
        format!("<code>{action}</code> <b>{}</b>", escape_html(&picture.address.to_string()));
    if let Some(name) = picture.name(plan) {
        let _ = write!(summary, " “{}”", escape_html(name));
    }
    if picture.unchanged() {
        summary.push_str(" · uses a changed resource");
    }
    let text = picture.mermaid(plan);
    let edges = mermaid_edges(&text);
    let length = chars(&text);
    let body = if edges > MERMAID_MAX_EDGES || length > MERMAID_MAX_TEXT {
        // GitHub would show a Mermaid error instead; say why the picture is missing.
        format!(
            "Not drawn: its picture has {edges} links and {length} characters, more than Mermaid \
             draws ({MERMAID_MAX_EDGES} links, {MERMAID_MAX_TEXT} characters). `flowform plan` \
             lists every change.\n"
        )
    } else {
        format!("```mermaid\n{text}```\n")
    };
    format!("<details open><summary>{summary}</summary>\n\n{body}\n</details>\n\n")
}

fn push_list(text: &mut String, prefix: &str, items: &[String]) {
    for item in items.iter().take(HEAD_LIST_LIMIT) {
        let _ = writeln!(text, "{prefix}- {}", cut(&item.replace('\n', " "), HEAD_LINE_LIMIT));
    }
    if items.len() > HEAD_LIST_LIMIT {
        let _ = writeln!(text, "{prefix}- … and {} more", items.len() - HEAD_LIST_LIMIT);
    }
}

fn callout(kind: &str, title: &str, items: &[String]) -> String {
    let mut text = format!("> [!{kind}]\n> **{title}**\n>\n");
    push_list(&mut text, "> ", items);
    text.push('\n');
    text
}

/// One `<details>` block of the comment.
enum Block<'a> {
    /// A planned change.
    Change(&'a Change),
    /// A resource changed outside flowform.
    Outside(&'a OutsideChange),
}

impl Block<'_> {
    /// The block; with `limit`, its field lines are cut so it holds at most that many
    /// characters.
    fn text(&self, limit: Option<usize>) -> String {
        match self {
            Block::Change(change) => details_block(change, limit),
            Block::Outside(change) => outside_block(change, limit),
        }
    }
}

/// A resource changed outside flowform as a `<details>` block: the live value now of each
/// field (only digests of the earlier values are kept).
fn outside_block(change: &OutsideChange, limit: Option<usize>) -> String {
    let mut summary = format!(
        "<code>changed outside flowform</code> <b>{}</b>",
        escape_html(&change.address.to_string())
    );
    if let Some(name) = &change.name {
        let _ = write!(summary, " “{}”", escape_html(name));
    }
    let field_count = change.fields.len();
    if change.deleted {
        summary.push_str(" · deleted");
    } else {
        let _ =
            write!(summary, " · {field_count} field{}", if field_count == 1 { "" } else { "s" });
    }
    let about = format!("id `{}`\n\n", change.id);
    let kind = change.address.kind;
    let mut lines = Vec::new();
    for field in &change.fields {
        let symbol = match field.op {
            FieldOp::Add => "+",
            FieldOp::Remove => "-",
            FieldOp::Replace => "!",
        };
        match shown_outside(kind, field) {
            None => lines.push(format!("- {}: (removed)", field.path)),
            Some(value) if value.is_long() => {
                lines.push(format!("@@ {} ({}) @@", field.path, field.op.as_str()));
                lines.extend(value.long_text().lines().map(|line| format!("{symbol}{line}")));
            }
            Some(value) => lines.push(format!("{symbol} {}: {}", field.path, value.short())),
        }
    }
    wrap_block(format!("<details><summary>{summary}</summary>\n\n"), about, &lines, limit)
}

/// One resource as a `<details>` block. With `limit`, the field lines are cut so the block
/// holds at most that many characters.
fn details_block(change: &Change, limit: Option<usize>) -> String {
    let mut summary = format!(
        "<code>{}</code> <b>{}</b>",
        change.action.as_str(),
        escape_html(&change.address.to_string())
    );
    if let Some(name) = &change.name {
        let _ = write!(summary, " “{}”", escape_html(name));
    }
    let field_count = change.fields().len();
    if field_count > 0 {
        let _ =
            write!(summary, " · {field_count} field{}", if field_count == 1 { "" } else { "s" });
    }
    if let Some(data) = &change.data {
        let _ = write!(summary, " · data: {}", data.counts());
    }
    let drift = change.fields().iter().filter(|field| field.drift).count();
    if drift > 0 {
        let _ = write!(summary, " · {drift} drift");
    }
    if activation(change).is_some() {
        summary.push_str(" · ⚠️ activation");
    }

    let mut about = Vec::new();
    if let Some(id) = change.id() {
        about.push(format!("id `{id}`"));
    }
    if let Some(from) = change.action.moved_from() {
        about.push(format!("moved from `{from}`"));
    }
    if let Some(source) = change.action.clone_from() {
        let source = match source {
            flowform_model::RefOrId::Ref(address) => format!("${{{address}}}"),
            flowform_model::RefOrId::Id(id) => id.clone(),
        };
        about.push(format!("cloned from `{source}`"));
    }
    if !change.used_by.is_empty() {
        let flows: Vec<String> = change.used_by.iter().map(|flow| format!("`{flow}`")).collect();
        about.push(format!("used by {}", flows.join(", ")));
    }
    if change.action_kind() == ActionKind::Delete && !change.depends_on.is_empty() {
        let waits: Vec<String> = change.waits_for().map(|address| format!("`{address}`")).collect();
        about.push(format!("after {}", waits.join(", ")));
    }

    let mut lines: Vec<String> = change
        .fields()
        .iter()
        .flat_map(|field| field_lines(change.kind(), change.action_kind(), field))
        .collect();
    if let Some(data) = &change.data {
        for (index, line) in data_lines(data, "").into_iter().enumerate() {
            lines.push(format!("{} {line}", if index == 0 { "~" } else { " " }));
        }
    }
    for state_change in change.action.state_changes() {
        lines.push(format!(
            "! {}: {} → {}  # state only",
            state_change.flag.as_str(),
            state_value(&state_change.before),
            state_value(&state_change.after)
        ));
    }
    for copy in change.action.copies() {
        let name =
            copy.name.as_ref().map(|name| format!(" {}", serde_json::Value::String(name.clone())));
        lines.push(format!(
            "+ {}{} (copy of {} made by the clone){}",
            copy.address,
            name.unwrap_or_default(),
            copy_source(&copy.source),
            if copy.kept {
                ""
            } else {
                "  # unused once the spec is written: deleted after the clone"
            }
        ));
    }
    let opening = format!("<details><summary>{summary}</summary>\n\n");
    let about_text =
        if about.is_empty() { String::new() } else { format!("{}\n\n", about.join(" · ")) };
    wrap_block(opening, about_text, &lines, limit)
}

/// A `<details>` block from its opening, its text and its field lines (in a `diff` fence), cut
/// to `limit` characters when given.
fn wrap_block(
    opening: String,
    about_text: String,
    lines: &[String],
    limit: Option<usize>,
) -> String {
    let closing = "</details>\n\n";

    let mut body = lines.join("\n");
    let mut fence = fence_for(&body);
    if let Some(limit) = limit {
        let overhead =
            chars(&opening) + chars(&about_text) + chars(closing) + 2 * (fence.len() + 6) + 80;
        let room = limit.saturating_sub(overhead);
        if chars(&body) > room {
            let mut kept = String::new();
            let mut kept_lines = 0;
            for line in lines {
                if chars(&kept) + chars(line) + 1 > room {
                    break;
                }
                kept.push_str(line);
                kept.push('\n');
                kept_lines += 1;
            }
            let _ = write!(kept, "… {} more lines not shown", lines.len() - kept_lines);
            body = kept;
            fence = fence_for(&body);
        }
    }
    let mut block = opening;
    block.push_str(&about_text);
    if !body.is_empty() {
        let _ = write!(block, "{fence}diff\n{body}\n{fence}\n\n");
    }
    block.push_str(closing);
    block
}

/// The lines of one field change in `diff` syntax: `+` added, `-` removed, long values as
/// unified hunks under an `@@ path @@` line.
fn field_lines(kind: Kind, action: ActionKind, field: &FieldChange) -> Vec<String> {
    let (before, after) = shown_sides(kind, field);
    let mut notes: Vec<String> = Vec::new();
    if field.drift {
        notes.push("drift: changed outside flowform".to_owned());
    }
    if let Some(note) = super::unverified_note(field) {
        notes.push(note.to_owned());
    }
    if let Some(note) = super::replacement_note(field) {
        notes.push(note);
    }
    let drift = if notes.is_empty() { String::new() } else { format!("  # {}", notes.join("; ")) };
    let drift = drift.as_str();
    let word = element_word(action, field);
    let path = match word {
        Some(word) => format!("{} ({word})", field.path),
        None => field.path.to_string(),
    };
    let long = before.is_some_and(ShownValue::is_long) || after.is_some_and(ShownValue::is_long);
    if !long {
        return match (field.op, before, after) {
            (FieldOp::Add, _, Some(after)) => vec![format!("+ {path}: {}{drift}", after.short())],
            (FieldOp::Remove, Some(before), _) => {
                vec![format!("- {path}: {}{drift}", before.short())]
            }
            (_, Some(before), Some(after)) => vec![
                format!("- {path}: {}{drift}", before.short()),
                format!("+ {path}: {}", after.short()),
            ],
            (_, None, Some(after)) => vec![format!("+ {path}: {}{drift}", after.short())],
            (_, Some(before), None) => vec![format!("- {path}: {}{drift}", before.short())],
            (_, None, None) => vec![format!("~ {path}{drift}")],
        };
    }
    let mut lines = match word {
        Some(_) => vec![format!("@@ {path} @@{drift}")],
        None => vec![format!("@@ {path} ({}) @@{drift}", field.op.as_str())],
    };
    let body = match (before, after) {
        (Some(before), Some(after)) => unified_lines(&before.long_text(), &after.long_text()),
        (None, Some(after)) => whole_lines(&after.long_text(), true),
        (Some(before), None) => whole_lines(&before.long_text(), false),
        (None, None) => Vec::new(),
    };
    for line in body {
        lines.push(match line {
            Line::Added(text) => format!("+{text}"),
            Line::Removed(text) => format!("-{text}"),
            Line::Context(text) => format!(" {text}"),
            Line::Hunk(text) => text,
        });
    }
    lines
}
