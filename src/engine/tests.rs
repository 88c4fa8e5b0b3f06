//! Window rules on a virtual clock: rule numbers, keys and times are made up.

use super::*;

const SEC: i64 = 1000;

fn spec(window_s: u64) -> WindowSpec {
    WindowSpec {
        window: Duration::from_secs(window_s),
        pass_first: 0,
        max_keys: 10_000,
        keyed: false,
    }
}

fn at(e: &mut Engine, t: i64, rule: usize, key: &str) -> (Decision, Vec<Summary>) {
    let mut out = Vec::new();
    let d = e.decide(rule, key.as_bytes(), Time(t * SEC), &mut out);
    (d, out)
}

fn tick(e: &mut Engine, t: i64) -> Vec<Summary> {
    let mut out = Vec::new();
    e.tick(Time(t * SEC), &mut out);
    out
}

#[test]
fn first_match_opens_a_window_and_is_suppressed() {
    let mut e = Engine::new(vec![spec(10)]);
    assert_eq!(e.next_deadline(), None);
    assert_eq!(at(&mut e, 5, 0, "").0, Decision::Suppress);
    assert_eq!(e.next_deadline(), Some(Time(15 * SEC)));
    assert_eq!(e.open_windows(), 1);
}

#[test]
fn window_summarizes_once_at_its_deadline_with_the_count() {
    let mut e = Engine::new(vec![spec(10)]);
    for t in 0..5 {
        at(&mut e, t, 0, "");
    }
    assert!(tick(&mut e, 9).is_empty());
    let s = tick(&mut e, 10);
    assert_eq!(
        (s.len(), s[0].count, s[0].first, s[0].last, s[0].at),
        (1, 5, Time(0), Time(4 * SEC), Time(10 * SEC))
    );
    assert!(tick(&mut e, 100).is_empty());
}

#[test]
fn pass_first_and_silent_close() {
    let mut e = Engine::new(vec![WindowSpec {
        pass_first: 2,
        ..spec(10)
    }]);
    assert_eq!(at(&mut e, 0, 0, "").0, Decision::Pass);
    assert_eq!(at(&mut e, 1, 0, "").0, Decision::Pass);
    assert_eq!(at(&mut e, 2, 0, "").0, Decision::Suppress);
    assert_eq!(tick(&mut e, 10)[0].count, 1);
    assert_eq!(at(&mut e, 11, 0, "").0, Decision::Pass);
    assert!(
        tick(&mut e, 21).is_empty(),
        "nothing suppressed: no summary"
    );
}

#[test]
fn keyed_windows_are_separate_and_report_their_key() {
    let mut e = Engine::new(vec![WindowSpec {
        keyed: true,
        ..spec(10)
    }]);
    at(&mut e, 0, 0, "DC1");
    at(&mut e, 1, 0, "DC2");
    at(&mut e, 2, 0, "DC1");
    let s = tick(&mut e, 11);
    assert_eq!((s[0].key.as_deref(), s[0].count), (Some(&b"DC1"[..]), 2));
    assert_eq!((s[1].key.as_deref(), s[1].count), (Some(&b"DC2"[..]), 1));
}

#[test]
fn max_keys_closes_the_window_due_first() {
    let mut e = Engine::new(vec![WindowSpec {
        keyed: true,
        max_keys: 2,
        ..spec(10)
    }]);
    at(&mut e, 0, 0, "1");
    at(&mut e, 1, 0, "2");
    let (_, s) = at(&mut e, 2, 0, "3");
    assert_eq!(
        (s.len(), s[0].key.as_deref(), s[0].at),
        (1, Some(&b"1"[..]), Time(2 * SEC))
    );
    assert_eq!(e.open_windows(), 2);
}

#[test]
fn unknown_rule_numbers_pass_and_count_nothing() {
    let mut e = Engine::new(vec![spec(10)]);
    assert_eq!(at(&mut e, 0, 7, "").0, Decision::Pass);
    assert_eq!(e.open_windows(), 0);
}

#[test]
fn reload_carries_windows_by_index_and_closes_the_rest() {
    let mut e = Engine::new(vec![spec(10), spec(30)]);
    at(&mut e, 0, 0, "");
    at(&mut e, 2, 1, "");
    let mut out = Vec::new();
    // New rule 1 is old rule 0; old rule 1 is gone.
    e.reload(
        vec![spec(5), spec(10)],
        &[None, Some(0)],
        Time(3 * SEC),
        &mut out,
    );
    assert_eq!((out.len(), out[0].rule, out[0].at), (1, 1, Time(3 * SEC)));
    assert_eq!(at(&mut e, 4, 1, "").0, Decision::Suppress);
    let s = tick(&mut e, 10);
    assert_eq!((s[0].rule, s[0].count), (1, 2));
}

