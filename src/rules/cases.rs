//! `[[test]]` cases: what a rule file promises about real lines. A case is
//! a `line`, a multi-line `record` (with framing on), or a window case on
//! a virtual clock (`lines`, `at`, `expect`). Here they are read and
//! checked; the pipeline runs them, as the filter would.

use std::time::Duration;
use toml::Spanned;

use super::error::{Locator, Place};
use super::raw::RawTest;
use super::validate::duration_value;

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
    /// For line and record cases: the text expected out of the filter,
    /// after redaction, when given.
    pub redacted: Option<String>,
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
            if raw.rule.is_some() || raw.key.is_some() || raw.redacted.is_some() {
                return Err(err(
                    "with `lines` checks the output (`expect`), not `rule`, `key` or `redacted`",
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
            redacted: raw.redacted,
            origin: loc.line_of(start),
        },
        place,
    ))
}
