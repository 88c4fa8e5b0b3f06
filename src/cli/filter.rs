//! The filter, `logdedup [OPTIONS] [FILE]...`: its options (clap derive)
//! and their translation into the shell's [`Settings`], then the run.
//! Nothing past this module sees clap.

use anyhow::{bail, Result};
use chrono::Datelike;
use clap::{Args, ValueEnum};
use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use super::metrics::MetricsArgs;
use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::PipelineOptions;
use crate::process::{Reload, SignalWatch};
use crate::records::{Framing, LogClock, TimestampSpec, PYTHON_TRACEBACK};
use crate::rules::{self, framing_regex, LoadOptions, RuleSource};
use crate::stream::{self, InputSource, Settings, Target};
use crate::summary::{Style, SummaryFormatter, Template};
use crate::time::{TimeFormatter, DEFAULT_TIME_FORMAT};

pub(super) const AFTER_HELP: &str = "\
Examples:
  python -u bot.py 2>&1 | logdedup | tee -a bot.log
  logdedup -r my-rules.toml -w 1m app.log
  logdedup --format json --summary-to stderr < bot.log

Lines no rule matches pass through untouched and at once. Lines a rule
matches are counted, and once per window one summary line stands in for them:
  2025-11-20 16:32:54 | DEBUG | Pyrogram socket error (occurred 150 times) - this is normal during network fluctuations

Signals: SIGINT/SIGTERM write pending summaries, pass input until it ends (at
most --grace), then exit; a second one ends at once. SIGHUP reopens the output
files and reloads the rule files; SIGUSR1 prints --stats.

Exit status: 0 success (also when stdout is closed early), 1 I/O error while
running, 2 usage or rule-file error, 130/143 ended by SIGINT/SIGTERM.

A file whose name is also a command (rules, check, test, ...) is read as a
file when written as ./rules or after --: logdedup -- rules";

/// The filter's options (the top-level command line).
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Files to read, in order ('-' or none: standard input).
    #[arg(value_name = "FILE")]
    pub files: Vec<OsString>,

    /// Which rules to load.
    #[command(flatten)]
    pub rules: RuleArgs,

    /// Where summary lines go: stdout (in stream order), stderr, or a file (appended).
    #[arg(long, value_name = "stdout|stderr|PATH", default_value = "stdout")]
    pub summary_to: String,

    /// Summary line format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Text summary template. Placeholders: {time} {level} {rule} {key}
    /// {message} {note} {count} {times} {first} {last} {window}; '{{' and '}}' for braces.
    #[arg(long, value_name = "STR")]
    pub template: Option<String>,

    /// strftime format of summary timestamps.
    #[arg(long, value_name = "STRFTIME", default_value = DEFAULT_TIME_FORMAT)]
    pub time_format: String,

    /// Print summary timestamps in UTC instead of local time.
    #[arg(long)]
    pub utc: bool,

    /// Append every suppressed line, byte for byte, to PATH (an audit trail).
    #[arg(long, value_name = "PATH|stderr")]
    pub suppressed_to: Option<String>,

    /// At exit, print per-rule counts and lines in/out on stderr.
    #[arg(long)]
    pub stats: bool,

    /// Flush after every line (default: flush whenever the input goes idle).
    #[arg(long)]
    pub line_buffered: bool,

    /// After SIGINT/SIGTERM, keep passing input for this long (the upstream
    /// process is writing its last lines), then exit. 0 exits at once.
    /// Default 10s; end of input ends it at once. With `run`, wait for CMD
    /// to exit however long it takes unless this is given (then CMD is
    /// killed when it runs out).
    #[arg(long, value_name = "DUR", value_parser = parse_grace)]
    pub grace: Option<Duration>,

    /// What window deadlines run on: the wall clock, or the timestamps parsed
    /// from the records (for replaying old logs; see [input] timestamp).
    #[arg(long, value_enum, default_value_t = ClockArg::Wall)]
    pub clock: ClockArg,

    /// Record framing: lines matching REGEX start a record, the others
    /// continue it (overrides [input] in rule files).
    #[arg(long, value_name = "REGEX", conflicts_with = "continuation")]
    pub record_start: Option<String>,

    /// Record framing: lines matching REGEX continue the previous record;
    /// 'python-traceback' knows Python's traceback layout.
    #[arg(long, value_name = "REGEX|python-traceback")]
    pub continuation: Option<String>,

    /// Suppress nothing: write every line, the ones a rule would suppress
    /// tagged "[logdedup:RULE] ", and still write the summaries. The safe
    /// way to try new rules on a live stream.
    #[arg(long)]
    pub dry_run: bool,

    /// Longest line matched whole (e.g. 1048576, 64K, 1M). A longer line is
    /// matched on its first BYTES and streamed through in pieces, never held.
    #[arg(long, value_name = "BYTES", default_value = "1M", value_parser = parse_size)]
    pub max_line: usize,

    /// --stats-file, --metrics-textfile, --stats-interval.
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// Summary formats for `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// The default text line, or --template.
    Text,
    /// One JSON object per line: time, level, rule, key, message, note, count, first, last, window.
    Json,
}

/// Clocks for `--clock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ClockArg {
    /// Wall-clock time: summaries appear on time on a live stream.
    Wall,
    /// Time parsed from each record: replaying a file gives the summaries
    /// the live run gave.
    Log,
}

/// Parses `--grace`: a duration, which unlike a window may be zero (`0`,
/// `0s`, `0ms`); anything that is not a well-formed duration is refused.
fn parse_grace(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t == "0" || humantime::parse_duration(t).is_ok_and(|d| d.is_zero()) {
        return Ok(Duration::ZERO);
    }
    super::rule_args::parse_window(text)
}

