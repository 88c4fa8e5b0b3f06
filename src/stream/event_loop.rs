//! The event loop: one channel brings input chunks (from the reader
//! thread), signals, the child's exit and finished reloads; the loop waits
//! on it with a timeout set to the next thing due (a window deadline, the
//! end of a grace period, a metrics write, the input going quiet), so
//! summaries come out on time even when the input is silent. Each kind of
//! event has its handler; how a run ends is decided in one place
//! ([`Shutdown`]).
//!
//! What waits for the input to go quiet (a held record, the head of a line
//! whose end has not come) is not scheduled by any one handler: the
//! deadline is worked out from the time of the last data on every wait
//! ([`Loop::quiet_deadline`]), so no event arriving in between (a signal
//! right behind the data) can lose it.

use anyhow::Result;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::time::Duration;

use super::clock::WallClock;
use super::filter::Filter;
use super::input::Chunk;
use super::outlet::StdoutClosed;
use super::upstream::Upstream;
use super::Outcome;
use crate::process::{delivered_to_our_group, Notice, Reloader, Stop};
use crate::report::{format_stats, Metrics, Notes};
use crate::time::Time;

/// How long the input must be silent to count as quiet. Then a held
/// record (its rule decides on the record's last line) is decided: a
/// program writes a log record and its traceback in one go, so a pause
/// this long means the record has ended. And the head of a line whose end
/// has not come is written: a prompt (`Enter phone number or bot token: `)
/// waits for an answer, and must be seen. It bounds how late either can
/// be; it is long enough that a line cut between two reads of a busy pipe
/// is not written in two parts (which would keep it from being matched).
pub(crate) const QUIET: Duration = Duration::from_millis(100);

/// What the loop waits for, on one channel.
pub(crate) enum Event {
    /// A chunk of input (one `read(2)`).
    Data(Vec<u8>),
    /// Reading an input failed.
    Failed(anyhow::Error),
    /// Every input has ended.
    End,
    /// A signal, the child's exit, a finished reload.
    Notice(Notice),
    /// The next deadline passed with nothing else to do (made by the loop
    /// itself, never sent).
    Timer,
}

impl From<Chunk> for Event {
    fn from(chunk: Chunk) -> Event {
        match chunk {
            Chunk::Data(buf) => Event::Data(buf),
            Chunk::Failed(err) => Event::Failed(err),
            Chunk::End => Event::End,
        }
    }
}

impl From<Notice> for Event {
    fn from(notice: Notice) -> Event {
        Event::Notice(notice)
    }
}

/// How shutdown signals end a run: the policy, and where it stands.
pub(super) struct Shutdown {
    /// How many SIGINT/SIGTERM end the run at once (the signal thread
    /// counts them too, to unstick a blocked write: see `process::abort`).
    pub ending: usize,
    /// After the first one, how long to keep going; `None`: until CMD
    /// exits (`run` without `--grace`).
    pub grace: Option<Duration>,
    /// The signal being honoured (or the closed output, as a SIGTERM), and
    /// when its grace ends.
    stopping: Option<(Stop, Option<Time>)>,
}

impl Shutdown {
    /// A policy: `ending` signals end the run at once, `grace` bounds the
    /// wait after the first.
    pub fn new(ending: usize, grace: Option<Duration>) -> Shutdown {
        Shutdown {
            ending,
            grace,
            stopping: None,
        }
    }

    /// A SIGINT/SIGTERM came at `now`: whether it ends the run at once.
    fn signal(&mut self, stop: Stop, now: Time) -> bool {
        if self.stopping.is_some() || self.ending <= 1 {
            return true;
        }
        self.stopping = Some((stop, self.grace.map(|g| now.plus(g))));
        false
    }

    /// The run starts ending at `now` without a signal (`run`'s output
    /// closed): as after a first SIGTERM. Whether it was not ending already.
    fn begin(&mut self, stop: Stop, now: Time) -> bool {
        if self.stopping.is_some() {
            return false;
        }
        self.stopping = Some((stop, self.grace.map(|g| now.plus(g))));
        true
    }

    /// When the grace period ends, if one is running.
    fn deadline(&self) -> Option<Time> {
        self.stopping.and_then(|(_, end)| end)
    }

