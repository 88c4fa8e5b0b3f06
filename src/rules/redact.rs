//! Redaction: `[[redact]]` rules rewrite instead of suppressing. The
//! matched span (or the group named `secret`, so the context around it
//! stays readable) becomes a fixed text and the line passes on; later rules
//! see the rewritten line. [`Redactor`] holds every redaction of a load,
//! a cheap search for the lines that may hold a secret (most hold none),
//! and the rewriting itself.

use regex::bytes::{CaptureLocations, Regex};
use regex_automata::util::prefilter::Prefilter;
use regex_syntax::hir::{Class, Hir, HirKind};

use super::needles::{flatten_concat, pattern_needles};

/// What a redaction writes in place of a secret unless it says otherwise.
pub const DEFAULT_REPLACEMENT: &str = "<redacted>";

/// Most bytes of an over-long line held back while it is streamed, so that
/// a secret cut in two by a read can still be masked: patterns that can
/// match more than this are masked only within a piece.
pub const MAX_CARRY: usize = 4096;

/// A compiled `[[redact]]` rule.
#[derive(Clone, Debug)]
pub struct Redaction {
    /// Unique name across all loaded files (rules and redactions).
    pub name: String,
    /// Its patterns; every match of any of them is masked.
    pub(crate) patterns: Vec<super::pattern::Pattern>,
    /// Per pattern: the index of its group `secret`, if it has one.
    pub(crate) secret: Vec<Option<usize>>,
    /// What a secret becomes.
    pub(crate) replace: Vec<u8>,
    /// Where it was defined: `FILE:LINE`.
    pub origin: String,
}

/// A byte set, for the guards around a one-byte literal.
type ByteClass = [bool; 256];

/// The shortest window worth the skipping search: a shorter one stops every
/// few bytes of ordinary text (a timestamp's digits make runs of eight),
/// and `memchr` for its literal is then faster. The token's window is 41.
const SKIP_WINDOW: usize = 24;

/// A short literal with what must stand around it: for a pattern such as
/// `[0-9]{6,12}:[A-Za-z0-9_-]{35}`, a `:` with six digits before it and 35
/// token characters after. Such a match is a run of at least `window`
/// bytes that all belong to `run` (the bytes of either class and of the
/// literal), and ordinary log text breaks runs with spaces and punctuation
/// every few bytes: the search looks at the last byte of a window first and
/// skips a whole window past a byte outside the run, so a log full of
/// timestamp colons costs a look at every few dozen bytes instead of a stop
/// at every colon.
#[derive(Clone, Debug)]
struct Guard {
    literal: Vec<u8>,
    before: Option<(Box<ByteClass>, usize)>,
    after: Option<(Box<ByteClass>, usize)>,
    /// The bytes a match is made of.
    run: Box<ByteClass>,
    /// The fewest bytes a match spans: before, literal and after.
    window: usize,
}

impl Guard {
    fn new(
        literal: Vec<u8>,
        before: Option<(Box<ByteClass>, usize)>,
        after: Option<(Box<ByteClass>, usize)>,
    ) -> Guard {
        let mut run = Box::new([false; 256]);
        for b in &literal {
            run[usize::from(*b)] = true;
        }
        for (class, _) in before.iter().chain(&after) {
            for (b, inside) in class.iter().enumerate() {
                run[b] |= *inside;
            }
        }
        let window =
            before.as_ref().map_or(0, |b| b.1) + literal.len() + after.as_ref().map_or(0, |a| a.1);
        Guard {
            literal,
            before,
            after,
            run,
            window,
        }
    }

