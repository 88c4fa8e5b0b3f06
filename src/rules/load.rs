//! Loading: rule files read in order, each checked on its own (so one
//! file's errors are all reported at once) and merged into a [`Builder`],
//! which builds the [`RuleSet`] with its combined matcher once every file
//! is in. Names are unique across files; `[input]` settings merge, a
//! user file's winning over a built-in pack's.

use anyhow::{bail, Result};
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;

use super::cases::{parse_case, RuleTest};
use super::error::{
    rule_name_at, table_at, toml_message, Locator, Place, RuleErrors, RuleFileError,
};
use super::input::{escape_breaks, parse_input, InputDecl};
use super::matcher::{cacheable_patterns, Matcher};
use super::raw::{RawDefaults, RawFile, RawRedact, RawRule};
use super::redact::{Redaction, Redactor};
use super::rule::{Rule, Target};
use super::set::{InputSettings, RuleSet};
use super::source::{self, RuleSource};
use super::validate::{compile_redaction, compile_rule, duration_value, Budget};
use crate::records::{Framing, LayoutSpec, TimestampSpec};

/// What one file contributed, for `logdedup check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FileCounts {
    /// Rules the file defines.
    pub rules: usize,
    /// `[[test]]` cases the file has.
    pub tests: usize,
}

/// What loading one file gave, for `logdedup check`.
#[derive(Debug)]
pub(crate) struct FileReport {
    /// The file (or `builtin:NAME`).
    pub origin: String,
    /// Its rules and tests, or every error found in it.
    pub result: Result<FileCounts, anyhow::Error>,
    /// One of the default packs the filter adds after the user's rules
    /// (not named by the user).
    pub added: bool,
}

/// How a load goes, beside which files it reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoadOptions {
    /// `--window`: the window of rules whose file sets none.
    pub window: Duration,
    /// `--record-start` or `--continuation` was given: the command line's
    /// framing wins over every file's `[input]`, so files that disagree
    /// about framing do not stop the run.
    pub framing_given: bool,
    /// The built-in packs' `[[test]]` cases are read too (`test`, `check`);
    /// the filter leaves them unread: they are most of the packs' text.
    pub cases: bool,
}

impl LoadOptions {
    /// Options with `window`, no framing on the command line, and cases.
    pub(crate) fn window(window: Duration) -> LoadOptions {
        LoadOptions {
            window,
            framing_given: false,
            cases: true,
        }
    }
}

/// Loads every file of `sources` in order, going on past a file with
/// errors, so each file gets its own report; then builds the set if all
/// were good. Errors that need all files (a test naming a rule no file
/// defines) come with the set.
pub(crate) fn load_each(
    sources: &[RuleSource],
    options: LoadOptions,
) -> (Vec<FileReport>, Result<RuleSet>) {
    let mut builder = Builder {
        framing_given: options.framing_given,
        ..Builder::default()
    };
    let mut reports = Vec::new();
    for file in source::read_all(sources) {
        let origin = file.origin;
        let result = file.text.and_then(|text| {
            let from = From {
                origin: &origin,
                builtin: file.builtin,
                yields: file.yields,
                inline: file.inline,
            };
            builder.add_file(&from, &text, options.window)
        });
        builder.sources.push(origin.clone());
        reports.push(FileReport {
            origin,
            result,
            added: file.yields,
        });
    }
    let failed = reports.iter().filter(|r| r.result.is_err()).count();
    let set = if failed > 0 {
        Err(anyhow::anyhow!(
            "{failed} of {} rule files have errors",
            reports.len()
        ))
    } else if builder.is_empty() {
        Err(anyhow::anyhow!("no rules loaded"))
    } else {
        builder.finish()
    };
    (reports, set)
}

/// Loads rules from `sources` in order. `default_window` is `--window`.
/// Stops at the first file with errors, reporting them.
pub fn load(sources: &[RuleSource], default_window: Duration) -> Result<RuleSet> {
    load_with(sources, LoadOptions::window(default_window))
}

