//! [`Output`]: the filter's sink. Passing bytes go to standard output,
//! suppressed lines to the audit trail (or, with `--dry-run`, tagged into
//! the output), summaries to their outlet, formatted only when a window
//! closes. It keeps track of whether standard output stands at a line
//! start, so a summary after a last line without `\n` gets one first.
//!
//! A failed write is remembered, not returned: the pipeline goes on and
//! this keeps doing what still works. Standard output closing does not
//! stop the audit trail, so every line the engine counted as suppressed is
//! there. The event loop asks for the error after each step
//! ([`Output::check`]) and ends the run.

use anyhow::Result;

use super::outlet::Outlet;
use crate::engine::Summary;
use crate::pipeline::Sink;
use crate::rules::Rule;
use crate::summary::SummaryFormatter;

/// Where a filter writes.
pub struct Output {
    out: Outlet,
    /// `None`: summaries go into `out`, in stream order.
    summary_outlet: Option<Outlet>,
    audit: Option<Outlet>,
    formatter: SummaryFormatter,
    line_buffered: bool,
    dry_run: bool,
    /// Whether the last byte written to `out` ended a line.
    at_line_start: bool,
    /// Formatted summaries for `out` waiting for the line being written
    /// (an over-long passing line, a held record) to be done.
    waiting: Vec<u8>,
    line_buf: Vec<u8>,
    /// Writing to `out` failed: later writes to it are skipped.
    out_failed: bool,
    /// Writing to a summary file or the audit trail failed.
    side_failed: bool,
    /// The first error not yet reported.
    error: Option<anyhow::Error>,
}

impl Output {
    /// Writes lines to `out`, summaries to `summary_outlet` (else `out`),
    /// suppressed lines to `audit` when given.
    pub fn new(
        out: Outlet,
        summary_outlet: Option<Outlet>,
        audit: Option<Outlet>,
        formatter: SummaryFormatter,
        line_buffered: bool,
        dry_run: bool,
    ) -> Output {
        Output {
            out,
            summary_outlet,
            audit,
            formatter,
            line_buffered,
            dry_run,
            at_line_start: true,
            waiting: Vec::new(),
            line_buf: Vec::new(),
            out_failed: false,
            side_failed: false,
            error: None,
        }
    }

    /// The first write error since the last call, if any.
    pub(crate) fn check(&mut self) -> Result<()> {
        match self.error.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    fn fail(&mut self, err: anyhow::Error) {
        if self.error.is_none() {
            self.error = Some(err);
        }
    }

    fn write_out(&mut self, bytes: &[u8]) {
        if self.out_failed || bytes.is_empty() {
            return;
        }
        match self.out.write_all(bytes) {
            Ok(()) => self.at_line_start = bytes.ends_with(b"\n"),
            Err(err) => {
                self.out_failed = true;
                self.fail(err);
            }
        }
    }

    fn write_audit(&mut self, bytes: &[u8]) {
        let Some(audit) = &mut self.audit else {
            return;
        };
        if self.side_failed {
            return;
        }
        if let Err(err) = audit.write_all(bytes) {
            self.side_failed = true;
            self.fail(err);
        }
    }

    fn flush_out(&mut self) {
        if self.out_failed {
            return;
        }
        if let Err(err) = self.out.flush() {
            self.out_failed = true;
            self.fail(err);
        }
    }

    /// Flushes every outlet; the first failure is reported by
    /// [`Output::check`].
    pub(crate) fn flush(&mut self) {
        self.flush_out();
        if self.side_failed {
            return;
        }
        for outlet in [&mut self.summary_outlet, &mut self.audit]
            .into_iter()
            .flatten()
        {
            if let Err(err) = outlet.flush() {
                self.side_failed = true;
                if self.error.is_none() {
                    self.error = Some(err);
                }
                return;
            }
        }
    }

    /// Reopens the summary and audit files (SIGHUP, after logrotate moved
    /// them): what was buffered goes to the old file, the rest to a new one
    /// at the same path. Both are tried; the first failure is returned.
    pub(crate) fn reopen(&mut self) -> Result<()> {
        let summary = self.summary_outlet.as_mut().map_or(Ok(()), Outlet::reopen);
        let audit = self.audit.as_mut().map_or(Ok(()), Outlet::reopen);
        summary.and(audit)
    }
}

impl Sink for Output {
    fn pass(&mut self, bytes: &[u8]) {
        self.write_out(bytes);
    }

    fn suppress(&mut self, rule: &Rule, bytes: &[u8], head: bool) {
        // The audit trail first: it must have the line even if standard
        // output is gone.
        self.write_audit(bytes);
        if self.dry_run {
            if head {
                self.write_out(b"[logdedup:");
                self.write_out(rule.name.as_bytes());
                self.write_out(b"] ");
            }
            self.write_out(bytes);
        }
    }

    fn summary(&mut self, summary: &Summary, rule: &Rule, _defer: bool) {
        let Some(outlet) = &mut self.summary_outlet else {
            // Into the stream: after the line being written (release).
            self.formatter.write(summary, rule, &mut self.waiting);
            return;
        };
        if self.side_failed {
            return;
        }
        self.line_buf.clear();
        self.formatter.write(summary, rule, &mut self.line_buf);
        let mut written = outlet.write_all(&self.line_buf);
        if written.is_ok() && self.line_buffered {
            written = outlet.flush();
        }
        if let Err(err) = written {
            self.side_failed = true;
            self.fail(err);
        }
    }

    fn release(&mut self) {
        if self.waiting.is_empty() {
            return;
        }
        if self.out_failed {
            // Standard output is gone, and the summaries bound for it with it.
            self.waiting.clear();
            return;
        }
        if !self.at_line_start {
            self.write_out(b"\n");
        }
        let waiting = std::mem::take(&mut self.waiting);
        self.write_out(&waiting);
        self.waiting = waiting;
        self.waiting.clear();
        self.line_done();
    }

    fn line_done(&mut self) {
        if self.line_buffered {
            self.flush_out();
        }
    }
}
