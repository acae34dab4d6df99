//! The end-to-end harness: an emulator on loopback, a temporary spec directory, and the real
//! `flowform` binary run against them with a clean environment; `cli_snapshot!` snapshots exit
//! code, stdout and stderr together with the volatile parts (paths, ports, ids, times) filtered.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

use flowform_emulator::{AccountConfig, Admin, BackgroundEmulator, EmulatorConfig};

/// The API token of the test account. It must never appear in any output: every run checks.
pub const TOKEN: &str = "tok-e2e-canary-3f9a";

/// The repository root (the `flowform-tests` package).
pub fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `flowform` binary, built if it is missing or older than the sources.
///
/// Cargo sets `CARGO_BIN_EXE_flowform` only for tests of the package that owns the binary
/// (`flowform-cli`), so this package finds it where cargo puts it (`assert_cmd`'s fallback, next
/// to the test executable). `cargo test --workspace` (what CI runs) always builds it first;
/// when this package is tested alone (`cargo test -p flowform-tests`) a missing or stale binary
/// is built once with a nested `cargo build`, so a test never runs an old binary.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let target = std::env::current_exe()
            .ok()
            .and_then(|test| test.parent().map(Path::to_path_buf))
            .map(|deps| {
                if deps.ends_with("deps") {
                    deps.parent().map(Path::to_path_buf).unwrap_or(deps)
                } else {
                    deps
                }
            })
            .expect("the test executable lives in the target directory");
        let path = target.join(format!("flowform{}", std::env::consts::EXE_SUFFIX));
        let built = fs_err::metadata(&path).and_then(|metadata| metadata.modified()).ok();
        if built.is_none_or(|built| newest_source() > built) {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "-p", "flowform-cli", "--bin", "flowform"])
                .current_dir(repository_root())
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building the flowform binary failed");
        }
        assert!(path.exists(), "no flowform binary at {}", path.display());
        path
    })
}

/// The newest modification time of the Rust sources and manifests the binary is built from.
fn newest_source() -> SystemTime {
    fn walk(directory: &Path, newest: &mut SystemTime) {
        let Ok(entries) = fs_err::read_dir(directory) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("tests") && !path.ends_with("benches") {
                    walk(&path, newest);
                }
            } else {
                let source = path.extension().is_some_and(|extension| extension == "rs")
                    || path.file_name().is_some_and(|name| name == "Cargo.toml");
                if source
                    && let Ok(modified) = entry.metadata().and_then(|metadata| metadata.modified())
                {
                    *newest = (*newest).max(modified);
                }
            }
        }
    }
    let mut newest = SystemTime::UNIX_EPOCH;
    walk(&repository_root().join("crates"), &mut newest);
    newest
}

/// A command running the binary in `directory` with an empty environment but for what every
/// test needs: no colour, a fixed width, no retry delays, and no `CI` (tests that want it set
/// it). No token and no endpoint: see [`TestContext::flowform`] for a command on the emulator.
pub fn bare_command(directory: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("FLOWFORM_TEST_NO_RETRY_DELAY", "1")
        .current_dir(directory);
    command
}

/// An emulator and a spec directory.
pub struct TestContext {
    pub emulator: BackgroundEmulator,
    pub directory: tempfile::TempDir,
}

impl TestContext {
    /// An emulator with the admin API on and no rate limit, one account whose token is
    /// [`TOKEN`], and an empty spec directory.
    pub fn new() -> TestContext {
        TestContext::with_config(EmulatorConfig {
            accounts: vec![AccountConfig::new("e2e", TOKEN)],
            ..EmulatorConfig::for_tests()
        })
    }

    /// An emulator with this configuration and an empty spec directory.
    pub fn with_config(config: EmulatorConfig) -> TestContext {
        let emulator = BackgroundEmulator::start(config).expect("the emulator starts");
        let directory = tempfile::tempdir().expect("a temporary directory");
        TestContext { emulator, directory }
    }

    /// The spec root.
    pub fn root(&self) -> &Path {
        self.directory.path()
    }

    /// Writes a file under the spec root.
    pub fn write(&self, path: &str, content: &str) -> &TestContext {
        let path = self.root().join(path);
        fs_err::create_dir_all(path.parent().expect("a file has a parent")).expect("created");
        fs_err::write(path, content).expect("written");
        self
    }

    /// The emulator's admin controls.
    pub fn admin(&self) -> Admin {
        self.emulator.admin()
    }

    /// Loads fixtures (`{"flows": [...], ...}`) into the emulator's account.
    pub fn load(&self, fixtures: serde_json::Value) {
        self.admin().load_fixtures(&fixtures).expect("fixtures load");
    }

