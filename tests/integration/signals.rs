//! Signals on the real binary: SIGINT/SIGTERM with a grace period, a second
//! signal, signals mid-line, SIGHUP reload and SIGUSR1 statistics.
//!
//! Time limits here are liveness bounds (a hang fails instead of blocking the
//! suite), never performance assertions.

use crate::util::{Live, RuleDir};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const NOISE: &str = "[[rule]]\nname = \"noise\"\npattern = 'noise'\nwindow = \"1h\"\n";

fn live_with_noise_rule(dir: &RuleDir, extra: &[&str]) -> Live {
    let rules = dir.file("noise.toml", NOISE);
    let mut args = vec![
        "-r",
        rules.to_str().unwrap(),
        "--no-default-rules",
        "--template",
        "S {count}",
    ];
    args.extend_from_slice(extra);
    let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Live::spawn(&refs)
}

/// Sends noise and a passing line, and waits until the latter is out: from
/// then on the noise is known to be counted.
fn prime(live: &mut Live, noise: usize) {
    live.send(&"noise\n".repeat(noise));
    live.send("real\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("real"));
}

#[test]
fn sigterm_summarizes_at_once_then_passes_input_until_eof() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &["--grace", "30s"]);
    prime(&mut live, 3);
    live.signal("TERM");
    // The window is an hour long: only the signal can produce this now.
    assert_eq!(live.next_line(WAIT).as_deref(), Some("S 3"));
    live.send("shutting down\nnoise\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("shutting down"));
    let (status, rest, _) = live.wait();
    assert_eq!(
        status.code(),
        Some(0),
        "EOF reached within the grace period"
    );
    assert_eq!(rest, ["S 1"], "grace-period noise summarized at the end");
}

#[test]
fn sigint_ends_after_the_grace_period_with_130() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &["--grace", "300ms"]);
    prime(&mut live, 2);
    live.signal("INT");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("S 2"));
    live.send("noise\nlast words\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("last words"));
    // stdin stays open: only the grace period can end the run.
    let status = live
        .exit_within(WAIT)
        .expect("exits after the grace period");
    assert_eq!(status.code(), Some(130));
    assert_eq!(live.rest(), ["S 1"]);
}

#[test]
fn sigterm_after_grace_exits_143() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &["--grace", "200ms"]);
    prime(&mut live, 1);
    live.signal("TERM");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("S 1"));
    let status = live
        .exit_within(WAIT)
        .expect("exits after the grace period");
    assert_eq!(status.code(), Some(143));
}

#[test]
fn second_signal_ends_at_once_after_the_summaries() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &["--grace", "1h"]);
    prime(&mut live, 1);
    live.signal("TERM");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("S 1"));
    live.send("noise\nnoise\nmore\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("more"));
    live.signal("INT");
    let status = live.exit_within(WAIT).expect("second signal ends the run");
    assert_eq!(status.code(), Some(130));
    assert_eq!(live.rest(), ["S 2"]);
}

#[test]
fn signal_mid_line_loses_nothing() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &["--grace", "30s"]);
    prime(&mut live, 0);
    live.send("a line cut in ha");
    live.signal("TERM");
    live.send("lf by the signal\n");
    assert_eq!(
        live.next_line(WAIT).as_deref(),
        Some("a line cut in half by the signal")
    );
    let (status, rest, _) = live.wait();
    assert_eq!(status.code(), Some(0));
    assert!(rest.is_empty());
}

#[test]
fn grace_expiring_mid_line_writes_the_partial_line() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &["--grace", "200ms"]);
    prime(&mut live, 1);
    live.send("unfinished");
    live.signal("TERM");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("S 1"));
    let status = live
        .exit_within(WAIT)
        .expect("exits after the grace period");
    assert_eq!(status.code(), Some(143));
    assert_eq!(live.rest(), ["unfinished"]);
}

