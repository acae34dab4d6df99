//! Stage 2: reading and parsing the files, in parallel for larger specs, keeping their order;
//! and telling spec files from the other YAML a folder holds.

use std::path::Path;

use flowform_model::Kind;

use super::parallel;
use crate::diagnostic::Diagnostic;
use crate::discover::{self, Input};
use crate::problems::SECTIONS;
use crate::source::SourceFile;
use crate::suggest::closest;
use crate::yaml::{self, Node, NodeValue};

/// One file, read and parsed.
pub(crate) struct ParsedFile {
    pub source: SourceFile,
    pub root: Option<Node>,
    /// Named with `-f FILE` rather than found in a folder.
    pub explicit: bool,
    /// What parsing found wrong, kept with the file until it is known to be a spec file.
    pub problems: Vec<Diagnostic>,
}

impl ParsedFile {
    /// Whether this file is part of the spec. A file named with `-f` always is. A file found in
    /// a folder is when its top-level keys include a spec section or something that reads like
    /// a misspelt one (`flow:`, `conections:`), or, when it is not a mapping that can be read,
    /// when a line of it starts with a section; any other YAML (`docker-compose.yml`, CI
    /// configuration, an empty file) is skipped.
    pub(crate) fn is_spec(&self) -> bool {
        if self.explicit {
            return true;
        }
        // `data:` is a section only when it reads as one (a Kubernetes ConfigMap has a `data:`
        // of its own); the other names count as soon as they are there, or nearly.
        let looks_like_a_section = |key: &str, value: &Node| {
            if key == "data" {
                return crate::lookups::looks_like_the_section(value);
            }
            SECTIONS.contains(&key)
                || Kind::from_singular(key).is_some()
                || closest(key, SECTIONS).iter().any(|close| *close != "data")
        };
        match self.root.as_ref().map(|root| &root.value) {
            Some(NodeValue::Mapping(entries)) if !entries.is_empty() => {
                entries.iter().any(|entry| looks_like_a_section(&entry.key, &entry.value))
            }
            _ => self.source.text.lines().any(|line| {
                line.split_once(':').is_some_and(|(key, _)| {
                    !key.starts_with([' ', '\t', '#', '-'])
                        && key.trim_end() != "data"
                        && SECTIONS.contains(&key.trim_end())
                })
            }),
        }
    }
}

/// Reads and parses one file. A file that cannot be read is reported in `diagnostics`; the
/// problems of one that parses stay with it.
pub(crate) fn parse_file(
    path: &Path,
    explicit: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ParsedFile> {
    match discover::read(path) {
        Ok(source) => {
            let (root, problems) = yaml::parse(&source);
            Some(ParsedFile { source, root, explicit, problems })
        }
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// Reads and parses the files, on up to `threads` threads (only for specs of more than a few
/// files), each thread taking the next file not yet taken; the result and the diagnostics keep
/// the files' order.
pub(crate) fn parse_files(
    paths: &[Input],
    threads: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ParsedFile> {
    const FILES_PER_THREAD: usize = 8;
    let threads = threads.min(paths.len() / FILES_PER_THREAD).max(1);
    let results = parallel::in_order(paths, 1, threads, |inputs| {
        let mut problems = Vec::new();
        let parsed: Vec<ParsedFile> = inputs
            .iter()
            .filter_map(|input| parse_file(&input.path, input.explicit, &mut problems))
            .collect();
        (parsed, problems)
    });
    let mut files = Vec::with_capacity(paths.len());
    for (parsed, problems) in results {
        files.extend(parsed);
        diagnostics.extend(problems);
    }
    files
}
