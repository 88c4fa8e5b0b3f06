//! The combined matcher: one automaton over every pattern of every rule,
//! a literal search that finds candidate lines in a whole buffer, and the
//! per-rule confirmation that names the winning rule and renders its key.
//! Matching allocates nothing: scratch space is reused across lines.

use regex::bytes::{CaptureLocations, Regex};
use regex_automata::{meta, util::prefilter::Prefilter, util::syntax, Input};

use super::Rule;

/// Most heap for the combined automaton's NFA: past it, rules are matched
/// one by one instead of refusing an ordinary large rule set.
pub const COMBINED_SIZE_LIMIT: usize = 32 << 20;
/// The combined automaton's lazy DFA cache.
const COMBINED_CACHE: usize = 4 << 20;

/// Searches over all rules at once.
#[derive(Debug)]
pub struct Matcher {
    /// One automaton over every pattern of every rule: the common case, a
    /// line that matches nothing, costs a single scan. `None` when the set
    /// is too large for one automaton: then each rule's own patterns are
    /// tried in turn (slower, never wrong).
    any: Option<meta::Regex>,
    /// A literal search for the prefixes of all patterns, to find in a whole
    /// buffer the few lines that may match; `None` when some pattern has no
    /// literal prefix to search for.
    buffer: Option<Prefilter>,
}

/// Scratch space for matching, reused so matching allocates nothing.
#[derive(Debug)]
pub struct MatchScratch {
    locations: Vec<Vec<CaptureLocations>>,
    key: Vec<u8>,
}

impl MatchScratch {
    /// The window key of the last rule matched.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// Scratch space sized for `rules`.
    pub fn new(rules: &[Rule]) -> MatchScratch {
        MatchScratch {
            locations: rules
                .iter()
                .map(|r| r.patterns.iter().map(Regex::capture_locations).collect())
                .collect(),
            key: Vec::new(),
        }
    }
}

impl Matcher {
    /// Builds the combined automaton and buffer search over `patterns`
    /// (every pattern of every rule, as written, `(?i)` added where the
    /// rule ignores case).
    pub fn new(patterns: &[String]) -> Matcher {
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
        Matcher {
            any,
            buffer: buffer_prefilter(patterns),
        }
    }

    /// Whether the combined automaton was built (else rules are tried one
    /// by one).
    pub fn is_combined(&self) -> bool {
        self.any.is_some()
    }

    /// The buffer search (see [`Matcher::new`]).
    pub fn buffer(&self) -> Option<&Prefilter> {
        self.buffer.as_ref()
    }

    /// Whether any pattern of any rule matches `line`.
    pub fn any_match(&self, line: &[u8]) -> bool {
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
/// `line` (without its line ending). `last` is the record's final line
/// when known; `None` defers a rule with `exception` instead of deciding.
pub fn first_match<'s>(
    rules: &[Rule],
    from: usize,
    line: &[u8],
    last: Option<&[u8]>,
    scratch: &'s mut MatchScratch,
) -> Option<Found<'s>> {
    for (id, rule) in rules.iter().enumerate().skip(from) {
        let hit = if rule.window_key.is_keyed() {
            rule.patterns
                .iter()
                .zip(scratch.locations[id].iter_mut())
                .position(|(regex, locs)| regex.captures_read(locs, line).is_some())
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
            rule.window_key.render(
                &rule.patterns[pattern],
                &scratch.locations[id][pattern],
                line,
                &mut scratch.key,
            );
        }
        return Some(Found::Rule(id, &scratch.key));
    }
    None
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
