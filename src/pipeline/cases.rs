//! Runs `[[test]]` cases as the filter would see their lines: line and
//! record cases through [`classify`], window cases through [`simulate`].

use std::sync::Arc;

use super::classify::classify;
use super::simulate::simulate;
use crate::rules::{CaseInput, RuleSet, RuleTest, TestOutcome};

/// Runs one case against `rules`.
pub fn run_case(rules: &Arc<RuleSet>, test: &RuleTest) -> TestOutcome {
    let failure = match &test.input {
        CaseInput::Line(line) => match_failure(rules, test, &[line.as_bytes()]),
        CaseInput::Record(record) => {
            let lines: Vec<&[u8]> = record.lines().map(str::as_bytes).collect();
            match_failure(rules, test, &lines)
        }
        CaseInput::Window { lines, at, expect } => match simulate(Arc::clone(rules), lines, at) {
            Err(e) => Some(format!("the filter failed: {e:#}")),
            Ok(got) if got == *expect => None,
            Ok(got) => {
                let mut text = String::from("expected output:\n");
                for line in expect {
                    text.push_str(&format!("  {line}\n"));
                }
                text.push_str("got:\n");
                for line in &got {
                    text.push_str(&format!("  {line}\n"));
                }
                Some(text)
            }
        },
    };
    TestOutcome {
        test: test.clone(),
        failure,
    }
}

/// Why a line or record case fails, if it does: the record must be one
/// record (framing) taken whole by the rule expected (or by none).
fn match_failure(rules: &Arc<RuleSet>, test: &RuleTest, lines: &[&[u8]]) -> Option<String> {
    let records = classify(rules, lines);
    let first = records.first()?;
    let name = |id: usize| rules.rules().get(id).map_or("?", |r| r.name.as_str());
    if let Some(second) = records.get(1) {
        if !rules
            .input()
            .framing
            .as_ref()
            .is_some_and(crate::records::Framing::is_on)
        {
            return Some(
                "a multi-line `record` needs framing ([input] continuation or record_start)".into(),
            );
        }
        let at = first.lines.len() + 1;
        let why = match first.rule {
            Some(r) if rules.rules().get(r).is_some_and(|r| !r.multiline) => format!(
                " (rule {:?} has multiline = false: the lines after its match are records of their own)",
                name(r)
            ),
            _ => String::new(),
        };
        return Some(format!(
            "line {at} of the record starts a new record{why}: {:?}",
            String::from_utf8_lossy(second.lines.first().map_or(&[][..], Vec::as_slice))
        ));
    }
    if let Some(want) = &test.redacted {
        let got: Vec<String> = records
            .iter()
            .flat_map(|r| &r.lines)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        let got = got.join("\n");
        if got != *want {
            return Some(format!(
                "expected it out as {want:?}, but it came out as {got:?}"
            ));
        }
    }
    let key = first.user_key(rules);
    match (&test.expect, first.rule) {
        (None, None) => None,
        (None, Some(r)) => Some(format!(
            "expected it to pass, but rule {:?} matched",
            name(r)
        )),
        (Some(want), None) => Some(format!("expected rule {want:?}, but it passed")),
        (Some(want), Some(r)) if want != name(r) => Some(format!(
            "expected rule {want:?}, but rule {:?} matched first",
            name(r)
        )),
        (Some(_), Some(_)) => match &test.key {
            Some(want) if *want != key => {
                Some(format!("expected key {want:?}, but the key is {key:?}"))
            }
            _ => None,
        },
    }
}
