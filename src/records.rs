//! Records and log time: which lines continue the record before them (a
//! Python traceback, say), and what time a record was logged at.
//!
//! Both are pure functions of the lines seen so far. Framing looks through
//! the prefix a log collector puts on every line (docker compose, journald,
//! Heroku, docker `--timestamps`), and keeps one record per source, so that
//! `bot-1  | Traceback ...` continues the last record of `bot-1` even when
//! another service's lines come in between.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::bytes::{CaptureLocations, Regex};
use std::sync::OnceLock;

use crate::time::Time;

/// How continuation lines are recognized.
#[derive(Clone, Debug)]
pub enum Framing {
    /// Every line is a record of its own.
    Lines,
    /// Lines matching this regex start a record; the others continue the
    /// previous one.
    RecordStart(Regex),
    /// Lines matching this regex continue the previous record.
    Continuation(Regex),
    /// Python's traceback layout (see [`python_traceback_continues`]).
    PythonTraceback,
}

impl Framing {
    /// Whether any framing is on.
    pub fn is_on(&self) -> bool {
        !matches!(self, Framing::Lines)
    }

    /// A short description for messages and `--stats`.
    pub fn describe(&self) -> String {
        match self {
            Framing::Lines => "one line per record".into(),
            Framing::RecordStart(r) => format!("record_start = '{}'", r.as_str()),
            Framing::Continuation(r) => format!("continuation = '{}'", r.as_str()),
            Framing::PythonTraceback => "continuation = \"python-traceback\"".into(),
        }
    }
}

/// The name of the built-in continuation preset.
pub const PYTHON_TRACEBACK: &str = "python-traceback";

/// Where a Python traceback stands, per source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Traceback {
    /// Not in a traceback.
    #[default]
    Outside,
    /// After `Traceback (most recent call last):` or a frame line.
    Frames,
    /// After the final `SomeError: message` line.
    Raised,
    /// After a "During handling..." / "The above exception..." separator.
    Chained,
}

/// What the framer says about one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The line starts a record.
    Start,
    /// The line continues the previous record from the same source.
    Continuation,
}

/// Most sources tracked at once; past that the least recently seen is
/// forgotten (its next line starts a record), so memory stays bounded.
const MAX_SOURCES: usize = 64;

#[derive(Clone, Debug)]
struct Source {
    id: Vec<u8>,
    has_record: bool,
    traceback: Traceback,
    /// What the engine decided for the current record of this source.
    disposition: Option<Disposition>,
    last_seen: u64,
}

/// What happens to the continuation lines of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// They pass (the record passed).
    Pass,
    /// They are suppressed with the record, by this rule.
    Suppress(usize),
}

/// Line-by-line record framing state.
#[derive(Clone, Debug)]
pub struct Framer {
    framing: Framing,
    sources: Vec<Source>,
    current: usize,
    clock: u64,
    /// Made on first use: most streams never show a collector prefix, and
    /// building the prefix regex costs start-up time.
    slots: Option<CaptureLocations>,
}

impl Framer {
    /// A framer with no records seen yet.
    pub fn new(framing: Framing) -> Framer {
        Framer {
            framing,
            sources: Vec::new(),
            current: 0,
            clock: 0,
            slots: None,
        }
    }

    /// The framing in use.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Classifies `line` (without its line ending) and returns, for a
    /// continuation, the disposition of the record it continues. After a
    /// [`Frame::Start`], the caller reports its decision with
    /// [`Framer::started`].
    pub fn classify(&mut self, line: &[u8]) -> (Frame, Option<Disposition>) {
        if !self.framing.is_on() {
            return (Frame::Start, None);
        }
        let (source_id, body) = split_collector_prefix(line, &mut self.slots);
        self.clock += 1;
        let index = self.source_index(source_id);
        let source = &mut self.sources[index];
        source.last_seen = self.clock;
        self.current = index;
        let continues = match &self.framing {
            Framing::Lines => false,
            Framing::RecordStart(re) => !re.is_match(body),
            Framing::Continuation(re) => re.is_match(body),
            Framing::PythonTraceback => {
                let (continues, next) = python_traceback_continues(source.traceback, body);
                source.traceback = next;
                continues
            }
        };
        // (For python-traceback, a line that does not continue leads to the
        // same next state from any state, so `next` above is already right.)
        if continues && source.has_record {
            (Frame::Continuation, source.disposition)
        } else {
            source.has_record = true;
            source.disposition = None;
            (Frame::Start, None)
        }
    }

