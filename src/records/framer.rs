//! Record framing: which lines continue the record before them (a Python
//! traceback, say). Framing looks through the prefix a log collector puts on
//! every line (see [`super::prefix`]), and keeps one record per source, so
//! that `bot-1  | Traceback ...` continues the last record of `bot-1` even
//! when another service's lines come in between.

use regex::bytes::{CaptureLocations, Regex};
use std::sync::OnceLock;

use super::layout::rich_blank_time_message;
use super::prefix::{may_have_collector_prefix, split_collector_prefix};

/// How continuation lines are recognized.
#[derive(Clone, Debug)]
pub enum Framing {
    /// Every line is a record of its own.
    Lines,
    /// Lines matching this regex start a record; the others continue the
    /// previous one.
    RecordStart(Regex),
    /// Lines matching this regex continue the previous record.
    Continuation(Regex),
    /// Python's traceback layout (see [`python_traceback_continues`]).
    PythonTraceback,
}

impl Framing {
    /// Whether any framing is on.
    pub(crate) fn is_on(&self) -> bool {
        !matches!(self, Framing::Lines)
    }

    /// A short description for messages and `--stats`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Framing::Lines => "one line per record".into(),
            Framing::RecordStart(r) => format!("record_start = '{}'", r.as_str()),
            Framing::Continuation(r) => format!("continuation = '{}'", r.as_str()),
            Framing::PythonTraceback => "continuation = \"python-traceback\"".into(),
        }
    }
}

/// The name of the built-in continuation preset.
pub(crate) const PYTHON_TRACEBACK: &str = "python-traceback";

/// Where a Python traceback stands, per source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Traceback {
    /// Not in a traceback.
    #[default]
    Outside,
    /// After `Traceback (most recent call last):` or a frame line.
    Frames,
    /// After the final `SomeError: message` line.
    Raised,
    /// After a "During handling..." / "The above exception..." separator.
    Chained,
}

/// What the framer says about one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// The line starts a record.
    Start,
    /// The line continues the previous record from the same source.
    Continuation,
}

/// What [`Framer::pass_unmatched`] got through: bytes and lines (all
/// passing), and how many records they started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Passed {
    /// Bytes of whole lines got through, from the start of the span.
    pub bytes: usize,
    /// Lines in them.
    pub lines: u64,
    /// Records those lines started (the rest continued one).
    pub records: u64,
}

/// Most sources tracked at once; past that the least recently seen is
/// forgotten (its next line starts a record), so memory stays bounded.
const MAX_SOURCES: usize = 64;

#[derive(Clone, Debug)]
struct Source {
    id: Vec<u8>,
    has_record: bool,
    traceback: Traceback,
    /// What the engine decided for the current record of this source.
    disposition: Option<Disposition>,
    /// The disposition holds for indented lines (a message wrapped by
    /// rich, say) but not for a traceback: the record's rule leaves a
    /// traceback after it to the next record (`multiline = false`).
    until_traceback: bool,
    last_seen: u64,
}

/// What happens to the continuation lines of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// They pass (the record passed).
    Pass,
    /// They are suppressed with the record, by this rule.
    Suppress(usize),
    /// The record is held until it ends (its rule needs the record's last
    /// line to decide): they are held with it.
    Hold,
}

/// Line-by-line record framing state.
#[derive(Clone, Debug)]
pub(crate) struct Framer {
    framing: Framing,
    sources: Vec<Source>,
    current: usize,
    clock: u64,
    /// Made on first use: most streams never show a collector prefix, and
    /// building the prefix regex costs start-up time.
    slots: Option<CaptureLocations>,
}

impl Framer {
    /// A framer with no records seen yet.
    pub fn new(framing: Framing) -> Framer {
        Framer {
            framing,
            sources: Vec::new(),
            current: 0,
            clock: 0,
            slots: None,
        }
    }

