//! The conformance corpus (`tests/corpus/`, real `GET` documents from public sources) against
//! the emulator: every document loads raw into an account and comes back from `GET` and from
//! the list as the service returned it (stored fields kept, masks kept, nothing added); no
//! document holds a clear secret; a clear secret in any real shape comes back masked; the corpus
//! covers the shapes issue 13 asks for; its README names every document.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use flowform_emulator::{CorpusSource, EmulatorConfig, ResourceKind, read_corpus};
use serde_json::{Value, json};

use crate::support::{Client, emulator};

fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn corpus() -> Vec<CorpusSource> {
    let sources = read_corpus(&corpus_root()).expect("the corpus reads");
    assert!(sources.len() >= 5, "the corpus has its sources");
    sources
}

fn get_dotted<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(document, |current, key| current.get(key))
}

fn set_dotted(document: &mut Value, path: &str, value: Value) {
    let (parents, last) =
        path.rsplit_once('.').map_or(("", path), |(parents, last)| (parents, last));
    let mut current = document;
    for key in parents.split('.').filter(|key| !key.is_empty()) {
        current = current.get_mut(key).expect("the path exists");
    }
    current[last] = value;
}

fn is_mask(value: &Value) -> bool {
    value.as_str().is_some_and(|text| text.len() >= 3 && text.bytes().all(|byte| byte == b'*'))
}

async fn list_all(client: &Client, collection: &str) -> Vec<Value> {
    let response = client.get(&format!("/v1/{collection}?limit=1000")).await;
    match response.status {
        204 => Vec::new(),
        200 => {
            assert!(response.header("link").is_none(), "one page holds a source");
            response.json().as_array().cloned().unwrap_or_default()
        }
        other => panic!("list {collection}: {other} {}", response.text()),
    }
}

#[tokio::test]
async fn every_corpus_document_comes_back_as_the_service_returned_it() {
    for source in corpus() {
        let handle = emulator(EmulatorConfig::for_tests()).await;
        let client = Client::sandbox(&handle);
        let loaded = client.post("/admin/raw", source.raw_documents()).await;
        assert_eq!(loaded.status, 200, "{}: {}", source.name, loaded.text());
        for kind in ResourceKind::ALL {
            let expected = source.count(kind);
            let loaded = loaded.json()["loaded"][kind.collection()].as_u64().unwrap_or(0);
            assert_eq!(loaded as usize, expected, "{} {kind}", source.name);
        }
        let mut listed: BTreeMap<ResourceKind, Vec<Value>> = BTreeMap::new();
        for kind in ResourceKind::ALL {
            listed.insert(kind, list_all(&client, kind.collection()).await);
        }
        for document in &source.documents {
            let place = format!("{} ({})", document.path.display(), source.name);
            let path = format!("/v1/{}/{}", document.kind.collection(), document.id);
            let response = client.get(&path).await;
            assert_eq!(response.status, 200, "{place}");
            assert_eq!(response.json(), document.document, "GET changed {place}");
            let mut in_list = document.document.clone();
            if document.kind == ResourceKind::Scripts {
                in_list.as_object_mut().map(|script| script.remove("content"));
            }
            assert!(listed[&document.kind].contains(&in_list), "the list changed {place}");
        }
        for kind in ResourceKind::ALL {
            assert_eq!(listed[&kind].len(), source.count(kind), "{} {kind}", source.name);
        }
    }
}

