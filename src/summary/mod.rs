//! Summary lines: the default text line, `--template` and `--format json`.
//!
//! Formatting happens only when a window closes, never per input line, so it
//! is free to allocate.

mod template;

use template::Part;
pub use template::Template;

use serde_json::json;
use std::borrow::Cow;

use crate::engine::Summary;
use crate::rules::{split_window_key, Rule};
use crate::template::{split, Piece};
use crate::time::{format_duration, TimeFormatter};

/// The field every JSON summary carries, with [`MARKER_VALUE`], so that
/// summaries can be told from passed lines downstream.
pub(crate) const MARKER_FIELD: &str = "logdedup";
/// The value of [`MARKER_FIELD`] in a JSON summary.
pub(crate) const MARKER_VALUE: &str = "summary";

/// How summary lines look.
#[derive(Clone, Debug)]
pub enum Style {
    /// `{time} | {level} | {message} (occurred {times})`, plus ` - {note}` when there is one.
    Default,
    /// A user template.
    Template(Template),
    /// One JSON object per line.
    Json,
}

/// Turns [`Summary`] values into output lines.
#[derive(Clone, Debug)]
pub struct SummaryFormatter {
    style: Style,
    time: TimeFormatter,
}

/// `1 time`, `150 times`.
pub(crate) fn times(count: u64) -> String {
    if count == 1 {
        "1 time".to_owned()
    } else {
        format!("{count} times")
    }
}

impl SummaryFormatter {
    /// A formatter with the given style and timestamp format.
    pub fn new(style: Style, time: TimeFormatter) -> SummaryFormatter {
        SummaryFormatter { style, time }
    }

    /// Appends the summary line for `s` (with its `\n`) to `out`.
    pub(crate) fn write(&self, s: &Summary, rule: &Rule, out: &mut Vec<u8>) {
        let (user_key, labels) = match &s.key {
            Some(k) => split_window_key(k, rule.key.is_some()),
            None => (Cow::Borrowed(&[][..]), Vec::new()),
        };
        let labels: Vec<&[u8]> = labels.iter().map(|l| &**l).collect();
        // The key exactly as captured: JSON carries it as it is (escaped
        // by JSON's rules); text shows it through `one_line`.
        let key = rule
            .key
            .is_some()
            .then(|| String::from_utf8_lossy(&user_key).into_owned());
        let texts = Texts {
            message: fill(
                &rule.message,
                key.as_deref(),
                &labels,
                rule.window_key.labels(),
            ),
            note: rule
                .note
                .as_deref()
                .map(|n| fill(n, key.as_deref(), &labels, rule.window_key.labels())),
        };
        match &self.style {
            Style::Default => {
                let line = format!(
                    "{} | {} | {} (occurred {})",
                    self.time.format(s.at),
                    rule.level,
                    texts.message,
                    times(s.count)
                );
                out.extend_from_slice(line.as_bytes());
                if let Some(note) = &texts.note {
                    out.extend_from_slice(b" - ");
                    out.extend_from_slice(note.as_bytes());
                }
            }
            Style::Template(t) => {
                for part in &t.parts {
                    let text = match part {
                        Part::Literal(l) => l.clone(),
                        Part::Field(f) => self.field(f, s, rule, key.as_deref(), &texts),
                    };
                    out.extend_from_slice(text.as_bytes());
                }
            }
            Style::Json => {
                // Times in RFC 3339 whatever --time-format says, and a
                // marker field, so a shipper parses summaries as they are and
                // tells them from passed lines (which may be JSON too).
                let value = json!({
                    MARKER_FIELD: MARKER_VALUE,
                    "time": self.time.rfc3339(s.at),
                    "level": rule.level,
                    "rule": rule.name,
                    "key": key,
                    "message": texts.message,
                    "note": texts.note,
                    "count": s.count,
                    "first": self.time.rfc3339(s.first),
                    "last": self.time.rfc3339(s.last),
                    "window": rule.window.as_secs_f64(),
                });
                out.extend_from_slice(json_line(&value).as_bytes());
            }
        }
        out.push(b'\n');
    }

