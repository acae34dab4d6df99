//! Shared test helpers: fixture bundles written into a temporary spec root, rendering of the
//! model and of diagnostics (colour off), and snapshot filters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use flowform_model::{DesiredState, Lifecycle, RefOrId, Value};
use flowform_spec::{LoadOptions, Loaded, ProcessEnvironment, SecretPolicy};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// A spec root in a temporary directory, built from a fixture bundle.
pub struct Bundle {
    pub directory: tempfile::TempDir,
    pub options: LoadOptions,
}

impl Bundle {
    /// The root directory.
    pub fn root(&self) -> &Path {
        self.directory.path()
    }

    /// Loads the root with the bundle's options.
    pub fn load(&self) -> Loaded {
        flowform_spec::load(&self.options)
    }
}

/// Writes a fixture into a fresh spec root.
///
/// A fixture is a YAML file whose leading `# test:` comments set options:
/// `# test: env NAME=VALUE` (process environment), `# test: var NAME=VALUE` (`--var`),
/// `# test: secrets required`, `# test: environment NAME` (`--env NAME`), `# test: var-file
/// PATH` (`--var-file`, relative to the root), `# test: explicit` (load the fixture's own file
/// with `-f FILE` instead of the root folder), `# test: strict`. A line
/// `# test: file PATH` starts another file of the bundle at PATH (relative to the root); the
/// text before the first such line is the fixture's own file.
pub fn bundle(name: &str, text: &str) -> Bundle {
    let directory = tempfile::tempdir().expect("a temporary directory can be created");
    let mut environment = BTreeMap::new();
    let mut options =
        LoadOptions { paths: vec![directory.path().to_path_buf()], ..LoadOptions::default() };
    let mut current = PathBuf::from(name);
    let mut explicit = false;
    let mut files: Vec<(PathBuf, String)> = vec![(current.clone(), String::new())];
    for line in text.split_inclusive('\n') {
        if let Some(directive) = line.trim_end().strip_prefix("# test: ") {
            let (word, rest) = directive.split_once(' ').unwrap_or((directive, ""));
            match word {
                "env" => {
                    let (key, value) = rest.split_once('=').expect("env NAME=VALUE");
                    environment.insert(key.to_owned(), value.to_owned());
                }
                "var" => {
                    let (key, value) = rest.split_once('=').expect("var NAME=VALUE");
                    options.vars.push((key.to_owned(), value.to_owned()));
                }
                "secrets" => {
                    assert_eq!(rest, "required");
                    options.secrets = SecretPolicy::Required;
                }
                "environment" => options.env = Some(rest.to_owned()),
                "var-file" => options.var_files.push(directory.path().join(rest)),
                "explicit" => explicit = true,
                "strict" => options.strict = true,
                "file" => {
                    current = PathBuf::from(rest);
                    files.push((current.clone(), String::new()));
                    continue;
                }
                other => panic!("unknown fixture directive `{other}`"),
            }
        }
        files.last_mut().expect("there is always a current file").1.push_str(line);
    }
    for (path, content) in files {
        let path = directory.path().join(path);
        fs_err::create_dir_all(path.parent().expect("bundle files have a parent"))
            .expect("fixture directories can be created");
        fs_err::write(&path, content).expect("fixture files can be written");
    }
    options.environment = ProcessEnvironment::Fixed(environment);
    if explicit {
        options.paths = vec![directory.path().join(name)];
    }
    Bundle { directory, options }
}

/// Renders every diagnostic as the CLI does, colour off, at a fixed width. The temporary root
/// is replaced by `[ROOT]` in messages before rendering, so line wrapping does not depend on
/// where the temporary directory is; [`redact_root`] then handles the snippet headers.
pub fn render_diagnostics(loaded: &Loaded) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let roots: Vec<String> = [loaded.root.clone()]
        .into_iter()
        .chain(fs_err::canonicalize(&loaded.root).ok())
        .map(|root| root.display().to_string())
        .collect();
    let redact =
        |text: &str| roots.iter().fold(text.to_owned(), |text, root| text.replace(root, "[ROOT]"));
    let mut out = String::new();
    for diagnostic in &loaded.diagnostics {
        let mut diagnostic = diagnostic.clone();
        for item in std::iter::once(&mut diagnostic) {
            item.message = redact(&item.message);
            item.help = item.help.as_deref().map(&redact);
            item.label = item.label.as_deref().map(&redact);
        }
        for related in &mut diagnostic.related {
            related.message = redact(&related.message);
        }
        handler.render_report(&mut out, &diagnostic).expect("rendering into a string cannot fail");
        out.push('\n');
    }
    writeln!(out, "{} error(s), {} warning(s)", loaded.error_count(), loaded.warning_count())
        .expect("writing to a string cannot fail");
    out
}

