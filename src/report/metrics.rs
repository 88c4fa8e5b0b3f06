//! Machine-readable statistics: `--stats-file` (JSON) and
//! `--metrics-textfile` (Prometheus text exposition format, for
//! node_exporter's textfile collector), rewritten every `--stats-interval`
//! and at exit, and the JSON form of `--stats` with `--format json`.
//!
//! Each file is replaced atomically: written under a temporary name in the
//! same directory, then renamed over the old one, so a reader (node_exporter
//! scraping, a monitoring script) never sees half a file. A failed write is
//! reported once (the caller puts it on stderr without waiting) and never
//! stops the data.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::pipeline::Snapshot;
use crate::time::Time;

/// Default `--stats-interval`.
pub(crate) const DEFAULT_STATS_INTERVAL: Duration = Duration::from_secs(10);

/// Where and how often statistics are written.
#[derive(Clone, Debug)]
pub(crate) struct MetricsOptions {
    /// `--stats-file`: JSON.
    pub stats_file: Option<PathBuf>,
    /// `--metrics-textfile`: Prometheus text format.
    pub textfile: Option<PathBuf>,
    /// `--stats-interval`.
    pub interval: Duration,
    /// `--stats` prints the JSON object rather than the table
    /// (`--format json`).
    pub json_stats: bool,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions {
            stats_file: None,
            textfile: None,
            interval: DEFAULT_STATS_INTERVAL,
            json_stats: false,
        }
    }
}

/// The run's counters that the filter does not keep, and the file writer.
#[derive(Debug)]
pub(crate) struct Metrics {
    options: MetricsOptions,
    started: Time,
    next_write: Option<Time>,
    bytes_in: u64,
    reloads_ok: u64,
    reloads_failed: u64,
    stats_requests: u64,
    /// A write failure was reported: do not repeat it every interval.
    warned: bool,
}

impl Metrics {
    /// Counters for a run starting at `now`.
    pub fn new(options: MetricsOptions, now: Time) -> Metrics {
        let writes = options.stats_file.is_some() || options.textfile.is_some();
        Metrics {
            next_write: writes.then_some(now),
            options,
            started: now,
            bytes_in: 0,
            reloads_ok: 0,
            reloads_failed: 0,
            stats_requests: 0,
            warned: false,
        }
    }

    /// When the files are next due to be written, if there are any.
    pub(crate) fn next_due(&self) -> Option<Time> {
        self.next_write
    }

    /// Counts `n` bytes read.
    pub(crate) fn read(&mut self, n: usize) {
        self.bytes_in += n as u64;
    }

    /// Counts a rule reload, successful or not.
    pub(crate) fn reloaded(&mut self, ok: bool) {
        if ok {
            self.reloads_ok += 1;
        } else {
            self.reloads_failed += 1;
        }
    }

    /// Counts a SIGUSR1 statistics request served.
    pub(crate) fn stats_requested(&mut self) {
        self.stats_requests += 1;
    }

    /// Whether the files are due to be written at `now`.
    pub(crate) fn due(&self, now: Time) -> bool {
        self.next_write.is_some_and(|due| due <= now)
    }

    /// Writes the files now (at exit, or when due) and schedules the next.
    /// Returns a message for standard error the first time writing fails.
    pub(crate) fn write(&mut self, snapshot: &Snapshot, now: Time) -> Option<String> {
        self.next_write?;
        self.next_write = Some(now.plus(self.options.interval));
        let mut failures = Vec::new();
        if let Some(path) = &self.options.stats_file {
            let mut text = self.json(snapshot, now).to_string();
            text.push('\n');
            if let Err(err) = replace_file(path, text.as_bytes()) {
                failures.push(format!("{}: {err}", path.display()));
            }
        }
        if let Some(path) = &self.options.textfile {
            if let Err(err) = replace_file(path, self.prometheus(snapshot).as_bytes()) {
                failures.push(format!("{}: {err}", path.display()));
            }
        }
        if failures.is_empty() {
            self.warned = false;
            None
        } else if !self.warned {
            self.warned = true;
            Some(format!(
                "logdedup: cannot write statistics (will keep trying): {}\n",
                failures.join("; ")
            ))
        } else {
            None
        }
    }

