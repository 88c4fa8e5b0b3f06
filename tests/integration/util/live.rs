//! A running `logdedup` a test talks to while it runs: stdin written at the
//! test's own pace, stdout and stderr lines on channels, so output can be
//! seen before EOF; signals sent only once the handlers are in place; every
//! wait bounded by a deadline (a hang fails the test instead of blocking
//! the suite; the limits are liveness bounds, not timing assertions).

use super::{proc_status, std_command};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// A running `logdedup` whose stdin we write at our own pace and whose
/// stdout lines arrive on a channel, so a test can see output before EOF.
pub struct Live {
    /// The process, for its pid and exit status.
    pub child: Child,
    /// Its stdin; `None` once closed.
    pub stdin: Option<ChildStdin>,
    /// Its stdout, line by line.
    pub lines: Receiver<String>,
    /// Its stderr, line by line.
    pub errors: Receiver<String>,
}

/// Each line read from `from`, on a channel, until EOF.
pub fn lines_of(from: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits until process `pid` has its SIGHUP, SIGINT and SIGTERM handlers
/// installed (the `SigCgt` mask in /proc), so a test's first signal cannot
/// arrive before the process is ready for it. Panics after 10 s.
pub fn wait_for_signal_handlers(pid: u32) {
    // Bit N-1 stands for signal N: SIGHUP (1), SIGINT (2), SIGTERM (15).
    const WANTED: u64 = 1 | (1 << 1) | (1 << 14);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let caught = proc_status(pid, "SigCgt:")
            .and_then(|hex| u64::from_str_radix(&hex, 16).ok())
            .unwrap_or(0);
        if caught & WANTED == WANTED {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process {pid} did not install its signal handlers within 10 s"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

/// Spawns logdedup with stdin, stdout and stderr piped (the caller decides
/// whether to read them), once its signal handlers are in place.
pub fn spawn_piped(args: &[&str]) -> Child {
    let child = std_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logdedup");
    wait_for_signal_handlers(child.id());
    child
}

/// Waits for `child` to exit, up to `limit`; kills it and fails after.
pub fn exit_within(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: still running after {limit:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for a line of `rx` containing `text`, up to `limit`.
pub fn line_containing(rx: &Receiver<String>, text: &str, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let line = rx.recv_timeout(left).ok()?;
        if line.contains(text) {
            return Some(line);
        }
    }
}

impl Live {
    /// Starts `logdedup ARGS` (see [`spawn_piped`]) with its output on
    /// channels.
    pub fn spawn(args: &[&str]) -> Live {
        let mut child = spawn_piped(args);
        let lines = lines_of(child.stdout.take().expect("stdout"));
        let errors = lines_of(child.stderr.take().expect("stderr"));
        let stdin = child.stdin.take();
        Live {
            child,
            stdin,
            lines,
            errors,
        }
    }

    /// Sends `signal` (a name such as `TERM`) to the child.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// The next stderr line, or `None` if none comes within `limit`.
    pub fn next_error(&self, limit: Duration) -> Option<String> {
        self.errors.recv_timeout(limit).ok()
    }

    /// Waits for the child to exit by itself (stdin left as it is), up to
    /// `limit`; `None` if it is still running then (it is killed).
    pub fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        None
    }

    /// Every stdout line still to come, up to EOF.
    pub fn rest(&self) -> Vec<String> {
        self.lines.iter().collect()
    }

    /// Writes `text` to stdin and flushes it.
    pub fn send(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// The next stdout line, or `None` if none comes within `limit`.
    pub fn next_line(&self, limit: Duration) -> Option<String> {
        self.lines.recv_timeout(limit).ok()
    }

    /// Closes stdin: the child sees EOF.
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Closes stdin and waits for the exit: the status, the stdout lines
    /// not read yet and all of stderr not read yet.
    pub fn wait(mut self) -> (ExitStatus, Vec<String>, String) {
        self.close_stdin();
        let status = self.child.wait().expect("wait");
        let rest: Vec<String> = self.lines.iter().collect();
        let err: Vec<String> = self.errors.iter().collect();
        (status, rest, err.join("\n"))
    }
}
