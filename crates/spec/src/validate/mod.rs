//! Checks a converted body against what integrator.io accepts: the field tables (types,
//! enumerations, the service's case rewrites, bounds, required fields, fields nobody lists)
//! and the adaptor rules. An error where the service would refuse the document, so an apply
//! would fail halfway; a warning where it would take it as written or rewrite it (the warning
//! then gives the form the service stores).
//!
//! Values are checked after variables are substituted; references and secrets count as
//! strings, and a secret's value is never looked at or shown.

mod adaptors;
mod policy;
mod secrets;
pub(crate) mod table;

use std::borrow::Cow;
use std::collections::HashSet;

use flowform_model::{FieldPath, Kind, Object, Segment, Value};

use crate::diagnostic::Diagnostic;
use crate::problems;
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::{Node, NodeValue};
use table::{Case, Condition, Operator, Rule, Shape, Types, tables};

/// Whether the tables list `field` at the top of a `kind` body (the API reference's base
/// fields and the fields the service adds on `GET`).
pub(crate) fn is_listed_top_level(kind: Kind, field: &str) -> bool {
    tables().root(kind).is_some_and(|root| root.fields.contains_key(field))
}

/// Checks one resource body. `node` is the body's YAML node and `key_span` the resource's key.
/// Returns the places of secrets written in plain text, for the loader to hide.
pub(crate) fn check(
    address: &flowform_model::Address,
    file: &SourceFile,
    key_span: Span,
    body: &Object,
    node: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Span> {
    let kind = address.kind;
    let plain_secrets = secrets::check(kind, &address.key, file, body, node, diagnostics);
    let Some(root) = tables().root(kind) else { return plain_secrets };
    // A script's `contentFile` is read into `content`; when it cannot be read, that is the
    // problem to report, not a missing `content`.
    let content_file = kind == Kind::Script && node.get("contentFile").is_some();
    let foreign = adaptors::foreign_sections(kind, body);
    let mut walker = Walker {
        kind,
        file,
        diagnostics,
        path: Vec::new(),
        content_file,
        foreign: &foreign,
        missing: HashSet::new(),
    };
    let place = Place { node, exact: true, key_span };
    walker.object(root, body, place, true);
    adaptors::check(kind, body, &adaptors::Site { file, node, key_span }, diagnostics);
    plain_secrets
}

/// Where a value is written: its node (or, below a variable that expanded into a structure,
/// the placeholder's node, `exact` false) and the key that holds it.
#[derive(Clone, Copy)]
struct Place<'n> {
    node: &'n Node,
    exact: bool,
    key_span: Span,
}

impl<'n> Place<'n> {
    fn field(self, key: &str) -> Place<'n> {
        if self.exact
            && let Some(entry) = self.node.get(key)
        {
            return Place { node: &entry.value, exact: true, key_span: entry.key_span };
        }
        Place { exact: false, ..self }
    }

    fn item(self, index: usize) -> Place<'n> {
        if self.exact
            && let NodeValue::Sequence(items) = &self.node.value
            && let Some(item) = items.get(index)
        {
            return Place { node: item, exact: true, key_span: item.span };
        }
        Place { exact: false, ..self }
    }

    fn key_span_of(self, key: &str) -> Span {
        match self.node.get(key) {
            Some(entry) if self.exact => entry.key_span,
            _ => self.node.span,
        }
    }
}

/// One step of the path to the value being checked, borrowed from the body: owned
/// [`Segment`]s are built only for a message.
#[derive(Clone, Copy)]
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

struct Walker<'a> {
    kind: Kind,
    file: &'a SourceFile,
    diagnostics: &'a mut Vec<Diagnostic>,
    path: Vec<Step<'a>>,
    content_file: bool,
    /// Sections of another adaptor or type: reported once by adaptors.rs, not checked inside.
    foreign: &'a [String],
    /// Missing fields already reported (two rules may require the same one).
    missing: HashSet<String>,
}

/// How a value reads in a message; `None` for what must not be shown or cannot be short.
fn shown(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "null".to_owned(),
        _ => return None,
    };
    (text.chars().count() <= 60 && !text.contains(['\n', '`'])).then_some(text)
}

