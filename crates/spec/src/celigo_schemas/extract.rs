//! Reads Celigo's schemas into the lines of flowform's field table (`validate/celigo.fields`),
//! so a test can tell whether the committed table still says what the schemas say.
//!
//! Only facts are taken: field names, JSON types, enumerations, the `x-lowercase` and
//! `x-uppercase` rewrites, numeric bounds, which objects accept fields they do not list, and
//! which fields are required (with the `if`/`then`/`else` conditions under which they are). No
//! description, example or other prose is read.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use flowform_model::Kind;

use super::{KINDS, scalar_text, try_load_yaml};
use crate::yaml::{Node, NodeValue};

/// What the schemas say about one field path.
#[derive(Debug, Default, Clone)]
struct Facts {
    types: BTreeSet<String>,
    enumeration: Vec<String>,
    lower: bool,
    upper: bool,
    open: bool,
    minimum: Option<String>,
    maximum: Option<String>,
    max_length: Option<String>,
}

/// One condition of an `if`: the field at `path` (relative to the object holding the `if`)
/// has one of `values`; `must_exist` when the `if` also requires the field.
#[derive(Debug, Clone)]
struct Atom {
    path: String,
    values: Vec<String>,
    must_exist: bool,
    negated: bool,
}

impl Atom {
    fn render(&self) -> String {
        let operator = match (self.negated, self.must_exist) {
            (false, true) => "=",
            (false, false) => "=?",
            (true, true) => "!=",
            (true, false) => "!=?",
        };
        format!("{} {operator} {}", self.path, json_list(&self.values))
    }

    fn negate(&self) -> Atom {
        Atom { negated: !self.negated, ..self.clone() }
    }
}

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).expect("strings serialise")
}

/// Where rules found while walking are attached: the object holding the `if` chain (`base`),
/// the relative path from it to the current node (`prefix`), and the conditions in force.
#[derive(Debug, Clone, Default)]
struct RuleContext {
    base: String,
    prefix: String,
    conditions: Vec<Atom>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Fields, types and rules.
    Full,
    /// Fields and types only (a response schema: what a `GET` may return).
    FieldsOnly,
}

struct Extractor {
    fields: BTreeMap<String, Facts>,
    rules: BTreeSet<String>,
    documents: HashMap<PathBuf, Node>,
    problems: Vec<String>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn texts(node: &Node) -> Vec<String> {
    match &node.value {
        NodeValue::Sequence(items) => {
            items.iter().filter_map(scalar_text).map(str::to_owned).collect()
        }
        NodeValue::Scalar(scalar) => vec![scalar.text.clone()],
        NodeValue::Mapping(_) => Vec::new(),
    }
}

impl Extractor {
    fn document(&mut self, path: &Path) -> Option<Node> {
        if let Some(node) = self.documents.get(path) {
            return Some(node.clone());
        }
        match try_load_yaml(path) {
            Ok(node) => {
                self.documents.insert(path.to_path_buf(), node.clone());
                Some(node)
            }
            Err(problem) => {
                self.problems.push(format!("cannot read a schema: {problem}"));
                None
            }
        }
    }

    /// Follows `./file.yml#/A/properties/b`; `None` when the file is not in the stored
    /// schemas (the `common/` and `base.yml` files are not).
    fn resolve(&mut self, directory: &Path, reference: &str) -> Option<(PathBuf, Node)> {
        let (file, pointer) = reference.split_once("#/")?;
        let path = crate::discover::normalize(&directory.join(file));
        if !path.is_file() {
            return None;
        }
        let mut node = self.document(&path)?;
        for part in pointer.split('/') {
            node = node.get(part)?.value.clone();
        }
        Some((path.parent().expect("a file has a folder").to_path_buf(), node))
    }

    fn facts(&mut self, path: &str) -> &mut Facts {
        self.fields.entry(path.to_owned()).or_default()
    }

