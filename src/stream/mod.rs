//! The I/O shell: inputs, the filter loop, sinks, signals and statistics.
//!
//! [`Filter`] applies the pipeline to a byte stream and writes the results;
//! it takes time as an argument like the engine, so tests drive it with a
//! fixed clock. [`run`] wires it to real files: a reader thread sends chunks
//! over a channel, and the main loop waits on that channel with a timeout
//! set to the next window deadline, so summaries come out on time even when
//! the input is silent (a blocked `read(2)` never wakes up for a timer).
//! The shell is the only place that reads the clock. It reports how a run
//! ended as an [`Outcome`]; what exit status that means is `main`'s call.

mod decide;
mod filter;
mod input;
mod output;
mod signals;
mod simulate;
mod sink;
mod stats;

use anyhow::{Context, Result};
use std::io::{self, Write};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use decide::{window_specs, Decider, Verdict};
pub use filter::{Filter, FilterOptions, DEFAULT_MAX_LINE};
pub use input::{open_inputs, InputSource, OpenInput};
pub use signals::{SignalWatch, Stop};
pub use simulate::{simulate, TIME_PLACEHOLDER};

use input::read_inputs;
use signals::watch_signals;
pub use sink::{open_append, Sink, StdoutClosed, Target};
pub use stats::{format_stats, Counters};

use crate::rules::RuleSet;
use crate::summary::SummaryFormatter;
use crate::time::Time;

/// Bytes asked of `read(2)` at a time. One read per chunk: a reader that
/// loops until its buffer is full holds back lines on a slow stream.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// How long a held record (its rule decides on the record's last line)
/// waits for more lines once the input goes quiet: a program writes a log
/// record and its traceback in one go, so a pause this long means the
/// record has ended. It bounds how late a held record that passes can be.
pub const HOLD_IDLE: Duration = Duration::from_millis(100);

/// Everything the shell needs for a run, built from the command line by
/// `cli`; nothing here knows clap.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Inputs, read one after the other as one stream.
    pub inputs: Vec<InputSource>,
    /// Where summaries go.
    pub summary_to: Target,
    /// `--suppressed-to`.
    pub suppressed_to: Option<Target>,
    /// How summaries look.
    pub formatter: SummaryFormatter,
    /// Line handling: buffering, `--max-line`, framing, log clock.
    pub filter: FilterOptions,
    /// After SIGINT/SIGTERM, how long to keep passing input.
    pub grace: Duration,
    /// `--stats`: per-rule counts on stderr at exit.
    pub stats: bool,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All input was read (possibly during a grace period).
    Eof,
    /// A signal ended the run before the input did.
    Stopped(Stop),
    /// Standard output was closed by its reader (`| head`).
    OutputClosed,
}

/// A run with its inputs and outputs open, before anything is read.
pub struct Prepared {
    filter: Filter,
    inputs: Vec<OpenInput>,
    grace: Duration,
    stats: bool,
}

/// Opens every input and output, so a missing file or an output that is
/// also an input is reported before anything is read or written.
pub fn prepare(rules: Arc<RuleSet>, settings: Settings) -> Result<Prepared> {
    let inputs = open_inputs(&settings.inputs)?;
    let (out, summary_sink, suppressed_sink) = sink::open_sinks(
        &settings.summary_to,
        settings.suppressed_to.as_ref(),
        &inputs,
    )?;
    let filter = Filter::new(
        rules,
        settings.formatter,
        out,
        summary_sink,
        suppressed_sink,
        settings.filter,
    );
    Ok(Prepared {
        filter,
        inputs,
        grace: settings.grace,
        stats: settings.stats,
    })
}

