//! The loading pipeline: discover files, parse, collect declarations, resolve variables,
//! convert bodies, check, and return the model with every problem found.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use flowform_model::fields::{is_server_owned, server_owned};
use flowform_model::{
    Address, DesiredResource, DesiredState, FieldPath, Kind, Lifecycle, Object, Origin, Value,
    validate_key,
};

use crate::checks::references::{self, Declared, Literal};
use crate::checks::{ReferenceUse, cycles, flows, key_span_at};
use crate::content_file;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::discover;
use crate::environment::{self, EnvironmentSettings};
use crate::known_fields::{is_known_field, known_fields};
use crate::lifecycle;
use crate::moved;
use crate::options::LoadOptions;
use crate::placeholder::is_variable_name;
use crate::resolve::{Mode, Resolver, is_null};
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::{self, Node};

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

/// One file, read and parsed.
struct ParsedFile {
    source: SourceFile,
    root: Option<Node>,
}

fn parse_file(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<ParsedFile> {
    match discover::read(path) {
        Ok(source) => {
            let (root, problems) = yaml::parse(&source);
            diagnostics.extend(problems);
            Some(ParsedFile { source, root })
        }
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// Reads and parses the files, on as many threads as there are cores (at most 8, and only for
/// specs of more than a few files); the result and the diagnostics keep the files' order.
fn parse_files(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Vec<ParsedFile> {
    const FILES_PER_THREAD: usize = 8;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8)
        .min(paths.len() / FILES_PER_THREAD)
        .max(1);
    let parse_chunk = |chunk: &[PathBuf]| {
        let mut problems = Vec::new();
        let parsed: Vec<ParsedFile> =
            chunk.iter().filter_map(|path| parse_file(path, &mut problems)).collect();
        (parsed, problems)
    };
    let results: Vec<(Vec<ParsedFile>, Vec<Diagnostic>)> = if threads == 1 {
        vec![parse_chunk(paths)]
    } else {
        let chunk_size = paths.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = paths
                .chunks(chunk_size)
                .map(|chunk| scope.spawn(move || parse_chunk(chunk)))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    let mut files = Vec::with_capacity(paths.len());
    for (parsed, problems) in results {
        files.extend(parsed);
        diagnostics.extend(problems);
    }
    files
}

/// A resource as declared: its key and body node.
struct ResourceDeclaration<'a> {
    address: Address,
    file: &'a SourceFile,
    key_span: Span,
    body: &'a Node,
}

/// A `variables:` entry.
struct VariableDeclaration<'a> {
    name: &'a str,
    file: &'a SourceFile,
    key_span: Span,
    value: &'a Node,
}

#[derive(Default)]
struct Declarations<'a> {
    resources: Vec<ResourceDeclaration<'a>>,
    variables: Vec<VariableDeclaration<'a>>,
    moved: Vec<moved::Section<'a>>,
}

const SECTIONS: [&str; 8] =
    ["integrations", "connections", "exports", "imports", "scripts", "flows", "variables", "moved"];

/// Where a spec is, without reading its resources: see [`locate`].
#[derive(Debug)]
pub struct Located {
    /// The spec root, as [`Loaded::root`].
    pub root: PathBuf,
    /// What `environments/NAME.yaml` set, with `--env NAME`.
    pub environment: Option<EnvironmentSettings>,
    /// The problems met finding the inputs and reading the environment file (an unreadable
    /// input, a missing or invalid environment file); the resources are not read.
    pub diagnostics: Vec<Diagnostic>,
}

/// The first stage of loading: the inputs discovered, the environment file read.
struct Layout {
    root: PathBuf,
    files: Vec<PathBuf>,
    environment_file: Option<(String, ParsedFile)>,
}

fn layout(options: &LoadOptions, diagnostics: &mut Vec<Diagnostic>) -> Layout {
    let discovered = discover::discover(&options.paths, diagnostics);
    let root = discovered.root;
    let environment_file =
        options.env.as_deref().and_then(|name| match environment::locate(&root, name) {
            Ok(path) => parse_file(&path, diagnostics).map(|file| (name.to_owned(), file)),
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                None
            }
        });
    Layout { root, files: discovered.files, environment_file }
}

