//! Where a field of a declared resource is written: for messages made after loading (a plan
//! error about a literal id names the line of the id, not only of the resource).

use std::path::Path;

use flowform_model::{Address, FieldPath, Origin};

use crate::checks::node_at;
use crate::discover;
use crate::yaml;

/// The place of the value at `path` of the resource `address` declared in `file` (as its
/// `KIND_PLURAL: KEY:` entry): file, line and column of the value, or of the deepest node of
/// the path the file holds. `None` when the file cannot be read or does not declare the
/// resource there (a body built from variables, say): the caller keeps the resource's own
/// origin.
pub fn value_origin(file: &Path, address: &Address, path: &FieldPath) -> Option<Origin> {
    let source = discover::read(file).ok()?;
    let (root, _) = yaml::parse(&source);
    let root = root?;
    let section = root.get(address.kind.plural())?;
    let body = &section.value.get(&address.key)?.value;
    let node = node_at(body, path.segments());
    let (line, column) = source.line_column(node.span.start);
    Some(Origin { file: file.to_path_buf(), line, column })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::Kind;

    #[test]
    fn finds_the_line_of_a_nested_value() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("flows.yaml");
        fs_err::write(
            &file,
            "flows:\n  sync:\n    name: Sync\n    pageProcessors:\n      - type: import\n        _importId: 5f0000000000000000000001\n",
        )
        .unwrap();
        let address = Address::new(Kind::Flow, "sync");
        let origin =
            value_origin(&file, &address, &"pageProcessors[0]._importId".parse().unwrap()).unwrap();
        assert_eq!((origin.line, origin.column), (6, 20));
        assert!(
            value_origin(&file, &Address::new(Kind::Flow, "other"), &"name".parse().unwrap())
                .is_none()
        );
    }
}
