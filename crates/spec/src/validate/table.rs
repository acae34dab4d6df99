//! The field tables `validate` checks bodies against, parsed once into a tree of [`Shape`]s per
//! kind: `celigo.fields` (what Celigo's schemas say, checked against them by a test) and, laid
//! over it, `flowform.fields` (what the API reference and real documents add or correct). The
//! line format is described at the top of `celigo.fields`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use flowform_model::Kind;

/// The JSON types a field may hold, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Types(u8);

impl Types {
    pub const STRING: Types = Types(1);
    pub const NUMBER: Types = Types(2);
    pub const INTEGER: Types = Types(4);
    pub const BOOLEAN: Types = Types(8);
    pub const OBJECT: Types = Types(16);
    pub const ARRAY: Types = Types(32);
    pub const NULL: Types = Types(64);
    pub const ANY: Types = Types(128);

    pub fn contains(self, other: Types) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn insert(&mut self, other: Types) {
        self.0 |= other.0;
    }

    fn parse(text: &str) -> Result<Types, String> {
        let mut types = Types::default();
        for name in text.split('|') {
            types.insert(match name {
                "string" => Types::STRING,
                "number" => Types::NUMBER,
                "integer" => Types::INTEGER,
                "boolean" => Types::BOOLEAN,
                "object" => Types::OBJECT,
                "array" => Types::ARRAY,
                "null" => Types::NULL,
                "any" => Types::ANY,
                other => return Err(format!("unknown type `{other}`")),
            });
        }
        Ok(types)
    }
}

/// A rewrite of a string's case that the service applies before storing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Lower,
    Upper,
}

/// How a condition compares the field it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    /// Present and one of the values.
    In,
    /// Absent, or one of the values.
    InOrAbsent,
    /// Absent, or none of the values.
    NotIn,
    /// Present and none of the values.
    PresentNotIn,
}

/// A condition of a rule: the field at `path` (relative to the rule's object) compared with
/// `values`.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub path: Vec<String>,
    pub operator: Operator,
    pub values: Vec<String>,
}

/// A requirement of an object: every field in `names` (dotted paths relative to the object),
/// or at least one of them when `one_of`, when every condition holds.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub names: Vec<Vec<String>>,
    pub one_of: bool,
    pub when: Vec<Condition>,
}

/// What is known about the value at one place of a body.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shape {
    pub types: Types,
    /// An object that accepts fields it does not list.
    pub open: bool,
    pub case: Option<Case>,
    pub enumeration: Vec<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub max_length: Option<usize>,
    pub fields: BTreeMap<String, Shape>,
    pub items: Option<Box<Shape>>,
    pub rules: Vec<Rule>,
    /// A write-only (secret) field: its value is never judged or shown here (the plain-secret
    /// check reports a value written in clear).
    pub secret: bool,
}

impl Shape {
    /// Whether nothing is known about this value's type.
    pub fn is_any(&self) -> bool {
        self.types.contains(Types::ANY) || self.types.is_empty()
    }

    fn child(&mut self, segment: &str) -> &mut Shape {
        if segment == "[]" {
            self.items.get_or_insert_with(Box::default)
        } else {
            self.fields.entry(segment.to_owned()).or_default()
        }
    }

    fn at(&mut self, path: &[String]) -> &mut Shape {
        path.iter().fold(self, |shape, segment| shape.child(segment))
    }
}

/// One shape tree per kind.
pub(crate) struct Tables {
    roots: Vec<(Kind, Shape)>,
}

impl Tables {
    /// The shape of a whole `kind` body.
    pub fn root(&self, kind: Kind) -> Option<&Shape> {
        self.roots.iter().find(|(k, _)| *k == kind).map(|(_, shape)| shape)
    }
}

const CELIGO: &str = include_str!("celigo.fields");
const FLOWFORM: &str = include_str!("flowform.fields");

/// The tables, parsed on first use.
pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        // Both tables are part of the program; a test parses them, so this cannot fail on a
        // build that passed its tests.
        let mut tables = parse(&[("celigo.fields", CELIGO), ("flowform.fields", FLOWFORM)])
            .unwrap_or_else(|problem| panic!("the built-in field tables do not parse: {problem}"));
        tables.mark_secrets();
        tables
    })
}

