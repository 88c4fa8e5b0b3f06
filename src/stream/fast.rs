//! The fast path of [`Filter`]: whole buffers of complete lines searched
//! for the rules' literals at once, the lines between hits passed in bulk.

use anyhow::Result;

use super::decide::Verdict;
use super::filter::Filter;
use crate::time::Time;

impl Filter {
    /// The fast path over `region`, whole lines only: a literal search over
    /// the buffer finds the lines some rule may match; the lines before each
    /// are passed in one write without being looked at one by one (with
    /// framing on, each is still framed, cheaply, as it may continue a
    /// suppressed record). While a record is held, lines take the general
    /// path. Gives exactly what [`Filter::line`] would, line by line.
    pub(super) fn lines_fast(
        &mut self,
        matcher: &regex_automata::util::prefilter::Prefilter,
        region: &[u8],
        now: Time,
    ) -> Result<()> {
        let framing = self.decider.framing().is_on();
        // On the log's clock every line moves time on (it may close windows,
        // whose summaries go before it), so lines are taken one by one.
        let log_clock = self.log_clock.is_some();
        let mut pos = 0; // start of the next line to decide
        let mut pass_from = 0; // start of the passing span not yet written
        let mut lines = 0u64; // lines decided here (not by `line`)
        let mut passed = 0u64;
        while pos < region.len() {
            let hit = matcher.find(region, regex_automata::Span::from(pos..region.len()));
            let candidate = hit.map_or(region.len(), |m| {
                memchr::memrchr(b'\n', &region[pos..m.start]).map_or(pos, |i| pos + i + 1)
            });
            if framing || log_clock {
                let mut start = pos;
                while start < candidate {
                    if self.pending.is_none() && !log_clock {
                        // The common case: the lines pass in bulk, settled
                        // by their first bytes.
                        let bulk = self.decider.pass_unmatched(&region[start..candidate]);
                        start += bulk.bytes;
                        lines += bulk.lines;
                        passed += bulk.lines;
                        if start == candidate {
                            break;
                        }
                    }
                    let end = memchr::memchr(b'\n', &region[start..candidate])
                        .map_or(candidate, |i| start + i + 1);
                    let line = &region[start..end];
                    if self.pending.is_some() {
                        self.output.pass(&region[pass_from..start])?;
                        self.line(line, now)?;
                        pass_from = end;
                    } else {
                        lines += 1;
                        if log_clock {
                            let t = self.line_time(line, now);
                            self.decider.tick_if_due(t, &mut self.due);
                            if !self.due.is_empty() {
                                self.output.pass(&region[pass_from..start])?;
                                pass_from = start;
                                self.write_due()?;
                            }
                            if !framing {
                                self.decider.count_unmatched(1);
                                passed += 1;
                                start = end;
                                continue;
                            }
                        }
                        let verdict = self.decider.feed_unmatched(line);
                        if verdict.passes() {
                            passed += 1;
                        } else {
                            let span = self.output.pass(&region[pass_from..start]);
                            self.or_audit(span, verdict, line)?;
                            self.suppressed(verdict, line)?;
                            pass_from = end;
                        }
                    }
                    start = end;
                }
            } else {
                let n = memchr::memchr_iter(b'\n', &region[pos..candidate]).count() as u64;
                self.decider.count_unmatched(n);
                lines += n;
                passed += n;
            }
            let Some(m) = hit else {
                break;
            };
            let end =
                memchr::memchr(b'\n', &region[m.start..]).map_or(region.len(), |i| m.start + i + 1);
            let line = &region[candidate..end];
            pos = end;
            if self.pending.is_some() {
                self.output.pass(&region[pass_from..candidate])?;
                self.line(line, now)?;
                pass_from = end;
                continue;
            }
            let now = self.line_time(line, now);
            let verdict = self.decider.feed_candidate(line, now, &mut self.due);
            if !self.due.is_empty() {
                let mut written = self.output.pass(&region[pass_from..candidate]);
                if written.is_ok() {
                    pass_from = candidate;
                    written = self.write_due();
                }
                self.or_audit(written, verdict, line)?;
            }
            if let Verdict::Hold(rule) = verdict {
                self.output.pass(&region[pass_from..candidate])?;
                self.counters.lines_in += 1;
                self.start_pending(rule, line, now);
                pass_from = end;
                continue;
            }
            lines += 1;
            if verdict.passes() {
                passed += 1;
            } else {
                let span = self.output.pass(&region[pass_from..candidate]);
                self.or_audit(span, verdict, line)?;
                self.suppressed(verdict, line)?;
                pass_from = end;
            }
        }
        self.output.pass(&region[pass_from..])?;
        self.counters.lines_in += lines;
        self.counters.lines_out += passed;
        Ok(())
    }
}
