//! The combined matcher: one automaton over every pattern of every rule,
//! a literal search that finds candidate lines in a whole buffer, and the
//! per-rule confirmation that names the winning rule and renders its key.
//! Matching allocates nothing: scratch space is reused across lines.

use anyhow::{Context, Result};
use regex::bytes::{CaptureLocations, Regex};
use regex_automata::{meta, util::prefilter::Prefilter, util::syntax, Input};

use super::Rule;

/// Searches over all rules at once.
#[derive(Debug)]
pub struct Matcher {
    /// One automaton over every pattern of every rule: the common case, a
    /// line that matches nothing, costs a single scan.
    any: meta::Regex,
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
    pub fn new(patterns: &[String]) -> Result<Matcher> {
        let any = meta::Builder::new()
            .syntax(syntax::Config::new().utf8(false))
            .configure(meta::Config::new().utf8_empty(false))
            .build_many(patterns)
            .context("building the combined matcher over all rules")?;
        Ok(Matcher {
            any,
            buffer: buffer_prefilter(patterns),
        })
    }

    /// The buffer search (see [`Matcher::new`]).
    pub fn buffer(&self) -> Option<&Prefilter> {
        self.buffer.as_ref()
    }

    /// Whether any pattern of any rule matches `line`.
    pub fn any_match(&self, line: &[u8]) -> bool {
        self.any.is_match(Input::new(line))
    }
}

/// The first of `rules` matching `line` and the key it belongs to (empty
/// for rules without a key).
pub fn first_match<'s>(
    rules: &[Rule],
    line: &[u8],
    scratch: &'s mut MatchScratch,
) -> Option<(usize, &'s [u8])> {
    for (id, rule) in rules.iter().enumerate() {
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
