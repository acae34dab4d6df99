//! Two applies at once on one state, on both backends (issue 9): the second fails at once
//! naming the holder, or waits with `--lock-timeout`; simultaneous starts never corrupt the
//! state nor create anything twice; a lock whose holder provably died on this host is broken
//! with a warning; any other lock is broken with `flowform state unlock`, as its hint says.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use flowform_specgen::{GeneratedSpec, Options};

use crate::common::{
    WATCHDOG, assert_converged, flowform, http_put, run_bounded, slow_context, write_spec,
};
use crate::support::{TOKEN, TestContext};

const LOCK_KEY: &str = "flowform-default-lock";

fn spec() -> GeneratedSpec {
    flowform_specgen::generate(Options { resources: 30, seed: 5 }).unwrap()
}

/// The two backends: the local file, and the account's State API.
const BACKENDS: [bool; 2] = [false, true];

fn backend_arguments(integrator: bool) -> &'static [&'static str] {
    if integrator { &["--state", "integrator"] } else { &[] }
}

fn apply_command(
    context: &TestContext,
    spec: &GeneratedSpec,
    integrator: bool,
    extra: &[&str],
) -> std::process::Command {
    let mut command = flowform(context, spec, &["apply", "--auto-approve"]);
    command.args(backend_arguments(integrator)).args(extra);
    command
}

fn lock_exists(context: &TestContext, integrator: bool) -> bool {
    if integrator {
        context.admin().state_value(LOCK_KEY).is_some()
    } else {
        context.root().join(".flowform/state.json.lock").exists()
    }
}

