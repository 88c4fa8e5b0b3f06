//! `suggest` end to end: the rules it proposes for one generated bot log,
//! loaded as a rule file, collapse the noise of another log (another seed)
//! and leave the bot's own lines alone; and whatever odd bytes the log
//! holds, what it prints loads and its `[[test]]` cases pass.

use std::io::Read;
use std::time::Duration;

use crate::util::botlog::{self, Label};
use logdedup::engine::Summary;
use logdedup::pipeline::{per_line_options, rule_for, run_case, Pipeline, Sink, Verdict};
use logdedup::rules::{load_str, Rule, RuleSet};
use logdedup::suggest::{suggest, KnownRules, SuggestFormat, SuggestOptions, SuggestReport};
use logdedup::time::Time;

const WINDOW: Duration = Duration::from_secs(30);

/// No rules loaded.
const NONE: fn(&[u8]) -> bool = |_| false;

/// A generated log as labelled records.
fn bot_log(seed: u64, size: u64) -> Vec<(Vec<u8>, Label)> {
    let mut records = Vec::new();
    botlog::generate(size, 0.3, seed, &mut |record, label| {
        records.push((record.to_vec(), label));
        Ok(())
    })
    .expect("generating into memory cannot fail");
    records
}

fn run_suggest(
    log: Vec<u8>,
    opts: &SuggestOptions,
    known: &dyn KnownRules,
) -> (String, SuggestReport) {
    let mut out = Vec::new();
    let inputs: Vec<Box<dyn Read>> = vec![Box::new(std::io::Cursor::new(log))];
    let report = suggest(inputs, opts, known, false, &mut out).expect("suggest runs");
    (String::from_utf8(out).expect("output is UTF-8"), report)
}

/// Whether a rule takes each line of `log`, as the filter decides them.
fn taken_lines(set: &std::sync::Arc<RuleSet>, log: &[u8]) -> Vec<bool> {
    struct Verdicts(Vec<bool>);
    impl Sink for Verdicts {
        fn pass(&mut self, _: &[u8]) {}
        fn suppress(&mut self, _: &Rule, _: &[u8], _: bool) {}
        fn summary(&mut self, _: &Summary, _: &Rule, _: bool) {}
        fn decided(&mut self, _: &[u8], verdict: Verdict, _: &[u8]) {
            let taken = !matches!(verdict, Verdict::Pass | Verdict::Continue);
            self.0.push(taken);
        }
    }
    let mut sink = Verdicts(Vec::new());
    let mut pipeline = Pipeline::new(std::sync::Arc::clone(set), &per_line_options());
    pipeline.push(log, Time(0), &mut sink);
    pipeline.finish(Time(0), &mut sink);
    sink.0
}

/// Loads the printed rules and checks that every `[[test]]` case passes.
fn load_checked(toml: &str) -> RuleSet {
    let set = load_str("suggested.toml", toml, WINDOW).unwrap_or_else(|e| panic!("{e:#}\n{toml}"));
    let shared = std::sync::Arc::new(set);
    let outcomes: Vec<_> = shared
        .tests()
        .iter()
        .map(|t| run_case(&shared, t))
        .collect();
    let set = std::sync::Arc::into_inner(shared).expect("one owner");
    assert!(!outcomes.is_empty(), "no [[test]] cases:\n{toml}");
    for o in &outcomes {
        assert!(o.passed(), "{:?}: {:?}\n{toml}", o.test, o.failure);
    }
    set
}

