//! `suggest`: propose rules for the noise found in an existing log.
//!
//! The log is read once. Each line goes through record framing (a Python
//! traceback belongs to the record that logged it), the record's first
//! line loses its timestamp/level/logger prefix, its message is masked
//! (numbers, ids, quoted strings… become slots) and a Drain-like miner
//! files it under a template. Templates are then ranked by the lines a rule
//! would save and by how bursty they are, and the best are written as a
//! TOML rule file whose `[[test]]` cases are real lines of the log — or as
//! a table for people.
//!
//! Pieces: `prefix` reads each line through the filter's layout
//! recognizer (`records::LayoutRecognizer`: time, level, logger, message,
//! as offsets into the line) and its time in milliseconds, `shape`
//! abstracts them (a rule is anchored on its lines' shapes), `mask`
//! tokenizes and masks, `redact` keeps bot tokens out of everything
//! printed, `input` reads and frames, `miner` groups (into `template`s),
//! `rank` scores, `pattern` writes a template's regex/name/key, `emit`
//! checks and prints the rules and notes what got none.
//!
//! **Bounds.** Work per line is bounded: masking is linear in the line's
//! first 4 KiB, and a message is compared with at most 16 templates (the
//! candidates of its Drain leaf), however many templates there are; the
//! ranking afterwards is O(T log T) in the templates held. Memory is
//! bounded by [`SuggestOptions::max_templates`]
//! (default 50 000): past it, the least-seen tenth of the templates is
//! evicted in one sweep (ties: least recently seen); an evicted template
//! seen again starts over. A template holds at most two sample lines of
//! 512 bytes, 32 value hashes and 8 short example values per slot, and at
//! most 64 tokens, so the whole stays in the order of 100 MB at the
//! default cap, whatever the input. Only the first 4 KiB of a message and
//! 64 KiB of a line are looked at. Invalid UTF-8 is fine anywhere; such
//! lines are just not used as test samples.
//!
//! **Time.** Windows run on log time when records carry a timestamp
//! (records before the first one use line positions); without timestamps
//! a window is `window` × 10 records (as if 10 records a second).

mod emit;
mod hash;
mod input;
mod mask;
mod miner;
mod pattern;
mod prefix;
mod rank;
mod redact;
mod shape;
mod template;

use std::io::{IsTerminal, Read, Write};
use std::time::Duration;

use anyhow::{Context, Result};

use self::emit::WindowUnit;
use self::input::{Framer, LineReader};
use self::miner::{Miner, Record};
use self::prefix::{Line, Reader};

/// Records a window holds when there are no timestamps (10 a second).
const RECORDS_PER_SECOND: u64 = 10;
/// Buckets per window for the burst measures.
const BUCKETS_PER_WINDOW: u64 = 30;
/// Progress is redrawn after this many bytes.
const PROGRESS_STEP: u64 = 4 << 20;

/// How `suggest` prints its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SuggestFormat {
    /// A rule file: `[[rule]]` and `[[test]]` tables.
    #[default]
    Toml,
    /// A table for people: count, share, peak per window, sample line.
    Table,
}

/// What `suggest` knows of the rules there are, asked about sample lines.
pub trait KnownRules {
    /// Whether a loaded rule (the default packs, `-r`, `-e`) takes `line`:
    /// its template gets no rule, and it is no must-pass line.
    fn takes(&self, line: &[u8]) -> bool;

    /// The built-in pack, not loaded, one of whose rules takes `line`: its
    /// template is reported as covered by that pack instead of getting a rule.
    fn pack_for(&self, _line: &[u8]) -> Option<String> {
        None
    }
}

/// A closure is the loaded rules (and knows no packs).
impl<F: Fn(&[u8]) -> bool> KnownRules for F {
    fn takes(&self, line: &[u8]) -> bool {
        self(line)
    }
}