/// A value as JSON, for the canonical form the service stores.
fn json(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => serde_json::to_string(text).ok(),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Array(items) => {
            let items: Option<Vec<String>> = items.iter().map(json).collect();
            Some(format!("[{}]", items?.join(", ")))
        }
        _ => None,
    }
}

fn found(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) | Value::Ref(_) | Value::Lookup(_) | Value::Secret(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

fn expected(types: Types) -> String {
    let mut names = Vec::new();
    for (flag, name) in [
        (Types::OBJECT, "a mapping"),
        (Types::ARRAY, "a sequence"),
        (Types::STRING, "a string"),
        (Types::NUMBER, "a number"),
        (Types::INTEGER, "a whole number"),
        (Types::BOOLEAN, "`true` or `false`"),
    ] {
        if types.contains(flag) && !(flag == Types::INTEGER && types.contains(Types::NUMBER)) {
            names.push(name);
        }
    }
    names.join(" or ")
}

/// The text a condition compares: strings, numbers and booleans as written.
fn comparable(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(text) => Some(Cow::Borrowed(text)),
        Value::Number(number) => Some(Cow::Owned(number.to_string())),
        Value::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        _ => None,
    }
}

/// The value at a relative dotted path inside `object`; `None` when absent or null.
fn lookup<'v>(object: &'v Object, path: &[String]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let value = object.get(first.as_str()).filter(|value| !matches!(value, Value::Null))?;
    match rest {
        [] => Some(value),
        _ => lookup(value.as_object()?, rest),
    }
}

/// The shape at a relative dotted path of field names.
fn shape_at<'s>(shape: &'s Shape, path: &[String]) -> Option<&'s Shape> {
    path.iter().try_fold(shape, |shape, name| shape.fields.get(name))
}

fn dotted(parts: &[String]) -> String {
    parts.join(".")
}

impl<'a> Walker<'a> {
    /// The body path of the current value, as users read it (`http.headers[0].name`).
    fn here(&self) -> String {
        let segments = self.path.iter().map(|step| match step {
            Step::Key(key) => Segment::Key((*key).to_owned()),
            Step::Index(index) => Segment::Index(*index),
        });
        FieldPath(segments.collect()).to_string()
    }

