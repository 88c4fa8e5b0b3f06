//! Records (a log line plus its traceback) and log-time windows, on the real
//! binary and through the library with a simulated live clock.

use crate::util::{logdedup, written_text, Live, RuleDir, Shared};
use logdedup::pipeline::PipelineOptions;
use logdedup::records::{LogClock, TimestampSpec};
use logdedup::rules::{load, RuleSource};
use logdedup::stream::{Filter, Outlet, Output};
use logdedup::summary::{Style, SummaryFormatter, Template};
use logdedup::time::{Time, TimeFormatter};
use std::sync::Arc;
use std::time::Duration;

const SOCKET: &str =
    "2025-11-20 16:32:10,100 - asyncio - WARNING - socket.send() raised exception.\n";

const HANDLER_ERROR: &str = "\
2025-11-20 16:32:11,000 - pyrogram.dispatcher - ERROR - Connection lost
Traceback (most recent call last):
  File \"/usr/lib/python3.11/site-packages/pyrogram/dispatcher.py\", line 240, in handler_worker
    await handler.callback(self.client, *args)
  File \"/usr/lib/python3.11/site-packages/pyrogram/session/session.py\", line 336, in send
    await self.connection.send(payload)
OSError: Connection lost
";

const CRASH: &str = "\
Traceback (most recent call last):
  File \"/srv/bot/main.py\", line 31, in <module>
    app.run()
  File \"/usr/lib/python3.11/site-packages/pyrogram/connection/transport/tcp/tcp.py\", line 127, in send
    raise OSError(e)
OSError: Connection lost
";

