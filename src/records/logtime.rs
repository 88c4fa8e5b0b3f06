//! Log time: what time a record was logged at, for `--clock log`.
//! Presets for the common layouts, or a user pattern and strftime format.

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
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
    pub(crate) const ALL: [TimestampPreset; 5] = [
        TimestampPreset::Python,
        TimestampPreset::Loguru,
        TimestampPreset::Iso8601,
        TimestampPreset::Pyrogram,
        TimestampPreset::Syslog,
    ];

    /// Names accepted in `[input] timestamp = "NAME"`.
    pub(crate) fn from_name(name: &str) -> Option<TimestampPreset> {
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
    pub(crate) const NAMES: &'static str =
        "python, pyrogram, iso8601 (rfc3339, docker, heroku), syslog (journalctl), loguru (home-assistant)";

    /// The preset's pattern, compiled once.
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

/// Parses record times for `--clock log`. Nothing is allocated per line:
/// capture slots are kept and reused.
#[derive(Clone, Debug)]
pub struct LogClock {
    spec: TimestampSpec,
    locked: Option<TimestampPreset>,
    utc: bool,
    /// Year assumed for syslog stamps, which carry none; moved on at New
    /// Year (see [`LogClock::syslog_year`]).
    year: i32,
    /// The month of the last syslog stamp.
    syslog_month: Option<u32>,
    last: Option<Time>,
    /// Slots for the collector prefix.
    slots: Option<CaptureLocations>,
    /// Slots for each preset's pattern, in [`TimestampPreset::ALL`] order.
    preset_slots: Vec<CaptureLocations>,
    /// Slots for a custom pattern.
    custom_slots: Option<CaptureLocations>,
}

/// The fields of a timestamp, as read from a line.
struct Stamp {
    /// `None`: the layout has no year (syslog).
    year: Option<i32>,
    month: u32,
    day: u32,
    hms: (u32, u32, u32),
    nanos: u32,
    /// A zone written in the stamp (ISO 8601), making it absolute.
    offset: Option<FixedOffset>,
}

impl LogClock {
    /// A log clock; naive timestamps are local time unless `utc`.
    /// `year` is assumed for timestamps that have none.
    pub fn new(spec: TimestampSpec, utc: bool, year: i32) -> LogClock {
        let custom_slots = match &spec {
            TimestampSpec::Custom { pattern, .. } => Some(pattern.capture_locations()),
            _ => None,
        };
        LogClock {
            spec,
            locked: None,
            utc,
            year,
            syslog_month: None,
            last: None,
            slots: None,
            preset_slots: TimestampPreset::ALL
                .iter()
                .map(|p| p.regex().capture_locations())
                .collect(),
            custom_slots,
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
    pub(crate) fn last(&self) -> Option<Time> {
        self.last
    }

    fn parse(&mut self, line: &[u8]) -> Option<Time> {
        match &self.spec {
            TimestampSpec::Preset(p) => self.parse_preset(*p, line),
            TimestampSpec::Custom { pattern, format } => {
                let slots = self.custom_slots.as_mut()?;
                pattern.captures_read(slots, line)?;
                let (start, end) = slots.get(1).or_else(|| slots.get(0))?;
                let text = std::str::from_utf8(line.get(start..end)?).ok()?;
                parse_after(text, format, self.utc, self.last)
            }
            TimestampSpec::Auto => {
                if let Some(p) = self.locked {
                    if let Some(t) = self.parse_preset(p, line) {
                        return Some(t);
                    }
                }
                for p in TimestampPreset::ALL {
                    if let Some(t) = self.parse_preset(p, line) {
                        self.locked = Some(p);
                        return Some(t);
                    }
                }
                None
            }
        }
    }

    fn parse_preset(&mut self, preset: TimestampPreset, line: &[u8]) -> Option<Time> {
        let index = TimestampPreset::ALL.iter().position(|p| *p == preset)?;
        let slots = self.preset_slots.get_mut(index)?;
        let stamp = read_stamp(preset, line, slots)?;
        let year = match stamp.year {
            Some(year) => year,
            None => self.syslog_year(stamp.month),
        };
        let date = NaiveDate::from_ymd_opt(year, stamp.month, stamp.day)?;
        let (h, m, sec) = stamp.hms;
        let naive = date.and_hms_nano_opt(h, m, sec, stamp.nanos)?;
        if let Some(offset) = stamp.offset {
            let at: DateTime<FixedOffset> = offset.from_local_datetime(&naive).single()?;
            return Some(Time(at.timestamp_millis()));
        }
        naive_to_time(naive, self.utc, self.last)
    }

    /// The year of a syslog stamp of `month`, which the stamp does not say:
    /// when the month goes back by half a year or more (`Dec 31` then
    /// `Jan  1`), a new year has begun. Without this the log clock would
    /// stop at New Year's Eve until the log reached December again.
    fn syslog_year(&mut self, month: u32) -> i32 {
        if self.syslog_month.is_some_and(|last| month + 6 <= last) {
            self.year += 1;
        }
        self.syslog_month = Some(month);
        self.year
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
/// In the hour a fall-back to winter time repeats, a local time has two
/// instants: the earlier one, unless that would step back before `last`
/// (the log has gone round the hour again), then the later one, so time
/// moves on and the windows of the two passes do not merge.
fn naive_to_time(naive: NaiveDateTime, utc: bool, last: Option<Time>) -> Option<Time> {
    if utc {
        return Some(Time(Utc.from_utc_datetime(&naive).timestamp_millis()));
    }
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(at) => Some(Time(at.timestamp_millis())),
        LocalResult::Ambiguous(a, b) => {
            // chrono orders the two by offset, not by instant: sort them.
            let (a, b) = (Time(a.timestamp_millis()), Time(b.timestamp_millis()));
            let (early, late) = (a.min(b), a.max(b));
            if last.is_some_and(|last| early < last) {
                Some(late)
            } else {
                Some(early)
            }
        }
        LocalResult::None => None,
    }
}

/// Reads the fields of `preset`'s layout at the start of `line`.
fn read_stamp(preset: TimestampPreset, line: &[u8], slots: &mut CaptureLocations) -> Option<Stamp> {
    preset.regex().captures_read(slots, line)?;
    let group = |i: usize| slots.get(i).and_then(|(s, e)| line.get(s..e));
    let n = |i: usize| group(i).and_then(number);
    let stamp = match preset {
        TimestampPreset::Python | TimestampPreset::Loguru | TimestampPreset::Iso8601 => Stamp {
            year: Some(n(1)? as i32),
            month: n(2)?,
            day: n(3)?,
            hms: (n(4)?, n(5)?, n(6)?),
            nanos: group(7).map_or(Some(0), nanos_of)?,
            offset: match group(8) {
                Some(zone) if preset == TimestampPreset::Iso8601 => Some(parse_offset(zone)?),
                _ => None,
            },
        },
        TimestampPreset::Pyrogram => Stamp {
            year: Some(2000 + n(3)? as i32),
            month: month_number(group(2)?)?,
            day: n(1)?,
            hms: (n(4)?, n(5)?, n(6)?),
            nanos: 0,
            offset: None,
        },
        TimestampPreset::Syslog => Stamp {
            year: None,
            month: month_number(group(1)?)?,
            day: n(2)?,
            hms: (n(3)?, n(4)?, n(5)?),
            nanos: 0,
            offset: None,
        },
    };
    Some(stamp)
}

/// `Z`, `+02:00` or `+0200`.
fn parse_offset(zone: &[u8]) -> Option<FixedOffset> {
    if zone == b"Z" {
        return FixedOffset::east_opt(0);
    }
    let sign = if zone.first() == Some(&b'-') { -1 } else { 1 };
    let mut digits = [0u32; 4];
    let mut count = 0;
    for &b in zone.get(1..)? {
        if b.is_ascii_digit() {
            *digits.get_mut(count)? = u32::from(b - b'0');
            count += 1;
        }
    }
    if count != 4 {
        return None;
    }
    let hours = (digits[0] * 10 + digits[1]) as i32;
    let minutes = (digits[2] * 10 + digits[3]) as i32;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Parses `text` with a strftime `format`, for a stamp that follows one
/// at `last`; with a zone in the format the time is absolute, else it is
/// local (or UTC).
fn parse_after(text: &str, format: &str, utc: bool, last: Option<Time>) -> Option<Time> {
    if let Ok(at) = DateTime::parse_from_str(text, format) {
        return Some(Time(at.timestamp_millis()));
    }
    let naive = NaiveDateTime::parse_from_str(text, format).ok()?;
    naive_to_time(naive, utc, last)
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
    fn syslog_year_moves_on_at_new_year() {
        let mut clock = LogClock::new(TimestampSpec::Auto, true, 2024);
        let eve = clock.time_of(b"Dec 31 23:59:59 host bot[1]: a");
        assert_eq!(eve, Some(t("2024-12-31T23:59:59Z")));
        let new_year = clock.time_of(b"Jan  1 00:00:00 host bot[1]: b");
        assert_eq!(new_year, Some(t("2025-01-01T00:00:00Z")));
        // A month back by one is disorder, not a new year.
        assert_eq!(
            clock.time_of(b"Feb  1 00:00:00 host bot[1]: c"),
            Some(t("2025-02-01T00:00:00Z"))
        );
        clock.time_of(b"Jan 31 23:59:00 host bot[1]: d");
        assert_eq!(
            clock.time_of(b"Feb  2 00:00:00 host bot[1]: e"),
            Some(t("2025-02-02T00:00:00Z"))
        );
    }

    #[test]
    fn zone_offsets_parse_in_both_spellings() {
        assert_eq!(parse_offset(b"+02:00"), FixedOffset::east_opt(7200));
        assert_eq!(parse_offset(b"-0130"), FixedOffset::east_opt(-5400));
        assert_eq!(parse_offset(b"+2"), None);
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