#[test]
fn no_corpus_document_holds_a_clear_secret() {
    for source in corpus() {
        for document in &source.documents {
            for path in document.kind.secret_paths() {
                if let Some(value) = get_dotted(&document.document, path) {
                    assert!(
                        value.is_null() || is_mask(value),
                        "{} holds a clear value at the secret path `{path}`",
                        document.path.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn clear_secrets_in_every_real_shape_come_back_masked() {
    let mut checked = 0;
    for source in corpus() {
        let handle = emulator(EmulatorConfig::for_tests()).await;
        let client = Client::sandbox(&handle);
        let mut unmasked = Vec::new();
        for document in &source.documents {
            let mut clear = document.document.clone();
            let mut paths = Vec::new();
            for path in document.kind.secret_paths() {
                if get_dotted(&clear, path).is_some_and(is_mask) {
                    set_dotted(&mut clear, path, json!(format!("clear-text {path}")));
                    paths.push(*path);
                }
            }
            if !paths.is_empty() {
                unmasked.push((document, clear, paths));
            }
        }
        for (document, clear, paths) in &unmasked {
            let raw = json!({ document.kind.collection(): [clear] });
            assert_eq!(client.post("/admin/raw", raw).await.status, 200);
            let response =
                client.get(&format!("/v1/{}/{}", document.kind.collection(), document.id)).await;
            assert!(
                !response.text().contains("clear-text"),
                "{}: {}",
                document.path.display(),
                response.text()
            );
            for path in paths {
                assert_eq!(
                    get_dotted(&response.json(), path),
                    Some(&json!("******")),
                    "{}",
                    document.path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "the corpus has masked secrets to check ({checked})");
}

/// The shapes issue 13 asks the corpus to cover.
#[test]
fn the_corpus_covers_the_shapes_the_client_must_handle() {
    let sources = corpus();
    let documents: Vec<_> = sources.iter().flat_map(|source| source.documents.iter()).collect();
    let of = |kind: ResourceKind| {
        documents
            .iter()
            .filter(move |document| document.kind == kind)
            .map(|document| &document.document)
    };
    let flows: Vec<&Value> = of(ResourceKind::Flows).collect();
    assert!(
        flows
            .iter()
            .any(|flow| flow.get("_exportId").is_some() && flow.get("pageGenerators").is_none()),
        "a legacy flow"
    );
    assert!(
        flows.iter().any(
            |flow| flow.get("pageGenerators").is_some() && flow.get("pageProcessors").is_some()
        ),
        "an orchestrated flow"
    );
    assert!(
        flows.iter().any(|flow| flow["routers"][0]["branches"].is_array()),
        "a flow with routers and branches"
    );
    let types: BTreeSet<&str> = of(ResourceKind::Connections)
        .filter_map(|connection| connection["type"].as_str())
        .collect();
    for wanted in ["http", "rest", "netsuite", "ftp", "salesforce"] {
        assert!(types.contains(wanted), "a `{wanted}` connection (have {types:?})");
    }
    let adaptors = |kind| -> BTreeSet<String> {
        of(kind).filter_map(|step| step["adaptorType"].as_str().map(str::to_owned)).collect()
    };
    assert!(
        adaptors(ResourceKind::Exports).len() >= 3,
        "export adaptors: {:?}",
        adaptors(ResourceKind::Exports)
    );
    assert!(
        adaptors(ResourceKind::Imports).len() >= 4,
        "import adaptors: {:?}",
        adaptors(ResourceKind::Imports)
    );
    assert!(
        of(ResourceKind::Imports).any(|import| import["mapping"]["fields"].is_array()),
        "a v1 mapping"
    );
    assert!(
        of(ResourceKind::Imports).any(|import| import["mapping"]["lists"].is_array()),
        "v1 mapping lists"
    );
    assert!(of(ResourceKind::Integrations).count() >= 5 && of(ResourceKind::Scripts).count() >= 2);
    // The kinds flowform finds by name (issue 16): agents and stacks, with a masked stack token.
    assert!(of(ResourceKind::Agents).count() >= 2, "on-premise agents");
    assert!(
        of(ResourceKind::Stacks).any(|stack| stack["server"]["systemToken"] == json!("******")),
        "a server stack with its masked token"
    );
}

#[test]
fn the_corpus_readme_names_where_every_document_came_from() {
    let readme =
        fs_err::read_to_string(corpus_root().join("README.md")).expect("the corpus README");
    for source in corpus() {
        for document in &source.documents {
            let relative =
                format!("{}/{}/{}.json", source.name, document.kind.collection(), document.id);
            let line = readme.lines().find(|line| line.contains(&relative));
            let line = line.unwrap_or_else(|| panic!("the README does not name `{relative}`"));
            assert!(
                line.contains('@') || line.contains("file id"),
                "`{relative}` has no commit: {line}"
            );
        }
    }
}
