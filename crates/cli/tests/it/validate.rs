//! `flowform validate`: exit 0 when clean or with warnings only, 1 with errors, 64 on a bad
//! command line.

use crate::support::{flowform, run, spec};

const CLEAN: &str = "integrations:\n  main:\n    name: Main\nflows:\n  nightly:\n    name: Nightly\n    _integrationId: ${integration.main}\n";

#[test]
fn clean_spec_exits_0() {
    let directory = spec(&[("spec.yaml", CLEAN)]);
    cli_snapshot!(flowform().arg("validate").current_dir(directory.path()), None, @r"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    the spec is valid: 2 resources in 1 file
    ");
}

#[test]
fn warnings_only_exit_0() {
    let directory = spec(&[(
        "spec.yaml",
        "flows:\n  nightly:\n    name: Nightly\n    shedule: \"? 0 2 * * *\"\n",
    )]);
    cli_snapshot!(flowform().args(["validate", "-f", "spec.yaml"]).current_dir(directory.path()), None, @r#"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    spec::unknown-field

      ⚠ unknown flow field `shedule`
       ╭─[spec.yaml:4:5]
     3 │     name: Nightly
     4 │     shedule: "? 0 2 * * *"
       ·     ───┬───
       ·        ╰── unknown field
       ╰────
      help: did you mean `schedule`? Celigo's schemas do not list `shedule` for flows; it is sent as
            written

    the spec is valid: 1 resource in 1 file, with 1 warning
    "#);
}

#[test]
fn quiet_hides_warnings_and_the_summary() {
    let directory =
        spec(&[("spec.yaml", "flows:\n  nightly:\n    name: Nightly\n    shedule: x\n")]);
    cli_snapshot!(flowform().args(["validate", "-q"]).current_dir(directory.path()), None, @r"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    ");
}

#[test]
fn errors_exit_1_and_all_are_reported() {
    let directory = spec(&[
        (
            "a.yaml",
            "flows:\n  nightly:\n    name: Nightly\n    _integrationId: ${integration.mian}\n",
        ),
        ("b.yaml", "integrations:\n  main:\n    name: Main\n    _id: 0123456789abcdef01234567\n"),
    ]);
    cli_snapshot!(flowform().arg("validate").current_dir(directory.path()), None, @r"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    spec::unknown-reference

      × unknown reference `${integration.mian}`: no integration has the key `mian`
       ╭─[a.yaml:4:21]
     3 │     name: Nightly
     4 │     _integrationId: ${integration.mian}
       ·                     ─────────┬─────────
       ·                              ╰── unknown key
       ╰────
      help: did you mean `${integration.main}`?

    spec::server-owned-field

      × `_id` is owned by the server and cannot be set in a spec
       ╭─[b.yaml:4:5]
     3 │     name: Main
     4 │     _id: 0123456789abcdef01234567
       ·     ─┬─
       ·      ╰── server-owned
       ╰────
      help: remove it: integrator.io sets it, and flowform tracks ids in its state

    error: the spec has 2 errors
    ");
}

#[test]
fn bad_flags_exit_64() {
    let (code, rendered) = run(flowform().args(["validate", "--no-such-flag"]), None);
    assert_eq!(code, 64, "{rendered}");
    assert!(rendered.contains("unexpected argument '--no-such-flag'"), "{rendered}");

    let (code, rendered) = run(flowform().args(["validate", "--var", "missing-equals"]), None);
    assert_eq!(code, 64, "{rendered}");
    assert!(rendered.contains("is not NAME=VALUE"), "{rendered}");

    let (code, _) = run(flowform().args(["validate", "--region", "mars"]), None);
    assert_eq!(code, 64);

    let (code, _) = run(&mut flowform(), None);
    assert_eq!(code, 64, "a missing command is a usage error");

    cli_snapshot!(flowform().args(["validate", "--endpoint", "http://api.example.com"]), None, @r"
    exit_code: 64
    ----- stdout -----

    ----- stderr -----
    error: `--endpoint`: invalid endpoint `http://api.example.com/`: plain `http` is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1); use `https`
    hint: write an origin such as `https://api.integrator.io`; plain `http://` is only for an emulator on this machine
    ");
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    let (code, rendered) = run(flowform().arg("--version"), None);
    assert_eq!(code, 0);
    assert!(rendered.starts_with("exit_code: 0\n----- stdout -----\nflowform "), "{rendered}");
    let (code, rendered) = run(flowform().args(["validate", "--help"]), None);
    assert_eq!(code, 0);
    assert!(rendered.contains("Usage: flowform validate"), "{rendered}");
}

#[test]
fn environment_files_and_variables() {
    let directory = spec(&[
        (
            "spec.yaml",
            "variables:\n  host: localhost\nconnections:\n  api:\n    name: API on ${var.host}\n    type: http\n    http: {baseURI: \"https://${var.host}\", mediaType: json}\n",
        ),
        ("environments/prod.yaml", "region: eu\nvariables:\n  host: prod.example.com\n"),
        ("environments/bad.yaml", "endpoint: http://example.com\n"),
    ]);
    let (code, rendered) = run(
        flowform().args(["validate", "--env", "prod", "-vv"]).current_dir(directory.path()),
        Some(directory.path()),
    );
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("endpoint: https://api.eu.integrator.io (from"), "{rendered}");
    assert!(rendered.contains("prod.state.json"), "{rendered}");

    let (code, rendered) = run(
        flowform()
            .args(["validate", "--env", "prod", "--var", "hots=x"])
            .current_dir(directory.path()),
        None,
    );
    assert_eq!(code, 1, "an undeclared `--var` is an error: {rendered}");
    assert!(rendered.contains("did you mean `--var host=…`?"), "{rendered}");

    cli_snapshot!(flowform().args(["validate", "--env", "bad"]).current_dir(directory.path()), Some(directory.path()), @r"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `endpoint` in `[ROOT]/environments/bad.yaml`: invalid endpoint `http://example.com/`: plain `http` is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1); use `https`
    hint: write an origin such as `https://api.integrator.io`; plain `http://` is only for an emulator on this machine
    ");

    let (code, rendered) =
        run(flowform().args(["validate", "--env", "staging"]).current_dir(directory.path()), None);
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("available environments: bad, prod"), "{rendered}");
}

#[test]
fn missing_paths_exit_1() {
    let directory = spec(&[]);
    cli_snapshot!(flowform().args(["validate", "-f", "nothing-here.yaml"]).current_dir(directory.path()), None, @r"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    spec::io

      × `nothing-here.yaml` does not exist

    error: the spec has 1 error
    ");
}

#[test]
fn colour_only_when_asked() {
    let directory = spec(&[("spec.yaml", "flows:\n  x:\n    name: X\n    _id: 1\n")]);
    let (_, plain) = run(flowform().arg("validate").current_dir(directory.path()), None);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    let (_, coloured) =
        run(flowform().args(["validate", "--color", "always"]).current_dir(directory.path()), None);
    assert!(coloured.contains('\u{1b}'), "{coloured}");
}

/// A file named without a directory is rooted in the current directory, so its `contentFile`
/// cannot climb out with `..`.
#[test]
fn content_file_confinement_for_a_bare_file_name() {
    let directory = spec(&[
        ("outside.js", "// outside the spec root"),
        ("spec/spec.yaml", "scripts:\n  s:\n    name: S\n    contentFile: ../outside.js\n"),
    ]);
    let (code, rendered) = run(
        flowform()
            .args(["validate", "-f", "spec.yaml"])
            .env("COLUMNS", "1000")
            .current_dir(directory.path().join("spec")),
        Some(directory.path()),
    );
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("escapes the spec root `[ROOT]/spec` by `..`"), "{rendered}");
}

/// A spec with one warning (a value the service rewrites) and nothing else.
const WARNING_ONLY: &str = "connections:\n  api:\n    name: API\n    type: http\n    http:\n      baseURI: https://api.example.com\n      mediaType: JSON\n";

#[test]
fn strict_turns_warnings_into_errors() {
    let directory = spec(&[("spec.yaml", WARNING_ONLY)]);
    let (code, rendered) = run(flowform().arg("validate").current_dir(directory.path()), None);
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("with 1 warning"), "{rendered}");
    cli_snapshot!(flowform().args(["validate", "--strict"]).current_dir(directory.path()), None, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    spec::rewritten-value

      × integrator.io stores `http.mediaType: JSON` as `json`
       ╭─[spec.yaml:7:18]
     6 │       baseURI: https://api.example.com
     7 │       mediaType: JSON
       ·                  ──┬─
       ·                    ╰── stored as `json`
       ╰────
      help: the service changes the case of this field; write `json` so the spec says what the account
            will hold (plans read both forms as the same value) (an error under `--strict`)

    error: the spec has 1 error
    "#);
}

#[test]
fn plan_and_apply_strict_stop_on_warnings_before_any_account() {
    let directory = spec(&[("spec.yaml", WARNING_ONLY)]);
    for command in [&["plan", "--strict"][..], &["apply", "--strict", "--auto-approve"]] {
        let (code, rendered) =
            run(flowform().args(command).current_dir(directory.path()), Some(directory.path()));
        assert_eq!(code, 1, "{command:?}: {rendered}");
        assert!(rendered.contains("× integrator.io stores `http.mediaType: JSON`"), "{rendered}");
        assert!(rendered.contains("error: the spec has 1 error"), "{rendered}");
        assert!(!directory.path().join(".flowform").exists(), "{command:?} opened the sandbox");
    }
    // `apply PLANFILE` applies a saved plan and reads no spec: `--strict` is a usage error there.
    let (code, rendered) = run(
        flowform().args(["apply", "plan.json", "--strict"]).current_dir(directory.path()),
        None,
    );
    assert_eq!(code, 64, "{rendered}");
}

#[test]
fn json_format_lists_every_diagnostic_on_stdout() {
    let directory = spec(&[(
        "spec.yaml",
        "connections:\n  api:\n    name: API\n    type: htp\n    htp: {}\nflows:\n  nightly:\n    name: Nightly\n    shedule: x\n    _integrationId: ${integration.main}\n",
    )]);
    let (code, rendered) =
        run(flowform().args(["validate", "--format", "json"]).current_dir(directory.path()), None);
    assert_eq!(code, 1, "{rendered}");
    let stdout = rendered
        .split("----- stdout -----\n")
        .nth(1)
        .and_then(|rest| rest.split("\n----- stderr -----").next())
        .expect("stdout");
    let document: serde_json::Value = serde_json::from_str(stdout.trim()).expect("valid JSON");
    insta::assert_json_snapshot!(document, @r#"
    {
      "format_version": 1,
      "valid": false,
      "summary": {
        "errors": 2,
        "warnings": 2,
        "resources": 2,
        "files": 1
      },
      "diagnostics": [
        {
          "file": "spec.yaml",
          "line": 4,
          "column": 11,
          "severity": "error",
          "code": "spec::invalid-value",
          "message": "`htp` is not a valid `type`",
          "label": "not a valid value",
          "help": "did you mean `ftp` or `http`? `type` is one of `netsuite`, `salesforce`, `ftp`, `s3`, `wrapper`, `http`, `rdbms`, `mongodb`, `as2`, `filesystem`, `mcp`, `dynamodb`, `jdbc`, `van`, `rest` (case matters); integrator.io refuses any other value"
        },
        {
          "file": "spec.yaml",
          "line": 5,
          "column": 5,
          "severity": "warning",
          "code": "spec::unknown-field",
          "message": "unknown connection field `htp`",
          "label": "unknown field",
          "help": "did you mean `ftp` or `http`? Celigo's schemas do not list `htp` for connections; it is sent as written"
        },
        {
          "file": "spec.yaml",
          "line": 9,
          "column": 5,
          "severity": "warning",
          "code": "spec::unknown-field",
          "message": "unknown flow field `shedule`",
          "label": "unknown field",
          "help": "did you mean `schedule`? Celigo's schemas do not list `shedule` for flows; it is sent as written"
        },
        {
          "file": "spec.yaml",
          "line": 10,
          "column": 21,
          "severity": "error",
          "code": "spec::unknown-reference",
          "message": "unknown reference `${integration.main}`: no integration has the key `main`",
          "label": "unknown key",
          "help": "declare `main` under `integrations:`"
        }
      ]
    }
    "#);
    // Nothing but the document on stdout, and no rendered diagnostics on stderr.
    assert!(!rendered.contains("spec::unknown-field\n"), "{rendered}");
}