    /// The grace period has run out by `now`: the signal it was for, once.
    fn grace_over(&mut self, now: Time) -> Option<Stop> {
        let (stop, end) = self.stopping?;
        if end.is_some_and(|end| now >= end) {
            self.stopping = Some((stop, None));
            return Some(stop);
        }
        None
    }
}

/// Whether `err` is standard output closed by its reader.
fn output_closed(err: &anyhow::Error) -> bool {
    StdoutClosed::is_in(err)
}

/// A SIGINT or SIGTERM as a [`Stop`].
fn stop_of(signal: i32) -> Stop {
    if signal == signal_hook::consts::SIGINT {
        Stop::Interrupt
    } else {
        Stop::Terminate
    }
}

/// Everything the loop works with.
pub(super) struct Loop<'n> {
    pub filter: Filter,
    pub clock: WallClock,
    pub metrics: Metrics,
    pub notes: &'n Notes,
    pub reloader: Reloader,
    /// For reload threads to report back.
    pub tx: SyncSender<Event>,
    /// Used buffers go back to the reader thread.
    pub recycle: Sender<Vec<u8>>,
    pub shutdown: Shutdown,
    pub upstream: Option<Upstream>,
    /// When input last arrived: the input is quiet [`QUIET`] after it.
    pub last_data: Option<Time>,
}

