//! Variables and discovery on the command line: `--var` values are YAML scalars, undeclared
//! names are errors, `--var-file` layers YAML files, and YAML that is not part of the spec is
//! skipped with a note.

use crate::support::{flowform, run, spec};

const FLOW: &str = "variables:\n  paused: false\n  channel: \"#general\"\nflows:\n  nightly:\n    name: Nightly ${var.channel}\n    disabled: ${var.paused}\n";

#[test]
fn var_values_are_yaml_scalars_and_quotes_keep_text() {
    let directory = spec(&[("spec.yaml", FLOW)]);
    let (code, rendered) = run(
        flowform().args(["validate", "--var", "paused=true"]).current_dir(directory.path()),
        None,
    );
    assert_eq!(code, 0, "{rendered}");
    assert!(
        rendered.contains("the spec is valid: 1 resource in 1 file\n"),
        "a boolean: {rendered}"
    );
    // Quoted, `true` stays the string "true", which the service would store as a boolean.
    let (code, rendered) = run(
        flowform().args(["validate", "--var", "paused=\"true\""]).current_dir(directory.path()),
        None,
    );
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("integrator.io stores `disabled: \"true\"` as `true`"), "{rendered}");
}

#[test]
fn an_undeclared_var_is_an_error_with_the_closest_name() {
    let directory = spec(&[("spec.yaml", FLOW)]);
    cli_snapshot!(flowform().args(["validate", "--var", "pausd=true"]).current_dir(directory.path()), None, @r"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    spec::undeclared-variable

      × `--var pausd=…` sets `pausd`, which no `variables:` section declares
      help: did you mean `--var paused=…`? To set `pausd` itself, declare `pausd` in a `variables:`
            section, with its default

    error: the spec has 1 error
    ");
}

#[test]
fn var_files_override_in_order_and_var_wins() {
    let directory = spec(&[
        ("spec/flows.yaml", FLOW),
        ("vars/base.yaml", "channel: \"#base\"\npaused: true\n"),
        ("vars/team.yaml", "channel: \"#team\"\n"),
    ]);
    let (code, rendered) = run(
        flowform()
            .args([
                "validate",
                "-f",
                "spec",
                "--var-file",
                "vars/base.yaml",
                "--var-file",
                "vars/team.yaml",
                "-vv",
            ])
            .current_dir(directory.path()),
        None,
    );
    assert_eq!(code, 0, "{rendered}");
    // The values are checked like any other: a `--var` string where a boolean belongs warns.
    let (code, rendered) = run(
        flowform()
            .args([
                "validate",
                "-f",
                "spec",
                "--var-file",
                "vars/base.yaml",
                "--var",
                "paused='yes'",
            ])
            .current_dir(directory.path()),
        None,
    );
    assert_eq!(code, 1, "{rendered}");
    assert!(
        rendered.contains("`disabled` must be `true` or `false`, found a string"),
        "{rendered}"
    );
    let (code, rendered) = run(
        flowform()
            .args(["validate", "-f", "spec", "--var-file", "vars/missing.yaml"])
            .current_dir(directory.path()),
        None,
    );
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("`vars/missing.yaml` does not exist"), "{rendered}");
}

#[test]
fn yaml_that_is_not_part_of_the_spec_is_skipped_with_a_note() {
    let directory = spec(&[
        ("spec.yaml", FLOW),
        ("docker-compose.yml", "services:\n  web:\n    image: nginx\n"),
        ("ci/pipeline.yml", "stages: [test]\n"),
    ]);
    cli_snapshot!(flowform().arg("validate").current_dir(directory.path()), None, @r"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    note: skipped 2 YAML files that hold none of the spec's sections: `ci/pipeline.yml` and `docker-compose.yml` (`-v` lists them; list them in `.flowformignore` to leave them out quietly)
    the spec is valid: 1 resource in 1 file
    ");
    let (code, rendered) =
        run(flowform().args(["validate", "-v"]).current_dir(directory.path()), None);
    assert_eq!(code, 0, "{rendered}");
    assert!(
        rendered
            .contains("note: skipped `docker-compose.yml`: it holds none of the spec's sections"),
        "{rendered}"
    );
    let (_, rendered) =
        run(flowform().args(["validate", "-q"]).current_dir(directory.path()), None);
    assert!(!rendered.contains("skipped"), "{rendered}");
    // `.flowformignore` leaves them out quietly.
    fs_err::write(directory.path().join(".flowformignore"), "docker-compose.yml\nci/\n").unwrap();
    let (_, rendered) = run(flowform().arg("validate").current_dir(directory.path()), None);
    assert!(!rendered.contains("skipped"), "{rendered}");
}