    fn walk(
        &mut self,
        directory: &Path,
        node: &Node,
        path: &str,
        context: &RuleContext,
        depth: Depth,
        budget: usize,
    ) {
        if budget == 0 {
            self.problems.push(format!("`{path}`: the schema nests too deep to follow"));
            return;
        }
        if let Some(reference) = node.get("$ref").and_then(|entry| scalar_text(&entry.value)) {
            match self.resolve(directory, reference) {
                Some((target_directory, target)) => {
                    self.walk(&target_directory, &target, path, context, depth, budget - 1);
                }
                // The document itself is described by files that are not stored (`base.yml`);
                // its top-level fields come from the API reference instead.
                None if path.is_empty() => {}
                None => {
                    self.facts(path).types.insert("any".to_owned());
                }
            }
        }
        if !path.is_empty() {
            let mut types = node.get("type").map(|entry| texts(&entry.value)).unwrap_or_default();
            if node.get("properties").is_some() && types.is_empty() {
                types.push("object".to_owned());
            }
            let enumeration = node
                .get("enum")
                .map(|entry| texts(&entry.value))
                .or_else(|| node.get("const").map(|entry| texts(&entry.value)));
            let flag = |name: &str| {
                node.get(name)
                    .and_then(|entry| scalar_text(&entry.value))
                    .is_some_and(|text| text == "true")
            };
            let (lower, upper) = (flag("x-lowercase"), flag("x-uppercase"));
            let number = |name: &str| {
                node.get(name).and_then(|entry| scalar_text(&entry.value)).map(str::to_owned)
            };
            let (minimum, maximum, max_length) =
                (number("minimum"), number("maximum"), number("maxLength"));
            let open = match node.get("additionalProperties").map(|entry| &entry.value) {
                Some(value) => value.as_mapping().is_some() || scalar_text(value) == Some("true"),
                None => types.iter().any(|t| t == "object") && node.get("properties").is_none(),
            };
            let facts = self.facts(path);
            facts.types.extend(types);
            if let Some(values) = enumeration {
                for value in values {
                    if !facts.enumeration.contains(&value) {
                        facts.enumeration.push(value);
                    }
                }
            }
            facts.lower |= lower;
            facts.upper |= upper;
            facts.open |= open;
            facts.minimum = facts.minimum.take().or(minimum);
            facts.maximum = facts.maximum.take().or(maximum);
            facts.max_length = facts.max_length.take().or(max_length);
        }
        if let Some(entry) = node.get("properties") {
            for property in entry.value.as_mapping().unwrap_or_default() {
                let name = &property.key;
                if name.is_empty() || name.contains(['.', '[', ']', ' ', '\t', '=', ',']) {
                    self.problems.push(format!("`{path}`: cannot name the property `{name}`"));
                    continue;
                }
                let child = join(path, name);
                let child_context = if context.conditions.is_empty() {
                    RuleContext { base: child.clone(), prefix: String::new(), conditions: vec![] }
                } else {
                    RuleContext {
                        base: context.base.clone(),
                        prefix: join(&context.prefix, name),
                        conditions: context.conditions.clone(),
                    }
                };
                self.walk(directory, &property.value, &child, &child_context, depth, budget - 1);
            }
        }
        if let Some(entry) = node.get("items") {
            let child = format!("{path}[]");
            // Conditions do not reach into list items; rules inside them start afresh.
            let child_context =
                RuleContext { base: child.clone(), prefix: String::new(), conditions: vec![] };
            self.walk(directory, &entry.value, &child, &child_context, depth, budget - 1);
        }
        for combinator in ["allOf", "oneOf", "anyOf"] {
            let Some(NodeValue::Sequence(items)) = node.get(combinator).map(|e| &e.value.value)
            else {
                continue;
            };
            let only_required = items.iter().all(|item| {
                item.as_mapping()
                    .is_some_and(|entries| entries.len() == 1 && entries[0].key == "required")
            });
            if combinator != "allOf" && only_required && depth == Depth::Full {
                // `anyOf: [{required: [a]}, {required: [b]}]`: one of them is required.
                let names: Vec<String> = items
                    .iter()
                    .flat_map(|item| item.get("required").map(|e| texts(&e.value)))
                    .flatten()
                    .collect();
                self.rule(context, "require-one", &names);
                continue;
            }
            for item in items {
                self.walk(directory, item, path, context, depth, budget - 1);
            }
        }
        if depth == Depth::Full
            && let Some(entry) = node.get("required")
        {
            self.rule(context, "require", &texts(&entry.value));
        }
        if let Some(condition) = node.get("if") {
            let atoms = self.atoms(&condition.value, "", true);
            if atoms.is_empty() {
                self.problems.push(format!("`{path}`: an `if` with no condition flowform reads"));
                return;
            }
            let prefixed: Vec<Atom> = atoms
                .iter()
                .map(|atom| Atom { path: join(&context.prefix, &atom.path), ..atom.clone() })
                .collect();
            if let Some(then) = node.get("then") {
                let mut then_context = context.clone();
                then_context.conditions.extend(prefixed.iter().cloned());
                self.walk(directory, &then.value, path, &then_context, depth, budget - 1);
            }
            if let Some(otherwise) = node.get("else") {
                if prefixed.len() != 1 {
                    self.problems.push(format!(
                        "`{path}`: an `else` after an `if` of {} conditions",
                        prefixed.len()
                    ));
                    return;
                }
                let mut else_context = context.clone();
                else_context.conditions.push(prefixed[0].negate());
                self.walk(directory, &otherwise.value, path, &else_context, depth, budget - 1);
            }
        }
    }

