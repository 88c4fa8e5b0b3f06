//! [`Pipeline`]: the whole decision path applied to a byte stream, pure.
//! Bytes are cut into lines here (a line longer than `--max-line` is
//! decided on its head and streamed in pieces; a line without its `\n`
//! waits for the rest); whole buffers go through the fast path, single
//! lines through [`Stage`]. Time is an argument and results go to a
//! [`Sink`], so tests drive it with a made-up clock and read what it wrote.

use std::sync::Arc;

use super::counts::Snapshot;
use super::fast::lines_fast;
use super::options::PipelineOptions;
use super::sink::Sink;
use super::stage::Stage;
use crate::rules::RuleSet;
use crate::time::Time;

/// Framing, matching and windowing over a byte stream.
#[derive(Debug)]
pub struct Pipeline {
    stage: Stage,
    /// The start of a line whose `\n` has not arrived yet (at most
    /// `max_line` bytes).
    partial: Vec<u8>,
    max_line: usize,
    /// Whether whole buffers may be searched at once.
    fast: bool,
}

impl Pipeline {
    /// A pipeline over `rules`.
    pub fn new(rules: Arc<RuleSet>, options: &PipelineOptions) -> Pipeline {
        Pipeline {
            stage: Stage::new(rules, options),
            partial: Vec::new(),
            max_line: options.max_line.max(1),
            fast: !options.line_buffered && !options.per_line,
        }
    }

    /// Processes the next bytes of the stream, all seen at `now`. Complete
    /// lines are decided and handed to `sink`; a trailing partial line
    /// waits for the rest (or for [`Pipeline::finish`]). The result never
    /// depends on how the stream is cut into pushes.
    pub fn push(&mut self, mut data: &[u8], now: Time, sink: &mut impl Sink) {
        self.stage.started(now);
        self.stage.tick(now, sink);
        while !data.is_empty() {
            if self.stage.long_line().is_some() {
                data = self.continue_long_line(data, sink);
                continue;
            }
            // Whole lines that cannot exceed --max-line: search the buffer.
            if self.fast && self.partial.is_empty() && data.len() <= self.max_line {
                let rules = Arc::clone(self.stage.rules());
                if let Some(matcher) = rules.buffer_matcher() {
                    if let Some(last) = memchr::memrchr(b'\n', data) {
                        let redactor = rules.redactor();
                        lines_fast(
                            &mut self.stage,
                            matcher,
                            redactor,
                            &data[..=last],
                            now,
                            sink,
                        );
                        data = &data[last + 1..];
                        continue;
                    }
                }
            }
            data = self.next_line(data, now, sink);
        }
    }

    /// Takes one line (or the head of an over-long one, or a partial line)
    /// off the front of `data`; returns the rest.
    fn next_line<'d>(&mut self, data: &'d [u8], now: Time, sink: &mut impl Sink) -> &'d [u8] {
        let room = self.max_line - self.partial.len();
        // Looking one byte past the room tells a line of exactly
        // `max_line` bytes (then `\n`) from a longer one.
        let window = &data[..data.len().min(room + 1)];
        match memchr::memchr(b'\n', window) {
            Some(end) => {
                if self.partial.is_empty() {
                    self.stage.line(&data[..=end], now, sink);
                } else {
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&data[..=end]);
                    self.stage.line(&line, now, sink);
                    line.clear();
                    self.partial = line;
                }
                &data[end + 1..]
            }
            None if window.len() > room => {
                // Over-long line: decide on its first `max_line` bytes.
                self.partial.extend_from_slice(&data[..room]);
                let head = std::mem::take(&mut self.partial);
                self.stage.long_head(&head, now, sink);
                self.partial = head;
                self.partial.clear();
                &data[room..]
            }
            None => {
                self.partial.extend_from_slice(data);
                &[]
            }
        }
    }

    /// Streams the rest of an over-long line up to its `\n`; returns what
    /// follows it.
    fn continue_long_line<'d>(&mut self, data: &'d [u8], sink: &mut impl Sink) -> &'d [u8] {
        match memchr::memchr(b'\n', data) {
            Some(end) => {
                self.stage.long_piece(&data[..=end], true, sink);
                &data[end + 1..]
            }
            None => {
                self.stage.long_piece(data, false, sink);
                &[]
            }
        }
    }

    /// Writes the summaries of windows that have closed by `now` (a wall
    /// clock time; in log-clock mode only records move time on).
    pub(crate) fn tick(&mut self, now: Time, sink: &mut impl Sink) {
        self.stage.tick(now, sink);
    }

    /// The input has gone quiet: nothing that can go out waits longer
    /// (the held-back end of a streamed over-long line).
    pub fn idle(&mut self, sink: &mut impl Sink) {
        self.stage.idle(sink);
    }

    /// Whether a record is being held.
    pub(crate) fn holding(&self) -> bool {
        self.stage.holding()
    }

    /// Decides the held record, if any, and writes it: for the event loop
    /// when the input has gone idle.
    pub(crate) fn release_held(&mut self, sink: &mut impl Sink) {
        self.stage.resolve_held(sink);
    }

    /// Whether the start of a line waits for its `\n`.
    pub(crate) fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// The input has gone quiet in the middle of a line, at `now`: a prompt
    /// (`Enter phone number or bot token: `) waiting for an answer that
    /// will not come until someone has seen it. The held record before it
    /// is decided and the line's head written now, unmatched (its end may
    /// change what a rule would say, and what is out can no longer be held
    /// back); the rest of the line passes as it comes, as the rest of an
    /// over-long passing line does, and summaries due meanwhile wait for
    /// its end. So a line whose head went out is never suppressed, and the
    /// output minus summaries stays the input minus what was suppressed.
    pub(crate) fn flush_partial(&mut self, now: Time, sink: &mut impl Sink) {
        if self.partial.is_empty() {
            return;
        }
        let head = std::mem::take(&mut self.partial);
        self.stage.partial_head(&head, now, sink);
        self.partial = head;
        self.partial.clear();
    }

    /// Closes every open window now and writes their summaries (on a
    /// shutdown signal). Matching lines after this open new windows.
    pub(crate) fn summarize_all(&mut self, now: Time, sink: &mut impl Sink) {
        self.stage.summarize_all(now, sink);
    }

    /// End of input: decides a final line without `\n` and a held record,
    /// and summarizes every open window.
    pub fn finish(&mut self, now: Time, sink: &mut impl Sink) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.stage.line(&line, now, sink);
        }
        self.stage.finish(now, sink);
    }

    /// Swaps in new rules between two lines. Rules whose name is in both
    /// sets keep their open windows and counters; a held record is decided
    /// by the rules it was held for.
    pub(crate) fn reload(&mut self, rules: Arc<RuleSet>, now: Time, sink: &mut impl Sink) {
        self.stage.reload(rules, now, sink);
    }

    /// The earliest wall-clock time a window closes, for the timer.
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.stage.next_deadline()
    }

    /// Everything counted so far.
    pub(crate) fn snapshot(&self) -> Snapshot<'_> {
        self.stage.snapshot()
    }
}

#[cfg(test)]
#[path = "partial_tests.rs"]
mod partial_tests;