    fn field(
        &self,
        name: &str,
        s: &Summary,
        rule: &Rule,
        key: Option<&str>,
        texts: &Texts,
    ) -> String {
        match name {
            "time" => self.time.format(s.at),
            "level" => rule.level.clone(),
            "rule" => rule.name.clone(),
            "key" => one_line(key.unwrap_or("")),
            "message" => texts.message.clone(),
            "note" => texts.note.clone().unwrap_or_default(),
            "count" => s.count.to_string(),
            "times" => times(s.count),
            "first" => self.time.format(s.first),
            "last" => self.time.format(s.last),
            "window" => format_duration(rule.window),
            _ => String::new(),
        }
    }
}

/// A rule's message and note with their placeholders filled.
struct Texts {
    message: String,
    note: Option<String>,
}

/// Fills `{key}` and the rule's named groups (`names`, with their values
/// in `labels`) into `text`. Control characters from the log line are
/// shown escaped, so a summary stays one line.
fn fill(text: &str, key: Option<&str>, labels: &[&[u8]], names: &[String]) -> String {
    if !text.contains('{') && !text.contains('}') {
        return text.to_owned();
    }
    let Ok(pieces) = split(text) else {
        return text.to_owned();
    };
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Literal(l) => out.push_str(&l),
            Piece::Placeholder(name) if name == "key" => out.push_str(&one_line(key.unwrap_or(""))),
            Piece::Placeholder(name) => {
                let value = names
                    .iter()
                    .position(|n| *n == name)
                    .and_then(|i| labels.get(i))
                    .map(|v| String::from_utf8_lossy(v))
                    .unwrap_or_default();
                out.push_str(&one_line(&value));
            }
        }
    }
    out
}

