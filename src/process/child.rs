//! `run -- CMD`: the process whose output is the filter's input. It is
//! started with its standard output and standard error joined into one
//! pipe, the way `2>&1` joins them, so its lines arrive in the order it
//! wrote them; signals meant for it are forwarded; and one thread reaps it
//! and any orphan handed to logdedup, as an init (tini) would.

use anyhow::{anyhow, Context, Result};
use std::ffi::OsString;
use std::io::{self, PipeReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::SyncSender;
use std::thread;

use super::notice::Notice;
use super::terminal::{self, Terminal};

/// What to start, and how.
#[derive(Clone, Debug)]
pub(crate) struct ChildSpec {
    /// The program, looked up on `$PATH` like a shell does.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// `--group`: start it in a process group of its own and signal the
    /// whole group, so helpers it started get the signal too.
    pub group: bool,
    /// `--keep-env`: do not set `PYTHONUNBUFFERED=1`.
    pub keep_env: bool,
    /// `--forward-hup`: SIGHUP goes to CMD instead of reloading the rules.
    pub forward_hup: bool,
}

/// Why CMD could not be started. The two kinds a shell tells apart keep
/// its exit statuses (127, 126); `main` maps them.
#[derive(Debug)]
pub(crate) enum SpawnError {
    /// No such program (127).
    NotFound(anyhow::Error),
    /// The program exists but cannot be executed (126).
    NotExecutable(anyhow::Error),
    /// Something else failed (the pipe could not be made, say).
    Other(anyhow::Error),
}

/// A started CMD.
#[derive(Debug)]
pub(crate) struct ChildProcess {
    pid: libc::pid_t,
    spec: ChildSpec,
    /// Set once it has been reaped: its pid may belong to another process
    /// from then on, so nothing is sent to it any more.
    reaped: bool,
    /// The terminal CMD's group was given (`--group` in a terminal).
    terminal: Option<Terminal>,
}

/// Starts CMD with stdout and stderr on the same new pipe, and returns it
/// with the pipe's read end (the filter's input).
pub(crate) fn spawn(spec: &ChildSpec) -> Result<(ChildProcess, PipeReader), SpawnError> {
    become_subreaper();
    let (reader, writer) = io::pipe()
        .context("creating the pipe for CMD's output")
        .map_err(SpawnError::Other)?;
    let second = writer
        .try_clone()
        .context("creating the pipe for CMD's output")
        .map_err(SpawnError::Other)?;
    let name = spec.program.to_string_lossy().into_owned();
    let mut command = Command::new(&spec.program);
    // One pipe for both streams: two pipes read by two threads could not
    // keep the order in which CMD interleaved them.
    command
        .args(&spec.args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(second));
    if spec.group {
        command.process_group(0);
    }
    // Only a job in the foreground hands its terminal on: one started in
    // the background must leave the shell its terminal.
    let take_terminal = spec.group && terminal::stdin_is_ours();
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: `in_child` makes only async-signal-safe calls and touches
    // only its copied arguments (see its documentation).
    unsafe {
        command.pre_exec(move || {
            in_child(parent, take_terminal);
            Ok(())
        });
    }
    if !spec.keep_env && std::env::var_os("PYTHONUNBUFFERED").is_none() {
        // Python block-buffers stdout into a pipe: without this a bot's
        // lines would arrive in 8 KiB bursts, or be lost when it is killed.
        command.env("PYTHONUNBUFFERED", "1");
    }
    let child = command.spawn().map_err(|err| spawn_error(&name, err))?;
    // `command` still holds our copies of the pipe's write end: drop them,
    // or the pipe would never report end-of-file when CMD exits.
    drop(command);
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| SpawnError::Other(anyhow!("{name}: process id out of range")))?;
    // The std handle is let go without waiting on it: the reaper thread
    // collects CMD's status with waitpid(-1), together with any orphans.
    drop(child);
    Ok((
        ChildProcess {
            pid,
            spec: spec.clone(),
            reaped: false,
            terminal: take_terminal.then(|| Terminal::handed_to(pid)),
        },
        reader,
    ))
}

/// The signal CMD gets when logdedup dies without having seen it exit
/// (`PR_SET_PDEATHSIG`). SIGKILL: an orderly end of logdedup (a signal, a
/// closed output, an error) deals with CMD itself, SIGTERM first and a
/// grace period; this one fires only when logdedup was killed outright
/// (`kill -9`, the OOM killer) or crashed. By then CMD's output has
/// nowhere to go, and a bot that ignores SIGTERM, or hangs in its
/// shutdown, would run on unseen, and for a Telegram bot fight its
/// restarted self over `getUpdates`. SIGKILL is the one signal that
/// cannot leave it behind.
#[cfg(target_os = "linux")]
const PARENT_DEATH_SIGNAL: libc::c_int = libc::SIGKILL;

