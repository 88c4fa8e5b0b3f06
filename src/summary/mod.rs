//! Summary lines: the default text line, `--template` and `--format json`.
//!
//! Formatting happens only when a window closes, never per input line, so it
//! is free to allocate.

mod template;

use template::Part;
pub use template::Template;

use serde_json::json;

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
            None => (&[][..], Vec::new()),
        };
        let key = rule
            .key
            .is_some()
            .then(|| String::from_utf8_lossy(user_key).into_owned());
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
                out.extend_from_slice(value.to_string().as_bytes());
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

/// `text` with control characters escaped (`\n`, `\u{1b}`): a value taken
/// from a log line must not break a summary in two.
pub(crate) fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
}
