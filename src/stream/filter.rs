//! [`Filter`]: the pipeline applied to a byte stream. It takes time as an
//! argument like the engine, so tests drive it with a fixed clock. Bytes
//! are cut into lines here; whole buffers are searched for candidate lines
//! first, so the lines no rule can match are written in bulk without being
//! looked at one by one. A record whose rule needs its last line
//! (`exception = ...`) is held here until it ends.

use anyhow::Result;
use std::sync::Arc;

use super::decide::{Decider, Verdict};
pub use super::options::{FilterOptions, DEFAULT_MAX_LINE};
use super::output::Output;
use super::sink::Sink;
use super::stats::Counters;
use crate::engine::{RuleStats, Summary};
use crate::records::{line_content, LogClock};
use crate::rules::RuleSet;
use crate::summary::SummaryFormatter;
use crate::time::Time;

/// Where the rest of an over-long line goes once its first part is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LongLine {
    Pass,
    Suppress(usize),
}

/// A record held until it ends, because its rule decides on its last line.
pub(super) struct Pending {
    /// The rule the first line matched (later rules may still win).
    rule: usize,
    /// The record's bytes so far.
    bytes: Vec<u8>,
    /// Where its first line ends, and its last line starts.
    first_end: usize,
    last_start: usize,
    /// Lines in it.
    lines: u64,
    /// The time of its first line.
    time: Time,
}

impl Pending {
    /// Its first line and its last non-blank line, without line endings.
    fn ends(&self) -> (&[u8], &[u8]) {
        let last = &self.bytes[self.last_start..];
        let last = memchr::memchr(b'\n', last).map_or(last, |i| &last[..i]);
        (
            line_content(&self.bytes[..self.first_end]),
            line_content(last),
        )
    }
}

/// The pipeline applied to a byte stream, writing to its sinks.
pub struct Filter {
    pub(super) decider: Decider,
    pub(super) output: Output,
    options: FilterOptions,
    /// The start of a line whose `\n` has not arrived yet (at most `max_line` bytes).
    partial: Vec<u8>,
    /// Set while the rest of an over-long line is being streamed.
    long_line: Option<LongLine>,
    pub(super) due: Vec<Summary>,
    pub(super) log_clock: Option<LogClock>,
    /// In log-clock mode, the time used before any timestamp is seen: the
    /// wall-clock time of the first push.
    log_start: Option<Time>,
    pub(super) pending: Option<Pending>,
    /// The buffer of the last pending record, kept for the next one.
    spare: Vec<u8>,
    pub(super) counters: Counters,
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
            output: Output::new(
                out,
                summary_sink,
                suppressed_sink,
                formatter,
                options.line_buffered,
                options.dry_run,
            ),
            log_clock: options.log_clock.clone(),
            log_start: None,
            options: FilterOptions {
                max_line: options.max_line.max(1),
                ..options
            },
            partial: Vec::new(),
            long_line: None,
            due: Vec::new(),
            pending: None,
            spare: Vec::new(),
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
        let fast = !self.options.line_buffered && !self.options.per_line;
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

    /// Sends a line the verdict holds back to the audit trail (and, with
    /// `--dry-run`, tagged to the output).
    pub(super) fn suppressed(&mut self, verdict: Verdict, line: &[u8]) -> Result<()> {
        let rule = verdict.suppressed_by().unwrap_or(usize::MAX);
        // Disjoint fields: no reference count to bump per suppressed line.
        self.output.suppress(self.decider.rules(), rule, line, true)
    }

    /// Passes on `result`, a write that came between the decision on a
    /// line and its audit: when it failed (standard output closed), a
    /// suppressed line still goes to the audit trail first, so every count
    /// the engine made has its line there.
    pub(super) fn or_audit(
        &mut self,
        result: Result<()>,
        verdict: Verdict,
        line: &[u8],
    ) -> Result<()> {
        if result.is_err() && verdict.suppressed_by().is_some() {
            let _ = self.output.audit(line);
        }
        result
    }

