//! Signals become events on the main loop's channel: signal-hook's handler
//! only writes to a pipe (and keeps the signal's `siginfo`, to tell a
//! terminal's Ctrl-C from a `kill`), and a thread turns that into
//! [`Notice::Signal`], so nothing but that write runs in signal context.

use anyhow::{Context, Result};
use std::sync::mpsc::{self, SyncSender};
use std::thread;

use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::iterator::SignalsInfo;
use signal_hook::low_level::siginfo::Cause;

use super::abort::end_now;
use super::notice::Notice;

/// A shutdown request: SIGINT or SIGTERM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

/// Signal handlers installed and waiting to be watched. Made first thing
/// in a filter run, before rules load, so that a signal at start-up is
/// queued for the main loop instead of killing the process.
pub struct SignalWatch(SignalsInfo<WithOrigin>);

impl SignalWatch {
    /// Installs the handlers for SIGINT, SIGTERM, SIGHUP and SIGUSR1.
    pub fn install() -> Result<SignalWatch> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
        SignalsInfo::new([SIGINT, SIGTERM, SIGHUP, SIGUSR1])
            .map(SignalWatch)
            .context("installing signal handlers")
    }

    /// The handlers for `run -- CMD`: the filter's, plus SIGQUIT, which is
    /// forwarded to CMD rather than left to kill logdedup (and with it the
    /// pipe CMD writes into) with a core dump.
    pub fn install_for_child() -> Result<SignalWatch> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1};
        SignalsInfo::new([SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1])
            .map(SignalWatch)
            .context("installing signal handlers")
    }
}

/// Starts the thread that turns signals into events for the main loop.
/// signal-hook's handler only writes to a pipe; the thread does the rest,
/// so nothing unsafe runs in signal context.
///
/// `ending`: how many SIGINT/SIGTERM end the run at once (1 when there is
/// no grace period, else 2). The thread counts them itself and, on that
/// one, calls [`end_now`] before passing the event on: the main loop may
/// be stuck writing to a pipe nobody reads and never see the event (nor
/// drain the channel, so that this thread's send blocks too).
pub(crate) fn watch_signals<E: From<Notice> + Send + 'static>(
    watch: SignalWatch,
    tx: SyncSender<E>,
    ending: usize,
) -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = watch.0;
    // The main loop's channel is bounded and may be full while the loop is
    // stuck: a second thread waits on it, so that this one never blocks
    // and sees every signal.
    let (queue, queued) = mpsc::channel::<E>();
    thread::Builder::new()
        .name("logdedup-signal-events".into())
        .spawn(move || {
            for event in queued {
                if tx.send(event).is_err() {
                    break;
                }
            }
        })
        .context("starting the signal thread")?;
    thread::Builder::new()
        .name("logdedup-signals".into())
        .spawn(move || {
            let mut shutdowns = 0;
            for origin in signals.forever() {
                let signal = origin.signal;
                if signal == SIGINT || signal == SIGTERM {
                    shutdowns += 1;
                    if shutdowns >= ending {
                        end_now(signal);
                    }
                }
                let by_kernel = origin.cause == Cause::Kernel;
                if queue
                    .send(E::from(Notice::Signal { signal, by_kernel }))
                    .is_err()
                {
                    break;
                }
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}