    /// The common case, settled without the general machinery: with
    /// python-traceback framing and no collector prefix seen, a line that
    /// starts with `[` or a digit (a timestamped log line) and has no prefix
    /// starts a passing record whatever came before. Returns false, having
    /// changed nothing, for any other line; call [`Framer::classify`] then.
    pub fn plain_passing_start(&mut self, line: &[u8]) -> bool {
        if !matches!(self.framing, Framing::PythonTraceback) || self.sources.len() > 1 {
            return false;
        }
        let plain = match line.first() {
            Some(b'[') => true,
            Some(b) if b.is_ascii_digit() => !may_have_collector_prefix(line),
            _ => false,
        };
        if !plain {
            return false;
        }
        self.clock += 1;
        let index = self.source_index(&[]);
        let source = &mut self.sources[index];
        source.last_seen = self.clock;
        source.has_record = true;
        source.traceback = Traceback::Outside;
        source.disposition = Some(Disposition::Pass);
        self.current = index;
        true
    }

    /// Records what was decided for the record the last classified line
    /// started. `None`: its continuations start records of their own (a
    /// rule with `multiline = false`).
    pub fn started(&mut self, disposition: Option<Disposition>) {
        if let Some(source) = self.sources.get_mut(self.current) {
            source.disposition = disposition;
        }
    }

    /// Re-points the rule of suppressed records after a reload moved rule
    /// numbers; a record whose rule is gone passes its remaining lines.
    pub fn renumber(&mut self, new_id: impl Fn(usize) -> Option<usize>) {
        for source in &mut self.sources {
            if let Some(Disposition::Suppress(old)) = source.disposition {
                source.disposition =
                    Some(new_id(old).map_or(Disposition::Pass, Disposition::Suppress));
            }
        }
    }

    fn source_index(&mut self, id: &[u8]) -> usize {
        // The common case: one stream, no collector prefix.
        if self.sources.first().is_some_and(|s| s.id == id) {
            return 0;
        }
        if let Some(i) = self.sources.iter().position(|s| s.id == id) {
            return i;
        }
        let fresh = Source {
            id: id.to_vec(),
            has_record: false,
            traceback: Traceback::Outside,
            disposition: None,
            last_seen: self.clock,
        };
        if self.sources.len() < MAX_SOURCES {
            self.sources.push(fresh);
            return self.sources.len() - 1;
        }
        let oldest = self
            .sources
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.last_seen)
            .map_or(0, |(i, _)| i);
        self.sources[oldest] = fresh;
        oldest
    }
}

/// The collector-prefix regex and the indices of its source groups.
struct CollectorPrefix {
    regex: Regex,
    sources: [usize; 3],
}

fn collector_prefix() -> &'static CollectorPrefix {
    static PREFIX: OnceLock<CollectorPrefix> = OnceLock::new();
    PREFIX.get_or_init(|| {
        // ASCII classes: the Unicode ones would cost milliseconds to build.
        let regex = Regex::new(concat!(
            "(?-u)",
            // docker compose: `bot-1  | ` (v2) or `bot_1  | ` (v1)
            r"^(?:(?P<compose>[A-Za-z0-9][\w.-]*[-_]\d+)\s+\| ",
            // journald / syslog: `Mar 14 03:22:41 host python3[2211]: `
            r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?P<journal>\S+ [^\s:\[]+(?:\[\d+\])?): ",
            // Heroku: `2022-01-07T15:23:27.046930+00:00 app[worker.1]: `
            r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) (?P<heroku>[\w-]+\[[\w.-]+\]): ",
            // docker logs --timestamps: `2025-11-20T16:32:54.123456789Z `
            r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z )",
        ))
        .expect("collector prefix regex is valid");
        let index = |name: &str| regex.capture_names().position(|n| n == Some(name)).unwrap_or(0);
        let sources = [index("compose"), index("journal"), index("heroku")];
        CollectorPrefix { regex, sources }
    })
}