    /// Starts holding a record whose first line is `line`, seen at `now`.
    pub(super) fn start_pending(&mut self, rule: usize, line: &[u8], now: Time) {
        let mut bytes = std::mem::take(&mut self.spare);
        bytes.clear();
        bytes.extend_from_slice(line);
        self.pending = Some(Pending {
            rule,
            first_end: bytes.len(),
            last_start: 0,
            bytes,
            lines: 1,
            time: now,
        });
    }

    /// Adds a continuation line to the held record; a record that has
    /// grown past `--max-line` is decided now (its later lines follow).
    fn add_pending(&mut self, line: &[u8]) -> Result<()> {
        let Some(p) = &mut self.pending else {
            // Nothing held (cannot happen): the line passes.
            self.counters.lines_out += 1;
            return self.output.pass(line);
        };
        if !line_content(line).iter().all(u8::is_ascii_whitespace) {
            p.last_start = p.bytes.len();
        }
        p.bytes.extend_from_slice(line);
        p.lines += 1;
        if p.bytes.len() > self.options.max_line {
            self.resolve_pending()?;
        }
        Ok(())
    }

    /// Whether a record is being held.
    pub fn holding(&self) -> bool {
        self.pending.is_some()
    }

    /// Decides the held record, if any, and writes it; summaries that
    /// waited for it follow. For the run loop when the input has gone idle.
    pub fn release_pending(&mut self) -> Result<()> {
        self.resolve_pending()?;
        self.output.flush()
    }

    fn resolve_pending(&mut self) -> Result<()> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let (first, last) = p.ends();
        let verdict = self
            .decider
            .resolve(p.rule, first, last, p.time, &mut self.due);
        if verdict.passes() {
            self.output.pass(&p.bytes)?;
            self.counters.lines_out += p.lines;
        } else {
            // Every line reaches the audit trail even if a tagged
            // --dry-run copy cannot be written.
            let mut written = Ok(());
            for line in p.bytes.split_inclusive(|&b| b == b'\n') {
                let r = self.suppressed(verdict, line);
                written = written.and(r);
            }
            written?;
        }
        self.output.line_done()?;
        self.spare = p.bytes;
        self.write_due()
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
    pub(super) fn line_time(&mut self, line: &[u8], wall: Time) -> Time {
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
        self.resolve_pending()?;
        let now = self.stop_time(now);
        self.decider.finish(now, &mut self.due);
        self.write_due()?;
        self.flush()
    }

    /// Swaps in new rules between two lines; see [`Decider::reload`]. A
    /// held record is decided by the rules it was held for.
    pub fn reload(&mut self, rules: Arc<RuleSet>, now: Time) -> Result<()> {
        self.resolve_pending()?;
        let now = self.stop_time(now);
        // The summaries of removed rules name rules of the old set: format
        // them against it, before the new one takes over.
        let old = Arc::clone(self.decider.rules());
        self.decider.reload(rules, now, &mut self.due);
        self.output
            .summaries(&mut self.due, &old, self.long_line == Some(LongLine::Pass))
    }

    /// The earliest wall-clock time a window closes, for the timer; `None`
    /// in log-clock mode, where only records move time on.
    pub fn next_deadline(&self) -> Option<Time> {
        if self.log_clock.is_some() {
            return None;
        }
        self.decider.next_deadline()
    }