impl Loop<'_> {
    /// Runs until the input ends or a signal ends the run.
    pub(crate) fn run(&mut self, rx: &Receiver<Event>) -> Result<Outcome> {
        let mut ready: Option<Event> = None;
        loop {
            let event = match ready.take() {
                Some(event) => event,
                None => self.wait(rx),
            };
            let done = match self.handle(event, rx, &mut ready) {
                Err(err) if self.upstream.is_some() && output_closed(&err) => {
                    self.on_output_closed()?
                }
                done => done?,
            };
            if let Some(outcome) = done {
                return Ok(outcome);
            }
        }
    }

    /// Hands `event` to its handler.
    fn handle(
        &mut self,
        event: Event,
        rx: &Receiver<Event>,
        ready: &mut Option<Event>,
    ) -> Result<Option<Outcome>> {
        match event {
            Event::Timer => self.on_timer(),
            Event::Data(buf) => self.on_data(buf, rx, ready),
            Event::Failed(err) | Event::Notice(Notice::Lost(err)) => Err(self.failed(err)),
            Event::End => self.on_end(),
            Event::Notice(Notice::Signal { signal, by_kernel }) => {
                self.on_signal(signal, by_kernel)
            }
            Event::Notice(Notice::Exited(status)) => self.on_exited(status),
            Event::Notice(Notice::Stopped(signal)) => {
                if let Some(up) = &self.upstream {
                    up.child.stopped(signal);
                }
                Ok(None)
            }
            Event::Notice(Notice::Reloaded(result)) => self.on_reloaded(*result),
        }
    }

    /// Reading the input failed, or CMD was lost: nothing read is lost (it
    /// is decided and every window summarized), then `err` is the error.
    fn failed(&mut self, err: anyhow::Error) -> anyhow::Error {
        match self.finish() {
            Err(finish) if !output_closed(&finish) => finish,
            _ => err,
        }
    }

    /// Waits for the next event, or until the next thing is due.
    fn wait(&self, rx: &Receiver<Event>) -> Event {
        let wake = [
            self.filter.next_deadline(),
            self.shutdown.deadline(),
            self.metrics.next_due(),
            self.upstream.as_ref().and_then(Upstream::drain_deadline),
            self.quiet_deadline(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(at) = wake else {
            return rx.recv().unwrap_or(Event::End);
        };
        // +1 ms: the clock counts whole milliseconds, so waking at the
        // exact instant could find `at` not yet reached.
        let wait = self.clock.now().until(at) + Duration::from_millis(1);
        match rx.recv_timeout(wait) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => Event::Timer,
            Err(RecvTimeoutError::Disconnected) => Event::End,
        }
    }

    /// When the input counts as quiet, if something waits for that: a held
    /// record, or a line whose end has not come.
    fn quiet_deadline(&self) -> Option<Time> {
        if !self.filter.holding() && !self.filter.has_partial() {
            return None;
        }
        self.last_data.map(|at| at.plus(QUIET))
    }

    /// Decides what is left and summarizes every window: the run ends.
    pub fn finish(&mut self) -> Result<()> {
        self.filter.finish(self.clock.now())
    }

    /// Writes the metrics files if due.
    fn metrics_tick(&mut self, now: Time) {
        if self.metrics.due(now) {
            if let Some(warning) = self.metrics.write(&self.filter.snapshot(), now) {
                self.notes.note(warning);
            }
        }
    }

    fn on_timer(&mut self) -> Result<Option<Outcome>> {
        let now = self.clock.now();
        if let Some(outcome) = self.check_grace(now)? {
            return Ok(Some(outcome));
        }
        if let Some(up) = &self.upstream {
            if let Some(status) = up.drained(now) {
                self.finish()?;
                return Ok(Some(Outcome::Exited(status)));
            }
        }
        if self.quiet_deadline().is_some_and(|at| at <= now) {
            self.filter.release_held()?;
            self.filter.flush_partial(now)?;
        }
        self.filter.tick(now)?;
        self.filter.flush()?;
        self.metrics_tick(now);
        Ok(None)
    }

    fn on_data(
        &mut self,
        buf: Vec<u8>,
        rx: &Receiver<Event>,
        ready: &mut Option<Event>,
    ) -> Result<Option<Outcome>> {
        let now = self.clock.now();
        self.last_data = Some(now);
        self.metrics.read(buf.len());
        let pushed = self.filter.push(&buf, now);
        let _ = self.recycle.send(buf);
        pushed?;
        if let Some(up) = &mut self.upstream {
            up.data_came(now);
        }
        // A producer that never pauses must not stretch the grace period.
        if let Some(outcome) = self.check_grace(now)? {
            return Ok(Some(outcome));
        }
        self.metrics_tick(now);
        // Block-buffer while more input is ready; flush the moment the
        // input goes idle, so a quiet stream is never held back.
        match rx.try_recv() {
            Ok(next) => *ready = Some(next),
            Err(TryRecvError::Empty) => self.filter.idle()?,
            Err(TryRecvError::Disconnected) => *ready = Some(Event::End),
        }
        // Quiet is counted from when the loop is ready for more: a write
        // to a slow reader is not the input pausing.
        self.last_data = Some(self.clock.now());
        Ok(None)
    }

    fn on_end(&mut self) -> Result<Option<Outcome>> {
        let Some(up) = &mut self.upstream else {
            self.finish()?;
            return Ok(Some(Outcome::Eof));
        };
        if up.eof {
            // Every sender is gone and CMD was never reported.
            self.finish()?;
            anyhow::bail!("lost track of the command's exit");
        }
        up.eof = true;
        if let Some(status) = up.status {
            self.finish()?;
            return Ok(Some(Outcome::Exited(status)));
        }
        Ok(None)
    }

    fn on_exited(&mut self, status: std::process::ExitStatus) -> Result<Option<Outcome>> {
        let now = self.clock.now();
        let Some(up) = &mut self.upstream else {
            return Ok(None);
        };
        if up.exited(status, now) {
            self.finish()?;
            return Ok(Some(Outcome::Exited(status)));
        }
        Ok(None)
    }

    fn on_reloaded(&mut self, result: Result<crate::rules::RuleSet>) -> Result<Option<Outcome>> {
        let again = self.reloader.finished();
        match result {
            Ok(rules) => {
                let note = format!(
                    "logdedup: reloaded {} rules from {}\n",
                    rules.rules().len(),
                    rules.sources().join(", ")
                );
                let now = self.clock.now();
                self.filter.reload(std::sync::Arc::new(rules), now)?;
                self.metrics.reloaded(true);
                self.notes.note(note);
            }
            Err(err) => {
                self.metrics.reloaded(false);
                self.notes.note(format!(
                    "logdedup: reload failed, keeping the old rules: {err:#}\n"
                ));
            }
        }
        if again {
            self.request_reload();
        }
        Ok(None)
    }

    /// Starts a reload of the rules (SIGHUP).
    fn request_reload(&mut self) {
        if let Err(err) = self.reloader.request(&self.tx) {
            self.notes.note(format!(
                "logdedup: reload failed, keeping the old rules: {err:#}\n"
            ));
        }
    }

    fn on_signal(&mut self, signal: i32, by_kernel: bool) -> Result<Option<Outcome>> {
        use signal_hook::consts::{SIGHUP, SIGQUIT, SIGUSR1};
        let now = self.clock.now();
        match signal {
            SIGHUP if self.upstream.as_ref().is_some_and(Upstream::takes_hup) => {
                self.forward(SIGHUP, by_kernel);
            }
            SIGHUP => {
                // logrotate moved the output files: new ones now, whatever
                // becomes of the rules.
                if let Err(err) = self.filter.reopen_outputs() {
                    self.notes.note(format!("logdedup: {err:#}\n"));
                }
                self.request_reload();
                // Data just before the signal was not flushed yet (the
                // signal was the next event, not idleness).
                self.filter.flush()?;
            }
            SIGUSR1 => {
                self.metrics.stats_requested();
                self.notes.stats(self.stats_text(now));
                self.filter.flush()?;
            }
            SIGQUIT => {
                self.forward(SIGQUIT, by_kernel);
                self.filter.summarize_all(now)?;
            }
            _ => return self.on_shutdown_signal(signal, by_kernel, now),
        }
        Ok(None)
    }

    /// SIGINT/SIGTERM: every pending summary goes out at once; with CMD,
    /// it gets the signal and decides when it is done (its last lines are
    /// filtered as they come); the shutdown policy says when to stop. A run
    /// that stops before CMD has exited kills it on the way out (see
    /// `stream::settle`).
    fn on_shutdown_signal(
        &mut self,
        signal: i32,
        by_kernel: bool,
        now: Time,
    ) -> Result<Option<Outcome>> {
        let stop = stop_of(signal);
        self.forward(signal, by_kernel);
        if self.shutdown.signal(stop, now) {
            self.finish()?;
            return Ok(Some(Outcome::Stopped(stop)));
        }
        self.filter.summarize_all(now)?;
        Ok(None)
    }

    /// Passes `signal` on to CMD, if there is one, unless CMD has it
    /// already: the kernel sent it (a terminal's Ctrl-C) to our whole
    /// foreground process group, and CMD is in that group. Passing it on
    /// too would make one Ctrl-C two, which Python bots (asyncio,
    /// Pyrogram's idle, aiogram) read as "stop now, skip the cleanup".
    fn forward(&self, signal: i32, by_kernel: bool) {
        if let Some(up) = &self.upstream {
            if by_kernel && up.child.shares_our_group() && delivered_to_our_group() {
                return;
            }
            up.child.signal(signal);
        }
    }

    /// `run`'s standard output was closed by its reader (`| head`): there
    /// is no one left to read what CMD writes, so CMD is asked to end, as
    /// by a SIGTERM (to its group with `--group`), and waited for (with
    /// `--grace`, killed when it runs out); its status is the run's. What
    /// it writes meanwhile is still read, decided and counted (the audit
    /// trail and summary files still get theirs), so it never blocks on a
    /// full pipe. When CMD has exited already, the run ends now.
    fn on_output_closed(&mut self) -> Result<Option<Outcome>> {
        let now = self.clock.now();
        let Some(up) = &self.upstream else {
            return Ok(None);
        };
        if let Some(status) = up.status {
            self.finish()?;
            return Ok(Some(Outcome::Exited(status)));
        }
        if self.shutdown.begin(Stop::Terminate, now) {
            up.child.signal(libc::SIGTERM);
        }
        Ok(None)
    }

    /// When the grace period after a shutdown signal has run out: the
    /// plain filter finishes and reports the signal; with `run`, CMD still
    /// running is killed and its status reported when it is gone.
    fn check_grace(&mut self, now: Time) -> Result<Option<Outcome>> {
        let Some(stop) = self.shutdown.grace_over(now) else {
            return Ok(None);
        };
        match &self.upstream {
            None => {
                self.finish()?;
                Ok(Some(Outcome::Stopped(stop)))
            }
            Some(up) => {
                up.child.signal(libc::SIGKILL);
                Ok(None)
            }
        }
    }

    /// The `--stats` text: the table, or with `--format json` the JSON
    /// object of `--stats-file` on one line.
    pub(crate) fn stats_text(&self, now: Time) -> String {
        let snapshot = self.filter.snapshot();
        if self.metrics.json_stats() {
            let mut text = self.metrics.json(&snapshot, now).to_string();
            text.push('\n');
            text
        } else {
            format_stats(&snapshot)
        }
    }
}

#[cfg(test)]
#[path = "loop_tests.rs"]
mod tests;
