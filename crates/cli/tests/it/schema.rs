//! `flowform schema` and the committed `schema/flowform.schema.json`.

use crate::support::{flowform, run};

fn committed_schema_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/flowform.schema.json")
}

#[test]
fn schema_prints_the_json_schema_on_stdout() {
    let output = flowform().arg("schema").output().expect("the binary runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stderr.is_empty());
    let schema: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the schema is JSON");
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["title"], "flowform spec file");
}

/// Fails when the committed schema is stale: regenerate it with `cargo xtask codegen`.
#[test]
fn committed_schema_is_up_to_date() {
    let committed = fs_err::read_to_string(committed_schema_path()).unwrap_or_default();
    let (code, _) = run(flowform().arg("schema"), None);
    assert_eq!(code, 0);
    let generated = flowform_spec::schema::json_schema_text();
    assert!(
        committed == generated,
        "schema/flowform.schema.json is stale; run `cargo xtask codegen` and commit the result"
    );
}
