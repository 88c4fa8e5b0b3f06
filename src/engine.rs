//! The pure core: windows, counts and summaries.
//!
//! [`Engine::feed`] takes one record and the current time and says whether
//! to pass or suppress it; [`Engine::tick`] closes windows whose time is up.
//! Both push the summaries due into a caller-owned `Vec`. Nothing here reads
//! a clock or touches I/O, so every window rule is tested with made-up times.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::records::{Disposition, Frame, Framer, Framing};
use crate::rules::{MatchScratch, RuleSet};
use crate::time::Time;

/// What to do with one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No rule matched: write it.
    Pass,
    /// Rule `0` matched but the record is within its window's `pass_first`: write it.
    PassMatched(usize),
    /// Rule `0` matched and the record is held back and counted.
    Suppress(usize),
    /// A continuation line of a record that passed: write it.
    Continue,
    /// A continuation line of a record rule `0` suppressed: hold it back
    /// too (the record was counted once, at its first line).
    ContinueSuppressed(usize),
}

impl Verdict {
    /// Whether the line is written to the output.
    pub fn passes(self) -> bool {
        matches!(
            self,
            Verdict::Pass | Verdict::PassMatched(_) | Verdict::Continue
        )
    }
}

/// One window's closing report: `count` records of `rule` (and `key`) were suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Index of the rule in the [`RuleSet`].
    pub rule: usize,
    /// The rendered key, for rules that have one.
    pub key: Option<Vec<u8>>,
    /// How many records were suppressed in the window (always ≥ 1).
    pub count: u64,
    /// Time of the first suppressed record.
    pub first: Time,
    /// Time of the last suppressed record.
    pub last: Time,
    /// When the window closed: its deadline, or earlier if closed early.
    pub at: Time,
}

/// Per-rule counters, for `--stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleStats {
    /// Records the rule matched.
    pub matched: u64,
    /// Records the rule suppressed.
    pub suppressed: u64,
    /// Summaries written for the rule.
    pub summaries: u64,
}

#[derive(Clone, Debug)]
struct Window {
    deadline: Time,
    matched: u64,
    suppressed: u64,
    first: Time,
    last: Time,
}

/// Hashes window keys. Keys come from log lines, which an outsider may
/// shape, so keyed rules use std's randomly seeded SipHash; a rule without
/// a key has one window under the empty key and needs no hashing at all,
/// which matters on the hot path of every matching line.
#[derive(Clone, Debug, Default)]
struct KeyHashing {
    random: std::collections::hash_map::RandomState,
    keyed: bool,
}

enum KeyHasher {
    Sip(std::collections::hash_map::DefaultHasher),
    Constant,
}

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        match self {
            KeyHasher::Sip(h) => h.finish(),
            KeyHasher::Constant => 0,
        }
    }
    fn write(&mut self, bytes: &[u8]) {
        if let KeyHasher::Sip(h) = self {
            h.write(bytes);
        }
    }
}

impl std::hash::BuildHasher for KeyHashing {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        if self.keyed {
            KeyHasher::Sip(self.random.build_hasher())
        } else {
            KeyHasher::Constant
        }
    }
}

#[derive(Debug, Default)]
struct RuleState {
    windows: HashMap<Box<[u8]>, Window, KeyHashing>,
    /// Windows in opening order. All windows of a rule share one duration, so
    /// this is also deadline order: the front is the next to close. Entries
    /// whose window has since closed are skipped when they reach the front.
    expiry: VecDeque<(Time, Box<[u8]>)>,
    stats: RuleStats,
}

impl RuleState {
    /// Takes the oldest entry off the expiry queue and, if its window is
    /// still open, closes it with its summary dated `at(deadline)`. `None`
    /// when the queue is empty; else whether an open window was closed
    /// (an entry whose window already closed is just dropped).
    fn close_oldest(
        &mut self,
        rule: usize,
        keyed: bool,
        at: impl FnOnce(Time) -> Time,
        out: &mut Vec<Summary>,
    ) -> Option<bool> {
        let (deadline, key) = self.expiry.pop_front()?;
        if !self
            .windows
            .get(&key)
            .is_some_and(|w| w.deadline == deadline)
        {
            return Some(false);
        }
        let window = self.windows.remove(&key)?;
        close(rule, Some(&key), &window, at(deadline), keyed, self, out);
        Some(true)
    }

    fn new(keyed: bool) -> RuleState {
        RuleState {
            windows: HashMap::with_hasher(KeyHashing {
                keyed,
                ..KeyHashing::default()
            }),
            ..RuleState::default()
        }
    }
}

