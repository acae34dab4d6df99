//! Writing the pulled files to the output folder.
//!
//! A new or empty folder is filled through a temporary folder beside it, renamed into place once
//! every file is written, so an interrupted pull leaves no half-written folder. Into a folder
//! that already holds files (only with `force`), each file is written to a temporary file in its
//! own directory and renamed over the old one, so no file is ever half-written; then the spec
//! files of an earlier pull that this pull did not write are removed, so that a resource gone
//! from the account does not linger in the spec. "Spec files" are the files flowform reads:
//! `*.yaml` and `*.yml` outside `environments/` and dot-folders, plus `scripts/*.js`, lookup
//! caches' `data/*.json` and the top `README.md`; everything else (environment files,
//! `.flowform/`, `.git/`, other files) is kept. A lookup cache's data is copied from where
//! `pull` staged it, as a stream.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use crate::Pulled;
use crate::error::WriteError;

/// What [`write()`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// Files written, relative to the output folder, in path order.
    pub files: Vec<PathBuf>,
    /// Spec files of an earlier pull removed (with `force` only), relative to the output folder.
    pub removed: Vec<PathBuf>,
    /// Errors `flowform validate` reports on the written folder, for the CLI to show. Pulled
    /// files hold what the account holds, and the spec checks some rules the API does not (a
    /// schedule needs a timezone, for instance); these say what to fix before `plan`.
    pub diagnostics: Vec<flowform_spec::Diagnostic>,
}

/// Writes the pulled files into `out`, then validates the folder offline (see
/// [`Written::diagnostics`]). Refuses a folder that holds anything unless `force`.
pub fn write(pulled: &Pulled, out: &Path, force: bool) -> Result<Written, WriteError> {
    let mut written = write_files(pulled, out, force)?;
    let loaded = flowform_spec::load(&flowform_spec::LoadOptions {
        paths: vec![out.to_path_buf()],
        env: None,
        vars: Vec::new(),
        secrets: flowform_spec::SecretPolicy::Offline,
        environment: flowform_spec::ProcessEnvironment::Fixed(Default::default()),
        ..flowform_spec::LoadOptions::default()
    });
    written.diagnostics =
        loaded.diagnostics.into_iter().filter(flowform_spec::Diagnostic::is_error).collect();
    Ok(written)
}