    /// `flowform` in the spec root, pointed at the emulator with the token.
    pub fn flowform(&self) -> Command {
        let mut command = bare_command(self.root());
        command.env("CELIGO_BASE_URL", self.emulator.url()).env("CELIGO_API_TOKEN", TOKEN);
        command
    }

    /// `flowform` in `directory` (under the spec root), pointed at the emulator with the token.
    pub fn flowform_in(&self, directory: &str) -> Command {
        let mut command = bare_command(&self.root().join(directory));
        command.env("CELIGO_BASE_URL", self.emulator.url()).env("CELIGO_API_TOKEN", TOKEN);
        command
    }

    /// `flowform` in the spec root with no token and no endpoint: the local sandbox.
    pub fn sandbox(&self) -> Command {
        bare_command(self.root())
    }

    /// The local state document.
    pub fn state(&self) -> serde_json::Value {
        state_at(&self.root().join(".flowform/state.json"))
    }

    /// Runs a command and renders it for a snapshot (see [`render`]).
    pub fn run(&self, command: &mut Command) -> (i32, String) {
        run(command, &[(self.root(), "[ROOT]")], &self.emulator.url())
    }

    /// Runs `command`, the apply of a saved plan, and checks that it is refused as stale because
    /// another apply moved the state's serial from `then` to `now`: exit 1, nothing on stdout,
    /// exactly the error and its hint on stderr.
    pub fn assert_stale_by_serial(&self, command: &mut Command, then: u64, now: u64) {
        let (code, rendered) = self.run(command);
        assert_eq!(
            rendered,
            format!(
                "exit_code: 1\n----- stdout -----\n\n----- stderr -----\n\
                 error: the saved plan is stale: the state changed since the plan was made (serial {then} then, {now} now): another apply ran\n\
                 hint: run `flowform plan --out FILE` again and review the new plan\n"
            )
        );
        assert_eq!(code, 1);
    }
}

/// The local state at `path` as flowform reads it, as a document: the file with its journal
/// replayed (a run ends in the journal until it is due to be folded into the file).
pub fn state_at(path: &Path) -> serde_json::Value {
    let state = flowform_exec::state::local::read(&flowform_exec::state::LocalPaths::new(path))
        .expect("the state reads")
        .expect("the state file exists");
    serde_json::from_str(&flowform_exec::state::render(&state)).expect("the state is JSON")
}

/// The files under `root`, relative and sorted, leaving out `.flowform/`.
pub fn files_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, directory: &Path, found: &mut Vec<String>) {
        let Ok(entries) = fs_err::read_dir(directory) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != ".flowform" {
                    walk(root, &path, found);
                }
            } else if let Ok(relative) = path.strip_prefix(root) {
                found.push(relative.display().to_string());
            }
        }
    }
    let mut found = Vec::new();
    walk(root, root, &mut found);
    found.sort();
    found
}

/// Runs a command and renders its exit code and both streams, with `paths` replaced by their
/// labels and the emulator `url` by `[URL]`. Fails when the token shows anywhere.
pub fn run(command: &mut Command, paths: &[(&Path, &str)], url: &str) -> (i32, String) {
    let output = command.output().expect("the binary runs");
    let code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the API token leaked:\n{stdout}\n{stderr}"
    );
    let mut rendered =
        format!("exit_code: {code}\n----- stdout -----\n{stdout}\n----- stderr -----\n{stderr}");
    for (path, label) in paths {
        // Both spellings, since a temporary directory may sit behind a symlink.
        if let Ok(canonical) = fs_err::canonicalize(path) {
            rendered = rendered.replace(&canonical.display().to_string(), label);
        }
        rendered = rendered.replace(&path.display().to_string(), label);
    }
    if !url.is_empty() {
        rendered = rendered.replace(url, "[URL]");
    }
    (code, rendered)
}

/// The filters every snapshot uses: 24-hex ids, timestamps, durations, loopback ports, pids
/// and host names of lock holders, random hex (lineages, digests).
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\b[0-9a-f]{64}\b", "[DIGEST]"),
        (r"\b[0-9a-f]{32}\b", "[LINEAGE]"),
        (r"\b[0-9a-f]{24}\b", "[ID]"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
        (r"\b\d+(\.\d+)?m?s\b", "[DURATION]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"pid \d+ on host `[^`]*`", "pid [PID] on host [HOST]"),
    ]
}

/// Snapshots a command's exit code, stdout and stderr with the harness filters (uv's
/// `uv_snapshot!` pattern): `cli_snapshot!(context, command, @"...")`.
macro_rules! cli_snapshot {
    ($context:expr, $command:expr, @$snapshot:literal) => {{
        let (_, rendered) = $context.run($command);
        insta::with_settings!({filters => $crate::support::filters()}, {
            insta::assert_snapshot!(rendered, @$snapshot);
        });
    }};
}