/// Renders the resolved model: one block per resource, bodies as indented JSON-like text with
/// references as `${KIND.KEY}` and secrets as `(sensitive: NAMES)`.
pub fn render_model(desired: &DesiredState) -> String {
    let mut out = String::new();
    for resource in desired.resources.values() {
        let origin = resource.origin.as_ref().map_or(String::new(), |origin| {
            let file =
                origin.file.file_name().map_or(String::new(), |f| f.to_string_lossy().into_owned());
            format!(" ({file}:{}:{})", origin.line, origin.column)
        });
        writeln!(out, "{}{origin}", resource.address).unwrap();
        if resource.lifecycle != Lifecycle::default() {
            writeln!(out, "  lifecycle: {}", render_lifecycle(&resource.lifecycle)).unwrap();
        }
        for (key, value) in &resource.body {
            write!(out, "  {key}: ").unwrap();
            render_value(value, 2, &mut out);
            out.push('\n');
        }
    }
    for moved in &desired.moved {
        writeln!(out, "moved {} -> {}", moved.from, moved.to).unwrap();
    }
    for (address, data) in &desired.data_files {
        writeln!(
            out,
            "data of {address}: {} ({:?}), {} entries, first {:?}",
            data.written, data.format, data.entries, data.first_keys
        )
        .unwrap();
    }
    for lookup in desired.lookups.values() {
        let line = lookup.origin.as_ref().map_or(0, |origin| origin.line);
        writeln!(out, "lookup {} (line {line}): {}", lookup.address, lookup.describe()).unwrap();
    }
    out
}

fn render_lifecycle(lifecycle: &Lifecycle) -> String {
    let side = |side: &RefOrId| match side {
        RefOrId::Ref(address) => format!("${{{address}}}"),
        RefOrId::Id(id) => id.clone(),
    };
    let mut parts = Vec::new();
    if let Some(source) = &lifecycle.clone_from {
        parts.push(format!("cloneFrom={}", side(source)));
    }
    if let Some(map) = &lifecycle.connection_map {
        let pairs: Vec<String> =
            map.iter().map(|(a, b)| format!("{}->{}", side(a), side(b))).collect();
        parts.push(format!("connectionMap=[{}]", pairs.join(", ")));
    }
    if lifecycle.prevent_destroy {
        parts.push("preventDestroy".into());
    }
    if lifecycle.adopt {
        parts.push("adopt".into());
    }
    if !lifecycle.ignore_changes.is_empty() {
        let paths: Vec<String> = lifecycle.ignore_changes.iter().map(ToString::to_string).collect();
        parts.push(format!("ignoreChanges=[{}]", paths.join(", ")));
    }
    for (old, new) in &lifecycle.flow_group_renames {
        parts.push(format!("flowGroup {old:?} renamed to {new:?}"));
    }
    parts.join(" ")
}

fn render_value(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent + 2);
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(value) => write!(out, "{value}").unwrap(),
        Value::Number(number) => write!(out, "{number}").unwrap(),
        Value::String(text) => write!(out, "{}", serde_json::to_string(text).unwrap()).unwrap(),
        Value::Ref(address) => write!(out, "${{{address}}}").unwrap(),
        Value::Lookup(lookup) => write!(out, "{lookup}").unwrap(),
        Value::Secret(secret) => {
            let state = if secret.is_resolved() { "resolved" } else { "unresolved" };
            write!(out, "(sensitive: {}, {state})", secret.names.join(", ")).unwrap();
        }
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for item in items {
                write!(out, "\n{pad}").unwrap();
                render_value(item, indent + 2, out);
            }
            write!(out, "\n{}]", " ".repeat(indent)).unwrap();
        }
        Value::Object(object) if object.is_empty() => out.push_str("{}"),
        Value::Object(object) => {
            out.push('{');
            for (key, item) in object {
                write!(out, "\n{pad}{key}: ").unwrap();
                render_value(item, indent + 2, out);
            }
            write!(out, "\n{}}}", " ".repeat(indent)).unwrap();
        }
    }
}

/// Replaces the temporary root in rendered text.
pub fn redact_root(text: &str, root: &Path) -> String {
    let mut text = text.replace(&root.display().to_string(), "[ROOT]");
    if let Ok(canonical) = fs_err::canonicalize(root) {
        text = text.replace(&canonical.display().to_string(), "[ROOT]");
    }
    text
}
