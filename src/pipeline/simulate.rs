//! Runs the whole pipeline over a few lines at made-up times, in memory:
//! the window cases of `logdedup test` (and anything else that wants to see
//! exactly what the filter would print, without a clock or files).

use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;

use super::feed::Pipeline;
use super::options::PipelineOptions;
use super::sink::Sink;
use crate::engine::Summary;
use crate::rules::{Rule, RuleSet, CASE_START};
use crate::summary::{Style, SummaryFormatter};
use crate::time::TimeFormatter;

/// What summary timestamps read in a simulation: the placeholder window
/// cases write in their `expect` lines.
pub(crate) const TIME_PLACEHOLDER: &str = "{time}";

/// The output stream in memory, summaries in it as the filter writes them
/// by default (after the line being written, on a line of their own).
struct Memory {
    out: Vec<u8>,
    waiting: Vec<u8>,
    formatter: SummaryFormatter,
}

impl Sink for Memory {
    fn pass(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn suppress(&mut self, _: &Rule, _: &[u8], _: bool) {}

    fn summary(&mut self, summary: &Summary, rule: &Rule, _defer: bool) {
        self.formatter.write(summary, rule, &mut self.waiting);
    }

    fn release(&mut self) {
        if self.waiting.is_empty() {
            return;
        }
        if !self.out.is_empty() && !self.out.ends_with(b"\n") {
            self.out.push(b'\n');
        }
        self.out.append(&mut self.waiting);
    }
}

/// Feeds `lines[i]` at `at[i]` after the start, ends the input after the
/// last one, and returns every output line: passed lines and summaries
/// (in the default text format, their time printed as `{time}`).
pub(crate) fn simulate(
    rules: Arc<RuleSet>,
    lines: &[String],
    at: &[Duration],
) -> Result<Vec<String>> {
    let mut memory = Memory {
        out: Vec::new(),
        waiting: Vec::new(),
        formatter: SummaryFormatter::new(
            Style::Default,
            TimeFormatter::new(TIME_PLACEHOLDER, true)?,
        ),
    };
    let mut pipeline = Pipeline::new(rules, &PipelineOptions::default());
    let start = CASE_START;
    let mut now = start;
    for (line, offset) in lines.iter().zip(at) {
        now = start.plus(*offset);
        pipeline.push(line.as_bytes(), now, &mut memory);
        pipeline.push(b"\n", now, &mut memory);
    }
    pipeline.finish(now, &mut memory);
    Ok(String::from_utf8_lossy(&memory.out)
        .lines()
        .map(str::to_owned)
        .collect())
}
