//! Checks flowform-model's write-only (secret) path table against Celigo's schemas: every
//! field they mark `writeOnly`, `format: password`, or describe as returned masked, write-only
//! or a sensitive credential, at every place its schema is used, is in the table; and every
//! table entry is one of those or documented elsewhere.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use flowform_model::Kind;
use flowform_model::fields::{ICLIENT_WRITE_ONLY_PATHS, write_only_paths};

use super::{KINDS, scalar_text, schemas_directory, try_load_yaml};
use crate::yaml::{Node, NodeValue};

/// Entries the stored schemas do not show, with where they come from.
const DOCUMENTED_ELSEWHERE: &[(&str, &str)] = &[
    ("connection", "mcp.encrypted"), // API §5.3 ("mcp: `encrypted`").
    ("connection", "rest.cookieAuth.body"), // Behaviours §3: masked as a whole.
    ("connection", "rest.encrypted"), // Behaviours §2: returned as the mask.
    // iclient-schemas/salesforce.yml:16-20: "stored encrypted; API responses return `******`"
    // (a provider file the request schema does not reference).
    ("iclient", "salesforce.apiToken"),
];

struct Walk {
    found: BTreeSet<String>,
    documents: HashMap<PathBuf, Node>,
}

fn marks_a_secret(node: &Node) -> bool {
    let text = |name: &str| node.get(name).and_then(|entry| scalar_text(&entry.value));
    if text("writeOnly") == Some("true") || text("format") == Some("password") {
        return true;
    }
    let description = text("description").unwrap_or_default().to_lowercase();
    let description = description.split_whitespace().collect::<Vec<_>>().join(" ");
    ["returned masked", "masked as", "masked string", "write-only", "sensitive credential"]
        .iter()
        .any(|marker| description.contains(marker))
}

impl Walk {
    fn resolve(&mut self, directory: &Path, reference: &str) -> Option<(PathBuf, Node)> {
        let (file, pointer) = reference.split_once("#/")?;
        let path = crate::discover::normalize(&directory.join(file));
        if !path.is_file() {
            return None;
        }
        if !self.documents.contains_key(&path) {
            let document = try_load_yaml(&path).ok()?;
            self.documents.insert(path.clone(), document);
        }
        let mut node = self.documents.get(&path)?.clone();
        for part in pointer.split('/') {
            node = node.get(part)?.value.clone();
        }
        Some((path.parent()?.to_path_buf(), node))
    }

    fn walk(&mut self, directory: &Path, node: &Node, path: &str, budget: usize) {
        if budget == 0 {
            return;
        }
        if let Some(reference) = node.get("$ref").and_then(|entry| scalar_text(&entry.value))
            && let Some((directory, target)) = self.resolve(directory, reference)
        {
            self.walk(&directory, &target, path, budget - 1);
        }
        if !path.is_empty() && marks_a_secret(node) {
            self.found.insert(path.to_owned());
        }
        if let Some(entry) = node.get("properties") {
            for property in entry.value.as_mapping().unwrap_or_default() {
                let child = if path.is_empty() {
                    property.key.clone()
                } else {
                    format!("{path}.{}", property.key)
                };
                self.walk(directory, &property.value, &child, budget - 1);
            }
        }
        // List items share their list's path: the table is index-free.
        if let Some(entry) = node.get("items") {
            self.walk(directory, &entry.value, path, budget - 1);
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(NodeValue::Sequence(items)) = node.get(key).map(|entry| &entry.value.value)
            {
                for item in items {
                    self.walk(directory, item, path, budget - 1);
                }
            }
        }
        for key in ["then", "else"] {
            if let Some(entry) = node.get(key) {
                self.walk(directory, &entry.value, path, budget - 1);
            }
        }
    }
}

/// The secrets the schemas under `directory` describe, starting at `file`'s roots placed at
/// `at` (empty for the document itself).
fn secrets(walk: &mut Walk, directory: &Path, file: &str, at: &str) {
    let document = try_load_yaml(&directory.join(file)).expect("the schema is readable");
    for entry in document.as_mapping().unwrap_or_default() {
        walk.walk(directory, &entry.value, at, 64);
    }
}

#[test]
fn write_only_paths_match_the_schemas() {
    let Some(root) = schemas_directory() else {
        return;
    };
    let mut problems = Vec::new();
    let mut compare = |what: &str, table: &[&str], found: BTreeSet<String>| {
        let table: BTreeSet<String> = table.iter().map(|path| (*path).to_owned()).collect();
        for path in found.difference(&table) {
            problems.push(format!(
                "{what}: the schemas mark `{path}` secret; the table does not list it"
            ));
        }
        for path in table.difference(&found) {
            if !DOCUMENTED_ELSEWHERE.contains(&(what, path.as_str())) {
                problems.push(format!(
                    "{what}: the table lists `{path}`, which no schema marks secret"
                ));
            }
        }
    };
    let mut checked = 0;
    for kind in [Kind::Connection, Kind::Export, Kind::Import, Kind::Flow, Kind::Script] {
        let schemas = KINDS.iter().find(|schemas| schemas.kind == kind).expect("listed");
        let directory = root.join(schemas.directory);
        let mut walk = Walk { found: BTreeSet::new(), documents: HashMap::new() };
        for (file, _) in schemas.roots {
            secrets(&mut walk, &directory, file, "");
        }
        for (file, field) in schemas.blocks {
            if let Some(field) = field {
                secrets(&mut walk, &directory, file, field);
            }
        }
        checked += walk.found.len();
        compare(kind.singular(), write_only_paths(kind), walk.found);
    }
    let directory = root.join("configuring-connections/iclient-schemas");
    let mut walk = Walk { found: BTreeSet::new(), documents: HashMap::new() };
    for file in ["request.yml", "response.yml"] {
        secrets(&mut walk, &directory, file, "");
    }
    checked += walk.found.len();
    compare("iclient", ICLIENT_WRITE_ONLY_PATHS, walk.found);
    assert!(checked > 80, "only {checked} secrets were found; did the schemas move?");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
