//! Validation of one `[[rule]]`: every value checked and compiled, every
//! mistake reported at its place in the file. A rule either compiles to
//! exactly what its author meant or is refused.

use regex::bytes::Regex;
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

use super::error::{regex_error_line, Locator};
use super::key::{KeyTemplate, WindowKey};
use super::pattern::Pattern;
use super::raw::{RawDefaults, RawRedact, RawRule};
use super::redact::{Redaction, DEFAULT_REPLACEMENT};
use super::rule::{Rule, DEFAULT_LEVEL, DEFAULT_MAX_KEYS};
use super::target::{target, ErrAt, PatternTexts};
use crate::template::{split, Piece};
use crate::time::parse_duration;

use super::pattern::{PATTERN_DFA_LIMIT, PATTERN_SIZE_LIMIT};

/// Most memory compiling the rules of one load may take: the compiled size
/// of every pattern of every rule, summed. A rule set over it is refused,
/// naming the file and rule that tipped it over, instead of being compiled
/// until the process runs out of memory (or, on SIGHUP, aborts and loses
/// its counts). Room for real rule sets: a plain literal pattern costs a
/// few KiB; `user \w+ failed login from (?P<ip>\S+)` (Unicode classes and
/// a capture group) about 1.2 MiB, so some 400 rules like it fit.
pub(crate) const COMPILE_BUDGET: usize = 512 << 20;

/// What a load has spent of [`COMPILE_BUDGET`].
#[derive(Debug, Default)]
pub(super) struct Budget {
    used: usize,
    /// The file being read is a built-in pack: compiled as shipped, tested
    /// with the binary, and not charged (measuring a pattern means compiling
    /// it twice, which would double the start-up time of every run).
    pub trusted: bool,
    /// A pattern was refused: the rest are refused without compiling.
    exceeded: bool,
}

impl Budget {
    /// Charges the compiled size of `pattern` (its automata and the scratch
    /// space a search needs, as the regex engine reports them for the
    /// configuration rules compile with), or refuses it when the load would
    /// go over [`COMPILE_BUDGET`]. A pattern that does not compile is not
    /// charged: compiling it reports why.
    pub(crate) fn charge(&mut self, pattern: &str, ignore_case: bool) -> Result<(), String> {
        use regex_automata::{meta, util::syntax};
        if self.trusted {
            return Ok(());
        }
        if self.exceeded {
            return Err(format!(
                "the rule set is too big to compile (over the {} MiB limit; see the first error)",
                COMPILE_BUDGET >> 20
            ));
        }
        let Ok(regex) = meta::Builder::new()
            .syntax(
                syntax::Config::new()
                    .case_insensitive(ignore_case)
                    .utf8(false),
            )
            .configure(
                meta::Config::new()
                    .utf8_empty(false)
                    .nfa_size_limit(Some(PATTERN_SIZE_LIMIT))
                    .hybrid_cache_capacity(PATTERN_DFA_LIMIT),
            )
            .build(pattern)
        else {
            return Ok(());
        };
        let cost = regex.memory_usage() + regex.create_cache().memory_usage();
        if self.used.saturating_add(cost) > COMPILE_BUDGET {
            self.exceeded = true;
            return Err(format!(
                "the rule set is too big to compile: pattern {} needs about {} MiB and the rules \
                 before it {} MiB, over the {} MiB limit; make the pattern smaller (a repeated \
                 \\w or . is the usual cause: [A-Za-z0-9_]{{40}} compiles far smaller than \
                 \\w{{40}}) or load fewer such rules",
                quote_pattern(pattern),
                mib(cost),
                mib(self.used),
                COMPILE_BUDGET >> 20
            ));
        }
        self.used += cost;
        Ok(())
    }
}

/// Bytes in MiB, rounded up, for messages.
fn mib(bytes: usize) -> usize {
    bytes.div_ceil(1 << 20)
}

/// A compiled rule plus the pattern texts the combined matcher needs.
pub(super) struct Compiled {
    pub rule: Rule,
    /// Each pattern as the combined matcher gets it (`(?i)` added when the
    /// rule ignores case).
    pub any_patterns: Vec<String>,
}

