//! `flows.example.yaml` at the repository root validates cleanly: offline, only warnings for the
//! unset secrets; with the secrets set, nothing at all.

use crate::support::{flowform, run};

fn repository_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn example_validates_with_only_missing_secret_warnings() {
    let (code, rendered) = run(
        flowform().args(["validate", "-f", "flows.example.yaml"]).current_dir(repository_root()),
        None,
    );
    assert_eq!(code, 0, "{rendered}");
    let codes: Vec<&str> = rendered.lines().filter(|line| line.starts_with("spec::")).collect();
    assert_eq!(codes, ["spec::missing-secret"; 3], "{rendered}");
    assert!(
        rendered.contains("the spec is valid: 10 resources in 1 file, with 3 warnings"),
        "{rendered}"
    );
}

#[test]
fn example_is_clean_with_secrets_set() {
    let (code, rendered) = run(
        flowform()
            .args(["validate", "-f", "flows.example.yaml"])
            .env("GITHUB_TOKEN", "ghp-canary")
            .env("SLACK_BOT_TOKEN", "xoxb-canary")
            .env("GITHUB_WEBHOOK_SECRET", "whsec-canary")
            .current_dir(repository_root()),
        None,
    );
    assert_eq!(code, 0, "{rendered}");
    assert!(!rendered.contains("canary"));
    assert!(rendered.contains("the spec is valid: 10 resources in 1 file\n"), "{rendered}");
}
