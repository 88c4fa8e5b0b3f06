//! `run -- CMD`: what the event loop knows of the process writing its
//! input. The run ends when CMD has been reaped *and* its pipe is drained
//! (or silent for [`DRAIN_IDLE`] after CMD exited, when a descendant holds
//! it open).

use std::process::ExitStatus;
use std::time::Duration;

use crate::process::ChildProcess;
use crate::time::Time;

/// After CMD has exited, how long the pipe may stay silent before the run
/// ends without its end-of-file: a descendant of CMD that outlived it may
/// hold the pipe open for ever. What CMD itself wrote is in the pipe by
/// the time it exits, so this only bounds the wait for such descendants.
pub(crate) const DRAIN_IDLE: Duration = Duration::from_millis(500);

/// The process writing the input, and what is known of it.
pub(super) struct Upstream {
    pub child: ChildProcess,
    /// CMD's exit status, once reaped.
    pub status: Option<ExitStatus>,
    /// The pipe reached end-of-file.
    pub eof: bool,
    /// With CMD gone but the pipe still open: when to stop waiting.
    drain_until: Option<Time>,
}

impl Upstream {
    /// CMD, just started.
    pub fn new(child: ChildProcess) -> Upstream {
        Upstream {
            child,
            status: None,
            eof: false,
            drain_until: None,
        }
    }

    /// Whether SIGHUP goes to CMD rather than reloading the rules.
    pub(crate) fn takes_hup(&self) -> bool {
        self.child.takes_hup()
    }

    /// When the loop must wake to stop waiting for the pipe.
    pub(crate) fn drain_deadline(&self) -> Option<Time> {
        self.drain_until
    }

    /// Input arrived at `now`: a descendant still writes, wait on.
    pub(crate) fn data_came(&mut self, now: Time) {
        if self.drain_until.is_some() {
            self.drain_until = Some(now.plus(DRAIN_IDLE));
        }
    }

    /// CMD was reaped at `now`; whether the run ends now (its pipe is
    /// drained already).
    pub(crate) fn exited(&mut self, status: ExitStatus, now: Time) -> bool {
        self.child.set_reaped();
        self.status = Some(status);
        if self.eof {
            return true;
        }
        self.drain_until = Some(now.plus(DRAIN_IDLE));
        false
    }

    /// CMD's status, once it has exited and its pipe has been silent long
    /// enough by `now`.
    pub(crate) fn drained(&self, now: Time) -> Option<ExitStatus> {
        match (self.status, self.drain_until) {
            (Some(status), Some(end)) if now >= end => Some(status),
            _ => None,
        }
    }
}
