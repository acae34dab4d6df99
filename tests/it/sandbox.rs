//! The local sandbox (PRODUCT.md §3): with no token and no endpoint, an emulator runs inside
//! flowform with its data in `.flowform/sandbox.json`; in CI that is an error unless
//! `--sandbox` is given; an endpoint without a token is an error.

use flowform_emulator::{BackgroundEmulator, EmulatorConfig};

use crate::support::TestContext;
use crate::{FLOW_ID, INTEGRATION_ID, SPEC, fixtures};

/// A spec directory whose sandbox data file already holds the fixtures.
fn sandbox_with_fixtures() -> TestContext {
    let context = TestContext::new();
    context.write("spec.yaml", SPEC);
    let seeded = BackgroundEmulator::start(EmulatorConfig {
        data_file: Some(context.root().join(".flowform/sandbox.json")),
        ..EmulatorConfig::for_tests()
    })
    .expect("the seeding emulator starts");
    seeded.admin().load_fixtures(&fixtures()).expect("fixtures load");
    // Dropping it writes the data file.
    drop(seeded);
    context
}

#[test]
fn without_token_and_endpoint_the_sandbox_is_used_and_persists() {
    let context = sandbox_with_fixtures();
    cli_snapshot!(context, context.sandbox().args(["import", "flow.nightly", FLOW_ID]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    using the local sandbox (no API token is set): data in `[ROOT]/.flowform/sandbox.json`; set CELIGO_API_TOKEN to use integrator.io
    imported `flow.nightly` ([ID]); run `flowform plan` to see how it differs from the spec
    ");
    assert_eq!(context.state()["target"], "sandbox");
    cli_snapshot!(context, context.sandbox().args(["run", "flow.nightly", "--wait"]), @"
    exit_code: 0
    ----- stdout -----
    job: [ID]
    status: completed
    numSuccess: 0
    numError: 0
    numIgnore: 0
    numExport: 0
    numPagesGenerated: 0
    numPagesProcessed: 0

    ----- stderr -----
    using the local sandbox (no API token is set): data in `[ROOT]/.flowform/sandbox.json`; set CELIGO_API_TOKEN to use integrator.io
    started `flow.nightly` ([ID]) as job `[ID]`
    ");
    // A quiet run says nothing about the sandbox.
    let (code, rendered) = context.run(context.sandbox().args(["run", "flow.nightly", "-q"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(!rendered.contains("sandbox"), "{rendered}");
    assert!(!context.root().join(".flowform/sandbox.json.lock").exists(), "lock released");
}

#[test]
fn ci_without_a_token_is_an_error_unless_sandbox_is_asked_for() {
    let context = sandbox_with_fixtures();
    cli_snapshot!(context, context.sandbox().env("CI", "true").args(["import", "flow.nightly", FLOW_ID]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no API token: `CI` is set and neither `CELIGO_API_TOKEN` nor `--token-file` gives a token
    hint: a CI job never falls back to the local sandbox by mistake: set `CELIGO_API_TOKEN` (or pass `--token-file PATH`) to use integrator.io, or pass `--sandbox` to use the local sandbox on purpose
    ");
    assert!(!context.root().join(".flowform/state.json").exists());
    cli_snapshot!(context, context.sandbox().env("CI", "true").args(["import", "flow.nightly", FLOW_ID, "--sandbox"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    using the local sandbox (--sandbox): data in `[ROOT]/.flowform/sandbox.json`; set CELIGO_API_TOKEN to use integrator.io
    imported `flow.nightly` ([ID]); run `flowform plan` to see how it differs from the spec
    ");
}

#[test]
fn sandbox_flag_wins_over_a_token() {
    let context = sandbox_with_fixtures();
    let (code, rendered) = context.run(context.flowform().args([
        "import",
        "integration.main",
        INTEGRATION_ID,
        "--sandbox",
    ]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("using the local sandbox (--sandbox)"), "{rendered}");
    assert_eq!(context.state()["target"], "sandbox");
    assert_eq!(context.admin().counters().requests_received, 0, "the emulator was not asked");
    // The state is bound to the sandbox: the emulator account is another target.
    let (code, rendered) =
        context.run(context.flowform().args(["import", "flow.nightly", FLOW_ID]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("belongs to `sandbox`"), "{rendered}");
}

#[test]
fn an_endpoint_without_a_token_is_an_error() {
    let context = TestContext::new();
    context.write("spec.yaml", SPEC);
    cli_snapshot!(context, context.sandbox().env("CELIGO_BASE_URL", context.emulator.url()).args(["run", "flow.nightly"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no API token for `[URL]` (endpoint from CELIGO_BASE_URL)
    hint: set the environment variable `CELIGO_API_TOKEN`, or pass `--token-file PATH` naming a file whose first line is the token
    ");
    context.write("environments/prod.yaml", "region: eu\n");
    cli_snapshot!(context, context.sandbox().args(["run", "flow.nightly", "--env", "prod"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no API token for `https://api.eu.integrator.io` (endpoint from [ROOT]/environments/prod.yaml)
    hint: set the environment variable `CELIGO_API_TOKEN`, or pass `--token-file PATH` naming a file whose first line is the token
    ");
}

#[test]
fn one_flowform_at_a_time_uses_the_sandbox() {
    let context = sandbox_with_fixtures();
    let holder = serde_json::json!({
        "pid": 4242,
        "host": "another-machine",
        "command": "apply",
        "acquired_at": "2026-01-01T00:00:00.000Z",
    });
    context.write(".flowform/sandbox.json.lock", &holder.to_string());
    cli_snapshot!(context, context.sandbox().args(["run", "flow.nightly"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the local sandbox is in use by `flowform apply` (pid [PID] on host [HOST], since [TIME])
    hint: wait for it to finish (or pass `--lock-timeout SECONDS`); one flowform at a time can use the sandbox
    ");
}

#[test]
fn each_environment_has_its_own_sandbox() {
    let context = TestContext::new();
    context.write("spec.yaml", SPEC);
    context.write("environments/dev.yaml", "variables: {}\n");
    let (code, rendered) = context.run(context.sandbox().args(["run", FLOW_ID, "--env", "dev"]));
    assert_eq!(code, 1, "the flow does not exist in the new sandbox: {rendered}");
    assert!(rendered.contains("[ROOT]/.flowform/dev.sandbox.json"), "{rendered}");
    assert!(context.root().join(".flowform/dev.sandbox.json").exists());
}

#[cfg(unix)]
#[test]
fn a_token_file_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let context = crate::context_with_imports();
    let token_file = context.root().join("token.txt");
    fs_err::write(&token_file, format!("{}\n", crate::support::TOKEN)).unwrap();
    fs_err::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut command = crate::support::bare_command(context.root());
    command.env("CELIGO_BASE_URL", context.emulator.url()).args([
        "run",
        "flow.nightly",
        "--token-file",
        "token.txt",
    ]);
    cli_snapshot!(context, &mut command, @"
    exit_code: 0
    ----- stdout -----
    [ID]

    ----- stderr -----
    warning: the token file `token.txt` is readable by group or others (mode 0644); restrict it with `chmod 600 token.txt`
    started `flow.nightly` ([ID]) as job `[ID]`
    ");
    fs_err::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, rendered) = context.run(&mut command);
    assert_eq!(code, 0, "{rendered}");
    assert!(!rendered.contains("warning"), "{rendered}");
}

#[test]
fn a_rejected_token_is_one_clear_error_that_never_shows_it() {
    let context = TestContext::new();
    context.write("spec.yaml", SPEC);
    let (code, rendered) = context
        .run(context.flowform().env("CELIGO_API_TOKEN", "tok-wrong-canary").args(["run", FLOW_ID]));
    assert_eq!(code, 1, "{rendered}");
    assert!(!rendered.contains("tok-wrong-canary"), "{rendered}");
    insta::with_settings!({filters => crate::support::filters()}, {
        insta::assert_snapshot!(rendered, @"
        exit_code: 1
        ----- stdout -----

        ----- stderr -----
        error: cannot use the account at `[URL]`
        caused by: `GET /v1/tokenInfo`: the API token was rejected (401) by `[URL]` (server said: Bearer Authentication Failed); check that the token is valid, not expired or revoked, and belongs to this region
        ");
    });
}

#[test]
fn an_unreachable_endpoint_is_an_error() {
    let context = TestContext::new();
    context.write("spec.yaml", SPEC);
    // Port 9 (discard) is closed on loopback: the connection is refused at once.
    cli_snapshot!(context, context.flowform().env("CELIGO_BASE_URL", "http://127.0.0.1:9").args(["run", FLOW_ID]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot use the account at `http://127.0.0.1:[PORT]`
    caused by: `GET /v1/tokenInfo` failed after 5 attempts
    caused by: `GET /v1/tokenInfo` failed: the connection to the server failed
    caused by: error sending request
    caused by: client error (Connect)
    caused by: tcp connect error
    caused by: Connection refused (os error 111)
    hint: check that `http://127.0.0.1:[PORT]` (from CELIGO_BASE_URL) is the integrator.io API and can be reached from here
    ");
}

#[test]
fn spec_errors_come_before_an_unreachable_account() {
    // `plan` loads the spec while the account check travels; the spec's problems still decide
    // the outcome and are all that is reported.
    let context = TestContext::new();
    context.write(
        "spec.yaml",
        "flows:\n  nightly:\n    name: Nightly\n    _integrationId: ${integration.nope}\n",
    );
    cli_snapshot!(context, context.flowform().env("CELIGO_BASE_URL", "http://127.0.0.1:9").args(["plan"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    spec::unknown-reference

      × unknown reference `${integration.nope}`: no integration has the key `nope`
       ╭─[spec.yaml:4:21]
     3 │     name: Nightly
     4 │     _integrationId: ${integration.nope}
       ·                     ─────────┬─────────
       ·                              ╰── unknown key
       ╰────
      help: declare `nope` under `integrations:`

    error: the spec has 1 error
    hint: `flowform validate` lists the problems without touching any account
    ");
}