fn run_default(input: &str) -> String {
    let out = logdedup()
        .args(["--template", "{rule} {count}"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn default_pack_suppresses_a_handler_error_with_its_traceback_whole() {
    let input = format!("before\n{HANDLER_ERROR}after\n");
    assert_eq!(
        run_default(&input),
        "before\nafter\npyrogram-handler-network-error 1\n"
    );
}

/// docker compose prints a blank line of the program as `name-1  |`, with
/// nothing after the bar: it stays inside the chained traceback.
#[test]
fn a_compose_traceback_with_blank_lines_is_one_record() {
    let chained = "\
2025-11-20 16:32:11,000 - pyrogram.dispatcher - ERROR - Connection lost
Traceback (most recent call last):
  File \"/usr/lib/python3.11/site-packages/pyrogram/session/session.py\", line 336, in send
    await self.connection.send(payload)
OSError: Connection lost

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"/usr/lib/python3.11/site-packages/pyrogram/dispatcher.py\", line 240, in handler_worker
    await handler.callback(self.client, *args)
OSError: Connection lost
";
    let composed: String = chained
        .lines()
        .map(|l| {
            if l.is_empty() {
                "bot-1  |\n".to_string()
            } else {
                format!("bot-1  | {l}\n")
            }
        })
        .collect();
    let input = format!("bot-1  | before\n{composed}bot-1  | after\n");
    assert_eq!(
        run_default(&input),
        "bot-1  | before\nbot-1  | after\npyrogram-handler-network-error 1\n"
    );
}

/// A paste from a terminal pads every line with spaces to the window's
/// width; the rules' `$` still finds the end of the words, on the first
/// line and on the traceback's last.
#[test]
fn lines_padded_with_spaces_are_matched_on_their_words() {
    let padded: String = HANDLER_ERROR
        .lines()
        .map(|l| format!("{l:<120}\n"))
        .collect();
    assert_eq!(
        run_default(&format!("before\n{padded}after\n")),
        "before\nafter\npyrogram-handler-network-error 1\n"
    );
}

#[test]
fn crash_traceback_after_a_socket_send_flood_stays_visible() {
    let input = format!("{}{CRASH}", SOCKET.repeat(50));
    assert_eq!(
        run_default(&input),
        format!("{CRASH}asyncio-socket-send 50\n")
    );
}

#[test]
fn crash_traceback_after_pyrogram_send_exception_stays_visible() {
    let input = format!(
        "2025-11-20 16:32:11,000 - pyrogram.connection.transport.tcp.tcp - INFO - Send exception: ConnectionResetError Connection lost\n{CRASH}"
    );
    assert_eq!(
        run_default(&input),
        format!("{CRASH}pyrogram-send-exception 1\n")
    );
}

#[test]
fn crash_traceback_right_after_a_suppressed_handler_error_stays_visible() {
    let input = format!("{HANDLER_ERROR}{CRASH}");
    assert_eq!(
        run_default(&input),
        format!("{CRASH}pyrogram-handler-network-error 1\n")
    );
}

#[test]
fn suppressed_record_goes_whole_to_the_audit_file() {
    let dir = RuleDir::new();
    let audit = dir.path("audit.log");
    let out = logdedup()
        .args([
            "--template",
            "{count}",
            "--suppressed-to",
            audit.to_str().unwrap(),
        ])
        .write_stdin(format!("{HANDLER_ERROR}{HANDLER_ERROR}x\n"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x\n2\n");
    assert_eq!(written_text(&audit), HANDLER_ERROR.repeat(2));
}

#[test]
fn docker_compose_prefixes_are_seen_through_per_service() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "handler.toml",
        "[input]\ncontinuation = \"python-traceback\"\n[[rule]]\nname = \"handler\"\npattern = 'pyrogram\\.dispatcher - ERROR - Connection lost$'\nmultiline = true\n",
    );
    let input = "\
bot-1  | 2025-11-20 16:32:11,000 - pyrogram.dispatcher - ERROR - Connection lost
web-1  | INFO:     127.0.0.1 - \"GET /health HTTP/1.1\" 200 OK
bot-1  | Traceback (most recent call last):
bot-1  |   File \"session.py\", line 336, in send
web-1  | INFO:     127.0.0.1 - \"GET / HTTP/1.1\" 200 OK
bot-1  | OSError: Connection lost
bot-1  | 2025-11-20 16:32:12,000 - bot - INFO - back
";
    let out = logdedup()
        .args(["-r", rules.to_str().unwrap(), "--no-default-rules"])
        .args(["--template", "{rule} {count}"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "web-1  | INFO:     127.0.0.1 - \"GET /health HTTP/1.1\" 200 OK\n\
         web-1  | INFO:     127.0.0.1 - \"GET / HTTP/1.1\" 200 OK\n\
         bot-1  | 2025-11-20 16:32:12,000 - bot - INFO - back\n\
         handler 1\n"
    );
}

#[test]
fn journald_prefix_is_seen_through() {
    let p = "Mar 14 03:22:41 host python3[2211]: ";
    let input = format!(
        "{p}ERROR:pyrogram.dispatcher:Connection lost\n{p}Traceback (most recent call last):\n{p}  File \"x.py\", line 1, in f\n{p}OSError: Connection lost\n{p}INFO:bot:fine\n"
    );
    assert_eq!(
        run_default(&input),
        format!("{p}INFO:bot:fine\npyrogram-handler-network-error 1\n")
    );
}

#[test]
fn passing_record_lines_are_not_delayed_to_find_its_end() {
    let mut live = Live::spawn(&[]);
    live.send("2025-11-20 16:32:11,000 - bot - ERROR - boom\nTraceback (most recent call last):\n");
    let wait = Duration::from_secs(10);
    assert_eq!(
        live.next_line(wait).as_deref(),
        Some("2025-11-20 16:32:11,000 - bot - ERROR - boom")
    );
    assert_eq!(
        live.next_line(wait).as_deref(),
        Some("Traceback (most recent call last):")
    );
    live.send("  File \"x.py\", line 1, in f\n");
    assert_eq!(
        live.next_line(wait).as_deref(),
        Some("  File \"x.py\", line 1, in f")
    );
    let (status, _, _) = live.wait();
    assert!(status.success());
}

#[test]
fn record_start_on_the_command_line() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "r.toml",
        "[[rule]]\nname = \"n\"\npattern = 'noise'\nmultiline = true\n",
    );
    let out = logdedup()
        .args([
            "-r",
            rules.to_str().unwrap(),
            "--record-start",
            r"^\d{4}-",
            "--template",
            "{count}",
        ])
        .write_stdin("2025- noise\ndetail of noise\n  more\n2025- real\ndetail of real\n")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2025- real\ndetail of real\n1\n"
    );
}

#[test]
fn continuation_regex_on_the_command_line_overrides_the_files() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "r.toml",
        "[input]\ncontinuation = \"python-traceback\"\n[[rule]]\nname = \"n\"\npattern = 'noise'\nmultiline = true\n",
    );
    let out = logdedup()
        .args([
            "-r",
            rules.to_str().unwrap(),
            "--continuation",
            "^>",
            "--template",
            "{count}",
        ])
        .write_stdin("noise\n> more\n  indented\n")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "  indented\n1\n");
}