/// `text` with control characters and the Unicode line and paragraph
/// separators escaped (`\n`, `\t`, `\x00`, `\x1b`, `\u2028`): a value
/// taken from a log line must neither break a summary in two (U+2028 ends
/// a line for some readers, Python's `splitlines` among them) nor hide
/// what it holds. Each character stays in place, so the fields around it
/// stay apart.
pub(crate) fn one_line(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) && u32::from(c) <= 0xff => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Whether `one_line` escapes `c`.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A JSON value as one line: serde_json escapes the C0 controls in
/// strings but leaves U+0085, U+2028 and U+2029 as they are, valid JSON
/// that some line readers split on. They can only be inside strings, so
/// writing them as `\uXXXX` keeps the value exact.
fn json_line(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if !text.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
        return text;
    }
    text.replace('\u{85}', "\\u0085")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_str;
    use crate::time::{Time, DEFAULT_TIME_FORMAT};
    use std::time::Duration;

    fn rules() -> crate::rules::RuleSet {
        load_str(
            "r.toml",
            "[[rule]]\nname = \"sock\"\npattern = 'x(?P<dc>\\d)'\nkey = \"{dc}\"\nmessage = \"Pyrogram socket error\"\nnote = \"this is normal during network fluctuations\"\nlevel = \"DEBUG\"\n[[rule]]\nname = \"plain\"\npattern = 'y'\n",
            Duration::from_secs(30),
        )
        .unwrap()
    }

    fn summary(rule: usize, count: u64) -> Summary {
        Summary {
            rule,
            key: (rule == 0).then(|| b"4".to_vec()),
            count,
            first: Time(1_763_656_344_000),
            last: Time(1_763_656_370_500),
            at: Time(1_763_656_374_000),
        }
    }

    fn render(style: Style, s: &Summary) -> String {
        let set = rules();
        let f = SummaryFormatter::new(
            style,
            TimeFormatter::new(DEFAULT_TIME_FORMAT, true).unwrap(),
        );
        let mut out = Vec::new();
        f.write(s, &set.rules()[s.rule], &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn default_line_matches_the_documented_example() {
        assert_eq!(
            render(Style::Default, &summary(0, 150)),
            "2025-11-20 16:32:54 | DEBUG | Pyrogram socket error (occurred 150 times) - this is normal during network fluctuations\n"
        );
    }

    #[test]
    fn default_line_without_note_and_singular_count() {
        assert_eq!(
            render(Style::Default, &summary(1, 1)),
            "2025-11-20 16:32:54 | INFO | plain (occurred 1 time)\n"
        );
    }

    #[test]
    fn template_fills_every_placeholder() {
        let t = Template::parse("{{{rule}}} {key} {count}/{times} {first}..{last} [{window}] {level} {message}|{note}|{time}").unwrap();
        assert_eq!(
            render(Style::Template(t), &summary(0, 2)),
            "{sock} 4 2/2 times 2025-11-20 16:32:24..2025-11-20 16:32:50 [30s] DEBUG Pyrogram socket error|this is normal during network fluctuations|2025-11-20 16:32:54\n"
        );
    }

    #[test]
    fn template_errors() {
        assert!(Template::parse("{nope}").is_err());
        assert!(Template::parse("{time").is_err());
        assert!(Template::parse("time}").is_err());
    }

    #[test]
    fn json_has_every_field() {
        let line = render(Style::Json, &summary(0, 3));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["rule"], "sock");
        assert_eq!(v["key"], "4");
        assert_eq!(v["count"], 3);
        assert_eq!(v["level"], "DEBUG");
        assert_eq!(v["logdedup"], "summary");
        assert_eq!(v["time"], "2025-11-20T16:32:54.000Z");
        assert_eq!(v["first"], "2025-11-20T16:32:24.000Z");
        assert_eq!(v["last"], "2025-11-20T16:32:50.500Z");
        assert_eq!(v["window"], 30.0);
        assert_eq!(v["note"], "this is normal during network fluctuations");
        let plain: serde_json::Value =
            serde_json::from_str(&render(Style::Json, &summary(1, 1))).unwrap();
        assert!(plain["key"].is_null() && plain["note"].is_null());
    }

    /// The summary of one line matched by a rule with a key and a group
    /// the message prints, in `style`.
    fn render_line(style: Style, line: &[u8]) -> String {
        let set = load_str(
            "r.toml",
            "[[rule]]\nname = \"login\"\npattern = 'failed login of (?P<user>.+) from (?P<ip>.+)'\nkey = \"{user}\"\nmessage = \"failed logins of {key} from {ip}\"\n",
            Duration::from_secs(30),
        )
        .unwrap();
        let mut scratch = set.scratch();
        let Some(crate::rules::Found::Rule(id, key)) = set.match_line(line, None, &mut scratch)
        else {
            panic!("no match");
        };
        let s = Summary {
            rule: id,
            key: Some(key.to_vec()),
            count: 2,
            first: Time(0),
            last: Time(0),
            at: Time(0),
        };
        let f = SummaryFormatter::new(style, TimeFormatter::new("T", true).unwrap());
        let mut out = Vec::new();
        f.write(&s, &set.rules()[id], &mut out);
        String::from_utf8(out).unwrap()
    }

    // A NUL in a captured key was read as the separator between the key
    // and the message's groups: "failed logins of adm from in" instead of
    // "from 10.0.0.1", and JSON "key": "adm".
    #[test]
    fn control_characters_in_keys_are_escaped_and_fields_stay_apart() {
        let line = b"failed login of adm\0in from 10.0.0.1";
        assert_eq!(
            render_line(Style::Default, line),
            "T | INFO | failed logins of adm\\x00in from 10.0.0.1 (occurred 2 times)\n"
        );
        let json = render_line(Style::Json, line);
        assert!(
            json.ends_with('\n') && json.lines().count() == 1,
            "{json:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["key"], "adm\0in");
        assert_eq!(v["message"], "failed logins of adm\\x00in from 10.0.0.1");
        let line = "failed login of a\u{2028}b\u{1b}[2J from 10.0.0.2\u{85}".as_bytes();
        let text = render_line(Style::Default, line);
        assert_eq!(
            text,
            "T | INFO | failed logins of a\\u2028b\\x1b[2J from 10.0.0.2\\x85 (occurred 2 times)\n"
        );
        let json = render_line(Style::Json, line);
        assert!(!json.contains(['\u{2028}', '\u{85}']), "{json:?}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["key"], "a\u{2028}b\u{1b}[2J");
    }
}
