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

/// A new pseudo-terminal: its master, and the slave end for a child's
/// standard input.
fn pseudo_terminal() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave): (libc::c_int, libc::c_int) = (-1, -1);
    // SAFETY: openpty writes the two descriptors; the name, termios and
    // window size are optional and passed as null.
    let rc = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here only.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::os::fd::OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Runs logdedup with `args` reading a terminal (standard output and error
/// are pipes): returns the first line it writes on stderr, then types
/// `typed` and Ctrl-D, and returns what it wrote on stdout and how it
/// ended.
fn on_a_terminal(args: &[&str], typed: &str) -> (String, String, Option<i32>) {
    use std::io::{Read, Write};
    let (mut master, slave) = pseudo_terminal();
    let mut child = util::std_command()
        .args(args)
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logdedup");
    let errors = util::lines_of(child.stderr.take().expect("stderr"));
    let hint = errors
        .recv_timeout(Duration::from_secs(20))
        .expect("a line on stderr");
    // Ctrl-D at the start of a line ends the terminal's input.
    master
        .write_all(format!("{typed}\n\x04").as_bytes())
        .expect("type");
    let mut stdout = child.stdout.take().expect("stdout");
    let status = util::exit_within(&mut child, Duration::from_secs(20), "logdedup");
    let mut out = String::new();
    stdout.read_to_string(&mut out).expect("read stdout");
    (hint, out, status.code())
}

#[test]
fn the_filter_on_a_terminal_says_what_it_waits_for() {
    let (hint, out, code) = on_a_terminal(&[], "hello from the keyboard");
    assert!(
        hint.starts_with("logdedup: reading log lines from the terminal"),
        "{hint}"
    );
    for part in ["Ctrl-D", "| logdedup", "logdedup --help"] {
        assert!(hint.contains(part), "{part} missing: {hint}");
    }
    assert_eq!(out, "hello from the keyboard\n");
    assert_eq!(code, Some(0));
}

#[test]
fn explain_on_a_terminal_says_what_it_waits_for() {
    let (hint, out, code) = on_a_terminal(&["explain"], "hello");
    assert!(hint.contains("lines to explain"), "{hint}");
    assert!(hint.contains("logdedup explain --help"), "{hint}");
    assert_eq!(out, "passes  hello\n");
    assert_eq!(code, Some(0));
}

/// No hint when standard input is a pipe or a file: scripts see nothing.
#[test]
fn no_hint_when_input_is_piped() {
    logdedup()
        .write_stdin("hello\n")
        .assert()
        .success()
        .stdout("hello\n")
        .stderr("");
    logdedup()
        .arg("explain")
        .write_stdin("hello\n")
        .assert()
        .success()
        .stderr("");
}

/// A systemd unit sets `LOGDEDUP_RULES=/etc/logdedup` on a host where that
/// directory is not there yet: the bot must start (with the default
/// packs), not loop on `Restart=on-failure`; the journal says why its own
/// rules are missing.
#[test]
fn a_missing_rules_env_directory_warns_and_the_bot_starts() {
    let dir = RuleDir::new();
    let missing = dir.path("etc-logdedup");
    let out = util::std_command()
        .env("LOGDEDUP_RULES", &missing)
        .args(["run", "--template", "{rule}={count}", "--"])
        .args([
            "sh",
            "-c",
            "echo bot started; for i in 1 2 3; do echo 'socket.send() raised exception.'; done",
        ])
        .output()
        .expect("run logdedup");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "bot started\nasyncio-socket-send=3\n"
    );
    assert_eq!(
        err,
        format!(
            "logdedup: warning: $LOGDEDUP_RULES names {}, which does not exist: going on \
             without it (create it and reload, or fix $LOGDEDUP_RULES)\n",
            missing.display()
        )
    );
}

