//! `logdedup explain [LINE...]`: which rule (and key) takes each line, or
//! that it passes; with `-v`, which of the rule's patterns matched, its
//! capture groups, and the rules that would also match but lose on order
//! (ripgrep's `--debug` for rules). Reads records from standard input when
//! no LINE is given; `--summary` counts records per rule for a whole log.

use anyhow::Context;
use clap::Args;
use std::cell::RefCell;
use std::io::{Read, Write};
use std::sync::Arc;

use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::{
    per_line_options, NullSink, Pipeline, PipelineOptions, Record, Records, Snapshot,
};
use crate::rules::{load, RuleSet};
use crate::stream::{StdoutWriter, CHUNK_SIZE};
use crate::time::Time;

/// Arguments of `logdedup explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// Lines to explain (default: the records of standard input).
    #[arg(value_name = "LINE")]
    pub lines: Vec<String>,

    /// Which rules to use (default: what the filter would load).
    #[command(flatten)]
    pub rules: RuleArgs,

    /// Also show the matching pattern, capture groups and rules that lost on order.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print only a table: rule → records matched, for the whole input.
    #[arg(long)]
    pub summary: bool,
}

/// Runs `logdedup explain`.
pub(crate) fn run(args: ExplainArgs) -> Result<Outcome, Failure> {
    let set =
        Arc::new(load(&args.rules.sources_from_env(), args.rules.window).map_err(Failure::Usage)?);
    if args.lines.is_empty() {
        super::terminal_hint(
            "lines to explain",
            "logdedup explain LINE, or logdedup explain < bot.log",
            "logdedup explain --help",
        );
    }
    let mut out = std::io::BufWriter::new(StdoutWriter::new());
    let written = if args.summary {
        summary(&set, &args.lines, &mut out)
    } else {
        each_record(&set, &args, &mut out)
    };
    written
        .and_then(|()| out.flush().context("writing to standard output"))
        .map_err(Failure::Runtime)?;
    Ok(Outcome::Success)
}

/// Explains every record of the input (each LINE alone, else standard
/// input), as the filter frames and decides it.
fn each_record(set: &Arc<RuleSet>, args: &ExplainArgs, out: &mut impl Write) -> anyhow::Result<()> {
    // The first write error ends the explaining (a closed stdout: no more
    // input is read for nobody); it is returned once the sink lets go.
    let failed: RefCell<Option<std::io::Error>> = RefCell::new(None);
    let mut sink = Records::new(|record: Record| {
        if failed.borrow().is_none() {
            let text = describe(set, &record, args.verbose);
            if let Err(e) = out.write_all(text.as_bytes()) {
                *failed.borrow_mut() = Some(e);
            }
        }
    });
    if args.lines.is_empty() {
        let mut pipeline = Pipeline::new(Arc::clone(set), &per_line_options());
        read_stdin(|chunk| {
            pipeline.push(chunk, Time(0), &mut sink);
            failed.borrow().is_none()
        })?;
        pipeline.finish(Time(0), &mut sink);
    } else {
        for line in &args.lines {
            let mut pipeline = Pipeline::new(Arc::clone(set), &per_line_options());
            pipeline.push(line.as_bytes(), Time(0), &mut sink);
            pipeline.push(b"\n", Time(0), &mut sink);
            pipeline.finish(Time(0), &mut sink);
            sink.flush();
        }
    }
    sink.flush();
    drop(sink);
    match failed.into_inner() {
        Some(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
        None => Ok(()),
    }
}

/// `--summary`: the input through the filter's own pipeline (fast path and
/// all), then records per rule from the same counters as `--stats`.
fn summary(set: &Arc<RuleSet>, lines: &[String], out: &mut impl Write) -> anyhow::Result<()> {
    let mut pipeline = Pipeline::new(Arc::clone(set), &PipelineOptions::default());
    if lines.is_empty() {
        read_stdin(|chunk| {
            pipeline.push(chunk, Time(0), &mut NullSink);
            true
        })?;
    } else {
        for line in lines {
            pipeline.push(line.as_bytes(), Time(0), &mut NullSink);
            pipeline.push(b"\n", Time(0), &mut NullSink);
        }
    }
    pipeline.finish(Time(0), &mut NullSink);
    out.write_all(summary_table(&pipeline.snapshot()).as_bytes())
        .context("writing to standard output")
}

/// The `--summary` table: records taken per rule (rules that took some, in
/// rule order), then the records that passed unmatched.
pub(crate) fn summary_table(snapshot: &Snapshot) -> String {
    let rows: Vec<(&str, u64)> = snapshot
        .rules
        .iter()
        .zip(&snapshot.per_rule)
        .filter(|(_, s)| s.matched > 0)
        .map(|(r, s)| (r.name.as_str(), s.matched))
        .chain(std::iter::once((
            "passes",
            snapshot.records_in - snapshot.records_matched(),
        )))
        .collect();
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(5).max(5);
    let mut text = format!("{:<width$}  {:>10}\n", "RULE", "RECORDS");
    for (name, count) in rows {
        text.push_str(&format!("{name:<width$}  {count:>10}\n"));
    }
    text
}

/// Reads standard input in chunks, handing each on while `each` says to
/// go on.
fn read_stdin(mut each: impl FnMut(&[u8]) -> bool) -> anyhow::Result<()> {
    let mut input = std::io::stdin().lock();
    let mut buf = vec![0; CHUNK_SIZE];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::Error::new(e).context("reading standard input")),
        };
        if !each(&buf[..n]) {
            return Ok(());
        }
    }
}

