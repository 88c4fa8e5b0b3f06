//! Rule files: TOML text → a validated, compiled [`RuleSet`].
//!
//! Loading is strict on purpose: a typo in a rule file must be an error that
//! names the file, the line:column and the rule, never a rule that silently
//! matches nothing (or everything). The built-in packs live in `rules/` and
//! are embedded into the binary at build time.

use anyhow::{anyhow, bail, Context, Result};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use regex_automata::{meta, util::prefilter::Prefilter, util::syntax, Input};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

use crate::records::{Framing, TimestampPreset, TimestampSpec, PYTHON_TRACEBACK};
use crate::time::parse_duration;

/// The rule packs compiled into the binary, by name (`builtin:NAME`).
pub const BUILTIN_PACKS: &[(&str, &str)] = &[("pyrogram", include_str!("../rules/pyrogram.toml"))];

/// The pack used when neither `--rules` nor `$LOGDEDUP_RULES` names any.
pub const DEFAULT_PACK: &str = "builtin:pyrogram";

/// Most windows one rule keeps open at once unless the rule says otherwise.
pub const DEFAULT_MAX_KEYS: usize = 10_000;

/// Level printed in a summary when neither the rule nor `[defaults]` sets one.
pub const DEFAULT_LEVEL: &str = "INFO";

/// Where rules come from: a file, a directory of `*.toml`, or a built-in pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSource {
    /// A rule file, or a directory whose `*.toml` files load in name order.
    Path(PathBuf),
    /// One of [`BUILTIN_PACKS`].
    Builtin(String),
}

impl RuleSource {
    /// Reads `builtin:NAME` as a built-in pack and anything else as a path.
    pub fn parse(text: &str) -> RuleSource {
        match text.strip_prefix("builtin:") {
            Some(name) => RuleSource::Builtin(name.to_owned()),
            None => RuleSource::Path(PathBuf::from(text)),
        }
    }

    /// Splits `$LOGDEDUP_RULES`: paths separated by `:`, where `builtin:NAME`
    /// keeps its own colon and empty entries are skipped.
    pub fn parse_list(list: &str) -> Vec<RuleSource> {
        let mut sources = Vec::new();
        let mut parts = list.split(':');
        while let Some(part) = parts.next() {
            if part == "builtin" {
                if let Some(name) = parts.next() {
                    sources.push(RuleSource::Builtin(name.to_owned()));
                    continue;
                }
            }
            if !part.is_empty() {
                sources.push(RuleSource::Path(PathBuf::from(part)));
            }
        }
        sources
    }
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleSource::Path(p) => write!(f, "{}", p.display()),
            RuleSource::Builtin(name) => write!(f, "builtin:{name}"),
        }
    }
}

/// A rule-file error located in its file: `FILE:LINE:COL: rule "NAME": message`.
#[derive(Debug)]
pub struct RuleFileError {
    /// The file (or `builtin:NAME`) the error is in.
    pub origin: String,
    /// 1-based line and column, when the error has a place.
    pub position: Option<(usize, usize)>,
    /// The rule the error belongs to, when there is one.
    pub rule: Option<String>,
    /// What is wrong, on one line.
    pub message: String,
}

