//! Rendering spec diagnostics with miette, the one place the CLI turns them into text.

use miette::{GraphicalReportHandler, GraphicalTheme};

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
