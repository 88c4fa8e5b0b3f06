//! The statistics options shared by the filter and `run`: `--stats-file`,
//! `--metrics-textfile`, `--stats-interval`, and the labels that tell one
//! logdedup's series from another's (`--instance`, `--metrics-label`),
//! turned into the shell's [`MetricsOptions`].

use anyhow::{bail, Result};
use clap::Args;
use std::ffi::OsString;
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

    /// This logdedup's name in the statistics: an instance="NAME" label on
    /// every series and "instance" in the JSON, so the files of two bots in
    /// one textfile directory never collide. Default under run: the script
    /// CMD runs (bot.py for `python -u bot.py`, the module for `python -m
    /// mod`), else CMD's file name; the plain filter has none.
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,

    /// A label KEY=VALUE on every series (and in the JSON's "labels").
    /// Repeatable. KEY is a Prometheus label name other than instance,
    /// result and rule, which logdedup sets itself.
    #[arg(long = "metrics-label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub metrics_labels: Vec<(String, String)>,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| format!("{e:#}"))
}

/// Label names logdedup sets itself.
const RESERVED_LABELS: [&str; 3] = ["instance", "result", "rule"];

/// Parses `--metrics-label KEY=VALUE`: KEY as Prometheus label names are
/// (`[a-zA-Z_][a-zA-Z0-9_]*`, no leading `__`, which Prometheus keeps for
/// itself), and not one of [`RESERVED_LABELS`].
pub(crate) fn parse_label(text: &str) -> Result<(String, String), String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!("{text:?}: expected KEY=VALUE"));
    };
    let valid = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "{key:?} is not a Prometheus label name (letters, digits and _, not starting with a digit)"
        ));
    }
    if key.starts_with("__") {
        return Err(format!(
            "{key:?}: label names starting with __ are reserved for Prometheus"
        ));
    }
    if RESERVED_LABELS.contains(&key) {
        return Err(format!(
            "{key:?} is a label logdedup sets itself (use --instance for instance)"
        ));
    }
    Ok((key.to_owned(), value.to_owned()))
}

impl MetricsArgs {
    /// Validates the paths (their directory must exist, as the files are
    /// replaced by renaming a file made beside them) and the labels;
    /// `json_stats` is `--format json`, which makes `--stats` print JSON too.
    pub(crate) fn options(self, json_stats: bool) -> Result<MetricsOptions> {
        let mut warnings = Vec::new();
        for (option, path) in [
            ("--stats-file", &self.stats_file),
            ("--metrics-textfile", &self.metrics_textfile),
        ] {
            if let Some(path) = path {
                check_target(option, path)?;
            }
        }
        if let Some(path) = &self.metrics_textfile {
            if path.extension().is_none_or(|e| e != "prom") {
                warnings.push(format!(
                    "--metrics-textfile {}: node_exporter's textfile collector reads only files \
                     whose name ends in .prom",
                    path.display()
                ));
            }
        }
        if self.instance.as_deref().is_some_and(str::is_empty) {
            bail!("--instance is empty");
        }
        for (i, (key, _)) in self.metrics_labels.iter().enumerate() {
            if self.metrics_labels[..i].iter().any(|(k, _)| k == key) {
                bail!("--metrics-label {key} is given twice");
            }
        }
        Ok(MetricsOptions {
            stats_file: self.stats_file,
            textfile: self.metrics_textfile,
            interval: self.stats_interval,
            json_stats,
            instance: self.instance,
            labels: self.metrics_labels,
            warnings,
        })
    }
}

impl Default for MetricsArgs {
    fn default() -> Self {
        MetricsArgs {
            stats_file: None,
            metrics_textfile: None,
            stats_interval: DEFAULT_STATS_INTERVAL,
            instance: None,
            metrics_labels: Vec::new(),
        }
    }
}