/// Compiles one rule. `name` has been checked non-empty and unique.
pub(super) fn compile_rule(
    loc: &Locator,
    name: &str,
    rule: RawRule,
    defaults: &RawDefaults,
    file_window: Duration,
    origin: String,
    budget: &mut Budget,
) -> anyhow::Result<Compiled> {
    let err = |span: Range<usize>, msg: String| loc.error(Some(span), Some(name), msg);
    one_line(name).map_err(|m| err(rule.name.span(), format!("name {m}")))?;

    let ignore_case = rule.ignore_case.or(defaults.ignore_case).unwrap_or(false);
    let (texts, on) = target(&rule, &err)?;
    let (patterns, any_patterns) = compile_patterns(&texts, ignore_case, budget, &err)?;
    let exception = match &rule.exception {
        Some(e) if budget.trusted && !e.get_ref().is_empty() => {
            Some(Pattern::deferred(e.get_ref(), ignore_case))
        }
        Some(e) => Some(Pattern::compiled(
            budget
                .charge(e.get_ref(), ignore_case)
                .and_then(|()| compile_pattern(e.get_ref(), ignore_case))
                .map_err(|m| err(e.span(), format!("exception: {m}")))?,
            ignore_case,
        )),
        None => None,
    };
    let settings = settings(&rule, defaults, file_window, &err)?;
    let key = match &rule.key {
        Some(k) => {
            let template = KeyTemplate::parse(k.get_ref()).map_err(|m| err(k.span(), m))?;
            for regex in &patterns {
                template
                    .check_against(regex)
                    .map_err(|m| err(k.span(), m))?;
            }
            template.check_literals().map_err(|m| err(k.span(), m))?;
            Some(template)
        }
        None => None,
    };
    let labels = text_groups(&rule, key.is_some(), &patterns, &err)?;

    Ok(Compiled {
        rule: Rule {
            message: rule
                .message
                .map_or_else(|| name.to_owned(), Spanned::into_inner),
            note: rule
                .note
                .map(Spanned::into_inner)
                .filter(|n| !n.trim().is_empty()),
            name: name.to_owned(),
            level: settings.level,
            window: settings.window,
            pass_first: rule.pass_first.or(defaults.pass_first).unwrap_or(0),
            max_keys: settings.max_keys,
            window_key: WindowKey::new(key.clone(), labels),
            key,
            patterns,
            on,
            exception,
            // A rule takes the lines after its match (a traceback) only when it
            // says so, or when it decides on the record's last line: by
            // default a crash traceback after a matched line is not its own.
            multiline: rule.multiline.unwrap_or(rule.exception.is_some()),
            origin,
        },
        any_patterns,
    })
}

/// Compiles one `[[redact]]`. `name` has been checked non-empty and unique.
pub(super) fn compile_redaction(
    loc: &Locator,
    name: &str,
    raw: &RawRedact,
    origin: String,
    budget: &mut Budget,
) -> anyhow::Result<Redaction> {
    let err = |span: Range<usize>, msg: String| loc.error(Some(span), Some(name), msg);
    one_line(name).map_err(|m| err(raw.name.span(), format!("name {m}")))?;
    let texts = PatternTexts {
        pattern: raw.pattern.as_ref(),
        patterns: raw.patterns.as_ref(),
        name: raw.name.span(),
        keys: ("pattern", "patterns"),
    };
    let (patterns, _) = compile_patterns(&texts, raw.ignore_case.unwrap_or(false), budget, &err)?;
    let replace = match &raw.replace {
        Some(r) => {
            one_line(r.get_ref()).map_err(|m| err(r.span(), format!("replace {m}")))?;
            r.get_ref().clone()
        }
        None => DEFAULT_REPLACEMENT.to_owned(),
    };
    let secret = patterns
        .iter()
        .map(|p| p.capture_names().position(|n| n == Some("secret")))
        .collect();
    Ok(Redaction {
        name: name.to_owned(),
        patterns,
        secret,
        replace: replace.into_bytes(),
        origin,
    })
}

