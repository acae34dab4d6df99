//! The schema checks against real documents: every document of the conformance corpus
//! (`tests/corpus`, real `GET` responses from public sources) is written as a spec the way
//! `flowform pull` writes one (server-owned fields dropped, masks turned into secrets, ids kept
//! as literal ids) and loaded. The service returned these documents, so it accepts them: a
//! schema check that calls one of them an error is wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flowform_model::fields::is_server_owned;
use flowform_model::{FieldPath, Kind, Object, Value};
use flowform_spec::{Code, LoadOptions, ProcessEnvironment, SecretPolicy, Severity};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

/// The codes of the schema checks.
const SCHEMA_CODES: [Code; 8] = [
    Code::MissingField,
    Code::InvalidType,
    Code::InvalidValue,
    Code::RewrittenValue,
    Code::OutOfRange,
    Code::AdaptorSection,
    Code::UnknownField,
    Code::PlainSecret,
];

/// A document as `pull` writes it: no server-owned field, every mask a secret.
fn as_pulled(kind: Kind, json: &serde_json::Value, secrets: &mut usize) -> Value {
    fn walk(kind: Kind, value: Value, path: &mut Vec<String>, secrets: &mut usize) -> Value {
        match value {
            Value::Object(object) => {
                let mut kept = Object::default();
                for (key, child) in object {
                    path.push(key.clone());
                    let field = FieldPath::from_keys(path.iter().cloned());
                    if !is_server_owned(kind, &field) {
                        kept.insert(key, walk(kind, child, path, secrets));
                    }
                    path.pop();
                }
                Value::Object(kept)
            }
            Value::Array(items) => Value::Array(
                items.into_iter().map(|item| walk(kind, item, path, secrets)).collect(),
            ),
            Value::String(text) if !text.is_empty() && text.chars().all(|c| c == '*') => {
                *secrets += 1;
                Value::Secret(flowform_model::SecretValue::unresolved(vec![format!(
                    "CORPUS_SECRET_{secrets}"
                )]))
            }
            other => other,
        }
    }
    walk(kind, Value::from_json(json), &mut Vec::new(), secrets)
}

fn documents() -> Vec<(String, Kind, String, serde_json::Value)> {
    let mut documents = Vec::new();
    let mut sources: Vec<PathBuf> = fs_err::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    sources.sort();
    for source in sources {
        for kind in Kind::ALL {
            let directory = source.join(kind.plural());
            let Ok(entries) = fs_err::read_dir(&directory) else { continue };
            let mut files: Vec<PathBuf> = entries.map(|entry| entry.unwrap().path()).collect();
            files.sort();
            for file in
                files.into_iter().filter(|file| file.extension().is_some_and(|e| e == "json"))
            {
                let json: serde_json::Value =
                    serde_json::from_str(&fs_err::read_to_string(&file).unwrap()).unwrap();
                let name = source.file_name().unwrap().to_string_lossy().into_owned();
                let id = file.file_stem().unwrap().to_string_lossy().into_owned();
                documents.push((name, kind, id, json));
            }
        }
    }
    documents
}

/// Documents the checks refuse on purpose, each with why.
const EXPECTED_ERRORS: &[(&str, &str)] = &[
    // Behaviours §8: 2017 documents without `adaptorType`, which the API reference (§5.4, §5.5)
    // now requires of every export and import.
    ("integrator-api-docs/exports/55ea776bb751843c37b7b366", "`adaptorType` is required"),
    ("integrator-api-docs/imports/594d5058c5a4c41a4ba4b662", "`adaptorType` is required"),
    // Behaviours §1: list responses omit a script's `content`; `pull` reads each script by id,
    // and a script without `content` is refused (API §5.7).
    ("singh-gurkawalbir-demo/scripts/5e6777110681bc37e961d338", "`content` is required"),
    ("singh-gurkawalbir-demo/scripts/5eddfe14f39e1e341f507e6c", "`content` is required"),
];

#[test]
fn real_documents_pass_the_schema_checks() {
    let documents = documents();
    assert!(documents.len() >= 80, "only {} corpus documents", documents.len());
    let mut errors = Vec::new();
    let mut warnings: BTreeMap<String, usize> = BTreeMap::new();
    let mut secrets = 0;
    for (source, kind, id, json) in &documents {
        let body = as_pulled(*kind, json, &mut secrets);
        let mut sections = Object::default();
        let mut resources = Object::default();
        resources.insert("doc".to_owned(), body);
        sections.insert(kind.plural().to_owned(), Value::Object(resources));
        let text = flowform_spec::spec_file("", &sections).expect("the document can be written");
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("spec.yaml");
        fs_err::write(&file, text).unwrap();
        let loaded = flowform_spec::load(&LoadOptions {
            paths: vec![file],
            secrets: SecretPolicy::Offline,
            environment: ProcessEnvironment::Fixed(Default::default()),
            ..LoadOptions::default()
        });
        for diagnostic in loaded.diagnostics.iter().filter(|d| SCHEMA_CODES.contains(&d.code)) {
            let document = format!("{source}/{}/{id}", kind.plural());
            let expected =
                EXPECTED_ERRORS.contains(&(document.as_str(), diagnostic.message.as_str()));
            match diagnostic.severity {
                Severity::Error if expected => {}
                Severity::Error => errors.push(format!("{document}: {}", diagnostic.message)),
                _ => *warnings.entry(format!("{}: {}", kind, diagnostic.message)).or_default() += 1,
            }
        }
    }
    #[expect(clippy::print_stderr, reason = "the test reports the warnings real documents draw")]
    {
        for (warning, count) in &warnings {
            eprintln!("warning ×{count}: {warning}");
        }
    }
    assert!(
        errors.is_empty(),
        "schema errors on documents the service returned:\n{}",
        errors.join("\n")
    );
}
