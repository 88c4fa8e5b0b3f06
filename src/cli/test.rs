//! `logdedup test [RULES...]`: run the `[[test]]` cases of rule files, as
//! `vector test` and `promtool test rules` do for theirs. Line and record
//! cases check which rule (and key) takes them; window cases run the whole
//! filter on a virtual clock and compare its exact output. Both go through
//! the filter's own pipeline. Ends with `N passed, N failed`.

use clap::Args;
use std::io::Write;
use std::sync::Arc;

use super::check::{error_lines, sources};
use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::run_case;
use crate::rules::{load_each, CaseInput, TestOutcome};

/// Arguments of `logdedup test`.
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// Rule files, directories or builtin:NAME whose cases to run
    /// (default: the rules the filter would use).
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
    let (reports, set) = load_each(&sources, args.rules.window);
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
    let (mut passed, mut failed) = (0usize, 0usize);
    for test in set.tests() {
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
    std::io::stdout().write_all(text.as_bytes()).map_err(|e| {
        Failure::Runtime(anyhow::Error::new(e).context("writing to standard output"))
    })?;
    Ok(if failed > 0 {
        Outcome::TestsFailed
    } else {
        Outcome::Success
    })
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
