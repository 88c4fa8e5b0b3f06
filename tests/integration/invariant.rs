//! Property tests of the stream invariant: for any input and rule set, the
//! output with summary lines removed equals the input with its secrets
//! masked and suppressed lines removed, byte for byte, and the summary
//! counts add up to the suppressed lines.

use logdedup::pipeline::PipelineOptions as FilterOptions;
use logdedup::records::{LogClock, TimestampSpec};
use logdedup::rules::{load, load_str, RuleSet, RuleSource};
use logdedup::stream::{Filter, Outlet, Output};
use logdedup::summary::{Style, SummaryFormatter, Template};
use logdedup::time::{Time, TimeFormatter};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;

use crate::util::Shared;

/// Building blocks of lines: some match the rules below, some nearly do.
const WORDS: &[&[u8]] = &[
    b"noise",
    b"NOISE",
    b"dc1",
    b"dc2",
    b"dc3",
    b"plain",
    b"socket.send() raised exception.",
    b"\xff\xfe",
    b"\r",
    b" ",
    b"lost",
    b"Connection lost",
    b"\0",
    // Record framing material: traceback layout, timestamps, prefixes.
    b"Traceback (most recent call last):",
    b"  File \"x.py\", line 1, in f",
    b"OSError: lost",
    b"During handling of the above exception, another exception occurred:",
    b"[20-Nov-25 16:32:54 - INFO] ",
    b"2025-11-20 16:32:54,000 ",
    b"bot-1  | ",
    b"Mar 14 03:22:41 host python3[22]: ",
    b"\xe2\x94\x82",
    // Secrets (masked by the `[[redact]]` rules below) and near misses.
    b"110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    b"bot7634521098:AAE-x_4kQm9ZsT2LbYvN8cWqR5hJd3fGpUo/getMe",
    b"1234:AAE-x_4kQm9ZsT2LbYvN8cWqR5hJd3fGpUo",
    b"pw=hunter2",
    b"pw=",
];

/// The `[[redact]]` rules every rule set of these properties has.
const REDACT: &str = "[[redact]]\nname = \"token\"\npattern = '(?-u)(?:^|[^0-9])(?P<secret>[0-9]{6,12}:[A-Za-z0-9_-]{34,35})(?:[^A-Za-z0-9_-]|$)'\n\
     [[redact]]\nname = \"pw\"\npattern = 'pw=(?P<secret>[a-z0-9]+)'\nreplace = \"***\"\n";

/// What the `REDACT` rules make of `input`, worked out independently of
/// the filter: each line (with its `\n`) masked on its own, every secret
/// (the group `secret`) replaced, the search going on from each secret's end.
fn masked(input: &[u8]) -> Vec<u8> {
    let token = regex::bytes::Regex::new(
        r"(?-u)(?:^|[^0-9])(?P<secret>[0-9]{6,12}:[A-Za-z0-9_-]{34,35})(?:[^A-Za-z0-9_-]|$)",
    )
    .unwrap();
    let pw = regex::bytes::Regex::new("pw=(?P<secret>[a-z0-9]+)").unwrap();
    let mask = |line: &[u8], re: &regex::bytes::Regex, with: &[u8]| {
        let mut out = Vec::new();
        let (mut written, mut at) = (0, 0);
        while let Some(caps) = re.captures_at(line, at) {
            let secret = caps.name("secret").unwrap();
            out.extend_from_slice(&line[written..secret.start()]);
            out.extend_from_slice(with);
            written = secret.end();
            at = secret.end();
        }
        out.extend_from_slice(&line[written..]);
        out
    };
    split_lines(input)
        .into_iter()
        .flat_map(|l| mask(&mask(l, &token, b"<redacted>"), &pw, b"***"))
        .collect()
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(WORDS), 0..5).prop_map(|ws| ws.concat())
}

