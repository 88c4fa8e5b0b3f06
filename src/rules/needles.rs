//! Literal needles: for each pattern, the rarest set of literals one of
//! which every match contains, so that a whole buffer can be searched for
//! the few lines a pattern may match (the rules' buffer search, and the
//! redactions' candidates).

use regex_automata::{util::prefilter::Prefilter, util::syntax};
use regex_syntax::hir::literal::{rank, ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Hir, HirKind};

/// For each pattern, the literals one of which every match contains (see
/// [`pattern_needles`]); `None` for a pattern that does not parse or has
/// no such set. Worked out once per pattern: the buffer searches are built
/// from these.
pub(super) fn needle_sets(patterns: &[String]) -> Vec<Option<Vec<Vec<u8>>>> {
    let config = syntax::Config::new().utf8(false);
    patterns
        .iter()
        .map(|p| {
            let hir = regex_automata::util::syntax::parse_with(p, &config).ok()?;
            pattern_needles(&hir).map(|n| n.needles)
        })
        .collect()
}

/// [`needle_sets`] for the patterns on a record's message, each needle cut
/// to its longest run of bytes a JSON line writes as they are. The buffer
/// search looks at the raw line, and a JSON layout's message is escaped
/// there: `"`, `\\`, control characters and (python-json-logger's
/// `ensure_ascii`) every non-ASCII character. A needle holding one would
/// miss the line (PTB's `Can not load invalid JSON data: "` in a JSON
/// line); a piece of a needle is in every match the needle is in.
pub(super) fn message_needle_sets(patterns: &[String]) -> Vec<Option<Vec<Vec<u8>>>> {
    needle_sets(patterns)
        .into_iter()
        .map(|set| set?.into_iter().map(json_verbatim).collect())
        .collect()
}

/// The longest run of `needle` that JSON leaves unescaped; `None` when
/// there is none.
fn json_verbatim(needle: Vec<u8>) -> Option<Vec<u8>> {
    let escaped = |b: &u8| matches!(b, b'"' | b'\\' | 0..=0x1f | 0x80..=0xff);
    if !needle.iter().any(escaped) {
        return Some(needle);
    }
    let piece = needle.split(escaped).max_by_key(|p| p.len())?;
    (!piece.is_empty()).then(|| piece.to_vec())
}

/// A literal search that finds, in a buffer of many lines, every line some
/// pattern may match: the union of the patterns' needle sets (from
/// [`needle_sets`]), chosen for selectivity rather than position. `None`
/// when some pattern has no such set (then lines are matched one by one).
pub(super) fn buffer_prefilter<'a>(
    sets: impl IntoIterator<Item = &'a Option<Vec<Vec<u8>>>>,
) -> Option<Prefilter> {
    let mut needles: Vec<Vec<u8>> = Vec::new();
    for set in sets {
        needles.extend(set.as_ref()?.iter().cloned());
    }
    needles.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    needles.dedup();
    // A needle that contains a shorter one finds nothing the shorter misses:
    // dropping it shrinks the searcher and its verification work.
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(needles.len());
    for needle in needles {
        if !kept.iter().any(|k| contains(&needle, k)) {
            kept.push(needle);
        }
    }
    Prefilter::new(regex_automata::MatchKind::LeftmostFirst, &kept)
}

/// Whether `needle` occurs in `hay`. Needles are short and few, and
/// building a searcher for each test cost more than the test.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// The needles chosen for one pattern and their estimated cost: the sum,
/// over needles, of the chance that a byte position of a typical log
/// starts a hit of the searcher (which looks at a needle's first bytes).
#[derive(Debug)]
pub(super) struct Needles {
    pub needles: Vec<Vec<u8>>,
    pub cost: f64,
}

/// Longest needle prefix that the searcher's fingerprint looks at.
const FINGERPRINT: usize = 4;
/// A needle is cut to start at its rarest bytes, but keeps at least this
/// many bytes (or the whole literal) so that hits are rarely false.
const MIN_NEEDLE: usize = 8;
/// Words on a large share of log lines (level names, exception classes):
/// never worth searching for.
const COMMON_WORDS: [&[u8]; 11] = [
    b"CRITICAL",
    b"DEBUG",
    b"ERROR",
    b"FATAL",
    b"INFO",
    b"TRACE",
    b"WARN",
    b"Error",
    b"Exception",
    b"Traceback",
    b"File",
];

