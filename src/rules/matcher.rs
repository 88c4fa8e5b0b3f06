//! The combined matcher: one automaton over every pattern of every rule,
//! a literal search that finds candidate lines in a whole buffer, and the
//! per-rule confirmation that names the winning rule and renders its key.
//! Matching allocates nothing: scratch space is reused across lines.

use regex::bytes::CaptureLocations;
use regex_automata::{meta, util::prefilter::Prefilter, util::syntax, Input};

use super::needles::{buffer_prefilter, message_needle_sets, needle_sets};
use super::pattern::Pattern;
use super::rule::{Rule, Target};
use crate::records::Fields;

/// Most heap for the combined automaton's NFA: past it, rules are matched
/// one by one instead of refusing an ordinary large rule set.
pub(crate) const COMBINED_SIZE_LIMIT: usize = 32 << 20;
/// The combined automaton's lazy DFA cache.
const COMBINED_CACHE: usize = 4 << 20;

/// Searches over all rules at once.
#[derive(Debug)]
pub(crate) struct Matcher {
    /// One automaton over every pattern of every rule: the common case, a
    /// line that matches nothing, costs a single scan. `None` when the set
    /// is too large for one automaton: then each rule's own patterns are
    /// tried in turn (slower, never wrong).
    any: Option<meta::Regex>,
    /// Some rule is on the whole line (`any` has patterns).
    on_lines: bool,
    /// A literal search for the prefixes of all patterns, to find in a whole
    /// buffer the few lines that may match; `None` when some pattern has no
    /// literal prefix to search for.
    buffer: Option<Prefilter>,
    /// Rules on the message: their patterns are anchored at the message,
    /// which the combined automaton over whole lines cannot see, so a line
    /// is a candidate for them when it holds one of their literals.
    messages: Messages,
}

/// How a line is found a candidate for the rules on the message.
#[derive(Debug)]
enum Messages {
    /// There are none.
    None,
    /// A line holding one of these literals.
    Literals(Prefilter),
    /// Some pattern has no literal: every line.
    Every,
}

/// Scratch space for matching, reused so matching allocates nothing.
#[derive(Debug)]
pub(crate) struct MatchScratch {
    /// Per rule and pattern, made when the pattern first captures (a
    /// pattern is compiled when first used, see [`super::Pattern`]).
    locations: Vec<Vec<Option<CaptureLocations>>>,
    key: Vec<u8>,
    /// Per pattern of a keyed rule: the text of its last match and the key
    /// rendered from it (`None` for a pattern whose captures may depend on
    /// text outside the match: one with look-around).
    recent: Vec<Vec<Option<Recent>>>,
}

/// The last match of a keyed pattern, kept because a flood repeats the
/// same text: capturing groups cost a backtracking search over the match,
/// a comparison of the matched text is far cheaper.
#[derive(Debug, Default)]
struct Recent {
    matched: Vec<u8>,
    key: Vec<u8>,
    valid: bool,
}

impl MatchScratch {
    /// The window key of the last rule matched.
    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    /// Sets the window key, as a cached decision found it.
    pub(crate) fn set_key(&mut self, key: &[u8]) {
        self.key.clear();
        self.key.extend_from_slice(key);
    }

    /// Scratch space sized for `rules`; `cacheable` says, per rule and
    /// pattern, whether its key may be reused for the same matched text
    /// (see [`cacheable_patterns`]).
    pub fn new(rules: &[Rule], cacheable: &[Vec<bool>]) -> MatchScratch {
        MatchScratch {
            locations: rules
                .iter()
                .map(|r| r.patterns.iter().map(|_| None).collect())
                .collect(),
            key: Vec::new(),
            recent: rules
                .iter()
                .zip(cacheable)
                .map(|(r, c)| {
                    c.iter()
                        .map(|&ok| (r.window_key.is_keyed() && ok).then(Recent::default))
                        .collect()
                })
                .collect(),
        }
    }
}

/// Per rule and pattern: whether the groups of a match depend only on the
/// matched text (no look-around), so the same text gives the same key.
/// Worked out once per load: parsing every pattern again for each new
/// scratch space would cost more than the matching it saves.
pub(super) fn cacheable_patterns(rules: &[Rule]) -> Vec<Vec<bool>> {
    let cacheable = |p: &Pattern| {
        regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(p.as_str())
            .is_ok_and(|hir| hir.properties().look_set().is_empty())
    };
    rules
        .iter()
        .map(|r| r.patterns.iter().map(cacheable).collect())
        .collect()
}