/// Splits a collector prefix off `line`: (source id, the rest). Lines
/// without a known prefix have an empty source id. `slots` are capture
/// slots kept by the caller (made here on first use), so the per-line split
/// allocates nothing.
pub fn split_collector_prefix<'l>(
    line: &'l [u8],
    slots: &mut Option<CaptureLocations>,
) -> (&'l [u8], &'l [u8]) {
    if !may_have_collector_prefix(line) {
        return (&[], line);
    }
    let prefix = collector_prefix();
    let slots = slots.get_or_insert_with(|| prefix.regex.capture_locations());
    let Some(whole) = prefix.regex.captures_read(slots, line) else {
        return (&[], line);
    };
    let source = prefix
        .sources
        .iter()
        .find_map(|&i| slots.get(i))
        .map_or(&[][..], |(start, end)| &line[start..end]);
    (source, &line[whole.end()..])
}

/// A cheap test that rules out the prefixes for almost every plain log
/// line, so the prefix regex runs only on lines that may carry one.
fn may_have_collector_prefix(line: &[u8]) -> bool {
    let Some(&first) = line.first() else {
        return false;
    };
    if !first.is_ascii_alphanumeric() {
        return false;
    }
    // Heroku / docker --timestamps: `YYYY-MM-DDT...`
    if line.len() > 20 && line[4] == b'-' && line[10] == b'T' {
        return true;
    }
    // journald: `Mon DD HH:MM:SS `
    if line.len() > 16 && line[3] == b' ' && line[9] == b':' && first.is_ascii_uppercase() {
        return true;
    }
    // docker compose: `name-N`, padding spaces, `| `. One forward scan over
    // the name: plain log lines fail at their first space or colon.
    let name_end = line
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let ends_in_index = name
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .is_some_and(|i| i + 1 < name.len() && matches!(name[i], b'-' | b'_'));
    if !ends_in_index {
        return false;
    }
    let spaces = line[name_end..].iter().take_while(|&&b| b == b' ').count();
    spaces > 0 && line[name_end + spaces..].starts_with(b"| ")
}

fn exception_line() -> &'static Regex {
    static EXC: OnceLock<Regex> = OnceLock::new();
    EXC.get_or_init(|| {
        // `OSError: Connection lost`, `KeyboardInterrupt`,
        // `pyrogram.errors.exceptions.flood_420.FloodWait: Telegram says: ...`
        Regex::new(r"^[A-Za-z_][\w.]*(?::(?: .*)?)?$").expect("exception regex is valid")
    })
}

/// Python's traceback layout as a little state machine: does `line` (after
/// any collector prefix) continue the record, and what state follows.
///
/// Continuations: the `Traceback (most recent call last):` header, indented
/// lines (frames, code, exception-group boxes, rich's wrapped message lines
/// and its `│ ╭ ╰` boxes), the final `SomeError: message` line after the
/// frames, the chained-exception separators with their blank lines. A new
/// `Traceback` header right after a finished traceback, without a
/// separator, is a new record: a second, unrelated error.
fn python_traceback_continues(state: Traceback, line: &[u8]) -> (bool, Traceback) {
    const HEADER: &[u8] = b"Traceback (most recent call last):";
    const SEPARATORS: [&[u8]; 2] = [
        b"During handling of the above exception, another exception occurred:",
        b"The above exception was the direct cause of the following exception:",
    ];
    let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
    // Dispatch on the first byte: most lines are log lines starting with a
    // digit, a bracket or a level name, and are settled in a comparison or two.
    let Some(&first) = trimmed.first() else {
        return (state != Traceback::Outside, state);
    };
    let indented = match first {
        b' ' | b'\t' => true,
        // `│ ╭ ╰ ┃ ┏ ┗` (rich's boxes) all start with 0xE2 0x94 / 0x95.
        0xE2 => matches!(trimmed.get(1), Some(0x94 | 0x95)),
        b'T' | b'D' => {
            if trimmed.starts_with(HEADER)
                || trimmed.starts_with(b"Traceback (most recent call first):")
            {
                return (state != Traceback::Raised, Traceback::Frames);
            }
            if SEPARATORS.iter().any(|s| trimmed.starts_with(s)) {
                return (state != Traceback::Outside, Traceback::Chained);
            }
            false
        }
        _ => false,
    };
    let blank =
        (first.is_ascii_whitespace() || indented) && trimmed.iter().all(u8::is_ascii_whitespace);
    match state {
        _ if blank => (state != Traceback::Outside, state),
        _ if indented => (
            true,
            if state == Traceback::Outside {
                state
            } else {
                Traceback::Frames
            },
        ),
        Traceback::Frames if exception_line().is_match(trimmed) => (true, Traceback::Raised),
        _ => (false, Traceback::Outside),
    }
}

