//! The statistics options shared by the filter and `run`: `--stats-file`,
//! `--metrics-textfile` and `--stats-interval`, turned into the shell's
//! [`MetricsOptions`].

use anyhow::{bail, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::report::{MetricsOptions, DEFAULT_STATS_INTERVAL};
use crate::time::parse_duration;

/// Options for machine-readable statistics.
#[derive(Debug, Args)]
pub(crate) struct MetricsArgs {
    /// Keep a JSON statistics file at PATH: lines and records in and out,
    /// bytes read, suppressed records per rule, summaries, reloads. Replaced
    /// atomically every --stats-interval and at exit.
    #[arg(long, value_name = "PATH")]
    pub stats_file: Option<PathBuf>,

    /// Keep the same counters at PATH in Prometheus text format, for
    /// node_exporter's textfile collector (name it *.prom).
    #[arg(long, value_name = "PATH")]
    pub metrics_textfile: Option<PathBuf>,

    /// How often --stats-file and --metrics-textfile are rewritten.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_interval)]
    pub stats_interval: Duration,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| format!("{e:#}"))
}

impl MetricsArgs {
    /// Validates the paths (their directory must exist, as the files are
    /// replaced by renaming a file made beside them); `json_stats` is
    /// `--format json`, which makes `--stats` print JSON too.
    pub(crate) fn options(self, json_stats: bool) -> Result<MetricsOptions> {
        for (option, path) in [
            ("--stats-file", &self.stats_file),
            ("--metrics-textfile", &self.metrics_textfile),
        ] {
            if let Some(path) = path {
                check_target(option, path)?;
            }
        }
        Ok(MetricsOptions {
            stats_file: self.stats_file,
            textfile: self.metrics_textfile,
            interval: self.stats_interval,
            json_stats,
        })
    }
}

impl Default for MetricsArgs {
    fn default() -> Self {
        MetricsArgs {
            stats_file: None,
            metrics_textfile: None,
            stats_interval: DEFAULT_STATS_INTERVAL,
        }
    }
}

/// Checks a statistics file path. `-`, `stdout` and `stderr` mean the
/// standard streams in every output option; these files are replaced by
/// renaming, which a stream cannot be, so those names are refused
/// (`./stderr` is a file of that name).
fn check_target(option: &str, path: &Path) -> Result<()> {
    if let Some(name @ ("-" | "stdout" | "stderr")) = path.to_str() {
        bail!(
            "{option} {name}: this file is replaced atomically, so it cannot be a standard stream \
             (name a file; ./{name} for a file of that name)"
        );
    }
    if path.file_name().is_none() {
        bail!("{option} {}: not a file name", path.display());
    }
    if path.is_dir() {
        bail!("{option} {}: is a directory", path.display());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!("{option} {}: no such directory", path.display());
    }
    Ok(())
}
