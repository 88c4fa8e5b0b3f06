//! The event loop on an in-memory output, with events queued by hand: what
//! waits for the input to go quiet (a held record, a prompt) comes out
//! whatever event follows the data, never only when more input comes.

use super::*;
use crate::pipeline::PipelineOptions;
use crate::process::Reload;
use crate::report::{Metrics, MetricsOptions, Notes};
use crate::rules::load_str;
use crate::stream::{Outlet, Output};
use crate::summary::{Style, SummaryFormatter};
use crate::time::TimeFormatter;
use signal_hook::consts::{SIGHUP, SIGUSR1};
use std::io::Write;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

/// A record the `net` rule holds until its last line is known; that line
/// is not a network error, so the record passes, once the input is quiet.
const RECORD: &str = "ERROR boom\nTraceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: a bug\n";

const RULES: &str = r#"
[input]
continuation = "python-traceback"

[[rule]]
name = "net"
pattern = '^ERROR boom'
exception = 'ConnectionError'
"#;

/// How long the test waits for output: a liveness bound, far beyond
/// [`QUIET`].
const WAIT: Duration = Duration::from_secs(10);

/// Standard output in memory.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Starts a loop (plain filter, no CMD) on its own thread, reading the
/// events queued on the returned sender; what it writes goes to `out`.
fn start(out: &Shared) -> (SyncSender<Event>, thread::JoinHandle<Result<Outcome>>) {
    let rules = Arc::new(load_str("r.toml", RULES, Duration::from_secs(30)).expect("rules"));
    let formatter = SummaryFormatter::new(
        Style::Default,
        TimeFormatter::new("%H:%M", true).expect("format"),
    );
    let output = Output::new(
        Outlet::new("memory", Box::new(out.clone())),
        None,
        None,
        formatter,
        false,
        false,
    );
    let filter = Filter::new(rules, output, &PipelineOptions::default());
    // A reload that fails: it must not be what lets the record out (a
    // successful one decides the held record by itself).
    let reload: Reload = Arc::new(|| anyhow::bail!("no rules in this test"));
    let (tx, rx) = mpsc::sync_channel::<Event>(16);
    let loop_tx = tx.clone();
    let handle = thread::spawn(move || {
        let notes = Notes::start();
        let (recycle, _recycled) = mpsc::channel();
        let clock = WallClock::start();
        let mut event_loop = Loop {
            filter,
            metrics: Metrics::new(MetricsOptions::default(), clock.now()),
            clock,
            notes: &notes,
            reloader: Reloader::new(reload),
            tx: loop_tx,
            recycle,
            shutdown: Shutdown::new(2, Some(Duration::from_secs(10))),
            upstream: None,
            last_data: None,
        };
        event_loop.run(&rx)
    });
    (tx, handle)
}

fn signal(signal: i32) -> Event {
    Event::Notice(Notice::Signal {
        signal,
        by_kernel: false,
    })
}

/// Queues `events` at once, then waits for `want` in the output; ends the
/// input and returns whether `want` came before that.
fn comes_out(events: Vec<Event>, want: &str) -> bool {
    let out = Shared::default();
    let (tx, handle) = start(&out);
    for event in events {
        tx.send(event).expect("loop running");
    }
    let deadline = Instant::now() + WAIT;
    while !out.text().contains(want) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    let came = out.text().contains(want);
    tx.send(Event::End).expect("loop running");
    let outcome = handle.join().expect("loop thread");
    assert!(matches!(outcome, Ok(Outcome::Eof)), "{outcome:?}");
    assert!(out.text().contains(want), "finish writes it in any case");
    came
}

#[test]
fn a_held_record_comes_out_whatever_event_follows_its_data() {
    let (head, rest) = RECORD.split_at(20);
    let followers: Vec<(&str, Vec<Event>)> = vec![
        ("nothing", vec![]),
        ("more data", vec![Event::Data(b"  more\n".to_vec())]),
        ("SIGUSR1", vec![signal(SIGUSR1)]),
        ("SIGHUP", vec![signal(SIGHUP)]),
        ("a timer", vec![Event::Timer]),
        (
            "every kind",
            vec![
                signal(SIGUSR1),
                Event::Timer,
                signal(SIGHUP),
                signal(SIGUSR1),
            ],
        ),
    ];
    for (what, follow) in followers {
        for split in [false, true] {
            let mut events = if split {
                vec![
                    Event::Data(head.as_bytes().to_vec()),
                    Event::Data(rest.as_bytes().to_vec()),
                ]
            } else {
                vec![Event::Data(RECORD.as_bytes().to_vec())]
            };
            events.extend(follow.iter().map(copy));
            assert!(
                comes_out(events, "ValueError: a bug\n"),
                "held record followed by {what} (split: {split}) never came out"
            );
        }
    }
}

#[test]
fn a_prompt_comes_out_whatever_event_follows_it() {
    for follow in [vec![], vec![signal(SIGUSR1)], vec![Event::Timer]] {
        let mut events = vec![Event::Data(b"Enter phone number or bot token: ".to_vec())];
        events.extend(follow);
        assert!(comes_out(events, "Enter phone number or bot token: "));
    }
}

/// The events used here again (`Event` holds errors, so it is not `Clone`).
fn copy(event: &Event) -> Event {
    match event {
        Event::Data(bytes) => Event::Data(bytes.clone()),
        Event::Notice(Notice::Signal { signal, by_kernel }) => Event::Notice(Notice::Signal {
            signal: *signal,
            by_kernel: *by_kernel,
        }),
        Event::End => Event::End,
        _ => Event::Timer,
    }
}
