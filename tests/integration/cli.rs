//! Integration tests: the real binary on real bytes.

use crate::util;
use crate::util::{logdedup, written, written_text, RuleDir, SOCKET_LINE};
use predicates::prelude::*;
use std::time::Duration;

const NOISE_RULE: &str = "[[rule]]\nname = \"noise\"\npattern = 'noise'\nmessage = \"Noise\"\n";

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn unmatched_bytes_pass_through_exactly() {
    let mut input = Vec::new();
    input.extend_from_slice(b"plain line\n");
    input.extend_from_slice(b"crlf line\r\n");
    input.extend_from_slice(b"bad utf8 \xff\xfe\xc3\x28 here\n");
    input.extend_from_slice(b"\n\n");
    input.extend_from_slice(b"nul \0 byte\n");
    input.extend_from_slice(b"no final newline");
    let out = logdedup().write_stdin(input.clone()).output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, input);
    assert!(out.stderr.is_empty());
}

#[test]
fn empty_input_gives_empty_output() {
    logdedup()
        .write_stdin("")
        .assert()
        .success()
        .stdout("")
        .stderr("");
}

#[test]
fn huge_line_passes_whole() {
    let mut input = vec![b'x'; 3 << 20];
    input.push(b'\n');
    input.extend_from_slice(b"tail\n");
    let out = logdedup().write_stdin(input.clone()).output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), input.len());
    assert!(out.stdout == input);
}

#[test]
fn long_line_is_matched_whole_up_to_max_line() {
    let mut input = vec![b'y'; 2 << 20];
    input.extend_from_slice(b" socket.send() raised exception.\nkept\n");
    let out = logdedup()
        .args(["--max-line", "4M", "--template", "{count}"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out), "kept\n1\n");
    // With the default 1 MiB, the match lies past what is examined: the
    // line passes through whole, streamed in pieces.
    let out = logdedup().write_stdin(input.clone()).output().unwrap();
    assert!(out.stdout == input);
}

#[test]
fn long_line_matching_in_its_head_is_suppressed_whole() {
    let mut input = b"WARNING:asyncio:socket.send() raised exception. ".to_vec();
    input.extend(std::iter::repeat_n(b'z', 3 << 20));
    input.extend_from_slice(b"\nkept\n");
    let dir = RuleDir::new();
    let audit = dir.path("audit.log");
    let out = logdedup()
        .args([
            "--max-line",
            "64K",
            "--template",
            "{count}",
            "--suppressed-to",
            audit.to_str().unwrap(),
        ])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out), "kept\n1\n");
    assert!(written(&audit) == input[..input.len() - 5]);
}

#[test]
fn default_pack_collapses_real_format_lines() {
    let lines = [
        "[31-Dec-23 20:40:50 - WARNING] - asyncio - socket.send() raised exception.\n",
        "WARNING:asyncio:socket.send() raised exception.\n",
        SOCKET_LINE,
        "2025-11-20 16:33:01,118 - pyrogram.session.session - WARNING - [6] Retrying \"channels.GetMessages\" due to: Connection lost\n",
        "INFO:pyrogram.connection.transport.tcp.tcp:Send exception: ConnectionResetError Connection lost\n",
        "OSError: Connection lost\n",
        "ConnectionResetError: Connection lost\n",
        "2022-01-07 15:23:28,001 - bot - INFO - handled /start\n",
    ];
    let out = logdedup().write_stdin(lines.concat()).output().unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    let got: Vec<&str> = text.lines().collect();
    assert_eq!(
        got[..3],
        [
            "OSError: Connection lost",
            "ConnectionResetError: Connection lost",
            "2022-01-07 15:23:28,001 - bot - INFO - handled /start"
        ]
    );
    let summary = predicate::str::is_match(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| DEBUG \| Pyrogram socket error \(occurred 3 times\) - this is normal during network fluctuations$",
    )
    .unwrap();
    assert!(summary.eval(got[3]), "{}", got[3]);
    assert!(
        got[4].ends_with("| DEBUG | pyrogram: connection lost while sending (ConnectionResetError) (occurred 1 time) - automatic reconnection in progress"),
        "{}",
        got[4]
    );
    assert!(
        got[5].contains("| pyrogram: retrying channels.GetMessages (occurred 1 time)"),
        "{}",
        got[5]
    );
    assert_eq!(got.len(), 6);
}