impl Matcher {
    /// Builds the combined automaton over `patterns` (every pattern of
    /// every rule on the whole line, as written, `(?i)` added where the rule
    /// ignores case), and the buffer search over those and `on_message`
    /// (the patterns of the rules on the message).
    pub fn new(patterns: &[String], on_message: &[String]) -> Matcher {
        let any = meta::Builder::new()
            .syntax(syntax::Config::new().utf8(false))
            .configure(
                meta::Config::new()
                    .utf8_empty(false)
                    .nfa_size_limit(Some(COMBINED_SIZE_LIMIT))
                    .hybrid_cache_capacity(COMBINED_CACHE),
            )
            .build_many(patterns)
            .ok();
        let (line_sets, message_sets) = (needle_sets(patterns), message_needle_sets(on_message));
        let messages = if on_message.is_empty() {
            Messages::None
        } else {
            buffer_prefilter(&message_sets).map_or(Messages::Every, Messages::Literals)
        };
        // Without rules on the whole line, the buffer search is the one
        // for the messages: built once (a prefilter is shared, not copied).
        let buffer = match &messages {
            Messages::Literals(p) if patterns.is_empty() => Some(p.clone()),
            _ => buffer_prefilter(line_sets.iter().chain(&message_sets)),
        };
        Matcher {
            any,
            on_lines: !patterns.is_empty(),
            buffer,
            messages,
        }
    }

    /// Whether some rule matches the message of a record.
    pub(crate) fn on_messages(&self) -> bool {
        !matches!(self.messages, Messages::None)
    }

    /// Whether some rule may match `line`: a pattern on the whole line
    /// does, or it holds a literal of a pattern on the message.
    pub(crate) fn may_match(&self, line: &[u8]) -> bool {
        self.any_match(line)
            || match &self.messages {
                Messages::None => false,
                Messages::Every => true,
                Messages::Literals(p) => p
                    .find(line, regex_automata::Span::from(0..line.len()))
                    .is_some(),
            }
    }

    /// The buffer search (see [`Matcher::new`]).
    pub(crate) fn buffer(&self) -> Option<&Prefilter> {
        self.buffer.as_ref()
    }

    /// Whether a pattern of a rule on the whole line matches `line` (false
    /// without such rules).
    pub(crate) fn line_rule_matches(&self, line: &[u8]) -> bool {
        self.on_lines && self.any_match(line)
    }

    /// Whether any pattern of any rule matches `line`.
    pub(crate) fn any_match(&self, line: &[u8]) -> bool {
        self.any
            .as_ref()
            .is_none_or(|any| any.is_match(Input::new(line)))
    }
}

/// What matching a record's first line found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found<'s> {
    /// Rule `0` matches, with this window key (empty for unkeyed rules).
    Rule(usize, &'s [u8]),
    /// Rule `0` matches the first line, but it also names the record's
    /// final exception line (`exception = ...`), which has not been seen
    /// yet: the record must be held until it ends, then matched again
    /// from this rule on with [`first_match`] and its last line.
    Deferred(usize),
}

/// The first of `rules[from..]` matching a record whose first line is
/// `line` (without its line ending) and has `fields` (needed by rules on
/// the message; without them such rules do not match). `last` is the
/// record's final line when known; `None` defers a rule with `exception`
/// instead of deciding.
pub(crate) fn first_match<'s>(
    rules: &[Rule],
    from: usize,
    line: &[u8],
    fields: Option<&Fields>,
    last: Option<&[u8]>,
    scratch: &'s mut MatchScratch,
) -> Option<Found<'s>> {
    for (id, rule) in rules.iter().enumerate().skip(from) {
        // What the patterns see: the line, or the message of a record of
        // the rule's loggers and levels.
        let line = match &rule.on {
            Target::Line => line,
            Target::Message(filter) => match fields {
                Some(f) if filter.admits(f) => f.message,
                _ => continue,
            },
        };
        let mut cached = false;
        let hit = if rule.window_key.is_keyed() {
            let (locations, recent) = (&mut scratch.locations[id], &mut scratch.recent[id]);
            rule.patterns.iter().enumerate().position(|(i, regex)| {
                let locations = locations[i].get_or_insert_with(|| regex.capture_locations());
                let Some(recent) = &mut recent[i] else {
                    return regex.captures_read(locations, line).is_some();
                };
                let Some(m) = regex.find(line) else {
                    return false;
                };
                if recent.valid && recent.matched[..] == line[m.range()] {
                    cached = true;
                    return true;
                }
                regex.captures_read_at(locations, line, m.start()).is_some()
            })
        } else {
            rule.patterns.iter().position(|p| p.is_match(line))
        };
        let Some(pattern) = hit else {
            continue;
        };
        if let Some(exception) = &rule.exception {
            match last {
                None => return Some(Found::Deferred(id)),
                Some(last) if !exception.is_match(last) => continue,
                Some(_) => {}
            }
        }
        scratch.key.clear();
        if rule.window_key.is_keyed() {
            let recent = scratch.recent[id][pattern].as_mut();
            let locations = scratch.locations[id][pattern].as_ref();
            match (recent, locations) {
                (Some(recent), _) if cached => scratch.key.extend_from_slice(&recent.key),
                (_, None) => {}
                (recent, Some(locations)) => {
                    rule.window_key.render(
                        &rule.patterns[pattern],
                        locations,
                        line,
                        &mut scratch.key,
                    );
                    if let (Some(recent), Some((start, end))) = (recent, locations.get(0)) {
                        recent.matched.clear();
                        recent.matched.extend_from_slice(&line[start..end]);
                        recent.key.clear();
                        recent.key.extend_from_slice(&scratch.key);
                        recent.valid = true;
                    }
                }
            }
        }
        return Some(Found::Rule(id, &scratch.key));
    }
    None
}