// ---------------------------------------------------------------------------
// Log time

/// A built-in timestamp layout, tried at the start of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampPreset {
    /// Python logging's default `%Y-%m-%d %H:%M:%S,%f` (milliseconds).
    Python,
    /// Pyrogram's template `[%d-%b-%y %H:%M:%S - LEVEL]`.
    Pyrogram,
    /// ISO 8601 / RFC 3339, with `T` or a space, optional fraction and zone;
    /// covers docker `--timestamps` and Heroku prefixes.
    Iso8601,
    /// syslog / `journalctl` short: `%b %e %H:%M:%S` (the current year).
    Syslog,
    /// loguru and Home Assistant: `%Y-%m-%d %H:%M:%S.%f`.
    Loguru,
}

impl TimestampPreset {
    /// Every preset, in the order tried.
    pub const ALL: [TimestampPreset; 5] = [
        TimestampPreset::Python,
        TimestampPreset::Loguru,
        TimestampPreset::Iso8601,
        TimestampPreset::Pyrogram,
        TimestampPreset::Syslog,
    ];

    /// Names accepted in `[input] timestamp = "NAME"`.
    pub fn from_name(name: &str) -> Option<TimestampPreset> {
        Some(match name {
            "python" => TimestampPreset::Python,
            "pyrogram" => TimestampPreset::Pyrogram,
            "iso8601" | "rfc3339" | "docker" | "heroku" => TimestampPreset::Iso8601,
            "syslog" | "journalctl" => TimestampPreset::Syslog,
            "loguru" | "home-assistant" => TimestampPreset::Loguru,
            _ => return None,
        })
    }

    /// The names, for error messages.
    pub const NAMES: &'static str =
        "python, pyrogram, iso8601 (rfc3339, docker, heroku), syslog (journalctl), loguru (home-assistant)";

    fn regex(self) -> &'static Regex {
        static CELLS: [OnceLock<Regex>; 5] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let (i, pattern) = match self {
            TimestampPreset::Python => {
                (0, r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{1,9})")
            }
            TimestampPreset::Loguru => {
                (1, r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,9})")
            }
            TimestampPreset::Iso8601 => (
                2,
                r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?",
            ),
            TimestampPreset::Pyrogram => {
                (3, r"^\[(\d\d)-([A-Z][a-z]{2})-(\d\d) (\d\d):(\d\d):(\d\d)")
            }
            TimestampPreset::Syslog => (4, r"^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)"),
        };
        CELLS[i].get_or_init(|| Regex::new(pattern).expect("preset regex is valid"))
    }
}

/// How `[input] timestamp` was given.
#[derive(Clone, Debug)]
pub enum TimestampSpec {
    /// Try every preset on each line until one fits, then keep to it.
    Auto,
    /// One preset.
    Preset(TimestampPreset),
    /// A user pattern (its first capture group, or the whole match) parsed
    /// with a chrono strftime format.
    Custom {
        /// Where the timestamp is.
        pattern: Regex,
        /// How to read it.
        format: String,
    },
}

/// Parses record times for `--clock log`.
#[derive(Clone, Debug)]
pub struct LogClock {
    spec: TimestampSpec,
    locked: Option<TimestampPreset>,
    utc: bool,
    /// Year assumed for syslog stamps, which carry none.
    year: i32,
    last: Option<Time>,
    slots: Option<CaptureLocations>,
}

impl LogClock {
    /// A log clock; naive timestamps are local time unless `utc`.
    /// `year` is assumed for timestamps that have none.
    pub fn new(spec: TimestampSpec, utc: bool, year: i32) -> LogClock {
        LogClock {
            spec,
            locked: None,
            utc,
            year,
            last: None,
            slots: None,
        }
    }

    /// The time of `line`: its own timestamp, else the last one seen (time
    /// never goes backwards: an earlier stamp counts as the last one).
    /// `None` until the first timestamp is seen.
    pub fn time_of(&mut self, line: &[u8]) -> Option<Time> {
        let parsed = self.parse(line).or_else(|| {
            let (source, body) = split_collector_prefix(line, &mut self.slots);
            if source.is_empty() && body.len() == line.len() {
                None
            } else {
                self.parse(body)
            }
        });
        if let Some(t) = parsed {
            self.last = Some(self.last.map_or(t, |last| last.max(t)));
        }
        self.last
    }

