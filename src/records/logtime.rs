//! Log time: what time a record was logged at, for `--clock log`.
//! Presets for the common layouts, or a user pattern and strftime format.
//!
//! Consecutive lines nearly always share their second, so the clock keeps
//! the last second it parsed: a line whose stamp starts with the same bytes
//! up to the seconds costs a comparison and the reading of its fraction.
//! Only a new second goes through the date arithmetic and the time zone.

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::bytes::{CaptureLocations, Regex};

use super::prefix::{may_have_collector_prefix, split_collector_prefix};
use crate::time::Time;

mod stamp;
#[cfg(test)]
mod tests;

use stamp::{Head, Read};

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

    /// Whether a stamp of this preset that parses can start with `byte`:
    /// a digit (a Unicode one matches the reference's `\d` but then fails
    /// its number parse), `[`, or a capital.
    fn may_start_with(self, byte: u8) -> bool {
        match self {
            TimestampPreset::Python | TimestampPreset::Loguru | TimestampPreset::Iso8601 => {
                byte.is_ascii_digit()
            }
            TimestampPreset::Pyrogram => byte == b'[',
            TimestampPreset::Syslog => byte.is_ascii_uppercase(),
        }
    }

    /// The position in [`TimestampPreset::ALL`].
    fn index(self) -> usize {
        match self {
            TimestampPreset::Python => 0,
            TimestampPreset::Loguru => 1,
            TimestampPreset::Iso8601 => 2,
            TimestampPreset::Pyrogram => 3,
            TimestampPreset::Syslog => 4,
        }
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

/// The last second parsed, for the lines that share it.
#[derive(Clone, Copy, Debug)]
struct Second {
    /// `None`: nothing cached.
    preset: Option<TimestampPreset>,
    /// The line's first 16 bytes, and the mask of those that belong to the
    /// head (all, or the first 15 for syslog).
    first16: u128,
    mask: u128,
    /// The head's last four bytes, and the head's length: with `first16`
    /// they cover a head of 15 or 19 bytes in two comparisons.
    last4: u32,
    len: usize,
    /// The zone written after the fraction (ISO 8601), part of the key.
    offset: Option<FixedOffset>,
    /// The second's instants in milliseconds: equal, except for a local
    /// time in the hour a fall-back to winter time repeats.
    early: i64,
    late: i64,
}

/// The mask of a 15-byte head (syslog) in a 16-byte word.
const MASK_15: u128 = {
    let mut bytes = [0xff; 16];
    bytes[15] = 0;
    u128::from_ne_bytes(bytes)
};

/// The first 16 bytes of `line` as one word.
#[allow(clippy::inline_always)] // measured: the per-line hot path
#[inline(always)]
fn first16(line: &[u8]) -> Option<u128> {
    Some(u128::from_ne_bytes(line.get(..16)?.try_into().ok()?))
}

/// The four bytes before `end` as one word.
#[allow(clippy::inline_always)] // measured: the per-line hot path
#[inline(always)]
fn last4(line: &[u8], end: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        line.get(end.checked_sub(4)?..end)?.try_into().ok()?,
    ))
}

impl Second {
    const EMPTY: Second = Second {
        preset: None,
        first16: 0,
        mask: 0,
        last4: 0,
        len: 0,
        offset: None,
        early: 0,
        late: 0,
    };

    /// The second of the head of `line` (`len` bytes, at least 15), or
    /// nothing cached if the line is too short to compare as words.
    fn new(
        preset: TimestampPreset,
        line: &[u8],
        len: usize,
        offset: Option<FixedOffset>,
        (early, late): (i64, i64),
    ) -> Second {
        let mask = match len {
            15 => MASK_15,
            16.. => u128::MAX,
            _ => return Second::EMPTY,
        };
        let (Some(first), Some(last)) = (first16(line), last4(line, len)) else {
            return Second::EMPTY;
        };
        Second {
            preset: Some(preset),
            first16: first,
            mask,
            last4: last,
            len,
            offset,
            early,
            late,
        }
    }

    /// Whether `line` starts with this second's bytes.
    #[allow(clippy::inline_always)] // measured: the per-line hot path
    #[inline(always)]
    fn matches(&self, preset: TimestampPreset, line: &[u8]) -> bool {
        self.preset == Some(preset)
            && first16(line).is_some_and(|w| (w ^ self.first16) & self.mask == 0)
            && last4(line, self.len) == Some(self.last4)
    }
}

