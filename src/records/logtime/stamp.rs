//! The preset timestamps read by hand, byte by byte, so the per-line cost of
//! `--clock log` is a few comparisons rather than a regex search. Each
//! preset's regex is kept as the reference: it defines what the presets
//! accept, the hand readers agree with it on every line (the property tests
//! in `tests.rs` check this), and the rare line on which they cannot
//! decide alone (a non-ASCII byte where the regex's Unicode `\d` might
//! continue a fraction or a zone) is handed to it.

use chrono::FixedOffset;
use regex::bytes::{CaptureLocations, Regex};
use std::sync::OnceLock;

use super::TimestampPreset;

/// A stamp's fields up to its seconds, read from the start of a line.
#[derive(Clone, Copy, Debug)]
pub(super) struct Head {
    /// `None`: the layout has no year (syslog).
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
    pub hms: (u32, u32, u32),
    /// How many bytes of the line the head takes; equal bytes there mean
    /// an equal head.
    pub len: usize,
}

/// What follows the seconds: the fraction and, for ISO 8601, the zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Tail {
    pub nanos: u32,
    /// A zone written in the stamp, making it absolute.
    pub offset: Option<FixedOffset>,
}

/// The outcome of reading a tail by hand.
pub(super) enum Read {
    /// The tail, as the reference regex reads it.
    Fits(Tail),
    /// The reference rejects the stamp.
    Fails,
    /// A non-ASCII byte stands where the reference's Unicode `\d` may or
    /// may not take it: ask the reference.
    Unsure,
}

/// Reads `preset`'s head at the start of `line`. A non-ASCII byte where a
/// fixed-width field needs a digit fails here as in the reference: there
/// the regex either does not match or takes a Unicode digit that the field
/// parse then refuses.
pub(super) fn head(preset: TimestampPreset, line: &[u8]) -> Option<Head> {
    match preset {
        TimestampPreset::Python | TimestampPreset::Loguru => numeric_head(line, false),
        TimestampPreset::Iso8601 => numeric_head(line, true),
        TimestampPreset::Pyrogram => pyrogram_head(line),
        TimestampPreset::Syslog => syslog_head(line),
    }
}

/// Reads `preset`'s tail at `at`, just after its head.
#[inline]
pub(super) fn tail(preset: TimestampPreset, line: &[u8], at: usize) -> Read {
    match preset {
        TimestampPreset::Python => required_fraction(line, at, b','),
        TimestampPreset::Loguru => required_fraction(line, at, b'.'),
        TimestampPreset::Iso8601 => iso_tail(line, at),
        TimestampPreset::Pyrogram | TimestampPreset::Syslog => Read::Fits(Tail {
            nanos: 0,
            offset: None,
        }),
    }
}

/// The digit at `i`, or `None` (also past the end).
fn digit(line: &[u8], i: usize) -> Option<u32> {
    line.get(i)
        .filter(|b| b.is_ascii_digit())
        .map(|&b| u32::from(b - b'0'))
}

/// Two digits at `i`.
fn two(line: &[u8], i: usize) -> Option<u32> {
    Some(digit(line, i)? * 10 + digit(line, i + 1)?)
}

/// `[A-Z][a-z]{2}` at `i`, as a month number.
fn month(line: &[u8], i: usize) -> Option<u32> {
    let name = line.get(i..i + 3)?;
    let shape = name[0].is_ascii_uppercase()
        && name[1].is_ascii_lowercase()
        && name[2].is_ascii_lowercase();
    if !shape {
        return None;
    }
    month_number(name)
}

/// `HH:MM:SS` at `i`.
fn hms(line: &[u8], i: usize) -> Option<(u32, u32, u32)> {
    if line.get(i + 2) != Some(&b':') || line.get(i + 5) != Some(&b':') {
        return None;
    }
    Some((two(line, i)?, two(line, i + 3)?, two(line, i + 6)?))
}