/// Lines with their arrival times (ms, non-decreasing), and whether the last
/// line has its newline.
fn stream() -> impl Strategy<Value = (Vec<(Vec<u8>, i64)>, bool)> {
    (
        prop::collection::vec((line(), 0i64..400), 0..120),
        any::<bool>(),
    )
        .prop_map(|(lines, final_nl)| {
            let mut t = 0;
            let timed = lines
                .into_iter()
                .enumerate()
                .map(|(i, (l, dt))| {
                    t += dt;
                    // Numbered, so the oracle can tell identical lines apart
                    // when it removes the suppressed ones.
                    let mut numbered = format!("{i}|").into_bytes();
                    numbered.extend_from_slice(&l);
                    (numbered, t)
                })
                .collect();
            (timed, final_nl)
        })
}

fn rules_text(pass_first: u8, window_ms: u16, keyed: bool, max_keys: u8) -> String {
    framed_rules_text(pass_first, window_ms, keyed, max_keys, None)
}

/// The rule set of the properties; `framing: Some(multiline)` turns on
/// record framing (a line whose text starts with a space continues the
/// record before it) with `multiline` on the "noise" rule.
fn framed_rules_text(
    pass_first: u8,
    window_ms: u16,
    keyed: bool,
    max_keys: u8,
    framing: Option<bool>,
) -> String {
    let key = if keyed { "key = \"{dc}\"\n" } else { "" };
    // With framing on, a rule that decides on the record's last line
    // (`exception`) makes records starting with "plain" be held until they end.
    let (input, multiline, held) = match framing {
        Some(multiline) => (
            "[input]\ncontinuation = '^\\d*\\|? '\n",
            format!("multiline = {multiline}\n"),
            "[[rule]]\nname = \"held\"\npattern = 'plain'\nexception = 'lost$'\n",
        ),
        None => ("", String::new(), ""),
    };
    format!(
        "{input}{REDACT}[[rule]]\nname = \"dc\"\npattern = 'lost.*?(?P<dc>dc\\d)?$'\n{key}pass_first = {pass_first}\nwindow = \"{window_ms}ms\"\nmax_keys = {max_keys}\n\
         [[rule]]\nname = \"noise\"\npattern = 'noise'\nignore_case = true\nwindow = \"{}ms\"\n{multiline}\
         [[rule]]\nname = \"sock\"\npattern = 'socket\\.send\\(\\)'\n{held}",
        window_ms / 2 + 1
    )
}

struct Run {
    out: Vec<u8>,
    summaries: Vec<u8>,
    suppressed: Vec<u8>,
    /// Records the rules suppressed, by the engine's own count.
    suppressed_records: u64,
}

/// A filter over `rules` writing into in-memory sinks: lines to `out`,
/// summaries (`@@SUMMARY {rule} {key} {count}`) to `summaries` when
/// `separate` (else inline), suppressed lines to `suppressed`.
struct Harness {
    filter: Filter,
    out: Shared,
    summaries: Shared,
    suppressed: Shared,
}

impl Harness {
    fn new(rules: &str, separate: bool, options: FilterOptions) -> Harness {
        let set = Arc::new(load_str("p.toml", rules, Duration::from_secs(30)).expect("rules"));
        Harness::with_set(set, separate, options)
    }

    fn with_set(set: Arc<RuleSet>, separate: bool, options: FilterOptions) -> Harness {
        let (out, summaries, suppressed) =
            (Shared::default(), Shared::default(), Shared::default());
        let formatter = SummaryFormatter::new(
            Style::Template(Template::parse("@@SUMMARY {rule} {key} {count}").unwrap()),
            TimeFormatter::new("%s", true).unwrap(),
        );
        let output = Output::new(
            Outlet::new("out", Box::new(out.clone())),
            separate.then(|| Outlet::new("summaries", Box::new(summaries.clone()))),
            Some(Outlet::new("suppressed", Box::new(suppressed.clone()))),
            formatter,
            options.line_buffered,
            false,
        );
        let filter = Filter::new(set, output, &options);
        Harness {
            filter,
            out,
            summaries,
            suppressed,
        }
    }

