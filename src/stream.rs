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
use crate::rules::RuleSet;
use crate::summary::SummaryFormatter;
use crate::time::Time;

/// Bytes asked of `read(2)` at a time. One read per chunk: a reader that
/// loops until its buffer is full holds back lines on a slow stream.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// A writer with the path (or stream name) it writes to, for error messages.
pub struct Sink {
    name: String,
    writer: Box<dyn Write + Send>,
}

impl Sink {
    /// Wraps `writer`, called `name` in error messages.
    pub fn new(name: impl Into<String>, writer: Box<dyn Write + Send>) -> Sink {
        Sink {
            name: name.into(),
            writer,
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .with_context(|| format!("writing to {}", self.name))
    }

    fn flush(&mut self) -> Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("writing to {}", self.name))
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

/// The engine applied to a byte stream, writing to its sinks.
pub struct Filter {
    engine: Engine,
    formatter: SummaryFormatter,
    out: Sink,
    /// `None`: summaries go into `out`, in stream order.
    summary_sink: Option<Sink>,
    suppressed_sink: Option<Sink>,
    line_buffered: bool,
    /// The start of a line whose `\n` has not arrived yet.
    partial: Vec<u8>,
    /// Whether the last byte written to `out` ended a line, so a summary
    /// after a final line without `\n` gets one first.
    out_at_line_start: bool,
    due: Vec<Summary>,
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
        line_buffered: bool,
    ) -> Filter {
        Filter {
            engine: Engine::new(rules),
            formatter,
            out,
            summary_sink,
            suppressed_sink,
            line_buffered,
            partial: Vec::new(),
            out_at_line_start: true,
            due: Vec::new(),
            line_buf: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// Processes the next bytes of the stream, all seen at `now`. Complete
    /// lines are decided and written; a trailing partial line waits for the
    /// rest (or for [`Filter::finish`]).
    pub fn push(&mut self, mut data: &[u8], now: Time) -> Result<()> {
        self.tick(now)?;
        if !self.partial.is_empty() {
            let Some(end) = memchr::memchr(b'\n', data) else {
                self.partial.extend_from_slice(data);
                return Ok(());
            };
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(&data[..=end]);
            let result = self.line(&line, now);
            line.clear();
            self.partial = line;
            result?;
            data = &data[end + 1..];
        }
        while let Some(end) = memchr::memchr(b'\n', data) {
            self.line(&data[..=end], now)?;
            data = &data[end + 1..];
        }
        self.partial.extend_from_slice(data);
        Ok(())
    }

    /// Writes the summaries of windows that have closed by `now`.
    pub fn tick(&mut self, now: Time) -> Result<()> {
        self.engine.tick(now, &mut self.due);
        self.write_due()
    }

    /// The earliest time a window closes, for the timer.
    pub fn next_deadline(&self) -> Option<Time> {
        self.engine.next_deadline()
    }

    /// End of input: decides a final line without `\n`, summarizes every
    /// open window and flushes.
    pub fn finish(&mut self, now: Time) -> Result<()> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, now)?;
        }
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
        let verdict = self.engine.feed(line, now, &mut self.due);
        self.write_due()?;
        match verdict {
            Verdict::Pass | Verdict::PassMatched(_) => {
                self.out.write_all(line)?;
                self.out_at_line_start = line.ends_with(b"\n");
                self.counters.lines_out += 1;
                if self.line_buffered {
                    self.out.flush()?;
                }
            }
            Verdict::Suppress(_) => {
                if let Some(sink) = &mut self.suppressed_sink {
                    sink.write_all(line)?;
                }
            }
        }
        Ok(())
    }

    fn write_due(&mut self) -> Result<()> {
        if self.due.is_empty() {
            return Ok(());
        }
        let rules = Arc::clone(self.engine.rules());
        for summary in self.due.drain(..) {
            self.line_buf.clear();
            self.formatter
                .write(&summary, &rules.rules()[summary.rule], &mut self.line_buf);
            self.counters.summaries += 1;
            match &mut self.summary_sink {
                Some(sink) => {
                    sink.write_all(&self.line_buf)?;
                    if self.line_buffered {
                        sink.flush()?;
                    }
                }
                None => {
                    if !self.out_at_line_start {
                        self.out.write_all(b"\n")?;
                        self.out_at_line_start = true;
                    }
                    self.out.write_all(&self.line_buf)?;
                    if self.line_buffered {
                        self.out.flush()?;
                    }
                }
            }
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

enum Chunk {
    Data(Vec<u8>),
    Failed(anyhow::Error),
    End,
}

/// An opened input, ready for the reader thread.
pub struct OpenInput {
    name: String,
    reader: Box<dyn Read + Send>,
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
                Ok(OpenInput {
                    name: "standard input".into(),
                    reader: Box::new(File::from(fd)),
                })
            }
            InputSource::File(path) => {
                let file =
                    File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
                Ok(OpenInput {
                    name: path.display().to_string(),
                    reader: Box::new(file),
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
fn read_inputs(inputs: Vec<OpenInput>, tx: SyncSender<Chunk>, recycled: Receiver<Vec<u8>>) {
    for mut input in inputs {
        loop {
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.resize(CHUNK_SIZE, 0);
            match input.reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Chunk::Data(buf)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let err = anyhow::Error::new(e).context(format!("reading {}", input.name));
                    let _ = tx.send(Chunk::Failed(err));
                    return;
                }
            }
        }
    }
    let _ = tx.send(Chunk::End);
}

/// Builds the filter's sinks from the configuration: stdout (a raw handle in
/// a big buffer), and the summary and suppressed-line files if any.
pub fn open_sinks(config: &Config) -> Result<(Sink, Option<Sink>, Option<Sink>)> {
    let stdout = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("opening standard output")?;
    let out = Sink::new(
        "standard output",
        Box::new(io::BufWriter::with_capacity(CHUNK_SIZE, File::from(stdout))),
    );
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

/// Runs the filter over the inputs until they end. Returns the filter so the
/// caller can report its statistics.
pub fn run(mut filter: Filter, inputs: Vec<OpenInput>) -> Result<Filter> {
    let clock = WallClock::start();
    // A few chunks in flight: enough to keep reading while we write, small
    // enough to bound memory when the output is slower than the input.
    let (tx, rx) = mpsc::sync_channel::<Chunk>(4);
    let (recycle_tx, recycle_rx) = mpsc::channel::<Vec<u8>>();
    thread::Builder::new()
        .name("logdedup-reader".into())
        .spawn(move || read_inputs(inputs, tx, recycle_rx))
        .context("starting the reader thread")?;

    let mut ready: Option<Chunk> = None;
    loop {
        let chunk = match ready.take() {
            Some(chunk) => chunk,
            None => match filter.next_deadline() {
                Some(deadline) => {
                    // +1 ms: the clock counts whole milliseconds, so waking at
                    // the exact instant could find the deadline not yet reached.
                    let wait = clock.now().until(deadline) + Duration::from_millis(1);
                    match rx.recv_timeout(wait) {
                        Ok(chunk) => chunk,
                        Err(RecvTimeoutError::Timeout) => {
                            filter.tick(clock.now())?;
                            filter.flush()?;
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => Chunk::End,
                    }
                }
                None => rx.recv().unwrap_or(Chunk::End),
            },
        };
        match chunk {
            Chunk::Data(buf) => {
                filter.push(&buf, clock.now())?;
                let _ = recycle_tx.send(buf);
                // Block-buffer while more input is ready; flush the moment
                // the input goes idle, so a quiet stream is never held back.
                match rx.try_recv() {
                    Ok(next) => ready = Some(next),
                    Err(TryRecvError::Empty) => filter.flush()?,
                    Err(TryRecvError::Disconnected) => ready = Some(Chunk::End),
                }
            }
            Chunk::Failed(err) => {
                // Nothing lost: what was read is decided and every window
                // summarized before the error is reported.
                filter.finish(clock.now())?;
                return Err(err);
            }
            Chunk::End => break,
        }
    }
    filter.finish(clock.now())?;
    Ok(filter)
}

/// The `--stats` table.
pub fn format_stats(filter: &Filter) -> String {
    let c = filter.counters();
    let stats = filter.rule_stats();
    let suppressed: u64 = stats.iter().map(|s| s.suppressed).sum();
    let mut text = format!(
        "logdedup: {} lines in, {} passed, {} suppressed, {} summaries\n",
        c.lines_in, c.lines_out, suppressed, c.summaries
    );
    let width = filter
        .rules()
        .rules()
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    text.push_str(&format!(
        "{:<width$}  {:>10}  {:>10}  {:>9}\n",
        "rule", "matched", "suppressed", "summaries"
    ));
    for (rule, s) in filter.rules().rules().iter().zip(&stats) {
        text.push_str(&format!(
            "{:<width$}  {:>10}  {:>10}  {:>9}\n",
            rule.name, s.matched, s.suppressed, s.summaries
        ));
    }
    text
}
