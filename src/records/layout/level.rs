//! Severity levels, normalized across libraries: Python's `logging` names,
//! loguru's extra `TRACE` and `SUCCESS`, and the `WARN` / `FATAL` spellings
//! other formatters print.

use std::fmt;

/// A record's severity. Lines without a recognized level carry `None`
/// (unknown) in [`Fields::level`](super::Fields::level).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// loguru's `TRACE` (below `DEBUG`).
    Trace,
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// loguru's `SUCCESS` (between `INFO` and `WARNING`).
    Success,
    /// `WARNING`, also spelled `WARN`.
    Warning,
    /// `ERROR`.
    Error,
    /// `CRITICAL`, also spelled `FATAL`.
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 7] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Success,
        Level::Warning,
        Level::Error,
        Level::Critical,
    ];

    /// Reads a level word: any ASCII case, padding spaces around it
    /// ignored, `WARN` and `FATAL` accepted. Any other word is `None`.
    pub fn parse(word: &[u8]) -> Option<Level> {
        let word = word.trim_ascii();
        // The longest name is 8 bytes: anything longer is no level, and the
        // upper-casing below needs no allocation.
        if !(4..=8).contains(&word.len()) {
            return None;
        }
        // The word upper-cased and zero-padded into one integer: one
        // comparison per name instead of a string compare.
        let mut upper = [0u8; 8];
        for (u, b) in upper.iter_mut().zip(word) {
            *u = b.to_ascii_uppercase();
        }
        let key = u64::from_le_bytes(upper);
        const fn name(text: &[u8]) -> u64 {
            let mut bytes = [0u8; 8];
            let mut i = 0;
            while i < text.len() {
                bytes[i] = text[i];
                i += 1;
            }
            u64::from_le_bytes(bytes)
        }
        const NAMES: [(u64, Level); 9] = [
            (name(b"INFO"), Level::Info),
            (name(b"DEBUG"), Level::Debug),
            (name(b"WARNING"), Level::Warning),
            (name(b"ERROR"), Level::Error),
            (name(b"CRITICAL"), Level::Critical),
            (name(b"TRACE"), Level::Trace),
            (name(b"SUCCESS"), Level::Success),
            (name(b"WARN"), Level::Warning),
            (name(b"FATAL"), Level::Critical),
        ];
        NAMES
            .iter()
            .find(|(n, _)| *n == key)
            .map(|&(_, level)| level)
    }

    /// The canonical upper-case name (`WARNING`, `CRITICAL`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Success => "SUCCESS",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Level;

    #[test]
    fn names_spellings_and_padding() {
        assert_eq!(Level::parse(b"WARNING"), Some(Level::Warning));
        assert_eq!(Level::parse(b"warn"), Some(Level::Warning));
        assert_eq!(Level::parse(b"Fatal"), Some(Level::Critical));
        assert_eq!(Level::parse(b"  INFO    "), Some(Level::Info));
        assert_eq!(Level::parse(b"SUCCESS"), Some(Level::Success));
        assert_eq!(Level::parse(b"trace"), Some(Level::Trace));
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str().as_bytes()), Some(level));
        }
    }

    #[test]
    fn other_words_are_no_level() {
        for word in [
            &b""[..],
            b"INF",
            b"NOTSET",
            b"VERBOSE",
            b"INFORMATION",
            b"Error:",
            b"I",
            b"WARNINGS",
            b"\xff\xfeINFO",
        ] {
            assert_eq!(
                Level::parse(word),
                None,
                "{:?}",
                String::from_utf8_lossy(word)
            );
        }
    }
}