/// Finds the spec root and reads the environment file, which is all a command needs to know
/// which account and state are meant, without parsing the resources (cheap on any spec, so a
/// command can start talking to the account while [`load`] runs).
pub fn locate(options: &LoadOptions) -> Located {
    let mut diagnostics = Vec::new();
    let Layout { root, environment_file, .. } = layout(options, &mut diagnostics);
    let environment = environment_file.map(|(name, file)| {
        environment::settings(&name, &file.source, file.root.as_ref(), &mut diagnostics).0
    });
    Located { root, environment, diagnostics }
}

/// Loads a spec. Never panics and never stops at the first problem: the result carries the
/// model as far as it could be built and every diagnostic found.
pub fn load(options: &LoadOptions) -> Loaded {
    let mut diagnostics = Vec::new();
    let Layout { root, files, environment_file } = layout(options, &mut diagnostics);
    let files = parse_files(&files, &mut diagnostics);
    let (environment, environment_variables) = match &environment_file {
        Some((name, file)) => {
            let (settings, variables) =
                environment::settings(name, &file.source, file.root.as_ref(), &mut diagnostics);
            (Some(settings), variables.map(|node| (&file.source, node)))
        }
        None => (None, None),
    };

    let declarations = collect_declarations(&files, &mut diagnostics);
    let (variables, declared_variables) = resolve_variables(
        options,
        &declarations.variables,
        environment_variables,
        &mut diagnostics,
    );

    let declared = Declared::new(declarations.resources.iter().map(|d| &d.address));
    let content_root = content_file::Root::new(&root);
    let mut resolver = Resolver::new(&variables, &options.environment, options.secrets);
    let mut desired = DesiredState::default();
    let mut uses_by_resource: Vec<Vec<ReferenceUse>> = Vec::new();
    let mut checked_declarations = Vec::new();
    for declaration in &declarations.resources {
        if desired.resources.contains_key(&declaration.address) {
            continue;
        }
        let (resource, mut uses, literals) =
            convert_resource(declaration, &mut resolver, &content_root, &mut diagnostics);
        references::check(declaration.file, &mut uses, &literals, &declared, &mut diagnostics);
        if declaration.address.kind == Kind::Flow {
            flows::check(declaration.file, &resource.body, declaration.body, &mut diagnostics);
        }
        desired.resources.insert(declaration.address.clone(), resource);
        uses_by_resource.push(uses);
        checked_declarations.push(declaration);
    }
    let cycle_resources: Vec<cycles::Resource<'_>> = checked_declarations
        .iter()
        .zip(&uses_by_resource)
        .map(|(declaration, uses)| cycles::Resource {
            address: &declaration.address,
            file: declaration.file,
            uses,
        })
        .collect();
    cycles::check(&cycle_resources, &mut diagnostics);
    desired.moved = moved::parse(&declarations.moved, &declared, &mut diagnostics);

    let (resolver_diagnostics, used_variables) = resolver.finish();
    diagnostics.extend(resolver_diagnostics);
    report_unused_variable_flags(options, &declared_variables, &used_variables, &mut diagnostics);

    let order: HashMap<PathBuf, usize> = files
        .iter()
        .map(|file| &file.source.path)
        .chain(environment_file.as_ref().map(|(_, file)| &file.source.path))
        .enumerate()
        .map(|(index, path)| (path.clone(), index + 1))
        .collect();
    diagnostics.sort_by_key(|diagnostic| {
        let rank = diagnostic.file.as_ref().and_then(|file| order.get(file)).copied().unwrap_or(0);
        (rank, diagnostic.span.map_or(0, |span| span.offset()))
    });

    Loaded {
        desired,
        diagnostics,
        environment,
        root,
        files: files.into_iter().map(|file| file.source.path).collect(),
    }
}

