//! Tokenizing and masking a message: whitespace splits it into tokens
//! (a quoted string stays one token even with blanks inside), and the
//! variable parts of each token — numbers, hex ids, UUIDs, IP:port, quoted
//! strings, durations, paths, Telegram bot tokens — are replaced by slot
//! markers, so that
//! `Retrying "a.B" in 3s` and `Retrying "c.D" in 10s` mask alike.
//!
//! The masked text of a token is its constant bytes with each slot written
//! as [`SLOT`] plus a kind byte. A token holding a control byte or invalid
//! UTF-8 becomes one [`Kind::Any`] slot, which keeps every constant text
//! valid UTF-8 for the regex built from it. Only the first [`MAX_BODY`]
//! bytes and [`MAX_TOKENS`] tokens of a message are looked at.

use std::ops::Range;

use super::redact::token_at;

/// Marker byte opening a slot in masked text (followed by a kind byte).
pub(crate) const SLOT: u8 = 0x01;
/// Longest message prefix looked at; the rest of a longer line is ignored.
pub(crate) const MAX_BODY: usize = 4096;
/// Most tokens looked at in one message.
pub(crate) const MAX_TOKENS: usize = 64;
/// Farthest a closing quote is searched for.
const MAX_QUOTED: usize = 256;

/// What a slot held; decides the regex written for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `42`, `3.14`, `2.0.106`, or digits glued to a word (`DC4`).
    Num,
    /// `0x1f`, or 8+ hex digits with a digit among them.
    Hex,
    /// `123e4567-e89b-12d3-a456-426614174000`.
    Uuid,
    /// `149.154.167.50` with an optional `:443`.
    Ip,
    /// `"..."`.
    DoubleQuoted,
    /// `'...'`.
    SingleQuoted,
    /// `250ms`, `1.5s`, `30m`.
    Duration,
    /// `/usr/lib/x.py`, `./a/b`, `~/x`.
    Path,
    /// A Telegram bot token (`123456:ABC…`), never shown (see `redact`).
    Token,
    /// A whole token that could not be kept as text, or (in a template) a
    /// token whose constant text differed between lines.
    Any,
}

impl Kind {
    /// The byte that follows [`SLOT`] in masked text.
    pub(crate) fn code(self) -> u8 {
        match self {
            Kind::Num => b'n',
            Kind::Hex => b'x',
            Kind::Uuid => b'u',
            Kind::Ip => b'i',
            Kind::DoubleQuoted => b'q',
            Kind::SingleQuoted => b's',
            Kind::Duration => b't',
            Kind::Path => b'p',
            Kind::Token => b'k',
            Kind::Any => b'a',
        }
    }

    /// The inverse of [`Kind::code`].
    pub(crate) fn from_code(code: u8) -> Kind {
        match code {
            b'n' => Kind::Num,
            b'x' => Kind::Hex,
            b'u' => Kind::Uuid,
            b'i' => Kind::Ip,
            b'q' => Kind::DoubleQuoted,
            b's' => Kind::SingleQuoted,
            b't' => Kind::Duration,
            b'p' => Kind::Path,
            b'k' => Kind::Token,
            _ => Kind::Any,
        }
    }
}

/// One token of a masked message.
#[derive(Clone, Debug, Default)]
pub(crate) struct Token {
    /// Its masked text, in [`Masked::text`].
    pub masked: Range<usize>,
    /// Its original bytes, in the message.
    pub raw: Range<usize>,
    /// Its slots, in [`Masked::slots`].
    pub slots: Range<usize>,
    /// It holds a URL (`scheme://…`): it names what a line is about (the
    /// API method of a request), so the miner keys groups on it.
    pub url: bool,
}

/// A slot's original bytes, in the message.
#[derive(Clone, Debug)]
pub(crate) struct SlotSpan {
    /// What the slot held.
    pub kind: Kind,
    /// Where, in the message.
    pub raw: Range<usize>,
}

