//! Secrets never leave: with no options, a bot token in the input reaches
//! no output by any path (standard output, text and JSON summaries with
//! keys, the audit trail, `--dry-run`, `explain`, `suggest`, `run`), in any
//! layout, cut by the line bound or by reads; `--no-redact` and
//! `[secrets] redact = false` turn masking off; `--stats` counts it.

use std::io::Write;
use std::process::Stdio;

use crate::util::{bin, logdedup, written_text, RuleDir};

/// A token of the real shape (fake: no bot has it).
const TOKEN: &str = "8605995000:AAHtUVQcDMpg0TMkxpdzPaEMM1ZA7V0FhHV";

/// The harvested python-telegram-bot 22 log, with its dummy token
/// replaced by one of the real shape: httpx logs the request URL of every
/// poll, and tracebacks repeat it.
fn ptb_log() -> String {
    let log =
        std::fs::read_to_string("tests/data/harvest/http/ptb22.basic.log").expect("harvested log");
    let log = log.replace("123456:TEST-TOKEN-abcdef", TOKEN);
    assert!(
        log.matches(TOKEN).count() > 50,
        "the test input holds the token"
    );
    log
}

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(TOKEN) && !text.contains(&TOKEN[11..]),
        "{what} shows the token:\n{}",
        text.lines()
            .filter(|l| l.contains(&TOKEN[11..]))
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn no_token_reaches_the_output_summaries_or_audit_trail() {
    let dir = RuleDir::new();
    // A rule whose key and message print the token's place in the URL.
    let rules = dir.file(
        "r.toml",
        "[[rule]]\nname = \"calls\"\npattern = 'POST \\S*/bot(?P<tok>[^/ ]+)/(?P<method>\\w+)'\n\
         key = \"{tok}\"\nmessage = \"calls with {key} to {method}\"\n",
    );
    let audit = dir.path("audit.log");
    let summaries = dir.path("summaries.jsonl");
    for format in ["text", "json"] {
        let out = logdedup()
            .args(["-r", rules.to_str().unwrap(), "--stats", "--format", format])
            .arg("--suppressed-to")
            .arg(&audit)
            .arg("--summary-to")
            .arg(&summaries)
            .write_stdin(ptb_log())
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_clean("standard output", &stdout);
        assert!(stdout.contains("/bot<redacted>"), "{stdout}");
        assert_clean("the audit trail", &written_text(&audit));
        let summary_text = written_text(&summaries);
        assert_clean("the summaries", &summary_text);
        assert!(
            summary_text.contains("calls with <redacted> to"),
            "{summary_text}"
        );
        let stats = String::from_utf8_lossy(&out.stderr);
        let masked: u64 = if format == "json" {
            let v: serde_json::Value = serde_json::from_str(stats.trim()).expect("JSON stats");
            v["redactions"][0]["masked"].as_u64().unwrap_or(0)
        } else {
            stats
                .lines()
                .find(|l| l.starts_with("telegram-bot-token"))
                .and_then(|l| l.split_whitespace().last())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("--stats counts the masks:\n{stats}"))
        };
        assert!(masked > 50, "{stats}");
    }
}

#[test]
fn dry_run_explain_and_suggest_mask_it_too() {
    let log = ptb_log();
    let dry = logdedup()
        .arg("--dry-run")
        .write_stdin(log.clone())
        .output()
        .unwrap();
    assert_clean("--dry-run", &String::from_utf8_lossy(&dry.stdout));
    let explain = logdedup()
        .arg("explain")
        .write_stdin(log.clone())
        .output()
        .unwrap();
    assert!(explain.status.success());
    assert_clean("explain", &String::from_utf8_lossy(&explain.stdout));
    let line = format!("INFO:httpx:HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getMe \"HTTP/1.1 200 OK\"");
    let one = logdedup().args(["explain", "-v", &line]).output().unwrap();
    assert_clean("explain LINE", &String::from_utf8_lossy(&one.stdout));
    for format in ["toml", "table"] {
        let suggest = logdedup()
            .args(["suggest", "--format", format])
            .write_stdin(log.repeat(3))
            .output()
            .unwrap();
        assert!(
            suggest.status.success(),
            "{}",
            String::from_utf8_lossy(&suggest.stderr)
        );
        assert_clean("suggest", &String::from_utf8_lossy(&suggest.stdout));
    }
}

