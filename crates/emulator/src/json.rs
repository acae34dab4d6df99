//! Helpers over `serde_json` documents: dotted paths, the API's normalisation (nulls and empty
//! objects dropped), JSON pointers, merge patches and list projection.

use serde_json::{Map, Value};

/// A stored resource document.
pub(crate) type Document = Map<String, Value>;

pub(crate) fn get_dotted<'a>(document: &'a Document, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('.');
    let mut current = document.get(segments.next()?)?;
    for segment in segments {
        current = current.as_object()?.get(segment)?;
    }
    Some(current)
}

/// Sets a dotted path, creating intermediate objects; does nothing if a non-object is in the way.
pub(crate) fn set_dotted(document: &mut Document, path: &str, value: Value) {
    let segments: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = segments.split_last() else { return };
    let mut current = document;
    for segment in parents {
        let entry =
            current.entry((*segment).to_owned()).or_insert_with(|| Value::Object(Map::new()));
        let Some(next) = entry.as_object_mut() else { return };
        current = next;
    }
    current.insert((*last).to_owned(), value);
}

pub(crate) fn remove_dotted(document: &mut Document, path: &str) -> Option<Value> {
    let segments: Vec<&str> = path.split('.').collect();
    let (last, parents) = segments.split_last()?;
    let mut current = document;
    for segment in parents {
        current = current.get_mut(*segment)?.as_object_mut()?;
    }
    current.shift_remove(*last)
}

/// Drops null members and objects left empty, recursively, as the API does on write (S1: a PUT
/// that sent `hooks.preSavePage` full of nulls came back without `hooks`). Arrays keep their
/// elements, whose objects are normalised in place.
pub(crate) fn normalise(document: &mut Document) {
    document.retain(|_, value| normalise_value(value));
}

/// Normalises a value and says whether its member should be kept.
fn normalise_value(value: &mut Value) -> bool {
    match value {
        Value::Null => false,
        Value::Object(object) => {
            object.retain(|_, member| normalise_value(member));
            !object.is_empty()
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Value::Object(object) = item {
                    object.retain(|_, member| normalise_value(member));
                }
            }
            true
        }
        _ => true,
    }
}

/// Parses a JSON pointer (`/a/b~1c/0`) into segments; `None` unless it starts with `/`.
pub(crate) fn parse_pointer(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(|segment| segment.replace("~1", "/").replace("~0", "~")).collect())
}

/// Sets the value at a pointer, creating objects on the way (like a MongoDB `$set`). Array
/// segments must be an existing index or `-` (append).
pub(crate) fn set_pointer(
    root: &mut Value,
    segments: &[String],
    value: Value,
) -> Result<(), String> {
    let Some((last, parents)) = segments.split_last() else {
        return Err("the path must name a field".to_owned());
    };
    let mut current = root;
    for segment in parents {
        current = match current {
            Value::Object(object) => {
                object.entry(segment.clone()).or_insert_with(|| Value::Object(Map::new()))
            }
            Value::Array(items) => {
                let index: usize =
                    segment.parse().map_err(|_| format!("`{segment}` is not an array index"))?;
                items
                    .get_mut(index)
                    .ok_or_else(|| format!("array index `{index}` is out of range"))?
            }
            _ => return Err(format!("`{segment}` is inside a value that is not an object")),
        };
    }
    match current {
        Value::Object(object) => {
            object.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) if last == "-" => {
            items.push(value);
            Ok(())
        }
        Value::Array(items) => {
            let index: usize =
                last.parse().map_err(|_| format!("`{last}` is not an array index"))?;
            let slot = items
                .get_mut(index)
                .ok_or_else(|| format!("array index `{index}` is out of range"))?;
            *slot = value;
            Ok(())
        }
        _ => Err(format!("`{last}` is inside a value that is not an object")),
    }
}

/// Removes the value at a pointer; removing something absent is not an error.
pub(crate) fn remove_pointer(root: &mut Value, segments: &[String]) {
    let Some((last, parents)) = segments.split_last() else { return };
    let mut current = root;
    for segment in parents {
        let next = match current {
            Value::Object(object) => object.get_mut(segment),
            Value::Array(items) => {
                segment.parse::<usize>().ok().and_then(|index| items.get_mut(index))
            }
            _ => None,
        };
        let Some(next) = next else { return };
        current = next;
    }
    match current {
        Value::Object(object) => {
            object.shift_remove(last);
        }
        Value::Array(items) => {
            if let Ok(index) = last.parse::<usize>()
                && index < items.len()
            {
                items.remove(index);
            }
        }
        _ => {}
    }
}

