//! Flow groups: a flow's `flowGroup` names one of the `flowGroups` of its integration.
//!
//! When the flow's integration is in the spec, the name is checked here; when it is a literal
//! id (an integration the spec does not manage), the plan checks it against the live
//! integration.

use flowform_model::{Address, DesiredState, Kind, Value};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};

/// The names of an integration's groups in its desired body.
fn group_names(desired: &DesiredState, integration: &Address) -> Option<Vec<String>> {
    let groups = desired.get(integration)?.body.get("flowGroupings");
    Some(
        groups
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|group| group.field("name").and_then(Value::as_str).map(str::to_owned))
            .collect(),
    )
}

/// Checks every flow's group against its integration's groups.
pub(crate) fn check(
    desired: &DesiredState,
    groups_used: &[(&SourceFile, &Address, String, Span)],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (file, flow, name, span) in groups_used {
        let integration = desired.get(flow).and_then(|flow| flow.body.get("_integrationId"));
        let integration = match integration {
            Some(Value::Ref(address)) if address.kind == Kind::Integration => address,
            // A literal id: the plan checks the live integration.
            Some(Value::String(_) | Value::Lookup(_)) => continue,
            // A reference that does not resolve is reported by the reference check.
            Some(Value::Ref(_)) => continue,
            _ => {
                diagnostics.push(
                    Diagnostic::error(
                        Code::FlowGroup,
                        file,
                        *span,
                        format!(
                            "`{flow}` names the flow group `{name}` but has no `_integrationId`"
                        ),
                    )
                    .with_help(
                        "flow groups belong to an integration; set the flow's `_integrationId`",
                    ),
                );
                continue;
            }
        };
        let Some(names) = group_names(desired, integration) else { continue };
        if names.iter().any(|known| known == name) {
            continue;
        }
        let suggestions = closest(name, names.iter().map(String::as_str));
        let help = did_you_mean(&suggestions, |known| format!("flowGroup: {known}"))
            .unwrap_or_else(|| {
                if names.is_empty() {
                    format!("declare it in `{integration}`: `flowGroups: [{name}]`")
                } else {
                    format!(
                        "`{integration}` has the groups {}; add `{name}` to its `flowGroups`",
                        names
                            .iter()
                            .map(|known| format!("`{known}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            });
        diagnostics.push(
            Diagnostic::error(
                Code::FlowGroup,
                file,
                *span,
                format!("`{integration}` has no flow group `{name}`"),
            )
            .with_label("unknown group")
            .with_help(help),
        );
    }
}