    /// The first literal at or after `from` (and before `limit`) whose
    /// surroundings fit. Linear in the bytes looked at: each byte of the
    /// text is read at most twice by the skipping search.
    fn find(&self, hay: &[u8], from: usize, limit: usize) -> Option<usize> {
        if self.window < SKIP_WINDOW {
            return self.find_each(hay, from, limit);
        }
        let limit = limit.min(hay.len());
        let lead = self.before.as_ref().map_or(0, |b| b.1);
        // A literal at `i` has its window at `i - lead .. i - lead + window`.
        let mut i = from.max(lead);
        // The bytes from the window's start up to `good` are known run bytes.
        let mut good = 0;
        while i < limit {
            let start = i - lead;
            let end = start + self.window;
            if end > hay.len() {
                // At the end of the text a secret may be cut off, which
                // `fits` lets through: the rest is looked at colon by colon.
                return self.find_each(hay, i, limit);
            }
            if let Some(space) = self.last_space(&hay[end - 8..end]) {
                // No window that holds this space can match; the bytes
                // after it were not looked at.
                i = end - 8 + space + 1 + lead;
                good = 0;
                continue;
            }
            let lo = good.max(start);
            match hay[lo..end]
                .iter()
                .rposition(|&b| !self.run[usize::from(b)])
            {
                // No window that holds this byte can match.
                Some(q) => i = lo + q + 1 + lead,
                None => {
                    if hay[i..].starts_with(&self.literal) && self.fits(hay, i) {
                        return Some(i);
                    }
                    i += 1;
                }
            }
            good = end;
        }
        None
    }

    /// The index of the last space in `eight` (eight bytes), when a space
    /// cannot be part of a match: text breaks its runs with spaces more
    /// than with anything else, and eight bytes are looked at in one step.
    fn last_space(&self, eight: &[u8]) -> Option<usize> {
        if self.run[usize::from(b' ')] {
            return None;
        }
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(eight).ok()?);
        // A byte of `diff` is zero where `word` holds a space; the high
        // bit of each byte of `nonzero` is set where it is not (no carry
        // crosses bytes, so the answer is exact).
        let diff = word ^ 0x2020_2020_2020_2020;
        let nonzero = ((diff & 0x7f7f_7f7f_7f7f_7f7f) + 0x7f7f_7f7f_7f7f_7f7f) | diff;
        let spaces = !nonzero & 0x8080_8080_8080_8080;
        (spaces != 0).then(|| (63 - spaces.leading_zeros() as usize) / 8)
    }

    /// [`Guard::find`] by stopping at each occurrence of the literal's
    /// first byte.
    fn find_each(&self, hay: &[u8], from: usize, limit: usize) -> Option<usize> {
        let first = *self.literal.first()?;
        let limit = limit.min(hay.len());
        if from >= limit {
            return None;
        }
        memchr::memchr_iter(first, &hay[from..limit])
            .map(|i| from + i)
            .find(|&i| self.fits(hay, i))
    }

    /// Whether the literal whose first byte is at `i` is there with its
    /// surroundings. The byte before it is looked at first: on a log full
    /// of timestamps that settles almost every colon at once.
    fn fits(&self, hay: &[u8], i: usize) -> bool {
        if let Some((class, min)) = &self.before {
            // Not enough bytes before it: it cannot match here.
            if i < *min || !hay[i - min..i].iter().rev().all(|&b| class[usize::from(b)]) {
                return false;
            }
        }
        // The first byte is the one searched for.
        let rest = &self.literal[1..];
        if hay.get(i + 1..i + self.literal.len()) != Some(rest) {
            return false;
        }
        if let Some((class, min)) = &self.after {
            let start = i + self.literal.len();
            let end = (start + min).min(hay.len());
            // A secret cut off by the end of the text is a candidate still.
            if !hay[start..end].iter().all(|&b| class[usize::from(b)]) {
                return false;
            }
        }
        true
    }
}

/// Every redaction of a load and the search for lines that may need one.
#[derive(Debug, Default)]
pub struct Redactor {
    redactions: Vec<Redaction>,
    /// The literal needles of the patterns that have good ones.
    literals: Option<Prefilter>,
    /// Patterns searched for by a short literal and its surroundings.
    guards: Vec<Guard>,
    /// Some pattern has neither: every line is a candidate.
    every_line: bool,
    /// How much of a streamed over-long line to hold back.
    carry: usize,
}

