//! The I/O shell: inputs and outputs, the event loop, the wall clock. It
//! wires the pure [`crate::pipeline`] to real files: a reader thread sends
//! chunks over a channel, the loop decides them and writes through
//! [`Output`], the pipeline's sink. The shell is where the wall clock is
//! read (`clock`) and where the filter's files are opened. It reports how
//! a run ended as an [`Outcome`]; what exit status that is, `main` decides.
//!
//! The items of the run itself live here; the loop in `event_loop`.

mod clock;
mod event_loop;
mod filter;
mod input;
mod outlet;
mod output;
mod upstream;

use anyhow::{Context, Result};
use std::process::ExitStatus;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

pub(crate) use clock::WallClock;
pub use filter::Filter;
pub(crate) use input::{open_inputs, InputSource, OpenInput, CHUNK_SIZE};
pub(crate) use outlet::Target;
pub use outlet::{Outlet, StdoutClosed, StdoutWriter};
pub use output::Output;

use event_loop::{Event, Loop, Shutdown};
use input::read_inputs;
use upstream::Upstream;

use crate::pipeline::PipelineOptions;
use crate::process::{
    ending, register_writer, watch_signals, Abandoned, ChildProcess, Reload, Reloader, SignalWatch,
    Stop,
};
use crate::report::{Metrics, MetricsOptions, Notes};
use crate::rules::RuleSet;
use crate::summary::SummaryFormatter;

/// `--grace` of the plain filter when none is given.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// Everything the shell needs for a run, built from the command line by
/// `cli`; nothing here knows clap.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Inputs, read one after the other as one stream.
    pub(crate) inputs: Vec<InputSource>,
    /// Where summaries go.
    pub(crate) summary_to: Target,
    /// `--suppressed-to`.
    pub(crate) suppressed_to: Option<Target>,
    /// How summaries look.
    pub(crate) formatter: SummaryFormatter,
    /// Line handling: `--max-line`, framing, log clock.
    pub(crate) pipeline: PipelineOptions,
    /// `--dry-run`: suppressed lines are written too, tagged.
    pub(crate) dry_run: bool,
    /// `--grace` as given: after SIGINT/SIGTERM, how long to keep passing
    /// input ([`DEFAULT_GRACE`] for the filter; for `run`, `None` waits
    /// for CMD however long it takes).
    pub(crate) grace: Option<Duration>,
    /// `--stats`: per-rule counts on stderr at exit.
    pub(crate) stats: bool,
    /// `--stats-file`, `--metrics-textfile` and how `--stats` looks.
    pub(crate) metrics: MetricsOptions,
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
pub(crate) struct Prepared {
    filter: Filter,
    inputs: Vec<OpenInput>,
    grace: Option<Duration>,
    stats: bool,
    metrics: MetricsOptions,
}

impl Prepared {
    /// Adds an input after the ones the settings named: the pipe from
    /// `run -- CMD`, which is made only once everything else is ready.
    pub(crate) fn add_input(&mut self, input: OpenInput) {
        self.inputs.push(input);
    }
}

