//! The one harness of the integration tests: the binary as a command with
//! a pinned environment, rule files and outputs in a temp dir, reads of the
//! files the binary was to write (a missing one fails the test, it is never
//! read as empty), waits on conditions with deadlines, and readings from
//! /proc. The live child with its line channels is in [`live`], the summary
//! schema validator in [`schema`], generated bot logs in [`botlog`].

pub mod botlog;
pub mod dryrun;
pub mod live;
pub mod schema;
pub mod suggestlog;

pub use live::{
    exit_within, line_containing, lines_of, spawn_piped, wait_for_signal_handlers, Live,
};

use assert_cmd::Command;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// The `logdedup` binary under test.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("logdedup")
}

/// `logdedup` with a clean, pinned environment: no `$LOGDEDUP_RULES`, UTC.
pub fn logdedup() -> Command {
    let mut cmd = Command::cargo_bin("logdedup").expect("binary built");
    cmd.env_remove("LOGDEDUP_RULES").env("TZ", "UTC");
    cmd
}

/// The same binary and environment as a `std::process::Command`, for tests
/// that drive the child themselves (pipes read or not, signals, groups).
pub fn std_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(bin());
    cmd.env_remove("LOGDEDUP_RULES").env("TZ", "UTC");
    cmd
}

/// A temp dir holding rule files written from strings.
pub struct RuleDir {
    /// Removed with everything in it when the `RuleDir` is dropped.
    pub dir: tempfile::TempDir,
}

impl RuleDir {
    /// A fresh, empty temp dir.
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

    /// The path of `name` in the dir, written or not (an output's place).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The bytes of `path`, a file the binary was to write (an audit trail, a
/// summary or stats file). A missing file fails the test with its path:
/// read as empty, it would pass every "nothing was suppressed" check.
pub fn written(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{}: logdedup should have written this file: {e}",
            path.display()
        )
    })
}

/// [`written`] as text; bytes that are not UTF-8 fail the test too.
pub fn written_text(path: &Path) -> String {
    String::from_utf8(written(path))
        .unwrap_or_else(|e| panic!("{}: not UTF-8: {e}", path.display()))
}

/// [`written`] as lines.
pub fn written_lines(path: &Path) -> Vec<String> {
    written_text(path).lines().map(str::to_owned).collect()
}

/// The lines of `path` so far, for polling while the binary runs: none
/// while the file is not there yet. After the run, use [`written_lines`].
pub fn lines_so_far(path: &Path) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// Polls `cond` until it holds; fails the test, naming `what`, after
/// `limit`. The limit is a liveness bound, not a timing assertion.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Sends `signal` to `pid` with kill(2).
pub fn kill(pid: u32, signal: i32) {
    let pid = i32::try_from(pid).expect("pid fits pid_t");
    // SAFETY: kill(2) with a pid the test spawned.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill({pid}, {signal})");
}

/// A field of `/proc/PID/status`, as text; `None` once the process is gone.
pub fn proc_status(pid: u32, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .map(|v| v.trim().to_owned())
}

/// Peak resident set of a live process, in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> u64 {
    proc_status(pid, "VmHWM:")
        .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status"))
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
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
