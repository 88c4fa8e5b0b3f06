//! [`Stage`]: one line at a time, decided and handed to the sink. It owns
//! what deciding needs besides the [`Decider`]: the held record, the log
//! clock, the summaries due and the line counts. The fast path drives it
//! through the same methods, a run of lines at a time.

use std::sync::Arc;

use super::counts::{Counts, Snapshot};
use super::decide::{Decider, Verdict};
use super::held::Held;
use super::mask::Masker;
use super::options::PipelineOptions;
use super::sink::Sink;
use crate::engine::Summary;
use crate::records::{line_content, LogClock, Passed};
use crate::rules::RuleSet;
use crate::time::Time;

/// Where the rest of an over-long line goes once its first part is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LongLine {
    Pass,
    Suppress(usize),
}

/// Deciding one line at a time, and writing what was decided.
#[derive(Debug)]
pub(super) struct Stage {
    decider: Decider,
    /// `--clock log`: times come from the records.
    log_clock: Option<LogClock>,
    /// In log-clock mode, the time used before any timestamp is seen: the
    /// wall-clock time of the first line.
    log_start: Option<Time>,
    held: Option<Held>,
    /// The buffer of the last held record, kept for the next one.
    spare: Vec<u8>,
    /// Summaries of windows that closed, not yet handed to the sink.
    due: Vec<Summary>,
    /// Set while the rest of an over-long line is being streamed.
    long_line: Option<LongLine>,
    counts: Counts,
    /// Longest line (and held record) decided whole.
    max_line: usize,
    /// Report each decision to the sink ([`Sink::decided`]).
    report: bool,
    /// Secrets masked before a line is decided.
    masker: Masker,
}

impl Stage {
    /// A stage over `rules`.
    pub fn new(rules: Arc<RuleSet>, options: &PipelineOptions) -> Stage {
        Stage {
            masker: Masker::new(rules.redactor()),
            decider: Decider::new(rules, options.framing.clone()),
            log_clock: options.log_clock.clone(),
            log_start: None,
            held: None,
            spare: Vec::new(),
            due: Vec::new(),
            long_line: None,
            counts: Counts::default(),
            max_line: options.max_line.max(1),
            report: options.per_line,
        }
    }

    /// The rules in use.
    pub(crate) fn rules(&self) -> &Arc<RuleSet> {
        self.decider.rules()
    }

    /// Whether a record is held.
    pub(crate) fn holding(&self) -> bool {
        self.held.is_some()
    }

    /// Whether record framing is on.
    pub(crate) fn framing_on(&self) -> bool {
        self.decider.framing().is_on()
    }

    /// Whether windows run on the log's clock.
    pub(crate) fn on_log_clock(&self) -> bool {
        self.log_clock.is_some()
    }

    /// Whether an over-long line is being streamed.
    pub(crate) fn long_line(&self) -> Option<LongLine> {
        self.long_line
    }

    /// Notes the wall time input first arrived (the log clock's stand-in
    /// until a timestamp is seen).
    pub(crate) fn started(&mut self, wall: Time) {
        self.log_start.get_or_insert(wall);
    }