    /// The conditions of an `if` schema: `{properties: {a: {const|enum}}, required: [a]}`, with
    /// nested `properties` for conditions on deeper fields.
    fn atoms(&mut self, node: &Node, prefix: &str, must_exist: bool) -> Vec<Atom> {
        let required = node.get("required").map(|entry| texts(&entry.value)).unwrap_or_default();
        let mut atoms = Vec::new();
        for property in
            node.get("properties").and_then(|entry| entry.value.as_mapping()).unwrap_or_default()
        {
            let path = join(prefix, &property.key);
            let exists = must_exist && required.contains(&property.key);
            let values = property
                .value
                .get("const")
                .or_else(|| property.value.get("enum"))
                .map(|entry| texts(&entry.value));
            match values {
                Some(values) => {
                    atoms.push(Atom { path, values, must_exist: exists, negated: false })
                }
                None => atoms.extend(self.atoms(&property.value, &path, exists)),
            }
        }
        atoms
    }

    fn rule(&mut self, context: &RuleContext, verb: &str, names: &[String]) {
        if names.is_empty() {
            return;
        }
        let names: Vec<String> = names.iter().map(|name| join(&context.prefix, name)).collect();
        let base = if context.base.is_empty() { "." } else { context.base.as_str() };
        let mut line = format!("{base} {verb} {}", names.join(","));
        if !context.conditions.is_empty() {
            // `type != [a] and type = [b]` says no more than `type = [b]`: an `else` chain's
            // negations are implied by the condition that finally holds.
            let implied = |atom: &Atom| {
                atom.negated
                    && context.conditions.iter().any(|other| {
                        !other.negated
                            && other.must_exist
                            && other.path == atom.path
                            && other.values.iter().all(|value| !atom.values.contains(value))
                    })
            };
            let atoms: Vec<String> =
                context.conditions.iter().filter(|atom| !implied(atom)).map(Atom::render).collect();
            let _ = write!(line, " when {}", atoms.join(" and "));
        }
        self.rules.insert(line);
    }
}

fn render_field(path: &str, facts: &Facts) -> String {
    let mut types: Vec<&str> = facts.types.iter().map(String::as_str).collect();
    if types.contains(&"any") || types.is_empty() {
        types = vec!["any"];
    }
    let mut line = format!("{path} {}", types.join("|"));
    if facts.open && types.contains(&"object") {
        line.push_str(" open");
    }
    if facts.lower {
        line.push_str(" lower");
    }
    if facts.upper {
        line.push_str(" upper");
    }
    for (name, value) in
        [("min", &facts.minimum), ("max", &facts.maximum), ("maxlen", &facts.max_length)]
    {
        if let Some(value) = value {
            let _ = write!(line, " {name}={value}");
        }
    }
    if !facts.enumeration.is_empty() {
        let _ = write!(line, " enum={}", json_list(&facts.enumeration));
    }
    line
}

/// The field table the schemas under `root` give, and the problems met reading them.
pub(super) fn field_table(root: &Path) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut problems = Vec::new();
    /// The schema documents read whole for a kind: (file, root name, depth).
    type Documents = &'static [(&'static str, &'static str, Depth)];
    let roots: [(Kind, &str, Documents); 7] = [
        (
            Kind::IClient,
            "configuring-connections/iclient-schemas",
            &[
                ("request.yml", "Request", Depth::Full),
                ("response.yml", "iClient", Depth::FieldsOnly),
            ],
        ),
        (
            Kind::LookupCache,
            "configuring-lookup-caches/schemas",
            &[
                ("request.yml", "Request", Depth::Full),
                ("response.yml", "LookupCache", Depth::FieldsOnly),
            ],
        ),
        (
            Kind::Connection,
            "configuring-connections/schemas",
            &[
                ("request.yml", "Request", Depth::Full),
                ("response.yml", "Connection", Depth::FieldsOnly),
            ],
        ),
        (Kind::Export, "configuring-exports/schemas", &[("request.yml", "Request", Depth::Full)]),
        (Kind::Import, "configuring-imports/schemas", &[("request.yml", "Request", Depth::Full)]),
        (Kind::Flow, "building-flows/schemas", &[("request.yml", "Request", Depth::Full)]),
        (
            Kind::Script,
            "writing-scripts/schemas",
            &[
                ("request.yml", "Request", Depth::Full),
                ("response.yml", "Script", Depth::FieldsOnly),
            ],
        ),
    ];
    for (kind, directory, documents) in roots {
        let directory = root.join(directory);
        let mut extractor = Extractor {
            fields: BTreeMap::new(),
            rules: BTreeSet::new(),
            documents: HashMap::new(),
            problems: Vec::new(),
        };
        for (file, name, depth) in documents {
            let Some(document) = extractor.document(&directory.join(file)) else { continue };
            let schema = document.get(name).expect("the schema names its root").value.clone();
            extractor.walk(&directory, &schema, "", &RuleContext::default(), *depth, 64);
        }
        let blocks =
            KINDS.iter().find(|schemas| schemas.kind == kind).map_or(&[][..], |k| k.blocks);
        for (file, field) in blocks {
            let Some(field) = field else { continue };
            let Some(document) = extractor.document(&directory.join(file)) else { continue };
            let path = match (kind, *field) {
                (Kind::Flow, "pageGenerators" | "pageProcessors" | "routers") => {
                    format!("{field}[]")
                }
                _ => (*field).to_owned(),
            };
            for entry in document.as_mapping().unwrap_or_default() {
                let context = RuleContext { base: path.clone(), ..RuleContext::default() };
                extractor.walk(&directory, &entry.value, &path, &context, Depth::Full, 64);
            }
        }
        // A server-owned field is rejected before any of this is consulted.
        extractor.fields.retain(|path, _| {
            let field_path = path.replace("[]", "[0]").parse().expect("table paths parse");
            !flowform_model::fields::is_server_owned(kind, &field_path)
        });
        let _ = writeln!(out, "@{}", kind.singular());
        for (path, facts) in &extractor.fields {
            let _ = writeln!(out, "{}", render_field(path, facts));
        }
        for rule in &extractor.rules {
            let _ = writeln!(out, "{rule}");
        }
        problems.extend(extractor.problems.into_iter().map(|p| format!("{kind}: {p}")));
    }
    (out, problems)
}