/// Starts an apply in the background and returns once it holds the lock.
fn start_holder(context: &TestContext, spec: &GeneratedSpec, integrator: bool) -> Child {
    let mut first = apply_command(context, spec, integrator, &[])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let started = Instant::now();
    while !lock_exists(context, integrator) {
        assert!(first.try_wait().unwrap().is_none(), "the first apply ended before locking");
        assert!(started.elapsed() < WATCHDOG, "the first apply never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    first
}

fn wait_success(mut child: Child, what: &str) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{what} failed");
            return;
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("{what}: a hang");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_second_apply_fails_at_once_naming_the_holder_on_both_backends() {
    let spec = spec();
    for integrator in BACKENDS {
        // Slow enough that the first apply still holds the lock when the second reaches it, even
        // on a loaded machine (at 5 ms, the 30 resources could be done before the second apply
        // had loaded its spec, and it then found nothing to do).
        let context = slow_context(3, Duration::from_millis(100), Duration::ZERO);
        write_spec(&context, &spec);
        let first = start_holder(&context, &spec, integrator);
        let second =
            run_bounded(&mut apply_command(&context, &spec, integrator, &[]), "second apply");
        let stderr = text(&second.stderr);
        assert_eq!(second.status.code(), Some(1), "{stderr}");
        let holder = format!("the state is locked by `flowform apply` (pid {} on host", first.id());
        assert!(stderr.contains(&holder), "integrator={integrator}: {stderr}");
        assert!(stderr.contains("hint:") && stderr.contains("flowform state unlock"), "{stderr}");
        wait_success(first, "the first apply");
        assert_converged(&context, &spec, integrator, "after a refused second apply");
    }
}

#[test]
fn a_second_apply_with_a_lock_timeout_waits_for_the_first() {
    let spec = spec();
    for integrator in BACKENDS {
        let context = slow_context(4, Duration::from_millis(5), Duration::ZERO);
        write_spec(&context, &spec);
        let first = start_holder(&context, &spec, integrator);
        let second = run_bounded(
            &mut apply_command(&context, &spec, integrator, &["--lock-timeout", "300"]),
            "waiting apply",
        );
        assert!(second.status.success(), "{}", text(&second.stderr));
        wait_success(first, "the first apply");
        // The second planned after the first finished: it had nothing left to do.
        assert!(text(&second.stdout).contains("No changes"), "{}", text(&second.stdout));
        assert_converged(&context, &spec, integrator, "after a waiting second apply");
    }
}

#[test]
fn simultaneous_applies_never_corrupt_the_state_nor_duplicate() {
    let spec = spec();
    let mut refused = 0;
    for round in 0..4u64 {
        for integrator in BACKENDS {
            let context = slow_context(round, Duration::from_millis(1), Duration::from_millis(3));
            write_spec(&context, &spec);
            let spawn = || {
                apply_command(&context, &spec, integrator, &[])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("the binary starts")
            };
            let children = [spawn(), spawn()];
            let mut successes = 0;
            for child in children {
                let output = child.wait_with_output().expect("waitable");
                let stderr = text(&output.stderr);
                match output.status.code() {
                    Some(0) => successes += 1,
                    Some(1) => {
                        assert!(stderr.contains("the state is locked by"), "{stderr}");
                        refused += 1;
                    }
                    other => panic!("round {round}: exit {other:?}: {stderr}"),
                }
            }
            assert!(successes >= 1, "round {round}, integrator={integrator}: one apply won");
            // Whoever lost, one more plain apply finishes the job, and the account converges.
            let last = run_bounded(&mut apply_command(&context, &spec, integrator, &[]), "last");
            assert!(last.status.success(), "{}", text(&last.stderr));
            assert_converged(&context, &spec, integrator, &format!("round {round}"));
        }
    }
    assert!(refused > 0, "at least one start collided with the other's lock");
}

/// This machine's host name as flowform records it in lock holders.
fn host_name() -> String {
    fs_err::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn holder(pid: u64, host: &str, expires_at: Option<&str>) -> serde_json::Value {
    let mut holder = serde_json::json!({
        "pid": pid,
        "host": host,
        "command": "apply",
        "acquired_at": "2026-01-01T00:00:00.000Z",
    });
    if let Some(expires_at) = expires_at {
        holder["expires_at"] = serde_json::json!(expires_at);
        holder["nonce"] = serde_json::json!("0123456789abcdef");
    }
    holder
}

fn place_lock(context: &TestContext, integrator: bool, lock: &serde_json::Value) {
    if integrator {
        http_put(&context.emulator.url(), TOKEN, &format!("/v1/state/{LOCK_KEY}"), lock);
        assert!(context.admin().state_value(LOCK_KEY).is_some());
    } else {
        context.write(".flowform/state.json.lock", &lock.to_string());
    }
}

#[test]
fn a_lock_whose_holder_died_on_this_host_is_broken_with_a_warning() {
    if !std::path::Path::new("/proc/self").exists() {
        return crate::common::skip("no /proc: a dead holder cannot be proven dead here");
    }
    let spec = spec();
    for integrator in BACKENDS {
        let context = slow_context(6, Duration::ZERO, Duration::ZERO);
        write_spec(&context, &spec);
        // A pid far above any pid_max is never alive. A remote lock also carries an expiry far
        // ahead, so only the dead-holder rule can break it.
        let expiry = integrator.then_some("2999-01-01T00:00:00.000Z");
        place_lock(&context, integrator, &holder(999_999_999, &host_name(), expiry));
        let output = run_bounded(&mut apply_command(&context, &spec, integrator, &[]), "apply");
        let stderr = text(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(
            stderr.contains(
                "warning: broke a stale state lock held by `flowform apply` (pid 999999999"
            ),
            "{stderr}"
        );
        assert!(!lock_exists(&context, integrator), "the lock was released at the end");
        assert_converged(&context, &spec, integrator, "after breaking a stale lock");
    }
}

#[test]
fn a_lock_held_elsewhere_is_broken_only_by_state_unlock() {
    let spec = spec();
    for integrator in BACKENDS {
        let context = slow_context(7, Duration::ZERO, Duration::ZERO);
        write_spec(&context, &spec);
        let expiry = integrator.then_some("2999-01-01T00:00:00.000Z");
        place_lock(&context, integrator, &holder(4242, "ci-runner-7", expiry));
        let refused = run_bounded(&mut apply_command(&context, &spec, integrator, &[]), "apply");
        let stderr = text(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(
                "the state is locked by `flowform apply` (pid 4242 on host `ci-runner-7`"
            ),
            "{stderr}"
        );
        assert!(stderr.contains("`flowform state unlock`"), "the hint names the way out: {stderr}");
        assert_eq!(context.admin().counts().values().sum::<usize>(), 0, "nothing was changed");

        let mut unlock = flowform(&context, &spec, &["state", "unlock"]);
        unlock.args(backend_arguments(integrator));
        let unlocked = run_bounded(&mut unlock, "state unlock");
        assert!(unlocked.status.success(), "{}", text(&unlocked.stderr));
        let said = format!("{}{}", text(&unlocked.stdout), text(&unlocked.stderr));
        assert!(said.contains("pid 4242 on host `ci-runner-7`"), "{said}");
        let output = run_bounded(&mut apply_command(&context, &spec, integrator, &[]), "apply");
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_converged(&context, &spec, integrator, "after state unlock");
    }
}

#[test]
fn an_expired_remote_lock_is_broken_with_a_warning() {
    let spec = spec();
    let context = slow_context(8, Duration::ZERO, Duration::ZERO);
    write_spec(&context, &spec);
    place_lock(&context, true, &holder(4242, "ci-runner-7", Some("2000-01-01T00:00:00.000Z")));
    let output = run_bounded(&mut apply_command(&context, &spec, true, &[]), "apply");
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("broke a stale state lock held by `flowform apply` (pid 4242"),
        "{stderr}"
    );
    assert_converged(&context, &spec, true, "after an expired lock");
}
