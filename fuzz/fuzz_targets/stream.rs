//! The stream invariant under arbitrary bytes, line lengths, cuts and times.
//!
//! Input layout: six parameter bytes, then the stream.
//!
//! - `h[0]`: rule set (low 2 bits), `pass_first`, keyed, `max_keys`
//! - `h[1]`: `max_line`, 1..=64
//! - `h[2]`: chunk size, 1..=32 (how each time segment is cut into pushes)
//! - `h[3]`: time segment size, 1..=256 bytes (all pushed at the same time)
//! - `h[4]`: time step between segments (below 32: zero, the whole stream at once)
//! - `h[5]`: window length
//!
//! Checked, with summaries going to their own sink:
//!
//! 1. the writes to `out` and to the suppressed sink, in the order they were
//!    made, rebuild the input with its secrets masked, byte for byte (so
//!    `out` is the masked input with the suppressed lines removed); masking
//!    line by line with the rule set's own redactor is the reference, the
//!    pipeline masks while streaming, over-long lines in pieces;
//! 2. the summary counts add up to the suppressed lines, and so do the rule
//!    stats; the line counters add up;
//! 3. split invariance: pushing each time segment whole (consecutive segments
//!    with the same time merged, so with a zero time step the whole stream is
//!    one push) gives byte-identical out, summaries and suppressed output;
//! 4. with summaries inline in `out`, the suppressed bytes are the same and
//!    `out` is exactly the separate out plus the summary lines (plus at most
//!    one `\n` ending a final unterminated line).

#![no_main]

use libfuzzer_sys::fuzz_target;
use logdedup::rules::{builtin_pack, load_str, RedactScratch, RuleSet};
use logdedup::pipeline::{Counts, PipelineOptions};
use logdedup::stream::{Filter, Outlet, Output};
use logdedup::summary::{Style, SummaryFormatter, Template};
use logdedup::time::{Time, TimeFormatter};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// A shared, growable byte buffer.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Buf {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

