//! The time a timestamp says, in milliseconds, for the shapes the layouts
//! read ([`super::scan::time_len`]) and syslog's `Nov 20 16:32:54` (the
//! start of a journald line, before the collector prefix is split off).
//!
//! For measuring time between the records of one log, not for the
//! calendar: a zone written in the stamp is applied, a stamp without one
//! counts as UTC, a date without a year as in 2000, and a clock without a
//! date as on 2000-01-01.

use chrono::NaiveDate;

use super::scan::{digits_at, shape_len, DATES, MONTHS};

/// The year assumed where a stamp has none.
const NO_YEAR: i64 = 2000;

/// Milliseconds since the Unix epoch of the timestamp at the start of
/// `text` (the [`Fields::time`](super::Fields::time) of a line, or a line
/// starting with a syslog stamp), on the scale the module doc describes.
/// `None` when no timestamp starts `text` or its date or clock is out of
/// range.
pub fn timestamp_ms(text: &[u8]) -> Option<i64> {
    let (day, at) = match syslog_date(text) {
        Some(found) => found,
        None => date(text)?,
    };
    let (ms, offset_ms) = clock(text, at)?;
    Some(day * 86_400_000 + ms - offset_ms)
}

/// Days since the epoch of a civil date.
fn days(year: i64, month: i64, day: i64) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    Some(date.signed_duration_since(NaiveDate::default()).num_days())
}

/// The month of a three-letter abbreviation, from 1.
fn month_of(name: &[u8]) -> Option<i64> {
    MONTHS
        .iter()
        .position(|m| m[..] == *name)
        .map(|i| i as i64 + 1)
}

/// syslog's `Nov 20 ` or `Nov  2 `: the day and where the clock starts.
fn syslog_date(text: &[u8]) -> Option<(i64, usize)> {
    let month = month_of(text.get(..3)?)?;
    let day = match text.get(3..7)? {
        [b' ', b' ', d, b' '] if d.is_ascii_digit() => i64::from(d - b'0'),
        [b' ', a, b, b' '] if a.is_ascii_digit() && b.is_ascii_digit() => {
            i64::from(a - b'0') * 10 + i64::from(b - b'0')
        }
        _ => return None,
    };
    Some((days(NO_YEAR, month, day)?, 7))
}

/// A date of one of the layouts' shapes and its separator (`T`, a space
/// or `, `): the day and where the clock starts. A clock alone is on day 0.
fn date(text: &[u8]) -> Option<(i64, usize)> {
    let Some((shape, order, len)) = DATES
        .iter()
        .find_map(|&(shape, order)| shape_len(text, shape).map(|n| (shape, order, n)))
    else {
        return Some((days(NO_YEAR, 1, 1)?, 0));
    };
    let (mut year, mut month, mut day) = (NO_YEAR, 1, 1);
    let mut fields = order.iter();
    let mut i = 0;
    while i < shape.len() {
        let run = shape[i..].iter().take_while(|&&c| c == shape[i]).count();
        let value = match shape[i] {
            b'd' => text[i..i + run]
                .iter()
                .fold(0, |v, &b| v * 10 + i64::from(b - b'0')),
            // `M` is one byte of the shape and three of the text; it comes
            // after the day (`20-Nov-25`), so the offsets after it shift.
            b'M' => month_of(text.get(i..i + 3)?)?,
            _ => {
                i += 1;
                continue;
            }
        };
        match fields.next() {
            Some(b'y') if run == 2 => year = NO_YEAR + value,
            Some(b'y') => year = value,
            Some(b'm') => month = value,
            Some(b'd') => day = value,
            _ => return None,
        }
        if shape[i] == b'M' {
            // Read the rest with the month's three bytes counted.
            return month_date(text, shape, i, (day, month), fields.next(), len);
        }
        i += run;
    }
    Some((days(year, month, day)?, separator(text, len)?))
}

/// The rest of a `dd-M-yy` date after its month at shape offset `at`.
fn month_date(
    text: &[u8],
    shape: &[u8],
    at: usize,
    (day, month): (i64, i64),
    next: Option<&u8>,
    len: usize,
) -> Option<(i64, usize)> {
    // Text offset of the year: the month's three bytes and the separator.
    let start = at + 4;
    let digits = shape.len() - at - 2;
    if next != Some(&b'y') || !digits_at(text, start, digits) {
        return None;
    }
    let value = text[start..start + digits]
        .iter()
        .fold(0, |v, &b| v * 10 + i64::from(b - b'0'));
    let year = if digits == 2 { NO_YEAR + value } else { value };
    Some((days(year, month, day)?, separator(text, len)?))
}

