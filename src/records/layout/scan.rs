//! The pieces layouts are read with: timestamps, level words, logger names,
//! and the small token programs the text presets are written in. Hand
//! scanners rather than regexes: they run on every candidate line, fail on
//! the first byte that does not fit, and allocate nothing.

use super::level::Level;

/// A byte range in the line.
pub(super) type Span = (usize, usize);

/// What a layout read from a line, as ranges of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Raw {
    pub time: Option<Span>,
    pub level: Option<Level>,
    /// Where the level word is, as written (padding not included).
    pub level_span: Option<Span>,
    pub logger: Option<Span>,
    pub message: Span,
}

/// One step of a text layout, matched left to right without backtracking
/// (except that a failed [`Tok::Opt`] is skipped as a whole).
#[derive(Clone, Copy, Debug)]
pub(super) enum Tok {
    /// A timestamp in one of the shapes [`time_len`] knows.
    Time,
    /// A level word ([`Level::parse`]); any other word fails the layout.
    Level,
    /// A Python logger name: dotted identifiers, like `pyrogram.session`,
    /// and not a level word.
    Logger,
    /// Literal text. After a `Level` or `Logger`, extra spaces before it
    /// are that field's padding (`%(levelname)-8s`) and skipped.
    Lit(&'static [u8]),
    /// Zero or more spaces: the padding of a right-aligned field.
    Pad,
    /// A thread name in parentheses, which may hold spaces and parentheses
    /// of its own (`(Thread-2 (worker))`).
    Thread,
    /// A function name (`connect`, `<module>`), skipped.
    Func,
    /// Decimal digits (a line number), skipped.
    Digits,
    /// The steps inside, or nothing if they do not all match.
    Opt(&'static [Tok]),
    /// The first of these step sequences that matches whole.
    Alt(&'static [&'static [Tok]]),
    /// The rest of the line.
    Message,
}

/// Runs a token program over `line`. `None` unless every token matches.
pub(super) fn run(program: &[Tok], line: &[u8]) -> Option<Raw> {
    let mut raw = Raw::default();
    let mut pos = 0;
    let mut padded = false;
    if steps(program, line, &mut pos, &mut padded, &mut raw) {
        Some(raw)
    } else {
        None
    }
}

/// Matches `program` from `*pos`, filling `raw`; `padded` says whether the
/// last field may be followed by padding spaces.
fn steps(program: &[Tok], line: &[u8], pos: &mut usize, padded: &mut bool, raw: &mut Raw) -> bool {
    for tok in program {
        let start = *pos;
        let rest = &line[start..];
        let was_padded = std::mem::replace(padded, false);
        match *tok {
            Tok::Time => match time_len(rest) {
                Some(n) => {
                    raw.time = Some((start, start + n));
                    *pos += n;
                }
                None => return false,
            },
            Tok::Level => {
                let n = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
                match Level::parse(&rest[..n]) {
                    Some(level) => {
                        raw.level = Some(level);
                        raw.level_span = Some((start, start + n));
                    }
                    None => return false,
                }
                *pos += n;
                *padded = true;
            }
            // A level word where a logger goes means the fields are not
            // where this layout puts them (`T - DEBUG - INFO - x` is
            // `T - LEVEL - message`, not a logger named DEBUG).
            Tok::Logger => match logger_len(rest) {
                0 => return false,
                n if Level::parse(&rest[..n]).is_some() => return false,
                n => {
                    raw.logger = Some((start, start + n));
                    *pos += n;
                    *padded = true;
                }
            },
            Tok::Lit(text) => {
                let mut at = 0;
                if was_padded {
                    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
                    let needed = text.iter().take_while(|&&b| b == b' ').count();
                    at = spaces.saturating_sub(needed);
                }
                // A byte loop: these literals are a few bytes, shorter than
                // the call to memcmp that `starts_with` makes.
                let here = &rest[at..];
                if here.len() < text.len() || here.iter().zip(text).any(|(a, b)| a != b) {
                    return false;
                }
                *pos += at + text.len();
            }
            Tok::Pad => *pos += rest.iter().take_while(|&&b| b == b' ').count(),
            Tok::Thread => match thread_len(rest) {
                Some(n) => *pos += n,
                None => return false,
            },
            Tok::Func => {
                let n = rest
                    .iter()
                    .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'<' | b'>'))
                    .count();
                if n == 0 {
                    return false;
                }
                *pos += n;
            }
            Tok::Digits => {
                let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 {
                    return false;
                }
                *pos += n;
            }
            Tok::Opt(inner) => {
                let saved = *raw;
                *padded = was_padded;
                if !steps(inner, line, pos, padded, raw) {
                    (*pos, *padded, *raw) = (start, was_padded, saved);
                }
            }
            Tok::Alt(choices) => {
                let saved = *raw;
                let chosen = choices.iter().any(|inner| {
                    (*pos, *padded, *raw) = (start, was_padded, saved);
                    steps(inner, line, pos, padded, raw)
                });
                if !chosen {
                    return false;
                }
            }
            Tok::Message => {
                raw.message = (start, line.len());
                *pos = line.len();
            }
        }
    }
    true
}

