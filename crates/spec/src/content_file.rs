//! A script's `contentFile`: JavaScript read from a file beside the YAML, confined to the spec
//! root (no `..` escape, no absolute path, no symlink leading out).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::discover::{absolute, normalize};
use crate::limits::MAX_CONTENT_FILE_BYTES;
use crate::problems::{self, ContentFileProblem as Problem};
use crate::resolve::is_null;
use crate::source::SourceFile;
use crate::yaml::{Node, NodeValue};

/// The spec root, absolute and (when it exists) with symlinks resolved.
pub(crate) struct Root {
    pub absolute: std::path::PathBuf,
    pub canonical: Option<std::path::PathBuf>,
}

impl Root {
    pub(crate) fn new(root: &Path) -> Root {
        Root { absolute: root.to_path_buf(), canonical: fs_err::canonicalize(root).ok() }
    }
}

/// The path a file field (`contentFile`, a lookup cache's `dataFile`) names: its text as written
/// (`None` when the value is not a path), for messages.
pub(crate) fn path_text(node: &Node) -> Option<&str> {
    match &node.value {
        NodeValue::Scalar(scalar) if scalar.tag.is_none() && !is_null(node) => {
            Some(scalar.text.as_str())
        }
        _ => None,
    }
}

/// The file `text` names, relative to the YAML file `file`, when it stays inside the spec root
/// (no absolute path, no `..` out, no symlink out) and is a regular file; with its metadata.
pub(crate) fn confined<'a>(
    root: &'a Root,
    file: &'a SourceFile,
    text: &str,
) -> Result<(PathBuf, std::fs::Metadata), Problem<'a>> {
    let relative = Path::new(text);
    if relative.has_root() || relative.components().any(|c| matches!(c, Component::Prefix(_))) {
        return Err(Problem::Absolute);
    }
    let yaml_directory = absolute(&file.path);
    let yaml_directory = yaml_directory.parent().unwrap_or(Path::new("/"));
    let target = normalize(&yaml_directory.join(relative));
    if !target.starts_with(&root.absolute) {
        return Err(Problem::Escapes(&root.absolute));
    }
    let metadata = fs_err::metadata(&target).map_err(|io| Problem::Unreadable {
        reason: os_message(&io),
        relative_to: Some(&file.path),
    })?;
    if let (Ok(canonical), Some(canonical_root)) = (fs_err::canonicalize(&target), &root.canonical)
        && !canonical.starts_with(canonical_root)
    {
        return Err(Problem::SymlinkOut);
    }
    if !metadata.is_file() {
        return Err(Problem::NotAFile);
    }
    Ok((target, metadata))
}

/// Reads the file `node` names, relative to the YAML file.
#[expect(clippy::result_large_err, reason = "called once per script; the error is built once")]
pub(crate) fn read(root: &Root, file: &SourceFile, node: &Node) -> Result<String, Diagnostic> {
    let Some(text) = path_text(node) else {
        return Err(problems::content_file(file, node.span, "", Problem::NotAPath));
    };
    let problem = |problem: Problem<'_>| problems::content_file(file, node.span, text, problem);
    let (target, metadata) = confined(root, file, text).map_err(problem)?;
    if metadata.len() > MAX_CONTENT_FILE_BYTES {
        return Err(problem(Problem::TooLarge(Some(metadata.len()))));
    }
    let mut bytes = Vec::new();
    fs_err::File::open(&target)
        .and_then(|opened| opened.take(MAX_CONTENT_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|io| {
            problem(Problem::Unreadable { reason: os_message(&io), relative_to: None })
        })?;
    if bytes.len() as u64 > MAX_CONTENT_FILE_BYTES {
        return Err(problem(Problem::TooLarge(None)));
    }
    String::from_utf8(bytes)
        .map_err(|utf8| problem(Problem::NotUtf8(utf8.utf8_error().valid_up_to())))
}

pub(crate) fn os_message(error: &std::io::Error) -> String {
    match error.get_ref().and_then(|inner| inner.source()) {
        Some(source) => source.to_string(),
        None => match error.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            _ => error.to_string(),
        },
    }
}