/// Applies an RFC 7386 merge patch: objects merge recursively, `null` removes, anything else
/// replaces.
pub(crate) fn merge_patch(target: &mut Document, patch: &Document) {
    for (key, patch_value) in patch {
        match patch_value {
            Value::Null => {
                target.shift_remove(key);
            }
            Value::Object(patch_object) => {
                let entry = target.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(target_object) = entry {
                    merge_patch(target_object, patch_object);
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// Keeps only the listed dotted paths (plus `always`), in the document's own field order.
/// Paths through arrays project into every element; missing paths are silently dropped.
pub(crate) fn project_include(
    document: &Document,
    paths: &[Vec<&str>],
    always: &[&str],
) -> Document {
    let mut projected = Document::new();
    for (key, value) in document {
        if always.contains(&key.as_str()) {
            projected.insert(key.clone(), value.clone());
            continue;
        }
        let wanted: Vec<&[&str]> = paths
            .iter()
            .filter(|path| path.first() == Some(&key.as_str()))
            .map(|path| &path[1..])
            .collect();
        if wanted.is_empty() {
            continue;
        }
        if let Some(value) = project_value(value, &wanted) {
            projected.insert(key.clone(), value);
        }
    }
    projected
}

fn project_value(value: &Value, rests: &[&[&str]]) -> Option<Value> {
    if rests.iter().any(|rest| rest.is_empty()) {
        return Some(value.clone());
    }
    match value {
        Value::Object(object) => {
            let mut out = Map::new();
            for (key, member) in object {
                let wanted: Vec<&[&str]> = rests
                    .iter()
                    .filter(|rest| rest.first() == Some(&key.as_str()))
                    .map(|rest| &rest[1..])
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                if let Some(member) = project_value(member, &wanted) {
                    out.insert(key.clone(), member);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(items) => {
            let projected: Vec<Value> =
                items.iter().filter_map(|item| project_value(item, rests)).collect();
            (!projected.is_empty()).then_some(Value::Array(projected))
        }
        _ => None,
    }
}

/// Drops the listed dotted paths (through arrays too), never `_id`.
pub(crate) fn project_exclude(document: &mut Document, paths: &[Vec<&str>]) {
    for path in paths {
        if path.as_slice() == ["_id"] {
            continue;
        }
        exclude_in_object(document, path);
    }
}

fn exclude_in_object(object: &mut Map<String, Value>, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        object.shift_remove(*first);
        return;
    }
    if let Some(member) = object.get_mut(*first) {
        exclude_in_value(member, rest);
    }
}

fn exclude_in_value(value: &mut Value, path: &[&str]) {
    match value {
        Value::Object(object) => exclude_in_object(object, path),
        Value::Array(items) => {
            for item in items {
                exclude_in_value(item, path);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Document {
        match value {
            Value::Object(object) => object,
            _ => unreachable!("test documents are objects"),
        }
    }

    #[test]
    fn normalise_drops_nulls_and_empty_objects_but_keeps_empty_arrays() {
        let mut document = doc(json!({
            "name": "x", "hooks": {"preSavePage": {"function": null, "_scriptId": null}},
            "list": [], "nested": {"keep": 1, "gone": null}, "items": [{"a": null, "b": 2}]
        }));
        normalise(&mut document);
        assert_eq!(
            Value::Object(document),
            json!({"name": "x", "list": [], "nested": {"keep": 1}, "items": [{"b": 2}]})
        );
    }

    #[test]
    fn include_projects_nested_paths_and_drops_missing_ones() {
        let document = doc(json!({
            "_id": "1", "name": "n", "adaptorType": "FTPExport",
            "ftp": {"directoryPath": "/in", "fileName": "a"}, "other": 1,
            "steps": [{"id": 1, "x": 2}, {"y": 3}]
        }));
        let paths = vec![vec!["ftp", "directoryPath"], vec!["missing"], vec!["steps", "id"]];
        let projected = project_include(&document, &paths, &["_id", "name", "adaptorType"]);
        assert_eq!(
            Value::Object(projected),
            json!({"_id": "1", "name": "n", "adaptorType": "FTPExport",
                   "ftp": {"directoryPath": "/in"}, "steps": [{"id": 1}]})
        );
    }

    #[test]
    fn merge_patch_merges_objects_and_removes_nulls() {
        let mut target = doc(json!({"a": {"b": 1, "c": 2}, "d": 3}));
        merge_patch(&mut target, &doc(json!({"a": {"b": null, "e": 4}, "d": null, "f": [1]})));
        assert_eq!(Value::Object(target), json!({"a": {"c": 2, "e": 4}, "f": [1]}));
    }

    #[test]
    fn pointers_set_and_remove_inside_arrays() {
        let mut root = json!({"routers": [{"branches": [{"name": "a"}]}]});
        let path = parse_pointer("/routers/0/branches/0/name").unwrap_or_default();
        assert_eq!(set_pointer(&mut root, &path, json!("b")), Ok(()));
        assert_eq!(root, json!({"routers": [{"branches": [{"name": "b"}]}]}));
        remove_pointer(&mut root, &path);
        assert_eq!(root, json!({"routers": [{"branches": [{}]}]}));
        assert!(
            set_pointer(&mut root, &parse_pointer("/routers/5/name").unwrap_or_default(), json!(1))
                .is_err()
        );
    }
}