/// The rule's patterns compiled, and each as the combined matcher gets it
/// (`(?i)` added when the rule ignores case).
fn compile_patterns(
    rule: &PatternTexts,
    ignore_case: bool,
    budget: &mut Budget,
    err: &ErrAt,
) -> anyhow::Result<(Vec<Pattern>, Vec<String>)> {
    let pattern_texts: Vec<&Spanned<String>> = match (rule.pattern, rule.patterns) {
        (Some(_), Some(list)) => {
            return Err(err(
                list.span(),
                format!(
                    "set either `{}` or `{}`, not both",
                    rule.keys.0, rule.keys.1
                ),
            ))
        }
        (None, None) => {
            return Err(err(
                rule.name.clone(),
                format!("missing `{}` (or `{} = [...]`)", rule.keys.0, rule.keys.1),
            ))
        }
        (Some(p), None) => vec![p],
        (None, Some(list)) => {
            if list.get_ref().is_empty() {
                return Err(err(list.span(), format!("`{}` is empty", rule.keys.1)));
            }
            list.get_ref().iter().collect()
        }
    };
    let mut patterns = Vec::with_capacity(pattern_texts.len());
    let mut any_patterns = Vec::with_capacity(pattern_texts.len());
    for p in pattern_texts {
        budget
            .charge(p.get_ref(), ignore_case)
            .map_err(|m| err(p.span(), m))?;
        // A built-in pack's patterns are compiled by the tests; a run
        // compiles them when a line first reaches them. An empty one is
        // refused all the same (`compile_pattern` says why).
        patterns.push(if budget.trusted && !p.get_ref().is_empty() {
            Pattern::deferred(p.get_ref(), ignore_case)
        } else {
            let regex = compile_pattern(p.get_ref(), ignore_case).map_err(|m| err(p.span(), m))?;
            Pattern::compiled(regex, ignore_case)
        });
        any_patterns.push(if ignore_case {
            format!("(?i){}", p.get_ref())
        } else {
            p.get_ref().clone()
        });
    }
    Ok((patterns, any_patterns))
}

/// A rule's window, level and key limit, from the rule or its file's
/// `[defaults]`.
struct Settings {
    window: Duration,
    level: String,
    max_keys: usize,
}

