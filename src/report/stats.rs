//! The `--stats` table (and SIGUSR1's), from a [`Snapshot`].

use crate::pipeline::Snapshot;

/// The `--stats` table.
pub(crate) fn format_stats(snapshot: &Snapshot) -> String {
    let records = snapshot.records_suppressed();
    let summaries = snapshot.summaries();
    let mut text = format!(
        "logdedup: {} lines in, {} passed, {} suppressed ({} record{}), {} summar{}\n",
        snapshot.lines_in(),
        snapshot.lines.passed,
        snapshot.lines.suppressed,
        records,
        if records == 1 { "" } else { "s" },
        summaries,
        if summaries == 1 { "y" } else { "ies" },
    );
    let width = snapshot
        .rules
        .iter()
        .map(|r| r.name.len())
        .chain(snapshot.redactions.iter().map(|r| r.name.len()))
        .max()
        .unwrap_or(4)
        .max(14);
    text.push_str(&format!(
        "{:<width$}  {:>10}  {:>10}  {:>9}\n",
        "rule (records)", "matched", "suppressed", "summaries"
    ));
    for (rule, s) in snapshot.rules.iter().zip(&snapshot.per_rule) {
        text.push_str(&format!(
            "{:<width$}  {:>10}  {:>10}  {:>9}\n",
            rule.name, s.matched, s.suppressed, s.summaries
        ));
    }
    if !snapshot.redactions.is_empty() {
        text.push_str(&format!("{:<width$}  {:>10}\n", "redaction", "masked"));
        for (r, n) in snapshot.redactions.iter().zip(&snapshot.masked) {
            text.push_str(&format!("{:<width$}  {n:>10}\n", r.name));
        }
    }
    text
}