/// The windowing engine over one [`RuleSet`].
#[derive(Debug)]
pub struct Engine {
    rules: Arc<RuleSet>,
    states: Vec<RuleState>,
    scratch: MatchScratch,
    /// No window closes before this time; lets `feed` skip the expiry scan.
    next_due: Option<Time>,
    framer: Framer,
    /// Framing from the command line, which overrides the rule files'.
    framing_override: Option<Framing>,
    records: u64,
}

/// A record's bytes as patterns see them: without its `\n` and a `\r` before it.
pub fn line_content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl Engine {
    /// An engine with no open windows, framing records as the rule files'
    /// `[input]` says.
    pub fn new(rules: Arc<RuleSet>) -> Engine {
        Engine::with_framing(rules, None)
    }

    /// An engine whose framing is `framing` when given (the command line),
    /// else the rule files'.
    pub fn with_framing(rules: Arc<RuleSet>, framing: Option<Framing>) -> Engine {
        let states = rules
            .rules()
            .iter()
            .map(|r| RuleState::new(r.key.is_some()))
            .collect();
        let scratch = rules.scratch();
        let effective = framing
            .clone()
            .or_else(|| rules.input().framing.clone())
            .unwrap_or(Framing::Lines);
        Engine {
            rules,
            states,
            scratch,
            next_due: None,
            framer: Framer::new(effective),
            framing_override: framing,
            records: 0,
        }
    }

    /// How records are framed.
    pub fn framing(&self) -> &Framing {
        self.framer.framing()
    }

    /// Records seen so far (lines, when framing is off).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The rules this engine applies.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Decides one record (its line ending is ignored for matching) seen at
    /// `now`. Summaries of windows that closed by `now` are pushed to `out`
    /// first, so they come before the record in the output.
    pub fn feed(&mut self, record: &[u8], now: Time, out: &mut Vec<Summary>) -> Verdict {
        self.decide(record, now, out, false)
    }

    /// [`Engine::feed`] for a record the buffer search picked out as likely
    /// to match: the same decision, reached with one scan fewer.
    pub fn feed_candidate(&mut self, record: &[u8], now: Time, out: &mut Vec<Summary>) -> Verdict {
        self.decide(record, now, out, true)
    }

    fn decide(
        &mut self,
        record: &[u8],
        now: Time,
        out: &mut Vec<Summary>,
        candidate: bool,
    ) -> Verdict {
        if self.next_due.is_some_and(|due| due <= now) {
            self.tick(now, out);
        }
        let content = line_content(record);
        if let Some(verdict) = self.continuation(content) {
            return verdict;
        }
        // A new record (or the continuation of a record whose rule does not
        // take continuations, which then stands on its own).
        self.records += 1;
        let matched = if candidate {
            self.rules.match_each_rule(content, &mut self.scratch)
        } else {
            self.rules.match_line(content, &mut self.scratch)
        };
        let Some((rule_id, key)) = matched else {
            self.framer.started(Some(Disposition::Pass));
            return Verdict::Pass;
        };
        let rule = &self.rules.rules()[rule_id];
        let state = &mut self.states[rule_id];
        state.stats.matched += 1;

        if state.windows.get(key).is_some_and(|w| w.deadline <= now) {
            // Normally closed by the tick above; kept so a window can never
            // outlive its deadline whatever the caller does.
            if let Some(window) = state.windows.remove(key) {
                close(
                    rule_id,
                    Some(key),
                    &window,
                    window.deadline,
                    rule.key.is_some(),
                    state,
                    out,
                );
            }
        }
        if !state.windows.contains_key(key) {
            if state.windows.len() >= rule.max_keys {
                evict_oldest(rule_id, now, rule.key.is_some(), state, out);
            }
            let deadline = now.plus(rule.window);
            state.windows.insert(
                key.into(),
                Window {
                    deadline,
                    matched: 0,
                    suppressed: 0,
                    first: now,
                    last: now,
                },
            );
            state.expiry.push_back((deadline, key.into()));
            self.next_due = Some(self.next_due.map_or(deadline, |d| d.min(deadline)));
        }
        let Some(window) = state.windows.get_mut(key) else {
            return Verdict::Pass; // unreachable: inserted above
        };
        window.matched += 1;
        if window.matched <= rule.pass_first {
            self.framer
                .started(rule.multiline.then_some(Disposition::Pass));
            return Verdict::PassMatched(rule_id);
        }
        if window.suppressed == 0 {
            window.first = now;
        }
        window.suppressed += 1;
        window.last = now;
        state.stats.suppressed += 1;
        self.framer
            .started(rule.multiline.then_some(Disposition::Suppress(rule_id)));
        Verdict::Suppress(rule_id)
    }

    /// Decides a record that the caller knows no rule matches (the buffer
    /// search found nothing on it): only framing can hold it back, as a
    /// continuation of a suppressed record. Same result as [`Engine::feed`].
    pub fn feed_unmatched(&mut self, record: &[u8]) -> Verdict {
        if self.framer.plain_passing_start(record) {
            self.records += 1;
            return Verdict::Pass;
        }
        if let Some(verdict) = self.continuation(line_content(record)) {
            return verdict;
        }
        self.records += 1;
        self.framer.started(Some(Disposition::Pass));
        Verdict::Pass
    }

    /// Frames `content`: the verdict if it continues a record that takes
    /// continuations, else `None` (it starts a record; the caller decides it
    /// and reports the decision to the framer).
    fn continuation(&mut self, content: &[u8]) -> Option<Verdict> {
        match self.framer.classify(content) {
            (Frame::Continuation, Some(Disposition::Pass)) => Some(Verdict::Continue),
            (Frame::Continuation, Some(Disposition::Suppress(rule))) => {
                Some(Verdict::ContinueSuppressed(rule))
            }
            _ => None,
        }
    }

    /// Counts `n` records that no rule matches, with framing off: they all
    /// pass and need no other bookkeeping.
    pub fn count_unmatched(&mut self, n: u64) {
        self.records += n;
    }

    /// Closes every window whose deadline is at or before `now`, pushing a
    /// summary for each that suppressed anything, in deadline order.
    pub fn tick(&mut self, now: Time, out: &mut Vec<Summary>) {
        let start = out.len();
        for (rule_id, state) in self.states.iter_mut().enumerate() {
            let keyed = self.rules.rules()[rule_id].key.is_some();
            while state
                .expiry
                .front()
                .is_some_and(|(deadline, _)| *deadline <= now)
            {
                state.close_oldest(rule_id, keyed, |deadline| deadline, out);
            }
        }
        out[start..].sort_by_key(|s| (s.at, s.rule));
        self.next_due = self
            .states
            .iter()
            .filter_map(|s| s.expiry.front().map(|(d, _)| *d))
            .min();
    }

    /// Closes every open window at once (end of input, shutdown), pushing
    /// their summaries; each carries `now` or its deadline, whichever is earlier.
    pub fn finish(&mut self, now: Time, out: &mut Vec<Summary>) {
        self.tick(now, out);
        let start = out.len();
        for (rule_id, state) in self.states.iter_mut().enumerate() {
            let keyed = self.rules.rules()[rule_id].key.is_some();
            while state
                .close_oldest(rule_id, keyed, |deadline| now.min(deadline), out)
                .is_some()
            {}
            state.windows.clear();
        }
        out[start..].sort_by_key(|s| (s.at, s.rule));
        self.next_due = None;
    }

    /// Swaps in a new rule set between two records. Rules whose name is in
    /// both keep their open windows and counters; windows of rules that are
    /// gone are closed now, their summaries pushed to `out` first.
    pub fn reload(&mut self, rules: Arc<RuleSet>, now: Time, out: &mut Vec<Summary>) {
        let mut old_states: HashMap<String, RuleState> = HashMap::new();
        let old_rules = Arc::clone(&self.rules);
        let start = out.len();
        for (rule_id, mut state) in std::mem::take(&mut self.states).into_iter().enumerate() {
            let rule = &old_rules.rules()[rule_id];
            if rules.rules().iter().any(|r| r.name == rule.name) {
                old_states.insert(rule.name.clone(), state);
                continue;
            }
            let keyed = rule.key.is_some();
            while state
                .close_oldest(rule_id, keyed, |deadline| now.min(deadline), out)
                .is_some()
            {}
        }
        out[start..].sort_by_key(|s| (s.at, s.rule));
        self.states = rules
            .rules()
            .iter()
            .map(|r| {
                let keyed = r.key.is_some();
                let mut state = old_states
                    .remove(&r.name)
                    .unwrap_or_else(|| RuleState::new(keyed));
                if state.windows.hasher().keyed != keyed {
                    // The rule gained or lost its key: rehash with the right hasher.
                    let mut windows = RuleState::new(keyed).windows;
                    windows.extend(state.windows.drain());
                    state.windows = windows;
                }
                state
            })
            .collect();
        self.scratch = rules.scratch();
        if self.framing_override.is_none() {
            let framing = rules.input().framing.clone().unwrap_or(Framing::Lines);
            if framing.describe() != self.framer.framing().describe() {
                self.framer = Framer::new(framing);
            } else {
                // Same framing: keep the per-source record state, but rule
                // numbers may have moved, so continuations of a suppressed
                // record are re-pointed to the new rule ids.
                let names: Vec<String> =
                    self.rules.rules().iter().map(|r| r.name.clone()).collect();
                self.framer.renumber(|old| {
                    let name = names.get(old)?;
                    rules.rules().iter().position(|r| &r.name == name)
                });
            }
        }
        self.rules = rules;
        self.next_due = self
            .states
            .iter()
            .filter_map(|s| s.expiry.front().map(|(d, _)| *d))
            .min();
    }

    /// Moves every open window from time `from` to time `to`, keeping its
    /// length: for records that had to be given a stand-in time before the
    /// stream revealed its own clock (`--clock log`, before the first
    /// timestamp). Counters and order are unchanged.
    pub fn shift_times(&mut self, from: Time, to: Time) {
        let delta = to.millis().saturating_sub(from.millis());
        let shift = |t: Time| Time(t.millis().saturating_add(delta));
        for state in &mut self.states {
            for window in state.windows.values_mut() {
                window.deadline = shift(window.deadline);
                window.first = shift(window.first);
                window.last = shift(window.last);
            }
            for (deadline, _) in state.expiry.iter_mut() {
                *deadline = shift(*deadline);
            }
        }
        self.next_due = self.next_due.map(shift);
    }

    /// The earliest time a window closes, for the I/O shell's timer.
    pub fn next_deadline(&self) -> Option<Time> {
        self.next_due
    }

    /// Counters per rule, in rule order.
    pub fn stats(&self) -> Vec<RuleStats> {
        self.states.iter().map(|s| s.stats).collect()
    }

    /// How many windows are open across all rules.
    pub fn open_windows(&self) -> usize {
        self.states.iter().map(|s| s.windows.len()).sum()
    }
}