    /// End of input: decides a final line without `\n` and a held record,
    /// summarizes every open window and flushes.
    pub fn finish(&mut self, now: Time) -> Result<()> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, now)?;
        }
        self.long_line = None;
        self.resolve_pending()?;
        let now = self.stop_time(now);
        self.decider.finish(now, &mut self.due);
        self.write_due()?;
        self.flush()
    }

    /// Standard output is gone: closes every open window and writes the
    /// summaries to the sinks that still work (a summary file, stderr);
    /// summaries bound for standard output are lost with it. A held record
    /// that its rule suppresses still reaches the audit trail and the count.
    pub fn finish_without_stdout(&mut self, now: Time) -> Result<()> {
        if let Some(p) = self.pending.take() {
            let (first, last) = p.ends();
            let verdict = self
                .decider
                .resolve(p.rule, first, last, p.time, &mut self.due);
            if !verdict.passes() {
                self.output.audit(&p.bytes)?;
            }
        }
        let now = self.stop_time(now);
        self.decider.finish(now, &mut self.due);
        let rules = Arc::clone(self.decider.rules());
        self.output.summaries_without_stdout(&mut self.due, &rules)
    }

    /// Flushes every sink.
    pub fn flush(&mut self) -> Result<()> {
        self.output.flush()
    }

    /// Reopens the `--summary-to` and `--suppressed-to` files (SIGHUP).
    pub fn reopen_outputs(&mut self) -> Result<()> {
        self.output.reopen()
    }

    /// Line and summary counts so far.
    pub fn counters(&self) -> Counters {
        Counters {
            summaries: self.output.summaries,
            ..self.counters.clone()
        }
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

    /// Decides one whole line the general way.
    pub(super) fn line(&mut self, line: &[u8], now: Time) -> Result<()> {
        if self.pending.is_some() && !self.decider.continues_held(line) {
            self.resolve_pending()?;
        }
        self.counters.lines_in += 1;
        let now = self.line_time(line, now);
        let verdict = self.decider.feed(line, now, &mut self.due);
        let due = self.write_due();
        self.or_audit(due, verdict, line)?;
        match verdict {
            Verdict::Hold(rule) => self.start_pending(rule, line, now),
            Verdict::ContinueHeld => self.add_pending(line)?,
            v if v.passes() => {
                self.output.pass(line)?;
                self.counters.lines_out += 1;
                self.output.line_done()?;
            }
            v => self.suppressed(v, line)?,
        }
        Ok(())
    }

    /// Decides an over-long line on its first `max_line` bytes and writes
    /// those; the rest follows in [`Filter::continue_long_line`]. It is
    /// never held: a held record is decided before it.
    fn long_line_head(&mut self, head: &[u8], now: Time) -> Result<()> {
        self.resolve_pending()?;
        self.counters.lines_in += 1;
        let now = self.line_time(head, now);
        let mut verdict = self.decider.feed(head, now, &mut self.due);
        if let Verdict::Hold(rule) = verdict {
            let content = line_content(head);
            verdict = self
                .decider
                .resolve(rule, content, content, now, &mut self.due);
        }
        let due = self.write_due();
        self.or_audit(due, verdict, head)?;
        if verdict.passes() {
            self.output.pass(head)?;
            self.counters.lines_out += 1;
            self.long_line = Some(LongLine::Pass);
        } else {
            let rule = verdict.suppressed_by().unwrap_or(usize::MAX);
            let rules = Arc::clone(self.decider.rules());
            self.output.suppress(&rules, rule, head, true)?;
            self.long_line = Some(LongLine::Suppress(rule));
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
            LongLine::Pass => self.output.pass(piece)?,
            LongLine::Suppress(rule) => {
                let rules = Arc::clone(self.decider.rules());
                self.output.suppress(&rules, rule, piece, false)?;
            }
        }
        if ended {
            self.long_line = None;
            // Summaries held back so as not to split the line go out now.
            self.write_due()?;
            self.output.line_done()?;
        }
        Ok(rest)
    }

    /// Formats the summaries due and writes them to their sink; those for
    /// standard output wait while a passing over-long line is streamed (so
    /// it is never cut in two) or a record is held (it comes first).
    pub(super) fn write_due(&mut self) -> Result<()> {
        if self.due.is_empty() && !self.output.has_waiting() {
            return Ok(());
        }
        let wait = self.long_line == Some(LongLine::Pass) || self.pending.is_some();
        self.output
            .summaries(&mut self.due, self.decider.rules(), wait)
    }
}
