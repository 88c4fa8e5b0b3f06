//! Helpers shared by the integration tests: a clean command, rule files in a
//! temp dir, and a live child process whose output can be read before EOF.

#![allow(dead_code)]

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
    pub stderr: Option<std::process::ChildStderr>,
}

impl Live {
    pub fn spawn(args: &[&str]) -> Live {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("logdedup"))
            .args(args)
            .env_remove("LOGDEDUP_RULES")
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn logdedup");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
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
        let stdin = child.stdin.take();
        let stderr = child.stderr.take();
        Live {
            child,
            stdin,
            lines: rx,
            stderr,
        }
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
        let mut err = String::new();
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (status, rest, err)
    }
}

/// The seed's asyncio line in Python logging's default format.
pub const SOCKET_LINE: &str =
    "2022-01-07 15:23:27,046 - asyncio - WARNING - socket.send() raised exception.\n";
