//! [`Pattern`]: a rule's regex, compiled when first matched. A built-in
//! pack's patterns are compiled and tested when the crate is built (and by
//! `logdedup check` in CI), so a run compiles only those of the rules a
//! line reaches: compiling every pattern of the default packs was most of
//! start-up. A user's patterns are compiled when loaded, so their errors
//! are reported then.

use regex::bytes::{Regex, RegexBuilder};
use std::ops::Deref;
use std::sync::OnceLock;

/// Most bytes of a compiled pattern program (per pattern) and of the lazy
/// DFA cache: a hostile pattern is refused instead of eating memory.
pub(crate) const PATTERN_SIZE_LIMIT: usize = 10 << 20;
/// Lazy DFA cache per pattern.
pub(crate) const PATTERN_DFA_LIMIT: usize = 2 << 20;

/// A regex and its text, compiled now or on first use.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: String,
    ignore_case: bool,
    regex: OnceLock<Regex>,
    /// The groups' names, by index (0 is the whole match), read from the
    /// pattern's syntax when asked before it is compiled.
    names: OnceLock<Vec<Option<String>>>,
}

impl Pattern {
    /// A pattern already compiled.
    pub(crate) fn compiled(regex: Regex, ignore_case: bool) -> Pattern {
        Pattern {
            text: regex.as_str().to_owned(),
            ignore_case,
            regex: OnceLock::from(regex),
            names: OnceLock::new(),
        }
    }

    /// A pattern compiled when first used; `text` must be known to compile
    /// (a built-in pack's).
    pub(crate) fn deferred(text: &str, ignore_case: bool) -> Pattern {
        Pattern {
            text: text.to_owned(),
            ignore_case,
            regex: OnceLock::new(),
            names: OnceLock::new(),
        }
    }

    /// The pattern as written, without compiling it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The name of each capturing group, by index (the first, the whole
    /// match, has none), as [`Regex::capture_names`] gives them, without
    /// compiling the pattern.
    pub fn capture_names(&self) -> impl Iterator<Item = Option<&str>> {
        let names = self.names.get_or_init(|| match self.regex.get() {
            Some(regex) => regex
                .capture_names()
                .map(|n| n.map(str::to_owned))
                .collect(),
            None => group_names(&self.text),
        });
        names.iter().map(Option::as_deref)
    }

    /// How many groups the pattern has, the whole match included.
    pub fn captures_len(&self) -> usize {
        self.capture_names().count()
    }

    /// The compiled regex.
    pub fn regex(&self) -> &Regex {
        self.regex
            .get_or_init(|| build(&self.text, self.ignore_case).unwrap_or_else(|_| never()))
    }
}

impl Deref for Pattern {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.regex()
    }
}

/// The capturing groups' names of `text` by index, read from its syntax
/// tree (a pattern that does not parse has only the whole match).
fn group_names(text: &str) -> Vec<Option<String>> {
    use regex_syntax::hir::{Hir, HirKind};
    fn walk(hir: &Hir, out: &mut Vec<Option<String>>) {
        match hir.kind() {
            HirKind::Capture(c) => {
                let i = c.index as usize;
                if out.len() <= i {
                    out.resize(i + 1, None);
                }
                out[i] = c.name.as_deref().map(str::to_owned);
                walk(&c.sub, out);
            }
            HirKind::Concat(parts) | HirKind::Alternation(parts) => {
                for p in parts {
                    walk(p, out);
                }
            }
            HirKind::Repetition(r) => walk(&r.sub, out),
            _ => {}
        }
    }
    let mut out = vec![None];
    if let Ok(hir) = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(text)
    {
        walk(&hir, &mut out);
    }
    out
}

/// Compiles `text` with the limits every regex of a rule file gets.
pub(crate) fn build(text: &str, ignore_case: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(text)
        .case_insensitive(ignore_case)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_DFA_LIMIT)
        .build()
}

/// A regex that matches nothing: what a deferred pattern that fails to
/// compile becomes. Only a built-in pattern is deferred, and every one is
/// compiled by the tests, so this is a guard, not a path.
fn never() -> Regex {
    static NEVER: OnceLock<Regex> = OnceLock::new();
    NEVER
        .get_or_init(|| Regex::new("[a&&b]").expect("an empty class compiles"))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deferred_pattern_compiles_on_first_use_with_its_options() {
        let p = Pattern::deferred("socket\\.send", true);
        assert!(p.regex.get().is_none());
        assert_eq!(p.as_str(), "socket\\.send");
        assert!(p.regex.get().is_none(), "as_str does not compile");
        assert!(p.is_match(b"SOCKET.SEND() raised"));
        assert!(p.regex.get().is_some());
    }

    #[test]
    fn a_deferred_pattern_that_cannot_compile_matches_nothing() {
        let p = Pattern::deferred("(unclosed", false);
        assert!(!p.is_match(b"(unclosed"));
        assert!(!p.is_match(b""));
    }

    #[test]
    fn group_names_are_read_without_compiling_as_the_regex_gives_them() {
        for text in [
            r"Retrying (?P<method>\S+) due to: (?:(?P<err>\w+)|(x))+ (y)?",
            r"no groups",
            r"(a)(?<b>b)((?P<c>c)|d)*",
        ] {
            let p = Pattern::deferred(text, false);
            let names: Vec<Option<&str>> = p.capture_names().collect();
            assert!(p.regex.get().is_none(), "read without compiling");
            let regex = Regex::new(text).unwrap();
            assert_eq!(names, regex.capture_names().collect::<Vec<_>>(), "{text}");
            assert_eq!(p.captures_len(), regex.captures_len());
        }
    }

    #[test]
    fn a_compiled_pattern_keeps_its_text() {
        let p = Pattern::compiled(Regex::new("a+b").unwrap(), false);
        assert_eq!(p.as_str(), "a+b");
        assert!(p.is_match(b"xaab"));
    }
}
