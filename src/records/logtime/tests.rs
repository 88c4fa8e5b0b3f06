//! The log clock's tests: the presets, and property tests holding the
//! cached, hand-read clock to the reference (every stamp through the
//! preset regexes, nothing cached) on any sequence of lines.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

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
    assert_eq!(stamp::parse_offset(b"+02:00"), FixedOffset::east_opt(7200));
    assert_eq!(stamp::parse_offset(b"-0130"), FixedOffset::east_opt(-5400));
    assert_eq!(stamp::parse_offset(b"+2"), None);
}

#[test]
fn docker_compose_prefix_then_python_time() {
    let mut clock = LogClock::new(TimestampSpec::Auto, true, 2025);
    assert_eq!(
        clock.time_of(b"bot-1  | 2022-01-07 15:23:27,046 - asyncio - WARNING - x"),
        Some(t("2022-01-07T15:23:27.046Z"))
    );
}

#[test]
fn the_cached_second_is_reused_and_a_new_second_parsed() {
    let mut clock = LogClock::new(TimestampSpec::Auto, true, 2025);
    clock.time_of(b"2025-11-20 16:32:54,000 a");
    // Poison the cached second: a line of the same second takes it, so
    // the cache is what answers.
    clock.second.early += 1000;
    clock.second.late += 1000;
    assert_eq!(
        clock.time_of(b"2025-11-20 16:32:54,5 b"),
        Some(t("2025-11-20T16:32:55.500Z"))
    );
    assert_eq!(
        clock.time_of(b"2025-11-20 16:32:57,250 c"),
        Some(t("2025-11-20T16:32:57.250Z"))
    );
}

#[test]
fn fractions_of_every_length_and_zones_after_a_cached_second() {
    let mut clock = LogClock::new(TimestampSpec::Preset(TimestampPreset::Iso8601), true, 2025);
    let cases = [
        ("2025-11-20T16:32:54.1Z", "2025-11-20T16:32:54.100Z"),
        ("2025-11-20T16:32:54.123456789Z", "2025-11-20T16:32:54.123Z"),
        ("2025-11-20T16:32:54,98+00:00", "2025-11-20T16:32:54.980Z"),
        // Ten digits: the tenth ends the stamp, so no zone is read.
        (
            "2025-11-20T16:32:54.9999999999Z",
            "2025-11-20T16:32:54.999Z",
        ),
        // Another zone with the same head bytes: parsed anew.
        ("2025-11-20T16:32:54.5-01:00", "2025-11-20T17:32:54.500Z"),
    ];
    for (line, want) in cases {
        assert_eq!(clock.time_of(line.as_bytes()), Some(t(want)), "{line}");
    }
}

#[test]
fn a_unicode_digit_after_the_ascii_ones_fails_as_in_the_reference() {
    for line in ["2025-11-20 16:32:54,12٣ x", "2025-11-20T16:32:54.5+0٣:00 x"] {
        let mut clock = LogClock::new(TimestampSpec::Auto, true, 2025);
        assert_eq!(clock.time_of(line.as_bytes()), None, "{line}");
    }
    // Not a digit: the fraction ends before it.
    let mut clock = LogClock::new(TimestampSpec::Auto, true, 2025);
    assert_eq!(
        clock.time_of("2025-11-20 16:32:54,12é x".as_bytes()),
        Some(t("2025-11-20T16:32:54.120Z"))
    );
}

#[test]
fn syslog_years_at_the_ends_of_the_calendar_give_the_reference_times() {
    let lines: [&[u8]; 3] = [
        b"Dec 31 23:59:59 host bot[1]: a",
        b"Jan  1 00:00:00 host bot[1]: b",
        b"Jan  1 00:00:00 host bot[1]: c",
    ];
    for year in [
        i32::MIN,
        -262_144,
        199_999,
        200_001,
        262_142,
        262_143,
        i32::MAX,
    ] {
        for utc in [true, false] {
            let mut fast = LogClock::new(TimestampSpec::Auto, utc, year);
            let mut reference = LogClock::new(TimestampSpec::Auto, utc, year);
            reference.reference = true;
            for line in lines {
                assert_eq!(fast.time_of(line), reference.time_of(line), "{year}");
            }
        }
    }
}