#[test]
fn sample_log_in_examples_collapses() {
    let out = logdedup()
        .arg("examples/pyrogram-storm.log")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    assert!(!text.contains("socket.send() raised exception"));
    assert!(
        text.contains("OSError: Connection lost"),
        "crash line stays visible"
    );
    assert!(text.contains("Pyrogram socket error (occurred 190 times)"));
    assert!(text.contains(
        "pyrogram: connection lost while sending (ConnectionResetError) (occurred 25 times)"
    ));
    assert!(text.contains("pyrogram: retrying messages.SendMessage (occurred 15 times)"));
}

#[test]
fn summary_after_final_line_without_newline_gets_one() {
    logdedup()
        .args(["--utc", "--template", "S {count}"])
        .write_stdin(format!("{SOCKET_LINE}last"))
        .assert()
        .success()
        .stdout("last\nS 1\n");
}

#[test]
fn final_line_without_newline_stays_without_one_when_summaries_go_elsewhere() {
    logdedup()
        .args(["--summary-to", "stderr", "--template", "S {count}"])
        .write_stdin(format!("{SOCKET_LINE}last"))
        .assert()
        .success()
        .stdout("last")
        .stderr("S 1\n");
}

#[test]
fn crlf_matching_lines_are_suppressed_and_counted() {
    logdedup()
        .args(["--template", "{rule} {count}"])
        .write_stdin("WARNING:asyncio:socket.send() raised exception.\r\nkeep\r\n")
        .assert()
        .success()
        .stdout("keep\r\nasyncio-socket-send 1\n");
}

#[test]
fn invalid_utf8_around_a_match_still_matches() {
    logdedup()
        .args(["--template", "{count}"])
        .write_stdin(&b"\xff\xfe socket.send() raised exception. \xc3\n"[..])
        .assert()
        .success()
        .stdout("1\n");
}

#[test]
fn rules_file_comes_before_the_default_packs() {
    let dir = RuleDir::new();
    let rules = dir.file("r.toml", NOISE_RULE);
    logdedup()
        .args([
            "-r",
            rules.to_str().unwrap(),
            "--template",
            "{message}={count}",
        ])
        .write_stdin(format!("noise\n{SOCKET_LINE}noise\n"))
        .assert()
        .success()
        .stdout("Noise=2\nPyrogram socket error=1\n");
}

#[test]
fn no_default_rules_drops_the_default_packs() {
    let dir = RuleDir::new();
    let rules = dir.file("r.toml", NOISE_RULE);
    logdedup()
        .args([
            "-r",
            rules.to_str().unwrap(),
            "--no-default-rules",
            "--template",
            "{message}={count}",
        ])
        .write_stdin(format!("noise\n{SOCKET_LINE}noise\n"))
        .assert()
        .success()
        .stdout(format!("{SOCKET_LINE}Noise=2\n"));
}

#[test]
fn a_rule_named_like_a_default_one_overrides_it() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "mine.toml",
        "[[rule]]\nname = \"asyncio-socket-send\"\npattern = 'socket\\.send'\nmessage = \"mine\"\n",
    );
    logdedup()
        .args([
            "-r",
            rules.to_str().unwrap(),
            "--template",
            "{message}={count}",
        ])
        .write_stdin(SOCKET_LINE)
        .assert()
        .success()
        .stdout("mine=1\n");
}

