//! Ending a run whose output is stuck. When the reader of standard output
//! stops reading, the main loop sits in `write(2)` and never sees another
//! event; a second SIGINT/SIGTERM must still end the run promptly. So the
//! signal thread, on the signal that must end the run, calls [`end_now`]:
//! it marks the run as ending and keeps interrupting the main loop's thread
//! with SIGURG (a handler installed without `SA_RESTART`, so a blocked
//! write returns `EINTR`). Every sink writes through [`Interruptible`],
//! which retries an interrupted write unless the run is ending and the
//! write has made no progress for [`STALL`]: then it gives up with
//! [`Abandoned`], and the run writes what it can of its summaries to the
//! sinks that still work and exits with the signal's status. A reader that
//! is slow but reading keeps its data: each write that moves resets the
//! stall clock.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// How long a write may make no progress, once the run must end, before
/// it is given up.
pub(crate) const STALL: Duration = Duration::from_millis(500);

/// How often the stuck thread is interrupted once the run must end.
const KICK_EVERY: Duration = Duration::from_millis(100);

/// The signal that ends the run now (0: none yet).
static ENDING: AtomicI32 = AtomicI32::new(0);

/// A write was given up: later interrupted writes (the buffered output
/// flushed once more as it is dropped) give up at once.
static GAVE_UP: AtomicBool = AtomicBool::new(false);

/// The thread that runs the main loop and does the writing.
static WRITER: Mutex<Option<libc::pthread_t>> = Mutex::new(None);

/// A write given up because the run must end and the output is not moving.
#[derive(Debug)]
pub(crate) struct Abandoned;

impl std::fmt::Display for Abandoned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("output blocked while a signal ended the run")
    }
}

impl std::error::Error for Abandoned {}

/// Records the calling thread as the one [`end_now`] interrupts.
pub(crate) fn register_writer() {
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    *WRITER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(me);
}

/// The signal that ends the run now, if one came.
pub fn ending() -> Option<i32> {
    match ENDING.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Does nothing: its only effect is that a blocked system call on the
/// interrupted thread returns `EINTR`.
extern "C" fn wake(_: libc::c_int) {}

/// The run must end now, on `signal`: interrupts the writer thread until
/// the process exits, so that a write stuck on a full pipe gives up.
pub(super) fn end_now(signal: i32) {
    if ENDING.swap(signal, Ordering::SeqCst) != 0 {
        return;
    }
    let Some(writer) = *WRITER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    else {
        return;
    };
    // SAFETY: `wake` is async-signal-safe (it does nothing); the action
    // struct is fully initialized before use.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = wake as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&raw mut action.sa_mask);
        action.sa_flags = 0;
        libc::sigaction(libc::SIGURG, &raw const action, std::ptr::null_mut()) == 0
    };
    if !installed {
        return;
    }
    let _ = thread::Builder::new()
        .name("logdedup-unstick".into())
        .spawn(move || loop {
            // SAFETY: `writer` is the main loop's thread, which lives until
            // the process exits (this thread dies with it).
            unsafe { libc::pthread_kill(writer, libc::SIGURG) };
            thread::sleep(KICK_EVERY);
        });
}

/// A writer whose blocked writes give up once the run must end (see the
/// module documentation).
pub(crate) struct Interruptible<W>(pub W);

impl<W: Write> Write for Interruptible<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut stalled_since: Option<Instant> = None;
        loop {
            match self.0.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if ending().is_some() {
                        let since = *stalled_since.get_or_insert_with(Instant::now);
                        if GAVE_UP.load(Ordering::SeqCst) || since.elapsed() >= STALL {
                            GAVE_UP.store(true, Ordering::SeqCst);
                            return Err(io::Error::other(Abandoned));
                        }
                    }
                }
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
