//! Key templates: `key = "DC{dc}"` gives each value of a capture group a
//! window of its own. Split with the crate's one placeholder tokenizer.

use regex::bytes::{CaptureLocations, Regex};

use super::pattern::Pattern;
use std::borrow::Cow;

use crate::template::{split, Piece, TemplateError};

/// One piece of a key template: literal bytes or a capture group reference.
#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyPart {
    Literal(Vec<u8>),
    Named(String),
    Index(usize),
}

/// A parsed `key = "{group}..."` template.
#[derive(Clone, Debug)]
pub(crate) struct KeyTemplate {
    source: String,
    parts: Vec<KeyPart>,
}

impl KeyTemplate {
    /// Parses `{name}` / `{N}` placeholders; `{{` and `}}` are literal braces.
    pub(super) fn parse(text: &str) -> Result<KeyTemplate, String> {
        let pieces = split(text).map_err(|e| match e {
            TemplateError::Unclosed(at) => format!("unclosed '{{' at byte {at} of key {text:?}"),
            TemplateError::Unmatched => format!("unmatched '}}' in key {text:?} (write '}}}}')"),
            TemplateError::Empty => format!("empty placeholder '{{}}' in key {text:?}"),
        })?;
        let parts: Vec<KeyPart> = pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Literal(l) => KeyPart::Literal(l.into_bytes()),
                Piece::Placeholder(group) => match group.parse::<usize>() {
                    Ok(n) => KeyPart::Index(n),
                    Err(_) => KeyPart::Named(group),
                },
            })
            .collect();
        if !parts.iter().any(|p| !matches!(p, KeyPart::Literal(_))) {
            return Err(format!(
                "key {text:?} names no capture group, so every line would share one window \
                 (write e.g. key = \"{{dc}}\", or drop the key)"
            ));
        }
        Ok(KeyTemplate {
            source: text.to_owned(),
            parts,
        })
    }

    /// Fails naming the first placeholder that `regex` has no group for.
    pub(super) fn check_against(&self, regex: &Pattern) -> Result<(), String> {
        for part in &self.parts {
            match part {
                KeyPart::Named(name) if !regex.capture_names().any(|n| n == Some(name)) => {
                    return Err(format!(
                        "key names capture group {{{name}}}, but pattern '{}' has no group (?P<{name}>...)",
                        regex.as_str()
                    ));
                }
                KeyPart::Index(n) if *n >= regex.captures_len() => {
                    return Err(format!(
                        "key names capture group {{{n}}}, but pattern '{}' has only {} group(s)",
                        regex.as_str(),
                        regex.captures_len() - 1
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Fails if a literal part of the template would break a summary line.
    pub(super) fn check_literals(&self) -> Result<(), String> {
        for part in &self.parts {
            if let KeyPart::Literal(bytes) = part {
                if bytes
                    .iter()
                    .any(|&b| b == b'\n' || b == b'\r' || b.is_ascii_control() && b != b'\t')
                {
                    return Err(format!(
                        "key {:?} must be one line (it contains a line break or control character)",
                        self.source
                    ));
                }
            }
        }
        Ok(())
    }

    /// Appends the key for one match to `out`. Groups that did not take
    /// part in the match render as nothing.
    fn render_into(&self, regex: &Regex, locs: &CaptureLocations, line: &[u8], out: &mut Vec<u8>) {
        for part in &self.parts {
            let index = match part {
                KeyPart::Literal(bytes) => {
                    out.extend_from_slice(bytes);
                    continue;
                }
                KeyPart::Index(n) => Some(*n),
                KeyPart::Named(name) => regex.capture_names().position(|n| n == Some(name)),
            };
            if let Some((start, end)) = index.and_then(|i| locs.get(i)) {
                push_escaped(out, &line[start..end]);
            }
        }
    }
}

/// The byte after a NUL in a window key that stands for a NUL of the
/// captured text.
const NUL_CODE: u8 = 1;
/// The byte after a NUL in a window key that ends one part (the user's
/// key, or a group's value) and starts the next.
const SEP_CODE: u8 = 0;

/// Appends captured bytes to a window key, each NUL written as the pair
/// NUL [`NUL_CODE`]: a NUL in a log line (it happens: binary garbage, a
/// C string) then cannot be read as the separator between the key's
/// parts, which would shift every field of the summary.
fn push_escaped(out: &mut Vec<u8>, mut bytes: &[u8]) {
    while let Some(at) = memchr::memchr(0, bytes) {
        out.extend_from_slice(&bytes[..at]);
        out.extend_from_slice(&[0, NUL_CODE]);
        bytes = &bytes[at + 1..];
    }
    out.extend_from_slice(bytes);
}

/// Longest window key kept as it is. A longer one keeps its first bytes and
/// ends in `…#` and a hash of the whole key, so memory per window stays
/// bounded (`max_keys` × this) while distinct keys stay distinct.
pub(crate) const MAX_KEY_LEN: usize = 256;

/// What tells one rule's windows apart: the rule's `key` template, then
/// the values of the named groups its `message` and `note` print, each
/// after a separator (NUL [`SEP_CODE`]; a NUL of the text is NUL
/// [`NUL_CODE`]), so that two windows never print the same summary.
#[derive(Clone, Debug, Default)]
pub(crate) struct WindowKey {
    template: Option<KeyTemplate>,
    labels: Vec<String>,
}

impl WindowKey {
    /// A window key from the rule's template and message/note groups.
    pub fn new(template: Option<KeyTemplate>, labels: Vec<String>) -> WindowKey {
        WindowKey { template, labels }
    }

    /// Whether the rule has more than one window (and matching must
    /// capture groups).
    pub(crate) fn is_keyed(&self) -> bool {
        self.template.is_some() || !self.labels.is_empty()
    }

    /// The named groups the message and note print, in key order.
    pub(crate) fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Writes the window key for one match into `out` (cleared first).
    pub(super) fn render(
        &self,
        regex: &Regex,
        locs: &CaptureLocations,
        line: &[u8],
        out: &mut Vec<u8>,
    ) {
        out.clear();
        if let Some(template) = &self.template {
            template.render_into(regex, locs, line, out);
        }
        for label in &self.labels {
            out.extend_from_slice(&[0, SEP_CODE]);
            let group = regex
                .capture_names()
                .position(|n| n == Some(label.as_str()));
            if let Some((start, end)) = group.and_then(|i| locs.get(i)) {
                push_escaped(out, &line[start..end]);
            }
        }
        cap_key(out);
    }
}

/// Shortens a key over [`MAX_KEY_LEN`]: its head, `…#`, and a hash of the
/// whole key (std's SipHash with fixed keys: the same key always gives the
/// same text).
pub(crate) fn cap_key(key: &mut Vec<u8>) {
    use std::hash::{Hash, Hasher};
    if key.len() <= MAX_KEY_LEN {
        return;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    let tail = format!("\u{2026}#{:016x}", hasher.finish());
    key.truncate(MAX_KEY_LEN - tail.len());
    key.extend_from_slice(tail.as_bytes());
}

/// The part of a window key that ends with `bytes`: borrowed, unless a
/// NUL was unescaped into `owned` on the way.
fn end_part<'k>(owned: &mut Option<Vec<u8>>, bytes: &'k [u8]) -> Cow<'k, [u8]> {
    match owned.take() {
        Some(mut buf) => {
            buf.extend_from_slice(bytes);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(bytes),
    }
}

/// Splits a window key into the user's key (empty for a rule without a
/// `key`) and the values of the message's groups, in order, each exactly
/// as captured (NULs included). A key cut short by [`cap_key`] reads as
/// far as it goes.
pub(crate) fn split_window_key(key: &[u8], keyed: bool) -> (Cow<'_, [u8]>, Vec<Cow<'_, [u8]>>) {
    let mut parts = Vec::new();
    let mut owned: Option<Vec<u8>> = None;
    let (mut start, mut from) = (0, 0);
    while let Some(off) = memchr::memchr(0, &key[from..]) {
        let at = from + off;
        match key.get(at + 1) {
            Some(&NUL_CODE) => {
                let buf = owned.get_or_insert_with(Vec::new);
                buf.extend_from_slice(&key[start..at]);
                buf.push(0);
            }
            code => {
                parts.push(end_part(&mut owned, &key[start..at]));
                // A lone NUL (a key cut after it) ends a part by itself.
                if code != Some(&SEP_CODE) {
                    start = at + 1;
                    from = start;
                    continue;
                }
            }
        }
        start = (at + 2).min(key.len());
        from = start;
    }
    parts.push(end_part(&mut owned, &key[start..]));
    let mut parts = parts.into_iter();
    let user = parts.next().unwrap_or(Cow::Borrowed(&[]));
    let labels = parts.collect();
    (if keyed { user } else { Cow::Borrowed(&[]) }, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts as a window key holds them, and back.
    fn round_trip(user: &[u8], labels: &[&[u8]]) {
        let mut key = Vec::new();
        push_escaped(&mut key, user);
        for label in labels {
            key.extend_from_slice(&[0, SEP_CODE]);
            push_escaped(&mut key, label);
        }
        let (got_user, got_labels) = split_window_key(&key, true);
        assert_eq!(&*got_user, user, "{key:?}");
        let got: Vec<&[u8]> = got_labels.iter().map(|l| &**l).collect();
        assert_eq!(got, labels, "{key:?}");
    }

    #[test]
    fn nul_bytes_in_captures_keep_the_parts_apart() {
        round_trip(b"adm\0in", &[b"10.0.0.1"]);
        round_trip(b"", &[b"", b"\0", b"\x01x"]);
        round_trip(b"\0\0", &[b"a\0\0b", b"\0"]);
        round_trip(b"plain", &[]);
        // A key cut anywhere still splits without a panic.
        let mut key = b"ab".to_vec();
        key.extend_from_slice(&[0, SEP_CODE, b'c', 0]);
        for end in 0..=key.len() {
            let _ = split_window_key(&key[..end], true);
        }
    }
}