#[test]
fn rules_directory_loads_toml_files_in_name_order() {
    let dir = RuleDir::new();
    dir.file(
        "20-second.toml",
        "[[rule]]\nname = \"second\"\npattern = 'x'\n",
    );
    dir.file(
        "10-first.toml",
        "[[rule]]\nname = \"first\"\npattern = 'x'\n",
    );
    dir.file("README.md", "not a rule file");
    logdedup()
        .args([
            "-r",
            dir.dir.path().to_str().unwrap(),
            "--template",
            "{rule}",
        ])
        .write_stdin("x\n")
        .assert()
        .success()
        .stdout("first\n");
}

#[test]
fn repeated_rules_options_stack_in_order() {
    let dir = RuleDir::new();
    let a = dir.file("a.toml", "[[rule]]\nname = \"mine\"\npattern = 'socket'\n");
    logdedup()
        .args([
            "-r",
            a.to_str().unwrap(),
            "-r",
            "builtin:pyrogram",
            "--template",
            "{rule}",
        ])
        .write_stdin(format!(
            "{SOCKET_LINE}INFO:pyrogram.connection.transport.tcp.tcp:Send exception: OSError Connection lost\n"
        ))
        .assert()
        .success()
        .stdout("mine\npyrogram-send-exception\n");
}

#[test]
fn rules_come_from_the_environment_when_no_option_is_given() {
    let dir = RuleDir::new();
    let a = dir.file("a.toml", NOISE_RULE);
    let list = format!("{}:builtin:pyrogram", a.display());
    logdedup()
        .env("LOGDEDUP_RULES", list)
        .args(["--template", "{rule}"])
        .write_stdin(format!("noise\n{SOCKET_LINE}"))
        .assert()
        .success()
        .stdout("noise\nasyncio-socket-send\n");
}

#[test]
fn window_option_applies_to_rules_without_one() {
    let dir = RuleDir::new();
    let a = dir.file("a.toml", NOISE_RULE);
    let out = logdedup()
        .args(["-r", a.to_str().unwrap(), "-w", "1h30m", "--format", "json"])
        .write_stdin("noise\n")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["window"], 5400.0);
}

#[test]
fn json_summaries_carry_every_field() {
    let out = logdedup()
        .args(["--format", "json", "--utc"])
        .write_stdin(SOCKET_LINE.repeat(3))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rule"], "asyncio-socket-send");
    assert_eq!(v["message"], "Pyrogram socket error");
    assert_eq!(v["note"], "this is normal during network fluctuations");
    assert_eq!(v["level"], "DEBUG");
    assert_eq!(v["count"], 3);
    assert!(v["key"].is_null());
    assert_eq!(v["window"], 30.0);
    assert_eq!(v["logdedup"], "summary");
    // RFC 3339 in UTC with milliseconds: 2025-11-20T16:32:54.101Z
    for field in ["time", "first", "last"] {
        assert!(
            v[field]
                .as_str()
                .is_some_and(|s| s.len() == 24 && s.as_bytes()[10] == b'T' && s.ends_with('Z')),
            "{field}: {}",
            v[field]
        );
    }
}

#[test]
fn template_and_time_format_shape_the_line() {
    logdedup()
        .args([
            "--template",
            "[{level}] {rule}: {times} at {time}",
            "--time-format",
            "%Y",
            "--utc",
        ])
        .write_stdin(SOCKET_LINE)
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"^\[DEBUG\] asyncio-socket-send: 1 time at \d{4}\n$")
                .unwrap(),
        );
}

#[test]
fn keyed_rule_summarizes_each_key() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "k.toml",
        "[[rule]]\nname = \"dc\"\npattern = 'lost DC(?P<dc>\\d+)'\nkey = \"{dc}\"\n",
    );
    logdedup()
        .args(["-r", rules.to_str().unwrap(), "--template", "{key}:{count}"])
        .write_stdin("lost DC2\nlost DC4\nlost DC2\n")
        .assert()
        .success()
        .stdout("2:2\n4:1\n");
}

