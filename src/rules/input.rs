//! `[input]`: how the stream is framed into records and where log times
//! are. Each file's table is read here into an [`InputDecl`]; the loader
//! merges them across files.

use regex::bytes::Regex;
use std::ops::Range;
use toml::Spanned;

use super::error::Locator;
use super::raw::RawInput;
use super::validate::{build_regex, refuse_match_all};
use crate::records::{Framing, LayoutSpec, TimestampPreset, TimestampSpec, PYTHON_TRACEBACK};

/// What one file's `[input]` sets, with where, for merging across files.
pub(super) struct InputDecl {
    /// `record_start` / `continuation`.
    pub framing: Option<Framing>,
    /// `timestamp`, with its canonical text (to compare files) and span.
    pub timestamp: Option<(TimestampSpec, String, Range<usize>)>,
    /// `layout`, with its text and span.
    pub layout: Option<(LayoutSpec, String, Range<usize>)>,
    /// Where the table starts.
    pub table_start: usize,
}

/// Validates one file's `[input]`.
pub(super) fn parse_input(loc: &Locator, input: Spanned<RawInput>) -> anyhow::Result<InputDecl> {
    let table_start = input.span().start;
    let input = input.into_inner();
    let err = |span: Range<usize>, msg: String| loc.error(Some(span), None, msg);
    let framing = match (input.record_start, input.continuation) {
        (Some(_), Some(c)) => {
            return Err(err(
                c.span(),
                "[input] sets both record_start and continuation; use one".into(),
            ))
        }
        (Some(r), None) => Some(
            framing_regex(r.get_ref())
                .map(Framing::RecordStart)
                .map_err(|m| err(r.span(), format!("[input] record_start: {m}")))?,
        ),
        (None, Some(c)) if c.get_ref() == PYTHON_TRACEBACK => Some(Framing::PythonTraceback),
        (None, Some(c)) => Some(
            framing_regex(c.get_ref())
                .map(Framing::Continuation)
                .map_err(|m| err(c.span(), format!("[input] continuation: {m}")))?,
        ),
        (None, None) => None,
    };
    let timestamp = match input.timestamp {
        Some(ts) => {
            let span = ts.span();
            let (spec, text) = timestamp_spec(ts.into_inner()).map_err(|m| err(span.clone(), m))?;
            Some((spec, text, span))
        }
        None => None,
    };
    let layout = match input.layout {
        Some(l) => {
            let spec = LayoutSpec::parse(l.get_ref())
                .map_err(|e| err(l.span(), format!("[input] layout: {e}")))?;
            Some((spec, format!("{:?}", l.get_ref()), l.span()))
        }
        None => None,
    };
    Ok(InputDecl {
        framing,
        timestamp,
        layout,
        table_start,
    })
}

/// `text` with its line breaks written as `\n` / `\r`: an error message is
/// one line, even when it quotes a multi-line (`(?x)`) pattern.
pub(super) fn escape_breaks(text: &str) -> String {
    text.replace('\n', "\\n").replace('\r', "\\r")
}

/// Compiles a framing regex (`record_start`, `continuation`).
/// A framing regex that matches every line would make the rest of the
/// stream one record (or every line a record of its own): refused.
pub(crate) fn framing_regex(pattern: &str) -> Result<Regex, String> {
    let regex = plain_regex(pattern)?;
    refuse_match_all(&regex, pattern).map_err(|m| {
        format!("{m}: every line would continue (or start) a record, so nothing would be framed")
    })?;
    Ok(regex)
}

/// Compiles a regex that is not a rule pattern (a timestamp pattern), with
/// the rule patterns' size limits.
fn plain_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.is_empty() {
        return Err("pattern is empty".into());
    }
    build_regex(pattern, false)
}

/// Reads `[input] timestamp`: a preset name or `{ pattern, format }`.
/// Returns the spec and a canonical text of it, to compare across files.
fn timestamp_spec(value: toml::Value) -> Result<(TimestampSpec, String), String> {
    match value {
        toml::Value::String(name) => TimestampPreset::from_name(&name)
            .map(|p| (TimestampSpec::Preset(p), format!("{name:?}")))
            .ok_or_else(|| {
                format!(
                    "[input] timestamp: unknown preset {name:?} (known: {})",
                    TimestampPreset::NAMES
                )
            }),
        toml::Value::Table(table) => {
            let mut pattern = None;
            let mut format = None;
            for (key, value) in table {
                match (key.as_str(), value) {
                    ("pattern", toml::Value::String(p)) => pattern = Some(p),
                    ("format", toml::Value::String(f)) => format = Some(f),
                    ("pattern" | "format", other) => {
                        return Err(format!(
                            "[input] timestamp.{key} must be a string, not {}",
                            other.type_str()
                        ))
                    }
                    (other, _) => {
                        return Err(format!(
                            "[input] timestamp: unknown field `{other}`, expected `pattern` and `format`"
                        ))
                    }
                }
            }
            let (Some(pattern), Some(format)) = (pattern, format) else {
                return Err("[input] timestamp needs both `pattern` and `format`".into());
            };
            let regex =
                plain_regex(&pattern).map_err(|m| format!("[input] timestamp.pattern: {m}"))?;
            if chrono::format::StrftimeItems::new(&format)
                .any(|item| matches!(item, chrono::format::Item::Error))
            {
                return Err(format!(
                    "[input] timestamp.format {format:?} has an unknown or incomplete % specifier"
                ));
            }
            // Escaped, so that the message comparing two files' settings
            // stays one line whatever the pattern holds.
            let text = format!("{{ pattern = {pattern:?}, format = {format:?} }}");
            Ok((
                TimestampSpec::Custom {
                    pattern: regex,
                    format,
                },
                text,
            ))
        }
        other => Err(format!(
            "[input] timestamp must be a preset name or {{ pattern = ..., format = ... }}, not {}",
            other.type_str()
        )),
    }
}