#[test]
fn sighup_reloads_rules_and_keeps_surviving_windows() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &[]);
    prime(&mut live, 2);
    // Same rule name, new pattern, plus a new rule.
    dir.file(
        "noise.toml",
        "[[rule]]\nname = \"noise\"\npattern = 'hum'\nwindow = \"1h\"\n[[rule]]\nname = \"new\"\npattern = 'fresh'\n",
    );
    live.signal("HUP");
    let note = live.next_error(WAIT).expect("reload reported");
    assert!(note.contains("reloaded 2 rules"), "{note}");
    live.send("hum\nnoise\nfresh\n");
    assert_eq!(
        live.next_line(WAIT).as_deref(),
        Some("noise"),
        "old pattern no longer applies"
    );
    let (status, rest, _) = live.wait();
    assert!(status.success());
    // The surviving window counted 2 before the reload and 1 after it.
    assert_eq!(rest, ["S 3", "S 1"]);
}

#[test]
fn sighup_with_bad_rules_keeps_the_old_ones() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &[]);
    prime(&mut live, 1);
    dir.file("noise.toml", "[[rule]]\nname = \"noise\"\npatern = 'hum'\n");
    live.signal("HUP");
    let note = live.next_error(WAIT).expect("failure reported");
    assert!(
        note.contains("reload failed, keeping the old rules"),
        "{note}"
    );
    assert!(
        note.contains("noise.toml:3:1: rule \"noise\": unknown field `patern`"),
        "{note}"
    );
    live.send("noise\nreal again\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("real again"));
    let (status, rest, _) = live.wait();
    assert!(status.success());
    assert_eq!(rest, ["S 2"]);
}

#[test]
fn sigusr1_prints_statistics_and_goes_on() {
    let dir = RuleDir::new();
    let mut live = live_with_noise_rule(&dir, &[]);
    prime(&mut live, 4);
    live.signal("USR1");
    let line = live.next_error(WAIT).expect("stats printed");
    assert_eq!(
        line,
        "logdedup: 5 lines in, 1 passed, 4 suppressed (4 records), 0 summaries"
    );
    live.send("still here\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("still here"));
    let (status, rest, _) = live.wait();
    assert!(status.success());
    assert_eq!(rest, ["S 4"]);
}

/// With a terminal on stdin there is no upstream to wait for: the first
/// Ctrl-C ends the run. Needs python3 for a pseudo-terminal.
#[test]
fn first_ctrl_c_ends_at_once_when_stdin_is_a_terminal() {
    let bin = crate::util::bin();
    let script = r#"
import os, pty, signal, subprocess, sys, time
master, slave = os.openpty()
p = subprocess.Popen([sys.argv[1], "--grace", "1h"], stdin=slave, stdout=subprocess.PIPE)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    with open(f"/proc/{p.pid}/status") as f:
        caught = next((int(l.split()[1], 16) for l in f if l.startswith("SigCgt:")), 0)
    if caught & (1 << 1):
        break
    time.sleep(0.002)
p.send_signal(signal.SIGINT)
try:
    print(p.wait(timeout=10))
except subprocess.TimeoutExpired:
    p.kill()
    print("still running")
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&bin)
        .output()
        .expect("python3 is needed to open a pseudo-terminal");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "130",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sighup_summarizes_a_removed_rule_under_its_own_name() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "r.toml",
        "[[rule]]\nname = \"a\"\npattern = 'aaa'\n[[rule]]\nname = \"b\"\npattern = 'bbb'\n",
    );
    let mut live = Live::spawn(&[
        "-r",
        rules.to_str().unwrap(),
        "--template",
        "{rule} {count}",
    ]);
    live.send("bbb\nbbb\nhello\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("hello"));
    // "b" goes away; "c" takes its place in the list.
    dir.file(
        "r.toml",
        "[[rule]]\nname = \"a\"\npattern = 'aaa'\n[[rule]]\nname = \"c\"\npattern = 'ccc'\n",
    );
    live.signal("HUP");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("b 2"));
    let (status, rest, err) = live.wait();
    assert!(status.success(), "{err}");
    assert!(rest.is_empty(), "{rest:?}");
}
