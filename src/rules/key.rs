//! Key templates: `key = "DC{dc}"` gives each value of a capture group a
//! window of its own. Split with the crate's one placeholder tokenizer.

use regex::bytes::{CaptureLocations, Regex};

use crate::template::{split, Piece, TemplateError};

/// One piece of a key template: literal bytes or a capture group reference.
#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyPart {
    Literal(Vec<u8>),
    Named(String),
    Index(usize),
}

/// A parsed `key = "{group}..."` template.
#[derive(Clone, Debug)]
pub struct KeyTemplate {
    source: String,
    parts: Vec<KeyPart>,
}

impl KeyTemplate {
    /// Parses `{name}` / `{N}` placeholders; `{{` and `}}` are literal braces.
    pub(super) fn parse(text: &str) -> Result<KeyTemplate, String> {
        let pieces = split(text).map_err(|e| match e {
            TemplateError::Unclosed(at) => format!("unclosed '{{' at byte {at} of key {text:?}"),
            TemplateError::Unmatched => format!("unmatched '}}' in key {text:?} (write '}}}}')"),
            TemplateError::Empty => format!("empty placeholder '{{}}' in key {text:?}"),
        })?;
        let parts: Vec<KeyPart> = pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Literal(l) => KeyPart::Literal(l.into_bytes()),
                Piece::Placeholder(group) => match group.parse::<usize>() {
                    Ok(n) => KeyPart::Index(n),
                    Err(_) => KeyPart::Named(group),
                },
            })
            .collect();
        if !parts.iter().any(|p| !matches!(p, KeyPart::Literal(_))) {
            return Err(format!(
                "key {text:?} names no capture group, so every line would share one window \
                 (write e.g. key = \"{{dc}}\", or drop the key)"
            ));
        }
        Ok(KeyTemplate {
            source: text.to_owned(),
            parts,
        })
    }

    /// The template as written in the rule file.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Fails naming the first placeholder that `regex` has no group for.
    pub(super) fn check_against(&self, regex: &Regex) -> Result<(), String> {
        for part in &self.parts {
            match part {
                KeyPart::Named(name) if !regex.capture_names().any(|n| n == Some(name)) => {
                    return Err(format!(
                        "key names capture group {{{name}}}, but pattern '{}' has no group (?P<{name}>...)",
                        regex.as_str()
                    ));
                }
                KeyPart::Index(n) if *n >= regex.captures_len() => {
                    return Err(format!(
                        "key names capture group {{{n}}}, but pattern '{}' has only {} group(s)",
                        regex.as_str(),
                        regex.captures_len() - 1
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes the key for one match into `out` (cleared first). Groups that
    /// did not take part in the match render as nothing.
    pub(super) fn render(
        &self,
        regex: &Regex,
        locs: &CaptureLocations,
        line: &[u8],
        out: &mut Vec<u8>,
    ) {
        out.clear();
        for part in &self.parts {
            let index = match part {
                KeyPart::Literal(bytes) => {
                    out.extend_from_slice(bytes);
                    continue;
                }
                KeyPart::Index(n) => Some(*n),
                KeyPart::Named(name) => regex.capture_names().position(|n| n == Some(name)),
            };
            if let Some((start, end)) = index.and_then(|i| locs.get(i)) {
                out.extend_from_slice(&line[start..end]);
            }
        }
    }
}
