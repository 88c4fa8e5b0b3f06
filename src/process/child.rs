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
        },
        reader,
    ))
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

    /// Records that CMD has been reaped.
    pub(crate) fn set_reaped(&mut self) {
        self.reaped = true;
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
        thread::Builder::new()
            .name("logdedup-reaper".into())
            .spawn(move || reap(pid, tx))
            .context("starting the reaper thread")?;
        Ok(())
    }
}

/// The reaper thread's loop; see [`ChildProcess::start_reaper`].
fn reap<E: From<Notice>>(pid: libc::pid_t, tx: SyncSender<E>) {
    let mut reported = false;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid writes only to `status`.
        let got = unsafe { libc::waitpid(-1, &raw mut status, 0) };
        if got == pid {
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