#[test]
fn bad_framing_options_exit_2() {
    for args in [
        &["--record-start", "(x"][..],
        &["--continuation", ""],
        &["--clock", "sundial"],
        &["--record-start", "x", "--continuation", "y"],
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
fn conflicting_input_sections_across_files_exit_2() {
    let dir = RuleDir::new();
    let a = dir.file(
        "a.toml",
        "[input]\ncontinuation = \"python-traceback\"\n[[rule]]\nname = \"a\"\npattern = 'a'\n",
    );
    let b = dir.file(
        "b.toml",
        "[input]\nrecord_start = '^x'\n[[rule]]\nname = \"b\"\npattern = 'b'\n",
    );
    let out = logdedup()
        .args(["-r", a.to_str().unwrap(), "-r", b.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:1:1: [input] sets record_start = '^x', but {}:1 already set continuation = \"python-traceback\"", b.display(), a.display())),
        "{err}"
    );
}

// --- log time -------------------------------------------------------------

/// A 10-minute log: a bot line every 7 s, noise bursts (every 2 s) in three
/// stretches, one line without a timestamp (a traceback line) and one
/// out-of-order timestamp. Returns the lines and their log times (seconds).
fn ten_minute_log() -> Vec<(String, i64)> {
    let base = 16 * 3600 + 30 * 60; // 16:30:00
    let stamp = |t: i64| {
        let s = base + t;
        format!(
            "2025-11-20 {:02}:{:02}:{:02},000",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    };
    let mut lines = Vec::new();
    for t in 0..600 {
        let noisy = (40..100).contains(&t) || (200..215).contains(&t) || (400..520).contains(&t);
        if noisy && t % 2 == 0 {
            lines.push((
                format!(
                    "{} - asyncio - WARNING - socket.send() raised exception.",
                    stamp(t)
                ),
                t,
            ));
        }
        if t % 7 == 0 {
            lines.push((format!("{} - bot - INFO - tick {t}", stamp(t)), t));
        }
        if t == 300 {
            lines.push(("    (a line without its own time)".to_owned(), t));
        }
        if t == 450 {
            // Clock skew: an earlier stamp must not move windows back.
            lines.push((format!("{} - bot - INFO - late writer", stamp(t - 60)), t));
        }
    }
    lines
}

/// What the output must be: each window opens at the first noise line when
/// none is open and closes 30 s later; its summary stands before the first
/// line at or after that time; the last one comes at the end.
fn expected_output(lines: &[(String, i64)]) -> (String, Vec<u64>) {
    let mut out = String::new();
    let mut open: Option<(i64, u64)> = None;
    let mut counts = Vec::new();
    let base = 16 * 3600 + 30 * 60;
    let hms = |t: i64| {
        let s = base + t;
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    };
    for (line, t) in lines {
        if let Some((start, count)) = open {
            if *t >= start + 30 {
                out.push_str(&format!("SUMMARY {} {count}\n", hms(start + 30)));
                counts.push(count);
                open = None;
            }
        }
        if line.contains("socket.send()") {
            let (start, count) = open.unwrap_or((*t, 0));
            open = Some((start, count + 1));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some((_, count)) = open {
        let last = lines.last().unwrap().1;
        out.push_str(&format!("SUMMARY {} {count}\n", hms(last)));
        counts.push(count);
    }
    (out, counts)
}

#[test]
fn replaying_a_file_with_log_clock_gives_the_expected_summaries_in_place() {
    let lines = ten_minute_log();
    let input: String = lines.iter().flat_map(|(l, _)| [l.as_str(), "\n"]).collect();
    let out = logdedup()
        .args([
            "--clock",
            "log",
            "--utc",
            "--template",
            "SUMMARY {time} {count}",
            "--time-format",
            "%H:%M:%S",
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (expected, counts) = expected_output(&lines);
    // 60 noise lines in 40..100 → windows at 40, 70; 8 in 200..215 → one;
    // 60 in 400..520 → windows at 400, 430, 460, 490.
    assert_eq!(counts, [15, 15, 8, 15, 15, 15, 15]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

fn filter(out: &Shared, log_clock: bool) -> Filter {
    let rules = Arc::new(
        load(
            &[RuleSource::parse("builtin:asyncio")],
            Duration::from_secs(30),
        )
        .unwrap(),
    );
    let formatter = SummaryFormatter::new(
        Style::Template(Template::parse("SUMMARY {time} {count}").unwrap()),
        TimeFormatter::new("%H:%M:%S", true).unwrap(),
    );
    let output = Output::new(
        Outlet::new("out", Box::new(out.clone())),
        None,
        None,
        formatter,
        false,
        false,
    );
    Filter::new(
        rules,
        output,
        &PipelineOptions {
            log_clock: log_clock.then(|| LogClock::new(TimestampSpec::Auto, true, 2025)),
            ..PipelineOptions::default()
        },
    )
}

/// Replay equals live: the same lines, arriving paced as logged on a wall
/// clock (with the timer firing every 100 ms in between), give exactly the
/// output of a `--clock log` replay of the file.
#[test]
fn live_paced_run_equals_log_clock_replay() {
    let lines = ten_minute_log();
    let epoch = 1_763_656_200_000; // 2025-11-20 16:30:00 UTC, in ms

    let live_out = Shared::default();
    let mut live = filter(&live_out, false);
    let mut now = epoch;
    for (line, t) in &lines {
        let arrival = epoch + t * 1000;
        while now + 100 <= arrival {
            now += 100;
            live.tick(Time(now)).unwrap();
        }
        now = arrival;
        live.push(format!("{line}\n").as_bytes(), Time(arrival))
            .unwrap();
    }
    live.finish(Time(now)).unwrap();

    let replay_out = Shared::default();
    let mut replay = filter(&replay_out, true);
    let whole: String = lines.iter().flat_map(|(l, _)| [l.as_str(), "\n"]).collect();
    // The wall time passed here is far in the future: log time must win.
    replay
        .push(whole.as_bytes(), Time(epoch + 86_400_000))
        .unwrap();
    replay.finish(Time(epoch + 86_400_000)).unwrap();

    let live_text = String::from_utf8(live_out.bytes()).unwrap();
    let replay_text = String::from_utf8(replay_out.bytes()).unwrap();
    assert_eq!(live_text, replay_text);
    assert_eq!(live_text.matches("SUMMARY").count(), 7);
}

/// A matching line before the first timestamp takes the first timestamp's
/// time: it must not pin a window to some other clock for the whole replay.
#[test]
fn log_clock_lines_before_the_first_timestamp_take_the_first_one() {
    let mut input = String::from("socket.send() raised exception.\n");
    for t in 0..120 {
        input.push_str(&format!(
            "2025-11-20 16:{:02}:{:02},000 - asyncio - WARNING - socket.send() raised exception.\n",
            30 + t / 60,
            t % 60
        ));
    }
    let out = logdedup()
        .args([
            "--clock",
            "log",
            "--utc",
            "--template",
            "{first} {count}",
            "--time-format",
            "%H:%M:%S",
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "16:30:00 31\n16:30:30 30\n16:31:00 30\n16:31:30 30\n"
    );
}
