//! The loading pipeline, one module per stage: locate the inputs ([`locate`]), parse the files
//! ([`parse`], in parallel), collect declarations ([`declarations`]), resolve variables
//! ([`variables`]), convert bodies ([`convert`]), check, and return the model with every
//! problem found.

mod convert;
mod declarations;
mod locate;
mod parallel;
mod parse;
mod resources;
mod variables;

use std::collections::HashMap;
use std::path::PathBuf;

use flowform_model::DesiredState;

use crate::checks::references::Declared;
use crate::checks::{cycles, groups};
use crate::content_file;
use crate::diagnostic::{Diagnostic, Severity};
use crate::environment::{self, EnvironmentSettings};
use crate::lookups;
use crate::moved;
use crate::options::LoadOptions;
use crate::resolve::Resolver;
use crate::source::{SourceFile, Span};
use crate::yaml;

pub use locate::{Located, locate};

/// The result of [`load`]: the model, every problem, and what the environment file set.
#[derive(Debug)]
pub struct Loaded {
    /// The resolved resources and `moved` entries. Resources with problems are included as far
    /// as they could be read; do not act on it when [`Loaded::has_errors`].
    pub desired: DesiredState,
    /// Every problem found, errors and warnings, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
    /// What `environments/NAME.yaml` set, with `--env NAME`.
    pub environment: Option<EnvironmentSettings>,
    /// The spec root: the common directory of the inputs, absolute. `contentFile` paths stay
    /// inside it, and `.flowform/` lives in it.
    pub root: PathBuf,
    /// The spec files read, in order.
    pub files: Vec<PathBuf>,
    /// YAML files found in folders that hold none of the spec's sections (a
    /// `docker-compose.yml`, CI configuration): not read as part of the spec. Files named with
    /// `-f FILE` are never skipped.
    pub skipped: Vec<PathBuf>,
}

impl Loaded {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).count()
    }

    /// How many diagnostics are warnings.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count()
    }
}

/// Loads a spec. Never panics and never stops at the first problem: the result carries the
/// model as far as it could be built and every diagnostic found.
pub fn load(options: &LoadOptions) -> Loaded {
    load_on(options, parallel::threads())
}

/// [`load`] on up to `threads` threads.
fn load_on(options: &LoadOptions, threads: usize) -> Loaded {
    let mut diagnostics = Vec::new();
    let locate::Layout { root, files, environment_file } =
        locate::layout(options, &mut diagnostics);
    let parsed = parse::parse_files(&files, threads, &mut diagnostics);
    let (mut files, skipped): (Vec<_>, Vec<_>) =
        parsed.into_iter().partition(|file| file.is_spec());
    for file in &mut files {
        diagnostics.append(&mut file.problems);
    }
    let skipped: Vec<PathBuf> = skipped.into_iter().map(|file| file.source.path).collect();
    let mut variable_files = Vec::new();
    for path in &options.var_files {
        if let Some(mut file) = parse::parse_file(path, true, &mut diagnostics) {
            diagnostics.append(&mut file.problems);
            variable_files.push(file);
        }
    }
    let (environment, environment_variables) = match &environment_file {
        Some((name, file)) => {
            let (settings, variables) =
                environment::settings(name, &file.source, file.root.as_ref(), &mut diagnostics);
            (Some(settings), variables.map(|node| (&file.source, node)))
        }
        None => (None, None),
    };

    let declarations = declarations::collect_declarations(&files, &mut diagnostics);
    let variables = variables::resolve_variables(
        options,
        &declarations.variables,
        environment_variables,
        &variable_files,
        &mut diagnostics,
    );

    let content_root = content_file::Root::new(&root);
    let mut resolver = Resolver::new(&variables, &options.environment, options.secrets);
    let mut desired = DesiredState {
        lookups: lookups::parse(&declarations.data, &mut resolver, &mut diagnostics),
        ..DesiredState::default()
    };
    let declared = Declared::new(declarations.resources.iter().map(|d| &d.address))
        .with_lookups(desired.lookups.keys());
    let new_resolver = || Resolver::new(&variables, &options.environment, options.secrets);
    let context = resources::Context {
        declared: &declared,
        content_root: &content_root,
        resolver: &new_resolver,
    };
    let checked = resources::convert_and_check(
        &declarations.resources,
        &context,
        threads,
        &mut resolver,
        &mut diagnostics,
    );
    let mut groups_used: Vec<(&SourceFile, &flowform_model::Address, String, Span)> = Vec::new();
    let mut plain_secrets: Vec<(&SourceFile, Vec<Span>)> = Vec::new();
    let mut uses_by_resource = Vec::with_capacity(checked.len());
    desired.resources.reserve(checked.len());
    for resources::Checked {
        declaration,
        resource,
        uses,
        group,
        data_file,
        plain_secrets: plain,
    } in checked
    {
        if let Some(data_file) = data_file {
            desired.data_files.insert(declaration.address.clone(), data_file);
        }
        if let Some((name, span)) = group {
            groups_used.push((declaration.file, &declaration.address, name, span));
        }
        if !plain.is_empty() {
            plain_secrets.push((declaration.file, plain));
        }
        desired.resources.insert(declaration.address.clone(), resource);
        uses_by_resource.push((declaration, uses));
    }
    let cycle_resources: Vec<cycles::Resource<'_>> = uses_by_resource
        .iter()
        .map(|(declaration, uses)| cycles::Resource {
            address: &declaration.address,
            file: declaration.file,
            uses,
        })
        .collect();
    cycles::check(&cycle_resources, &mut diagnostics);
    groups::check(&desired, &groups_used, &mut diagnostics);
    desired.moved = moved::parse(&declarations.moved, &declared, &mut diagnostics);

    diagnostics.extend(resolver.finish());

    hide_plain_secrets(&plain_secrets, &mut diagnostics);
    if options.strict {
        for diagnostic in &mut diagnostics {
            diagnostic.make_strict();
        }
    }

    let order: HashMap<PathBuf, usize> = files
        .iter()
        .map(|file| &file.source.path)
        .chain(environment_file.as_ref().map(|(_, file)| &file.source.path))
        .chain(variable_files.iter().map(|file| &file.source.path))
        .enumerate()
        .map(|(index, path)| (path.clone(), index + 1))
        .collect();
    diagnostics.sort_by_key(|diagnostic| {
        let rank = diagnostic.file.as_ref().and_then(|file| order.get(file)).copied().unwrap_or(0);
        (rank, diagnostic.span.map_or(0, |span| span.offset()))
    });

    let mut trees = Vec::with_capacity(files.len());
    let files = files
        .into_iter()
        .map(|file| {
            trees.push(file.root);
            file.source.path
        })
        .collect();
    drop_elsewhere(trees);
    Loaded { desired, diagnostics, environment, root, files, skipped }
}

