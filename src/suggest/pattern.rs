//! What a rule for one template says: its regex, a readable name, the
//! capture group its windows are keyed on, and its summary message.
//!
//! The regex is anchored at both ends: `^`, the prefix shapes the
//! template's lines had (timestamp digits abstracted, the logger and the
//! level word as they were; see `shape`), then the message's constant text
//! with each slot as a class (`\d+`, `"[^"]*"`, `\S+`, …) and `$` at the
//! end. So the rule takes lines of its own template only: not a longer
//! neighbour with the same start, not a line of the same logger whose
//! message merely ends alike, and not a line at another level (ERROR and
//! CRITICAL lines are left out unless errors were asked for). A bot token
//! is a slot of its own, matched as itself or redacted, and never written.
//!
//! A template of JSON lines has no prefix to anchor on (its message is a
//! value anywhere in the object, perhaps with escapes): its rule is a rule
//! on the message, `body`, anchored at both ends of the message and naming
//! its logger and levels.

use super::mask::{Kind, SLOT};
use super::redact::{REDACTED, TOKEN_REGEX};
use super::shape::Shapes;
use super::template::{SlotStats, Template};

/// Most distinct values for a slot to key windows on.
const MAX_KEY_VALUES: usize = 8;
/// Most words in a rule name.
const MAX_NAME_WORDS: usize = 6;

/// The text of a suggested rule, before it is checked and written.
#[derive(Clone, Debug)]
pub(crate) struct RuleText {
    /// Name (not yet made unique).
    pub name: String,
    /// Regex, Rust `regex` syntax.
    pub pattern: String,
    /// `{group}` to key windows on, if a slot is worth it.
    pub key: Option<String>,
    /// Summary message.
    pub message: String,
    /// For a rule on the message (`body`, whose regex `pattern` then is):
    /// its loggers and levels.
    pub on_message: Option<OnMessage>,
}

/// What a rule on the message names besides its regex.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OnMessage {
    /// `loggers`: the template's logger, if its lines show one.
    pub loggers: Vec<String>,
    /// `levels`: its levels (those at ERROR or worse only with
    /// `include_errors`); empty when its lines show none.
    pub levels: Vec<String>,
}

/// The loggers and levels of a rule on the message for `t`; `None` when
/// every level of its lines was an error's.
fn on_message(t: &Template, shapes: &Shapes, include_errors: bool) -> Option<OnMessage> {
    let mut levels: Vec<String> = t
        .levels
        .iter()
        .filter_map(|&id| shapes.level_word(id))
        .filter(|l| include_errors || !l.error)
        .map(|l| l.word.clone())
        .collect();
    if levels.is_empty() && !t.levels.is_empty() {
        return None;
    }
    levels.sort_unstable();
    levels.dedup();
    let loggers = (!t.logger.is_empty())
        .then(|| String::from_utf8_lossy(&t.logger).into_owned())
        .into_iter()
        .collect();
    Some(OnMessage { loggers, levels })
}

/// Which slot the windows are keyed on: token index, slot index, group name.
type KeySlot = (usize, usize, String);

/// Layouts of the whole log a rule is also anchored on: those of at least
/// this share of the records (its own template's come first)...
const COMMON_LAYOUT_SHARE: f64 = 0.01;
/// ... up to this many alternatives in all.
const MAX_LAYOUTS: usize = 8;

