//! `cargo xtask bench`: plan and apply at scale against the API's limits (issue 8).
//!
//! It builds the release binary, starts `flowform emulator serve` as a separate process on
//! loopback (admin API on, added latency, the real rate limit: leaky bucket of 1,000 refilled
//! at 300/s), writes specs with `flowform-specgen`, prepares each account through the admin
//! API with the latency and the limit off, then measures the real `flowform` binary with them
//! on: wall time (median of the runs), requests and 429s as the emulator counted them, and the
//! peak RSS of the flowform process. Every figure is compared with a bound computed from the
//! generated spec alone (`bounds.rs`). One table goes to stdout; progress goes to stderr.

mod bounds;
mod emulator;
mod naive;
mod process;
mod report;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::ValueEnum;
use flowform_specgen::{GeneratedSpec, Kind, Options, Resource};

use self::bounds::ServerLimit;
use self::emulator::{AdminClient, Counters, EmulatorProcess};
use self::process::{Finished, Invocation};
use self::report::{Row, Sample, Samples, duration, megabytes, thousands};
use crate::report as say;

/// The scenarios of issue 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Scenario {
    /// `plan` with no changes of 5,000 resources (1,000 flows), latency and rate limit on.
    Plan,
    /// The same plan done with one GET per resource, 10 in flight (implies `plan`).
    PlanNaive,
    /// `apply` into an empty account: 1,000 flows, 1,000 exports, 1,000 imports, 50
    /// connections, 20 integrations, and 15 iClients, file definitions, EDI profiles, lookup
    /// caches and async helpers.
    Apply,
    /// `apply` of a 5% change (every 20th resource of each kind renamed) to that account.
    ApplyChange,
    /// `plan` of 10,000 resources with no latency and no rate limit (whole process), and the
    /// diff alone (`cargo bench -p flowform-diff --bench diff_10k`).
    #[value(name = "plan-10k")]
    Plan10k,
    /// `validate` of 10,000 resources.
    #[value(name = "validate-10k")]
    Validate10k,
}

/// `cargo xtask bench`'s options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Runs of each scenario; the table shows the median.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    runs: u32,
    /// A scenario to run (repeatable); all of them by default.
    #[arg(long = "scenario", value_enum, value_name = "NAME")]
    scenarios: Vec<Scenario>,
    /// Latency the emulator adds to every request while measuring, in milliseconds.
    #[arg(long, default_value_t = 25)]
    latency_ms: u64,
    /// `--parallelism` for the measured applies (flowform's default when not given).
    #[arg(long, value_name = "N")]
    parallelism: Option<u16>,
    /// The seed of the generated specs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Use the release binary as it is instead of running `cargo build --release -p
    /// flowform-cli` first.
    #[arg(long)]
    no_build: bool,
    /// Run the measured applies with `-vv` and print, after the table, the median of each of
    /// their `timing:` lines (where the time of an apply went).
    #[arg(long)]
    timings: bool,
}

/// The shape of the apply scenarios' account: issue 8's 3,070 resources, and a few of the kinds
/// a real flow references (issue 16), as an account of that size has them.
const APPLY_SHAPE: [(Kind, usize); 10] = [
    (Kind::Integration, 20),
    (Kind::IClient, 2),
    (Kind::Connection, 50),
    (Kind::FileDefinition, 2),
    (Kind::EdiProfile, 1),
    (Kind::LookupCache, 8),
    (Kind::Export, 1000),
    (Kind::Import, 1000),
    (Kind::AsyncHelper, 2),
    (Kind::Flow, 1000),
];

/// Requests the naive refresh keeps in flight.
const NAIVE_IN_FLIGHT: usize = 10;

fn target_directory() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The shared pieces of one benchmark session.
struct Bench {
    args: BenchArgs,
    binary: PathBuf,
    time: Option<PathBuf>,
    work: PathBuf,
    runtime: tokio::runtime::Runtime,
    emulator: EmulatorProcess,
    admin: AdminClient,
    page_size: usize,
    notes: Vec<String>,
    /// With `--timings`: the median phase timings of each measured apply scenario.
    timings: Vec<String>,
}

/// A spec written to disk.
struct WrittenSpec {
    spec: GeneratedSpec,
    directory: PathBuf,
}