    /// (out, summaries, suppressed) bytes so far.
    fn bytes(&self) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        (
            self.out.bytes(),
            self.summaries.bytes(),
            self.suppressed.bytes(),
        )
    }
}

/// Runs the filter over `lines`, each pushed at its own time, with summaries
/// going to a separate sink when `separate` (else inline, in `out`).
fn run(rules: &str, lines: &[(Vec<u8>, i64)], final_nl: bool, separate: bool) -> Run {
    let mut h = Harness::new(rules, separate, FilterOptions::default());
    let mut last = 0;
    for (i, (line, t)) in lines.iter().enumerate() {
        let mut bytes = line.clone();
        if i + 1 < lines.len() || final_nl {
            bytes.push(b'\n');
        }
        h.filter.push(&bytes, Time(*t)).unwrap();
        last = *t;
    }
    h.filter.finish(Time(last + 1)).unwrap();
    let (out, summaries, suppressed) = h.bytes();
    Run {
        out,
        summaries,
        suppressed,
        suppressed_records: h.filter.snapshot().records_suppressed(),
    }
}

fn input_bytes(lines: &[(Vec<u8>, i64)], final_nl: bool) -> Vec<u8> {
    let mut all = Vec::new();
    for (i, (l, _)) in lines.iter().enumerate() {
        all.extend_from_slice(l);
        if i + 1 < lines.len() || final_nl {
            all.push(b'\n');
        }
    }
    all
}

/// Splits after each `\n`, keeping it.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