/// A rule is anchored on the layouts of the log it was mined from, so the
/// training log spans all four layouts of the generator (it changes layout
/// hourly: 10 MiB is some five hours).
#[test]
fn suggested_rules_collapse_the_noise_of_another_log() {
    let train: Vec<u8> = bot_log(1, 10 << 20)
        .into_iter()
        .flat_map(|(r, _)| r)
        .collect();
    let (toml, report) = run_suggest(train, &SuggestOptions::default(), &NONE);
    let set = load_checked(&toml);
    assert!(report.log_time);
    assert_eq!(set.rules().len(), report.rules.len());

    // Every line of the other log, counted by what it is and whether a
    // suggested rule takes it.
    let (mut noise, mut noise_hit, mut other, mut other_hit) = (0u64, 0u64, 0u64, 0u64);
    let log = bot_log(2, 6 << 20);
    let all: Vec<u8> = log.iter().flat_map(|(r, _)| r.iter().copied()).collect();
    let set = std::sync::Arc::new(set);
    let mut taken = taken_lines(&set, &all).into_iter();
    for (record, label) in log {
        for _ in record.split_inclusive(|&b| b == b'\n') {
            let hit = u64::from(taken.next().expect("a verdict per line"));
            if label == Label::Noise {
                noise += 1;
                noise_hit += hit;
            } else {
                other += 1;
                other_hit += hit;
            }
        }
    }
    let noise_share = noise_hit as f64 / noise as f64;
    let other_share = other_hit as f64 / other as f64;
    eprintln!(
        "{} rules; noise lines suppressed: {noise_hit}/{noise} ({:.2}%); other lines: {other_hit}/{other} ({:.3}%)",
        set.rules().len(),
        noise_share * 100.0,
        other_share * 100.0
    );
    assert!(
        noise_share >= 0.90,
        "only {:.1}% of the noise suppressed\n{toml}",
        noise_share * 100.0
    );
    assert!(
        other_share < 0.01,
        "{:.2}% of other lines suppressed\n{toml}",
        other_share * 100.0
    );
}

#[test]
fn rules_already_loaded_are_not_suggested_again() {
    let train: Vec<u8> = bot_log(1, 2 << 20)
        .into_iter()
        .flat_map(|(r, _)| r)
        .collect();
    let builtin = load_str(
        "asyncio.toml",
        "[[rule]]\nname = 'socket'\npattern = 'socket\\.send\\(\\) raised exception'\n",
        WINDOW,
    )
    .expect("rule loads");
    let builtin = std::sync::Arc::new(builtin);
    let matched = |line: &[u8]| rule_for(&builtin, line).is_some();
    let (toml, report) = run_suggest(train.clone(), &SuggestOptions::default(), &matched);
    assert!(!toml.contains("socket.send"), "{toml}");
    assert!(!report.rules.is_empty());
    let (toml, _) = run_suggest(train, &SuggestOptions::default(), &NONE);
    assert!(
        toml.contains("asyncio-socket-send-raised-exception"),
        "{toml}"
    );
}

#[test]
fn errors_and_tracebacks_only_with_include_errors() {
    // An hour of ticks every 6 s, and half a minute into it a flood of
    // errors with tracebacks, 20 a second.
    let stamp = |ms: u64| {
        format!(
            "2025-11-20 10:{:02}:{:02},{:03}",
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000
        )
    };
    let mut log = Vec::new();
    for i in 0..600u64 {
        log.extend_from_slice(format!("{} - bot - INFO - tick\n", stamp(i * 6000)).as_bytes());
        if i == 5 {
            for k in 0..300 {
                log.extend_from_slice(
                    format!(
                        "{} - pyrogram.dispatcher - ERROR - Connection lost\n",
                        stamp(30_000 + k * 50)
                    )
                    .as_bytes(),
                );
                log.extend_from_slice(b"Traceback (most recent call last):\n  File \"x.py\", line 1, in f\nOSError: Connection lost\n");
            }
        }
    }
    let (toml, report) = run_suggest(log.clone(), &SuggestOptions::default(), &NONE);
    assert!(report.rules.is_empty(), "{toml}");
    assert_eq!(
        report.records, 900,
        "traceback lines are part of their record"
    );
    let opts = SuggestOptions {
        include_errors: true,
        ..SuggestOptions::default()
    };
    let (toml, report) = run_suggest(log, &opts, &NONE);
    assert_eq!(report.rules, ["pyrogram-connection-lost"], "{toml}");
    load_checked(&toml);
}