impl Tables {
    /// Marks the shapes at flowform-model's write-only paths.
    fn mark_secrets(&mut self) {
        for (kind, root) in &mut self.roots {
            for path in flowform_model::fields::write_only_paths(*kind) {
                let mut shape = &mut *root;
                let mut found = true;
                for name in path.split('.') {
                    // Table paths are index-free: step into list items on the way.
                    while !shape.fields.contains_key(name) && shape.items.is_some() {
                        shape = shape.items.as_deref_mut().expect("checked");
                    }
                    match shape.fields.get_mut(name) {
                        Some(child) => shape = child,
                        None => {
                            found = false;
                            break;
                        }
                    }
                }
                if found {
                    shape.secret = true;
                }
            }
        }
    }
}

/// Splits `a.b[].c` into `["a", "b", "[]", "c"]`; `.` is the root (no segments).
fn split_path(path: &str) -> Result<Vec<String>, String> {
    if path == "." {
        return Ok(Vec::new());
    }
    let mut segments = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        let name_end = rest.find('[').unwrap_or(rest.len());
        if name_end == 0 {
            return Err(format!("the path `{path}` has an empty name"));
        }
        segments.push(rest[..name_end].to_owned());
        rest = &rest[name_end..];
        while let Some(after) = rest.strip_prefix("[]") {
            segments.push("[]".to_owned());
            rest = after;
        }
        if !rest.is_empty() {
            return Err(format!("the path `{path}` is not `name[]…`"));
        }
    }
    Ok(segments)
}

/// Reads a JSON list of strings at the start of `text`; returns it and the rest.
fn json_list(text: &str) -> Result<(Vec<String>, &str), String> {
    let mut depth = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (index, character) in text.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    let list: Vec<String> = serde_json::from_str(&text[..=index])
                        .map_err(|error| format!("`{}`: {error}", &text[..=index]))?;
                    return Ok((list, &text[index + 1..]));
                }
            }
            _ => {}
        }
    }
    Err(format!("`{text}` is not a JSON list"))
}

fn parse_number(name: &str, text: &str) -> Result<f64, String> {
    text.parse().map_err(|_| format!("`{name}={text}` is not a number"))
}

fn parse_rule(verb: &str, rest: &str) -> Result<Rule, String> {
    let (names, conditions) = match rest.split_once(" when ") {
        Some((names, conditions)) => (names, Some(conditions)),
        None => (rest, None),
    };
    let names =
        names.split(',').map(|name| name.trim().split('.').map(str::to_owned).collect()).collect();
    let mut when = Vec::new();
    let mut text = conditions.unwrap_or("").trim();
    while !text.is_empty() {
        let (path, after) = text.split_once(' ').ok_or("a condition needs an operator")?;
        let (operator, after) = after.split_once(' ').ok_or("a condition needs values")?;
        let operator = match operator {
            "=" => Operator::In,
            "=?" => Operator::InOrAbsent,
            "!=" => Operator::NotIn,
            "!=?" => Operator::PresentNotIn,
            other => return Err(format!("unknown operator `{other}`")),
        };
        let (values, after) = json_list(after)?;
        when.push(Condition {
            path: path.split('.').map(str::to_owned).collect(),
            operator,
            values,
        });
        text = after.trim_start().strip_prefix("and").unwrap_or(after).trim_start();
    }
    Ok(Rule { names, one_of: verb == "require-one", when })
}