fn write_files(pulled: &Pulled, out: &Path, force: bool) -> Result<Written, WriteError> {
    for path in pulled.files.keys().chain(pulled.data_files.iter().map(|data| &data.path)) {
        let plain = path.components().all(|component| matches!(component, Component::Normal(_)));
        if !plain || path.as_os_str().is_empty() {
            return Err(WriteError::UnsafePath { path: path.clone() });
        }
    }
    let entries = match fs_err::metadata(out) {
        Ok(metadata) if !metadata.is_dir() => {
            return Err(WriteError::NotADirectory { path: out.to_path_buf() });
        }
        Ok(_) => {
            let mut names: Vec<String> = fs_err::read_dir(out)
                .map_err(WriteError::Io)?
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(WriteError::Io(error)),
    };
    let mut files: Vec<PathBuf> = pulled.files.keys().cloned().collect();
    files.extend(pulled.data_files.iter().map(|data| data.path.clone()));
    files.sort();
    if entries.is_empty() {
        write_fresh(pulled, out)?;
        return Ok(Written { files, ..Written::default() });
    }
    if !force {
        let mut shown: Vec<String> =
            entries.iter().take(5).map(|name| format!("`{name}`")).collect();
        if entries.len() > 5 {
            shown.push(format!("and {} more", entries.len() - 5));
        }
        return Err(WriteError::NotEmpty { path: out.to_path_buf(), entries: shown.join(", ") });
    }
    for (relative, text) in &pulled.files {
        write_file(&out.join(relative), text)?;
    }
    for data in &pulled.data_files {
        copy_file(&data.staged, &out.join(&data.path))?;
    }
    let mut removed = Vec::new();
    for stale in spec_files(out)? {
        let relative =
            stale.strip_prefix(out).map(Path::to_path_buf).unwrap_or_else(|_| stale.clone());
        if !pulled.files.contains_key(&relative)
            && !pulled.data_files.iter().any(|data| data.path == relative)
        {
            fs_err::remove_file(&stale).map_err(WriteError::Io)?;
            remove_empty_parents(out, &stale);
            removed.push(relative);
        }
    }
    removed.sort();
    Ok(Written { files, removed, diagnostics: Vec::new() })
}

/// Fills a new (or empty) folder through a temporary sibling renamed into place.
fn write_fresh(pulled: &Pulled, out: &Path) -> Result<(), WriteError> {
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs_err::create_dir_all(&parent).map_err(WriteError::Io)?;
    let staging = tempfile::Builder::new()
        .prefix(".flowform-pull-")
        .tempdir_in(&parent)
        .map_err(|error| WriteError::Io(annotate(error, &parent)))?;
    for (relative, text) in &pulled.files {
        let path = staging.path().join(relative);
        if let Some(directory) = path.parent() {
            fs_err::create_dir_all(directory).map_err(WriteError::Io)?;
        }
        fs_err::write(&path, text).map_err(WriteError::Io)?;
    }
    for data in &pulled.data_files {
        let path = staging.path().join(&data.path);
        if let Some(directory) = path.parent() {
            fs_err::create_dir_all(directory).map_err(WriteError::Io)?;
        }
        fs_err::copy(&data.staged, &path).map_err(WriteError::Io)?;
    }
    if out.exists() {
        // Empty (checked by the caller): make room for the rename.
        fs_err::remove_dir(out).map_err(WriteError::Io)?;
    }
    let staged = staging.keep();
    if let Err(error) = fs_err::rename(&staged, out) {
        let _ = fs_err::remove_dir_all(&staged);
        return Err(WriteError::Io(error));
    }
    Ok(())
}

/// Writes one file through a temporary file in its directory and a rename.
fn write_file(path: &Path, text: &str) -> Result<(), WriteError> {
    replace_file(path, |temporary| temporary.write_all(text.as_bytes()))
}

/// Copies a staged file through a temporary file in the target's directory and a rename.
fn copy_file(source: &Path, path: &Path) -> Result<(), WriteError> {
    let mut staged = fs_err::File::open(source).map_err(WriteError::Io)?;
    replace_file(path, |temporary| std::io::copy(&mut staged, temporary).map(drop))
}

/// Makes `path` hold what `fill` writes, through a temporary file in its directory and a
/// rename, so a reader never sees a half-written file.
fn replace_file(
    path: &Path,
    fill: impl FnOnce(&mut tempfile::NamedTempFile) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let directory = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(directory).map_err(WriteError::Io)?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".flowform-pull-")
        .tempfile_in(directory)
        .map_err(|error| WriteError::Io(annotate(error, directory)))?;
    fill(&mut temporary).map_err(|error| WriteError::Io(annotate(error, path)))?;
    temporary.persist(path).map_err(|error| WriteError::Io(annotate(error.error, path)))?;
    Ok(())
}

/// An IO error that names the path, the way `fs_err` does.
fn annotate(error: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(error.kind(), format!("{error} (at `{}`)", path.display()))
}

/// The spec files under `out` an earlier pull may have written.
fn spec_files(out: &Path) -> Result<Vec<PathBuf>, WriteError> {
    let mut found = Vec::new();
    let readme = out.join("README.md");
    if readme.is_file() {
        found.push(readme);
    }
    let mut pending = vec![out.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in fs_err::read_dir(&directory).map_err(WriteError::Io)? {
            let entry = entry.map_err(WriteError::Io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let file_type = entry.file_type().map_err(WriteError::Io)?;
            let path = entry.path();
            if file_type.is_dir() {
                if !name.starts_with('.') && name != "environments" {
                    pending.push(path);
                }
                continue;
            }
            if !file_type.is_file() {
                continue;
            }
            let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            let is_script = name.ends_with(".js")
                && directory.file_name().is_some_and(|parent| parent == "scripts");
            let is_data = name.ends_with(".json")
                && directory.file_name().is_some_and(|parent| parent == "data");
            if is_yaml || is_script || is_data {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Removes the directories a removed file leaves empty, up to (not including) `out`.
fn remove_empty_parents(out: &Path, file: &Path) {
    let mut current = file.parent();
    while let Some(directory) = current {
        if directory == out || !directory.starts_with(out) {
            break;
        }
        // Only empty directories can be removed; a failure means it still holds something.
        if fs_err::remove_dir(directory).is_err() {
            break;
        }
        current = directory.parent();
    }
}