fn summary_total(summaries: &[u8]) -> u64 {
    split_lines(summaries)
        .iter()
        .map(|l| {
            let text = String::from_utf8_lossy(l);
            text.trim_end()
                .rsplit(' ')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

/// Removes `suppressed` (in order) from `input`'s lines: what must remain.
fn minus(input: &[u8], suppressed: &[u8]) -> Vec<u8> {
    let mut gone = split_lines(suppressed).into_iter().peekable();
    let mut kept = Vec::new();
    for line in split_lines(input) {
        // A final line without `\n` may be suppressed too; compare exactly.
        if gone.peek() == Some(&line) {
            gone.next();
        } else {
            kept.extend_from_slice(line);
        }
    }
    assert!(
        gone.next().is_none(),
        "suppressed lines must be input lines, in order"
    );
    kept
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn output_minus_summaries_is_input_minus_suppressed(
        (lines, final_nl) in stream(),
        pass_first in 0u8..3,
        window_ms in 1u16..2000,
        keyed in any::<bool>(),
        max_keys in 1u8..4,
    ) {
        let rules = rules_text(pass_first, window_ms, keyed, max_keys);
        let input = input_bytes(&lines, final_nl);

        let separate = run(&rules, &lines, final_nl, true);
        let expected = minus(&masked(&input), &separate.suppressed);
        prop_assert_eq!(&separate.out, &expected);
        let suppressed_lines = split_lines(&separate.suppressed).len() as u64;
        prop_assert_eq!(summary_total(&separate.summaries), suppressed_lines);
        let passed_lines = split_lines(&separate.out).len() as u64;
        prop_assert_eq!(passed_lines + suppressed_lines, split_lines(&input).len() as u64);

        // Inline summaries: removing them gives the same bytes, except that a
        // final line without `\n` gains one when a summary follows it.
        let inline = run(&rules, &lines, final_nl, false);
        let mut without = Vec::new();
        let mut total = 0;
        for l in split_lines(&inline.out) {
            if l.starts_with(b"@@SUMMARY ") {
                total += summary_total(l);
            } else {
                without.extend_from_slice(l);
            }
        }
        prop_assert_eq!(total, suppressed_lines);
        if !final_nl && without.len() == expected.len() + 1 && !expected.is_empty() {
            prop_assert_eq!(&without[..expected.len()], &expected[..]);
            prop_assert_eq!(without.last(), Some(&b'\n'));
        } else {
            prop_assert_eq!(without, expected);
        }
        prop_assert_eq!(inline.suppressed, separate.suppressed);
    }
}

/// Runs the filter over `input` cut into pieces of the given sizes (cycled),
/// all at one fixed time, and returns (out, summaries, suppressed).
fn run_chunked(
    rules: &str,
    input: &[u8],
    sizes: &[usize],
    max_line: usize,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut h = Harness::new(
        rules,
        true,
        FilterOptions {
            max_line,
            ..FilterOptions::default()
        },
    );
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        h.filter.push(&rest[..n], Time(0)).unwrap();
        rest = &rest[n..];
        i += 1;
    }
    h.filter.finish(Time(0)).unwrap();
    h.bytes()
}

/// Raw stream bytes: words, newlines and stray bytes in any order.
fn raw_stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(WORDS).prop_map(<[u8]>::to_vec),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ],
        0..200,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The output must not depend on how the input arrives: one read, one
    /// byte at a time, or any other cut give identical bytes everywhere,
    /// including over-long lines cut at `max_line`.
    #[test]
    fn output_does_not_depend_on_how_input_is_split(
        input in raw_stream(),
        sizes in prop::collection::vec(1usize..40, 1..8),
        max_line in 1usize..48,
        pass_first in 0u8..3,
        keyed in any::<bool>(),
    ) {
        let rules = rules_text(pass_first, 1000, keyed, 2);
        let whole = run_chunked(&rules, &input, &[usize::MAX], max_line);
        let bytewise = run_chunked(&rules, &input, &[1], max_line);
        let cut = run_chunked(&rules, &input, &sizes, max_line);
        prop_assert_eq!(&whole, &bytewise);
        prop_assert_eq!(&whole, &cut);
        // Nothing lost, whatever the line length limit.
        prop_assert_eq!(whole.0.len() + whole.2.len(), masked(&input).len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// With record framing on, whole records are suppressed: the output is
    /// still the input minus the suppressed lines, every suppressed record
    /// is counted once in the summaries, and a record never counts twice.
    #[test]
    fn framed_records_lose_nothing_and_count_once(
        (lines, final_nl) in stream(),
        pass_first in 0u8..3,
        window_ms in 1u16..2000,
        keyed in any::<bool>(),
        multiline in any::<bool>(),
    ) {
        let rules = framed_rules_text(pass_first, window_ms, keyed, 3, Some(multiline));
        let input = input_bytes(&lines, final_nl);
        let run = run(&rules, &lines, final_nl, true);
        prop_assert_eq!(&run.out, &minus(&masked(&input), &run.suppressed));
        prop_assert_eq!(summary_total(&run.summaries), run.suppressed_records);
        let suppressed_lines = split_lines(&run.suppressed).len() as u64;
        prop_assert!(run.suppressed_records <= suppressed_lines);
        // Every suppressed line that is not a continuation starts a record.
        let starts = split_lines(&run.suppressed)
            .iter()
            .filter(|l| {
                let text = l.splitn(2, |&b| b == b'|').nth(1).unwrap_or(l);
                !text.starts_with(b" ")
            })
            .count() as u64;
        prop_assert!(starts <= run.suppressed_records);
    }
}

/// Patterns for random rule sets: literals, anchors, classes that can span
/// lines in a buffer (`[^"]`, `\s`), case folding, groups, no literal prefix.
const PATTERNS: &[&str] = &[
    "noise",
    "^noise",
    "noise$",
    "(?i)lost",
    r"dc\d",
    r"socket\.send\(\)",
    r"\bERROR\b.*lost",
    r#"[^"]*" due"#,
    r"\w+ lost",
    r"lost\s*$",
    r"(noise|dc1)",
    r"\A\d+\|",
    r"plain\z",
    r"\xff",
];

fn random_rules() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((prop::sample::select(PATTERNS), 0u8..3, any::<bool>()), 1..4),
        0u8..3,
    )
        .prop_map(|(rules, framing)| {
            let mut text = String::new();
            match framing {
                1 => text.push_str("[input]\ncontinuation = '^\\d*\\|? '\n"),
                2 => text.push_str("[input]\ncontinuation = \"python-traceback\"\n"),
                _ => {}
            }
            for (i, (pattern, pass_first, multiline)) in rules.iter().enumerate() {
                text.push_str(&format!(
                    "[[rule]]\nname = \"r{i}\"\npattern = '{pattern}'\npass_first = {pass_first}\nmultiline = {multiline}\n"
                ));
            }
            text
        })
}

