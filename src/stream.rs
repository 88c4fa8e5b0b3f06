//! The I/O shell: reading, line framing, writing, flushing and the timer.
//!
//! [`Filter`] applies the engine to a byte stream and writes the results; it
//! takes time as an argument like the engine, so tests drive it with a fixed
//! clock. [`run`] wires it to real files: a reader thread sends chunks over a
//! channel, and the main loop waits on that channel with a timeout set to the
//! next window deadline, so summaries come out on time even when the input
//! is silent (a blocked `read(2)` never wakes up for a timer).

use anyhow::{Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::cli::{Config, InputSource, SummaryTarget};
use crate::engine::{Engine, RuleStats, Summary, Verdict};
use crate::records::{Framing, LogClock};
use crate::rules::RuleSet;
use crate::summary::SummaryFormatter;
use crate::time::Time;

/// Bytes asked of `read(2)` at a time. One read per chunk: a reader that
/// loops until its buffer is full holds back lines on a slow stream.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Standard output was closed by the reader (`logdedup big.log | head`):
/// the run ends at once, quietly and successfully.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// A writer with the path (or stream name) it writes to, for error messages.
pub struct Sink {
    name: String,
    writer: Box<dyn Write + Send>,
    /// A broken pipe here means the reader is done ([`StdoutClosed`]), not
    /// an error: true for standard output only. A closed audit or summary
    /// pipe is an error, or lines would vanish without a word.
    closing_is_normal: bool,
}

impl Sink {
    /// Wraps `writer`, called `name` in error messages.
    pub fn new(name: impl Into<String>, writer: Box<dyn Write + Send>) -> Sink {
        Sink {
            name: name.into(),
            writer,
            closing_is_normal: false,
        }
    }

    /// Wraps standard output (see [`StdoutClosed`]).
    pub fn stdout(writer: Box<dyn Write + Send>) -> Sink {
        Sink {
            closing_is_normal: true,
            ..Sink::new("standard output", writer)
        }
    }

    fn error(&self, err: io::Error) -> anyhow::Error {
        if self.closing_is_normal && err.kind() == io::ErrorKind::BrokenPipe {
            return anyhow::Error::new(StdoutClosed);
        }
        anyhow::Error::new(err).context(format!("writing to {}", self.name))
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer.write_all(bytes).map_err(|e| self.error(e))
    }

    fn flush(&mut self) -> Result<()> {
        self.writer.flush().map_err(|e| self.error(e))
    }
}

/// Line and summary counts of a run, for `--stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Lines read.
    pub lines_in: u64,
    /// Lines written through (not counting summaries).
    pub lines_out: u64,
    /// Summary lines written.
    pub summaries: u64,
}

/// Per-run settings of a [`Filter`].
#[derive(Clone, Debug)]
pub struct FilterOptions {
    /// Flush after every line.
    pub line_buffered: bool,
    /// Longest line matched whole; a longer one is decided on its first
    /// `max_line` bytes and streamed through (or suppressed) in pieces.
    pub max_line: usize,
    /// Record framing from the command line; `None`: the rule files'.
    pub framing: Option<Framing>,
    /// `--clock log`: windows run on the times parsed from the records
    /// instead of the wall-clock times passed in.
    pub log_clock: Option<LogClock>,
    /// Decide every line on its own, without the buffer search: the simple
    /// reference path the fast path is tested against.
    pub per_line: bool,
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            line_buffered: false,
            max_line: DEFAULT_MAX_LINE,
            framing: None,
            log_clock: None,
            per_line: false,
        }
    }
}

/// Default `--max-line`: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Where the rest of an over-long line goes once its first part is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LongLine {
    Pass,
    Suppress,
}

/// The engine applied to a byte stream, writing to its sinks.
pub struct Filter {
    engine: Engine,
    formatter: SummaryFormatter,
    out: Sink,
    /// `None`: summaries go into `out`, in stream order.
    summary_sink: Option<Sink>,
    suppressed_sink: Option<Sink>,
    options: FilterOptions,
    /// The start of a line whose `\n` has not arrived yet (at most `max_line` bytes).
    partial: Vec<u8>,
    /// Set while the rest of an over-long line is being streamed.
    long_line: Option<LongLine>,
    /// Whether the last byte written to `out` ended a line, so a summary
    /// after a final line without `\n` gets one first.
    out_at_line_start: bool,
    due: Vec<Summary>,
    log_clock: Option<LogClock>,
    /// In log-clock mode, the time used before any timestamp is seen: the
    /// wall-clock time of the first push.
    log_start: Option<Time>,
    /// Formatted summaries for `out` not yet written (see `write_due`).
    held: Vec<u8>,
    line_buf: Vec<u8>,
    counters: Counters,
}

