//! Stage 2: reading and parsing the files, in parallel for larger specs, keeping their order.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::discover;
use crate::source::SourceFile;
use crate::yaml::{self, Node};

/// One file, read and parsed.
pub(crate) struct ParsedFile {
    pub source: SourceFile,
    pub root: Option<Node>,
}

/// Reads and parses one file; its problems go to `diagnostics`.
pub(crate) fn parse_file(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<ParsedFile> {
    match discover::read(path) {
        Ok(source) => {
            let (root, problems) = yaml::parse(&source);
            diagnostics.extend(problems);
            Some(ParsedFile { source, root })
        }
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// Reads and parses the files, on as many threads as there are cores (at most 8, and only for
/// specs of more than a few files); the result and the diagnostics keep the files' order.
pub(crate) fn parse_files(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Vec<ParsedFile> {
    const FILES_PER_THREAD: usize = 8;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8)
        .min(paths.len() / FILES_PER_THREAD)
        .max(1);
    let parse_chunk = |chunk: &[PathBuf]| {
        let mut problems = Vec::new();
        let parsed: Vec<ParsedFile> =
            chunk.iter().filter_map(|path| parse_file(path, &mut problems)).collect();
        (parsed, problems)
    };
    let results: Vec<(Vec<ParsedFile>, Vec<Diagnostic>)> = if threads == 1 {
        vec![parse_chunk(paths)]
    } else {
        let chunk_size = paths.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = paths
                .chunks(chunk_size)
                .map(|chunk| scope.spawn(move || parse_chunk(chunk)))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    let mut files = Vec::with_capacity(paths.len());
    for (parsed, problems) in results {
        files.extend(parsed);
        diagnostics.extend(problems);
    }
    files
}
