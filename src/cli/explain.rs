//! `logdedup explain [LINE...]`: which rule (and key) takes each line, or
//! that it passes; with `-v`, which of the rule's patterns matched, its
//! capture groups, and the rules that would also match but lose on order
//! (ripgrep's `--debug` for rules). Reads records from standard input when
//! no LINE is given; `--summary` counts records per rule for a whole log.

use anyhow::Context;
use clap::Args;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::records::{line_content, Disposition, Frame, Framer, Framing};
use crate::rules::{last_line, load, match_lines, RuleSet};

/// Arguments of `logdedup explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
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
pub fn run(args: ExplainArgs) -> Result<Outcome, Failure> {
    let set = load(&args.rules.sources_from_env(), args.rules.window).map_err(Failure::Usage)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut each = |record: &[Vec<u8>]| -> anyhow::Result<()> {
        let lines: Vec<&[u8]> = record.iter().map(Vec::as_slice).collect();
        let found = match_lines(&set, &lines);
        let name = found
            .as_ref()
            .map_or("passes".to_owned(), |(r, _)| r.clone());
        if !counts.contains_key(&name) {
            order.push(name.clone());
        }
        *counts.entry(name).or_default() += 1;
        if !args.summary {
            out.write_all(describe(&set, &lines, found, args.verbose).as_bytes())?;
        }
        Ok(())
    };
    let run = if args.lines.is_empty() {
        read_records(&set, &mut each)
    } else {
        args.lines
            .iter()
            .try_for_each(|line| each(&[line.as_bytes().to_vec()]))
    };
    run.map_err(Failure::Runtime)?;
    if args.summary {
        let width = order.iter().map(String::len).max().unwrap_or(5).max(5);
        let mut text = format!("{:<width$}  {:>10}\n", "RULE", "RECORDS");
        for name in &order {
            text.push_str(&format!("{name:<width$}  {:>10}\n", counts[name]));
        }
        out.write_all(text.as_bytes())
            .map_err(|e| Failure::Runtime(e.into()))?;
    }
    out.flush().map_err(|e| Failure::Runtime(e.into()))?;
    Ok(Outcome::Success)
}

/// Reads standard input as records (the rules' framing) and hands each on.
fn read_records(
    set: &RuleSet,
    each: &mut dyn FnMut(&[Vec<u8>]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let framing = set.input().framing.clone().unwrap_or(Framing::Lines);
    let mut framer = Framer::new(framing);
    let mut record: Vec<Vec<u8>> = Vec::new();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .context("reading standard input")?;
        if n == 0 {
            break;
        }
        let (frame, _) = framer.classify(line_content(&line));
        if frame == Frame::Start || record.is_empty() {
            if !record.is_empty() {
                each(&record)?;
                record.clear();
            }
            framer.started(Some(Disposition::Pass));
        }
        record.push(line_content(&line).to_vec());
    }
    if !record.is_empty() {
        each(&record)?;
    }
    Ok(())
}

/// The explanation of one record.
fn describe(
    set: &RuleSet,
    lines: &[&[u8]],
    found: Option<(String, String)>,
    verbose: bool,
) -> String {
    let first = lines.first().map_or(&[][..], |l| line_content(l));
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
    let last = last_line(lines).unwrap_or(first);
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
        let exception = rule.exception.as_ref().map(|e| e.is_match(last));
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
