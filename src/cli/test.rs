//! `logdedup test [RULES...]`: run the `[[test]]` cases of rule files, as
//! `vector test` and `promtool test rules` do for theirs. Line and record
//! cases check which rule (and key) takes them; window cases run the whole
//! filter on a virtual clock and compare its exact output. Both go through
//! the filter's own pipeline. Ends with `N passed, N failed`.
//!
//! The cases run against what the filter will load: the files named plus
//! the default packs after them (unless `--no-default-rules`), so a line
//! a file says must pass fails here if a default pack would suppress it.
//! The packs added are named on the first line of the output.

use clap::Args;
use std::io::Write;
use std::sync::Arc;

use super::check::{error_lines, sources};
use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::run_case;
use crate::rules::{load_each, CaseInput, FileReport, LoadOptions, RuleTest, TestOutcome};

/// Arguments of `logdedup test`.
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// Rule files, directories or builtin:NAME whose cases to run, against
    /// these files plus the default packs, as the filter loads them
    /// (default: the rules the filter would use, and all their cases).
    #[arg(value_name = "RULES")]
    pub files: Vec<String>,

    /// Which rules the filter would use, when no RULES are given.
    #[command(flatten)]
    pub rules: RuleArgs,

    /// Also list the cases that passed.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Runs `logdedup test`.
pub(crate) fn run(args: TestArgs) -> Result<Outcome, Failure> {
    let sources = sources(&args.files, &args.rules);
    let (reports, set) = load_each(&sources, LoadOptions::window(args.rules.window));
    let set = match set {
        Ok(set) => Arc::new(set),
        Err(e) => {
            let mut err = String::new();
            let errors: Vec<&anyhow::Error> = reports
                .iter()
                .filter_map(|r| r.result.as_ref().err())
                .collect();
            for e in if errors.is_empty() { vec![&e] } else { errors } {
                for line in error_lines(e) {
                    err.push_str(&format!("logdedup: {line}\n"));
                }
            }
            let _ = std::io::stderr().write_all(err.as_bytes());
            return Ok(Outcome::Invalid);
        }
    };
    let mut text = String::new();
    let added: Vec<&str> = reports
        .iter()
        .filter(|r| r.added)
        .map(|r| r.origin.as_str())
        .collect();
    if !added.is_empty() {
        text.push_str(&format!("with the default packs: {}\n", added.join(", ")));
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for test in set
        .tests()
        .iter()
        .filter(|t| wanted(t, &args.files, &reports))
    {
        let outcome = run_case(&set, test);
        if outcome.passed() {
            passed += 1;
            if args.verbose {
                text.push_str(&format!("ok    {}\n", outcome.test.origin));
            }
        } else {
            failed += 1;
            text.push_str(&describe_failure(&outcome));
        }
    }
    text.push_str(&format!("{passed} passed, {failed} failed\n"));
    super::print_report(text.as_bytes())?;
    Ok(if failed > 0 {
        Outcome::TestsFailed
    } else {
        Outcome::Success
    })
}

/// Whether to run `test`: every case when no files were named, else
/// the cases of the files named (not those of the packs added).
fn wanted(test: &RuleTest, files: &[String], reports: &[FileReport]) -> bool {
    if files.is_empty() {
        return true;
    }
    let file = test.origin.rsplit_once(':').map_or("", |(file, _)| file);
    reports.iter().any(|r| !r.added && r.origin == file)
}

/// One failed case: where it is, what it fed in, what happened instead.
fn describe_failure(outcome: &TestOutcome) -> String {
    let test = &outcome.test;
    let mut text = format!("FAIL  {}", test.origin);
    if let Some(rule) = &test.expect {
        text.push_str(&format!(" (rule {rule:?})"));
    }
    text.push('\n');
    match &test.input {
        CaseInput::Window { .. } => {}
        _ => {
            for line in test.text().lines() {
                text.push_str(&format!("      | {line}\n"));
            }
        }
    }
    for line in outcome.failure.as_deref().unwrap_or("").lines() {
        text.push_str(&format!("      {line}\n"));
    }
    text
}
