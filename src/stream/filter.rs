//! [`Filter`]: the pipeline applied to a byte stream, writing to its sinks.
//! It takes time as an argument like the engine, so tests drive it with a
//! fixed clock. Bytes are cut into lines here; whole buffers are searched
//! for candidate lines first, so the lines no rule can match are written
//! in bulk without being looked at one by one.

use anyhow::Result;
use std::sync::Arc;

use super::decide::{Decider, Verdict};
use super::sink::Sink;
use super::stats::Counters;
use crate::engine::{RuleStats, Summary};
use crate::records::{line_content, Framing, LogClock};
use crate::rules::RuleSet;
use crate::summary::SummaryFormatter;
use crate::time::Time;

/// Per-run settings of a [`Filter`].
#[derive(Clone, Debug)]
pub struct FilterOptions {
    /// Flush after every line.
    pub line_buffered: bool,
    /// Longest line matched whole; a longer one is decided on its first
    /// `max_line` bytes and streamed through (or suppressed) in pieces.
    pub max_line: usize,
    /// Record framing from the command line; `None`: the rule files'.
    pub framing: Option<Framing>,
    /// `--clock log`: windows run on the times parsed from the records
    /// instead of the wall-clock times passed in.
    pub log_clock: Option<LogClock>,
    /// Decide every line on its own, without the buffer search: the simple
    /// reference path the fast path is tested against.
    pub per_line: bool,
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            line_buffered: false,
            max_line: DEFAULT_MAX_LINE,
            framing: None,
            log_clock: None,
            per_line: false,
        }
    }
}

/// Default `--max-line`: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Where the rest of an over-long line goes once its first part is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LongLine {
    Pass,
    Suppress,
}

/// The engine applied to a byte stream, writing to its sinks.
pub struct Filter {
    decider: Decider,
    formatter: SummaryFormatter,
    out: Sink,
    /// `None`: summaries go into `out`, in stream order.
    summary_sink: Option<Sink>,
    suppressed_sink: Option<Sink>,
    options: FilterOptions,
    /// The start of a line whose `\n` has not arrived yet (at most `max_line` bytes).
    partial: Vec<u8>,
    /// Set while the rest of an over-long line is being streamed.
    long_line: Option<LongLine>,
    /// Whether the last byte written to `out` ended a line, so a summary
    /// after a final line without `\n` gets one first.
    out_at_line_start: bool,
    due: Vec<Summary>,
    log_clock: Option<LogClock>,
    /// In log-clock mode, the time used before any timestamp is seen: the
    /// wall-clock time of the first push.
    log_start: Option<Time>,
    /// Formatted summaries for `out` not yet written (see `write_due`).
    held: Vec<u8>,
    line_buf: Vec<u8>,
    counters: Counters,
}

