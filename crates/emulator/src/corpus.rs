//! The conformance corpus: real `GET` documents from public sources, kept as data under
//! `tests/corpus/` at the repository root (its README names where every document came from).
//!
//! Layout: `<root>/<source>/<collection>/<_id>.json`, one document per file, exactly as the
//! service returned it (masks included). A source is one public origin whose ids are consistent,
//! so its documents reference each other; each source is meant to be loaded into its own account
//! with [`crate::Admin::load_raw`] (`POST /admin/raw`), which stores them as they are.
//!
//! ```no_run
//! # async fn example(handle: &flowform_emulator::EmulatorHandle) {
//! let sources = flowform_emulator::read_corpus("tests/corpus".as_ref()).unwrap();
//! for source in &sources {
//!     handle.admin().reset();
//!     handle.admin().load_raw(&source.raw_documents()).unwrap();
//!     // … pull, plan, apply against the account …
//! }
//! # }
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::CorpusError;
use crate::kinds::ResourceKind;
use crate::util::is_object_id;

/// One source of the corpus: its folder name and its documents.
#[derive(Debug, Clone)]
pub struct CorpusSource {
    /// The folder name, e.g. `gcarbone-celigo-cli`.
    pub name: String,
    /// The documents, ordered by collection (creation order) then file name.
    pub documents: Vec<CorpusDocument>,
}

/// One document of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusDocument {
    /// Its collection.
    pub kind: ResourceKind,
    /// Its `_id`.
    pub id: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// The document as the service returned it.
    pub document: Value,
}

impl CorpusSource {
    /// The documents in the shape [`crate::Admin::load_raw`] takes: `{"flows":[…], …}`.
    pub fn raw_documents(&self) -> Value {
        let mut collections = Map::new();
        for document in &self.documents {
            let entry = collections
                .entry(document.kind.collection().to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(document.document.clone());
            }
        }
        Value::Object(collections)
    }

    /// How many documents of `kind` the source holds.
    pub fn count(&self, kind: ResourceKind) -> usize {
        self.documents.iter().filter(|document| document.kind == kind).count()
    }
}

/// Reads every source under `root` (folders in name order; files not ending in `.json`, such
/// as the README, are ignored).
pub fn read_corpus(root: &Path) -> Result<Vec<CorpusSource>, CorpusError> {
    let mut sources = Vec::new();
    for source_path in sorted_entries(root)? {
        if !source_path.is_dir() {
            continue;
        }
        let name = file_name(&source_path);
        let mut documents = Vec::new();
        for collection_path in sorted_entries(&source_path)? {
            if !collection_path.is_dir() {
                continue;
            }
            let collection = file_name(&collection_path);
            let kind =
                ResourceKind::from_collection(&collection).ok_or_else(|| CorpusError::Layout {
                    path: collection_path.clone(),
                    reason: format!(
                        "`{collection}` is not a collection; use one of {}",
                        ResourceKind::ALL
                            .iter()
                            .map(|kind| kind.collection())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?;
            for path in sorted_entries(&collection_path)? {
                if path.extension().and_then(|extension| extension.to_str()) != Some("json") {
                    continue;
                }
                documents.push(read_document(kind, path)?);
            }
        }
        documents.sort_by_key(|document| {
            (ResourceKind::ALL.iter().position(|kind| *kind == document.kind), document.id.clone())
        });
        sources.push(CorpusSource { name, documents });
    }
    Ok(sources)
}

fn read_document(kind: ResourceKind, path: PathBuf) -> Result<CorpusDocument, CorpusError> {
    let text = fs_err::read_to_string(&path)
        .map_err(|source| CorpusError::Io { path: path.clone(), source })?;
    let document: Value = serde_json::from_str(&text)
        .map_err(|source| CorpusError::Json { path: path.clone(), source })?;
    let layout = |reason: String| CorpusError::Layout { path: path.clone(), reason };
    let id = document
        .get("_id")
        .and_then(Value::as_str)
        .filter(|id| is_object_id(id))
        .ok_or_else(|| layout("a corpus document is an object with a 24-hex `_id`".to_owned()))?
        .to_owned();
    let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    if stem != id {
        return Err(layout(format!("the file of document `{id}` must be named `{id}.json`")));
    }
    Ok(CorpusDocument { kind, id, path, document })
}

fn sorted_entries(directory: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    let io = |source| CorpusError::Io { path: directory.to_path_buf(), source };
    let mut paths = Vec::new();
    for entry in fs_err::read_dir(directory).map_err(io)? {
        paths.push(entry.map_err(io)?.path());
    }
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}
