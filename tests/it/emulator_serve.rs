//! `flowform emulator serve`: the first line of stdout is the URL, and the emulator answers
//! there until it is stopped.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{TestContext, bare_command, binary};

/// Stops the child when the test ends, also when it fails.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_prints_its_url_first_and_serves_there() {
    let context = TestContext::new();
    let _ = binary();
    let mut child = Running(
        bare_command(context.root())
            .args(["emulator", "serve", "--addr", "127.0.0.1:0", "--token", "serve-token"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the emulator starts"),
    );
    let stdout = child.0.stdout.take().expect("piped");
    let mut first_line = String::new();
    BufReader::new(stdout).read_line(&mut first_line).expect("a first line");
    let url = first_line.trim_end().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first_line:?}");
    // The served account's State API answers: there is no state yet.
    let (code, rendered) = context.run(
        bare_command(context.root())
            .env("CELIGO_BASE_URL", &url)
            .env("CELIGO_API_TOKEN", "serve-token")
            .args(["state", "list", "--state", "integrator"]),
    );
    assert_eq!(code, 0, "{rendered}");
    assert!(
        rendered.contains("there is no state at the account's State API key `flowform-default`"),
        "{rendered}"
    );
}
