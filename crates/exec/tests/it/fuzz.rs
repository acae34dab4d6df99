//! Fuzzing the readers of files that come back from disk (issue 9), with proptest: saved plan
//! files (`saved::parse` then `saved::verify`, and `SavedPlan::to_plan` and the renderers, as
//! `flowform show` reads them), state documents (`state::parse`) and the local
//! journal replayed over a state (`state::local::read`). Inputs are arbitrary bytes and real
//! files mutated (bytes flipped, JSON-significant tokens inserted, ranges deleted, duplicated
//! or cut off). No input may panic; a mutated plan file is either refused or means exactly what
//! was signed; a state document that parses renders back to the same state.
//!
//! CI runs 256 cases per generator; `FLOWFORM_FUZZ_CASES=N` runs N. Counts go to stderr.

use std::cell::Cell;
use std::path::PathBuf;

use flowform_diff::DiffOptions;
use flowform_diff::render::JsonContext;
use flowform_exec::saved::{self, PlanOptions, PlanRecord, SavedPlan, SavedPlanError};
use flowform_exec::state::{self, LocalPaths};
use flowform_model::{DesiredState, LiveState, State};
use flowform_spec::{LoadOptions, ProcessEnvironment, SecretPolicy};
use proptest::prelude::*;

#[path = "../../../../tests/shared/mutate.rs"]
mod mutate;
use mutate::{mutate, mutation, runner};

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "1e999",
    "-1",
    "18446744073709551616",
    "\"\"",
    "{}",
    "[]",
    "\n",
    " ",
    "\u{feff}",
    "\"kind\": \"flowform-plan\", ",
    "\"format_version\": 2, ",
    "\"version\": 2, ",
    "\"signature\": \"\", ",
    "\"op\": \"put\", ",
    "é",
    "\u{10ffff}",
];

const SPEC: &str = concat!(
    main_and_api!("API_TOKEN"),
    r#"exports:
  orders:
    name: Orders
    adaptorType: HTTPExport
    _connectionId: ${connection.api}
    http: {method: GET, relativeURI: /orders}
flows:
  sync:
    name: Sync
    _integrationId: ${integration.main}
    pageGenerators: [{_exportId: "${export.orders}"}]
"#
);

const TARGET: &str = "http://127.0.0.1:1 (user 5f0000000000000000000001)";

/// A real saved plan (a create of every resource), its text, and what it was made against.
struct PlanFixture {
    document: SavedPlan,
    text: String,
    state: State,
    desired: DesiredState,
}

fn plan_fixture() -> PlanFixture {
    let directory = tempfile::tempdir().unwrap();
    fs_err::write(directory.path().join("spec.yaml"), SPEC).unwrap();
    let loaded = flowform_spec::load(&LoadOptions {
        paths: vec![directory.path().to_path_buf()],
        secrets: SecretPolicy::Required,
        environment: ProcessEnvironment::Fixed(
            [("API_TOKEN".to_owned(), "fuzz-secret".to_owned())].into_iter().collect(),
        ),
        ..LoadOptions::default()
    });
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let state = state::new_state(TARGET.to_owned());
    let plan = flowform_diff::diff(
        &loaded.desired,
        &state,
        &LiveState::default(),
        &DiffOptions::default(),
    );
    assert_eq!(plan.summary().create, 4);
    let json = flowform_diff::render::json(&plan, &JsonContext { target: TARGET.to_owned() });
    let document = saved::build(PlanRecord {
        target: TARGET,
        environment: None,
        state: &state,
        options: PlanOptions::default(),
        desired: &loaded.desired,
        plan: &plan,
        json_plan: serde_json::from_str(&json).unwrap(),
    });
    let text = saved::render(&document);
    saved::verify(
        "plan.json",
        &saved::parse("plan.json", &text).unwrap(),
        TARGET,
        &state,
        &loaded.desired,
    )
    .unwrap();
    PlanFixture { document, text, state, desired: loaded.desired }
}

