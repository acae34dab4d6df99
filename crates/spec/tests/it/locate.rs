//! `locate`: the spec root and the environment file, without reading resources, agreeing with
//! `load` on both.

use fs_err as fs;

use flowform_spec::{Code, LoadOptions, Region, load, locate};

#[test]
fn locate_reads_the_environment_file_and_agrees_with_load() {
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path();
    fs::create_dir_all(root.join("environments")).unwrap();
    fs::write(root.join("environments/prod.yaml"), "region: eu\nstate: prod.state.json\n").unwrap();
    // A resource body that `load` reports as broken: `locate` does not read resources.
    fs::write(root.join("flows.yaml"), "flows:\n  a:\n    name: [unclosed\n").unwrap();
    let options = LoadOptions {
        paths: vec![root.to_path_buf()],
        env: Some("prod".to_owned()),
        ..LoadOptions::default()
    };
    let located = locate(&options);
    let loaded = load(&options);
    assert!(located.diagnostics.is_empty(), "{:?}", located.diagnostics);
    assert!(loaded.has_errors());
    assert_eq!(located.root, loaded.root);
    assert_eq!(located.environment, loaded.environment);
    let environment = located.environment.expect("the environment file was read");
    assert_eq!(environment.region, Some(Region::Eu));
    assert_eq!(environment.state.as_deref(), Some("prod.state.json"));
}

#[test]
fn locate_reports_a_missing_environment_file() {
    let folder = tempfile::tempdir().unwrap();
    fs::write(folder.path().join("flows.yaml"), "flows: {}\n").unwrap();
    let options = LoadOptions {
        paths: vec![folder.path().to_path_buf()],
        env: Some("staging".to_owned()),
        ..LoadOptions::default()
    };
    let located = locate(&options);
    assert!(located.environment.is_none());
    assert!(
        located.diagnostics.iter().any(|d| d.is_error() && d.code == Code::Environment),
        "{:?}",
        located.diagnostics
    );
}