/// The most selective set of literals one of which every match of `hir`
/// contains: a perf profile of the default packs showed whole-buffer
/// search drowning in candidates when the literal was the pattern's prefix
/// (` - `, `[`, `ERROR:`, a logger name such as `pyrogram.`), since those
/// occur on most lines of a bot's log. So every literal set the pattern
/// requires is considered (its prefixes and suffixes, and those of each
/// run of its top-level pieces, e.g. the message after a `.*`), and the
/// one the estimated byte frequencies say is rarest wins.
pub(super) fn pattern_needles(hir: &Hir) -> Option<Needles> {
    let mut best: Option<Needles> = None;
    let mut consider = |candidate: Option<Needles>| {
        if let Some(c) = candidate {
            if best.as_ref().is_none_or(|b| c.cost < b.cost) {
                best = Some(c);
            }
        }
    };
    consider(needles_of(extract(hir, ExtractKind::Prefix)));
    consider(needles_of(extract(hir, ExtractKind::Suffix)));
    match hir.kind() {
        HirKind::Capture(capture) => consider(pattern_needles(&capture.sub)),
        HirKind::Concat(_) => {
            let mut parts = Vec::new();
            flatten_concat(hir, &mut parts);
            // A required literal of any run of pieces is required of the
            // whole: the literals the tail from piece i starts with, those
            // the head up to piece j ends with, and each piece's own. Only
            // runs that start (end) with a literal or a small class are
            // tried: others give an infinite or a larger set, and trying
            // every run cost a third of start-up.
            for i in 1..parts.len() {
                if literal_edge(&parts[i]) {
                    let tail = Hir::concat(parts[i..].to_vec());
                    consider(needles_of(extract(&tail, ExtractKind::Prefix)));
                }
            }
            for j in 0..parts.len().saturating_sub(1) {
                if literal_edge(&parts[j]) {
                    let head = Hir::concat(parts[..=j].to_vec());
                    consider(needles_of(extract(&head, ExtractKind::Suffix)));
                }
            }
            // A piece's own best set, for the pieces that hold more than
            // the runs above see (a literal or a class is one of them).
            for part in &parts {
                if !matches!(
                    part.kind(),
                    HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) | HirKind::Empty
                ) {
                    consider(pattern_needles(part));
                }
            }
        }
        HirKind::Alternation(branches) => {
            // Every match matches some branch: the union of their best sets.
            let mut union = Needles {
                needles: Vec::new(),
                cost: 0.0,
            };
            for branch in branches {
                let Some(b) = pattern_needles(branch) else {
                    union.needles.clear();
                    break;
                };
                union.needles.extend(b.needles);
                union.cost += b.cost;
            }
            if !union.needles.is_empty() {
                consider(Some(union));
            }
        }
        _ => {}
    }
    best
}

/// Whether a run of pieces may start or end with `piece` and give a
/// useful literal set: a literal, or a class of a few bytes (`[Ee]`).
fn literal_edge(piece: &Hir) -> bool {
    match piece.kind() {
        HirKind::Literal(_) => true,
        HirKind::Class(class) => class.minimum_len() == Some(1) && class_size(class) <= 4,
        _ => false,
    }
}

/// How many characters (or bytes) a class holds, up to a bound.
fn class_size(class: &regex_syntax::hir::Class) -> u32 {
    match class {
        regex_syntax::hir::Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
            .fold(0, u32::saturating_add),
        regex_syntax::hir::Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
            .sum(),
    }
}

/// The pieces of a concatenation, with nested concatenations and groups
/// around them inlined (a group changes nothing about what must occur).
pub(super) fn flatten_concat(hir: &Hir, out: &mut Vec<Hir>) {
    match hir.kind() {
        HirKind::Concat(parts) => parts.iter().for_each(|p| flatten_concat(p, out)),
        HirKind::Capture(c) if matches!(c.sub.kind(), HirKind::Concat(_)) => {
            flatten_concat(&c.sub, out);
        }
        _ => out.push(hir.clone()),
    }
}

fn extract(hir: &Hir, kind: ExtractKind) -> Seq {
    let prefix = kind.is_prefix();
    let mut seq = Extractor::new().kind(kind).extract(hir);
    if prefix {
        seq.optimize_for_prefix_by_preference();
    } else {
        seq.optimize_for_suffix_by_preference();
    }
    seq
}

/// Needles for a literal set (each literal cut to start at its rarest
/// bytes) and their cost; `None` for an infinite set or one holding the
/// empty literal (every position would be a hit).
fn needles_of(seq: Seq) -> Option<Needles> {
    let literals = seq.literals()?;
    if literals.is_empty()
        || literals
            .iter()
            .any(regex_syntax::hir::literal::Literal::is_empty)
    {
        return None;
    }
    let mut needles: Vec<(Vec<u8>, f64)> =
        literals.iter().map(|l| rarest_cut(l.as_bytes())).collect();
    needles.sort_by(|a, b| a.0.cmp(&b.0));
    needles.dedup_by(|a, b| a.0 == b.0);
    Some(Needles {
        cost: needles.iter().map(|(_, log_p)| log_p.exp2()).sum(),
        needles: needles.into_iter().map(|(n, _)| n).collect(),
    })
}