/// Length of the Python logger name at the start of `s`: identifiers
/// (`[A-Za-z_][A-Za-z0-9_]*`) joined by dots, so `__main__`, `root`,
/// `telegram.ext.Application`. A dot not followed by an identifier is not
/// part of it. 0 if `s` does not start with one.
pub(super) fn logger_len(s: &[u8]) -> usize {
    // One pass over the name's bytes: `start` is where the current
    // identifier began; a dot ends it, and must be followed by another.
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        match NAME_BYTES[usize::from(b)] {
            IDENT_START => {}
            IDENT if i > start => {}
            DOT if i > start => start = i + 1,
            _ => {
                return if i > start {
                    i
                } else {
                    start.saturating_sub(1)
                }
            }
        }
    }
    if s.len() > start {
        s.len()
    } else {
        start.saturating_sub(1)
    }
}

const OTHER: u8 = 0;
const IDENT_START: u8 = 1;
const IDENT: u8 = 2;
const DOT: u8 = 3;

/// The class of each byte in a logger name: a table, because the name is
/// scanned on every line of a layout with loggers.
static NAME_BYTES: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() || c == b'_' {
            IDENT_START
        } else if c.is_ascii_digit() {
            IDENT
        } else if c == b'.' {
            DOT
        } else {
            OTHER
        };
        b += 1;
    }
    table
};

/// Whether all of `s` is a Python logger name.
pub(super) fn is_logger(s: &[u8]) -> bool {
    !s.is_empty() && logger_len(s) == s.len()
}

/// Length of a parenthesized thread name at the start of `s`, nested
/// parentheses included; `None` if they do not close.
fn thread_len(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'(') {
        return None;
    }
    let mut depth = 0usize;
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Date shapes, tried in order: `d` a digit, `M` a month abbreviation
/// (`Jan`..`Dec`), anything else itself. Longer shapes first where one is
/// the start of another. With each, the order of its fields (`y`ear,
/// `m`onth, `d`ay), for [`super::clock`].
pub(super) const DATES: [(&[u8], &[u8]); 10] = [
    (b"dddd-dd-dd", b"ymd"),
    (b"dddd/dd/dd", b"ymd"),
    // rich's `%x`, the C locale's date: month first.
    (b"dd/dd/dddd", b"mdy"),
    (b"dd/dd/dd", b"mdy"),
    (b"dd.dd.dddd", b"dmy"),
    (b"dd.dd.dd", b"dmy"),
    (b"dd-M-dddd", b"dmy"),
    (b"dd-M-dd", b"dmy"),
    (b"dd-dd-dddd", b"dmy"),
    // `%m-%d`, the logging cookbook's date.
    (b"dd-dd", b"md"),
];

