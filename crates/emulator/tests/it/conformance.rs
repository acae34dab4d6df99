//! Checks the emulator against Celigo's own field schemas (`shared/reference/celigo-schemas`,
//! read at test time, never copied): every `writeOnly` connection field must come back masked.
//! Skipped, with a printed reason, when the schemas are not next to the worktree.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use flowform_emulator::{Behaviour, EmulatorConfig, Fidelity};

use crate::support::{Client, emulator, test_emulator};

fn schemas_directory() -> Option<PathBuf> {
    let directory =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/celigo-schemas");
    directory.is_dir().then_some(directory)
}

fn load_yaml(path: &Path) -> Value {
    let text = fs_err::read_to_string(path).expect("a readable schema");
    serde_saphyr::from_str(&text)
        .unwrap_or_else(|error| panic!("`{}` is not YAML: {error}", path.display()))
}

/// Resolves `./file.yml#/A/properties/b` relative to `directory`.
fn resolve(directory: &Path, reference: &str) -> Option<(Value, PathBuf)> {
    let (file, pointer) = reference.split_once('#')?;
    let path = directory.join(file.trim_start_matches("./"));
    // Some references name files the published schemas do not include.
    if !path.is_file() {
        return None;
    }
    let mut node = load_yaml(&path);
    for segment in pointer.split('/').filter(|segment| !segment.is_empty()) {
        node = node.get(segment)?.clone();
    }
    Some((node, path.parent()?.to_path_buf()))
}

/// Collects the dotted paths of `writeOnly` properties under a schema node.
fn write_only_paths(
    node: &Value,
    directory: &Path,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, bool)>,
) {
    if depth > 12 {
        return;
    }
    if let Some(reference) = node.get("$ref").and_then(Value::as_str)
        && let Some((target, target_directory)) = resolve(directory, reference)
    {
        write_only_paths(&target, &target_directory, prefix, depth + 1, out);
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for branch in node.get(combinator).and_then(Value::as_array).into_iter().flatten() {
            write_only_paths(branch, directory, prefix, depth + 1, out);
        }
    }
    let Some(properties) = node.get("properties").and_then(Value::as_object) else { return };
    for (name, property) in properties {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        if property.get("writeOnly").and_then(Value::as_bool) == Some(true) {
            let is_object = property.get("type").and_then(Value::as_str) == Some("object");
            if !out.iter().any(|(known, _)| *known == path) {
                out.push((path.clone(), is_object));
            }
        }
        write_only_paths(property, directory, &path, depth + 1, out);
    }
}

fn set_path(document: &mut Map<String, Value>, path: &str, value: Value) {
    let segments: Vec<&str> = path.split('.').collect();
    let mut current = document;
    for segment in &segments[..segments.len() - 1] {
        let entry = current.entry((*segment).to_owned()).or_insert_with(|| json!({}));
        current = entry.as_object_mut().expect("schema paths go through objects");
    }
    current.insert(segments[segments.len() - 1].to_owned(), value);
}

fn get_path<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(document, |node, segment| node.get(segment))
}

