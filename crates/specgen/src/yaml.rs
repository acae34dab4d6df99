//! A small block-style YAML writer for generated bodies: strings are written JSON-quoted (valid
//! YAML double-quoted scalars), references as `"${KIND.KEY}"` and secrets as
//! `"${secret.NAME}"`. Bodies are shallow, so the recursion is bounded by the generator.

use std::fmt::Write as _;

use serde_json::Value;

use crate::Resource;

/// Appends `name:` and one entry per resource.
pub(crate) fn section<'a>(
    out: &mut String,
    name: &str,
    resources: impl Iterator<Item = &'a Resource>,
) {
    let _ = writeln!(out, "{name}:");
    for resource in resources {
        let _ = write!(out, "  {}:", resource.key);
        value(out, &resource.body, 4);
    }
}

fn key(out: &mut String, key: &str) {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        out.push_str(key);
    } else {
        out.push_str(&quoted(key));
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("null".into()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(quoted(text)),
        Value::Array(items) if items.is_empty() => Some("[]".into()),
        Value::Object(object) if object.is_empty() => Some("{}".into()),
        Value::Object(object) => match (object.get("$ref"), object.get("$secret")) {
            (Some(Value::String(address)), _) => Some(quoted(&format!("${{{address}}}"))),
            (_, Some(Value::String(name))) => Some(quoted(&format!("${{secret.{name}}}"))),
            _ => None,
        },
        Value::Array(_) => None,
    }
}

/// Writes a value after a `key:` (or `-`), starting on the same line for scalars.
fn value(out: &mut String, value_to_write: &Value, indent: usize) {
    if let Some(text) = scalar(value_to_write) {
        let _ = writeln!(out, " {text}");
        return;
    }
    out.push('\n');
    let pad = " ".repeat(indent);
    match value_to_write {
        Value::Object(object) => {
            for (name, child) in object {
                out.push_str(&pad);
                key(out, name);
                out.push(':');
                value(out, child, indent + 2);
            }
        }
        Value::Array(items) => {
            for item in items {
                let _ = write!(out, "{pad}-");
                match item {
                    Value::Object(object) if scalar(item).is_none() => {
                        // The first key goes on the dash's line, the rest aligned under it.
                        let mut first = true;
                        for (name, child) in object {
                            if first {
                                out.push(' ');
                                first = false;
                            } else {
                                out.push_str(&" ".repeat(indent + 2));
                            }
                            key(out, name);
                            out.push(':');
                            value(out, child, indent + 4);
                        }
                    }
                    _ => value(out, item, indent + 2),
                }
            }
        }
        _ => {}
    }
}