/// Regression (a reload that shortens a window): deadlines used to be kept
/// in opening order, so a window opened after the reload closed only once
/// the old, longer window ahead of it had.
#[test]
fn shortened_window_after_reload_closes_on_its_own_deadline() {
    let mut e = Engine::new(vec![WindowSpec {
        keyed: true,
        ..spec(3600)
    }]);
    at(&mut e, 0, 0, "old");
    let mut out = Vec::new();
    e.reload(
        vec![WindowSpec {
            keyed: true,
            ..spec(1)
        }],
        &[Some(0)],
        Time(SEC),
        &mut out,
    );
    at(&mut e, 10, 0, "new");
    assert_eq!(e.next_deadline(), Some(Time(11 * SEC)));
    let s = tick(&mut e, 11);
    assert_eq!((s.len(), s[0].key.as_deref()), (1, Some(&b"new"[..])));
}

#[test]
fn finish_summarizes_every_open_window_at_the_stop_time() {
    let mut e = Engine::new(vec![spec(30), spec(30)]);
    at(&mut e, 0, 0, "");
    at(&mut e, 1, 1, "");
    at(&mut e, 2, 1, "");
    let mut out = Vec::new();
    e.finish(Time(3 * SEC), &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].rule, out[0].at), (0, Time(3 * SEC)));
    assert_eq!((out[1].rule, out[1].count), (1, 2));
    assert_eq!((e.open_windows(), e.next_deadline()), (0, None));
}

#[test]
fn shift_times_moves_open_windows() {
    let mut e = Engine::new(vec![spec(10)]);
    at(&mut e, 0, 0, "");
    e.shift_times(Time(0), Time(100 * SEC));
    assert!(tick(&mut e, 50).is_empty());
    assert_eq!(tick(&mut e, 110)[0].first, Time(100 * SEC));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        Match { rule: usize, key: u8, dt: i64 },
        Reload { windows: [u64; 2] },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            8 => (0..2usize, 0..4u8, 0..3000i64).prop_map(|(rule, key, dt)| Step::Match { rule, key, dt }),
            1 => (1..20u64, 1..20u64).prop_map(|(a, b)| Step::Reload { windows: [a, b] }),
        ]
    }

    proptest! {
        /// With random reloads changing window lengths, every summary comes
        /// out at its own deadline on the virtual clock (ticking every
        /// millisecond-step), and counts add up.
        #[test]
        fn every_summary_appears_at_its_own_deadline(steps in proptest::collection::vec(step(), 1..200)) {
            let keyed = |w: u64| WindowSpec { keyed: true, ..spec(w) };
            let mut e = Engine::new(vec![keyed(5), keyed(7)]);
            let mut now = 0i64;
            let mut suppressed = 0u64;
            let mut summaries = Vec::new();
            for step in steps {
                match step {
                    Step::Match { rule, key, dt } => {
                        // Tick through the gap so every deadline is seen when it passes.
                        let target = now + dt;
                        while let Some(due) = e.next_deadline().filter(|d| d.millis() <= target) {
                            let mut out = Vec::new();
                            e.tick(due, &mut out);
                            for s in &out {
                                prop_assert_eq!(s.at, due, "summary late or early");
                            }
                            summaries.extend(out);
                        }
                        now = target;
                        let mut out = Vec::new();
                        if e.decide(rule, &[key], Time(now), &mut out) == Decision::Suppress {
                            suppressed += 1;
                        }
                        prop_assert!(out.is_empty(), "ticked before the match");
                    }
                    Step::Reload { windows } => {
                        let mut out = Vec::new();
                        e.reload(vec![keyed(windows[0]), keyed(windows[1])], &[Some(0), Some(1)], Time(now), &mut out);
                        prop_assert!(out.is_empty());
                    }
                }
            }
            let mut out = Vec::new();
            e.finish(Time(now), &mut out);
            summaries.extend(out);
            prop_assert_eq!(summaries.iter().map(|s| s.count).sum::<u64>(), suppressed);
        }
    }
}
