//! The per-line pipeline, downward and once: the framer says whether a
//! line starts a record or continues one; a record start goes to the
//! matcher, which names the rule and key; the engine counts and decides;
//! the verdict goes back to the shell that writes. The framer is told what
//! was decided, so the record's continuation lines follow it.

use std::sync::Arc;

use crate::engine::{Decision, Engine, RuleStats, Summary, WindowSpec};
use regex::bytes::CaptureLocations;

use super::repeat::{Outcome, Repeats};
use crate::records::{
    line_content, split_collector_prefix, Disposition, Fields, Frame, Framer, Framing,
    LayoutRecognizer, LayoutSpec, Passed,
};
use crate::rules::{Found, MatchScratch, RuleSet};
use crate::time::Time;

/// What to do with one line.
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
    /// The first line of a record that rule `0` (or a later one) may
    /// match once its last line is known (`exception = ...`): the caller
    /// holds it until the record ends, then calls [`Decider::resolve`].
    Hold(usize),
    /// A continuation line of the held record: hold it too.
    ContinueHeld,
}

impl Verdict {
    /// The rule that holds the line back, for a suppressed line.
    pub(crate) fn suppressed_by(self) -> Option<usize> {
        match self {
            Verdict::Suppress(r) | Verdict::ContinueSuppressed(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the line is written to the output.
    pub(crate) fn passes(self) -> bool {
        matches!(
            self,
            Verdict::Pass | Verdict::PassMatched(_) | Verdict::Continue
        )
    }
}

/// The engine's view of each rule.
pub(crate) fn window_specs(rules: &RuleSet) -> Vec<WindowSpec> {
    rules
        .rules()
        .iter()
        .map(|r| WindowSpec {
            window: r.window,
            pass_first: r.pass_first,
            max_keys: r.max_keys,
            keyed: r.window_key.is_keyed(),
        })
        .collect()
}

/// The layout reader for `rules`: their `[input] layout`, else `auto`.
fn recognizer(rules: &RuleSet) -> LayoutRecognizer {
    LayoutRecognizer::new(rules.input().layout.clone().unwrap_or(LayoutSpec::Auto))
}

/// Framer, matcher and engine, wired in that order.
#[derive(Debug)]
pub(crate) struct Decider {
    rules: Arc<RuleSet>,
    scratch: MatchScratch,
    engine: Engine,
    framer: Framer,
    /// Framing from the command line, which overrides the rule files'.
    framing_override: Option<Framing>,
    records: u64,
    /// Capture slots for splitting off collector prefixes before matching.
    prefix_slots: Option<CaptureLocations>,
    /// Reads a record's fields (logger, level, message) for the rules on
    /// the message; only used when some rule is.
    layout: LayoutRecognizer,
    /// Decoded JSON values of the record being matched.
    field_buf: Vec<u8>,
    /// What the rules found for recent record starts (see [`Repeats`]).
    repeats: Repeats,
}

impl Decider {
    /// A decider over `rules`, framing records as `framing` says when
    /// given (the command line), else as the rule files' `[input]` does.
    pub fn new(rules: Arc<RuleSet>, framing: Option<Framing>) -> Decider {
        let effective = framing
            .clone()
            .or_else(|| rules.input().framing.clone())
            .unwrap_or(Framing::Lines);
        Decider {
            layout: recognizer(&rules),
            field_buf: Vec::new(),
            repeats: Repeats::default(),
            scratch: rules.scratch(),
            engine: Engine::new(window_specs(&rules)),
            rules,
            framer: Framer::new(effective),
            framing_override: framing,
            records: 0,
            prefix_slots: None,
        }
    }

    /// This decider without the storm cache: every line read and matched.
    #[cfg(test)]
    pub(crate) fn without_repeats(mut self) -> Decider {
        self.repeats = Repeats::off();
        self
    }

    /// How records are framed.
    pub(crate) fn framing(&self) -> &Framing {
        self.framer.framing()
    }

    /// The rules in use.
    pub(crate) fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Records seen so far (lines, when framing is off).
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// The window key of the last record a rule matched.
    pub(crate) fn key(&self) -> &[u8] {
        self.scratch.key()
    }

    /// Decides one line (its line ending is ignored for matching) seen at
    /// `now`. Summaries of windows that closed by `now` are pushed to `out`
    /// first, so they come before the line in the output.
    pub(crate) fn feed(&mut self, line: &[u8], now: Time, out: &mut Vec<Summary>) -> Verdict {
        self.decide(line, now, out, false)
    }

    /// [`Decider::feed`] for a line the buffer search picked out as likely
    /// to match: the same decision, reached with one scan fewer.
    pub(crate) fn feed_candidate(
        &mut self,
        line: &[u8],
        now: Time,
        out: &mut Vec<Summary>,
    ) -> Verdict {
        self.decide(line, now, out, true)
    }

    fn decide(
        &mut self,
        line: &[u8],
        now: Time,
        out: &mut Vec<Summary>,
        candidate: bool,
    ) -> Verdict {
        self.engine.tick_if_due(now, out);
        let content = line_content(line);
        if let Some(verdict) = self.continuation(content) {
            return verdict;
        }
        // A new record (or the continuation of a record whose rule does not
        // take continuations, which then stands on its own).
        self.records += 1;
        // Patterns see the program's own line, without a log collector's
        // prefix (docker compose, journald, ...), so `^` anchors hold there too.
        let (_, body) = split_collector_prefix(content, &mut self.prefix_slots);
        let outcome = if self.rules.on_messages() {
            self.match_fields(body, candidate)
        } else if candidate {
            // The buffer search picked the line out: most such lines match,
            // so the combined pre-check would only scan them twice.
            outcome_of(self.rules.match_each_rule(body, None, &mut self.scratch))
        } else {
            outcome_of(self.rules.match_line(body, None, &mut self.scratch))
        };
        match outcome {
            Outcome::Pass => {
                self.framer.started(Some(Disposition::Pass));
                Verdict::Pass
            }
            Outcome::Rule(rule_id) => self.count(rule_id, now, out),
            Outcome::Deferred(rule_id) => {
                if self.framer.framing().is_on() && self.rules.rules()[rule_id].multiline {
                    self.framer.started(Some(Disposition::Hold));
                    Verdict::Hold(rule_id)
                } else {
                    // No continuation lines can follow: the record is this line.
                    self.resolve(rule_id, content, content, now, out)
                }
            }
        }
    }

    /// What the rules find for a record's first line `body` when some rule
    /// is on the message: reused from a recent line that differs only in
    /// its timestamp's digits when no rule on the whole line could tell
    /// the two apart, else read and matched (and kept for the next).
    fn match_fields(&mut self, body: &[u8], candidate: bool) -> Outcome {
        let cacheable = !self.rules.a_line_rule_matches(body);
        if cacheable {
            if let Some((outcome, key)) = self.repeats.lookup(body) {
                // The key is the last counted rule's: a line no rule takes,
                // or one deferred, leaves it as it was.
                if matches!(outcome, Outcome::Rule(_)) {
                    self.scratch.set_key(key);
                }
                return outcome;
            }
        }
        let fields = self.layout.recognize(body, &mut self.field_buf);
        let time = fields
            .time
            .and_then(|t| Fields::span_in(body, t))
            .map_or(0..0, |(start, end)| start..end);
        let found = if candidate {
            self.rules
                .match_each_rule(body, Some(&fields), &mut self.scratch)
        } else {
            self.rules
                .match_line(body, Some(&fields), &mut self.scratch)
        };
        let outcome = outcome_of(found);
        if cacheable {
            self.repeats.keep(body, time, outcome, self.scratch.key());
        }
        outcome
    }

    /// Counts a record of `rule_id` with the engine, under the key the
    /// last match left in the scratch space, and tells the framer what its
    /// continuation lines do.
    fn count(&mut self, rule_id: usize, now: Time, out: &mut Vec<Summary>) -> Verdict {
        let multiline = self.rules.rules()[rule_id].multiline;
        let decision = self.engine.decide(rule_id, self.scratch.key(), now, out);
        let (verdict, disposition) = match decision {
            Decision::Pass => (Verdict::PassMatched(rule_id), Disposition::Pass),
            Decision::Suppress => (Verdict::Suppress(rule_id), Disposition::Suppress(rule_id)),
        };
        if multiline {
            self.framer.started(Some(disposition));
        } else {
            self.framer.started_one_line(disposition);
        }
        verdict
    }

    /// Decides the held record now that it has ended: `first` and `last`
    /// are its first and last lines (without line endings), `from` the rule
    /// [`Verdict::Hold`] named, `now` the time of its first line. Its
    /// continuation lines still to come follow the verdict.
    pub(crate) fn resolve(
        &mut self,
        from: usize,
        first: &[u8],
        last: &[u8],
        now: Time,
        out: &mut Vec<Summary>,
    ) -> Verdict {
        let (_, first) = split_collector_prefix(first, &mut self.prefix_slots);
        let mut last_slots = None;
        let (_, last) = split_collector_prefix(last, &mut last_slots);
        let fields = self
            .rules
            .on_messages()
            .then(|| self.layout.recognize(first, &mut self.field_buf));
        match self
            .rules
            .match_record(from, first, fields.as_ref(), last, &mut self.scratch)
        {
            Some((rule_id, _)) => self.count(rule_id, now, out),
            None => {
                self.framer.started(Some(Disposition::Pass));
                Verdict::Pass
            }
        }
    }

    /// Whether `line` continues the held record (without changing any
    /// state: framing is tried on a copy).
    pub(crate) fn continues_held(&self, line: &[u8]) -> bool {
        let mut framer = self.framer.clone();
        framer.classify(line_content(line)) == (Frame::Continuation, Some(Disposition::Hold))
    }

    /// Decides a line that the caller knows no rule matches (the buffer
    /// search found nothing on it): only framing can hold it back, as a
    /// continuation of a suppressed record. Same result as [`Decider::feed`].
    pub(crate) fn feed_unmatched(&mut self, line: &[u8]) -> Verdict {
        if self.framer.plain_passing_start(line) {
            self.records += 1;
            return Verdict::Pass;
        }
        if let Some(verdict) = self.continuation(line_content(line)) {
            return verdict;
        }
        self.records += 1;
        self.framer.started(Some(Disposition::Pass));
        Verdict::Pass
    }

    /// Frames a line that passes whatever the rules say (its head was
    /// written before its end came): a continuation of the record before
    /// it stays one, anything else starts a record no rule took. Nothing
    /// is counted against a rule, so no summary counts it.
    pub(crate) fn feed_passing(&mut self, line: &[u8]) -> Verdict {
        if self.continuation(line_content(line)).is_some() {
            return Verdict::Continue;
        }
        self.records += 1;
        self.framer.started(Some(Disposition::Pass));
        Verdict::Pass
    }

    /// Passes a run of whole lines that the caller knows no rule matches,
    /// in bulk while framing allows (see [`Framer::pass_unmatched`]); the
    /// caller decides the rest of the run line by line. Same results as
    /// [`Decider::feed_unmatched`] on each line.
    pub(crate) fn pass_unmatched(&mut self, span: &[u8]) -> Passed {
        let passed = self.framer.pass_unmatched(span);
        self.records += passed.records;
        passed
    }

    /// Frames `content`: the verdict if it continues a record that takes
    /// continuations, else `None` (it starts a record, to be decided).
    fn continuation(&mut self, content: &[u8]) -> Option<Verdict> {
        match self.framer.classify(content) {
            (Frame::Continuation, Some(Disposition::Pass)) => Some(Verdict::Continue),
            (Frame::Continuation, Some(Disposition::Suppress(rule))) => {
                Some(Verdict::ContinueSuppressed(rule))
            }
            (Frame::Continuation, Some(Disposition::Hold)) => Some(Verdict::ContinueHeld),
            _ => None,
        }
    }

    /// Counts `n` lines that no rule matches, with framing off: they all
    /// pass and need no other bookkeeping.
    pub(crate) fn count_unmatched(&mut self, n: u64) {
        self.records += n;
    }

    /// See [`Engine::tick`].
    pub(crate) fn tick(&mut self, now: Time, out: &mut Vec<Summary>) {
        self.engine.tick(now, out);
    }

    /// See [`Engine::tick_if_due`]: what every line does first, for the
    /// lines the fast path decides without [`Decider::feed`].
    pub(crate) fn tick_if_due(&mut self, now: Time, out: &mut Vec<Summary>) {
        self.engine.tick_if_due(now, out);
    }

    /// See [`Engine::finish`].
    pub fn finish(&mut self, now: Time, out: &mut Vec<Summary>) {
        self.engine.finish(now, out);
    }

    /// Swaps in a new rule set between two lines. Rules whose name is in
    /// both keep their open windows and counters; windows of rules that are
    /// gone are closed now, their summaries (numbered in the old set)
    /// pushed to `out` first.
    pub(crate) fn reload(&mut self, rules: Arc<RuleSet>, now: Time, out: &mut Vec<Summary>) {
        let old_index = |name: &str| self.rules.rules().iter().position(|r| r.name == name);
        let carried: Vec<Option<usize>> =
            rules.rules().iter().map(|r| old_index(&r.name)).collect();
        self.engine.reload(window_specs(&rules), &carried, now, out);
        self.scratch = rules.scratch();
        self.layout = recognizer(&rules);
        self.repeats.clear();
        if self.framing_override.is_none() {
            let framing = rules.input().framing.clone().unwrap_or(Framing::Lines);
            if framing.describe() != self.framer.framing().describe() {
                self.framer = Framer::new(framing);
            } else {
                // Same framing: keep the per-source record state, but rule
                // numbers may have moved, so continuations of a suppressed
                // record are re-pointed to the new rule ids.
                self.framer
                    .renumber(|old| carried.iter().position(|c| *c == Some(old)));
            }
        }
        self.rules = rules;
    }

    /// See [`Engine::shift_times`].
    pub(crate) fn shift_times(&mut self, from: Time, to: Time) {
        self.engine.shift_times(from, to);
    }

    /// See [`Engine::next_deadline`].
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.engine.next_deadline()
    }

    /// Counters per rule, in rule order.
    pub(crate) fn stats(&self) -> Vec<RuleStats> {
        self.engine.stats()
    }

    /// How many windows are open across all rules.
    pub(crate) fn open_windows(&self) -> usize {
        self.engine.open_windows()
    }
}

/// What was found, without the borrow of the key.
fn outcome_of(found: Option<Found>) -> Outcome {
    match found {
        None => Outcome::Pass,
        Some(Found::Rule(id, _)) => Outcome::Rule(id),
        Some(Found::Deferred(id)) => Outcome::Deferred(id),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
