//! `logdedup run` never leaves the bot behind, on real processes: a
//! Python bot that logs as bots do (the `logging` module, which swallows
//! a broken pipe, so the bot runs on when nobody reads it). Its output
//! closed, logdedup killed, a second signal, a bot that exited before a
//! process it started; and a prompt without a newline reaches the user.
//!
//! Time limits are liveness bounds (a hang fails instead of blocking the
//! suite), never performance assertions; waits are on conditions.

use crate::util::{logdedup, wait_for_signal_handlers, RuleDir};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// A bot: logs its pid, then a tick every 20 ms, for ever. `on_term` is
/// what it does on SIGTERM: a Python statement, or `None` for Python's
/// default (die of it).
fn bot(dir: &RuleDir, on_term: Option<&str>) -> String {
    let handler = on_term.map_or(String::new(), |body| {
        format!("def on_term(*_):\n    {body}\nsignal.signal(signal.SIGTERM, on_term)\n")
    });
    let script = format!(
        "import logging, os, signal, sys, time\n\
         logging.basicConfig(level=logging.INFO, format='%(message)s')\n\
         {handler}\
         logging.info('pid %d', os.getpid())\n\
         while True:\n    logging.info('tick')\n    time.sleep(0.02)\n"
    );
    let path = dir.file("bot.py", &script);
    path.to_str().expect("utf-8 temp path").to_owned()
}

/// `logdedup run ARGS -- python3 BOT`, its stdout read line by line.
fn run_bot(args: &[&str], bot: &str) -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("logdedup"))
        .arg("run")
        .args(args)
        .args(["--", "python3", bot])
        .env_remove("LOGDEDUP_RULES")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn logdedup");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    (child, stdout)
}

/// Reads the bot's `pid N` line.
fn bot_pid(out: &mut BufReader<ChildStdout>) -> i32 {
    let mut line = String::new();
    out.read_line(&mut line).expect("read the pid line");
    line.trim()
        .strip_prefix("pid ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid line: {line:?}"))
}

/// Whether process `pid` is running (a zombie is not: it has ended).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // The state follows the parenthesized command name.
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
    })
}

/// Waits until `pid` has ended; if it has not within [`WAIT`], kills it
/// (so that no test leaves it behind either) and fails with `what`.
fn assert_ends(pid: i32, what: &str) {
    let deadline = Instant::now() + WAIT;
    while alive(pid) {
        if Instant::now() >= deadline {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{what}: the bot (pid {pid}) is still running");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for `child` to exit; kills it and fails after [`WAIT`].
fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("logdedup did not exit");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// `run -- python bot.py | head -2`: the bot once ran on, re-parented to
/// PID 1, and logdedup exited 0. Now the bot gets SIGTERM (its group with
/// `--group`), logdedup waits for it and exits with its status (here 7,
/// which the bot's SIGTERM handler exits with).
#[test]
fn closed_output_ends_the_bot_with_sigterm_and_exits_with_its_status() {
    for group in [false, true] {
        let dir = RuleDir::new();
        let bot = bot(&dir, Some("os._exit(7)"));
        let args: &[&str] = if group { &["--group"] } else { &[] };
        let (mut child, mut out) = run_bot(args, &bot);
        let pid = bot_pid(&mut out);
        let mut tick = String::new();
        out.read_line(&mut tick).expect("a second line");
        drop(out); // `head -2` has its two lines and exits
        let code = exit_code(&mut child);
        assert_ends(pid, "after the output closed");
        assert_eq!(code, Some(7), "group: {group}");
    }
}

/// The same with a bot that ignores SIGTERM: `--grace` bounds the wait,
/// then it is killed (137).
#[test]
fn closed_output_with_grace_kills_a_bot_that_ignores_sigterm() {
    let dir = RuleDir::new();
    let bot = bot(&dir, Some("pass"));
    let (mut child, mut out) = run_bot(&["--grace", "300ms"], &bot);
    let pid = bot_pid(&mut out);
    drop(out);
    let code = exit_code(&mut child);
    assert_ends(pid, "after the grace");
    assert_eq!(code, Some(137));
}

/// logdedup killed outright (`kill -9`, the OOM killer): the bot gets the
/// parent-death signal rather than run on with nobody reading it.
#[test]
fn bot_dies_with_a_killed_logdedup() {
    let dir = RuleDir::new();
    let bot = bot(&dir, None);
    let (mut child, mut out) = run_bot(&[], &bot);
    let pid = bot_pid(&mut out);
    child.kill().expect("SIGKILL logdedup");
    child.wait().expect("reap logdedup");
    assert_ends(pid, "after logdedup was killed");
}

/// A second SIGTERM ends logdedup at once (143), and the bot, which
/// ignores SIGTERM, once ran on for ever (and with `--grace 1h`, for an
/// hour at least). It is killed on the way out.
#[test]
fn second_sigterm_kills_the_bot_on_the_way_out() {
    for grace in [None, Some("1h")] {
        let dir = RuleDir::new();
        let bot = bot(&dir, Some("logging.info('ignoring TERM')"));
        let args: Vec<&str> = grace.map(|g| vec!["--grace", g]).unwrap_or_default();
        let (mut child, mut out) = run_bot(&args, &bot);
        let pid = bot_pid(&mut out);
        wait_for_signal_handlers(child.id());
        kill(child.id(), "TERM");
        let mut line = String::new();
        while line.trim() != "ignoring TERM" {
            line.clear();
            assert!(out.read_line(&mut line).expect("read") > 0, "EOF");
        }
        kill(child.id(), "TERM");
        // Keep reading, as a terminal would, so no write blocks.
        let drain = thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let code = exit_code(&mut child);
        assert_ends(pid, "after the second SIGTERM");
        assert_eq!(code, Some(143), "grace {grace:?}");
        let _ = drain.join();
    }
}

/// The bot has exited with 5 while a process it started still writes into
/// the pipe; two SIGTERMs end the wait for that process, and the run
/// exits with the bot's status, known by then, not 143.
#[test]
fn bot_status_is_kept_when_signals_end_the_wait_for_its_descendant() {
    let dir = RuleDir::new();
    let script = "( i=0; while [ $i -lt 400 ] && [ ! -e \"$1/stop\" ]; do echo tick; sleep 0.05; i=$((i+1)); done ) &
         echo \"pid $$\"; exit 5";
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("logdedup"))
        .args(["run", "--", "sh", "-c", script, "sh"])
        .arg(dir.dir.path())
        .env_remove("LOGDEDUP_RULES")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn logdedup");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while !line.starts_with("pid ") {
        line.clear();
        assert!(out.read_line(&mut line).expect("read") > 0, "EOF");
    }
    let pid: i32 = line.trim()[4..].parse().expect("pid");
    wait_for_signal_handlers(child.id());
    // Reaped by logdedup (gone from /proc): its status is known there.
    let deadline = Instant::now() + WAIT;
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "the bot did not exit");
        thread::sleep(Duration::from_millis(5));
    }
    let drain = thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    // Two SIGTERMs sent back to back may reach logdedup as one (a pending
    // signal is not queued twice): send them until it exits.
    let deadline = Instant::now() + WAIT;
    let code = loop {
        kill(child.id(), "TERM");
        thread::sleep(Duration::from_millis(50));
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("logdedup did not exit");
        }
    };
    std::fs::write(dir.path("stop"), b"").expect("stop the descendant");
    assert_eq!(code, Some(5));
    let _ = drain.join();
}

