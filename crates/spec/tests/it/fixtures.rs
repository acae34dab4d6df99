//! Fixture-driven tests: `fixtures/valid/*.yaml` snapshot the resolved model,
//! `fixtures/invalid/*.yaml` snapshot the rendered diagnostics (colour off).

use crate::support::{bundle, redact_root, render_diagnostics, render_model};

fn fixture_name(path: &std::path::Path) -> String {
    path.file_name().expect("fixtures have names").to_string_lossy().into_owned()
}

#[test]
fn valid_fixtures() {
    insta::glob!("../fixtures", "valid/*.yaml", |path| {
        let text = fs_err::read_to_string(path).expect("fixtures are readable");
        let bundle = bundle(&fixture_name(path), &text);
        let loaded = bundle.load();
        assert!(
            !loaded.has_errors(),
            "{} should load without errors:\n{}",
            path.display(),
            render_diagnostics(&loaded)
        );
        let mut rendered = render_model(&loaded.desired);
        if !loaded.diagnostics.is_empty() {
            rendered.push_str("\n--- diagnostics ---\n");
            rendered.push_str(&render_diagnostics(&loaded));
        }
        // Secret values given to fixtures all contain `canary`; none may reach the model's text.
        assert!(!rendered.contains("canary"), "a secret value leaked:\n{rendered}");
        insta::assert_snapshot!(redact_root(&rendered, bundle.root()));
    });
}

#[test]
fn invalid_fixtures() {
    insta::glob!("../fixtures", "invalid/*.yaml", |path| {
        let text = fs_err::read_to_string(path).expect("fixtures are readable");
        let bundle = bundle(&fixture_name(path), &text);
        let loaded = bundle.load();
        assert!(
            !loaded.diagnostics.is_empty(),
            "{} should report at least one problem",
            path.display()
        );
        let rendered = render_diagnostics(&loaded);
        assert!(!rendered.contains("canary"), "a secret value leaked:\n{rendered}");
        insta::assert_snapshot!(redact_root(&rendered, bundle.root()));
    });
}
