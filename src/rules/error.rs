//! Rule-file errors that say where: `FILE:LINE:COL: rule "NAME": message`,
//! on one line, in words a rule author knows (TOML's, not serde's).

use anyhow::anyhow;
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// A rule-file error located in its file: `FILE:LINE:COL: rule "NAME": message`.
#[derive(Debug)]
pub(crate) struct RuleFileError {
    /// The file (or `builtin:NAME`) the error is in.
    pub origin: String,
    /// 1-based line and column, when the error has a place.
    pub position: Option<(usize, usize)>,
    /// The rule the error belongs to, when there is one.
    pub rule: Option<String>,
    /// What is wrong, on one line.
    pub message: String,
}

impl fmt::Display for RuleFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": ")?;
        if let Some(rule) = &self.rule {
            write!(f, "rule {rule:?}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for RuleFileError {}

/// Several errors in one load, each on its own line when listed
/// (`logdedup check`). As one message it shows the first and a count, so
/// the filter's one-line report stays one line.
#[derive(Debug)]
pub(crate) struct RuleErrors(pub Vec<anyhow::Error>);

impl RuleErrors {
    /// Wraps `errors` (at least one).
    pub fn new(errors: Vec<anyhow::Error>) -> RuleErrors {
        RuleErrors(errors)
    }
}

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_first() {
            None => f.write_str("rule errors"),
            Some((first, [])) => write!(f, "{first:#}"),
            Some((first, rest)) => write!(
                f,
                "{first:#} (and {} more; `logdedup check` lists them all)",
                rest.len()
            ),
        }
    }
}

impl std::error::Error for RuleErrors {}

/// Lenient twin of [`RawFile`], parsed only to name the rule an error is in.
#[derive(Deserialize)]
struct RuleNamesOnly {
    #[serde(default)]
    rule: Vec<Spanned<NameOnly>>,
    #[serde(default)]
    test: Vec<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct NameOnly {
    name: Option<String>,
}

/// Converts byte offsets of one file into 1-based line:column.
pub(super) struct Locator<'a> {
    pub origin: &'a str,
    pub text: &'a str,
    /// Offsets of the line breaks, found on first use: every rule and test
    /// asks for its line, and scanning from the top each time is quadratic.
    pub breaks: std::cell::OnceCell<Vec<usize>>,
    /// The text was generated from an `-e` option: a line:column in it
    /// would point into TOML the user never wrote, so errors name only
    /// the option (`-e e1: invalid pattern '(x': ...`), whose messages
    /// quote the pattern.
    pub generated: bool,
}

impl Locator<'_> {
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        // An offset inside a character (it cannot come from the parser, but
        // a message must never panic) counts as that character's start.
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let breaks = self
            .breaks
            .get_or_init(|| memchr::memchr_iter(b'\n', self.text.as_bytes()).collect());
        // Line breaks before `offset`: the line number, and where it starts.
        let before = breaks.partition_point(|&b| b < offset);
        let line = before + 1;
        let line_start = if before == 0 {
            0
        } else {
            breaks[before - 1] + 1
        };
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    pub(crate) fn error(
        &self,
        span: Option<Range<usize>>,
        rule: Option<&str>,
        message: impl Into<String>,
    ) -> anyhow::Error {
        if self.generated {
            return anyhow!(RuleFileError {
                origin: self.origin.to_owned(),
                position: None,
                rule: None,
                message: message.into(),
            });
        }
        anyhow!(RuleFileError {
            origin: self.origin.to_owned(),
            position: span.map(|s| self.position(s.start)),
            rule: rule.map(str::to_owned),
            message: message.into(),
        })
    }

    /// `FILE:LINE` of `offset`, where a rule or test was defined; for an
    /// `-e` rule, the option alone.
    pub(crate) fn line_of(&self, offset: usize) -> String {
        if self.generated {
            return self.origin.to_owned();
        }
        format!("{}:{}", self.origin, self.position(offset).0)
    }
}

/// Rewords a toml/serde message for rule authors: one line, TOML's words
/// instead of Rust's, and a hint for the usual mistakes.
pub(super) fn toml_message(raw: &str) -> String {
    let mut text = raw.trim().replace('\n', ": ");
    for (rust, toml) in [
        ("expected u64", "expected a whole number >= 0"),
        ("expected usize", "expected a whole number >= 0"),
        ("invalid type: map", "invalid type: table"),
        ("invalid type: sequence", "invalid type: array"),
        ("expected a boolean", "expected true or false"),
    ] {
        text = text.replace(rust, toml);
    }
    if text.contains("expected a sequence") && text.contains("invalid type: table") {
        text.push_str(" (write [[rule]] / [[test]], with double brackets)");
    }
    if text.contains("expected a sequence") && text.contains("invalid type: string") {
        // `expect = "..."` for a window case, `patterns = '...'`.
        text.push_str(r#" (this key takes a list, one string per item: ["...", "..."])"#);
    }
    if text.starts_with("invalid escape sequence") {
        text.push_str(" (write patterns in single quotes, e.g. 'socket\\.send', where backslashes stay as written)");
    }
    if text.starts_with("invalid basic string") || text.starts_with("invalid literal string") {
        text.push_str(" (is a closing quote missing?)");
    }
    text
}

/// Finds the name of the `[[rule]]` table that contains byte `offset`.
pub(super) fn rule_name_at(text: &str, offset: usize) -> Option<String> {
    let names: RuleNamesOnly = toml::from_str(text).ok()?;
    names
        .rule
        .into_iter()
        .find(|r| r.span().contains(&offset))
        .and_then(|r| r.into_inner().name)
}

/// The `[[rule]]` or `[[test]]` table around byte `offset`, header
/// included, and the rule's name: so that a schema error in one table can
/// be set aside (blanked) and the rest of the file checked too.
pub(super) fn table_at(
    text: &str,
    offset: usize,
) -> Option<(std::ops::Range<usize>, Option<String>)> {
    let tables: RuleNamesOnly = toml::from_str(text).ok()?;
    let (span, name) = tables
        .rule
        .into_iter()
        .map(|r| (r.span(), r.into_inner().name))
        .chain(tables.test.into_iter().map(|t| (t.span(), None)))
        .find(|(span, _)| span.contains(&offset))?;
    // The span may start after the `[[rule]]` header: take the header too.
    let header = text[..span.start]
        .rfind("[[")
        .filter(|&h| text[h..span.start].trim_end().ends_with("]]") || h == span.start)
        .unwrap_or(span.start);
    Some((header.min(span.start)..span.end, name))
}

/// The one line of a regex error that says what is wrong.
pub(super) fn regex_error_line(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || text.lines().last().unwrap_or("").trim().to_owned(),
            str::to_owned,
        )
}

/// Where a value was written: file, line, column.
pub(super) struct Place {
    pub origin: String,
    pub line: usize,
    pub col: usize,
}
