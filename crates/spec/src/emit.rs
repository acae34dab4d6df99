//! The YAML writer: turns body values back into spec text that [`crate::load`] reads as the very
//! same values. `flowform pull` writes its spec files with it.
//!
//! The output is deterministic and in block style: mappings keep their keys in the order given
//! (the API's order, for documents read from the API), sequences are `- ` lists, and only empty
//! collections use flow style (`{}`, `[]`). Each string is written in the plainest form that
//! reads back as the same string:
//! - plain when the loader's core schema types it as a string and YAML gives it no other
//!   meaning (no indicator in front, no `: ` or ` #` inside, no surrounding blanks), and when
//!   YAML 1.1 tools would not read it as a boolean either (`yes`, `off`, …);
//! - as a literal block (`|` or `|-`) when it spans lines and nothing in it needs escaping;
//! - double-quoted otherwise, with escapes for control and non-printable characters.
//!
//! In every string value a literal `${` is written `$${`, the spec's escape, so that text read
//! from the API never turns into a placeholder; [`Value::Ref`] is written as `${KIND.KEY}` and
//! [`Value::Secret`] as `${secret.NAME}`. Integrator.io's own `{{handlebars}}` pass through.
//! Mapping keys are never interpolated by the loader, so they are written without the escape.

use std::fmt::Write as _;

use flowform_model::{Address, FieldPath, Lookup, Object, Value, validate_key};

use crate::limits::MAX_DEPTH;
use crate::placeholder::is_environment_name;
use crate::scalar::{Typed, type_plain};

/// Longest key written as an implicit key (`key: value`); YAML limits implicit keys to 1,024
/// characters, so longer ones are written as explicit keys (`? key` then `: value`).
const MAX_IMPLICIT_KEY_BYTES: usize = 1000;

/// Why a value cannot be written as spec text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// A secret built from a longer string (`Bearer ${secret.TOKEN}`) or from several secrets:
    /// only the placeholder names are known, not the text around them.
    #[error(
        "`{path}` holds a secret made of `{names}` inside a longer string, which cannot be written back; only a whole `${{secret.NAME}}` can"
    )]
    CompositeSecret {
        /// Where the secret sits.
        path: String,
        /// The secret names, comma-separated.
        names: String,
    },
    /// A secret whose name is not a valid environment variable name.
    #[error(
        "`{path}` holds a secret named `{name}`, which is not a valid environment variable name"
    )]
    InvalidSecretName {
        /// Where the secret sits.
        path: String,
        /// The name.
        name: String,
    },
    /// A reference whose key is not a valid key.
    #[error("`{path}` refers to `{address}`, whose key is not valid: {reason}")]
    InvalidReference {
        /// Where the reference sits.
        path: String,
        /// The reference.
        address: Address,
        /// Why the key is not valid.
        reason: String,
    },
    /// A lookup whose key is not a valid key.
    #[error("`{path}` holds `${{{address}}}`, whose key is not valid: {reason}")]
    InvalidLookup {
        /// Where the lookup sits.
        path: String,
        /// The lookup's address.
        address: String,
        /// Why the key is not valid.
        reason: String,
    },
    /// Collections nested deeper than the loader reads.
    #[error("`{path}` is nested deeper than the limit of {MAX_DEPTH} levels")]
    TooDeep {
        /// The first path that goes over the limit.
        path: String,
    },
}

impl EmitError {
    /// The path of the value that could not be written.
    pub fn path(&self) -> &str {
        match self {
            EmitError::CompositeSecret { path, .. }
            | EmitError::InvalidSecretName { path, .. }
            | EmitError::InvalidReference { path, .. }
            | EmitError::InvalidLookup { path, .. }
            | EmitError::TooDeep { path } => path,
        }
    }
}

/// Writes any value as a YAML document. The text ends with a newline.
pub fn to_yaml(value: &Value) -> Result<String, EmitError> {
    let mut emitter = Emitter { out: String::new(), spacing_depth: 0 };
    emitter.document(value)?;
    Ok(emitter.out)
}

/// Writes a spec file: `header` as `#` comment lines (one per line of the text; none when
/// empty), then the sections, with a blank line between sections and between the resources of a
/// section. `sections` maps section names (`flows`, …) to mappings of keys to bodies.
pub fn spec_file(header: &str, sections: &Object) -> Result<String, EmitError> {
    let mut emitter = Emitter { out: String::new(), spacing_depth: 2 };
    for line in header.lines() {
        if line.is_empty() {
            emitter.out.push_str("#\n");
        } else {
            let _ = writeln!(emitter.out, "# {line}");
        }
    }
    if !header.is_empty() {
        emitter.out.push('\n');
    }
    emitter.document(&Value::Object(sections.clone()))?;
    Ok(emitter.out)
}

