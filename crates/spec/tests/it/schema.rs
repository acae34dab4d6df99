//! Checks against Celigo's schemas that fixtures do not show on their own: documents shaped as
//! the service returns them load clean, `strict` turns warnings into errors, and no value of a
//! secret reaches a message.

use flowform_spec::{Code, LoadOptions, Severity};

use crate::support::{bundle, render_diagnostics};

#[test]
fn documents_shaped_as_the_service_returns_them_load_without_diagnostics() {
    let text = fs_err::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/valid/service-shapes.yaml"),
    )
    .unwrap();
    let loaded = bundle("service-shapes.yaml", &text).load();
    assert!(loaded.diagnostics.is_empty(), "{}", render_diagnostics(&loaded));
    assert_eq!(loaded.desired.resources.len(), 11);
}

#[test]
fn strict_makes_every_warning_an_error() {
    let text = "connections:\n  api:\n    name: API\n    type: http\n    http:\n      baseURI: https://x\n      mediaType: JSON\n      baseUri: https://y\n";
    let relaxed = bundle("spec.yaml", text);
    let loaded = relaxed.load();
    assert_eq!(loaded.error_count(), 0);
    assert_eq!(loaded.warning_count(), 2, "{}", render_diagnostics(&loaded));
    let strict = bundle("spec.yaml", text);
    let loaded = flowform_spec::load(&LoadOptions { strict: true, ..strict.options.clone() });
    assert_eq!(loaded.warning_count(), 0);
    assert_eq!(loaded.error_count(), 2);
    assert!(loaded.diagnostics.iter().all(|d| d.severity == Severity::Error));
    assert!(
        loaded.diagnostics.iter().all(|d| d.help.as_deref().unwrap_or("").contains("--strict"))
    );
}

#[test]
fn secret_values_never_reach_a_schema_message() {
    // A secret where an enumeration or a number belongs: the value is not judged, not shown.
    let text = "# test: env KIND=canary-kind\n# test: env PORT=canary-port\nconnections:\n  files:\n    name: Files\n    type: ftp\n    ftp:\n      type: ${secret.KIND}\n      port: ${secret.PORT}\n      hostURI: files.example.com\n      username: svc\n      password: ${secret.KIND}\n";
    let loaded = bundle("spec.yaml", text).load();
    let rendered = render_diagnostics(&loaded);
    assert!(!rendered.contains("canary"), "{rendered}");
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| !matches!(d.code, Code::InvalidValue | Code::InvalidType)),
        "{rendered}"
    );
}

#[test]
fn values_from_variables_are_checked_where_the_placeholder_is() {
    let text = "variables:\n  method: FETCH\nexports:\n  orders:\n    name: Orders\n    adaptorType: HTTPExport\n    _connectionId: \"0123456789abcdef01234567\"\n    http:\n      method: ${var.method}\n";
    let loaded = bundle("spec.yaml", text).load();
    let problem =
        loaded.diagnostics.iter().find(|d| d.code == Code::InvalidValue).expect("reported");
    assert_eq!((problem.line, problem.column), (9, 15), "{}", render_diagnostics(&loaded));
    assert!(problem.message.contains("`FETCH`"));
}
