//! Transport rules (issue 9): the API is reached over `https` only, except on loopback (the
//! emulator); a refused endpoint is refused before any connection, wherever it came from; a
//! token file that others can read draws a warning.

use crate::common::run_bounded;
use crate::support::{TOKEN, TestContext, bare_command};

const SPEC: &str = "integrations:\n  main:\n    name: Main\n";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plain_http_is_refused_unless_the_host_is_loopback() {
    let context = TestContext::new();
    context.write("spec.yaml", SPEC);
    // None of these is contacted: the endpoint is refused while the settings are resolved.
    for endpoint in [
        "http://example.com",
        "http://10.1.2.3:8080",
        "http://[fe80::1]",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://0x7f000001.example.com",
    ] {
        for (how, mut command) in [
            ("--endpoint", {
                let mut command = bare_command(context.root());
                command.args(["plan", "--endpoint", endpoint]).env("CELIGO_API_TOKEN", TOKEN);
                command
            }),
            ("CELIGO_BASE_URL", {
                let mut command = bare_command(context.root());
                command.arg("plan").env("CELIGO_BASE_URL", endpoint).env("CELIGO_API_TOKEN", TOKEN);
                command
            }),
        ] {
            let output = run_bounded(&mut command, endpoint);
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(64), "{how} {endpoint}: {stderr}");
            assert!(stderr.contains("plain `http` is allowed only for loopback"), "{stderr}");
            assert!(stderr.contains(&format!("`{how}`")), "names where it came from: {stderr}");
        }
    }
    // From an environment file too, named in the message.
    context.write("environments/prod.yaml", "endpoint: http://example.com\n");
    let mut command = bare_command(context.root());
    command.args(["plan", "--env", "prod"]).env("CELIGO_API_TOKEN", TOKEN);
    let output = run_bounded(&mut command, "environment file");
    let stderr = text(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("environments/prod.yaml") && stderr.contains("loopback"), "{stderr}");

    // Loopback in any spelling is the emulator: allowed.
    let port = context.emulator.url().rsplit(':').next().unwrap().to_owned();
    for endpoint in [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")] {
        let mut command = bare_command(context.root());
        command.args(["plan", "--endpoint", &endpoint]).env("CELIGO_API_TOKEN", TOKEN);
        let output = run_bounded(&mut command, &endpoint);
        assert!(output.status.success(), "{endpoint}: {}", text(&output.stderr));
    }
}

#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_draws_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let context = TestContext::new();
    context.write("spec.yaml", SPEC);
    let path = context.root().join("token");
    fs_err::write(&path, format!("{TOKEN}\n")).unwrap();
    let plan = |mode: u32| {
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut command = bare_command(context.root());
        command
            .args(["plan", "--token-file", "token"])
            .env("CELIGO_BASE_URL", context.emulator.url());
        run_bounded(&mut command, "plan with a token file")
    };
    for mode in [0o644, 0o640, 0o604] {
        let output = plan(mode);
        let stderr = text(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "warning: the token file `token` is readable by group or others (mode {mode:04o})"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("chmod 600"), "{stderr}");
        assert!(!stderr.contains(TOKEN), "{stderr}");
    }
    let output = plan(0o600);
    assert!(output.status.success());
    assert!(!text(&output.stderr).contains("warning"), "{}", text(&output.stderr));
}
