//! The strict TOML schema of rule files and its validation: raw serde
//! shapes with `deny_unknown_fields`, then every value checked and compiled
//! into [`Rule`]s, accumulated across files by a [`Builder`].

use anyhow::{bail, Result};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

use super::error::{regex_error_line, rule_name_at, toml_message, Locator, Place, RuleFileError};
use super::key::KeyTemplate;
use super::matcher::Matcher;
use super::{InputSettings, Rule, RuleSet, RuleTest, DEFAULT_LEVEL, DEFAULT_MAX_KEYS};
use crate::records::{Framing, TimestampPreset, TimestampSpec, PYTHON_TRACEBACK};
use crate::time::parse_duration;

// ---------------------------------------------------------------------------
// Raw TOML shapes. `deny_unknown_fields` everywhere: a misspelt key is an
// error, never a silently ignored setting.

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    record_start: Option<Spanned<String>>,
    continuation: Option<Spanned<String>>,
    /// A preset name, or a table `{ pattern = ..., format = ... }`.
    timestamp: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    window: Option<Spanned<String>>,
    level: Option<Spanned<String>>,
    pass_first: Option<u64>,
    ignore_case: Option<bool>,
    max_keys: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    pattern: Option<Spanned<String>>,
    patterns: Option<Spanned<Vec<Spanned<String>>>>,
    message: Option<Spanned<String>>,
    note: Option<Spanned<String>>,
    level: Option<Spanned<String>>,
    window: Option<Spanned<String>>,
    pass_first: Option<u64>,
    key: Option<Spanned<String>>,
    ignore_case: Option<bool>,
    max_keys: Option<Spanned<u64>>,
    multiline: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    line: String,
    rule: Option<Spanned<String>>,
}

/// Parses and validates one rule file's text into `out`.
///
/// `origin` names the file in messages; `default_window` applies to rules
/// whose file sets no window of its own.
pub(super) fn parse_file(
    origin: &str,
    text: &str,
    default_window: Duration,
    out: &mut Builder,
) -> Result<()> {
    let loc = Locator { origin, text };
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            let span = err.span();
            let rule = span.as_ref().and_then(|s| rule_name_at(text, s.start));
            return Err(loc.error(span, rule.as_deref(), toml_message(err.message())));
        }
    };

    let defaults = raw.defaults.unwrap_or(RawDefaults {
        window: None,
        level: None,
        pass_first: None,
        ignore_case: None,
        max_keys: None,
    });
    let file_window = match &defaults.window {
        Some(w) => parse_duration(w.get_ref())
            .map_err(|e| loc.error(Some(w.span()), None, format!("[defaults] window: {e:#}")))?,
        None => default_window,
    };
    if let Some(level) = &defaults.level {
        if level.get_ref().trim().is_empty() {
            return Err(loc.error(Some(level.span()), None, "[defaults] level is empty"));
        }
    }
    if let Some(m) = &defaults.max_keys {
        if *m.get_ref() == 0 {
            return Err(loc.error(
                Some(m.span()),
                None,
                "[defaults] max_keys must be at least 1",
            ));
        }
    }

    if let Some(input) = raw.input {
        parse_input(&loc, input, out)?;
    }

    if raw.rule.is_empty() {
        return Err(loc.error(None, None, "defines no [[rule]]"));
    }

    for spanned in raw.rule {
        let rule_start = spanned.span().start;
        let rule = spanned.into_inner();
        let name = rule.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(loc.error(Some(rule.name.span()), None, "rule name is empty"));
        }
        let err = |span: Range<usize>, msg: String| loc.error(Some(span), Some(&name), msg);

        if let Some(previous) = out.names.get(&name) {
            return Err(err(
                rule.name.span(),
                format!("duplicate rule name (first defined at {previous})"),
            ));
        }

        let ignore_case = rule.ignore_case.or(defaults.ignore_case).unwrap_or(false);
        let pattern_texts: Vec<Spanned<String>> = match (rule.pattern, rule.patterns) {
            (Some(_), Some(list)) => {
                return Err(err(
                    list.span(),
                    "set either `pattern` or `patterns`, not both".into(),
                ))
            }
            (None, None) => {
                return Err(err(
                    rule.name.span(),
                    "missing `pattern` (or `patterns = [...]`)".into(),
                ))
            }
            (Some(p), None) => vec![p],
            (None, Some(list)) => {
                if list.get_ref().is_empty() {
                    return Err(err(list.span(), "`patterns` is empty".into()));
                }
                list.into_inner()
            }
        };
        let mut patterns = Vec::with_capacity(pattern_texts.len());
        for p in &pattern_texts {
            let regex = compile_pattern(p.get_ref(), ignore_case).map_err(|m| err(p.span(), m))?;
            patterns.push(regex);
            out.any_patterns.push(if ignore_case {
                format!("(?i){}", p.get_ref())
            } else {
                p.get_ref().clone()
            });
        }

        let window = match &rule.window {
            Some(w) => {
                parse_duration(w.get_ref()).map_err(|e| err(w.span(), format!("window: {e:#}")))?
            }
            None => file_window,
        };
        let level = match rule.level.as_ref().or(defaults.level.as_ref()) {
            Some(l) if l.get_ref().trim().is_empty() => {
                return Err(err(l.span(), "level is empty".into()))
            }
            Some(l) => l.get_ref().clone(),
            None => DEFAULT_LEVEL.to_owned(),
        };
        let max_keys = match rule.max_keys.as_ref().or(defaults.max_keys.as_ref()) {
            Some(m) if *m.get_ref() == 0 => {
                return Err(err(m.span(), "max_keys must be at least 1".into()))
            }
            Some(m) => usize::try_from(*m.get_ref()).unwrap_or(usize::MAX),
            None => DEFAULT_MAX_KEYS,
        };
        let key = match &rule.key {
            Some(k) => {
                let template = KeyTemplate::parse(k.get_ref()).map_err(|m| err(k.span(), m))?;
                for regex in &patterns {
                    template
                        .check_against(regex)
                        .map_err(|m| err(k.span(), m))?;
                }
                Some(template)
            }
            None => None,
        };

        // A summary is one line: a line break in its text would break the
        // output's line structure (and any log shipper parsing it).
        for (field, value) in [
            ("message", &rule.message),
            ("note", &rule.note),
            ("level", &rule.level),
        ] {
            if let Some(v) = value {
                if v.get_ref().contains(['\n', '\r']) {
                    return Err(err(
                        v.span(),
                        format!("{field} must be one line (it contains a line break)"),
                    ));
                }
            }
        }
        let origin_line = loc.line_of(rule_start);
        out.names.insert(name.clone(), origin_line.clone());
        out.rules.push(Rule {
            message: rule
                .message
                .map_or_else(|| name.clone(), Spanned::into_inner),
            note: rule
                .note
                .map(Spanned::into_inner)
                .filter(|n| !n.trim().is_empty()),
            name,
            level,
            window,
            pass_first: rule.pass_first.or(defaults.pass_first).unwrap_or(0),
            max_keys,
            key,
            patterns,
            multiline: rule.multiline.unwrap_or(true),
            origin: origin_line,
        });
    }

    for spanned in raw.test {
        let start = spanned.span().start;
        let test = spanned.into_inner();
        out.pending_tests.push((
            RuleTest {
                line: test.line,
                expect: test.rule.as_ref().map(|r| r.get_ref().clone()),
                origin: loc.line_of(start),
            },
            test.rule.map(|r| {
                let (line, col) = loc.position(r.span().start);
                Place {
                    origin: origin.to_owned(),
                    line,
                    col,
                }
            }),
        ));
    }
    Ok(())
}