/// Where the clock starts after a date of `len` bytes.
fn separator(text: &[u8], len: usize) -> Option<usize> {
    match text.get(len..len + 2)? {
        b", " => Some(len + 2),
        [b'T' | b' ', _] => Some(len + 1),
        _ => None,
    }
}

/// `HH:MM[:SS[.fff]]`, an optional ` AM`/` PM` and zone at `at`: the
/// milliseconds into the day and the zone's offset in milliseconds.
fn clock(text: &[u8], at: usize) -> Option<(i64, i64)> {
    let two = |i: usize| {
        digits_at(text, i, 2)
            .then(|| i64::from(text[i] - b'0') * 10 + i64::from(text[i + 1] - b'0'))
    };
    let (mut h, m) = (two(at)?, two(at + 3)?);
    if text.get(at + 2) != Some(&b':') {
        return None;
    }
    let mut i = at + 5;
    let mut s = 0;
    let mut ms = 0;
    if text.get(i) == Some(&b':') {
        s = two(i + 1)?;
        i += 3;
        if matches!(text.get(i), Some(b'.' | b',')) {
            let fraction = text[i + 1..].iter().take_while(|b| b.is_ascii_digit());
            let mut n = 0;
            for &b in fraction {
                if n < 3 {
                    ms = ms * 10 + i64::from(b - b'0');
                }
                n += 1;
            }
            for _ in n..3 {
                ms *= 10;
            }
            i += 1 + n;
        }
    }
    if let Some([b' ', a, b'M' | b'm']) = text.get(i..i + 3) {
        match a {
            b'P' | b'p' if h < 12 => h += 12,
            b'A' | b'a' if h == 12 => h = 0,
            _ => {}
        }
        i += 3;
    }
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some((((h * 60 + m) * 60 + s) * 1000 + ms, zone(text.get(i..)?)))
}

/// The offset of a zone (`Z`, `+03:00`, `+0300`, `+03`, ` +0300`) in
/// milliseconds; 0 without one.
fn zone(text: &[u8]) -> i64 {
    let text = text.strip_prefix(b" ").unwrap_or(text);
    let sign = match text.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return 0,
    };
    let two = |i: usize| {
        digits_at(text, i, 2)
            .then(|| i64::from(text[i] - b'0') * 10 + i64::from(text[i + 1] - b'0'))
    };
    let Some(hours) = two(1) else { return 0 };
    let minutes = two(if text.get(3) == Some(&b':') { 4 } else { 3 }).unwrap_or(0);
    sign * (hours * 60 + minutes) * 60_000
}

#[cfg(test)]
mod tests {
    use super::timestamp_ms;

    fn at(text: &str) -> Option<i64> {
        timestamp_ms(text.as_bytes())
    }

    #[test]
    fn every_date_shape_gives_the_same_instant() {
        let want = at("2025-11-20 16:32:54,123");
        assert_eq!(want, Some(1_763_656_374_123));
        for text in [
            "2025-11-20T16:32:54.123",
            "2025-11-20 16:32:54.123456 trailing text",
            "2025/11/20 16:32:54,123",
            "11/20/2025 16:32:54.123",
            "11/20/25 16:32:54.123",
            "20.11.2025 16:32:54.123",
            "20.11.25 16:32:54.123",
            "20-Nov-2025 16:32:54.123",
            "20-Nov-25 16:32:54.123",
            "20-11-2025 16:32:54.123",
            "2025-11-20, 16:32:54.123",
            "2025-11-20 04:32:54.123 PM",
            "2025-11-20T17:32:54.123+01:00",
            "2025-11-20T15:32:54.123-0100",
        ] {
            assert_eq!(at(text), want, "{text}");
        }
    }

    #[test]
    fn stamps_without_a_year_or_a_date_measure_differences() {
        let a = at("Nov 20 16:32:54").unwrap();
        assert_eq!(at("Nov 20 16:33:04").unwrap() - a, 10_000);
        assert_eq!(at("11-20 16:32").unwrap() - a, -54_000);
        assert_eq!(at("Mar  4 00:00:00"), at("03-04 00:00"));
        let t = at("16:32:54").unwrap();
        assert_eq!(at("16:32:55.5").unwrap() - t, 1_500);
        assert_eq!(at("12:00:00 AM"), at("00:00:00"));
    }

    #[test]
    fn anything_else_is_no_time() {
        for text in [
            "",
            "hello",
            "2025-13-20 16:32:54",
            "2025-02-30 16:32:54",
            "2025-11-20 25:32:54",
            "2025-11-20",
            "Nov 20",
            "Foo 20 16:32:54",
            "20-Xyz-25 16:32:54",
            "1:2:3",
        ] {
            assert_eq!(at(text), None, "{text}");
        }
        for n in 0..24 {
            let _ = timestamp_ms(&b"20-Nov-2025 16:32:54.123"[..n]);
        }
    }
}