/// The same missing path typed after `-r` is a typo to be told at once.
#[test]
fn a_missing_rules_option_path_is_still_an_error() {
    let dir = RuleDir::new();
    let missing = dir.path("etc-logdedup");
    logdedup()
        .arg("-r")
        .arg(&missing)
        .write_stdin("hello\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("cannot open rule file"));
}

/// The other entries of the list still load, and `check` says what a run
/// would: the warning, and the files it does load.
#[test]
fn the_rest_of_the_rules_env_list_still_loads() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "mine.toml",
        "[[rule]]\nname = \"mine\"\npattern = 'weather API timed out'\n",
    );
    let list = format!("{}:{}", dir.path("missing").display(), rules.display());
    logdedup()
        .env("LOGDEDUP_RULES", &list)
        .args(["--template", "{rule}={count}"])
        .write_stdin("weather API timed out\nweather API timed out\nok\n")
        .assert()
        .success()
        .stdout("ok\nmine=2\n")
        .stderr(predicates::str::contains("which does not exist"));
    logdedup()
        .env("LOGDEDUP_RULES", &list)
        .arg("check")
        .assert()
        .success()
        .stdout(predicates::str::contains(format!(
            "{}: 1 rule, 0 tests, ok",
            rules.display()
        )))
        .stderr(predicates::str::contains("which does not exist"));
}

/// Created after start-up, the directory comes in with the next reload
/// (`systemctl reload`), no restart needed.
#[test]
fn a_rules_env_directory_created_later_loads_on_reload() {
    let dir = RuleDir::new();
    let rules_dir = dir.path("etc-logdedup");
    let mut child = util::std_command()
        .env("LOGDEDUP_RULES", &rules_dir)
        .args(["--template", "{rule}={count}"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logdedup");
    util::wait_for_signal_handlers(child.id());
    let errors = util::lines_of(child.stderr.take().expect("stderr"));
    let lines = util::lines_of(child.stdout.take().expect("stdout"));
    let warning = errors
        .recv_timeout(Duration::from_secs(20))
        .expect("warning");
    assert!(warning.contains("which does not exist"), "{warning}");
    std::fs::create_dir(&rules_dir).expect("mkdir");
    std::fs::write(
        rules_dir.join("mine.toml"),
        "[[rule]]\nname = \"mine\"\npattern = 'weather API timed out'\n",
    )
    .expect("write rules");
    util::kill(child.id(), libc::SIGHUP);
    let note = util::line_containing(&errors, "reloaded", Duration::from_secs(20))
        .expect("reload reported");
    assert!(note.contains("etc-logdedup"), "{note}");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"weather API timed out\nweather API timed out\nok\n")
            .expect("write");
    }
    let status = util::exit_within(&mut child, Duration::from_secs(20), "logdedup");
    assert!(status.success());
    let out: Vec<String> = lines.iter().collect();
    assert_eq!(out, ["ok", "mine=2"]);
}

/// `mkdir /etc/logdedup` and no rule file yet: skipped as a missing one
/// is, not the exit 2 a `-r` directory without rules gets.
#[test]
fn an_empty_rules_env_directory_is_skipped_too() {
    let dir = RuleDir::new();
    let empty = dir.path("etc-logdedup");
    std::fs::create_dir(&empty).expect("mkdir");
    logdedup()
        .env("LOGDEDUP_RULES", &empty)
        .write_stdin("hello\n")
        .assert()
        .success()
        .stdout("hello\n")
        .stderr(predicates::str::contains(
            "a directory with no *.toml files: going on without it",
        ));
    logdedup()
        .arg("-r")
        .arg(&empty)
        .write_stdin("hello\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "rule directory has no *.toml files",
        ));
}

/// A window case shows its rule at work: `check` does not say the rule
/// has no test. A window case's `expect` written as one string is refused
/// with the fix in the message.
#[test]
fn window_cases_count_as_tests_and_expect_must_be_a_list() {
    let dir = RuleDir::new();
    let rule = "[[rule]]\nname = \"x\"\npattern = 'weather API timed out'\n\n[[test]]\n\
                lines = [\"weather API timed out\", \"weather API timed out\"]\nat = [\"0s\", \"1s\"]\n";
    let good = dir.file(
        "good.toml",
        &format!("{rule}expect = [\"{{time}} | INFO | x (occurred 2 times)\"]\n"),
    );
    logdedup()
        .arg("check")
        .arg(&good)
        .assert()
        .success()
        .stderr("");
    logdedup()
        .arg("test")
        .arg(&good)
        .assert()
        .success()
        .stdout(predicates::str::ends_with("1 passed, 0 failed\n"));
    let bad = dir.file(
        "bad.toml",
        &format!("{rule}expect = \"{{time}} | INFO | x (occurred 2 times)\"\n"),
    );
    logdedup()
        .arg("test")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "expected a sequence (this key takes a list, one string per item: [\"...\", \"...\"])",
        ));
}
