//! Output: the chosen templates as a TOML rule file (rules plus `[[test]]`
//! cases from real lines) or as a table for people.
//!
//! Every rule is checked here before it is written: its pattern compiles,
//! its sample lines match it and no earlier rule (the first matching rule
//! wins), and its negative case matches no rule at all, neither a
//! suggested one nor a loaded one. So what is printed loads and passes
//! `logdedup check` and `logdedup test` (with the rules `suggest` was
//! given) as it is.
//!
//! What gets no rule is not dropped silently: the notes name the built-in
//! pack that would take a template, and list the largest steady ones.
//! Every line printed has its bot tokens redacted.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use regex::bytes::Regex;

use super::pattern::{rule_text, OnMessage, RuleText};
use super::rank::{similarity, words, Score, Verdict, MIN_COUNT};
use super::redact::redact;
use super::shape::Shapes;
use super::template::Template;
use super::KnownRules;
use crate::records::{split_collector_prefix, LayoutRecognizer, LayoutSpec, Level};
use crate::rules::{LoggerName, MessageFilter};

/// Candidates tried, best first, for a negative test case.
const NEGATIVE_CANDIDATES: usize = 20;
/// Longest sample shown in the table.
const TABLE_SAMPLE: usize = 100;

/// A rule ready to write.
#[derive(Clone, Debug)]
pub(crate) struct Suggestion {
    /// The rule's text, its name made unique.
    pub rule: RuleText,
    /// Index of its template.
    pub index: usize,
    /// Lines that must match it.
    pub positives: Vec<String>,
    /// A line of a similar template that must pass, if one was found.
    pub negative: Option<String>,
}

/// How windows were measured, for the comments.
#[derive(Clone, Copy, Debug)]
pub(crate) enum WindowUnit {
    /// On log time.
    Time(Duration),
    /// On line positions: this many records.
    Records(u64),
}

impl std::fmt::Display for WindowUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            WindowUnit::Time(d) => {
                let ms = d.as_millis();
                if ms % 1000 != 0 {
                    write!(f, "{ms}ms window")
                } else if ms % 3_600_000 == 0 {
                    write!(f, "{}h window", ms / 3_600_000)
                } else if ms % 60_000 == 0 {
                    write!(f, "{}m window", ms / 60_000)
                } else {
                    write!(f, "{}s window", ms / 1000)
                }
            }
            WindowUnit::Records(n) => write!(f, "window of {n} records"),
        }
    }
}

/// A suggested rule as the filter applies it, to check it on lines: its
/// regex on the line, or, for a rule on the message, on the message of a
/// record whose logger and level its filter admits.
struct Check {
    regex: Regex,
    on_message: Option<MessageFilter>,
}

impl Check {
    /// The check of `rule`; `None` if its regex does not compile or it
    /// names a logger or level the rules would refuse.
    fn new(rule: &RuleText) -> Option<Check> {
        let on_message = match &rule.on_message {
            None => None,
            Some(OnMessage { loggers, levels }) => Some(MessageFilter {
                loggers: loggers
                    .iter()
                    .map(|l| LoggerName::parse(l))
                    .collect::<Option<_>>()?,
                levels: levels
                    .iter()
                    .map(|l| Level::parse(l.as_bytes()))
                    .collect::<Option<_>>()?,
                bare: loggers.is_empty(),
            }),
        };
        Some(Check {
            regex: Regex::new(&rule.pattern).ok()?,
            on_message,
        })
    }

    /// Whether the rule takes `line`, read alone as a `[[test]]` case is.
    fn takes(&self, line: &[u8]) -> bool {
        let Some(filter) = &self.on_message else {
            return self.regex.is_match(line);
        };
        let (_, text) = split_collector_prefix(line, &mut None);
        let mut scratch = Vec::new();
        let fields = LayoutRecognizer::new(LayoutSpec::Auto).recognize(text, &mut scratch);
        filter.admits(&fields) && self.regex.is_match(fields.message)
    }
}