fn settings(
    rule: &RawRule,
    defaults: &RawDefaults,
    file_window: Duration,
    err: &ErrAt,
) -> anyhow::Result<Settings> {
    let window = match &rule.window {
        Some(w) => {
            duration_value(w.get_ref()).map_err(|m| err(w.span(), format!("window: {m}")))?
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
    Ok(Settings {
        window,
        level,
        max_keys,
    })
}

/// Checks the summary texts (one line each, placeholders that exist) and
/// returns the named groups they print, which tell windows apart.
fn text_groups(
    rule: &RawRule,
    keyed: bool,
    patterns: &[Pattern],
    err: &ErrAt,
) -> anyhow::Result<Vec<String>> {
    // A summary is one line: a line break in its text would break the
    // output's line structure (and any log shipper parsing it), and could
    // forge a second summary.
    for (field, value) in [
        ("message", &rule.message),
        ("note", &rule.note),
        ("level", &rule.level),
    ] {
        if let Some(v) = value {
            one_line(v.get_ref()).map_err(|m| err(v.span(), format!("{field} {m}")))?;
        }
    }
    let mut labels: Vec<String> = Vec::new();
    for (field, value) in [("message", &rule.message), ("note", &rule.note)] {
        let Some(v) = value else { continue };
        let pieces = split(v.get_ref()).map_err(|e| err(v.span(), format!("{field}: {e}")))?;
        for piece in pieces {
            let Piece::Placeholder(group) = piece else {
                continue;
            };
            if group == "key" {
                if !keyed {
                    return Err(err(
                        v.span(),
                        format!("{field} uses {{key}}, but the rule has no `key`"),
                    ));
                }
                continue;
            }
            for regex in patterns {
                if !regex.capture_names().any(|n| n == Some(group.as_str())) {
                    return Err(err(
                        v.span(),
                        format!(
                            "{field} uses {{{group}}}, but pattern {} has no group (?P<{group}>...) \
                             ({field} may use {{key}} and the rule's named groups)",
                            quote_pattern(regex.as_str())
                        ),
                    ));
                }
            }
            if !labels.contains(&group) {
                labels.push(group);
            }
        }
    }
    Ok(labels)
}

/// Reads a duration written as text (`"30s"`, `"1h30m"`) or as a bare
/// number of seconds (`30`, `0.5`).
pub(super) fn duration_value(value: &toml::Value) -> Result<Duration, String> {
    let seconds = match value {
        toml::Value::String(text) => return parse_duration(text).map_err(|e| format!("{e:#}")),
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(f) => *f,
        other => {
            return Err(format!(
                "expected a duration such as \"30s\" or a number of seconds, not {}",
                other.type_str()
            ))
        }
    };
    if !(0.001..1e12).contains(&seconds) {
        return Err(format!(
            "{seconds} seconds is not a usable window (write e.g. \"30s\", at least 1ms)"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Fails if `text` has a line break or another control character that
/// would break a summary line in two or rewrite it on a terminal.
pub(crate) fn one_line(text: &str) -> Result<(), String> {
    if text.contains(['\n', '\r']) {
        return Err("must be one line (it contains a line break)".into());
    }
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// A pattern quoted for a one-line message: line breaks and other control
/// characters escaped, long patterns shortened with `…`.
pub(crate) fn quote_pattern(pattern: &str) -> String {
    const MAX: usize = 80;
    let escaped: String = pattern
        .chars()
        .map(|c| match c {
            '\n' => "\\n".to_owned(),
            '\r' => "\\r".to_owned(),
            '\t' => "\\t".to_owned(),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                c.escape_unicode().to_string()
            }
            c => c.to_string(),
        })
        .collect();
    if escaped.chars().count() <= MAX {
        return format!("'{escaped}'");
    }
    let head: String = escaped.chars().take(MAX).collect();
    format!("'{head}…'")
}

/// Why `pattern` would be refused in a rule file, if it would: for code
/// that writes rules (`suggest`).
pub(crate) fn pattern_problem(pattern: &str) -> Option<String> {
    compile_pattern(pattern, false).err()
}

/// Compiles one pattern as the per-rule matcher, refusing the ones that are
/// certain to be mistakes, with bounded compile memory.
pub(super) fn compile_pattern(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    if pattern.is_empty() {
        return Err("pattern is empty (it would match every line)".into());
    }
    let regex = build_regex(pattern, ignore_case)?;
    refuse_match_all(&regex, pattern)?;
    Ok(regex)
}

/// Compiles `pattern` with the size limits every regex of a rule file
/// gets, its error quoted on one line.
pub(super) fn build_regex(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    super::pattern::build(pattern, ignore_case).map_err(|e| {
        format!(
            "invalid pattern {}: {}",
            quote_pattern(pattern),
            regex_error_line(&e)
        )
    })
}

/// Lines of every shape and length: a pattern that matches all of them
/// matches any non-empty line (`.`, `^.+$`). One is indented, so that a
/// framing regex `^\S` is not taken for one of those.
const SHAPES: [&[u8]; 7] = [
    b"-",
    b"  x",
    b"X",
    b"7",
    "\u{e9}".as_bytes(),
    b"zq9 unrelated",
    b"2025-11-20 16:31:53,266 - bot - INFO - a line long enough to be past any short-line special case, \
      with words, digits 0123456789, punctuation ()[]{}<>:;,.!?'\"/\\|@#$%^&*+=~` and more words after it",
];

/// Ordinary lines of a bot's log, of the kinds a rule must leave alone:
/// the bot's own messages, a traceback, JSON, other languages, bare
/// words and numbers, indented and unindented. A pattern that matches
/// nearly all of them (all but [`SAMPLE_SPARED`]) matches nearly every
/// line of a real log. Four of them start with white space, so a framing
/// regex such as `^\S` (a record starts at an unindented line) passes.
const SAMPLE: [&str; 19] = [
    "2025-11-20 16:31:53,266 - bot - INFO - Replied to @eve42 in 396 ms",
    "Traceback (most recent call last):",
    "  File \"/srv/bot/main.py\", line 42, in handle",
    "    await message.reply(text)",
    "ValueError: invalid literal for int() with base 10: 'abc'",
    "{\"level\": \"info\", \"msg\": \"user joined\", \"id\": 7}",
    "[2025-11-20 16:32:04] INFO: /weather Tbilisi from @bob_k",
    "Started polling",
    "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}! +12\u{b0}C",
    "ok",
    "---",
    "404",
    "\tat com.example.Main.run(Main.java:17)",
    "I1120 16:32:04.000000  1234 main.go:42] listening on :8080",
    "WARNING:root:disk almost full (93%)",
    "    ^^^^^^^^^^",
    "DONE.",
    "user_id=5521 chat_id=-100123 state=idle",
    "Goodbye",
];

/// How many lines of [`SAMPLE`] a pattern must leave alone to be kept.
const SAMPLE_SPARED: usize = 3;

/// Refuses a pattern that would swallow the whole stream: one that
/// matches an empty line and an arbitrary word (every line), one that
/// matches lines of every shape (every non-empty line), or one that
/// matches nearly every line of a sample of ordinary log lines.
pub(super) fn refuse_match_all(regex: &Regex, pattern: &str) -> Result<(), String> {
    if regex.is_match(b"") && regex.is_match(b"zq9 unrelated") {
        return Err(format!(
            "pattern {} matches every line (it can match the empty string)",
            quote_pattern(pattern)
        ));
    }
    if SHAPES.iter().all(|probe| regex.is_match(probe)) {
        return Err(format!(
            "pattern {} matches every non-empty line",
            quote_pattern(pattern)
        ));
    }
    let matched = SAMPLE
        .iter()
        .filter(|line| regex.is_match(line.as_bytes()))
        .count();
    if matched + SAMPLE_SPARED > SAMPLE.len() {
        return Err(format!(
            "pattern {} matches nearly every line ({matched} of {} ordinary log lines such as \
             {:?} and {:?}); make it match only the noise",
            quote_pattern(pattern),
            SAMPLE.len(),
            SAMPLE[9],
            SAMPLE[1],
        ));
    }
    Ok(())
}

/// Fewest literal characters every match of `pattern` contains (a class
/// of one letter in both cases counts as one); `None` if it does not
/// parse. `e` has one, `socket\.send` eleven, `\w+` none: a pattern with
/// few matches far more lines than its author meant.
pub(crate) fn literal_chars(pattern: &str, ignore_case: bool) -> Option<usize> {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn count(hir: &Hir) -> usize {
        match hir.kind() {
            HirKind::Literal(lit) => String::from_utf8_lossy(&lit.0).chars().count(),
            HirKind::Class(Class::Unicode(c)) => {
                let chars: u32 = c.ranges().iter().map(|r| r.len() as u32).sum();
                usize::from(chars <= 2)
            }
            HirKind::Class(Class::Bytes(c)) => {
                let bytes: usize = c
                    .ranges()
                    .iter()
                    .map(regex_syntax::hir::ClassBytesRange::len)
                    .sum();
                usize::from(bytes <= 2)
            }
            HirKind::Repetition(rep) => (rep.min as usize)
                .saturating_mul(count(&rep.sub))
                .min(1 << 20),
            HirKind::Capture(cap) => count(&cap.sub),
            HirKind::Concat(subs) => subs.iter().map(count).fold(0, usize::saturating_add),
            HirKind::Alternation(subs) => subs.iter().map(count).min().unwrap_or(0),
            HirKind::Empty | HirKind::Look(_) => 0,
        }
    }
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .case_insensitive(ignore_case)
        .build()
        .parse(pattern)
        .ok()?;
    Some(count(&hir))
}
