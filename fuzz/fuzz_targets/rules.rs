//! Rule files: arbitrary text must load or fail with an error, never panic.
//! A rule set that loads must run its own `[[test]]` cases, and `rule_for`
//! must agree with the rules' own patterns (the combined matcher is only a
//! fast path: it may never hide a match, nor invent one).

#![no_main]

use libfuzzer_sys::fuzz_target;
use logdedup::pipeline::{rule_for, run_case};
use logdedup::records::line_content;
use logdedup::rules::{load_str, RedactScratch, RuleSet};
use std::sync::Arc;
use std::time::Duration;

/// Lines every loaded rule set is tried on, besides ones taken from the input.
const PROBES: &[&[u8]] = &[
    b"",
    b"\n",
    b"\r\n",
    b"x",
    b"zq9 unrelated",
    b"Connection lost\n",
    b"socket.send() raised exception.\r\n",
    b"Reconnecting to DC4",
    b"\xff\xfe\x00 invalid utf-8",
    b"ERROR ERROR error",
];

/// The name of the first rule matching `line` as a one-line record (a
/// pattern, and its `exception` when it has one), worked out rule by rule
/// without the combined matcher.
fn slow_rule_for(set: &RuleSet, line: &[u8]) -> Option<String> {
    // Rules see the line with its secrets masked.
    let mut scratch = RedactScratch::default();
    let mut counts = vec![0; set.redactor().redactions().len()];
    let content = line_content(line);
    let content = if set.redactor().apply(content, &mut scratch, &mut counts) {
        &scratch.out[..]
    } else {
        content
    };
    set.rules()
        .iter()
        .find(|r| {
            r.patterns.iter().any(|p| p.is_match(content))
                && r.exception.as_ref().is_none_or(|e| e.is_match(content))
        })
        .map(|r| r.name.clone())
}

fn check(set: &Arc<RuleSet>, line: &[u8]) {
    let fast = rule_for(set, line);
    let slow = slow_rule_for(set, line);
    assert_eq!(
        fast,
        slow,
        "rule_for({:?}) disagrees with the rules' own patterns",
        String::from_utf8_lossy(line)
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(set) = load_str("fuzz.toml", &text, Duration::from_secs(30)) else {
        return;
    };
    assert!(
        !set.rules().is_empty() || !set.redactor().is_empty(),
        "a loaded rule set has rules"
    );
    let set = Arc::new(set);
    for outcome in set.tests().iter().map(|t| run_case(&set, t)) {
        let _ = outcome.passed();
        let text = outcome.test.text();
        check(&set, text.lines().next().unwrap_or("").as_bytes());
    }
    for probe in PROBES {
        check(&set, probe);
    }
    // Lines of the rule file itself: they often contain the patterns' words.
    for line in data.split_inclusive(|&b| b == b'\n').take(32) {
        check(&set, line);
    }
});
