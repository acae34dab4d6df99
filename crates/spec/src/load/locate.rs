//! Stage 1: locating the spec: the inputs discovered, the spec root, the environment file.

use std::path::PathBuf;

use super::parse::{ParsedFile, parse_file};
use crate::diagnostic::Diagnostic;
use crate::discover::{self, Input};
use crate::environment::{self, EnvironmentSettings};
use crate::options::LoadOptions;

/// Where a spec is, without reading its resources: see [`locate`].
#[derive(Debug)]
pub struct Located {
    /// The spec root, as [`Loaded::root`](super::Loaded::root).
    pub root: PathBuf,
    /// What `environments/NAME.yaml` set, with `--env NAME`.
    pub environment: Option<EnvironmentSettings>,
    /// The problems met finding the inputs and reading the environment file (an unreadable
    /// input, a missing or invalid environment file); the resources are not read.
    pub diagnostics: Vec<Diagnostic>,
}

/// The first stage of loading: the inputs discovered, the environment file read.
pub(crate) struct Layout {
    pub root: PathBuf,
    pub files: Vec<Input>,
    pub environment_file: Option<(String, ParsedFile)>,
}

pub(crate) fn layout(options: &LoadOptions, diagnostics: &mut Vec<Diagnostic>) -> Layout {
    let discovered = discover::discover(&options.paths, diagnostics);
    let root = discovered.root;
    let environment_file =
        options.env.as_deref().and_then(|name| match environment::locate(&root, name) {
            Ok(path) => parse_file(&path, true, diagnostics).map(|mut file| {
                diagnostics.append(&mut file.problems);
                (name.to_owned(), file)
            }),
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                None
            }
        });
    Layout { root, files: discovered.files, environment_file }
}

/// Finds the spec root and reads the environment file, which is all a command needs to know
/// which account and state are meant, without parsing the resources (cheap on any spec, so a
/// command can start talking to the account while [`load`](super::load) runs).
pub fn locate(options: &LoadOptions) -> Located {
    let mut diagnostics = Vec::new();
    let Layout { root, environment_file, .. } = layout(options, &mut diagnostics);
    let environment = environment_file.map(|(name, file)| {
        environment::settings(&name, &file.source, file.root.as_ref(), &mut diagnostics).0
    });
    Located { root, environment, diagnostics }
}
