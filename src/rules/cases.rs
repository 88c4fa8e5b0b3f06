//! `[[test]]` cases: what a rule file promises about real lines. A case is
//! a `line`, a multi-line `record` (with framing on), or a window case on
//! a virtual clock (`lines`, `at`, `expect`). Line and record cases are
//! decided here, by matching alone; window cases need the whole pipeline
//! and are run by the shell (`stream::simulate`).

use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

use super::error::{Locator, Place};
use super::key::split_window_key;
use super::matcher::{first_match, Found};
use super::validate::duration_value;
use super::RuleSet;
use crate::records::{line_content, split_collector_prefix, Disposition, Frame, Framer, Framing};

/// `[[test]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTest {
    line: Option<String>,
    record: Option<String>,
    lines: Option<Spanned<Vec<String>>>,
    at: Option<Spanned<Vec<toml::Value>>>,
    expect: Option<Spanned<Vec<String>>>,
    rule: Option<Spanned<String>>,
    key: Option<String>,
}

/// What a case feeds in.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseInput {
    /// One line.
    Line(String),
    /// A record: a first line and its continuation lines.
    Record(String),
    /// Lines at virtual times, and the exact output expected, summaries
    /// included, with `{time}` standing for a summary's timestamp.
    Window {
        /// The lines, in order.
        lines: Vec<String>,
        /// When each line arrives, from the start of the case.
        at: Vec<Duration>,
        /// The output lines expected.
        expect: Vec<String>,
    },
}

/// One `[[test]]` case of a rule file.
#[derive(Clone, Debug)]
pub struct RuleTest {
    /// What the case feeds in.
    pub input: CaseInput,
    /// For line and record cases: the rule expected to match; `None`
    /// means it must pass through.
    pub expect: Option<String>,
    /// For line and record cases: the key expected, when given.
    pub key: Option<String>,
    /// Where the case was written, `FILE:LINE`.
    pub origin: String,
}

impl RuleTest {
    /// The case's input as one text, for messages.
    pub fn text(&self) -> String {
        match &self.input {
            CaseInput::Line(l) | CaseInput::Record(l) => l.clone(),
            CaseInput::Window { lines, .. } => lines.join("\n"),
        }
    }
}

/// The outcome of one [`RuleTest`].
#[derive(Clone, Debug)]
pub struct TestOutcome {
    /// The case that ran.
    pub test: RuleTest,
    /// What happened instead of what was expected; `None` when it passed.
    pub failure: Option<String>,
}

impl TestOutcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Reads one `[[test]]` table; the place of its `rule =` value is kept so
/// a rule no file defines can be reported there once all files are read.
pub(super) fn parse_case(
    loc: &Locator,
    start: usize,
    raw: RawTest,
) -> anyhow::Result<(RuleTest, Option<Place>)> {
    let here = Some(start..start);
    let err = |msg: &str| loc.error(here.clone(), None, format!("[[test]] {msg}"));
    let input = match (raw.line, raw.record, raw.lines) {
        (Some(line), None, None) => CaseInput::Line(line),
        (None, Some(record), None) => CaseInput::Record(record),
        (None, None, Some(lines)) => {
            if raw.rule.is_some() || raw.key.is_some() {
                return Err(err(
                    "with `lines` checks the output (`expect`), not `rule` or `key`",
                ));
            }
            let (Some(at), Some(expect)) = (raw.at, raw.expect) else {
                return Err(err(
                    "with `lines` needs `at` (one time per line) and `expect`",
                ));
            };
            if at.get_ref().len() != lines.get_ref().len() {
                return Err(loc.error(
                    Some(at.span()),
                    None,
                    format!(
                        "[[test]] has {} lines but {} times in `at`",
                        lines.get_ref().len(),
                        at.get_ref().len()
                    ),
                ));
            }
            let at_span = at.span();
            let mut times = Vec::with_capacity(lines.get_ref().len());
            let mut last = Duration::ZERO;
            for value in at.into_inner() {
                let t = match &value {
                    toml::Value::Integer(0) => Duration::ZERO,
                    toml::Value::String(s) if s.trim().trim_end_matches(['s', 'm', 'h']) == "0" => {
                        Duration::ZERO
                    }
                    v => duration_value(v).map_err(|m| {
                        loc.error(Some(at_span.clone()), None, format!("[[test]] at: {m}"))
                    })?,
                };
                if t < last {
                    return Err(loc.error(
                        Some(at_span.clone()),
                        None,
                        "[[test]] at: times must not go backwards",
                    ));
                }
                last = t;
                times.push(t);
            }
            CaseInput::Window {
                lines: lines.into_inner(),
                at: times,
                expect: expect.into_inner(),
            }
        }
        (None, None, None) => return Err(err("needs `line`, `record` or `lines`")),
        _ => return Err(err("takes one of `line`, `record` and `lines`")),
    };
    let place = raw.rule.as_ref().map(|r| {
        let (line, col) = loc.position(r.span().start);
        Place {
            origin: loc.origin.to_owned(),
            line,
            col,
        }
    });
    Ok((
        RuleTest {
            input,
            expect: raw.rule.map(Spanned::into_inner),
            key: raw.key,
            origin: loc.line_of(start),
        },
        place,
    ))
}

