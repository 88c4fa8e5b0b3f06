//! Rules: where their text comes from ([`source`]), the strict TOML schema
//! (`raw`) and its checks (`validate`, `input`, `cases`), errors that name
//! the file, line:column and rule (`error`), key templates (`key`), loading
//! (`load`) and the combined matcher that searches a buffer for all rules
//! at once (`matcher`). Loading is strict on purpose: a typo in a rule file
//! must be an error naming the file, the line:column and the rule, never a
//! rule that silently matches nothing (or everything).
//!
//! This file only declares the modules and re-exports their public items:
//! the modules import each other directly, never through here, so no import
//! goes in a circle.

mod cases;
mod error;
mod input;
mod key;
mod load;
mod matcher;
mod needles;
mod pattern;
mod raw;
mod redact;
mod rule;
mod set;
mod source;
mod target;
mod validate;

pub(crate) use cases::{CaseInput, RuleTest, TestOutcome, CASE_START};
pub(crate) use error::{RuleErrors, RuleFileError};
pub(crate) use input::framing_regex;
pub(crate) use key::split_window_key;
pub use load::{load, load_str};
pub(crate) use load::{load_each, load_with, FileReport, LoadOptions};
pub(crate) use matcher::Found;
pub(crate) use matcher::MatchScratch;
pub use pattern::Pattern;
pub use redact::RedactScratch;
pub use redact::{Redaction, Redactor};
pub use rule::{LoggerName, MessageFilter, Rule, Target};
pub use set::RuleSet;
#[cfg(test)]
pub(crate) use source::DEFAULT_PACK;
pub use source::{builtin_pack, RuleSource};
pub(crate) use source::{packs_named, BUILTIN_PACKS, SECRETS};
pub(crate) use validate::{literal_chars, pattern_problem, quote_pattern};

#[cfg(test)]
mod tests;