impl Filter {
    /// A filter over `rules` writing lines to `out`; summaries go to
    /// `summary_sink` when given, else into `out`.
    pub fn new(
        rules: Arc<RuleSet>,
        formatter: SummaryFormatter,
        out: Sink,
        summary_sink: Option<Sink>,
        suppressed_sink: Option<Sink>,
        options: FilterOptions,
    ) -> Filter {
        Filter {
            engine: Engine::with_framing(rules, options.framing.clone()),
            formatter,
            out,
            summary_sink,
            suppressed_sink,
            log_clock: options.log_clock.clone(),
            log_start: None,
            options: FilterOptions {
                max_line: options.max_line.max(1),
                ..options
            },
            partial: Vec::new(),
            long_line: None,
            out_at_line_start: true,
            due: Vec::new(),
            held: Vec::new(),
            line_buf: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// Processes the next bytes of the stream, all seen at `now`. Complete
    /// lines are decided and written; a trailing partial line waits for the
    /// rest (or for [`Filter::finish`]). The result never depends on how the
    /// stream is cut into pushes.
    pub fn push(&mut self, mut data: &[u8], now: Time) -> Result<()> {
        if self.log_start.is_none() {
            self.log_start = Some(now);
        }
        if self.log_clock.is_none() {
            self.tick(now)?;
        }
        let fast =
            !self.options.line_buffered && !self.options.per_line && self.log_clock.is_none();
        while !data.is_empty() {
            if let Some(mode) = self.long_line {
                data = self.continue_long_line(mode, data)?;
                continue;
            }
            // Whole lines that cannot exceed --max-line: search the buffer.
            if fast && self.partial.is_empty() && data.len() <= self.options.max_line {
                let rules = Arc::clone(self.engine.rules());
                if let Some(matcher) = rules.buffer_matcher() {
                    if let Some(last) = memchr::memrchr(b'\n', data) {
                        self.lines_fast(matcher, &data[..=last], now)?;
                        data = &data[last + 1..];
                        continue;
                    }
                }
            }
            let room = self.options.max_line - self.partial.len();
            // Looking one byte past the room tells a line of exactly
            // `max_line` bytes (then `\n`) from a longer one.
            let window = &data[..data.len().min(room + 1)];
            match memchr::memchr(b'\n', window) {
                Some(end) => {
                    if self.partial.is_empty() {
                        self.line(&data[..=end], now)?;
                    } else {
                        let mut line = std::mem::take(&mut self.partial);
                        line.extend_from_slice(&data[..=end]);
                        let result = self.line(&line, now);
                        line.clear();
                        self.partial = line;
                        result?;
                    }
                    data = &data[end + 1..];
                }
                None if window.len() > room => {
                    // Over-long line: decide on its first `max_line` bytes.
                    self.partial.extend_from_slice(&data[..room]);
                    data = &data[room..];
                    let head = std::mem::take(&mut self.partial);
                    let result = self.long_line_head(&head, now);
                    self.partial = head;
                    self.partial.clear();
                    result?;
                }
                None => {
                    self.partial.extend_from_slice(data);
                    data = &[];
                }
            }
        }
        Ok(())
    }

    /// The fast path over `region`, whole lines only: a literal search over
    /// the buffer finds the lines some rule may match; the lines before each are
    /// passed in one write without being looked at one by one (with framing
    /// on, each is still framed, cheaply, as it may continue a suppressed
    /// record). Gives exactly what [`Filter::line`] would, line by line.
    fn lines_fast(
        &mut self,
        matcher: &regex_automata::util::prefilter::Prefilter,
        region: &[u8],
        now: Time,
    ) -> Result<()> {
        let framing = self.engine.framing().is_on();
        let mut pos = 0; // start of the next line to decide
        let mut pass_from = 0; // start of the passing span not yet written
        let mut lines = 0u64;
        let mut held_lines = 0u64;
        while pos < region.len() {
            let hit = matcher.find(region, regex_automata::Span::from(pos..region.len()));
            let candidate = hit.map_or(region.len(), |m| {
                memchr::memrchr(b'\n', &region[pos..m.start]).map_or(pos, |i| pos + i + 1)
            });
            if framing {
                let mut start = pos;
                while start < candidate {
                    let end = memchr::memchr(b'\n', &region[start..candidate])
                        .map_or(candidate, |i| start + i + 1);
                    let line = &region[start..end];
                    lines += 1;
                    if !self.engine.feed_unmatched(line).passes() {
                        self.hold(&region[pass_from..start], line)?;
                        held_lines += 1;
                        pass_from = end;
                    }
                    start = end;
                }
            } else {
                let n = memchr::memchr_iter(b'\n', &region[pos..candidate]).count() as u64;
                self.engine.count_unmatched(n);
                lines += n;
            }
            let Some(m) = hit else {
                break;
            };
            let end =
                memchr::memchr(b'\n', &region[m.start..]).map_or(region.len(), |i| m.start + i + 1);
            let line = &region[candidate..end];
            lines += 1;
            let verdict = self.engine.feed_candidate(line, now, &mut self.due);
            if !self.due.is_empty() {
                self.out.write_all(&region[pass_from..candidate])?;
                pass_from = candidate;
                self.write_due()?;
            }
            if !verdict.passes() {
                self.hold(&region[pass_from..candidate], line)?;
                held_lines += 1;
                pass_from = end;
            }
            pos = end;
        }
        self.out.write_all(&region[pass_from..])?;
        self.counters.lines_in += lines;
        self.counters.lines_out += lines - held_lines;
        self.out_at_line_start = true;
        Ok(())
    }

    /// Writes the passing span before a held-back line, then the line to
    /// the audit trail (if any).
    fn hold(&mut self, passing: &[u8], line: &[u8]) -> Result<()> {
        if !passing.is_empty() {
            self.out.write_all(passing)?;
        }
        if let Some(sink) = &mut self.suppressed_sink {
            sink.write_all(line)?;
        }
        Ok(())
    }

    /// Writes the summaries of windows that have closed by `now` (a wall
    /// clock time; in log-clock mode only records move time on).
    pub fn tick(&mut self, now: Time) -> Result<()> {
        if self.log_clock.is_some() {
            return Ok(());
        }
        self.engine.tick(now, &mut self.due);
        self.write_due()
    }

    /// The time to close windows at when the stream stops at wall time
    /// `wall`: in log-clock mode, the last log time seen.
    fn stop_time(&self, wall: Time) -> Time {
        match &self.log_clock {
            Some(clock) => clock.last().or(self.log_start).unwrap_or(wall),
            None => wall,
        }
    }

    /// The time of one line: `wall`, or in log-clock mode its own timestamp
    /// (or the last one seen).
    fn line_time(&mut self, line: &[u8], wall: Time) -> Time {
        let Some(clock) = &mut self.log_clock else {
            return wall;
        };
        let before_first = clock.last().is_none();
        let Some(t) = clock.time_of(crate::engine::line_content(line)) else {
            // No timestamp seen yet: a stand-in time, moved to the first
            // real one when it comes (below).
            return self.log_start.unwrap_or(wall);
        };
        if before_first {
            if let Some(start) = self.log_start {
                // Records before the first timestamp take the first one, as
                // later records without one take the last: their windows
                // move from the stand-in to the log's own time.
                self.engine.shift_times(start, t);
            }
        }
        t
    }

    /// Closes every open window now and writes their summaries (on a
    /// shutdown signal: nothing counted may wait for a grace period that
    /// might end in SIGKILL). Matching lines after this open new windows.
    pub fn summarize_all(&mut self, now: Time) -> Result<()> {
        let now = self.stop_time(now);
        self.engine.finish(now, &mut self.due);
        self.write_due()?;
        self.flush()
    }

    /// Swaps in new rules between two lines; see [`Engine::reload`].
    pub fn reload(&mut self, rules: Arc<RuleSet>, now: Time) -> Result<()> {
        let now = self.stop_time(now);
        // The summaries of removed rules name rules of the old set: format
        // them against it, before the new one takes over.
        let old = Arc::clone(self.engine.rules());
        self.engine.reload(rules, now, &mut self.due);
        self.write_due_with(&old)
    }

    /// The earliest wall-clock time a window closes, for the timer; `None`
    /// in log-clock mode, where only records move time on.
    pub fn next_deadline(&self) -> Option<Time> {
        if self.log_clock.is_some() {
            return None;
        }
        self.engine.next_deadline()
    }

    /// End of input: decides a final line without `\n`, summarizes every
    /// open window and flushes.
    pub fn finish(&mut self, now: Time) -> Result<()> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, now)?;
        }
        self.long_line = None;
        let now = self.stop_time(now);
        self.engine.finish(now, &mut self.due);
        self.write_due()?;
        self.flush()
    }

    /// Flushes every sink.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()?;
        if let Some(s) = &mut self.summary_sink {
            s.flush()?;
        }
        if let Some(s) = &mut self.suppressed_sink {
            s.flush()?;
        }
        Ok(())
    }

    /// Line counts so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Per-rule counts so far.
    pub fn rule_stats(&self) -> Vec<RuleStats> {
        self.engine.stats()
    }

    /// The rules in use.
    pub fn rules(&self) -> &Arc<RuleSet> {
        self.engine.rules()
    }

    fn line(&mut self, line: &[u8], now: Time) -> Result<()> {
        self.counters.lines_in += 1;
        let now = self.line_time(line, now);
        let verdict: Verdict = self.engine.feed(line, now, &mut self.due);
        self.write_due()?;
        if verdict.passes() {
            self.out.write_all(line)?;
            self.out_at_line_start = line.ends_with(b"\n");
            self.counters.lines_out += 1;
            if self.options.line_buffered {
                self.out.flush()?;
            }
        } else if let Some(sink) = &mut self.suppressed_sink {
            sink.write_all(line)?;
        }
        Ok(())
    }

    /// Decides an over-long line on its first `max_line` bytes and writes
    /// those; the rest follows in [`Filter::continue_long_line`].
    fn long_line_head(&mut self, head: &[u8], now: Time) -> Result<()> {
        self.counters.lines_in += 1;
        let now = self.line_time(head, now);
        let verdict = self.engine.feed(head, now, &mut self.due);
        self.write_due()?;
        if verdict.passes() {
            self.out.write_all(head)?;
            self.out_at_line_start = false;
            self.counters.lines_out += 1;
            self.long_line = Some(LongLine::Pass);
        } else {
            if let Some(sink) = &mut self.suppressed_sink {
                sink.write_all(head)?;
            }
            self.long_line = Some(LongLine::Suppress);
        }
        Ok(())
    }

    /// Streams the rest of an over-long line up to its `\n`; returns what
    /// follows it.
    fn continue_long_line<'d>(&mut self, mode: LongLine, data: &'d [u8]) -> Result<&'d [u8]> {
        let (piece, rest, ended) = match memchr::memchr(b'\n', data) {
            Some(end) => (&data[..=end], &data[end + 1..], true),
            None => (data, &[][..], false),
        };
        match mode {
            LongLine::Pass => {
                self.out.write_all(piece)?;
                self.out_at_line_start = ended;
            }
            LongLine::Suppress => {
                if let Some(sink) = &mut self.suppressed_sink {
                    sink.write_all(piece)?;
                }
            }
        }
        if ended {
            self.long_line = None;
            // Summaries held back so as not to split the line go out now.
            self.write_due()?;
            if self.options.line_buffered {
                self.out.flush()?;
            }
        }
        Ok(rest)
    }

    /// Formats the summaries due and writes them to their sink. Summaries
    /// bound for `out` wait in `held` while a passing over-long line is
    /// being streamed, so that line is never cut in two; they are formatted
    /// at once all the same, so a reload in between cannot change them.
    fn write_due(&mut self) -> Result<()> {
        if self.due.is_empty() && self.held.is_empty() {
            return Ok(());
        }
        let rules = Arc::clone(self.engine.rules());
        self.write_due_with(&rules)
    }

    /// [`Filter::write_due`] with the rule set the summaries' rule numbers
    /// refer to.
    fn write_due_with(&mut self, rules: &RuleSet) -> Result<()> {
        for summary in self.due.drain(..) {
            let rule = &rules.rules()[summary.rule];
            self.counters.summaries += 1;
            match &mut self.summary_sink {
                Some(sink) => {
                    self.line_buf.clear();
                    self.formatter.write(&summary, rule, &mut self.line_buf);
                    sink.write_all(&self.line_buf)?;
                    if self.options.line_buffered {
                        sink.flush()?;
                    }
                }
                None => self.formatter.write(&summary, rule, &mut self.held),
            }
        }
        if self.held.is_empty() || self.long_line == Some(LongLine::Pass) {
            return Ok(());
        }
        if !self.out_at_line_start {
            self.out.write_all(b"\n")?;
            self.out_at_line_start = true;
        }
        self.out.write_all(&self.held)?;
        self.held.clear();
        if self.options.line_buffered {
            self.out.flush()?;
        }
        Ok(())
    }
}

