//! JSON lines: a hand-written scanner that checks the whole line is one
//! JSON object (strings, escapes, numbers, nesting) and notes where the
//! top-level string values of the keys the layout reads are. Values without
//! escapes are borrowed from the line; only escaped ones are decoded, into
//! the caller's scratch buffer. Faster than building a `serde_json` value
//! per line, and it allocates nothing once the buffer has grown.

/// Field slots, in [`scan`]'s result.
pub(super) const TIME: usize = 0;
pub(super) const LEVEL: usize = 1;
pub(super) const LOGGER: usize = 2;
pub(super) const MESSAGE: usize = 3;

/// Containers nested deeper than this make the line no JSON layout (the
/// open containers are a bit stack in a `u128`).
const MAX_DEPTH: usize = 127;

/// A top-level string value for one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Found {
    /// The bytes between the quotes.
    pub span: (usize, usize),
    /// Whether they hold backslash escapes (and must be decoded).
    pub escaped: bool,
    /// The key's rank among the field's keys: lower wins.
    rank: u8,
}

/// The field a top-level key feeds and its rank, most common key first.
fn key_field(key: &[u8]) -> Option<(usize, u8)> {
    Some(match key {
        b"message" => (MESSAGE, 0),
        b"msg" => (MESSAGE, 1),
        b"event" => (MESSAGE, 2),
        // `journalctl -o json`
        b"MESSAGE" => (MESSAGE, 3),
        b"logger" => (LOGGER, 0),
        b"name" => (LOGGER, 1),
        b"logger_name" => (LOGGER, 2),
        b"level" => (LEVEL, 0),
        b"levelname" => (LEVEL, 1),
        b"severity" => (LEVEL, 2),
        b"time" => (TIME, 0),
        b"timestamp" => (TIME, 1),
        b"asctime" => (TIME, 2),
        b"@timestamp" => (TIME, 3),
        _ => return None,
    })
}

/// Reads `s` as one JSON object (whitespace around it allowed) and returns
/// the string values of the keys it knows, by field; `None` if `s` is not
/// exactly one valid JSON object.
pub(super) fn scan(s: &[u8]) -> Option<[Option<Found>; 4]> {
    let mut found = [None; 4];
    let mut i = skip_ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    // Bit d set: the container at depth d is an array (depth 0: the line's
    // object).
    let mut arrays: u128 = 0;
    let mut depth = 0usize;
    let mut first = true;
    loop {
        i = skip_ws(s, i);
        let in_array = (arrays >> depth) & 1 == 1;
        let close = if in_array { b']' } else { b'}' };
        let empty = first && s.get(i) == Some(&close);
        first = false;
        if !empty {
            let mut field = None;
            if !in_array {
                let (key, _, next) = string(s, i)?;
                i = skip_ws(s, next);
                if s.get(i) != Some(&b':') {
                    return None;
                }
                i = skip_ws(s, i + 1);
                if depth == 0 {
                    field = key_field(&s[key.0..key.1]);
                }
            }
            match *s.get(i)? {
                b'"' => {
                    let (span, escaped, next) = string(s, i)?;
                    if let Some((slot, rank)) = field {
                        if found[slot].is_none_or(|old: Found| rank < old.rank) {
                            found[slot] = Some(Found {
                                span,
                                escaped,
                                rank,
                            });
                        }
                    }
                    i = next;
                }
                open @ (b'{' | b'[') => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                    if open == b'[' {
                        arrays |= 1 << depth;
                    } else {
                        arrays &= !(1 << depth);
                    }
                    i += 1;
                    first = true;
                    continue;
                }
                _ => i = scalar(s, i)?,
            }
        }
        // After a member: a comma and the next member, or the container's
        // close (and then the same question for the one around it).
        loop {
            i = skip_ws(s, i);
            let close = if (arrays >> depth) & 1 == 1 {
                b']'
            } else {
                b'}'
            };
            match s.get(i) {
                Some(b',') => {
                    i += 1;
                    break;
                }
                Some(&c) if c == close => {
                    i += 1;
                    if depth == 0 {
                        return (skip_ws(s, i) == s.len()).then_some(found);
                    }
                    depth -= 1;
                }
                _ => return None,
            }
        }
    }
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The string starting at `s[i] == '"'`: the span between its quotes,
/// whether it has escapes, and the index after its closing quote.
// A fold with `|`, not `||`: it vectorizes, and strings are short.
#[allow(clippy::needless_bitwise_bool, clippy::unnecessary_fold)]
fn string(s: &[u8], i: usize) -> Option<((usize, usize), bool, usize)> {
    if s.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let mut j = start;
    let mut escaped = false;
    loop {
        // Jump to the next quote or backslash; the bytes passed over must
        // hold no control character, which JSON strings may not contain (a
        // fold, not a short-circuit, so that it vectorizes).
        let skip = memchr::memchr2(b'"', b'\\', s.get(j..)?)?;
        if s[j..j + skip]
            .iter()
            .fold(false, |bad, &b| bad | (b < 0x20))
        {
            return None;
        }
        j += skip;
        match s[j] {
            b'"' => return Some(((start, j), escaped, j + 1)),
            b'\\' => {
                escaped = true;
                match *s.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                    b'u' if hex4(s, j + 2).is_some() => j += 6,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

/// The four hex digits at `s[i..i + 4]`.
fn hex4(s: &[u8], i: usize) -> Option<u32> {
    let digits = s.get(i..i + 4)?;
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some(acc << 4 | d)
    })
}

/// A number, `true`, `false` or `null` at `s[i]`; the index after it.
fn scalar(s: &[u8], i: usize) -> Option<usize> {
    for word in [&b"true"[..], b"false", b"null"] {
        if s[i..].starts_with(word) {
            return Some(i + word.len());
        }
    }
    let digits = |mut j: usize| {
        let from = j;
        while s.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        (j > from).then_some(j)
    };
    let mut j = i;
    if s.get(j) == Some(&b'-') {
        j += 1;
    }
    j = if s.get(j) == Some(&b'0') {
        j + 1
    } else {
        digits(j)?
    };
    if s.get(j) == Some(&b'.') {
        j = digits(j + 1)?;
    }
    if matches!(s.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        j = digits(j)?;
    }
    Some(j)
}

/// Decodes the escapes of a string's bytes (as [`scan`] found them) onto
/// `out`. A lone UTF-16 surrogate becomes U+FFFD.
pub(super) fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let Some(offset) = raw[i..].iter().position(|&b| b == b'\\') else {
            out.extend_from_slice(&raw[i..]);
            return;
        };
        out.extend_from_slice(&raw[i..i + offset]);
        i += offset;
        let simple = match raw.get(i + 1) {
            Some(b'n') => b'\n',
            Some(b't') => b'\t',
            Some(b'r') => b'\r',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'u') => {
                i = unicode_escape(raw, i, out);
                continue;
            }
            Some(&other) => other,
            None => return,
        };
        out.push(simple);
        i += 2;
    }
}

