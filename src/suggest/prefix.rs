//! The prefix that logging layouts put before a message: a leading
//! timestamp, a level and a logger name, in whatever order and with
//! whatever separators the common Python layouts use.
//!
//! Understood layouts include `2025-11-20 16:32:54,123 - NAME - LEVEL - msg`
//! (`logging`'s usual format), `[20-Nov-25 16:32:54 - LEVEL] - NAME - msg`
//! (Pyrogram's), `LEVEL:NAME:msg` (`basicConfig`), loguru's
//! `2025-11-20 16:32:54.123 | LEVEL    | NAME:func:42 - msg`, ISO 8601 stamps
//! with `T` and a zone, syslog's `Nov 20 16:32:54`, and a bare `HH:MM:SS`.
//! The parse is deliberately shallow: it looks at the first few fields only,
//! never fails, and anything it does not recognise is simply message text.

/// How severe a record says it is; only the distinction "error or not"
/// matters to the suggester.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// No level word found in the prefix.
    Unknown,
    /// DEBUG, INFO, WARNING and the like.
    Routine,
    /// ERROR, CRITICAL, FATAL, EXCEPTION.
    Error,
}

/// What [`parse`] found at the start of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Prefix {
    /// Milliseconds on a continuous scale (not necessarily the Unix epoch:
    /// only differences are used), if a leading timestamp parsed.
    pub time_ms: Option<i64>,
    /// Where the leading timestamp (with its brackets and zone) ends; 0
    /// without one.
    pub time_end: usize,
    /// The level word, if any.
    pub level: Level,
    /// Byte range of the level word in the line, if one was recognised.
    pub level_span: Option<(usize, usize)>,
    /// Byte range of the logger name in the line, if one was recognised.
    pub logger: Option<(usize, usize)>,
    /// Offset of the message: everything from here is the record's text.
    pub body: usize,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parses the prefix of `line` (its bytes without the line ending).
pub(crate) fn parse(line: &[u8]) -> Prefix {
    let (time_ms, mut pos) = match timestamp(line) {
        Some((t, end)) => (Some(t), end),
        None => (None, 0),
    };
    let time_end = pos;
    let mut level = Level::Unknown;
    let mut level_span = None;
    let mut logger = None;
    let mut body = pos;
    // At most four fields: level, logger and the odd extra (a thread name,
    // a process id) before the message starts.
    for _ in 0..4 {
        if level != Level::Unknown && logger.is_some() {
            break;
        }
        let start = skip_separators(line, pos);
        let end = word_end(line, start);
        if end == start {
            break;
        }
        let word = &line[start..end];
        // "WARNING text" is a level; "Error text" is more likely a message.
        let upper_then_blank =
            word.iter().all(u8::is_ascii_uppercase) && matches!(line.get(end), Some(b' '));
        if level == Level::Unknown && (ends_field(line, end) || upper_then_blank) {
            if let Some(l) = level_of(word) {
                level = l;
                level_span = Some((start, end));
                pos = end;
                body = skip_separators(line, pos);
                continue;
            }
        }
        // A logger needs something prefix-like before it (a time or a
        // level): otherwise "Note: text" would lose its first word.
        let prefixed = time_ms.is_some() || level != Level::Unknown;
        let starts_like_name = word[0].is_ascii_alphabetic() || word[0] == b'_';
        if logger.is_none() && prefixed && starts_like_name && ends_field(line, end) {
            logger = Some((start, end));
            pos = skip_loguru_location(line, end);
            body = skip_separators(line, pos);
            continue;
        }
        break;
    }
    Prefix {
        time_ms,
        time_end,
        level,
        level_span,
        logger,
        body: body.min(line.len()),
    }
}

fn level_of(word: &[u8]) -> Option<Level> {
    const ROUTINE: [&[u8]; 8] = [
        b"DEBUG", b"INFO", b"WARNING", b"WARN", b"TRACE", b"NOTICE", b"SUCCESS", b"NOTSET",
    ];
    const ERROR: [&[u8]; 5] = [b"ERROR", b"CRITICAL", b"FATAL", b"EXCEPTION", b"ERR"];
    if ROUTINE.iter().any(|l| l.eq_ignore_ascii_case(word)) {
        Some(Level::Routine)
    } else if ERROR.iter().any(|l| l.eq_ignore_ascii_case(word)) {
        Some(Level::Error)
    } else {
        None
    }
}

