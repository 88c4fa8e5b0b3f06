//! Torture test for rule-file validation: malformed rule files, each with
//! the exact one-line message `logdedup` must print for it.
//!
//! Every case runs the real binary with `-r <temp file>` and checks exit
//! status 2, an empty stdout and exactly `logdedup: MESSAGE\n` on stderr.
//! In MESSAGE, `{path}` stands for the first rule file (or directory) and
//! `{path2}` for the second. All mismatches are collected and reported
//! together, so one run shows every problem.

use crate::util::logdedup;
use std::path::Path;
use std::time::Duration;

/// What the case passes as `-r`.
enum Rules {
    /// One rule file with this text.
    File(&'static str),
    /// Two rule files, given as two `-r` options in this order.
    Files(&'static str, &'static str),
    /// A path where no file exists.
    Missing,
    /// A directory holding these files (name, text) and no `*.toml`.
    Dir(&'static [(&'static str, &'static str)]),
    /// `builtin:NAME`.
    Builtin(&'static str),
}

struct Case {
    what: &'static str,
    rules: Rules,
    want: &'static str,
}

const fn file(what: &'static str, text: &'static str, want: &'static str) -> Case {
    Case {
        what,
        rules: Rules::File(text),
        want,
    }
}

const CASES: &[Case] = &[
    // ---- TOML syntax -------------------------------------------------------
    // `pattern` given twice in one table.
    file(
        "duplicate key in a table",
        "[[rule]]\nname = \"a\"\npattern = 'x'\npattern = 'y'\n",
        "{path}:4:1: duplicate key `pattern` in table `rule`",
    ),
    // `line` given twice in one [[test]].
    file(
        "duplicate key in a [[test]]",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n[[test]]\nline = \"x\"\nline = \"y\"\n",
        "{path}:6:1: duplicate key `line` in table `test`",
    ),
    // ---- unknown keys ------------------------------------------------------
    // A key at the top level.
    file(
        "unknown top-level key",
        "colour = \"red\"\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:1:1: unknown field `colour`, expected one of `defaults`, `input`, `rule`, `redact`, `secrets`, `test`",
    ),
    // Typo in [defaults].
    file(
        "unknown key in [defaults]",
        "[defaults]\nwindw = \"1s\"\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:2:1: unknown field `windw`, expected one of `window`, `level`, `pass_first`, `ignore_case`, `max_keys`",
    ),
    // Typo in the second [[rule]]: the message must name rule "b", not "a".
    file(
        "unknown key in the second [[rule]]",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\nname = \"b\"\npatern = 'y'\n",
        "{path}:7:1: rule \"b\": unknown field `patern`, expected one of `name`, `pattern`, `patterns`, `exception`, `message`, `note`, `level`, `window`, `pass_first`, `key`, `ignore_case`, `max_keys`, `multiline`, `body`, `bodies`, `loggers`, `levels`, `bare`",
    ),
    // Typo written before the `name` of its rule.
    file(
        "unknown key before the rule's name",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\npatern = 'y'\nname = \"b\"\n",
        "{path}:6:1: rule \"b\": unknown field `patern`, expected one of `name`, `pattern`, `patterns`, `exception`, `message`, `note`, `level`, `window`, `pass_first`, `key`, `ignore_case`, `max_keys`, `multiline`, `body`, `bodies`, `loggers`, `levels`, `bare`",
    ),
    // [[test]] takes `rule`, not `expected`.
    file(
        "unknown key in [[test]]",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[test]]\nline = \"x\"\nexpected = \"a\"\n",
        "{path}:7:1: unknown field `expected`, expected one of `line`, `record`, `lines`, `at`, `expect`, `rule`, `key`, `redacted`",
    ),
    // A typo in [input].
    file(
        "unknown key in [input]",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[input]\nrecord_begin = '^x'\n",
        "{path}:6:1: unknown field `record_begin`, expected one of `record_start`, `continuation`, `timestamp`, `layout`",
    ),
    // Framing set twice in one table.
    file(
        "record_start and continuation together",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\nrecord_start = '^x'\ncontinuation = 'python-traceback'\n",
        "{path}:6:16: [input] sets both record_start and continuation; use one",
    ),
    // A bad framing regex.
    file(
        "invalid record_start",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\nrecord_start = '^(\\d'\n",
        "{path}:5:16: [input] record_start: invalid pattern '^(\\d': unclosed group",
    ),
    // An unknown timestamp preset.
    file(
        "unknown timestamp preset",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = \"apache\"\n",
        "{path}:5:13: [input] timestamp: unknown preset \"apache\" (known: python, pyrogram, iso8601 (rfc3339, docker, heroku), syslog (journalctl), loguru (home-assistant))",
    ),
    // A custom timestamp without its format.
    file(
        "timestamp without format",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = { pattern = '^(\\S+)' }\n",
        "{path}:5:13: [input] timestamp needs both `pattern` and `format`",
    ),
    // multiline must be a boolean.
    file(
        "multiline as a string",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nmultiline = \"no\"\n",
        "{path}:4:13: rule \"a\": invalid type: string \"no\", expected true or false",
    ),
    // ---- wrong types -------------------------------------------------------
    // A number as the name: no rule name to report.
    file(
        "name = 5",
        "[[rule]]\nname = 5\npattern = 'x'\n",
        "{path}:2:8: invalid type: integer `5`, expected a string",
    ),
    file(
        "pattern = 3",
        "[[rule]]\nname = \"a\"\npattern = 3\n",
        "{path}:3:11: rule \"a\": invalid type: integer `3`, expected a string",
    ),
    // `patterns` must be a list.
    file(
        "patterns = \"x\"",
        "[[rule]]\nname = \"a\"\npatterns = \"x\"\n",
        "{path}:3:12: rule \"a\": invalid type: string \"x\", expected a sequence (this key takes a list, one string per item: [\"...\", \"...\"])",
    ),
    // A number inside `patterns`: points at the element.
    file(
        "patterns = ['x', 3]",
        "[[rule]]\nname = \"a\"\npatterns = ['x', 3]\n",
        "{path}:3:18: rule \"a\": invalid type: integer `3`, expected a string",
    ),
    file(
        "ignore_case = \"yes\"",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nignore_case = \"yes\"\n",
        "{path}:4:15: rule \"a\": invalid type: string \"yes\", expected true or false",
    ),
    // A window needs a unit and quotes.
    file(
        "window = true",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = true\n",
        "{path}:4:10: rule \"a\": window: expected a duration such as \"30s\" or a number of seconds, not boolean",
    ),
    // Wrong type in the second rule: names rule "b".
    file(
        "level = 3 in the second rule",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\nname = \"b\"\npattern = 'y'\nlevel = 3\n",
        "{path}:8:9: rule \"b\": invalid type: integer `3`, expected a string",
    ),
    // [[test]] line must be a string.
    file(
        "[[test]] line = 5",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[test]]\nline = 5\n",
        "{path}:6:8: invalid type: integer `5`, expected a string",
    ),
    // ---- names -------------------------------------------------------------
    // The second [[rule]] has no name: points at its header.
    file(
        "missing name",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\npattern = 'y'\nlevel = \"WARN\"\n",
        "{path}:5:1: missing field `name`",
    ),
    file(
        "empty name",
        "[[rule]]\nname = \"\"\npattern = 'x'\n",
        "{path}:2:8: rule name is empty",
    ),
    // Only blanks.
    file(
        "blank name",
        "[[rule]]\nname = \"  \"\npattern = 'x'\n",
        "{path}:2:8: rule name is empty",
    ),
    // Same name twice in one file: "first defined at" names the first header.
    file(
        "duplicate name in one file",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\nname = \"a\"\npattern = 'y'\n",
        "{path}:6:8: rule \"a\": duplicate rule name (first defined at {path}:1)",
    ),
    // Same name in two files given as two -r options.
    Case {
        what: "duplicate name across two files",
        rules: Rules::Files(
            "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\nname = \"dup\"\npattern = 'y'\n",
            "# second file\n[[rule]]\nname = \"dup\"\npattern = 'z'\n",
        ),
        want: "{path2}:3:8: rule \"dup\": duplicate rule name (first defined at {path}:5)",
    },
    // ---- pattern / patterns ------------------------------------------------
    // Neither: points at the rule's name.
    file(
        "neither pattern nor patterns",
        "[[rule]]\nname = \"a\"\nmessage = \"A\"\n",
        "{path}:2:8: rule \"a\": missing `pattern` (or `patterns = [...]`)",
    ),
    file(
        "both pattern and patterns",
        "[[rule]]\nname = \"a\"\npattern = 'x'\npatterns = ['y']\n",
        "{path}:4:12: rule \"a\": set either `pattern` or `patterns`, not both",
    ),
    file(
        "empty pattern",
        "[[rule]]\nname = \"a\"\npattern = ''\n",
        "{path}:3:11: rule \"a\": pattern is empty (it would match every line)",
    ),
    file(
        "empty patterns list",
        "[[rule]]\nname = \"a\"\npatterns = []\n",
        "{path}:3:12: rule \"a\": `patterns` is empty",
    ),
    // ---- invalid regexes ---------------------------------------------------
    file(
        "regex: unclosed group",
        "[[rule]]\nname = \"a\"\npattern = '(x'\n",
        "{path}:3:11: rule \"a\": invalid pattern '(x': unclosed group",
    ),
    file(
        "regex: unclosed class",
        "[[rule]]\nname = \"a\"\npattern = '[x'\n",
        "{path}:3:11: rule \"a\": invalid pattern '[x': unclosed character class",
    ),
    file(
        "regex: repetition of nothing",
        "[[rule]]\nname = \"a\"\npattern = '*x'\n",
        "{path}:3:11: rule \"a\": invalid pattern '*x': repetition operator missing expression",
    ),
    // Group names may not start with a digit.
    file(
        "regex: invalid named group",
        "[[rule]]\nname = \"a\"\npattern = '(?P<1x>y)'\n",
        "{path}:3:11: rule \"a\": invalid pattern '(?P<1x>y)': invalid capture group character",
    ),
    // The bad one is the second of `patterns`: points at it.
    file(
        "regex: second of patterns invalid",
        "[[rule]]\nname = \"a\"\npatterns = ['x', '(y']\n",
        "{path}:3:18: rule \"a\": invalid pattern '(y': unclosed group",
    ),
    // ---- patterns that match every line ------------------------------------
    file(
        "pattern .*",
        "[[rule]]\nname = \"a\"\npattern = '.*'\n",
        "{path}:3:11: rule \"a\": pattern '.*' matches every line (it can match the empty string)",
    ),
    file(
        "pattern x*",
        "[[rule]]\nname = \"a\"\npattern = 'x*'\n",
        "{path}:3:11: rule \"a\": pattern 'x*' matches every line (it can match the empty string)",
    ),
    // An empty alternation.
    file(
        "pattern |",
        "[[rule]]\nname = \"a\"\npattern = '|'\n",
        "{path}:3:11: rule \"a\": pattern '|' matches every line (it can match the empty string)",
    ),
    // One optional element in a list is enough to swallow everything.
    file(
        "patterns with y?",
        "[[rule]]\nname = \"a\"\npatterns = ['x', 'y?']\n",
        "{path}:3:18: rule \"a\": pattern 'y?' matches every line (it can match the empty string)",
    ),
    // ---- durations ---------------------------------------------------------
    // No unit.
    file(
        "window \"30\"",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = \"30\"\n",
        "{path}:4:10: rule \"a\": window: invalid duration \"30\" (expected e.g. 500ms, 30s, 5m, 1h30m): time unit needed, for example 30sec or 30ms",
    ),
    file(
        "window \"0s\"",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = \"0s\"\n",
        "{path}:4:10: rule \"a\": window: duration \"0s\" is zero; a window must be at least 1ms",
    ),
    file(
        "window \"soon\"",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = \"soon\"\n",
        "{path}:4:10: rule \"a\": window: invalid duration \"soon\" (expected e.g. 500ms, 30s, 5m, 1h30m): expected number at 0",
    ),
    file(
        "window \"\"",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = \"\"\n",
        "{path}:4:10: rule \"a\": window: empty duration (expected e.g. 500ms, 30s, 5m, 1h30m)",
    ),
    // The same four in [defaults]: no rule to name.
    file(
        "[defaults] window \"30\"",
        "[defaults]\nwindow = \"30\"\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:2:10: [defaults] window: invalid duration \"30\" (expected e.g. 500ms, 30s, 5m, 1h30m): time unit needed, for example 30sec or 30ms",
    ),
    file(
        "[defaults] window \"0s\"",
        "[defaults]\nwindow = \"0s\"\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:2:10: [defaults] window: duration \"0s\" is zero; a window must be at least 1ms",
    ),
    file(
        "[defaults] window \"soon\"",
        "[defaults]\nwindow = \"soon\"\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:2:10: [defaults] window: invalid duration \"soon\" (expected e.g. 500ms, 30s, 5m, 1h30m): expected number at 0",
    ),
    file(
        "[defaults] window \"\"",
        "[defaults]\nwindow = \"\"\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:2:10: [defaults] window: empty duration (expected e.g. 500ms, 30s, 5m, 1h30m)",
    ),
    // ---- max_keys and level ------------------------------------------------
    file(
        "max_keys = 0",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nmax_keys = 0\n",
        "{path}:4:12: rule \"a\": max_keys must be at least 1",
    ),
    file(
        "[defaults] max_keys = 0",
        "[defaults]\nmax_keys = 0\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:2:12: [defaults] max_keys must be at least 1",
    ),
    file(
        "empty level",
        "[[rule]]\nname = \"a\"\npattern = 'x'\nlevel = \"\"\n",
        "{path}:4:9: rule \"a\": level is empty",
    ),
    // Only blanks, in [defaults].
    file(
        "[defaults] blank level",
        "[defaults]\nlevel = \" \"\n\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
        "{path}:2:9: [defaults] level is empty",
    ),
    // ---- key templates -----------------------------------------------------
    // {d} where the group is called dc.
    file(
        "key names a missing group",
        "[[rule]]\nname = \"a\"\npattern = 'DC(?P<dc>[0-9]+)'\nkey = \"{d}\"\n",
        "{path}:4:7: rule \"a\": key names capture group {d}, but pattern 'DC(?P<dc>[0-9]+)' has no group (?P<d>...)",
    ),
    // {2} with one group, in the second rule.
    file(
        "key group number out of range",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n[[rule]]\nname = \"b\"\npattern = 'DC([0-9]+)'\nkey = \"{2}\"\n",
        "{path}:7:7: rule \"b\": key names capture group {2}, but pattern 'DC([0-9]+)' has only 1 group(s)",
    ),
    // A literal key: one window for every line.
    file(
        "key without placeholder",
        "[[rule]]\nname = \"a\"\npattern = 'DC(?P<dc>[0-9]+)'\nkey = \"dc\"\n",
        "{path}:4:7: rule \"a\": key \"dc\" names no capture group, so every line would share one window (write e.g. key = \"{dc}\", or drop the key)",
    ),
    file(
        "key with unclosed {",
        "[[rule]]\nname = \"a\"\npattern = 'DC(?P<dc>[0-9]+)'\nkey = \"DC{dc\"\n",
        "{path}:4:7: rule \"a\": unclosed '{' at byte 2 of key \"DC{dc\"",
    ),
    file(
        "key with stray }",
        "[[rule]]\nname = \"a\"\npattern = 'DC(?P<dc>[0-9]+)'\nkey = \"DC}dc\"\n",
        "{path}:4:7: rule \"a\": unmatched '}' in key \"DC}dc\" (write '}}')",
    ),
    file(
        "key with empty {}",
        "[[rule]]\nname = \"a\"\npattern = 'DC(?P<dc>[0-9]+)'\nkey = \"DC{}\"\n",
        "{path}:4:7: rule \"a\": empty placeholder '{}' in key \"DC{}\"",
    ),
    // The group exists in the first of `patterns` only.
    file(
        "key group missing from one of two patterns",
        "[[rule]]\nname = \"a\"\npatterns = ['DC(?P<dc>[0-9]+) reset', 'reconnecting']\nkey = \"{dc}\"\n",
        "{path}:4:7: rule \"a\": key names capture group {dc}, but pattern 'reconnecting' has no group (?P<dc>...)",
    ),
    // ---- [[test]] ----------------------------------------------------------
    file(
        "[[test]] names no rule",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[test]]\nline = \"x\"\nrule = \"b\"\n",
        "{path}:7:8: [[test]] expects rule \"b\", which no loaded file defines",
    ),
    // Points at the [[test]] header.
    file(
        "[[test]] without line",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[test]]\nrule = \"a\"\n",
        "{path}:5:1: [[test]] needs `line`, `record` or `lines`",
    ),
    // ---- whole files and sources -------------------------------------------
    file(
        "only [defaults]",
        "[defaults]\nlevel = \"INFO\"\n",
        "{path}: defines no [[rule]]",
    ),
    file("empty file", "", "{path}: defines no [[rule]]"),
    Case {
        what: "missing rule file",
        rules: Rules::Missing,
        want: "{path}: cannot open rule file: {enoent}",
    },
    Case {
        what: "empty directory",
        rules: Rules::Dir(&[]),
        want: "{path}: rule directory has no *.toml files",
    },
    // Files, but none ending in .toml.
    Case {
        what: "directory without *.toml",
        rules: Rules::Dir(&[("rules.txt", "[[rule]]\nname = \"a\"\npattern = 'x'\n")]),
        want: "{path}: rule directory has no *.toml files",
    },
    Case {
        what: "unknown builtin pack",
        rules: Rules::Builtin("nope"),
        want: "unknown built-in rule pack \"nope\" (available: builtin:secrets, builtin:asyncio, builtin:pyrogram, builtin:telethon, builtin:aiogram, builtin:ptb, builtin:pyrogram-reconnect, builtin:telethon-reconnect, builtin:httpx-polling, builtin:urllib3, builtin:uvicorn, builtin:nginx-error-page, builtin:default, builtin:all)",
    },
    // ---- messages reworded for rule authors --------------------------------
    // An unclosed basic string: hint at the missing quote.
    file(
        "unclosed basic string",
        "[[rule]]\nname = \"a\npattern = 'x'\n",
        "{path}:2:10: invalid basic string (is a closing quote missing?)",
    ),
    // A two-line toml message stays readable on one line.
    file(
        "unclosed array-of-tables header",
        "[[rule]]\nname = \"a\"\npattern = 'x'\n[[rule\n",
        "{path}:4:7: invalid table header: expected `.`, `]]`",
    ),
    // A regex escape in a double-quoted string: point to single quotes.
    file(
        "regex escape in a basic string",
        "[[rule]]\nname = \"a\"\npattern = \"socket\\.send\"\n",
        "{path}:3:20: invalid escape sequence: expected `b`, `f`, `n`, `r`, `t`, `u`, `U`, `\\`, `\"` (write patterns in single quotes, e.g. 'socket\\.send', where backslashes stay as written)",
    ),
    // Negative counts are explained in TOML's words, not Rust's.
    file(
        "negative pass_first",
        "[[rule]]\nname = \"a\"\npattern = 'x'\npass_first = -1\n",
        "{path}:4:14: rule \"a\": invalid value: integer `-1`, expected a whole number >= 0",
    ),
    // `.+` matches every non-empty line: it would swallow the stream.
    file(
        "pattern matching every non-empty line",
        "[[rule]]\nname = \"a\"\npattern = '.+'\n",
        "{path}:3:11: rule \"a\": pattern '.+' matches every non-empty line",
    ),
    // A single-bracket [rule] is a table, not an array of tables.
    file(
        "[rule] instead of [[rule]]",
        "[rule]\nname = \"a\"\npattern = 'x'\n",
        "{path}:1:1: invalid type: table, expected a sequence (write [[rule]] / [[test]], with double brackets)",
    ),
];