#[test]
fn pass_first_lets_the_first_lines_through() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "p.toml",
        "[[rule]]\nname = \"n\"\npattern = 'noise'\npass_first = 2\n",
    );
    logdedup()
        .args(["-r", rules.to_str().unwrap(), "--template", "{count}"])
        .write_stdin("noise 1\nnoise 2\nnoise 3\nnoise 4\n")
        .assert()
        .success()
        .stdout("noise 1\nnoise 2\n2\n");
}

#[test]
fn summary_to_a_file_appends() {
    let dir = RuleDir::new();
    let path = dir.path("summaries.log");
    std::fs::write(&path, "earlier\n").unwrap();
    logdedup()
        .args([
            "--summary-to",
            path.to_str().unwrap(),
            "--template",
            "{count}",
        ])
        .write_stdin(format!("a\n{SOCKET_LINE}b\n"))
        .assert()
        .success()
        .stdout("a\nb\n");
    assert_eq!(written_text(&path), "earlier\n1\n");
}

#[test]
fn suppressed_lines_are_appended_byte_exact() {
    let dir = RuleDir::new();
    let path = dir.path("audit.log");
    let noisy = b"WARNING:asyncio:socket.send() raised exception.\r\n\xff socket.send() raised exception.\n";
    let mut input = b"keep\n".to_vec();
    input.extend_from_slice(noisy);
    input.extend_from_slice(b"keep too\n");
    logdedup()
        .args([
            "--suppressed-to",
            path.to_str().unwrap(),
            "--template",
            "{count}",
        ])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("keep\nkeep too\n2\n");
    assert_eq!(written(&path), noisy);
}

#[test]
fn stats_go_to_stderr() {
    logdedup()
        .args(["--stats", "--template", "{count}"])
        .write_stdin(format!("a\n{SOCKET_LINE}{SOCKET_LINE}b\n"))
        .assert()
        .success()
        .stdout("a\nb\n2\n")
        .stderr(predicate::str::contains(
            "4 lines in, 2 passed, 2 suppressed (2 records), 1 summary",
        ))
        .stderr(predicate::str::is_match(r"asyncio-socket-send\s+2\s+2\s+1\n").unwrap())
        .stderr(predicate::str::is_match(r"pyrogram-send-exception\s+0\s+0\s+0\n").unwrap());
}

#[test]
fn files_are_read_in_order_with_dash_for_stdin() {
    let dir = RuleDir::new();
    let a = dir.file("a.log", "from a\n");
    let b = dir.file("b.log", &format!("{SOCKET_LINE}from b\n"));
    logdedup()
        .args([
            a.to_str().unwrap(),
            "-",
            b.to_str().unwrap(),
            "--template",
            "{count}",
        ])
        .write_stdin("from stdin\n")
        .assert()
        .success()
        .stdout("from a\nfrom stdin\nfrom b\n1\n");
}

#[test]
fn missing_input_file_is_a_usage_error_before_any_output() {
    let dir = RuleDir::new();
    let a = dir.file("a.log", "from a\n");
    logdedup()
        .args([a.to_str().unwrap(), "/nonexistent/b.log"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("/nonexistent/b.log: cannot open"));
}

#[test]
fn write_error_on_the_audit_file_exits_1_naming_it() {
    logdedup()
        .args(["--suppressed-to", "/dev/full"])
        .write_stdin(SOCKET_LINE)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("/dev/full").and(predicate::str::contains("No space left")),
        );
}

#[test]
fn bad_command_line_values_exit_2() {
    for args in [
        &["-w", "30"][..],
        &["-w", "0s"],
        &["--template", "{nope}"],
        &["--time-format", "%Q"],
        &["--format", "xml"],
        &["--format", "json", "--template", "{count}"],
        &["-r", "builtin:nope"],
        &["--bogus"],
        // Parses as a format, but chrono cannot print it: refused at start,
        // not discovered at the first summary.
        &["--time-format", "%#z"],
    ] {
        logdedup()
            .args(args)
            .write_stdin("x\n")
            .assert()
            .code(2)
            .stdout("");
    }
}

