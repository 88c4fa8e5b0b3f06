//! [`RuleSet`]: every loaded rule in priority order, the stream settings
//! of their files, their `[[test]]` cases, and the combined matcher that
//! names the first rule a line belongs to.

use regex_automata::util::prefilter::Prefilter;

use super::cases::RuleTest;
use super::matcher::{first_match, Found, MatchScratch, Matcher};
use super::redact::Redactor;
use super::rule::Rule;
use crate::records::{Fields, Framing, LayoutSpec, TimestampSpec};

/// Stream settings from `[input]`: framing and how to read log times.
#[derive(Clone, Debug, Default)]
pub(crate) struct InputSettings {
    /// `record_start` or `continuation`, if a file set one.
    pub framing: Option<Framing>,
    /// `timestamp`, if a file set one.
    pub timestamp: Option<TimestampSpec>,
    /// `layout`, if a file set one (else `auto`).
    pub layout: Option<LayoutSpec>,
}

/// All loaded rules in priority order, with a combined matcher over them.
#[derive(Debug)]
pub struct RuleSet {
    pub(super) rules: Vec<Rule>,
    pub(super) input: InputSettings,
    pub(super) tests: Vec<RuleTest>,
    pub(super) matcher: Matcher,
    /// Files the rules came from, in load order.
    pub(super) sources: Vec<String>,
    /// Per rule and pattern: whether a match's key may be cached.
    pub(super) cacheable: Vec<Vec<bool>>,
    /// The `[[redact]]` rules, applied to every line before matching.
    pub(super) redactor: Redactor,
}

impl RuleSet {
    /// The rules in priority order (load order, then order in the file).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The `[input]` settings of the loaded files.
    pub(crate) fn input(&self) -> &InputSettings {
        &self.input
    }

    /// The redactions, applied to every line before the rules see it.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The `[[test]]` cases of every loaded file.
    pub fn tests(&self) -> &[RuleTest] {
        &self.tests
    }

    /// The rule files (or built-in packs) loaded, in order.
    pub(crate) fn sources(&self) -> &[String] {
        &self.sources
    }

    /// A search over whole buffers of lines: any line that some rule
    /// matches contains a hit (the reverse need not hold, so each hit is
    /// confirmed on its line). `None` if a pattern has no literal prefix.
    pub(crate) fn buffer_matcher(&self) -> Option<&Prefilter> {
        self.matcher.buffer()
    }

    /// Fresh scratch space sized for this rule set.
    pub(crate) fn scratch(&self) -> MatchScratch {
        MatchScratch::new(&self.rules, &self.cacheable)
    }

    /// Whether some rule matches the message of a record (`body`): then
    /// a record's fields are needed to match it.
    pub fn on_messages(&self) -> bool {
        self.matcher.on_messages()
    }

    /// The first rule matching the first line of a record (`line`, its
    /// bytes without the line ending; `fields`, its fields when some rule
    /// needs them), and its window key; a rule that needs the record's
    /// exception line comes back [`Found::Deferred`].
    pub(crate) fn match_line<'s>(
        &self,
        line: &[u8],
        fields: Option<&Fields>,
        scratch: &'s mut MatchScratch,
    ) -> Option<Found<'s>> {
        if !self.matcher.may_match(line) {
            return None;
        }
        self.match_each_rule(line, fields, scratch)
    }

    /// [`RuleSet::match_line`] without the combined pre-check, for a line
    /// the buffer search already picked out: most such lines do match, so
    /// the pre-check would only scan them twice.
    pub(crate) fn match_each_rule<'s>(
        &self,
        line: &[u8],
        fields: Option<&Fields>,
        scratch: &'s mut MatchScratch,
    ) -> Option<Found<'s>> {
        first_match(&self.rules, 0, line, fields, None, scratch)
    }

    /// Whether some rule on the whole line has a pattern matching `line`
    /// (false without such rules).
    pub(crate) fn a_line_rule_matches(&self, line: &[u8]) -> bool {
        self.matcher.line_rule_matches(line)
    }

    /// Decides a held record: the first rule from `from` on that matches
    /// its first line `line` and, for rules with `exception`, its final
    /// line `last`.
    pub(crate) fn match_record<'s>(
        &self,
        from: usize,
        line: &[u8],
        fields: Option<&Fields>,
        last: &[u8],
        scratch: &'s mut MatchScratch,
    ) -> Option<(usize, &'s [u8])> {
        let last = crate::records::trim_blank_end(last);
        match first_match(&self.rules, from, line, fields, Some(last), scratch)? {
            Found::Rule(id, key) => Some((id, key)),
            Found::Deferred(_) => None,
        }
    }
}