#[test]
fn calendar_arithmetic_agrees_with_chrono() {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let years = (-1000..=3000).chain([-200_000, 9999, 199_999, 200_000]);
    for year in years {
        for month in 0..=13 {
            for day in 0..=32 {
                let want = NaiveDate::from_ymd_opt(year, month, day)
                    .map(|d| d.signed_duration_since(epoch).num_days());
                assert_eq!(
                    stamp::days_from_epoch(year, month, day),
                    want,
                    "{year}-{month}-{day}"
                );
            }
        }
    }
}

/// The fields of one second: year, month, day, hour, minute, second.
type Fields = (u32, u32, u32, u32, u32, u32);

/// Fields anywhere, valid or not, around the ends of days, months, years.
fn any_fields() -> impl Strategy<Value = Fields> {
    (
        prop::sample::select(vec![0u32, 1969, 1970, 2000, 2024, 2025, 2099, 9999]),
        prop::sample::select(vec![0u32, 1, 2, 3, 10, 11, 12, 13, 99]),
        prop::sample::select(vec![0u32, 1, 4, 9, 28, 29, 30, 31, 32]),
        prop::sample::select(vec![0u32, 1, 2, 3, 12, 23, 24, 99]),
        prop::sample::select(vec![0u32, 1, 30, 59, 60]),
        prop::sample::select(vec![0u32, 1, 58, 59, 60, 61]),
    )
}

/// Fields around the summer-time changes of the zones the child test
/// runs in (Europe, North America, Lord Howe's half hour).
fn dst_fields() -> impl Strategy<Value = Fields> {
    let days = prop::sample::select(vec![
        (2025u32, 3u32, 30u32),
        (2025, 10, 26),
        (2025, 3, 9),
        (2025, 11, 2),
        (2025, 4, 6),
        (2025, 10, 5),
        (2024, 10, 27),
    ]);
    (
        days,
        0u32..4,
        prop::sample::select(vec![0u32, 1, 29, 30, 31, 59]),
        prop::sample::select(vec![0u32, 30, 59]),
    )
        .prop_map(|((y, mo, d), h, mi, s)| (y, mo, d, h, mi, s))
}

