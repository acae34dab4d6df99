//! One spec file's text, shared by every diagnostic that points into it, with the offset
//! arithmetic between the parser's character positions and miette's byte spans.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

/// How many characters lie between two checkpoints of the character-to-byte table.
const CHECKPOINT_EVERY: usize = 64;

/// A byte range inside one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span { start, end: end.max(start) }
    }

    pub(crate) fn len(self) -> usize {
        self.end - self.start
    }
}

/// The text of one file plus what is needed to turn positions into spans and back.
pub(crate) struct SourceFile {
    /// The path as the user gave it or as directory discovery found it.
    pub path: PathBuf,
    /// The file's text (the string as read, shared without a copy).
    pub text: Arc<String>,
    /// The text wrapped for miette, named after `path`.
    pub named: NamedSource<Arc<String>>,
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
    /// Byte offset of every `CHECKPOINT_EVERY`-th character; empty for ASCII text, where
    /// characters and bytes coincide.
    char_checkpoints: Vec<usize>,
}

impl SourceFile {
    pub(crate) fn new(path: &Path, text: String) -> SourceFile {
        let text = Arc::new(text);
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(&text));
        let char_checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .enumerate()
                .filter(|(position, _)| position % CHECKPOINT_EVERY == 0)
                .map(|(_, (byte, _))| byte)
                .collect()
        };
        let named = NamedSource::new(path.display().to_string(), Arc::clone(&text));
        SourceFile { path: path.to_path_buf(), text, named, line_starts, char_checkpoints }
    }

    /// The byte offset of the character at `char_index`, clamped to the end of the text.
    pub(crate) fn byte_of_char(&self, char_index: usize) -> usize {
        if self.char_checkpoints.is_empty() {
            return char_index.min(self.text.len());
        }
        let checkpoint = char_index / CHECKPOINT_EVERY;
        let Some(&start) = self.char_checkpoints.get(checkpoint) else {
            return self.text.len();
        };
        let skip = char_index % CHECKPOINT_EVERY;
        self.text[start..]
            .char_indices()
            .nth(skip)
            .map_or(self.text.len(), |(byte, _)| start + byte)
    }

    /// The 1-based line and 1-based column (in characters) of a byte offset.
    pub(crate) fn line_column(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&byte) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        let line_start = self.line_starts[line_index];
        let column = if self.char_checkpoints.is_empty() {
            // ASCII text: characters are bytes.
            byte - line_start
        } else {
            self.text.get(line_start..byte).map_or(byte - line_start, |s| s.chars().count())
        };
        (line_index + 1, column + 1)
    }

    /// The text of the 1-based line holding `byte`, without its line break.
    pub(crate) fn line_text(&self, byte: usize) -> &str {
        let (line, _) = self.line_column(byte);
        let start = self.line_starts[line - 1];
        let end = self.line_starts.get(line).copied().unwrap_or(self.text.len());
        self.text.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }

    /// The byte offset where the line holding `byte` starts.
    pub(crate) fn line_start(&self, byte: usize) -> usize {
        let (line, _) = self.line_column(byte);
        self.line_starts[line - 1]
    }

    /// The source text of a span, if the span lies on character boundaries.
    pub(crate) fn slice(&self, span: Span) -> Option<&str> {
        self.text.get(span.start..span.end)
    }
}

/// Byte offsets just after every `\n`.
fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    // `match_indices` of one ASCII character searches a word at a time, not byte by byte.
    text.match_indices('\n').map(|(index, _)| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_ascii_and_unicode_text() {
        let ascii = SourceFile::new(Path::new("a.yaml"), "ab\ncd\n".into());
        assert_eq!(ascii.byte_of_char(4), 4);
        assert_eq!(ascii.line_column(4), (2, 2));
        assert_eq!(ascii.line_text(4), "cd");

        let text = format!("é{}\nzü: x\n", "a".repeat(100));
        let unicode = SourceFile::new(Path::new("u.yaml"), text.clone());
        // Character 102 is the `z` after the line break; `é` takes two bytes.
        assert_eq!(unicode.byte_of_char(102), 103);
        assert_eq!(&text[103..104], "z");
        assert_eq!(unicode.line_column(103), (2, 1));
        assert_eq!(unicode.line_column(104), (2, 2));
        assert_eq!(unicode.byte_of_char(10_000), text.len());
    }
}