/// Runs a prepared filter until its input ends or a signal ends it.
/// `first_signal_ends`: stdin is a terminal, so there is no upstream
/// process whose last lines are worth a grace period. `reload` loads the
/// rule files again, for SIGHUP.
pub fn run(
    prepared: Prepared,
    signals: SignalWatch,
    first_signal_ends: bool,
    reload: &dyn Fn() -> Result<RuleSet>,
) -> Result<Outcome> {
    let Prepared {
        mut filter,
        inputs,
        grace,
        stats,
    } = prepared;
    let options = RunOptions {
        grace,
        first_signal_ends,
        reload,
    };
    let clock = WallClock::start();
    let outcome = match drive(&mut filter, inputs, signals, &options, &clock) {
        Ok(outcome) => outcome,
        Err(err) if err.chain().any(|c| c.is::<StdoutClosed>()) => {
            filter.finish_without_stdout(clock.now())?;
            Outcome::OutputClosed
        }
        Err(err) => return Err(err),
    };
    if stats {
        // Statistics are diagnostics: a failure to print them is not worth
        // failing a run that delivered all its output.
        note(&format_stats(&filter));
    }
    Ok(outcome)
}

/// How [`run`] reacts to signals.
struct RunOptions<'a> {
    grace: Duration,
    first_signal_ends: bool,
    reload: &'a dyn Fn() -> Result<RuleSet>,
}

/// Writes to stderr, ignoring failure: diagnostics must never stop the data.
fn note(text: &str) {
    let _ = io::stderr().write_all(text.as_bytes());
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
pub(crate) enum Event {
    Data(Vec<u8>),
    Failed(anyhow::Error),
    End,
    Signal(i32),
}

/// Runs the filter over the inputs until they end or a signal ends the run.
/// Returns how the run ended.
///
/// SIGINT/SIGTERM: every pending summary is written at once, input keeps
/// passing for `grace`, then what arrived is summarized and the run ends; a
/// second signal ends it at once. SIGHUP reloads the rules (bad rules keep
/// the old ones). SIGUSR1 prints the statistics table on stderr.
fn drive(
    filter: &mut Filter,
    inputs: Vec<OpenInput>,
    signals: SignalWatch,
    options: &RunOptions,
    clock: &WallClock,
) -> Result<Outcome> {
    // A few chunks in flight: enough to keep reading while we write, small
    // enough to bound memory when the output is slower than the input.
    let (tx, rx) = mpsc::sync_channel::<Event>(4);
    let (recycle_tx, recycle_rx) = mpsc::channel::<Vec<u8>>();
    watch_signals(signals, tx.clone())?;
    thread::Builder::new()
        .name("logdedup-reader".into())
        .spawn(move || read_inputs(inputs, tx, recycle_rx))
        .context("starting the reader thread")?;

    let mut stopping: Option<(Stop, Time)> = None;
    let mut ready: Option<Event> = None;
    // When to decide a held record if no more input comes (see HOLD_IDLE).
    let mut release_at: Option<Time> = None;
    loop {
        let event = match ready.take() {
            Some(event) => event,
            None => {
                let wake = [
                    filter.next_deadline(),
                    stopping.map(|(_, end)| end),
                    release_at,
                ]
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
                                        return Ok(Outcome::Stopped(stop));
                                    }
                                }
                                if release_at.is_some_and(|at| at <= now) {
                                    release_at = None;
                                    filter.release_pending()?;
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
                        return Ok(Outcome::Stopped(stop));
                    }
                }
                // Block-buffer while more input is ready; flush the moment
                // the input goes idle, so a quiet stream is never held back.
                match rx.try_recv() {
                    Ok(next) => ready = Some(next),
                    Err(TryRecvError::Empty) => {
                        filter.flush()?;
                        release_at = filter.holding().then(|| now.plus(HOLD_IDLE));
                    }
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
                    SIGUSR1 => note(&format_stats(filter)),
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
                            return Ok(Outcome::Stopped(stop));
                        }
                        filter.summarize_all(now)?;
                        stopping = Some((stop, now.plus(options.grace)));
                    }
                }
            }
        }
    }
    filter.finish(clock.now())?;
    Ok(Outcome::Eof)
}