#[test]
fn help_explains_usage_with_an_example() {
    logdedup()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("python -u bot.py 2>&1 | logdedup"))
        .stdout(predicate::str::contains("--summary-to"))
        .stdout(predicate::str::contains("LOGDEDUP_RULES"));
}

/// Each malformed rule file: exit 2, nothing on stdout, a one-line message
/// naming the file, line:column and rule.
#[test]
fn bad_rule_files_exit_2_with_a_located_message() {
    let cases: &[(&str, &str)] = &[
        (
            "[[rule]]\nname = \"a\"\npatern = 'x'\n",
            ":3:1: rule \"a\": unknown field `patern`",
        ),
        (
            "[[rule]]\nname = \"a\"\n",
            ":2:8: rule \"a\": missing `pattern`",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = ''\n",
            ":3:11: rule \"a\": pattern is empty",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'socket.send(('\n",
            ":3:11: rule \"a\": invalid pattern",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\n[[rule]]\nname = \"a\"\npattern = 'y'\n",
            ":5:8: rule \"a\": duplicate rule name",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = \"fast\"\n",
            ":4:10: rule \"a\": window: invalid duration",
        ),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x(\\d)'\nkey = \"{dc}\"\n",
            ":4:7: rule \"a\": key names capture group {dc}",
        ),
        ("[[rule]]\nname = \"a\"\npattern = 'x\n", ":3:"),
        (
            "[[rule]]\nname = \"a\"\npattern = 'x'\nlevel = 3\n",
            ":4:9: rule \"a\": invalid type",
        ),
    ];
    let dir = RuleDir::new();
    for (i, (text, want)) in cases.iter().enumerate() {
        let path = dir.file(&format!("bad{i}.toml"), text);
        let out = logdedup()
            .args(["-r", path.to_str().unwrap()])
            .write_stdin("x\n")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(out.stdout.is_empty(), "{text}");
        assert!(
            err.contains(&format!("{}{want}", path.display())),
            "want {want}\ngot {err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn missing_rule_file_exits_2() {
    logdedup()
        .args(["-r", "/nonexistent/rules.toml"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "/nonexistent/rules.toml: cannot open rule file",
        ));
}

#[test]
fn rule_errors_across_files_name_the_second_file() {
    let dir = RuleDir::new();
    let a = dir.file("a.toml", NOISE_RULE);
    let b = dir.file("b.toml", NOISE_RULE);
    logdedup()
        .args(["-r", a.to_str().unwrap(), "-r", b.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:2:8: rule \"noise\": duplicate rule name (first defined at {}:1)",
            b.display(),
            a.display()
        )));
}

#[test]
fn idle_stream_lines_come_out_before_eof() {
    let mut live = util::Live::spawn(&[]);
    live.send("first line\n");
    assert_eq!(
        live.next_line(Duration::from_secs(10)).as_deref(),
        Some("first line")
    );
    live.send("second line\n");
    assert_eq!(
        live.next_line(Duration::from_secs(10)).as_deref(),
        Some("second line")
    );
    let (status, rest, _) = live.wait();
    assert!(status.success());
    assert!(rest.is_empty());
}

#[test]
fn line_buffered_flushes_every_line() {
    let mut live = util::Live::spawn(&["--line-buffered"]);
    live.send("one\ntwo\n");
    assert_eq!(
        live.next_line(Duration::from_secs(10)).as_deref(),
        Some("one")
    );
    assert_eq!(
        live.next_line(Duration::from_secs(10)).as_deref(),
        Some("two")
    );
    let (status, _, _) = live.wait();
    assert!(status.success());
}