/// Separators between prefix fields: blanks, `|`, `:`, `]`, and a `-`
/// standing alone. `[` is not one: a message may well start with it.
fn skip_separators(line: &[u8], mut pos: usize) -> usize {
    while let Some(&b) = line.get(pos) {
        let alone_dash = b == b'-' && matches!(line.get(pos + 1), None | Some(b' ' | b'\t'));
        if matches!(b, b' ' | b'\t' | b'|' | b':' | b']') || alone_dash {
            pos += 1;
        } else {
            break;
        }
    }
    pos
}

fn word_end(line: &[u8], mut pos: usize) -> usize {
    while let Some(&b) = line.get(pos) {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
            pos += 1;
        } else {
            break;
        }
    }
    // A trailing dot ends a sentence, not a logger name.
    while pos > 0 && line.get(pos - 1) == Some(&b'.') {
        pos -= 1;
    }
    pos
}

/// Whether the field ending at `end` is followed by a field separator
/// (or the end of the line) rather than by more message text.
fn ends_field(line: &[u8], end: usize) -> bool {
    match line.get(end) {
        None | Some(b':' | b']' | b'|' | b'\t') => true,
        Some(b' ') => {
            // "NAME - ", "NAME | " or padding ("INFO     | ").
            let rest = &line[end..];
            let non_blank = rest.iter().position(|&b| b != b' ');
            match non_blank {
                None => true,
                Some(i) => {
                    matches!(rest[i], b'|' | b']' | b':')
                        || rest[i] == b'-' && matches!(rest.get(i + 1), None | Some(b' '))
                        || i > 1 // column padding after a level
                }
            }
        }
        _ => false,
    }
}

/// loguru writes `NAME:function:line`; the location belongs to the prefix.
fn skip_loguru_location(line: &[u8], pos: usize) -> usize {
    if line.get(pos) != Some(&b':') {
        return pos;
    }
    let mut end = pos + 1;
    while line
        .get(end)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'<' | b'>' | b'.'))
    {
        end += 1;
    }
    if end == pos + 1 || line.get(end) != Some(&b':') {
        return pos;
    }
    let digits_start = end + 1;
    end = digits_start;
    while line.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    if end == digits_start || !matches!(line.get(end), None | Some(b' ')) {
        return pos;
    }
    end
}

