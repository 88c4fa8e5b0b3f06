//! The pipeline on whole lines: framing, matching and windows together,
//! on a virtual clock.

use super::*;
use crate::rules::load_str;
use std::time::Duration;

const SEC: i64 = 1000;

fn engine(toml: &str) -> Decider {
    let rules = load_str("test.toml", toml, Duration::from_secs(30)).expect("valid rules");
    Decider::new(Arc::new(rules), None)
}

fn noise() -> Decider {
    engine("[[rule]]\nname = \"noise\"\npattern = 'noise'\nwindow = \"10s\"\n")
}

/// Feeds `line` at second `t`, returning the verdict and any summaries.
fn at(e: &mut Decider, t: i64, line: &str) -> (Verdict, Vec<Summary>) {
    let mut out = Vec::new();
    let v = e.feed(line.as_bytes(), Time(t * SEC), &mut out);
    (v, out)
}

fn tick(e: &mut Decider, t: i64) -> Vec<Summary> {
    let mut out = Vec::new();
    e.tick(Time(t * SEC), &mut out);
    out
}

#[test]
fn unmatched_lines_pass_and_open_nothing() {
    let mut e = noise();
    assert_eq!(at(&mut e, 0, "hello\n").0, Verdict::Pass);
    assert_eq!(e.open_windows(), 0);
    assert_eq!(e.next_deadline(), None);
}

#[test]
fn first_match_opens_a_window_and_is_suppressed() {
    let mut e = noise();
    assert_eq!(at(&mut e, 5, "noise 1\n").0, Verdict::Suppress(0));
    assert_eq!(e.next_deadline(), Some(Time(15 * SEC)));
}

#[test]
fn window_summarizes_once_at_its_deadline_with_the_count() {
    let mut e = noise();
    for t in 0..5 {
        assert_eq!(at(&mut e, t, "noise\n").0, Verdict::Suppress(0));
    }
    assert!(tick(&mut e, 9).is_empty(), "not due before the deadline");
    let s = tick(&mut e, 10);
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].count, s[0].first, s[0].last, s[0].at),
        (5, Time(0), Time(4 * SEC), Time(10 * SEC))
    );
    assert!(
        tick(&mut e, 100).is_empty(),
        "a closed window says nothing more"
    );
    assert_eq!(e.open_windows(), 0);
}

#[test]
fn late_tick_still_reports_the_deadline_as_close_time() {
    let mut e = noise();
    at(&mut e, 0, "noise");
    let s = tick(&mut e, 11);
    assert_eq!(s[0].at, Time(10 * SEC));
}

#[test]
fn match_after_deadline_closes_old_window_before_opening_a_new_one() {
    let mut e = noise();
    at(&mut e, 0, "noise");
    at(&mut e, 1, "noise");
    let (v, s) = at(&mut e, 10, "noise");
    assert_eq!(v, Verdict::Suppress(0));
    assert_eq!(s.len(), 1, "old window summarized first");
    assert_eq!(s[0].count, 2);
    assert_eq!(e.next_deadline(), Some(Time(20 * SEC)));
    let s = tick(&mut e, 20);
    assert_eq!(s[0].count, 1);
}

#[test]
fn window_runs_from_its_first_match_not_from_the_last() {
    let mut e = noise();
    for t in 0..10 {
        at(&mut e, t, "noise");
    }
    // A steady flood still gets one summary every window, not never.
    assert_eq!(tick(&mut e, 10)[0].count, 10);
}

#[test]
fn pass_first_lets_the_first_matches_through_in_every_window() {
    let mut e =
        engine("[[rule]]\nname = \"n\"\npattern = 'noise'\nwindow = \"10s\"\npass_first = 2\n");
    assert_eq!(at(&mut e, 0, "noise").0, Verdict::PassMatched(0));
    assert_eq!(at(&mut e, 1, "noise").0, Verdict::PassMatched(0));
    assert_eq!(at(&mut e, 2, "noise").0, Verdict::Suppress(0));
    assert_eq!(tick(&mut e, 10)[0].count, 1);
    assert_eq!(at(&mut e, 11, "noise").0, Verdict::PassMatched(0));
}

#[test]
fn window_that_suppressed_nothing_closes_silently() {
    let mut e =
        engine("[[rule]]\nname = \"n\"\npattern = 'noise'\nwindow = \"10s\"\npass_first = 5\n");
    at(&mut e, 0, "noise");
    assert!(tick(&mut e, 10).is_empty());
    assert_eq!(e.open_windows(), 0);
    assert_eq!(e.stats()[0].summaries, 0);
}