#[test]
fn odd_bytes_still_give_a_loadable_rule_file() {
    // No timestamps (windows on line positions), quotes, backslashes,
    // apostrophes, control characters, invalid UTF-8 and one huge line.
    let mut log = Vec::new();
    for i in 0..6000u32 {
        // Floods of 200 lines of one kind, between stretches of normal lines.
        let segment = i / 200;
        let flood = (segment % 3 == 0).then_some(segment / 3 % 5);
        let line: Vec<u8> = match flood {
            Some(0) => {
                format!("WARNING:lib.net:it's a \"quoted\" C:\\path\\{i} thing").into_bytes()
            }
            Some(1) => format!(
                "WARNING:lib.net:bad byte \u{1b}[31m{}\u{1b}[0m in 'x'",
                i % 3
            )
            .into_bytes(),
            Some(2) => [
                b"WARNING:lib.net:raw \xff\xfe bytes ".as_slice(),
                i.to_string().as_bytes(),
            ]
            .concat(),
            Some(3) => format!("WARNING:lib.net:brace {{key}} and 'single' {}", i % 7).into_bytes(),
            Some(_) => format!("print-style line {} with $ and ^ and [x] (y)", i % 4).into_bytes(),
            None => format!("INFO:app:user u{} did thing {}", i * 7919 % 1000, i).into_bytes(),
        };
        log.extend_from_slice(&line);
        log.push(b'\n');
    }
    log.extend_from_slice(&vec![b'x'; 200_000]);
    log.push(b'\n');
    for opts in [
        SuggestOptions::default(),
        SuggestOptions {
            format: SuggestFormat::Table,
            ..SuggestOptions::default()
        },
    ] {
        let (out, report) = run_suggest(log.clone(), &opts, &NONE);
        assert!(!report.log_time);
        assert_eq!(report.lines, 6001);
        if opts.format == SuggestFormat::Toml {
            assert!(report.rules.len() >= 4, "{out}");
            load_checked(&out);
        } else {
            assert!(out.lines().count() > 5, "{out}");
        }
    }
}

#[test]
fn the_template_cap_bounds_what_is_held() {
    let mut log = Vec::new();
    for i in 0..20_000u32 {
        // Every line a template of its own: a distinct first word.
        log.extend_from_slice(
            format!("INFO:x:w{} happened\nWARNING:lib:flood\n", to_letters(i)).as_bytes(),
        );
    }
    let opts = SuggestOptions {
        max_templates: 1000,
        ..SuggestOptions::default()
    };
    let (_, report) = run_suggest(log, &opts, &NONE);
    assert!(report.templates <= 1000, "{report:?}");
    assert!(report.evicted >= 19_000, "{report:?}");
}

fn to_letters(mut n: u32) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return s;
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any bytes at all: no panic, and what is printed loads and passes.
    #[test]
    fn any_input_gives_a_loadable_rule_file(
        lines in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
                proptest::sample::select(vec![
                    b"2025-11-20 16:32:54,123 - a.b - WARNING - x \"q\" 1".to_vec(),
                    b"WARNING:lib:it's 'a' \\ \"b\" 0x1f 10ms /a/b".to_vec(),
                    b"Traceback (most recent call last):".to_vec(),
                    b"  File \"x\"".to_vec(),
                    b"[20-Nov-25 16:32:54 - ERROR] - z - boom".to_vec(),
                ]),
            ],
            0..400,
        ),
        top in 0usize..4,
    ) {
        let mut log = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            // Repeat lines so that some form floods.
            for _ in 0..(i % 7) {
                log.extend_from_slice(line);
                log.push(b'\n');
            }
        }
        let opts = SuggestOptions { top, max_templates: 10, ..SuggestOptions::default() };
        let (toml, report) = run_suggest(log.clone(), &opts, &NONE);
        proptest::prop_assert!(report.rules.len() <= top);
        if !report.rules.is_empty() {
            load_checked(&toml);
        }
        let table = SuggestOptions { format: SuggestFormat::Table, ..opts };
        run_suggest(log, &table, &NONE);
    }
}

/// A flood of a line holding a control character (here U+0089, a C1
/// control, valid UTF-8): its rule's message shows `?` there, since a
/// summary is one line of plain text and `check` refuses control
/// characters in a message.
#[test]
fn a_control_character_in_a_flood_becomes_a_question_mark_in_the_message() {
    let mut log = Vec::new();
    for _ in 0..12 {
        log.extend_from_slice("\u{89}\n".as_bytes());
        log.extend_from_slice(b"2025-11-20 16:32:54,123 - bot - INFO - hello\n");
    }
    let opts = SuggestOptions {
        top: 3,
        ..SuggestOptions::default()
    };
    let (toml, report) = run_suggest(log, &opts, &NONE);
    assert!(!report.rules.is_empty(), "{toml}");
    load_checked(&toml);
    assert!(toml.contains("message = '?'"), "{toml}");
}