/// Wall-clock time that never goes backwards: the system time at start plus
/// a monotonic elapsed time, so a clock step cannot reorder or stall windows.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    start: Instant,
    start_ms: i64,
}

impl WallClock {
    /// Starts the clock now.
    pub fn start() -> WallClock {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        WallClock {
            start: Instant::now(),
            start_ms: i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// The current time.
    pub fn now(&self) -> Time {
        Time(self.start_ms).plus(self.start.elapsed())
    }
}

/// What the main loop waits for: input from the reader thread, or a
/// signal from the signal thread, on one channel.
enum Event {
    Data(Vec<u8>),
    Failed(anyhow::Error),
    End,
    Signal(i32),
}

/// An opened input, ready for the reader thread.
pub struct OpenInput {
    name: String,
    reader: Box<dyn Read + Send>,
    /// (device, inode) of a regular file, to refuse writing into an input.
    identity: Option<(u64, u64)>,
}

/// (device, inode) of a regular file, else `None`.
fn file_identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

/// Fails if an output (`what`, a regular file) is one of the inputs: the
/// filter would read back what it writes, growing the file until the disk
/// is full.
pub fn refuse_output_into_input(
    inputs: &[OpenInput],
    what: &str,
    meta: &std::fs::Metadata,
) -> Result<()> {
    let Some(id) = file_identity(meta) else {
        return Ok(());
    };
    if let Some(input) = inputs.iter().find(|i| i.identity == Some(id)) {
        anyhow::bail!(
            "{what} is the input file {}: it would read back its own output",
            input.name
        );
    }
    Ok(())
}

/// Opens every input before any is read, so a missing file is reported
/// before anything is written.
pub fn open_inputs(inputs: &[InputSource]) -> Result<Vec<OpenInput>> {
    inputs
        .iter()
        .map(|input| match input {
            InputSource::Stdin => {
                // A raw handle on fd 0: std's Stdin adds a buffer and a lock we
                // do not need, since we read big chunks ourselves.
                let fd = io::stdin()
                    .as_fd()
                    .try_clone_to_owned()
                    .context("opening standard input")?;
                let file = File::from(fd);
                let identity = file.metadata().ok().as_ref().and_then(file_identity);
                Ok(OpenInput {
                    name: "standard input".into(),
                    reader: Box::new(file),
                    identity,
                })
            }
            InputSource::File(path) => {
                let file =
                    File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
                let meta = file
                    .metadata()
                    .with_context(|| format!("{}: cannot open", path.display()))?;
                if meta.is_dir() {
                    anyhow::bail!("{}: is a directory", path.display());
                }
                Ok(OpenInput {
                    name: path.display().to_string(),
                    reader: Box::new(file),
                    identity: file_identity(&meta),
                })
            }
        })
        .collect()
}

/// Opens a file for appending, creating it if needed.
pub fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("{}: cannot open for appending", path.display()))
}

