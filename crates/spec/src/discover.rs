//! Finding the spec files under the given paths, the spec root, and reading files within the
//! size limit.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::diagnostic::Diagnostic;
use crate::limits::MAX_FILE_BYTES;
use crate::problems;
use crate::source::{SourceFile, Span};

/// A file to read, and whether it was named on the command line (`-f FILE`, always read as a
/// spec file) or found in a folder (skipped when it has none of the spec's sections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Input {
    pub path: PathBuf,
    pub explicit: bool,
}

/// The files to read, in order, and the spec root.
pub(crate) struct Discovered {
    pub files: Vec<Input>,
    /// The common directory of the inputs, absolute.
    pub root: PathBuf,
}

/// The name of the ignore file at the spec root (gitignore syntax).
pub(crate) const IGNORE_FILE: &str = ".flowformignore";

/// Whether a directory entry is skipped when walking: dot-folders and `environments/`.
fn skip_directory(name: &str) -> bool {
    name.starts_with('.') || name == "environments"
}

fn is_spec_file(path: &Path) -> bool {
    matches!(path.extension().and_then(|extension| extension.to_str()), Some("yaml" | "yml"))
}

/// Reads `.flowformignore` at the spec root, if there is one.
fn ignore_file(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<Gitignore> {
    let path = root.join(IGNORE_FILE);
    if !path.is_file() {
        return None;
    }
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            diagnostics.push(io_error(&path, &error));
            return None;
        }
    };
    let source = SourceFile::new(&path, text);
    let mut builder = GitignoreBuilder::new(root);
    let mut offset = 0;
    for line in source.text.split_inclusive('\n') {
        let pattern = line.trim_end_matches(['\n', '\r']);
        if let Err(error) = builder.add_line(Some(path.clone()), pattern) {
            let span = Span::new(offset, offset + pattern.len());
            diagnostics.push(problems::invalid_ignore_pattern(&source, span, &error.to_string()));
        }
        offset += line.len();
    }
    match builder.build() {
        Ok(ignore) => Some(ignore),
        Err(error) => {
            diagnostics.push(problems::unreadable_path(&path, Some(&error.to_string())));
            None
        }
    }
}

/// Walks the inputs. Directories are walked with an explicit stack (no recursion) and without
/// following directory symlinks, so a symlink loop cannot trap the walk. Paths that the spec
/// root's `.flowformignore` matches are left out of folders; a file named explicitly is read
/// whatever it says.
pub(crate) fn discover(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Discovered {
    let mut inputs: Vec<(PathBuf, bool)> = Vec::new();
    let mut bases = Vec::new();
    for path in paths {
        match fs_err::metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                bases.push(path.clone());
                inputs.push((path.clone(), true));
            }
            Ok(_) => {
                // `a.yaml` has the parent `` (empty), which means the current directory.
                let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty());
                bases.push(parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf));
                inputs.push((path.clone(), false));
            }
            Err(error) => diagnostics.push(io_error(path, &error)),
        }
    }
    let root = common_ancestor(bases.iter().map(|base| absolute(base)))
        .unwrap_or_else(|| absolute(Path::new(".")));
    let ignore = inputs
        .iter()
        .any(|(_, directory)| *directory)
        .then(|| ignore_file(&root, diagnostics))
        .flatten();
    let mut files = Vec::new();
    for (path, directory) in inputs {
        if directory {
            let before = files.len();
            walk(&path, ignore.as_ref(), &mut files, diagnostics);
            if files.len() == before {
                diagnostics.push(problems::no_spec_files(&path));
            }
            files[before..].sort_by(|a, b| a.path.cmp(&b.path));
        } else {
            files.push(Input { path, explicit: true });
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| seen.insert(absolute(&file.path)));
    Discovered { files, root }
}

fn ignored(ignore: Option<&Gitignore>, path: &Path, is_directory: bool) -> bool {
    ignore.is_some_and(|ignore| {
        ignore.matched_path_or_any_parents(absolute(path), is_directory).is_ignore()
    })
}

