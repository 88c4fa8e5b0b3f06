//! The readers of stdlib-format presets that a token program cannot say:
//! `time-level` (an optional logger after the level, a source file at the
//! end) and uvicorn's padded level prefix.

use super::level::Level;
use super::scan::{Raw, Tok};

use Tok::{Level as Lvl, Lit, Message, Time};

/// `%(asctime)s - %(levelname)s - %(message)s` and its other separators.
const TIME_LEVEL: &[Tok] = &[
    Time,
    Tok::Alt(&[
        &[Lit(b" - "), Lvl, Lit(b" - ")],
        &[Lit(b" | "), Lvl, Lit(b" | ")],
        &[Lit(b" ["), Lvl, Lit(b"] ")],
        &[Lit(b" "), Lvl, Lit(b" ")],
    ]),
    Message,
];

/// uvicorn's `LEVEL:` padded to 9 columns, then the message: exactly the
/// padding its formatter writes, so `Error: x` printed by anyone else is
/// no uvicorn line.
pub(super) fn uvicorn(line: &[u8]) -> Option<Raw> {
    let n = line.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let level = Level::parse(&line[..n])?;
    if line.get(n) != Some(&b':') {
        return None;
    }
    let start = n + 1 + 8usize.saturating_sub(n) + 1;
    let padding = line.get(n + 1..start)?;
    if !padding.iter().all(|&b| b == b' ') {
        return None;
    }
    Some(Raw {
        level: Some(level),
        level_span: Some((0, n)),
        message: (start, line.len()),
        ..Raw::default()
    })
}

/// A `time-level` line; a ` [file.py:123]` at its end (a format ending in
/// `[%(filename)s:%(lineno)d]`) is not part of the message, so a rule
/// anchored on the message's end holds. One preset for both, so that which
/// one read the previous line cannot change how the next is read.
///
/// A dotted name right after the level, ended by a separator, is the
/// logger (`%(asctime)s %(levelname)s %(name)s %(message)s` and its kin).
pub(super) fn time_level(line: &[u8]) -> Option<Raw> {
    let mut raw = super::scan::run(TIME_LEVEL, line)?;
    if let Some((from, to, after)) = super::loose::logger_at(line, raw.message.0) {
        let start = after + super::loose::separators(&line[after..]);
        if start < raw.message.1 && ends_name_as_level(line, &raw, after) {
            raw.logger = Some((from, to));
            raw.message.0 = start;
        }
    }
    if let Some(end) = without_source_file(&line[raw.message.0..raw.message.1]) {
        raw.message.1 = raw.message.0 + end;
    }
    Some(raw)
}

/// Whether the text after a name at the message's start (at `after`) is
/// the column separator the level ended with: ` - ` after ` - LEVEL - `,
/// ` | ` after ` | LEVEL | `, a space or `: ` after a plain `LEVEL ` or
/// `[LEVEL] `. So `- DEBUG - connect_tcp.started host=...` (httpcore's
/// message) keeps its first word.
fn ends_name_as_level(line: &[u8], raw: &Raw, after: usize) -> bool {
    let Some((_, level_end)) = raw.level_span else {
        return false;
    };
    let rest = &line[after..];
    match &line[level_end..raw.message.0] {
        b" - " => rest.starts_with(b" - "),
        b" | " => rest.starts_with(b" | "),
        _ => rest.starts_with(b" ") || rest.starts_with(b": "),
    }
}

/// Where `message` ends without a trailing ` [file.py:123]`, if it has one.
fn without_source_file(message: &[u8]) -> Option<usize> {
    let message = message.strip_suffix(b"\r").unwrap_or(message);
    let inner = message.strip_suffix(b"]")?;
    let open = inner.iter().rposition(|&b| b == b'[')?;
    let path = &inner[open + 1..];
    let (file, _) = path.split_at(path.iter().rposition(|&b| b == b':')?);
    if open == 0 || inner[open - 1] != b' ' || !file.ends_with(b".py") || !is_path_column(path) {
        return None;
    }
    Some(
        inner[..open]
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(0, |i| i + 1),
    )
}

/// `file.py:123`: rich's path column.
pub(super) fn is_path_column(s: &[u8]) -> bool {
    let Some(colon) = s.iter().rposition(|&b| b == b':') else {
        return false;
    };
    colon > 0 && colon + 1 < s.len() && s[colon + 1..].iter().all(u8::is_ascii_digit)
}