/// [`load`] with every option.
pub(crate) fn load_with(sources: &[RuleSource], options: LoadOptions) -> Result<RuleSet> {
    let mut builder = Builder {
        framing_given: options.framing_given,
        ..Builder::default()
    };
    for file in source::read_all(sources) {
        let text = file.text?;
        let from = From {
            origin: &file.origin,
            builtin: file.builtin,
            yields: file.yields,
            inline: file.inline,
        };
        let text = if file.builtin && !options.cases {
            source::without_cases(&text)
        } else {
            &text
        };
        builder.add_file(&from, text, options.window)?;
        builder.sources.push(file.origin);
    }
    if builder.is_empty() {
        bail!("no rules loaded");
    }
    builder.finish()
}

/// Compiles a single rule file's text; used by tests and fuzzing.
pub fn load_str(origin: &str, text: &str, default_window: Duration) -> Result<RuleSet> {
    let mut builder = Builder::default();
    let from = From {
        origin,
        builtin: false,
        yields: false,
        inline: false,
    };
    builder.add_file(&from, text, default_window)?;
    builder.sources.push(origin.to_owned());
    builder.finish()
}

/// Where the built-in secrets pack's redactions say they come from.
const SECRETS_ORIGIN: &str = "builtin:secrets:";

/// Most errors reported for one file.
const MAX_ERRORS: usize = 50;

/// Where a file's text comes from.
struct From<'a> {
    /// Its name in messages.
    origin: &'a str,
    /// A built-in pack: its patterns are not charged to the compile budget,
    /// and its `[input]` gives way to a user file's.
    builtin: bool,
    /// Its rules give way to earlier rules of the same name (the implicit
    /// default set).
    yields: bool,
    /// An `-e` rule, its TOML generated (see [`Locator::generated`]).
    inline: bool,
}

/// A setting of `[input]` as merged so far: the value, where it was set,
/// and whether a built-in pack set it (a user file then overrides it).
struct Setting<T> {
    value: T,
    text: String,
    origin: String,
    builtin: bool,
}

/// Accumulates rules across files before the combined matcher is built.
#[derive(Default)]
struct Builder {
    rules: Vec<Rule>,
    /// Rule name → where it was defined.
    names: HashMap<String, String>,
    any_patterns: Vec<String>,
    /// The patterns of rules on the message.
    message_patterns: Vec<String>,
    redactions: Vec<Redaction>,
    /// A file said `[secrets] redact = false`: the built-in secrets pack is
    /// left out.
    secrets_off: bool,
    /// Tests with the position of their `rule =` value, checked once all
    /// files are loaded (a test may name a rule from another file).
    pending_tests: Vec<(RuleTest, Option<Place>)>,
    sources: Vec<String>,
    /// `[input] record_start` / `continuation`.
    framing: Option<Setting<Framing>>,
    /// `[input] timestamp`.
    timestamp: Option<Setting<TimestampSpec>>,
    /// `[input] layout`.
    layout: Option<Setting<LayoutSpec>>,
    /// Compile memory spent so far, across every file of the load.
    budget: Budget,
    /// The command line sets the framing: files' framing is checked but
    /// neither merged nor compared.
    framing_given: bool,
}

