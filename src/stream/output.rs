//! The writing side of a filter run: passing bytes to standard output,
//! suppressed lines to the audit trail (or, with `--dry-run`, tagged into
//! the output), summaries to their sink, formatted only when a window
//! closes. Keeps track of whether the output stands at a line start, so a
//! summary after a last line without `\n` gets one first.

use anyhow::Result;

use super::sink::Sink;
use crate::engine::Summary;
use crate::rules::RuleSet;
use crate::summary::SummaryFormatter;

/// Where a filter writes.
pub struct Output {
    out: Sink,
    /// `None`: summaries go into `out`, in stream order.
    summary_sink: Option<Sink>,
    suppressed_sink: Option<Sink>,
    formatter: SummaryFormatter,
    line_buffered: bool,
    dry_run: bool,
    /// Whether the last byte written to `out` ended a line.
    at_line_start: bool,
    /// Formatted summaries for `out` waiting for the line being written
    /// (an over-long passing line, a held record) to be done.
    waiting: Vec<u8>,
    line_buf: Vec<u8>,
    /// Summary lines written.
    pub summaries: u64,
}

impl Output {
    /// Writes lines to `out`, summaries to `summary_sink` (else `out`),
    /// suppressed lines to `suppressed_sink` when given.
    pub fn new(
        out: Sink,
        summary_sink: Option<Sink>,
        suppressed_sink: Option<Sink>,
        formatter: SummaryFormatter,
        line_buffered: bool,
        dry_run: bool,
    ) -> Output {
        Output {
            out,
            summary_sink,
            suppressed_sink,
            formatter,
            line_buffered,
            dry_run,
            at_line_start: true,
            waiting: Vec::new(),
            line_buf: Vec::new(),
            summaries: 0,
        }
    }

    /// Writes passing bytes (whole lines, or the piece of one).
    pub fn pass(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.out.write_all(bytes)?;
        self.at_line_start = bytes.ends_with(b"\n");
        Ok(())
    }

    /// Handles bytes rule `rule` suppressed: appended to the audit trail;
    /// with `--dry-run` also written to the output, the line's first piece
    /// (`line_start`) tagged `[logdedup:RULE] `.
    pub fn suppress(
        &mut self,
        rules: &RuleSet,
        rule: usize,
        bytes: &[u8],
        line_start: bool,
    ) -> Result<()> {
        self.audit(bytes)?;
        if self.dry_run {
            if line_start {
                let name = rules.rules().get(rule).map_or("?", |r| r.name.as_str());
                self.out.write_all(b"[logdedup:")?;
                self.out.write_all(name.as_bytes())?;
                self.out.write_all(b"] ")?;
            }
            self.pass(bytes)?;
        }
        Ok(())
    }

    /// Appends suppressed bytes to the audit trail alone (nothing to the
    /// output): for a line whose place in the output could not be written.
    pub fn audit(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(sink) = &mut self.suppressed_sink {
            sink.write_all(bytes)?;
        }
        Ok(())
    }

    /// Flushes `out` when every line must go out at once.
    pub fn line_done(&mut self) -> Result<()> {
        if self.line_buffered {
            self.out.flush()?;
        }
        Ok(())
    }

    /// Formats `due` (rule numbers of `rules`) and writes each to its sink.
    /// Summaries bound for `out` wait while `wait` (a line is half written,
    /// or a held record must come first); they are formatted at once all
    /// the same, so a reload in between cannot change them.
    pub fn summaries(&mut self, due: &mut Vec<Summary>, rules: &RuleSet, wait: bool) -> Result<()> {
        for summary in due.drain(..) {
            let Some(rule) = rules.rules().get(summary.rule) else {
                continue;
            };
            self.summaries += 1;
            match &mut self.summary_sink {
                Some(sink) => {
                    self.line_buf.clear();
                    self.formatter.write(&summary, rule, &mut self.line_buf);
                    sink.write_all(&self.line_buf)?;
                    if self.line_buffered {
                        sink.flush()?;
                    }
                }
                None => self.formatter.write(&summary, rule, &mut self.waiting),
            }
        }
        if wait {
            return Ok(());
        }
        self.release()
    }

    /// Whether summaries are waiting for `out`.
    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Writes the summaries waiting for `out`.
    pub fn release(&mut self) -> Result<()> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        if !self.at_line_start {
            self.out.write_all(b"\n")?;
            self.at_line_start = true;
        }
        self.out.write_all(&self.waiting)?;
        self.waiting.clear();
        self.line_done()
    }

    /// Standard output is gone: writes `due` to the sinks that still work
    /// (a summary file, stderr) and flushes them; summaries bound for
    /// standard output are lost with it.
    pub fn summaries_without_stdout(
        &mut self,
        due: &mut Vec<Summary>,
        rules: &RuleSet,
    ) -> Result<()> {
        self.waiting.clear();
        if let Some(sink) = &mut self.summary_sink {
            for summary in due.drain(..) {
                if let Some(rule) = rules.rules().get(summary.rule) {
                    self.line_buf.clear();
                    self.formatter.write(&summary, rule, &mut self.line_buf);
                    sink.write_all(&self.line_buf)?;
                    self.summaries += 1;
                }
            }
            sink.flush()?;
        }
        due.clear();
        if let Some(sink) = &mut self.suppressed_sink {
            sink.flush()?;
        }
        Ok(())
    }

    /// Reopens the summary and audit files (SIGHUP, after logrotate moved
    /// them): what was buffered goes to the old file, the rest to a new one
    /// at the same path. Both are tried; the first failure is returned.
    pub fn reopen(&mut self) -> Result<()> {
        let summary = self.summary_sink.as_mut().map_or(Ok(()), Sink::reopen);
        let suppressed = self.suppressed_sink.as_mut().map_or(Ok(()), Sink::reopen);
        summary.and(suppressed)
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
}
