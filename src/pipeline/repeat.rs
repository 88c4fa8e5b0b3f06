//! The storm cache: a flood repeats a handful of texts, each record the
//! same as an earlier one but for its timestamp's digits. What the rules
//! on the message decided for a recent record start is kept, and a record
//! start that differs from it only in the digits of its timestamp reuses
//! that decision: its layout, logger, level and message are the same, so
//! the rules would decide the same. A comparison of the line is far
//! cheaper than reading its layout and running the rules' regexes.
//!
//! Only what the matcher found is reused; the engine still counts every
//! record, so windows and summaries are exactly those of deciding each
//! line alone (the tests in `decide_tests.rs` compare the two).

use std::ops::Range;

/// How many recent texts are kept: a storm mixes a few (the socket error,
/// the retry, the wait), and each miss costs one length comparison per
/// entry.
const ENTRIES: usize = 8;
/// Longer lines are not kept: storms are made of short lines, and the copy
/// would cost more than it saves.
const MAX_LINE: usize = 1024;

/// What the rules on the message found for a record's first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// No rule.
    Pass,
    /// This rule, with the key kept beside it.
    Rule(usize),
    /// This rule, deferred until the record's last line is known.
    Deferred(usize),
}

#[derive(Debug, Default)]
struct Entry {
    line: Vec<u8>,
    /// Where the timestamp sits in `line`: only there may digits differ.
    time: Range<usize>,
    outcome: Option<Outcome>,
    key: Vec<u8>,
}

/// Recent record starts and what was found for them.
#[derive(Debug, Default)]
pub(super) struct Repeats {
    entries: Vec<Entry>,
    /// The entry the next new text replaces.
    next: usize,
    /// Keep nothing: every line is read and matched (the tests' reference).
    off: bool,
}

impl Repeats {
    /// What was found for a recent line that differs from `line` only in
    /// the digits of its timestamp, with its key.
    pub fn lookup(&self, line: &[u8]) -> Option<(Outcome, &[u8])> {
        self.entries.iter().find_map(|e| {
            let outcome = e.outcome?;
            same_but_time_digits(&e.line, e.time.clone(), line).then_some((outcome, &e.key[..]))
        })
    }

    /// A cache that keeps nothing.
    #[cfg(test)]
    pub fn off() -> Repeats {
        Repeats {
            off: true,
            ..Repeats::default()
        }
    }

    /// Keeps what was found for `line`, whose timestamp spans `time`.
    pub fn keep(&mut self, line: &[u8], time: Range<usize>, outcome: Outcome, key: &[u8]) {
        if self.off || line.len() > MAX_LINE || time.end > line.len() || time.start > time.end {
            return;
        }
        if self.entries.len() < ENTRIES {
            self.entries.push(Entry::default());
        }
        let slot = self.next % self.entries.len();
        self.next = (slot + 1) % ENTRIES;
        let e = &mut self.entries[slot];
        e.line.clear();
        e.line.extend_from_slice(line);
        e.time = time;
        e.outcome = Some(outcome);
        e.key.clear();
        e.key.extend_from_slice(key);
    }

    /// Forgets everything (the rules changed).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.next = 0;
    }
}

/// Whether `new` equals `old` but for digits replaced by digits inside
/// `time` (a range of `old`).
fn same_but_time_digits(old: &[u8], time: Range<usize>, new: &[u8]) -> bool {
    if old.len() != new.len() {
        return false;
    }
    let Range { start, end } = time;
    old[end..] == new[end..]
        && old[..start] == new[..start]
        && old[start..end]
            .iter()
            .zip(&new[start..end])
            .all(|(a, b)| a == b || (a.is_ascii_digit() && b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] =
        b"2025-11-20 16:32:54,123 - asyncio - WARNING - socket.send() raised exception.";

    #[test]
    fn only_digits_of_the_timestamp_may_differ() {
        let mut r = Repeats::default();
        r.keep(LINE, 0..23, Outcome::Rule(3), b"k");
        let later =
            b"2025-11-20 16:33:07,981 - asyncio - WARNING - socket.send() raised exception.";
        assert_eq!(r.lookup(later), Some((Outcome::Rule(3), &b"k"[..])));
        let other_text =
            b"2025-11-20 16:33:07,981 - asyncio - WARNING - socket.send() raised exceptioN.";
        assert_eq!(r.lookup(other_text), None);
        let letter_in_time =
            b"2025-11-20 16:33:07,98x - asyncio - WARNING - socket.send() raised exception.";
        assert_eq!(r.lookup(letter_in_time), None);
        assert_eq!(r.lookup(&LINE[1..]), None);
    }

    #[test]
    fn without_a_timestamp_only_the_same_line_hits() {
        let mut r = Repeats::default();
        r.keep(b"Connection lost 12", 0..0, Outcome::Pass, b"");
        assert_eq!(
            r.lookup(b"Connection lost 12"),
            Some((Outcome::Pass, &b""[..]))
        );
        assert_eq!(r.lookup(b"Connection lost 13"), None);
    }

    #[test]
    fn keeps_a_few_texts_and_forgets_the_oldest() {
        let mut r = Repeats::default();
        let lines: Vec<Vec<u8>> = (0..=ENTRIES).map(|i| vec![b'a'; i + 1]).collect();
        for (i, l) in lines.iter().enumerate() {
            r.keep(l, 0..0, Outcome::Deferred(i), b"");
        }
        assert_eq!(r.lookup(&lines[0]), None, "the oldest was replaced");
        for (i, l) in lines.iter().enumerate().skip(1) {
            assert_eq!(r.lookup(l), Some((Outcome::Deferred(i), &b""[..])));
        }
        r.clear();
        assert_eq!(r.lookup(&lines[1]), None);
    }

    #[test]
    fn long_lines_and_bad_ranges_are_not_kept() {
        let mut r = Repeats::default();
        let long = vec![b'x'; MAX_LINE + 1];
        r.keep(&long, 0..0, Outcome::Pass, b"");
        r.keep(b"short", 2..9, Outcome::Pass, b"");
        assert_eq!(r.lookup(&long), None);
        assert_eq!(r.lookup(b"short"), None);
    }
}
