//! The shapes of a rule file as written: serde structs with
//! `deny_unknown_fields`, so a misspelt key is an error, never a silently
//! ignored setting. Nothing here checks values; `validate`, `input` and
//! `cases` do, and `load` puts the results together.

use serde::Deserialize;
use toml::Spanned;

/// A whole rule file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub defaults: Option<RawDefaults>,
    pub input: Option<Spanned<RawInput>>,
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub redact: Vec<Spanned<RawRedact>>,
    pub secrets: Option<RawSecrets>,
    #[serde(default)]
    pub test: Vec<Spanned<RawTest>>,
}

/// One `[[redact]]` as written: what to mask, and with what.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRedact {
    pub name: Spanned<String>,
    pub pattern: Option<Spanned<String>>,
    pub patterns: Option<Spanned<Vec<Spanned<String>>>>,
    pub replace: Option<Spanned<String>>,
    pub ignore_case: Option<bool>,
}

/// `[secrets]`: whether the built-in secrets pack masks this stream.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    pub redact: bool,
}

/// `[input]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInput {
    pub record_start: Option<Spanned<String>>,
    pub continuation: Option<Spanned<String>>,
    /// A preset name, or a table `{ pattern = ..., format = ... }`.
    pub timestamp: Option<Spanned<toml::Value>>,
}

/// `[defaults]` as written.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub window: Option<Spanned<toml::Value>>,
    pub level: Option<Spanned<String>>,
    pub pass_first: Option<u64>,
    pub ignore_case: Option<bool>,
    pub max_keys: Option<Spanned<u64>>,
}

/// One `[[rule]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub name: Spanned<String>,
    pub pattern: Option<Spanned<String>>,
    pub patterns: Option<Spanned<Vec<Spanned<String>>>>,
    pub exception: Option<Spanned<String>>,
    pub message: Option<Spanned<String>>,
    pub note: Option<Spanned<String>>,
    pub level: Option<Spanned<String>>,
    pub window: Option<Spanned<toml::Value>>,
    pub pass_first: Option<u64>,
    pub key: Option<Spanned<String>>,
    pub ignore_case: Option<bool>,
    pub max_keys: Option<Spanned<u64>>,
    pub multiline: Option<bool>,
}

/// One `[[test]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTest {
    pub line: Option<String>,
    pub record: Option<String>,
    pub lines: Option<Spanned<Vec<String>>>,
    pub at: Option<Spanned<Vec<toml::Value>>>,
    pub expect: Option<Spanned<Vec<String>>>,
    pub rule: Option<Spanned<String>>,
    pub key: Option<String>,
    pub redacted: Option<String>,
}
