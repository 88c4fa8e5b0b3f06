//! `suggest` reads lines with the filter's layout recognizer: layouts its
//! own parser of old did not know get their logger, level and message
//! too. Home Assistant's `(MainThread) [logger]` and a JSON object a line
//! are mined by logger and message, and the rules printed pass
//! `logdedup test` as printed.

use crate::util::{logdedup, RuleDir};

/// A log in the layout `line` writes: a steady bot line every 15 s for an
/// hour, and four floods of a library warning (with an error between its
/// lines) of 12 records within 4 s each.
fn log(line: fn(&str, &str, &str, &str) -> String) -> String {
    let mut out = String::new();
    let stamp = |ms: u64| {
        let (s, ms) = (ms / 1000, ms % 1000);
        format!(
            "2025-11-20 {:02}:{:02}:{:02}.{ms:03}",
            16 + s / 3600,
            s / 60 % 60,
            s % 60
        )
    };
    for i in 0..240u64 {
        let at = i * 15_000;
        let user = format!("Handled /start from user {}", 1000 + i * 7);
        out += &line(&stamp(at), "INFO", "bot.handlers", &user);
        if i % 60 == 30 {
            for k in 0..12 {
                let retry =
                    "Network Retry Loop (Polling Updates): Network error: httpx.ReadError: ";
                let lost = "Error while getting Updates: httpx.ReadError";
                out += &line(
                    &stamp(at + 300 * k + 1),
                    "WARNING",
                    "telegram.ext.Updater",
                    retry,
                );
                out += &line(
                    &stamp(at + 300 * k + 2),
                    "ERROR",
                    "telegram.ext.Updater",
                    lost,
                );
            }
        }
    }
    out
}

/// `text` as a JSON string.
fn json(text: &str) -> String {
    serde_json::to_string(text).expect("a string")
}

/// Runs `logdedup suggest` on `log`, checks its rules with `logdedup
/// test`, and returns what it printed.
fn suggest(log: &str) -> String {
    let dir = RuleDir::new();
    let input = dir.file("bot.log", log);
    let out = logdedup()
        .args(["suggest", "--top", "3", input.to_str().unwrap()])
        .output()
        .expect("suggest runs");
    assert!(out.status.success(), "{out:?}");
    let rules = String::from_utf8(out.stdout).expect("UTF-8");
    let file = dir.file("suggested.toml", &rules);
    logdedup()
        .args(["test", file.to_str().unwrap()])
        .assert()
        .success();
    rules
}

#[test]
fn home_assistant_lines_are_mined_by_logger_and_message() {
    let rules = suggest(&log(|time, level, logger, msg| {
        format!("{time} {level} (MainThread) [{logger}] {msg}\n")
    }));
    assert!(
        rules.contains(concat!(
            r"pattern = '^\d+-\d+-\d+\s+\d+:\d+:\d+\.\d+\s+WARNING\s+\(MainThread\)\s+\[telegram\.ext\.Updater\]\s+",
            r"Network\s+Retry\s+Loop\s+\(Polling\s+Updates\):\s+Network\s+error:\s+httpx\.ReadError:\s*$'",
        )),
        "{rules}"
    );
    assert!(
        rules.contains("message = 'telegram.ext.Updater: Network Retry Loop (Polling Updates): Network error: httpx.ReadError:'"),
        "{rules}"
    );
    assert!(
        rules.contains("# 48 records (14.3% of the input)"),
        "{rules}"
    );
    assert!(
        rules.contains("# 240 records (71.4%): bot.handlers: Handled /start from user *"),
        "{rules}"
    );
}

/// A JSON line's message has no place in the line a pattern could anchor
/// on (and may be escaped): its rule is a rule on the message, naming the
/// logger and the level the JSON gave.
#[test]
fn json_lines_get_a_rule_on_their_message() {
    let rules = suggest(&log(|time, level, logger, msg| {
        format!(
            "{{\"asctime\": {}, \"name\": {}, \"levelname\": {}, \"message\": {}}}\n",
            json(time),
            json(logger),
            json(level),
            json(msg)
        )
    }));
    let rule = concat!(
        "name = 'telegram-network-retry-loop-polling-updates'\n",
        r"body = '^Network\s+Retry\s+Loop\s+\(Polling\s+Updates\):\s+Network\s+error:\s+httpx\.ReadError:\s*$'",
        "\nloggers = ['telegram.ext.Updater']\n",
        "levels = ['WARNING']\n",
    );
    assert!(rules.contains(rule), "{rules}");
    assert!(
        rules.contains("# 48 records (14.3% of the input)"),
        "{rules}"
    );
    assert!(!rules.contains("pattern = "), "{rules}");
    // The error between the warnings is the line that must pass.
    assert!(
        rules.contains(r#"[[test]]  # a similar line that must pass
line = '{"asctime": "2025-11-20 16:07:30.002", "name": "telegram.ext.Updater", "levelname": "ERROR""#),
        "{rules}"
    );

    // The rule is on the message: it takes the same warning in any layout.
    let dir = RuleDir::new();
    let file = dir.file("suggested.toml", &rules);
    logdedup()
        .args(["explain", "--no-default-rules", "-r", file.to_str().unwrap()])
        .arg("WARNING:telegram.ext.Updater:Network Retry Loop (Polling Updates): Network error: httpx.ReadError: ")
        .assert()
        .success()
        .stdout(predicates::str::contains("telegram-network-retry-loop-polling-updates"));
}
