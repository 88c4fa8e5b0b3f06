//! Stricter rule handling on the real binary: `-e` rules that summarize as
//! their pattern and report errors in it, patterns that would swallow the
//! stream, `check` and `test` run with what the filter loads, framing on
//! the command line over the files' `[input]`, and `$LOGDEDUP_RULES`
//! paths that are not UTF-8.

use crate::util::{logdedup, RuleDir, SOCKET_LINE};
use predicates::prelude::*;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// The summary of an unnamed `-e` rule said `e1 (occurred 3 times)`.
#[test]
fn an_inline_rule_summary_quotes_its_pattern() {
    logdedup()
        .args([
            "--no-default-rules",
            "-e",
            "Server closed",
            "--time-format",
            "T",
        ])
        .write_stdin("Server closed the connection\nok\nServer closed the connection\n")
        .assert()
        .success()
        .stdout("ok\nT | INFO | 'Server closed' (occurred 2 times)\n");
}

// An error in an `-e` pattern was located at a line:column of the TOML
// made for it.
#[test]
fn an_inline_rule_error_quotes_the_pattern() {
    logdedup()
        .args(["-e", "(x"])
        .write_stdin("")
        .assert()
        .code(2)
        .stdout("")
        .stderr("logdedup: -e e1: invalid pattern '(x': unclosed group\n");
}

// `-e '^.+$'` and friends were accepted and suppressed everything; `check`
// said ok for such a pattern in a file.
#[test]
fn patterns_that_take_the_whole_stream_are_refused_by_the_filter_and_check() {
    for pattern in ["^.+$", "^.+", "^.", "\\w"] {
        logdedup()
            .args(["--no-default-rules", "-e", pattern])
            .write_stdin("hello\n")
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::contains("matches every")
                    .or(predicate::str::contains("matches nearly every")),
            );
    }
    let dir = RuleDir::new();
    let file = dir.file("all.toml", "[[rule]]\nname = \"all\"\npattern = '^.'\n");
    let out = logdedup()
        .args(["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{}: 1 error\n", file.display()));
    assert!(stderr(&out).contains(":3:11: rule \"all\": pattern '^.' matches every non-empty line"));
}