/// How a stamp is written around its fields.
#[derive(Clone, Debug)]
struct Dress {
    layout: u8,
    fraction: (u8, String),
    zone: &'static str,
    suffix: &'static str,
    prefix: &'static str,
    /// A byte replaced by a string (Unicode digits among them).
    mutation: Option<(usize, &'static str)>,
}

fn dress() -> impl Strategy<Value = Dress> {
    (
        0u8..6,
        (prop::sample::select(b",.,.;".to_vec()), "[0-9]{0,11}"),
        prop::sample::select(vec![
            "", "", "Z", "+02:00", "+0200", "-05:30", "+99:00", "+05:", "+05", "-0", "+1a:00",
        ]),
        prop::sample::select(vec![" - bot - INFO - hi", "", " x", "Z", "5", "\u{0663}"]),
        prop::sample::select(vec![
            "",
            "",
            "",
            "bot-1  | ",
            "Mar  4 03:22:41 host python3[2211]: ",
            "2025-11-20T16:32:54.123Z ",
            "2022-01-07T15:23:27.046930+00:00 app[worker.1]: ",
        ]),
        prop::option::weighted(
            0.15,
            (
                0usize..40,
                prop::sample::select(vec![
                    "\u{0663}", "\u{ff10}", "é", "x", "9", ":", "+", ".", " ",
                ]),
            ),
        ),
    )
        .prop_map(|(layout, fraction, zone, suffix, prefix, mutation)| Dress {
            layout,
            fraction,
            zone,
            suffix,
            prefix,
            mutation,
        })
}

/// One line of `fields` written as `dress` says.
fn render(fields: Fields, dress: &Dress) -> Vec<u8> {
    const MONTHS: [&str; 14] = [
        "Foo", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        "jan",
    ];
    let (y, mo, d, h, mi, s) = fields;
    let name = MONTHS[(mo as usize).min(13)];
    let (sep, digits) = &dress.fraction;
    let fraction = if digits.is_empty() && *sep == b';' {
        String::new()
    } else {
        format!("{}{digits}", char::from(*sep))
    };
    let mut line = dress.prefix.to_string();
    line += &match dress.layout {
        0 | 1 => {
            let t = if dress.layout == 0 { ' ' } else { 'T' };
            format!(
                "{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{fraction}{}",
                dress.zone
            )
        }
        2 => format!(
            "[{d:02}-{name}-{:02} {h:02}:{mi:02}:{s:02} - INFO] - x",
            y % 100
        ),
        3 => format!("{name} {d:>2} {h:02}:{mi:02}:{s:02} host bot[1]: x"),
        4 => format!("{name} {d:02} {h:02}:{mi:02}:{s:02} host bot[1]: x"),
        _ => "  File \"bot.py\", line 3, in <module>".to_string(),
    };
    line += dress.suffix;
    let mut bytes = line.into_bytes();
    if let Some((at, with)) = dress.mutation {
        if at < bytes.len() {
            bytes.splice(at..=at, with.bytes());
        }
    }
    bytes
}

/// A sequence of lines: new seconds, the same second again (with another
/// fraction, zone, suffix), lines without a stamp, and garbage.
fn lines(fields: impl Strategy<Value = Fields>) -> impl Strategy<Value = Vec<Vec<u8>>> {
    let event = (
        0u8..10,
        fields,
        dress(),
        prop::collection::vec(any::<u8>(), 0..30),
    );
    prop::collection::vec(event, 1..40).prop_map(|events| {
        let mut last: Fields = (2025, 11, 20, 16, 32, 54);
        let mut look = (0, "");
        let mut out = Vec::new();
        for (kind, fields, mut dress, garbage) in events {
            match kind {
                0..=2 => {
                    last = fields;
                    look = (dress.layout, dress.prefix);
                }
                // The same second in the same layout: what the cache is for.
                3..=7 => (dress.layout, dress.prefix) = look,
                8 => {
                    out.push(garbage);
                    continue;
                }
                _ => {
                    out.push(b"INFO:bot:no stamp here".to_vec());
                    continue;
                }
            }
            out.push(render(last, &dress));
        }
        out
    })
}

/// Every spec, in UTC and local time: the cached clock gives the times the
/// reference gives, line by line.
fn same_as_reference(lines: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let mut specs = vec![TimestampSpec::Auto];
    specs.extend(TimestampPreset::ALL.map(TimestampSpec::Preset));
    for utc in [true, false] {
        for spec in &specs {
            let mut fast = LogClock::new(spec.clone(), utc, 2024);
            let mut reference = LogClock::new(spec.clone(), utc, 2024);
            reference.reference = true;
            for line in lines {
                prop_assert_eq!(
                    fast.time_of(line),
                    reference.time_of(line),
                    "{:?} utc={} {:?}",
                    spec,
                    utc,
                    String::from_utf8_lossy(line)
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn cached_clock_gives_the_reference_times(lines in lines(any_fields())) {
        same_as_reference(&lines)?;
    }
}

/// Zones with summer time, as POSIX TZ strings (no tz database needed).
const SUMMER_TIME_ZONES: [&str; 3] = [
    "CET-1CEST,M3.5.0,M10.5.0/3",
    "EST5EDT,M3.2.0,M11.1.0",
    "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
];

#[test]
fn cached_clock_gives_the_reference_times_across_summer_time_changes() {
    // chrono reads TZ for the whole process, and other tests run in this
    // one: each zone gets a process of its own, this test binary again.
    let exe = std::env::current_exe().expect("the test binary");
    for zone in SUMMER_TIME_ZONES {
        let out = std::process::Command::new(&exe)
            .args([
                "records::logtime::tests::summer_time_child",
                "--exact",
                "--ignored",
            ])
            .env("TZ", zone)
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "TZ={zone}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
#[ignore = "run by the summer-time test in a process of its own, with TZ set"]
fn summer_time_child() {
    // A zone without summer time would prove nothing.
    let at = |m| NaiveDate::from_ymd_opt(2025, m, 15).and_then(|d| d.and_hms_opt(12, 0, 0));
    let offset = |m| {
        Local
            .from_local_datetime(&at(m).unwrap())
            .unwrap()
            .offset()
            .local_minus_utc()
    };
    assert_ne!(offset(1), offset(7), "TZ has no summer time");
    let mut runner = TestRunner::new(Config::with_cases(1000));
    runner
        .run(&lines(dst_fields()), |lines| same_as_reference(&lines))
        .unwrap();
}
