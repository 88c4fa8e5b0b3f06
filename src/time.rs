//! Time as the engine sees it: milliseconds since the Unix epoch, plus the
//! parsing of window durations and the formatting of summary timestamps.
//!
//! The engine never reads a clock; the I/O shell turns the wall clock (or,
//! later, a log's own timestamps) into [`Time`] values and passes them in.

use anyhow::{bail, Context, Result};
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local, SecondsFormat, TimeZone, Utc};
use std::time::Duration;

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Time {
    /// Milliseconds since the Unix epoch.
    pub(crate) fn millis(self) -> i64 {
        self.0
    }

    /// This time plus `d`, saturating instead of overflowing.
    pub(crate) fn plus(self, d: Duration) -> Time {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Time(self.0.saturating_add(ms))
    }

    /// How long from `self` until `later` (zero if `later` is not later).
    pub(crate) fn until(self, later: Time) -> Duration {
        Duration::from_millis(u64::try_from(later.0.saturating_sub(self.0)).unwrap_or(0))
    }
}

/// Parses a window or grace duration such as `500ms`, `30s`, `5m`, `1h30m`.
///
/// Zero is refused: a zero-length window would summarize every line, which is
/// never what a rule author meant.
pub(crate) fn parse_duration(text: &str) -> Result<Duration> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        bail!("empty duration (expected e.g. 500ms, 30s, 5m, 1h30m)");
    }
    let d = humantime::parse_duration(trimmed).with_context(|| {
        format!("invalid duration {text:?} (expected e.g. 500ms, 30s, 5m, 1h30m)")
    })?;
    if d.as_millis() == 0 {
        bail!("duration {text:?} is zero; a window must be at least 1ms");
    }
    Ok(d)
}

/// Renders a duration compactly, e.g. `30s`, `1m 30s`, `500ms`.
pub(crate) fn format_duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
    ))
    .to_string()
}

/// Formats [`Time`]s with a validated strftime pattern, in UTC or local time.
#[derive(Clone, Debug)]
pub struct TimeFormatter {
    pattern: String,
    utc: bool,
}

/// The summary timestamp format used when none is given.
pub const DEFAULT_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

impl TimeFormatter {
    /// Checks `pattern` once, so a bad specifier is a start-up error rather
    /// than a panic (chrono panics on `Display` of an invalid format).
    pub fn new(pattern: &str, utc: bool) -> Result<Self> {
        if StrftimeItems::new(pattern).any(|item| matches!(item, Item::Error)) {
            bail!("invalid --time-format {pattern:?}: unknown or incomplete % specifier");
        }
        let formatter = TimeFormatter {
            pattern: pattern.to_owned(),
            utc,
        };
        // Some specifiers parse but cannot be printed (`%#z`): find out now,
        // not at the first summary hours into a run.
        // A summary is one line: render probe times (a winter and a summer
        // date, so a zone name or offset of either season is seen) and
        // refuse a format that prints a line break (`%n`, a literal newline,
        // `\r`) or another control character, or nothing at all.
        for probe in [Time(0), Time(1_751_327_999_000)] {
            let Some(text) = formatter.try_format(probe) else {
                bail!("invalid --time-format {pattern:?}: it cannot be used to print a time");
            };
            if text.contains(['\n', '\r']) {
                bail!("invalid --time-format {pattern:?}: it prints a line break (%n, or a newline in the format), and a summary is one line");
            }
            if text.trim().is_empty() {
                bail!("invalid --time-format {pattern:?}: it prints nothing");
            }
            if text.chars().any(|c| c.is_control() && c != '\t') {
                bail!("invalid --time-format {pattern:?}: it prints a control character, and a summary is one line");
            }
        }
        Ok(formatter)
    }

    /// Formats `t`; a time chrono cannot print falls back to milliseconds.
    pub(crate) fn format(&self, t: Time) -> String {
        self.try_format(t).unwrap_or_else(|| t.0.to_string())
    }

    /// Formats `t` as RFC 3339 with milliseconds and the offset
    /// (`2025-11-20T16:32:54.101+03:00`; `Z` in UTC), whatever the strftime
    /// pattern says: the form log shippers parse without configuration.
    pub(crate) fn rfc3339(&self, t: Time) -> String {
        let Some(utc) = DateTime::<Utc>::from_timestamp_millis(t.0) else {
            return t.0.to_string();
        };
        if self.utc {
            utc.to_rfc3339_opts(SecondsFormat::Millis, true)
        } else {
            Local
                .from_utc_datetime(&utc.naive_utc())
                .to_rfc3339_opts(SecondsFormat::Millis, false)
        }
    }

    fn try_format(&self, t: Time) -> Option<String> {
        use std::fmt::Write as _;
        let utc = DateTime::<Utc>::from_timestamp_millis(t.0)?;
        let mut text = String::new();
        // `write!` rather than `to_string()`: chrono reports an unprintable
        // specifier as a fmt::Error, which to_string() turns into a panic.
        let written = if self.utc {
            write!(text, "{}", utc.format(&self.pattern))
        } else {
            write!(
                text,
                "{}",
                Local
                    .from_utc_datetime(&utc.naive_utc())
                    .format(&self.pattern)
            )
        };
        written.ok().map(|()| text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_the_documented_forms() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
    }

    #[test]
    fn bad_durations_are_errors() {
        for bad in ["", "  ", "30", "thirty seconds", "0s", "-5s", "5 parsecs"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn time_format_is_validated_and_applied() {
        assert!(TimeFormatter::new("%Y-%m-%d %Q", true).is_err());
        assert!(
            TimeFormatter::new("%#z", true).is_err(),
            "parses but cannot print"
        );
        assert!(TimeFormatter::new("%#z", false).is_err());
        for one_line_breaker in ["%n", "%Y\n%H", "%H\r", "", "   "] {
            assert!(
                TimeFormatter::new(one_line_breaker, true).is_err(),
                "{one_line_breaker:?}"
            );
        }
        assert!(
            TimeFormatter::new("%Y-%m-%d%t%H", true).is_ok(),
            "a tab keeps one line"
        );
        let f = TimeFormatter::new(DEFAULT_TIME_FORMAT, true).unwrap();
        // 2025-11-20 16:32:54 UTC
        assert_eq!(f.format(Time(1_763_656_374_000)), "2025-11-20 16:32:54");
    }

    #[test]
    fn rfc3339_has_milliseconds_and_zone_whatever_the_pattern() {
        let utc = TimeFormatter::new("%H", true).unwrap();
        assert_eq!(
            utc.rfc3339(Time(1_763_656_374_101)),
            "2025-11-20T16:32:54.101Z"
        );
        let local = TimeFormatter::new("%H", false).unwrap();
        let text = local.rfc3339(Time(1_763_656_374_101));
        let parsed = DateTime::parse_from_rfc3339(&text).unwrap();
        assert_eq!(parsed.timestamp_millis(), 1_763_656_374_101);
        assert!(
            !text.ends_with('Z'),
            "local time carries a numeric offset: {text}"
        );
    }
}