fn collect_declarations<'a>(
    files: &'a [ParsedFile],
    diagnostics: &mut Vec<Diagnostic>,
) -> Declarations<'a> {
    let mut declarations = Declarations::default();
    let mut first_seen: HashMap<Address, (&'a SourceFile, Span)> = HashMap::new();
    for parsed in files {
        let file = &parsed.source;
        let Some(root) = &parsed.root else {
            continue;
        };
        if is_null(root) {
            diagnostics.push(
                Diagnostic::error(
                    Code::EmptyFile,
                    file,
                    root.span,
                    "this file holds an empty document",
                )
                .with_help(
                    "a spec file is a mapping of sections such as `flows:`; delete the file or \
                     add a section",
                ),
            );
            continue;
        }
        let Some(sections) = root.as_mapping() else {
            diagnostics.push(
                Diagnostic::error(
                    Code::NotAMapping,
                    file,
                    root.span,
                    format!(
                        "a spec file must be a mapping of sections, found {}",
                        root.type_name()
                    ),
                )
                .with_help("start with a section such as `flows:` or `connections:`"),
            );
            continue;
        };
        for section in sections {
            let node = &section.value;
            match section.key.as_str() {
                "variables" => {
                    if is_null(node) {
                        continue;
                    }
                    let Some(entries) = node.as_mapping() else {
                        diagnostics.push(not_a_mapping(file, node, "`variables`"));
                        continue;
                    };
                    for entry in entries {
                        declarations.variables.push(VariableDeclaration {
                            name: &entry.key,
                            file,
                            key_span: entry.key_span,
                            value: &entry.value,
                        });
                    }
                }
                "moved" => declarations.moved.push(moved::Section { file, node }),
                name => {
                    let Some(kind) = Kind::from_plural(name) else {
                        diagnostics.push(unknown_section(file, section.key_span, name));
                        continue;
                    };
                    if is_null(node) {
                        continue;
                    }
                    let Some(entries) = node.as_mapping() else {
                        diagnostics.push(not_a_mapping(file, node, &format!("`{name}`")));
                        continue;
                    };
                    for entry in entries {
                        if let Err(error) = validate_key(&entry.key) {
                            diagnostics.push(
                                Diagnostic::error(
                                    Code::InvalidKey,
                                    file,
                                    entry.key_span,
                                    error.to_string(),
                                )
                                .with_label("invalid key")
                                .with_help(format!(
                                    "keys are lowercase letters, digits, `_` and `-`, starting \
                                         with a letter or digit, at most 63 characters{}",
                                    suggested_key(&entry.key)
                                        .map(|key| format!(", such as `{key}`"))
                                        .unwrap_or_default()
                                )),
                            );
                            continue;
                        }
                        let address = Address::new(kind, entry.key.clone());
                        if let Some((first_file, first_span)) = first_seen.get(&address) {
                            diagnostics.push(
                                Diagnostic::error(
                                    Code::DuplicateKey,
                                    file,
                                    entry.key_span,
                                    format!("`{address}` is declared twice"),
                                )
                                .with_label("second declaration")
                                .with_help("keys are unique per kind across all files; rename one")
                                .with_related(Diagnostic::note(
                                    first_file,
                                    *first_span,
                                    format!("`{address}` is first declared here"),
                                )),
                            );
                            continue;
                        }
                        first_seen.insert(address.clone(), (file, entry.key_span));
                        declarations.resources.push(ResourceDeclaration {
                            address,
                            file,
                            key_span: entry.key_span,
                            body: &entry.value,
                        });
                    }
                }
            }
        }
    }
    declarations
}

/// A lowercase, dash-separated version of an invalid key, when that one is valid.
fn suggested_key(key: &str) -> Option<String> {
    let mut suggestion = String::new();
    for character in key.chars() {
        match character {
            c if c.is_ascii_alphanumeric() => suggestion.push(c.to_ascii_lowercase()),
            '_' | '-' => suggestion.push(character),
            _ => {
                if !suggestion.ends_with('-') {
                    suggestion.push('-');
                }
            }
        }
    }
    let suggestion = suggestion.trim_matches(['-', '_']).to_owned();
    (suggestion != key && validate_key(&suggestion).is_ok()).then_some(suggestion)
}

fn not_a_mapping(file: &SourceFile, node: &Node, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::NotAMapping,
        file,
        node.span,
        format!("{what} must be a mapping of keys, found {}", node.type_name()),
    )
}

fn unknown_section(file: &SourceFile, span: Span, name: &str) -> Diagnostic {
    let help = match Kind::from_singular(name) {
        Some(kind) => format!("sections are plural: `{}:`", kind.plural()),
        None => did_you_mean(&closest(name, SECTIONS), str::to_owned).unwrap_or_else(|| {
            format!(
                "a spec file has the sections {}",
                SECTIONS.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            )
        }),
    };
    Diagnostic::error(Code::UnknownSection, file, span, format!("unknown section `{name}`"))
        .with_label("unknown section")
        .with_help(help)
}