/// Standard output read byte by byte, as it comes (a prompt has no `\n`).
#[derive(Clone, Default)]
struct Bytes(Arc<Mutex<Vec<u8>>>);

impl Bytes {
    fn reading(mut from: impl Read + Send + 'static) -> Bytes {
        let bytes = Bytes::default();
        let sink = bytes.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.0.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        bytes
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }

    /// Waits until the output contains `want`; fails with what came.
    fn wait_for(&self, want: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.text().contains(want) {
            assert!(
                Instant::now() < deadline,
                "never saw {want:?}; got {:?}",
                self.text()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

const PROMPT: &str = "Enter phone number or bot token: ";

/// A first login: the bot (Pyrogram asks this way) writes a prompt without
/// a newline and waits for the answer. logdedup once held the prompt until
/// its line ended, so the user never saw the question.
#[test]
fn run_shows_a_prompt_without_newline_and_passes_the_answer() {
    let dir = RuleDir::new();
    let bot = dir.file(
        "login.py",
        &format!(
            "import sys\nsys.stdout.write({PROMPT:?})\nsys.stdout.flush()\n\
             print('got', sys.stdin.readline().strip())\n"
        ),
    );
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("logdedup"))
        .args(["run", "--", "python3"])
        .arg(&bot)
        .env_remove("LOGDEDUP_RULES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn logdedup");
    let out = Bytes::reading(child.stdout.take().expect("stdout"));
    out.wait_for(PROMPT);
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"12345\n").expect("answer");
    drop(stdin);
    assert_eq!(exit_code(&mut child), Some(0));
    out.wait_for("got 12345\n");
    assert_eq!(out.text(), format!("{PROMPT}got 12345\n"));
}

/// The plain filter too: a prompt is written when the input goes quiet;
/// the line it starts passes whole when it ends, never suppressed, even
/// if a rule matches it then.
#[test]
fn filter_writes_a_partial_line_when_the_input_goes_quiet() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "noise.toml",
        "[[rule]]\nname = \"noise\"\npattern = 'noise'\nwindow = \"1h\"\n",
    );
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("logdedup"))
        .args(["-r", rules.to_str().expect("path"), "--no-default-rules"])
        .args(["--template", "S {count}"])
        .env_remove("LOGDEDUP_RULES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn logdedup");
    let out = Bytes::reading(child.stdout.take().expect("stdout"));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(PROMPT.as_bytes()).expect("write");
    out.wait_for(PROMPT);
    stdin.write_all(b"noise\nnoise\n").expect("write");
    drop(stdin);
    assert_eq!(exit_code(&mut child), Some(0));
    out.wait_for("S 1\n");
    assert_eq!(out.text(), format!("{PROMPT}noise\nS 1\n"));
}

/// `logdedup run python bot.py`: CMD must come after `--`; the error says
/// so, with the command line to type.
#[test]
fn command_before_the_double_dash_gets_the_tip() {
    let out = logdedup()
        .args(["run", "-w", "1m", "python", "bot.py"])
        .output()
        .expect("run logdedup");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tip: the command goes after `--`: 'logdedup run [OPTIONS] -- python bot.py'"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
