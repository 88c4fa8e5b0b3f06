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

mod abort;
mod child;
mod clock;
mod decide;
mod fast;
mod filter;
mod input;
mod metrics;
mod notes;
mod options;
mod output;
mod reload;
mod signals;
mod simulate;
mod sink;
mod stats;

use anyhow::{Context, Result};
use std::process::ExitStatus;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

pub use abort::Abandoned;
pub use clock::WallClock;
pub use reload::Reload;

pub use child::{spawn, ChildProcess, ChildSpec, SpawnError};

pub use decide::{window_specs, Decider, Verdict};
pub use filter::{Filter, FilterOptions, DEFAULT_MAX_LINE};
pub use input::{open_inputs, InputSource, OpenInput};
pub use metrics::{Metrics, MetricsOptions, DEFAULT_STATS_INTERVAL};
pub use signals::{SignalWatch, Stop};
pub use simulate::{simulate, TIME_PLACEHOLDER};

use input::read_inputs;
use notes::Notes;
use reload::Reloader;
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
    /// `--stats-file`, `--metrics-textfile` and how `--stats` looks.
    pub metrics: MetricsOptions,
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
    /// `run -- CMD`: CMD exited with this status and its output was read.
    Exited(ExitStatus),
}

/// A run with its inputs and outputs open, before anything is read.
pub struct Prepared {
    filter: Filter,
    inputs: Vec<OpenInput>,
    grace: Duration,
    stats: bool,
    metrics: MetricsOptions,
}

impl Prepared {
    /// Adds an input after the ones the settings named: the pipe from
    /// `run -- CMD`, which is made only once everything else is ready.
    pub fn add_input(&mut self, input: OpenInput) {
        self.inputs.push(input);
    }
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
        metrics: settings.metrics,
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
    reload: Reload,
) -> Result<Outcome> {
    let grace = prepared.grace;
    let options = RunOptions {
        grace,
        first_signal_ends,
        reload,
        notes: Notes::start(),
    };
    run_with(prepared, signals, &options, None)
}

/// Runs a prepared filter over the output of `child` (`run -- CMD`; its
/// pipe added with [`Prepared::add_input`]) until CMD has exited and its
/// output is read. Shutdown signals are forwarded to CMD; `grace`, when
/// set, bounds the wait for CMD after one, then CMD is killed.
pub fn run_child(
    prepared: Prepared,
    signals: SignalWatch,
    child: ChildProcess,
    grace: Option<Duration>,
    reload: Reload,
) -> Result<Outcome> {
    let options = RunOptions {
        grace: prepared.grace,
        first_signal_ends: false,
        reload,
        notes: Notes::start(),
    };
    let upstream = Upstream {
        child,
        grace,
        status: None,
        eof: false,
        drain_until: None,
    };
    run_with(prepared, signals, &options, Some(upstream))
}

fn run_with(
    prepared: Prepared,
    signals: SignalWatch,
    options: &RunOptions,
    upstream: Option<Upstream>,
) -> Result<Outcome> {
    let Prepared {
        mut filter,
        inputs,
        grace: _,
        stats,
        metrics,
    } = prepared;
    let clock = WallClock::start();
    let mut metrics = Metrics::new(metrics, clock.now());
    let notes = &options.notes;
    let outcome = match drive(
        &mut filter,
        inputs,
        signals,
        options,
        &clock,
        &mut metrics,
        upstream,
    ) {
        Ok(outcome) => outcome,
        Err(err) if err.chain().any(|c| c.is::<StdoutClosed>()) => {
            filter.finish_without_stdout(clock.now())?;
            Outcome::OutputClosed
        }
        Err(err) if err.chain().any(|c| c.is::<Abandoned>()) => {
            // A signal ended the run while a write was stuck: what can
            // still be written goes to the sinks that move (a summary
            // file; standard error if it is read), without waiting.
            if let Err(err) = filter.finish_without_stdout(clock.now()) {
                notes.note(format!("logdedup: {err:#}\n"));
            }
            let stop = match abort::ending() {
                Some(signal) if signal == signal_hook::consts::SIGINT => Stop::Interrupt,
                _ => Stop::Terminate,
            };
            Outcome::Stopped(stop)
        }
        Err(err) => {
            metrics.write(&filter, clock.now());
            notes.drain(NOTES_AT_EXIT);
            return Err(err);
        }
    };
    let now = clock.now();
    metrics.write(&filter, now);
    if stats {
        // Statistics are diagnostics: a failure to print them is not worth
        // failing a run that delivered all its output.
        notes.stats(stats_text(&filter, &metrics, now));
    }
    notes.drain(NOTES_AT_EXIT);
    Ok(outcome)
}

/// How long the end of a run waits for its notes on standard error to be
/// written: standard error may be a pipe nobody reads.
const NOTES_AT_EXIT: Duration = Duration::from_secs(2);

