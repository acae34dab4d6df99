//! `flowform validate`: load and check the spec offline; report every problem at once.

use flowform_spec::SecretPolicy;

use super::shared::plural;
use crate::diagnostics;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

pub fn validate(settings: &Settings, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let loaded = flowform_spec::load(&settings.load_options(SecretPolicy::Offline));
    printer.detail(1, &format!("spec root: {}", loaded.root.display()));
    for file in &loaded.files {
        printer.detail(1, &format!("read {}", file.display()));
    }
    for diagnostic in &loaded.diagnostics {
        printer
            .diagnostic(&diagnostics::render(diagnostic, printer.color()), diagnostic.is_error());
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
    if errors > 0 {
        let mut message = format!("the spec has {}", plural(errors, "error"));
        if warnings > 0 {
            message.push_str(&format!(" and {}", plural(warnings, "warning")));
        }
        printer.error_line(&message);
        return Ok(ExitStatus::Failure);
    }
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
    Ok(ExitStatus::Success)
}
