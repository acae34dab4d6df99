//! A YAML loader that builds a spanned node tree from saphyr-parser's event stream.
//!
//! Writing the tree builder ourselves (instead of deserialising with serde) gives every node,
//! however deep, a byte span, and puts the hostile-input guarantees in our hands: nesting is
//! bounded by [`MAX_DEPTH`], aliases by an expansion budget, the whole file by a node count,
//! duplicate mapping keys are reported instead of silently overwritten, and nothing here
//! recurses (the builder keeps its own stack).
//!
//! Block-style files, most of a spec, are first offered to [`block`], a line reader that
//! builds the same tree much faster or declines (then saphyr reads the file as before).

use std::collections::HashMap;

mod block;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use crate::diagnostic::Diagnostic;
use crate::limits::{MAX_ALIAS_EXPANSION_NODES, MAX_DEPTH, MAX_NODES_PER_FILE};
use crate::problems;
use crate::source::{SourceFile, Span};

/// How a scalar was written, which decides how its text is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Unquoted: typed by the YAML 1.2 core schema (null, bool, number, else string).
    Plain,
    /// Single- or double-quoted: always a string.
    Quoted,
    /// A literal (`|`) or folded (`>`) block: always a string.
    Block,
}

/// A scalar's text as written (after YAML unescaping), before typing.
#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    pub text: String,
    pub style: Style,
    /// The tag, if one was written (`!!str`, `!custom`); boxed, since few scalars have one
    /// and every node is as large as a scalar.
    pub tag: Option<Box<NodeTag>>,
}

/// A YAML tag as written, normalised so core-schema tags read `!!suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeTag {
    /// `!!str`, `!custom`, `!` (non-specific) or a full tag URI.
    pub text: String,
}

impl NodeTag {
    fn from_parser(tag: &Tag) -> NodeTag {
        let text = if tag.is_yaml_core_schema() {
            format!("!!{}", tag.suffix)
        } else if tag.handle.is_empty() && tag.suffix == "!" {
            "!".to_owned()
        } else if tag.handle == "!" {
            format!("!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        NodeTag { text }
    }

    /// The core-schema suffix (`str` for `!!str`), if this is a core-schema tag.
    pub(crate) fn core(&self) -> Option<&str> {
        self.text.strip_prefix("!!")
    }
}

/// One node of the tree.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: NodeValue,
    /// For scalars the scalar text (with quotes); for collections the opening position up to
    /// the close, or just the opening position for block collections.
    pub span: Span,
}

// Every value of a spec is a node, so their size is most of the tree's memory.
const _: () = assert!(std::mem::size_of::<Node>() <= 56);

/// What a node holds.
#[derive(Debug, Clone)]
pub(crate) enum NodeValue {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// A mapping entry. Keys are always scalars (anything else is reported and dropped).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The key text.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    /// The entries, if this is a mapping.
    pub(crate) fn as_mapping(&self) -> Option<&[Entry]> {
        match &self.value {
            NodeValue::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The scalar, if this is one.
    pub(crate) fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            NodeValue::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// Whether this is a plain scalar meaning null (`~`, `null`, or nothing).
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar(scalar)
            if scalar.style == Style::Plain && scalar.tag.is_none() && is_null_text(&scalar.text))
    }

    /// The entry for `key`, if this is a mapping that has it.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.as_mapping()?.iter().find(|entry| entry.key == key)
    }

    /// A word for the node's type, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Scalar(_) if self.is_null() => "null",
            NodeValue::Scalar(_) => "a scalar",
            NodeValue::Sequence(_) => "a sequence",
            NodeValue::Mapping(_) => "a mapping",
        }
    }
}

/// The YAML 1.2 core schema's null forms.
pub(crate) fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A node under construction: an open collection on the builder's stack.
struct Frame {
    start: Span,
    anchor: usize,
    /// Nodes inside this collection so far, itself included.
    node_count: usize,
    /// Height of the tallest child subtree.
    child_height: usize,
    /// Where this collection's children start on the builder's `items` (a sequence) or
    /// `entries` (a mapping) stack: children gather there and move into a vector of exactly
    /// their number when the collection closes.
    first: usize,
    kind: FrameKind,
}

