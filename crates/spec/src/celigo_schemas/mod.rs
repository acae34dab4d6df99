//! Checks flowform's own fact tables against Celigo's field schemas, which live outside the
//! project in `../shared/reference/celigo-schemas` (read, never copied). Without that directory
//! the tests print why and pass, so the suite runs anywhere.
//!
//! The schemas are read with this crate's own YAML loader, which doubles as a test of the
//! loader on several hundred kilobytes of real-world YAML.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use flowform_model::fields::{RefTarget, is_server_owned, reference_target};
use flowform_model::{FieldPath, Kind, Segment};

use crate::known_fields::is_known_field;
use crate::source::SourceFile;
use crate::yaml::{self, Node, NodeValue};

fn schemas_directory() -> Option<PathBuf> {
    // `FLOWFORM_CELIGO_SCHEMAS` points elsewhere, for a checkout that is not beside `shared/`
    // (a git worktree in another folder).
    let directory = std::env::var_os("FLOWFORM_CELIGO_SCHEMAS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/celigo-schemas"),
        PathBuf::from,
    );
    if directory.is_dir() {
        Some(directory)
    } else {
        // Printed so a skipped check is visible in `cargo test -- --nocapture` and in CI logs.
        #[expect(clippy::print_stderr, reason = "a skipped test says why")]
        {
            eprintln!(
                "skipped: Celigo's schemas are not at `{}` (they sit in ../shared beside the \
                 repository)",
                directory.display()
            );
        }
        None
    }
}

fn load_yaml(path: &Path) -> Node {
    try_load_yaml(path).unwrap_or_else(|problem| panic!("{problem}"))
}

