//! Diagnostics on standard error that never hold up the data: statistics
//! (SIGUSR1) and reload reports are handed to a thread of their own, which
//! writes them while the filter goes on. If nobody reads standard error and
//! its pipe is full, that thread waits, not the stream: statistics asked
//! for meanwhile are coalesced (only the newest is kept) and other notes
//! past a small queue are dropped and counted, with one line saying so once
//! standard error moves again.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// Notes queued behind a blocked standard error before new ones are dropped.
const MAX_QUEUED: usize = 64;

/// The handle of the standard-error writer thread.
pub(crate) struct Notes {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when there is something to write, or on close.
    ready: Condvar,
    /// Signalled when the writer has written everything.
    idle: Condvar,
}

#[derive(Default)]
struct Queue {
    notes: VecDeque<String>,
    /// The newest statistics not yet written.
    stats: Option<String>,
    dropped: u64,
    writing: bool,
    closed: bool,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.notes.is_empty() && self.stats.is_none() && self.dropped == 0
    }

    fn next(&mut self) -> Option<String> {
        if self.dropped > 0 {
            let text = format!(
                "logdedup: {} messages for standard error were dropped: it was not being read\n",
                self.dropped
            );
            self.dropped = 0;
            return Some(text);
        }
        self.notes.pop_front().or_else(|| self.stats.take())
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves a queue that is still
        // consistent: every change to it is a single step.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Notes {
    /// Starts the writer thread. If no thread can be started, notes are
    /// written directly (blocking), as before.
    pub(crate) fn start() -> Notes {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            idle: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let started = thread::Builder::new()
            .name("logdedup-stderr".into())
            .spawn(move || write_notes(&worker));
        if started.is_err() {
            shared.lock().closed = true;
        }
        Notes { shared }
    }

    /// Queues `text` for standard error (dropped and counted when the
    /// queue is full).
    pub(crate) fn note(&self, text: String) {
        let mut q = self.shared.lock();
        if q.closed {
            drop(q);
            let _ = io::stderr().write_all(text.as_bytes());
            return;
        }
        if q.notes.len() >= MAX_QUEUED {
            q.dropped += 1;
        } else {
            q.notes.push_back(text);
        }
        self.shared.ready.notify_one();
    }

    /// Queues statistics, replacing any not yet written.
    pub(crate) fn stats(&self, text: String) {
        let mut q = self.shared.lock();
        if q.closed {
            drop(q);
            let _ = io::stderr().write_all(text.as_bytes());
            return;
        }
        q.stats = Some(text);
        self.shared.ready.notify_one();
    }

    /// Waits until everything queued is written, at most `limit` (standard
    /// error may never be read). Whether it was all written.
    pub(crate) fn drain(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut q = self.shared.lock();
        while !q.closed && (q.writing || !q.is_empty()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            q = match self.shared.idle.wait_timeout(q, left) {
                Ok((q, _)) => q,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }
}

impl Drop for Notes {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
    }
}

/// The writer thread: writes notes in order until closed and empty.
fn write_notes(shared: &Shared) {
    let mut q = shared.lock();
    loop {
        match q.next() {
            Some(text) => {
                q.writing = true;
                drop(q);
                let _ = io::stderr().write_all(text.as_bytes());
                q = shared.lock();
                q.writing = false;
            }
            None if q.closed => {
                shared.idle.notify_all();
                return;
            }
            None => {
                shared.idle.notify_all();
                q = match shared.ready.wait(q) {
                    Ok(q) => q,
                    Err(p) => p.into_inner(),
                };
            }
        }
    }
}