fn write_spec(spec: GeneratedSpec, directory: &Path) -> anyhow::Result<WrittenSpec> {
    if directory.exists() {
        fs_err::remove_dir_all(directory)?;
    }
    for (relative, content) in spec.spec_files() {
        let path = directory.join(relative);
        fs_err::create_dir_all(path.parent().context("generated files have a directory")?)?;
        fs_err::write(&path, content)?;
    }
    // For reproducing a run by hand (`source secrets.env`); flowform reads only YAML files.
    fs_err::write(directory.join("secrets.env"), spec.secrets_env())?;
    Ok(WrittenSpec { spec, directory: directory.to_owned() })
}

fn remove_state(state: &Path) -> anyhow::Result<()> {
    for suffix in ["", ".journal", ".lock"] {
        let mut name = state.as_os_str().to_owned();
        name.push(suffix);
        match fs_err::remove_file(PathBuf::from(name)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error.into()),
            _ => {}
        }
    }
    Ok(())
}

impl Bench {
    fn block_on<T>(&self, future: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    fn latency(&self) -> Duration {
        self.emulator.latency
    }

    fn limit(&self) -> ServerLimit {
        self.emulator.limit
    }

    /// Runs `flowform ARGS` in the spec's directory against the emulator.
    fn flowform(
        &self,
        spec: &WrittenSpec,
        state: &Path,
        args: &[&str],
        log: &str,
    ) -> anyhow::Result<Finished> {
        let mut all: Vec<OsString> = vec!["--state".into(), state.as_os_str().to_owned()];
        all.extend(args.iter().map(OsString::from));
        let mut environment = vec![
            ("CELIGO_BASE_URL".to_owned(), self.emulator.url.clone()),
            ("CELIGO_API_TOKEN".to_owned(), emulator::TOKEN.to_owned()),
        ];
        environment.extend(spec.spec.secrets.iter().cloned());
        process::run(&Invocation {
            binary: &self.binary,
            time: self.time.as_deref(),
            directory: &spec.directory,
            args: all,
            environment,
            log_prefix: self.work.join("logs").join(log),
        })
    }

    /// An apply with the latency and the rate limit off, to prepare an account.
    fn prepare_by_apply(&self, spec: &WrittenSpec, state: &Path, what: &str) -> anyhow::Result<()> {
        say(&format!(
            "preparing {what}: applying {} resources with no latency and no rate limit",
            thousands(spec.spec.resources.len() as u64)
        ));
        self.block_on(async {
            self.admin.unthrottled().await?;
            self.admin.reset().await
        })?;
        remove_state(state)?;
        let finished =
            self.flowform(spec, state, &["apply", "--auto-approve"], &format!("prepare-{what}"))?;
        finished.expect_code(&[0], "the preparing apply")?;
        say(&format!("  prepared in {}", duration(finished.wall)));
        Ok(())
    }

    /// One measured run: the measuring settings (full bucket), zeroed counters, the run, the
    /// counters.
    fn measured(
        &self,
        throttled: bool,
        run: impl FnOnce() -> anyhow::Result<Finished>,
    ) -> anyhow::Result<(Finished, Counters)> {
        self.block_on(async {
            if throttled {
                self.admin.throttled(self.latency(), self.limit()).await
            } else {
                self.admin.unthrottled().await?;
                self.admin.zero_counters().await
            }
        })?;
        let finished = run()?;
        let counters = self.block_on(self.admin.counters())?;
        Ok((finished, counters))
    }

    fn note_load(&mut self, scenario: &str) {
        self.notes.push(format!("{scenario}: load average {}", report::load_average()));
    }
}

fn sample(finished: &Finished, counters: &Counters) -> Sample {
    Sample {
        wall: finished.wall,
        requests: Some(counters.requests),
        rate_limited: Some(counters.rate_limited),
        peak_rss_kib: finished.peak_rss_kib,
    }
}

fn progress(scenario: &str, run: u32, runs: u32, sample: &Sample) {
    say(&format!(
        "  {scenario} run {run}/{runs}: {}, {} requests, {} 429s{}",
        duration(sample.wall),
        sample.requests.map_or("—".to_owned(), thousands),
        sample.rate_limited.map_or("—".to_owned(), thousands),
        sample.peak_rss_kib.map_or(String::new(), |kib| format!(", peak RSS {}", megabytes(kib)))
    ));
}

fn ratio(value: f64, bound: f64) -> f64 {
    if bound > 0.0 { value / bound } else { f64::INFINITY }
}

/// Runs the benchmark and prints the table.
pub fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut scenarios = if args.scenarios.is_empty() {
        Scenario::value_variants().to_vec()
    } else {
        args.scenarios.clone()
    };
    if scenarios.contains(&Scenario::PlanNaive) {
        scenarios.push(Scenario::Plan);
    }
    scenarios.sort();
    scenarios.dedup();
    let root = crate::workspace_root();
    if !args.no_build {
        say("building the release binary: cargo build --release -p flowform-cli");
        let status = Command::new(cargo())
            .args(["build", "--release", "-p", "flowform-cli"])
            .current_dir(&root)
            .status()
            .context("cannot run cargo")?;
        if !status.success() {
            bail!("`cargo build --release -p flowform-cli` failed");
        }
    }
    let target = target_directory();
    let binary = target.join("release").join("flowform");
    if !binary.exists() {
        bail!("`{}` does not exist; build it or drop --no-build", binary.display());
    }
    let work = target.join("bench-work");
    if work.exists() {
        fs_err::remove_dir_all(&work)?;
    }
    fs_err::create_dir_all(work.join("logs"))?;
    let time = process::gnu_time();
    if time.is_none() {
        say("warning: GNU time (/usr/bin/time) is missing: no peak RSS figures");
    }
    // reqwest is built without a TLS provider of its own; the harness talks plain HTTP on
    // loopback, but the client builder still wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let machine = report::machine();
    let load_at_start = report::load_average();
    let latency = Duration::from_millis(args.latency_ms);
    let emulator =
        EmulatorProcess::start(&binary, latency, ServerLimit::REAL, &work.join("logs/emulator"))?;
    say(&format!("emulator (pid {}) at {}", emulator.pid(), emulator.url));
    let admin = AdminClient::new(&emulator.url)?;
    let page_size = runtime.block_on(admin.page_size())?;
    let mut bench = Bench {
        args,
        binary,
        time,
        work,
        runtime,
        emulator,
        admin,
        page_size,
        notes: Vec::new(),
        timings: Vec::new(),
    };
    let mut rows = Vec::new();
    if scenarios.contains(&Scenario::Plan) {
        rows.extend(plan_5k(&mut bench, scenarios.contains(&Scenario::PlanNaive))?);
    }
    if scenarios.contains(&Scenario::Apply) || scenarios.contains(&Scenario::ApplyChange) {
        rows.extend(apply_scenarios(
            &mut bench,
            scenarios.contains(&Scenario::Apply),
            scenarios.contains(&Scenario::ApplyChange),
        )?);
    }
    if scenarios.contains(&Scenario::Plan10k) || scenarios.contains(&Scenario::Validate10k) {
        rows.extend(ten_thousand(
            &mut bench,
            scenarios.contains(&Scenario::Plan10k),
            scenarios.contains(&Scenario::Validate10k),
        )?);
    }
    let command: Vec<String> = std::env::args().skip(1).collect();
    let mut out = String::new();
    out.push_str(&format!("command: cargo xtask {}\n", command.join(" ")));
    out.push_str(&format!("machine: {machine}\n"));
    out.push_str(&format!(
        "emulator: separate process on loopback, {} latency per request while measuring, rate limit {} burst / {}/s, pages of {}\n",
        duration(latency),
        thousands(u64::from(ServerLimit::REAL.capacity)),
        ServerLimit::REAL.refill_per_second,
        bench.page_size
    ));
    out.push_str(&format!(
        "load average (1/5/15 min) at start: {load_at_start}; at the end: {}\n",
        report::load_average()
    ));
    for note in &bench.notes {
        out.push_str(&format!("- {note}\n"));
    }
    out.push('\n');
    out.push_str(&report::table(&rows, bench.args.runs as usize));
    for timings in &bench.timings {
        out.push('\n');
        out.push_str(timings);
    }
    print_table(&out);
    Ok(if rows.iter().all(Row::met) { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

#[expect(clippy::print_stdout, reason = "the table is the harness's output")]
fn print_table(text: &str) {
    println!("{text}");
}

/// `plan` with no changes of 5,000 resources, then the naive per-resource refresh of the same
/// account.
fn plan_5k(bench: &mut Bench, naive: bool) -> anyhow::Result<Vec<Row>> {
    let runs = bench.args.runs;
    let spec = flowform_specgen::generate(Options { resources: 5000, seed: bench.args.seed })?;
    let spec = write_spec(spec, &bench.work.join("plan-5k/spec"))?;
    let state = bench.work.join("plan-5k/state.json");
    bench.prepare_by_apply(&spec, &state, "plan-5k")?;
    let list = bounds::list_bound(&spec.spec.resources, bench.page_size);
    let round_trips = bench.latency() * list.round_trips as u32;
    bench.note_load("plan");
    let mut samples = Samples::default();
    for run in 1..=runs {
        let (finished, counters) = bench.measured(true, || {
            bench.flowform(&spec, &state, &["plan", "--detailed-exitcode"], &format!("plan-{run}"))
        })?;
        // Exit 0 with --detailed-exitcode: no changes, as the scenario requires.
        finished.expect_code(&[0], "`flowform plan --detailed-exitcode` (no changes expected)")?;
        let sample = sample(&finished, &counters);
        progress("plan", run, runs, &sample);
        samples.0.push(sample);
    }
    let wall = samples.wall();
    let requests = samples.max_requests().unwrap_or(u64::MAX);
    let mut rows = vec![Row {
        scenario: format!(
            "plan, no changes, 5,000 resources (1,000 flows), {} latency",
            duration(bench.latency())
        ),
        bound: format!(
            "list pages only: {} requests, {} round trips in a row = {}",
            list.requests,
            list.round_trips,
            duration(round_trips)
        ),
        ratio: format!(
            "requests {:.2}×, wall {:.1}×",
            ratio(requests as f64, list.requests as f64),
            ratio(wall.as_secs_f64(), round_trips.as_secs_f64())
        ),
        target: format!("≤ 1.5 s; requests ≤ 2 × {} = {}", list.requests, 2 * list.requests),
        checks: vec![
            ("wall", wall <= Duration::from_secs_f64(1.5)),
            ("requests", requests <= 2 * list.requests as u64),
        ],
        samples,
    }];
    if naive {
        let state_document: serde_json::Value =
            serde_json::from_str(&fs_err::read_to_string(&state)?)?;
        let targets = naive::state_targets(&state_document)?;
        bench.note_load("plan-naive");
        let mut naive_samples = Samples::default();
        for run in 1..=runs {
            bench.block_on(bench.admin.throttled(bench.latency(), bench.limit()))?;
            let outcome = bench.block_on(naive::refresh(
                &bench.emulator.url,
                targets.clone(),
                NAIVE_IN_FLIGHT,
            ))?;
            let counters = bench.block_on(bench.admin.counters())?;
            if (counters.requests, counters.rate_limited)
                != (outcome.requests, outcome.rate_limited)
            {
                bench.notes.push(format!(
                    "naive run {run}: the client counted {} requests and {} 429s, the emulator {} and {}",
                    outcome.requests, outcome.rate_limited, counters.requests, counters.rate_limited
                ));
            }
            let sample = Sample {
                wall: outcome.wall,
                requests: Some(counters.requests),
                rate_limited: Some(counters.rate_limited),
                peak_rss_kib: None,
            };
            progress("naive plan", run, runs, &sample);
            naive_samples.0.push(sample);
        }
        let speedup = ratio(naive_samples.wall().as_secs_f64(), wall.as_secs_f64());
        rows.push(Row {
            scenario: format!(
                "the same plan done the naive way: one GET per resource ({}), {NAIVE_IN_FLIGHT} in flight, 429s retried after `Retry-After`",
                thousands(targets.len() as u64)
            ),
            bound: "— (compared with flowform's plan above)".to_owned(),
            ratio: format!("flowform is {speedup:.1}× faster"),
            target: "flowform ≥ 10× faster".to_owned(),
            checks: vec![("speed-up", speedup >= 10.0)],
            samples: naive_samples,
        });
    }
    Ok(rows)
}

/// Every 20th resource of each kind (index 0, 20, 40, …), renamed: 5% of the account.
fn changed(resource: &Resource) -> bool {
    resource.index.is_multiple_of(20)
}

fn change_spec(spec: &GeneratedSpec) -> GeneratedSpec {
    let mut changed_spec = spec.clone();
    for resource in changed_spec.resources.iter_mut().filter(|resource| changed(resource)) {
        let name = resource.body.get("name").and_then(serde_json::Value::as_str).unwrap_or("");
        resource.body["name"] = serde_json::Value::String(format!("{name} (changed)"));
    }
    changed_spec
}

/// `apply` into an empty account, then `apply` of a 5% change to the account it made.
fn apply_scenarios(bench: &mut Bench, from_empty: bool, change: bool) -> anyhow::Result<Vec<Row>> {
    let runs = bench.args.runs;
    let spec = flowform_specgen::generate_exact(&APPLY_SHAPE, bench.args.seed)?;
    let changed_spec = change_spec(&spec);
    let spec = write_spec(spec, &bench.work.join("apply/spec"))?;
    let changed_spec = write_spec(changed_spec, &bench.work.join("apply/spec-changed"))?;
    let state = bench.work.join("apply/state.json");
    let parallelism = bench.args.parallelism.map(|n| n.to_string());
    let mut apply_args = vec!["apply", "--auto-approve"];
    if bench.args.timings {
        apply_args.push("-vv");
    }
    if let Some(parallelism) = &parallelism {
        apply_args.extend(["--parallelism", parallelism.as_str()]);
    }
    let shape = "1,000 flows, 1,000 exports, 1,000 imports, 50 connections, 20 integrations, 15 of the referenced kinds";
    let mut rows = Vec::new();
    if from_empty {
        let bound = bounds::apply_from_empty(&spec.spec.resources, bench.limit(), bench.latency());
        bench.note_load("apply");
        let mut samples = Samples::default();
        let mut logs = Vec::new();
        for run in 1..=runs {
            bench.block_on(bench.admin.reset())?;
            remove_state(&state)?;
            let (finished, counters) = bench.measured(true, || {
                bench.flowform(&spec, &state, &apply_args, &format!("apply-{run}"))
            })?;
            finished.expect_code(&[0], "`flowform apply` from empty")?;
            let creates = counters.method("POST");
            if creates != spec.spec.resources.len() as u64 {
                bail!(
                    "apply run {run} sent {creates} creates for {} resources",
                    spec.spec.resources.len()
                );
            }
            let sample = sample(&finished, &counters);
            progress("apply", run, runs, &sample);
            samples.0.push(sample);
            logs.push(finished.stderr);
        }
        if bench.args.timings {
            bench.timings.push(report::timings("apply", &logs)?);
        }
        let wall = samples.wall();
        let over = ratio(wall.as_secs_f64(), bound.bound().as_secs_f64());
        let requests = samples.max_requests().unwrap_or(u64::MAX);
        rows.push(Row {
            scenario: format!(
                "apply from empty: {shape} ({} resources), {} latency",
                thousands(spec.spec.resources.len() as u64),
                duration(bench.latency())
            ),
            bound: apply_bound_text(&bound, bench),
            ratio: format!(
                "wall {over:.2}×; requests {} for {} needed",
                thousands(requests),
                thousands(bound.needed_requests as u64)
            ),
            target: "≤ 1.3 × bound; zero 429s".to_owned(),
            checks: vec![("wall", over <= 1.3), ("429s", samples.max_rate_limited() == Some(0))],
            samples,
        });
    } else {
        bench.prepare_by_apply(&spec, &state, "apply")?;
    }
    if change {
        let changed_count = spec.spec.resources.iter().filter(|resource| changed(resource)).count();
        let bound = bounds::apply_change(
            &spec.spec.resources,
            changed,
            bench.page_size,
            bench.limit(),
            bench.latency(),
        );
        // The account and the state as the apply from empty left them, restored before each run.
        let fixtures = bench.block_on(bench.admin.fixtures())?;
        let state_text = fs_err::read_to_string(&state)?;
        bench.note_load("apply-change");
        let mut samples = Samples::default();
        let mut logs = Vec::new();
        for run in 1..=runs {
            bench.block_on(async {
                bench.admin.unthrottled().await?;
                bench.admin.reset().await?;
                bench.admin.load_fixtures(&fixtures).await
            })?;
            remove_state(&state)?;
            fs_err::write(&state, &state_text)?;
            let (finished, counters) = bench.measured(true, || {
                bench.flowform(&changed_spec, &state, &apply_args, &format!("apply-change-{run}"))
            })?;
            finished.expect_code(&[0], "`flowform apply` of the change")?;
            let puts = counters.method("PUT");
            let reads: u64 = Kind::ALL
                .iter()
                .map(|kind| counters.route("GET", &format!("/v1/{}/{{id}}", kind.plural())))
                .sum();
            if puts != changed_count as u64 || reads != changed_count as u64 {
                bail!(
                    "apply-change run {run} sent {reads} GETs and {puts} PUTs for {changed_count} changed resources"
                );
            }
            let sample = sample(&finished, &counters);
            progress("apply-change", run, runs, &sample);
            samples.0.push(sample);
            logs.push(finished.stderr);
        }
        if bench.args.timings {
            bench.timings.push(report::timings("apply-change", &logs)?);
        }
        let wall = samples.wall();
        let over = ratio(wall.as_secs_f64(), bound.bound().as_secs_f64());
        let requests = samples.max_requests().unwrap_or(u64::MAX);
        rows.push(Row {
            scenario: format!(
                "apply of a 5% change to that account: {changed_count} resources renamed (every 20th of each kind), {} latency",
                duration(bench.latency())
            ),
            bound: apply_bound_text(&bound, bench),
            ratio: format!(
                "wall {over:.2}×; requests {} for {} needed",
                thousands(requests),
                thousands(bound.needed_requests as u64)
            ),
            target: format!(
                "≤ 1.3 × bound; requests ≤ lists + 2 per changed = {}",
                bound.needed_requests
            ),
            checks: vec![
                ("wall", over <= 1.3),
                ("requests", requests <= bound.needed_requests as u64),
            ],
            samples,
        });
    }
    Ok(rows)
}

fn apply_bound_text(bound: &bounds::ApplyBound, bench: &Bench) -> String {
    format!(
        "max(rate: ({} − {}) / {}/s = {}, chain: {} requests in a row × {} = {}) = {}",
        thousands(bound.needed_requests as u64),
        thousands(u64::from(bench.limit().capacity)),
        bench.limit().refill_per_second,
        duration(bound.rate),
        bound.sequential_requests,
        duration(bench.latency()),
        duration(bound.chain),
        duration(bound.bound())
    )
}

/// `plan` of 10,000 resources with no latency and no rate limit, the diff alone, and
/// `validate` of the same spec.
fn ten_thousand(bench: &mut Bench, plan: bool, validate: bool) -> anyhow::Result<Vec<Row>> {
    let runs = bench.args.runs;
    let spec = flowform_specgen::generate(Options { resources: 10_000, seed: bench.args.seed })?;
    let spec = write_spec(spec, &bench.work.join("10k/spec"))?;
    let state = bench.work.join("10k/state.json");
    let mut rows = Vec::new();
    if plan {
        bench.prepare_by_apply(&spec, &state, "plan-10k")?;
        bench.note_load("plan-10k");
        let mut samples = Samples::default();
        for run in 1..=runs {
            let (finished, counters) = bench.measured(false, || {
                bench.flowform(
                    &spec,
                    &state,
                    &["plan", "--detailed-exitcode"],
                    &format!("plan-10k-{run}"),
                )
            })?;
            finished.expect_code(&[0], "`flowform plan --detailed-exitcode` of 10,000")?;
            let sample = sample(&finished, &counters);
            progress("plan-10k", run, runs, &sample);
            samples.0.push(sample);
        }
        let diff = diff_only(bench)?;
        rows.push(Row {
            scenario: "plan of 10,000 resources, diff only (live already fetched): `cargo bench -p flowform-diff --bench diff_10k` (its own 10,000 resources, 5% changed; median of 7)".to_owned(),
            bound: "—".to_owned(),
            ratio: format!("{:.2}× the target", diff.median.as_secs_f64() / 0.3),
            target: "≤ 300 ms".to_owned(),
            checks: vec![("wall", diff.median <= Duration::from_millis(300))],
            samples: Samples(vec![Sample {
                wall: diff.median,
                requests: None,
                rate_limited: None,
                peak_rss_kib: diff.peak_rss_kib,
            }]),
        });
        let peak = samples.peak_rss_kib();
        rows.push(Row {
            scenario:
                "plan of 10,000 resources (2,000 flows), whole process, no latency, no rate limit"
                    .to_owned(),
            bound: "—".to_owned(),
            ratio: peak.map_or("—".to_owned(), |kib| {
                format!("peak RSS {:.2}× the target", kib as f64 / 1024.0 / 200.0)
            }),
            target: "peak RSS of the whole plan ≤ 200 MB".to_owned(),
            checks: vec![("peak RSS", peak.is_some_and(|kib| kib <= 200 * 1024))],
            samples,
        });
    }
    if validate {
        bench.note_load("validate-10k");
        let mut samples = Samples::default();
        for run in 1..=runs {
            let finished =
                bench.flowform(&spec, &state, &["validate"], &format!("validate-10k-{run}"))?;
            finished.expect_code(&[0], "`flowform validate` of 10,000")?;
            let sample = Sample {
                wall: finished.wall,
                requests: Some(0),
                rate_limited: Some(0),
                peak_rss_kib: finished.peak_rss_kib,
            };
            progress("validate-10k", run, runs, &sample);
            samples.0.push(sample);
        }
        let wall = samples.wall();
        rows.push(Row {
            scenario: "`validate` of 10,000 resources".to_owned(),
            bound: "— (offline)".to_owned(),
            ratio: format!("{:.2}× the target", wall.as_secs_f64()),
            target: "≤ 1 s".to_owned(),
            checks: vec![("wall", wall <= Duration::from_secs(1))],
            samples,
        });
    }
    Ok(rows)
}

/// What `diff_10k` printed.
struct DiffFigures {
    median: Duration,
    peak_rss_kib: Option<u64>,
}

/// Runs `cargo bench -p flowform-diff --bench diff_10k` and reads its median.
fn diff_only(bench: &Bench) -> anyhow::Result<DiffFigures> {
    say("running cargo bench -p flowform-diff --bench diff_10k");
    let output = Command::new(cargo())
        .args(["bench", "-p", "flowform-diff", "--bench", "diff_10k"])
        .current_dir(crate::workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo bench")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    fs_err::write(bench.work.join("logs/diff_10k.stdout"), &text)?;
    if !output.status.success() {
        bail!("`cargo bench -p flowform-diff --bench diff_10k` failed:\n{text}");
    }
    parse_diff_output(&text).context("cannot read the median from diff_10k's output")
}

fn parse_diff_output(text: &str) -> Option<DiffFigures> {
    // `diff: best 120.3 ms, median 125.0 ms, worst 130.0 ms over 7 runs`
    let line = text.lines().find(|line| line.starts_with("diff: "))?;
    let median = line.split("median ").nth(1)?.split(" ms").next()?.trim().parse::<f64>().ok()?;
    // `peak RSS (VmHWM, whole process, inputs included): 123.4 MB`
    let peak_rss_kib = text
        .lines()
        .find(|line| line.starts_with("peak RSS"))
        .and_then(|line| line.rsplit(": ").next())
        .and_then(|value| value.trim_end_matches(" MB").trim().parse::<f64>().ok())
        .map(|megabytes| (megabytes * 1024.0) as u64);
    Some(DiffFigures { median: Duration::from_secs_f64(median / 1e3), peak_rss_kib })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_bench_output_parses() {
        let figures = parse_diff_output(
            "resources: 10000\ndiff: best 120.3 ms, median 125.0 ms, worst 130.0 ms over 7 runs\npeak RSS (VmHWM, whole process, inputs included): 123.5 MB\n",
        )
        .unwrap();
        assert_eq!(figures.median, Duration::from_millis(125));
        assert_eq!(figures.peak_rss_kib, Some(126_464));
        assert!(parse_diff_output("nothing").is_none());
    }

    #[test]
    fn the_change_is_five_percent() {
        let spec = flowform_specgen::generate_exact(&APPLY_SHAPE, 1).unwrap();
        let count = spec.resources.iter().filter(|resource| changed(resource)).count();
        // Index 0 of each referenced kind too.
        assert_eq!(count, 1 + 3 + 50 + 50 + 50 + 5);
        let changed_spec = change_spec(&spec);
        let renamed = spec
            .resources
            .iter()
            .zip(&changed_spec.resources)
            .filter(|(before, after)| before.body != after.body)
            .count();
        assert_eq!(renamed, count);
    }
}