/// Drops the files' YAML trees on a thread of their own: freeing every node of a large spec
/// takes milliseconds the caller need not wait for. Where no thread can be started, they are
/// dropped here.
fn drop_elsewhere(trees: Vec<Option<yaml::Node>>) {
    // When no thread can be started, `spawn` drops the closure, trees and all, right here.
    let _ = std::thread::Builder::new()
        .name("flowform-spec-drop".to_owned())
        .spawn(move || drop(trees));
}

/// Hides secrets written in plain text from every snippet of their files: the diagnostics of
/// such a file show its text with those values' bytes turned into `*` (whitespace kept, so
/// every span and line still points where it did, and a block scalar's indentation stays).
fn hide_plain_secrets(plain_secrets: &[(&SourceFile, Vec<Span>)], diagnostics: &mut [Diagnostic]) {
    let mut by_file: HashMap<&std::path::Path, (&SourceFile, Vec<Span>)> = HashMap::new();
    for (file, spans) in plain_secrets {
        by_file.entry(file.path.as_path()).or_insert_with(|| (file, Vec::new())).1.extend(spans);
    }
    for (path, (file, spans)) in by_file {
        let mut bytes = file.text.as_bytes().to_vec();
        for span in spans {
            for byte in bytes.iter_mut().take(span.end.min(file.text.len())).skip(span.start) {
                if !byte.is_ascii_whitespace() {
                    *byte = b'*';
                }
            }
        }
        // Whole characters were replaced byte by byte with ASCII, so the text is still UTF-8.
        let text = String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(file.text.len()));
        let source =
            miette::NamedSource::new(path.display().to_string(), std::sync::Arc::new(text));
        for diagnostic in diagnostics.iter_mut() {
            diagnostic.redact(path, &source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::ProcessEnvironment;

    /// What a load gives, as text: every diagnostic (with its label) and the model.
    fn outcome(loaded: &Loaded) -> (Vec<String>, String) {
        let diagnostics = loaded
            .diagnostics
            .iter()
            .map(|diagnostic| format!("{diagnostic:?} {:?}", diagnostic.label))
            .collect();
        (diagnostics, format!("{:?}", loaded.desired))
    }

    #[test]
    fn threads_change_nothing_in_the_result() {
        let spec =
            flowform_specgen::generate(flowform_specgen::Options { resources: 400, seed: 11 })
                .expect("400 resources are enough");
        let directory = tempfile::tempdir().expect("a temporary directory can be created");
        for (relative, content) in spec.spec_files() {
            let path = directory.path().join(relative);
            fs_err::create_dir_all(path.parent().expect("has a parent")).expect("created");
            fs_err::write(path, content).expect("written");
        }
        // Problems of every stage after parsing, in the first file and in the last; the
        // secrets used in both are reported once, at the first use, counted across batches.
        fs_err::write(
            directory.path().join("integration-001/broken.yaml"),
            "connections:\n  broken-a:\n    name: A\n    type: http\n    _id: x\n    \
             unknownFeild: 1\n    http: {baseURI: '${secret.NOT_SET}'}\nexports:\n  \
             broken-b:\n    name: B\n    _connectionId: ${connections.nowhere}\n    \
             lastModified: today\n",
        )
        .expect("written");
        let late: String = (0..40)
            .map(|n| {
                format!(
                    "  late-{n}:\n    name: L\n    type: http\n    http: {{baseURI: \
                     '${{secret.NOT_SET}}', auth: {{token: {{token: \
                     '${{secret.SPECGEN_API_TOKEN_0}}'}}}}}}\n"
                )
            })
            .collect();
        fs_err::write(directory.path().join("zz-late.yaml"), format!("connections:\n{late}"))
            .expect("written");
        // No secrets are set, so every connection reports the same missing secrets: repeated
        // problems counted across batches.
        let options = LoadOptions {
            paths: vec![directory.path().to_path_buf()],
            environment: ProcessEnvironment::Fixed(Default::default()),
            ..LoadOptions::default()
        };
        let serial = outcome(&load_on(&options, 1));
        assert!(
            serial
                .0
                .iter()
                .any(|diagnostic| diagnostic.contains("`NOT_SET` is not set (used in 41")),
            "{:#?}",
            serial.0
        );
        assert!(serial.0.iter().any(|diagnostic| diagnostic.contains("unknownFeild")));
        for threads in [2, 3, 8] {
            assert_eq!(outcome(&load_on(&options, threads)), serial, "{threads} threads");
        }
    }
}
