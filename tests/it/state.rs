//! `flowform state list|show|rm|mv|unlock`, on both state backends.

use crate::support::{TestContext, bare_command};
use crate::{FLOW_ID, INTEGRATION_ID, context_with_fixtures, context_with_imports};

#[test]
fn list_and_show_never_print_values() {
    let context = context_with_imports();
    cli_snapshot!(context, context.flowform().args(["state", "list"]), @"
    exit_code: 0
    ----- stdout -----
    ADDRESS           ID
    integration.main  [ID]
    connection.api    [ID]
    flow.nightly      [ID]

    ----- stderr -----
    ");
    cli_snapshot!(context, context.flowform().args(["state", "list", "--format", "json"]), @r#"
    exit_code: 0
    ----- stdout -----
    {
      "format_version": 1,
      "target": "[URL] (user [ID])",
      "serial": 4,
      "resources": [
        {
          "address": "integration.main",
          "kind": "integration",
          "key": "main",
          "id": "[ID]"
        },
        {
          "address": "connection.api",
          "kind": "connection",
          "key": "api",
          "id": "[ID]"
        },
        {
          "address": "flow.nightly",
          "kind": "flow",
          "key": "nightly",
          "id": "[ID]"
        }
      ],
      "pending": []
    }

    ----- stderr -----
    "#);
    cli_snapshot!(context, context.flowform().args(["state", "show", "connection.api"]), @"
    exit_code: 0
    ----- stdout -----
    address          connection.api
    id               [ID]
    last modified    [TIME]
    prevent destroy  no
    digest           (none)
    applied paths    0
    secret paths     1
      http.auth.token.token (fingerprint unknown)

    ----- stderr -----
    ");
    cli_snapshot!(context, context.flowform().args(["state", "show", "flow.nightly", "--format", "json"]), @r#"
    exit_code: 0
    ----- stdout -----
    {
      "format_version": 1,
      "address": "flow.nightly",
      "id": "[ID]",
      "last_modified": "[TIME]",
      "prevent_destroy": true,
      "ignore_changes": [],
      "adopt": false,
      "owner": null,
      "digest": "",
      "applied_paths": [],
      "secret_paths": []
    }

    ----- stderr -----
    "#);
    cli_snapshot!(context, context.flowform().args(["state", "show", "flow.other"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `flow.other` is not in the state `[ROOT]/.flowform/state.json`
    hint: `flowform state list` shows the managed addresses
    ");
}

#[test]
fn local_state_commands_work_offline() {
    let context = context_with_imports();
    context.admin().reset_counters();
    // No token, no endpoint, and CI set: reading a local state file needs no account.
    let (code, rendered) =
        context.run(bare_command(context.root()).env("CI", "true").args(["state", "list"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("flow.nightly"), "{rendered}");
    assert_eq!(context.admin().counters().requests_received, 0);
    assert!(!context.root().join(".flowform/sandbox.json").exists());
}

#[test]
fn empty_state_lists_nothing() {
    let context = TestContext::new();
    context.write("spec.yaml", crate::SPEC);
    cli_snapshot!(context, context.flowform().args(["state", "list"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    there is no state at `[ROOT]/.flowform/state.json`: nothing is managed yet
    ");
    cli_snapshot!(context, context.flowform().args(["state", "rm", "flow.nightly"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: there is no state at `[ROOT]/.flowform/state.json`
    hint: `flowform apply` or `flowform import` creates it
    ");
}

#[test]
fn rm_stops_managing_and_deletes_nothing() {
    let context = context_with_imports();
    cli_snapshot!(context, context.flowform().args(["state", "rm", "flow.nightly"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    removed `flow.nightly` ([ID]) from the state; the live resource was left as it is
    warning: `flow.nightly` is still in the spec: the next plan finds the live resource by name and stops until it is adopted or imported again
    ");
    assert!(context.state()["resources"].get("flow.nightly").is_none());
    assert!(context.admin().document(flowform_emulator::ResourceKind::Flows, FLOW_ID).is_some());
    // Every address must be managed, or nothing is removed.
    let serial = context.state()["serial"].clone();
    cli_snapshot!(context, context.flowform().args(["state", "rm", "integration.main", "flow.nightly"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `flow.nightly` is not in the state `[ROOT]/.flowform/state.json`
    hint: `flowform state list` shows the managed addresses
    ");
    assert_eq!(context.state()["serial"], serial);
    assert!(context.state()["resources"].get("integration.main").is_some());
}

#[test]
fn mv_rebinds_within_a_kind() {
    let context = context_with_imports();
    cli_snapshot!(context, context.flowform().args(["state", "mv", "flow.nightly", "flow.daily"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    moved `flow.nightly` to `flow.daily` ([ID])
    ");
    assert_eq!(context.state()["resources"]["flow.daily"]["id"], FLOW_ID);
    assert!(context.state()["resources"].get("flow.nightly").is_none());
    cli_snapshot!(context, context.flowform().args(["state", "mv", "flow.daily", "export.daily"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot move `flow.daily` to `export.daily`: the kinds differ (`flow` and `export`)
    hint: a live resource keeps its kind; `state mv` only changes its key
    ");
    cli_snapshot!(context, context.flowform().args(["state", "mv", "integration.main", "integration.main"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot move `integration.main` to itself
    ");
    context.write("more.yaml", "integrations:\n  second:\n    name: Second\n");
    context.load(serde_json::json!({"integrations": [{"_id": "dddddddddddddddddddddddd", "name": "Second"}]}));
    let (code, rendered) = context.run(context.flowform().args([
        "import",
        "integration.second",
        "dddddddddddddddddddddddd",
    ]));
    assert_eq!(code, 0, "{rendered}");
    cli_snapshot!(context, context.flowform().args(["state", "mv", "integration.main", "integration.second"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: cannot move `integration.main` to `integration.second`: `integration.second` is already bound to `[ID]`
    hint: remove it first with `flowform state rm integration.second` if it is stale
    ");
    cli_snapshot!(context, context.flowform().args(["state", "mv", "flow.gone", "flow.other"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `flow.gone` is not in the state `[ROOT]/.flowform/state.json`
    hint: `flowform state list` shows the managed addresses
    ");
}

#[test]
fn a_held_lock_names_its_holder_and_unlock_breaks_it() {
    let context = context_with_imports();
    // A holder on another host is never taken for dead.
    let holder = serde_json::json!({
        "pid": 4242,
        "host": "ci-runner-7",
        "command": "apply",
        "acquired_at": "2026-01-01T00:00:00.000Z",
    });
    context.write(".flowform/state.json.lock", &holder.to_string());
    cli_snapshot!(context, context.flowform().args(["state", "rm", "flow.nightly"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the state is locked by `flowform apply` (pid [PID] on host [HOST], since [TIME])
    hint: wait for it to finish, or retry with `--lock-timeout SECONDS`; if that process is gone (a crashed CI runner), run `flowform state unlock`
    ");
    cli_snapshot!(context, context.flowform().args(["state", "unlock"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    removed the lock of the state `[ROOT]/.flowform/state.json` held by `flowform apply` (pid [PID] on host [HOST], since [TIME])
    ");
    cli_snapshot!(context, context.flowform().args(["state", "unlock"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    the state `[ROOT]/.flowform/state.json` is not locked
    ");
    let (code, rendered) = context.run(context.flowform().args(["state", "rm", "flow.nightly"]));
    assert_eq!(code, 0, "{rendered}");
}

#[test]
fn integrator_backend_keeps_the_state_in_the_account() {
    let context = context_with_fixtures();
    for (address, id) in [("integration.main", INTEGRATION_ID), ("flow.nightly", FLOW_ID)] {
        let (code, rendered) =
            context.run(context.flowform().args(["import", address, id, "--state", "integrator"]));
        assert_eq!(code, 0, "{rendered}");
    }
    assert!(!context.root().join(".flowform/state.json").exists());
    let stored = context.admin().state_value("flowform-default").expect("stored in the account");
    assert_eq!(stored["resources"]["flow.nightly"]["id"], FLOW_ID);
    assert!(context.admin().state_value("flowform-default-lock").is_none(), "lock released");
    cli_snapshot!(context, context.flowform().args(["state", "list", "--state", "integrator"]), @"
    exit_code: 0
    ----- stdout -----
    ADDRESS           ID
    integration.main  [ID]
    flow.nightly      [ID]

    ----- stderr -----
    ");
    cli_snapshot!(context, context.flowform().args(["state", "mv", "flow.nightly", "flow.daily", "--state", "integrator"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    moved `flow.nightly` to `flow.daily` ([ID])
    ");
    let stored = context.admin().state_value("flowform-default").unwrap();
    assert_eq!(stored["resources"]["flow.daily"]["id"], FLOW_ID);
    // Without an account, the integrator backend cannot be read.
    let (code, rendered) = context.run(bare_command(context.root()).env("CI", "1").args([
        "state",
        "list",
        "--state",
        "integrator",
    ]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("`CI` is set"), "{rendered}");
}

#[test]
fn a_state_of_another_account_is_refused() {
    let context = context_with_imports();
    let mut state = context.state();
    state["target"] =
        serde_json::json!("https://api.integrator.io (user 0123456789abcdef01234567)");
    context.write(".flowform/state.json", &serde_json::to_string_pretty(&state).unwrap());
    context.write("more.yaml", "integrations:\n  second:\n    name: Second\n");
    context.load(serde_json::json!({"integrations": [{"_id": "dddddddddddddddddddddddd", "name": "Second"}]}));
    cli_snapshot!(context, context.flowform().args(["import", "integration.second", "dddddddddddddddddddddddd"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the state `[ROOT]/.flowform/state.json` belongs to `https://api.integrator.io (user [ID])`, not to `[URL] (user [ID])`
    hint: each account needs its own state: pass `--state PATH` or `--env NAME` for this one; remove the old state only if the account it belongs to is gone
    ");
    cli_snapshot!(context, context.flowform().args(["run", "flow.nightly"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the state `[ROOT]/.flowform/state.json` belongs to `https://api.integrator.io (user [ID])`, not to `[URL] (user [ID])`
    hint: each account needs its own state: pass `--state PATH` or `--env NAME` for this one; remove the old state only if the account it belongs to is gone
    ");
    assert_eq!(context.state()["target"], state["target"], "left untouched");
}
