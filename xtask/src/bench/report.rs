//! Figures as text: the samples of a scenario summarised (median, range) and the one table the
//! harness prints, plus what the machine was and how loaded it was.

use std::time::Duration;

/// One run's figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Wall time.
    pub wall: Duration,
    /// Requests the emulator received.
    pub requests: Option<u64>,
    /// 429s the emulator sent.
    pub rate_limited: Option<u64>,
    /// Peak RSS of the flowform process, in KiB.
    pub peak_rss_kib: Option<u64>,
}

/// The median of `values` (the lower middle one for an even count), `None` when empty.
pub fn median<T: Copy + PartialOrd>(values: &[T]) -> Option<T> {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    sorted.get(sorted.len().saturating_sub(1) / 2).copied()
}

/// Samples of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Samples(pub Vec<Sample>);

impl Samples {
    /// The median wall time.
    pub fn wall(&self) -> Duration {
        median(&self.0.iter().map(|sample| sample.wall).collect::<Vec<_>>()).unwrap_or_default()
    }

    /// The largest request count.
    pub fn max_requests(&self) -> Option<u64> {
        self.0.iter().filter_map(|sample| sample.requests).max()
    }

    /// The largest 429 count.
    pub fn max_rate_limited(&self) -> Option<u64> {
        self.0.iter().filter_map(|sample| sample.rate_limited).max()
    }

    /// The median peak RSS in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        median(&self.0.iter().filter_map(|sample| sample.peak_rss_kib).collect::<Vec<_>>())
    }

    /// `0.712 s (0.690–0.750)`: the median and the range.
    pub fn wall_text(&self) -> String {
        let walls: Vec<Duration> = self.0.iter().map(|sample| sample.wall).collect();
        let (Some(low), Some(high)) = (walls.iter().min(), walls.iter().max()) else {
            return "—".to_owned();
        };
        if self.0.len() == 1 {
            return duration(self.wall());
        }
        format!("{} ({}–{})", duration(self.wall()), duration(*low), duration(*high))
    }

    /// `9`, or `9–10` when the runs differ.
    pub fn requests_text(&self) -> String {
        range(self.0.iter().filter_map(|sample| sample.requests))
    }

    /// `0`, or `0–3` when the runs differ.
    pub fn rate_limited_text(&self) -> String {
        range(self.0.iter().filter_map(|sample| sample.rate_limited))
    }

    /// `75.6 MB` (median), or `—` without a figure.
    pub fn peak_rss_text(&self) -> String {
        self.peak_rss_kib().map_or_else(|| "—".to_owned(), megabytes)
    }
}

fn range(values: impl Iterator<Item = u64>) -> String {
    let values: Vec<u64> = values.collect();
    match (values.iter().min(), values.iter().max()) {
        (Some(low), Some(high)) if low == high => thousands(*low),
        (Some(low), Some(high)) => format!("{}–{}", thousands(*low), thousands(*high)),
        _ => "—".to_owned(),
    }
}

