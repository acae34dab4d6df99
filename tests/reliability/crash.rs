//! SIGKILL at random points of a large apply (issue 9): the binary applies a generated spec of
//! 60 resources (routers, `_runNextFlowIds` cycles, scripts, secrets) against an emulator with a
//! little latency, and is killed after a seeded number of finished steps plus a seeded delay,
//! or during its start when that number is 0. Each time, a plain `apply --auto-approve` (no
//! `import`, no `--adopt`, no `state unlock`) must succeed and leave the account converged: an
//! empty plan, no duplicate, nothing live outside the state, no write-ahead record left.
//!
//! One kill in four uses `--state integrator` (the state in the account, written at most once a
//! second during the apply). `FLOWFORM_CRASH_KILLS=N` runs N kills instead of the CI's 32.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use flowform_specgen::{GeneratedSpec, Options};

use crate::common::{Random, assert_converged, flowform, run_bounded, slow_context, write_spec};

const CI_KILLS: u64 = 32;

const RESOURCES: usize = 60;

fn kill_count() -> u64 {
    std::env::var("FLOWFORM_CRASH_KILLS")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .filter(|count| *count > 0)
        .unwrap_or(CI_KILLS)
}

/// Whether a stderr line is a finished step (`flow.x: created (…)`).
fn is_step_line(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(address, _)| {
        address.split_once('.').is_some_and(|(kind, key)| {
            ["integration", "connection", "export", "import", "script", "flow"].contains(&kind)
                && !key.is_empty()
                && !key.contains(' ')
        })
    })
}

#[derive(Debug, Default)]
struct Figures {
    kills: u64,
    steps_in_a_full_apply: usize,
    killed_during_start: u64,
    killed_mid_apply: u64,
    finished_before_the_kill: u64,
    integrator_backend: u64,
    reruns_breaking_a_stale_lock: u64,
    reruns_adopting_lost_creates: u64,
    lost_creates_adopted_local_state: u64,
    lost_creates_adopted_integrator_state: u64,
    kill_points: Vec<usize>,
}

/// The number of finished-step lines of a full, uninterrupted apply of the spec.
fn steps_of_a_full_apply(spec: &GeneratedSpec) -> usize {
    let context = slow_context(1, Duration::from_millis(1), Duration::ZERO);
    write_spec(&context, spec);
    let output =
        run_bounded(&mut flowform(&context, spec, &["apply", "--auto-approve"]), "full apply");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    stderr.lines().filter(|line| is_step_line(line)).count()
}

fn kill_once(spec: &GeneratedSpec, kill: u64, total_steps: usize, figures: &mut Figures) {
    let mut random = Random::new(kill);
    let integrator = kill % 4 == 3;
    let context = slow_context(kill, Duration::from_millis(2), Duration::from_millis(4));
    write_spec(&context, spec);
    let backend: &[&str] = if integrator { &["--state", "integrator"] } else { &[] };
    let mut arguments = vec!["apply", "--auto-approve"];
    arguments.extend_from_slice(backend);

    // Kill after `point` finished steps (0: during the start: lock, read, plan, write-ahead
    // records), then a further 0-7 ms so the kill lands inside the requests in flight.
    // One kill in six lands during the start, the rest after 1 to all finished steps.
    let point =
        if random.below(6) == 0 { 0 } else { 1 + random.below(total_steps as u64) as usize };
    let mut child = flowform(&context, spec, &arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let (lines, seen) = mpsc::channel::<String>();
    let stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut steps = 0;
    let mut output = String::new();
    if point == 0 {
        std::thread::sleep(Duration::from_millis(random.below(60)));
    } else {
        while steps < point {
            match seen.recv_timeout(crate::common::WATCHDOG) {
                Ok(line) => {
                    steps += usize::from(is_step_line(&line));
                    output.push_str(&line);
                    output.push('\n');
                }
                // The apply ended (or hung, which the watchdog reports below).
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_millis(random.below(8)));
    }
    let finished_first = child.try_wait().expect("waitable").is_some();
    // `Child::kill` sends SIGKILL on Unix: no handler runs, nothing is flushed or released.
    let _ = child.kill();
    let status = child.wait().expect("the killed child is reaped");
    drop(seen);
    let _ = reader.join();
    figures.kills += 1;
    figures.kill_points.push(point);
    figures.integrator_backend += u64::from(integrator);
    if finished_first {
        assert!(status.success(), "kill {kill}: the apply failed on its own:\n{output}");
        figures.finished_before_the_kill += 1;
    } else if steps == 0 {
        figures.killed_during_start += 1;
    } else {
        figures.killed_mid_apply += 1;
    }

    // A plain re-run converges.
    let rerun = run_bounded(&mut flowform(&context, spec, &arguments), "re-run after SIGKILL");
    let stdout = String::from_utf8_lossy(&rerun.stdout);
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert!(
        rerun.status.success(),
        "kill {kill} (after {steps} of {total_steps} steps): the plain re-run failed:\n{stderr}"
    );
    if stderr.contains("broke a stale state lock") {
        figures.reruns_breaking_a_stale_lock += 1;
    }
    // The plan on stdout warns once per lost create it adopts.
    let adopted = stdout.matches("an earlier create got no answer").count() as u64;
    // A local state records each step at once, so only the creates in flight at the kill are
    // adopted; the integrator state is written at most once a second, so everything created
    // since its last write is.
    if integrator {
        figures.lost_creates_adopted_integrator_state += adopted;
    } else {
        figures.lost_creates_adopted_local_state += adopted;
    }
    figures.reruns_adopting_lost_creates += u64::from(adopted > 0);
    let mut plan_arguments = vec!["plan", "--detailed-exitcode"];
    plan_arguments.extend_from_slice(backend);
    let plan = run_bounded(&mut flowform(&context, spec, &plan_arguments), "plan after re-run");
    assert_eq!(
        plan.status.code(),
        Some(0),
        "kill {kill}: the plan after the re-run is not empty:\n{}",
        String::from_utf8_lossy(&plan.stdout)
    );
    assert_converged(&context, spec, integrator, &format!("kill {kill}"));
}

#[expect(clippy::print_stderr, reason = "the test reports its figures for docs/reliability.md")]
fn report(figures: &Figures) {
    eprintln!("crash runs: {figures:#?}");
}

#[test]
fn sigkill_at_random_points_then_a_plain_rerun_converges() {
    let spec = flowform_specgen::generate(Options { resources: RESOURCES, seed: 9 }).unwrap();
    let mut figures =
        Figures { steps_in_a_full_apply: steps_of_a_full_apply(&spec), ..Figures::default() };
    for kill in 0..kill_count() {
        kill_once(&spec, kill, figures.steps_in_a_full_apply, &mut figures);
    }
    report(&figures);
    assert!(figures.killed_mid_apply > 0, "some kills land in the middle of the apply");
}