impl Builder {
    /// Parses and validates one rule file's text, reporting every rule's
    /// errors (a TOML syntax error stops at the first). `default_window`
    /// applies to rules whose file sets no window of its own.
    fn add_file(
        &mut self,
        from: &From,
        text: &str,
        default_window: Duration,
    ) -> Result<FileCounts> {
        self.budget.trusted = from.builtin;
        let loc = Locator {
            origin: from.origin,
            text,
            breaks: std::cell::OnceCell::default(),
            generated: from.inline,
        };
        let mut errors: Vec<anyhow::Error> = Vec::new();
        let raw = self.read_raw(&loc, &mut errors)?;
        // Tables set aside while reading were reported already.
        let read_errors = errors.len();
        let defaults = raw.defaults.unwrap_or_default();
        let file_window = check_defaults(&loc, &defaults, default_window, &mut errors);
        if errors.len() > read_errors {
            // The rules inherit these defaults: their errors would repeat these.
            return Err(combine(errors));
        }
        if let Some(input) = raw.input {
            let merged = parse_input(&loc, input).and_then(|d| self.merge_input(&loc, from, d));
            if let Err(e) = merged {
                errors.push(e);
            }
        }
        if raw.rule.is_empty() && raw.redact.is_empty() && read_errors == 0 {
            errors.push(loc.error(None, None, "defines no [[rule]]"));
        }
        if raw.secrets.is_some_and(|s| !s.redact) {
            self.secrets_off = true;
        }
        let counts = FileCounts {
            rules: raw.rule.len(),
            tests: raw.test.len(),
        };
        for rule in raw.rule {
            if let Err(e) = self.add_rule(&loc, from, rule, &defaults, file_window) {
                errors.push(e);
            }
        }
        for redact in raw.redact {
            if let Err(e) = self.add_redaction(&loc, from, redact) {
                errors.push(e);
            }
        }
        for spanned in raw.test {
            let start = spanned.span().start;
            match parse_case(&loc, start, spanned.into_inner()) {
                Ok(case) => self.pending_tests.push(case),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(counts)
        } else {
            Err(combine(errors))
        }
    }

    /// Reads the file's TOML. A schema error inside one [[rule]] or
    /// [[test]] (a misspelt key, a wrong type) stops serde; to report every
    /// table's errors at once, the failing table is blanked out (line
    /// breaks kept, so positions hold) and the file read again. A TOML
    /// syntax error still stops at once.
    fn read_raw(&mut self, loc: &Locator, errors: &mut Vec<anyhow::Error>) -> Result<RawFile> {
        let mut readable = std::borrow::Cow::Borrowed(loc.text);
        loop {
            let err = match toml::from_str(&readable) {
                Ok(raw) => return Ok(raw),
                Err(err) => err,
            };
            let span = err.span();
            let rule = span.as_ref().and_then(|s| rule_name_at(&readable, s.start));
            errors.push(loc.error(span.clone(), rule.as_deref(), toml_message(err.message())));
            let table = span.and_then(|s| table_at(&readable, s.start));
            match table {
                Some((range, name)) if errors.len() < MAX_ERRORS => {
                    if let Some(name) = name {
                        // Later tests may still name it: remember the name.
                        self.names
                            .entry(name)
                            .or_insert_with(|| loc.line_of(range.start));
                    }
                    readable = std::borrow::Cow::Owned(blank(&readable, range));
                }
                _ => return Err(combine(std::mem::take(errors))),
            }
        }
    }

    /// Checks and compiles one `[[rule]]`, adding it to the set.
    fn add_rule(
        &mut self,
        loc: &Locator,
        from: &From,
        spanned: Spanned<RawRule>,
        defaults: &RawDefaults,
        file_window: Duration,
    ) -> Result<()> {
        let rule_start = spanned.span().start;
        let rule = spanned.into_inner();
        let name = rule.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(loc.error(Some(rule.name.span()), None, "rule name is empty"));
        }
        if let Some(previous) = self.names.get(&name) {
            if from.yields {
                return Ok(());
            }
            return Err(loc.error(
                Some(rule.name.span()),
                Some(&name),
                format!("duplicate rule name (first defined at {previous})"),
            ));
        }
        let origin_line = loc.line_of(rule_start);
        // Later tests may name it even if it fails: remember the name.
        self.names.insert(name.clone(), origin_line.clone());
        let compiled = compile_rule(
            loc,
            &name,
            rule,
            defaults,
            file_window,
            origin_line,
            &mut self.budget,
        )?;
        match compiled.rule.on {
            Target::Line => self.any_patterns.extend(compiled.any_patterns),
            Target::Message(_) => self.message_patterns.extend(compiled.any_patterns),
        }
        self.rules.push(compiled.rule);
        Ok(())
    }

