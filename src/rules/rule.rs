//! One compiled rule: what it matches, how its windows behave, and what
//! its summary says. Built by `validate`, read by the matcher, the
//! pipeline and the summary formatter.

use regex::bytes::Regex;
use std::time::Duration;

use super::key::{KeyTemplate, WindowKey};

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
    /// The rule's patterns; a line matching any of them belongs to the rule.
    pub patterns: Vec<Regex>,
    /// With `exception = ...`: the record's final line (its exception)
    /// must match too, so the record is held until it ends.
    pub exception: Option<Regex>,
    /// Whether the rule's records may carry continuation lines (with
    /// framing on). `false`: whatever follows a match is a new record.
    pub multiline: bool,
    /// Where the rule was defined, for messages: `FILE:LINE`.
    pub origin: String,
}