// A one-letter pattern passed `check` with only a "no test" warning.
#[test]
fn check_warns_of_short_and_broad_patterns() {
    let dir = RuleDir::new();
    let file = dir.file(
        "broad.toml",
        "[[rule]]\nname = \"lost\"\npattern = 'connection lost to dc\\d'\n\
         [[rule]]\nname = \"conn\"\npattern = 'connection'\n\
         [[rule]]\nname = \"e\"\npattern = 'e'\n\
         [[test]]\nline = \"connection lost to dc2\"\nrule = \"lost\"\n\
         [[test]]\nline = \"connection lost to dc4\"\nrule = \"lost\"\n\
         [[test]]\nline = \"connection refused\"\nrule = \"conn\"\n\
         [[test]]\nline = \"e\"\nrule = \"e\"\n",
    );
    let out = logdedup()
        .args(["check", "--no-default-rules", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("rule \"e\": pattern 'e' has only 1 literal character"),
        "{err}"
    );
    assert!(
        err.contains(
            "rule \"conn\" matches 2 of the 3 test lines in its file meant for other rules"
        ),
        "{err}"
    );
    assert!(!err.contains("rule \"lost\" matches"), "{err}");
}

// `check` printed `FILE: 1 rule, 1 test, ok` on stdout while it reported
// the file's error (a test naming an unknown rule) and exited 2.
#[test]
fn check_counts_errors_found_after_loading_against_their_file() {
    let dir = RuleDir::new();
    let file = dir.file(
        "t.toml",
        "[[rule]]\nname = \"a\"\npattern = 'noise'\n[[test]]\nline = \"noise\"\nrule = \"nope\"\n",
    );
    let out = logdedup()
        .args(["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), format!("{}: 1 error\n", file.display()));
    assert!(
        stderr(&out).contains(":6:8: [[test]] expects rule \"nope\""),
        "{}",
        stderr(&out)
    );
}

// A test naming a rule of a default pack: the real run loads that pack, so
// `check FILE` must too.
#[test]
fn check_loads_the_default_packs_beside_the_files() {
    let dir = RuleDir::new();
    let file = dir.file(
        "t.toml",
        &format!(
            "[[rule]]\nname = \"a\"\npattern = 'noise'\n[[test]]\nline = \"noise\"\nrule = \"a\"\n\
             [[test]]\nline = {:?}\nrule = \"asyncio-socket-send\"\n",
            SOCKET_LINE.trim_end()
        ),
    );
    logdedup()
        .args(["check", file.to_str().unwrap()])
        .assert()
        .success()
        .stdout(format!("{}: 1 rule, 2 tests, ok\n", file.display()));
    logdedup()
        .args(["check", "--no-default-rules", file.to_str().unwrap()])
        .assert()
        .code(2);
}

/// Two rule files that disagree about framing.
fn two_framings(dir: &RuleDir) -> (String, String) {
    let a = dir.file(
        "a.toml",
        "[input]\nrecord_start = '^\\d{4}-'\n[[rule]]\nname = \"a\"\npattern = 'noise a'\n",
    );
    let b = dir.file(
        "b.toml",
        "[input]\nrecord_start = '^\\['\n[[rule]]\nname = \"b\"\npattern = 'noise b'\n",
    );
    (
        a.to_str().unwrap().to_owned(),
        b.to_str().unwrap().to_owned(),
    )
}

// Two files with different `[input]` framing stopped a run even when the
// command line set the framing, which overrides both.
#[test]
fn framing_on_the_command_line_overrides_files_that_disagree() {
    let dir = RuleDir::new();
    let (a, b) = two_framings(&dir);
    logdedup()
        .args(["-r", &a, "-r", &b])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("[input] sets"));
    logdedup()
        .args(["-r", &a, "-r", &b, "--record-start", "^\\S"])
        .write_stdin("x\n  y\n")
        .assert()
        .success()
        .stdout("x\n  y\n");
    logdedup()
        .args(["check", &a, &b])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(format!("{b}: 1 error\n")));
    logdedup()
        .args(["check", "--continuation", "python-traceback", &a, &b])
        .assert()
        .success();
}

// A user file's `[input]` and the default packs' `[input]` do not stop a
// run: the packs give way, in `check` as in the filter.
#[test]
fn a_user_files_framing_wins_over_the_default_packs() {
    let dir = RuleDir::new();
    let (a, _) = two_framings(&dir);
    logdedup().args(["check", &a]).assert().success();
    logdedup()
        .args(["-r", &a])
        .write_stdin("2025-01-01 x\n")
        .assert()
        .success()
        .stdout("2025-01-01 x\n");
}

// `test FILE` ran without the default packs, so a must-pass line that a
// default pack suppresses "passed".
#[test]
fn test_runs_a_files_cases_with_the_default_packs() {
    let dir = RuleDir::new();
    let file = dir.file(
        "t.toml",
        &format!(
            "[[rule]]\nname = \"a\"\npattern = 'noise'\n[[test]]\nline = \"noise\"\nrule = \"a\"\n\
             [[test]]\nline = {:?}\n",
            SOCKET_LINE.trim_end()
        ),
    );
    let out = logdedup()
        .args(["test", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "with the default packs: builtin:asyncio, builtin:pyrogram, builtin:telethon, builtin:aiogram, builtin:ptb\n"
        ),
        "{text}"
    );
    assert!(text.contains("expected it to pass, but rule \"asyncio-socket-send\" matched"));
    assert!(text.ends_with("1 passed, 1 failed\n"), "{text}");
    logdedup()
        .args(["test", "--no-default-rules", file.to_str().unwrap()])
        .assert()
        .success()
        .stdout("2 passed, 0 failed\n");
}

// A `$LOGDEDUP_RULES` holding a path that is not UTF-8 was ignored whole:
// only the default packs loaded.
#[test]
fn rules_env_paths_need_not_be_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let dir = RuleDir::new();
    let odd = dir
        .dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"r\xe9gles"));
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(
        odd.join("mine.toml"),
        "[[rule]]\nname = \"mine\"\npattern = 'zzz noise'\n",
    )
    .unwrap();
    let mut list = odd.as_os_str().to_owned();
    list.push(":builtin:ptb");
    logdedup()
        .env("LOGDEDUP_RULES", &list)
        .args(["explain", "zzz noise"])
        .assert()
        .success()
        .stdout("mine  zzz noise\n");
}
