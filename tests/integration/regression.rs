//! Regression tests, one per way the filter was once hurt: a summary broken
//! in two, a hang on a FIFO, a memory blow-up while compiling rules, a
//! stream stalled by an unread stderr, a log clock frozen at New Year...
//! Each test is named `rNN_...` after the bug it pins, NN its own id (a new
//! bug takes the next free number), and its `// NN.` comment says what
//! broke. Most spawn the real binary, because the defects were in the I/O
//! shell. Time limits are liveness bounds (a hang fails the test instead of
//! blocking the suite); waits are on conditions with deadlines, never fixed
//! sleeps.

use crate::util::{
    exit_within, kill, line_containing, lines_of, lines_so_far, logdedup, mkfifo, peak_rss_kib,
    proc_status, spawn_piped, std_command, wait_for_signal_handlers, wait_until, written_lines,
    written_text, Live, RuleDir, SOCKET_LINE,
};
use predicates::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// Runs logdedup with `args` and no input; returns its exit code, stderr
/// and peak resident set in KiB (from wait4's rusage).
#[allow(clippy::zombie_processes)] // reaped by wait4, which std cannot see
fn run_measured(args: &[&str]) -> (Option<i32>, String, u64) {
    let mut child = std_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, which std has not reaped.
    let pid = unsafe { libc::wait4(child.id() as i32, &raw mut status, 0, &raw mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, reader.join().expect("stderr"), usage.ru_maxrss as u64)
}

/// `{rule} {count}` summaries in `lines`: the sum of their counts.
fn sum_counts(lines: &[String], rule: &str) -> u64 {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("{rule} ")))
        .map(|n| n.trim().parse::<u64>().expect("count"))
        .sum()
}

const SOCK: [&str; 3] = ["--no-default-rules", "-e", r"sock=socket\.send"];

// 1. A summary used to take line breaks from `--template` or `--time-format`
//    (`%n`, a newline, `\r`), splitting one summary into two lines that a
//    log shipper reads as two records; an empty one printed blank lines.
#[test]
fn r01_summary_templates_and_time_formats_cannot_break_a_summary_line() {
    let refused: [&[&str]; 8] = [
        &["--template", "{rule}\n{count}"],
        &["--template", "{rule}\r{count}"],
        &["--template", ""],
        &["--time-format", "%n"],
        &["--time-format", "%Y\n%H"],
        &["--time-format", "%H\r"],
        &["--time-format", ""],
        &[
            "--time-format",
            "%Y%n",
            "--format",
            "text",
            "--template",
            "{time}",
        ],
    ];
    for args in refused {
        let out = logdedup()
            .args(args)
            .write_stdin(SOCKET_LINE)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    // A tab keeps the summary on one line.
    logdedup()
        .args(SOCK)
        .args(["--template", "{rule}\t{count}", "--time-format", "%H%t%M"])
        .write_stdin(SOCKET_LINE)
        .assert()
        .success()
        .stdout("sock\t1\n");
    // Values taken from log lines are escaped.
    let dir = RuleDir::new();
    let rules = dir.file(
        "k.toml",
        "[[rule]]\nname = \"k\"\npattern = 'k=(?P<k>[^ ]+)'\nkey = \"{k}\"\nmessage = \"got {k}\"\n",
    );
    let out = logdedup()
        .args(["--no-default-rules", "-r", rules.to_str().unwrap()])
        .args(["--template", "{message} {key} {count}"])
        .write_stdin("k=a\rb\x1bc end\n")
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 1, "{text:?}");
    assert!(text.contains(r"a\rb\x1bc"), "{text:?}");
    // Rule fields (checked when the rules load).
    for body in [
        "name = \"r\\nx\"\npattern = 'x'",
        "name = \"r\"\npattern = 'x'\nmessage = \"two\\nlines\"",
        "name = \"r\"\npattern = 'x'\nnote = \"a\\rb\"",
        "name = \"r\"\npattern = 'x(?P<a>.)'\nkey = \"{a}\\n\"",
    ] {
        let file = dir.file("bad.toml", &format!("[[rule]]\n{body}\n"));
        let out = logdedup()
            .args(["--no-default-rules", "-r", file.to_str().unwrap()])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{body}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
}

// 2. An error quoting a multi-line pattern (TOML '''...''', `(?x)`) used to
//    print the pattern's line breaks, so one error became several lines.
#[test]
fn r02_errors_quoting_multiline_or_long_patterns_are_one_line() {
    let dir = RuleDir::new();
    let long = format!("{}(", "abc".repeat(100));
    let cases = [
        "[[rule]]\nname = \"m\"\npattern = '''\n(?x)\n  socket \\. send (\n'''\n".to_owned(),
        format!("[[rule]]\nname = \"m\"\npattern = '{long}'\n"),
        "[input]\ntimestamp = { pattern = '''\n(?x) (\n''', format = \"%Y\" }\n\
         [[rule]]\nname = \"m\"\npattern = 'x'\n"
            .to_owned(),
        "[input]\nrecord_start = '''\n(?x) ^ \\d (\n'''\n[[rule]]\nname = \"m\"\npattern = 'x'\n"
            .to_owned(),
    ];
    for text in &cases {
        let file = dir.file("m.toml", text);
        let out = logdedup()
            .args(["--no-default-rules", "-r", file.to_str().unwrap()])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(r"\n") || err.contains('…'), "{err}");
    }
    // Two files framing differently, one with a multi-line pattern.
    let a = dir.file(
        "a.toml",
        "[input]\nrecord_start = '''\n(?x) ^ \\d\n'''\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
    );
    let b = dir.file(
        "b.toml",
        "[input]\nrecord_start = '^y'\n[[rule]]\nname = \"b\"\npattern = 'y'\n",
    );
    let out = logdedup()
        .args(["--no-default-rules", "-r", a.to_str().unwrap()])
        .args(["-r", b.to_str().unwrap()])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    // A framing pattern on the command line.
    let out = logdedup()
        .args(["--record-start", "(?x)\n ^ \\d\n ("])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (out.status.code(), err.lines().count()),
        (Some(2), 1),
        "{err}"
    );
}