/// Runs one case; `Err` describes how the outcome differs from the expectation.
fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write rule file");
        path
    };
    let show = |p: &Path| p.display().to_string();
    let mut args = Vec::new();
    let mut want = case.want.to_owned();
    match &case.rules {
        Rules::File(text) => {
            let path = write("rules.toml", text);
            want = want.replace("{path}", &show(&path));
            args.push(show(&path));
        }
        Rules::Files(first, second) => {
            let (p1, p2) = (write("one.toml", first), write("two.toml", second));
            want = want.replace("{path2}", &show(&p2));
            want = want.replace("{path}", &show(&p1));
            args.extend([show(&p1), show(&p2)]);
        }
        Rules::Missing => {
            let path = dir.path().join("missing.toml");
            let enoent = std::fs::metadata(&path).expect_err("file is missing");
            want = want.replace("{path}", &show(&path));
            want = want.replace("{enoent}", &enoent.to_string());
            args.push(show(&path));
        }
        Rules::Dir(files) => {
            let sub = dir.path().join("rules.d");
            std::fs::create_dir(&sub).expect("create rule dir");
            for (name, text) in *files {
                std::fs::write(sub.join(name), text).expect("write file");
            }
            want = want.replace("{path}", &show(&sub));
            args.push(show(&sub));
        }
        Rules::Builtin(name) => args.push(format!("builtin:{name}")),
    }
    let want = format!("logdedup: {want}\n");

    let mut cmd = logdedup();
    cmd.timeout(Duration::from_secs(20))
        .write_stdin("x\nsome line\n");
    for arg in &args {
        cmd.arg("-r").arg(arg);
    }
    let out = cmd.output().map_err(|e| format!("run: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit status {:?}, want 2", out.status.code()));
    }
    if !out.stdout.is_empty() {
        problems.push(format!(
            "stdout not empty: {:?}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    if stderr != want {
        problems.push(format!(
            "stderr\n      want: {want:?}\n      got:  {stderr:?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n    "))
    }
}

#[test]
fn malformed_rule_files_are_refused_with_exact_messages() {
    assert!(CASES.len() >= 30);
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| {
            check(case)
                .err()
                .map(|why| format!("  [{}]\n    {why}", case.what))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} malformed rule cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