#[test]
fn keys_get_separate_windows() {
    let mut e = engine(
        "[[rule]]\nname = \"dc\"\npattern = 'dc(?P<dc>\\d)'\nkey = \"DC{dc}\"\nwindow = \"10s\"\n",
    );
    at(&mut e, 0, "lost dc1");
    at(&mut e, 1, "lost dc2");
    at(&mut e, 2, "lost dc1");
    let s = tick(&mut e, 11);
    assert_eq!(s.len(), 2);
    assert_eq!((s[0].key.as_deref(), s[0].count), (Some(&b"DC1"[..]), 2));
    assert_eq!((s[1].key.as_deref(), s[1].count), (Some(&b"DC2"[..]), 1));
    assert!(s[0].at < s[1].at, "summaries in deadline order");
}

#[test]
fn unkeyed_rules_report_no_key() {
    let mut e = noise();
    at(&mut e, 0, "noise");
    assert_eq!(tick(&mut e, 10)[0].key, None);
}

#[test]
fn first_matching_rule_wins_and_counts_once() {
    let mut e = engine(
        "[[rule]]\nname = \"a\"\npattern = 'foo'\n[[rule]]\nname = \"b\"\npattern = 'foo bar'\n",
    );
    assert_eq!(at(&mut e, 0, "foo bar").0, Verdict::Suppress(0));
    assert_eq!(at(&mut e, 0, "zap bar").0, Verdict::Pass);
    let stats = e.stats();
    assert_eq!((stats[0].matched, stats[1].matched), (1, 0));
}

#[test]
fn patterns_do_not_see_the_line_ending() {
    let mut e = engine("[[rule]]\nname = \"a\"\npattern = 'end$'\n");
    assert_eq!(at(&mut e, 0, "the end\r\n").0, Verdict::Suppress(0));
    assert_eq!(at(&mut e, 0, "the end\n").0, Verdict::Suppress(0));
    assert_eq!(at(&mut e, 0, "the end").0, Verdict::Suppress(0));
}

#[test]
fn invalid_utf8_does_not_stop_matching() {
    let mut e = noise();
    let mut out = Vec::new();
    assert_eq!(
        e.feed(b"\xff\xfe noise \xc3\x28\n", Time(0), &mut out),
        Verdict::Suppress(0)
    );
}

#[test]
fn max_keys_closes_the_oldest_window_early_with_its_summary() {
    let mut e = engine(
        "[[rule]]\nname = \"k\"\npattern = 'k=(\\d+)'\nkey = \"{1}\"\nmax_keys = 2\nwindow = \"10s\"\n",
    );
    at(&mut e, 0, "k=1");
    at(&mut e, 1, "k=2");
    let (_, s) = at(&mut e, 2, "k=3");
    assert_eq!(s.len(), 1, "oldest window evicted with its summary");
    assert_eq!(
        (s[0].key.as_deref(), s[0].at),
        (Some(&b"1"[..]), Time(2 * SEC))
    );
    assert_eq!(e.open_windows(), 2);
}