#[test]
fn tokens_in_every_layout_and_behind_collector_prefixes_are_masked() {
    let lines = [
        TOKEN.to_string(),
        format!("BOT_TOKEN={TOKEN}"),
        format!("{{\"level\": \"info\", \"event\": \"HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getUpdates\"}}"),
        format!("2025-11-20 16:32:54.123 | INFO     | httpx._client:_send_single_request:1025 - HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getUpdates \"HTTP/1.1 200 OK\""),
        format!("bot-1  | INFO:httpx:HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getMe \"HTTP/1.1 200 OK\""),
        format!("Mar 14 03:22:41 host python3[2211]: telegram.error.InvalidToken: Not Found: https://api.telegram.org/bot{TOKEN}/getMe"),
        "Traceback (most recent call last):".to_owned(),
        format!("  File \"/srv/bot/bot.py\", line 7, in <module>\n    TOKEN = \"{TOKEN}\""),
        format!("httpx.ConnectError: [Errno 111] Connection refused: url=https://api.telegram.org/bot{}%3A{}/getUpdates", &TOKEN[..10], &TOKEN[11..]),
    ];
    let input = lines.join("\n") + "\n";
    let out = logdedup().write_stdin(input).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_clean("the output", &text);
    assert_eq!(
        text.matches("<redacted>").count(),
        lines.len() - 1,
        "{text}"
    );
}

#[test]
fn a_token_cut_by_the_line_bound_or_by_reads_is_masked_whole() {
    // An over-long line streamed in pieces (--max-line 100): the token
    // straddles the head and the next piece, written a byte at a time.
    let line = format!("{} bot{TOKEN}/getMe {}\n", "x".repeat(70), "y".repeat(300));
    let mut child = std::process::Command::new(bin())
        .args(["--max-line", "100"])
        .env_remove("LOGDEDUP_RULES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for b in line.bytes() {
        stdin.write_all(&[b]).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_clean("a streamed line", &text);
    assert_eq!(text, line.replace(TOKEN, "<redacted>"));

    // The same at the default bound: a line of 1 MiB and more.
    let long = format!(
        "{} {TOKEN} {}\n",
        "x".repeat((1 << 20) - 30),
        "z".repeat(100)
    );
    let out = logdedup().write_stdin(long.clone()).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        long.replace(TOKEN, "<redacted>")
    );
}

#[test]
fn masking_can_be_turned_off() {
    let line = format!("BOT_TOKEN={TOKEN}\n");
    let off = logdedup()
        .arg("--no-redact")
        .write_stdin(line.clone())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&off.stdout), line);
    let dir = RuleDir::new();
    let rules = dir.file(
        "r.toml",
        "[secrets]\nredact = false\n\n[[rule]]\nname = \"x\"\npattern = 'never seen here'\n",
    );
    let off = logdedup()
        .args(["-r", rules.to_str().unwrap()])
        .write_stdin(line.clone())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&off.stdout), line);
    let on = logdedup().write_stdin(line).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&on.stdout),
        "BOT_TOKEN=<redacted>\n"
    );
}

#[test]
fn run_masks_what_the_bot_prints() {
    let out = logdedup()
        .args(["run", "--", "sh", "-c"])
        .arg(format!(
            "echo 'starting with {TOKEN}'; echo 'oops {TOKEN}' >&2"
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "starting with <redacted>\noops <redacted>\n"
    );
}

#[test]
fn user_redactions_apply_after_the_built_in_ones_and_rules_see_masked_text() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "r.toml",
        "[[redact]]\nname = \"email\"\npattern = '[\\w.]+@example\\.org'\nreplace = \"<email>\"\n\n\
         [[rule]]\nname = \"polls\"\npattern = 'bot<redacted>/getUpdates'\n\n\
         [[test]]\nline = \"mail alice@example.org\"\nredacted = \"mail <email>\"\n",
    );
    let test = logdedup()
        .args(["test", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
    let input =
        format!("GET /bot{TOKEN}/getUpdates\nGET /bot{TOKEN}/getUpdates\nmail bob@example.org\n");
    let out = logdedup()
        .args([
            "--no-default-rules",
            "-r",
            rules.to_str().unwrap(),
            "--template",
            "{rule} {count}",
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "mail <email>\npolls 2\n"
    );
}

/// Every harvested HTTP library log (aiogram, python-telegram-bot, urllib3,
/// uvicorn, in every layout) where the harvest's bot had a token of the
/// real shape: none of it reaches the output, in URLs, percent-encoded in
/// uvicorn's access log, in tracebacks or in exception messages.
#[test]
fn no_token_of_the_harvested_logs_gets_through() {
    const HARVEST_TOKEN: &str = "8605995000:AAHtUVQcDMpg0TMkxpdzPaEMM1ZA7V0FhHV";
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/layouts/http");
    let mut all = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    names.sort();
    for path in names {
        all.extend(std::fs::read(path).unwrap());
    }
    let secret = &HARVEST_TOKEN[11..];
    let holding = String::from_utf8_lossy(&all).matches(secret).count();
    assert!(holding > 100, "the harvest holds the token {holding} times");
    let rules = RuleDir::new();
    let audit = rules.path("audit.log");
    let out = logdedup()
        .arg("--suppressed-to")
        .arg(&audit)
        .write_stdin(all)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &written_text(&audit);
    assert_eq!(text.matches(secret).count(), 0, "the token got through");
    assert!(
        text.matches("<redacted>").count() >= holding,
        "every one was masked"
    );
}