/// Every `writeOnly` path comes back masked. Secrets the service obtains itself (Salesforce's
/// tokens, …) are not client-settable under `server-managed-tokens`, so this writes them with
/// that behaviour off (its own test is in `fidelity.rs`).
#[tokio::test]
async fn every_write_only_connection_field_is_masked() {
    let Some(directory) = schemas_directory() else {
        #[expect(
            clippy::print_stdout,
            reason = "a skipped test says why, as the project's rules ask"
        )]
        {
            println!(
                "skipped: ../shared/reference/celigo-schemas is not present next to the worktree"
            );
        }
        return;
    };
    let schemas = directory.join("configuring-connections/schemas");
    let request = load_yaml(&schemas.join("request.yml"));
    let mut paths = Vec::new();
    write_only_paths(request.get("Request").unwrap_or(&request), &schemas, "", 0, &mut paths);
    assert!(paths.len() >= 20, "the schemas name many secrets: {paths:?}");
    let types = [
        "netsuite",
        "salesforce",
        "ftp",
        "s3",
        "wrapper",
        "http",
        "rdbms",
        "mongodb",
        "as2",
        "filesystem",
        "mcp",
        "dynamodb",
        "jdbc",
        "van",
        "rest",
    ];
    let handle = emulator(EmulatorConfig {
        fidelity: Fidelity::default().without(Behaviour::ServerManagedTokens),
        ..EmulatorConfig::for_tests()
    })
    .await;
    let client = Client::sandbox(&handle);
    let agent =
        handle.admin().create_agent(&json!({"name": "conformance agent"})).expect("an agent");
    let mut unmasked = Vec::new();
    for (path, is_object) in &paths {
        let block = path.split('.').next().unwrap_or_default();
        let connection_type = if types.contains(&block) { block } else { "http" };
        let mut document = Map::new();
        document.insert("name".into(), json!("conformance"));
        document.insert("type".into(), json!(connection_type));
        document.insert(connection_type.into(), json!({"conformance": true}));
        document.insert("_agentId".into(), agent["_id"].clone());
        let secret = if *is_object {
            json!({"field": "conformance-secret"})
        } else {
            json!("conformance-secret")
        };
        set_path(&mut document, path, secret);
        let response = client.post("/v1/connections", Value::Object(document)).await;
        assert_eq!(response.status, 201, "{path}: {}", response.text());
        // A secret the service obtains itself (Salesforce tokens: the `server-managed-tokens`
        // behaviour) is not taken from the client, so it is absent rather than masked.
        let body = response.json();
        let shown = get_path(&body, path);
        let leaked = shown.is_some_and(|value| *value != json!("******"));
        if leaked || response.text().contains("conformance-secret") {
            unmasked.push(path.clone());
        }
    }
    assert!(unmasked.is_empty(), "writeOnly paths returned unmasked: {unmasked:?}");
}

/// Collects the dotted paths of properties whose description says the value is returned masked
/// as `******` (the iClient schemas describe their secrets in prose, not with `writeOnly`).
fn masked_paths(node: &Value, prefix: &str, depth: usize, out: &mut Vec<String>) {
    if depth > 12 {
        return;
    }
    let Some(properties) = node.get("properties").and_then(Value::as_object) else { return };
    for (name, property) in properties {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let description = property.get("description").and_then(Value::as_str).unwrap_or_default();
        let words: Vec<&str> = description.split_whitespace().collect();
        let says_masked = words.join(" ").contains("masked as `\"******\"`");
        let is_string = property.get("type").and_then(Value::as_str) == Some("string");
        if says_masked && is_string {
            out.push(path.clone());
        }
        masked_paths(property, &path, depth + 1, out);
    }
}

#[tokio::test]
async fn every_masked_iclient_field_is_masked() {
    let Some(directory) = schemas_directory() else {
        #[expect(
            clippy::print_stdout,
            reason = "a skipped test says why, as the project's rules ask"
        )]
        {
            println!(
                "skipped: ../shared/reference/celigo-schemas is not present next to the worktree"
            );
        }
        return;
    };
    let base = load_yaml(&directory.join("configuring-connections/iclient-schemas/base.yml"));
    let mut paths = Vec::new();
    masked_paths(base.get("IClientBase").unwrap_or(&base), "", 0, &mut paths);
    assert!(paths.len() >= 10, "the iClient schema names many secrets: {paths:?}");
    let handle = test_emulator().await;
    let client = Client::sandbox(&handle);
    let mut unmasked = Vec::new();
    for path in &paths {
        let mut document = Map::new();
        document.insert("name".into(), json!("conformance"));
        document.insert("provider".into(), json!("custom_oauth2"));
        set_path(&mut document, path, json!("conformance-secret"));
        if path.starts_with("jwt.") {
            document.insert("enableJWT".into(), json!(true));
        }
        let response = client.post("/v1/iclients", Value::Object(document)).await;
        assert_eq!(response.status, 201, "{path}: {}", response.text());
        if get_path(&response.json(), path) != Some(&json!("******"))
            || response.text().contains("conformance-secret")
        {
            unmasked.push(path.clone());
        }
    }
    assert!(unmasked.is_empty(), "iClient secrets returned unmasked: {unmasked:?}");
}