/// A record's last line that is not blank (the exception that ends a
/// traceback), without its line ending.
pub fn last_line<'l>(lines: &[&'l [u8]]) -> Option<&'l [u8]> {
    lines
        .iter()
        .rev()
        .map(|l| line_content(l))
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
}

/// Which rule (and user key) a record of `lines` belongs to: its first line
/// matched with its last line known.
pub fn match_lines(set: &RuleSet, lines: &[&[u8]]) -> Option<(String, String)> {
    let first = line_content(lines.first()?);
    let last = last_line(lines).unwrap_or(first);
    let (_, first) = split_collector_prefix(first, &mut None);
    let (_, last) = split_collector_prefix(last, &mut None);
    let mut scratch = set.scratch();
    match first_match(set.rules(), 0, first, Some(last), &mut scratch)? {
        Found::Rule(id, key) => {
            let rule = &set.rules()[id];
            let (user, _) = split_window_key(key, rule.key.is_some());
            Some((
                rule.name.clone(),
                String::from_utf8_lossy(user).into_owned(),
            ))
        }
        Found::Deferred(_) => None,
    }
}

/// Runs a line or record case; `None` for a window case (the shell runs those).
pub fn run_match_case(set: &RuleSet, test: &RuleTest) -> Option<TestOutcome> {
    let lines: Vec<&[u8]> = match &test.input {
        CaseInput::Line(line) => vec![line.as_bytes()],
        CaseInput::Record(record) => {
            let lines: Vec<&[u8]> = record.lines().map(str::as_bytes).collect();
            if let Some(failure) = record_framing_failure(set, &lines) {
                return Some(TestOutcome {
                    test: test.clone(),
                    failure: Some(failure),
                });
            }
            lines
        }
        CaseInput::Window { .. } => return None,
    };
    let actual = match_lines(set, &lines);
    let failure = match (&test.expect, &actual) {
        (None, None) => None,
        (None, Some((rule, _))) => Some(format!("expected it to pass, but rule {rule:?} matched")),
        (Some(want), None) => Some(format!("expected rule {want:?}, but it passed")),
        (Some(want), Some((rule, _))) if want != rule => Some(format!(
            "expected rule {want:?}, but rule {rule:?} matched first"
        )),
        (Some(_), Some((_, key))) => match &test.key {
            Some(want) if want != key => {
                Some(format!("expected key {want:?}, but the key is {key:?}"))
            }
            _ => None,
        },
    };
    Some(TestOutcome {
        test: test.clone(),
        failure,
    })
}

/// Why `lines` would not be framed as one record, if they would not.
fn record_framing_failure(set: &RuleSet, lines: &[&[u8]]) -> Option<String> {
    let framing = set.input().framing.clone().unwrap_or(Framing::Lines);
    if !framing.is_on() && lines.len() > 1 {
        return Some(
            "a multi-line `record` needs framing ([input] continuation or record_start)".into(),
        );
    }
    let mut framer = Framer::new(framing);
    for (i, line) in lines.iter().enumerate() {
        let (frame, _) = framer.classify(line_content(line));
        if i == 0 {
            framer.started(Some(Disposition::Pass));
        } else if frame == Frame::Start {
            return Some(format!(
                "line {} of the record starts a new record: {:?}",
                i + 1,
                String::from_utf8_lossy(line)
            ));
        }
    }
    None
}