    /// The framing in use.
    pub(crate) fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Classifies `line` (without its line ending) and returns, for a
    /// continuation, the disposition of the record it continues. After a
    /// [`Frame::Start`], the caller reports its decision with
    /// [`Framer::started`].
    pub(crate) fn classify(&mut self, line: &[u8]) -> (Frame, Option<Disposition>) {
        if !self.framing.is_on() {
            return (Frame::Start, None);
        }
        let (source_id, body) = split_collector_prefix(line, &mut self.slots);
        self.clock += 1;
        let index = self.source_index(source_id);
        let source = &mut self.sources[index];
        source.last_seen = self.clock;
        self.current = index;
        let continues = match &self.framing {
            Framing::Lines => false,
            Framing::RecordStart(re) => !re.is_match(body),
            Framing::Continuation(re) => re.is_match(body),
            Framing::PythonTraceback => {
                let (continues, next) = python_traceback_continues(source.traceback, body);
                source.traceback = next;
                if source.until_traceback && next != Traceback::Outside {
                    // A traceback after a one-line record: each of its
                    // lines stands on its own.
                    source.disposition = None;
                    source.until_traceback = false;
                }
                continues
            }
        };
        // (For python-traceback, a line that does not continue leads to the
        // same next state from any state, so `next` above is already right.)
        if continues && source.has_record {
            (Frame::Continuation, source.disposition)
        } else {
            source.has_record = true;
            source.disposition = None;
            source.until_traceback = false;
            (Frame::Start, None)
        }
    }

    /// The common case, settled without the general machinery: with
    /// python-traceback framing and no collector prefix seen, a line that
    /// starts with `[` or a digit (a timestamped log line) and has no prefix
    /// starts a passing record whatever came before. Returns false, having
    /// changed nothing, for any other line; call [`Framer::classify`] then.
    pub(crate) fn plain_passing_start(&mut self, line: &[u8]) -> bool {
        if !matches!(self.framing, Framing::PythonTraceback) || self.sources.len() > 1 {
            return false;
        }
        let plain = match line.first() {
            Some(b'[') => true,
            Some(b) if b.is_ascii_digit() => !may_have_collector_prefix(line),
            _ => false,
        };
        if !plain {
            return false;
        }
        self.clock += 1;
        let index = self.source_index(&[]);
        let source = &mut self.sources[index];
        source.last_seen = self.clock;
        source.has_record = true;
        source.traceback = Traceback::Outside;
        source.disposition = Some(Disposition::Pass);
        source.until_traceback = false;
        self.current = index;
        true
    }

    /// The fast path for a run of whole lines (each ending in `\n`) that no
    /// rule matches: while the stream has one source without a collector
    /// prefix and its current record passes, every such line passes too (as
    /// a continuation of that record, or as a record of its own), so only
    /// the framing state and the count of records need keeping. Most lines
    /// are settled by their first byte: a line continues a record only if it
    /// starts with whitespace, `Traceback`, `During handling`, `The above
    /// exception`, a box-drawing character, or is the exception line after a
    /// traceback's frames; only those go through [`Framer::classify`].
    /// Stops at the first line that is not quiet (a collector prefix, or
    /// python-traceback framing off) and returns what it got through.
    pub(crate) fn pass_unmatched(&mut self, span: &[u8]) -> Passed {
        let mut done = Passed::default();
        if !matches!(self.framing, Framing::PythonTraceback) || !self.quiet() {
            return done;
        }
        let index = self.source_index(&[]);
        self.current = index;
        let mut state = self.sources[index].traceback;
        // Plain lines since the state was last written back.
        let mut plain_run = 0u64;
        while done.bytes < span.len() {
            let rest = &span[done.bytes..];
            let len = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            let line = &rest[..len];
            let plain = match line[0] {
                b' ' | b'\t' | b'\r' | b'\n' | b'T' | b'D' | 0xE2 => false,
                // After frames, `SomeError: message` continues the record,
                // and loguru marks the frame that raised with `> File "...`.
                b'A'..=b'Z' | b'a'..=b'z' | b'_' | b'>' if state == Traceback::Frames => false,
                b if b.is_ascii_alphanumeric() => !may_have_collector_prefix(line),
                _ => true,
            };
            if plain {
                // A record of its own; whatever the state, it leaves the
                // traceback (see `python_traceback_continues`).
                state = Traceback::Outside;
                plain_run += 1;
                done.records += 1;
            } else {
                if plain_run > 0 {
                    self.settle_plain(index, plain_run);
                    plain_run = 0;
                }
                let frame = self.classify(super::line_content(line));
                if frame != (Frame::Continuation, Some(Disposition::Pass)) {
                    done.records += 1;
                    self.started(Some(Disposition::Pass));
                }
                if !self.quiet() || self.current != index {
                    done.bytes += len;
                    done.lines += 1;
                    return done;
                }
                state = self.sources[index].traceback;
            }
            done.bytes += len;
            done.lines += 1;
        }
        if plain_run > 0 {
            self.settle_plain(index, plain_run);
        }
        done
    }

