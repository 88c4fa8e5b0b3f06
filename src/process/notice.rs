//! [`Notice`]: what the process side tells the event loop, from its own
//! threads: a signal arrived, CMD exited, a reload finished.

use std::process::ExitStatus;

use crate::rules::RuleSet;

/// An event from a signal, the child or a reload, for the event loop.
#[derive(Debug)]
pub(crate) enum Notice {
    /// A signal arrived (SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGQUIT).
    /// `by_kernel`: the kernel sent it, not a process: a terminal's Ctrl-C
    /// or Ctrl-\, which went to the whole foreground process group.
    Signal { signal: i32, by_kernel: bool },
    /// `run -- CMD`: CMD, holding the terminal, was stopped by this signal.
    Stopped(i32),
    /// `run -- CMD`: CMD was reaped with this status.
    Exited(ExitStatus),
    /// `run -- CMD`: CMD was reaped by something else: its status is lost.
    Lost(anyhow::Error),
    /// A reload (SIGHUP) finished loading the rules.
    Reloaded(Box<anyhow::Result<RuleSet>>),
}