fn digits(line: &[u8], pos: usize, n: usize) -> Option<i64> {
    let bytes = line.get(pos..pos + n)?;
    let mut v = 0i64;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(b - b'0');
    }
    Some(v)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM:SS` with an optional `.fff`/`,fff` fraction at `pos`: the
/// milliseconds into the day and the end offset.
fn clock(line: &[u8], pos: usize) -> Option<(i64, usize)> {
    let h = digits(line, pos, 2)?;
    let m = digits(line, pos + 3, 2)?;
    let s = digits(line, pos + 6, 2)?;
    if line[pos + 2] != b':' || line[pos + 5] != b':' || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut end = pos + 8;
    let mut ms = 0;
    if matches!(line.get(end), Some(b'.' | b',')) {
        let frac_start = end + 1;
        let mut i = frac_start;
        while line.get(i).is_some_and(u8::is_ascii_digit) {
            if i - frac_start < 3 {
                ms = ms * 10 + i64::from(line[i] - b'0');
            }
            i += 1;
        }
        if i == frac_start {
            return Some((((h * 60 + m) * 60 + s) * 1000, end));
        }
        for _ in (i - frac_start)..3 {
            ms *= 10;
        }
        end = i;
    }
    Some(((((h * 60 + m) * 60 + s) * 1000) + ms, end))
}

/// A leading timestamp, optionally in `[...]`: its time and end offset.
fn timestamp(line: &[u8]) -> Option<(i64, usize)> {
    let start = usize::from(line.first() == Some(&b'['));
    let (t, mut end) = iso(line, start)
        .or_else(|| dmy(line, start))
        .or_else(|| syslog(line, start))
        .or_else(|| clock(line, start))?;
    // A zone: `Z`, `+01:00`, `+0100` — skipped, not applied: only
    // differences matter and one log rarely changes its zone.
    if line.get(end) == Some(&b'Z') {
        end += 1;
    } else if matches!(line.get(end), Some(b'+' | b'-')) && digits(line, end + 1, 2).is_some() {
        end += 3;
        if line.get(end) == Some(&b':') {
            end += 1;
        }
        if digits(line, end, 2).is_some() {
            end += 2;
        }
    }
    if start == 1 && line.get(end) == Some(&b']') {
        end += 1;
    }
    Some((t, end))
}

/// `2025-11-20 16:32:54,123` or `2025-11-20T16:32:54.123`.
fn iso(line: &[u8], pos: usize) -> Option<(i64, usize)> {
    let y = digits(line, pos, 4)?;
    let mo = digits(line, pos + 5, 2)?;
    let d = digits(line, pos + 8, 2)?;
    if line[pos + 4] != b'-' || line[pos + 7] != b'-' || !(1..=12).contains(&mo) || d > 31 {
        return None;
    }
    if !matches!(line.get(pos + 10), Some(b' ' | b'T')) {
        return None;
    }
    let (ms, end) = clock(line, pos + 11)?;
    Some((days_from_civil(y, mo, d) * 86_400_000 + ms, end))
}

/// `20-Nov-25 16:32:54` or `20-Nov-2025 16:32:54`.
fn dmy(line: &[u8], pos: usize) -> Option<(i64, usize)> {
    let d = digits(line, pos, 2)?;
    if line.get(pos + 2) != Some(&b'-') || line.get(pos + 6) != Some(&b'-') {
        return None;
    }
    let mo = month(line.get(pos + 3..pos + 6)?)?;
    let (y, after) = match digits(line, pos + 7, 4) {
        Some(y) => (y, pos + 11),
        None => (2000 + digits(line, pos + 7, 2)?, pos + 9),
    };
    if line.get(after) != Some(&b' ') {
        return None;
    }
    let (ms, end) = clock(line, after + 1)?;
    Some((days_from_civil(y, mo, d) * 86_400_000 + ms, end))
}

/// syslog's `Nov 20 16:32:54` (no year: a fixed one, only differences matter).
fn syslog(line: &[u8], pos: usize) -> Option<(i64, usize)> {
    let mo = month(line.get(pos..pos + 3)?)?;
    if line.get(pos + 3) != Some(&b' ') {
        return None;
    }
    let d = digits(line, pos + 4, 2).or_else(|| {
        (line.get(pos + 4) == Some(&b' '))
            .then(|| digits(line, pos + 5, 1))
            .flatten()
    })?;
    let (ms, end) = clock(line, pos + 7)?;
    Some((days_from_civil(2000, mo, d) * 86_400_000 + ms, end))
}

fn month(name: &[u8]) -> Option<i64> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .map(|i| i as i64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> (Option<&str>, Level, &str, bool) {
        let p = parse(line.as_bytes());
        (
            p.logger.map(|(s, e)| &line[s..e]),
            p.level,
            &line[p.body..],
            p.time_ms.is_some(),
        )
    }

    #[test]
    fn common_python_layouts() {
        let msg = "socket.send() raised exception.";
        for line in [
            format!("2025-11-20 16:32:54,123 - asyncio - WARNING - {msg}"),
            format!("[20-Nov-25 16:32:54 - WARNING] - asyncio - {msg}"),
            format!("2025-11-20 16:32:54.123 | WARNING  | asyncio:handle:42 - {msg}"),
            format!("2025-11-20T16:32:54.123+01:00 WARNING asyncio: {msg}"),
        ] {
            assert_eq!(
                split(&line),
                (Some("asyncio"), Level::Routine, msg, true),
                "{line}"
            );
        }
        assert_eq!(
            split(&format!("WARNING:asyncio:{msg}")),
            (Some("asyncio"), Level::Routine, msg, false)
        );
        assert_eq!(
            split("ERROR:bot:[1] failed"),
            (Some("bot"), Level::Error, "[1] failed", false)
        );
    }

    #[test]
    fn plain_text_keeps_its_words() {
        assert_eq!(
            split("Note: hello"),
            (None, Level::Unknown, "Note: hello", false)
        );
        assert_eq!(
            split("Traceback (most recent call last):"),
            (
                None,
                Level::Unknown,
                "Traceback (most recent call last):",
                false
            )
        );
        assert_eq!(
            split("INFO:     127.0.0.1:5000 - \"GET / HTTP/1.1\" 200"),
            (
                None,
                Level::Routine,
                "127.0.0.1:5000 - \"GET / HTTP/1.1\" 200",
                false
            )
        );
    }

    #[test]
    fn times_are_comparable_across_layouts() {
        let a = parse(b"2025-11-20 16:32:54,123 - x - INFO - m")
            .time_ms
            .unwrap();
        let b = parse(b"[20-Nov-25 16:32:55 - INFO] - x - m")
            .time_ms
            .unwrap();
        assert_eq!(b - a, 877);
        assert!(parse(b"2025-13-20 16:32:54 x").time_ms.is_none());
    }

    #[test]
    fn never_panics_on_fragments() {
        for n in 0..40 {
            let line = &b"[2025-11-20 16:32:54,123] - pyrogram - ERROR - x"[..n];
            let _ = parse(line);
            let _ = parse(&[0xff, b'[', b'2', b'0']);
        }
    }
}
