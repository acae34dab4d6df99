//! A lookup cache's `dataFile`: its entries, in a file beside the YAML (confined to the spec
//! root like a script's `contentFile`), `.json` (an object of keys to values) or `.jsonl` (one
//! `{"key", "value"}` per line). The loader reads it once as a stream to check it (every entry
//! a key and a value, no key twice, nothing over the limits of a cache and of one data call) and
//! records what the plan needs: where it is, how many entries, the first keys, a digest. The
//! entries themselves are read again, as a stream, when a plan compares them with the cache.

use std::collections::BTreeSet;
use std::path::Path;

use flowform_model::lookup_data::{
    BYTES_PER_CACHE, BYTES_PER_CALL, DataFile, DataFormat, EntriesDigest, SAMPLE_KEYS, entry_bytes,
    entry_digest, for_each_entry,
};

use crate::content_file::{Root, confined, os_message, path_text};
use crate::diagnostic::{Code, Diagnostic};
use crate::limits::MAX_DATA_FILE_BYTES;
use crate::problems::ContentFileProblem as Problem;
use crate::source::SourceFile;
use crate::yaml::Node;

fn problem(file: &SourceFile, node: &Node, text: &str, problem: Problem<'_>) -> Diagnostic {
    let error = |message: String| Diagnostic::error(Code::DataFile, file, node.span, message);
    match problem {
        Problem::NotAPath => error("`dataFile` must be a path, such as `data/rates.json`".into())
            .with_help("a `.json` file holding one object of keys to values, or a `.jsonl` file of `{\"key\", \"value\"}` lines"),
        Problem::Absolute => error(format!("`dataFile` `{text}` is an absolute path"))
            .with_label("absolute path")
            .with_help("write a path relative to this YAML file that stays inside the spec root"),
        Problem::Escapes(root) => error(format!(
            "`dataFile` `{text}` escapes the spec root `{}` by `..`",
            root.display()
        ))
        .with_label("outside the spec root")
        .with_help("keep data files inside the spec root, next to the YAML"),
        Problem::Unreadable { reason, relative_to } => {
            let diagnostic = error(format!("cannot read `dataFile` `{text}`: {reason}"));
            match relative_to {
                Some(yaml) => {
                    diagnostic.with_help(format!("the path is relative to `{}`", yaml.display()))
                }
                None => diagnostic,
            }
        }
        Problem::SymlinkOut => {
            error(format!("`dataFile` `{text}` is a symlink that leads outside the spec root"))
                .with_label("symlink out of the spec root")
                .with_help("copy the data into the spec root instead of linking to it")
        }
        Problem::NotAFile => error(format!("`dataFile` `{text}` is not a file")),
        Problem::TooLarge(size) => error(format!(
            "`dataFile` `{text}` is {}over the limit of {MAX_DATA_FILE_BYTES} bytes (100 MiB)",
            size.map(|size| format!("{size} bytes, ")).unwrap_or_default()
        ))
        .with_help("a lookup cache holds at most 50 MB"),
        Problem::NotUtf8(offset) => {
            error(format!("`dataFile` `{text}` is not UTF-8: invalid byte at offset {offset}"))
        }
    }
}

/// Reads and checks the data file `node` names; the problems are at `node`, each naming the
/// place in the data file.
#[expect(clippy::result_large_err, reason = "called once per lookup cache")]
pub(crate) fn read(root: &Root, file: &SourceFile, node: &Node) -> Result<DataFile, Diagnostic> {
    let Some(text) = path_text(node) else {
        return Err(problem(file, node, "", Problem::NotAPath));
    };
    let Some(format) = DataFormat::of(Path::new(text)) else {
        return Err(Diagnostic::error(
            Code::DataFile,
            file,
            node.span,
            format!("`dataFile` `{text}` is neither `.json` nor `.jsonl`"),
        )
        .with_help(
            "write the entries as one JSON object of keys to values (`.json`), or one \
             `{\"key\": …, \"value\": …}` per line (`.jsonl`)",
        ));
    };
    let (target, metadata) =
        confined(root, file, text).map_err(|reason| problem(file, node, text, reason))?;
    if metadata.len() > MAX_DATA_FILE_BYTES {
        return Err(problem(file, node, text, Problem::TooLarge(Some(metadata.len()))));
    }
    let opened = fs_err::File::open(&target).map_err(|io| {
        problem(
            file,
            node,
            text,
            Problem::Unreadable { reason: os_message(&io), relative_to: None },
        )
    })?;
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut digest = EntriesDigest::new();
    let mut total: u64 = 0;
    let entries = for_each_entry(
        std::io::Read::take(opened, MAX_DATA_FILE_BYTES + 1),
        format,
        &mut |key, value| {
            if key.is_empty() {
                return Err("a key cannot be empty".to_owned());
            }
            let bytes = entry_bytes(&key, &value);
            if bytes + "{\"data\":[]}".len() > BYTES_PER_CALL {
                return Err(format!(
                    "the entry `{key}` takes {bytes} bytes; one data call carries at most \
                     {BYTES_PER_CALL} bytes, so it cannot be written"
                ));
            }
            total += bytes as u64;
            digest.add(&key, &entry_digest(&value));
            if !keys.insert(key.clone()) {
                return Err(format!("the key `{key}` is written twice"));
            }
            Ok(())
        },
    )
    .map_err(|error| {
        Diagnostic::error(
            Code::DataFile,
            file,
            node.span,
            format!("`dataFile` `{text}` cannot be used: {error}"),
        )
        .with_help(match format {
            DataFormat::Json => "the file holds one JSON object: `{\"key\": value, …}`",
            DataFormat::JsonLines => "each line holds one `{\"key\": \"…\", \"value\": …}`",
        })
    })?;
    if total > BYTES_PER_CACHE {
        return Err(Diagnostic::error(
            Code::DataFile,
            file,
            node.span,
            format!(
                "`dataFile` `{text}` holds {total} bytes of entries; a lookup cache holds at most \
                 {BYTES_PER_CACHE} (50 MB)"
            ),
        )
        .with_help("split the entries over several lookup caches"));
    }
    Ok(DataFile {
        path: target,
        written: text.to_owned(),
        format,
        entries,
        first_keys: keys.into_iter().take(SAMPLE_KEYS).collect(),
        digest: digest.finish(),
    })
}
