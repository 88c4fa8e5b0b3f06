//! Rules: where their text comes from ([`source`]), the strict TOML schema
//! and its messages (`schema`, `error`), key templates (`key`) and the
//! combined matcher that searches a buffer for all rules at once
//! ([`matcher`]). Loading is strict on purpose: a typo in a rule file must
//! be an error naming the file, the line:column and the rule, never a rule
//! that silently matches nothing (or everything).

mod cases;
mod error;
mod input;
mod key;
pub mod matcher;
mod schema;
pub mod source;
mod validate;

use anyhow::{bail, Result};
use regex::bytes::Regex;
use regex_automata::util::prefilter::Prefilter;
use std::time::Duration;

pub use cases::{last_line, match_lines, run_match_case, CaseInput, RuleTest, TestOutcome};
pub use error::{RuleErrors, RuleFileError};
pub use input::framing_regex;
pub use key::{split_window_key, KeyTemplate, WindowKey, MAX_KEY_LEN};
pub use matcher::{Found, MatchScratch};
pub use schema::FileCounts;
pub use source::{builtin_pack, RuleSource, BUILTIN_PACKS, DEFAULT_PACK};
pub use validate::{one_line, quote_pattern, COMPILE_BUDGET};

use crate::records::{Framing, TimestampSpec};
use matcher::Matcher;
use schema::{parse_file, Builder};

/// Most windows one rule keeps open at once unless the rule says otherwise.
pub const DEFAULT_MAX_KEYS: usize = 10_000;

/// Level printed in a summary when neither the rule nor `[defaults]` sets one.
pub const DEFAULT_LEVEL: &str = "INFO";

/// A compiled, validated rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Unique name across all loaded files.
    pub name: String,
    /// Summary text (defaults to the name).
    pub message: String,
    /// Optional note, printed as ` - NOTE` by the default template.
    pub note: Option<String>,
    /// Level label printed in the summary.
    pub level: String,
    /// How long a window stays open after its first match.
    pub window: Duration,
    /// Matching lines let through per window before suppressing starts.
    pub pass_first: u64,
    /// Most windows (distinct keys) this rule keeps open at once.
    pub max_keys: usize,
    /// Separate windows per rendered key, when set.
    pub key: Option<KeyTemplate>,
    /// What tells the rule's windows apart: the key, then the groups its
    /// message and note print.
    pub window_key: WindowKey,
    /// The rule's patterns; a line matching any of them belongs to the rule.
    pub patterns: Vec<Regex>,
    /// With `exception = ...`: the record's final line (its exception)
    /// must match too, so the record is held until it ends.
    pub exception: Option<Regex>,
    /// Whether the rule's records may carry continuation lines (with
    /// framing on). `false`: whatever follows a match is a new record.
    pub multiline: bool,
    /// Where the rule was defined, for messages: `FILE:LINE`.
    pub origin: String,
}

/// Stream settings from `[input]`: framing and how to read log times.
#[derive(Clone, Debug, Default)]
pub struct InputSettings {
    /// `record_start` or `continuation`, if a file set one.
    pub framing: Option<Framing>,
    /// `timestamp`, if a file set one.
    pub timestamp: Option<TimestampSpec>,
}

/// All loaded rules in priority order, with a combined matcher over them.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    input: InputSettings,
    tests: Vec<RuleTest>,
    matcher: Matcher,
    /// Files the rules came from, in load order.
    sources: Vec<String>,
}

impl RuleSet {
    /// The rules in priority order (load order, then order in the file).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The `[input]` settings of the loaded files.
    pub fn input(&self) -> &InputSettings {
        &self.input
    }

    /// The `[[test]]` cases of every loaded file.
    pub fn tests(&self) -> &[RuleTest] {
        &self.tests
    }

    /// The rule files (or built-in packs) loaded, in order.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// A search over whole buffers of lines: any line that some rule
    /// matches contains a hit (the reverse need not hold, so each hit is
    /// confirmed on its line). `None` if a pattern has no literal prefix.
    pub fn buffer_matcher(&self) -> Option<&Prefilter> {
        self.matcher.buffer()
    }

    /// Fresh scratch space sized for this rule set.
    pub fn scratch(&self) -> MatchScratch {
        MatchScratch::new(&self.rules)
    }