/// The `--stats` text: the table, or with `--format json` the JSON object
/// of `--stats-file` on one line.
fn stats_text(filter: &Filter, metrics: &Metrics, now: Time) -> String {
    if metrics.json_stats() {
        let mut text = metrics.json(filter, now).to_string();
        text.push('\n');
        text
    } else {
        format_stats(filter)
    }
}

/// After CMD has exited, how long the pipe may stay silent before the run
/// ends without its end-of-file: a descendant of CMD that outlived it may
/// hold the pipe open for ever. What CMD itself wrote is in the pipe by
/// the time it exits, so this only bounds the wait for such descendants.
const DRAIN_IDLE: Duration = Duration::from_millis(500);

/// `run -- CMD`: the process writing the input, and what is known of it.
struct Upstream {
    child: ChildProcess,
    /// `--grace` when given: after a forwarded shutdown signal, how long to
    /// wait for CMD before killing it.
    grace: Option<Duration>,
    /// CMD's exit status, once reaped.
    status: Option<ExitStatus>,
    /// The pipe reached end-of-file.
    eof: bool,
    /// With CMD gone but the pipe still open: when to stop waiting.
    drain_until: Option<Time>,
}

/// How [`run`] reacts to signals.
struct RunOptions {
    grace: Duration,
    first_signal_ends: bool,
    reload: Reload,
    /// Where diagnostics go (stderr, never blocking the data).
    notes: Notes,
}

/// What the main loop waits for: input from the reader thread, or a
/// signal from the signal thread, on one channel.
pub(crate) enum Event {
    Data(Vec<u8>),
    Failed(anyhow::Error),
    End,
    Signal(i32),
    /// `run -- CMD`: CMD was reaped with this status.
    Exited(ExitStatus),
    /// A reload (SIGHUP) finished loading the rules.
    Reloaded(Box<Result<RuleSet>>),
    /// The next deadline passed with nothing else to do (made by the loop
    /// itself, never sent).
    Timer,
}

