//! `flowform validate`: load and check the spec offline; report every problem at once, as
//! rendered diagnostics on stderr or (`--format json`) one JSON document on stdout.

use flowform_spec::{Diagnostic, Loaded, SecretPolicy, Severity};
use serde_json::{Value, json};

use super::shared::plural;
use crate::args::{ValidateArgs, ValidateFormat};
use crate::diagnostics;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

/// The version of the `--format json` document; bumped on an incompatible change.
const JSON_FORMAT_VERSION: u32 = 1;

pub fn validate(
    settings: &Settings,
    printer: &Printer,
    args: &ValidateArgs,
) -> anyhow::Result<ExitStatus> {
    let loaded = flowform_spec::load(&settings.load_options(SecretPolicy::Offline));
    printer.detail(1, &format!("spec root: {}", loaded.root.display()));
    for file in &loaded.files {
        printer.detail(1, &format!("read {}", file.display()));
    }
    diagnostics::report_skipped(printer, &loaded.skipped);
    match args.format {
        ValidateFormat::Human => {
            for diagnostic in &loaded.diagnostics {
                printer.diagnostic(
                    &diagnostics::render(diagnostic, printer.color()),
                    diagnostic.is_error(),
                );
            }
        }
        ValidateFormat::Json => printer.data(&json_report(&loaded).to_string()),
    }
    // The environment file's endpoint is checked here too, as `plan` would check it; whether a
    // token is set is not: validating needs no account.
    let environment = loaded.environment.as_ref();
    let endpoint = settings.chosen_endpoint(environment);
    if let Ok(endpoint) = &endpoint {
        let shown = match endpoint {
            Some(choice) => format!("{} (from {})", choice.endpoint, choice.source),
            None => "none chosen (a token means North America, no token the local sandbox)".into(),
        };
        printer.detail(2, &format!("endpoint: {shown}"));
        printer
            .detail(2, &format!("state: {}", settings.state_location(&loaded.root, environment)));
        printer.detail(2, &format!("token: {}", settings.token.describe()));
        printer.detail(2, &format!("CI: {}", if settings.ci { "yes" } else { "no" }));
    }
    let errors = loaded.error_count();
    let warnings = loaded.warning_count();
    if let Err(error) = endpoint {
        printer.error(&anyhow::Error::new(error));
        return Ok(ExitStatus::Failure);
    }
    let json = args.format == ValidateFormat::Json;
    if errors > 0 {
        if !json {
            let mut message = format!("the spec has {}", plural(errors, "error"));
            if warnings > 0 {
                message.push_str(&format!(" and {}", plural(warnings, "warning")));
            }
            printer.error_line(&message);
        }
        return Ok(ExitStatus::Failure);
    }
    if !json {
        let resources = loaded.desired.resources.len();
        let mut summary = format!(
            "the spec is valid: {} in {}",
            plural(resources, "resource"),
            plural(loaded.files.len(), "file")
        );
        if warnings > 0 {
            summary.push_str(&format!(", with {}", plural(warnings, "warning")));
        }
        printer.status(&summary);
    }
    Ok(ExitStatus::Success)
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// One diagnostic as JSON: where (file, 1-based line and column; null when it is in no file),
/// how bad, its stable code, the message, the label under the place, the help, and the other
/// places that belong to it.
fn json_diagnostic(diagnostic: &Diagnostic) -> Value {
    let file = diagnostic.file.as_ref().map(|file| file.display().to_string());
    let place = |value: usize| if file.is_some() { json!(value) } else { Value::Null };
    let mut object = json!({
        "file": file,
        "line": place(diagnostic.line),
        "column": place(diagnostic.column),
        "severity": severity(diagnostic.severity),
        "code": diagnostic.code.as_str(),
        "message": diagnostic.message,
        "label": diagnostic.label,
        "help": diagnostic.help,
    });
    if !diagnostic.related.is_empty() {
        object["related"] = Value::Array(diagnostic.related.iter().map(json_diagnostic).collect());
    }
    object
}

/// The `--format json` document (README, "validate --format json").
fn json_report(loaded: &Loaded) -> Value {
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "valid": !loaded.has_errors(),
        "summary": {
            "errors": loaded.error_count(),
            "warnings": loaded.warning_count(),
            "resources": loaded.desired.resources.len(),
            "files": loaded.files.len(),
        },
        "diagnostics": loaded.diagnostics.iter().map(json_diagnostic).collect::<Vec<_>>(),
    })
}