/// Runs `input` in `chunk`-byte pushes, fast or per line.
fn run_mode(
    rules: &str,
    input: &[u8],
    chunk: usize,
    per_line: bool,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut h = Harness::new(
        rules,
        true,
        FilterOptions {
            per_line,
            ..FilterOptions::default()
        },
    );
    for (i, piece) in input.chunks(chunk.max(1)).enumerate() {
        h.filter.push(piece, Time(i as i64 * 7)).unwrap();
    }
    h.filter.finish(Time(input.len() as i64 * 7)).unwrap();
    h.bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The buffer search is only an optimization: on any input and rule set
    /// it gives byte for byte what deciding each line alone gives.
    #[test]
    fn fast_path_equals_per_line_reference(
        rules in random_rules(),
        (lines, final_nl) in stream(),
        raw in raw_stream(),
        use_raw in any::<bool>(),
        chunk in 1usize..300,
    ) {
        // Numbered lines, or raw bytes whose lines start with anything
        // (tracebacks, indentation, prefixes, timestamps).
        let input = if use_raw { raw } else { input_bytes(&lines, final_nl) };
        let reference = run_mode(&rules, &input, chunk, true);
        let fast = run_mode(&rules, &input, chunk, false);
        prop_assert_eq!(reference, fast, "rules:\n{}", rules);
    }
}

/// Line bodies for the default packs: lines their rules match (some held
/// until their exception line), near misses, and traceback material.
const PACK_BODIES: &[&str] = &[
    "asyncio - WARNING - socket.send() raised exception.",
    "pyrogram.connection.transport.tcp.tcp - INFO - Send exception: ConnectionResetError Connection lost",
    "pyrogram.connection.transport.tcp.tcp - INFO - Send exception: BrokenPipeError [Errno 32] Broken pipe",
    "pyrogram.session.session - WARNING - [2] Retrying \"messages.SendMessage\" due to: Connection lost",
    "pyrogram.session.session - WARNING - [1] Retrying \"updates.GetState\" due to: Request timed out",
    "pyrogram.connection.connection - INFO - Connected! Production DC2 - IPv4",
    "pyrogram.dispatcher - ERROR - Connection lost",
    "telethon.client.updates - ERROR - Unhandled exception on on_raw",
    "telegram.ext.Application - ERROR - No error handlers are registered, logging exception.",
    "telegram.ext.Updater - WARNING - Network Retry Loop (Polling Updates): Timed out: x. Retrying immediately.",
    "aiogram.dispatcher - ERROR - Failed to fetch updates - TelegramNetworkError: HTTP Client says - x",
    "bot - INFO - Replied to @alice in 40 ms",
    "bot - ERROR - Unhandled error in /forecast",
];