/// The suffix of `literal` (at least [`MIN_NEEDLE`] bytes long) whose first
/// bytes are rarest, with the log2 of the estimated chance that a position
/// of a log starts with them. Any piece of a required literal is required.
fn rarest_cut(literal: &[u8]) -> (Vec<u8>, f64) {
    let log_p = byte_log_frequencies(literal);
    let keep = literal.len().min(MIN_NEEDLE);
    let score = |s: usize| -> f64 {
        let end = (s + FINGERPRINT).min(literal.len());
        let short = FINGERPRINT.saturating_sub(end - s) as f64;
        // Too short a needle hits everywhere, whatever its bytes.
        log_p[s..end].iter().sum::<f64>() + 8.0 * short
    };
    let start = (0..=literal.len() - keep)
        .min_by(|&a, &b| score(a).total_cmp(&score(b)))
        .unwrap_or(0);
    (literal[start..].to_vec(), score(start))
}

/// log2 of the estimated frequency of each byte of `literal` in a typical
/// log: regex's byte ranking (from a large corpus of text and code), with
/// digits (timestamps, ids), level names and exception-class words with the
/// punctuation around them (`ERROR] - `, `Error `), dotted names and bare
/// lowercase words (`pyrogram.session`, `telegram.ext.Application`: a
/// logger's name is on every line it writes) counted as common.
fn byte_log_frequencies(literal: &[u8]) -> Vec<f64> {
    const COMMON: f64 = -3.0;
    let mut log_p: Vec<f64> = literal
        .iter()
        .map(|&b| {
            let r = if b.is_ascii_digit() { 245 } else { rank(b) };
            COMMON - f64::from(255 - r) / 15.0
        })
        .collect();
    for word in COMMON_WORDS {
        let hits = literal
            .windows(word.len())
            .enumerate()
            .filter(|(_, w)| *w == word)
            .map(|(at, _)| at);
        for at in hits {
            let mut start = at;
            while start > 0 && !literal[start - 1].is_ascii_alphanumeric() {
                start -= 1;
            }
            let mut end = at + word.len();
            while end < literal.len() && !literal[end].is_ascii_alphanumeric() {
                end += 1;
            }
            log_p[start..end].fill(COMMON);
        }
    }
    let name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
    let mut i = 0;
    while i < literal.len() {
        let run = literal[i..].iter().take_while(|&&b| name(b)).count();
        let piece = &literal[i..i + run];
        let lowercase = piece.iter().all(|b| !b.is_ascii_uppercase());
        if run > 0 && (piece.contains(&b'.') || (lowercase && run == literal.len())) {
            for p in &mut log_p[i..i + run] {
                *p = p.max(COMMON - 1.0);
            }
        }
        i += run.max(1);
    }
    log_p
}

#[cfg(test)]
mod json_tests {
    use super::*;

    /// Every needle of a pattern on the message is found in the raw JSON
    /// line that carries a matching message (escaped quotes, backslashes,
    /// control characters and non-ASCII).
    #[test]
    fn message_needles_are_found_in_the_escaped_json_line() {
        let cases = [
            (
                r#"(?:^|\s)said: "hello there"$"#,
                r#"{"message": "said: \"hello there\""}"#,
            ),
            (
                r"^C:\\temp\\logs are full$",
                r#"{"message": "C:\\temp\\logs are full"}"#,
            ),
            ("^page start\r$", r#"{"message": "page start\r"}"#),
            (
                "^caf\u{e9} au lait is cold$",
                r#"{"message": "caf\u00e9 au lait is cold"}"#,
            ),
        ];
        for (pattern, line) in cases {
            let sets = message_needle_sets(&[pattern.to_owned()]);
            let needles = sets[0].as_ref().expect("needles");
            assert!(
                needles.iter().any(|n| contains(line.as_bytes(), n)),
                "{pattern}: {needles:?} not in {line}"
            );
        }
    }

    #[test]
    fn a_needle_without_escapes_is_kept_whole() {
        let plain = needle_sets(&["Retrying the request".to_owned()]);
        assert_eq!(
            message_needle_sets(&["Retrying the request".to_owned()]),
            plain
        );
    }
}