#[derive(Default)]
struct PlanOutcomes {
    executions: Cell<u64>,
    unreadable: Cell<u64>,
    tampered: Cell<u64>,
    other_refusals: Cell<u64>,
    accepted_unchanged: Cell<u64>,
}

fn bump(cell: &Cell<u64>) {
    cell.set(cell.get() + 1);
}

/// Parses and verifies a plan file text; a plan accepted must be the one that was signed.
fn check_plan(
    fixture: &PlanFixture,
    bytes: &[u8],
    outcomes: &PlanOutcomes,
) -> Result<(), TestCaseError> {
    bump(&outcomes.executions);
    // The CLI reads plan files as UTF-8 text; anything else is refused before parsing.
    let Ok(text) = std::str::from_utf8(bytes) else {
        bump(&outcomes.unreadable);
        return Ok(());
    };
    let parsed = match saved::parse("plan.json", text) {
        Ok(parsed) => parsed,
        Err(_) => {
            bump(&outcomes.unreadable);
            return Ok(());
        }
    };
    // `flowform show` reads a file back and renders it without verifying it: whatever parses
    // is rendered or refused, never a panic.
    if let Ok(read_back) = parsed.to_plan("plan.json") {
        let plan = &read_back.plan;
        let _ = flowform_diff::render::human(plan, &flowform_diff::render::HumanOptions::default());
        let _ = flowform_diff::render::markdown(plan, &Default::default());
    }
    let _ = parsed.json_plan("plan.json");
    match saved::verify("plan.json", &parsed, TARGET, &fixture.state, &fixture.desired) {
        Ok(()) => {
            prop_assert_eq!(&parsed, &fixture.document, "an accepted plan is the signed plan");
            bump(&outcomes.accepted_unchanged);
        }
        Err(SavedPlanError::Tampered { .. }) => bump(&outcomes.tampered),
        Err(_) => bump(&outcomes.other_refusals),
    }
    Ok(())
}

#[expect(clippy::print_stderr, reason = "the fuzz run reports its figures")]
fn report_plan(generator: &str, outcomes: &PlanOutcomes) {
    eprintln!(
        "plan file fuzz ({generator}): {} inputs: {} unreadable, {} refused as tampered, {} refused otherwise, {} accepted (all identical to the signed plan), 0 panics",
        outcomes.executions.get(),
        outcomes.unreadable.get(),
        outcomes.tampered.get(),
        outcomes.other_refusals.get(),
        outcomes.accepted_unchanged.get()
    );
}

#[test]
fn plan_files_of_arbitrary_bytes_are_refused_without_a_panic() {
    let fixture = plan_fixture();
    let outcomes = PlanOutcomes::default();
    let result = runner().run(&proptest::collection::vec(any::<u8>(), 0..4_096), |bytes| {
        check_plan(&fixture, &bytes, &outcomes)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    report_plan("arbitrary bytes", &outcomes);
}

#[test]
fn a_mutated_plan_file_is_refused_or_means_exactly_what_was_signed() {
    let fixture = plan_fixture();
    let outcomes = PlanOutcomes::default();
    let strategy = proptest::collection::vec(mutation(), 1..5);
    let result = runner().run(&strategy, |mutations| {
        let bytes = mutate(fixture.text.clone().into_bytes(), &mutations, TOKENS);
        check_plan(&fixture, &bytes, &outcomes)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    report_plan("mutated plan file", &outcomes);
    assert!(outcomes.tampered.get() > 0, "some mutations parse and are caught by the signature");
}

/// A state document as flowform writes it, with resources, fingerprints and a pending create.
fn state_text() -> String {
    let mut state = state::new_state(TARGET.to_owned());
    state.serial = 4;
    let text = format!(
        r#"{{"version":1,"lineage":"{}","serial":4,"target":"{TARGET}","salt":"{}","resources":{{
        "flow.sync":{{"id":"65a1b2c3d4e5f60718293a4b","applied_paths":{{"name":"aa","pageGenerators[0]._exportId":"bb"}},"digest":"sha256:00","last_modified":"2026-01-01T00:00:00.000Z","prevent_destroy":true}},
        "connection.api":{{"id":"65a1b2c3d4e5f60718293a4c","applied_paths":{{"http.auth.token.token":"cc"}},"digest":"d","secret_fingerprints":{{"http.auth.token.token":"hmac-sha256:00"}}}}}},
        "pending":[{{"address":"export.orders","name":"Orders","started_at":"2026-01-01T00:00:00.000Z"}}]}}"#,
        state.lineage, state.salt
    );
    let parsed = state::parse(&text).unwrap();
    state::render(&parsed)
}