struct Emitter {
    out: String,
    /// Entries of mappings nested less than this deep are separated by a blank line.
    spacing_depth: usize,
}

impl Emitter {
    fn document(&mut self, value: &Value) -> Result<(), EmitError> {
        let path = FieldPath::root();
        match value {
            Value::Object(object) if !object.is_empty() => self.mapping(object, 0, 1, &path, false),
            Value::Array(items) if !items.is_empty() => self.sequence(items, 0, 1, &path, false),
            scalar => {
                let text = self.scalar_text(scalar, &path)?;
                self.out.push_str(&text);
                self.out.push('\n');
                Ok(())
            }
        }
    }

    /// Writes the entries of a non-empty mapping at `indent`. When `inline_first`, the first
    /// entry continues the current line (after a `- `).
    fn mapping(
        &mut self,
        object: &Object,
        indent: usize,
        depth: usize,
        path: &FieldPath,
        inline_first: bool,
    ) -> Result<(), EmitError> {
        check_depth(depth, path)?;
        for (position, (key, child)) in object.iter().enumerate() {
            if position > 0 && depth <= self.spacing_depth {
                self.out.push('\n');
            }
            if position > 0 || !inline_first {
                push_spaces(&mut self.out, indent);
            }
            let child_path = path.key(key);
            let key_text = key_text(key);
            if key_text.len() > MAX_IMPLICIT_KEY_BYTES {
                // `? key` / `: value`: the value then sits where a sequence item would.
                self.out.push_str("? ");
                self.out.push_str(&key_text);
                self.out.push('\n');
                push_spaces(&mut self.out, indent);
                self.out.push(':');
            } else {
                self.out.push_str(&key_text);
                self.out.push(':');
            }
            self.value_after_indicator(child, indent, depth, &child_path)?;
        }
        Ok(())
    }

    /// Writes the items of a non-empty sequence at `indent`.
    fn sequence(
        &mut self,
        items: &[Value],
        indent: usize,
        depth: usize,
        path: &FieldPath,
        inline_first: bool,
    ) -> Result<(), EmitError> {
        check_depth(depth, path)?;
        for (index, item) in items.iter().enumerate() {
            if index > 0 || !inline_first {
                push_spaces(&mut self.out, indent);
            }
            self.out.push('-');
            let item_path = path.index(index);
            match item {
                Value::Object(object) if !object.is_empty() => {
                    self.out.push(' ');
                    self.mapping(object, indent + 2, depth + 1, &item_path, true)?;
                }
                Value::Array(nested) if !nested.is_empty() => {
                    self.out.push(' ');
                    self.sequence(nested, indent + 2, depth + 1, &item_path, true)?;
                }
                scalar => self.scalar_after_indicator(scalar, indent, depth, &item_path)?,
            }
        }
        Ok(())
    }

    /// Writes a mapping value after `key:` (the key at `indent`).
    fn value_after_indicator(
        &mut self,
        value: &Value,
        indent: usize,
        depth: usize,
        path: &FieldPath,
    ) -> Result<(), EmitError> {
        match value {
            Value::Object(object) if !object.is_empty() => {
                self.out.push('\n');
                self.mapping(object, indent + 2, depth + 1, path, false)
            }
            Value::Array(items) if !items.is_empty() => {
                self.out.push('\n');
                self.sequence(items, indent + 2, depth + 1, path, false)
            }
            scalar => self.scalar_after_indicator(scalar, indent, depth, path),
        }
    }

    /// Writes a scalar (or an empty collection) after `key:` or `-`, then ends the line. A block
    /// scalar's lines are indented two more than `indent`.
    fn scalar_after_indicator(
        &mut self,
        value: &Value,
        indent: usize,
        depth: usize,
        path: &FieldPath,
    ) -> Result<(), EmitError> {
        if matches!(value, Value::Object(_) | Value::Array(_)) {
            check_depth(depth + 1, path)?;
        }
        if let Value::String(text) = value {
            let escaped = escape_placeholders(text);
            if let Some(chomping) = literal_block_chomping(&escaped) {
                self.out.push_str(" |");
                self.out.push_str(chomping);
                self.out.push('\n');
                for line in escaped.trim_end_matches('\n').split('\n') {
                    if !line.is_empty() {
                        push_spaces(&mut self.out, indent + 2);
                        self.out.push_str(line);
                    }
                    self.out.push('\n');
                }
                return Ok(());
            }
        }
        let text = self.scalar_text(value, path)?;
        self.out.push(' ');
        self.out.push_str(&text);
        self.out.push('\n');
        Ok(())
    }