/// What `suggest` looks for and how it reports it.
#[derive(Clone, Debug)]
pub struct SuggestOptions {
    /// Window the peak count is measured in (and the rules' default window).
    pub window: Duration,
    /// Most rules (or table rows) printed.
    pub top: usize,
    /// Also suggest rules for ERROR/CRITICAL records and tracebacks.
    pub include_errors: bool,
    /// Most templates held at once (the memory bound; see the module doc).
    pub max_templates: usize,
    /// Output format.
    pub format: SuggestFormat,
    /// Keep, for each record, the template it was filed under (for checks
    /// of the result; costs 16 bytes a record).
    pub trace: bool,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            window: Duration::from_secs(30),
            top: 10,
            include_errors: false,
            max_templates: 50_000,
            format: SuggestFormat::Toml,
            trace: false,
        }
    }
}

/// What a `suggest` run found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuggestReport {
    /// Lines read.
    pub lines: u64,
    /// Records (a line plus its continuation lines).
    pub records: u64,
    /// Templates held at the end.
    pub templates: usize,
    /// Templates evicted to stay under the cap.
    pub evicted: u64,
    /// Whether windows ran on log time (most records had a timestamp).
    pub log_time: bool,
    /// Template-to-message comparisons made while mining (at most 16 a
    /// record; see the module doc).
    pub compared: u64,
    /// Names of the rules printed (TOML format), best first.
    pub rules: Vec<String>,
    /// For each rule printed, the template it was made from.
    pub rule_templates: Vec<u64>,
    /// With [`SuggestOptions::trace`]: for each record, the number of its
    /// first line (from 1, counted over all inputs) and its template.
    pub trace: Vec<(u64, u64)>,
    /// What got no rule and why, as `#` comment lines (written after the
    /// rules; the command prints them on stderr when there are no rules).
    pub notes: String,
}

