//! [`Filter`]: the pipeline writing into an [`Output`], each step followed
//! by a look at whether a write failed. What the event loop runs, and what
//! tests, benches and fuzz targets drive with in-memory writers and a
//! made-up clock.

use anyhow::Result;
use std::sync::Arc;

use super::output::Output;
use crate::pipeline::{Pipeline, PipelineOptions, Snapshot};
use crate::rules::RuleSet;
use crate::time::Time;

/// The pipeline and its output.
pub struct Filter {
    pipeline: Pipeline,
    output: Output,
}

impl Filter {
    /// A filter over `rules` writing into `output`.
    pub fn new(rules: Arc<RuleSet>, output: Output, options: &PipelineOptions) -> Filter {
        Filter {
            pipeline: Pipeline::new(rules, options),
            output,
        }
    }

    /// Decides and writes the next bytes of the stream, seen at `now`
    /// (see [`Pipeline::push`]).
    pub fn push(&mut self, data: &[u8], now: Time) -> Result<()> {
        self.pipeline.push(data, now, &mut self.output);
        self.output.check()
    }

    /// Writes the summaries of windows closed by `now`.
    pub fn tick(&mut self, now: Time) -> Result<()> {
        self.pipeline.tick(now, &mut self.output);
        self.output.check()
    }

    /// Decides the held record now (the input went quiet).
    pub(crate) fn release_held(&mut self) -> Result<()> {
        self.pipeline.release_held(&mut self.output);
        self.output.check()
    }

    /// Writes the head of a line whose end has not come (the input went
    /// quiet at `now`; see [`Pipeline::flush_partial`]).
    pub(crate) fn flush_partial(&mut self, now: Time) -> Result<()> {
        self.pipeline.flush_partial(now, &mut self.output);
        self.output.check()
    }

    /// Whether the start of a line waits for its end.
    pub(crate) fn has_partial(&self) -> bool {
        self.pipeline.has_partial()
    }

    /// Closes every window now, summaries written (a shutdown signal).
    pub(crate) fn summarize_all(&mut self, now: Time) -> Result<()> {
        self.pipeline.summarize_all(now, &mut self.output);
        self.flush()
    }

    /// End of input: everything decided, summarized and flushed. With
    /// standard output gone, what can still be written (the audit trail, a
    /// summary file) is.
    pub fn finish(&mut self, now: Time) -> Result<()> {
        self.pipeline.finish(now, &mut self.output);
        self.flush()
    }

    /// Swaps in new rules between two lines (see [`Pipeline::reload`]).
    pub(crate) fn reload(&mut self, rules: Arc<RuleSet>, now: Time) -> Result<()> {
        self.pipeline.reload(rules, now, &mut self.output);
        self.flush()
    }

    /// The input has gone quiet: everything that can go out does, and is
    /// flushed.
    pub(crate) fn idle(&mut self) -> Result<()> {
        self.pipeline.idle(&mut self.output);
        self.flush()
    }

    /// Flushes every outlet.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.output.flush();
        self.output.check()
    }

    /// Reopens the summary and audit files (SIGHUP).
    pub(crate) fn reopen_outputs(&mut self) -> Result<()> {
        self.output.reopen()
    }

    /// Whether a record is being held.
    pub(crate) fn holding(&self) -> bool {
        self.pipeline.holding()
    }

    /// The next wall-clock time a window closes.
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.pipeline.next_deadline()
    }

    /// Everything counted so far.
    pub fn snapshot(&self) -> Snapshot<'_> {
        self.pipeline.snapshot()
    }
}