/// Picks up to `top` templates that get a rule and make sound rules, in
/// rank order; a must-pass line is chosen among those `known` lets pass.
pub(crate) fn choose(
    templates: &[Template],
    shapes: &Shapes,
    ranked: &[(Score, Verdict)],
    top: usize,
    include_errors: bool,
    known: &dyn KnownRules,
) -> Vec<Suggestion> {
    let mut chosen: Vec<(Suggestion, Check)> = Vec::new();
    for (score, verdict) in ranked {
        if chosen.len() >= top || !verdict.gets_rule() {
            break;
        }
        let t = &templates[score.index];
        let Some(mut rule) = rule_text(t, shapes, include_errors) else {
            continue;
        };
        let Some(check) = Check::new(&rule) else {
            continue;
        };
        // A template that is all wildcards would be refused by `check`
        // (it takes nearly any line): no rule for it.
        if crate::rules::pattern_problem(&rule.pattern).is_some() {
            continue;
        }
        // A sample another rule takes first is a template already covered.
        let positives: Vec<String> = t
            .samples
            .iter()
            .filter(|s| check.takes(s.line.as_bytes()))
            .filter(|s| !chosen.iter().any(|(_, c)| c.takes(s.line.as_bytes())))
            .map(|s| s.line.clone())
            .collect();
        if positives.is_empty() {
            continue;
        }
        rule.name = unique_name(&rule.name, chosen.iter().map(|(s, _)| s.rule.name.as_str()));
        chosen.push((
            Suggestion {
                rule,
                index: score.index,
                positives,
                negative: None,
            },
            check,
        ));
    }
    if chosen.is_empty() {
        return Vec::new();
    }
    let checks: Vec<&Check> = chosen.iter().map(|(_, c)| c).collect();
    let picked: Vec<usize> = chosen.iter().map(|(s, _)| s.index).collect();
    let all_words: Vec<Vec<&[u8]>> = templates.iter().map(words).collect();
    let negatives: Vec<Option<String>> = chosen
        .iter()
        .map(|(s, _)| negative_for(templates, &all_words, s.index, &picked, &checks, known))
        .collect();
    chosen
        .into_iter()
        .zip(negatives)
        .map(|((mut s, _), negative)| {
            s.negative = negative;
            s
        })
        .collect()
}

/// A sample line of the template most like `index` that was not chosen,
/// that no chosen rule matches and that the loaded rules let pass.
fn negative_for(
    templates: &[Template],
    words: &[Vec<&[u8]>],
    index: usize,
    picked: &[usize],
    checks: &[&Check],
    known: &dyn KnownRules,
) -> Option<String> {
    let me = &templates[index];
    let mut near: Vec<(f64, usize)> = templates
        .iter()
        .enumerate()
        .filter(|(i, t)| !picked.contains(i) && !t.samples.is_empty())
        .map(|(i, t)| (similarity(me, &words[index], t, &words[i]), i))
        .collect();
    let n = near.len().min(NEGATIVE_CANDIDATES);
    if n == 0 {
        return None;
    }
    near.select_nth_unstable_by(n - 1, |a, b| b.0.total_cmp(&a.0));
    near.truncate(n);
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    near.iter()
        .flat_map(|&(_, i)| &templates[i].samples)
        .find(|s| {
            let line = s.line.as_bytes();
            !checks.iter().any(|c| c.takes(line)) && !known.takes(line)
        })
        .map(|s| s.line.clone())
}