    /// The last time seen.
    pub fn last(&self) -> Option<Time> {
        self.last
    }

    fn parse(&mut self, line: &[u8]) -> Option<Time> {
        match &self.spec {
            TimestampSpec::Preset(p) => parse_preset(*p, line, self.utc, self.year),
            TimestampSpec::Custom { pattern, format } => {
                let caps = pattern.captures(line)?;
                let m = caps.get(1).or_else(|| caps.get(0))?;
                let text = std::str::from_utf8(m.as_bytes()).ok()?;
                parse_with_format(text, format, self.utc)
            }
            TimestampSpec::Auto => {
                if let Some(p) = self.locked {
                    if let Some(t) = parse_preset(p, line, self.utc, self.year) {
                        return Some(t);
                    }
                }
                for p in TimestampPreset::ALL {
                    if let Some(t) = parse_preset(p, line, self.utc, self.year) {
                        self.locked = Some(p);
                        return Some(t);
                    }
                }
                None
            }
        }
    }
}

fn month_number(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

fn number(bytes: &[u8]) -> Option<u32> {
    std::str::from_utf8(bytes).ok()?.trim().parse().ok()
}

fn nanos_of(fraction: &[u8]) -> Option<u32> {
    let digits = number(fraction)?;
    Some(digits * 10u32.pow(9 - fraction.len().min(9) as u32))
}

/// Converts a naive (zone-less) time to [`Time`], in UTC or local time.
fn naive_to_time(naive: NaiveDateTime, utc: bool) -> Option<Time> {
    let ms = if utc {
        Utc.from_utc_datetime(&naive).timestamp_millis()
    } else {
        Local
            .from_local_datetime(&naive)
            .earliest()?
            .timestamp_millis()
    };
    Some(Time(ms))
}

fn parse_preset(preset: TimestampPreset, line: &[u8], utc: bool, year: i32) -> Option<Time> {
    let caps = preset.regex().captures(line)?;
    let n = |i: usize| caps.get(i).and_then(|m| number(m.as_bytes()));
    let (date, hms, nanos) = match preset {
        TimestampPreset::Python | TimestampPreset::Loguru | TimestampPreset::Iso8601 => {
            let date = NaiveDate::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?)?;
            let nanos = caps.get(7).map_or(Some(0), |m| nanos_of(m.as_bytes()))?;
            (date, (n(4)?, n(5)?, n(6)?), nanos)
        }
        TimestampPreset::Pyrogram => {
            let month = month_number(caps.get(2)?.as_bytes())?;
            let date = NaiveDate::from_ymd_opt(2000 + n(3)? as i32, month, n(1)?)?;
            (date, (n(4)?, n(5)?, n(6)?), 0)
        }
        TimestampPreset::Syslog => {
            let month = month_number(caps.get(1)?.as_bytes())?;
            let date = NaiveDate::from_ymd_opt(year, month, n(2)?)?;
            (date, (n(3)?, n(4)?, n(5)?), 0)
        }
    };
    let naive = date.and_hms_nano_opt(hms.0, hms.1, hms.2, nanos)?;
    if preset == TimestampPreset::Iso8601 {
        if let Some(zone) = caps.get(8) {
            let offset = parse_offset(zone.as_bytes())?;
            let at: DateTime<FixedOffset> = offset.from_local_datetime(&naive).single()?;
            return Some(Time(at.timestamp_millis()));
        }
    }
    naive_to_time(naive, utc)
}

