//! Checks over the converted resources, each reporting at the offending value.

pub(crate) mod cycles;
pub(crate) mod flows;
pub(crate) mod groups;
pub(crate) mod references;

use flowform_model::{Address, FieldPath, Kind, Segment};

use crate::source::Span;
use crate::yaml::Node;

/// One reference found in a resource (body or lifecycle), with where it is written.
#[derive(Debug, Clone)]
pub(crate) struct ReferenceUse {
    /// Body path (`pageProcessors[0]._importId`) or lifecycle path (`lifecycle.cloneFrom`).
    pub path: FieldPath,
    pub address: Address,
    pub span: Span,
    /// The kind the place requires, when it is not judged from the body path (lifecycle).
    pub expected: Option<Kind>,
}

/// The node for `path` under `node`, as deep as the node tree goes (a variable that expanded
/// into a structure has one scalar node for the whole structure).
pub(crate) fn node_at<'n>(node: &'n Node, path: &[Segment]) -> &'n Node {
    let mut current = node;
    for segment in path {
        let next = match (segment, &current.value) {
            (Segment::Key(key), crate::yaml::NodeValue::Mapping(_)) => {
                current.get(key).map(|entry| &entry.value)
            }
            (Segment::Index(index), crate::yaml::NodeValue::Sequence(items)) => items.get(*index),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

/// The span of the key that holds `path` (the last segment must be a key), or of the value
/// when the key cannot be found.
pub(crate) fn key_span_at(node: &Node, path: &[Segment]) -> Span {
    if let Some((Segment::Key(key), parent)) = path.split_last() {
        let parent = node_at(node, parent);
        if let Some(entry) = parent.get(key) {
            return entry.key_span;
        }
        return parent.span;
    }
    node_at(node, path).span
}
