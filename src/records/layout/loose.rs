//! The last reading `auto` tries before calling a line a bare message: a
//! layout no preset knows (`TIME LEVEL logger message` with other
//! separators, a custom format with the logger before the level, a
//! collector's own columns), read loosely. Only what can be told for sure
//! is taken: an upper-case level word near the start after something that
//! looks like a timestamp or columns, the message after it, and a logger
//! only when a dotted Python name stands right after the level or before
//! it. The stream never locks on this reading (see `LayoutRecognizer`).

use super::level::Level;
use super::scan::Raw;

/// How far into the line the level word may start: past that it is part
/// of a message.
const LEVEL_WITHIN: usize = 100;

/// Reads `line` loosely; `None` when no level word stands where a layout
/// would put one.
pub(super) fn loose(line: &[u8]) -> Option<Raw> {
    let (level, start, end) = level_word(line)?;
    let prefix = &line[..start];
    // Columns before the level hold a time, a pid, a thread or a dotted
    // name; prose does not. A digit in them is the cheap sign of columns;
    // one column alone (a thread name) is one too.
    // A line may also start with its level, bare or as `[LEVEL]`.
    let level_first = prefix.is_empty() || prefix == b"[";
    if !level_first && !prefix.iter().any(u8::is_ascii_digit) && !one_column(prefix) {
        return None;
    }
    // A line that starts with its level and a colon is `LEVEL:name:message`
    // with a name that is no dotted name (`INFO:my-bot:hello`), or prose.
    if prefix.is_empty() && line.get(end) == Some(&b':') {
        return None;
    }
    if prefix == b"[" && line.get(end) != Some(&b']') {
        return None;
    }
    let mut at = end + separators(&line[end..]);
    // `LEVEL TIME ...`: the time column after the level.
    if level_first {
        if let Some(n) = super::scan::time_len(&line[at..]) {
            at += n + separators(&line[at + n..]);
        }
    }
    let mut logger = None;
    if let Some((from, to, after)) = logger_at(line, at) {
        logger = Some((from, to));
        at = after + separators(&line[after..]);
    } else {
        logger = last_logger_in(prefix).or(logger);
    }
    if at >= line.len() {
        return None;
    }
    Some(Raw {
        level: Some(level),
        level_span: Some((start, end)),
        logger,
        message: (at, line.len()),
        ..Raw::default()
    })
}

/// The first upper-case level word within [`LEVEL_WITHIN`] bytes, standing
/// alone (no letter, digit or `_` touching it): (level, start, end).
fn level_word(line: &[u8]) -> Option<(Level, usize, usize)> {
    let limit = line.len().min(LEVEL_WITHIN);
    let mut i = 0;
    while i < limit {
        if !line[i].is_ascii_uppercase() || (i > 0 && is_word(line[i - 1])) {
            i += 1;
            continue;
        }
        let n = line[i..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase())
            .count();
        let end = i + n;
        if line.get(end).is_none_or(|&b| !is_word(b)) {
            if let Some(level) = Level::parse(&line[i..end]) {
                return Some((level, i, end));
            }
        }
        i = end;
    }
    None
}