pub(super) const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Matches one date shape at the start of `s`; its length.
pub(super) fn shape_len(s: &[u8], shape: &[u8]) -> Option<usize> {
    let mut i = 0;
    for &c in shape {
        match c {
            b'd' => {
                if !s.get(i)?.is_ascii_digit() {
                    return None;
                }
                i += 1;
            }
            b'M' => {
                let month = s.get(i..i + 3)?;
                if !MONTHS.iter().any(|m| m[..] == *month) {
                    return None;
                }
                i += 3;
            }
            _ => {
                if *s.get(i)? != c {
                    return None;
                }
                i += 1;
            }
        }
    }
    Some(i)
}

#[inline]
pub(super) fn digits_at(s: &[u8], at: usize, n: usize) -> bool {
    s.get(at..at + n)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// Length of the timestamp at the start of `s`, or `None`. The shapes
/// Python bots print: a date (`2024-05-01`, `2024/05/01`, `05/01/24`,
/// `01.05.2024`, `01-May-24`, `05-01`, ...) then `T`, a space or `, ` and
/// `HH:MM[:SS]`, or the clock alone; then an optional fraction after the
/// seconds (`,123`, `.123456`, at most 9 digits taken), ` AM`/` PM`, and a
/// zone (`Z`, `+03:00`, `+0300`, ` +0300`).
/// [`TIME_PATTERN`] is the same set as a regex.
pub(super) fn time_len(s: &[u8]) -> Option<usize> {
    let first = *s.first()?;
    if !first.is_ascii_digit() {
        return None;
    }
    let mut i = 0;
    // `YYYY-MM-DD`, by far the most common date, without the shape table.
    let iso = s.len() > 10
        && digits_at(s, 0, 4)
        && s[4] == b'-'
        && digits_at(s, 5, 2)
        && s[7] == b'-'
        && digits_at(s, 8, 2);
    let date = if iso {
        Some(10)
    } else {
        DATES.iter().find_map(|(d, _)| shape_len(s, d))
    };
    if let Some(n) = date {
        i = n;
        i += match s.get(i..i + 2) {
            Some(b", ") => 2,
            Some([b'T' | b' ', _]) => 1,
            _ => return None,
        };
    }
    if !(digits_at(s, i, 2) && s.get(i + 2) == Some(&b':') && digits_at(s, i + 3, 2)) {
        return None;
    }
    i += 5;
    if s.get(i) == Some(&b':') && digits_at(s, i + 1, 2) {
        i += 3;
        if matches!(s.get(i), Some(b'.' | b',')) {
            let n = s[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if n > 0 {
                i += 1 + n.min(9);
            }
        }
    }
    if let Some([b' ', a, m]) = s.get(i..i + 3) {
        if matches!(a, b'A' | b'P' | b'a' | b'p') && matches!(m, b'M' | b'm') {
            i += 3;
        }
    }
    i += zone_len(&s[i..]);
    Some(i)
}

/// Length of a zone right after the clock: `Z`, `+03:00`, `+0300`, `+03`,
/// or ` +0300` (strftime's ` %z`).
fn zone_len(s: &[u8]) -> usize {
    match s.first() {
        Some(b'Z') => 1,
        Some(b'+' | b'-') if digits_at(s, 1, 2) => {
            if s.get(3) == Some(&b':') && digits_at(s, 4, 2) {
                6
            } else if digits_at(s, 3, 2) {
                5
            } else {
                3
            }
        }
        Some(b' ') if matches!(s.get(1), Some(b'+' | b'-')) && digits_at(s, 2, 4) => 6,
        _ => 0,
    }
}

/// The timestamps [`time_len`] reads, as a regex (for layouts declared as
/// a Python format string, whose `%(asctime)s` can be any of them).
pub(super) const TIME_PATTERN: &str = concat!(
    r"(?:(?:\d{4}-\d\d-\d\d|\d{4}/\d\d/\d\d|\d\d/\d\d/\d{4}|\d\d/\d\d/\d\d|\d\d\.\d\d\.\d{4}",
    r"|\d\d\.\d\d\.\d\d|\d\d-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(?:\d{4}|\d\d)",
    r"|\d\d-\d\d-\d{4}|\d\d-\d\d)(?:T| |, ))?\d\d:\d\d(?::\d\d(?:[.,]\d{1,9})?)?(?: [AaPp][Mm])?",
    r"(?:Z|[+-]\d\d(?::?\d\d)?| [+-]\d{4})?",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_every_shape() {
        for (text, len) in [
            ("2024-05-01 12:00:00,123 - x", 23),
            ("2024-05-01 12:00:00.123456 | x", 26),
            ("2024-05-01T12:00:00Z x", 20),
            ("2024-05-01T12:00:00.5+03:00 x", 27),
            ("2024-05-01 12:00:00 +0300 - x", 25),
            ("2024-05-01, 12:00:00] x", 20),
            ("2024/05/01 12:00:00 x", 19),
            ("05/01/24 12:00:00] x", 17),
            ("05/01/2024 01:02:03 PM x", 22),
            ("01.05.2024 12:00:00 x", 19),
            ("01-May-24 12:00:00 - x", 18),
            ("01-May-2024 12:00:00 - x", 20),
            ("12:00:00,123 x", 12),
            ("12:00:00", 8),
            ("05-01 12:00 aiogram", 11),
            ("12:00 x", 5),
            ("12:00:00,1234567890 x", 18),
        ] {
            assert_eq!(time_len(text.as_bytes()), Some(len), "{text}");
        }
    }

    #[test]
    fn not_times() {
        for text in [
            "",
            "2024-05-01",
            "2024-05-01 x",
            "12:0",
            "1:00:00",
            "01-Mai-24 12:00:00",
            "x 12:00:00",
            "2024-05-0112:00:00",
        ] {
            assert_eq!(time_len(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn the_regex_reads_what_the_scanner_reads() {
        let regex = regex::bytes::Regex::new(&format!("^{TIME_PATTERN}")).expect("time pattern");
        for text in [
            "2024-05-01 12:00:00,123 - x",
            "2024-05-01T12:00:00.5+03:00 x",
            "2024-05-01 12:00:00 +0300 - x",
            "2024-05-01, 12:00:00] x",
            "05/01/2024 01:02:03 PM x",
            "01-May-24 12:00:00 - x",
            "12:00:00,123 x",
            "05-01 12:00 aiogram",
            "12:00, x",
            "2024-05-01 12:00:00+03 x",
            "2024-05-01 12:00:00,1234567890 x",
        ] {
            let by_regex = regex.find(text.as_bytes()).map(|m| m.end());
            assert_eq!(by_regex, time_len(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn logger_names() {
        for (text, len) in [
            ("pyrogram.session.session - x", 24),
            ("__main__: x", 8),
            ("root", 4),
            ("a.b.: x", 3),
            ("urllib3.connectionpool:x", 22),
            ("9lives", 0),
            (".hidden", 0),
            ("", 0),
        ] {
            assert_eq!(logger_len(text.as_bytes()), len, "{text}");
        }
        assert!(is_logger(b"telegram.ext.Application"));
        assert!(!is_logger(b"my-bot"));
        assert!(!is_logger(b"a..b"));
        assert!(!is_logger(b"a."));
    }

    #[test]
    fn padded_fields_and_optional_steps() {
        let program = [
            Tok::Opt(&[Tok::Lit(b"["), Tok::Time, Tok::Lit(b"]"), Tok::Pad]),
            Tok::Lit(b"["),
            Tok::Pad,
            Tok::Level,
            Tok::Lit(b"] "),
            Tok::Message,
        ];
        let raw = run(&program, b"[2024-05-01 12:00:00] [ INFO   ] hi").expect("matches");
        assert_eq!(raw.time, Some((1, 20)));
        assert_eq!(raw.level, Some(Level::Info));
        assert_eq!(raw.message, (33, 35));
        let raw = run(&program, b"[WARN] x").expect("matches without the time");
        assert_eq!(
            (raw.time, raw.level, raw.message),
            (None, Some(Level::Warning), (7, 8))
        );
        assert_eq!(run(&program, b"[NOTICE] x"), None);
        assert_eq!(run(&program, b"[2024-05-01 12:00:00] hi"), None);
    }
}
