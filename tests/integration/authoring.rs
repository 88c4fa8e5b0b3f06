//! The rule-authoring commands on the real binary: check, test, explain,
//! rules, suggest, inline `-e` rules and `--dry-run`, with their error paths.

use crate::util::{logdedup, written_text, RuleDir, SOCKET_LINE};
use predicates::prelude::*;

const GOOD: &str = "\
[[rule]]
name = \"noise\"
pattern = 'noise (?P<n>\\d+)'
key = \"{n}\"
message = \"noise {key}\"

[[test]]
line = \"noise 7\"
rule = \"noise\"
key = \"7\"

[[test]]
line = \"signal\"
";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn check_prints_one_line_per_file_and_exits_0() {
    let dir = RuleDir::new();
    let a = dir.file("a.toml", GOOD);
    logdedup()
        .args(["check", a.to_str().unwrap()])
        .assert()
        .success()
        .stdout(format!("{}: 1 rule, 2 tests, ok\n", a.display()));
}

#[test]
fn check_lists_every_error_of_a_file_and_exits_2() {
    let dir = RuleDir::new();
    let bad = dir.file(
        "bad.toml",
        "[[rule]]\nname = \"a\"\npattern = '(x'\n[[rule]]\nname = \"b\"\npattern = 'y'\nwindow = \"soon\"\n",
    );
    let good = dir.file("good.toml", GOOD);
    logdedup()
        .args(["check", bad.to_str().unwrap(), good.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout(format!(
            "{}: 2 errors\n{}: 1 rule, 2 tests, ok\n",
            bad.display(),
            good.display()
        ))
        .stderr(predicate::str::contains(format!(
            "logdedup: {}:3:11: rule \"a\": invalid pattern '(x': unclosed group\n",
            bad.display()
        )))
        .stderr(predicate::str::contains(format!(
            "logdedup: {}:7:10: rule \"b\": window: invalid duration \"soon\"",
            bad.display()
        )));
}

#[test]
fn check_reports_unreadable_and_malformed_files() {
    logdedup()
        .args(["check", "/nonexistent/rules.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/rules.toml: cannot open rule file",
        ));
    let dir = RuleDir::new();
    let broken = dir.file("broken.toml", "[[rule]\nname = \"a\"\n");
    logdedup()
        .args(["check", broken.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}:1:", broken.display())));
}

#[test]
fn check_warns_about_untested_and_shadowed_rules_but_exits_0() {
    let dir = RuleDir::new();
    let file = dir.file(
        "w.toml",
        "[[rule]]\nname = \"wide\"\npattern = 'lost'\n\
         [[rule]]\nname = \"narrow\"\npattern = 'connection lost'\n\
         [[rule]]\nname = \"untested\"\npattern = 'zzz'\n\
         [[test]]\nline = \"connection lost\"\nrule = \"narrow\"\n\
         [[test]]\nline = \"lost\"\nrule = \"wide\"\n",
    );
    logdedup()
        .args(["check", "--quiet", file.to_str().unwrap()])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains(
            "rule \"narrow\" can never win: earlier rule \"wide\" matches every one of its test lines",
        ))
        .stderr(predicate::str::contains(
            "rule \"untested\" has no [[test]] case",
        ));
}

#[test]
fn check_without_files_checks_what_the_filter_would_load() {
    logdedup()
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::contains("builtin:asyncio: 1 rule"))
        .stdout(predicate::str::contains("builtin:ptb:"));
}

#[test]
fn test_reports_a_failing_case_with_its_place_and_exits_1() {
    let dir = RuleDir::new();
    let file = dir.file(
        "t.toml",
        &format!("{GOOD}\n[[test]]\nline = \"noise 9\"\n\n[[test]]\nline = \"noise 8\"\nrule = \"noise\"\nkey = \"9\"\n"),
    );
    logdedup()
        .args(["test", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "FAIL  {}:15\n      | noise 9\n      expected it to pass, but rule \"noise\" matched\n",
            file.display()
        )))
        .stdout(predicate::str::contains(
            "expected key \"9\", but the key is \"8\"",
        ))
        .stdout(predicate::str::ends_with("2 passed, 2 failed\n"));
}

