//! A line whose end has not come when the input goes quiet (a prompt):
//! its head is written through, the rest passes as it comes, and the line
//! is never suppressed. On a virtual clock, with an in-memory sink.

use super::*;
use crate::engine::Summary;
use crate::rules::{load_str, Rule};
use std::time::Duration;

const SEC: i64 = 1000;

/// The output stream in memory, summaries in it as `S RULE COUNT` lines
/// (after the line being written, as the filter writes them), and the
/// suppressed bytes apart.
#[derive(Default)]
struct Tape {
    out: Vec<u8>,
    waiting: Vec<u8>,
    suppressed: Vec<u8>,
}

impl Sink for Tape {
    fn pass(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn suppress(&mut self, _: &Rule, bytes: &[u8], _: bool) {
        self.suppressed.extend_from_slice(bytes);
    }

    fn summary(&mut self, summary: &Summary, rule: &Rule, _: bool) {
        let line = format!("S {} {}\n", rule.name, summary.count);
        self.waiting.extend_from_slice(line.as_bytes());
    }

    fn release(&mut self) {
        if self.waiting.is_empty() {
            return;
        }
        if !self.out.is_empty() && !self.out.ends_with(b"\n") {
            self.out.push(b'\n');
        }
        self.out.append(&mut self.waiting);
    }
}

impl Tape {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }

    /// The output without its summary lines.
    fn without_summaries(&self) -> Vec<u8> {
        self.out
            .split_inclusive(|&b| b == b'\n')
            .filter(|line| !line.starts_with(b"S "))
            .flatten()
            .copied()
            .collect()
    }
}

fn pipeline(toml: &str) -> Pipeline {
    let rules = load_str("test.toml", toml, Duration::from_secs(30)).expect("valid rules");
    Pipeline::new(Arc::new(rules), &PipelineOptions::default())
}

fn noise() -> Pipeline {
    pipeline("[[rule]]\nname = \"noise\"\npattern = 'noise'\nwindow = \"10s\"\n")
}

/// Whether the noise rule matches `line`.
fn has_noise(line: &[u8]) -> bool {
    line.windows(5).any(|w| w == b"noise")
}

fn at(ms: i64) -> Time {
    Time(ms)
}

#[test]
fn a_prompt_is_held_until_the_input_goes_quiet_then_written() {
    let mut p = noise();
    let mut tape = Tape::default();
    p.push(b"Enter phone number or bot token: ", at(0), &mut tape);
    assert!(tape.out.is_empty(), "a line is whole before it is decided");
    assert!(p.has_partial());
    p.flush_partial(at(100), &mut tape);
    assert_eq!(tape.text(), "Enter phone number or bot token: ");
    assert!(!p.has_partial(), "nothing is left waiting");
    p.push(b"12345\nnext\n", at(5 * SEC), &mut tape);
    p.finish(at(6 * SEC), &mut tape);
    assert_eq!(
        tape.text(),
        "Enter phone number or bot token: 12345\nnext\n"
    );
    assert_eq!(p.snapshot().lines.passed, 2);
}

#[test]
fn a_line_whose_head_went_out_is_never_suppressed_nor_counted() {
    let mut p = noise();
    let mut tape = Tape::default();
    let input: [&[u8]; 4] = [b"noise ", b"noise\n", b"noise\n", b"done\n"];
    p.push(input[0], at(0), &mut tape);
    p.flush_partial(at(100), &mut tape);
    for (i, piece) in input[1..].iter().enumerate() {
        p.push(piece, at(SEC * (i as i64 + 1)), &mut tape);
    }
    p.finish(at(5 * SEC), &mut tape);
    assert_eq!(tape.text(), "noise noise\ndone\nS noise 1\n");
    assert_eq!(tape.suppressed, b"noise\n");
    // Output minus summaries is the input minus what was suppressed.
    assert_eq!(tape.without_summaries(), b"noise noise\ndone\n");
    let snapshot = p.snapshot();
    assert_eq!((snapshot.lines.passed, snapshot.lines.suppressed), (2, 1));
    assert_eq!(snapshot.per_rule[0].suppressed, 1);
}

#[test]
fn the_rest_of_the_line_passes_as_it_comes_after_its_head() {
    let mut p = noise();
    let mut tape = Tape::default();
    p.push(b"Password: ", at(0), &mut tape);
    p.flush_partial(at(100), &mut tape);
    p.push(b"(hint ", at(SEC), &mut tape);
    assert_eq!(tape.text(), "Password: (hint ", "no need to be quiet again");
    p.flush_partial(at(2 * SEC), &mut tape);
    assert_eq!(tape.text(), "Password: (hint ", "written once");
    p.push(b"noise)\n", at(3 * SEC), &mut tape);
    assert_eq!(tape.text(), "Password: (hint noise)\n");
    assert!(tape.suppressed.is_empty());
}