    /// Whether `--stats` prints JSON.
    pub(crate) fn json_stats(&self) -> bool {
        self.options.json_stats
    }

    /// The statistics as one JSON object (the `--stats-file` content).
    pub(crate) fn json(&self, snapshot: &Snapshot, now: Time) -> Value {
        let rules: Vec<Value> = snapshot
            .rules
            .iter()
            .zip(&snapshot.per_rule)
            .map(|(rule, s)| {
                json!({
                    "name": rule.name,
                    "matched": s.matched,
                    "suppressed": s.suppressed,
                    "summaries": s.summaries,
                })
            })
            .collect();
        let redactions: Vec<Value> = snapshot
            .redactions
            .iter()
            .zip(&snapshot.masked)
            .map(|(r, n)| json!({ "name": r.name, "masked": n }))
            .collect();
        let time = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(now.millis())
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        json!({
            "time": time.unwrap_or_default(),
            "uptime_seconds": self.started.until(now).as_secs_f64(),
            "lines": {
                "in": snapshot.lines_in(),
                "passed": snapshot.lines.passed,
                "suppressed": snapshot.lines.suppressed,
                "held": snapshot.lines_held,
            },
            "records": {
                "in": snapshot.records_in,
                "passed": snapshot.records_passed(),
                "suppressed": snapshot.records_suppressed(),
            },
            "bytes_in": self.bytes_in,
            "summaries": snapshot.summaries(),
            "redactions": redactions,
            "rules": rules,
            "reloads": { "ok": self.reloads_ok, "failed": self.reloads_failed },
            "stats_requests": self.stats_requests,
        })
    }

    /// The statistics in Prometheus text exposition format.
    pub(crate) fn prometheus(&self, snapshot: &Snapshot) -> String {
        let mut out = String::new();
        let mut family = |name: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        family(
            "logdedup_lines_total",
            "Lines read, by whether they were passed or suppressed.",
            &[
                (label("result", "passed"), snapshot.lines.passed),
                (label("result", "suppressed"), snapshot.lines.suppressed),
            ],
        );
        family(
            "logdedup_records_total",
            "Records read (a record is a line and its continuation lines), by whether they were passed or suppressed.",
            &[
                (label("result", "passed"), snapshot.records_passed()),
                (label("result", "suppressed"), snapshot.records_suppressed()),
            ],
        );
        let per_rule: Vec<(String, u64)> = snapshot
            .rules
            .iter()
            .zip(&snapshot.per_rule)
            .map(|(rule, s)| (label("rule", &rule.name), s.suppressed))
            .collect();
        family(
            "logdedup_suppressed_total",
            "Records suppressed, by rule.",
            &per_rule,
        );
        let masked: Vec<(String, u64)> = snapshot
            .redactions
            .iter()
            .zip(&snapshot.masked)
            .map(|(r, n)| (label("redaction", &r.name), *n))
            .collect();
        family(
            "logdedup_redactions_total",
            "Secrets masked, by redaction.",
            &masked,
        );
        family(
            "logdedup_summaries_total",
            "Summary lines written.",
            &[(String::new(), snapshot.summaries())],
        );
        family(
            "logdedup_read_bytes_total",
            "Bytes read from the input.",
            &[(String::new(), self.bytes_in)],
        );
        family(
            "logdedup_reloads_total",
            "Rule reloads (SIGHUP), by outcome.",
            &[
                (label("result", "ok"), self.reloads_ok),
                (label("result", "error"), self.reloads_failed),
            ],
        );
        out
    }
}

/// `{name="value"}` with the value escaped as the exposition format wants:
/// backslash, double quote and newline.
fn label(name: &str, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    format!("{{{name}=\"{escaped}\"}}")
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same
/// directory (a rename across file systems would not be atomic), renamed
/// over `path`. The temporary name starts with a dot and does not end in
/// `.prom`, so node_exporter never reads it.
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let result = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("rule", "a\"b\\c\nd"), "{rule=\"a\\\"b\\\\c\\nd\"}");
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.prom");
        replace_file(&path, b"one\n").unwrap();
        replace_file(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }
}