/// `12,345`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `75.6 MB` from KiB (MB = 2^20 bytes, as `/usr/bin/time` and `VmHWM` count).
pub fn megabytes(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

/// `712 ms` below a second, `12.34 s` above.
pub fn duration(value: Duration) -> String {
    if value < Duration::from_secs(1) {
        format!("{:.0} ms", value.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", value.as_secs_f64())
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub scenario: String,
    /// The figures.
    pub samples: Samples,
    /// The bound compared with, in words and figures.
    pub bound: String,
    /// The measured figures over the bound.
    pub ratio: String,
    /// The target.
    pub target: String,
    /// The target's parts and whether each was met (none: nothing to meet).
    pub checks: Vec<(&'static str, bool)>,
}

impl Row {
    /// Whether every part of the target was met.
    pub fn met(&self) -> bool {
        self.checks.iter().all(|(_, met)| *met)
    }

    /// `yes`, `**no**: wall, requests`, or `—`.
    fn verdict(&self) -> String {
        if self.checks.is_empty() {
            return "—".to_owned();
        }
        let missed: Vec<&str> =
            self.checks.iter().filter(|(_, met)| !met).map(|(name, _)| *name).collect();
        if missed.is_empty() { "yes".to_owned() } else { format!("**no**: {}", missed.join(", ")) }
    }
}

/// The table in Markdown.
pub fn table(rows: &[Row], runs: usize) -> String {
    let mut out = format!(
        "| scenario | wall time (median of {runs}, range) | requests | 429s | peak RSS | bound | ratio to the bound | target | met |\n|---|---:|---:|---:|---:|---|---|---|---|\n"
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.scenario,
            row.samples.wall_text(),
            row.samples.requests_text(),
            row.samples.rate_limited_text(),
            row.samples.peak_rss_text(),
            row.bound,
            row.ratio,
            row.target,
            row.verdict()
        ));
    }
    out
}

/// The machine, for the record next to the figures.
pub fn machine() -> String {
    let cpuinfo = fs_err::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name").and_then(|rest| rest.split_once(':')))
        .map_or("unknown CPU".to_owned(), |(_, name)| name.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = fs_err::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or("unknown memory".to_owned(), |kib| {
            format!("{:.0} GB RAM", kib as f64 / 1024.0 / 1024.0)
        });
    let kernel = fs_err::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".to_owned(), |text| text.trim().to_owned());
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), {memory}, Linux {kernel}, {rustc}")
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    fs_err::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The `timing: WHAT: N ms` lines of `flowform -vv` in the stderr logs of a scenario's runs, as
/// a table of each phase's median over the runs (in the order the phases first appear); a phase
/// missing from some runs is counted over the runs that have it.
pub fn timings(scenario: &str, logs: &[std::path::PathBuf]) -> anyhow::Result<String> {
    let texts = logs.iter().map(fs_err::read_to_string).collect::<Result<Vec<_>, _>>()?;
    Ok(timings_of(scenario, &texts))
}

/// [`timings`] of the logs' texts.
fn timings_of(scenario: &str, logs: &[String]) -> String {
    let mut phases: Vec<(String, Vec<f64>)> = Vec::new();
    for log in logs {
        for line in log.lines() {
            let Some(rest) = line.strip_prefix("timing: ") else { continue };
            let Some((what, took)) = rest.rsplit_once(": ") else { continue };
            let Some(Ok(ms)) = took.strip_suffix(" ms").map(str::parse::<f64>) else { continue };
            match phases.iter_mut().find(|(known, _)| known == what) {
                Some((_, values)) => values.push(ms),
                None => phases.push((what.to_owned(), vec![ms])),
            }
        }
    }
    let mut out = format!(
        "{scenario}: phases (`flowform -vv` `timing:` lines, median of {} runs)\n\n",
        logs.len()
    );
    out.push_str("| phase | median | range |\n|---|---:|---:|\n");
    for (what, mut values) in phases {
        values.sort_by(f64::total_cmp);
        let median = median(&values).unwrap_or_default();
        let (low, high) = (values[0], values[values.len() - 1]);
        out.push_str(&format!("| {what} | {median:.1} ms | {low:.1}–{high:.1} ms |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let sample = |ms: u64, requests: u64| Sample {
            wall: Duration::from_millis(ms),
            requests: Some(requests),
            rate_limited: Some(0),
            peak_rss_kib: Some(1024 * ms),
        };
        let samples = Samples(vec![
            sample(700, 9),
            sample(650, 9),
            sample(900, 10),
            sample(720, 9),
            sample(690, 9),
        ]);
        assert_eq!(samples.wall(), Duration::from_millis(700));
        assert_eq!(samples.wall_text(), "700 ms (650 ms–900 ms)");
        assert_eq!(samples.requests_text(), "9–10");
        assert_eq!(samples.rate_limited_text(), "0");
        assert_eq!(samples.peak_rss_text(), "700.0 MB");
        assert_eq!(samples.max_requests(), Some(10));
        assert_eq!(median(&[3, 1, 2, 4]), Some(2));
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(duration(Duration::from_millis(12_345)), "12.35 s");
        let row = |checks| Row {
            scenario: String::new(),
            samples: Samples::default(),
            bound: String::new(),
            ratio: String::new(),
            target: String::new(),
            checks,
        };
        assert_eq!(row(vec![("wall", true), ("requests", true)]).verdict(), "yes");
        assert_eq!(row(vec![("wall", false), ("requests", true)]).verdict(), "**no**: wall");
        assert_eq!(row(vec![]).verdict(), "—");
    }

    #[test]
    fn timings_are_the_median_of_each_phase_in_the_order_they_first_appear() {
        let logs = [
            "timing: spec loaded: 80.0 ms\ntiming: steps ran: 170.5 ms\n",
            "noise\ntiming: spec loaded: 90.0 ms\ntiming: steps ran: 160.0 ms\n",
            "timing: steps ran: 150.0 ms\ntiming: state saved: 20.0 ms\n",
        ]
        .map(str::to_owned);
        let table = timings_of("apply-change", &logs);
        assert!(table.contains("median of 3 runs"), "{table}");
        assert!(table.contains("| spec loaded | 80.0 ms | 80.0–90.0 ms |"), "{table}");
        assert!(table.contains("| steps ran | 160.0 ms | 150.0–170.5 ms |"), "{table}");
        assert!(table.contains("| state saved | 20.0 ms | 20.0–20.0 ms |"), "{table}");
        assert!(table.find("spec loaded") < table.find("steps ran"));
    }
}
