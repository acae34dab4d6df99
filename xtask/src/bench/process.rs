//! Running the real `flowform` binary: wall time from spawn to exit, and its peak resident set
//! size as the kernel reports it to the parent when the process ends (`wait4`'s
//! `ru_maxrss`), read through GNU time (`/usr/bin/time -f %M`), since the workspace forbids the
//! `unsafe` a direct `wait4` call would need.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// GNU time, when present and working.
pub fn gnu_time() -> Option<PathBuf> {
    let time = PathBuf::from("/usr/bin/time");
    let probe = std::env::temp_dir().join(format!("flowform-bench-time-{}", std::process::id()));
    let works = Command::new(&time)
        .args(["-f", "%M", "-o"])
        .arg(&probe)
        .arg("true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
        && fs_err::read_to_string(&probe).is_ok_and(|text| parse_peak_rss(&text).is_some());
    let _ = fs_err::remove_file(&probe);
    works.then_some(time)
}

/// The `%M` figure (KiB) from GNU time's output file: the last line (a non-zero exit adds a
/// `Command exited with non-zero status N` line before it).
pub fn parse_peak_rss(text: &str) -> Option<u64> {
    text.lines().rev().find(|line| !line.trim().is_empty())?.trim().parse().ok()
}

/// One run of the binary.
pub struct Invocation<'a> {
    /// The `flowform` binary.
    pub binary: &'a Path,
    /// GNU time, for the peak RSS.
    pub time: Option<&'a Path>,
    /// The working directory (the spec root).
    pub directory: &'a Path,
    /// The arguments.
    pub args: Vec<OsString>,
    /// Extra environment variables (endpoint, token, the spec's secrets).
    pub environment: Vec<(String, String)>,
    /// Where stdout, stderr and the time output go: `PREFIX.stdout`, `PREFIX.stderr`,
    /// `PREFIX.rss`.
    pub log_prefix: PathBuf,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Finished {
    /// From spawn to exit.
    pub wall: Duration,
    /// The exit code.
    pub code: Option<i32>,
    /// Peak RSS in KiB, when GNU time is available.
    pub peak_rss_kib: Option<u64>,
    /// `PREFIX.stderr`.
    pub stderr: PathBuf,
}

impl Finished {
    /// Fails unless the exit code is one of `expected`, quoting the end of stderr.
    pub fn expect_code(&self, expected: &[i32], what: &str) -> anyhow::Result<()> {
        if self.code.is_some_and(|code| expected.contains(&code)) {
            return Ok(());
        }
        let stderr = fs_err::read_to_string(&self.stderr).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        bail!(
            "{what} exited with {:?} (expected {expected:?}); the end of `{}`:\n{}",
            self.code,
            self.stderr.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }
}

fn with_extension(prefix: &Path, extension: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// Runs the binary once and waits for it.
pub fn run(invocation: &Invocation<'_>) -> anyhow::Result<Finished> {
    let stdout = with_extension(&invocation.log_prefix, "stdout");
    let stderr = with_extension(&invocation.log_prefix, "stderr");
    let rss = with_extension(&invocation.log_prefix, "rss");
    let mut command = match invocation.time {
        Some(time) => {
            let mut command = Command::new(time);
            command.args(["-f", "%M", "-o"]).arg(&rss).arg(invocation.binary);
            command
        }
        None => Command::new(invocation.binary),
    };
    command
        .args(&invocation.args)
        .current_dir(invocation.directory)
        // Nothing from the caller's environment may change how flowform runs.
        .env_remove("FLOWFORM_TEST_NO_RETRY_DELAY")
        .env("NO_COLOR", "1")
        .envs(invocation.environment.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(fs_err::File::create(&stdout)?.into_parts().0))
        .stderr(Stdio::from(fs_err::File::create(&stderr)?.into_parts().0));
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("cannot run `{}`", invocation.binary.display()))?;
    let wall = started.elapsed();
    let peak_rss_kib = invocation
        .time
        .and_then(|_| fs_err::read_to_string(&rss).ok())
        .and_then(|text| parse_peak_rss(&text));
    Ok(Finished { wall, code: status.code(), peak_rss_kib, stderr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_is_the_last_line() {
        assert_eq!(parse_peak_rss("75620\n"), Some(75620));
        assert_eq!(parse_peak_rss("Command exited with non-zero status 2\n80112\n"), Some(80112));
        assert_eq!(parse_peak_rss(""), None);
    }
}