/// Runs in the child between `fork` and `exec`, so only async-signal-safe
/// calls: asks the kernel to kill CMD if logdedup dies, and makes CMD's
/// new process group the terminal's foreground group if `take_terminal`.
/// `parent` is logdedup's pid. The parent-death signal is tied to the
/// thread that forked, so `spawn` must be called on the thread that lives
/// for the whole run (the main thread does). If the parent died before
/// the `prctl`, nothing would ever send the signal: the child checks
/// `getppid` after setting it, and kills itself instead.
fn in_child(parent: libc::pid_t, take_terminal: bool) {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl, getppid and kill are async-signal-safe system calls
    // on this process only.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL, 0, 0, 0) == 0
            && libc::getppid() != parent
        {
            libc::kill(libc::getpid(), PARENT_DEATH_SIGNAL);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
    if take_terminal {
        // SAFETY: we are in the child, before exec, in our own new group
        // (std's `process_group(0)` has run; a second setpgid is harmless).
        unsafe {
            libc::setpgid(0, 0);
            terminal::take_terminal();
        }
    }
}

/// Sorts a failed spawn as a shell would: not found (127) or found but
/// not executable (126).
fn spawn_error(name: &str, err: io::Error) -> SpawnError {
    match err.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR) => {
            SpawnError::NotFound(anyhow!("{name}: command not found"))
        }
        _ => SpawnError::NotExecutable(anyhow!("{name}: cannot execute: {err}")),
    }
}

/// Makes orphans of CMD's descendants our children rather than init's, so
/// that they are reaped here (Linux only; PID 1 gets them anyway). A bot
/// whose helpers double-fork would otherwise leave zombies in a container
/// where nothing else reaps.
fn become_subreaper() {
    #[cfg(target_os = "linux")]
    // SAFETY: getpid and prctl(PR_SET_CHILD_SUBREAPER) touch no memory of ours.
    unsafe {
        if libc::getpid() != 1 {
            // Failure only means orphans go to init, as without logdedup.
            let _ = libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    }
}

impl ChildProcess {
    /// What CMD is called in messages.
    pub(crate) fn name(&self) -> String {
        self.spec.program.to_string_lossy().into_owned()
    }

    /// Whether SIGHUP is CMD's rather than a reload.
    pub(crate) fn takes_hup(&self) -> bool {
        self.spec.forward_hup
    }

    /// Sends `signal` to CMD (its process group with `--group`), unless it
    /// has been reaped already.
    pub(crate) fn signal(&self, signal: i32) {
        if self.reaped {
            return;
        }
        let target = if self.spec.group { -self.pid } else { self.pid };
        // SAFETY: kill(2) with a pid we started and have not reaped.
        // ESRCH (it exited in between) is fine: there is nobody to tell.
        let _ = unsafe { libc::kill(target, signal) };
    }

    /// Kills CMD (its process group with `--group`) with SIGKILL, unless
    /// it has been reaped already: logdedup is ending before it.
    pub(crate) fn kill(&self) {
        self.signal(libc::SIGKILL);
    }

    /// Whether CMD shares logdedup's process group, so that a signal to the
    /// group (a terminal's Ctrl-C) reaches it without being passed on.
    pub(crate) fn shares_our_group(&self) -> bool {
        !self.spec.group
    }

    /// Records that CMD has been reaped, and takes back the terminal it was
    /// given: its group is gone.
    pub(crate) fn set_reaped(&mut self) {
        self.reaped = true;
        self.release_terminal();
    }

    /// Gives the terminal CMD was given back to logdedup's group, if CMD
    /// still holds it (see [`Terminal::reclaim`]).
    pub(crate) fn release_terminal(&self) {
        if let Some(terminal) = &self.terminal {
            terminal.reclaim();
        }
    }

    /// CMD was stopped by `signal`: a stop from the terminal stops
    /// logdedup too (see [`Terminal::follow_stop`]).
    pub(crate) fn stopped(&self, signal: i32) {
        if let Some(terminal) = &self.terminal {
            if !self.reaped {
                terminal.follow_stop(signal);
            }
        }
    }

    /// Starts the reaper: a thread blocked in `waitpid(-1)` that collects
    /// every child of this process as it exits: CMD, whose status goes to
    /// the main loop as [`Notice::Exited`], and orphans re-parented to us
    /// (as PID 1 or subreaper), which are only reaped so that no zombie
    /// stays behind. A blocking wait needs no SIGCHLD handler and cannot
    /// miss an exit. The thread ends when no child is left (ECHILD): with
    /// CMD gone and no orphan of it left, none can appear any more.
    pub(crate) fn start_reaper<E: From<Notice> + Send + 'static>(
        &self,
        tx: SyncSender<E>,
    ) -> Result<()> {
        let pid = self.pid;
        let stops = self.terminal.is_some();
        thread::Builder::new()
            .name("logdedup-reaper".into())
            .spawn(move || reap(pid, stops, tx))
            .context("starting the reaper thread")?;
        Ok(())
    }
}

/// The reaper thread's loop; see [`ChildProcess::start_reaper`]. With
/// `stops` (CMD holds the terminal), CMD being stopped is reported too.
fn reap<E: From<Notice>>(pid: libc::pid_t, stops: bool, tx: SyncSender<E>) {
    let mut reported = false;
    let flags = if stops { libc::WUNTRACED } else { 0 };
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid writes only to `status`.
        let got = unsafe { libc::waitpid(-1, &raw mut status, flags) };
        if got == pid && libc::WIFSTOPPED(status) {
            if tx
                .send(E::from(Notice::Stopped(libc::WSTOPSIG(status))))
                .is_err()
            {
                return;
            }
        } else if got == pid {
            reported = true;
            if tx
                .send(E::from(Notice::Exited(ExitStatus::from_raw(status))))
                .is_err()
            {
                return;
            }
        } else if got < 0 {
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => {}
                _ => break,
            }
        }
    }
    if !reported {
        // Cannot happen unless something else reaped CMD; say so rather
        // than leave the main loop waiting for an exit that never comes.
        let _ = tx.send(E::from(Notice::Lost(anyhow!(
            "lost track of the command (pid {pid}): it was reaped elsewhere"
        ))));
    }
}