impl Filter {
    /// A filter over `rules` writing lines to `out`; summaries go to
    /// `summary_sink` when given, else into `out`.
    pub fn new(
        rules: Arc<RuleSet>,
        formatter: SummaryFormatter,
        out: Sink,
        summary_sink: Option<Sink>,
        suppressed_sink: Option<Sink>,
        options: FilterOptions,
    ) -> Filter {
        Filter {
            decider: Decider::new(rules, options.framing.clone()),
            formatter,
            out,
            summary_sink,
            suppressed_sink,
            log_clock: options.log_clock.clone(),
            log_start: None,
            options: FilterOptions {
                max_line: options.max_line.max(1),
                ..options
            },
            partial: Vec::new(),
            long_line: None,
            out_at_line_start: true,
            due: Vec::new(),
            held: Vec::new(),
            line_buf: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// Processes the next bytes of the stream, all seen at `now`. Complete
    /// lines are decided and written; a trailing partial line waits for the
    /// rest (or for [`Filter::finish`]). The result never depends on how the
    /// stream is cut into pushes.
    pub fn push(&mut self, mut data: &[u8], now: Time) -> Result<()> {
        if self.log_start.is_none() {
            self.log_start = Some(now);
        }
        if self.log_clock.is_none() {
            self.tick(now)?;
        }
        let fast =
            !self.options.line_buffered && !self.options.per_line && self.log_clock.is_none();
        while !data.is_empty() {
            if let Some(mode) = self.long_line {
                data = self.continue_long_line(mode, data)?;
                continue;
            }
            // Whole lines that cannot exceed --max-line: search the buffer.
            if fast && self.partial.is_empty() && data.len() <= self.options.max_line {
                let rules = Arc::clone(self.decider.rules());
                if let Some(matcher) = rules.buffer_matcher() {
                    if let Some(last) = memchr::memrchr(b'\n', data) {
                        self.lines_fast(matcher, &data[..=last], now)?;
                        data = &data[last + 1..];
                        continue;
                    }
                }
            }
            let room = self.options.max_line - self.partial.len();
            // Looking one byte past the room tells a line of exactly
            // `max_line` bytes (then `\n`) from a longer one.
            let window = &data[..data.len().min(room + 1)];
            match memchr::memchr(b'\n', window) {
                Some(end) => {
                    if self.partial.is_empty() {
                        self.line(&data[..=end], now)?;
                    } else {
                        let mut line = std::mem::take(&mut self.partial);
                        line.extend_from_slice(&data[..=end]);
                        let result = self.line(&line, now);
                        line.clear();
                        self.partial = line;
                        result?;
                    }
                    data = &data[end + 1..];
                }
                None if window.len() > room => {
                    // Over-long line: decide on its first `max_line` bytes.
                    self.partial.extend_from_slice(&data[..room]);
                    data = &data[room..];
                    let head = std::mem::take(&mut self.partial);
                    let result = self.long_line_head(&head, now);
                    self.partial = head;
                    self.partial.clear();
                    result?;
                }
                None => {
                    self.partial.extend_from_slice(data);
                    data = &[];
                }
            }
        }
        Ok(())
    }

    /// The fast path over `region`, whole lines only: a literal search over
    /// the buffer finds the lines some rule may match; the lines before each are
    /// passed in one write without being looked at one by one (with framing
    /// on, each is still framed, cheaply, as it may continue a suppressed
    /// record). Gives exactly what [`Filter::line`] would, line by line.
    fn lines_fast(
        &mut self,
        matcher: &regex_automata::util::prefilter::Prefilter,
        region: &[u8],
        now: Time,
    ) -> Result<()> {
        let framing = self.decider.framing().is_on();
        let mut pos = 0; // start of the next line to decide
        let mut pass_from = 0; // start of the passing span not yet written
        let mut lines = 0u64;
        let mut held_lines = 0u64;
        while pos < region.len() {
            let hit = matcher.find(region, regex_automata::Span::from(pos..region.len()));
            let candidate = hit.map_or(region.len(), |m| {
                memchr::memrchr(b'\n', &region[pos..m.start]).map_or(pos, |i| pos + i + 1)
            });
            if framing {
                let mut start = pos;
                while start < candidate {
                    let end = memchr::memchr(b'\n', &region[start..candidate])
                        .map_or(candidate, |i| start + i + 1);
                    let line = &region[start..end];
                    lines += 1;
                    if !self.decider.feed_unmatched(line).passes() {
                        self.hold(&region[pass_from..start], line)?;
                        held_lines += 1;
                        pass_from = end;
                    }
                    start = end;
                }
            } else {
                let n = memchr::memchr_iter(b'\n', &region[pos..candidate]).count() as u64;
                self.decider.count_unmatched(n);
                lines += n;
            }
            let Some(m) = hit else {
                break;
            };
            let end =
                memchr::memchr(b'\n', &region[m.start..]).map_or(region.len(), |i| m.start + i + 1);
            let line = &region[candidate..end];
            lines += 1;
            let verdict = self.decider.feed_candidate(line, now, &mut self.due);
            if !self.due.is_empty() {
                self.out.write_all(&region[pass_from..candidate])?;
                pass_from = candidate;
                self.write_due()?;
            }
            if !verdict.passes() {
                self.hold(&region[pass_from..candidate], line)?;
                held_lines += 1;
                pass_from = end;
            }
            pos = end;
        }
        self.out.write_all(&region[pass_from..])?;
        self.counters.lines_in += lines;
        self.counters.lines_out += lines - held_lines;
        self.out_at_line_start = true;
        Ok(())
    }

    /// Writes the passing span before a held-back line, then the line to
    /// the audit trail (if any).
    fn hold(&mut self, passing: &[u8], line: &[u8]) -> Result<()> {
        if !passing.is_empty() {
            self.out.write_all(passing)?;
        }
        if let Some(sink) = &mut self.suppressed_sink {
            sink.write_all(line)?;
        }
        Ok(())
    }

    /// Writes the summaries of windows that have closed by `now` (a wall
    /// clock time; in log-clock mode only records move time on).
    pub fn tick(&mut self, now: Time) -> Result<()> {
        if self.log_clock.is_some() {
            return Ok(());
        }
        self.decider.tick(now, &mut self.due);
        self.write_due()
    }

    /// The time to close windows at when the stream stops at wall time
    /// `wall`: in log-clock mode, the last log time seen.
    fn stop_time(&self, wall: Time) -> Time {
        match &self.log_clock {
            Some(clock) => clock.last().or(self.log_start).unwrap_or(wall),
            None => wall,
        }
    }

    /// The time of one line: `wall`, or in log-clock mode its own timestamp
    /// (or the last one seen).
    fn line_time(&mut self, line: &[u8], wall: Time) -> Time {
        let Some(clock) = &mut self.log_clock else {
            return wall;
        };
        let before_first = clock.last().is_none();
        let Some(t) = clock.time_of(line_content(line)) else {
            // No timestamp seen yet: a stand-in time, moved to the first
            // real one when it comes (below).
            return self.log_start.unwrap_or(wall);
        };
        if before_first {
            if let Some(start) = self.log_start {
                // Records before the first timestamp take the first one, as
                // later records without one take the last: their windows
                // move from the stand-in to the log's own time.
                self.decider.shift_times(start, t);
            }
        }
        t
    }

    /// Closes every open window now and writes their summaries (on a
    /// shutdown signal: nothing counted may wait for a grace period that
    /// might end in SIGKILL). Matching lines after this open new windows.
    pub fn summarize_all(&mut self, now: Time) -> Result<()> {
        let now = self.stop_time(now);
        self.decider.finish(now, &mut self.due);
        self.write_due()?;
        self.flush()
    }

    /// Swaps in new rules between two lines; see [`Decider::reload`].
    pub fn reload(&mut self, rules: Arc<RuleSet>, now: Time) -> Result<()> {
        let now = self.stop_time(now);
        // The summaries of removed rules name rules of the old set: format
        // them against it, before the new one takes over.
        let old = Arc::clone(self.decider.rules());
        self.decider.reload(rules, now, &mut self.due);
        self.write_due_with(&old)
    }

    /// The earliest wall-clock time a window closes, for the timer; `None`
    /// in log-clock mode, where only records move time on.
    pub fn next_deadline(&self) -> Option<Time> {
        if self.log_clock.is_some() {
            return None;
        }
        self.decider.next_deadline()
    }

    /// End of input: decides a final line without `\n`, summarizes every
    /// open window and flushes.
    pub fn finish(&mut self, now: Time) -> Result<()> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, now)?;
        }
        self.long_line = None;
        let now = self.stop_time(now);
        self.decider.finish(now, &mut self.due);
        self.write_due()?;
        self.flush()
    }

    /// Standard output is gone: closes every open window and writes the
    /// summaries to the sinks that still work (a summary file, stderr);
    /// summaries bound for standard output are lost with it.
    pub fn finish_without_stdout(&mut self, now: Time) -> Result<()> {
        let now = self.stop_time(now);
        self.decider.finish(now, &mut self.due);
        let rules = Arc::clone(self.decider.rules());
        self.held.clear();
        for summary in self.due.drain(..) {
            if let Some(sink) = &mut self.summary_sink {
                self.line_buf.clear();
                self.formatter
                    .write(&summary, &rules.rules()[summary.rule], &mut self.line_buf);
                sink.write_all(&self.line_buf)?;
                self.counters.summaries += 1;
            }
        }
        if let Some(s) = &mut self.summary_sink {
            s.flush()?;
        }
        if let Some(s) = &mut self.suppressed_sink {
            s.flush()?;
        }
        Ok(())
    }

    /// Flushes every sink.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()?;
        if let Some(s) = &mut self.summary_sink {
            s.flush()?;
        }
        if let Some(s) = &mut self.suppressed_sink {
            s.flush()?;
        }
        Ok(())
    }

    /// Line counts so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Records read so far (lines, when framing is off).
    pub fn records_in(&self) -> u64 {
        self.decider.records()
    }

    /// Per-rule counts so far.
    pub fn rule_stats(&self) -> Vec<RuleStats> {
        self.decider.stats()
    }

    /// The rules in use.
    pub fn rules(&self) -> &Arc<RuleSet> {
        self.decider.rules()
    }

    fn line(&mut self, line: &[u8], now: Time) -> Result<()> {
        self.counters.lines_in += 1;
        let now = self.line_time(line, now);
        let verdict: Verdict = self.decider.feed(line, now, &mut self.due);
        self.write_due()?;
        if verdict.passes() {
            self.out.write_all(line)?;
            self.out_at_line_start = line.ends_with(b"\n");
            self.counters.lines_out += 1;
            if self.options.line_buffered {
                self.out.flush()?;
            }
        } else if let Some(sink) = &mut self.suppressed_sink {
            sink.write_all(line)?;
        }
        Ok(())
    }

    /// Decides an over-long line on its first `max_line` bytes and writes
    /// those; the rest follows in [`Filter::continue_long_line`].
    fn long_line_head(&mut self, head: &[u8], now: Time) -> Result<()> {
        self.counters.lines_in += 1;
        let now = self.line_time(head, now);
        let verdict = self.decider.feed(head, now, &mut self.due);
        self.write_due()?;
        if verdict.passes() {
            self.out.write_all(head)?;
            self.out_at_line_start = false;
            self.counters.lines_out += 1;
            self.long_line = Some(LongLine::Pass);
        } else {
            if let Some(sink) = &mut self.suppressed_sink {
                sink.write_all(head)?;
            }
            self.long_line = Some(LongLine::Suppress);
        }
        Ok(())
    }

    /// Streams the rest of an over-long line up to its `\n`; returns what
    /// follows it.
    fn continue_long_line<'d>(&mut self, mode: LongLine, data: &'d [u8]) -> Result<&'d [u8]> {
        let (piece, rest, ended) = match memchr::memchr(b'\n', data) {
            Some(end) => (&data[..=end], &data[end + 1..], true),
            None => (data, &[][..], false),
        };
        match mode {
            LongLine::Pass => {
                self.out.write_all(piece)?;
                self.out_at_line_start = ended;
            }
            LongLine::Suppress => {
                if let Some(sink) = &mut self.suppressed_sink {
                    sink.write_all(piece)?;
                }
            }
        }
        if ended {
            self.long_line = None;
            // Summaries held back so as not to split the line go out now.
            self.write_due()?;
            if self.options.line_buffered {
                self.out.flush()?;
            }
        }
        Ok(rest)
    }

    /// Formats the summaries due and writes them to their sink. Summaries
    /// bound for `out` wait in `held` while a passing over-long line is
    /// being streamed, so that line is never cut in two; they are formatted
    /// at once all the same, so a reload in between cannot change them.
    fn write_due(&mut self) -> Result<()> {
        if self.due.is_empty() && self.held.is_empty() {
            return Ok(());
        }
        let rules = Arc::clone(self.decider.rules());
        self.write_due_with(&rules)
    }

    /// [`Filter::write_due`] with the rule set the summaries' rule numbers
    /// refer to.
    fn write_due_with(&mut self, rules: &RuleSet) -> Result<()> {
        for summary in self.due.drain(..) {
            let rule = &rules.rules()[summary.rule];
            self.counters.summaries += 1;
            match &mut self.summary_sink {
                Some(sink) => {
                    self.line_buf.clear();
                    self.formatter.write(&summary, rule, &mut self.line_buf);
                    sink.write_all(&self.line_buf)?;
                    if self.options.line_buffered {
                        sink.flush()?;
                    }
                }
                None => self.formatter.write(&summary, rule, &mut self.held),
            }
        }
        if self.held.is_empty() || self.long_line == Some(LongLine::Pass) {
            return Ok(());
        }
        if !self.out_at_line_start {
            self.out.write_all(b"\n")?;
            self.out_at_line_start = true;
        }
        self.out.write_all(&self.held)?;
        self.held.clear();
        if self.options.line_buffered {
            self.out.flush()?;
        }
        Ok(())
    }
}
