//! `run -- CMD` in a terminal. A terminal sends Ctrl-C (SIGINT), Ctrl-\
//! (SIGQUIT) and Ctrl-Z (SIGTSTP) to its foreground process group, and
//! stops a process of another group that reads it (SIGTTIN). So:
//!
//! - CMD in logdedup's own group (the default) gets a Ctrl-C from the
//!   terminal itself; logdedup must not pass on the copy it got too, or
//!   the bot sees two ([`delivered_to_our_group`]).
//! - CMD in a group of its own (`--group`) would never get a Ctrl-C and
//!   would be stopped the moment it reads the terminal (a login prompt):
//!   its group is made the terminal's foreground group, by CMD itself
//!   before `exec` ([`take_terminal`]), as tini does, and logdedup takes
//!   the terminal back when CMD is gone ([`Terminal::reclaim`]). Ctrl-Z then
//!   stops CMD alone; logdedup stops itself with the same signal so that
//!   the shell sees the job stopped, and on `fg` hands the terminal back
//!   and continues CMD ([`Terminal::follow_stop`]).
//!
//! logdedup ignores SIGTTOU while CMD holds the terminal: it writes to a
//! terminal it is in the background of (with `stty tostop` that would stop
//! it) and takes the terminal back from the background.

use std::os::fd::{AsRawFd, OwnedFd};

/// The terminal on standard input, handed to CMD's process group.
#[derive(Debug)]
pub(crate) struct Terminal {
    /// CMD's process group, the foreground group while CMD runs.
    group: libc::pid_t,
}

/// Whether standard input is a terminal whose foreground process group is
/// logdedup's: only then may CMD take it (a job started in the background
/// must not steal the terminal from the shell).
pub(crate) fn stdin_is_ours() -> bool {
    // SAFETY: isatty, tcgetpgrp and getpgrp only read process state.
    unsafe {
        libc::isatty(libc::STDIN_FILENO) == 1
            && libc::tcgetpgrp(libc::STDIN_FILENO) == libc::getpgrp()
    }
}

/// In the child, after `setpgid` and before `exec`: makes the child's new
/// process group the foreground group of the terminal on standard input.
/// Only async-signal-safe calls. The child is in a background group at
/// that moment, so SIGTTOU is blocked around the call (a blocked SIGTTOU
/// lets `tcsetpgrp` through instead of stopping the caller), then the mask
/// CMD starts with is restored. A failure leaves CMD in the background,
/// as without this, rather than not starting it.
///
/// # Safety
///
/// Only to be called in a child between `fork` and `exec`.
pub(crate) unsafe fn take_terminal() {
    // SAFETY: sigemptyset, sigaddset, pthread_sigmask, tcsetpgrp and
    // getpgrp are async-signal-safe and write only to the local sets.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut block);
        libc::sigaddset(&raw mut block, libc::SIGTTOU);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &raw const block, &raw mut old) != 0 {
            return;
        }
        let _ = libc::tcsetpgrp(libc::STDIN_FILENO, libc::getpgrp());
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
    }
}

/// Ignores SIGTTOU in logdedup (not in CMD, which is started already and
/// does not inherit this): see the module documentation.
fn ignore_sigttou() {
    // SAFETY: setting a standard disposition for a signal nothing else
    // here handles.
    unsafe {
        libc::signal(libc::SIGTTOU, libc::SIG_IGN);
    }
}

impl Terminal {
    /// CMD (process group `group`) has been started and has taken the
    /// terminal on standard input.
    pub(crate) fn handed_to(group: libc::pid_t) -> Terminal {
        ignore_sigttou();
        Terminal { group }
    }

    /// Gives the terminal back to logdedup's process group, if CMD's group
    /// still holds it (CMD has exited, or is stopped). Nothing else is
    /// touched: a shell that took the terminal meanwhile keeps it.
    pub(crate) fn reclaim(&self) {
        // SAFETY: tcgetpgrp, tcsetpgrp and getpgrp on standard input;
        // SIGTTOU is ignored (see `handed_to`), so this cannot stop us.
        unsafe {
            if libc::tcgetpgrp(libc::STDIN_FILENO) == self.group {
                let _ = libc::tcsetpgrp(libc::STDIN_FILENO, libc::getpgrp());
            }
        }
    }

    /// CMD was stopped by `signal`. A stop from the terminal (Ctrl-Z,
    /// reading or writing it from the background) stops logdedup too, with
    /// the same signal, after taking the terminal back: the shell then
    /// sees its job stopped and gets the terminal, as without logdedup.
    /// When logdedup is continued (`fg`, `bg`), CMD's group gets the
    /// terminal again if logdedup is in the foreground, and is continued.
    /// Another stop (SIGSTOP from someone) is left alone.
    pub(crate) fn follow_stop(&self, signal: i32) {
        if ![libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU].contains(&signal) {
            return;
        }
        self.reclaim();
        // SAFETY: raise, tcgetpgrp, tcsetpgrp, getpgrp and kill on our own
        // process, the terminal and CMD's group (not reaped: it is stopped,
        // so its group leader still exists). The default action of a stop
        // signal stops every thread; `raise` returns once continued. In an
        // orphaned process group the kernel discards the stop, and CMD is
        // simply continued.
        unsafe {
            libc::raise(signal);
            if stdin_is_ours() {
                let _ = libc::tcsetpgrp(libc::STDIN_FILENO, self.group);
            }
            libc::kill(-self.group, libc::SIGCONT);
        }
    }
}

/// Whether a signal the kernel sent (not another process: a terminal's
/// Ctrl-C or Ctrl-\) went to logdedup's whole process group: logdedup is
/// in the foreground of its controlling terminal. CMD, when it shares
/// that group, has had the signal already.
pub(crate) fn delivered_to_our_group() -> bool {
    let Some(tty) = controlling_terminal() else {
        return false;
    };
    // SAFETY: tcgetpgrp on a descriptor we own, getpgrp reads our state.
    unsafe { libc::tcgetpgrp(tty.as_raw_fd()) == libc::getpgrp() }
}

/// The controlling terminal, opened without becoming anyone's.
fn controlling_terminal() -> Option<OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: open(2) with a constant C string; a descriptor it returns is
    // ours alone, and owned from here on.
    unsafe {
        let fd = libc::open(
            c"/dev/tty".as_ptr(),
            libc::O_RDONLY | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        (fd >= 0).then(|| OwnedFd::from_raw_fd(fd))
    }
}
