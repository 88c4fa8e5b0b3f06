//! [`Sink`]: where the pipeline's results go, in stream order. The filter's
//! output (standard output, the audit trail, a summary file) is one sink;
//! `explain`, `test`, `check` and `suggest` bring their own, so every
//! command sees the decisions the filter makes, made by the same code.
//!
//! A sink never fails the pipeline: a sink that cannot write (standard
//! output closed) remembers why, keeps doing what it still can (a
//! suppressed line still reaches the audit trail, so every count has its
//! line there) and reports it when its owner asks.

use super::decide::Verdict;
use crate::engine::Summary;
use crate::rules::Rule;

/// Receives what the pipeline decides, in stream order.
pub trait Sink {
    /// Bytes that pass through: whole lines, or a piece of an over-long one.
    fn pass(&mut self, bytes: &[u8]);

    /// Bytes that `rule` suppressed: a line, or a piece of an over-long
    /// one; `head` is true for the first piece of a line.
    fn suppress(&mut self, rule: &Rule, bytes: &[u8], head: bool);

    /// A window closed with `summary`. `defer`: the stream stands inside a
    /// line (an over-long line being streamed) or before a held record, so
    /// a sink that writes summaries into the stream keeps it until
    /// [`Sink::release`]; it formats it now all the same (`rule` may be
    /// gone by then, after a reload).
    fn summary(&mut self, summary: &Summary, rule: &Rule, defer: bool);

    /// The stream stands at a line boundary again: deferred summaries may
    /// go out.
    fn release(&mut self) {}

    /// A line (or a held record) has been written whole: where
    /// `--line-buffered` flushes.
    fn line_done(&mut self) {}

    /// How one line was decided, with the window key of a matched record
    /// start. Called only when the pipeline decides line by line
    /// ([`super::PipelineOptions::per_line`]): the fast path passes runs of
    /// lines without deciding them one by one.
    fn decided(&mut self, _line: &[u8], _verdict: Verdict, _key: &[u8]) {}
}

/// A sink that keeps nothing: for runs whose counts are all that matter
/// (`explain --summary`).
#[derive(Debug, Default)]
pub(crate) struct NullSink;

impl Sink for NullSink {
    fn pass(&mut self, _: &[u8]) {}
    fn suppress(&mut self, _: &Rule, _: &[u8], _: bool) {}
    fn summary(&mut self, _: &Summary, _: &Rule, _: bool) {}
}
