//! What an operator meets first, outside the filter's data path: every
//! command piped into `head`, `logdedup` typed alone in a terminal, a unit
//! whose `$LOGDEDUP_RULES` directory is not there yet, the documented
//! `[[test]]` window case, and first-use messages.

use crate::util::{self, logdedup, RuleDir};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs `cmd` with its standard output a pipe whose reader is gone before
/// anything is written: the first write fails with EPIPE whatever its
/// size, as `| head -1` does to a larger output, but without a race.
fn with_closed_stdout(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = cmd
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logdedup");
    child.wait_with_output().expect("wait for logdedup")
}

#[test]
fn every_command_ends_quietly_with_0_on_a_closed_stdout() {
    let commands: &[&[&str]] = &[
        &["rules", "show", "all"],
        &["rules", "list"],
        &["explain", "socket.send() raised exception."],
        &["explain", "--summary", "a line"],
        &["test", "builtin:all"],
        &["check", "builtin:all"],
        &[
            "suggest",
            "--format",
            "table",
            "examples/pyrogram-storm.log",
        ],
        &["completions", "bash"],
        &["man"],
        &["examples/pyrogram-storm.log"],
    ];
    let mut failures = Vec::new();
    for args in commands {
        let out = with_closed_stdout(util::std_command().args(*args));
        if out.status.code() != Some(0) || !out.stderr.is_empty() {
            failures.push(format!(
                "logdedup {}: exit {:?}, stderr {:?}",
                args.join(" "),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `explain` reading standard input stops reading once nobody reads what
/// it explains: its input here never ends, so one that went on reading
/// would never exit.
#[test]
fn explain_stops_reading_its_input_when_stdout_closes() {
    use std::io::Write;
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = util::std_command()
        .arg("explain")
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn explain");
    let mut stdin = child.stdin.take().expect("stdin");
    // Written but never closed: the input goes on.
    stdin
        .write_all("a line of the bot\n".repeat(1000).as_bytes())
        .expect("write input");
    let status = util::exit_within(&mut child, Duration::from_secs(20), "explain");
    assert_eq!(status.code(), Some(0));
    drop(stdin);
}

/// A failed test run keeps its verdict (exit 1) when its report cannot be
/// read, so `logdedup test | head` in CI still fails the build; nothing is
/// said about the pipe.
#[test]
fn failed_cases_keep_exit_1_on_a_closed_stdout() {
    let dir = RuleDir::new();
    let file = dir.file(
        "r.toml",
        "[[rule]]\nname = \"x\"\npattern = 'exactly this'\n\n[[test]]\nline = \"something else\"\nrule = \"x\"\n",
    );
    let out = with_closed_stdout(util::std_command().arg("test").arg(&file));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A write error other than a closed pipe is still one.
#[test]
fn a_full_disk_is_still_an_error_for_the_commands() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = util::std_command()
        .args(["rules", "show", "all"])
        .stdout(full)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("writing to standard output"), "{err}");
}

#[test]
fn check_on_a_closed_stdout_still_reports_errors_and_exits_2() {
    let dir = RuleDir::new();
    let file = dir.file("bad.toml", "[[rule]]\nname = \"x\"\npatern = 'y'\n");
    let out = with_closed_stdout(util::std_command().arg("check").arg(&file));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `patern`"), "{err}");
}

/// Sanity for the harness above: with a reader, the same commands print.
#[test]
fn with_a_reader_the_commands_print() {
    logdedup()
        .args(["rules", "show", "pyrogram"])
        .assert()
        .success()
        .stdout(predicates::str::contains("# ---- builtin:pyrogram ----"));
}