// 3. A framing pattern that matches every line made the whole stream one
//    record (or every line its own), silently.
#[test]
fn r03_framing_pattern_that_matches_every_line_is_refused() {
    for args in [
        ["--continuation", ".*"],
        ["--continuation", "^"],
        ["--record-start", r"\s*"],
        ["--record-start", ".*"],
    ] {
        let out = logdedup().args(args).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            err.starts_with(&format!("logdedup: {}: ", args[0])),
            "{err}"
        );
        assert!(err.contains("matches every line"), "{err}");
    }
    let dir = RuleDir::new();
    let file = dir.file(
        "f.toml",
        "[input]\ncontinuation = '\\s*'\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
    );
    let out = logdedup()
        .args(["--no-default-rules", "-r", file.to_str().unwrap()])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("[input] continuation") && err.contains("matches every line"),
        "{err}"
    );
}

// 4. With framing on, counts are records, not lines; README said "lines",
//    and nothing checked that both books balance.
#[test]
fn r04_framed_counts_are_records_and_both_identities_hold() {
    let dir = RuleDir::new();
    let stats = dir.path("stats.json");
    let audit = dir.path("audit.log");
    let boom = "2025-01-01 00:00:00,000 - app - ERROR - boom\nTraceback (most recent call last):\n  File \"x.py\", line 1\nValueError: x\n";
    let hello = "2025-01-01 00:00:01,000 - app - INFO - hello\n";
    let input = format!("{}{}{}", boom.repeat(5), hello.repeat(3), boom.repeat(2));
    // A rule that takes its record whole (traceback included).
    let rules = dir.file(
        "boom.toml",
        "[[rule]]\nname = \"boom\"\npattern = 'boom'\nmultiline = true\n",
    );
    let out = logdedup()
        .args([
            "--no-default-rules",
            "-r",
            rules.to_str().unwrap(),
            "--format",
            "json",
        ])
        .args(["--record-start", r"^\d{4}-"])
        .args(["--stats-file", stats.to_str().unwrap()])
        .args(["--suppressed-to", audit.to_str().unwrap()])
        .write_stdin(input)
        .output()
        .expect("run");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let summed: u64 = stdout
        .lines()
        .filter(|l| l.contains("\"logdedup\":\"summary\""))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["count"]
                .as_u64()
                .expect("count")
        })
        .sum();
    let s: serde_json::Value = serde_json::from_str(&written_text(&stats)).expect("json");
    let n = |a: &str, b: &str| s[a][b].as_u64().expect("number");
    assert_eq!(n("records", "in"), 10);
    assert_eq!(n("lines", "in"), 31);
    assert_eq!(summed, 7, "counts are records");
    assert_eq!(n("records", "in"), n("records", "passed") + summed);
    assert_eq!(
        n("lines", "in"),
        n("lines", "passed") + n("lines", "suppressed")
    );
    assert_eq!(written_lines(&audit).len() as u64, n("lines", "suppressed"));
}

