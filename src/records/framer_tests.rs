//! Tests of record framing.
use super::*;

fn frames(framing: Framing, lines: &[&str]) -> Vec<Frame> {
    let mut f = Framer::new(framing);
    lines
        .iter()
        .map(|l| {
            let (frame, _) = f.classify(l.as_bytes());
            if frame == Frame::Start {
                f.started(Some(Disposition::Pass));
            }
            frame
        })
        .collect()
}

use Frame::{Continuation as C, Start as S};

#[test]
fn python_traceback_is_one_record_with_its_log_line() {
    let lines = [
        "2025-11-20 16:33:01,118 - pyrogram.session.session - ERROR - Connection lost",
        "Traceback (most recent call last):",
        "  File \"/usr/lib/python3.11/site-packages/pyrogram/session/session.py\", line 290, in send",
        "    await self.connection.send(payload)",
        "OSError: Connection lost",
        "2025-11-20 16:33:02,000 - bot - INFO - next",
    ];
    assert_eq!(frames(Framing::PythonTraceback, &lines), [S, C, C, C, C, S]);
}

#[test]
fn loguru_marks_the_raising_frame_and_it_stays_in_the_record() {
    let lines = [
        "2026-12-04 16:03:23.861 | ERROR    | telethon.network.mtprotosender:_recv_loop:544 - Unhandled error while receiving data",
        "Traceback (most recent call last):",
        "  File \"/srv/bot/drive_telethon.py\", line 120, in <module>",
        "    main()",
        "    └ <function main at 0x7f8847ff8860>",
        "> File \"/usr/local/lib/python3.11/site-packages/telethon/network/mtprotosender.py\", line 528, in _recv_loop",
        "    body = await self._connection.recv()",
        "telethon.errors.common.InvalidChecksumError: Invalid checksum (1 when 2 was expected). This packet should be skipped.",
        "> not a frame",
    ];
    assert_eq!(
        frames(Framing::PythonTraceback, &lines),
        [S, C, C, C, C, C, C, C, S]
    );
}

#[test]
fn chained_tracebacks_stay_together() {
    let lines = [
        "ERROR:bot:failed",
        "Traceback (most recent call last):",
        "  File \"a.py\", line 1, in f",
        "KeyError: 'x'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        "  File \"a.py\", line 3, in g",
        "ValueError: bad",
        "INFO:bot:next",
    ];
    assert_eq!(
        frames(Framing::PythonTraceback, &lines),
        [S, C, C, C, C, C, C, C, C, C, S]
    );
}

#[test]
fn a_second_traceback_right_after_one_is_a_new_record() {
    let lines = [
        "ERROR:pyrogram:Connection lost",
        "Traceback (most recent call last):",
        "  File \"x.py\", line 1, in f",
        "OSError: Connection lost",
        "Traceback (most recent call last):",
        "  File \"main.py\", line 31, in <module>",
        "OSError: Connection lost",
    ];
    assert_eq!(
        frames(Framing::PythonTraceback, &lines),
        [S, C, C, C, S, C, C]
    );
}

#[test]
fn blank_lines_outside_a_traceback_start_records() {
    assert_eq!(
        frames(Framing::PythonTraceback, &["INFO:a:b", "", "INFO:a:c"]),
        [S, S, S]
    );
}

#[test]
fn rich_wrapped_and_boxed_lines_continue() {
    let lines = [
        "[11/20/25 16:32:54] WARNING  a very long message that rich   handler.py:12",
        "                    wrapped onto a second line",
        "╭───────────── Traceback (most recent call last) ─────────────╮",
        "│ /srv/bot/main.py:31 in <module>                             │",
        "╰─────────────────────────────────────────────────────────────╯",
        "[11/20/25 16:32:55] INFO     next",
    ];
    assert_eq!(frames(Framing::PythonTraceback, &lines), [S, C, C, C, C, S]);
}

#[test]
fn collector_prefixes_are_seen_through_per_source() {
    let lines = [
        "bot-1  | ERROR:pyrogram:Connection lost",
        "web-1  | INFO: GET / 200",
        "bot-1  | Traceback (most recent call last):",
        "bot-1  |   File \"x.py\", line 1, in f",
        "web-1  | INFO: GET /health 200",
        "bot-1  | OSError: Connection lost",
    ];
    assert_eq!(frames(Framing::PythonTraceback, &lines), [S, S, C, C, S, C]);
    let journal = [
        "Mar 14 03:22:41 host python3[2211]: ERROR:bot:boom",
        "Mar 14 03:22:41 host python3[2211]: Traceback (most recent call last):",
        "Mar 14 03:22:41 host python3[2211]:   File \"x.py\", line 1, in f",
        "Mar 14 03:22:41 host python3[2211]: RuntimeError: boom",
    ];
    assert_eq!(frames(Framing::PythonTraceback, &journal), [S, C, C, C]);
    let heroku = [
        "2022-01-07T15:23:27.046930+00:00 app[worker.1]: ERROR:bot:boom",
        "2022-01-07T15:23:27.047000+00:00 app[worker.1]: Traceback (most recent call last):",
    ];
    assert_eq!(frames(Framing::PythonTraceback, &heroku), [S, C]);
}

#[test]
fn record_start_and_continuation_regexes() {
    let start = Framing::RecordStart(Regex::new(r"^\d{4}-").unwrap());
    assert_eq!(
        frames(start, &["2025- a", "more", "  more", "2025- b"]),
        [S, C, C, S]
    );
    let cont = Framing::Continuation(Regex::new(r"^\s").unwrap());
    assert_eq!(frames(cont, &["a", " b", "c"]), [S, C, S]);
    // No previous record: even a continuation-looking line starts one.
    let cont = Framing::Continuation(Regex::new(r"^\s").unwrap());
    assert_eq!(frames(cont, &[" a", " b"]), [S, C]);
}

#[test]
fn framing_off_makes_every_line_a_record() {
    assert_eq!(
        frames(
            Framing::Lines,
            &["a", " b", "Traceback (most recent call last):"]
        ),
        [S, S, S]
    );
}