/// Interpreters whose first argument that is not an option names the
/// program they run (a version may follow: python3.12, pypy3, nodejs).
const INTERPRETERS: [&str; 13] = [
    "python", "pypy", "node", "nodejs", "deno", "bun", "ruby", "perl", "php", "sh", "bash", "dash",
    "zsh",
];

/// The default `--instance` under `run`: what CMD runs. For an
/// interpreter with a script, the script's file name (`python -u bot.py`
/// is `bot.py`; `python -m mybot` is `mybot`); else CMD's own file name
/// (`./bot` is `bot`). Two bots started by the same interpreter get
/// distinct names this way, where `python3` would name both alike.
pub(crate) fn default_instance(program: &OsString, args: &[OsString]) -> String {
    let name = |p: &OsString| {
        Path::new(p).file_name().map_or_else(
            || p.to_string_lossy().into_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let own = name(program);
    let base = own.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if !INTERPRETERS.contains(&base) {
        return own;
    }
    let python = base == "python" || base == "pypy";
    let shell = matches!(base, "sh" | "bash" | "dash" | "zsh");
    // Options whose value is the next argument, and options that give the
    // program as text (then nothing names it).
    let (with_value, as_text): (&[&str], &[&str]) = if python {
        (&["-W", "-X"], &["-c"])
    } else if shell {
        (&["-o", "-O"], &["-c"])
    } else {
        (&["-r", "--require", "-I"], &["-e", "-E", "--eval", "-p"])
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        match text.as_ref() {
            "-m" if python => {
                return args
                    .next()
                    .map_or(own, |m| m.to_string_lossy().into_owned())
            }
            t if as_text.contains(&t) => return own,
            "--" => return args.next().map_or(own, name),
            t if with_value.contains(&t) => {
                args.next();
            }
            t if t.starts_with('-') => {}
            _ => return name(arg),
        }
    }
    own
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
    // Replacing is a rename over the path: a FIFO or a device there (say
    // /dev/null) would be removed, not written to.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        bail!(
            "{option} {}: not a regular file (it is replaced by renaming a new file over it)",
            path.display()
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(cmd: &[&str]) -> String {
        let cmd: Vec<OsString> = cmd.iter().map(OsString::from).collect();
        default_instance(&cmd[0], &cmd[1..])
    }

    #[test]
    fn the_default_instance_is_the_script_an_interpreter_runs() {
        assert_eq!(instance(&["python3", "-u", "bot.py"]), "bot.py");
        assert_eq!(
            instance(&[
                "/srv/venv/bin/python3.11",
                "-X",
                "dev",
                "/srv/a/main.py",
                "-v"
            ]),
            "main.py"
        );
        assert_eq!(instance(&["python", "-m", "mybot", "--debug"]), "mybot");
        assert_eq!(instance(&["python3", "-c", "print(1)"]), "python3");
        assert_eq!(instance(&["python3"]), "python3");
        assert_eq!(instance(&["node", "server.js"]), "server.js");
        assert_eq!(instance(&["sh", "-e", "run.sh"]), "run.sh");
        assert_eq!(instance(&["sh", "-c", "exec bot"]), "sh");
        assert_eq!(instance(&["ruby", "-e", "puts 1"]), "ruby");
        assert_eq!(instance(&["bash", "-x", "run.sh"]), "run.sh");
        assert_eq!(instance(&["./bot", "--token-file", "x.py"]), "bot");
        assert_eq!(instance(&["uv", "run", "bot.py"]), "uv");
    }

    #[test]
    fn metrics_labels_are_prometheus_label_names() {
        assert_eq!(parse_label("env=prod"), Ok(("env".into(), "prod".into())));
        assert_eq!(parse_label("_x1=a=b"), Ok(("_x1".into(), "a=b".into())));
        assert_eq!(parse_label("team="), Ok(("team".into(), String::new())));
        for bad in [
            "env",
            "=x",
            "1env=x",
            "e-nv=x",
            "é=x",
            "__name__=x",
            "instance=x",
            "rule=x",
        ] {
            assert!(parse_label(bad).is_err(), "{bad}");
        }
    }
}