fn unique_name<'a>(base: &str, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken.clone().any(|t| t == name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// Writes the rule file (nothing at all when no rule was chosen: a file
/// of comments alone is not a rule file; the command says so on stderr).
pub(crate) fn write_toml(
    out: &mut dyn Write,
    templates: &[Template],
    ranked: &[(Score, Verdict)],
    chosen: &[Suggestion],
    records: u64,
    unit: WindowUnit,
) -> io::Result<()> {
    if chosen.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "# Rules suggested by `logdedup suggest` from {records} records."
    )?;
    writeln!(
        out,
        "# Review them before use: each comment says what its rule matched in the input."
    )?;
    for s in chosen {
        let t = &templates[s.index];
        let found = ranked.iter().find(|(sc, _)| sc.index == s.index);
        writeln!(out)?;
        writeln!(
            out,
            "# {} records ({} of the input), up to {} in one {unit}{}",
            t.count,
            percent(t.count, records),
            t.peak,
            found.map_or(String::new(), |(sc, _)| format!(
                ", burst {:.1}, flood {:.1}",
                sc.burst, sc.flood
            )),
        )?;
        if found.is_some_and(|(_, v)| *v == Verdict::Chatter) {
            writeln!(
                out,
                "# steady library chatter: the same line all along, in most windows of the log"
            )?;
        }
        let slots = slot_summary(t);
        if !slots.is_empty() {
            writeln!(out, "# distinct values per slot: {slots}")?;
        }
        writeln!(out, "[[rule]]")?;
        writeln!(out, "name = {}", toml_string(&s.rule.name))?;
        match &s.rule.on_message {
            None => writeln!(out, "pattern = {}", toml_string(&s.rule.pattern))?,
            Some(on) => {
                writeln!(out, "body = {}", toml_string(&s.rule.pattern))?;
                if !on.loggers.is_empty() {
                    writeln!(out, "loggers = {}", toml_list(&on.loggers))?;
                }
                if !on.levels.is_empty() {
                    writeln!(out, "levels = {}", toml_list(&on.levels))?;
                }
            }
        }
        if let Some(key) = &s.rule.key {
            writeln!(out, "key = {}", toml_string(key))?;
        }
        writeln!(
            out,
            "message = {}",
            toml_string(&printable(&redact(&s.rule.message)))
        )?;
        for line in &s.positives {
            writeln!(out)?;
            writeln!(out, "[[test]]")?;
            writeln!(out, "line = {}", toml_string(&redact(line)))?;
            writeln!(out, "rule = {}", toml_string(&s.rule.name))?;
        }
        if let Some(line) = &s.negative {
            writeln!(out)?;
            writeln!(out, "[[test]]  # a similar line that must pass")?;
            writeln!(out, "line = {}", toml_string(&redact(line)))?;
        }
    }
    Ok(())
}

/// What got no rule and why, as `#` comments: templates a built-in pack
/// that is not loaded takes (naming the pack), then the largest steady
/// templates and how many more there are. Empty when there is neither.
pub(crate) fn notes(
    templates: &[Template],
    ranked: &[(Score, Verdict)],
    top: usize,
    records: u64,
) -> String {
    let mut out = String::new();
    let line = |t: &Template| format!("{} records ({})", t.count, percent(t.count, records));
    let packs: Vec<(&Template, &str)> = ranked
        .iter()
        .filter_map(|(sc, v)| match v {
            Verdict::Pack(p) if templates[sc.index].count >= MIN_COUNT => {
                Some((&templates[sc.index], p.as_str()))
            }
            _ => None,
        })
        .take(top)
        .collect();
    if !packs.is_empty() {
        out.push_str("\n# Noise a built-in pack takes (no rule written: load the pack instead):\n");
        for (t, pack) in packs {
            let _ = writeln!(
                out,
                "# covered by builtin:{pack} (-r builtin:{pack}): {}: {}",
                line(t),
                t.display()
            );
        }
    }
    let mut steady: Vec<&Template> = ranked
        .iter()
        .filter(|(_, v)| *v == Verdict::Steady)
        .map(|(sc, _)| &templates[sc.index])
        .collect();
    steady.sort_by_key(|t| std::cmp::Reverse(t.count));
    let shown = steady
        .iter()
        .take(top)
        .take_while(|t| t.count >= MIN_COUNT * 10)
        .count();
    if shown > 0 {
        out.push_str(
            "\n# Steady, no rule suggested (spread over the log like the bot's own traffic):\n",
        );
        for t in &steady[..shown] {
            let _ = writeln!(out, "# {}: {}", line(t), t.display());
        }
        let rest = &steady[shown..];
        if !rest.is_empty() {
            let n: u64 = rest.iter().map(|t| t.count).sum();
            let _ = writeln!(
                out,
                "# and {} smaller steady templates with {n} records (`--format table` ranks them)",
                rest.len()
            );
        }
    }
    redact(&out).into_owned()
}