impl Redactor {
    /// The search over `redactions` (in load order).
    pub(crate) fn new(redactions: Vec<Redaction>) -> Redactor {
        let mut needles = Vec::new();
        let mut guards = Vec::new();
        let mut every_line = false;
        let mut carry = 0;
        for regex in redactions.iter().flat_map(|r| &r.patterns) {
            let Ok(hir) = regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(regex.as_str())
            else {
                every_line = true;
                continue;
            };
            carry = carry.max(
                hir.properties()
                    .maximum_len()
                    .unwrap_or(MAX_CARRY)
                    .min(MAX_CARRY),
            );
            match pattern_needles(&hir) {
                Some(n) if n.needles.iter().all(|l| l.len() >= 3) => needles.extend(n.needles),
                _ => match guard_of(&hir) {
                    Some(guard) => guards.push(guard),
                    None => every_line = true,
                },
            }
        }
        let literals = if needles.is_empty() {
            None
        } else {
            let built = Prefilter::new(regex_automata::MatchKind::LeftmostFirst, &needles);
            every_line |= built.is_none();
            built
        };
        Redactor {
            redactions,
            literals,
            guards,
            every_line,
            carry,
        }
    }

    /// The redactions, in the order they apply.
    pub fn redactions(&self) -> &[Redaction] {
        &self.redactions
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.redactions.is_empty()
    }

    /// How many bytes of a streamed over-long line must wait for the next
    /// piece, so that a secret across two pieces is masked whole.
    pub fn carry(&self) -> usize {
        self.carry
    }

    /// A position at or after `from` in `hay` where a secret may be: its
    /// line must be looked at. `None`: no line of `hay[from..]` holds one.
    pub fn next_candidate(&self, hay: &[u8], from: usize) -> Option<usize> {
        if self.redactions.is_empty() || from >= hay.len() {
            return None;
        }
        if self.every_line {
            return Some(from);
        }
        let mut best = self
            .literals
            .as_ref()
            .and_then(|p| p.find(hay, regex_automata::Span::from(from..hay.len())))
            .map(|span| span.start);
        for guard in &self.guards {
            let limit = best.unwrap_or(hay.len());
            if let Some(at) = guard.find(hay, from, limit) {
                best = Some(at);
            }
        }
        best
    }

    /// Masks every secret in `text`, the redactions applied in order, each
    /// seeing what the ones before it left. The masked text is left in
    /// `scratch.out` when something was masked (the result); masks are
    /// counted per redaction into `counts`. Nothing is allocated once the
    /// scratch buffers have grown.
    pub fn apply(&self, text: &[u8], scratch: &mut RedactScratch, counts: &mut [u64]) -> bool {
        self.apply_before(text, None, scratch, counts).0
    }

    /// [`Redactor::apply`] for text that may go on: only secrets that end
    /// at or before `limit` are masked, and the returned cut is where the
    /// first secret reaching past it starts (or `limit`), in the masked
    /// text's bytes. What follows the cut is left as it was, to be masked
    /// once the rest of it is known.
    pub(crate) fn apply_before(
        &self,
        text: &[u8],
        limit: Option<usize>,
        scratch: &mut RedactScratch,
        counts: &mut [u64],
    ) -> (bool, Option<usize>) {
        let mut masked = false;
        let mut limit = limit;
        for (id, redaction) in self.redactions.iter().enumerate() {
            for (i, regex) in redaction.patterns.iter().enumerate() {
                let current: &[u8] = if masked { &scratch.out } else { text };
                let Some(first) = regex.find(current) else {
                    continue;
                };
                let how = Mask {
                    regex,
                    secret: redaction.secret[i],
                    replace: &redaction.replace,
                };
                let (n, cut) = how.run(
                    current,
                    first.start(),
                    limit,
                    &mut scratch.locations,
                    &mut scratch.spare,
                );
                limit = cut;
                if n == 0 {
                    continue;
                }
                if let Some(c) = counts.get_mut(id) {
                    *c += n;
                }
                std::mem::swap(&mut scratch.out, &mut scratch.spare);
                masked = true;
            }
        }
        (masked, limit)
    }
}

/// Buffers for [`Redactor::apply`]: the masked text is in `out`.
#[derive(Debug, Default)]
pub struct RedactScratch {
    /// The masked text after a successful [`Redactor::apply`].
    pub out: Vec<u8>,
    spare: Vec<u8>,
    locations: Option<CaptureLocations>,
}

