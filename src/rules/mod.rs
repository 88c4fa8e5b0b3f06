//! Rules: where their text comes from ([`source`]), the strict TOML schema
//! and its messages (`schema`, `error`), key templates (`key`) and the
//! combined matcher that searches a buffer for all rules at once
//! ([`matcher`]). Loading is strict on purpose: a typo in a rule file must
//! be an error naming the file, the line:column and the rule, never a rule
//! that silently matches nothing (or everything).

mod error;
mod key;
pub mod matcher;
mod schema;
pub mod source;

use anyhow::{bail, Result};
use regex::bytes::Regex;
use regex_automata::util::prefilter::Prefilter;
use std::time::Duration;

pub use error::RuleFileError;
pub use key::KeyTemplate;
pub use matcher::MatchScratch;
pub use schema::framing_regex;
pub use source::{builtin_pack, RuleSource, BUILTIN_PACKS, DEFAULT_PACK};

use crate::records::{line_content, Framing, TimestampSpec};
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
    /// The rule's patterns; a line matching any of them belongs to the rule.
    pub patterns: Vec<Regex>,
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

/// One `[[test]]` case of a rule file.
#[derive(Clone, Debug)]
pub struct RuleTest {
    /// The line to try.
    pub line: String,
    /// The rule expected to match it; `None` means it must pass through.
    pub expect: Option<String>,
    /// Where the case was written, `FILE:LINE`.
    pub origin: String,
}

/// The outcome of one [`RuleTest`].
#[derive(Clone, Debug)]
pub struct TestOutcome {
    /// The case that ran.
    pub test: RuleTest,
    /// The rule that actually matched, if any.
    pub actual: Option<String>,
}

impl TestOutcome {
    /// Whether the matching rule is the expected one.
    pub fn passed(&self) -> bool {
        self.test.expect == self.actual
    }
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

    /// The first rule matching `line` (its bytes without the line ending) and
    /// the key it belongs to (empty for rules without a key).
    pub fn match_line<'s>(
        &self,
        line: &[u8],
        scratch: &'s mut MatchScratch,
    ) -> Option<(usize, &'s [u8])> {
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
    ) -> Option<(usize, &'s [u8])> {
        matcher::first_match(&self.rules, line, scratch)
    }

    /// The name of the first rule matching `line`, ignoring a trailing `\r\n`.
    pub fn rule_for(&self, line: &[u8]) -> Option<&str> {
        let mut scratch = self.scratch();
        self.match_line(line_content(line), &mut scratch)
            .map(|(id, _)| self.rules[id].name.as_str())
    }

    /// Runs every `[[test]]` case against the whole rule set.
    pub fn run_tests(&self) -> Vec<TestOutcome> {
        self.tests
            .iter()
            .map(|t| TestOutcome {
                test: t.clone(),
                actual: self.rule_for(t.line.as_bytes()).map(str::to_owned),
            })
            .collect()
    }
}

/// Loads rules from `sources` in order. `default_window` is `--window`.
pub fn load(sources: &[RuleSource], default_window: Duration) -> Result<RuleSet> {
    let mut builder = Builder::default();
    for source in sources {
        match source {
            RuleSource::Builtin(name) => {
                let text = builtin_pack(name)?;
                let origin = source.to_string();
                parse_file(&origin, text, default_window, &mut builder)?;
                builder.sources.push(origin);
            }
            RuleSource::Path(path) => {
                for file in source::rule_files(path)? {
                    let text = source::read_rule_file(&file)?;
                    let origin = file.display().to_string();
                    parse_file(&origin, &text, default_window, &mut builder)?;
                    builder.sources.push(origin);
                }
            }
        }
    }
    if builder.rules.is_empty() {
        bail!("no rules loaded");
    }
    builder.finish()
}

/// Compiles a single rule file's text; used by tests and fuzzing.
pub fn load_str(origin: &str, text: &str, default_window: Duration) -> Result<RuleSet> {
    let mut builder = Builder::default();
    parse_file(origin, text, default_window, &mut builder)?;
    builder.sources.push(origin.to_owned());
    builder.finish()
}

#[cfg(test)]
mod tests;