/// Parses tables in order; a later table's lines are laid over the earlier ones'.
pub(crate) fn parse(tables: &[(&str, &str)]) -> Result<Tables, String> {
    let mut roots: Vec<(Kind, Shape)> =
        Kind::ALL.iter().map(|kind| (*kind, Shape::default())).collect();
    for (name, text) in tables {
        let mut current: Option<usize> = None;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |problem: String| format!("{name}:{}: {problem}", number + 1);
            if let Some(kind) = line.strip_prefix('@') {
                let kind =
                    Kind::from_singular(kind).ok_or_else(|| at(format!("no kind `{kind}`")))?;
                current = roots.iter().position(|(k, _)| *k == kind);
                continue;
            }
            let index = current.ok_or_else(|| at("a line before any `@KIND`".into()))?;
            let root = &mut roots[index].1;
            let (path, rest) = line.split_once(' ').ok_or_else(|| at("a path alone".into()))?;
            let segments = split_path(path).map_err(at)?;
            let (word, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            if word == "require" || word == "require-one" {
                let rule = parse_rule(word, rest).map_err(at)?;
                root.at(&segments).rules.push(rule);
                continue;
            }
            let types = Types::parse(word).map_err(at)?;
            let shape = root.at(&segments);
            let mut rest = rest.trim_start();
            // `replace` drops what an earlier table said, before this line's words apply.
            let replaced = rest.split(' ').any(|token| token == "replace");
            if replaced {
                *shape = Shape::default();
            }
            while !rest.is_empty() {
                let (token, after) = rest.split_once(' ').unwrap_or((rest, ""));
                match token.split_once('=') {
                    Some(("enum", _)) => {
                        let (values, after) = json_list(&rest["enum=".len()..]).map_err(at)?;
                        shape.enumeration = values;
                        rest = after.trim_start();
                        continue;
                    }
                    Some(("min", value)) => {
                        shape.minimum = Some(parse_number("min", value).map_err(at)?)
                    }
                    Some(("max", value)) => {
                        shape.maximum = Some(parse_number("max", value).map_err(at)?)
                    }
                    Some(("maxlen", value)) => {
                        shape.max_length =
                            Some(value.parse().map_err(|_| at(format!("`maxlen={value}`")))?);
                    }
                    None if token == "open" => shape.open = true,
                    None if token == "lower" => shape.case = Some(Case::Lower),
                    None if token == "upper" => shape.case = Some(Case::Upper),
                    None if token == "replace" => {}
                    _ => return Err(at(format!("unknown word `{token}`"))),
                }
                rest = after.trim_start();
            }
            shape.types.insert(types);
        }
    }
    Ok(Tables { roots })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_tables_parse() {
        let tables = parse(&[("celigo.fields", CELIGO), ("flowform.fields", FLOWFORM)]).unwrap();
        let connection = tables.root(Kind::Connection).unwrap();
        let kind = &connection.fields["type"];
        assert!(kind.types.contains(Types::STRING));
        assert!(kind.enumeration.iter().any(|value| value == "http"));
        let auth_type = connection.at_path(&["http", "auth", "type"]);
        assert_eq!(auth_type.case, Some(Case::Lower));
        let import = tables.root(Kind::Import).unwrap();
        let method = import.at_path(&["http", "method"]);
        assert!(method.types.contains(Types::ARRAY));
        assert!(method.items.as_ref().unwrap().enumeration.iter().any(|m| m == "POST"));
    }

    #[test]
    fn lines_parse() {
        let tables = parse(&[(
            "t",
            "@connection\n\
             a.b[].c string|integer lower min=1 max=5 maxlen=3 enum=[\"x y\",\"z\"]\n\
             a require b,c.d when e = [\"1\"] and f.g !=? [\"2\",\"3\"]\n\
             a require-one h,i\n\
             a.b[] object open\n",
        )])
        .unwrap();
        let root = tables.root(Kind::Connection).unwrap();
        let c = root.at_path(&["a", "b", "[]", "c"]);
        assert!(c.types.contains(Types::STRING) && c.types.contains(Types::INTEGER));
        assert_eq!(c.enumeration, ["x y", "z"]);
        assert_eq!((c.minimum, c.maximum, c.max_length), (Some(1.0), Some(5.0), Some(3)));
        let a = &root.fields["a"];
        assert_eq!(a.rules.len(), 2);
        assert_eq!(a.rules[0].names, [vec!["b".to_owned()], vec!["c".into(), "d".into()]]);
        assert_eq!(a.rules[0].when.len(), 2);
        assert_eq!(a.rules[0].when[1].operator, Operator::PresentNotIn);
        assert!(a.rules[1].one_of);
        assert!(parse(&[("t", "a string\n")]).is_err());
        assert!(parse(&[("t", "@flow\na strin\n")]).is_err());
        assert!(parse(&[("t", "@flow\na string enum=[\"x\"\n")]).is_err());
    }

    impl Shape {
        fn at_path(&self, path: &[&str]) -> &Shape {
            path.iter().fold(self, |shape, segment| {
                if *segment == "[]" {
                    shape.items.as_deref().unwrap()
                } else {
                    &shape.fields[*segment]
                }
            })
        }
    }
}