/// Runs the filter over the inputs until they end or a signal ends the run.
/// Returns how the run ended.
///
/// SIGINT/SIGTERM: every pending summary is written at once, input keeps
/// passing for `grace`, then what arrived is summarized and the run ends; a
/// second signal ends it at once. SIGHUP reloads the rules (bad rules keep
/// the old ones). SIGUSR1 prints the statistics on stderr.
///
/// With an `upstream` CMD, the run ends when CMD has exited and its output
/// is read, whatever the signals: SIGINT, SIGTERM and SIGQUIT are forwarded
/// to it (SIGHUP too with `--forward-hup`), and only a second SIGINT or
/// SIGTERM, or `--grace` running out (CMD is then killed), ends it sooner.
fn drive(
    filter: &mut Filter,
    inputs: Vec<OpenInput>,
    signals: SignalWatch,
    options: &RunOptions,
    clock: &WallClock,
    metrics: &mut Metrics,
    mut upstream: Option<Upstream>,
) -> Result<Outcome> {
    let notes = &options.notes;
    // A few chunks in flight: enough to keep reading while we write, small
    // enough to bound memory when the output is slower than the input.
    let (tx, rx) = mpsc::sync_channel::<Event>(4);
    let (recycle_tx, recycle_rx) = mpsc::channel::<Vec<u8>>();
    // The signal thread ends the run itself when this thread is stuck in
    // a write (see `abort`): with no grace period the first shutdown
    // signal ends the run, else the second.
    abort::register_writer();
    let ending = if upstream.is_none() && (options.first_signal_ends || options.grace.is_zero()) {
        1
    } else {
        2
    };
    watch_signals(signals, tx.clone(), ending)?;
    let mut reloader = Reloader::new(Arc::clone(&options.reload));
    let reload_tx = tx.clone();
    if let Some(up) = &upstream {
        up.child.start_reaper(tx.clone())?;
    }
    thread::Builder::new()
        .name("logdedup-reader".into())
        .spawn(move || read_inputs(inputs, tx, recycle_rx))
        .context("starting the reader thread")?;

    // The shutdown signal being honoured, and when it ends the run (with
    // CMD and no --grace: never; CMD's exit does).
    let mut stopping: Option<(Stop, Option<Time>)> = None;
    let mut ready: Option<Event> = None;
    // When to decide a held record if no more input comes (see HOLD_IDLE).
    let mut release_at: Option<Time> = None;
    loop {
        let event = match ready.take() {
            Some(event) => event,
            None => {
                let wake = [
                    filter.next_deadline(),
                    stopping.and_then(|(_, end)| end),
                    metrics.next_due(),
                    upstream.as_ref().and_then(|u| u.drain_until),
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
                            Err(RecvTimeoutError::Timeout) => Event::Timer,
                            Err(RecvTimeoutError::Disconnected) => Event::End,
                        }
                    }
                    None => rx.recv().unwrap_or(Event::End),
                }
            }
        };
        match event {
            Event::Timer => {
                let now = clock.now();
                if let Some(outcome) = grace_over(filter, upstream.as_ref(), &mut stopping, now)? {
                    return Ok(outcome);
                }
                if let Some(up) = &upstream {
                    if let (Some(status), Some(end)) = (up.status, up.drain_until) {
                        if now >= end {
                            filter.finish(now)?;
                            return Ok(Outcome::Exited(status));
                        }
                    }
                }
                if release_at.is_some_and(|at| at <= now) {
                    release_at = None;
                    filter.release_pending()?;
                }
                filter.tick(now)?;
                filter.flush()?;
                metrics.tick(filter, now);
            }
            Event::Data(buf) => {
                let now = clock.now();
                metrics.read(buf.len());
                filter.push(&buf, now)?;
                let _ = recycle_tx.send(buf);
                if let Some(up) = &mut upstream {
                    if up.drain_until.is_some() {
                        up.drain_until = Some(now.plus(DRAIN_IDLE));
                    }
                }
                // A producer that never pauses must not stretch the grace period.
                if let Some(outcome) = grace_over(filter, upstream.as_ref(), &mut stopping, now)? {
                    return Ok(outcome);
                }
                metrics.tick(filter, now);
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
            Event::End => {
                let Some(up) = &mut upstream else {
                    break;
                };
                if up.eof {
                    // Every sender is gone and CMD was never reported.
                    filter.finish(clock.now())?;
                    anyhow::bail!("lost track of the command's exit");
                }
                up.eof = true;
                if let Some(status) = up.status {
                    filter.finish(clock.now())?;
                    return Ok(Outcome::Exited(status));
                }
            }
            Event::Reloaded(result) => {
                reloader.finished(*result, filter, metrics, notes, &reload_tx, clock.now())?;
            }
            Event::Exited(status) => {
                let now = clock.now();
                let Some(up) = &mut upstream else {
                    continue;
                };
                up.child.set_reaped();
                up.status = Some(status);
                if up.eof {
                    filter.finish(now)?;
                    return Ok(Outcome::Exited(status));
                }
                up.drain_until = Some(now.plus(DRAIN_IDLE));
            }
            Event::Signal(signal) => {
                use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGUSR1};
                let now = clock.now();
                match (signal, &upstream) {
                    (SIGHUP, Some(up)) if up.child.takes_hup() => up.child.signal(SIGHUP),
                    (SIGHUP, _) => {
                        // logrotate moved the output files: new ones now,
                        // whatever becomes of the rules.
                        if let Err(err) = filter.reopen_outputs() {
                            notes.note(format!("logdedup: {err:#}\n"));
                        }
                        reloader.request(&reload_tx, notes);
                        // Data just before the signal was not flushed yet
                        // (the signal was the next event, not idleness).
                        filter.flush()?;
                    }
                    (SIGUSR1, _) => {
                        metrics.stats_requested();
                        notes.stats(stats_text(filter, metrics, now));
                        filter.flush()?;
                    }
                    (SIGQUIT, Some(up)) => {
                        up.child.signal(SIGQUIT);
                        filter.summarize_all(now)?;
                    }
                    (_, Some(up)) => {
                        // SIGINT/SIGTERM: CMD decides when it is done; its
                        // last lines are filtered as they come. A second
                        // one ends logdedup now (and is forwarded too).
                        let stop = if signal == SIGINT {
                            Stop::Interrupt
                        } else {
                            Stop::Terminate
                        };
                        up.child.signal(signal);
                        if stopping.is_some() {
                            filter.finish(now)?;
                            return Ok(Outcome::Stopped(stop));
                        }
                        filter.summarize_all(now)?;
                        stopping = Some((stop, up.grace.map(|g| now.plus(g))));
                    }
                    (_, None) => {
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
                        stopping = Some((stop, Some(now.plus(options.grace))));
                    }
                }
            }
        }
    }
    filter.finish(clock.now())?;
    Ok(Outcome::Eof)
}

/// When the grace period after a shutdown signal has run out by `now`: the
/// plain filter finishes and reports the signal; with `run`, CMD still
/// running is killed and its status reported when it is gone.
fn grace_over(
    filter: &mut Filter,
    upstream: Option<&Upstream>,
    stopping: &mut Option<(Stop, Option<Time>)>,
    now: Time,
) -> Result<Option<Outcome>> {
    let Some((stop, Some(end))) = *stopping else {
        return Ok(None);
    };
    if now < end {
        return Ok(None);
    }
    match upstream {
        None => {
            filter.finish(now)?;
            Ok(Some(Outcome::Stopped(stop)))
        }
        Some(up) => {
            up.child.signal(libc::SIGKILL);
            *stopping = Some((stop, None));
            Ok(None)
        }
    }
}
