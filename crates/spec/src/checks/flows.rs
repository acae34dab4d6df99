//! Rules the API enforces on flows, checked before anything is sent: `pageProcessors` and
//! `routers` are exclusive, router ids are unique and `nextRouterId` names one, a step's `type`
//! matches the id it carries, and schedules are Celigo's 6-field cron with a timezone.

use std::collections::HashMap;

use flowform_model::{Object, Segment, Value};

use super::{key_span_at, node_at};
use crate::diagnostic::Diagnostic;
use crate::problems;
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::Node;

fn present(object: &Object, key: &str) -> bool {
    object.get(key).is_some_and(|value| !matches!(value, Value::Null))
}

fn key(name: &str) -> Segment {
    Segment::Key(name.to_owned())
}

/// Checks one flow body.
pub(crate) fn check(
    file: &SourceFile,
    body: &Object,
    node: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if present(body, "pageProcessors") && present(body, "routers") {
        diagnostics.push(problems::steps_and_routers(
            file,
            key_span_at(node, &[key("routers")]),
            key_span_at(node, &[key("pageProcessors")]),
        ));
    }
    if let Some(Value::Array(steps)) = body.get("pageProcessors") {
        check_steps(file, node, &[key("pageProcessors")], steps, diagnostics);
    }
    if let Some(Value::Array(routers)) = body.get("routers") {
        check_routers(file, node, routers, diagnostics);
    }
    check_schedules(file, body, node, diagnostics);
}

fn check_routers(
    file: &SourceFile,
    node: &Node,
    routers: &[Value],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut ids: HashMap<&str, Span> = HashMap::new();
    let mut next_router_ids: Vec<(Vec<Segment>, &str)> = Vec::new();
    for (index, router) in routers.iter().enumerate() {
        let Some(router) = router.as_object() else {
            continue;
        };
        let router_path = vec![key("routers"), Segment::Index(index)];
        if let Some(id) = router.get("id").and_then(Value::as_str) {
            let id_path = [router_path.clone(), vec![key("id")]].concat();
            let span = node_at(node, &id_path).span;
            if let Some(first) = ids.get(id) {
                diagnostics.push(problems::duplicate_router_id(file, span, id, *first));
            } else {
                ids.insert(id, span);
            }
        }
        if let Some(next) = router.get("nextRouterId").and_then(Value::as_str) {
            next_router_ids.push(([router_path.clone(), vec![key("nextRouterId")]].concat(), next));
        }
        let Some(Value::Array(branches)) = router.get("branches") else {
            continue;
        };
        for (branch_index, branch) in branches.iter().enumerate() {
            let Some(branch) = branch.as_object() else {
                continue;
            };
            let branch_path =
                [router_path.clone(), vec![key("branches"), Segment::Index(branch_index)]].concat();
            if let Some(next) = branch.get("nextRouterId").and_then(Value::as_str) {
                next_router_ids
                    .push(([branch_path.clone(), vec![key("nextRouterId")]].concat(), next));
            }
            if let Some(Value::Array(steps)) = branch.get("pageProcessors") {
                let steps_path = [branch_path, vec![key("pageProcessors")]].concat();
                check_steps(file, node, &steps_path, steps, diagnostics);
            }
        }
    }
    for (path, next) in next_router_ids {
        if next.is_empty() || ids.contains_key(next) {
            continue;
        }
        let suggestions = closest(next, ids.keys().copied());
        let help = did_you_mean(&suggestions, str::to_owned).unwrap_or_else(|| {
            let mut known: Vec<&str> = ids.keys().copied().collect();
            known.sort_unstable();
            if known.is_empty() {
                "this flow's routers have no `id`".to_owned()
            } else {
                format!(
                    "router ids in this flow: {}",
                    known.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
                )
            }
        });
        diagnostics.push(problems::unknown_next_router(
            file,
            node_at(node, &path).span,
            next,
            help,
        ));
    }
}