/// Loads a schema file. A few of Celigo's files close a multi-line flow collection at the
/// indentation of its key, which YAML 1.2 (and so saphyr) rejects while older parsers accept;
/// those are read again with the closing lines indented.
fn try_load_yaml(path: &Path) -> Result<Node, String> {
    let text = fs_err::read_to_string(path).expect("the schema file is readable");
    let parse = |text: String| {
        let source = SourceFile::new(path, text);
        let (root, diagnostics) = yaml::parse(&source);
        match root {
            Some(root) if diagnostics.is_empty() => Ok(root),
            _ => Err(format!("{}: {diagnostics:?}", path.display())),
        }
    };
    parse(text.clone()).or_else(|problem| {
        // Those files close an `examples: [` list on a line of its own at the key's
        // indentation; indenting such closing lines further makes them YAML 1.2.
        let indented: String = text
            .lines()
            .map(|line| {
                let closing = line.trim();
                if matches!(closing, "]" | "}" | "]," | "},") {
                    format!("  {line}\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        parse(indented).map_err(|_| problem)
    })
}

fn scalar_text(node: &Node) -> Option<&str> {
    node.as_scalar().map(|scalar| scalar.text.as_str())
}

/// Files in a schemas directory that describe requests or responses of other endpoints.
const NOT_BODIES: [&str; 6] = [
    "request.yml",
    "response.yml",
    "clone-request.yml",
    "clone-response.yml",
    "preview-request.yml",
    "preview-response.yml",
];

struct KindSchemas {
    kind: Kind,
    directory: &'static str,
    /// The body schemas: (file, root name).
    roots: &'static [(&'static str, &'static str)],
    /// Other schema files: the top-level field each describes, or `None` when it describes a
    /// nested object.
    blocks: &'static [(&'static str, Option<&'static str>)],
}

const KINDS: [KindSchemas; 7] = [
    KindSchemas {
        kind: Kind::IClient,
        directory: "configuring-connections/iclient-schemas",
        roots: &[("request.yml", "Request"), ("response.yml", "iClient")],
        // `base.yml` holds the body both roots use; the provider files describe the provider
        // blocks `base.yml` already describes inline (and are referenced by nothing).
        blocks: &[
            ("base.yml", None),
            ("ebay.yml", None),
            ("netsuite.yml", None),
            ("oauth2.yml", None),
            ("salesforce.yml", None),
        ],
    },
    KindSchemas {
        kind: Kind::LookupCache,
        directory: "configuring-lookup-caches/schemas",
        roots: &[("request.yml", "Request"), ("response.yml", "LookupCache")],
        blocks: &[],
    },
    KindSchemas {
        kind: Kind::Connection,
        directory: "configuring-connections/schemas",
        roots: &[("request.yml", "Request"), ("response.yml", "Connection")],
        blocks: &[
            ("as2.yml", Some("as2")),
            ("dynamodb.yml", Some("dynamodb")),
            ("filesystem.yml", Some("filesystem")),
            ("ftp.yml", Some("ftp")),
            ("http.yml", Some("http")),
            ("jdbc.yml", Some("jdbc")),
            ("jwt.yml", None),
            ("mcp.yml", Some("mcp")),
            ("mongodb.yml", Some("mongodb")),
            ("netsuite.yml", Some("netsuite")),
            ("oauth.yml", None),
            ("rdbms.yml", Some("rdbms")),
            ("rest.yml", Some("rest")),
            ("s3.yml", Some("s3")),
            ("salesforce.yml", Some("salesforce")),
            ("ssl.yml", Some("ssl")),
            ("van.yml", Some("van")),
            ("wrapper.yml", Some("wrapper")),
        ],
    },
    KindSchemas {
        kind: Kind::Export,
        directory: "configuring-exports/schemas",
        roots: &[("request.yml", "Request"), ("response.yml", "Export")],
        blocks: &[
            ("as2.yml", Some("as2")),
            ("delta.yml", Some("delta")),
            ("distributed.yml", Some("distributed")),
            ("dynamodb.yml", Some("dynamodb")),
            ("file.yml", Some("file")),
            ("filesystem.yml", Some("filesystem")),
            ("ftp.yml", Some("ftp")),
            ("group-by.yml", Some("groupByFields")),
            ("http.yml", Some("http")),
            ("jdbc.yml", Some("jdbc")),
            ("mock-output.yml", Some("mockOutput")),
            ("mongodb.yml", Some("mongodb")),
            ("netsuite.yml", Some("netsuite")),
            ("once.yml", Some("once")),
            ("rdbms.yml", Some("rdbms")),
            ("s3.yml", Some("s3")),
            ("salesforce.yml", Some("salesforce")),
            ("test.yml", Some("test")),
            ("webhook.yml", Some("webhook")),
            ("wrapper.yml", Some("wrapper")),
        ],
    },
    KindSchemas {
        kind: Kind::Import,
        directory: "configuring-imports/schemas",
        roots: &[("request.yml", "Request"), ("response.yml", "Import")],
        blocks: &[
            ("aiagent.yml", Some("aiAgent")),
            ("as2.yml", Some("as2")),
            ("dynamodb.yml", Some("dynamodb")),
            ("file.yml", Some("file")),
            ("filesystem.yml", Some("filesystem")),
            ("ftp.yml", Some("ftp")),
            ("guardrail.yml", Some("guardrail")),
            ("http.yml", Some("http")),
            ("jdbc.yml", Some("jdbc")),
            ("mongodb.yml", Some("mongodb")),
            ("netsuite.yml", Some("netsuite")),
            ("netsuitedistributed.yml", Some("netsuite_da")),
            ("rdbms.yml", Some("rdbms")),
            ("s3.yml", Some("s3")),
            ("salesforce.yml", Some("salesforce")),
            ("wrapper.yml", Some("wrapper")),
        ],
    },
    KindSchemas {
        kind: Kind::Flow,
        directory: "building-flows/schemas",
        roots: &[("request.yml", "Request"), ("response.yml", "Flow")],
        blocks: &[
            ("branch.yml", None),
            ("overrides.yml", Some("overrides")),
            ("overrides-helper.yml", Some("overridesHelper")),
            ("page-generator.yml", Some("pageGenerators")),
            ("page-processor.yml", Some("pageProcessors")),
            ("response-mapping.yml", None),
            ("router.yml", Some("routers")),
        ],
    },
    KindSchemas {
        kind: Kind::Script,
        directory: "writing-scripts/schemas",
        roots: &[("request.yml", "Request"), ("response.yml", "Script")],
        blocks: &[],
    },
];

/// The property names a schema lists at its top level, following `allOf` and local `$ref`s to
/// files that exist; refs that cannot be followed are added to `unresolved`.
fn top_level_properties(
    directory: &Path,
    schema: &Node,
    properties: &mut BTreeSet<String>,
    unresolved: &mut BTreeSet<String>,
    budget: usize,
) {
    if budget == 0 {
        return;
    }
    if let Some(entry) = schema.get("properties") {
        for property in entry.value.as_mapping().unwrap_or_default() {
            properties.insert(property.key.clone());
        }
    }
    for combinator in ["allOf", "oneOf", "anyOf"] {
        if let Some(NodeValue::Sequence(items)) =
            schema.get(combinator).map(|entry| &entry.value.value)
        {
            for item in items {
                top_level_properties(directory, item, properties, unresolved, budget - 1);
            }
        }
    }
    if let Some(reference) = schema.get("$ref").and_then(|entry| scalar_text(&entry.value)) {
        let Some((file, name)) = reference.split_once("#/") else {
            unresolved.insert(reference.to_owned());
            return;
        };
        let path = directory.join(file);
        if !path.is_file() {
            unresolved.insert(reference.to_owned());
            return;
        }
        let document = load_yaml(&path);
        match document.get(name) {
            Some(entry) => {
                top_level_properties(directory, &entry.value, properties, unresolved, budget - 1)
            }
            None => {
                unresolved.insert(reference.to_owned());
            }
        }
    }
}

#[test]
fn known_fields_cover_the_schemas() {
    let Some(root) = schemas_directory() else {
        return;
    };
    let mut problems = Vec::new();
    let mut unresolved = BTreeSet::new();
    let mut checked = 0;
    for schemas in &KINDS {
        let directory = root.join(schemas.directory);
        let mut files: Vec<String> = fs_err::read_dir(&directory)
            .expect("the schemas directory is readable")
            .map(|entry| entry.expect("readable").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        for file in &files {
            let covered = NOT_BODIES.contains(&file.as_str())
                || schemas.blocks.iter().any(|(block, _)| block == file);
            if !covered {
                problems.push(format!(
                    "{}: `{}/{file}` is new; decide which top-level field it describes",
                    schemas.kind, schemas.directory
                ));
            }
        }
        let mut properties = BTreeSet::new();
        for (file, name) in schemas.roots {
            let document = load_yaml(&directory.join(file));
            let schema = document.get(name).unwrap_or_else(|| panic!("{file} has `{name}`"));
            top_level_properties(&directory, &schema.value, &mut properties, &mut unresolved, 16);
        }
        properties.extend(schemas.blocks.iter().filter_map(|(_, field)| field.map(str::to_owned)));
        for property in properties {
            checked += 1;
            let path = FieldPath::from_keys([property.as_str()]);
            if !is_known_field(schemas.kind, &property) && !is_server_owned(schemas.kind, &path) {
                problems.push(format!(
                    "{}: Celigo's schemas list `{property}`, which known_fields does not",
                    schemas.kind
                ));
            }
        }
    }
    // An abstract flow's `overrides.exports[]` and `overrides.imports[]` list the export and
    // import fields it may replace; all but the step-level ones are fields of those kinds.
    let overrides = load_yaml(&root.join("building-flows/schemas/overrides.yml"));
    let step_level = [
        "_abstractId",
        "_id",
        "_keepDeltaBehindFlowId",
        "_keepDeltaBehindExportId",
        "schedule",
        "skipRetries",
        "proceedOnFailure",
        "responseMapping",
    ];
    for (kind, list) in [(Kind::Export, "exports"), (Kind::Import, "imports")] {
        let items = overrides
            .get("Overrides")
            .and_then(|entry| entry.value.get("properties"))
            .and_then(|entry| entry.value.get(list))
            .and_then(|entry| entry.value.get("items"))
            .and_then(|entry| entry.value.get("properties"))
            .unwrap_or_else(|| panic!("overrides.yml lists `{list}` items"));
        for property in items.value.as_mapping().unwrap_or_default() {
            if step_level.contains(&property.key.as_str()) {
                continue;
            }
            checked += 1;
            if !is_known_field(kind, &property.key) {
                problems.push(format!(
                    "{kind}: `overrides.{list}[]` lists `{}`, which known_fields does not",
                    property.key
                ));
            }
        }
    }
    #[expect(clippy::print_stderr, reason = "the test reports what it could not check")]
    {
        eprintln!(
            "schema references not in the stored schemas (their fields come from the API reference): {unresolved:?}"
        );
    }
    assert!(checked > 80, "only {checked} fields were found; did the schemas move?");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The body path a schema root describes, for building full paths of annotated fields.
fn root_prefix(root: &str) -> Vec<Segment> {
    let key = |name: &str| Segment::Key(name.to_owned());
    match root {
        "Request" | "Flow" | "Export" | "Import" | "Connection" | "Script" | "LookupCache"
        | "ResponseBase" => Vec::new(),
        "PageGenerator" => vec![key("pageGenerators"), Segment::Index(0)],
        "PageProcessor" => vec![key("pageProcessors"), Segment::Index(0)],
        "Router" => vec![key("routers"), Segment::Index(0)],
        "Branch" => vec![key("routers"), Segment::Index(0), key("branches"), Segment::Index(0)],
        "Overrides" => vec![key("overrides")],
        "OverridesHelper" => vec![key("overridesHelper")],
        other => vec![key(&other.to_lowercase())],
    }
}

/// Every property annotated with `x-celigo-refModel` under `node`, with its body path.
fn annotated(
    node: &Node,
    path: &mut Vec<Segment>,
    out: &mut Vec<(FieldPath, String)>,
    budget: usize,
) {
    if budget == 0 {
        return;
    }
    if let Some(model) = node.get("x-celigo-refModel").and_then(|entry| scalar_text(&entry.value)) {
        out.push((FieldPath(path.clone()), model.to_owned()));
    }
    let Some(entries) = node.as_mapping() else {
        if let NodeValue::Sequence(items) = &node.value {
            for item in items {
                annotated(item, path, out, budget - 1);
            }
        }
        return;
    };
    for entry in entries {
        match entry.key.as_str() {
            "properties" => {
                for property in entry.value.as_mapping().unwrap_or_default() {
                    path.push(Segment::Key(property.key.clone()));
                    annotated(&property.value, path, out, budget - 1);
                    path.pop();
                }
            }
            "items" => {
                path.push(Segment::Index(0));
                annotated(&entry.value, path, out, budget - 1);
                path.pop();
            }
            "examples" | "description" | "x-celigo-refModel" => {}
            _ => annotated(&entry.value, path, out, budget - 1),
        }
    }
}

#[test]
fn reference_targets_match_the_ref_model_annotations() {
    let Some(root) = schemas_directory() else {
        return;
    };
    let directories = [
        ("building-flows/schemas", Some(Kind::Flow)),
        ("configuring-connections/schemas", Some(Kind::Connection)),
        ("configuring-connections/iclient-schemas", None),
        ("configuring-exports/schemas", Some(Kind::Export)),
        ("configuring-imports/schemas", Some(Kind::Import)),
        ("configuring-lookup-caches/schemas", None),
        ("writing-scripts/schemas", Some(Kind::Script)),
    ];
    let mut checked = 0;
    let mut problems = Vec::new();
    for (directory, kind) in directories {
        let directory = root.join(directory);
        let mut files: Vec<PathBuf> = fs_err::read_dir(&directory)
            .expect("the schemas directory is readable")
            .map(|entry| entry.expect("readable").path())
            .collect();
        files.sort();
        for file in files {
            let document = match try_load_yaml(&file) {
                Ok(document) => document,
                Err(problem) => {
                    let text = fs_err::read_to_string(&file).expect("readable");
                    if text.contains("x-celigo-refModel") {
                        problems.push(format!("cannot read an annotated schema: {problem}"));
                    } else {
                        #[expect(clippy::print_stderr, reason = "the test reports what it skips")]
                        {
                            eprintln!("skipped (no annotations): {problem}");
                        }
                    }
                    continue;
                }
            };
            for entry in document.as_mapping().unwrap_or_default() {
                let mut path = root_prefix(&entry.key);
                let mut found = Vec::new();
                annotated(&entry.value, &mut path, &mut found, 64);
                for (path, model) in found {
                    // A server-owned field is never written in a spec, so what it points at
                    // does not matter to flowform (a script's `_sourceId` points at scripts).
                    if kind.is_some_and(|kind| is_server_owned(kind, &path)) {
                        continue;
                    }
                    checked += 1;
                    // The annotations spell some collections in camel case (`lookupCaches`).
                    let plural = Kind::ALL
                        .into_iter()
                        .find(|kind| kind.plural().eq_ignore_ascii_case(&model));
                    let expected = match plural {
                        Some(kind) => RefTarget::Managed(kind),
                        None => RefTarget::Unmanaged("(unmanaged)"),
                    };
                    let actual = reference_target(&path);
                    let agrees = match (expected, actual) {
                        (RefTarget::Managed(a), Some(RefTarget::Managed(b))) => a == b,
                        (RefTarget::Unmanaged(_), Some(RefTarget::Unmanaged(collection))) => {
                            collection.eq_ignore_ascii_case(&model)
                        }
                        _ => false,
                    };
                    if !agrees {
                        problems.push(format!(
                            "{}: `{path}` points at `{model}`, but reference_target says {actual:?}",
                            file.display()
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 40, "only {checked} annotated fields were found; did the schemas move?");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

mod extract;
mod secrets;

/// The committed field table, as `validate` reads it.
const FIELD_TABLE: &str = include_str!("../validate/celigo.fields");

/// The table's header: what it is and how it is made. The rest is what the schemas say.
const FIELD_TABLE_HEADER: &str = "\
# flowform's table of integrator.io body fields, read from Celigo's schemas
# (../shared/reference/celigo-schemas): names, JSON types, enumerations, the service's
# lower/upper-casing (x-lowercase, x-uppercase), bounds, open objects, and required fields with
# the conditions under which they are required. Facts only; no schema text is copied.
#
# Line forms (paths are dotted, `[]` is a list's items, `.` the document itself):
#   @KIND                                  the fields of one kind follow
#   PATH TYPE[|TYPE…] [open] [lower] [upper] [min=N] [max=N] [maxlen=N] [enum=JSON]
#   PATH require NAME[,NAME…] [when COND [and COND…]]
#   PATH require-one NAME[,NAME…] [when …]  at least one of them
#   COND is REL-PATH OP JSON-LIST; OP `=` (present and one of), `=?` (absent or one of),
#   `!=` (absent or none of), `!=?` (present and none of).
#
# Written by `FLOWFORM_WRITE_FIELD_TABLE=1 cargo test -p flowform-spec field_table`; the test
# `field_table_matches_the_schemas` fails whenever the schemas and this file disagree.
";

#[test]
fn field_table_matches_the_schemas() {
    let Some(root) = schemas_directory() else {
        return;
    };
    let (table, problems) = extract::field_table(&root);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let expected = format!("{FIELD_TABLE_HEADER}{table}");
    if std::env::var_os("FLOWFORM_WRITE_FIELD_TABLE").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/validate/celigo.fields");
        fs_err::write(&path, &expected).expect("the table can be written");
        return;
    }
    if FIELD_TABLE != expected {
        let committed: BTreeSet<&str> = FIELD_TABLE.lines().collect();
        let extracted: BTreeSet<&str> = expected.lines().collect();
        let missing: Vec<&&str> = extracted.difference(&committed).take(20).collect();
        let extra: Vec<&&str> = committed.difference(&extracted).take(20).collect();
        panic!(
            "validate/celigo.fields differs from what Celigo's schemas say; rewrite it with \
             `FLOWFORM_WRITE_FIELD_TABLE=1 cargo test -p flowform-spec field_table` and review \
             the diff.\nthe schemas say, the table does not: {missing:#?}\nthe table says, the \
             schemas do not: {extra:#?}"
        );
    }
}