/// Reads `inputs` one after the other (a record never spans two), and
/// writes suggested rules (or the table) to `out`. Templates that `known`
/// rules take on a sample line are skipped (or named with their pack).
/// With `progress`, and stderr a terminal, a progress line is drawn on
/// stderr; nothing else is ever written there.
pub fn suggest(
    inputs: Vec<Box<dyn Read>>,
    opts: &SuggestOptions,
    known: &dyn KnownRules,
    progress: bool,
    out: &mut dyn Write,
) -> Result<SuggestReport> {
    let bar = progress_bar(progress && std::io::stderr().is_terminal());
    let mut state = State::new(opts);
    let mut framer = Framer::default();
    let mut layouts = Reader::default();
    let mut done_before = 0;
    for (n, input) in inputs.into_iter().enumerate() {
        let mut reader = LineReader::new(input);
        let mut drawn = 0;
        let mut emit = |line: &[u8], traceback: bool, first: u64| {
            state.record(&layouts.read(line), traceback, first);
        };
        while let Some(line) = reader
            .next_line()
            .with_context(|| format!("reading input {}", n + 1))?
        {
            framer.push(line, &mut emit);
            if let Some(bar) = &bar {
                if reader.bytes_read() - drawn >= PROGRESS_STEP {
                    drawn = reader.bytes_read();
                    bar.set_position(done_before + drawn);
                }
            }
        }
        framer.finish(&mut emit);
        done_before += reader.bytes_read();
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let lines = framer.lines();
    state.finish(opts, known, lines, out)
}

fn progress_bar(enabled: bool) -> Option<indicatif::ProgressBar> {
    if !enabled {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} suggest: {binary_bytes} read ({binary_bytes_per_sec}), {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// The run in progress: the miner and the clock.
struct State {
    miner: Miner,
    window_ms: i64,
    bucket_ms: i64,
    window_records: i64,
    bucket_records: i64,
    last_time: Option<i64>,
    /// Records since the last one with a timestamp.
    since_time: u64,
    /// Time between timestamped records, summed, and the records between.
    gap_ms: i64,
    gap_records: u64,
    timed: u64,
    records: u64,
    /// With `trace`: (first line, template) of every record.
    trace: Option<Vec<(u64, u64)>>,
}

impl State {
    fn new(opts: &SuggestOptions) -> State {
        let window_ms = i64::try_from(opts.window.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let secs = opts.window.as_secs().max(1);
        let window_records =
            i64::try_from(secs.saturating_mul(RECORDS_PER_SECOND)).unwrap_or(i64::MAX);
        State {
            miner: Miner::new(opts.max_templates),
            window_ms,
            bucket_ms: (window_ms / BUCKETS_PER_WINDOW as i64).max(1),
            window_records,
            bucket_records: (window_records / BUCKETS_PER_WINDOW as i64).max(1),
            last_time: None,
            since_time: 0,
            gap_ms: 0,
            gap_records: 0,
            timed: 0,
            records: 0,
            trace: opts.trace.then(Vec::new),
        }
    }

    fn record(&mut self, line: &Line, traceback: bool, first_line: u64) {
        let (window, bucket, time_ms) = match self.clock(line.prefix.time_ms) {
            Some(t) => (
                t.div_euclid(self.window_ms),
                t.div_euclid(self.bucket_ms),
                t,
            ),
            None => {
                let n = self.records as i64;
                let ms = n.saturating_mul(1000 / RECORDS_PER_SECOND as i64);
                (n / self.window_records, n / self.bucket_records, ms)
            }
        };
        self.records += 1;
        let serial = self.miner.feed(&Record {
            line,
            error: traceback || line.prefix.is_error(),
            window,
            bucket,
            time_ms,
        });
        if let Some(trace) = &mut self.trace {
            trace.push((first_line, serial));
        }
    }

    /// The log time of a record: its own timestamp, or — for a record
    /// without one — the last timestamp plus the records since then at the
    /// average pace seen so far (a whole stretch of a log without stamps
    /// would otherwise fall into one window). `None` before any timestamp.
    fn clock(&mut self, stamp: Option<i64>) -> Option<i64> {
        /// Gaps longer than this (a restart, a night) say nothing about the pace.
        const MAX_GAP_MS: i64 = 3_600_000;
        let Some(t) = stamp else {
            self.since_time += 1;
            let pace = self.gap_ms as f64 / self.gap_records.max(1) as f64;
            return self
                .last_time
                .map(|last| last.saturating_add((pace * self.since_time as f64) as i64));
        };
        if let Some(last) = self.last_time {
            let gap = t.saturating_sub(last);
            if (0..=MAX_GAP_MS).contains(&gap) {
                self.gap_ms = self.gap_ms.saturating_add(gap);
                self.gap_records += self.since_time + 1;
            }
        }
        self.last_time = Some(t);
        self.since_time = 0;
        self.timed += 1;
        Some(t)
    }

    fn finish(
        self,
        opts: &SuggestOptions,
        known: &dyn KnownRules,
        lines: u64,
        out: &mut dyn Write,
    ) -> Result<SuggestReport> {
        let log_time = self.timed * 2 > self.records;
        let unit = if log_time {
            WindowUnit::Time(opts.window)
        } else {
            WindowUnit::Records(self.window_records as u64)
        };
        let held = self.miner.len();
        let (templates, shapes, totals) = self.miner.finish();
        let cx = rank::Context {
            totals: &totals,
            include_errors: opts.include_errors,
            log_time,
            known,
        };
        let ranked = rank::rank(&templates, &cx);
        let notes = emit::notes(&templates, &ranked, opts.top, self.records);
        let mut report = SuggestReport {
            lines,
            records: self.records,
            templates: held,
            evicted: totals.evicted,
            log_time,
            compared: totals.compared,
            trace: self.trace.unwrap_or_default(),
            ..SuggestReport::default()
        };
        match opts.format {
            SuggestFormat::Toml => {
                let chosen = emit::choose(
                    &templates,
                    &shapes,
                    &ranked,
                    opts.top,
                    opts.include_errors,
                    known,
                );
                emit::write_toml(out, &templates, &ranked, &chosen, self.records, unit)
                    .context("writing the suggested rules")?;
                if !chosen.is_empty() {
                    out.write_all(notes.as_bytes())
                        .context("writing the suggested rules")?;
                }
                report.rule_templates = chosen.iter().map(|s| templates[s.index].serial).collect();
                report.rules = chosen.into_iter().map(|s| s.rule.name).collect();
            }
            SuggestFormat::Table => {
                emit::write_table(out, &templates, &ranked, opts.top, self.records, unit)
                    .context("writing the table")?;
                out.write_all(notes.as_bytes())
                    .context("writing the table")?;
            }
        }
        report.notes = notes;
        out.flush().context("writing the output")?;
        Ok(report)
    }
}
