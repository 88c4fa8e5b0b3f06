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
//!
//! Several logdedup processes may write into one node_exporter textfile
//! directory (a bot each): every series carries the run's `instance` label
//! and the `--metrics-label`s, so their series never collide, and every
//! process writes the same HELP and TYPE lines.

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
    /// `--instance`, or under `run` the name of what it runs: the
    /// `instance` label of every series, `"instance"` in the JSON.
    pub instance: Option<String>,
    /// `--metrics-label KEY=VALUE`s, validated, in the order given.
    pub labels: Vec<(String, String)>,
    /// Warnings about the options, for standard error at start-up.
    pub warnings: Vec<String>,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions {
            stats_file: None,
            textfile: None,
            interval: DEFAULT_STATS_INTERVAL,
            json_stats: false,
            instance: None,
            labels: Vec::new(),
            warnings: Vec::new(),
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
        let labels: serde_json::Map<String, Value> = self
            .options
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        json!({
            "instance": self.options.instance,
            "labels": labels,
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

    /// The statistics in Prometheus text exposition format. Every series
    /// carries the run's own labels (`instance`, `--metrics-label`s) first.
    pub(crate) fn prometheus(&self, snapshot: &Snapshot) -> String {
        let own = self.own_labels();
        let label = |name: &str, value: &str| labels(&own, Some((name, value)));
        let none = labels(&own, None);
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        family(
            "logdedup_lines_total",
            "counter",
            "Lines read, by whether they were passed or suppressed.",
            &[
                (label("result", "passed"), snapshot.lines.passed),
                (label("result", "suppressed"), snapshot.lines.suppressed),
            ],
        );
        family(
            "logdedup_held_lines",
            "gauge",
            "Lines of a record held until it ends, not yet counted as passed or suppressed.",
            &[(none.clone(), snapshot.lines_held)],
        );
        family(
            "logdedup_records_total",
            "counter",
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
            "counter",
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
            "counter",
            "Secrets masked, by redaction.",
            &masked,
        );
        family(
            "logdedup_summaries_total",
            "counter",
            "Summary lines written.",
            &[(none.clone(), snapshot.summaries())],
        );
        family(
            "logdedup_read_bytes_total",
            "counter",
            "Bytes read from the input.",
            &[(none.clone(), self.bytes_in)],
        );
        family(
            "logdedup_reloads_total",
            "counter",
            "Rule reloads (SIGHUP), by outcome.",
            &[
                (label("result", "ok"), self.reloads_ok),
                (label("result", "error"), self.reloads_failed),
            ],
        );
        out
    }

    /// The labels every series carries: `instance`, then `--metrics-label`s.
    fn own_labels(&self) -> Vec<(&str, &str)> {
        self.options
            .instance
            .as_deref()
            .map(|i| ("instance", i))
            .into_iter()
            .chain(
                self.options
                    .labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .collect()
    }
}

/// `{a="1",b="2"}` from `own` and then `extra`, each value escaped as the
/// exposition format wants (backslash, double quote, newline); empty when
/// there are no labels at all.
fn labels(own: &[(&str, &str)], extra: Option<(&str, &str)>) -> String {
    let all: Vec<String> = own
        .iter()
        .copied()
        .chain(extra)
        .map(|(name, value)| {
            let mut escaped = String::with_capacity(value.len());
            for c in value.chars() {
                match c {
                    '\\' => escaped.push_str("\\\\"),
                    '"' => escaped.push_str("\\\""),
                    '\n' => escaped.push_str("\\n"),
                    c => escaped.push(c),
                }
            }
            format!("{name}=\"{escaped}\"")
        })
        .collect();
    if all.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", all.join(","))
    }
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same
/// directory (a rename across file systems would not be atomic), renamed
/// over `path`. The temporary file gets a new, random, short name each
/// time and is created with `O_CREAT | O_EXCL`, which never opens what is
/// already there: a symlink planted at a predictable name cannot redirect
/// the write, a FIFO cannot block it (a PID, the old name's variable part,
/// is 1 in every container), and a long `path` name still leaves room for
/// it. The name starts with a dot and does not end in `.prom`, so
/// node_exporter never reads it. Created with mode 0666 less the umask,
/// as a plain `open` would: node_exporter often runs as another user.
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    if path.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file name",
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".logdedup-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    // Dropped on failure, the temporary file is removed.
    temp.persist(path).map(drop).map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[], Some(("rule", "a\"b\\c\nd"))),
            "{rule=\"a\\\"b\\\\c\\nd\"}"
        );
        assert_eq!(
            labels(&[("instance", "bot.py"), ("env", "x")], Some(("rule", "r"))),
            "{instance=\"bot.py\",env=\"x\",rule=\"r\"}"
        );
        assert_eq!(labels(&[], None), "");
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

    // The temporary file had a fixed name (`.NAME.PID.tmp`, PID 1 in a
    // container) and was opened following links: a symlink planted there
    // had its target overwritten.
    #[test]
    fn a_symlink_at_the_old_temporary_name_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep\n").unwrap();
        let path = dir.path().join("m.prom");
        let old_name = dir
            .path()
            .join(format!(".m.prom.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &old_name).unwrap();
        replace_file(&path, b"stats\n").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep\n");
        assert_eq!(std::fs::read(&path).unwrap(), b"stats\n");
    }

    // A FIFO at the old temporary name stopped the data path: opening it
    // for writing waits for a reader that never comes.
    #[test]
    fn a_fifo_at_the_old_temporary_name_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.prom");
        let old_name = dir
            .path()
            .join(format!(".m.prom.{}.tmp", std::process::id()));
        let c_name = std::ffi::CString::new(old_name.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c_name` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c_name.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let target = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(replace_file(&target, b"stats\n").map_err(|e| e.to_string()));
        });
        // A liveness bound: the old code never returned at all.
        let result = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("replace_file blocked on a FIFO");
        assert_eq!(result, Ok(()));
        assert_eq!(std::fs::read(&path).unwrap(), b"stats\n");
    }

    // The temporary name was the file's name plus a dot and a suffix: a
    // file name near the 255-byte limit could not have one.
    #[test]
    fn a_long_file_name_keeps_a_short_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{}.prom", "m".repeat(250)));
        replace_file(&path, b"stats\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"stats\n");
    }

    // node_exporter often runs as another user: the file is made with the
    // mode a plain open gives (0666 less the umask), not 0600.
    #[test]
    fn the_file_gets_the_mode_a_plain_open_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        let path = dir.path().join("m.prom");
        replace_file(&path, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain));
    }
}