enum FrameKind {
    Sequence,
    Mapping {
        /// The key read and waiting for its value (`None` text when the key was unusable).
        pending_key: Option<(Option<String>, Span)>,
        /// Where each key was first written, to report duplicates; built only for mappings
        /// of more than [`SCAN_KEYS_UP_TO`] entries (smaller ones are scanned).
        seen: Option<HashMap<String, Span>>,
    },
}

/// Up to how many entries a mapping's keys are compared one by one to find a duplicate.
const SCAN_KEYS_UP_TO: usize = 16;

/// A finished subtree with its size, as stored for anchors.
struct Anchored {
    node: Node,
    node_count: usize,
    height: usize,
}

/// Why the builder stopped reading the file.
struct Fatal(Box<Diagnostic>);

fn fatal(diagnostic: Diagnostic) -> Fatal {
    Fatal(Box::new(diagnostic))
}

/// Parses one file into a node tree. Returns the document's root (`None` when the file holds no
/// document or is too broken to use) and every problem found. Problems that do not spoil the
/// tree (a duplicate key, a tag) are collected and the build goes on.
pub(crate) fn parse(file: &SourceFile) -> (Option<Node>, Vec<Diagnostic>) {
    if let Some(root) = block::parse(&file.text) {
        return (Some(root), Vec::new());
    }
    parse_events(file)
}

/// [`parse`] through saphyr-parser's events, for any YAML.
fn parse_events(file: &SourceFile) -> (Option<Node>, Vec<Diagnostic>) {
    let mut builder = Builder {
        file,
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
        total_nodes: 0,
        alias_nodes: 0,
        diagnostics: Vec::new(),
    };
    let result = builder.run();
    let mut diagnostics = builder.diagnostics;
    match result {
        Ok(()) => {
            if builder.documents == 0 {
                diagnostics.push(problems::no_document(file));
            }
            (builder.root, diagnostics)
        }
        Err(Fatal(diagnostic)) => {
            diagnostics.push(*diagnostic);
            (None, diagnostics)
        }
    }
}

struct Builder<'a> {
    file: &'a SourceFile,
    stack: Vec<Frame>,
    /// The finished children of the open sequences, innermost last.
    items: Vec<Node>,
    /// The finished entries of the open mappings, innermost last.
    entries: Vec<Entry>,
    anchors: HashMap<usize, Anchored>,
    root: Option<Node>,
    documents: usize,
    total_nodes: usize,
    alias_nodes: usize,
    diagnostics: Vec<Diagnostic>,
}