    /// Whether the stream is in the state [`Framer::pass_unmatched`] needs:
    /// at most one source, without a collector prefix, whose record passes.
    fn quiet(&self) -> bool {
        match self.sources.as_slice() {
            [] => true,
            [only] => {
                only.id.is_empty() && matches!(only.disposition, None | Some(Disposition::Pass))
            }
            _ => false,
        }
    }

    /// The state after a run of `lines` plain lines: the last started a
    /// passing record, outside any traceback.
    fn settle_plain(&mut self, index: usize, lines: u64) {
        self.clock += lines;
        let source = &mut self.sources[index];
        source.last_seen = self.clock;
        source.has_record = true;
        source.traceback = Traceback::Outside;
        source.disposition = Some(Disposition::Pass);
        source.until_traceback = false;
    }

    /// Records what was decided for the record the last classified line
    /// started. `None`: its continuations start records of their own (a
    /// rule with `multiline = false`).
    pub(crate) fn started(&mut self, disposition: Option<Disposition>) {
        if let Some(source) = self.sources.get_mut(self.current) {
            source.disposition = disposition;
            source.until_traceback = false;
        }
    }

    /// Tells the framer what the engine decided for a record whose rule
    /// takes no traceback (`multiline = false`): with python-traceback
    /// framing its indented lines (a message rich wrapped) follow it, and a
    /// traceback after it is records of their own; with other framings
    /// every further line is.
    pub(crate) fn started_one_line(&mut self, disposition: Disposition) {
        let python = matches!(self.framing, Framing::PythonTraceback);
        if let Some(source) = self.sources.get_mut(self.current) {
            source.disposition = python.then_some(disposition);
            source.until_traceback = python;
        }
    }

    /// Re-points the rule of suppressed records after a reload moved rule
    /// numbers; a record whose rule is gone passes its remaining lines.
    pub(crate) fn renumber(&mut self, new_id: impl Fn(usize) -> Option<usize>) {
        for source in &mut self.sources {
            match source.disposition {
                Some(Disposition::Suppress(old)) => {
                    source.disposition =
                        Some(new_id(old).map_or(Disposition::Pass, Disposition::Suppress));
                }
                // The held record is decided before the new rules apply.
                Some(Disposition::Hold) => source.disposition = Some(Disposition::Pass),
                _ => {}
            }
        }
    }

    fn source_index(&mut self, id: &[u8]) -> usize {
        // The common case: one stream, no collector prefix. Tested by
        // length first: a libc `memcmp` call, even of nothing, showed up as
        // a fifth of the profile when made for every line.
        if self
            .sources
            .first()
            .is_some_and(|s| s.id.len() == id.len() && (id.is_empty() || s.id == id))
        {
            return 0;
        }
        if let Some(i) = self.sources.iter().position(|s| s.id == id) {
            return i;
        }
        let fresh = Source {
            id: id.to_vec(),
            has_record: false,
            traceback: Traceback::Outside,
            disposition: None,
            until_traceback: false,
            last_seen: self.clock,
        };
        if self.sources.len() < MAX_SOURCES {
            self.sources.push(fresh);
            return self.sources.len() - 1;
        }
        let oldest = self
            .sources
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.last_seen)
            .map_or(0, |(i, _)| i);
        self.sources[oldest] = fresh;
        oldest
    }
}

