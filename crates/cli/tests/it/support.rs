//! Running the binary and snapshotting exit code, stdout and stderr together.

use std::path::Path;
use std::process::Command;

/// A `flowform` command with a clean, deterministic environment: no token, no endpoint, no
/// colour, a fixed width.
pub fn flowform() -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin!("flowform"));
    for variable in [
        "CELIGO_API_TOKEN",
        "CELIGO_BASE_URL",
        "GITHUB_TOKEN",
        "SLACK_BOT_TOKEN",
        "GITHUB_WEBHOOK_SECRET",
    ] {
        command.env_remove(variable);
    }
    command.env("NO_COLOR", "1").env("COLUMNS", "100");
    command
}

/// Runs a command and renders its exit code and both streams, with `root` shown as `[ROOT]`.
pub fn run(command: &mut Command, root: Option<&Path>) -> (i32, String) {
    let output = command.output().expect("the binary runs");
    let code = output.status.code().unwrap_or(-1);
    let mut rendered = format!(
        "exit_code: {code}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(root) = root {
        rendered = rendered.replace(&root.display().to_string(), "[ROOT]");
    }
    (code, rendered)
}

/// Snapshots a command's exit code, stdout and stderr (uv's `uv_snapshot!` pattern).
macro_rules! cli_snapshot {
    ($command:expr, $root:expr, @$snapshot:literal) => {{
        let (_, rendered) = $crate::support::run($command, $root);
        insta::assert_snapshot!(rendered, @$snapshot);
    }};
}

/// Writes `files` (path, content) under a fresh temporary directory.
pub fn spec(files: &[(&str, &str)]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory can be created");
    for (path, content) in files {
        let path = directory.path().join(path);
        fs_err::create_dir_all(path.parent().expect("has a parent")).expect("created");
        fs_err::write(path, content).expect("written");
    }
    directory
}
