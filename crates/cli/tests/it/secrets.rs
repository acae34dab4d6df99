//! Secrets on the command line: an empty `${secret.…}` stops `plan` and `apply` before any
//! account is touched; a credential written in clear fails `validate` without being shown.

use crate::support::{flowform, run, spec};

const TOKEN_SPEC: &str = "connections:\n  github:\n    name: GitHub\n    type: http\n    http:\n      baseURI: https://api.github.com\n      mediaType: json\n      auth:\n        type: token\n        token:\n          token: ${secret.GITHUB_TOKEN}\n          location: header\n";

#[test]
fn an_empty_secret_stops_plan_and_apply_before_anything_is_written() {
    let directory = spec(&[("spec.yaml", TOKEN_SPEC)]);
    for command in [&["plan"][..], &["apply", "--auto-approve"]] {
        let (code, rendered) = run(
            flowform().args(command).env("GITHUB_TOKEN", "").current_dir(directory.path()),
            Some(directory.path()),
        );
        assert_eq!(code, 1, "{command:?}: {rendered}");
        assert!(rendered.contains("× secret `GITHUB_TOKEN` is empty"), "{rendered}");
        assert!(!directory.path().join(".flowform").exists(), "{command:?} opened the sandbox");
    }
    // `validate` checks offline: the empty secret is a warning there, as an unset one is.
    let (code, rendered) =
        run(flowform().arg("validate").env("GITHUB_TOKEN", "").current_dir(directory.path()), None);
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("⚠ secret `GITHUB_TOKEN` is empty"), "{rendered}");
}

#[test]
fn a_plain_credential_fails_validate_and_is_never_shown() {
    let directory = spec(&[(
        "spec.yaml",
        &TOKEN_SPEC.replace("${secret.GITHUB_TOKEN}", "ghp_canary0123456789"),
    )]);
    for format in ["human", "json"] {
        let (code, rendered) = run(
            flowform().args(["validate", "--format", format]).current_dir(directory.path()),
            None,
        );
        assert_eq!(code, 1, "{rendered}");
        assert!(rendered.contains("spec::plain-secret"), "{rendered}");
        assert!(rendered.contains("${secret.GITHUB_TOKEN}"), "{rendered}");
        assert!(!rendered.contains("canary"), "the value leaked:\n{rendered}");
    }
    let (code, rendered) = run(flowform().arg("plan").current_dir(directory.path()), None);
    assert_eq!(code, 1, "{rendered}");
    assert!(!rendered.contains("canary"), "the value leaked:\n{rendered}");
}