/// `YYYY-MM-DD HH:MM:SS`, with `T` for the space if `t_too`. Read from a
/// fixed array: no bounds check per byte.
fn numeric_head(line: &[u8], t_too: bool) -> Option<Head> {
    let b: &[u8; 19] = line.get(..19)?.try_into().ok()?;
    let sep = b[10];
    let shape = b[4] == b'-'
        && b[7] == b'-'
        && (sep == b' ' || (t_too && sep == b'T'))
        && b[13] == b':'
        && b[16] == b':';
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    // All fourteen tested without a branch each (the loop unrolls).
    let mut digits = true;
    for i in DIGITS {
        digits &= b[i].wrapping_sub(b'0') < 10;
    }
    if !shape || !digits {
        return None;
    }
    let n = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    Some(Head {
        year: Some((n(0) * 100 + n(2)) as i32),
        month: n(5),
        day: n(8),
        hms: (n(11), n(14), n(17)),
        len: 19,
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date, `None` for a date
/// that does not exist (as chrono's `NaiveDate::from_ymd_opt` says; the
/// caller keeps the year well inside chrono's range).
pub(super) fn days_from_epoch(year: i32, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > days_in_month {
        return None;
    }
    // Howard Hinnant's days_from_civil: years start in March, so the leap
    // day is the last of its year.
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let march_month = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * march_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// `[DD-Mon-YY HH:MM:SS`.
fn pyrogram_head(line: &[u8]) -> Option<Head> {
    if line.first() != Some(&b'[') || line.get(3) != Some(&b'-') {
        return None;
    }
    let day = two(line, 1)?;
    let month = month(line, 4)?;
    if line.get(7) != Some(&b'-') || line.get(10) != Some(&b' ') {
        return None;
    }
    Some(Head {
        year: Some(2000 + two(line, 8)? as i32),
        month,
        day,
        hms: hms(line, 11)?,
        len: 19,
    })
}

/// `Mon DD HH:MM:SS`, the day space-padded or not.
fn syslog_head(line: &[u8]) -> Option<Head> {
    let month = month(line, 0)?;
    if line.get(3) != Some(&b' ') || line.get(6) != Some(&b' ') {
        return None;
    }
    let tens = match line.get(4) {
        Some(b' ') => 0,
        _ => digit(line, 4)?,
    };
    Some(Head {
        year: None,
        month,
        day: tens * 10 + digit(line, 5)?,
        hms: hms(line, 7)?,
        len: 15,
    })
}

/// The nanoseconds of one unit of the last digit, by digit count.
const SCALE: [u32; 10] = [
    0,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

/// Up to nine digits from `at` (the reference's `\d{1,9}`): their value
/// scaled to nanoseconds, their count, and whether a non-ASCII byte right
/// after them might be a tenth-or-less Unicode digit the reference takes.
#[allow(clippy::inline_always)] // measured: the per-line hot path
#[inline(always)]
fn fraction(line: &[u8], at: usize) -> (u32, usize, bool) {
    let rest = line.get(at..).unwrap_or_default();
    let end = rest.len().min(9);
    let mut value = 0u32;
    let mut count = 0;
    while count < end {
        let d = rest[count].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        value = value * 10 + u32::from(d);
        count += 1;
    }
    let unsure = count < 9 && rest.get(count).is_some_and(|b| !b.is_ascii());
    (value * SCALE[count.min(9)], count, unsure)
}

/// The tail on the cached-second path: the common shapes only, read
/// inline. `None` for anything else (no fraction where one is required,
/// a byte the reference must judge): the general path then decides.
#[allow(clippy::inline_always)] // measured: the per-line hot path
#[inline(always)]
pub(super) fn quick_tail(preset: TimestampPreset, line: &[u8], at: usize) -> Option<Tail> {
    let sep = match preset {
        TimestampPreset::Python => b',',
        TimestampPreset::Loguru => b'.',
        TimestampPreset::Iso8601 => {
            return match iso_tail(line, at) {
                Read::Fits(tail) => Some(tail),
                _ => None,
            }
        }
        TimestampPreset::Pyrogram | TimestampPreset::Syslog => {
            return Some(Tail {
                nanos: 0,
                offset: None,
            })
        }
    };
    if line.get(at) != Some(&sep) {
        return None;
    }
    match fraction(line, at + 1) {
        (nanos, 1.., false) => Some(Tail {
            nanos,
            offset: None,
        }),
        _ => None,
    }
}

/// A fraction after `sep`, required (Python's `,123`, loguru's `.123456`).
#[inline]
fn required_fraction(line: &[u8], at: usize, sep: u8) -> Read {
    if line.get(at) != Some(&sep) {
        return Read::Fails;
    }
    match fraction(line, at + 1) {
        // No ASCII digit: the reference fails too (no match, or a Unicode
        // digit the number parse refuses).
        (_, 0, _) => Read::Fails,
        (_, _, true) => Read::Unsure,
        (nanos, _, false) => Read::Fits(Tail {
            nanos,
            offset: None,
        }),
    }
}

/// ISO 8601's optional `[.,]fraction` and optional `Z|[+-]HH:?MM`.
fn iso_tail(line: &[u8], at: usize) -> Read {
    let mut pos = at;
    let mut nanos = 0;
    if matches!(line.get(at), Some(b'.' | b',')) {
        let (value, count, unsure) = fraction(line, at + 1);
        if unsure {
            return Read::Unsure;
        }
        if count > 0 {
            nanos = value;
            pos = at + 1 + count;
        }
    }
    let sign = match line.get(pos) {
        Some(b'Z') => {
            return Read::Fits(Tail {
                nanos,
                offset: FixedOffset::east_opt(0),
            })
        }
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => {
            return Read::Fits(Tail {
                nanos,
                offset: None,
            })
        }
    };
    let zone = match zone_digits(line, pos + 1) {
        Zone::Digits(hours, minutes) => {
            match FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)) {
                Some(offset) => Some(offset),
                None => return Read::Fails,
            }
        }
        Zone::Absent => None,
        Zone::Unsure => return Read::Unsure,
    };
    Read::Fits(Tail {
        nanos,
        offset: zone,
    })
}

/// The `HH:?MM` of a zone.
enum Zone {
    Digits(i32, i32),
    Absent,
    Unsure,
}

/// What the reference's `\d` makes of the byte at `i`.
enum Class {
    Digit(i32),
    Other,
    Unsure,
}

fn class(line: &[u8], i: usize) -> Class {
    match line.get(i) {
        Some(b) if b.is_ascii_digit() => Class::Digit(i32::from(b - b'0')),
        Some(b) if !b.is_ascii() => Class::Unsure,
        _ => Class::Other,
    }
}

/// `\d\d:?\d\d` at `at`, as the regex backtracks over it: with the colon
/// first, then (if that fails) without.
fn zone_digits(line: &[u8], at: usize) -> Zone {
    let pair = |i: usize| match (class(line, i), class(line, i + 1)) {
        (Class::Digit(a), Class::Digit(b)) => Zone::Digits(a * 10 + b, 0),
        (Class::Unsure, _) | (Class::Digit(_), Class::Unsure) => Zone::Unsure,
        _ => Zone::Absent,
    };
    let hours = match pair(at) {
        Zone::Digits(h, _) => h,
        other => return other,
    };
    let colon = usize::from(line.get(at + 2) == Some(&b':'));
    match pair(at + 2 + colon) {
        Zone::Digits(m, _) => Zone::Digits(hours, m),
        // `+05:` then no digits: without the colon, `:` is no digit.
        other => other,
    }
}

/// `Jan` … `Dec` as 1 … 12.
pub(super) fn month_number(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

/// The fields of a timestamp, as the reference regex reads them.
pub(super) struct Stamp {
    /// `None`: the layout has no year (syslog).
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
    pub hms: (u32, u32, u32),
    pub nanos: u32,
    /// A zone written in the stamp (ISO 8601), making it absolute.
    pub offset: Option<FixedOffset>,
}

/// The preset's reference pattern, compiled on first use (only for the
/// rare line the hand readers leave to it, and in tests).
pub(super) fn reference_regex(preset: TimestampPreset) -> &'static Regex {
    static CELLS: [OnceLock<Regex>; 5] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let pattern = match preset {
        TimestampPreset::Python => r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{1,9})",
        TimestampPreset::Loguru => r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,9})",
        TimestampPreset::Iso8601 => {
            r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?"
        }
        TimestampPreset::Pyrogram => r"^\[(\d\d)-([A-Z][a-z]{2})-(\d\d) (\d\d):(\d\d):(\d\d)",
        TimestampPreset::Syslog => r"^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)",
    };
    CELLS[preset.index()].get_or_init(|| Regex::new(pattern).expect("preset regex is valid"))
}

fn number(bytes: &[u8]) -> Option<u32> {
    std::str::from_utf8(bytes).ok()?.trim().parse().ok()
}

fn nanos_of(fraction: &[u8]) -> Option<u32> {
    let digits = number(fraction)?;
    Some(digits * 10u32.pow(9 - fraction.len().min(9) as u32))
}

/// Reads the fields of `preset`'s layout at the start of `line` with the
/// reference regex.
pub(super) fn read_stamp(
    preset: TimestampPreset,
    line: &[u8],
    slots: &mut CaptureLocations,
) -> Option<Stamp> {
    reference_regex(preset).captures_read(slots, line)?;
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
pub(super) fn parse_offset(zone: &[u8]) -> Option<FixedOffset> {
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