    /// The first rule matching the first line of a record (`line`, its
    /// bytes without the line ending), and its window key; a rule that
    /// needs the record's exception line comes back [`Found::Deferred`].
    pub fn match_line<'s>(&self, line: &[u8], scratch: &'s mut MatchScratch) -> Option<Found<'s>> {
        if !self.matcher.any_match(line) {
            return None;
        }
        self.match_each_rule(line, scratch)
    }

    /// [`RuleSet::match_line`] without the combined pre-check, for a line
    /// the buffer search already picked out: most such lines do match, so
    /// the pre-check would only scan them twice.
    pub fn match_each_rule<'s>(
        &self,
        line: &[u8],
        scratch: &'s mut MatchScratch,
    ) -> Option<Found<'s>> {
        matcher::first_match(&self.rules, 0, line, None, scratch)
    }

    /// Decides a held record: the first rule from `from` on that matches
    /// its first line `line` and, for rules with `exception`, its final
    /// line `last`.
    pub fn match_record<'s>(
        &self,
        from: usize,
        line: &[u8],
        last: &[u8],
        scratch: &'s mut MatchScratch,
    ) -> Option<(usize, &'s [u8])> {
        match matcher::first_match(&self.rules, from, line, Some(last), scratch)? {
            Found::Rule(id, key) => Some((id, key)),
            Found::Deferred(_) => None,
        }
    }

    /// The name of the first rule matching `line` taken as a one-line
    /// record, ignoring a trailing `\r\n`.
    pub fn rule_for(&self, line: &[u8]) -> Option<String> {
        match_lines(self, &[line]).map(|(rule, _)| rule)
    }

    /// Runs every line and record `[[test]]` case (window cases need the
    /// whole pipeline: see `stream::simulate`).
    pub fn run_tests(&self) -> Vec<TestOutcome> {
        self.tests
            .iter()
            .filter_map(|t| run_match_case(self, t))
            .collect()
    }
}

/// What loading one file gave, for `logdedup check`.
#[derive(Debug)]
pub struct FileReport {
    /// The file (or `builtin:NAME`).
    pub origin: String,
    /// Its rules and tests, or every error found in it.
    pub result: Result<FileCounts, anyhow::Error>,
}

/// Loads every file of `sources` in order, going on past a file with
/// errors, so each file gets its own report; then builds the set if all
/// were good. Errors that need all files (a test naming a rule no file
/// defines) come with the set.
pub fn load_each(
    sources: &[RuleSource],
    default_window: Duration,
) -> (Vec<FileReport>, Result<RuleSet>) {
    let mut builder = Builder::default();
    let mut reports = Vec::new();
    for file in source::read_all(sources) {
        builder.budget.trusted = file.builtin;
        let origin = file.origin;
        let result = file
            .text
            .and_then(|text| parse_file(&origin, &text, default_window, file.yields, &mut builder));
        builder.sources.push(origin.clone());
        reports.push(FileReport { origin, result });
    }
    let failed = reports.iter().filter(|r| r.result.is_err()).count();
    let set = if failed > 0 {
        Err(anyhow::anyhow!(
            "{failed} of {} rule files have errors",
            reports.len()
        ))
    } else if builder.rules.is_empty() {
        Err(anyhow::anyhow!("no rules loaded"))
    } else {
        builder.finish()
    };
    (reports, set)
}

/// Loads rules from `sources` in order. `default_window` is `--window`.
/// Stops at the first file with errors, reporting them.
pub fn load(sources: &[RuleSource], default_window: Duration) -> Result<RuleSet> {
    let mut builder = Builder::default();
    for file in source::read_all(sources) {
        builder.budget.trusted = file.builtin;
        parse_file(
            &file.origin,
            &file.text?,
            default_window,
            file.yields,
            &mut builder,
        )?;
        builder.sources.push(file.origin);
    }
    if builder.rules.is_empty() {
        bail!("no rules loaded");
    }
    builder.finish()
}

/// Compiles a single rule file's text; used by tests and fuzzing.
pub fn load_str(origin: &str, text: &str, default_window: Duration) -> Result<RuleSet> {
    let mut builder = Builder::default();
    parse_file(origin, text, default_window, false, &mut builder)?;
    builder.sources.push(origin.to_owned());
    builder.finish()
}

#[cfg(test)]
mod tests;