    /// Checks and compiles one `[[redact]]`. Its name is unique among
    /// rules and redactions alike: statistics count both by name.
    fn add_redaction(
        &mut self,
        loc: &Locator,
        from: &From,
        spanned: Spanned<RawRedact>,
    ) -> Result<()> {
        let start = spanned.span().start;
        let raw = spanned.into_inner();
        let name = raw.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(loc.error(Some(raw.name.span()), None, "redaction name is empty"));
        }
        if let Some(previous) = self.names.get(&name) {
            if from.yields {
                return Ok(());
            }
            return Err(loc.error(
                Some(raw.name.span()),
                Some(&name),
                format!("duplicate name (first defined at {previous})"),
            ));
        }
        let origin_line = loc.line_of(start);
        self.names.insert(name.clone(), origin_line.clone());
        let redaction = compile_redaction(loc, &name, &raw, origin_line, &mut self.budget)?;
        self.redactions.push(redaction);
        Ok(())
    }

    /// Whether nothing at all was loaded.
    fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.redactions.is_empty()
    }

    /// Merges one file's `[input]`: a setting two files give differently
    /// is an error, unless one of them is a built-in pack, which gives way
    /// (packs must not impose framing on the user's own rules). Framing
    /// given on the command line replaces every file's, so theirs are not
    /// merged at all then.
    fn merge_input(&mut self, loc: &Locator, from: &From, decl: InputDecl) -> Result<()> {
        let here = loc.line_of(decl.table_start);
        if let Some(framing) = decl.framing.filter(|_| !self.framing_given) {
            let new = Setting {
                text: framing.describe(),
                value: framing,
                origin: here.clone(),
                builtin: from.builtin,
            };
            merge(&mut self.framing, new).map_err(|(old, new)| {
                loc.error(
                    Some(decl.table_start..decl.table_start),
                    None,
                    format!(
                        "[input] sets {}, but {} already set {}",
                        escape_breaks(&new),
                        old.origin,
                        escape_breaks(&old.text)
                    ),
                )
            })?;
        }
        if let Some((spec, text, span)) = decl.layout {
            let new = Setting {
                value: spec,
                text,
                origin: here.clone(),
                builtin: from.builtin,
            };
            merge(&mut self.layout, new).map_err(|(old, new)| {
                loc.error(
                    Some(span),
                    None,
                    format!(
                        "[input] layout = {new}, but {} already set {}",
                        old.origin, old.text
                    ),
                )
            })?;
        }
        if let Some((spec, text, span)) = decl.timestamp {
            let new = Setting {
                value: spec,
                text,
                origin: here,
                builtin: from.builtin,
            };
            merge(&mut self.timestamp, new).map_err(|(old, new)| {
                loc.error(
                    Some(span),
                    None,
                    format!(
                        "[input] timestamp = {new}, but {} already set {}",
                        old.origin, old.text
                    ),
                )
            })?;
        }
        Ok(())
    }

    /// Checks what needs every file loaded (tests naming rules) and builds
    /// the combined matcher.
    fn finish(self) -> Result<RuleSet> {
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
        let matcher = Matcher::new(&self.any_patterns, &self.message_patterns);
        let mut redactions = self.redactions;
        if self.secrets_off {
            redactions.retain(|r| !r.origin.starts_with(SECRETS_ORIGIN));
        }
        Ok(RuleSet {
            redactor: Redactor::new(redactions),
            cacheable: cacheable_patterns(&self.rules),
            input: InputSettings {
                framing: self.framing.map(|s| s.value),
                timestamp: self.timestamp.map(|s| s.value),
                layout: self.layout.map(|s| s.value),
            },
            rules: self.rules,
            tests,
            matcher,
            sources: self.sources,
        })
    }
}

/// Merges `new` into `slot`. On a conflict between two user files (or two
/// packs) returns the setting already there and the new one's text.
fn merge<T>(slot: &mut Option<Setting<T>>, new: Setting<T>) -> Result<(), (&Setting<T>, String)> {
    match slot {
        None => *slot = Some(new),
        Some(old) if old.text == new.text => {}
        Some(old) if old.builtin && !new.builtin => *slot = Some(new),
        Some(old) if new.builtin && !old.builtin => {}
        Some(old) => return Err((old, new.text)),
    }
    Ok(())
}

/// Checks `[defaults]`, pushing its errors; returns the file's window.
fn check_defaults(
    loc: &Locator,
    defaults: &RawDefaults,
    default_window: Duration,
    errors: &mut Vec<anyhow::Error>,
) -> Duration {
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
    file_window
}

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
