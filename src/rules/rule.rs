//! One compiled rule: what it matches, how its windows behave, and what
//! its summary says. Built by `validate`, read by the matcher, the
//! pipeline and the summary formatter.

use std::time::Duration;

use super::key::{KeyTemplate, WindowKey};
use super::pattern::Pattern;
use crate::records::{Fields, Level};

/// Most windows one rule keeps open at once unless the rule says otherwise.
pub(crate) const DEFAULT_MAX_KEYS: usize = 10_000;

/// Level printed in a summary when neither the rule nor `[defaults]` sets one.
pub(crate) const DEFAULT_LEVEL: &str = "INFO";

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
    pub(crate) key: Option<KeyTemplate>,
    /// What tells the rule's windows apart: the key, then the groups its
    /// message and note print.
    pub(crate) window_key: WindowKey,
    /// The rule's patterns; a line (or, for a rule on the message, a
    /// message) matching any of them belongs to the rule.
    pub patterns: Vec<Pattern>,
    /// What the patterns see: the whole line, or the message of a record
    /// of the rule's loggers and levels.
    pub on: Target,
    /// With `exception = ...`: the record's final line (its exception)
    /// must match too, so the record is held until it ends.
    pub exception: Option<Pattern>,
    /// Whether the rule's records may carry continuation lines (with
    /// framing on). `false`: whatever follows a match is a new record.
    pub multiline: bool,
    /// Where the rule was defined, for messages: `FILE:LINE`.
    pub origin: String,
}

/// What a rule's patterns are matched against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The whole line (after any collector prefix): `pattern`.
    Line,
    /// The message of a record whose logger and level fit: `body`.
    Message(MessageFilter),
}

/// Which records a rule on the message takes: its loggers, its levels,
/// and whether a record that shows no logger may match on wording alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Logger names, or prefixes (`telethon.network.*`); empty: any.
    pub loggers: Vec<LoggerName>,
    /// Levels; empty: any.
    pub levels: Vec<Level>,
    /// A record without a logger (a bare message, a layout without one)
    /// is matched on its message alone.
    pub bare: bool,
}

/// A logger a rule belongs to: a name, or every logger under a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggerName {
    /// The name, without a trailing `.*`.
    pub name: String,
    /// Written `name.*`: the name and every logger under it.
    pub prefix: bool,
}

impl LoggerName {
    /// Reads `name` or `name.*`; `None` unless the name is a Python dotted
    /// name.
    pub fn parse(text: &str) -> Option<LoggerName> {
        let (name, prefix) = match text.strip_suffix(".*") {
            Some(name) => (name, true),
            None => (text, false),
        };
        let valid = !name.is_empty()
            && name.split('.').all(|part| {
                part.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        valid.then(|| LoggerName {
            name: name.to_owned(),
            prefix,
        })
    }

    /// Whether `logger` is this one (or under it, for a prefix).
    pub fn admits(&self, logger: &[u8]) -> bool {
        let name = self.name.as_bytes();
        logger == name
            || (self.prefix
                && logger.len() > name.len()
                && logger.starts_with(name)
                && logger[name.len()] == b'.')
    }
}

impl MessageFilter {
    /// Whether a record with these fields is one of the rule's.
    pub fn admits(&self, fields: &Fields) -> bool {
        let logger_fits = match fields.logger {
            Some(logger) => {
                self.loggers.is_empty() || self.loggers.iter().any(|l| l.admits(logger))
            }
            None => self.bare,
        };
        let level_fits = match fields.level {
            Some(level) => self.levels.is_empty() || self.levels.contains(&level),
            None => true,
        };
        logger_fits && level_fits
    }
}
