//! The per-run settings of a [`super::Pipeline`].

use crate::records::{Framing, LogClock};

/// Per-run settings of a [`super::Pipeline`].
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Every line goes out on its own (`--line-buffered`): no bulk writes.
    pub line_buffered: bool,
    /// Longest line matched whole; a longer one is decided on its first
    /// `max_line` bytes and streamed through (or suppressed) in pieces.
    /// Also the most a held record may grow before it is decided.
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

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            line_buffered: false,
            max_line: DEFAULT_MAX_LINE,
            framing: None,
            log_clock: None,
            per_line: false,
        }
    }
}

/// Default `--max-line`: 1 MiB.
pub(crate) const DEFAULT_MAX_LINE: usize = 1 << 20;
