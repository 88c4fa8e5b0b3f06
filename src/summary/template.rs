//! `--template`: a user's layout for text summary lines, parsed once at
//! start-up with the crate's one placeholder tokenizer.

use anyhow::{bail, Result};

use crate::template::{split, Piece, TemplateError};

/// Placeholders a `--template` may use.
pub(crate) const PLACEHOLDERS: &[&str] = &[
    "time", "level", "rule", "key", "message", "note", "count", "times", "first", "last", "window",
];

/// One piece of a parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Part {
    Literal(String),
    Field(&'static str),
}

/// A parsed `--template`.
#[derive(Clone, Debug)]
pub struct Template {
    pub(super) parts: Vec<Part>,
}

impl Template {
    /// Parses `{placeholder}`s; `{{` and `}}` stand for literal braces. An
    /// unknown placeholder is an error rather than text printed as is.
    pub fn parse(text: &str) -> Result<Template> {
        let pieces = match split(text) {
            Ok(pieces) => pieces,
            Err(TemplateError::Unclosed(_)) => bail!("--template {text:?}: unclosed '{{'"),
            Err(e) => bail!("--template {text:?}: {e}"),
        };
        if text.trim().is_empty() {
            bail!("--template is empty: a summary would print nothing");
        }
        let mut parts = Vec::with_capacity(pieces.len());
        for piece in pieces {
            parts.push(match piece {
                Piece::Literal(l) => {
                    // A summary is one line; values from log lines are
                    // escaped when filled in, so only the literal text can
                    // break it.
                    if l.contains(['\n', '\r']) {
                        bail!("--template {text:?}: a summary is one line; the template has a line break");
                    }
                    if l.chars().any(|c| c.is_control() && c != '\t') {
                        bail!("--template {text:?}: the template has a control character");
                    }
                    Part::Literal(l)
                }
                Piece::Placeholder(name) => {
                    let Some(field) = PLACEHOLDERS.iter().find(|p| **p == name) else {
                        bail!(
                            "--template {text:?}: unknown placeholder {{{name}}} (known: {})",
                            PLACEHOLDERS
                                .iter()
                                .map(|p| format!("{{{p}}}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        );
                    };
                    Part::Field(field)
                }
            });
        }
        Ok(Template { parts })
    }
}
