//! `cargo xtask`: repository chores in Rust.
//!
//! - `cargo xtask codegen [--check]` writes (or checks) `schema/flowform.schema.json`.
//! - `cargo xtask gen-spec --resources N --out DIR [--seed S]` writes a generated spec for
//!   benchmarks (the generator itself is the `flowform-specgen` library).
//! - `cargo xtask bench [--runs 5] [--scenario NAME]…` measures plan and apply at scale against
//!   the emulator and prints one table (`docs/benchmarks.md`, issue 8).

mod bench;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "flowform's repository chores")]
struct Xtask {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the generated files (the spec JSON Schema); with --check, fail if they are stale.
    Codegen {
        /// Compare instead of writing; exit 1 when a file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Generate a large, realistic spec for benchmarks.
    GenSpec {
        /// How many resources (at least 6): 1% integrations, 4% connections, 5% scripts, 30%
        /// exports, 40% imports, 20% flows.
        #[arg(long)]
        resources: usize,
        /// The directory to write; it must not exist or be empty.
        #[arg(long)]
        out: PathBuf,
        /// The seed; the same seed gives the same spec.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure plan and apply at scale against the emulator (release binary, separate emulator
    /// process, latency and the real rate limit) and print one table.
    Bench(bench::BenchArgs),
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> ExitCode {
    match run(Xtask::parse()) {
        Ok(code) => code,
        Err(error) => {
            report(&format!("error: {error:#}"));
            ExitCode::FAILURE
        }
    }
}

#[expect(clippy::print_stderr, reason = "xtask is a developer tool that reports on the terminal")]
fn report(line: &str) {
    eprintln!("{line}");
}

fn run(xtask: Xtask) -> anyhow::Result<ExitCode> {
    match xtask.command {
        Command::Codegen { check } => codegen(check),
        Command::GenSpec { resources, out, seed } => gen_spec(resources, &out, seed),
        Command::Bench(args) => bench::bench(args),
    }
}

fn codegen(check: bool) -> anyhow::Result<ExitCode> {
    let path = workspace_root().join("schema/flowform.schema.json");
    let generated = flowform_spec::schema::json_schema_text();
    let current = fs_err::read_to_string(&path).unwrap_or_default();
    if check {
        if current == generated {
            report("schema/flowform.schema.json is up to date");
            return Ok(ExitCode::SUCCESS);
        }
        report("schema/flowform.schema.json is stale; run `cargo xtask codegen` and commit it");
        return Ok(ExitCode::FAILURE);
    }
    if current == generated {
        report("schema/flowform.schema.json is up to date");
    } else {
        fs_err::create_dir_all(path.parent().context("the schema path has a directory")?)?;
        fs_err::write(&path, generated)?;
        report("wrote schema/flowform.schema.json");
    }
    Ok(ExitCode::SUCCESS)
}

fn gen_spec(resources: usize, out: &Path, seed: u64) -> anyhow::Result<ExitCode> {
    if out.exists() && fs_err::read_dir(out)?.next().is_some() {
        bail!("`{}` is not empty; remove it or choose another directory", out.display());
    }
    let spec = flowform_specgen::generate(flowform_specgen::Options { resources, seed })?;
    let files = spec.spec_files();
    for (relative, content) in &files {
        let path = out.join(relative);
        fs_err::create_dir_all(path.parent().context("generated files have a directory")?)?;
        fs_err::write(&path, content)?;
    }
    fs_err::write(out.join("secrets.env"), spec.secrets_env())?;
    let counts = flowform_specgen::counts(resources)?;
    let summary: Vec<String> =
        counts.iter().map(|(kind, count)| format!("{count} {}", kind.plural())).collect();
    report(&format!(
        "wrote {} files to `{}`: {} ({})",
        files.len() + 1,
        out.display(),
        summary.join(", "),
        "source secrets.env to set the secrets it reads"
    ));
    Ok(ExitCode::SUCCESS)
}
