//! Helpers shared by the integration tests: a clean command, rule files in a
//! temp dir, and a live child process whose output can be read before EOF.

#![allow(dead_code)]

pub mod schema;

use assert_cmd::Command;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

/// `logdedup` with a clean, pinned environment: no `$LOGDEDUP_RULES`, UTC.
pub fn logdedup() -> Command {
    let mut cmd = Command::cargo_bin("logdedup").expect("binary built");
    cmd.env_remove("LOGDEDUP_RULES").env("TZ", "UTC");
    cmd
}

/// A temp dir holding rule files written from strings.
pub struct RuleDir {
    pub dir: tempfile::TempDir,
}

impl RuleDir {
    pub fn new() -> RuleDir {
        RuleDir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Writes `text` to `name` in the dir and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write rule file");
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A running `logdedup` whose stdin we write at our own pace and whose
/// stdout lines arrive on a channel, so a test can see output before EOF.
pub struct Live {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub lines: Receiver<String>,
    pub errors: Receiver<String>,
}

/// Sends each line read from `from` on a channel, until EOF.
fn lines_to_channel(from: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
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
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .unwrap_or(0);
        if caught & WANTED == WANTED {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process {pid} did not install its signal handlers within 10 s"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

impl Live {
    pub fn spawn(args: &[&str]) -> Live {
        Live::spawn_with_stdin(args, Stdio::piped())
    }

    pub fn spawn_with_stdin(args: &[&str], stdin: Stdio) -> Live {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("logdedup"))
            .args(args)
            .env_remove("LOGDEDUP_RULES")
            .env("TZ", "UTC")
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn logdedup");
        wait_for_signal_handlers(child.id());
        let lines = lines_to_channel(child.stdout.take().expect("stdout"));
        let errors = lines_to_channel(child.stderr.take().expect("stderr"));
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
    pub fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
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

    pub fn send(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// The next stdout line, or `None` if none comes within `limit`.
    /// The limit is a liveness bound (a hang fails the test instead of
    /// blocking it forever), not a performance assertion.
    pub fn next_line(&self, limit: Duration) -> Option<String> {
        self.lines.recv_timeout(limit).ok()
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    pub fn wait(mut self) -> (std::process::ExitStatus, Vec<String>, String) {
        self.close_stdin();
        let status = self.child.wait().expect("wait");
        let rest: Vec<String> = self.lines.iter().collect();
        let err: Vec<String> = self.errors.iter().collect();
        (status, rest, err.join("\n"))
    }
}

/// A `Write` into a shared buffer the test can read afterwards.
#[derive(Clone, Default)]
pub struct Shared(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("lock").clone()
    }
}

/// The seed's asyncio line in Python logging's default format.
pub const SOCKET_LINE: &str =
    "2022-01-07 15:23:27,046 - asyncio - WARNING - socket.send() raised exception.\n";
