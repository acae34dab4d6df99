//! `flowform validate`: load and check the spec offline; report every problem at once.

use flowform_spec::SecretPolicy;

use crate::diagnostics;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

fn plural(count: usize, word: &str) -> String {
    if count == 1 { format!("1 {word}") } else { format!("{count} {word}s") }
}

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
    // The environment file's endpoint is checked here too, as `plan` would check it.
    let target = settings.target(&loaded.root, loaded.environment.as_ref());
    if let Ok(target) = &target {
        printer.detail(
            2,
            &format!("endpoint: {} (from {})", target.endpoint.url, target.endpoint.source),
        );
        printer.detail(2, &format!("state: {:?}", target.state));
        printer.detail(2, &format!("token: {}", settings.token.describe()));
        printer.detail(2, &format!("CI: {}", if settings.ci { "yes" } else { "no" }));
    }
    let errors = loaded.error_count();
    let warnings = loaded.warning_count();
    if let Err(error) = target {
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