/// Reads the inputs one after another, one `read(2)` per chunk, and sends
/// the chunks on. Used buffers come back on `recycled` to be read into again.
fn read_inputs(inputs: Vec<OpenInput>, tx: SyncSender<Event>, recycled: Receiver<Vec<u8>>) {
    for mut input in inputs {
        loop {
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.resize(CHUNK_SIZE, 0);
            match input.reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Event::Data(buf)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let err = anyhow::Error::new(e).context(format!("reading {}", input.name));
                    let _ = tx.send(Event::Failed(err));
                    return;
                }
            }
        }
    }
    let _ = tx.send(Event::End);
}

/// Builds the filter's sinks from the configuration: stdout (a raw handle in
/// a big buffer), and the summary and suppressed-line files if any.
pub fn open_sinks(
    config: &Config,
    inputs: &[OpenInput],
) -> Result<(Sink, Option<Sink>, Option<Sink>)> {
    let stdout = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("opening standard output")?;
    if let Ok(meta) = File::from(stdout.try_clone().context("opening standard output")?).metadata()
    {
        refuse_output_into_input(inputs, "standard output", &meta)?;
    }
    for (option, path) in [
        (
            "--summary-to",
            match &config.summary_to {
                SummaryTarget::File(p) => Some(p),
                _ => None,
            },
        ),
        ("--suppressed-to", config.suppressed_to.as_ref()),
    ] {
        if let Some(meta) = path.and_then(|p| std::fs::metadata(p).ok()) {
            let what = format!(
                "{option} {}",
                path.map_or(String::new(), |p| p.display().to_string())
            );
            refuse_output_into_input(inputs, &what, &meta)?;
        }
    }
    let out = Sink::stdout(Box::new(io::BufWriter::with_capacity(
        CHUNK_SIZE,
        File::from(stdout),
    )));
    let summary = match &config.summary_to {
        SummaryTarget::Stdout => None,
        SummaryTarget::Stderr => Some(Sink::new("standard error", Box::new(io::stderr()))),
        SummaryTarget::File(path) => Some(file_sink(path)?),
    };
    let suppressed = config.suppressed_to.as_deref().map(file_sink).transpose()?;
    Ok((out, summary, suppressed))
}