/// Reusable buffers holding one masked message.
#[derive(Debug, Default)]
pub(crate) struct Masked {
    /// Masked text of all tokens, back to back.
    pub text: Vec<u8>,
    /// The tokens, in order.
    pub tokens: Vec<Token>,
    /// Every slot of every token, in order.
    pub slots: Vec<SlotSpan>,
    /// Whether the message had more than was looked at.
    pub truncated: bool,
}

impl Masked {
    /// The masked text of token `i`.
    pub(crate) fn token_text(&self, i: usize) -> &[u8] {
        self.tokens
            .get(i)
            .and_then(|t| self.text.get(t.masked.clone()))
            .unwrap_or_default()
    }

    /// Splits and masks `body` (a message without its line ending).
    pub(crate) fn mask(&mut self, body: &[u8]) {
        self.text.clear();
        self.tokens.clear();
        self.slots.clear();
        self.truncated = body.len() > MAX_BODY;
        let body = &body[..body.len().min(MAX_BODY)];
        let mut i = 0;
        while i < body.len() {
            if is_blank(body[i]) {
                i += 1;
                continue;
            }
            if self.tokens.len() == MAX_TOKENS {
                self.truncated = true;
                break;
            }
            i = self.token(body, i);
        }
    }

    /// Masks the token starting at `start`; returns where it ended.
    fn token(&mut self, body: &[u8], start: usize) -> usize {
        let text_start = self.text.len();
        let slot_start = self.slots.len();
        let mut i = start;
        let mut plain = true; // no control byte, no non-ASCII byte
        while i < body.len() && !is_blank(body[i]) {
            let b = body[i];
            let after_word = i > start && is_word(body[i - 1]);
            if let Some((kind, end)) = slot_at(body, start, i, after_word) {
                self.text.extend_from_slice(&[SLOT, kind.code()]);
                self.slots.push(SlotSpan { kind, raw: i..end });
                i = end;
                continue;
            }
            plain &= (0x20..0x7f).contains(&b);
            self.text.push(b);
            i += 1;
        }
        // Non-ASCII text is kept when it is valid UTF-8; anything else
        // (control bytes included) turns the token into one opaque slot.
        if !plain {
            let constant_ok = std::str::from_utf8(&body[start..i]).is_ok()
                && !body[start..i].iter().any(|&b| b < 0x20 || b == 0x7f);
            if !constant_ok {
                self.text.truncate(text_start);
                self.slots.truncate(slot_start);
                self.text.extend_from_slice(&[SLOT, Kind::Any.code()]);
                self.slots.push(SlotSpan {
                    kind: Kind::Any,
                    raw: start..i,
                });
            }
        }
        let url = memchr::memmem::find(&body[start..i], b"://").is_some();
        self.tokens.push(Token {
            masked: text_start..self.text.len(),
            raw: start..i,
            slots: slot_start..self.slots.len(),
            url,
        });
        i
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// The slot starting at `i` (in the token starting at `token_start`), if any.
fn slot_at(body: &[u8], token_start: usize, i: usize, after_word: bool) -> Option<(Kind, usize)> {
    let b = body[i];
    if b.is_ascii_digit() {
        if let Some(end) = token_at(body, i) {
            return Some((Kind::Token, end));
        }
    }
    if (b == b'"' || b == b'\'') && !after_word {
        let end = closing_quote(body, i)?;
        let kind = if b == b'"' {
            Kind::DoubleQuoted
        } else {
            Kind::SingleQuoted
        };
        return Some((kind, end));
    }
    if !after_word {
        if let Some(end) = uuid(body, i) {
            return Some((Kind::Uuid, end));
        }
        if let Some(end) = ip(body, i) {
            return Some((Kind::Ip, end));
        }
        if let Some(end) = hex(body, i) {
            return Some((Kind::Hex, end));
        }
        if let Some(end) = path(body, token_start, i) {
            return Some((Kind::Path, end));
        }
    }
    if b.is_ascii_digit() && !(i > 0 && body[i - 1].is_ascii_digit()) {
        let mut end = i;
        loop {
            while body.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if body.get(end) == Some(&b'.') && body.get(end + 1).is_some_and(u8::is_ascii_digit) {
                end += 1;
            } else {
                break;
            }
        }
        if let Some(unit_end) = duration_unit(body, end) {
            return Some((Kind::Duration, unit_end));
        }
        return Some((Kind::Num, end));
    }
    None
}

/// The end of a quoted string opening at `open`: its first matching quote
/// that is not followed by a word character, within [`MAX_QUOTED`] bytes.
fn closing_quote(body: &[u8], open: usize) -> Option<usize> {
    let q = body[open];
    let limit = body.len().min(open + MAX_QUOTED);
    (open + 1..limit)
        .find(|&j| body[j] == q && !body.get(j + 1).is_some_and(|&n| is_word(n)))
        .map(|j| j + 1)
}

fn uuid(body: &[u8], i: usize) -> Option<usize> {
    let s = body.get(i..i + 36)?;
    let ok = s.iter().enumerate().all(|(k, &b)| match k {
        8 | 13 | 18 | 23 => b == b'-',
        _ => is_hex(b),
    });
    (ok && !body.get(i + 36).is_some_and(|&b| is_word(b))).then_some(i + 36)
}

fn ip(body: &[u8], i: usize) -> Option<usize> {
    let mut end = i;
    for part in 0..4 {
        if part > 0 {
            if body.get(end) != Some(&b'.') {
                return None;
            }
            end += 1;
        }
        let start = end;
        while end - start < 3 && body.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start {
            return None;
        }
    }
    if body.get(end).is_some_and(|&b| is_word(b))
        || body.get(end) == Some(&b'.') && body.get(end + 1).is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    if body.get(end) == Some(&b':') && body.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1;
        while body.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    Some(end)
}

fn hex(body: &[u8], i: usize) -> Option<usize> {
    if body[i] == b'0' && matches!(body.get(i + 1), Some(b'x' | b'X')) {
        let mut end = i + 2;
        while body.get(end).is_some_and(|&b| is_hex(b)) {
            end += 1;
        }
        return (end > i + 2 && !body.get(end).is_some_and(|&b| is_word(b))).then_some(end);
    }
    let mut end = i;
    let mut digit = false;
    let mut letter = false;
    while let Some(&b) = body.get(end).filter(|&&b| is_hex(b)) {
        digit |= b.is_ascii_digit();
        letter |= !b.is_ascii_digit();
        end += 1;
    }
    // All digits is a number; a word like "deadbeef" without digits stays text.
    (end - i >= 8 && digit && letter && !body.get(end).is_some_and(|&b| is_word(b))).then_some(end)
}

fn path(body: &[u8], token_start: usize, i: usize) -> Option<usize> {
    let rest = &body[i..];
    let lead = if rest.starts_with(b"/") {
        1
    } else if rest.starts_with(b"./") || rest.starts_with(b"~/") {
        2
    } else {
        return None;
    };
    // Only at the start of a token or after an opening delimiter.
    if i > token_start && !matches!(body[i - 1], b'(' | b'=' | b'[' | b'<') {
        return None;
    }
    let end = rest
        .iter()
        .position(|&b| is_blank(b) || matches!(b, b',' | b';' | b')' | b'"' | b'\'' | b':' | b']'))
        .unwrap_or(rest.len());
    // A path has at least two segments: "/weather" is a bot command.
    rest[lead..end].contains(&b'/').then_some(i + end)
}

fn duration_unit(body: &[u8], end: usize) -> Option<usize> {
    const UNITS: [&[u8]; 8] = [b"ms", b"us", "µs".as_bytes(), b"ns", b"s", b"m", b"h", b"d"];
    let rest = body.get(end..)?;
    UNITS
        .iter()
        .find(|u| rest.starts_with(u) && !rest.get(u.len()).is_some_and(|&b| is_word(b)))
        .map(|u| end + u.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Masked tokens rendered with `<kind>` for the slots.
    fn show(body: &str) -> Vec<String> {
        let mut m = Masked::default();
        m.mask(body.as_bytes());
        (0..m.tokens.len())
            .map(|i| {
                let mut s = String::new();
                let mut t = m.token_text(i).iter();
                while let Some(&b) = t.next() {
                    if b == SLOT {
                        let code = t.next().copied().unwrap_or(b'a');
                        s.push_str(&format!("<{:?}>", Kind::from_code(code)));
                    } else {
                        s.push(b as char);
                    }
                }
                s
            })
            .collect()
    }

    #[test]
    fn masks_variable_parts() {
        assert_eq!(
            show(r#"[3] Retrying "messages.GetHistory" due to: Connection lost"#),
            [
                "[<Num>]",
                "Retrying",
                "<DoubleQuoted>",
                "due",
                "to:",
                "Connection",
                "lost"
            ]
        );
        assert_eq!(
            show("Connecting to 149.154.167.51:443/TcpFull..."),
            ["Connecting", "to", "<Ip>/TcpFull..."]
        );
        assert_eq!(
            show("Connected! Production DC4 - IPv4"),
            ["Connected!", "Production", "DC<Num>", "-", "IPv<Num>"]
        );
        assert_eq!(
            show("took 250ms id=0x1F3a uid 123e4567-e89b-12d3-a456-426614174000 ref a3f9c2e1"),
            [
                "took",
                "<Duration>",
                "id=<Hex>",
                "uid",
                "<Uuid>",
                "ref",
                "<Hex>"
            ]
        );
        assert_eq!(
            show("open /usr/lib/x.py: /weather v2.0.106"),
            ["open", "<Path>:", "/weather", "v<Num>"]
        );
    }

    #[test]
    fn bot_tokens_are_slots_of_their_own_and_urls_are_marked() {
        let line = "HTTP Request: POST https://api.telegram.org/bot7012345678:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0/getUpdates \"HTTP/1.1 200 OK\"";
        assert_eq!(
            show(line),
            [
                "HTTP",
                "Request:",
                "POST",
                "https://api.telegram.org/bot<Token>/getUpdates",
                "<DoubleQuoted>"
            ]
        );
        let mut m = Masked::default();
        m.mask(line.as_bytes());
        let urls: Vec<bool> = m.tokens.iter().map(|t| t.url).collect();
        assert_eq!(urls, [false, false, false, true, false]);
    }

    #[test]
    fn quoted_strings_span_blanks_and_apostrophes_do_not_open_them() {
        assert_eq!(
            show("broken by 'ProtocolError('Connection aborted.')': /bot/sendMessage"),
            ["broken", "by", "<SingleQuoted>)':", "<Path>"]
        );
        assert_eq!(show("don't 'x"), ["don't", "'x"]);
        assert_eq!(show(r#"say "a b c" now"#), ["say", "<DoubleQuoted>", "now"]);
    }

    #[test]
    fn odd_bytes_become_opaque_slots_and_length_is_capped() {
        let mut m = Masked::default();
        m.mask(b"ok \xff\xfe bad\x01 caf\xc3\xa9");
        assert_eq!(m.tokens.len(), 4);
        assert_eq!(m.slots.len(), 2);
        assert_eq!(m.token_text(3), "café".as_bytes());
        m.mask(&vec![b'a'; MAX_BODY * 2]);
        assert!(m.truncated && m.tokens.len() == 1);
        m.mask("x ".repeat(1000).as_bytes());
        assert!(m.truncated && m.tokens.len() == MAX_TOKENS);
    }
}
