//! The one tokenizer for `{placeholder}` text: summary templates
//! (`--template`), window keys (`key = "{dc}"`) and a rule's `message` and
//! `note` all split their text here, so braces mean the same everywhere.
//!
//! `{name}` is a placeholder, `{{` and `}}` stand for literal braces; an
//! unclosed `{` or a lone `}` is an error. What a name may be is the
//! caller's business: each caller checks the names against its own list.

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Text printed as it is (braces already unescaped).
    Literal(String),
    /// A `{name}` placeholder, without its braces.
    Placeholder(String),
}

/// Why a template could not be split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TemplateError {
    /// A `{` at this byte offset has no `}` after it.
    Unclosed(usize),
    /// A `}` with no `{` before it (write `}}` for a brace).
    Unmatched,
    /// `{}` with nothing inside.
    Empty,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unclosed(at) => write!(f, "unclosed '{{' at byte {at}"),
            TemplateError::Unmatched => f.write_str("unmatched '}' (write '}}' for a brace)"),
            TemplateError::Empty => f.write_str("empty placeholder '{}'"),
        }
    }
}

/// Splits `text` into literals and placeholders.
pub(crate) fn split(text: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") || rest.starts_with("}}") {
            literal.push(c);
            rest = &rest[2..];
        } else if c == '{' {
            let at = text.len() - rest.len();
            let end = rest.find('}').ok_or(TemplateError::Unclosed(at))?;
            let name = &rest[1..end];
            if name.is_empty() {
                return Err(TemplateError::Empty);
            }
            if !literal.is_empty() {
                pieces.push(Piece::Literal(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Placeholder(name.to_owned()));
            rest = &rest[end + 1..];
        } else if c == '}' {
            return Err(TemplateError::Unmatched);
        } else {
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_literals_placeholders_and_escapes() {
        assert_eq!(
            split("a{{b}} {x}-{y}").unwrap(),
            vec![
                Piece::Literal("a{b} ".into()),
                Piece::Placeholder("x".into()),
                Piece::Literal("-".into()),
                Piece::Placeholder("y".into()),
            ]
        );
        assert_eq!(split("").unwrap(), vec![]);
    }

    #[test]
    fn refuses_broken_braces() {
        assert_eq!(split("ab{x"), Err(TemplateError::Unclosed(2)));
        assert_eq!(split("x}"), Err(TemplateError::Unmatched));
        assert_eq!(split("{}"), Err(TemplateError::Empty));
    }
}