// 5. A rule file that was a FIFO (or a directory holding one, or a device)
//    hung start-up until a writer came.
#[test]
fn r05_rule_file_that_is_a_fifo_or_device_is_refused_at_once() {
    let dir = RuleDir::new();
    let fifo = dir.path("fifo.toml");
    mkfifo(&fifo);
    let sub = dir.path("d");
    std::fs::create_dir(&sub).expect("mkdir");
    dir.file("d/a.toml", "[[rule]]\nname = \"a\"\npattern = 'a'\n");
    mkfifo(&sub.join("b.toml"));
    for path in [fifo.as_path(), sub.as_path(), Path::new("/dev/zero")] {
        let out = logdedup()
            .args(["--no-default-rules", "-r", path.to_str().unwrap()])
            .timeout(WAIT)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path:?}: {err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

// 20. A SIGHUP reload from a rule file that had become a FIFO hung as well,
//     and the reload ran on the data path: the stream stopped.
#[test]
fn r20_reload_from_a_fifo_fails_and_the_stream_goes_on() {
    let dir = RuleDir::new();
    let rules = dir.file("r.toml", "[[rule]]\nname = \"a\"\npattern = 'noise'\n");
    let mut live = Live::spawn(&["--no-default-rules", "-r", rules.to_str().unwrap()]);
    // Running (the rules are loaded) once a line comes through.
    live.send("ready\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("ready"));
    std::fs::remove_file(&rules).expect("rm");
    mkfifo(&rules);
    live.signal("HUP");
    let note = live.next_error(WAIT).expect("reload reported");
    assert!(
        note.contains("reload failed") && note.contains("not a regular file"),
        "{note}"
    );
    live.send("still flowing\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("still flowing"));
    let (status, _, _) = live.wait();
    assert!(status.success());
}

/// 300 rules of the kind a brute-force detector has.
fn login_rules() -> String {
    (0..300)
        .map(|i| {
            format!(
                "[[rule]]\nname = \"login-{i}\"\n\
                 pattern = 'user \\w+ failed login from (?P<ip>\\d+\\.\\d+\\.\\d+\\.\\d+) code {i}$'\n\
                 key = \"{{ip}}\"\n"
            )
        })
        .collect()
}

/// A rule set far over the compile budget, in 6 KB: each `\w{200}` is a
/// big automaton (Unicode \w), each just under the per-pattern limit.
fn hostile_rules() -> String {
    (0..120)
        .map(|i| format!("[[rule]]\nname = \"h{i}\"\npattern = '\\w{{200}}x{i}'\n"))
        .collect()
}

// 6. Large ordinary rule sets were refused once the combined automaton got
//    too big; now they fall back to matching rule by rule. They must load
//    and match the right rule.
#[test]
fn r06_large_ordinary_rule_sets_load_and_match_the_right_rule() {
    let dir = RuleDir::new();
    let logins = dir.file("logins.toml", &login_rules());
    let alternatives: Vec<String> = (0..3000).map(|i| format!("word{i}x")).collect();
    let alts = dir.file(
        "alts.toml",
        &format!(
            "[[rule]]\nname = \"alts\"\npattern = 'error (?:{}) here'\n",
            alternatives.join("|")
        ),
    );
    let wide: String = (0..12)
        .map(|i| format!("[[rule]]\nname = \"w40-{i}\"\npattern = 'token{i} \\w{{40}}'\n"))
        .collect();
    let wide = dir.file("wide.toml", &wide);
    let input = format!(
        "user bob failed login from 10.0.0.1 code 150\n\
         user eve failed login from 10.0.0.2 code 299\n\
         error word2999x here\n\
         token11 {}\n\
         an ordinary line\n",
        "a".repeat(40)
    );
    let start = Instant::now();
    let out = logdedup()
        .args(["--no-default-rules", "--template", "{rule} {count}"])
        .args(["-r", logins.to_str().unwrap(), "-r", alts.to_str().unwrap()])
        .args(["-r", wide.to_str().unwrap()])
        .write_stdin(input)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "alts 1",
            "an ordinary line",
            "login-150 1",
            "login-299 1",
            "w40-11 1"
        ]
    );
    // A liveness bound for an unoptimized build, not a benchmark.
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

// 7. Compiling rules had no memory bound: a 16 KB hostile rule file took
//    930 MiB, a 170 KB one aborted under a 2 GiB limit. Now a load has a
//    compile budget and the rule that tips it over is named.
#[test]
fn r07_rule_set_over_the_compile_budget_is_refused_within_bounded_memory() {
    let dir = RuleDir::new();
    let hostile = dir.file("hostile.toml", &hostile_rules());
    let (code, err, peak_kib) =
        run_measured(&["--no-default-rules", "-r", hostile.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("hostile.toml:"), "names the file: {err}");
    assert!(err.contains("rule \"h"), "names the rule: {err}");
    assert!(err.contains("too big to compile"), "{err}");
    assert!(
        err.contains("make the pattern smaller"),
        "says what to do: {err}"
    );
    // The budget (512 MiB) plus the process and one pattern being measured.
    assert!(peak_kib < 800 * 1024, "peak RSS {peak_kib} KiB");
}

// 21. On SIGHUP the running filter compiled such a file too (see 7), and
//     aborted, losing every count. A reload that fails keeps the rules and
//     the counts.
#[test]
fn r21_failed_reload_keeps_the_old_rules_and_the_counts() {
    let dir = RuleDir::new();
    // An hour-long window: the refused reload may take longer than the
    // default one on a busy machine, and a window closing in between would
    // split the five lines into two summaries.
    let rules = dir.file(
        "r.toml",
        "[[rule]]\nname = \"sock\"\npattern = 'socket'\nwindow = \"1h\"\n",
    );
    let mut live = Live::spawn(&[
        "--no-default-rules",
        "-r",
        rules.to_str().unwrap(),
        "--template",
        "{rule} {count}",
    ]);
    live.send(&SOCKET_LINE.repeat(3));
    live.send("mark\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("mark"));
    std::fs::write(&rules, hostile_rules()).expect("write");
    live.signal("HUP");
    let note = live
        .next_error(Duration::from_secs(120))
        .expect("reload reported");
    assert!(
        note.contains("reload failed, keeping the old rules"),
        "{note}"
    );
    live.send(&SOCKET_LINE.repeat(2));
    let (status, rest, err) = live.wait();
    assert!(status.success(), "{status:?}: {err}");
    assert_eq!(rest, ["sock 5"]);
}

// 8. A signal during start-up (before the rules had loaded) killed the
//    process: SIGHUP's and SIGUSR1's default action is to terminate.
#[test]
fn r08_signals_during_start_up_do_not_kill_the_process() {
    let dir = RuleDir::new();
    let slow = dir.file("slow.toml", &login_rules());
    let mut child = std_command()
        .args(["--no-default-rules", "-r", slow.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    // HUP (1) and USR1 (10) caught while the process is still one thread:
    // the filter's threads start only once the rules are loaded.
    const WANTED: u64 = 1 | (1 << 9);
    let deadline = Instant::now() + WAIT;
    loop {
        let name = proc_status(pid, "Name:").unwrap_or_default();
        let caught = proc_status(pid, "SigCgt:")
            .and_then(|h| u64::from_str_radix(&h, 16).ok())
            .unwrap_or(0);
        let threads = proc_status(pid, "Threads:").unwrap_or_default();
        if name == "logdedup" && caught & WANTED == WANTED {
            assert_eq!(threads, "1", "handlers must be in place during start-up");
            kill(pid, libc::SIGHUP);
            kill(pid, libc::SIGUSR1);
            break;
        }
        assert!(Instant::now() < deadline, "no signal handlers");
        thread::sleep(Duration::from_millis(1));
    }
    let errors = lines_of(child.stderr.take().expect("stderr"));
    // The queued SIGHUP reloads once the filter runs.
    let reloaded = line_containing(&errors, "reloaded 300 rules", Duration::from_secs(120));
    assert!(
        reloaded.is_some(),
        "the SIGHUP sent during start-up was served"
    );
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"alive\n").expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "alive\n");
}

// 9. SIGTERM while stdout was blocked (its reader stopped reading): the
//    main thread sat in write(2) and no number of signals ended it; the
//    summaries were lost with it.
#[test]
fn r09_second_signal_ends_a_run_whose_stdout_nobody_reads() {
    let dir = RuleDir::new();
    let summary = dir.path("summary.log");
    let mut child = spawn_piped(&[
        "--no-default-rules",
        "-e",
        r"sock=socket\.send",
        "--summary-to",
        summary.to_str().unwrap(),
        "--template",
        "{rule} {count}",
    ]);
    let _stdout_never_read = child.stdout.take();
    let errors = lines_of(child.stderr.take().expect("stderr"));
    let mut stdin = child.stdin.take().expect("stdin");
    let written = Arc::new(AtomicUsize::new(0));
    let progress = Arc::clone(&written);
    thread::spawn(move || {
        if stdin.write_all(SOCKET_LINE.repeat(10).as_bytes()).is_err() {
            return;
        }
        let filler = format!("{}\n", "a passing line ".repeat(6));
        for _ in 0..100_000 {
            if stdin.write_all(filler.as_bytes()).is_err() {
                return;
            }
            progress.fetch_add(filler.len(), Ordering::SeqCst);
        }
    });
    // Every pipe and buffer on the way is full once the writer stops
    // moving.
    let mut last = (usize::MAX, Instant::now());
    wait_until(WAIT, "the pipeline to fill up", || {
        let now = written.load(Ordering::SeqCst);
        if now != last.0 {
            last = (now, Instant::now());
        }
        now > 0 && last.1.elapsed() > Duration::from_millis(300)
    });
    let start = Instant::now();
    let status = loop {
        kill(child.id(), libc::SIGTERM);
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("still running 10 s after SIGTERMs with stdout blocked");
        }
        thread::sleep(Duration::from_millis(100));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!((status.code(), status.signal()), (Some(143), None));
    assert_eq!(
        written_lines(&summary),
        ["sock 10"],
        "summaries written to the file"
    );
    let errors: Vec<String> = errors.iter().collect();
    assert!(!errors.iter().any(|e| e.contains("panicked")), "{errors:?}");
}

// 10. SIGUSR1 statistics were written to stderr on the data path: with a
//     stderr nobody reads, the pipe filled and the stream stopped.
#[test]
fn r10_sigusr1_statistics_with_stderr_unread_never_stall_the_stream() {
    let mut child = spawn_piped(&[]);
    let _stderr_never_read = child.stderr.take();
    let lines = lines_of(child.stdout.take().expect("stdout"));
    let mut stdin = child.stdin.take().expect("stdin");
    for i in 0..800 {
        kill(child.id(), libc::SIGUSR1);
        if i % 5 == 4 {
            writeln!(stdin, "line {i}").expect("write");
            stdin.flush().expect("flush");
            let got = lines.recv_timeout(WAIT).ok();
            assert_eq!(
                got,
                Some(format!("line {i}")),
                "stream stalled after {i} SIGUSR1"
            );
        }
    }
    drop(stdin);
    let status = exit_within(&mut child, WAIT, "EOF");
    assert!(status.success());
}

// 11. A closed stdout (EPIPE) ended the run; the counts that have another
//     home (a summary file) must still be written there in full.
#[test]
fn r11_closed_stdout_keeps_every_count_in_the_summary_file() {
    let dir = RuleDir::new();
    let summary = dir.path("summary.log");
    let audit = dir.path("audit.log");
    let mut child = spawn_piped(&[
        "--no-default-rules",
        "-e",
        r"sock=socket\.send",
        "--summary-to",
        summary.to_str().unwrap(),
        "--suppressed-to",
        audit.to_str().unwrap(),
        "--template",
        "{rule} {count}",
    ]);
    let mut stdin = child.stdin.take().expect("stdin");
    thread::spawn(move || {
        for i in 0..200_000 {
            let line = if i % 3 == 0 {
                SOCKET_LINE.to_owned()
            } else {
                format!("passing line {i}\n")
            };
            if stdin.write_all(line.as_bytes()).is_err() {
                return;
            }
        }
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let mut head = [0u8; 100];
    stdout.read_exact(&mut head).expect("some output");
    drop(stdout);
    let status = exit_within(&mut child, WAIT, "closed stdout");
    assert!(status.success(), "{status:?}");
    let suppressed = written_lines(&audit).len() as u64;
    assert!(suppressed > 0);
    assert_eq!(sum_counts(&written_lines(&summary), "sock"), suppressed);
}

// 12. A reload that shortened a window (1 h to 1 s): windows opened after
//     it closed only when the old hour-long window ahead of them did.
#[test]
fn r12_reload_that_shortens_a_window_closes_new_windows_on_time() {
    let dir = RuleDir::new();
    let rule = |window: &str| {
        format!(
            "[[rule]]\nname = \"k\"\npattern = 'key=(?P<k>\\w+)'\nkey = \"{{k}}\"\nwindow = \"{window}\"\n"
        )
    };
    let rules = dir.file("k.toml", &rule("1h"));
    let mut live = Live::spawn(&[
        "--no-default-rules",
        "-r",
        rules.to_str().unwrap(),
        "--template",
        "{rule} {key} {count}",
    ]);
    live.send("key=old\nmark\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("mark"));
    std::fs::write(&rules, rule("1s")).expect("write");
    live.signal("HUP");
    let note = live.next_error(WAIT).expect("reload reported");
    assert!(note.contains("reloaded 1 rules"), "{note}");
    live.send("key=new\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("k new 1"));
    live.close_stdin();
    let (status, rest, _) = live.wait();
    assert!(status.success());
    assert_eq!(rest, ["k old 1"]);
}

// 13. Keys had no length bound: 200 distinct keys of 1 MiB each were all
//     kept, hundreds of MiB. Keys past 256 bytes are now hashed.
#[test]
fn r13_long_keys_stay_bounded_in_memory() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "k.toml",
        "[[rule]]\nname = \"k\"\npattern = '^K(?P<k>.+)$'\nkey = \"{k}\"\nwindow = \"1h\"\n",
    );
    let mut child = spawn_piped(&["--no-default-rules", "-r", rules.to_str().unwrap()]);
    let lines = lines_of(child.stdout.take().expect("stdout"));
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = thread::spawn(move || {
        let filler = "x".repeat((1 << 20) - 64);
        for i in 0..200 {
            writeln!(stdin, "K{i:05}{filler}").expect("write");
        }
        writeln!(stdin, "DONE").expect("write");
        stdin
    });
    let done = lines.recv_timeout(Duration::from_secs(120));
    assert_eq!(done.as_deref().ok(), Some("DONE"));
    let peak = peak_rss_kib(child.id());
    drop(writer.join().expect("writer"));
    let status = exit_within(&mut child, WAIT, "EOF");
    assert!(status.success());
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB with 200 keys of 1 MiB"
    );
    assert_eq!(lines.iter().count(), 200, "one summary per key");
}

// 14. `--clock log` over syslog stamps, which carry no year: `Jan  1` after
//     `Dec 31` read as January of the same year, earlier, so the log clock
//     stood still at New Year's Eve and no window closed.
#[test]
fn r14_syslog_new_year_moves_the_log_clock_on() {
    let input = "Dec 31 23:59:30 host bot[1]: socket.send() raised exception.\n\
                 Dec 31 23:59:40 host bot[1]: socket.send() raised exception.\n\
                 Jan  1 00:05:00 host bot[1]: happy new year\n";
    logdedup()
        .args(SOCK)
        .args(["--clock", "log", "-w", "1m", "--template", "{rule} {count}"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("sock 2\nJan  1 00:05:00 host bot[1]: happy new year\n");
}

// 15. `--clock log` across the fall-back hour of daylight saving time:
//     local times repeat, the second pass read as the first (earlier), the
//     clock stood still for an hour and windows merged.
#[test]
fn r15_dst_fall_back_hour_does_not_merge_windows() {
    let line = |hm: &str| {
        format!("2025-10-26 {hm}:00,000 - asyncio - WARNING - socket.send() raised exception.\n")
    };
    // Berlin: 02:00-03:00 happens twice on 2025-10-26 (CEST, then CET).
    let input = [line("02:50"), line("02:55"), line("02:05"), line("02:06")].concat();
    logdedup()
        .env("TZ", "Europe/Berlin")
        .args(SOCK)
        .args([
            "--clock",
            "log",
            "-w",
            "10m",
            "--template",
            "{rule} {count} {first}",
        ])
        .write_stdin(input)
        .assert()
        .success()
        .stdout(
            "sock 2 2025-10-26 02:50:00\n\
             sock 2 2025-10-26 02:05:00\n",
        );
}

// 16. `--format text` with `--template` must use the template: the two
//     options go together.
#[test]
fn r16_text_format_takes_a_template() {
    logdedup()
        .args(SOCK)
        .args(["--format", "text", "--template", "{rule}={count}"])
        .write_stdin(SOCKET_LINE)
        .assert()
        .success()
        .stdout("sock=1\n");
}

// 22. `0hms` (and `0x`) was taken as a zero grace: the check trimmed the
//     unit letters off instead of parsing the duration.
#[test]
fn r22_malformed_zero_durations_are_refused_everywhere() {
    for args in [
        ["--grace", "0hms"],
        ["--grace", "0x"],
        ["-w", "0hms"],
        ["--stats-interval", "0hms"],
    ] {
        logdedup().args(args).assert().code(2);
    }
    let dir = RuleDir::new();
    let file = dir.file(
        "w.toml",
        "[[rule]]\nname = \"a\"\npattern = 'a'\nwindow = \"0hms\"\n",
    );
    logdedup()
        .args(["--no-default-rules", "-r", file.to_str().unwrap()])
        .assert()
        .code(2);
    for zero in ["0", "0s", "0ms"] {
        logdedup()
            .args(["--grace", zero])
            .write_stdin("x\n")
            .assert()
            .success();
    }
}

// 23. A count of one must read "occurred 1 time", in the singular.
#[test]
fn r23_one_suppressed_line_reads_1_time() {
    let out = logdedup()
        .args(SOCK)
        .write_stdin(SOCKET_LINE)
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.ends_with("| INFO | sock (occurred 1 time)\n"),
        "{text}"
    );
}

/// Counts the allocations of the current thread.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

// 24. `--clock log` allocated for every line (a `Captures` per timestamp
//     pattern tried, a Vec per zone offset).
#[test]
fn r24_log_clock_allocates_nothing_per_line() {
    use logdedup::records::{LogClock, TimestampSpec};
    let lines: [&[u8]; 6] = [
        b"2022-01-07 15:23:27,046 - asyncio - WARNING - x",
        b"  File \"x.py\", line 1, in <module>",
        b"2025-11-20T16:32:54.5+02:00 docker",
        b"bot-1  | 2022-01-07 15:23:28,046 - asyncio - WARNING - x",
        b"Mar  4 03:22:41 host python3[2211]: hi",
        b"[31-Dec-23 20:40:50 - WARNING] - pyrogram",
    ];
    let custom = TimestampSpec::Custom {
        pattern: regex::bytes::Regex::new(r"^(\S+ \S+)").expect("regex"),
        format: "%Y/%m/%d %H:%M:%S".into(),
    };
    for spec in [TimestampSpec::Auto, custom] {
        let mut clock = LogClock::new(spec, true, 2025);
        // The first pass compiles the preset patterns once.
        for line in lines {
            clock.time_of(line);
        }
        let before = ALLOCATIONS.with(Cell::get);
        for _ in 0..1000 {
            for line in lines {
                std::hint::black_box(clock.time_of(line));
            }
            std::hint::black_box(clock.time_of(b"2025/11/20 16:32:54 custom"));
        }
        let after = ALLOCATIONS.with(Cell::get);
        assert_eq!(after - before, 0, "allocations in 7000 lines");
    }
}

// 17. Shutdown cut the producer's last lines: after SIGTERM to the whole
//     process group, input passed for only 2 s, while the program (say, a
//     bot closing its sessions) went on logging for longer.
#[test]
fn r17_shutdown_passes_the_producers_last_lines_until_eof() {
    let script = "trap 'stop=1' TERM; stop=0; echo started; \
                  while [ $stop = 0 ]; do sleep 0.05; done; \
                  i=0; while [ $i -lt 30 ]; do echo \"last words $i\"; i=$((i+1)); sleep 0.1; done";
    use std::os::unix::process::CommandExt;
    let mut producer = Command::new("sh")
        .args(["-c", script])
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("spawn sh");
    let group = producer.id();
    let mut filter = std_command()
        .stdin(Stdio::from(producer.stdout.take().expect("pipe")))
        .stdout(Stdio::piped())
        .process_group(group as i32)
        .spawn()
        .expect("spawn logdedup");
    wait_for_signal_handlers(filter.id());
    let lines = lines_of(filter.stdout.take().expect("stdout"));
    assert_eq!(lines.recv_timeout(WAIT).ok().as_deref(), Some("started"));
    let start = Instant::now();
    // SAFETY: kill(2) to the process group we made.
    assert_eq!(unsafe { libc::kill(-(group as i32), libc::SIGTERM) }, 0);
    let status = exit_within(&mut filter, WAIT, "end of the producer's output");
    assert!(
        start.elapsed() >= Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(status.code(), Some(0), "EOF within the grace period");
    let got: Vec<String> = lines.iter().collect();
    let want: Vec<String> = (0..30).map(|i| format!("last words {i}")).collect();
    assert_eq!(got, want);
    let _ = producer.wait();
}

// 18. logrotate moves the audit and summary files and sends SIGHUP: they
//     were never reopened, so everything went on into the rotated files.
#[test]
fn r18_sighup_reopens_output_files_moved_by_logrotate() {
    let dir = RuleDir::new();
    let audit = dir.path("audit.log");
    let summary = dir.path("summary.log");
    let mut live = Live::spawn(&[
        "--no-default-rules",
        "-e",
        r"sock=socket\.send",
        "-w",
        "1s",
        "--template",
        "{rule} {count}",
        "--suppressed-to",
        audit.to_str().unwrap(),
        "--summary-to",
        summary.to_str().unwrap(),
    ]);
    live.send(&SOCKET_LINE.repeat(3));
    wait_until(WAIT, "the first summary", || {
        lines_so_far(&summary) == ["sock 3"]
    });
    assert_eq!(written_lines(&audit).len(), 3);
    let (audit1, summary1) = (dir.path("audit.log.1"), dir.path("summary.log.1"));
    std::fs::rename(&audit, &audit1).expect("mv");
    std::fs::rename(&summary, &summary1).expect("mv");
    live.signal("HUP");
    let note = live.next_error(WAIT).expect("reload reported");
    assert!(note.contains("reloaded"), "{note}");
    live.send(&SOCKET_LINE.repeat(2));
    let (status, _, _) = live.wait();
    assert!(status.success());
    assert_eq!(written_lines(&audit1).len(), 3);
    assert_eq!(written_lines(&summary1), ["sock 3"]);
    assert_eq!(written_lines(&audit).len(), 2, "new lines in a fresh file");
    assert_eq!(written_lines(&summary), ["sock 2"]);
}

// 19. `-` and `stderr` meant different things in different output options
//     (`--stats-file -` wrote a file named `-`).
#[test]
fn r19_dash_and_stderr_mean_one_thing_in_every_output_option() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| {
        logdedup()
            .current_dir(dir.path())
            .args(SOCK)
            .args(["--template", "{rule} {count}"])
            .args(args)
            .write_stdin(format!("{SOCKET_LINE}pass\n"))
            .output()
            .expect("run")
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for name in ["-", "stdout"] {
        let out = run(&["--summary-to", name]);
        assert_eq!(text(&out.stdout), "pass\nsock 1\n", "--summary-to {name}");
        let out = run(&["--suppressed-to", name]);
        assert_eq!(out.status.code(), Some(2), "--suppressed-to {name}");
    }
    let out = run(&["--summary-to", "stderr"]);
    assert_eq!(
        (text(&out.stdout), text(&out.stderr)),
        ("pass\n".into(), "sock 1\n".into())
    );
    let out = run(&["--suppressed-to", "stderr"]);
    assert_eq!(text(&out.stderr), SOCKET_LINE);
    for option in ["--stats-file", "--metrics-textfile"] {
        for name in ["-", "stdout", "stderr"] {
            let out = run(&[option, name]);
            assert_eq!(out.status.code(), Some(2), "{option} {name}");
            assert!(
                text(&out.stderr).contains(&format!("./{name}")),
                "{}",
                text(&out.stderr)
            );
        }
    }
    // `./stderr` is a file of that name, in every option.
    for option in [
        "--summary-to",
        "--suppressed-to",
        "--stats-file",
        "--metrics-textfile",
    ] {
        let file = dir.path().join("stderr");
        let _ = std::fs::remove_file(&file);
        let out = run(&[option, "./stderr"]);
        assert!(out.status.success(), "{option}");
        // A textfile not named *.prom gets a warning, and nothing else.
        let warned = option == "--metrics-textfile"
            && text(&out.stderr)
                == "logdedup: warning: --metrics-textfile ./stderr: node_exporter's textfile \
                    collector reads only files whose name ends in .prom\n";
        assert!(
            out.stderr.is_empty() || warned,
            "{option}: {}",
            text(&out.stderr)
        );
        assert!(file.is_file(), "{option} ./stderr makes a file");
    }
    std::fs::remove_file(dir.path().join("stderr")).expect("rm");
    for name in ["-", "stdout", "stderr"] {
        run(&["--summary-to", name, "--suppressed-to", "stderr"]);
        run(&["--stats-file", name]);
        assert!(!dir.path().join(name).exists(), "no file named {name}");
    }
}

// 25. Found by the `rules` fuzz target: setting aside a table with a
//     schema error replaced each of its characters by one space, so a
//     multi-byte character shifted every later position and the next
//     error's line:column sliced the file inside a character (a panic).
//     Blanking is byte for byte.
#[test]
fn r25_schema_errors_after_non_ascii_text_keep_their_positions() {
    let dir = RuleDir::new();
    let file = dir.file(
        "utf8.toml",
        "[[rule]]\nname = \"é\"\npatern = \"ü€\"\n\n[[rule]]\nname = \"b\"\nlevle = \"x\"\n",
    );
    logdedup()
        .args(["check", file.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:3:1: rule \"é\": unknown field `patern`",
            file.display()
        )))
        .stderr(predicate::str::contains(format!(
            "{}:7:1: rule \"b\": unknown field `levle`",
            file.display()
        )));
}

// 26. A window case whose `at` lies past the last time a summary can
//     print (chrono's range) printed a raw number where `{time}` should
//     be. Refused with the case's place and the reason.
#[test]
fn r26_window_case_times_past_the_printable_range_are_refused() {
    let dir = RuleDir::new();
    let file = dir.file(
        "far.toml",
        "[[rule]]\nname = \"n\"\npattern = 'noise'\n\n[[test]]\nlines = [\"noise\", \"noise\"]\nat = [\"0s\", \"99999999d\"]\nexpect = [\"{time} | INFO | n (occurred 2 times)\"]\n",
    );
    logdedup()
        .args(["test", "--no-default-rules", file.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is too far: times past the year 262143 cannot be printed",
        ))
        .stderr(predicate::str::contains(file.display().to_string()));
}
