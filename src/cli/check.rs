//! `logdedup check [RULES...]`: load and validate rule files without
//! running anything, one line per file (`FILE: N rules, M tests, ok`, or
//! `FILE: N errors`), every error of a file at once, and warnings for rules
//! that cannot work as meant. In the manner of `nginx -t` and `vector
//! validate`. The files are checked with what a real run loads beside them
//! (the default packs, unless `--no-default-rules`), so a conflict that
//! would stop the filter is reported here.

use clap::Args;
use std::io::Write;
use std::sync::Arc;

use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::classify;
use crate::rules::{
    framing_regex, literal_chars, load_each, CaseInput, FileReport, LoadOptions, Rule, RuleErrors,
    RuleFileError, RuleSet, RuleSource, RuleTest,
};

/// Arguments of `logdedup check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Rule files, directories or builtin:NAME to check, together with the
    /// default packs as the filter adds them (default: the rules the filter
    /// would use: -r, $LOGDEDUP_RULES, -e, the default packs).
    #[arg(value_name = "RULES")]
    pub files: Vec<String>,

    /// Which rules the filter would use, when no RULES are given.
    #[command(flatten)]
    pub rules: RuleArgs,

    /// As the filter's --record-start: framing given on the command line
    /// overrides the files' [input], so files that disagree about framing
    /// are no error.
    #[arg(long, value_name = "REGEX", conflicts_with = "continuation")]
    pub record_start: Option<String>,

    /// As the filter's --continuation (see --record-start).
    #[arg(long, value_name = "REGEX|python-traceback")]
    pub continuation: Option<String>,

    /// Print only errors and warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The sources a rule command works on: the files named, then the default
/// packs (as the filter adds them after the user's rules) unless
/// `--no-default-rules`; with no files, what the filter would load.
pub(crate) fn sources(files: &[String], rules: &RuleArgs) -> Vec<RuleSource> {
    if files.is_empty() {
        return rules.sources_from_env();
    }
    let mut sources: Vec<RuleSource> = files.iter().map(|f| RuleSource::parse(f)).collect();
    if !rules.no_default_rules {
        sources.push(RuleSource::Defaults);
    }
    sources
}

/// Every error inside `err`, one per line.
pub(crate) fn error_lines(err: &anyhow::Error) -> Vec<String> {
    located_errors(err)
        .into_iter()
        .map(|(_, line)| line)
        .collect()
}

/// Every error inside `err`, one per line, with the file it is in when
/// it names one.
fn located_errors(err: &anyhow::Error) -> Vec<(Option<String>, String)> {
    let one = |e: &anyhow::Error| {
        let origin = e.downcast_ref::<RuleFileError>().map(|f| f.origin.clone());
        (origin, format!("{e:#}"))
    };
    match err.downcast_ref::<RuleErrors>() {
        Some(errors) => errors.0.iter().map(one).collect(),
        None => vec![one(err)],
    }
}

/// Runs `logdedup check`.
pub(crate) fn run(args: CheckArgs) -> Result<Outcome, Failure> {
    let framing_given = match (&args.record_start, &args.continuation) {
        (Some(re), _) => Some(("--record-start", re)),
        (None, Some(c)) if c == crate::records::PYTHON_TRACEBACK => None,
        (None, Some(re)) => Some(("--continuation", re)),
        (None, None) => None,
    };
    if let Some((option, re)) = framing_given {
        framing_regex(re).map_err(|m| Failure::Usage(anyhow::anyhow!("{option}: {m}")))?;
    }
    let options = LoadOptions {
        window: args.rules.window,
        framing_given: args.record_start.is_some() || args.continuation.is_some(),
        cases: true,
    };
    let sources = sources(&args.files, &args.rules);
    let (reports, set) = load_each(&sources, options);
    let files_failed = reports.iter().any(|r| r.result.is_err());
    // Errors found once every file was in (a test naming a rule no file
    // defines): each is counted against the file it is in.
    let mut set_errors = Vec::new();
    let mut warned = Vec::new();
    match set {
        Ok(set) => warned = warnings(&Arc::new(set), &reports),
        Err(e) if !files_failed => set_errors = located_errors(&e),
        Err(_) => {}
    }
    let mut out = String::new();
    let mut err = String::new();
    for report in &reports {
        let mut lines = match &report.result {
            Ok(_) => Vec::new(),
            Err(e) => error_lines(e),
        };
        lines.extend(
            set_errors
                .iter()
                .filter(|(origin, _)| origin.as_deref() == Some(report.origin.as_str()))
                .map(|(_, line)| line.clone()),
        );
        match &report.result {
            // Packs added beside named files: the user did not name them.
            Ok(_) if report.added && !args.files.is_empty() && lines.is_empty() => {}
            Ok(counts) if lines.is_empty() => out.push_str(&format!(
                "{}: {} rule{}, {} test{}, ok\n",
                report.origin,
                counts.rules,
                plural(counts.rules),
                counts.tests,
                plural(counts.tests),
            )),
            _ => out.push_str(&error_count(&report.origin, &lines, &mut err)),
        }
    }
    let elsewhere: Vec<String> = set_errors
        .iter()
        .filter(|(origin, _)| {
            !origin
                .as_deref()
                .is_some_and(|o| reports.iter().any(|r| r.origin == o))
        })
        .map(|(_, line)| line.clone())
        .collect();
    if !elsewhere.is_empty() {
        out.push_str(&error_count("the rule set", &elsewhere, &mut err));
    }
    for warning in warned {
        err.push_str(&format!("logdedup: warning: {warning}\n"));
    }
    // Errors go to stderr whatever became of stdout: a closed one still
    // leaves the verdict and its exit status.
    let printed = if args.quiet {
        Ok(())
    } else {
        super::print_report(out.as_bytes())
    };
    let _ = std::io::stderr().write_all(err.as_bytes());
    printed?;
    if files_failed || !set_errors.is_empty() {
        Ok(Outcome::Invalid)
    } else {
        Ok(Outcome::Success)
    }
}

