//! Records as the filter decides them, for the commands that explain or
//! test rules (`explain`, `test`, `check`, `suggest`): the lines go through
//! a [`Pipeline`] deciding line by line, and a sink collects each record
//! with the rule that took it. There is no second way of matching, so
//! these commands cannot disagree with the filter.

use std::sync::Arc;

use super::decide::Verdict;
use super::feed::Pipeline;
use super::options::PipelineOptions;
use super::sink::Sink;
use crate::engine::Summary;
use crate::records::line_content;
use crate::rules::{split_window_key, Rule, RuleSet};
use crate::time::Time;

/// One record as the filter framed and decided it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Its lines, without line endings.
    pub lines: Vec<Vec<u8>>,
    /// The rule that took it (passed by `pass_first` or suppressed), if any.
    pub rule: Option<usize>,
    /// The rule's window key (the `key` template first, then the groups the
    /// summary prints; see [`split_window_key`]).
    pub window_key: Vec<u8>,
}

impl Record {
    /// The part of the key the rule's `key` template rendered, as text.
    pub(crate) fn user_key(&self, rules: &RuleSet) -> String {
        let keyed = self
            .rule
            .and_then(|r| rules.rules().get(r))
            .is_some_and(|r| r.key.is_some());
        let (user, _) = split_window_key(&self.window_key, keyed);
        String::from_utf8_lossy(&user).into_owned()
    }
}

/// A sink that gathers records and hands each on once it is complete.
pub struct Records<F: FnMut(Record)> {
    current: Option<Record>,
    each: F,
}

impl<F: FnMut(Record)> Records<F> {
    /// Calls `each` with every record, in order.
    pub fn new(each: F) -> Records<F> {
        Records {
            current: None,
            each,
        }
    }

    /// Hands on the last record (call at the end of input).
    pub(crate) fn flush(&mut self) {
        if let Some(record) = self.current.take() {
            (self.each)(record);
        }
    }
}

impl<F: FnMut(Record)> Sink for Records<F> {
    fn pass(&mut self, _: &[u8]) {}
    fn suppress(&mut self, _: &Rule, _: &[u8], _: bool) {}
    fn summary(&mut self, _: &Summary, _: &Rule, _: bool) {}

    fn decided(&mut self, line: &[u8], verdict: Verdict, key: &[u8]) {
        let line = line_content(line).to_vec();
        let rule = match verdict {
            Verdict::Continue | Verdict::ContinueSuppressed(_) => {
                if let Some(record) = &mut self.current {
                    record.lines.push(line);
                    return;
                }
                None
            }
            Verdict::Pass => None,
            Verdict::PassMatched(r) | Verdict::Suppress(r) => Some(r),
            // Held lines are reported once their record is decided.
            Verdict::Hold(_) | Verdict::ContinueHeld => return,
        };
        self.flush();
        self.current = Some(Record {
            lines: vec![line],
            rule,
            window_key: if rule.is_some() {
                key.to_vec()
            } else {
                Vec::new()
            },
        });
    }
}

/// Options for deciding line by line, reporting each decision.
pub fn per_line_options() -> PipelineOptions {
    PipelineOptions {
        per_line: true,
        ..PipelineOptions::default()
    }
}

/// The records `lines` make when they alone are the filter's input, each
/// with the rule that takes it.
pub(crate) fn classify(rules: &Arc<RuleSet>, lines: &[&[u8]]) -> Vec<Record> {
    let mut records = Vec::new();
    let mut sink = Records::new(|r| records.push(r));
    let mut pipeline = Pipeline::new(Arc::clone(rules), &per_line_options());
    // Any time will do: one record cannot close a window.
    let now = Time(0);
    for line in lines {
        pipeline.push(line_content(line), now, &mut sink);
        pipeline.push(b"\n", now, &mut sink);
    }
    pipeline.finish(now, &mut sink);
    sink.flush();
    records
}

/// The rule that takes `line` fed alone, by name.
pub fn rule_for(rules: &Arc<RuleSet>, line: &[u8]) -> Option<String> {
    let records = classify(rules, &[line]);
    let rule = records.first()?.rule?;
    Some(rules.rules().get(rule)?.name.clone())
}
