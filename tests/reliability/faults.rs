//! A few seeded fault runs through the real binary (issue 9; the 50-seed runs are at library
//! level in `crates/exec/tests/it/faults.rs`): a generated spec applied from empty against an
//! emulator with 10 % 5xx, 5 % of committed writes' responses dropped, 429 bursts and jitter.
//! After at most two plain `apply --auto-approve` runs the account has converged.

use std::time::Duration;

use flowform_emulator::{Faults, Forced429};
use flowform_specgen::Options;

use crate::common::{assert_converged, flowform, run_bounded, slow_context, write_spec};

#[derive(Debug, Default)]
struct Figures {
    seeds: u64,
    applies: u64,
    server_errors_injected: u64,
    responses_dropped: u64,
    rate_limited: u64,
}

#[expect(clippy::print_stderr, reason = "the test reports its figures for docs/reliability.md")]
fn report(figures: &Figures) {
    eprintln!("binary fault runs: {figures:#?}");
}

#[test]
fn seeded_faults_through_the_binary_converge_within_two_applies() {
    let mut figures = Figures::default();
    for seed in 100..103u64 {
        let spec = flowform_specgen::generate(Options { resources: 40, seed }).unwrap();
        let context = slow_context(seed, Duration::ZERO, Duration::from_millis(4));
        write_spec(&context, &spec);
        let admin = context.admin();
        let faults = Faults {
            server_error_rate: 0.10,
            dropped_write_rate: 0.05,
            // Rarer than in the library runs: the binary keeps its production rate floor, so
            // every burst halves its pace for a while.
            forced_429: Some(Forced429 { every: 40, burst: 2, retry_after_seconds: 1 }),
        };
        admin.set_faults(faults).unwrap();
        let mut converged = false;
        let mut failures = Vec::new();
        for _ in 0..2 {
            figures.applies += 1;
            let output =
                run_bounded(&mut flowform(&context, &spec, &["apply", "--auto-approve"]), "apply");
            if output.status.success() {
                converged = true;
                break;
            }
            failures.push(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        assert!(converged, "seed {seed}: two applies did not converge: {failures:#?}");
        admin.set_faults(Faults::default()).unwrap();
        let plan =
            run_bounded(&mut flowform(&context, &spec, &["plan", "--detailed-exitcode"]), "plan");
        assert_eq!(
            plan.status.code(),
            Some(0),
            "seed {seed}: {}",
            String::from_utf8_lossy(&plan.stdout)
        );
        assert_converged(&context, &spec, false, &format!("binary seed {seed}"));
        let counters = admin.counters();
        figures.seeds += 1;
        figures.server_errors_injected += counters.server_errors_injected;
        figures.responses_dropped += counters.responses_dropped;
        figures.rate_limited += counters.rate_limited;
    }
    report(&figures);
    assert!(figures.server_errors_injected > 0 && figures.responses_dropped > 0);
    assert!(figures.rate_limited > 0);
}