/// The instant of a second plus `nanos`, choosing between the two instants
/// of a repeated local hour as [`naive_to_time`] does.
fn pick(early: i64, late: i64, nanos: u32, last: Option<Time>) -> Time {
    let ms = i64::from(nanos / 1_000_000);
    let (early, late) = (Time(early + ms), Time(late + ms));
    if last.is_some_and(|last| early < last) {
        late
    } else {
        early
    }
}

/// Parses record times for `--clock log`. Nothing is allocated per line.
#[derive(Clone, Debug)]
pub struct LogClock {
    spec: TimestampSpec,
    locked: Option<TimestampPreset>,
    /// The preset tried first: the one given, or the one Auto has locked
    /// on (none for a custom pattern).
    first: Option<TimestampPreset>,
    utc: bool,
    /// Year assumed for syslog stamps, which carry none; moved on at New
    /// Year (see [`LogClock::syslog_year`]).
    year: i32,
    /// The month of the last syslog stamp.
    syslog_month: Option<u32>,
    last: Option<Time>,
    /// The last second parsed from a preset stamp.
    second: Second,
    /// Every preset stamp through the reference regexes, nothing cached:
    /// the clock the tests hold the fast one to.
    reference: bool,
    /// Slots for the collector prefix.
    slots: Option<CaptureLocations>,
    /// Slots for each preset's reference regex, in [`TimestampPreset::ALL`]
    /// order, made on first use.
    preset_slots: [Option<CaptureLocations>; 5],
    /// Slots for a custom pattern.
    custom_slots: Option<CaptureLocations>,
}

impl LogClock {
    /// A log clock; naive timestamps are local time unless `utc`.
    /// `year` is assumed for timestamps that have none.
    pub fn new(spec: TimestampSpec, utc: bool, year: i32) -> LogClock {
        let custom_slots = match &spec {
            TimestampSpec::Custom { pattern, .. } => Some(pattern.capture_locations()),
            _ => None,
        };
        let first = match &spec {
            TimestampSpec::Preset(p) => Some(*p),
            _ => None,
        };
        LogClock {
            spec,
            locked: None,
            first,
            utc,
            year,
            syslog_month: None,
            last: None,
            second: Second::EMPTY,
            reference: false,
            slots: None,
            preset_slots: Default::default(),
            custom_slots,
        }
    }

    /// The time of `line`: its own timestamp, else the last one seen (time
    /// never goes backwards: an earlier stamp counts as the last one).
    /// `None` until the first timestamp is seen.
    pub fn time_of(&mut self, line: &[u8]) -> Option<Time> {
        let parsed = match self.same_second(line) {
            Some(t) => Some(t),
            None => self.parse_any(line),
        };
        if let Some(t) = parsed {
            self.last = Some(self.last.map_or(t, |last| last.max(t)));
        }
        self.last
    }

    /// The common case, kept small enough to inline: `line` starts with
    /// the cached second of the preset that would be tried first (the one
    /// given, or the one Auto has locked on), so its time is that second
    /// plus the line's fraction. `None` sends the line the general way.
    #[inline]
    fn same_second(&self, line: &[u8]) -> Option<Time> {
        let second = &self.second;
        let preset = second.preset?;
        if self.first != Some(preset) || !second.matches(preset, line) {
            return None;
        }
        let tail = stamp::quick_tail(preset, line, second.len)?;
        if tail.offset != second.offset {
            return None;
        }
        Some(pick(second.early, second.late, tail.nanos, self.last))
    }

    /// The time a line's own stamp gives, if it has one.
    fn parse_any(&mut self, line: &[u8]) -> Option<Time> {
        if self.may_start_stamp(line) {
            if let Some(t) = self.parse(line) {
                return Some(t);
            }
        }
        // Most lines without a stamp (tracebacks, `LEVEL:logger:` lines)
        // are settled by the prefix test without a call to the splitter.
        if !may_have_collector_prefix(line) {
            return None;
        }
        let (source, body) = split_collector_prefix(line, &mut self.slots);
        if source.is_empty() && body.len() == line.len() {
            None
        } else {
            self.parse(body)
        }
    }