/// Decodes the `\uXXXX` at `raw[i]` (a surrogate pair takes two); the
/// index after it.
fn unicode_escape(raw: &[u8], i: usize, out: &mut Vec<u8>) -> usize {
    let Some(unit) = hex4(raw, i + 2) else {
        return raw.len();
    };
    let mut next = i + 6;
    let c = if (0xd800..0xdc00).contains(&unit) {
        let low = (raw.get(next..next + 2) == Some(b"\\u"))
            .then(|| hex4(raw, next + 2))
            .flatten()
            .filter(|low| (0xdc00..0xe000).contains(low));
        match low {
            Some(low) => {
                next += 6;
                char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
            }
            None => None,
        }
    } else {
        char::from_u32(unit)
    };
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.unwrap_or('\u{fffd}').encode_utf8(&mut buf).as_bytes());
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: &str) -> Option<String> {
        let found = scan(line.as_bytes())?;
        let m = found[MESSAGE]?;
        let mut out = Vec::new();
        unescape(&line.as_bytes()[m.span.0..m.span.1], &mut out);
        Some(String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn valid_objects() {
        assert_eq!(message(r#"{"message": "hi"}"#).as_deref(), Some("hi"));
        // journalctl -o json
        assert_eq!(
            message(r#"{"PRIORITY": "4", "MESSAGE": "hi", "SYSLOG_IDENTIFIER": "python3"}"#)
                .as_deref(),
            Some("hi")
        );
        assert_eq!(
            message(r#" {"a": [1, -2.5e+3, {"message": "inner"}, [], {}], "b": null, "msg": "x", "message": "y"} "#)
                .as_deref(),
            Some("y")
        );
        assert_eq!(
            message(r#"{"event": "a\"b\\c\/d\n\t\u00e9\ud83d\ude80"}"#).as_deref(),
            Some("a\"b\\c/d\n\té🚀")
        );
        assert_eq!(
            message(r#"{"msg": "lone \ud800 surrogate"}"#).as_deref(),
            Some("lone \u{fffd} surrogate")
        );
        assert_eq!(
            message(r#"{"msg": "x", "message": 3}"#).as_deref(),
            Some("x")
        );
        assert_eq!(message(r#"{"other": "x"}"#), None);
    }

    #[test]
    fn invalid_objects() {
        for line in [
            "",
            "{",
            "{}x",
            r#"{"message": "x",}"#,
            r#"{"message": "x" "y": 1}"#,
            r#"{"message": "unterminated}"#,
            r#"{"message": "bad \x escape"}"#,
            r#"{"message": "bad \u12 escape"}"#,
            r#"{"a": [1, 2}"#,
            r#"{"a": {"b": 1]}"#,
            r#"{"a": 01}"#,
            r#"{"a": -}"#,
            r#"{"a": 1.}"#,
            r#"{"a": tru}"#,
            r#"{"a": [,1]}"#,
            r"{'message': 'python repr'}",
            "[1, 2]",
            "{\"message\": \"raw\ttab\"}",
        ] {
            assert_eq!(scan(line.as_bytes()), None, "{line}");
        }
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(scan(deep.as_bytes()), None);
        let fine = format!(
            "{{\"a\": {}1{}, \"msg\": \"m\"}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(scan(fine.as_bytes()).is_some());
    }
}