fn parse_offset(zone: &[u8]) -> Option<FixedOffset> {
    if zone == b"Z" {
        return FixedOffset::east_opt(0);
    }
    let sign = if zone.first() == Some(&b'-') { -1 } else { 1 };
    let digits: Vec<u8> = zone[1..]
        .iter()
        .copied()
        .filter(u8::is_ascii_digit)
        .collect();
    let hours = number(digits.get(..2)?)? as i32;
    let minutes = number(digits.get(2..4)?)? as i32;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Parses `text` with a strftime `format`; with a zone in the format the
/// time is absolute, else it is local (or UTC).
pub fn parse_with_format(text: &str, format: &str, utc: bool) -> Option<Time> {
    if let Ok(at) = DateTime::parse_from_str(text, format) {
        return Some(Time(at.timestamp_millis()));
    }
    let naive = NaiveDateTime::parse_from_str(text, format).ok()?;
    naive_to_time(naive, utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framing: Framing, lines: &[&str]) -> Vec<Frame> {
        let mut f = Framer::new(framing);
        lines
            .iter()
            .map(|l| {
                let (frame, _) = f.classify(l.as_bytes());
                if frame == Frame::Start {
                    f.started(Some(Disposition::Pass));
                }
                frame
            })
            .collect()
    }

    use Frame::{Continuation as C, Start as S};

    #[test]
    fn python_traceback_is_one_record_with_its_log_line() {
        let lines = [
            "2025-11-20 16:33:01,118 - pyrogram.session.session - ERROR - Connection lost",
            "Traceback (most recent call last):",
            "  File \"/usr/lib/python3.11/site-packages/pyrogram/session/session.py\", line 290, in send",
            "    await self.connection.send(payload)",
            "OSError: Connection lost",
            "2025-11-20 16:33:02,000 - bot - INFO - next",
        ];
        assert_eq!(frames(Framing::PythonTraceback, &lines), [S, C, C, C, C, S]);
    }

    #[test]
    fn chained_tracebacks_stay_together() {
        let lines = [
            "ERROR:bot:failed",
            "Traceback (most recent call last):",
            "  File \"a.py\", line 1, in f",
            "KeyError: 'x'",
            "",
            "During handling of the above exception, another exception occurred:",
            "",
            "Traceback (most recent call last):",
            "  File \"a.py\", line 3, in g",
            "ValueError: bad",
            "INFO:bot:next",
        ];
        assert_eq!(
            frames(Framing::PythonTraceback, &lines),
            [S, C, C, C, C, C, C, C, C, C, S]
        );
    }

    #[test]
    fn a_second_traceback_right_after_one_is_a_new_record() {
        let lines = [
            "ERROR:pyrogram:Connection lost",
            "Traceback (most recent call last):",
            "  File \"x.py\", line 1, in f",
            "OSError: Connection lost",
            "Traceback (most recent call last):",
            "  File \"main.py\", line 31, in <module>",
            "OSError: Connection lost",
        ];
        assert_eq!(
            frames(Framing::PythonTraceback, &lines),
            [S, C, C, C, S, C, C]
        );
    }

    #[test]
    fn blank_lines_outside_a_traceback_start_records() {
        assert_eq!(
            frames(Framing::PythonTraceback, &["INFO:a:b", "", "INFO:a:c"]),
            [S, S, S]
        );
    }

    #[test]
    fn rich_wrapped_and_boxed_lines_continue() {
        let lines = [
            "[11/20/25 16:32:54] WARNING  a very long message that rich   handler.py:12",
            "                    wrapped onto a second line",
            "╭───────────── Traceback (most recent call last) ─────────────╮",
            "│ /srv/bot/main.py:31 in <module>                             │",
            "╰─────────────────────────────────────────────────────────────╯",
            "[11/20/25 16:32:55] INFO     next",
        ];
        assert_eq!(frames(Framing::PythonTraceback, &lines), [S, C, C, C, C, S]);
    }

    #[test]
    fn collector_prefixes_are_seen_through_per_source() {
        let lines = [
            "bot-1  | ERROR:pyrogram:Connection lost",
            "web-1  | INFO: GET / 200",
            "bot-1  | Traceback (most recent call last):",
            "bot-1  |   File \"x.py\", line 1, in f",
            "web-1  | INFO: GET /health 200",
            "bot-1  | OSError: Connection lost",
        ];
        assert_eq!(frames(Framing::PythonTraceback, &lines), [S, S, C, C, S, C]);
        let journal = [
            "Mar 14 03:22:41 host python3[2211]: ERROR:bot:boom",
            "Mar 14 03:22:41 host python3[2211]: Traceback (most recent call last):",
            "Mar 14 03:22:41 host python3[2211]:   File \"x.py\", line 1, in f",
            "Mar 14 03:22:41 host python3[2211]: RuntimeError: boom",
        ];
        assert_eq!(frames(Framing::PythonTraceback, &journal), [S, C, C, C]);
        let heroku = [
            "2022-01-07T15:23:27.046930+00:00 app[worker.1]: ERROR:bot:boom",
            "2022-01-07T15:23:27.047000+00:00 app[worker.1]: Traceback (most recent call last):",
        ];
        assert_eq!(frames(Framing::PythonTraceback, &heroku), [S, C]);
    }

    #[test]
    fn record_start_and_continuation_regexes() {
        let start = Framing::RecordStart(Regex::new(r"^\d{4}-").unwrap());
        assert_eq!(
            frames(start, &["2025- a", "more", "  more", "2025- b"]),
            [S, C, C, S]
        );
        let cont = Framing::Continuation(Regex::new(r"^\s").unwrap());
        assert_eq!(frames(cont, &["a", " b", "c"]), [S, C, S]);
        // No previous record: even a continuation-looking line starts one.
        let cont = Framing::Continuation(Regex::new(r"^\s").unwrap());
        assert_eq!(frames(cont, &[" a", " b"]), [S, C]);
    }

    #[test]
    fn framing_off_makes_every_line_a_record() {
        assert_eq!(
            frames(
                Framing::Lines,
                &["a", " b", "Traceback (most recent call last):"]
            ),
            [S, S, S]
        );
    }

    fn t(s: &str) -> Time {
        Time(DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis())
    }

    #[test]
    fn presets_parse_their_formats() {
        let cases = [
            (
                "2022-01-07 15:23:27,046 - asyncio - WARNING - x",
                "2022-01-07T15:23:27.046Z",
            ),
            (
                "[31-Dec-23 20:40:50 - WARNING] - asyncio - x",
                "2023-12-31T20:40:50Z",
            ),
            ("2025-11-20T16:32:54Z x", "2025-11-20T16:32:54Z"),
            ("2025-11-20T16:32:54.5+02:00 x", "2025-11-20T14:32:54.5Z"),
            (
                "2025-11-20T16:32:54.123456789Z stdout from docker --timestamps",
                "2025-11-20T16:32:54.123Z",
            ),
            (
                "2022-01-07T15:23:27.046930+00:00 app[worker.1]: hi",
                "2022-01-07T15:23:27.046Z",
            ),
            (
                "Mar  4 03:22:41 host python3[2211]: hi",
                "2025-03-04T03:22:41Z",
            ),
            (
                "2025-11-20 16:32:54.123 | INFO | loguru",
                "2025-11-20T16:32:54.123Z",
            ),
            (
                "2025-11-20 16:32:54.123 WARNING (MainThread) [homeassistant.core] x",
                "2025-11-20T16:32:54.123Z",
            ),
        ];
        for (line, want) in cases {
            let mut clock = LogClock::new(TimestampSpec::Auto, true, 2025);
            assert_eq!(clock.time_of(line.as_bytes()), Some(t(want)), "{line}");
        }
    }

    #[test]
    fn custom_timestamp_pattern_and_format() {
        let spec = TimestampSpec::Custom {
            pattern: Regex::new(r"^(\S+ \S+)").unwrap(),
            format: "%Y/%m/%d %H:%M:%S".into(),
        };
        let mut clock = LogClock::new(spec, true, 2025);
        assert_eq!(
            clock.time_of(b"2025/11/20 16:32:54 hello"),
            Some(t("2025-11-20T16:32:54Z"))
        );
    }

    #[test]
    fn lines_without_time_take_the_last_and_time_never_goes_back() {
        let mut clock = LogClock::new(TimestampSpec::Auto, true, 2025);
        assert_eq!(clock.time_of(b"no time yet"), None);
        let first = clock.time_of(b"2025-11-20 16:32:54,000 a");
        assert_eq!(clock.time_of(b"  File \"x.py\""), first);
        assert_eq!(clock.time_of(b"2025-11-20 16:30:00,000 earlier"), first);
        assert!(clock.time_of(b"2025-11-20 16:33:00,000 later") > first);
    }

    #[test]
    fn docker_compose_prefix_then_python_time() {
        let mut clock = LogClock::new(TimestampSpec::Auto, true, 2025);
        assert_eq!(
            clock.time_of(b"bot-1  | 2022-01-07 15:23:27,046 - asyncio - WARNING - x"),
            Some(t("2022-01-07T15:23:27.046Z"))
        );
    }
}