    /// The time of one line: `wall`, or in log-clock mode its own timestamp
    /// (or the last one seen).
    pub(crate) fn line_time(&mut self, line: &[u8], wall: Time) -> Time {
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

    /// The time to close windows at when the stream stops at wall time
    /// `wall`: in log-clock mode, the last log time seen.
    fn stop_time(&self, wall: Time) -> Time {
        match &self.log_clock {
            Some(clock) => clock.last().or(self.log_start).unwrap_or(wall),
            None => wall,
        }
    }

    /// Decides one whole line the general way and writes it: its secrets
    /// masked first, so that the rules, the output and every report see
    /// the masked line.
    pub(crate) fn line(&mut self, line: &[u8], wall: Time, sink: &mut impl Sink) {
        match self.masker.line(self.decider.rules().redactor(), line) {
            Some(masked) => {
                self.decide_line(&masked, wall, sink);
                self.masker.give_back(masked);
            }
            None => self.decide_line(line, wall, sink),
        }
    }

    /// Decides one whole (masked) line and writes it.
    fn decide_line(&mut self, line: &[u8], wall: Time, sink: &mut impl Sink) {
        if self.held.is_some() && !self.decider.continues_held(line) {
            self.resolve_held(sink);
        }
        let now = self.line_time(line, wall);
        let verdict = self.decider.feed(line, now, &mut self.due);
        self.write_due(sink);
        match verdict {
            Verdict::Hold(rule) => self.hold(rule, line, now),
            Verdict::ContinueHeld => self.add_held(line, sink),
            v => {
                if self.report {
                    sink.decided(line, v, self.decider.key());
                }
                self.emit(v, line, sink);
            }
        }
    }

    /// Writes one decided line: through, or to the suppressed side.
    fn emit(&mut self, verdict: Verdict, line: &[u8], sink: &mut impl Sink) {
        if verdict.passes() {
            self.pass(line, 1, sink);
        } else {
            self.suppress(verdict, line, sink);
        }
    }

    /// Writes `lines` whole passing lines.
    pub(crate) fn pass(&mut self, bytes: &[u8], lines: u64, sink: &mut impl Sink) {
        if bytes.is_empty() {
            return;
        }
        sink.pass(bytes);
        self.counts.passed += lines;
        sink.line_done();
    }

    /// Hands a line the verdict holds back to the sink.
    pub(crate) fn suppress(&mut self, verdict: Verdict, line: &[u8], sink: &mut impl Sink) {
        let rules = self.decider.rules();
        if let Some(rule) = verdict.suppressed_by().and_then(|r| rules.rules().get(r)) {
            sink.suppress(rule, line, true);
        }
        self.counts.suppressed += 1;
    }

    /// Decides a line the buffer search found no candidate on.
    pub(crate) fn unmatched(&mut self, line: &[u8]) -> Verdict {
        self.decider.feed_unmatched(line)
    }

    /// Passes a run of whole unmatched lines in bulk while framing allows.
    pub(crate) fn pass_unmatched(&mut self, span: &[u8]) -> Passed {
        self.decider.pass_unmatched(span)
    }

    /// Counts `n` unmatched lines with framing off.
    pub(crate) fn count_unmatched(&mut self, n: u64) {
        self.decider.count_unmatched(n);
    }

    /// Decides a line the buffer search picked out as a candidate.
    pub(crate) fn candidate(&mut self, line: &[u8], now: Time) -> Verdict {
        self.decider.feed_candidate(line, now, &mut self.due)
    }

    /// Closes the windows due by `now` (a log time); whether any closed.
    pub(crate) fn tick_at(&mut self, now: Time) -> bool {
        self.decider.tick_if_due(now, &mut self.due);
        !self.due.is_empty()
    }

    /// Starts holding a record whose first line is `line`, seen at `now`.
    pub(crate) fn hold(&mut self, rule: usize, line: &[u8], now: Time) {
        let bytes = std::mem::take(&mut self.spare);
        self.held = Some(Held::new(rule, line, now, bytes));
    }

    /// Adds a continuation line to the held record; a record that has
    /// grown past `--max-line` is decided now (its later lines follow).
    fn add_held(&mut self, line: &[u8], sink: &mut impl Sink) {
        let Some(held) = &mut self.held else {
            // Nothing held (cannot happen): the line passes.
            self.pass(line, 1, sink);
            return;
        };
        held.add(line);
        if held.bytes.len() > self.max_line {
            self.resolve_held(sink);
        }
    }

    /// Decides the held record, if any, and writes it; summaries that
    /// waited for it follow.
    pub(crate) fn resolve_held(&mut self, sink: &mut impl Sink) {
        let Some(held) = self.held.take() else {
            return;
        };
        let (first, last) = held.ends();
        let verdict = self
            .decider
            .resolve(held.rule, first, last, held.time, &mut self.due);
        if self.report {
            let mut lines = held.bytes.split_inclusive(|&b| b == b'\n');
            if let Some(first) = lines.next() {
                sink.decided(first, verdict, self.decider.key());
            }
            let rest = match verdict.suppressed_by() {
                Some(rule) => Verdict::ContinueSuppressed(rule),
                None => Verdict::Continue,
            };
            lines.for_each(|line| sink.decided(line, rest, b""));
        }
        if verdict.passes() {
            sink.pass(&held.bytes);
            self.counts.passed += held.lines;
        } else {
            for line in held.bytes.split_inclusive(|&b| b == b'\n') {
                self.suppress(verdict, line, sink);
            }
        }
        sink.line_done();
        self.spare = held.bytes;
        self.write_due(sink);
    }

    /// Decides an over-long line on its first `max_line` bytes and writes
    /// those; the rest follows in [`Stage::long_piece`]. It is never held:
    /// a held record is decided before it.
    pub(crate) fn long_head(&mut self, head: &[u8], wall: Time, sink: &mut impl Sink) {
        self.resolve_held(sink);
        // What goes out now, masked; the last bytes wait for the next
        // piece, in case a secret runs on into it.
        let (whole, out) = self.masker.head(self.decider.rules().redactor(), head);
        self.decide_long_head(&whole, &out, wall, sink);
        self.masker.head_done(whole);
        self.masker.piece_done(out);
    }

    /// Decides the masked head and writes `out` of it.
    fn decide_long_head(&mut self, head: &[u8], out: &[u8], wall: Time, sink: &mut impl Sink) {
        let now = self.line_time(head, wall);
        let mut verdict = self.decider.feed(head, now, &mut self.due);
        if let Verdict::Hold(rule) = verdict {
            let content = line_content(head);
            verdict = self
                .decider
                .resolve(rule, content, content, now, &mut self.due);
        }
        self.write_due(sink);
        if self.report {
            sink.decided(head, verdict, self.decider.key());
        }
        if verdict.passes() {
            sink.pass(out);
            self.counts.passed += 1;
            self.long_line = Some(LongLine::Pass);
        } else {
            let rule = verdict.suppressed_by().unwrap_or(usize::MAX);
            if let Some(r) = self.decider.rules().rules().get(rule) {
                sink.suppress(r, out, true);
            }
            self.counts.suppressed += 1;
            self.long_line = Some(LongLine::Suppress(rule));
        }
    }

    /// Writes the head of a line whose end has not come (the input went
    /// quiet): see [`super::Pipeline::flush_partial`]. Its secrets are
    /// masked as far as it goes; it is framed (a continuation stays one)
    /// but not matched, counted as a line passed, and the rest of it
    /// streams through [`Stage::long_piece`].
    pub(crate) fn partial_head(&mut self, head: &[u8], wall: Time, sink: &mut impl Sink) {
        self.resolve_held(sink);
        let masked = self.masker.partial(self.decider.rules().redactor(), head);
        let head = masked.as_deref().unwrap_or(head);
        let now = self.line_time(head, wall);
        self.decider.tick_if_due(now, &mut self.due);
        // Summaries due go out before the head, at a line boundary.
        self.write_due(sink);
        let verdict = self.decider.feed_passing(head);
        if self.report {
            sink.decided(head, verdict, b"");
        }
        sink.pass(head);
        self.counts.passed += 1;
        self.long_line = Some(LongLine::Pass);
        if let Some(buf) = masked {
            self.masker.give_back(buf);
        }
    }

    /// Streams a piece of the rest of an over-long line; `ended`: the
    /// piece ends with its `\n`.
    pub(crate) fn long_piece(&mut self, piece: &[u8], ended: bool, sink: &mut impl Sink) {
        let out = self
            .masker
            .piece(self.decider.rules().redactor(), piece, ended);
        match self.long_line {
            Some(LongLine::Suppress(rule)) => {
                if let Some(r) = self.decider.rules().rules().get(rule) {
                    sink.suppress(r, &out, false);
                }
            }
            _ => sink.pass(&out),
        }
        self.masker.piece_done(out);
        if ended {
            self.long_line = None;
            // Summaries held back so as not to split the line go out now.
            sink.release();
            self.write_due(sink);
            sink.line_done();
        }
    }

    /// The input has gone quiet: what an over-long line held back goes out.
    pub(crate) fn idle(&mut self, sink: &mut impl Sink) {
        if self.long_line.is_none() {
            return;
        }
        let tail = self.masker.take_tail();
        match self.long_line {
            Some(LongLine::Suppress(rule)) => {
                if let Some(r) = self.decider.rules().rules().get(rule) {
                    sink.suppress(r, &tail, false);
                }
            }
            _ => sink.pass(&tail),
        }
    }

    /// Hands the summaries due to the sink; those for the stream wait
    /// while a passing over-long line is streamed (so it is never cut in
    /// two) or a record is held (it comes first).
    pub(crate) fn write_due(&mut self, sink: &mut impl Sink) {
        let defer = self.long_line == Some(LongLine::Pass) || self.held.is_some();
        if !self.due.is_empty() {
            let rules = self.decider.rules();
            for summary in self.due.drain(..) {
                if let Some(rule) = rules.rules().get(summary.rule) {
                    sink.summary(&summary, rule, defer);
                }
            }
        }
        if !defer {
            sink.release();
        }
    }

    /// Writes the summaries of windows that have closed by `now` (a wall
    /// clock time; in log-clock mode only records move time on).
    pub(crate) fn tick(&mut self, now: Time, sink: &mut impl Sink) {
        if self.log_clock.is_some() {
            return;
        }
        self.decider.tick(now, &mut self.due);
        self.write_due(sink);
    }

    /// Closes every open window now and writes their summaries (on a
    /// shutdown signal: nothing counted may wait for a grace period that
    /// might end in SIGKILL). Matching lines after this open new windows.
    pub(crate) fn summarize_all(&mut self, now: Time, sink: &mut impl Sink) {
        self.resolve_held(sink);
        let now = self.stop_time(now);
        self.decider.finish(now, &mut self.due);
        self.write_due(sink);
    }

    /// End of input: the held record is decided, every window summarized.
    pub(crate) fn finish(&mut self, now: Time, sink: &mut impl Sink) {
        if self.long_line.is_some() {
            // The line never ended: what was held back of it goes out.
            self.long_piece(b"", true, sink);
        }
        self.long_line = None;
        sink.release();
        self.summarize_all(now, sink);
    }

    /// Swaps in new rules between two lines; see [`Decider::reload`]. A
    /// held record is decided by the rules it was held for; summaries of
    /// rules that are gone are written against the old set.
    pub(crate) fn reload(&mut self, rules: Arc<RuleSet>, now: Time, sink: &mut impl Sink) {
        self.resolve_held(sink);
        let now = self.stop_time(now);
        let old = Arc::clone(self.decider.rules());
        self.masker.renumber(old.redactor(), rules.redactor());
        self.decider.reload(rules, now, &mut self.due);
        let defer = self.long_line == Some(LongLine::Pass);
        for summary in self.due.drain(..) {
            if let Some(rule) = old.rules().get(summary.rule) {
                sink.summary(&summary, rule, defer);
            }
        }
        if !defer {
            sink.release();
        }
    }

    /// The earliest wall-clock time a window closes, for the timer; `None`
    /// in log-clock mode, where only records move time on.
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        if self.log_clock.is_some() {
            return None;
        }
        self.decider.next_deadline()
    }

    /// Whether summaries are due (the fast path writes the lines before
    /// the current one first).
    pub(crate) fn has_due(&self) -> bool {
        !self.due.is_empty()
    }

    /// Everything counted so far.
    pub(crate) fn snapshot(&self) -> Snapshot<'_> {
        let held = self.held.as_ref();
        Snapshot {
            rules: self.decider.rules().rules(),
            per_rule: self.decider.stats(),
            lines: self.counts,
            lines_held: held.map_or(0, |h| h.lines),
            // A held record is counted once it is decided.
            records_in: self.decider.records() - u64::from(held.is_some()),
            open_windows: self.decider.open_windows(),
            redactions: self.decider.rules().redactor().redactions(),
            masked: self.masker.counts().to_vec(),
        }
    }
}
