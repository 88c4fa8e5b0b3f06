//! The fast path: whole buffers of complete lines searched for the rules'
//! literals at once, the lines between hits passed in bulk. It decides
//! nothing itself: every line goes through [`Stage`], and it only chooses
//! which lines need looking at one by one.

use regex_automata::util::prefilter::Prefilter;

use super::sink::Sink;
use super::stage::Stage;
use crate::rules::Redactor;
use crate::time::Time;

/// A region of whole lines and how far it has been written.
struct Region<'r> {
    bytes: &'r [u8],
    /// Start of the passing span not yet written.
    pass_from: usize,
    /// Lines in that span.
    pending_lines: u64,
}

impl Region<'_> {
    /// Writes the passing span up to `to`.
    fn flush(&mut self, to: usize, stage: &mut Stage, sink: &mut impl Sink) {
        stage.pass(&self.bytes[self.pass_from..to], self.pending_lines, sink);
        self.pass_from = to;
        self.pending_lines = 0;
    }
}

/// The fast path over `region`, whole lines only: a literal search over
/// the buffer finds the lines some rule may match; the lines before each
/// are passed in one write without being looked at one by one (with
/// framing on, each is still framed, cheaply, as it may continue a
/// suppressed record). While a record is held, lines take the general
/// path, and so does a line that may hold a secret (`redactor`'s search
/// finds it), to be masked. Gives exactly what [`Stage::line`] would,
/// line by line.
pub(super) fn lines_fast(
    stage: &mut Stage,
    matcher: &Prefilter,
    redactor: &Redactor,
    bytes: &[u8],
    now: Time,
    sink: &mut impl Sink,
) {
    let mut region = Region {
        bytes,
        pass_from: 0,
        pending_lines: 0,
    };
    let mut pos = 0; // start of the next line to decide
    let mut secret = redactor.next_candidate(bytes, 0);
    while pos < bytes.len() {
        if secret.is_some_and(|s| s < pos) {
            secret = redactor.next_candidate(bytes, pos);
        }
        let hit = matcher
            .find(bytes, regex_automata::Span::from(pos..bytes.len()))
            .map(|m| m.start);
        // A line that may hold a secret goes first if it comes first.
        let (at, masked) = match (hit, secret) {
            (Some(h), Some(s)) if s < h => (Some(s), true),
            (None, Some(s)) => (Some(s), true),
            (h, _) => (h, false),
        };
        let start = at.map_or(bytes.len(), |at| {
            memchr::memrchr(b'\n', &bytes[pos..at]).map_or(pos, |i| pos + i + 1)
        });
        unmatched_run(stage, &mut region, pos, start, now, sink);
        let Some(at) = at else {
            break;
        };
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1);
        // A rule's candidate line may hold a secret further on.
        let masked = masked || secret.is_some_and(|s| s < end);
        if masked {
            region.flush(start, stage, sink);
            stage.line(&bytes[start..end], now, sink);
            region.pass_from = end;
        } else {
            candidate_line(stage, &mut region, start..end, now, sink);
        }
        pos = end;
    }
    region.flush(bytes.len(), stage, sink);
}

/// The lines of `region[start..end]`, on none of which the buffer search
/// found anything: no rule matches them, but framing may still hold one
/// back (a continuation of a suppressed record), and on the log's clock
/// each one moves time on.
fn unmatched_run(
    stage: &mut Stage,
    region: &mut Region,
    start: usize,
    end: usize,
    now: Time,
    sink: &mut impl Sink,
) {
    let bytes = region.bytes;
    let framing = stage.framing_on();
    let log_clock = stage.on_log_clock();
    if !framing && !log_clock {
        let n = memchr::memchr_iter(b'\n', &bytes[start..end]).count() as u64;
        stage.count_unmatched(n);
        region.pending_lines += n;
        return;
    }
    let mut start = start;
    while start < end {
        if !stage.holding() && !log_clock {
            // The common case: the lines pass in bulk, settled by their
            // first bytes.
            let bulk = stage.pass_unmatched(&bytes[start..end]);
            start += bulk.bytes;
            region.pending_lines += bulk.lines;
            if start == end {
                break;
            }
        }
        let line_end = memchr::memchr(b'\n', &bytes[start..end]).map_or(end, |i| start + i + 1);
        let line = &bytes[start..line_end];
        if stage.holding() {
            region.flush(start, stage, sink);
            stage.line(line, now, sink);
            region.pass_from = line_end;
            start = line_end;
            continue;
        }
        if log_clock {
            let t = stage.line_time(line, now);
            if stage.tick_at(t) {
                region.flush(start, stage, sink);
                stage.write_due(sink);
            }
            if !framing {
                stage.count_unmatched(1);
                region.pending_lines += 1;
                start = line_end;
                continue;
            }
        }
        let verdict = stage.unmatched(line);
        if verdict.passes() {
            region.pending_lines += 1;
        } else {
            region.flush(start, stage, sink);
            stage.suppress(verdict, line, sink);
            region.pass_from = line_end;
        }
        start = line_end;
    }
}

/// The line `range` of `region`, which the buffer search picked out.
fn candidate_line(
    stage: &mut Stage,
    region: &mut Region,
    range: std::ops::Range<usize>,
    now: Time,
    sink: &mut impl Sink,
) {
    let line = &region.bytes[range.clone()];
    if stage.holding() {
        region.flush(range.start, stage, sink);
        stage.line(line, now, sink);
        region.pass_from = range.end;
        return;
    }
    let now = stage.line_time(line, now);
    let verdict = stage.candidate(line, now);
    if stage.has_due() {
        region.flush(range.start, stage, sink);
        stage.write_due(sink);
    }
    if let super::decide::Verdict::Hold(rule) = verdict {
        region.flush(range.start, stage, sink);
        stage.hold(rule, line, now);
        region.pass_from = range.end;
        return;
    }
    if verdict.passes() {
        region.pending_lines += 1;
    } else {
        region.flush(range.start, stage, sink);
        stage.suppress(verdict, line, sink);
        region.pass_from = range.end;
    }
}