impl Builder<'_> {
    fn span(&self, span: saphyr_parser::Span) -> Span {
        Span::new(
            self.file.byte_of_char(span.start.index()),
            self.file.byte_of_char(span.end.index()),
        )
    }

    fn run(&mut self) -> Result<(), Fatal> {
        let mut parser = Parser::new_from_str(&self.file.text);
        loop {
            let (event, span) = match parser.next_event() {
                None => return Ok(()),
                Some(Ok(next)) => next,
                Some(Err(error)) => return Err(fatal(self.scan_error(&error))),
            };
            let span = self.span(span);
            match event {
                Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
                Event::StreamEnd => return Ok(()),
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(fatal(problems::multiple_documents(self.file, span)));
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let tag = tag.map(|tag| Box::new(NodeTag::from_parser(&tag)));
                    // The scanner reserves well over a hundred bytes for each plain scalar;
                    // the tree keeps only the text.
                    let mut text = text.into_owned();
                    text.shrink_to_fit();
                    let style = match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                        ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                    };
                    let node = Node { value: NodeValue::Scalar(Scalar { text, style, tag }), span };
                    self.count_nodes(1, span)?;
                    self.finish(node, anchor, 1, 1)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", span);
                    self.open(span, anchor, FrameKind::Sequence)?;
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "map", span);
                    let kind = FrameKind::Mapping { pending_key: None, seen: None };
                    self.open(span, anchor, kind)?;
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else {
                        continue;
                    };
                    let start = frame.start.start;
                    let node_span = Span::new(start, span.end.max(frame.start.end));
                    let height = frame.child_height + 1;
                    let value = match frame.kind {
                        FrameKind::Sequence => {
                            NodeValue::Sequence(self.items.split_off(frame.first))
                        }
                        FrameKind::Mapping { .. } => {
                            NodeValue::Mapping(self.entries.split_off(frame.first))
                        }
                    };
                    self.finish(
                        Node { value, span: node_span },
                        frame.anchor,
                        frame.node_count,
                        height,
                    )?;
                }
                Event::Alias(anchor) => {
                    let Some(anchored) = self.anchors.get(&anchor) else {
                        return Err(fatal(problems::unknown_anchor(self.file, span)));
                    };
                    let (count, height) = (anchored.node_count, anchored.height);
                    let mut node = anchored.node.clone();
                    if self.stack.len() + height > MAX_DEPTH {
                        return Err(fatal(problems::too_deep(self.file, span)));
                    }
                    self.alias_nodes += count;
                    if self.alias_nodes > MAX_ALIAS_EXPANSION_NODES {
                        return Err(fatal(problems::alias_limit(self.file, span)));
                    }
                    self.count_nodes(count, span)?;
                    // The copy points at the alias, so messages about it name the place where
                    // it is used.
                    node.span = span;
                    self.finish(node, 0, count, height)?;
                }
            }
        }
    }

    fn open(&mut self, span: Span, anchor: usize, kind: FrameKind) -> Result<(), Fatal> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(fatal(problems::too_deep(self.file, span)));
        }
        self.count_nodes(1, span)?;
        let first = match kind {
            FrameKind::Sequence => self.items.len(),
            FrameKind::Mapping { .. } => self.entries.len(),
        };
        self.stack.push(Frame { start: span, anchor, node_count: 1, child_height: 0, first, kind });
        Ok(())
    }

    /// Collections may carry their own core tag (`!!map`, `!!seq`) and nothing else: a JSON
    /// body has no place for custom types.
    fn check_collection_tag(&mut self, tag: Option<&Tag>, allowed: &str, span: Span) {
        let Some(tag) = tag.map(NodeTag::from_parser) else {
            return;
        };
        if tag.core() == Some(allowed) || tag.text == "!" {
            return;
        }
        self.diagnostics.push(problems::unsupported_tag(self.file, span, &tag.text));
    }

    fn count_nodes(&mut self, count: usize, span: Span) -> Result<(), Fatal> {
        self.total_nodes += count;
        if self.total_nodes > MAX_NODES_PER_FILE {
            return Err(fatal(problems::too_many_nodes(self.file, span)));
        }
        Ok(())
    }

    /// Attaches a finished node to the open collection (or makes it the document root), and
    /// records it when it carries an anchor.
    fn finish(
        &mut self,
        node: Node,
        anchor: usize,
        node_count: usize,
        height: usize,
    ) -> Result<(), Fatal> {
        if anchor > 0 {
            self.anchors.insert(anchor, Anchored { node: node.clone(), node_count, height });
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.node_count += node_count;
        frame.child_height = frame.child_height.max(height);
        if matches!(frame.kind, FrameKind::Mapping { pending_key: None, .. }) {
            let key_span = node.span;
            let key = self.key_text(node);
            if let Some(Frame { kind: FrameKind::Mapping { pending_key, .. }, .. }) =
                self.stack.last_mut()
            {
                *pending_key = Some((key, key_span));
            }
            return Ok(());
        }
        let Some(frame) = self.stack.last_mut() else {
            return Ok(());
        };
        let first_entry = frame.first;
        match &mut frame.kind {
            FrameKind::Sequence => self.items.push(node),
            FrameKind::Mapping { pending_key, seen } => {
                let Some((Some(key), key_span)) = pending_key.take() else {
                    // The key was unusable and has been reported; drop the entry.
                    return Ok(());
                };
                let entries = &self.entries[first_entry..];
                let first = match seen {
                    Some(seen) => seen.get(&key).copied(),
                    None => entries.iter().find(|entry| entry.key == key).map(|e| e.key_span),
                };
                if let Some(first) = first {
                    self.diagnostics
                        .push(problems::duplicate_mapping_key(self.file, key_span, &key, first));
                } else {
                    match seen {
                        Some(seen) => {
                            seen.insert(key.clone(), key_span);
                        }
                        None if entries.len() >= SCAN_KEYS_UP_TO => {
                            let mut keys: HashMap<String, Span> = entries
                                .iter()
                                .map(|entry| (entry.key.clone(), entry.key_span))
                                .collect();
                            keys.insert(key.clone(), key_span);
                            *seen = Some(keys);
                        }
                        None => {}
                    }
                    self.entries.push(Entry { key, key_span, value: node });
                }
            }
        }
        Ok(())
    }

    /// The text of a mapping key, or `None` (with a diagnostic) when the key cannot be one.
    fn key_text(&mut self, node: Node) -> Option<String> {
        match node.value {
            NodeValue::Scalar(scalar) => {
                if scalar.style == Style::Plain && scalar.text == "<<" && scalar.tag.is_none() {
                    self.diagnostics.push(problems::merge_key(self.file, node.span));
                    return None;
                }
                Some(scalar.text)
            }
            NodeValue::Sequence(_) | NodeValue::Mapping(_) => {
                self.diagnostics.push(problems::complex_key(self.file, node.span));
                None
            }
        }
    }

    fn scan_error(&self, error: &ScanError) -> Diagnostic {
        let marker = error.marker();
        let at = self.file.byte_of_char(marker.index());
        let end = self.file.text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        let span = Span::new(at, end);
        if error.info() == "recursion limit exceeded" {
            return problems::too_deep(self.file, span);
        }
        problems::invalid_yaml(self.file, span, error.info(), yaml_error_help(self.file, at))
    }
}