/// `WHAT: N errors` for standard output; the errors go to `err`.
fn error_count(what: &str, lines: &[String], err: &mut String) -> String {
    for line in lines {
        err.push_str(&format!("logdedup: {line}\n"));
    }
    format!("{what}: {} error{}\n", lines.len(), plural(lines.len()))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Fewest literal characters a pattern should require: fewer, and it
/// matches far more lines than the one its author had in mind.
const MIN_LITERAL_CHARS: usize = 3;

/// Rules that load but cannot do what their author meant: no test shows
/// them working, an earlier rule wins every line meant for them, a pattern
/// too short to be specific, or one that takes most of its file's test
/// lines meant for other rules (or for none). The last two are not said
/// of the default packs the filter adds (`reports`' `added`): the user did
/// not write them.
pub(crate) fn warnings(set: &Arc<RuleSet>, reports: &[FileReport]) -> Vec<String> {
    let mut warnings = Vec::new();
    let in_windows = taken_in_window_cases(set);
    for (id, rule) in set.rules().iter().enumerate() {
        let added = reports
            .iter()
            .any(|r| r.added && file_of(&rule.origin) == r.origin);
        if !added {
            warnings.extend(breadth_warnings(set, rule));
        }
        let cases: Vec<_> = set
            .tests()
            .iter()
            .filter(|t| t.expect.as_deref() == Some(rule.name.as_str()))
            .collect();
        if cases.is_empty() && !in_windows.contains(&id) {
            warnings.push(format!(
                "{}: rule {:?} has no [[test]] case showing what it matches",
                rule.origin, rule.name
            ));
            continue;
        }
        let mut winners = Vec::new();
        for case in &cases {
            let lines: Vec<&[u8]> = match &case.input {
                CaseInput::Line(line) => vec![line.as_bytes()],
                CaseInput::Record(record) => record.lines().map(str::as_bytes).collect(),
                CaseInput::Window { .. } => break,
            };
            let winner = classify(set, &lines).first().and_then(|r| r.rule);
            match winner {
                Some(w) if w < id => winners.push(set.rules()[w].name.clone()),
                _ => break,
            }
        }
        if winners.len() == cases.len() {
            if let Some(first) = winners.first() {
                warnings.push(format!(
                    "{}: rule {:?} can never win: earlier rule {first:?} matches every one of its test lines",
                    rule.origin, rule.name
                ));
            }
        }
    }
    warnings
}

/// The rules that take some line of a window case: such a case shows the
/// rule at work (its exact output is checked), as a line case would.
fn taken_in_window_cases(set: &Arc<RuleSet>) -> Vec<usize> {
    let mut taken: Vec<usize> = set
        .tests()
        .iter()
        .filter_map(|t| match &t.input {
            CaseInput::Window { lines, .. } => Some(lines),
            _ => None,
        })
        .flat_map(|lines| {
            let lines: Vec<&[u8]> = lines.iter().map(String::as_bytes).collect();
            classify(set, &lines)
        })
        .filter_map(|record| record.rule)
        .collect();
    taken.sort_unstable();
    taken.dedup();
    taken
}

/// The file part of an origin `FILE:LINE`.
fn file_of(origin: &str) -> &str {
    origin.rsplit_once(':').map_or(origin, |(file, _)| file)
}

/// A rule that would take far more than its author meant: a pattern with
/// fewer than [`MIN_LITERAL_CHARS`] literal characters, or one that takes
/// most of the test lines of its own file meant for other rules or none.
fn breadth_warnings(set: &RuleSet, rule: &Rule) -> Vec<String> {
    let mut warnings = Vec::new();
    for pattern in &rule.patterns {
        // Read as written: with ignore_case a letter is a class of its two
        // cases, which counts as one literal character all the same.
        let text = pattern.as_str();
        if let Some(n) = literal_chars(text, false).filter(|&n| n < MIN_LITERAL_CHARS) {
            warnings.push(format!(
                "{}: rule {:?}: pattern {} has only {n} literal character{}: it matches far \
                 more lines than the one it was written for",
                rule.origin,
                rule.name,
                crate::rules::quote_pattern(text),
                plural(n)
            ));
        }
    }
    let file = file_of(&rule.origin);
    let others: Vec<&RuleTest> = set
        .tests()
        .iter()
        .filter(|t| file_of(&t.origin) == file && t.expect.as_deref() != Some(&rule.name))
        .filter(|t| !matches!(t.input, CaseInput::Window { .. }))
        .collect();
    let taken = others.iter().filter(|t| takes(rule, t)).count();
    if others.len() >= 2 && taken * 2 > others.len() {
        warnings.push(format!(
            "{}: rule {:?} matches {taken} of the {} test lines in its file meant for other \
             rules or for none: its pattern is broader than meant",
            rule.origin,
            rule.name,
            others.len()
        ));
    }
    warnings
}

/// Whether `rule`, alone, would take the case's line or record: a pattern
/// matches its first line and, for a rule with `exception`, the exception
/// matches its last.
fn takes(rule: &Rule, test: &RuleTest) -> bool {
    let text = test.text();
    let first = text.lines().next().unwrap_or("");
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(first);
    rule.patterns.iter().any(|p| p.is_match(first.as_bytes()))
        && rule
            .exception
            .as_ref()
            .is_none_or(|e| e.is_match(last.as_bytes()))
}