#[derive(Default)]
struct StateOutcomes {
    executions: Cell<u64>,
    refused: Cell<u64>,
    read: Cell<u64>,
}

fn check_state(bytes: &[u8], outcomes: &StateOutcomes) -> Result<(), TestCaseError> {
    bump(&outcomes.executions);
    let text = String::from_utf8_lossy(bytes);
    match state::parse(&text) {
        Ok(parsed) => {
            // What parses renders back to the same state: nothing is lost or invented.
            let again = state::parse(&state::render(&parsed));
            prop_assert!(again.is_ok());
            prop_assert_eq!(again.ok(), Some(parsed));
            bump(&outcomes.read);
        }
        Err(_) => bump(&outcomes.refused),
    }
    Ok(())
}

#[expect(clippy::print_stderr, reason = "the fuzz run reports its figures")]
fn report_state(generator: &str, outcomes: &StateOutcomes) {
    eprintln!(
        "state fuzz ({generator}): {} inputs: {} refused with an error, {} read, 0 panics",
        outcomes.executions.get(),
        outcomes.refused.get(),
        outcomes.read.get()
    );
}

#[test]
fn mutated_state_documents_are_refused_or_read_faithfully() {
    let text = state_text();
    let outcomes = StateOutcomes::default();
    let strategy = proptest::collection::vec(mutation(), 1..5);
    let result = runner().run(&strategy, |mutations| {
        check_state(&mutate(text.clone().into_bytes(), &mutations, TOKENS), &outcomes)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    report_state("mutated state document; every document read renders back to itself", &outcomes);
}

#[test]
fn a_mutated_journal_never_breaks_reading_the_state() {
    let directory = tempfile::tempdir().unwrap();
    let path: PathBuf = directory.path().join("state.json");
    let base = state_text();
    let parsed = state::parse(&base).unwrap();
    let journal = format!(
        "{{\"base_serial\":{},\"lineage\":\"{}\"}}\n{}\n{}\n{}\n",
        parsed.serial,
        parsed.lineage,
        r#"{"op":"put","address":"export.orders","resource":{"id":"65a1b2c3d4e5f60718293a4d","applied_paths":{},"digest":"x"}}"#,
        r#"{"op":"resolved","address":"export.orders"}"#,
        r#"{"op":"remove","address":"flow.sync"}"#,
    );
    let outcomes = StateOutcomes::default();
    let strategy = proptest::collection::vec(mutation(), 1..5);
    let result = runner().run(&strategy, |mutations| {
        bump(&outcomes.executions);
        fs_err::write(&path, &base).unwrap();
        fs_err::write(
            directory.path().join("state.json.journal"),
            mutate(journal.clone().into_bytes(), &mutations, TOKENS),
        )
        .unwrap();
        match state::local::read(&LocalPaths::new(&path)) {
            Ok(Some(_)) => bump(&outcomes.read),
            Ok(None) => prop_assert!(false, "the state file exists"),
            Err(_) => bump(&outcomes.refused),
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    report_state("mutated journal", &outcomes);
}