/// Parses a byte count: a number with an optional K/KiB or M/MiB suffix
/// (binary multiples). At least 1 byte.
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "invalid size {text:?} (expected e.g. 65536, 64K, 1M)"
            ))
        }
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?} (expected e.g. 65536, 64K, 1M)"))?;
    match n.checked_mul(multiplier) {
        Some(0) => Err(format!("size {text:?} must be at least 1 byte")),
        Some(bytes) => Ok(bytes),
        None => Err(format!("size {text:?} is too large")),
    }
}

/// A validated filter command line: what to load, and the shell's settings.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// Rule sources in load order.
    pub rule_sources: Vec<RuleSource>,
    /// `--window`, and whether the command line sets the framing.
    pub load: LoadOptions,
    /// `--clock log`.
    pub log_clock: bool,
    /// `--utc`: also how zone-less log timestamps are read.
    pub utc: bool,
    /// Everything the shell needs.
    pub settings: Settings,
}

impl FilterArgs {
    /// Validates the arguments; `rules_env` is `$LOGDEDUP_RULES` if set.
    pub(crate) fn plan(self, rules_env: Option<&OsStr>) -> Result<Plan> {
        let rule_sources = self.rules.sources(rules_env);
        let time = TimeFormatter::new(&self.time_format, self.utc)?;
        let framing = match (&self.record_start, &self.continuation) {
            (Some(re), _) => Some(Framing::RecordStart(
                framing_regex(re).map_err(|m| anyhow::anyhow!("--record-start: {m}"))?,
            )),
            (None, Some(c)) if c == PYTHON_TRACEBACK => Some(Framing::PythonTraceback),
            (None, Some(re)) => Some(Framing::Continuation(
                framing_regex(re).map_err(|m| anyhow::anyhow!("--continuation: {m}"))?,
            )),
            (None, None) => None,
        };
        let style = match (self.format, self.template) {
            (FormatArg::Json, Some(_)) => bail!("--template applies to --format text only"),
            (FormatArg::Json, None) => Style::Json,
            (FormatArg::Text, Some(t)) => Style::Template(Template::parse(&t)?),
            (FormatArg::Text, None) => Style::Default,
        };
        let summary_to = Target::parse(&self.summary_to, "--summary-to")?;
        let metrics = self.metrics.options(self.format == FormatArg::Json)?;
        let suppressed_to = self
            .suppressed_to
            .as_deref()
            .map(|t| Target::parse(t, "--suppressed-to"))
            .transpose()?;
        let inputs = if self.files.is_empty() {
            vec![InputSource::Stdin]
        } else {
            self.files
                .into_iter()
                .map(|f| {
                    if f == "-" {
                        InputSource::Stdin
                    } else {
                        InputSource::File(f.into())
                    }
                })
                .collect()
        };
        Ok(Plan {
            rule_sources,
            load: LoadOptions {
                window: self.rules.window,
                framing_given: framing.is_some(),
                cases: false,
            },
            log_clock: self.clock == ClockArg::Log,
            utc: self.utc,
            settings: Settings {
                inputs,
                summary_to,
                suppressed_to,
                formatter: SummaryFormatter::new(style, time),
                pipeline: PipelineOptions {
                    line_buffered: self.line_buffered,
                    max_line: self.max_line,
                    framing,
                    log_clock: None,
                    per_line: false,
                },
                dry_run: self.dry_run,
                grace: self.grace,
                stats: self.stats,
                metrics,
            },
        })
    }
}

/// Runs the filter: rules are loaded and every input and output opened
/// before the first byte is read (failures there are usage errors).
pub(crate) fn run(args: FilterArgs, signals: SignalWatch) -> Result<Outcome, Failure> {
    let rules_env = std::env::var_os("LOGDEDUP_RULES");
    let plan = args.plan(rules_env.as_deref()).map_err(Failure::Usage)?;
    super::rule_args::warn_skipped(&plan.rule_sources);
    let prepared = prepare(&plan).map_err(Failure::Usage)?;
    if plan.settings.inputs.contains(&InputSource::Stdin) {
        super::terminal_hint(
            "log lines",
            "python bot.py 2>&1 | logdedup",
            "logdedup --help",
        );
    }
    let (sources, options) = (plan.rule_sources.clone(), plan.load);
    let reload: Reload = Arc::new(move || rules::load_with(&sources, options));
    stream::run(prepared, signals, std::io::stdin().is_terminal(), reload)
        .map(Outcome::Stream)
        .map_err(Failure::Runtime)
}

/// Loads the plan's rules and opens its inputs and outputs: everything
/// that can fail before the first byte is read.
pub(crate) fn prepare(plan: &Plan) -> Result<stream::Prepared> {
    let rules = rules::load_with(&plan.rule_sources, plan.load)?;
    let mut settings = plan.settings.clone();
    if plan.log_clock {
        let spec = rules
            .input()
            .timestamp
            .clone()
            .unwrap_or(TimestampSpec::Auto);
        settings.pipeline.log_clock =
            Some(LogClock::new(spec, plan.utc, chrono::Local::now().year()));
    }
    stream::prepare(Arc::new(rules), settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        for bad in ["", "0", "1X", "-1", "K", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn grace_may_be_zero_but_not_garbage() {
        assert_eq!(parse_grace("0"), Ok(Duration::ZERO));
        assert_eq!(parse_grace("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_grace("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_grace("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_grace("soon").is_err());
        for bad in ["0hms", "0x", "0hmhs", "00q"] {
            assert!(parse_grace(bad).is_err(), "{bad:?}");
        }
    }
}