/// Validates `[input]` and merges it into `out`: two files may not set
/// the same setting differently.
fn parse_input(loc: &Locator, input: Spanned<RawInput>, out: &mut Builder) -> Result<()> {
    let table_start = input.span().start;
    let input = input.into_inner();
    let err = |span: Range<usize>, msg: String| loc.error(Some(span), None, msg);
    let framing = match (input.record_start, input.continuation) {
        (Some(_), Some(c)) => {
            return Err(err(
                c.span(),
                "[input] sets both record_start and continuation; use one".into(),
            ))
        }
        (Some(r), None) => Some(
            framing_regex(r.get_ref())
                .map(Framing::RecordStart)
                .map_err(|m| err(r.span(), format!("[input] record_start: {m}")))?,
        ),
        (None, Some(c)) if c.get_ref() == PYTHON_TRACEBACK => Some(Framing::PythonTraceback),
        (None, Some(c)) => Some(
            framing_regex(c.get_ref())
                .map(Framing::Continuation)
                .map_err(|m| err(c.span(), format!("[input] continuation: {m}")))?,
        ),
        (None, None) => None,
    };
    let here = loc.line_of(table_start);
    if let Some(framing) = framing {
        match &out.framing {
            Some((existing, origin)) if existing.describe() != framing.describe() => {
                return Err(loc.error(
                    Some(table_start..table_start),
                    None,
                    format!(
                        "[input] sets {}, but {origin} already set {}",
                        framing.describe(),
                        existing.describe()
                    ),
                ))
            }
            Some(_) => {}
            None => out.framing = Some((framing, here.clone())),
        }
    }
    if let Some(ts) = input.timestamp {
        let span = ts.span();
        let (spec, text) = timestamp_spec(ts.into_inner()).map_err(|m| err(span.clone(), m))?;
        match &out.timestamp {
            Some((_, existing, origin)) if *existing != text => {
                return Err(err(
                    span,
                    format!("[input] timestamp = {text}, but {origin} already set {existing}"),
                ))
            }
            Some(_) => {}
            None => out.timestamp = Some((spec, text, here)),
        }
    }
    Ok(())
}