fn exception_line() -> &'static Regex {
    static EXC: OnceLock<Regex> = OnceLock::new();
    EXC.get_or_init(|| {
        // `OSError: Connection lost`, `KeyboardInterrupt`,
        // `pyrogram.errors.exceptions.flood_420.FloodWait: Telegram says: ...`
        Regex::new(r"^[A-Za-z_][\w.]*(?::(?: .*)?)?$").expect("exception regex is valid")
    })
}

/// rich's `RichHandler` line with its time column left blank
/// (`           WARNING  Server closed ...`): rich writes the level in
/// capitals and the message right after the level column.
fn rich_record_start(line: &[u8]) -> bool {
    let capitals = line
        .iter()
        .skip_while(|&&b| b == b' ')
        .take_while(|b| b.is_ascii_alphabetic())
        .all(u8::is_ascii_uppercase);
    capitals
        && rich_blank_time_message(line)
            .is_some_and(|start| line.get(start).is_some_and(|&b| b != b' '))
}

/// Python's traceback layout as a little state machine: does `line` (after
/// any collector prefix) continue the record, and what state follows.
///
/// Continuations: the `Traceback (most recent call last):` header, indented
/// lines (frames, code, exception-group boxes, rich's wrapped message lines
/// and its `│ ╭ ╰` boxes), the final `SomeError: message` line after the
/// frames, loguru's `> File "..."` frame marker, the chained-exception
/// separators with their blank lines. A new
/// `Traceback` header right after a finished traceback, without a
/// separator, is a new record: a second, unrelated error.
fn python_traceback_continues(state: Traceback, line: &[u8]) -> (bool, Traceback) {
    const HEADER: &[u8] = b"Traceback (most recent call last):";
    const SEPARATORS: [&[u8]; 2] = [
        b"During handling of the above exception, another exception occurred:",
        b"The above exception was the direct cause of the following exception:",
    ];
    let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
    // Dispatch on the first byte: most lines are log lines starting with a
    // digit, a bracket or a level name, and are settled in a comparison or two.
    let Some(&first) = trimmed.first() else {
        return (state != Traceback::Outside, state);
    };
    let indented = match first {
        b' ' | b'\t' => true,
        // `│ ╭ ╰ ┃ ┏ ┗` (rich's boxes) all start with 0xE2 0x94 / 0x95.
        0xE2 => matches!(trimmed.get(1), Some(0x94 | 0x95)),
        b'T' | b'D' => {
            if trimmed.starts_with(HEADER)
                || trimmed.starts_with(b"Traceback (most recent call first):")
            {
                return (state != Traceback::Raised, Traceback::Frames);
            }
            if SEPARATORS.iter().any(|s| trimmed.starts_with(s)) {
                return (state != Traceback::Outside, Traceback::Chained);
            }
            false
        }
        // loguru's `backtrace` marks the frame that raised: `> File "..."`.
        b'>' if state == Traceback::Frames && trimmed.starts_with(b"> File \"") => {
            return (true, Traceback::Frames);
        }
        _ => false,
    };
    let blank =
        (first.is_ascii_whitespace() || indented) && trimmed.iter().all(u8::is_ascii_whitespace);
    match state {
        _ if blank => (state != Traceback::Outside, state),
        // rich leaves the time column blank when the time repeats: such a
        // line is a record of its own, not a continuation.
        Traceback::Outside if first == b' ' && rich_record_start(trimmed) => {
            (false, Traceback::Outside)
        }
        _ if indented => (
            true,
            if state == Traceback::Outside {
                state
            } else {
                Traceback::Frames
            },
        ),
        Traceback::Frames if exception_line().is_match(trimmed) => (true, Traceback::Raised),
        _ => (false, Traceback::Outside),
    }
}

#[cfg(test)]
#[path = "framer_tests.rs"]
mod tests;