/// The anchor of a rule for `t`: `^` and a choice of prefix layouts filled
/// in with its logger and its level words (those at ERROR or worse only
/// with `include_errors`). The layouts are those its lines had, and the
/// log's common ones of the same kind (a level where its lines had one, a
/// logger where they had one): a bot that changed its log format still has
/// the same messages. `None` when no line had a usable layout, or every
/// level word was an error's.
fn anchor(t: &Template, shapes: &Shapes, include_errors: bool) -> Option<String> {
    let logger = String::from_utf8_lossy(&t.logger);
    let mut words: Vec<String> = t
        .levels
        .iter()
        .filter_map(|&id| shapes.level_word(id))
        .filter(|l| include_errors || !l.error)
        .map(|l| regex::escape(&l.word))
        .collect();
    words.sort_unstable();
    let levels = match words.as_slice() {
        [] if !t.levels.is_empty() => return None,
        [one] => one.clone(),
        more => format!("(?:{})", more.join("|")),
    };
    let own = |id: &u16| shapes.get(*id);
    let has_level = t
        .shapes
        .iter()
        .filter_map(own)
        .any(super::shape::Shape::has_level);
    let least = (shapes.records() as f64 * COMMON_LAYOUT_SHARE).ceil() as u64;
    let common = shapes.common(least.max(1));
    let mut alternatives: Vec<String> = Vec::new();
    for id in t.shapes.iter().chain(common.iter()) {
        let Some(shape) = shapes.get(*id) else {
            continue;
        };
        let fits = shape.has_level() == has_level && shape.has_logger() != t.logger.is_empty();
        let own = t.shapes.contains(id);
        let regex = shape.regex(&logger, &levels);
        if (own || fits) && !alternatives.contains(&regex) && alternatives.len() < MAX_LAYOUTS {
            alternatives.push(regex);
        }
    }
    match alternatives.as_slice() {
        [] => None,
        [one] => Some(format!("^{one}")),
        more => Some(format!("^(?:{})", more.join("|"))),
    }
}

/// Builds the rule text for `t`, anchored on the prefix shapes in `shapes`;
/// `None` when it cannot be anchored (see [`anchor`]).
pub(crate) fn rule_text(t: &Template, shapes: &Shapes, include_errors: bool) -> Option<RuleText> {
    let key = key_slot(t);
    let logger = String::from_utf8_lossy(&t.logger);
    let (mut pattern, on_message) = if t.json {
        ("^".to_owned(), Some(on_message(t, shapes, include_errors)?))
    } else {
        (anchor(t, shapes, include_errors)?, None)
    };
    let mut message = String::new();
    if !logger.is_empty() {
        message.push_str(&logger);
        message.push_str(": ");
    }
    for (i, tok) in t.tokens.iter().enumerate() {
        if i > 0 {
            pattern.push_str(r"\s+");
            message.push(' ');
        }
        let keyed = key
            .as_ref()
            .filter(|k| k.0 == i)
            .map(|k| (k.1, k.2.as_str()));
        match &tok.text {
            None => {
                let stats = tok.slots.first();
                let class = wild_class(stats);
                match keyed {
                    Some((_, name)) => pattern.push_str(&format!("(?P<{name}>{class})")),
                    None => pattern.push_str(class),
                }
                message.push_str(if keyed.is_some() { "{key}" } else { "*" });
            }
            Some(text) => constant_token(text, &tok.slots, keyed, &mut pattern, &mut message),
        }
    }
    if !t.truncated {
        // Trailing blanks are not tokens, but lines may have them.
        pattern.push_str(r"\s*$");
    }
    Some(RuleText {
        name: name_of(t),
        pattern,
        key: key.map(|k| format!("{{{}}}", k.2)),
        message,
        on_message,
    })
}

fn wild_class(stats: Option<&SlotStats>) -> &'static str {
    match stats {
        Some(s) if s.all_digits => r"\d+",
        Some(s) if s.any_blank => r".+?",
        _ => r"\S+",
    }
}

/// Appends the regex and message text of one token with constant text.
fn constant_token(
    text: &[u8],
    slots: &[SlotStats],
    keyed: Option<(usize, &str)>,
    pattern: &mut String,
    message: &mut String,
) {
    let mut literal = Vec::new();
    let mut slot = 0;
    let mut i = 0;
    while i < text.len() {
        if text[i] != SLOT {
            literal.push(text[i]);
            i += 1;
            continue;
        }
        flush_literal(&mut literal, pattern, message);
        let kind = Kind::from_code(text.get(i + 1).copied().unwrap_or(b'a'));
        let stats = slots.get(slot);
        let name = keyed.filter(|k| k.0 == slot).map(|k| k.1);
        pattern.push_str(&slot_regex(kind, stats, name));
        message.push_str(match (kind, name) {
            (Kind::Token, _) => REDACTED,
            (_, Some(_)) => "{key}",
            (_, None) => "*",
        });
        slot += 1;
        i += 2;
    }
    flush_literal(&mut literal, pattern, message);
}

