//! A script's `contentFile`: JavaScript read from a file beside the YAML, confined to the spec
//! root (no `..` escape, no absolute path, no symlink leading out).

use std::io::Read;
use std::path::{Component, Path};

use crate::diagnostic::{Code, Diagnostic};
use crate::discover::{absolute, normalize};
use crate::limits::MAX_CONTENT_FILE_BYTES;
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

/// Reads the file `node` names, relative to the YAML file.
#[expect(clippy::result_large_err, reason = "called once per script; the error is built once")]
pub(crate) fn read(root: &Root, file: &SourceFile, node: &Node) -> Result<String, Diagnostic> {
    let error = |message: String| Diagnostic::error(Code::ContentFile, file, node.span, message);
    let text = match &node.value {
        NodeValue::Scalar(scalar) if scalar.tag.is_none() && !is_null(node) => scalar.text.as_str(),
        _ => {
            return Err(error(
                "`contentFile` must be a path, such as `scripts/transform.js`".into(),
            ));
        }
    };
    let relative = Path::new(text);
    if relative.has_root() || relative.components().any(|c| matches!(c, Component::Prefix(_))) {
        return Err(error(format!("`contentFile` `{text}` is an absolute path"))
            .with_label("absolute path")
            .with_help("write a path relative to this YAML file that stays inside the spec root"));
    }
    let yaml_directory = absolute(&file.path);
    let yaml_directory = yaml_directory.parent().unwrap_or(Path::new("/"));
    let target = normalize(&yaml_directory.join(relative));
    if !target.starts_with(&root.absolute) {
        return Err(error(format!(
            "`contentFile` `{text}` escapes the spec root `{}` by `..`",
            root.absolute.display()
        ))
        .with_label("outside the spec root")
        .with_help("keep script files inside the spec root, next to the YAML"));
    }
    let metadata = fs_err::metadata(&target).map_err(|io| {
        error(format!("cannot read `contentFile` `{text}`: {}", os_message(&io)))
            .with_help(format!("the path is relative to `{}`", file.path.display()))
    })?;
    if let (Ok(canonical), Some(canonical_root)) = (fs_err::canonicalize(&target), &root.canonical)
        && !canonical.starts_with(canonical_root)
    {
        return Err(error(format!(
            "`contentFile` `{text}` is a symlink that leads outside the spec root"
        ))
        .with_label("symlink out of the spec root")
        .with_help("copy the script into the spec root instead of linking to it"));
    }
    if !metadata.is_file() {
        return Err(error(format!("`contentFile` `{text}` is not a file")));
    }
    if metadata.len() > MAX_CONTENT_FILE_BYTES {
        return Err(error(format!(
            "`contentFile` `{text}` is {} bytes, over the limit of {MAX_CONTENT_FILE_BYTES} bytes \
             (4 MiB) for a script",
            metadata.len()
        )));
    }
    let mut bytes = Vec::new();
    fs_err::File::open(&target)
        .and_then(|opened| opened.take(MAX_CONTENT_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|io| error(format!("cannot read `contentFile` `{text}`: {}", os_message(&io))))?;
    if bytes.len() as u64 > MAX_CONTENT_FILE_BYTES {
        return Err(error(format!(
            "`contentFile` `{text}` is over the limit of {MAX_CONTENT_FILE_BYTES} bytes (4 MiB) \
             for a script"
        )));
    }
    String::from_utf8(bytes).map_err(|utf8| {
        error(format!(
            "`contentFile` `{text}` is not UTF-8: invalid byte at offset {}",
            utf8.utf8_error().valid_up_to()
        ))
        .with_help("save the script as UTF-8")
    })
}

fn os_message(error: &std::io::Error) -> String {
    match error.get_ref().and_then(|inner| inner.source()) {
        Some(source) => source.to_string(),
        None => match error.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            _ => error.to_string(),
        },
    }
}
