//! [`Masker`]: the redactions applied to lines before anything else sees
//! them, and counted. A line with a secret is rewritten into a buffer that
//! is lent out and given back, so masking allocates nothing once warm.
//! An over-long line streamed in pieces keeps its last bytes back until
//! the next piece comes, so a secret cut in two by a read is masked whole.

use crate::rules::{RedactScratch, Redactor};

/// Masking state of one pipeline.
#[derive(Debug, Default)]
pub(super) struct Masker {
    scratch: RedactScratch,
    /// Secrets masked, per redaction (in the rule set's order).
    counts: Vec<u64>,
    /// Of an over-long line being streamed: the bytes held back.
    tail: Vec<u8>,
    /// The text of a piece being masked.
    joined: Vec<u8>,
    /// The masked head of an over-long line, for deciding it.
    decide: Vec<u8>,
}

impl Masker {
    /// A masker for `redactor`'s redactions.
    pub fn new(redactor: &Redactor) -> Masker {
        Masker {
            counts: vec![0; redactor.redactions().len()],
            ..Masker::default()
        }
    }

    /// Secrets masked so far, per redaction.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// `line` with its secrets masked, in a lent buffer (give it back with
    /// [`Masker::give_back`]); `None` when it holds none.
    pub fn line(&mut self, redactor: &Redactor, line: &[u8]) -> Option<Vec<u8>> {
        // Most lines hold no secret: the search says so at once.
        redactor.next_candidate(line, 0)?;
        redactor
            .apply(line, &mut self.scratch, &mut self.counts)
            .then(|| std::mem::take(&mut self.scratch.out))
    }

    /// Returns a buffer lent by [`Masker::line`] or [`Masker::piece`].
    pub fn give_back(&mut self, mut buf: Vec<u8>) {
        buf.clear();
        if buf.capacity() > self.scratch.out.capacity() {
            self.scratch.out = buf;
        }
    }

    /// The head of an over-long line, masked whole for deciding it (in a
    /// lent buffer, to be given back with [`Masker::piece_done`]), and the
    /// bytes of it that go out now (in another: [`Masker::piece_done`]):
    /// the rest waits for the next piece, in case a secret runs on.
    pub fn head(&mut self, redactor: &Redactor, head: &[u8]) -> (Vec<u8>, Vec<u8>) {
        self.tail.clear();
        let mut whole = std::mem::take(&mut self.decide);
        whole.clear();
        let mut uncounted = vec![0; self.counts.len()];
        if redactor.next_candidate(head, 0).is_some()
            && redactor.apply(head, &mut self.scratch, &mut uncounted)
        {
            whole.extend_from_slice(&self.scratch.out);
        } else {
            whole.extend_from_slice(head);
        }
        (whole, self.piece(redactor, head, false))
    }

    /// The next piece of an over-long line, after what was held back:
    /// what goes out now (all of it once the line has `ended`). Secrets
    /// are masked once known whole: what could still be the start of one
    /// waits, unmasked, for the next piece.
    pub fn piece(&mut self, redactor: &Redactor, piece: &[u8], ended: bool) -> Vec<u8> {
        let mut text = std::mem::take(&mut self.joined);
        text.clear();
        text.append(&mut self.tail);
        text.extend_from_slice(piece);
        let limit = (!ended).then(|| text.len().saturating_sub(redactor.carry()));
        let mut cut = limit;
        if redactor.next_candidate(&text, 0).is_some() {
            let (masked, at) =
                redactor.apply_before(&text, limit, &mut self.scratch, &mut self.counts);
            if masked {
                std::mem::swap(&mut text, &mut self.scratch.out);
            }
            cut = at;
        }
        if let Some(cut) = cut {
            self.tail.extend_from_slice(&text[cut..]);
            text.truncate(cut);
        }
        text
    }

    /// Gives back the buffer [`Masker::piece`] lent.
    pub fn piece_done(&mut self, mut buf: Vec<u8>) {
        buf.clear();
        self.joined = buf;
    }

    /// Gives back the buffer [`Masker::head`] lent for deciding.
    pub fn head_done(&mut self, buf: Vec<u8>) {
        self.decide = buf;
    }

    /// The head of a line written before its end came (the input went
    /// quiet on a prompt): masked as it stands and counted, all of it to go
    /// out now (a secret cut off at its end cannot be recognized, as with
    /// [`Masker::take_tail`]); the rest of the line follows as the pieces
    /// of an over-long line do. In a lent buffer ([`Masker::give_back`]);
    /// `None` when it holds no secret.
    pub fn partial(&mut self, redactor: &Redactor, head: &[u8]) -> Option<Vec<u8>> {
        self.tail.clear();
        self.line(redactor, head)
    }

    /// The held-back bytes of an over-long line, when the input has gone
    /// quiet: they go out as they are (a secret cut off there cannot be
    /// recognized anyway), rather than wait for a rest that may never come.
    pub fn take_tail(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.tail)
    }

    /// Counts carried over to a new rule set: by redaction name.
    pub fn renumber(&mut self, old: &Redactor, new: &Redactor) {
        let counts = new
            .redactions()
            .iter()
            .map(|r| {
                old.redactions()
                    .iter()
                    .position(|o| o.name == r.name)
                    .and_then(|i| self.counts.get(i).copied())
                    .unwrap_or(0)
            })
            .collect();
        self.counts = counts;
    }
}