fn flush_literal(literal: &mut Vec<u8>, pattern: &mut String, message: &mut String) {
    if literal.is_empty() {
        return;
    }
    // Masking keeps constant text valid UTF-8; lossy is only a safety net.
    let text = String::from_utf8_lossy(literal);
    pattern.push_str(&regex::escape(&text));
    // Braces would read as placeholders in a message.
    message.extend(text.chars().map(|c| match c {
        '{' => '(',
        '}' => ')',
        c => c,
    }));
    literal.clear();
}

/// The regex of one masked slot, as a named group when `name` is given.
fn slot_regex(kind: Kind, stats: Option<&SlotStats>, name: Option<&str>) -> String {
    let inner_quote = stats.is_some_and(|s| s.inner_quote);
    let group = |class: &str| match name {
        Some(n) => format!("(?P<{n}>{class})"),
        None => class.to_owned(),
    };
    match kind {
        Kind::Num => group(r"\d+(?:\.\d+)*"),
        Kind::Hex => group(r"(?:0[xX])?[0-9a-fA-F]+"),
        Kind::Uuid => group(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"),
        Kind::Ip => group(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"),
        Kind::Duration => group(r"\d+(?:\.\d+)?[a-zµ]+"),
        Kind::Path => group(r#"[^\s,;)"':\]]+"#),
        // Never a group: a key or a message would print the token.
        Kind::Token => TOKEN_REGEX.to_owned(),
        Kind::DoubleQuoted if inner_quote => format!("\"{}\"", group(".*?")),
        Kind::DoubleQuoted => format!("\"{}\"", group(r#"[^"]*"#)),
        Kind::SingleQuoted if inner_quote => format!("'{}'", group(".*?")),
        Kind::SingleQuoted => format!("'{}'", group(r"[^']*")),
        Kind::Any => group(wild_class(stats)),
    }
}

/// Picks the slot worth keying windows on: few distinct values, and a kind
/// that names something (a quoted method, a word, `DC4`'s number) rather
/// than an attempt counter.
fn key_slot(t: &Template) -> Option<KeySlot> {
    let mut best: Option<(u8, usize, KeySlot)> = None;
    for (ti, tok) in t.tokens.iter().enumerate() {
        let prev_word = ti
            .checked_sub(1)
            .and_then(|p| t.tokens[p].text.as_deref())
            .map(last_word)
            .unwrap_or_default();
        let candidates: Vec<(usize, u8, String)> = match &tok.text {
            None if !tok.slots.first().is_some_and(|s| s.all_digits || s.secret) => {
                vec![(0, 1, group_name(&prev_word, "value"))]
            }
            None => Vec::new(),
            Some(text) => slot_kinds(text)
                .into_iter()
                .enumerate()
                .filter_map(|(si, (kind, glued))| match kind {
                    Kind::DoubleQuoted | Kind::SingleQuoted => {
                        let method = tok.slots.get(si).is_some_and(looks_like_methods);
                        let name = if method {
                            "method".to_owned()
                        } else {
                            group_name(&prev_word, "value")
                        };
                        Some((si, 0, name))
                    }
                    Kind::Num if glued.len() >= 2 => Some((si, 2, group_name(&glued, "value"))),
                    _ => None,
                })
                .collect(),
        };
        for (si, preference, name) in candidates {
            let stats = tok.slots.get(si).filter(|s| !s.secret);
            let Some(distinct) = stats.and_then(SlotStats::distinct) else {
                continue;
            };
            if !(2..=MAX_KEY_VALUES).contains(&distinct) {
                continue;
            }
            let rank = (preference, distinct);
            if best.as_ref().is_none_or(|b| rank < (b.0, b.1)) {
                best = Some((preference, distinct, (ti, si, name)));
            }
        }
    }
    best.map(|b| b.2)
}

/// Kind of each slot of a masked token, with the letters glued before it.
fn slot_kinds(text: &[u8]) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] == SLOT {
            let glued: String = text[..i]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_alphabetic())
                .map(|&b| char::from(b))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            out.push((
                Kind::from_code(text.get(i + 1).copied().unwrap_or(b'a')),
                glued,
            ));
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Whether a quoted slot's values read like API methods (`"messages.GetHistory"`).
fn looks_like_methods(s: &SlotStats) -> bool {
    !s.examples.is_empty()
        && s.examples.iter().all(|v| {
            let inner = v.get(1..v.len().saturating_sub(1)).unwrap_or_default();
            inner.contains(&b'.')
                && inner
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        })
}

fn last_word(text: &[u8]) -> String {
    text.split(|&b| !b.is_ascii_alphabetic())
        .rfind(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).to_ascii_lowercase())
        .unwrap_or_default()
}

/// A capture group name from a word: lowercase ASCII letters, not a filler word.
fn group_name(word: &str, fallback: &str) -> String {
    const FILLER: [&str; 12] = [
        "to", "for", "in", "by", "at", "of", "the", "from", "with", "due", "on", "a",
    ];
    let w = word.to_ascii_lowercase();
    if w.len() >= 2
        && w.len() <= 20
        && w.bytes().all(|b| b.is_ascii_lowercase())
        && !FILLER.contains(&w.as_str())
    {
        w
    } else {
        fallback.to_owned()
    }
}

/// A name from the library (first part of the logger) and the message's
/// first constant words: `asyncio-socket-send-raised-exception`.
fn name_of(t: &Template) -> String {
    let mut words: Vec<String> = Vec::new();
    if let Some(lib) = t
        .logger
        .split(|&b| b == b'.')
        .next()
        .filter(|w| !w.is_empty())
    {
        words.push(String::from_utf8_lossy(lib).to_ascii_lowercase());
    }
    let constant = t.tokens.iter().filter_map(|tok| tok.text.as_deref());
    for text in constant {
        let mut i = 0;
        let mut word = Vec::new();
        // Skip slot markers, split the rest on anything but letters and digits.
        while i <= text.len() {
            match text.get(i) {
                Some(&SLOT) => i += 1,
                Some(&b) if b.is_ascii_alphanumeric() => word.push(b.to_ascii_lowercase()),
                _ => {
                    if word.iter().any(u8::is_ascii_alphabetic)
                        && word.len() <= 20
                        && words.len() < MAX_NAME_WORDS
                    {
                        words.push(String::from_utf8_lossy(&word).into_owned());
                    }
                    word.clear();
                }
            }
            i += 1;
        }
    }
    let lib_only = usize::from(!t.logger.is_empty());
    if words.len() <= lib_only {
        // No constant word (a bare number, say): the whole logger names it.
        words = String::from_utf8_lossy(&t.logger)
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_NAME_WORDS - 1)
            .map(str::to_ascii_lowercase)
            .collect();
        words.push(if words.is_empty() { "noise" } else { "value" }.to_owned());
    }
    words.join("-")
}

#[cfg(test)]
mod tests {
    use super::super::miner::{Miner, Record};
    use super::super::prefix::Reader;
    use super::*;

    fn template(lines: &[&str]) -> (Template, Shapes) {
        let mut m = Miner::new(100);
        let mut reader = Reader::default();
        for line in lines {
            let line = reader.read(line.as_bytes());
            m.feed(&Record {
                line: &line,
                error: line.prefix.is_error(),
                window: 0,
                bucket: 0,
                time_ms: 0,
            });
        }
        let (mut ts, shapes, _) = m.finish();
        assert_eq!(ts.len(), 1);
        (ts.remove(0), shapes)
    }

    fn rule(lines: &[&str]) -> RuleText {
        let (t, shapes) = template(lines);
        rule_text(&t, &shapes, false).expect("a rule")
    }

    #[test]
    fn keyed_on_the_quoted_method() {
        let r = rule(&[
            r#"2025-11-20 16:32:54,123 - pyrogram.session.session - WARNING - [1] Retrying "messages.SendMessage" due to: Connection lost"#,
            r#"WARNING:pyrogram.session.session:[2] Retrying "updates.GetState" due to: Connection lost"#,
        ]);
        assert_eq!(r.name, "pyrogram-retrying-due-to-connection-lost");
        assert_eq!(
            r.pattern,
            r#"^(?:\d+-\d+-\d+\s+\d+:\d+:\d+,\d+\s+-\s+pyrogram\.session\.session\s+-\s+WARNING\s+-\s+|WARNING:pyrogram\.session\.session:)\[\d+(?:\.\d+)*\]\s+Retrying\s+"(?P<method>[^"]*)"\s+due\s+to:\s+Connection\s+lost\s*$"#
        );
        assert_eq!(r.key.as_deref(), Some("{method}"));
        assert_eq!(
            r.message,
            "pyrogram.session.session: [*] Retrying {key} due to: Connection lost"
        );
    }

    #[test]
    fn plain_lines_anchor_at_the_start_and_glued_numbers_key() {
        let r = rule(&["Connected! DC1 up", "Connected! DC2 up"]);
        assert_eq!(r.pattern, r"^Connected!\s+DC(?P<dc>\d+(?:\.\d+)*)\s+up\s*$");
        assert_eq!(r.name, "connected-dc-up");
        assert_eq!(r.key.as_deref(), Some("{dc}"));
    }

    /// Regression: a rule for bare-number DEBUG lines was anchored on the
    /// logger and the end of the line only (`\bbot\.metrics\b.*[\s:\]|]\d+$`),
    /// so it took the logger's ERROR and CRITICAL lines and any of its
    /// messages that ended in a number.
    #[test]
    fn a_bare_number_rule_takes_neither_other_levels_nor_other_messages() {
        let r = rule(&[
            "2025-11-20 16:32:54,123 - bot.metrics - DEBUG - 2336",
            "2025-11-20 16:32:55,001 - bot.metrics - DEBUG - 17",
        ]);
        assert_eq!(r.name, "bot-metrics-value");
        let re = regex::Regex::new(&r.pattern).unwrap();
        assert!(re.is_match("2025-11-21 01:02:03,004 - bot.metrics - DEBUG - 5"));
        for other in [
            "2025-11-21 01:02:03,004 - bot.metrics - CRITICAL - 5",
            "2025-11-21 01:02:03,004 - bot.metrics - ERROR - Queue overflow, dropped 5",
            "2025-11-21 01:02:03,004 - bot.metrics - DEBUG - Worker restarts: 5",
            "2025-11-21 01:02:03,004 - bot.metrics.x - DEBUG - 5",
            "DEBUG:bot.metrics:5",
        ] {
            assert!(!re.is_match(other), "{} takes {other}", r.pattern);
        }
    }

    #[test]
    fn a_token_in_a_url_is_neither_written_nor_keyed() {
        let token = "7012345678:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0";
        let lines: Vec<String> = ["getUpdates", "getUpdates"]
            .iter()
            .map(|m| format!("INFO:httpx:HTTP Request: POST https://api.telegram.org/bot{token}/{m} \"HTTP/1.1 200 OK\""))
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let r = rule(&lines);
        for text in [&r.pattern, &r.message, &r.name] {
            assert!(!text.contains("AAHfiqks"), "{text}");
        }
        assert_eq!(
            r.message,
            "httpx: HTTP Request: POST https://api.telegram.org/bot<redacted>/getUpdates *"
        );
        let re = regex::Regex::new(&r.pattern).unwrap();
        assert!(re.is_match(lines[0]));
        assert!(re.is_match(&super::super::redact::redact(lines[0])));
        assert!(!re.is_match(&lines[0].replace("getUpdates", "sendMessage")));
    }
}