#[test]
fn timer_writes_the_summary_while_input_is_idle() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "t.toml",
        "[[rule]]\nname = \"n\"\npattern = 'noise'\nwindow = \"300ms\"\n",
    );
    let mut live = util::Live::spawn(&[
        "-r",
        rules.to_str().unwrap(),
        "--template",
        "summary {count}",
    ]);
    live.send("noise\nnoise\nnoise\nreal\n");
    assert_eq!(
        live.next_line(Duration::from_secs(10)).as_deref(),
        Some("real")
    );
    // stdin stays open: only the timer can produce this line.
    assert_eq!(
        live.next_line(Duration::from_secs(10)).as_deref(),
        Some("summary 3")
    );
    live.send("noise\n");
    assert_eq!(
        live.next_line(Duration::from_secs(10)).as_deref(),
        Some("summary 1")
    );
    let (status, rest, _) = live.wait();
    assert!(status.success());
    assert!(rest.is_empty(), "nothing left for EOF: {rest:?}");
}

#[test]
fn closed_downstream_pipe_exits_quietly_with_0() {
    use std::io::{BufRead, BufReader};
    let dir = RuleDir::new();
    let big = dir.file("big.log", &"a line that goes on and on\n".repeat(200_000));
    let mut child = util::std_command()
        .arg(&big)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "a line that goes on and on\n");
    // stdout's read end is dropped here, as `| head -1` would.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn readme_example_rule_file_loads_and_behaves() {
    logdedup()
        .args(["-r", "examples/my-bot.toml", "--template", "{rule}{key}={count}"])
        .write_stdin("Reconnecting to DC4\nReconnecting to DC4\nDC2 connection reset\nFloodWait: A wait of 12 seconds\nFloodWait handler installed\n")
        .assert()
        .success()
        .stdout("Reconnecting to DC4\nDC2 connection reset\nFloodWait handler installed\nflood-wait=1\ndc-reconnectDC4=1\n");
}

#[test]
fn utc_switches_summary_times_from_local_time() {
    let run = |extra: &[&str]| {
        let out = logdedup()
            .env("TZ", "JST-9")
            .args(["--template", "{time}", "--time-format", "%z"])
            .args(extra)
            .write_stdin(SOCKET_LINE)
            .output()
            .unwrap();
        stdout_of(&out)
    };
    assert_eq!(run(&[]), "+0900\n");
    assert_eq!(run(&["--utc"]), "+0000\n");
}

#[test]
fn window_option_applies_to_the_built_in_pack() {
    let out = logdedup()
        .args(["-w", "5m", "--format", "json"])
        .write_stdin(SOCKET_LINE)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["window"], 300.0);
}

#[test]
fn a_directory_as_input_is_refused_before_any_output() {
    let dir = RuleDir::new();
    let a = dir.file("a.log", "from a\n");
    logdedup()
        .arg(&a)
        .arg(dir.dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("is a directory"));
}

#[test]
fn writing_into_an_input_file_is_refused() {
    let dir = RuleDir::new();
    let log = dir.file("bot.log", &SOCKET_LINE.repeat(3));
    logdedup()
        .arg("--suppressed-to")
        .arg(&log)
        .arg(&log)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "it would read back its own output",
        ));
    // Standard output appended to the input file, as `>> bot.log` would.
    let append = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let out = util::std_command()
        .arg(&log)
        .stdout(append)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output is the input file"));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        SOCKET_LINE.repeat(3)
    );
}

#[test]
fn endless_rule_file_is_refused() {
    logdedup()
        .args(["-r", "/dev/zero"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/dev/zero: not a regular file"));
}

/// A closed pipe behind --suppressed-to is an error, not the quiet end a
/// closed stdout is: otherwise the run would stop and drop lines silently.
#[test]
fn closed_audit_pipe_is_an_error_not_a_quiet_end() {
    let bash = which_bash().expect("bash is needed for process substitution");
    let dir = RuleDir::new();
    let log = dir.file("noise.log", &SOCKET_LINE.repeat(100_000));
    let bin = util::bin();
    let script = format!(
        "{} --suppressed-to >(head -c 10 > /dev/null) {} > /dev/null",
        bin.display(),
        log.display()
    );
    let out = std::process::Command::new(bash)
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("writing to /dev/fd/"));
}

fn which_bash() -> Result<std::path::PathBuf, ()> {
    ["/bin/bash", "/usr/bin/bash"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .ok_or(())
}