/// Whole lines without a timestamp: tracebacks, exception lines the
/// `exception` rules look for, chained separators, prefixes, blank lines.
const PACK_LINES: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"/srv/bot/main.py\", line 31, in <module>",
    "    await self.connection.send(payload)",
    "OSError: Connection lost",
    "telegram.error.NetworkError: httpx.ReadError: ",
    "telegram.error.TimedOut: Timed out",
    "ConnectionResetError: [Errno 104] Connection reset by peer",
    "aiogram.exceptions.TelegramNetworkError: HTTP Client says - x",
    "TelegramNetworkError: HTTP Client says - ClientOSError",
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
    "",
    "   ",
    "\u{2502} boxed",
    "ERROR:pyrogram.dispatcher:Connection lost",
    "WARNING:asyncio:socket.send() raised exception.",
    "bot-1  | WARNING:asyncio:socket.send() raised exception.",
    "bot-1  | Traceback (most recent call last):",
    "plain words",
    // Secrets the default redactions mask: found by a guard (the token)
    // and by a literal (a URL's password), on lines no rule takes.
    "INFO:httpx:HTTP Request: POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe \"HTTP/1.1 200 OK\"",
    "WARNING:asyncio:socket.send() raised exception. url=https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/x",
    "sqlalchemy.exc.OperationalError: could not connect to postgresql://bot:s3cr3t@db:5432/bot",
    "16:32:54 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs 12:00:00",
];

/// A bot's log for the default packs: timestamped lines in three layouts,
/// seconds apart (so windows close on the log's clock too), and bare lines.
fn pack_log() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (
            0u64..20,
            0usize..PACK_BODIES.len() + PACK_LINES.len(),
            0u8..3,
        ),
        0..150,
    )
    .prop_map(|lines| {
        let mut out = Vec::new();
        let mut second = 0u64;
        for (dt, pick, layout) in lines {
            second += dt;
            let (m, s) = (second / 60 % 60, second % 60);
            if let Some(body) = PACK_BODIES.get(pick) {
                let (logger, rest) = body.split_once(" - ").unwrap();
                let line = match layout {
                    0 => format!("2025-11-20 16:{m:02}:{s:02},000 - {body}"),
                    1 => format!("[20-Nov-25 16:{m:02}:{s:02} - INFO] - {logger} - {rest}"),
                    _ => format!("INFO:{logger}:{}", rest.rsplit(" - ").next().unwrap()),
                };
                out.extend_from_slice(line.as_bytes());
            } else {
                out.extend_from_slice(PACK_LINES[pick - PACK_BODIES.len()].as_bytes());
            }
            out.push(b'\n');
        }
        out
    })
}

/// The property below runs the secrets pack too, as every command does: the token and password
/// lines of `PACK_LINES` go through the fast path's search for secrets.
#[test]
fn the_default_packs_of_the_fast_path_property_mask_secrets() {
    assert!(!default_packs().redactor().is_empty());
}

fn default_packs() -> Arc<RuleSet> {
    static SET: std::sync::OnceLock<Arc<RuleSet>> = std::sync::OnceLock::new();
    Arc::clone(SET.get_or_init(|| {
        Arc::new(
            load(
                &[RuleSource::Secrets, RuleSource::Defaults],
                Duration::from_secs(30),
            )
            .expect("default packs"),
        )
    }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The fast path with what users run: the default packs, with their
    /// python-traceback framing and held records, on the wall clock or the
    /// log's own; byte for byte what deciding each line alone gives.
    #[test]
    fn fast_path_equals_per_line_reference_with_default_packs(
        input in pack_log(),
        chunk in 1usize..400,
        log_clock in any::<bool>(),
    ) {
        let run = |per_line: bool| {
            let options = FilterOptions {
                per_line,
                log_clock: log_clock.then(|| LogClock::new(TimestampSpec::Auto, true, 2025)),
                ..FilterOptions::default()
            };
            let mut h = Harness::with_set(default_packs(), true, options);
            for (i, piece) in input.chunks(chunk).enumerate() {
                h.filter.push(piece, Time(i as i64 * 700)).unwrap();
            }
            h.filter.finish(Time(input.len() as i64 * 700)).unwrap();
            let snapshot = h.filter.snapshot();
            let counts = (snapshot.lines_in(), snapshot.records_in);
            (h.bytes(), counts)
        };
        prop_assert_eq!(run(true), run(false));
    }
}
