//! A line as `suggest` reads it, through the filter's own readers: the
//! collector prefix split off (`records::split_collector_prefix`), then
//! time, level, logger and message from the layout recognizer
//! (`records::LayoutRecognizer`), as offsets into the line, and the time
//! in milliseconds (`records::timestamp_ms`). No layout is known here: a
//! layout the filter reads, `suggest` reads.

use regex::bytes::CaptureLocations;

use crate::records::{
    split_collector_prefix, timestamp_ms, Fields, LayoutId, LayoutRecognizer, LayoutSpec, Level,
};

/// Where a line's fields are, as byte ranges of the line (without its
/// collector prefix).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefix {
    /// Milliseconds on a continuous scale (only differences are used), if
    /// the line has a timestamp.
    pub time_ms: Option<i64>,
    /// The timestamp's range.
    pub time: Option<(usize, usize)>,
    /// The level, if the layout shows one.
    pub level: Option<Level>,
    /// The level word's range.
    pub level_span: Option<(usize, usize)>,
    /// The logger name's range.
    pub logger: Option<(usize, usize)>,
    /// Where the message starts: from here to the end of the line is the
    /// record's text (what a layout writes after the message, rich's path
    /// column, stays part of it, so a rule anchored at the line's end
    /// holds). 0 for a JSON line.
    pub body: usize,
    /// A JSON object: its message has no place in the line (it may be
    /// decoded), so its rule matches the message (`body`), not the line.
    pub json: bool,
}

impl Prefix {
    /// Whether the line is at ERROR or worse.
    pub(crate) fn is_error(&self) -> bool {
        self.level.is_some_and(|l| l >= Level::Error)
    }
}

/// One line read.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// The line without its collector prefix, as rules see it.
    pub text: &'a [u8],
    /// Where its fields are.
    pub prefix: Prefix,
    /// The logger name; empty without one.
    pub logger: &'a [u8],
    /// The level word as written (canonical for JSON); empty without one.
    pub level_word: &'a [u8],
    /// The message: `text` from [`Prefix::body`] on, or a JSON line's
    /// (decoded) message.
    pub message: &'a [u8],
}

/// Reads lines; keeps the recognizer's stream lock and its buffers.
pub(crate) struct Reader {
    layouts: LayoutRecognizer,
    slots: Option<CaptureLocations>,
    scratch: Vec<u8>,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            layouts: LayoutRecognizer::new(LayoutSpec::Auto),
            slots: None,
            scratch: Vec::new(),
        }
    }
}

