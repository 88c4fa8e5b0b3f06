//! Prefix shapes (layouts): what comes before a message, with the
//! timestamp's digits and runs of blanks abstracted and places left for
//! the logger and the level word.
//!
//! A suggested rule is anchored at the start of the line on layouts of the
//! log, filled in with its template's logger and level words
//! (`^(?:LAYOUT|LAYOUT)MESSAGE$`), so it can only take lines of the same
//! logger at the same levels whose message is its template's: a DEBUG
//! template's rule never takes the ERROR or CRITICAL line of the same
//! logger, and the message cannot start anywhere but where the prefix
//! ends. A log has a handful of layouts and level words, so both are
//! interned once and a template holds a few small ids.
//!
//! `2025-11-20 16:32:54,123 - bot - INFO - ` has the layout
//! `\d+-\d+-\d+\s+\d+:\d+:\d+,\d+\s+-\s+LOGGER\s+-\s+LEVEL\s+-\s+`.

use std::collections::HashMap;
use std::hash::Hasher;

use super::hash::{IdHash, IdHasher};
use super::prefix::Prefix;

/// Longest prefix given a shape; a line with a longer one has none.
const MAX_PREFIX: usize = 256;
/// Most shapes interned; lines of further shapes have none.
const MAX_SHAPES: usize = 1024;
/// Most level words interned.
const MAX_LEVELS: usize = 64;
/// Stands for the logger in a shape's regex (`regex::escape` never writes it).
const LOGGER: char = '\0';
/// Stands for the level word.
const LEVEL: char = '\u{1}';

/// One interned shape.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    /// Its regex, with [`LOGGER`] and [`LEVEL`] where those go.
    regex: String,
    /// Records of this shape.
    pub records: u64,
}

impl Shape {
    /// The regex for lines of this shape from `logger` at a level `levels`
    /// (a regex) matches.
    pub(crate) fn regex(&self, logger: &str, levels: &str) -> String {
        self.regex
            .replace(LOGGER, &regex::escape(logger))
            .replace(LEVEL, levels)
    }

    /// Whether it has a place for a logger.
    pub(crate) fn has_logger(&self) -> bool {
        self.regex.contains(LOGGER)
    }

    /// Whether it has a place for a level word.
    pub(crate) fn has_level(&self) -> bool {
        self.regex.contains(LEVEL)
    }
}

/// One interned level word.
#[derive(Clone, Debug)]
pub(crate) struct LevelWord {
    /// As written in the line.
    pub word: String,
    /// ERROR or worse.
    pub error: bool,
}

/// A part of a prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Piece {
    Digits,
    Blanks,
    /// Letters inside a timestamp (a month name, the `T` of ISO 8601).
    Letters,
    Literal(u8),
    Level,
    Logger,
}

/// Calls `f` with the pieces of `line`'s prefix, or returns `false` when it
/// has no shape (too long, or odd bytes in it).
fn pieces(line: &[u8], p: &Prefix, f: &mut dyn FnMut(Piece)) -> bool {
    let end = p.body.min(line.len());
    if p.json || end > MAX_PREFIX || !line[..end].is_ascii() {
        return false;
    }
    let mut i = 0;
    while i < end {
        let b = line[i];
        let run = |pred: fn(&u8) -> bool| i + line[i..end].iter().take_while(|b| pred(b)).count();
        let (piece, next) = if p.level_span.is_some_and(|(s, _)| s == i) {
            (Piece::Level, p.level_span.map_or(i + 1, |(_, e)| e))
        } else if p.logger.is_some_and(|(s, _)| s == i) {
            (Piece::Logger, p.logger.map_or(i + 1, |(_, e)| e))
        } else if b.is_ascii_digit() {
            (Piece::Digits, run(u8::is_ascii_digit))
        } else if b == b' ' || b == b'\t' {
            (Piece::Blanks, run(|b| *b == b' ' || *b == b'\t'))
        } else if p.time.is_some_and(|(s, e)| s <= i && i < e) && b.is_ascii_alphabetic() {
            (Piece::Letters, run(u8::is_ascii_alphabetic))
        } else {
            (Piece::Literal(b), i + 1)
        };
        f(piece);
        i = next.max(i + 1);
    }
    true
}

/// The shapes and level words seen so far.
#[derive(Default)]
pub(crate) struct Shapes {
    ids: HashMap<u64, u16, IdHash>,
    list: Vec<Shape>,
    levels: Vec<LevelWord>,
}

impl Shapes {
    /// The id of a line's level word (interned on first sight), if it has
    /// one (`word` is empty without one); `error`: ERROR or worse.
    pub(crate) fn level(&mut self, word: &[u8], error: bool) -> Option<u16> {
        if word.is_empty() {
            return None;
        }
        if let Some(i) = self.levels.iter().position(|l| l.word.as_bytes() == word) {
            return u16::try_from(i).ok();
        }
        if self.levels.len() >= MAX_LEVELS {
            return None;
        }
        self.levels.push(LevelWord {
            word: std::str::from_utf8(word).ok()?.to_owned(),
            error,
        });
        u16::try_from(self.levels.len() - 1).ok()
    }

    /// Level word `id`.
    pub(crate) fn level_word(&self, id: u16) -> Option<&LevelWord> {
        self.levels.get(usize::from(id))
    }

