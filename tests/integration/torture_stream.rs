//! Hostile streams through the real binary: nothing lost, nothing mangled,
//! no panic, whatever the bytes.

use crate::util::{logdedup, written, written_text, RuleDir};

/// Runs `input` through logdedup with summaries and suppressed lines sent to
/// files, and returns (stdout, summaries, suppressed).
fn run_split(rules: &str, input: &[u8], extra: &[&str]) -> (Vec<u8>, String, Vec<u8>) {
    let dir = RuleDir::new();
    let rules = dir.file("r.toml", rules);
    let summaries = dir.path("summaries");
    let suppressed = dir.path("suppressed");
    let out = logdedup()
        .arg("-r")
        .arg(&rules)
        .arg("--no-default-rules")
        .args(["--template", "{rule} {key} {count}", "--summary-to"])
        .arg(&summaries)
        .arg("--suppressed-to")
        .arg(&suppressed)
        .args(extra)
        .write_stdin(input.to_vec())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, written_text(&summaries), written(&suppressed))
}

fn total_count(summaries: &str) -> usize {
    summaries
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap().parse::<usize>().unwrap())
        .sum()
}

const NOISE: &str = "[[rule]]\nname = \"noise\"\npattern = 'noise'\n";

#[test]
fn only_newlines_pass_unchanged() {
    let input = vec![b'\n'; 100_000];
    let (out, summaries, suppressed) = run_split(NOISE, &input, &[]);
    assert!(out == input);
    assert!(summaries.is_empty() && suppressed.is_empty());
}

#[test]
fn nul_and_ff_bytes_pass_and_match() {
    let mut input = Vec::new();
    for i in 0..5_000u32 {
        input.extend_from_slice(b"\0\0\xff");
        if i % 3 == 0 {
            input.extend_from_slice(b"noise\0\xff");
        }
        input.extend_from_slice(&[0xff; 7]);
        input.push(b'\n');
    }
    let (out, summaries, suppressed) = run_split(NOISE, &input, &[]);
    assert_eq!(out.len() + suppressed.len(), input.len());
    assert_eq!(total_count(&summaries), 1667);
    assert_eq!(memchr::memchr_iter(b'\n', &suppressed).count(), 1667);
    assert!(out
        .split(|&b| b == b'\n')
        .all(|l| !l.windows(5).any(|w| w == b"noise")));
}

#[test]
fn mixed_crlf_and_lf_keep_their_endings() {
    let input = b"a\r\nnoise\r\nb\nnoise\nc\r\n\r\n\nnoise\r\n".to_vec();
    let (out, summaries, suppressed) = run_split(NOISE, &input, &[]);
    assert_eq!(out, b"a\r\nb\nc\r\n\r\n\n");
    assert_eq!(suppressed, b"noise\r\nnoise\nnoise\r\n");
    assert_eq!(summaries, "noise  3\n");
}

#[test]
fn ten_mebibyte_line_passes_whole() {
    let mut input = vec![b'q'; 10 << 20];
    input.extend_from_slice(b"\nafter\n");
    let (out, _, _) = run_split(NOISE, &input, &[]);
    assert!(out == input);
}

#[test]
fn ten_mebibyte_noise_line_is_suppressed_whole() {
    let mut input = b"noise ".to_vec();
    input.extend(std::iter::repeat_n(b'q', 10 << 20));
    input.extend_from_slice(b"\nafter\n");
    let (out, summaries, suppressed) = run_split(NOISE, &input, &[]);
    assert_eq!(out, b"after\n");
    assert_eq!(summaries, "noise  1\n");
    assert_eq!(suppressed.len(), input.len() - 6);
}

#[test]
fn hundred_thousand_distinct_keys_all_counted() {
    let rules = "[[rule]]\nname = \"k\"\npattern = 'key=(?P<k>\\d+)'\nkey = \"{k}\"\n";
    let mut input = String::new();
    for i in 0..100_000 {
        input.push_str(&format!("key={i}\n"));
        if i % 1000 == 0 {
            input.push_str("real line\n");
        }
    }
    let (out, summaries, suppressed) = run_split(rules, input.as_bytes(), &[]);
    assert_eq!(out, "real line\n".repeat(100).into_bytes());
    assert_eq!(memchr::memchr_iter(b'\n', &suppressed).count(), 100_000);
    // max_keys (10 000) closes the oldest windows early, each with its summary.
    assert_eq!(summaries.lines().count(), 100_000);
    assert_eq!(total_count(&summaries), 100_000);
}

#[test]
fn two_rules_matching_one_line_count_it_once() {
    let rules = "[[rule]]\nname = \"first\"\npattern = 'noise'\n[[rule]]\nname = \"second\"\npattern = 'noise.*'\n";
    let (out, summaries, _) = run_split(rules, b"noise\nnoise again\n", &[]);
    assert!(out.is_empty());
    assert_eq!(summaries, "first  2\n");
}

#[test]
fn lines_longer_than_max_line_with_tiny_limit() {
    let input = b"noise and more\nabcdefghijklmnop\nnoise\nxy".to_vec();
    // "noise and more" is decided on its first 5 bytes, "noise": suppressed
    // whole. "noise" itself is exactly 5 bytes, so it is matched whole.
    let (out, summaries, suppressed) = run_split(NOISE, &input, &["--max-line", "5"]);
    assert_eq!(out, b"abcdefghijklmnop\nxy");
    assert_eq!(suppressed, b"noise and more\nnoise\n");
    assert_eq!(summaries, "noise  2\n");
    // With 4, no line shows the whole word: everything passes.
    let (out, summaries, _) = run_split(NOISE, &input, &["--max-line", "4"]);
    assert!(out == input);
    assert!(summaries.is_empty());
}

#[test]
fn random_bytes_never_crash_and_lose_nothing() {
    // A fixed pseudo-random stream (xorshift), heavy in newlines and matches.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut input = Vec::with_capacity(1 << 20);
    while input.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        match x % 16 {
            0..=2 => input.push(b'\n'),
            3 => input.extend_from_slice(b"noise"),
            4 => input.extend_from_slice(b"\r\n"),
            _ => input.push((x >> 32) as u8),
        }
    }
    let (out, summaries, suppressed) = run_split(NOISE, &input, &["--max-line", "100"]);
    assert_eq!(out.len() + suppressed.len(), input.len());
    let suppressed_lines = suppressed.split_inclusive(|&b| b == b'\n').count();
    assert_eq!(total_count(&summaries), suppressed_lines);
}