/// A sink that keeps its own bytes and also appends them to a log shared
/// with other sinks, which records the order of writes across sinks.
struct Tee {
    own: Buf,
    merged: Option<Buf>,
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.own.0.lock().unwrap().extend_from_slice(buf);
        if let Some(m) = &self.merged {
            m.0.lock().unwrap().extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn rules_text(h0: u8, window_ms: u64) -> String {
    let pass_first = (h0 >> 2) % 3;
    let keyed = h0 & 0x10 != 0;
    let max_keys = 1 + (h0 >> 5) % 4;
    let w = window_ms;
    match h0 % 4 {
        // The rule set of tests/integration/invariant.rs.
        0 => {
            let key = if keyed { "key = \"{dc}\"\n" } else { "" };
            format!(
                "[[rule]]\nname = \"dc\"\npattern = 'lost.*?(?P<dc>dc\\d)?$'\n{key}\
                 pass_first = {pass_first}\nwindow = \"{w}ms\"\nmax_keys = {max_keys}\n\
                 [[rule]]\nname = \"noise\"\npattern = 'noise'\nignore_case = true\nwindow = \"{}ms\"\n\
                 [[rule]]\nname = \"sock\"\npattern = 'socket\\.send\\(\\)'\n",
                w / 2 + 1
            )
        }
        // Short patterns the fuzzer hits easily, bytes that are not UTF-8,
        // anchors next to `\r\n`.
        1 => {
            let key = if keyed { "key = \"d{d}\"\n" } else { "" };
            format!(
                "[[rule]]\nname = \"a\"\npattern = 'a'\npass_first = {pass_first}\nwindow = \"{w}ms\"\n\
                 [[rule]]\nname = \"digit\"\npattern = '(?P<d>[0-9])'\n{key}\
                 pass_first = {pass_first}\nwindow = \"{}ms\"\nmax_keys = {max_keys}\n\
                 [[rule]]\nname = \"bytes\"\npatterns = ['(?-u:\\xff)', '^\\t', ' $', '\\x00']\nwindow = \"{}ms\"\n",
                w * 2 + 1,
                w / 3 + 1
            )
        }
        // A key group that may not take part in the match; case folding.
        2 => {
            let key = if keyed { "key = \"<{g}>\"\n" } else { "" };
            format!(
                "[defaults]\nwindow = \"{w}ms\"\npass_first = {pass_first}\nmax_keys = {max_keys}\n\
                 [[rule]]\nname = \"k\"\npattern = 'k(?P<g>[a-c]+)?'\nignore_case = true\n{key}\
                 [[rule]]\nname = \"xxx\"\npattern = 'x{{3}}'\nwindow = \"1ms\"\npass_first = 0\n"
            )
        }
        // The built-in pack, with its own windows.
        _ => builtin_pack("pyrogram").unwrap().to_owned(),
    }
}

/// Redactions every rule set has: a bot token and a short literal one, so
/// that secrets cut by `max_line` and by pushes are common.
const REDACT: &str = "\n[[redact]]\nname = \"token\"\n\
    pattern = '(?-u)(?:^|[^0-9])(?P<secret>[0-9]{6,12}:[A-Za-z0-9_-]{34,35})(?:[^A-Za-z0-9_-]|$)'\n\
    [[redact]]\nname = \"pw\"\npattern = 'pw=(?P<secret>[a-z]+)'\nreplace = \"*\"\n";

/// `input` masked line by line by `set`'s redactions.
fn masked(set: &RuleSet, input: &[u8]) -> Vec<u8> {
    let mut scratch = RedactScratch::default();
    let mut counts = vec![0; set.redactor().redactions().len()];
    let mut out = Vec::new();
    for line in input.split_inclusive(|&b| b == b'\n') {
        if set.redactor().apply(line, &mut scratch, &mut counts) {
            out.extend_from_slice(&scratch.out);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// The compiled rule set for `h0` and window byte `h5`, cached: compiling
/// the regexes costs more than a whole run of the filter.
fn rule_set(h0: u8, h5: u8) -> Arc<RuleSet> {
    type Cache = Mutex<HashMap<(u8, u8), Arc<RuleSet>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    if cache.len() >= 1024 {
        cache.clear();
    }
    let set = cache.entry((h0, h5)).or_insert_with(|| {
        let window_ms = 1 + u64::from(h5) * 8;
        Arc::new(
            load_str(
                "fuzz.toml",
                &(rules_text(h0, window_ms) + REDACT),
                Duration::from_millis(window_ms),
            )
            .expect("fixed rules load"),
        )
    });
    Arc::clone(set)
}

struct Run {
    out: Vec<u8>,
    summaries: Vec<u8>,
    suppressed: Vec<u8>,
    /// Writes to `out` and the suppressed sink, in order.
    merged: Vec<u8>,
    counters: Counts,
    summaries_counted: u64,
    stats_suppressed: u64,
}

/// Runs the filter: `pushes` are (bytes, time), then `finish` at `end`.
fn run(
    set: &Arc<RuleSet>,
    pushes: &[(&[u8], Time)],
    end: Time,
    max_line: usize,
    separate: bool,
) -> Run {
    let (out, summaries, suppressed, merged) = (
        Buf::default(),
        Buf::default(),
        Buf::default(),
        Buf::default(),
    );
    let formatter = SummaryFormatter::new(
        Style::Template(Template::parse("{rule} {count}").unwrap()),
        TimeFormatter::new("%s", true).unwrap(),
    );
    let sink = |name: &str, own: &Buf, merged: Option<&Buf>| {
        Outlet::new(
            name,
            Box::new(Tee {
                own: own.clone(),
                merged: merged.cloned(),
            }),
        )
    };
    let output = Output::new(
        sink("out", &out, Some(&merged)),
        separate.then(|| sink("summaries", &summaries, None)),
        Some(sink("suppressed", &suppressed, Some(&merged))),
        formatter,
        false,
        false,
    );
    let mut filter = Filter::new(
        Arc::clone(set),
        output,
        &PipelineOptions {
            line_buffered: false,
            max_line,
            // Fields added later keep their defaults.
            ..PipelineOptions::default()
        },
    );
    for (bytes, t) in pushes {
        filter.push(bytes, *t).unwrap();
    }
    filter.finish(end).unwrap();
    Run {
        out: out.bytes(),
        summaries: summaries.bytes(),
        suppressed: suppressed.bytes(),
        merged: merged.bytes(),
        counters: filter.snapshot().lines,
        summaries_counted: filter.snapshot().summaries(),
        stats_suppressed: filter.snapshot().records_suppressed(),
    }
}

fn line_count(bytes: &[u8]) -> u64 {
    bytes.split_inclusive(|&b| b == b'\n').count() as u64
}

/// Sum of the `{count}` fields of `{rule} {count}` summary lines.
fn summary_total(summaries: &[u8]) -> u64 {
    summaries
        .split_inclusive(|&b| b == b'\n')
        .map(|l| {
            assert_eq!(l.last(), Some(&b'\n'), "summary line without newline");
            let text = std::str::from_utf8(&l[..l.len() - 1]).expect("summary is UTF-8");
            let count = text.rsplit(' ').next().unwrap();
            let n: u64 = count
                .parse()
                .unwrap_or_else(|_| panic!("bad summary line {text:?}"));
            assert!(n >= 1, "summary of nothing: {text:?}");
            n
        })
        .sum()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let (h, input) = data.split_at(6);
    let set = rule_set(h[0], h[5]);
    let max_line = 1 + usize::from(h[1] % 64);
    let chunk = 1 + usize::from(h[2] % 32);
    let segment = 1 + usize::from(h[3]);
    let step = if h[4] < 32 {
        0
    } else {
        i64::from(h[4] - 32) * 5
    };

    let t0 = 1_700_000_000_000i64;
    let segments: Vec<(&[u8], Time)> = input
        .chunks(segment)
        .enumerate()
        .map(|(i, s)| (s, Time(t0 + i as i64 * step)))
        .collect();
    let last = segments.last().map_or(t0, |&(_, t)| t.0);
    let end = Time(last + step + 1);

    // Each time segment cut into `chunk`-byte pushes.
    let chunked: Vec<(&[u8], Time)> = segments
        .iter()
        .flat_map(|&(s, t)| s.chunks(chunk).map(move |c| (c, t)))
        .collect();
    // Consecutive segments with the same time pushed as one piece.
    let mut whole: Vec<(&[u8], Time)> = Vec::new();
    let mut off = 0;
    for &(s, t) in &segments {
        match whole.last_mut() {
            Some((prev, pt)) if *pt == t => *prev = &input[off - prev.len()..off + s.len()],
            _ => whole.push((s, t)),
        }
        off += s.len();
    }
    debug_assert_eq!(
        whole.iter().map(|(p, _)| p.len()).sum::<usize>(),
        input.len()
    );

    let a = run(&set, &chunked, end, max_line, true);

    // 1. out and suppressed interleave back into the masked input.
    let expected = masked(&set, input);
    assert_eq!(a.out.len() + a.suppressed.len(), expected.len());
    assert!(
        a.merged == expected,
        "out + suppressed writes do not rebuild the input\n input: {:?}\nmerged: {:?}",
        String::from_utf8_lossy(input),
        String::from_utf8_lossy(&a.merged)
    );

    // 2. Counts add up.
    let suppressed_lines = line_count(&a.suppressed);
    assert_eq!(summary_total(&a.summaries), suppressed_lines);
    assert_eq!(a.stats_suppressed, suppressed_lines);
    assert_eq!(a.counters.passed + a.counters.suppressed, line_count(input));
    assert_eq!(a.counters.suppressed, suppressed_lines);
    assert_eq!(a.summaries_counted, line_count(&a.summaries));

    // 3. Split invariance.
    let b = run(&set, &whole, end, max_line, true);
    assert!(
        a.out == b.out,
        "out depends on the cuts\n chunked: {:?}\n   whole: {:?}",
        String::from_utf8_lossy(&a.out),
        String::from_utf8_lossy(&b.out)
    );
    assert!(
        a.summaries == b.summaries,
        "summaries depend on the cuts\n chunked: {:?}\n   whole: {:?}",
        String::from_utf8_lossy(&a.summaries),
        String::from_utf8_lossy(&b.summaries)
    );
    assert!(
        a.suppressed == b.suppressed,
        "suppressed output depends on the cuts\n chunked: {:?}\n   whole: {:?}",
        String::from_utf8_lossy(&a.suppressed),
        String::from_utf8_lossy(&b.suppressed)
    );

    // 4. Inline summaries.
    let c = run(&set, &chunked, end, max_line, false);
    assert!(
        c.suppressed == a.suppressed,
        "inline summaries change what is suppressed"
    );
    let plain = a.out.len() + a.summaries.len();
    let newline_added = c.out.len() == plain + 1;
    assert!(
        c.out.len() == plain || newline_added,
        "inline out has {} bytes, expected {plain} (+1)",
        c.out.len()
    );
    if newline_added {
        assert!(
            !a.summaries.is_empty() && !input.ends_with(b"\n"),
            "a newline was added to inline out although the input ends with one"
        );
    }
});