#[test]
fn finish_summarizes_every_open_window() {
    let mut e = engine(
        "[[rule]]\nname = \"a\"\npattern = 'aaa'\n[[rule]]\nname = \"b\"\npattern = 'bbb'\n",
    );
    at(&mut e, 0, "aaa");
    at(&mut e, 1, "bbb");
    at(&mut e, 2, "bbb");
    let mut out = Vec::new();
    e.finish(Time(3 * SEC), &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(
        (out[0].rule, out[0].count, out[0].at),
        (0, 1, Time(3 * SEC))
    );
    assert_eq!((out[1].rule, out[1].count), (1, 2));
    assert_eq!(e.open_windows(), 0);
    assert_eq!(e.next_deadline(), None);
}

#[test]
fn summaries_due_are_emitted_before_a_later_unmatched_line() {
    let mut e = noise();
    at(&mut e, 0, "noise");
    let (v, s) = at(&mut e, 12, "unrelated");
    assert_eq!(v, Verdict::Pass);
    assert_eq!(s.len(), 1, "due summary comes before the line");
}

#[test]
fn counts_add_up_across_windows() {
    let mut e = noise();
    let mut summaries = Vec::new();
    let mut suppressed = 0;
    for t in 0..95 {
        if let Verdict::Suppress(_) = e.feed(b"noise", Time(t * 700), &mut summaries) {
            suppressed += 1;
        }
    }
    e.finish(Time(95 * 700), &mut summaries);
    assert_eq!(summaries.iter().map(|s| s.count).sum::<u64>(), suppressed);
    assert_eq!(e.stats()[0].suppressed, suppressed);
    assert_eq!(e.stats()[0].summaries, summaries.len() as u64);
}

#[test]
fn reload_keeps_windows_of_surviving_rules_and_closes_removed_ones() {
    let mut e = engine(
        "[[rule]]\nname = \"keep\"\npattern = 'keep'\nwindow = \"10s\"\n[[rule]]\nname = \"gone\"\npattern = 'gone'\n",
    );
    at(&mut e, 0, "keep");
    at(&mut e, 1, "keep");
    at(&mut e, 2, "gone");
    let new = load_str(
        "new.toml",
        "[[rule]]\nname = \"fresh\"\npattern = 'fresh'\n[[rule]]\nname = \"keep\"\npattern = 'keep|kept'\nwindow = \"10s\"\n",
        Duration::from_secs(30),
    )
    .unwrap();
    let mut out = Vec::new();
    e.reload(Arc::new(new), Time(3 * SEC), &mut out);
    assert_eq!(
        out.len(),
        1,
        "the removed rule's window is summarized at once"
    );
    assert_eq!((out[0].count, out[0].at), (1, Time(3 * SEC)));
    // "keep" is now rule 1 and still counts into its old window.
    assert_eq!(at(&mut e, 4, "kept").0, Verdict::Suppress(1));
    assert_eq!(e.stats()[1].suppressed, 3);
    let s = tick(&mut e, 10);
    assert_eq!((s[0].rule, s[0].count, s[0].at), (1, 3, Time(10 * SEC)));
    assert_eq!(at(&mut e, 11, "gone").0, Verdict::Pass);
}

fn framed() -> Decider {
    engine(
        "[input]\ncontinuation = \"python-traceback\"\n\
         [[rule]]\nname = \"alone\"\npattern = 'socket'\nmultiline = false\n\
         [[rule]]\nname = \"whole\"\npattern = 'ERROR lost'\nmultiline = true\n",
    )
}

const TRACEBACK: [&str; 3] = [
    "Traceback (most recent call last):",
    "  File \"bot.py\", line 9, in main",
    "OSError: Connection lost",
];

#[test]
fn suppressed_record_takes_its_continuations_and_counts_once() {
    let mut e = framed();
    assert_eq!(at(&mut e, 0, "ERROR lost").0, Verdict::Suppress(1));
    for line in TRACEBACK {
        assert_eq!(
            at(&mut e, 0, line).0,
            Verdict::ContinueSuppressed(1),
            "{line}"
        );
    }
    assert_eq!(at(&mut e, 0, "INFO next").0, Verdict::Pass);
    assert_eq!(e.stats()[1].suppressed, 1);
    assert_eq!(e.records(), 2);
}

#[test]
fn traceback_after_a_single_line_rule_is_a_record_of_its_own_and_passes() {
    let mut e = framed();
    assert_eq!(at(&mut e, 0, "socket").0, Verdict::Suppress(0));
    assert_eq!(
        at(&mut e, 0, TRACEBACK[0]).0,
        Verdict::Pass,
        "crash traceback must pass"
    );
    assert_eq!(at(&mut e, 0, TRACEBACK[1]).0, Verdict::Continue);
    assert_eq!(at(&mut e, 0, TRACEBACK[2]).0, Verdict::Continue);
}

#[test]
fn passing_record_passes_its_continuations() {
    let mut e = framed();
    assert_eq!(at(&mut e, 0, "ERROR bot crashed").0, Verdict::Pass);
    for line in TRACEBACK {
        assert_eq!(at(&mut e, 0, line).0, Verdict::Continue);
    }
}

#[test]
fn pass_first_record_passes_whole() {
    let mut e = engine(
        "[input]\ncontinuation = '^ '\n[[rule]]\nname = \"n\"\npattern = 'noise'\npass_first = 1\nmultiline = true\n",
    );
    assert_eq!(at(&mut e, 0, "noise").0, Verdict::PassMatched(0));
    assert_eq!(at(&mut e, 0, " detail").0, Verdict::Continue);
    assert_eq!(at(&mut e, 0, "noise").0, Verdict::Suppress(0));
    assert_eq!(at(&mut e, 0, " detail").0, Verdict::ContinueSuppressed(0));
}

#[test]
fn reload_repoints_an_open_suppressed_record() {
    let mut e = framed();
    at(&mut e, 0, "ERROR lost");
    at(&mut e, 0, TRACEBACK[0]);
    let new = load_str(
        "new.toml",
        "[input]\ncontinuation = \"python-traceback\"\n[[rule]]\nname = \"whole\"\npattern = 'ERROR lost'\nmultiline = true\n",
        Duration::from_secs(30),
    )
    .unwrap();
    let mut out = Vec::new();
    e.reload(Arc::new(new), Time(0), &mut out);
    assert_eq!(
        at(&mut e, 0, TRACEBACK[1]).0,
        Verdict::ContinueSuppressed(0)
    );
}

mod repeats {
    //! The storm cache changes no decision: a decider that reuses what it
    //! found for a line repeating a recent one but for its timestamp's
    //! digits decides every line, key and summary as one that reads and
    //! matches each line alone.

    use super::*;
    use crate::rules::RuleSource;
    use proptest::prelude::*;

    /// Record starts in several layouts; `{T}` is a time whose digits vary.
    const TEXTS: &[&str] = &[
        "{D} {T},123 - asyncio - WARNING - socket.send() raised exception.",
        "{D} {T},123 - bot.main - WARNING - socket.send() raised exception.",
        "{D} {T},123 - asyncio - ERROR - socket.send() raised exception.",
        "[20-Nov-25 {T} - WARNING] - pyrogram.session.session - [2] Retrying \"messages.SendMessage\" due to: Connection lost",
        "[20-Nov-25 {T} - WARNING] - pyrogram.session.session - [3] Retrying \"messages.SendMessage\" due to: Connection lost",
        "[20-Nov-25 {T} - INFO] - pyrogram.connection.connection - Disconnected",
        "[20-Nov-25 {T} - ERROR] - pyrogram.dispatcher - Connection lost",
        "Traceback (most recent call last):",
        "  File \"/usr/lib/python3.11/site-packages/pyrogram/session/session.py\", line 211, in send",
        "OSError: Connection lost",
        "socket.send() raised exception.",
        "{D} {T}.123 | WARNING  | asyncio.selector_events:_sock_sendall:{N} - socket.send() raised exception.",
        "{\"time\": \"{D} {T}\", \"level\": \"WARNING\", \"name\": \"asyncio\", \"message\": \"socket.send() raised exception.\"}",
        "WARNING:telethon.network.mtprotosender:Server closed the connection: 0 bytes read on a total of 8 expected bytes",
        "{D} {T} - at 16:{T} the bot said hello",
        "Nov 20 {T} host bot[{N}]: WARNING:asyncio:socket.send() raised exception.",
    ];

    fn line(text: &str, stamp: u32) -> String {
        let t = format!(
            "{:02}:{:02}:{:02}",
            stamp / 3600 % 24,
            stamp / 60 % 60,
            stamp % 60
        );
        text.replace("{D}", &format!("2025-11-{:02}", 10 + stamp % 19))
            .replace("{T}", &t)
            .replace("{N}", &(stamp % 7).to_string())
            + "\n"
    }

    fn decide_all(mut d: Decider, lines: &[(String, i64)]) -> Vec<String> {
        let mut seen = Vec::new();
        for (l, t) in lines {
            let mut out = Vec::new();
            let v = d.feed(l.as_bytes(), Time(*t), &mut out);
            seen.push(format!("{v:?} {:?} {out:?}", d.key()));
        }
        let mut out = Vec::new();
        d.finish(Time(i64::MAX / 2), &mut out);
        seen.push(format!("{out:?}"));
        seen
    }

    /// Every built-in pack, after a rule on the whole line when `line_rule`
    /// (it sees the timestamp's digits, so the cache must not hide it).
    fn rules(line_rule: bool) -> Arc<RuleSet> {
        static SETS: std::sync::OnceLock<[Arc<RuleSet>; 2]> = std::sync::OnceLock::new();
        SETS.get_or_init(|| [load_all(false), load_all(true)])[usize::from(line_rule)].clone()
    }

    fn load_all(line_rule: bool) -> Arc<RuleSet> {
        let mut sources = vec![RuleSource::Secrets, RuleSource::parse("builtin:all")];
        if line_rule {
            sources.insert(0, RuleSource::inline(r"at-seven=16:\d7:", 1));
        }
        Arc::new(crate::rules::load(&sources, Duration::from_secs(30)).expect("valid rules"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn the_cache_changes_no_decision(
            picks in proptest::collection::vec((0..TEXTS.len(), 0u32..200_000, 0i64..4000), 1..200),
            line_rule in any::<bool>(),
        ) {
            let set = rules(line_rule);
            let mut now = 0;
            let lines: Vec<(String, i64)> = picks
                .iter()
                .map(|&(i, stamp, step)| {
                    now += step;
                    (line(TEXTS[i], stamp), now)
                })
                .collect();
            let cached = decide_all(Decider::new(set.clone(), None), &lines);
            let alone = decide_all(Decider::new(set, None).without_repeats(), &lines);
            prop_assert_eq!(cached, alone);
        }
    }

    #[test]
    fn a_storm_is_decided_from_the_cache() {
        let set = rules(false);
        let mut d = Decider::new(set, None);
        let mut out = Vec::new();
        for s in 0..50 {
            let l = line(TEXTS[0], 60_000 + s);
            assert_eq!(
                d.feed(l.as_bytes(), Time(0), &mut out),
                Verdict::Suppress(rule_named(&d, "asyncio-socket-send"))
            );
        }
        assert!(d
            .repeats
            .lookup(line(TEXTS[0], 7).trim_end().as_bytes())
            .is_some());
    }

    fn rule_named(d: &Decider, name: &str) -> usize {
        d.rules()
            .rules()
            .iter()
            .position(|r| r.name == name)
            .expect("rule loaded")
    }
}
