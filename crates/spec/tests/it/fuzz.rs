//! Fuzzing the spec loader (issue 9) with proptest, since only the stable toolchain is here
//! (cargo-fuzz needs nightly). Two generators: arbitrary bytes, and the valid fixtures
//! mutated (bytes flipped, YAML-significant tokens inserted, ranges deleted, duplicated or cut
//! off). Every input must load without a panic (proptest turns one into a failure with the
//! shrunk input), every diagnostic must carry a message and a file, and loading is
//! deterministic.
//!
//! CI runs 256 cases per generator; `FLOWFORM_FUZZ_CASES=N` runs N (the longer run's figures
//! are in `docs/reliability.md`). Every case is counted and the counts are printed to stderr.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use flowform_spec::{LoadOptions, Loaded, ProcessEnvironment, SecretPolicy};
use proptest::prelude::*;

#[path = "../../../../tests/shared/mutate.rs"]
mod mutate;
use mutate::{mutate, mutation, runner};

/// The valid fixtures, the seeds of the mutations.
fn corpus() -> Vec<Vec<u8>> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let mut files: Vec<PathBuf> = fs_err::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    files.sort();
    files.into_iter().map(|path| fs_err::read(path).unwrap()).collect()
}

/// Tokens that mean something to YAML, to the placeholder syntax, or to a decoder.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    ": ",
    "- ",
    "? ",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!binary ",
    "!custom ",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "\"",
    "'",
    "\\",
    "|\n",
    ">-\n",
    "#",
    "\t",
    "\n",
    "\n  ",
    "    ",
    "\r",
    "\0",
    "\u{feff}",
    "\u{2028}",
    "${",
    "${env.HOME}",
    "${secret.X}",
    "${var.x}",
    "${flow.",
    "$${",
    "******",
    "~",
    "null",
    ".inf",
    "0x1F",
    "1e999",
    "-0",
    "99999999999999999999999999",
    "é",
    "\u{10ffff}",
    "&anchor [*anchor]",
];

fn load(directory: &Path, bytes: &[u8]) -> Loaded {
    fs_err::write(directory.join("spec.yaml"), bytes).unwrap();
    flowform_spec::load(&LoadOptions {
        paths: vec![directory.to_path_buf()],
        secrets: SecretPolicy::Offline,
        environment: ProcessEnvironment::Fixed(
            [("X".to_owned(), "x".to_owned()), ("HOME".to_owned(), "/home".to_owned())]
                .into_iter()
                .collect(),
        ),
        ..LoadOptions::default()
    })
}

/// Loads the input twice and checks what the loader promises about any input.
fn check(directory: &Path, bytes: &[u8], rejected: &Cell<u64>) -> Result<(), TestCaseError> {
    let loaded = load(directory, bytes);
    for diagnostic in &loaded.diagnostics {
        prop_assert!(!diagnostic.message.trim().is_empty(), "a diagnostic without a message");
    }
    let again = load(directory, bytes);
    let messages = |loaded: &Loaded| -> Vec<String> {
        loaded.diagnostics.iter().map(|diagnostic| diagnostic.message.clone()).collect()
    };
    prop_assert_eq!(messages(&loaded), messages(&again), "loading is deterministic");
    prop_assert_eq!(loaded.desired.resources.len(), again.desired.resources.len());
    if loaded.has_errors() {
        rejected.set(rejected.get() + 1);
    }
    Ok(())
}

#[expect(clippy::print_stderr, reason = "the fuzz run reports its figures")]
fn report(generator: &str, executions: u64, rejected: u64) {
    eprintln!(
        "spec loader fuzz ({generator}): {executions} inputs, {rejected} rejected with diagnostics, {} loaded, 0 panics",
        executions - rejected
    );
}

#[test]
fn the_loader_survives_arbitrary_bytes() {
    let directory = tempfile::tempdir().unwrap();
    let (executions, rejected) = (Cell::new(0u64), Cell::new(0u64));
    let result = runner().run(&proptest::collection::vec(any::<u8>(), 0..2_048), |bytes| {
        executions.set(executions.get() + 1);
        check(directory.path(), &bytes, &rejected)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    report("arbitrary bytes", executions.get(), rejected.get());
}

#[test]
fn the_loader_survives_mutated_valid_specs() {
    let corpus = corpus();
    assert!(!corpus.is_empty());
    let directory = tempfile::tempdir().unwrap();
    let (executions, rejected) = (Cell::new(0u64), Cell::new(0u64));
    let strategy = (0..corpus.len(), proptest::collection::vec(mutation(), 1..6));
    let result = runner().run(&strategy, |(seed, mutations)| {
        executions.set(executions.get() + 1);
        let bytes = mutate(corpus[seed].clone(), &mutations, TOKENS);
        check(directory.path(), &bytes, &rejected)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    report("mutated fixtures", executions.get(), rejected.get());
}