/// One pattern of a redaction, masking.
struct Mask<'r> {
    regex: &'r Regex,
    secret: Option<usize>,
    replace: &'r [u8],
}

impl Mask<'_> {
    /// Writes `text` with every match (from `from` on) masked into `into`;
    /// returns how many were masked and the limit in `into`'s bytes (see
    /// [`Redactor::apply_before`]). The search goes on from the end of each
    /// secret, not of the whole match, so context a pattern consumed around
    /// one secret (a boundary character) is there for the next.
    fn run(
        &self,
        text: &[u8],
        from: usize,
        limit: Option<usize>,
        locations: &mut Option<CaptureLocations>,
        into: &mut Vec<u8>,
    ) -> (u64, Option<usize>) {
        into.clear();
        let locs = match locations {
            Some(l) if l.len() == self.regex.captures_len() => l,
            _ => locations.insert(self.regex.capture_locations()),
        };
        let (mut written, mut at, mut count) = (0, from, 0);
        let mut stop = limit;
        while at <= text.len() && self.regex.captures_read_at(locs, text, at).is_some() {
            let (Some((match_start, match_end)), Some((start, end))) = (
                locs.get(0),
                locs.get(self.secret.unwrap_or(0)).or_else(|| locs.get(0)),
            ) else {
                break;
            };
            if let Some(l) = limit {
                if match_end > l {
                    // Not known whole yet: stop here, before it.
                    stop = Some(l.min(match_start));
                    break;
                }
            }
            if end == start {
                // An empty secret masks nothing; step on.
                at = end + 1;
                continue;
            }
            into.extend_from_slice(&text[written..start]);
            into.extend_from_slice(self.replace);
            written = end;
            at = end;
            count += 1;
        }
        // The limit in the masked text: every mask is before it.
        let stop = stop.map(|l| into.len() + l.saturating_sub(written));
        into.extend_from_slice(&text[written..]);
        (count, stop)
    }
}

/// The guard of a pattern whose best literal is too short to search for
/// alone: a literal with a run of a byte class (at least once) beside it.
fn guard_of(hir: &Hir) -> Option<Guard> {
    let mut parts = Vec::new();
    flatten_concat(hir, &mut parts);
    let mut best: Option<(usize, Guard)> = None;
    for (i, part) in parts.iter().enumerate() {
        let HirKind::Literal(lit) = part.kind() else {
            continue;
        };
        let before = i.checked_sub(1).and_then(|j| class_run(&parts[j]));
        let after = parts.get(i + 1).and_then(class_run);
        let strength = before.as_ref().map_or(0, |b| b.1) + after.as_ref().map_or(0, |a| a.1);
        if strength == 0 || best.as_ref().is_some_and(|(s, _)| *s >= strength) {
            continue;
        }
        best = Some((strength, Guard::new(lit.0.to_vec(), before, after)));
    }
    best.map(|(_, guard)| guard)
}

/// A class repeated at least once (or a capture of one): its bytes and
/// how many times it must occur, at most 64 of them checked.
fn class_run(hir: &Hir) -> Option<(Box<ByteClass>, usize)> {
    match hir.kind() {
        HirKind::Class(class) => Some((byte_class(class)?, 1)),
        HirKind::Repetition(rep) if rep.min >= 1 => match rep.sub.kind() {
            HirKind::Class(class) => {
                Some((byte_class(class)?, usize::try_from(rep.min).ok()?.min(64)))
            }
            _ => None,
        },
        HirKind::Capture(capture) => class_run(&capture.sub),
        _ => None,
    }
}

