//! Records whose rule decides on the record's last line (`exception = ...`)
//! are held until they end. Holding never reorders output, never loses a
//! line, and never keeps a passing record back longer than the input stays
//! busy plus the idle bound.

use crate::util::{logdedup, written_text, Live, RuleDir};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// A PTB polling failure as python-telegram-bot 22 logs it (harvested).
const NOISE: &str = "\
ERROR:telegram.ext.Application:No error handlers are registered, logging exception.
Traceback (most recent call last):
  File \"/srv/bot/telegram/ext/_updater.py\", line 340, in polling_action_cb
    updates = await self.bot.get_updates(
telegram.error.NetworkError: httpx.ReadError: 
";

/// The same first line, but the handler's own bug: must pass, whole.
const BUG: &str = "\
ERROR:telegram.ext.Application:No error handlers are registered, logging exception.
Traceback (most recent call last):
  File \"/srv/bot/handlers.py\", line 12, in start
    raise ValueError(\"boom in handler\")
ValueError: boom in handler
";

#[test]
fn noise_record_is_suppressed_whole_and_a_bug_passes_whole_in_order() {
    let input = format!("one\n{NOISE}two\n{BUG}three\n{NOISE}");
    let out = logdedup()
        .args(["--template", "{rule} {count}"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("one\ntwo\n{BUG}three\nptb-network-error 2\n")
    );
}

#[test]
fn held_record_that_passes_comes_out_without_more_input() {
    let mut live = Live::spawn(&["--template", "{rule} {count}"]);
    live.send(BUG);
    let start = Instant::now();
    for want in BUG.lines() {
        assert_eq!(live.next_line(WAIT).as_deref(), Some(want));
    }
    // A liveness bound, not a timing assertion: the record was released by
    // the idle timer, long before the input ended.
    assert!(start.elapsed() < WAIT);
    live.send("after\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("after"));
    let (status, rest, _) = live.wait();
    assert!(status.success());
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn held_noise_record_is_counted_when_the_input_pauses() {
    let mut live = Live::spawn(&["--template", "{rule} {count}"]);
    live.send(NOISE);
    live.send("after\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("after"));
    let (status, rest, _) = live.wait();
    assert!(status.success());
    assert_eq!(rest, ["ptb-network-error 1"]);
}

#[test]
fn audit_trail_gets_the_held_record_byte_for_byte() {
    let dir = RuleDir::new();
    let audit = dir.path("audit.log");
    let out = logdedup()
        .args(["--template", "{count}", "--suppressed-to"])
        .arg(&audit)
        .write_stdin(format!("{NOISE}{BUG}"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{BUG}1\n"));
    assert_eq!(written_text(&audit), NOISE);
}

#[test]
fn dry_run_tags_every_line_of_a_held_record() {
    let out = logdedup()
        .args(["--dry-run", "--template", "{rule} {count}"])
        .write_stdin(NOISE)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), NOISE.lines().count() + 1);
    for (got, want) in lines.iter().zip(NOISE.lines()) {
        assert_eq!(*got, format!("[logdedup:ptb-network-error] {want}"));
    }
    assert_eq!(lines.last(), Some(&"ptb-network-error 1"));
}
