//! Telegram bot tokens never leave `suggest`: the masker turns a token into
//! a slot of its own ([`token_at`] finds it), and every line `suggest`
//! prints goes through [`redact`] first.
//!
//! A bot token is `\d{6,12}:[A-Za-z0-9_-]{35}` (the bot's id, a colon, the
//! secret); it shows up in request URLs (`.../bot<token>/getUpdates`) and
//! now and then bare. It becomes [`REDACTED`], so a URL reads
//! `bot<redacted>/getUpdates`. A general redaction feature can replace
//! this module: what it has to keep is that a suggested pattern matches a
//! line with the token and the same line redacted ([`TOKEN_REGEX`]).

use std::borrow::Cow;

/// What a token is replaced by.
pub(crate) const REDACTED: &str = "<redacted>";
/// Regex for a token slot: the token itself or its redacted form.
pub(crate) const TOKEN_REGEX: &str = r"(?:\d{6,}:[A-Za-z0-9_-]{35,}|<redacted>)";

/// Length of the secret part after the colon.
const SECRET_LEN: usize = 35;

fn secret_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The end of the bot token starting at `i`, if one does: a run of 6 or
/// more digits (not preceded by a digit), a colon, and at least 35 token
/// characters. Longer runs are taken whole, so whatever
/// `\d{6,12}:[A-Za-z0-9_-]{35}` would find lies inside what is redacted.
pub(crate) fn token_at(text: &[u8], i: usize) -> Option<usize> {
    if i > 0 && text[i - 1].is_ascii_digit() {
        return None;
    }
    let digits = text
        .get(i..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits < 6 || text.get(i + digits) != Some(&b':') {
        return None;
    }
    let start = i + digits + 1;
    let secret = text[start..]
        .iter()
        .take_while(|&&b| secret_byte(b))
        .count();
    (secret >= SECRET_LEN).then_some(start + secret)
}

/// `text` with every bot token replaced by [`REDACTED`] (borrowed when
/// there is none, which is nearly always).
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        // A token only starts at a digit: skip to the next one quickly.
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if let Some(end) = token_at(bytes, i) {
            let s = out.get_or_insert_with(|| String::with_capacity(text.len()));
            // Token boundaries are ASCII, so these are char boundaries.
            s.push_str(&text[copied..i]);
            s.push_str(REDACTED);
            copied = end;
            i = end;
        } else {
            i += 1;
        }
    }
    match out {
        Some(mut s) => {
            s.push_str(&text[copied..]);
            Cow::Owned(s)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "7012345678:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0";

    #[test]
    fn tokens_in_urls_and_bare_are_redacted() {
        let url =
            format!("POST https://api.telegram.org/bot{TOKEN}/getUpdates \"HTTP/1.1 200 OK\"");
        assert_eq!(
            redact(&url),
            "POST https://api.telegram.org/bot<redacted>/getUpdates \"HTTP/1.1 200 OK\""
        );
        assert_eq!(
            redact(&format!("token={TOKEN}, again {TOKEN}")),
            "token=<redacted>, again <redacted>"
        );
        // The redacted form matches the pattern a token slot is given.
        let re = regex::Regex::new(&format!("^bot{TOKEN_REGEX}/x$")).unwrap();
        assert!(re.is_match(&format!("bot{TOKEN}/x")));
        assert!(re.is_match("bot<redacted>/x"));
    }

    #[test]
    fn what_is_not_a_token_stays() {
        for text in [
            "plain text, 12:30, 2025-11-20 16:32:54",
            "12345:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0", // 5 digits
            "7012345678:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9", // 34 characters
            "bot123456:TEST-TOKEN-abcdef/getMe",
            "",
        ] {
            assert!(matches!(redact(text), Cow::Borrowed(_)), "{text}");
        }
        // A longer id or secret is taken whole: nothing of it is left.
        assert_eq!(
            redact("x1234567890123:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0abc/y"),
            "x<redacted>/y"
        );
        // Multi-byte text around a token survives.
        assert_eq!(redact(&format!("é {TOKEN} ü")), "é <redacted> ü");
    }
}