fn file_sink(path: &Path) -> Result<Sink> {
    let file = open_append(path)?;
    Ok(Sink::new(
        path.display().to_string(),
        Box::new(io::BufWriter::with_capacity(CHUNK_SIZE, file)),
    ))
}

/// A shutdown request: SIGINT or SIGTERM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Stop {
    /// The conventional exit status: 128 + the signal number.
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Interrupt => 130,
            Stop::Terminate => 143,
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// All input was read (possibly during a grace period).
    Eof,
    /// A signal ended the run before the input did.
    Stopped(Stop),
}

/// How [`run`] reacts to signals.
pub struct RunOptions<'a> {
    /// After SIGINT/SIGTERM, how long to keep passing input before exiting.
    pub grace: Duration,
    /// End at the first SIGINT/SIGTERM (stdin is a terminal: there is no
    /// upstream process whose last lines are worth waiting for).
    pub first_signal_ends: bool,
    /// Loads the rule files again, for SIGHUP.
    pub reload: &'a dyn Fn() -> Result<RuleSet>,
}

/// Starts the thread that turns signals into events for the main loop.
/// signal-hook's handler only writes to a pipe; the thread does the rest,
/// so nothing unsafe runs in signal context.
fn watch_signals(tx: SyncSender<Event>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGUSR1])
        .context("installing signal handlers")?;
    thread::Builder::new()
        .name("logdedup-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if tx.send(Event::Signal(signal)).is_err() {
                    break;
                }
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}