/// The explanation of one record.
fn describe(set: &RuleSet, record: &Record, verbose: bool) -> String {
    let lines = &record.lines;
    let found = record
        .rule
        .and_then(|r| set.rules().get(r))
        .map(|rule| (rule.name.clone(), record.user_key(set)));
    let first = lines.first().map_or(&[][..], Vec::as_slice);
    let shown = String::from_utf8_lossy(first);
    let extra = if lines.len() > 1 {
        format!(" (+{} continuation lines)", lines.len() - 1)
    } else {
        String::new()
    };
    let mut text = match &found {
        None => format!("passes  {shown}{extra}\n"),
        Some((rule, key)) if key.is_empty() => format!("{rule}  {shown}{extra}\n"),
        Some((rule, key)) => format!("{rule} [key {key:?}]  {shown}{extra}\n"),
    };
    if !verbose {
        return text;
    }
    let last = lines
        .iter()
        .rev()
        .map(Vec::as_slice)
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or(first);
    for rule in set.rules() {
        let mut hits = Vec::new();
        for regex in &rule.patterns {
            if let Some(caps) = regex.captures(first) {
                let whole = caps.get(0).map_or(0..0, |m| m.range());
                let groups: Vec<String> = regex
                    .capture_names()
                    .enumerate()
                    .skip(1)
                    .filter_map(|(i, name)| {
                        let value = caps.get(i)?;
                        let label = name.map_or(i.to_string(), str::to_owned);
                        Some(format!(
                            "{label}={:?}",
                            String::from_utf8_lossy(value.as_bytes())
                        ))
                    })
                    .collect();
                hits.push(format!(
                    "pattern '{}' matched bytes {}..{}{}",
                    regex.as_str(),
                    whole.start,
                    whole.end,
                    if groups.is_empty() {
                        String::new()
                    } else {
                        format!(", groups {}", groups.join(" "))
                    }
                ));
            }
        }
        if hits.is_empty() {
            continue;
        }
        let exception = rule
            .exception
            .as_ref()
            .map(|e| e.is_match(crate::records::trim_blank_end(last)));
        let role = if found.as_ref().is_some_and(|(r, _)| *r == rule.name) {
            "wins"
        } else if exception == Some(false) {
            "first line matches, but not the exception line"
        } else {
            "also matches, but loses on order"
        };
        text.push_str(&format!("  {} ({}): {role}\n", rule.name, rule.origin));
        for hit in hits {
            text.push_str(&format!("    {hit}\n"));
        }
        if let (Some(e), Some(matched)) = (&rule.exception, exception) {
            text.push_str(&format!(
                "    exception '{}' {} the last line {:?}\n",
                e.as_str(),
                if matched { "matches" } else { "does not match" },
                String::from_utf8_lossy(last)
            ));
        }
    }
    text
}
