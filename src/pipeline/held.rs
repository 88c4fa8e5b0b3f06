//! A record held until it ends: its rule decides on the record's last line
//! (`exception = ...`), so its lines wait here, bounded by `--max-line`.

use crate::records::line_content;
use crate::time::Time;

/// A record held until it ends.
#[derive(Debug)]
pub(super) struct Held {
    /// The rule the first line matched (later rules may still win).
    pub rule: usize,
    /// The record's bytes so far.
    pub bytes: Vec<u8>,
    /// Where its first line ends.
    first_end: usize,
    /// Where its last non-blank line starts.
    last_start: usize,
    /// Lines in it.
    pub lines: u64,
    /// The time of its first line.
    pub time: Time,
}

impl Held {
    /// Starts holding a record whose first line is `line`, seen at `time`,
    /// in `bytes` (a spare buffer, cleared here).
    pub fn new(rule: usize, line: &[u8], time: Time, mut bytes: Vec<u8>) -> Held {
        bytes.clear();
        bytes.extend_from_slice(line);
        Held {
            rule,
            first_end: bytes.len(),
            last_start: 0,
            bytes,
            lines: 1,
            time,
        }
    }

    /// Adds a continuation line.
    pub(crate) fn add(&mut self, line: &[u8]) {
        if !line_content(line).iter().all(u8::is_ascii_whitespace) {
            self.last_start = self.bytes.len();
        }
        self.bytes.extend_from_slice(line);
        self.lines += 1;
    }

    /// Its first line and its last non-blank line, without line endings.
    pub(crate) fn ends(&self) -> (&[u8], &[u8]) {
        let last = &self.bytes[self.last_start..];
        let last = memchr::memchr(b'\n', last).map_or(last, |i| &last[..i]);
        (
            line_content(&self.bytes[..self.first_end]),
            line_content(last),
        )
    }
}