/// The bytes a class matches as the first byte of a match; `None` for a
/// class with non-ASCII characters (its UTF-8 bytes are not one byte each).
fn byte_class(class: &Class) -> Option<Box<ByteClass>> {
    let mut set = Box::new([false; 256]);
    match class {
        Class::Bytes(bytes) => {
            for range in bytes.ranges() {
                for b in range.start()..=range.end() {
                    set[usize::from(b)] = true;
                }
            }
        }
        Class::Unicode(unicode) => {
            for range in unicode.ranges() {
                if !range.end().is_ascii() {
                    return None;
                }
                for c in range.start()..=range.end() {
                    set[c as usize] = true;
                }
            }
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(patterns: &[&str]) -> Redactor {
        let patterns: Vec<super::super::pattern::Pattern> = patterns
            .iter()
            .map(|p| super::super::pattern::Pattern::compiled(Regex::new(p).unwrap(), false))
            .collect();
        let secret = patterns
            .iter()
            .map(|p| p.capture_names().position(|n| n == Some("secret")))
            .collect();
        Redactor::new(vec![Redaction {
            name: "t".into(),
            patterns,
            secret,
            replace: b"<redacted>".to_vec(),
            origin: "t.toml:1".into(),
        }])
    }

    const TOKEN: &str =
        r"(?-u)(?:^|[^0-9])(?P<secret>[0-9]{6,12}:[A-Za-z0-9_-]{34,35})(?:[^A-Za-z0-9_-]|$)";

    fn masked(r: &Redactor, text: &str) -> Option<String> {
        let mut scratch = RedactScratch::default();
        let mut counts = vec![0; 1];
        r.apply(text.as_bytes(), &mut scratch, &mut counts)
            .then(|| String::from_utf8(scratch.out).unwrap())
    }

    #[test]
    fn the_token_pattern_is_searched_by_a_guarded_colon() {
        let r = redactor(&[TOKEN]);
        assert!(!r.every_line);
        assert_eq!(r.guards.len(), 1);
        let hay = b"2025-11-20 16:32:54,123 - x - INFO - HTTP Request: POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getUpdates\n";
        let at = r.next_candidate(hay, 0).unwrap();
        assert_eq!(hay[at], b':');
        assert_eq!(&hay[at - 9..at], b"123456789");
        let clean = b"2025-11-20 16:32:54,123 - x - INFO - user 12345678: said hi\n";
        assert_eq!(r.next_candidate(clean, 0), None);
    }

    #[test]
    fn tokens_are_masked_everywhere_and_near_misses_are_not() {
        let r = redactor(&[TOKEN]);
        let t = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
        assert_eq!(
            masked(&r, &format!("https://api.telegram.org/bot{t}/getMe")).as_deref(),
            Some("https://api.telegram.org/bot<redacted>/getMe")
        );
        assert_eq!(
            masked(&r, &format!("TOKEN={t}")).as_deref(),
            Some("TOKEN=<redacted>")
        );
        assert_eq!(
            masked(&r, &format!("{t} {t}")).as_deref(),
            Some("<redacted> <redacted>")
        );
        for clean in [
            "message 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs (34 chars)",
            "sha 1234567:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "2025-11-20 16:32:54,123 msg_id=7234567890123456789",
            "chat -1001234567890: 12:00:00",
        ] {
            assert_eq!(masked(&r, clean), None, "{clean}");
        }
    }

    proptest::proptest! {
        /// The skipping search finds what stopping at every colon finds,
        /// on text made of few bytes so that runs, colons and near-tokens
        /// are common, from any start and up to any limit.
        #[test]
        fn the_skipping_guard_search_finds_what_each_colon_finds(
            hay in proptest::collection::vec(
                proptest::sample::select(b"0123456789::aA_- .".to_vec()), 0..300),
            from in 0usize..320,
            limit in 0usize..320,
        ) {
            for pattern in [TOKEN, r"(?P<secret>[0-9]{2,3}:[a-z]{3})", r":[aA0-9]{4}"] {
                let r = redactor(&[pattern]);
                proptest::prop_assert_eq!(r.guards.len(), 1, "{}", pattern);
                for guard in &r.guards {
                    proptest::prop_assert_eq!(
                        guard.find(&hay, from, limit),
                        guard.find_each(&hay, from, limit),
                        "{}", pattern
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_literal_uses_the_literal_search() {
        let r = redactor(&[r"password=(?P<secret>\S+)"]);
        assert!(r.literals.is_some() && r.guards.is_empty() && !r.every_line);
        assert_eq!(
            masked(&r, "db password=hunter2 ok").as_deref(),
            Some("db password=<redacted> ok")
        );
    }
}