fn walk(
    directory: &Path,
    ignore: Option<&Gitignore>,
    files: &mut Vec<Input>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut pending = vec![directory.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match fs_err::read_dir(&current) {
            Ok(entries) => entries,
            Err(error) => {
                diagnostics.push(io_error(&current, &error));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    diagnostics.push(io_error(&current, &error));
                    continue;
                }
            };
            let path = entry.path();
            // `./a.yaml` reads better as `a.yaml` in messages.
            let path = path.strip_prefix(".").map_or(path.clone(), Path::to_path_buf);
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if file_type.is_dir() {
                if !skip_directory(&name) && !ignored(ignore, &path, true) {
                    pending.push(path);
                }
            } else if is_spec_file(&path) && !name.starts_with('.') {
                // A symlink to a file is read like the file; a symlink to a directory is not
                // followed (its `file_type` is a symlink, not a directory).
                if (file_type.is_file() || path.is_file()) && !ignored(ignore, &path, false) {
                    files.push(Input { path, explicit: false });
                }
            }
        }
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> Diagnostic {
    match error.kind() {
        std::io::ErrorKind::NotFound => problems::unreadable_path(path, None),
        _ => problems::unreadable_path(path, Some(&error_text(error))),
    }
}

/// The OS message of an error, without fs_err's path prefix (our messages name the path).
fn error_text(error: &std::io::Error) -> String {
    match error.get_ref().and_then(|inner| inner.source()) {
        Some(source) => source.to_string(),
        None => error.to_string(),
    }
}

/// The path made absolute against the current directory, without touching the file system.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    normalize(&joined)
}

/// Removes `.` and resolves `..` lexically.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    normal.push("..");
                }
            }
            other => normal.push(other.as_os_str()),
        }
    }
    normal
}

fn common_ancestor(mut paths: impl Iterator<Item = PathBuf>) -> Option<PathBuf> {
    let mut common = paths.next()?;
    for path in paths {
        while !path.starts_with(&common) {
            if !common.pop() {
                return None;
            }
        }
    }
    Some(common)
}

/// Reads a spec file: within [`MAX_FILE_BYTES`], and UTF-8.
#[expect(clippy::result_large_err, reason = "called once per file; the error is built once")]
pub(crate) fn read(path: &Path) -> Result<SourceFile, Diagnostic> {
    let file = fs_err::File::open(path).map_err(|error| io_error(path, &error))?;
    // Sized from the file's length (the limit's worth at most), so the text is read without
    // growing the buffer; a file that grew meanwhile is still read to its end.
    let expected = file.metadata().map_or(0, |metadata| metadata.len()).min(MAX_FILE_BYTES);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0) + 1);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| io_error(path, &error))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(problems::file_too_large(path));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            // Show the file with the bad bytes replaced, so the snippet can point at them.
            let shown = String::from_utf8_lossy(&bytes[..valid_up_to]).into_owned()
                + &String::from_utf8_lossy(&bytes[valid_up_to..]);
            let source = SourceFile::new(path, shown);
            let bad = source.text[valid_up_to..].chars().next().map_or(0, char::len_utf8);
            Err(problems::not_utf8(&source, Span::new(valid_up_to, valid_up_to + bad), valid_up_to))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_rooted_in_the_current_directory() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("a.yaml");
        fs_err::write(&file, "flows: {}").unwrap();
        let discovered = discover(std::slice::from_ref(&file), &mut Vec::new());
        assert_eq!(discovered.files, [Input { path: file, explicit: true }]);
        assert_eq!(discovered.root, absolute(directory.path()));
        assert!(absolute(Path::new("")).is_absolute());
        assert_eq!(absolute(Path::new("")), absolute(Path::new(".")));
    }

    #[test]
    fn paths() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
        assert_eq!(
            common_ancestor(
                [
                    PathBuf::from("/w/spec/a"),
                    PathBuf::from("/w/spec/b/c"),
                    PathBuf::from("/w/spec")
                ]
                .into_iter()
            ),
            Some(PathBuf::from("/w/spec"))
        );
    }
}