/// Variables by name: spec defaults, overridden by the environment file, overridden by `--var`.
/// Also returns the names the spec and the environment file declare.
fn resolve_variables(
    options: &LoadOptions,
    declarations: &[VariableDeclaration<'_>],
    environment_variables: Option<(&SourceFile, &Node)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (HashMap<String, Option<Value>>, HashSet<String>) {
    let no_variables = HashMap::new();
    let mut resolver = Resolver::new(&no_variables, &options.environment, options.secrets);
    let mut values: HashMap<String, Option<Value>> = HashMap::new();
    let mut first_declared: HashMap<&str, (&SourceFile, Span)> = HashMap::new();
    let convert = |resolver: &mut Resolver<'_>, file: &SourceFile, node: &Node| {
        let before = resolver.diagnostics.len();
        let value = resolver.convert(file, node, Mode::Variable);
        let failed = resolver.diagnostics[before..].iter().any(Diagnostic::is_error);
        (!failed).then_some(value)
    };
    for declaration in declarations {
        if !is_variable_name(declaration.name) {
            diagnostics.push(invalid_variable_name(
                declaration.file,
                declaration.key_span,
                declaration.name,
            ));
            continue;
        }
        if let Some((first_file, first_span)) = first_declared.get(declaration.name) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateVariable,
                    declaration.file,
                    declaration.key_span,
                    format!("variable `{}` is declared twice", declaration.name),
                )
                .with_help("declare each variable once; environment files and `--var` override it")
                .with_related(Diagnostic::note(
                    first_file,
                    *first_span,
                    "first declared here",
                )),
            );
            continue;
        }
        first_declared.insert(declaration.name, (declaration.file, declaration.key_span));
        let value = convert(&mut resolver, declaration.file, declaration.value);
        values.insert(declaration.name.to_owned(), value);
    }
    let mut declared: HashSet<String> = values.keys().cloned().collect();
    if let Some((file, node)) = environment_variables {
        match node.as_mapping() {
            Some(entries) => {
                for entry in entries {
                    if !is_variable_name(&entry.key) {
                        diagnostics.push(invalid_variable_name(file, entry.key_span, &entry.key));
                        continue;
                    }
                    let value = convert(&mut resolver, file, &entry.value);
                    declared.insert(entry.key.clone());
                    values.insert(entry.key.clone(), value);
                }
            }
            None if is_null(node) => {}
            None => diagnostics.push(not_a_mapping(file, node, "`variables`")),
        }
    }
    for (name, value) in &options.vars {
        if !is_variable_name(name) {
            diagnostics.push(Diagnostic::without_location(
                Severity::Error,
                Code::InvalidVariable,
                format!("`--var {name}=…`: `{name}` is not a valid variable name"),
            )
            .with_help("variable names are letters, digits, `_` and `-`, starting with a letter or `_`"));
            continue;
        }
        values.insert(name.clone(), Some(Value::String(value.clone())));
    }
    let (problems, _) = resolver.finish();
    diagnostics.extend(problems);
    (values, declared)
}

fn invalid_variable_name(file: &SourceFile, span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidVariable,
        file,
        span,
        format!("`{name}` is not a valid variable name"),
    )
    .with_help("variable names are letters, digits, `_` and `-`, starting with a letter or `_`")
}

fn report_unused_variable_flags(
    options: &LoadOptions,
    declared: &HashSet<String>,
    used: &HashSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (name, _) in &options.vars {
        if !is_variable_name(name) || declared.contains(name) || used.contains(name) {
            continue;
        }
        let known = declared.iter().chain(used).map(String::as_str);
        let help =
            did_you_mean(&closest(name, known), |s| format!("--var {s}=…")).unwrap_or_else(|| {
                "no `variables:` entry declares it and no `${var.…}` uses it".to_owned()
            });
        diagnostics.push(
            Diagnostic::without_location(
                Severity::Warning,
                Code::UnusedVariable,
                format!("`--var {name}` sets a variable that nothing declares or uses"),
            )
            .with_help(help),
        );
    }
}

