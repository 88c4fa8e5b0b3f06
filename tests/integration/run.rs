//! `logdedup run -- CMD` on the real binary: exit statuses, start-up
//! failures, signal forwarding, reaping orphans, stream order.
//!
//! Time limits here are liveness bounds (a hang fails instead of blocking
//! the suite), never performance assertions; waits are on conditions.

use crate::util::{logdedup, wait_until, Live, RuleDir};
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const NOISE: &str = "[[rule]]\nname = \"noise\"\npattern = 'noise'\nwindow = \"1h\"\n";

/// `run` with the noise rule, a `S {count}` template and `extra` options,
/// running `sh -c SCRIPT` (with `$1` the temp dir).
fn live_run(dir: &RuleDir, extra: &[&str], script: &str) -> Live {
    let rules = dir.file("noise.toml", NOISE);
    let mut args: Vec<String> = [
        "run",
        "-r",
        rules.to_str().unwrap(),
        "--no-default-rules",
        "--template",
        "S {count}",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    args.extend(extra.iter().map(ToString::to_string));
    args.extend(
        [
            "--",
            "sh",
            "-c",
            script,
            "sh",
            dir.dir.path().to_str().unwrap(),
        ]
        .iter()
        .map(ToString::to_string),
    );
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Live::spawn(&refs)
}

fn touch(path: &Path) {
    std::fs::write(path, b"").expect("create marker file");
}

#[test]
fn exit_status_of_cmd_is_kept() {
    for (script, code) in [("exit 0", 0), ("exit 3", 3), ("kill -9 $$", 137)] {
        logdedup()
            .args(["run", "--", "sh", "-c", script])
            .assert()
            .code(code);
    }
}

#[test]
fn output_passes_and_noise_is_summarized() {
    let out = logdedup()
        .args(["run", "--", "sh", "-c"])
        .arg("echo hi; for i in 1 2 3 4 5; do echo 'WARNING:asyncio:socket.send() raised exception.'; done; echo bye; exit 3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..2], ["hi", "bye"]);
    assert!(
        lines[2].contains("Pyrogram socket error (occurred 5 times)"),
        "{text}"
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn missing_command_is_127_with_one_line() {
    let out = logdedup()
        .args(["run", "--", "logdedup-no-such-command-anywhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("command not found"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn command_that_is_not_executable_is_126() {
    let dir = RuleDir::new();
    let script = dir.file("not-executable.sh", "#!/bin/sh\necho never\n");
    let out = logdedup()
        .args(["run", "--"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_rules_exit_2_and_cmd_never_starts() {
    let dir = RuleDir::new();
    let bad = dir.file("bad.toml", "[[rule]]\nname = \"x\"\npatern = 'typo'\n");
    let marker = dir.path("started");
    logdedup()
        .args(["run", "-r", bad.to_str().unwrap(), "--", "touch"])
        .arg(&marker)
        .assert()
        .code(2)
        .stdout("");
    assert!(
        !marker.exists(),
        "CMD must not start when the rules are bad"
    );
}

#[test]
fn stdout_and_stderr_keep_the_order_cmd_wrote_them() {
    let out = logdedup()
        .args(["run", "--", "sh", "-c"])
        .arg("i=0; while [ $i -lt 200 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done")
        .output()
        .unwrap();
    assert!(out.status.success());
    let expected: String = (0..200).map(|i| format!("out{i}\nerr{i}\n")).collect();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    assert!(
        out.stderr.is_empty(),
        "CMD's stderr goes through the filter"
    );
}

#[test]
fn sigterm_is_forwarded_and_last_lines_pass_and_are_counted() {
    let dir = RuleDir::new();
    // On SIGTERM the command writes noise and a last line, then exits 5.
    let mut live = live_run(
        &dir,
        &["--stats"],
        "trap 'echo noise; echo noise; echo last words; exit 5' TERM
         echo noise; echo ready
         while :; do sleep 0.02; done",
    );
    assert_eq!(live.next_line(WAIT).as_deref(), Some("ready"));
    live.signal("TERM");
    // Pending summaries first, at once; then CMD's last lines.
    assert_eq!(live.next_line(WAIT).as_deref(), Some("S 1"));
    assert_eq!(live.next_line(WAIT).as_deref(), Some("last words"));
    let status = live.exit_within(WAIT).expect("exits when CMD does");
    assert_eq!(status.code(), Some(5), "CMD's status, not 143");
    assert_eq!(
        live.rest(),
        ["S 2"],
        "the noise after the signal is counted"
    );
    let stats: Vec<String> = live.errors.iter().collect();
    assert!(stats[0].contains("3 suppressed (3 records)"), "{stats:?}");
}

#[test]
fn second_sigterm_ends_logdedup_at_once() {
    let dir = RuleDir::new();
    let stop = dir.path("stop");
    let mut live = live_run(
        &dir,
        &[],
        "trap 'echo got TERM' TERM
         echo noise; echo ready
         while [ ! -e \"$1/stop\" ]; do sleep 0.02; done",
    );
    assert_eq!(live.next_line(WAIT).as_deref(), Some("ready"));
    live.signal("TERM");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("S 1"));
    assert_eq!(live.next_line(WAIT).as_deref(), Some("got TERM"));
    live.signal("TERM");
    let status = live.exit_within(WAIT).expect("second signal ends it");
    assert_eq!(status.code(), Some(143));
    touch(&stop);
}

#[test]
fn explicit_grace_bounds_the_wait_then_cmd_is_killed() {
    let dir = RuleDir::new();
    let mut live = live_run(
        &dir,
        &["--grace", "200ms"],
        "trap 'echo ignoring TERM' TERM
         echo ready
         while :; do sleep 0.02; done",
    );
    assert_eq!(live.next_line(WAIT).as_deref(), Some("ready"));
    live.signal("TERM");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("ignoring TERM"));
    let status = live.exit_within(WAIT).expect("grace ends the wait");
    assert_eq!(status.code(), Some(137), "CMD was killed with SIGKILL");
}

#[test]
fn sighup_reloads_rules_or_is_forwarded() {
    let dir = RuleDir::new();
    let script = "trap 'echo got HUP' HUP
         echo ready
         while [ ! -e \"$1/stop\" ]; do sleep 0.02; done";
    let mut live = live_run(&dir, &["--forward-hup"], script);
    assert_eq!(live.next_line(WAIT).as_deref(), Some("ready"));
    live.signal("HUP");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("got HUP"));
    touch(&dir.path("stop"));
    assert_eq!(live.exit_within(WAIT).and_then(|s| s.code()), Some(0));

    let dir = RuleDir::new();
    let mut live = live_run(&dir, &[], script);
    assert_eq!(live.next_line(WAIT).as_deref(), Some("ready"));
    live.signal("HUP");
    let note = live.next_error(WAIT).expect("a reload note");
    assert!(note.contains("reloaded 1 rules"), "{note}");
    touch(&dir.path("stop"));
    assert_eq!(live.exit_within(WAIT).and_then(|s| s.code()), Some(0));
    assert!(live.rest().is_empty(), "CMD never saw the SIGHUP");
}

/// An orphan of CMD (its parent exited) is re-parented to logdedup, which
/// as a subreaper reaps it when it exits: no zombie stays behind.
#[test]
fn orphaned_grandchild_is_reaped() {
    let dir = RuleDir::new();
    dir.file(
        "middle.sh",
        "sh -c 'echo orphan $$; while [ ! -e \"$1/go\" ]; do sleep 0.02; done' sh \"$1\" &\nexit 0\n",
    );
    let mut live = live_run(
        &dir,
        &[],
        "sh \"$1/middle.sh\" \"$1\"
         echo middle exited
         while [ ! -e \"$1/stop\" ]; do sleep 0.02; done",
    );
    let logdedup_pid = live.child.id().to_string();
    let mut orphan = None;
    for _ in 0..2 {
        let line = live.next_line(WAIT).expect("a line from CMD");
        if let Some(pid) = line.strip_prefix("orphan ") {
            orphan = Some(pid.to_owned());
        }
    }
    let orphan = orphan.expect("the orphan's pid");
    let status_path = format!("/proc/{orphan}/status");
    let ppid = || {
        std::fs::read_to_string(&status_path).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("PPid:").map(|p| p.trim().to_owned()))
        })
    };
    wait_until(WAIT, "the orphan to be re-parented to logdedup", || {
        ppid().as_deref() == Some(logdedup_pid.as_str())
    });
    touch(&dir.path("go"));
    wait_until(WAIT, "the orphan to be reaped", || {
        !Path::new(&status_path).exists()
    });
    touch(&dir.path("stop"));
    assert_eq!(live.exit_within(WAIT).and_then(|s| s.code()), Some(0));
}

#[test]
fn python_unbuffered_is_set_unless_kept_or_present() {
    let script = "echo \"[${PYTHONUNBUFFERED-unset}]\"";
    logdedup()
        .env_remove("PYTHONUNBUFFERED")
        .args(["run", "--", "sh", "-c", script])
        .assert()
        .success()
        .stdout("[1]\n");
    logdedup()
        .env_remove("PYTHONUNBUFFERED")
        .args(["run", "--keep-env", "--", "sh", "-c", script])
        .assert()
        .success()
        .stdout("[unset]\n");
    logdedup()
        .env("PYTHONUNBUFFERED", "")
        .args(["run", "--", "sh", "-c", script])
        .assert()
        .success()
        .stdout("[]\n");
}

#[test]
fn files_before_the_double_dash_are_refused() {
    logdedup()
        .args(["run", "python", "bot.py"])
        .assert()
        .code(2)
        .stdout("");
}