/// Writes to stderr, ignoring failure: diagnostics must never stop the data.
fn note(text: &str) {
    let _ = io::stderr().write_all(text.as_bytes());
}

/// Runs the filter over the inputs until they end or a signal ends the run.
/// Returns the filter (for its statistics) and how the run ended.
///
/// SIGINT/SIGTERM: every pending summary is written at once, input keeps
/// passing for `grace`, then what arrived is summarized and the run ends; a
/// second signal ends it at once. SIGHUP reloads the rules (bad rules keep
/// the old ones). SIGUSR1 prints the statistics table on stderr.
pub fn run(
    mut filter: Filter,
    inputs: Vec<OpenInput>,
    options: &RunOptions,
) -> Result<(Filter, Ending)> {
    let clock = WallClock::start();
    // A few chunks in flight: enough to keep reading while we write, small
    // enough to bound memory when the output is slower than the input.
    let (tx, rx) = mpsc::sync_channel::<Event>(4);
    let (recycle_tx, recycle_rx) = mpsc::channel::<Vec<u8>>();
    watch_signals(tx.clone())?;
    thread::Builder::new()
        .name("logdedup-reader".into())
        .spawn(move || read_inputs(inputs, tx, recycle_rx))
        .context("starting the reader thread")?;

    let mut stopping: Option<(Stop, Time)> = None;
    let mut ready: Option<Event> = None;
    loop {
        let event = match ready.take() {
            Some(event) => event,
            None => {
                let wake = [filter.next_deadline(), stopping.map(|(_, end)| end)]
                    .into_iter()
                    .flatten()
                    .min();
                match wake {
                    Some(at) => {
                        // +1 ms: the clock counts whole milliseconds, so waking
                        // at the exact instant could find `at` not yet reached.
                        let wait = clock.now().until(at) + Duration::from_millis(1);
                        match rx.recv_timeout(wait) {
                            Ok(event) => event,
                            Err(RecvTimeoutError::Timeout) => {
                                let now = clock.now();
                                if let Some((stop, end)) = stopping {
                                    if now >= end {
                                        filter.finish(now)?;
                                        return Ok((filter, Ending::Stopped(stop)));
                                    }
                                }
                                filter.tick(now)?;
                                filter.flush()?;
                                continue;
                            }
                            Err(RecvTimeoutError::Disconnected) => Event::End,
                        }
                    }
                    None => rx.recv().unwrap_or(Event::End),
                }
            }
        };
        match event {
            Event::Data(buf) => {
                let now = clock.now();
                filter.push(&buf, now)?;
                let _ = recycle_tx.send(buf);
                if let Some((stop, end)) = stopping {
                    // A producer that never pauses must not stretch the grace period.
                    if now >= end {
                        filter.finish(now)?;
                        return Ok((filter, Ending::Stopped(stop)));
                    }
                }
                // Block-buffer while more input is ready; flush the moment
                // the input goes idle, so a quiet stream is never held back.
                match rx.try_recv() {
                    Ok(next) => ready = Some(next),
                    Err(TryRecvError::Empty) => filter.flush()?,
                    Err(TryRecvError::Disconnected) => ready = Some(Event::End),
                }
            }
            Event::Failed(err) => {
                // Nothing lost: what was read is decided and every window
                // summarized before the error is reported.
                filter.finish(clock.now())?;
                return Err(err);
            }
            Event::End => break,
            Event::Signal(signal) => {
                use signal_hook::consts::{SIGHUP, SIGINT, SIGUSR1};
                let now = clock.now();
                match signal {
                    SIGHUP => match (options.reload)() {
                        Ok(rules) => {
                            let summary = format!(
                                "logdedup: reloaded {} rules from {}\n",
                                rules.rules().len(),
                                rules.sources().join(", ")
                            );
                            filter.reload(Arc::new(rules), now)?;
                            filter.flush()?;
                            note(&summary);
                        }
                        Err(err) => note(&format!(
                            "logdedup: reload failed, keeping the old rules: {err:#}\n"
                        )),
                    },
                    SIGUSR1 => note(&format_stats(&filter)),
                    _ => {
                        let stop = if signal == SIGINT {
                            Stop::Interrupt
                        } else {
                            Stop::Terminate
                        };
                        if stopping.is_some()
                            || options.first_signal_ends
                            || options.grace.is_zero()
                        {
                            filter.finish(now)?;
                            return Ok((filter, Ending::Stopped(stop)));
                        }
                        filter.summarize_all(now)?;
                        stopping = Some((stop, now.plus(options.grace)));
                    }
                }
            }
        }
    }
    filter.finish(clock.now())?;
    Ok((filter, Ending::Eof))
}

/// The `--stats` table.
pub fn format_stats(filter: &Filter) -> String {
    let c = filter.counters();
    let stats = filter.rule_stats();
    let records: u64 = stats.iter().map(|s| s.suppressed).sum();
    let mut text = format!(
        "logdedup: {} lines in, {} passed, {} suppressed ({} records), {} summaries\n",
        c.lines_in,
        c.lines_out,
        c.lines_in - c.lines_out,
        records,
        c.summaries
    );
    let width = filter
        .rules()
        .rules()
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .max(14);
    text.push_str(&format!(
        "{:<width$}  {:>10}  {:>10}  {:>9}\n",
        "rule (records)", "matched", "suppressed", "summaries"
    ));
    for (rule, s) in filter.rules().rules().iter().zip(&stats) {
        text.push_str(&format!(
            "{:<width$}  {:>10}  {:>10}  {:>9}\n",
            rule.name, s.matched, s.suppressed, s.summaries
        ));
    }
    text
}
