//! The pipeline's counters and [`Snapshot`], the one value every report
//! (`--stats`, `--stats-file`, `--metrics-textfile`, `explain --summary`)
//! is made from, so they cannot disagree.

use crate::engine::RuleStats;
use crate::rules::{Redaction, Rule};

/// Lines decided so far. A held record's lines are counted when the
/// record is decided, so neither counter ever goes down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines written through (not counting summaries).
    pub passed: u64,
    /// Lines held back (suppressed), continuation lines included.
    pub suppressed: u64,
}

/// Everything counted so far, read at one moment.
#[derive(Clone, Debug)]
pub struct Snapshot<'a> {
    /// The rules in use, in priority order.
    pub rules: &'a [Rule],
    /// Per-rule counters, in rule order.
    pub per_rule: Vec<RuleStats>,
    /// Lines passed and suppressed.
    pub lines: Counts,
    /// Lines of a record held until it ends (not counted yet).
    pub lines_held: u64,
    /// Records decided (lines, when framing is off).
    pub records_in: u64,
    /// Windows open now.
    pub open_windows: usize,
    /// The redactions in use, in order.
    pub redactions: &'a [Redaction],
    /// Secrets masked so far, per redaction.
    pub masked: Vec<u64>,
}

impl Snapshot<'_> {
    /// Lines decided: passed + suppressed.
    pub fn lines_in(&self) -> u64 {
        self.lines.passed + self.lines.suppressed
    }

    /// Records suppressed, over all rules.
    pub fn records_suppressed(&self) -> u64 {
        self.per_rule.iter().map(|s| s.suppressed).sum()
    }

    /// Records passed (matched or not).
    pub(crate) fn records_passed(&self) -> u64 {
        self.records_in.saturating_sub(self.records_suppressed())
    }

    /// Records some rule matched (passed by `pass_first` or suppressed).
    pub(crate) fn records_matched(&self) -> u64 {
        self.per_rule.iter().map(|s| s.matched).sum()
    }

    /// Summaries written, over all rules.
    pub fn summaries(&self) -> u64 {
        self.per_rule.iter().map(|s| s.summaries).sum()
    }
}