#[test]
fn test_runs_window_cases_on_a_virtual_clock() {
    let dir = RuleDir::new();
    let case = |expect_count: u32| {
        format!(
            "[[rule]]\nname = \"n\"\npattern = 'noise'\nwindow = 30\n\
             [[test]]\nlines = [\"noise\", \"noise\", \"ok\", \"noise\"]\nat = [\"0s\", \"1s\", \"2s\", \"45s\"]\n\
             expect = [\"ok\", \"{{time}} | INFO | n (occurred {expect_count} times)\", \"{{time}} | INFO | n (occurred 1 time)\"]\n"
        )
    };
    let good = dir.file("good.toml", &case(2));
    logdedup()
        .args(["test", "--no-default-rules", good.to_str().unwrap()])
        .assert()
        .success()
        .stdout("1 passed, 0 failed\n");
    let bad = dir.file("bad.toml", &case(3));
    logdedup()
        .args(["test", bad.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("expected output:"))
        .stdout(predicate::str::contains(
            "  {time} | INFO | n (occurred 2 times)",
        ));
}

#[test]
fn test_with_invalid_rules_exits_2() {
    let dir = RuleDir::new();
    let file = dir.file("x.toml", "[[rule]]\nname = \"a\"\n");
    logdedup()
        .args(["test", file.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("missing `pattern`"));
}

#[test]
fn explain_names_the_rule_the_key_or_passes() {
    let dir = RuleDir::new();
    let file = dir.file("a.toml", GOOD);
    logdedup()
        .args([
            "explain",
            "--no-default-rules",
            "-r",
            file.to_str().unwrap(),
        ])
        .args(["noise 4", "quiet"])
        .assert()
        .success()
        .stdout("noise [key \"4\"]  noise 4\npasses  quiet\n");
}

#[test]
fn explain_verbose_shows_groups_and_rules_that_lost_on_order() {
    let dir = RuleDir::new();
    let a = dir.file("a.toml", "[[rule]]\nname = \"first\"\npattern = 'lost'\n");
    let b = dir.file("b.toml", GOOD);
    logdedup()
        .args(["explain", "-v", "--no-default-rules"])
        .args(["-r", a.to_str().unwrap(), "-r", b.to_str().unwrap()])
        .arg("noise 5 lost")
        .assert()
        .success()
        .stdout(predicate::str::contains("first  noise 5 lost\n"))
        .stdout(predicate::str::contains("  first ("))
        .stdout(
            predicate::str::contains("  noise (")
                .and(predicate::str::contains("also matches, but loses on order")),
        )
        .stdout(predicate::str::contains("groups n=\"5\""));
}

#[test]
fn explain_summary_counts_records_of_stdin() {
    logdedup()
        .args(["explain", "--summary"])
        .write_stdin(format!("{SOCKET_LINE}{SOCKET_LINE}hello\n"))
        .assert()
        .success()
        .stdout(predicate::str::contains("asyncio-socket-send           2"))
        .stdout(predicate::str::contains("passes                        1"));
}

#[test]
fn rules_list_show_and_unknown_pack() {
    logdedup()
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("telethon-reconnect      2  no"));
    logdedup()
        .args(["rules", "show", "asyncio"])
        .assert()
        .success()
        .stdout(predicate::str::contains("name = \"asyncio-socket-send\""));
    logdedup()
        .args(["rules", "show", "nope"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "unknown built-in rule pack \"nope\"",
        ));
}

#[test]
fn inline_rules_work_without_any_rule_file() {
    logdedup()
        .args(["-e", "Server closed the connection", "-w", "1m"])
        .args(["--no-default-rules", "--template", "{rule} {count}"])
        .write_stdin("Server closed the connection: 0 bytes\nkept\nServer closed the connection\n")
        .assert()
        .success()
        .stdout("kept\ne1 2\n");
    logdedup()
        .args(["-e", "closed=Server closed", "-e", "kept"])
        .args(["--template", "{rule} {count}"])
        .write_stdin("Server closed\nkept\n")
        .assert()
        .success()
        .stdout("closed 1\ne2 1\n");
}

#[test]
fn a_bad_inline_rule_is_a_usage_error_naming_it() {
    logdedup()
        .args(["-e", "ok", "-e", "(oops"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("-e e2"))
        .stderr(predicate::str::contains("unclosed group"));
}

#[test]
fn dry_run_tags_instead_of_suppressing_and_counts_as_a_real_run() {
    let dir = RuleDir::new();
    let audit = dir.path("audit.log");
    logdedup()
        .args([
            "--dry-run",
            "--stats",
            "--template",
            "S {count}",
            "--suppressed-to",
        ])
        .arg(&audit)
        .write_stdin(format!("a\n{SOCKET_LINE}b\n"))
        .assert()
        .success()
        .stdout(format!(
            "a\n[logdedup:asyncio-socket-send] {SOCKET_LINE}b\nS 1\n"
        ))
        .stderr(predicate::str::contains(
            "3 lines in, 2 passed, 1 suppressed",
        ));
    assert_eq!(written_text(&audit), SOCKET_LINE);
}

#[test]
fn message_placeholders_render_and_unknown_ones_are_refused() {
    let dir = RuleDir::new();
    let good = dir.file(
        "g.toml",
        "[[rule]]\nname = \"r\"\npattern = 'retry (?P<m>\\w+) for (?P<bot>\\w+)'\nkey = \"{m}\"\nmessage = \"retrying {key} ({bot})\"\nwindow = 30\n",
    );
    logdedup()
        .args(["-r", good.to_str().unwrap(), "--no-default-rules"])
        .args(["--template", "{message} {count}"])
        .write_stdin("retry send for alpha\nretry get for alpha\nretry send for beta\n")
        .assert()
        .success()
        .stdout("retrying send (alpha) 1\nretrying get (alpha) 1\nretrying send (beta) 1\n");
    let bad = dir.file(
        "b.toml",
        "[[rule]]\nname = \"r\"\npattern = 'retry'\nmessage = \"retrying {method}\"\n",
    );
    logdedup()
        .args(["check", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:4:11: rule \"r\": message uses {{method}}, but pattern 'retry' has no group",
            bad.display()
        )));
}

#[test]
fn suggest_output_passes_check_and_test() {
    let dir = RuleDir::new();
    let out = logdedup()
        .args(["suggest", "--top", "5", "examples/suggest-input.log"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rules = dir.file("suggested.toml", &stdout(&out));
    logdedup()
        .args(["check", rules.to_str().unwrap()])
        .assert()
        .success();
    logdedup()
        .args(["test", rules.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::ends_with(" 0 failed\n"));
    // Standard input works as well as a file, with the same result.
    let input = std::fs::read("examples/suggest-input.log").unwrap();
    let piped = logdedup()
        .args(["suggest", "--top", "5"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(stdout(&piped), stdout(&out));
}

#[test]
fn check_reports_schema_errors_of_every_table_at_once() {
    let dir = RuleDir::new();
    let file = dir.file(
        "many.toml",
        "[[rule]]\nname = \"a\"\npatern = \"x\"\n\n[[rule]]\nname = \"b\"\npattern = \"(\"\n\n\
         [[rule]]\nname = \"c\"\npattern = \"c\"\nlevle = \"x\"\n[[test]]\nlien = \"x\"\n",
    );
    let out = logdedup()
        .args(["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), format!("{}: 4 errors\n", file.display()));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        ":3:1: rule \"a\": unknown field `patern`",
        ":7:11: rule \"b\": invalid pattern '(': unclosed group",
        ":12:1: rule \"c\": unknown field `levle`",
        ":14:1: unknown field `lien`",
    ] {
        assert!(err.contains(want), "{want} not in:\n{err}");
    }
    // The filter reports the first and says how many more there are.
    logdedup()
        .args(["-r", file.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "(and 3 more; `logdedup check` lists them all)",
        ));
}

/// Regression (found trying it as a new user): with the default packs'
/// traceback framing on, an inline or file rule used to take the crash
/// traceback after the line it matched, hiding why the bot died. A rule
/// takes continuation lines only with `multiline = true` now.
#[test]
fn a_crash_traceback_after_a_line_your_rule_takes_passes() {
    let crash = "Traceback (most recent call last):\n  File \"bot.py\", line 9, in main\nRuntimeError: boom in handler\n";
    let input = format!("INFO:bot:normal line 1\nINFO:bot:normal line 2\n{crash}");
    logdedup()
        .args(["-e", r"normal line \d", "--template", "{rule} {count}"])
        .write_stdin(input.clone())
        .assert()
        .success()
        .stdout(format!("{crash}e1 2\n"));
    // Asked for, a rule takes its record whole.
    let dir = RuleDir::new();
    let whole = dir.file(
        "whole.toml",
        "[[rule]]\nname = \"whole\"\npattern = 'normal line 2'\nmultiline = true\n",
    );
    logdedup()
        .args([
            "-r",
            whole.to_str().unwrap(),
            "--template",
            "{rule} {count}",
        ])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("INFO:bot:normal line 1\nwhole 1\n");
}

#[test]
fn suggest_says_so_when_nothing_is_worth_a_rule_and_prints_no_rules() {
    logdedup()
        .args(["suggest", "--no-default-rules"])
        .write_stdin("INFO:bot:one\nINFO:bot:two\n")
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("looked like noise worth a rule"));
}

#[test]
fn suggest_finds_a_flood_in_a_log_without_timestamps() {
    let mut log = String::from("INFO:bot:start\n");
    log.push_str(&"WARNING:asyncio:socket.send() raised exception.\n".repeat(200));
    log.push_str("INFO:bot:stop\n");
    logdedup()
        .args(["suggest", "--no-default-rules"])
        .write_stdin(log)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "name = 'asyncio-socket-send-raised-exception'",
        ));
}

#[test]
fn rules_show_takes_builtin_names_and_sets() {
    logdedup()
        .args(["rules", "show", "builtin:ptb"])
        .assert()
        .success()
        .stdout(predicate::str::contains("name = \"ptb-network-error\""));
    let out = logdedup()
        .args(["rules", "show", "default"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).matches("# ---- builtin:").count(), 5);
}
