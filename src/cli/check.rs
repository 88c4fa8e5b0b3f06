//! `logdedup check [RULES...]`: load and validate rule files without
//! running anything, one line per file (`FILE: N rules, M tests, ok`),
//! every error of a file at once, and warnings for rules that cannot work
//! as meant. In the manner of `nginx -t` and `vector validate`.

use clap::Args;
use std::io::Write;
use std::sync::Arc;

use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::classify;
use crate::rules::{load_each, CaseInput, RuleErrors, RuleSet, RuleSource};

/// Arguments of `logdedup check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Rule files, directories or builtin:NAME to check (default: the rules
    /// the filter would use: -r, $LOGDEDUP_RULES, -e, the default packs).
    #[arg(value_name = "RULES")]
    pub files: Vec<String>,

    /// Which rules the filter would use, when no RULES are given.
    #[command(flatten)]
    pub rules: RuleArgs,

    /// Print only errors and warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The sources a rule command works on: the files named, else what the
/// filter would load.
pub(crate) fn sources(files: &[String], rules: &RuleArgs) -> Vec<RuleSource> {
    if files.is_empty() {
        rules.sources_from_env()
    } else {
        files.iter().map(|f| RuleSource::parse(f)).collect()
    }
}

/// Every error inside `err`, one per line.
pub(crate) fn error_lines(err: &anyhow::Error) -> Vec<String> {
    match err.downcast_ref::<RuleErrors>() {
        Some(errors) => errors.0.iter().map(|e| format!("{e:#}")).collect(),
        None => vec![format!("{err:#}")],
    }
}

/// Runs `logdedup check`.
// Every command returns the same type, so that `dispatch` is one match.
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn run(args: CheckArgs) -> Result<Outcome, Failure> {
    let sources = sources(&args.files, &args.rules);
    let (reports, set) = load_each(&sources, args.rules.window);
    let mut out = String::new();
    let mut err = String::new();
    let mut failed = false;
    for report in &reports {
        match &report.result {
            Ok(counts) => out.push_str(&format!(
                "{}: {} rule{}, {} test{}, ok\n",
                report.origin,
                counts.rules,
                if counts.rules == 1 { "" } else { "s" },
                counts.tests,
                if counts.tests == 1 { "" } else { "s" },
            )),
            Err(e) => {
                failed = true;
                let lines = error_lines(e);
                out.push_str(&format!(
                    "{}: {} error{}\n",
                    report.origin,
                    lines.len(),
                    if lines.len() == 1 { "" } else { "s" }
                ));
                for line in lines {
                    err.push_str(&format!("logdedup: {line}\n"));
                }
            }
        }
    }
    match set {
        Ok(set) => {
            for warning in warnings(&Arc::new(set)) {
                err.push_str(&format!("logdedup: warning: {warning}\n"));
            }
        }
        Err(e) if !failed => {
            failed = true;
            for line in error_lines(&e) {
                err.push_str(&format!("logdedup: {line}\n"));
            }
        }
        Err(_) => {}
    }
    if !args.quiet {
        let _ = std::io::stdout().write_all(out.as_bytes());
    }
    let _ = std::io::stderr().write_all(err.as_bytes());
    if failed {
        Ok(Outcome::Invalid)
    } else {
        Ok(Outcome::Success)
    }
}

/// Rules that load but cannot do what their author meant: no test shows
/// them working, or an earlier rule wins every line meant for them.
pub(crate) fn warnings(set: &Arc<RuleSet>) -> Vec<String> {
    let mut warnings = Vec::new();
    for (id, rule) in set.rules().iter().enumerate() {
        let cases: Vec<_> = set
            .tests()
            .iter()
            .filter(|t| t.expect.as_deref() == Some(rule.name.as_str()))
            .collect();
        if cases.is_empty() {
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
