//! Rendering spec diagnostics with miette, the one place the CLI turns them into text.

use std::path::PathBuf;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::printer::Printer;

/// The width diagnostics wrap at: `COLUMNS` when set, else 100.
fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(100)
}

/// Renders one diagnostic with its source snippet, labels, help and related places.
pub fn render(diagnostic: &flowform_spec::Diagnostic, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width()).with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        // Rendering only fails on a formatter error; fall back to the plain location.
        out = format!("{}: {}\n", diagnostic.location().unwrap_or_default(), diagnostic.message);
    }
    out.push('\n');
    out
}

/// Says which YAML files found in folders were skipped for holding none of the spec's
/// sections: with `-v` one line per file; otherwise one line naming the first few (nothing
/// with `-q`), so a `docker-compose.yml` beside the spec is neither an error nor a surprise.
pub fn report_skipped(printer: &Printer, skipped: &[PathBuf]) {
    if skipped.is_empty() {
        return;
    }
    if printer.verbose() {
        for path in skipped {
            printer.detail(
                1,
                &format!(
                    "note: skipped `{}`: it holds none of the spec's sections",
                    path.display()
                ),
            );
        }
        return;
    }
    const SHOWN: usize = 3;
    let mut names: Vec<String> =
        skipped.iter().take(SHOWN).map(|path| format!("`{}`", path.display())).collect();
    if skipped.len() > SHOWN {
        names.push(format!("{} more", skipped.len() - SHOWN));
    }
    let names = match names.split_last() {
        Some((last, init)) if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => names.join(""),
    };
    let (files, hold) = if skipped.len() == 1 { ("file", "holds") } else { ("files", "hold") };
    printer.status(&format!(
        "note: skipped {} YAML {files} that {hold} none of the spec's sections: {names} (`-v` \
         lists them; list them in `.flowformignore` to leave them out quietly)",
        skipped.len()
    ));
}