    /// The one-line text of a scalar or an empty collection.
    fn scalar_text(&self, value: &Value, path: &FieldPath) -> Result<String, EmitError> {
        Ok(match value {
            Value::Null => "null".to_owned(),
            Value::Bool(true) => "true".to_owned(),
            Value::Bool(false) => "false".to_owned(),
            Value::Number(number) => number.to_string(),
            Value::String(text) => {
                let escaped = escape_placeholders(text);
                if is_plain_safe(&escaped, false) { escaped } else { double_quoted(&escaped) }
            }
            // Empty collections; the caller checked their depth.
            Value::Object(_) => "{}".to_owned(),
            Value::Array(_) => "[]".to_owned(),
            Value::Ref(address) => {
                if let Err(reason) = validate_key(&address.key) {
                    return Err(EmitError::InvalidReference {
                        path: path.to_string(),
                        address: address.clone(),
                        reason: reason.to_string(),
                    });
                }
                format!("${{{address}}}")
            }
            Value::Lookup(Lookup::Data(address)) => {
                if let Err(reason) = validate_key(&address.key) {
                    return Err(EmitError::InvalidLookup {
                        path: path.to_string(),
                        address: address.to_string(),
                        reason: reason.to_string(),
                    });
                }
                format!("${{{address}}}")
            }
            // A flow's group is written by name (`flowGroup: NAME`; pull puts it there).
            Value::Lookup(Lookup::FlowGroup(name)) => {
                let escaped = escape_placeholders(name);
                if is_plain_safe(&escaped, false) { escaped } else { double_quoted(&escaped) }
            }
            Value::Secret(secret) => match secret.names.as_slice() {
                [name] if is_environment_name(name) => format!("${{secret.{name}}}"),
                [name] => {
                    return Err(EmitError::InvalidSecretName {
                        path: path.to_string(),
                        name: name.clone(),
                    });
                }
                names => {
                    return Err(EmitError::CompositeSecret {
                        path: path.to_string(),
                        names: names.join(", "),
                    });
                }
            },
        })
    }
}

fn check_depth(depth: usize, path: &FieldPath) -> Result<(), EmitError> {
    if depth > MAX_DEPTH {
        return Err(EmitError::TooDeep { path: path.to_string() });
    }
    Ok(())
}

fn push_spaces(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n(' ', count));
}

/// `${` → `$${`: the loader reads `$${` as a literal `${` and leaves every other `$` alone, so
/// escaping each `${` gives back the original text (a `$${` in the original becomes `$$${`,
/// which the loader reads as `$` followed by the escape).
pub(crate) fn escape_placeholders(text: &str) -> String {
    if text.contains("${") { text.replace("${", "$${") } else { text.to_owned() }
}

/// A mapping key as written.
fn key_text(key: &str) -> String {
    if is_plain_safe(key, true) { key.to_owned() } else { double_quoted(key) }
}

/// Words YAML 1.1 tools read as booleans or null: quoted, so that editors and linters built on
/// YAML 1.1 agree with flowform that they are strings.
const YAML_1_1_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Characters that give a plain scalar another meaning when they come first.
const LEADING_INDICATORS: &[char] = &[
    '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
];

/// Whether `text` can be written as a plain scalar and read back as the same string (for keys:
/// as the same key text).
fn is_plain_safe(text: &str, key: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if LEADING_INDICATORS.contains(&first)
        || text.starts_with(' ')
        || text.ends_with(' ')
        || text.ends_with(':')
        || text.contains(": ")
        || text.contains(" #")
        || text.starts_with("---")
        || text.starts_with("...")
        || YAML_1_1_WORDS.contains(&text)
        || (key && text == "<<")
    {
        return false;
    }
    // Line breaks and tabs need quoting; other blanks than the space (no-break spaces and the
    // like) would be invisible in a plain scalar.
    if !text.chars().all(|character| {
        is_printable(character) && (character == ' ' || !character.is_whitespace())
    }) {
        return false;
    }
    // Keys are read as text whatever they look like, but a key that other tools would read as a
    // number or a boolean is quoted all the same.
    matches!(type_plain(text), Ok(Typed::String))
}