fn check_steps(
    file: &SourceFile,
    node: &Node,
    steps_path: &[Segment],
    steps: &[Value],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (index, step) in steps.iter().enumerate() {
        let Some(step) = step.as_object() else {
            continue;
        };
        let step_path = [steps_path, &[Segment::Index(index)]].concat();
        let has_export = present(step, "_exportId");
        let has_import = present(step, "_importId");
        let step_type = step.get("type");
        let type_span = || key_span_at(node, &[step_path.as_slice(), &[key("type")]].concat());
        let step_span = || node_at(node, &step_path).span;
        let problem = match step_type.and_then(Value::as_str) {
            Some("export") if has_import => Some((
                type_span(),
                "a step of `type: export` carries `_importId`".to_owned(),
                "a lookup step has `type: export` and `_exportId`; an import step has `type: \
                 import` and `_importId`",
            )),
            Some("import") if has_export => Some((
                type_span(),
                "a step of `type: import` carries `_exportId`".to_owned(),
                "an import step has `type: import` and `_importId`; a lookup step has `type: \
                 export` and `_exportId`",
            )),
            Some("export") if !has_export => Some((
                type_span(),
                "a step of `type: export` has no `_exportId`".to_owned(),
                "add `_exportId: ${export.KEY}`",
            )),
            Some("import") if !has_import => Some((
                type_span(),
                "a step of `type: import` has no `_importId`".to_owned(),
                "add `_importId: ${import.KEY}`",
            )),
            Some("export" | "import") => None,
            Some(other) => Some((
                type_span(),
                format!("a step's `type` is `export` or `import`, not `{other}`"),
                "`type: export` for a lookup step, `type: import` for an import step",
            )),
            None if step_type.is_some_and(|value| !matches!(value, Value::Null)) => Some((
                type_span(),
                "a step's `type` is `export` or `import`".to_owned(),
                "`type: export` for a lookup step, `type: import` for an import step",
            )),
            None => Some((
                step_span(),
                "a step needs `type: export` or `type: import`".to_owned(),
                match (has_export, has_import) {
                    (true, false) => "this step carries `_exportId`: add `type: export`",
                    (false, true) => "this step carries `_importId`: add `type: import`",
                    _ => {
                        "`type: export` with `_exportId` for a lookup, `type: import` with \
                          `_importId` for an import"
                    }
                },
            )),
        };
        if let Some((span, message, help)) = problem {
            let step = FlowPathDisplay(&step_path).to_string();
            diagnostics.push(problems::step_type(file, span, message, &step, help));
        }
    }
}

/// Shows a path like `routers[0].branches[1].pageProcessors[2]`.
struct FlowPathDisplay<'a>(&'a [Segment]);

impl std::fmt::Display for FlowPathDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", flowform_model::FieldPath(self.0.to_vec()))
    }
}

fn check_schedules(
    file: &SourceFile,
    body: &Object,
    node: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut schedules: Vec<(Vec<Segment>, &Value)> = Vec::new();
    if let Some(schedule) = body.get("schedule") {
        schedules.push((vec![key("schedule")], schedule));
    }
    if let Some(Value::Array(generators)) = body.get("pageGenerators") {
        for (index, generator) in generators.iter().enumerate() {
            if let Some(schedule) = generator.as_object().and_then(|g| g.get("schedule")) {
                schedules.push((
                    vec![key("pageGenerators"), Segment::Index(index), key("schedule")],
                    schedule,
                ));
            }
        }
    }
    let mut scheduled = None;
    for (path, schedule) in schedules {
        let span = node_at(node, &path).span;
        let text = match schedule {
            Value::Null => continue,
            Value::String(text) if text.trim().is_empty() => continue,
            Value::String(text) => text,
            _ => {
                diagnostics.push(problems::schedule_not_a_string(file, span));
                continue;
            }
        };
        scheduled.get_or_insert(path.clone());
        if let Err(help) = check_cron(text) {
            diagnostics.push(problems::invalid_cron(file, span, text, help));
        }
    }
    let has_timezone =
        matches!(body.get("timezone"), Some(Value::String(zone)) if !zone.trim().is_empty());
    if let Some(path) = scheduled
        && !has_timezone
    {
        diagnostics.push(problems::schedule_without_timezone(file, key_span_at(node, &path)));
    }
}

/// Checks Celigo's cron: six fields (seconds minutes hours day-of-month month day-of-week), the
/// first always `?`. Returns a hint on failure.
fn check_cron(text: &str) -> Result<(), String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let allowed = |field: &str| {
        field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | ',' | '-' | '/' | '#'))
    };
    match fields.as_slice() {
        [first, rest @ ..] if fields.len() == 6 => {
            if *first != "?" {
                return Err(format!(
                    "Celigo runs at minute granularity: write `?` for the seconds field, as in \
                     `? {}`",
                    rest.join(" ")
                ));
            }
            if let Some(bad) = rest.iter().find(|field| !allowed(field)) {
                return Err(format!("the field `{bad}` has characters cron does not use"));
            }
            Ok(())
        }
        _ if fields.len() == 5 => Err(format!(
            "this looks like a 5-field cron; Celigo's has a leading seconds field that is \
             always `?`: `? {text}`"
        )),
        _ => Err(format!(
            "found {} fields; write six: `? minute hour day-of-month month day-of-week`, such as \
             `? 0 2 * * *`",
            fields.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check_cron;

    #[test]
    fn cron() {
        assert!(check_cron("? 0 2 ? * *").is_ok());
        assert!(check_cron("? */5 * * * *").is_ok());
        assert!(check_cron("? 5 0,6,12,18 ? * MON-FRI").is_ok());
        assert!(check_cron("0 2 * * *").unwrap_err().contains("`? 0 2 * * *`"));
        assert!(check_cron("0 0 2 * * *").unwrap_err().contains("`? 0 2 * * *`"));
        assert!(check_cron("daily").is_err());
        assert!(check_cron("? 0 2 * * ;").is_err());
    }
}
