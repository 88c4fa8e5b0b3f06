//! `key=value` lines: logfmt (`time=... level=warning logger=x msg="..."`)
//! and structlog's `KeyValueRenderer` (`event='...' logger='x'
//! level='warning'`). Values are bare words or quoted with `"` or `'`; the
//! message is the quoted text as written (a `\"` inside stays as it is,
//! so the line is sliced, never copied).

use super::level::Level;
use super::scan::{is_logger, Raw};

/// Reads a `key=value` line: `None` unless its first token is a key, and it
/// has a message and a level or logger among its keys.
pub(super) fn logfmt(line: &[u8]) -> Option<Raw> {
    let mut raw = Raw::default();
    let mut message = None;
    let mut at = 0;
    let mut first = true;
    while at < line.len() {
        let key_len = line[at..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@'))
            .count();
        if key_len == 0 || line.get(at + key_len) != Some(&b'=') {
            if first {
                return None;
            }
            break;
        }
        first = false;
        let key = &line[at..at + key_len];
        let (value, next) = value_at(line, at + key_len + 1)?;
        match key {
            b"msg" | b"message" | b"event" => message = message.or(Some(value)),
            b"level" | b"lvl" | b"levelname" | b"severity" => {
                if let Some(level) = Level::parse(&line[value.0..value.1]) {
                    raw.level = Some(level);
                    raw.level_span = Some(value);
                }
            }
            b"logger" | b"name" | b"logger_name" if is_logger(&line[value.0..value.1]) => {
                raw.logger = Some(value);
            }
            b"time" | b"ts" | b"timestamp" => raw.time = Some(value),
            _ => {}
        }
        at = next + line[next..].iter().take_while(|&&b| b == b' ').count();
    }
    raw.message = message?;
    (raw.level.is_some() || raw.logger.is_some()).then_some(raw)
}

/// The value at `at`: (its span without quotes, where it ends).
fn value_at(line: &[u8], at: usize) -> Option<((usize, usize), usize)> {
    match line.get(at) {
        Some(&q @ (b'"' | b'\'')) => {
            let mut i = at + 1;
            while i < line.len() {
                match line[i] {
                    b'\\' => i += 2,
                    b if b == q => return Some(((at + 1, i), i + 1)),
                    _ => i += 1,
                }
            }
            None
        }
        _ => {
            let n = line[at..].iter().take_while(|&&b| b != b' ').count();
            Some(((at, at + n), at + n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Option<(Option<Level>, Option<&str>, &str)> {
        let raw = logfmt(line.as_bytes())?;
        let text = |(a, b): (usize, usize)| &line[a..b];
        Some((raw.level, raw.logger.map(text), text(raw.message)))
    }

    #[test]
    fn logfmt_and_structlog_key_values_are_read() {
        assert_eq!(
            read(
                r#"time="2024-01-01T12:00:00Z" level=warning logger=telethon.network.mtprotosender msg="Server closed the connection: x""#
            ),
            Some((
                Some(Level::Warning),
                Some("telethon.network.mtprotosender"),
                "Server closed the connection: x"
            ))
        );
        assert_eq!(
            read("event='Connection lost' logger='pyrogram.dispatcher' level='error' timestamp='2024-01-01T12:00:00'"),
            Some((Some(Level::Error), Some("pyrogram.dispatcher"), "Connection lost"))
        );
        assert_eq!(
            read(r#"level=info msg="say \"hi\"" extra=1"#),
            Some((Some(Level::Info), None, r#"say \"hi\""#))
        );
    }

    #[test]
    fn other_lines_are_not_key_values() {
        for line in [
            "a=1 b=2",
            "msg=\"unterminated level=info",
            "Connection lost",
            "x msg=hi level=info",
            "level=info",
            "",
        ] {
            assert_eq!(read(line), None, "{line}");
        }
    }
}
