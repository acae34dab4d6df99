//! Specs from the benchmark generator load cleanly, so the benchmark measures a valid spec.

use flowform_spec::{LoadOptions, ProcessEnvironment};
use flowform_specgen::{Options, generate};

#[test]
fn generated_spec_loads_without_diagnostics() {
    let spec = generate(Options { resources: 600, seed: 3 }).expect("600 resources are enough");
    let directory = tempfile::tempdir().expect("a temporary directory can be created");
    for (relative, content) in spec.spec_files() {
        let path = directory.path().join(relative);
        fs_err::create_dir_all(path.parent().expect("has a parent")).expect("created");
        fs_err::write(path, content).expect("written");
    }
    let loaded = flowform_spec::load(&LoadOptions {
        paths: vec![directory.path().to_path_buf()],
        environment: ProcessEnvironment::Fixed(spec.secrets.iter().cloned().collect()),
        ..LoadOptions::default()
    });
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    assert_eq!(loaded.desired.resources.len(), 600);
    let scripts_with_content = loaded
        .desired
        .resources
        .values()
        .filter(|resource| resource.body.contains_key("content"))
        .count();
    assert_eq!(scripts_with_content, 30, "every script's contentFile was read");
    let secrets = loaded
        .desired
        .resources
        .values()
        .filter(|resource| flowform_model::Value::Object(resource.body.clone()).contains_secret())
        .count();
    assert!(secrets >= 24, "connections and webhooks carry secrets ({secrets})");
}