    /// Whether `line` has the first bytes some preset's head needs
    /// (`DDDD-`, `[DD-`, `Mon `): if not, no preset can read it, and the
    /// per-preset attempts are skipped. A custom pattern is always tried.
    fn may_start_stamp(&self, line: &[u8]) -> bool {
        if let TimestampSpec::Custom { .. } = self.spec {
            return true;
        }
        match line {
            [d, _, _, _, b'-', ..] => d.is_ascii_digit(),
            [b'[', _, _, b'-', ..] => true,
            [a, b, c, b' ', ..] => {
                a.is_ascii_uppercase() && b.is_ascii_lowercase() && c.is_ascii_lowercase()
            }
            _ => false,
        }
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
                let first = *line.first()?;
                for p in TimestampPreset::ALL {
                    if !p.may_start_with(first) {
                        continue;
                    }
                    if let Some(t) = self.parse_preset(p, line) {
                        self.locked = Some(p);
                        self.first = Some(p);
                        return Some(t);
                    }
                }
                None
            }
        }
    }

    /// `preset`'s time of `line`: from the cached second when the line
    /// starts with its bytes, else parsed in full.
    fn parse_preset(&mut self, preset: TimestampPreset, line: &[u8]) -> Option<Time> {
        if self.reference {
            return self.parse_reference(preset, line);
        }
        if self.second.matches(preset, line) {
            let second = self.second;
            match stamp::tail(preset, line, second.len) {
                Read::Fits(tail) if tail.offset == second.offset => {
                    return Some(pick(second.early, second.late, tail.nanos, self.last));
                }
                // Another zone: a full parse.
                Read::Fits(_) => {}
                Read::Fails => return None,
                Read::Unsure => return self.parse_reference(preset, line),
            }
        }
        let head = stamp::head(preset, line)?;
        let tail = match stamp::tail(preset, line, head.len) {
            Read::Fits(tail) => tail,
            Read::Fails => return None,
            Read::Unsure => return self.parse_reference(preset, line),
        };
        let year = match head.year {
            Some(year) => year,
            None => self.syslog_year(head.month),
        };
        if !(-200_000..=200_000).contains(&year) {
            // Near the end of chrono's range, where a zone's offset can
            // overflow it: the reference knows what to do. (It asks for the
            // syslog year again, which for the same month changes nothing.)
            return self.parse_reference(preset, line);
        }
        let (early, late) = self.instants(year, &head, tail.offset)?;
        self.second = Second::new(preset, line, head.len, tail.offset, (early, late));
        Some(pick(early, late, tail.nanos, self.last))
    }

    /// The instants (milliseconds) of a head's whole second: one, or two
    /// for a local time the fall-back to winter time repeats. Zone changes
    /// fall on whole seconds, so the fraction only adds to them. The
    /// calendar is plain arithmetic; only a local zone's offset is asked of
    /// chrono.
    fn instants(&self, year: i32, head: &Head, offset: Option<FixedOffset>) -> Option<(i64, i64)> {
        let (h, m, s) = head.hms;
        let day = stamp::days_from_epoch(year, head.month, head.day)?;
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        let seconds = day * 86_400 + i64::from(h * 3600 + m * 60 + s);
        let at = |offset: FixedOffset| (seconds - i64::from(offset.local_minus_utc())) * 1000;
        if let Some(offset) = offset {
            return Some((at(offset), at(offset)));
        }
        if self.utc {
            return Some((seconds * 1000, seconds * 1000));
        }
        let naive = NaiveDate::from_ymd_opt(year, head.month, head.day)?.and_hms_opt(h, m, s)?;
        match Local.offset_from_local_datetime(&naive) {
            LocalResult::Single(offset) => Some((at(offset), at(offset))),
            LocalResult::Ambiguous(a, b) => Some((at(a).min(at(b)), at(a).max(at(b)))),
            LocalResult::None => None,
        }
    }

    /// `preset`'s time of `line` through its reference regex, as the clock
    /// read every line before the hand readers and the cached second.
    fn parse_reference(&mut self, preset: TimestampPreset, line: &[u8]) -> Option<Time> {
        let slots = self.preset_slots[preset.index()]
            .get_or_insert_with(|| stamp::reference_regex(preset).capture_locations());
        let stamp = stamp::read_stamp(preset, line, slots)?;
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
        // The cached second's year may be about to change.
        self.second = Second::EMPTY;
        if self.syslog_month.is_some_and(|last| month + 6 <= last) {
            self.year = self.year.saturating_add(1);
        }
        self.syslog_month = Some(month);
        self.year
    }
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