impl fmt::Display for RuleFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": ")?;
        if let Some(rule) = &self.rule {
            write!(f, "rule {rule:?}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for RuleFileError {}

/// One piece of a key template: literal bytes or a capture group reference.
#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyPart {
    Literal(Vec<u8>),
    Named(String),
    Index(usize),
}

/// A parsed `key = "{group}..."` template.
#[derive(Clone, Debug)]
pub struct KeyTemplate {
    source: String,
    parts: Vec<KeyPart>,
}

impl KeyTemplate {
    /// Parses `{name}` / `{N}` placeholders; `{{` and `}}` are literal braces.
    fn parse(text: &str) -> Result<KeyTemplate, String> {
        let mut parts = Vec::new();
        let mut literal = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                    chars.next();
                    literal.push(b'{');
                }
                '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                    chars.next();
                    literal.push(b'}');
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let end = rest
                        .find('}')
                        .ok_or_else(|| format!("unclosed '{{' at byte {i} of key {text:?}"))?;
                    let group = &rest[..end];
                    if group.is_empty() {
                        return Err(format!("empty placeholder '{{}}' in key {text:?}"));
                    }
                    if !literal.is_empty() {
                        parts.push(KeyPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(match group.parse::<usize>() {
                        Ok(n) => KeyPart::Index(n),
                        Err(_) => KeyPart::Named(group.to_owned()),
                    });
                    for _ in 0..group.chars().count() + 1 {
                        chars.next();
                    }
                }
                '}' => return Err(format!("unmatched '}}' in key {text:?} (write '}}}}')")),
                _ => {
                    let mut buf = [0u8; 4];
                    literal.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        if !literal.is_empty() {
            parts.push(KeyPart::Literal(literal));
        }
        if !parts.iter().any(|p| !matches!(p, KeyPart::Literal(_))) {
            return Err(format!(
                "key {text:?} names no capture group, so every line would share one window \
                 (write e.g. key = \"{{dc}}\", or drop the key)"
            ));
        }
        Ok(KeyTemplate {
            source: text.to_owned(),
            parts,
        })
    }

    /// The template as written in the rule file.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Fails naming the first placeholder that `regex` has no group for.
    fn check_against(&self, regex: &Regex) -> Result<(), String> {
        for part in &self.parts {
            match part {
                KeyPart::Named(name) if !regex.capture_names().any(|n| n == Some(name)) => {
                    return Err(format!(
                        "key names capture group {{{name}}}, but pattern '{}' has no group (?P<{name}>...)",
                        regex.as_str()
                    ));
                }
                KeyPart::Index(n) if *n >= regex.captures_len() => {
                    return Err(format!(
                        "key names capture group {{{n}}}, but pattern '{}' has only {} group(s)",
                        regex.as_str(),
                        regex.captures_len() - 1
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes the key for one match into `out` (cleared first). Groups that
    /// did not take part in the match render as nothing.
    fn render(&self, regex: &Regex, locs: &CaptureLocations, line: &[u8], out: &mut Vec<u8>) {
        out.clear();
        for part in &self.parts {
            let index = match part {
                KeyPart::Literal(bytes) => {
                    out.extend_from_slice(bytes);
                    continue;
                }
                KeyPart::Index(n) => Some(*n),
                KeyPart::Named(name) => regex.capture_names().position(|n| n == Some(name)),
            };
            if let Some((start, end)) = index.and_then(|i| locs.get(i)) {
                out.extend_from_slice(&line[start..end]);
            }
        }
    }
}

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
    /// One automaton over every pattern of every rule: the common case, a
    /// line that matches nothing, costs a single scan.
    any: meta::Regex,
    /// Files the rules came from, in load order.
    sources: Vec<String>,
    /// A literal search for the prefixes of all patterns, to find in a whole
    /// buffer the few lines that may match; `None` when some pattern has no
    /// literal prefix to search for.
    buffer: Option<Prefilter>,
}

/// Scratch space for [`RuleSet::match_line`], reused so matching allocates nothing.
#[derive(Debug)]
pub struct MatchScratch {
    locations: Vec<Vec<CaptureLocations>>,
    key: Vec<u8>,
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
        self.buffer.as_ref()
    }

    /// Fresh scratch space sized for this rule set.
    pub fn scratch(&self) -> MatchScratch {
        MatchScratch {
            locations: self
                .rules
                .iter()
                .map(|r| r.patterns.iter().map(Regex::capture_locations).collect())
                .collect(),
            key: Vec::new(),
        }
    }

    /// The first rule matching `line` (its bytes without the line ending) and
    /// the key it belongs to (empty for rules without a key).
    pub fn match_line<'s>(
        &self,
        line: &[u8],
        scratch: &'s mut MatchScratch,
    ) -> Option<(usize, &'s [u8])> {
        if !self.any.is_match(Input::new(line)) {
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
        for (id, rule) in self.rules.iter().enumerate() {
            let Some(template) = &rule.key else {
                if rule.patterns.iter().any(|p| p.is_match(line)) {
                    scratch.key.clear();
                    return Some((id, &scratch.key));
                }
                continue;
            };
            for (regex, locs) in rule.patterns.iter().zip(scratch.locations[id].iter_mut()) {
                if regex.captures_read(locs, line).is_some() {
                    template.render(regex, locs, line, &mut scratch.key);
                    return Some((id, &scratch.key));
                }
            }
        }
        None
    }

    /// The name of the first rule matching `line`, ignoring a trailing `\r\n`.
    pub fn rule_for(&self, line: &[u8]) -> Option<&str> {
        let line = crate::engine::line_content(line);
        let mut scratch = self.scratch();
        self.match_line(line, &mut scratch)
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

/// Lenient twin of [`RawFile`], parsed only to name the rule an error is in.
#[derive(Deserialize)]
struct RuleNamesOnly {
    #[serde(default)]
    rule: Vec<Spanned<NameOnly>>,
}

#[derive(Deserialize)]
struct NameOnly {
    name: Option<String>,
}

/// Converts byte offsets of one file into 1-based line:column.
struct Locator<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    fn error(
        &self,
        span: Option<Range<usize>>,
        rule: Option<&str>,
        message: impl Into<String>,
    ) -> anyhow::Error {
        anyhow!(RuleFileError {
            origin: self.origin.to_owned(),
            position: span.map(|s| self.position(s.start)),
            rule: rule.map(str::to_owned),
            message: message.into(),
        })
    }

    fn line_of(&self, offset: usize) -> String {
        format!("{}:{}", self.origin, self.position(offset).0)
    }
}

/// Parses and validates one rule file's text into `out`.
///
/// `origin` names the file in messages; `default_window` applies to rules
/// whose file sets no window of its own.
fn parse_file(origin: &str, text: &str, default_window: Duration, out: &mut Builder) -> Result<()> {
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

/// Rewords a toml/serde message for rule authors: one line, TOML's words
/// instead of Rust's, and a hint for the usual mistakes.
fn toml_message(raw: &str) -> String {
    let mut text = raw.trim().replace('\n', ": ");
    for (rust, toml) in [
        ("expected u64", "expected a whole number >= 0"),
        ("expected usize", "expected a whole number >= 0"),
        ("invalid type: map", "invalid type: table"),
        ("invalid type: sequence", "invalid type: array"),
        ("expected a boolean", "expected true or false"),
    ] {
        text = text.replace(rust, toml);
    }
    if text.contains("expected a sequence") && text.contains("invalid type: table") {
        text.push_str(" (write [[rule]] / [[test]], with double brackets)");
    }
    if text.starts_with("invalid escape sequence") {
        text.push_str(" (write patterns in single quotes, e.g. 'socket\\.send', where backslashes stay as written)");
    }
    if text.starts_with("invalid basic string") || text.starts_with("invalid literal string") {
        text.push_str(" (is a closing quote missing?)");
    }
    text
}

/// Finds the name of the `[[rule]]` table that contains byte `offset`.
fn rule_name_at(text: &str, offset: usize) -> Option<String> {
    let names: RuleNamesOnly = toml::from_str(text).ok()?;
    names
        .rule
        .into_iter()
        .find(|r| r.span().contains(&offset))
        .and_then(|r| r.into_inner().name)
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

/// The one line of a regex error that says what is wrong.
fn regex_error_line(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_owned)
        .unwrap_or_else(|| text.lines().last().unwrap_or("").trim().to_owned())
}

/// Where a value was written: file, line, column.
struct Place {
    origin: String,
    line: usize,
    col: usize,
}

/// Accumulates rules across files before the combined matcher is built.
#[derive(Default)]
struct Builder {
    rules: Vec<Rule>,
    names: HashMap<String, String>,
    any_patterns: Vec<String>,
    /// Tests with the position of their `rule =` value, checked once all
    /// files are loaded (a test may name a rule from another file).
    pending_tests: Vec<(RuleTest, Option<Place>)>,
    sources: Vec<String>,
    /// `[input] record_start` / `continuation`, with where it was set.
    framing: Option<(Framing, String)>,
    /// `[input] timestamp`, with where it was set.
    timestamp: Option<(TimestampSpec, String, String)>,
}

impl Builder {
    fn finish(self) -> Result<RuleSet> {
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
        let any = meta::Builder::new()
            .syntax(syntax::Config::new().utf8(false))
            .configure(meta::Config::new().utf8_empty(false))
            .build_many(&self.any_patterns)
            .context("building the combined matcher over all rules")?;
        let buffer = buffer_prefilter(&self.any_patterns);
        Ok(RuleSet {
            input: InputSettings {
                framing: self.framing.map(|(f, _)| f),
                timestamp: self.timestamp.map(|(t, _, _)| t),
            },
            rules: self.rules,
            tests,
            any,
            sources: self.sources,
            buffer,
        })
    }
}

/// A literal search that finds, in a buffer of many lines, every line some
/// pattern may match: for each pattern, the literals every match starts
/// with, or ends with, whichever set is more selective (longer). A line a
/// pattern matches contains one of its literals either way. `None` when a
/// pattern has no finite literal set (then lines are matched one by one).
fn buffer_prefilter(patterns: &[String]) -> Option<Prefilter> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
    let hirs =
        regex_automata::util::syntax::parse_many_with(patterns, &syntax::Config::new().utf8(false))
            .ok()?;
    let mut needles: Vec<Vec<u8>> = Vec::new();
    for hir in &hirs {
        let usable = |mut seq: Seq, prefix: bool| -> Option<Seq> {
            if prefix {
                seq.optimize_for_prefix_by_preference();
            } else {
                seq.optimize_for_suffix_by_preference();
            }
            // An empty literal would make every position a hit.
            (seq.is_finite() && seq.min_literal_len().is_some_and(|n| n > 0)).then_some(seq)
        };
        let prefixes = usable(
            Extractor::new().kind(ExtractKind::Prefix).extract(hir),
            true,
        );
        let suffixes = usable(
            Extractor::new().kind(ExtractKind::Suffix).extract(hir),
            false,
        );
        let best = match (prefixes, suffixes) {
            (Some(p), Some(s)) if s.min_literal_len() > p.min_literal_len() => s,
            (Some(p), _) => p,
            (None, Some(s)) => s,
            (None, None) => return None,
        };
        needles.extend(best.literals()?.iter().map(|lit| lit.as_bytes().to_vec()));
    }
    Prefilter::new(regex_automata::MatchKind::LeftmostFirst, &needles)
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
                for file in rule_files(path)? {
                    let text = read_rule_file(&file)?;
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

/// Longest rule file accepted: far above any real one, and a bound for
/// a path such as /dev/zero that would otherwise be read forever.
const MAX_RULE_FILE: u64 = 4 << 20;

fn read_rule_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .with_context(|| format!("{}: cannot open rule file", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_RULE_FILE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read rule file", path.display()))?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        bail!(
            "{}: rule file is larger than {} MiB",
            path.display(),
            MAX_RULE_FILE >> 20
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{}: rule file is not UTF-8 (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// The text of built-in pack `name`, or an error listing the packs there are.
pub fn builtin_pack(name: &str) -> Result<&'static str> {
    BUILTIN_PACKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .ok_or_else(|| {
            let known: Vec<String> = BUILTIN_PACKS
                .iter()
                .map(|(n, _)| format!("builtin:{n}"))
                .collect();
            anyhow!(
                "unknown built-in rule pack {name:?} (available: {})",
                known.join(", ")
            )
        })
}

/// The files a `--rules PATH` stands for: the file itself, or a directory's
/// `*.toml` files in name order.
fn rule_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("{}: cannot open rule file", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)
        .with_context(|| format!("{}: cannot list rule directory", path.display()))?
    {
        let entry =
            entry.with_context(|| format!("{}: cannot list rule directory", path.display()))?;
        let file = entry.path();
        if file.extension().is_some_and(|e| e == "toml") && !file.is_dir() {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{}: rule directory has no *.toml files", path.display());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match load_str("r.toml", text, Duration::from_secs(30)) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn builtin_pack_passes_its_own_tests() {
        let set = load(&[RuleSource::parse(DEFAULT_PACK)], Duration::from_secs(30)).unwrap();
        let outcomes = set.run_tests();
        assert!(outcomes.len() >= 8);
        for o in &outcomes {
            assert!(
                o.passed(),
                "{}: {:?} expected {:?}, got {:?}",
                o.test.origin,
                o.test.line,
                o.test.expect,
                o.actual
            );
        }
    }

    #[test]
    fn rules_env_list_keeps_builtin_colons() {
        assert_eq!(
            RuleSource::parse_list("a.toml::builtin:pyrogram:/etc/x"),
            vec![
                RuleSource::Path("a.toml".into()),
                RuleSource::Builtin("pyrogram".into()),
                RuleSource::Path("/etc/x".into()),
            ]
        );
    }

    #[test]
    fn unknown_key_names_file_position_and_rule() {
        let e =
            err("[[rule]]\nname = \"a\"\npattern = 'x'\n\n[[rule]]\nname = \"b\"\npatern = 'y'\n");
        assert!(
            e.starts_with("r.toml:7:1: rule \"b\": unknown field `patern`"),
            "{e}"
        );
    }

    #[test]
    fn unescaped_parentheses_are_a_valid_but_different_pattern() {
        // Not an error, but the built-in pack must not fall into it:
        // `socket.send()` is "socket" any-char "send" and an empty group.
        let set = load_str(
            "r.toml",
            "[[rule]]\nname = \"a\"\npattern = 'socket.send() raised'\n",
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(set.rule_for(b"socket.send() raised"), None);
    }

    #[test]
    fn every_validation_error_is_reported_in_place() {
        let cases: &[(&str, &str)] = &[
            (
                "[[rule]]\nname = \"a\"\n",
                "r.toml:2:8: rule \"a\": missing `pattern`",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = ''\n",
                "r.toml:3:11: rule \"a\": pattern is empty",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = '(x'\n",
                "r.toml:3:11: rule \"a\": invalid pattern '(x': unclosed group",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = '.*'\n",
                "r.toml:3:11: rule \"a\": pattern '.*' matches every line",
            ),
            (
                "[[rule]]\nname = \"a\"\npatterns = []\n",
                "r.toml:3:12: rule \"a\": `patterns` is empty",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\npatterns = ['y']\n",
                "r.toml:4:12: rule \"a\": set either",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\nwindow = \"30\"\n",
                "r.toml:4:10: rule \"a\": window: invalid duration",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\nkey = \"{dc}\"\n",
                "r.toml:4:7: rule \"a\": key names capture group {dc}",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = '(x)'\nkey = \"{2}\"\n",
                "r.toml:4:7: rule \"a\": key names capture group {2}",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[[rule]]\nname = \"a\"\npattern = 'y'\n",
                "r.toml:5:8: rule \"a\": duplicate rule name (first defined at r.toml:1)",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\npass_first = -1\n",
                "r.toml:4:14: rule \"a\": invalid value",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\nmax_keys = 0\n",
                "r.toml:4:12: rule \"a\": max_keys must be at least 1",
            ),
            ("[[rule]]\nname = \"a\"\npattern = 'x\n", "r.toml:3:"),
            (
                "[defaults]\nwindw = \"1s\"\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
                "r.toml:2:1: unknown field `windw`",
            ),
            (
                "[defaults]\nwindow = \"soon\"\n[[rule]]\nname = \"a\"\npattern = 'x'\n",
                "r.toml:2:10: [defaults] window: invalid duration",
            ),
            (
                "[defaults]\nlevel = \"INFO\"\n",
                "r.toml: defines no [[rule]]",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[[test]]\nline = \"x\"\nrule = \"b\"\n",
                "r.toml:6:8: [[test]] expects rule \"b\"",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\nrecord_start = 'x'\ncontinuation = 'y'\n",
                "r.toml:6:16: [input] sets both",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ncontinuation = '(x'\n",
                "r.toml:5:16: [input] continuation: invalid pattern '(x'",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = \"python3\"\n",
                "r.toml:5:13: [input] timestamp: unknown preset \"python3\"",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = { pattern = '^(\\S+)' }\n",
                "r.toml:5:13: [input] timestamp needs both",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\ntimestamp = { pattern = '^(\\S+)', format = \"%Q\" }\n",
                "has an unknown or incomplete % specifier",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\nnote = \"\"\"two\nlines\"\"\"\n",
                "r.toml:4:8: rule \"a\": note must be one line",
            ),
            (
                "[[rule]]\nname = \"a\"\npattern = 'x'\n[input]\nrecord_begin = 'x'\n",
                "r.toml:5:1: unknown field `record_begin`",
            ),
        ];
        for (text, want) in cases {
            let got = err(text);
            assert!(
                got.contains(want),
                "for:\n{text}\nwant: {want}\ngot:  {got}"
            );
        }
    }

    #[test]
    fn window_falls_back_from_rule_to_defaults_to_command_line() {
        let text = "[defaults]\nwindow = \"5s\"\n[[rule]]\nname = \"a\"\npattern = 'x'\n[[rule]]\nname = \"b\"\npattern = 'y'\nwindow = \"1m\"\n";
        let set = load_str("r.toml", text, Duration::from_secs(30)).unwrap();
        assert_eq!(set.rules()[0].window, Duration::from_secs(5));
        assert_eq!(set.rules()[1].window, Duration::from_secs(60));
        let set = load_str(
            "r.toml",
            "[[rule]]\nname = \"a\"\npattern = 'x'\n",
            Duration::from_secs(7),
        )
        .unwrap();
        assert_eq!(set.rules()[0].window, Duration::from_secs(7));
        assert_eq!(set.rules()[0].level, "INFO");
        assert_eq!(set.rules()[0].message, "a");
    }

    #[test]
    fn ignore_case_works_with_verbose_patterns() {
        // A `#` comment in (?x) mode must not swallow the case-folding wrapper.
        let set = load_str(
            "r.toml",
            "[[rule]]\nname = \"a\"\npattern = '(?x)lost # the word'\nignore_case = true\n",
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(set.rule_for(b"LOST"), Some("a"));
    }

    #[test]
    fn ignore_case_applies_to_the_combined_matcher_too() {
        let set = load_str(
            "r.toml",
            "[[rule]]\nname = \"a\"\npattern = 'Lost'\nignore_case = true\n",
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(set.rule_for(b"CONNECTION LOST"), Some("a"));
    }

    #[test]
    fn key_template_parsing() {
        assert!(KeyTemplate::parse("{a}-{{lit}}").is_ok());
        assert!(KeyTemplate::parse("plain").is_err());
        assert!(KeyTemplate::parse("{a").is_err());
        assert!(KeyTemplate::parse("a}").is_err());
        assert!(KeyTemplate::parse("{}").is_err());
    }
}
