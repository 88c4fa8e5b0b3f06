//! Counters of a run and the `--stats` table.

use super::filter::Filter;

/// Line and summary counts of a run, for `--stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Lines read.
    pub lines_in: u64,
    /// Lines written through (not counting summaries).
    pub lines_out: u64,
    /// Summary lines written.
    pub summaries: u64,
}

/// The `--stats` table.
pub fn format_stats(filter: &Filter) -> String {
    let c = filter.counters();
    let stats = filter.rule_stats();
    let records: u64 = stats.iter().map(|s| s.suppressed).sum();
    let mut text = format!(
        "logdedup: {} lines in, {} passed, {} suppressed ({} record{}), {} summar{}\n",
        c.lines_in,
        c.lines_out,
        c.lines_in - c.lines_out,
        records,
        if records == 1 { "" } else { "s" },
        c.summaries,
        if c.summaries == 1 { "y" } else { "ies" },
    );
    let width = filter
        .rules()
        .rules()
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .max(14);
    text.push_str(&format!(
        "{:<width$}  {:>10}  {:>10}  {:>9}\n",
        "rule (records)", "matched", "suppressed", "summaries"
    ));
    for (rule, s) in filter.rules().rules().iter().zip(&stats) {
        text.push_str(&format!(
            "{:<width$}  {:>10}  {:>10}  {:>9}\n",
            rule.name, s.matched, s.suppressed, s.summaries
        ));
    }
    text
}
