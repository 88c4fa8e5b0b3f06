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
mod raw;
mod rule;
mod set;
mod source;
mod validate;

pub use cases::{CaseInput, RuleTest, TestOutcome};
pub use error::{RuleErrors, RuleFileError};
pub use input::framing_regex;
pub use key::{split_window_key, KeyTemplate, WindowKey, MAX_KEY_LEN};
pub use load::{load, load_each, load_str, FileCounts, FileReport};
pub use matcher::{Found, MatchScratch};
pub use rule::{Rule, DEFAULT_LEVEL, DEFAULT_MAX_KEYS};
pub use set::{InputSettings, RuleSet};
pub use source::{builtin_pack, packs_named, RuleSource, BUILTIN_PACKS, DEFAULT_PACK};
pub use validate::{one_line, quote_pattern, COMPILE_BUDGET};

#[cfg(test)]
mod tests;