/// Converts one resource: body, lifecycle, content file; reports field problems.
fn convert_resource(
    declaration: &ResourceDeclaration<'_>,
    resolver: &mut Resolver<'_>,
    content_root: &content_file::Root,
    diagnostics: &mut Vec<Diagnostic>,
) -> (DesiredResource, Vec<ReferenceUse>, Vec<Literal>) {
    let file = declaration.file;
    let address = &declaration.address;
    let kind = address.kind;
    let node = declaration.body;
    let mut body = Object::new();
    let mut lifecycle = Lifecycle::default();
    let mut lifecycle_uses = Vec::new();
    if let Some(entries) = node.as_mapping() {
        let has_content = entries.iter().any(|entry| entry.key == "content");
        for entry in entries {
            match entry.key.as_str() {
                "lifecycle" => {
                    lifecycle = lifecycle::parse(
                        resolver,
                        file,
                        address,
                        &entry.value,
                        &mut lifecycle_uses,
                    );
                }
                "contentFile" if kind == Kind::Script => {
                    if has_content {
                        diagnostics.push(
                            Diagnostic::error(
                                Code::ContentFile,
                                file,
                                entry.key_span,
                                "a script has `content` or `contentFile`, not both",
                            )
                            .with_help("keep the script in the file and remove `content`"),
                        );
                        continue;
                    }
                    match content_file::read(content_root, file, &entry.value) {
                        Ok(content) => {
                            body.insert("content".to_owned(), Value::String(content));
                        }
                        Err(diagnostic) => diagnostics.push(diagnostic),
                    }
                }
                "contentFile" => diagnostics.push(
                    Diagnostic::error(
                        Code::ContentFile,
                        file,
                        entry.key_span,
                        format!("`contentFile` is only for scripts, not {}s", kind),
                    )
                    .with_help(
                        "put the code in a script and refer to it with `_scriptId: ${script.KEY}`",
                    ),
                ),
                key if is_server_owned(kind, &FieldPath::from_keys([key])) => {
                    diagnostics.push(server_owned_field(file, entry.key_span, key));
                }
                key => {
                    if !is_known_field(kind, key) {
                        diagnostics.push(unknown_field(file, entry.key_span, kind, key));
                    }
                    let value = resolver.convert(file, &entry.value, Mode::Body);
                    body.insert(key.to_owned(), value);
                }
            }
        }
    } else if !is_null(node) {
        diagnostics.push(
            Diagnostic::error(
                Code::NotAMapping,
                file,
                node.span,
                format!("the body of `{address}` must be a mapping, found {}", node.type_name()),
            )
            .with_help("write the resource's fields under its key, such as `name: …`"),
        );
    }
    for owned in server_owned(kind).iter().filter(|owned| owned.contains('.')) {
        let keys: Vec<&str> = owned.split('.').collect();
        if remove_nested(&mut body, &keys) {
            let path = FieldPath::from_keys(keys.iter().copied());
            diagnostics.push(server_owned_field(file, key_span_at(node, path.segments()), owned));
        }
    }
    let (mut uses, literals) = references::collect(&body, node);
    uses.extend(lifecycle_uses);
    let (line, column) = file.line_column(declaration.key_span.start);
    let resource = DesiredResource {
        address: address.clone(),
        body,
        lifecycle,
        origin: Some(Origin { file: file.path.clone(), line, column }),
    };
    (resource, uses, literals)
}

/// Removes the value at a dotted path of object keys; returns whether it was there.
fn remove_nested(object: &mut Object, keys: &[&str]) -> bool {
    match keys {
        [] => false,
        [last] => object.shift_remove(*last).is_some(),
        [first, rest @ ..] => match object.get_mut(*first) {
            Some(Value::Object(child)) => remove_nested(child, rest),
            _ => false,
        },
    }
}

fn server_owned_field(file: &SourceFile, span: Span, field: &str) -> Diagnostic {
    Diagnostic::error(
        Code::ServerOwnedField,
        file,
        span,
        format!("`{field}` is owned by the server and cannot be set in a spec"),
    )
    .with_label("server-owned")
    .with_help("remove it: integrator.io sets it, and flowform tracks ids in its state")
}

fn unknown_field(file: &SourceFile, span: Span, kind: Kind, field: &str) -> Diagnostic {
    let suggestion =
        did_you_mean(&closest(field, known_fields(kind).iter().copied()), str::to_owned);
    let note =
        format!("Celigo's schemas do not list `{field}` for {}s; it is sent as written", kind);
    Diagnostic::warning(Code::UnknownField, file, span, format!("unknown {} field `{field}`", kind))
        .with_label("unknown field")
        .with_help(match suggestion {
            Some(suggestion) => format!("{suggestion} {note}"),
            None => note,
        })
}