/// YAML's printable characters (`c-printable`), without the ones that act as line breaks or a
/// byte-order mark in some YAML implementations.
fn is_printable(character: char) -> bool {
    matches!(character,
        '\t' | '\n' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(character, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// The chomping indicator when `text` can be written as a literal block (`|` keeps one final
/// line break, `|-` none), or `None` when it cannot: a block needs several lines, a first line
/// that does not start with a blank (its indentation would be misread), no line ending in a
/// blank (editors strip them), no characters that need escaping, and at most one final line
/// break (keeping more would need `|+`, whose trailing blank lines a later edit easily changes).
fn literal_block_chomping(text: &str) -> Option<&'static str> {
    if !text.contains('\n') || text.starts_with([' ', '\t', '\n']) {
        return None;
    }
    let body = text.strip_suffix('\n');
    let chomping = match body {
        Some(body) if body.ends_with('\n') => return None,
        Some(_) => "",
        None => "-",
    };
    let body = body.unwrap_or(text);
    if !body.contains('\n') && chomping.is_empty() {
        // A single line with a final line break: a block adds nothing over a quoted string.
        return None;
    }
    if !text.chars().all(is_printable) {
        return None;
    }
    if body.split('\n').any(|line| line.ends_with([' ', '\t'])) {
        return None;
    }
    Some(chomping)
}

/// A double-quoted scalar with YAML escapes.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            character if is_printable(character) => out.push(character),
            character if (character as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", character as u32);
            }
            character if (character as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", character as u32);
            }
            character => {
                let _ = write!(out, "\\U{:08x}", character as u32);
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use flowform_model::{Kind, SecretValue};
    use proptest::prelude::*;

    use super::*;
    use crate::options::{ProcessEnvironment, SecretPolicy};
    use crate::resolve::{Mode, Resolver};
    use crate::source::SourceFile;
    use crate::yaml;

    /// Reads `text` back the way the loader reads a resource body: the YAML tree, then scalars
    /// typed and placeholders resolved. Errors (and warnings) fail the test.
    fn read_back(text: &str) -> Value {
        let file = SourceFile::new(Path::new("emitted.yaml"), text.to_owned());
        let (root, diagnostics) = yaml::parse(&file);
        assert!(diagnostics.is_empty(), "YAML problems in\n{text}\n{diagnostics:#?}");
        let root = root.expect("a document");
        let variables = std::collections::HashMap::new();
        let environment = ProcessEnvironment::Fixed(Default::default());
        let mut resolver = Resolver::new(&variables, &environment, SecretPolicy::Offline);
        let value = resolver.convert(&file, &root, Mode::Body);
        let problems = resolver.finish();
        let problems: Vec<_> = problems
            .iter()
            .filter(|diagnostic| diagnostic.code != crate::Code::MissingSecret)
            .collect();
        assert!(problems.is_empty(), "loader problems in\n{text}\n{problems:#?}");
        value
    }

    #[track_caller]
    fn round_trip(value: &Value) -> String {
        let text = to_yaml(value).unwrap();
        assert_eq!(&read_back(&text), value, "text:\n{text}");
        text
    }

    fn json(value: serde_json::Value) -> Value {
        Value::from_json(&value)
    }

    #[test]
    fn block_style_in_the_given_order() {
        let text = round_trip(&json(serde_json::json!({
            "name": "Orders to ERP",
            "disabled": true,
            "schedule": "? 0 */2 * * *",
            "pageGenerators": [{"_exportId": "5f00000000000000000000e1", "skipRetries": false}],
            "routers": [{"id": "N8Q9NX24Sj5", "branches": [
                {"name": "US", "pageProcessors": [{"type": "import", "proceedOnFailure": false}]},
                {"name": "Other", "pageProcessors": []}
            ]}],
            "matrix": [[1, 2], [], [[true]]],
            "settings": {},
            "count": 25,
            "ratio": 0.5,
            "none": null,
        })));
        insta::assert_snapshot!(text, @r#"
        name: Orders to ERP
        disabled: true
        schedule: "? 0 */2 * * *"
        pageGenerators:
          - _exportId: 5f00000000000000000000e1
            skipRetries: false
        routers:
          - id: N8Q9NX24Sj5
            branches:
              - name: US
                pageProcessors:
                  - type: import
                    proceedOnFailure: false
              - name: Other
                pageProcessors: []
        matrix:
          - - 1
            - 2
          - []
          - - - true
        settings: {}
        count: 25
        ratio: 0.5
        none: null
        "#);
    }

    #[test]
    fn strings_quoted_only_when_needed() {
        let strings = [
            "plain text",
            "true",
            "1.0",
            "null",
            "~",
            "",
            " padded ",
            "*alias",
            "&anchor",
            "!tag",
            "%directive",
            "@at",
            "key: value",
            "text #comment",
            "ends with:",
            "yes",
            "0x1F",
            "1e999",
            "{{record.id}}",
            "Bearer {{token}}",
            "${not a placeholder}",
            "cost $5 and $${escaped}",
            "tab\tinside",
            "bell\u{7}",
            "nbsp\u{a0}",
            "bom\u{feff}",
            "line\u{2028}separator",
            "café ✓ 🚀",
            "---",
            "- item",
        ];
        let object: Object = strings
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("s{i}"), Value::String((*s).into())))
            .collect();
        let text = round_trip(&Value::Object(object));
        insta::assert_snapshot!(text, @r#"
        s0: plain text
        s1: "true"
        s2: "1.0"
        s3: "null"
        s4: "~"
        s5: ""
        s6: " padded "
        s7: "*alias"
        s8: "&anchor"
        s9: "!tag"
        s10: "%directive"
        s11: "@at"
        s12: "key: value"
        s13: "text #comment"
        s14: "ends with:"
        s15: "yes"
        s16: "0x1F"
        s17: "1e999"
        s18: "{{record.id}}"
        s19: Bearer {{token}}
        s20: $${not a placeholder}
        s21: cost $5 and $$${escaped}
        s22: "tab\tinside"
        s23: "bell\x07"
        s24: "nbsp\_"
        s25: "bom\ufeff"
        s26: "line\Lseparator"
        s27: café ✓ 🚀
        s28: "---"
        s29: "- item"
        "#);
    }

    #[test]
    fn multi_line_strings_as_literal_blocks_when_safe() {
        let value = json(serde_json::json!({
            "content": "function preMap(options) {\n  return options.data;\n}\n",
            "template": "{{#each data}}\n  {{name}}\n{{/each}}",
            "trailing": "a  \nb",
            "leading": "  indented\nfirst",
            "many": "a\n\n\n",
            "list": ["x\ny", "one\n"],
        }));
        let text = round_trip(&value);
        insta::assert_snapshot!(text, @r#"
        content: |
          function preMap(options) {
            return options.data;
          }
        template: |-
          {{#each data}}
            {{name}}
          {{/each}}
        trailing: "a  \nb"
        leading: "  indented\nfirst"
        many: "a\n\n\n"
        list:
          - |-
            x
            y
          - "one\n"
        "#);
    }

    #[test]
    fn references_secrets_and_keys() {
        let mut object = Object::default();
        object.insert("_connectionId".into(), Value::Ref(Address::new(Kind::Connection, "slack")));
        object.insert(
            "token".into(),
            Value::Secret(SecretValue::unresolved(vec!["CONNECTION_SLACK_TOKEN".into()])),
        );
        object.insert("200".into(), Value::Bool(true));
        object.insert("<<".into(), Value::Null);
        object.insert("".into(), Value::Null);
        object.insert("a: b".into(), Value::Null);
        object.insert("${key}".into(), Value::Null);
        let text = to_yaml(&Value::Object(object)).unwrap();
        insta::assert_snapshot!(text, @r#"
        _connectionId: ${connection.slack}
        token: ${secret.CONNECTION_SLACK_TOKEN}
        "200": true
        "<<": null
        "": null
        "a: b": null
        ${key}: null
        "#);
        let value = read_back(&text);
        let Value::Object(read) = value else { panic!("an object") };
        assert_eq!(read["_connectionId"], Value::Ref(Address::new(Kind::Connection, "slack")));
        assert!(
            matches!(&read["token"], Value::Secret(secret) if secret.names == ["CONNECTION_SLACK_TOKEN"])
        );
        assert!(read.contains_key("${key}"));
    }

    #[test]
    fn long_keys_are_explicit() {
        let key = "k".repeat(1500);
        let mut object = Object::default();
        object.insert(key.clone(), json(serde_json::json!({"a": [1]})));
        object.insert("b".into(), Value::String("x\ny".into()));
        round_trip(&Value::Object(object));
    }

    #[test]
    fn what_cannot_be_written() {
        let composite = Value::Array(vec![Value::Secret(SecretValue::unresolved(vec![
            "A".into(),
            "B".into(),
        ]))]);
        assert_eq!(
            to_yaml(&composite),
            Err(EmitError::CompositeSecret { path: "[0]".into(), names: "A, B".into() })
        );
        let bad_key = Value::Ref(Address::new(Kind::Flow, "Not Valid"));
        assert!(matches!(to_yaml(&bad_key), Err(EmitError::InvalidReference { .. })));
        let mut deep = Value::Array(Vec::new());
        for _ in 0..MAX_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        assert!(matches!(to_yaml(&deep), Err(EmitError::TooDeep { .. })));
        let mut fits = Value::Array(Vec::new());
        for _ in 0..MAX_DEPTH - 1 {
            fits = Value::Array(vec![fits]);
        }
        round_trip(&fits);
    }

    #[test]
    fn spec_files_have_a_header_and_spacing() {
        let mut flows = Object::default();
        flows.insert(
            "a".into(),
            json(serde_json::json!({"name": "A", "settings": {"x": 1, "y": 2}})),
        );
        flows.insert("b".into(), json(serde_json::json!({"name": "B"})));
        let mut sections = Object::default();
        sections.insert("imports".into(), json(serde_json::json!({"i": {"name": "I"}})));
        sections.insert("flows".into(), Value::Object(flows));
        let text = spec_file("Pulled by flowform.\n\nSecond paragraph.", &sections).unwrap();
        insta::assert_snapshot!(text, @r#"
        # Pulled by flowform.
        #
        # Second paragraph.

        imports:
          i:
            name: I

        flows:
          a:
            name: A
            settings:
              x: 1
              "y": 2

          b:
            name: B
        "#);
    }

    /// Strings made of the characters that matter to YAML and to placeholders.
    fn nasty_string() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just(" ".to_owned()),
            Just("\n".to_owned()),
            Just("\t".to_owned()),
            Just("\r".to_owned()),
            Just(":".to_owned()),
            Just(": ".to_owned()),
            Just(" #".to_owned()),
            Just("#".to_owned()),
            Just("-".to_owned()),
            Just("- ".to_owned()),
            Just("?".to_owned()),
            Just("${".to_owned()),
            Just("$${".to_owned()),
            Just("$".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("{{x}}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(",".to_owned()),
            Just("'".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just("*".to_owned()),
            Just("&".to_owned()),
            Just("!".to_owned()),
            Just("|".to_owned()),
            Just(">".to_owned()),
            Just("%".to_owned()),
            Just("@".to_owned()),
            Just("`".to_owned()),
            Just("---".to_owned()),
            Just("...".to_owned()),
            Just("~".to_owned()),
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just("yes".to_owned()),
            Just("1".to_owned()),
            Just("1.5".to_owned()),
            Just("0x1F".to_owned()),
            Just(".inf".to_owned()),
            Just("e5".to_owned()),
            Just("******".to_owned()),
            Just("\u{0}".to_owned()),
            Just("\u{7f}".to_owned()),
            Just("\u{85}".to_owned()),
            Just("\u{a0}".to_owned()),
            Just("\u{2028}".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("\u{fffe}".to_owned()),
            Just("é".to_owned()),
            Just("🚀".to_owned()),
            "[a-z]{1,6}",
        ];
        proptest::collection::vec(pieces, 0..8).prop_map(|pieces| pieces.concat())
    }

    fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |float| float.is_finite())
                .prop_map(serde_json::Value::from),
            nasty_string().prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                proptest::collection::vec((nasty_string(), inner), 0..5).prop_map(|entries| {
                    serde_json::Value::Object(entries.into_iter().collect())
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn emit_then_load_gives_the_same_value(document in arbitrary_json()) {
            // The loader rejects the mask as a value; `pull` never leaves one in a body.
            let text = serde_json::to_string(&document).unwrap_or_default();
            prop_assume!(!text.contains("\"******\""));
            let value = Value::from_json(&document);
            let emitted = to_yaml(&value).unwrap();
            prop_assert_eq!(read_back(&emitted), value, "text:\n{}", emitted);
        }
    }
}