    /// The ids of the shapes of at least `least` records, most first.
    pub(crate) fn common(&self, least: u64) -> Vec<u16> {
        let mut ids: Vec<u16> = (0..self.list.len())
            .filter(|&i| self.list[i].records >= least)
            .filter_map(|i| u16::try_from(i).ok())
            .collect();
        ids.sort_by_key(|&i| std::cmp::Reverse(self.list[usize::from(i)].records));
        ids
    }

    /// Records that had a shape.
    pub(crate) fn records(&self) -> u64 {
        self.list.iter().map(|s| s.records).sum()
    }

    /// The id of `line`'s prefix shape (interned on first sight), if it has
    /// one, and counts the line. Costs a walk over the prefix and a map
    /// lookup; nothing is allocated unless the shape is new.
    pub(crate) fn id(&mut self, line: &[u8], p: &Prefix) -> Option<u16> {
        let mut h = IdHasher(0x5eed);
        let shaped = pieces(line, p, &mut |piece| {
            let (code, byte) = match piece {
                Piece::Digits => (1, 0),
                Piece::Blanks => (2, 0),
                Piece::Letters => (3, 0),
                Piece::Literal(b) => (4, u64::from(b)),
                Piece::Level => (5, 0),
                Piece::Logger => (6, 0),
            };
            h.write_u64(code);
            h.write_u64(byte);
        });
        if !shaped {
            return None;
        }
        if let Some(&id) = self.ids.get(&h.0) {
            if let Some(shape) = self.list.get_mut(usize::from(id)) {
                shape.records += 1;
            }
            return Some(id);
        }
        if self.list.len() >= MAX_SHAPES {
            return None;
        }
        let mut regex = String::new();
        pieces(line, p, &mut |piece| match piece {
            Piece::Digits => regex.push_str(r"\d+"),
            Piece::Blanks => regex.push_str(r"\s+"),
            Piece::Letters => regex.push_str("[A-Za-z]+"),
            // `-` needs no escape outside a class; the pattern reads better.
            Piece::Literal(b'-') => regex.push('-'),
            Piece::Literal(b) => regex.push_str(&regex::escape(&char::from(b).to_string())),
            Piece::Level => regex.push(LEVEL),
            Piece::Logger => regex.push(LOGGER),
        });
        let id = u16::try_from(self.list.len()).ok()?;
        self.list.push(Shape { regex, records: 1 });
        self.ids.insert(h.0, id);
        Some(id)
    }

    /// Shape `id`.
    pub(crate) fn get(&self, id: u16) -> Option<&Shape> {
        self.list.get(usize::from(id))
    }
}

#[cfg(test)]
mod tests {
    use super::super::prefix::Reader;
    use super::*;

    fn shape_of(shapes: &mut Shapes, line: &str) -> Option<u16> {
        shapes.id(
            line.as_bytes(),
            &Reader::default().read(line.as_bytes()).prefix,
        )
    }

    fn level_of(shapes: &mut Shapes, line: &[u8]) -> Option<u16> {
        let mut reader = Reader::default();
        let line = reader.read(line);
        shapes.level(line.level_word, line.prefix.is_error())
    }

    #[test]
    fn lines_of_one_layout_share_a_shape_whatever_their_logger_and_level() {
        let mut s = Shapes::default();
        let a = shape_of(&mut s, "2025-11-20 16:32:54,123 - bot - INFO - hello");
        let b = shape_of(&mut s, "2025-11-21 06:02:04,999 - bot.x - ERROR - other");
        let d = shape_of(&mut s, "[20-Nov-25 16:32:54 - INFO] - bot - hello");
        assert!(a.is_some() && a == b);
        assert_ne!(a, d);
        let shape = s.get(a.unwrap()).unwrap();
        assert_eq!(shape.records, 2);
        assert!(shape.has_logger() && shape.has_level());
        assert_eq!(
            shape.regex("bot.x", "(?:INFO)"),
            r"\d+-\d+-\d+\s+\d+:\d+:\d+,\d+\s+-\s+bot\.x\s+-\s+(?:INFO)\s+-\s+"
        );
        assert_eq!(s.common(2), [a.unwrap()]);
        let loguru = "2025-11-20 16:32:54.123 | WARNING  | bot:handle:42 - x";
        let id = shape_of(&mut s, loguru).unwrap();
        let re = regex::Regex::new(&format!(
            "^{}x$",
            s.get(id).unwrap().regex("bot", "WARNING")
        ))
        .unwrap();
        assert!(re.is_match(loguru));
        assert!(!re.is_match("2025-11-20 16:32:54.123 | ERROR    | bot:handle:42 - x"));
    }

    #[test]
    fn level_words_are_interned_with_their_severity() {
        let mut s = Shapes::default();
        let id = level_of(&mut s, b"CRITICAL:bot:x").unwrap();
        let word = s.level_word(id).unwrap();
        assert_eq!((word.word.as_str(), word.error), ("CRITICAL", true));
        assert_ne!(level_of(&mut s, b"INFO:bot:x"), Some(id));
        assert_eq!(level_of(&mut s, b"no level"), None);
    }

    #[test]
    fn no_prefix_is_an_empty_shape_and_odd_prefixes_have_none() {
        let mut s = Shapes::default();
        let id = shape_of(&mut s, "just a message").unwrap();
        assert_eq!(s.get(id).unwrap().regex("x", "y"), "");
        let long = format!("2025-11-20 16:32:54 - {} - INFO - x", "a".repeat(300));
        assert_eq!(shape_of(&mut s, &long), None);
    }
}