/// A single column of up to 40 bytes and its separator (`MainThread `,
/// `Thread-2`, a host name): what is left of a line whose time a
/// collector's prefix took. A plain word (`the`, `Then`) is prose.
fn one_column(prefix: &[u8]) -> bool {
    let text = prefix.trim_ascii_end();
    let name_like = text.iter().skip(1).any(u8::is_ascii_uppercase)
        || text.iter().any(|b| matches!(b, b'_' | b'-' | b'.'));
    name_like
        && text.iter().any(u8::is_ascii_alphanumeric)
        && text.len() <= 40
        && !text.iter().any(u8::is_ascii_whitespace)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The separators between columns: spaces, `:`, `-`, `|`, `@`, `]`, `)`,
/// `>`, `,` and `;`, but not the `[` that opens a bracketed logger.
pub(super) fn separators(s: &[u8]) -> usize {
    s.iter()
        .take_while(|&&b| {
            matches!(
                b,
                b' ' | b'\t' | b':' | b'-' | b'|' | b'@' | b']' | b')' | b'>' | b',' | b';'
            )
        })
        .count()
}

/// A dotted Python name at `at` (inside `[...]` or not), with a `:123` line
/// number or a `(1234)` pid after it: (start, end, where the column ends).
pub(super) fn logger_at(line: &[u8], at: usize) -> Option<(usize, usize, usize)> {
    let bracket = line.get(at) == Some(&b'[');
    let from = at + usize::from(bracket);
    let len = dotted_len(&line[from..])?;
    let to = from + len;
    let mut after = to;
    // `name:123` or `name(123)` : a line number or pid column.
    if line.get(after) == Some(&b':') {
        let digits = line[after + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 {
            after += 1 + digits;
        }
    }
    if line.get(after) == Some(&b'(') {
        let digits = line[after + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || line.get(after + 1 + digits) != Some(&b')') {
            return None;
        }
        after += digits + 2;
    }
    if bracket {
        if line.get(after) != Some(&b']') {
            return None;
        }
        after += 1;
    }
    // The name is a column only if a separator ends it: `telethon.client
    // said` is the start of a message.
    matches!(
        line.get(after),
        Some(b' ' | b'\t' | b':' | b'-' | b'|' | b']' | b',' | b';')
    )
    .then_some((from, to, after))
}

/// The last dotted Python name among the columns before the level (not a
/// file name such as `session.py`).
fn last_logger_in(prefix: &[u8]) -> Option<(usize, usize)> {
    let mut found = None;
    let mut i = 0;
    while i < prefix.len() {
        let starts_name = (prefix[i].is_ascii_alphabetic() || prefix[i] == b'_')
            && (i == 0 || !(is_word(prefix[i - 1]) || prefix[i - 1] == b'.'));
        if starts_name {
            if let Some(len) = dotted_len(&prefix[i..]) {
                found = Some((i, i + len));
                i += len;
                continue;
            }
        }
        i += 1;
    }
    // A name glued to digits and a dot (`8615874045014.network.x`: Telethon
    // with a session named by its phone number as the base logger) is no
    // name read here: its tail is the library's, its head no rule names.
    found
}

/// The length of a dotted Python name (at least one dot, identifiers that
/// start with a letter or `_`) at the start of `s`, not a file name
/// (`.py`, `.js`); `None` if there is none.
fn dotted_len(s: &[u8]) -> Option<usize> {
    let first = *s.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = s.iter().take_while(|&&b| is_word(b) || b == b'.').count();
    let name = &s[..len];
    let name = name.strip_suffix(b".").unwrap_or(name);
    let dotted = name.contains(&b'.')
        && !name.windows(2).any(|w| w == b"..")
        && name.split(|&b| b == b'.').all(|part| {
            part.first()
                .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        });
    let file = [&b".py"[..], b".js", b".go", b".rs", b".log"]
        .iter()
        .any(|ext| name.ends_with(ext));
    (dotted && !file && len == name.len()).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Option<(Level, Option<String>, String)> {
        let raw = loose(line.as_bytes())?;
        let text = |(a, b): (usize, usize)| line[a..b].to_string();
        Some((raw.level?, raw.logger.map(text), text(raw.message)))
    }

    const M: &str = "Server closed the connection: 0 bytes read";
    const L: &str = "telethon.network.mtprotosender";

    #[test]
    fn layouts_no_preset_knows_are_read() {
        let cases = [
            format!("2024-01-01 12:00:00,123 WARNING {L} {M}"),
            format!("2024-01-01 12:00:00 - {L}:520 - WARNING - {M}"),
            format!("WARNING [{L}] {M}"),
            format!("2024-01-01T12:00:00.123Z WARNING {L} - {M}"),
            format!("[12:00:00] WARNING {L}: {M}"),
            format!("12:00:00 WARNING:{L}:{M}"),
            format!("2024-01-01 12:00:00 WARNING     {L}        {M}"),
            format!("[2024-01-01 12:00:00] [1234] [WARNING] [{L}] {M}"),
            format!("[WARNING] 2024-01-01 12:00:00 {L}: {M}"),
            format!("WARNING - 2024-01-01 12:00:00,123 - {L} - {M}"),
            format!("MainThread WARNING {L}: {M}"),
        ];
        for line in &cases {
            assert_eq!(
                read(line),
                Some((Level::Warning, Some(L.to_string()), M.to_string())),
                "{line}"
            );
        }
    }

    #[test]
    fn without_a_logger_the_message_follows_the_level() {
        assert_eq!(
            read(&format!(
                "[2024-01-01 12:00:00,123] {{mtprotosender.py:520}} WARNING - {M}"
            )),
            Some((Level::Warning, None, M.to_string()))
        );
        assert_eq!(
            read("[W 240101 12:00:00 x:1] ERROR Connection lost"),
            Some((Level::Error, None, "Connection lost".to_string()))
        );
    }

    #[test]
    fn a_logger_glued_to_digits_is_not_read() {
        let line =
            format!("07 21:30:57.005[8615874045014.network.mtprotosender(15996)]-WARNING:{M}");
        assert_eq!(read(&line), Some((Level::Warning, None, M.to_string())));
    }

    #[test]
    fn prose_is_no_layout() {
        for line in [
            "Then we got ERROR from the server: Server closed the connection",
            "socket.send() raised exception.",
            "the WARNING was ignored 3 times",
            "ERRORS: 3",
            "2024-01-01 12:00:00 WARNING",
            &format!("{} ERROR late", "x1 ".repeat(40)),
        ] {
            assert_eq!(read(line), None, "{line}");
        }
    }

    #[test]
    fn only_a_dotted_name_after_the_level_is_a_logger() {
        assert_eq!(
            read("12:00:00 INFO asyncio: socket.send() raised exception."),
            Some((
                Level::Info,
                None,
                "asyncio: socket.send() raised exception.".to_string()
            ))
        );
        assert_eq!(
            read("12:00:00 INFO telethon.client: said hi"),
            Some((
                Level::Info,
                Some("telethon.client".to_string()),
                "said hi".to_string()
            ))
        );
    }
}