/// Compiles a framing regex (`record_start`, `continuation`).
pub fn framing_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.is_empty() {
        return Err("pattern is empty".into());
    }
    Regex::new(pattern)
        .map_err(|e| format!("invalid pattern '{pattern}': {}", regex_error_line(&e)))
}

/// Reads `[input] timestamp`: a preset name or `{ pattern, format }`.
/// Returns the spec and a canonical text of it, to compare across files.
fn timestamp_spec(value: toml::Value) -> Result<(TimestampSpec, String), String> {
    match value {
        toml::Value::String(name) => TimestampPreset::from_name(&name)
            .map(|p| (TimestampSpec::Preset(p), format!("{name:?}")))
            .ok_or_else(|| {
                format!(
                    "[input] timestamp: unknown preset {name:?} (known: {})",
                    TimestampPreset::NAMES
                )
            }),
        toml::Value::Table(table) => {
            let mut pattern = None;
            let mut format = None;
            for (key, value) in table {
                match (key.as_str(), value) {
                    ("pattern", toml::Value::String(p)) => pattern = Some(p),
                    ("format", toml::Value::String(f)) => format = Some(f),
                    ("pattern" | "format", other) => {
                        return Err(format!(
                            "[input] timestamp.{key} must be a string, not {}",
                            other.type_str()
                        ))
                    }
                    (other, _) => {
                        return Err(format!(
                            "[input] timestamp: unknown field `{other}`, expected `pattern` and `format`"
                        ))
                    }
                }
            }
            let (Some(pattern), Some(format)) = (pattern, format) else {
                return Err("[input] timestamp needs both `pattern` and `format`".into());
            };
            let regex =
                framing_regex(&pattern).map_err(|m| format!("[input] timestamp.pattern: {m}"))?;
            if chrono::format::StrftimeItems::new(&format)
                .any(|item| matches!(item, chrono::format::Item::Error))
            {
                return Err(format!(
                    "[input] timestamp.format {format:?} has an unknown or incomplete % specifier"
                ));
            }
            let text = format!("{{ pattern = '{pattern}', format = {format:?} }}");
            Ok((
                TimestampSpec::Custom {
                    pattern: regex,
                    format,
                },
                text,
            ))
        }
        other => Err(format!(
            "[input] timestamp must be a preset name or {{ pattern = ..., format = ... }}, not {}",
            other.type_str()
        )),
    }
}

/// Compiles one pattern as the per-rule matcher, refusing the ones that are
/// certain to be mistakes.
fn compile_pattern(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    if pattern.is_empty() {
        return Err("pattern is empty (it would match every line)".into());
    }
    let regex = RegexBuilder::new(pattern)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| format!("invalid pattern '{pattern}': {}", regex_error_line(&e)))?;
    // A pattern that matches an empty line and an arbitrary word matches
    // every line; one that matches every unrelated probe line matches
    // every non-empty line. Either would swallow the whole stream.
    const PROBES: [&[u8]; 4] = [b"-", b"X", b"zq9 unrelated", b"\xff 7"];
    if regex.is_match(b"") && regex.is_match(b"zq9 unrelated") {
        return Err(format!(
            "pattern '{pattern}' matches every line (it can match the empty string)"
        ));
    }
    if PROBES.iter().all(|probe| regex.is_match(probe)) {
        return Err(format!("pattern '{pattern}' matches every non-empty line"));
    }
    Ok(regex)
}

/// Accumulates rules across files before the combined matcher is built.
#[derive(Default)]
pub(super) struct Builder {
    pub rules: Vec<Rule>,
    names: HashMap<String, String>,
    any_patterns: Vec<String>,
    /// Tests with the position of their `rule =` value, checked once all
    /// files are loaded (a test may name a rule from another file).
    pending_tests: Vec<(RuleTest, Option<Place>)>,
    pub sources: Vec<String>,
    /// `[input] record_start` / `continuation`, with where it was set.
    framing: Option<(Framing, String)>,
    /// `[input] timestamp`, with where it was set.
    timestamp: Option<(TimestampSpec, String, String)>,
}

impl Builder {
    pub fn finish(self) -> Result<RuleSet> {
        let mut tests = Vec::with_capacity(self.pending_tests.len());
        for (test, place) in self.pending_tests {
            if let (Some(expect), Some(place)) = (&test.expect, place) {
                if !self.names.contains_key(expect) {
                    bail!(RuleFileError {
                        origin: place.origin,
                        position: Some((place.line, place.col)),
                        rule: None,
                        message: format!(
                            "[[test]] expects rule {expect:?}, which no loaded file defines"
                        ),
                    });
                }
            }
            tests.push(test);
        }
        let matcher = Matcher::new(&self.any_patterns)?;
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