/// Records a closed window: a summary if it suppressed anything.
fn close(
    rule: usize,
    key: Option<&[u8]>,
    window: &Window,
    at: Time,
    keyed: bool,
    state: &mut RuleState,
    out: &mut Vec<Summary>,
) {
    if window.suppressed == 0 {
        return;
    }
    state.stats.summaries += 1;
    out.push(Summary {
        rule,
        key: if keyed { key.map(<[u8]>::to_vec) } else { None },
        count: window.suppressed,
        first: window.first,
        last: window.last,
        at,
    });
}

/// Closes the rule's oldest open window early (with its summary) to make
/// room under `max_keys`.
fn evict_oldest(
    rule: usize,
    now: Time,
    keyed: bool,
    state: &mut RuleState,
    out: &mut Vec<Summary>,
) {
    while let Some(closed) = state.close_oldest(rule, keyed, |deadline| now.min(deadline), out) {
        if closed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_str;
    use std::time::Duration;

    const SEC: i64 = 1000;

    fn engine(toml: &str) -> Engine {
        let rules = load_str("test.toml", toml, Duration::from_secs(30)).expect("valid rules");
        Engine::new(Arc::new(rules))
    }

    fn noise() -> Engine {
        engine("[[rule]]\nname = \"noise\"\npattern = 'noise'\nwindow = \"10s\"\n")
    }

    /// Feeds `line` at second `t`, returning the verdict and any summaries.
    fn at(e: &mut Engine, t: i64, line: &str) -> (Verdict, Vec<Summary>) {
        let mut out = Vec::new();
        let v = e.feed(line.as_bytes(), Time(t * SEC), &mut out);
        (v, out)
    }

    fn tick(e: &mut Engine, t: i64) -> Vec<Summary> {
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

    fn framed() -> Engine {
        engine(
            "[input]\ncontinuation = \"python-traceback\"\n\
             [[rule]]\nname = \"alone\"\npattern = 'socket'\nmultiline = false\n\
             [[rule]]\nname = \"whole\"\npattern = 'ERROR lost'\n",
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
            "[input]\ncontinuation = '^ '\n[[rule]]\nname = \"n\"\npattern = 'noise'\npass_first = 1\n",
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
            "[input]\ncontinuation = \"python-traceback\"\n[[rule]]\nname = \"whole\"\npattern = 'ERROR lost'\n",
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
}