/// Opens every input and output, so a missing file or an output that is
/// also an input is reported before anything is read or written.
pub(crate) fn prepare(rules: Arc<RuleSet>, settings: Settings) -> Result<Prepared> {
    let inputs = open_inputs(&settings.inputs)?;
    let stats: Vec<(&str, &std::path::Path)> = [
        ("--stats-file", settings.metrics.stats_file.as_deref()),
        ("--metrics-textfile", settings.metrics.textfile.as_deref()),
    ]
    .into_iter()
    .filter_map(|(option, path)| Some((option, path?)))
    .collect();
    outlet::refuse_stats_over_data(
        &stats,
        &[
            ("--suppressed-to", settings.suppressed_to.as_ref()),
            ("--summary-to", Some(&settings.summary_to)),
        ],
        &inputs,
    )?;
    let (out, summary, audit) = outlet::open_outlets(
        &settings.summary_to,
        settings.suppressed_to.as_ref(),
        &inputs,
    )?;
    let output = Output::new(
        out,
        summary,
        audit,
        settings.formatter,
        settings.pipeline.line_buffered,
        settings.dry_run,
    );
    Ok(Prepared {
        filter: Filter::new(rules, output, &settings.pipeline),
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
pub(crate) fn run(
    prepared: Prepared,
    signals: SignalWatch,
    first_signal_ends: bool,
    reload: Reload,
) -> Result<Outcome> {
    let grace = prepared.grace.unwrap_or(DEFAULT_GRACE);
    let ending = if first_signal_ends || grace.is_zero() {
        1
    } else {
        2
    };
    run_with(
        prepared,
        signals,
        Shutdown::new(ending, Some(grace)),
        reload,
        None,
    )
}

/// Runs a prepared filter over the output of `child` (`run -- CMD`; its
/// pipe added with [`Prepared::add_input`]) until CMD has exited and its
/// output is read. Shutdown signals are forwarded to CMD; `--grace`, when
/// given, bounds the wait for CMD after one, then CMD is killed.
pub(crate) fn run_child(
    prepared: Prepared,
    signals: SignalWatch,
    child: ChildProcess,
    reload: Reload,
) -> Result<Outcome> {
    let shutdown = Shutdown::new(2, prepared.grace);
    run_with(prepared, signals, shutdown, reload, Some(child))
}

/// How long the end of a run waits for its notes on standard error to be
/// written: standard error may be a pipe nobody reads.
const NOTES_AT_EXIT: Duration = Duration::from_secs(2);

fn run_with(
    prepared: Prepared,
    signals: SignalWatch,
    shutdown: Shutdown,
    reload: Reload,
    child: Option<ChildProcess>,
) -> Result<Outcome> {
    let notes = Notes::start();
    for warning in &prepared.metrics.warnings {
        notes.note(format!("logdedup: warning: {warning}\n"));
    }
    // A few chunks in flight: enough to keep reading while we write, small
    // enough to bound memory when the output is slower than the input.
    let (tx, rx) = mpsc::sync_channel::<Event>(4);
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    // The signal thread ends the run itself when this thread is stuck in
    // a write (see `process::abort`).
    register_writer();
    watch_signals(signals, tx.clone(), shutdown.ending)?;
    let upstream = match child {
        Some(child) => {
            child.start_reaper(tx.clone())?;
            Some(Upstream::new(child))
        }
        None => None,
    };
    let clock = WallClock::start();
    let inputs = prepared.inputs;
    let reader_tx = tx.clone();
    thread::Builder::new()
        .name("logdedup-reader".into())
        .spawn(move || read_inputs(inputs, reader_tx, recycled))
        .context("starting the reader thread")?;
    let mut event_loop = Loop {
        filter: prepared.filter,
        metrics: Metrics::new(prepared.metrics, clock.now()),
        clock,
        notes: &notes,
        reloader: Reloader::new(reload),
        tx,
        recycle,
        shutdown,
        upstream,
        last_data: None,
    };
    let result = event_loop.run(&rx);
    let outcome = ended(&mut event_loop, result);
    let outcome = match &event_loop.upstream {
        Some(up) => settle(up, outcome),
        None => outcome,
    };
    let now = event_loop.clock.now();
    if let Some(warning) = event_loop.metrics.write(&event_loop.filter.snapshot(), now) {
        notes.note(warning);
    }
    if prepared.stats && outcome.is_ok() {
        // Statistics are diagnostics: a failure to print them is not worth
        // failing a run that delivered all its output.
        notes.stats(event_loop.stats_text(now));
    }
    notes.drain(NOTES_AT_EXIT);
    outcome
}

/// `run -- CMD`: the run is over; CMD is never left behind. If it is
/// still running (a second SIGINT/SIGTERM ended the run early, or an
/// error did), it is killed now, with its group under `--group`: with
/// `--grace` it would have been killed when the grace ran out, and
/// without, nothing would ever collect its output again. If it has exited
/// already (a process it started kept the pipe open), its status is the
/// run's, whatever ended the wait for that process. The terminal, if CMD
/// was given it, is taken back.
fn settle(up: &Upstream, outcome: Result<Outcome>) -> Result<Outcome> {
    if up.status.is_none() {
        up.child.kill();
    }
    up.child.release_terminal();
    match (outcome, up.status) {
        (Ok(Outcome::Stopped(_)), Some(status)) => Ok(Outcome::Exited(status)),
        (outcome, _) => outcome,
    }
}

/// How the loop's end reads as an outcome: a closed standard output is a
/// normal end, and so is a signal that gave up a stuck write; what can
/// still be written goes to the outlets that move (a summary file; standard
/// error if it is read).
fn ended(event_loop: &mut Loop, result: Result<Outcome>) -> Result<Outcome> {
    let err = match result {
        Ok(outcome) => return Ok(outcome),
        Err(err) => err,
    };
    if StdoutClosed::is_in(&err) {
        event_loop.finish()?;
        return Ok(Outcome::OutputClosed);
    }
    if err.chain().any(<dyn std::error::Error>::is::<Abandoned>) {
        if let Err(err) = event_loop.finish() {
            event_loop.notes.note(format!("logdedup: {err:#}\n"));
        }
        let stop = match ending() {
            Some(signal) if signal == signal_hook::consts::SIGINT => Stop::Interrupt,
            _ => Stop::Terminate,
        };
        return Ok(Outcome::Stopped(stop));
    }
    Err(err)
}
