//! Log time: what time a record was logged at, for `--clock log`.
//! Presets for the common layouts, or a user pattern and strftime format.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::bytes::{CaptureLocations, Regex};
use std::sync::OnceLock;

use super::prefix::split_collector_prefix;
use crate::time::Time;

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
    /// Capture slots per preset (by its number), so that parsing a line's
    /// time allocates nothing.
    preset_slots: [Option<CaptureLocations>; 5],
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
            preset_slots: Default::default(),
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
            TimestampSpec::Preset(p) => {
                let slots = &mut self.preset_slots[*p as usize];
                parse_preset(*p, line, self.utc, self.year, slots)
            }
            TimestampSpec::Custom { pattern, format } => {
                let caps = pattern.captures(line)?;
                let m = caps.get(1).or_else(|| caps.get(0))?;
                let text = std::str::from_utf8(m.as_bytes()).ok()?;
                parse_with_format(text, format, self.utc)
            }
            TimestampSpec::Auto => {
                if let Some(p) = self.locked {
                    let slots = &mut self.preset_slots[p as usize];
                    if let Some(t) = parse_preset(p, line, self.utc, self.year, slots) {
                        return Some(t);
                    }
                }
                for p in TimestampPreset::ALL {
                    let slots = &mut self.preset_slots[p as usize];
                    if let Some(t) = parse_preset(p, line, self.utc, self.year, slots) {
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

fn parse_preset(
    preset: TimestampPreset,
    line: &[u8],
    utc: bool,
    year: i32,
    slots: &mut Option<CaptureLocations>,
) -> Option<Time> {
    let regex = preset.regex();
    let slots = slots.get_or_insert_with(|| regex.capture_locations());
    regex.captures_read(slots, line)?;
    let group = |i: usize| slots.get(i).map(|(start, end)| &line[start..end]);
    let n = |i: usize| group(i).and_then(number);
    let (date, hms, nanos) = match preset {
        TimestampPreset::Python | TimestampPreset::Loguru | TimestampPreset::Iso8601 => {
            let date = NaiveDate::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?)?;
            let nanos = group(7).map_or(Some(0), nanos_of)?;
            (date, (n(4)?, n(5)?, n(6)?), nanos)
        }
        TimestampPreset::Pyrogram => {
            let month = month_number(group(2)?)?;
            let date = NaiveDate::from_ymd_opt(2000 + n(3)? as i32, month, n(1)?)?;
            (date, (n(4)?, n(5)?, n(6)?), 0)
        }
        TimestampPreset::Syslog => {
            let month = month_number(group(1)?)?;
            let date = NaiveDate::from_ymd_opt(year, month, n(2)?)?;
            (date, (n(3)?, n(4)?, n(5)?), 0)
        }
    };
    let naive = date.and_hms_nano_opt(hms.0, hms.1, hms.2, nanos)?;
    if preset == TimestampPreset::Iso8601 {
        if let Some(zone) = group(8) {
            let offset = parse_offset(zone)?;
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
