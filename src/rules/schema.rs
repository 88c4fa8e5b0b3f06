//! The strict TOML schema of rule files: raw serde shapes with
//! `deny_unknown_fields` (a misspelt key is an error, never a silently
//! ignored setting), read into a [`Builder`] that accumulates rules across
//! files. Each rule is validated on its own (`validate`), so one file's
//! errors are all reported at once.

use anyhow::Result;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;

use super::cases::{parse_case, RawTest};
use super::error::{
    rule_name_at, table_at, toml_message, Locator, Place, RuleErrors, RuleFileError,
};
use super::input::parse_input;
use super::matcher::Matcher;
use super::validate::{compile_rule, duration_value, Budget};
use super::{InputSettings, Rule, RuleSet, RuleTest};
use crate::records::{Framing, TimestampSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<RawDefaults>,
    input: Option<Spanned<RawInput>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    test: Vec<Spanned<RawTest>>,
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

/// What one file contributed, for `logdedup check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Rules the file defines.
    pub rules: usize,
    /// `[[test]]` cases the file has.
    pub tests: usize,
}

/// Parses and validates one rule file's text into `out`, reporting every
/// rule's errors (a TOML syntax error stops at the first).
///
/// `origin` names the file in messages; `default_window` applies to rules
/// whose file sets no window of its own. With `yields`, a rule whose name
/// an earlier file defined is left out instead of being an error.
pub(super) fn parse_file(
    origin: &str,
    text: &str,
    default_window: Duration,
    yields: bool,
    out: &mut Builder,
) -> Result<FileCounts> {
    let loc = Locator {
        origin,
        text,
        breaks: Default::default(),
    };
    let mut errors: Vec<anyhow::Error> = Vec::new();
    // A schema error inside one [[rule]] or [[test]] (a misspelt key, a
    // wrong type) stops serde; to report every table's errors at once, the
    // failing table is blanked out (line breaks kept, so positions hold)
    // and the file read again. A TOML syntax error still stops at once.
    let mut readable = std::borrow::Cow::Borrowed(text);
    let raw: RawFile = loop {
        match toml::from_str(&readable) {
            Ok(raw) => break raw,
            Err(err) => {
                let span = err.span();
                let rule = span.as_ref().and_then(|s| rule_name_at(&readable, s.start));
                errors.push(loc.error(span.clone(), rule.as_deref(), toml_message(err.message())));
                let table = span.and_then(|s| table_at(&readable, s.start));
                match table {
                    Some((range, name)) if errors.len() < MAX_ERRORS => {
                        if let Some(name) = name {
                            out.names
                                .entry(name)
                                .or_insert_with(|| loc.line_of(range.start));
                        }
                        readable = std::borrow::Cow::Owned(blank(&readable, range));
                    }
                    _ => return Err(combine(errors)),
                }
            }
        }
    };

    let defaults = raw.defaults.unwrap_or_default();
    // Tables set aside above were reported already.
    let read_errors = errors.len();
    let file_window = match &defaults.window {
        Some(w) => duration_value(w.get_ref()).unwrap_or_else(|m| {
            errors.push(loc.error(Some(w.span()), None, format!("[defaults] window: {m}")));
            default_window
        }),
        None => default_window,
    };
    if let Some(level) = &defaults.level {
        if level.get_ref().trim().is_empty() {
            errors.push(loc.error(Some(level.span()), None, "[defaults] level is empty"));
        }
    }
    if let Some(m) = &defaults.max_keys {
        if *m.get_ref() == 0 {
            errors.push(loc.error(
                Some(m.span()),
                None,
                "[defaults] max_keys must be at least 1",
            ));
        }
    }
    if errors.len() > read_errors {
        // The rules inherit these defaults: their errors would repeat these.
        return Err(combine(errors));
    }
    if let Some(input) = raw.input {
        if let Err(e) = parse_input(&loc, input, out) {
            errors.push(e);
        }
    }
    if raw.rule.is_empty() && read_errors == 0 {
        errors.push(loc.error(None, None, "defines no [[rule]]"));
    }

    let counts = FileCounts {
        rules: raw.rule.len(),
        tests: raw.test.len(),
    };
    for spanned in raw.rule {
        let rule_start = spanned.span().start;
        let rule = spanned.into_inner();
        let name = rule.name.get_ref().trim().to_owned();
        if name.is_empty() {
            errors.push(loc.error(Some(rule.name.span()), None, "rule name is empty"));
            continue;
        }
        if let Some(previous) = out.names.get(&name) {
            if yields {
                continue;
            }
            errors.push(loc.error(
                Some(rule.name.span()),
                Some(&name),
                format!("duplicate rule name (first defined at {previous})"),
            ));
            continue;
        }
        let origin_line = loc.line_of(rule_start);
        match compile_rule(
            &loc,
            &name,
            rule,
            &defaults,
            file_window,
            origin_line.clone(),
            &mut out.budget,
        ) {
            Ok(compiled) => {
                out.names.insert(name, origin_line);
                out.any_patterns.extend(compiled.any_patterns);
                out.rules.push(compiled.rule);
            }
            Err(e) => {
                // Later tests may still name it: remember the name.
                out.names.insert(name, origin_line);
                errors.push(e);
            }
        }
    }

    for spanned in raw.test {
        let start = spanned.span().start;
        match parse_case(&loc, start, spanned.into_inner()) {
            Ok((test, place)) => out.pending_tests.push((test, place)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(counts)
    } else {
        Err(combine(errors))
    }
}

/// Most errors reported for one file.
const MAX_ERRORS: usize = 50;

/// `text` with the bytes of `range` turned into spaces, line breaks kept:
/// byte for byte, so every later position still points into `text`.
fn blank(text: &str, range: std::ops::Range<usize>) -> String {
    let (mut start, mut end) = (range.start.min(text.len()), range.end.min(text.len()));
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut bytes = text.as_bytes().to_vec();
    for b in &mut bytes[start..end] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
    // Whole characters were replaced by ASCII spaces: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One error as it is, several as [`RuleErrors`].
fn combine(mut errors: Vec<anyhow::Error>) -> anyhow::Error {
    if errors.len() == 1 {
        errors.remove(0)
    } else {
        anyhow::Error::new(RuleErrors::new(errors))
    }
}

/// Accumulates rules across files before the combined matcher is built.
#[derive(Default)]
pub(super) struct Builder {
    pub rules: Vec<Rule>,
    /// Rule name → where it was defined.
    pub names: HashMap<String, String>,
    pub any_patterns: Vec<String>,
    /// Tests with the position of their `rule =` value, checked once all
    /// files are loaded (a test may name a rule from another file).
    pub pending_tests: Vec<(RuleTest, Option<Place>)>,
    pub sources: Vec<String>,
    /// `[input] record_start` / `continuation`, with where it was set.
    pub framing: Option<(Framing, String)>,
    /// `[input] timestamp`, with where it was set.
    pub timestamp: Option<(TimestampSpec, String, String)>,
    /// Compile memory spent so far, across every file of the load.
    pub budget: Budget,
}

impl Builder {
    /// Checks what needs every file loaded (tests naming rules) and builds
    /// the combined matcher.
    pub fn finish(self) -> Result<RuleSet> {
        let mut tests = Vec::with_capacity(self.pending_tests.len());
        let mut errors = Vec::new();
        for (test, place) in self.pending_tests {
            if let (Some(expect), Some(place)) = (&test.expect, place) {
                if !self.names.contains_key(expect) {
                    errors.push(anyhow::Error::new(RuleFileError {
                        origin: place.origin,
                        position: Some((place.line, place.col)),
                        rule: None,
                        message: format!(
                            "[[test]] expects rule {expect:?}, which no loaded file defines"
                        ),
                    }));
                }
            }
            tests.push(test);
        }
        if !errors.is_empty() {
            return Err(combine(errors));
        }
        let matcher = Matcher::new(&self.any_patterns);
        Ok(RuleSet {
            input: InputSettings {
                framing: self.framing.map(|(f, _)| f),
                timestamp: self.timestamp.map(|(t, _, _)| t),
            },
            rules: self.rules,
            tests,
            matcher,
            sources: self.sources,
        })
    }
}
