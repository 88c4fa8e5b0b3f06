//! What a rule matches: the whole line (`pattern`, `patterns`), or the
//! message of a record whose logger and level fit (`body`, `bodies`, with
//! `loggers`, `levels` and `bare`). Checked here, one mistake at a time,
//! at its place in the file.

use std::ops::Range;
use toml::Spanned;

use super::raw::RawRule;
use super::rule::{LoggerName, MessageFilter, Target};
use crate::records::Level;

/// A rule's pattern texts, and where its name is (for a rule that has
/// none).
pub(super) struct PatternTexts<'r> {
    pub pattern: Option<&'r Spanned<String>>,
    pub patterns: Option<&'r Spanned<Vec<Spanned<String>>>>,
    pub name: Range<usize>,
    /// The keys, for messages: `pattern`/`patterns` or `body`/`bodies`.
    pub keys: (&'static str, &'static str),
}

/// An error at a place in the rule.
pub(super) type ErrAt<'e> = dyn Fn(Range<usize>, String) -> anyhow::Error + 'e;

/// The rule's target and the pattern texts to compile for it.
pub(super) fn target<'r>(
    rule: &'r RawRule,
    err: &ErrAt,
) -> anyhow::Result<(PatternTexts<'r>, Target)> {
    let line = rule.pattern.is_some() || rule.patterns.is_some();
    let message = rule.body.is_some() || rule.bodies.is_some();
    if line && message {
        let span = rule.body.as_ref().map_or_else(
            || rule.bodies.as_ref().map_or(rule.name.span(), Spanned::span),
            Spanned::span,
        );
        return Err(err(
            span,
            "set `pattern` (the whole line) or `body` (the message), not both".into(),
        ));
    }
    if !message {
        for (key, span) in [
            ("loggers", rule.loggers.as_ref().map(Spanned::span)),
            ("levels", rule.levels.as_ref().map(Spanned::span)),
        ] {
            if let Some(span) = span {
                return Err(err(
                    span,
                    format!("`{key}` needs `body` (a pattern on the message): `pattern` sees the whole line"),
                ));
            }
        }
        if rule.bare.is_some() {
            return Err(err(rule.name.span(), "`bare` needs `body`".into()));
        }
        let texts = PatternTexts {
            pattern: rule.pattern.as_ref(),
            patterns: rule.patterns.as_ref(),
            name: rule.name.span(),
            keys: ("pattern", "patterns"),
        };
        return Ok((texts, Target::Line));
    }
    let loggers = match &rule.loggers {
        Some(list) => list
            .get_ref()
            .iter()
            .map(|l| {
                LoggerName::parse(l.get_ref()).ok_or_else(|| {
                    err(
                        l.span(),
                        format!(
                            "loggers: {:?} is not a logger name (a dotted Python name such as \
                             telethon.network.mtprotosender, or a prefix such as telethon.*)",
                            l.get_ref()
                        ),
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let levels = match &rule.levels {
        Some(list) => list
            .get_ref()
            .iter()
            .map(|l| {
                Level::parse(l.get_ref().as_bytes()).ok_or_else(|| {
                    err(
                        l.span(),
                        format!(
                            "levels: {:?} is not a level (DEBUG, INFO, WARNING, ERROR, CRITICAL, \
                             TRACE, SUCCESS)",
                            l.get_ref()
                        ),
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let filter = MessageFilter {
        // A rule that names no logger takes any record; one that does
        // takes a record without a logger only when it says so.
        bare: rule.bare.unwrap_or(loggers.is_empty()),
        loggers,
        levels,
    };
    let texts = PatternTexts {
        pattern: rule.body.as_ref(),
        patterns: rule.bodies.as_ref(),
        name: rule.name.span(),
        keys: ("body", "bodies"),
    };
    Ok((texts, Target::Message(filter)))
}