#[test]
fn summaries_due_wait_for_the_end_of_a_line_whose_head_went_out() {
    let mut p = noise();
    let mut tape = Tape::default();
    p.push(b"noise\n", at(0), &mut tape);
    p.push(b"code: ", at(SEC), &mut tape);
    p.flush_partial(at(SEC + 100), &mut tape);
    p.tick(at(11 * SEC), &mut tape);
    assert_eq!(tape.text(), "code: ", "the summary does not cut the line");
    p.push(b"42\n", at(12 * SEC), &mut tape);
    assert_eq!(tape.text(), "code: 42\nS noise 1\n");
}

#[test]
fn summaries_due_before_the_head_go_out_before_it() {
    let mut p = noise();
    let mut tape = Tape::default();
    p.push(b"noise\n", at(0), &mut tape);
    p.push(b"code: ", at(SEC), &mut tape);
    p.flush_partial(at(11 * SEC), &mut tape);
    assert_eq!(tape.text(), "S noise 1\ncode: ");
}

#[test]
fn a_held_record_before_the_partial_line_is_decided_first() {
    let mut p = pipeline(
        r#"
[input]
continuation = "python-traceback"

[[rule]]
name = "net"
pattern = '^ERROR boom'
exception = 'ConnectionError'
"#,
    );
    let mut tape = Tape::default();
    let record = "ERROR boom\nTraceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: a bug\n";
    p.push(record.as_bytes(), at(0), &mut tape);
    p.push(b"> ", at(0), &mut tape);
    assert!(tape.out.is_empty(), "the record is held, the prompt waits");
    p.flush_partial(at(100), &mut tape);
    assert_eq!(tape.text(), format!("{record}> "));
    p.push(b"y\n", at(SEC), &mut tape);
    p.finish(at(2 * SEC), &mut tape);
    assert_eq!(tape.text(), format!("{record}> y\n"));
}

#[test]
fn a_last_line_written_early_ends_cleanly_before_the_summaries() {
    let mut p = noise();
    let mut tape = Tape::default();
    p.push(b"noise\nbye", at(0), &mut tape);
    p.flush_partial(at(100), &mut tape);
    p.finish(at(SEC), &mut tape);
    assert_eq!(tape.text(), "bye\nS noise 1\n");
    assert_eq!(p.snapshot().lines.passed, 1);
}

#[test]
fn wherever_the_input_goes_quiet_nothing_is_lost_and_only_whole_lines_are_suppressed() {
    let input: &[u8] = b"noise\nask: noise\nnoise\nplain\nnoise";
    for cut in 0..=input.len() {
        let mut p = noise();
        let mut tape = Tape::default();
        p.push(&input[..cut], at(0), &mut tape);
        p.flush_partial(at(100), &mut tape);
        p.push(&input[cut..], at(200), &mut tape);
        p.finish(at(300), &mut tape);
        // A line the rule matches is suppressed unless the quiet came
        // inside it (a last line without `\n` is inside until the input
        // ends); the output minus summaries is the input minus those.
        let (mut start, mut kept, mut dropped) = (0, Vec::new(), Vec::new());
        for line in input.split_inclusive(|&b| b == b'\n') {
            let end = start + line.len();
            let inside = start < cut && (cut < end || (cut == end && !line.ends_with(b"\n")));
            if has_noise(line) && !inside {
                dropped.extend_from_slice(line);
            } else {
                kept.extend_from_slice(line);
            }
            start = end;
        }
        let mut out = tape.without_summaries();
        if !kept.ends_with(b"\n") && out.len() == kept.len() + 1 {
            // The newline written before the summaries.
            out.pop();
        }
        assert_eq!(out, kept, "cut {cut}: {:?}", tape.text());
        assert_eq!(tape.suppressed, dropped, "cut {cut}");
    }
}

#[test]
fn secrets_in_a_head_written_early_are_masked() {
    let mut p = pipeline(
        "[[redact]]\nname = \"tok\"\npattern = '(?P<secret>tok[0-9]+)'\nreplace = \"<r>\"\n",
    );
    let mut tape = Tape::default();
    p.push(b"login with tok123 now? ", at(0), &mut tape);
    p.flush_partial(at(100), &mut tape);
    assert_eq!(tape.text(), "login with <r> now? ");
    p.push(b"yes tok456\n", at(SEC), &mut tape);
    p.finish(at(2 * SEC), &mut tape);
    assert_eq!(tape.text(), "login with <r> now? yes <r>\n");
}
