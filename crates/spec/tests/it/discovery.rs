//! Finding the spec in a folder: YAML files with none of the spec's sections are skipped (and
//! named), a file with spec sections keeps its unknown sections as errors, `.flowformignore`
//! leaves paths out, and a file named with `-f` is always read.

use std::path::{Path, PathBuf};

use flowform_spec::{Code, LoadOptions, Loaded, ProcessEnvironment};

use crate::support::render_diagnostics;

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = directory.path().join(path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }
    directory
}

fn load(paths: Vec<PathBuf>) -> Loaded {
    flowform_spec::load(&LoadOptions {
        paths,
        environment: ProcessEnvironment::Fixed(Default::default()),
        ..LoadOptions::default()
    })
}

fn relative(loaded_paths: &[PathBuf], root: &Path) -> Vec<String> {
    let mut paths: Vec<String> = loaded_paths
        .iter()
        .map(|path| path.strip_prefix(root).unwrap_or(path).display().to_string())
        .collect();
    paths.sort();
    paths
}

const SPEC: &str = "integrations:\n  main:\n    name: Main\n";

#[test]
fn yaml_without_spec_sections_is_skipped_and_named() {
    let directory = folder(&[
        ("spec.yaml", SPEC),
        ("docker-compose.yml", "services:\n  web:\n    image: nginx\n"),
        ("ci/.gitlab-ci.yml", "stages: [test]\n"),
        ("ci/pipeline.yml", "stages: [test]\njobs:\n  - run: make\n"),
        ("k8s/deployment.yaml", "apiVersion: v1\nkind: Service\n---\napiVersion: v1\nkind: Pod\n"),
        // A ConfigMap's `data:` maps file names to text: not flowform's `data:` section.
        (
            "k8s/config.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  app.properties: |\n    a=1\n",
        ),
        ("helm/template.yaml", "metadata:\n  name: {{ .Values.name }\n  labels: [\n"),
        ("empty.yaml", ""),
        ("comments.yml", "# nothing here\n"),
        ("list.yaml", "- a\n- b\n"),
    ]);
    let loaded = load(vec![directory.path().to_path_buf()]);
    assert!(loaded.diagnostics.is_empty(), "{}", render_diagnostics(&loaded));
    assert_eq!(relative(&loaded.files, directory.path()), ["spec.yaml"]);
    assert_eq!(
        relative(&loaded.skipped, directory.path()),
        [
            "ci/pipeline.yml",
            "comments.yml",
            "docker-compose.yml",
            "empty.yaml",
            "helm/template.yaml",
            "k8s/config.yaml",
            "k8s/deployment.yaml",
            "list.yaml"
        ],
        "dot-files are not read at all"
    );
    assert_eq!(loaded.desired.resources.len(), 1);
}

#[test]
fn a_file_with_spec_sections_keeps_its_problems() {
    let directory = folder(&[
        ("spec.yaml", "integrations:\n  main:\n    name: Main\nservices:\n  web: {}\n"),
        ("typo.yaml", "flow:\n  nightly:\n    name: Nightly\n"),
        ("broken.yaml", "flows:\n  nightly:\n    name: [unclosed\n"),
    ]);
    let loaded = load(vec![directory.path().to_path_buf()]);
    let codes: Vec<Code> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [Code::Yaml, Code::UnknownSection, Code::UnknownSection],
        "{}",
        render_diagnostics(&loaded)
    );
    assert!(loaded.skipped.is_empty());
}

#[test]
fn a_file_named_explicitly_is_always_read() {
    let directory = folder(&[("notes.yaml", "services:\n  web: {}\n"), ("empty.yaml", "")]);
    let loaded =
        load(vec![directory.path().join("notes.yaml"), directory.path().join("empty.yaml")]);
    let codes: Vec<Code> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::UnknownSection, Code::EmptyFile], "{}", render_diagnostics(&loaded));
    assert!(loaded.skipped.is_empty());
}

#[test]
fn flowformignore_at_the_root_leaves_paths_out() {
    let directory = folder(&[
        (
            ".flowformignore",
            "# generated and test data\ngenerated/\n*.draft.yaml\n/fixtures/*\n!/fixtures/keep.yaml\n",
        ),
        ("spec.yaml", SPEC),
        ("generated/flows.yaml", "flows: {broken"),
        ("nested/generated/flows.yaml", "flows: {broken"),
        ("ideas.draft.yaml", "flows: {broken"),
        ("fixtures/bad.yaml", "flows: {broken"),
        ("fixtures/keep.yaml", "scripts:\n  a:\n    name: A\n    content: x\n"),
        ("nested/fixtures/kept.yaml", "connections: {}\n"),
    ]);
    let loaded = load(vec![directory.path().to_path_buf()]);
    assert!(loaded.diagnostics.is_empty(), "{}", render_diagnostics(&loaded));
    assert_eq!(
        relative(&loaded.files, directory.path()),
        ["fixtures/keep.yaml", "nested/fixtures/kept.yaml", "spec.yaml"]
    );
    assert!(loaded.skipped.is_empty(), "ignored files are not reported as skipped");
    // A file named explicitly is read even when the ignore file matches it.
    let loaded = load(vec![directory.path().join("ideas.draft.yaml")]);
    assert!(loaded.has_errors());
}

#[test]
fn an_invalid_ignore_pattern_is_an_error_at_its_line() {
    let directory = folder(&[(".flowformignore", "ok.yaml\n[z-a].yaml\n"), ("spec.yaml", SPEC)]);
    let loaded = load(vec![directory.path().to_path_buf()]);
    let problem = loaded.diagnostics.iter().find(|d| d.is_error()).expect("reported");
    assert_eq!(problem.code, Code::Io);
    assert_eq!(problem.line, 2, "{}", render_diagnostics(&loaded));
    assert!(problem.message.contains(".flowformignore"), "{}", problem.message);
}

#[test]
fn the_checkout_root_is_a_spec_folder() {
    // The repository's own `.flowformignore` leaves out the test fixtures and examples, so
    // `flowform plan` from the checkout root reads `flows.example.yaml` alone.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let loaded = load(vec![root]);
    assert!(!loaded.has_errors(), "{}", render_diagnostics(&loaded));
    let files: Vec<String> = loaded
        .files
        .iter()
        .map(|file| file.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["flows.example.yaml"]);
}