/// Writes the human summary: the first `top` templates of the ranking.
pub(crate) fn write_table(
    out: &mut dyn Write,
    templates: &[Template],
    ranked: &[(Score, Verdict)],
    top: usize,
    records: u64,
    unit: WindowUnit,
) -> io::Result<()> {
    writeln!(
        out,
        "{records} records; saved: lines a rule would save; peak: the most in one {unit}"
    )?;
    writeln!(
        out,
        "{:>10} {:>7} {:>10} {:>7} {:>6} {:>6}  {:<8} {:<12} sample",
        "records", "share", "saved", "peak", "burst", "flood", "verdict", "slots"
    )?;
    for (score, verdict) in ranked.iter().take(top) {
        let t = &templates[score.index];
        let sample = t.samples.first().map_or("", |s| s.line.as_str());
        let mut sample: String = sample.chars().take(TABLE_SAMPLE).collect();
        if let Verdict::Pack(pack) = verdict {
            sample = format!("(builtin:{pack}) {sample}");
        }
        let slots = slot_summary(t);
        writeln!(
            out,
            "{:>10} {:>7} {:>10} {:>7} {:>6.1} {:>6.1}  {:<8} {:<12} {}",
            t.count,
            percent(t.count, records),
            score.saved,
            t.peak,
            score.burst,
            score.flood,
            verdict.word(),
            if slots.is_empty() { "-" } else { &slots },
            redact(&sample).escape_debug()
        )?;
    }
    Ok(())
}

fn percent(n: u64, of: u64) -> String {
    format!("{:.1}%", n as f64 * 100.0 / of.max(1) as f64)
}

/// `5, 32+` — the distinct values of each slot, in order.
fn slot_summary(t: &Template) -> String {
    t.tokens
        .iter()
        .flat_map(|tok| &tok.slots)
        .map(|s| match s.distinct() {
            Some(n) => n.to_string(),
            None => format!("{}+", super::template::MAX_DISTINCT),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A TOML array of strings.
fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| toml_string(s)).collect();
    format!("[{}]", items.join(", "))
}

/// A summary message is one line of plain text (`check` refuses control
/// characters there): a control character a log line carried becomes `?`.
fn printable(message: &str) -> std::borrow::Cow<'_, str> {
    if message.chars().any(|c| c.is_control() && c != '\t') {
        message
            .chars()
            .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
            .collect::<String>()
            .into()
    } else {
        message.into()
    }
}

/// A TOML string: a literal `'...'` when the text allows one, otherwise a
/// basic string with `\`, `"` and control characters escaped.
pub(crate) fn toml_string(s: &str) -> String {
    if !s.contains('\'') && !s.chars().any(char::is_control) {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_round_trip() {
        for s in [
            r"plain \d+ text",
            r#"it's "quoted" \ back"#,
            "tab\there, bell\u{7}, del\u{7f}, é",
            "'",
            "",
        ] {
            let doc = format!("v = {}", toml_string(s));
            let parsed: toml::Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(parsed["v"].as_str(), Some(s), "{doc}");
        }
        assert_eq!(toml_string(r"a\b"), r"'a\b'");
    }

    #[test]
    fn names_are_made_unique() {
        let taken = ["a", "a-2"];
        assert_eq!(unique_name("a", taken.iter().copied()), "a-3");
        assert_eq!(unique_name("b", taken.iter().copied()), "b");
    }
}