impl Reader {
    /// Reads `line` (without its line ending).
    pub(crate) fn read<'a>(&'a mut self, line: &'a [u8]) -> Line<'a> {
        let (_, text) = split_collector_prefix(line, &mut self.slots);
        let f = self.layouts.recognize(text, &mut self.scratch);
        let span = |field: &[u8]| Fields::span_in(text, field);
        // A journald or docker line's time is in the prefix split off.
        let time_ms = f
            .time
            .and_then(timestamp_ms)
            .or_else(|| timestamp_ms(&line[..line.len() - text.len()]));
        let json = f.layout == LayoutId::JSON;
        let (body, message) = if json {
            (0, f.message)
        } else {
            let body = span(f.message).map_or(0, |(start, _)| start);
            (body, &text[body..])
        };
        Line {
            text,
            prefix: Prefix {
                time_ms,
                time: f.time.and_then(span),
                level: f.level,
                level_span: f.level_word.and_then(span).filter(|_| !json),
                logger: f.logger.and_then(span).filter(|_| !json),
                body,
                json,
            },
            logger: f.logger.unwrap_or_default(),
            level_word: match f.level {
                Some(level) if json => level.as_str().as_bytes(),
                _ => f.level_word.unwrap_or_default(),
            },
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (logger, level, message, has a time) of `line`, read alone.
    fn split(line: &str) -> (Option<String>, Option<Level>, String, bool) {
        let mut reader = Reader::default();
        let l = reader.read(line.as_bytes());
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            (!l.logger.is_empty()).then(|| text(l.logger)),
            l.prefix.level,
            text(l.message),
            l.prefix.time_ms.is_some(),
        )
    }

    #[test]
    fn common_python_layouts() {
        let msg = "socket.send() raised exception.";
        let some = |s: &str| Some(s.to_owned());
        for line in [
            format!("2025-11-20 16:32:54,123 - asyncio - WARNING - {msg}"),
            format!("[20-Nov-25 16:32:54 - WARNING] - asyncio - {msg}"),
            format!("2025-11-20 16:32:54.123 | WARNING  | asyncio:handle:42 - {msg}"),
            format!("2025-11-20T16:32:54.123+01:00 WARNING asyncio: {msg}"),
            format!("2025-11-20 16:32:54.123 WARNING (MainThread) [asyncio] {msg}"),
            format!("bot-1  | 2025-11-20 16:32:54,123 - asyncio - WARNING - {msg}"),
        ] {
            assert_eq!(
                split(&line),
                (some("asyncio"), Some(Level::Warning), msg.to_owned(), true),
                "{line}"
            );
        }
        assert_eq!(
            split(&format!("WARNING:asyncio:{msg}")),
            (some("asyncio"), Some(Level::Warning), msg.to_owned(), false)
        );
        assert_eq!(
            split("ERROR:bot:[1] failed"),
            (
                some("bot"),
                Some(Level::Error),
                "[1] failed".to_owned(),
                false
            )
        );
        // rich: its path column stays part of the text a rule anchors on.
        assert_eq!(
            split("[11/20/25 16:32:54] ERROR    Unclosed client session      asyncio.py:2"),
            (
                None,
                Some(Level::Error),
                "Unclosed client session      asyncio.py:2".to_owned(),
                true
            )
        );
    }

    #[test]
    fn plain_text_keeps_its_words() {
        for line in ["Note: hello", "Traceback (most recent call last):"] {
            assert_eq!(split(line), (None, None, line.to_owned(), false));
        }
        assert_eq!(
            split("INFO:     127.0.0.1:5000 - \"GET / HTTP/1.1\" 200"),
            (
                None,
                Some(Level::Info),
                "127.0.0.1:5000 - \"GET / HTTP/1.1\" 200".to_owned(),
                false
            )
        );
    }

    #[test]
    fn spans_point_into_the_line() {
        let line = "[20-Nov-25 16:32:54 - warning] - bot.x - hi";
        let mut reader = Reader::default();
        let l = reader.read(line.as_bytes());
        let p = &l.prefix;
        let at = |span: Option<(usize, usize)>| span.map(|(s, e)| &line[s..e]);
        assert_eq!(at(p.time), Some("20-Nov-25 16:32:54"));
        assert_eq!(at(p.level_span), Some("warning"));
        assert_eq!(at(p.logger), Some("bot.x"));
        assert_eq!(&line[p.body..], "hi");
        assert!(!p.is_error() && !p.json);
    }

    /// A JSON line's message is its decoded `message` value, its level
    /// word the canonical name, and it has no spans in the line.
    #[test]
    fn json_lines_give_their_decoded_message() {
        let line = br#"{"time": "2025-11-20T16:32:54Z", "name": "bot.db", "levelname": "critical", "message": "lost \"main\""}"#;
        let mut reader = Reader::default();
        let l = reader.read(line);
        assert_eq!(l.message, br#"lost "main""#);
        assert_eq!((l.logger, l.level_word), (&b"bot.db"[..], &b"CRITICAL"[..]));
        let p = &l.prefix;
        assert!(p.json && p.is_error() && p.time_ms.is_some());
        assert_eq!((p.logger, p.level_span, p.body), (None, None, 0));
    }

    #[test]
    fn times_are_comparable_across_layouts_and_collector_prefixes() {
        let time = |line: &str| Reader::default().read(line.as_bytes()).prefix.time_ms;
        let a = time("2025-11-20 16:32:54,123 - x - INFO - m").unwrap();
        let b = time("[20-Nov-25 16:32:55 - INFO] - x - m").unwrap();
        assert_eq!(b - a, 877);
        let c = time(r#"{"asctime": "2025-11-20 16:32:56,123", "message": "m"}"#).unwrap();
        assert_eq!(c - a, 2000);
        let syslog = time("Nov 20 16:32:54 host bot[12]: m").unwrap();
        assert_eq!(
            time("Nov 20 16:33:04 host bot[12]: m").unwrap() - syslog,
            10_000
        );
        assert!(time("2025-13-20 16:32:54 x").is_none());
    }

    #[test]
    fn never_panics_on_fragments() {
        let mut reader = Reader::default();
        let lines: [&[u8]; 3] = [
            b"[2025-11-20 16:32:54,123] - pyrogram - ERROR - x",
            br#"{"message": "a\u00e9", "level": "info"}"#,
            &[0xff, b'[', b'2', b'0'],
        ];
        for line in lines {
            for n in 0..=line.len() {
                let _ = reader.read(&line[..n]);
            }
        }
    }
}