    /// The table path of the current value (`http.headers[].name`; `.` for the body).
    fn table_path(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                Step::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Step::Index(_) => out.push_str("[]"),
            }
        }
        if out.is_empty() { ".".to_owned() } else { out }
    }

    /// A path below the current value, for messages.
    fn below(&self, relative: &str) -> String {
        if self.path.is_empty() {
            relative.to_owned()
        } else {
            format!("{}.{relative}", self.here())
        }
    }

    fn value(&mut self, shape: &Shape, value: &'a Value, place: Place<'_>) {
        if matches!(value, Value::Null) || shape.is_any() || shape.secret {
            return;
        }
        let types = shape.types;
        let matches = match value {
            Value::Object(_) => types.contains(Types::OBJECT),
            Value::Array(_) => types.contains(Types::ARRAY),
            Value::String(_) | Value::Ref(_) | Value::Lookup(_) | Value::Secret(_) => {
                types.contains(Types::STRING)
            }
            Value::Number(number) => {
                types.contains(Types::NUMBER)
                    || (types.contains(Types::INTEGER) && (number.is_i64() || number.is_u64()))
            }
            Value::Bool(_) => types.contains(Types::BOOLEAN),
            Value::Null => true,
        };
        if !matches {
            self.mismatch(shape, value, place);
            return;
        }
        match value {
            Value::Object(object) => self.object(shape, object, place, false),
            Value::Array(items) => {
                if let Some(item_shape) = &shape.items {
                    for (index, item) in items.iter().enumerate() {
                        self.path.push(Step::Index(index));
                        self.value(item_shape, item, place.item(index));
                        self.path.pop();
                    }
                }
            }
            Value::String(text) => self.string(shape, text, place),
            Value::Number(number) => self.number(shape, number, place),
            _ => {}
        }
    }

    /// A value whose type is not one the shape allows: a cast the service makes (a warning
    /// with the stored form) or a refusal (an error).
    fn mismatch(&mut self, shape: &Shape, value: &'a Value, place: Place<'_>) {
        let types = shape.types;
        let path = self.here();
        let span = place.node.span;
        // Quoted when a string, so `"5"` and `5` read apart.
        let written = shown(value).and_then(|_| json(value));
        let rewrite = |walker: &mut Self, canonical: String, why: &str| {
            if let Some(written) = &written {
                walker.diagnostics.push(problems::rewritten_value(
                    walker.file,
                    span,
                    &path,
                    written,
                    &canonical,
                    why,
                ));
            }
        };
        // A single value where the service keeps a list: it stores a list of one
        // (behaviours §2: an HTTP import's `http.method: POST` comes back `["POST"]`).
        if types.contains(Types::ARRAY) && !matches!(value, Value::Array(_)) {
            let before = self.diagnostics.len();
            if let Some(item_shape) = &shape.items {
                self.path.push(Step::Index(0));
                self.value(item_shape, value, place);
                self.path.pop();
            }
            let item_refused = self.diagnostics[before..].iter().any(Diagnostic::is_error);
            // An iClient's scopes in one string are split at whitespace, not kept whole
            // (configuring-connections/iclient-schemas/base.yml:125-131).
            if !item_refused
                && self.kind == Kind::IClient
                && self.table_path() == "oauth2.scope"
                && let Value::String(text) = value
            {
                let scopes: Vec<&str> = text.split_whitespace().collect();
                if let Ok(canonical) = serde_json::to_string(&scopes) {
                    rewrite(self, canonical, "the service splits the scopes at whitespace");
                }
                return;
            }
            if !item_refused {
                match json(value) {
                    Some(item) => {
                        rewrite(self, format!("[{item}]"), "the service keeps this field as a list")
                    }
                    None if matches!(value, Value::Object(_)) => {
                        self.diagnostics.push(problems::wrapped_in_list(self.file, span, &path))
                    }
                    None => {}
                }
            }
            return;
        }
        match value {
            // A fraction where a whole number is described.
            Value::Number(_) if types.contains(Types::INTEGER) => {
                self.diagnostics.push(problems::unexpected_scalar(
                    self.file,
                    span,
                    &path,
                    "a whole number",
                    "a fraction",
                ));
            }
            Value::Number(_) | Value::Bool(_) if types.contains(Types::STRING) => {
                if let Some(text) = comparable(value) {
                    let canonical =
                        serde_json::to_string(&text).unwrap_or_else(|_| text.into_owned());
                    rewrite(self, canonical, "the service keeps this field as a string");
                }
            }
            Value::String(text)
                if types.contains(Types::NUMBER) || types.contains(Types::INTEGER) =>
            {
                match text.trim().parse::<f64>() {
                    Ok(number) if number.is_finite() => {
                        let canonical = serde_json::Number::from_f64(number)
                            .map_or_else(|| text.trim().to_owned(), |n| n.to_string());
                        let canonical =
                            canonical.strip_suffix(".0").map_or(canonical.clone(), str::to_owned);
                        rewrite(self, canonical, "the service keeps this field as a number");
                    }
                    _ => self.refuse(shape, value, span),
                }
            }
            Value::String(text) if types.contains(Types::BOOLEAN) => match text.as_str() {
                "true" | "false" => {
                    rewrite(self, text.clone(), "the service keeps this field as a boolean");
                }
                _ => self.refuse(shape, value, span),
            },
            Value::Number(number) if types.contains(Types::BOOLEAN) => match number.as_u64() {
                Some(0) => {
                    rewrite(self, "false".into(), "the service keeps this field as a boolean")
                }
                Some(1) => {
                    rewrite(self, "true".into(), "the service keeps this field as a boolean")
                }
                _ => self.refuse(shape, value, span),
            },
            // A sequence where the schemas describe a mapping: real documents show the schemas
            // get this wrong (`responseMapping.fields`, a NetSuite export's `qualifier`), so
            // the service is not known to refuse it.
            Value::Array(_) if types.contains(Types::OBJECT) => {
                self.diagnostics.push(problems::unexpected_scalar(
                    self.file,
                    span,
                    &path,
                    &expected(types),
                    found(value),
                ));
            }
            // A secret or a reference where no string belongs cannot be judged by its text.
            Value::Secret(_) | Value::Ref(_)
                if !types.contains(Types::OBJECT) && !types.contains(Types::ARRAY) => {}
            _ => self.refuse(shape, value, span),
        }
    }

    fn refuse(&mut self, shape: &Shape, value: &Value, span: Span) {
        let path = self.here();
        self.diagnostics.push(problems::invalid_type(
            self.file,
            span,
            &path,
            &expected(shape.types),
            found(value),
        ));
    }

    fn string(&mut self, shape: &Shape, text: &str, place: Place<'_>) {
        let span = place.node.span;
        let cased: Cow<'_, str> = match shape.case {
            Some(Case::Lower) => Cow::Owned(text.to_lowercase()),
            Some(Case::Upper) => Cow::Owned(text.to_uppercase()),
            None => Cow::Borrowed(text),
        };
        let handlebars = text.contains("{{");
        // A flow step's `type` is checked by checks/flows.rs (tested on the last step first, so
        // the path is built only for the few values it could be).
        if self.kind == Kind::Flow
            && matches!(self.path.last(), Some(Step::Key("type")))
            && policy::checked_elsewhere(self.kind, &self.table_path())
        {
            return;
        }
        if !shape.enumeration.is_empty() && !shape.enumeration.iter().any(|value| value == text) {
            if handlebars {
                return;
            }
            if shape.case.is_some() && shape.enumeration.iter().any(|value| *value == *cased) {
                self.rewrite_case(text, &cased, span);
                return;
            }
            let suggestions = closest(text, shape.enumeration.iter().map(String::as_str));
            let path = self.here();
            let value =
                shown(&Value::String(text.to_owned())).unwrap_or_else(|| "this value".into());
            let enforced = policy::enforced_enumeration(self.kind, &self.table_path());
            self.diagnostics.push(problems::not_one_of(
                self.file,
                span,
                &path,
                &value,
                &shape.enumeration,
                &suggestions,
                enforced,
            ));
            return;
        }
        if shape.enumeration.is_empty() && shape.case.is_some() && *cased != *text && !handlebars {
            self.rewrite_case(text, &cased, span);
        }
        if let Some(limit) = shape.max_length
            && text.chars().count() > limit
        {
            let path = self.here();
            self.diagnostics.push(problems::out_of_range(
                self.file,
                span,
                &path,
                format!("is longer than {limit} characters"),
            ));
        }
    }

    fn rewrite_case(&mut self, text: &str, cased: &str, span: Span) {
        let (Some(written), Ok(canonical)) =
            (shown(&Value::String(text.to_owned())), serde_json::to_string(cased))
        else {
            return;
        };
        let path = self.here();
        self.diagnostics.push(problems::rewritten_value(
            self.file,
            span,
            &path,
            &written,
            canonical.trim_matches('"'),
            "the service changes the case of this field",
        ));
    }

    fn number(&mut self, shape: &Shape, number: &serde_json::Number, place: Place<'_>) {
        let Some(value) = number.as_f64() else { return };
        let bound = match (shape.minimum, shape.maximum) {
            (Some(minimum), _) if value < minimum => format!("must be at least {minimum}"),
            (_, Some(maximum)) if value > maximum => format!("must be at most {maximum}"),
            _ => return,
        };
        let path = self.here();
        self.diagnostics.push(problems::out_of_range(self.file, place.node.span, &path, bound));
    }

    fn object(&mut self, shape: &Shape, object: &'a Object, place: Place<'_>, root: bool) {
        let closed = !root && !shape.open && !shape.fields.is_empty();
        for (key, child) in object {
            if root && self.foreign.iter().any(|section| section == key) {
                continue;
            }
            match shape.fields.get(key.as_str()) {
                Some(child_shape) => {
                    self.path.push(Step::Key(key));
                    self.value(child_shape, child, place.field(key));
                    self.path.pop();
                }
                None if closed => {
                    let suggestions = closest(key, shape.fields.keys().map(String::as_str));
                    let parent = self.here();
                    self.diagnostics.push(problems::unknown_nested_field(
                        self.file,
                        place.key_span_of(key),
                        self.kind,
                        &parent,
                        key,
                        &suggestions,
                    ));
                }
                None => {}
            }
        }
        for rule in &shape.rules {
            self.rule(shape, rule, object, place);
        }
    }

    fn holds(shape: &Shape, condition: &Condition, object: &Object) -> bool {
        let value = lookup(object, &condition.path);
        let case = shape_at(shape, &condition.path).and_then(|shape| shape.case);
        let matches = value.and_then(comparable).is_some_and(|text| {
            condition.values.iter().any(|wanted| match case {
                Some(_) => wanted.eq_ignore_ascii_case(&text),
                None => **wanted == *text,
            })
        });
        let present = value.is_some();
        match condition.operator {
            Operator::In => present && matches,
            Operator::InOrAbsent => !present || matches,
            Operator::NotIn => !present || !matches,
            Operator::PresentNotIn => present && !matches,
        }
    }

    fn describe(&self, condition: &Condition) -> String {
        let path = self.below(&dotted(&condition.path));
        let values: Vec<String> =
            condition.values.iter().map(|value| format!("`{value}`")).collect();
        let values = match values.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
            [] => String::new(),
        };
        match condition.operator {
            Operator::In => format!("`{path}` is {values}"),
            Operator::InOrAbsent => format!("`{path}` is absent or {values}"),
            Operator::NotIn => format!("`{path}` is not {values}"),
            Operator::PresentNotIn => format!("`{path}` is set and not {values}"),
        }
    }

    fn rule(&mut self, shape: &Shape, rule: &Rule, object: &Object, place: Place<'_>) {
        if !rule.when.iter().all(|condition| Self::holds(shape, condition, object)) {
            return;
        }
        // A name whose parent object is missing is reported by the parent's own requirement.
        let missing: Vec<&Vec<String>> = rule
            .names
            .iter()
            .filter(|name| {
                let (_, parents) = name.split_last().expect("names are not empty");
                (parents.is_empty()
                    || lookup(object, parents).is_some_and(|v| v.as_object().is_some()))
                    && lookup(object, name).is_none()
            })
            .collect();
        // Nothing to report: the words of a message are not built.
        if missing.is_empty() || (rule.one_of && missing.len() < rule.names.len()) {
            return;
        }
        let conditional = !rule.when.is_empty();
        let condition = conditional.then(|| {
            rule.when
                .iter()
                .map(|condition| self.describe(condition))
                .collect::<Vec<_>>()
                .join(" and ")
        });
        let base = self.table_path();
        let whole = format!(
            "{} {}",
            if matches!(self.kind, Kind::Export | Kind::Import | Kind::Integration) {
                "an"
            } else {
                "a"
            },
            self.kind
        );
        if rule.one_of {
            if missing.len() < rule.names.len() {
                return;
            }
            let severity = rule
                .names
                .iter()
                .filter_map(|name| {
                    policy::missing_field(self.kind, &base, &dotted(name), conditional)
                })
                .max();
            let Some(severity) = severity else { return };
            let paths: Vec<String> =
                rule.names.iter().map(|name| self.below(&dotted(name))).collect();
            self.diagnostics.push(problems::missing_one_of(
                self.file,
                place.key_span,
                severity,
                &paths,
                condition.as_deref(),
            ));
            return;
        }
        for name in missing {
            if self.content_file && self.path.is_empty() && dotted(name) == "content" {
                continue;
            }
            let Some(severity) =
                policy::missing_field(self.kind, &base, &dotted(name), conditional)
            else {
                continue;
            };
            let path = self.below(&dotted(name));
            if !self.missing.insert(path.clone()) {
                continue;
            }
            self.diagnostics.push(problems::missing_field(
                self.file,
                place.key_span,
                severity,
                &path,
                condition.as_deref(),
                &whole,
            ));
        }
    }
}