/// A hint for a YAML syntax error, judged from the line it happened on.
fn yaml_error_help(file: &SourceFile, at: usize) -> Option<String> {
    let line_start = file.line_start(at);
    let line = file.line_text(at);
    let before = &file.text[line_start..at.max(line_start)];
    if let Some(reference) = unquoted_placeholder(line)
        && (line.contains(['[', '{'])
            || before.contains(['[', '{'])
            || in_flow_collection(file, at))
    {
        return Some(format!(
            "inside YAML flow style (`[…]` or `{{…}}`) a reference must be quoted, since `{{` \
             and `}}` end a flow collection: write `\"{reference}\"`"
        ));
    }
    if line.trim_start_matches(' ').starts_with('\t') || file.text[at..].starts_with('\t') {
        return Some("YAML does not allow tabs for indentation; indent with spaces".to_owned());
    }
    if in_flow_collection(file, at) {
        return Some(
            "a `[` or `{` opened before this point is not closed where YAML expects it; when it \
             spans lines, every line up to the closing bracket must be indented more than the \
             key that holds it"
                .to_owned(),
        );
    }
    None
}

/// The first `${…}` on a line that is not inside quotes, if any.
fn unquoted_placeholder(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    for (index, character) in line.char_indices() {
        match (quote, character) {
            (None, '"' | '\'') => quote = Some(character),
            (Some(open), _) if character == open => quote = None,
            (None, '#') if index == 0 || line[..index].ends_with([' ', '\t']) => return None,
            (None, '$') if line[index..].starts_with("${") => {
                let end = line[index..].find('}').map_or(line.len(), |end| index + end + 1);
                return Some(&line[index..end]);
            }
            _ => {}
        }
    }
    None
}

/// Whether an unclosed `[` or `{` precedes `at` in the file (outside quotes and comments): a
/// rough test for "the error is inside a flow collection", good enough for a hint.
fn in_flow_collection(file: &SourceFile, at: usize) -> bool {
    let mut depth: i64 = 0;
    for line in file.text[..at.min(file.text.len())].lines() {
        let mut quote: Option<char> = None;
        for (index, character) in line.char_indices() {
            match (quote, character) {
                (None, '"' | '\'') => quote = Some(character),
                (Some(open), _) if character == open => quote = None,
                (None, '#') if index == 0 || line[..index].ends_with([' ', '\t']) => break,
                (None, '[' | '{') => depth += 1,
                (None, ']' | '}') => depth -= 1,
                _ => {}
            }
        }
    }
    depth > 0
}
