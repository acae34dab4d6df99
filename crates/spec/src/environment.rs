//! Environment files: `--env NAME` reads `environments/NAME.yaml` under the spec root, which
//! overrides `variables` and may set `endpoint`, `region` and `state`.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::problems;
use crate::resolve::is_null;
use crate::source::SourceFile;
use crate::yaml::{Node, NodeValue};

pub use flowform_model::{Region, RegionError};

/// What an environment file sets besides variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSettings {
    /// The environment's name (`--env NAME`).
    pub name: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// `endpoint:` — the API base URL.
    pub endpoint: Option<String>,
    /// `region:` — `na` or `eu`.
    pub region: Option<Region>,
    /// `state:` — the state location (a path, or `integrator`).
    pub state: Option<String>,
}

const ENVIRONMENT_KEYS: [&str; 4] = ["variables", "endpoint", "region", "state"];

/// `[A-Za-z0-9][A-Za-z0-9_-]*`, at most 63 characters: an environment name cannot walk out of
/// `environments/`.
fn is_environment_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(first) if first.is_ascii_alphanumeric())
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Finds the environment file for `name` under `root`.
#[expect(clippy::result_large_err, reason = "called once per run; the error is built once")]
pub(crate) fn locate(root: &Path, name: &str) -> Result<PathBuf, Diagnostic> {
    if !is_environment_name(name) {
        return Err(problems::invalid_environment_name(name));
    }
    let directory = root.join("environments");
    for extension in ["yaml", "yml"] {
        let candidate = directory.join(format!("{name}.{extension}"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    let mut available: Vec<String> = fs_err::read_dir(&directory)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let path = entry.path();
                    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                        .then(|| path.file_stem()?.to_str().map(str::to_owned))
                        .flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    available.sort();
    Err(problems::missing_environment(&directory, name, &available))
}

/// Reads the settings of an environment file; returns them and its `variables` node.
pub(crate) fn settings<'n>(
    name: &str,
    file: &SourceFile,
    root: Option<&'n Node>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (EnvironmentSettings, Option<&'n Node>) {
    let mut settings = EnvironmentSettings {
        name: name.to_owned(),
        file: file.path.clone(),
        endpoint: None,
        region: None,
        state: None,
    };
    let Some(root) = root else {
        return (settings, None);
    };
    let Some(entries) = root.as_mapping() else {
        diagnostics.push(problems::environment_not_a_mapping(file, root));
        return (settings, None);
    };
    let mut variables = None;
    for entry in entries {
        let text = || match &entry.value.value {
            NodeValue::Scalar(scalar) if !is_null(&entry.value) => Some(scalar.text.clone()),
            _ => None,
        };
        let not_text = |what: &str| {
            problems::environment_setting_not_text(file, entry.value.span, &entry.key, what)
        };
        match entry.key.as_str() {
            "variables" => variables = Some(&entry.value),
            "endpoint" => match text() {
                Some(endpoint) => settings.endpoint = Some(endpoint),
                None => diagnostics.push(not_text("a URL")),
            },
            "state" => match text() {
                Some(state) => settings.state = Some(state),
                None => diagnostics.push(not_text("a path or `integrator`")),
            },
            "region" => match text().map(|region| region.parse::<Region>()) {
                Some(Ok(region)) => settings.region = Some(region),
                Some(Err(error)) => diagnostics.push(problems::invalid_region(
                    file,
                    entry.value.span,
                    error.to_string(),
                )),
                None => diagnostics.push(not_text("`na` or `eu`")),
            },
            other => diagnostics.push(problems::unknown_environment_setting(
                file,
                entry.key_span,
                other,
                &ENVIRONMENT_KEYS,
            )),
        }
    }
    if settings.endpoint.is_some() && settings.region.is_some() {
        let span = root.get("region").map_or(root.span, |entry| entry.key_span);
        diagnostics.push(problems::endpoint_and_region(file, span));
    }
    (settings, variables)
}
