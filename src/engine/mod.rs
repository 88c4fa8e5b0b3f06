//! The pure core: windows, counts and summaries.
//!
//! The engine is told which rule (by index) and key a record belongs to and
//! when it was seen; [`Engine::decide`] says whether to pass or suppress it,
//! and [`Engine::tick`] closes windows whose time is up. Both push the
//! summaries due into a caller-owned `Vec`. Nothing here reads a clock,
//! touches I/O, frames records or matches patterns: it knows rules only
//! through their [`WindowSpec`], so every window rule is tested with
//! made-up rule numbers and times.

mod window;

use std::collections::HashMap;
use std::time::Duration;

use crate::time::Time;
use window::RuleState;

/// What the engine needs to know of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowSpec {
    /// How long a window stays open after its first match.
    pub window: Duration,
    /// Matching records let through per window before suppressing starts.
    pub pass_first: u64,
    /// Most windows (distinct keys) open at once.
    pub max_keys: usize,
    /// Whether summaries carry the key (the rule has a `key` template).
    pub keyed: bool,
}

/// What to do with one matched record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Within the window's `pass_first`: write it.
    Pass,
    /// Held back and counted.
    Suppress,
}

/// One window's closing report: `count` records of `rule` (and `key`) were suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Index of the rule.
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

/// The windowing engine over a list of rules.
#[derive(Debug)]
pub(crate) struct Engine {
    specs: Vec<WindowSpec>,
    states: Vec<RuleState>,
    /// No window closes before this time; lets `decide` skip the expiry scan.
    next_due: Option<Time>,
    /// Windows opened so far: orders windows with equal deadlines.
    opened: u64,
}

impl Engine {
    /// An engine with no open windows over rules described by `specs`.
    pub(crate) fn new(specs: Vec<WindowSpec>) -> Engine {
        let states = specs.iter().map(|s| RuleState::new(s.keyed)).collect();
        Engine {
            specs,
            states,
            next_due: None,
            opened: 0,
        }
    }

    /// Counts one record of rule `rule` under `key` (empty for unkeyed
    /// rules) seen at `now`, and decides it. Summaries of windows that
    /// closed by `now` are pushed to `out` first, so they come before the
    /// record in the output.
    pub(crate) fn decide(
        &mut self,
        rule: usize,
        key: &[u8],
        now: Time,
        out: &mut Vec<Summary>,
    ) -> Decision {
        self.tick_if_due(now, out);
        let (Some(spec), Some(state)) = (self.specs.get(rule), self.states.get_mut(rule)) else {
            return Decision::Pass; // no such rule: nothing to count against
        };
        state.stats.matched += 1;
        if !state.windows.contains_key(key) {
            if state.windows.len() >= spec.max_keys {
                // Make room: the window closing next goes early, with its summary.
                state.close_first(rule, spec.keyed, |deadline| now.min(deadline), out);
            }
            let deadline = now.plus(spec.window);
            self.opened += 1;
            state.open(key, now, deadline, self.opened);
            self.next_due = Some(self.next_due.map_or(deadline, |d| d.min(deadline)));
        }
        let Some(window) = state.windows.get_mut(key) else {
            return Decision::Pass; // unreachable: opened above
        };
        window.matched += 1;
        if window.matched <= spec.pass_first {
            return Decision::Pass;
        }
        if window.suppressed == 0 {
            window.first = now;
        }
        window.suppressed += 1;
        window.last = now;
        state.stats.suppressed += 1;
        Decision::Suppress
    }

    /// [`Engine::tick`], skipped cheaply when nothing is due by `now`.
    pub(crate) fn tick_if_due(&mut self, now: Time, out: &mut Vec<Summary>) {
        if self.next_due.is_some_and(|due| due <= now) {
            self.tick(now, out);
        }
    }

    /// Closes every window whose deadline is at or before `now`, pushing a
    /// summary for each that suppressed anything, in deadline order.
    pub(crate) fn tick(&mut self, now: Time, out: &mut Vec<Summary>) {
        let start = out.len();
        for (rule, (state, spec)) in self.states.iter_mut().zip(&self.specs).enumerate() {
            state.close_due(rule, spec.keyed, now, out);
        }
        out[start..].sort_by_key(|s| (s.at, s.rule));
        self.recompute_next_due();
    }

    /// Closes every open window at once (end of input, shutdown), pushing
    /// their summaries; each carries `now` or its deadline, whichever is earlier.
    pub(crate) fn finish(&mut self, now: Time, out: &mut Vec<Summary>) {
        self.tick(now, out);
        let start = out.len();
        for (rule, (state, spec)) in self.states.iter_mut().zip(&self.specs).enumerate() {
            state.close_all(rule, spec.keyed, now, out);
        }
        out[start..].sort_by_key(|s| (s.at, s.rule));
        self.next_due = None;
    }

    /// Swaps in a new list of rules between two records. `carried[i]` is
    /// the old index of new rule `i` when it is the same rule (by name):
    /// it keeps its open windows and counters. Windows of old rules that
    /// are not carried are closed now, their summaries (with old rule
    /// numbers) pushed to `out` first.
    pub(crate) fn reload(
        &mut self,
        specs: Vec<WindowSpec>,
        carried: &[Option<usize>],
        now: Time,
        out: &mut Vec<Summary>,
    ) {
        let mut old: HashMap<usize, RuleState> = std::mem::take(&mut self.states)
            .into_iter()
            .enumerate()
            .collect();
        let start = out.len();
        for (rule, spec) in self.specs.iter().enumerate() {
            if carried.contains(&Some(rule)) {
                continue;
            }
            if let Some(mut state) = old.remove(&rule) {
                state.close_all(rule, spec.keyed, now, out);
            }
        }
        out[start..].sort_by_key(|s| (s.at, s.rule));
        self.states = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let mut state = carried
                    .get(i)
                    .copied()
                    .flatten()
                    .and_then(|o| old.remove(&o))
                    .unwrap_or_else(|| RuleState::new(spec.keyed));
                state.set_keyed(spec.keyed);
                state
            })
            .collect();
        self.specs = specs;
        self.recompute_next_due();
    }

    /// Moves every open window from time `from` to time `to`, keeping its
    /// length: for records that had to be given a stand-in time before the
    /// stream revealed its own clock (`--clock log`, before the first
    /// timestamp). Counters and order are unchanged.
    pub(crate) fn shift_times(&mut self, from: Time, to: Time) {
        let delta = to.millis().saturating_sub(from.millis());
        let shift = |t: Time| Time(t.millis().saturating_add(delta));
        for state in &mut self.states {
            for window in state.windows.values_mut() {
                window.deadline = shift(window.deadline);
                window.first = shift(window.first);
                window.last = shift(window.last);
            }
            state.expiry = std::mem::take(&mut state.expiry)
                .into_iter()
                .map(|((deadline, seq), key)| ((shift(deadline), seq), key))
                .collect();
        }
        self.next_due = self.next_due.map(shift);
    }

    /// The earliest time a window closes, for the I/O shell's timer.
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.next_due
    }

    /// Counters per rule, in rule order.
    pub(crate) fn stats(&self) -> Vec<RuleStats> {
        self.states.iter().map(|s| s.stats).collect()
    }

    /// How many windows are open across all rules.
    pub(crate) fn open_windows(&self) -> usize {
        self.states.iter().map(|s| s.windows.len()).sum()
    }

    fn recompute_next_due(&mut self) {
        self.next_due = self
            .states
            .iter()
            .filter_map(RuleState::next_deadline)
            .min();
    }
}

#[cfg(test)]
mod tests;
