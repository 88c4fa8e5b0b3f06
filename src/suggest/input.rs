//! Reading the log: lines from any reader with a bounded buffer, and their
//! framing into records, so that a Python traceback belongs to the record
//! that logged it instead of making templates of its own.
//!
//! A record continues with lines that start with a blank, with
//! `Traceback (most recent call last):`, with `During handling of the above
//! exception` or `The above exception was the direct cause`, and with the
//! exception line right after a traceback's frames (when it has no
//! timestamp or level of its own). Blank lines outside a traceback are not
//! records at all.

use std::io::{self, Read};

use memchr::memchr;

use super::prefix::Reader;

/// Longest line held whole; the rest of a longer line is skipped (the
/// miner looks at far less anyway).
const MAX_LINE: usize = 64 * 1024;
/// Read size.
const CHUNK: usize = 1 << 20;

/// Lines of one reader, without their `\n` or `\r\n`.
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Inside the unread tail of an overlong line.
    skipping: bool,
    read: u64,
}

impl<R: Read> LineReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: vec![0; CHUNK + MAX_LINE],
            start: 0,
            end: 0,
            eof: false,
            skipping: false,
            read: 0,
        }
    }

    /// Bytes read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The next line, or `None` at the end of the input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            if let Some(i) = memchr(b'\n', &self.buf[self.start..self.end]) {
                let line = self.start..self.start + i.min(MAX_LINE);
                self.start += i + 1;
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                return Ok(Some(trim_cr(&self.buf[line])));
            }
            if self.eof {
                let line = self.start..self.end;
                self.start = self.end;
                if line.is_empty() || std::mem::take(&mut self.skipping) {
                    return Ok(None);
                }
                return Ok(Some(trim_cr(&self.buf[line])));
            }
            if self.end - self.start >= MAX_LINE {
                // An overlong line: hand out its head, drop the rest.
                let line = self.start..self.start + MAX_LINE;
                self.start = self.end;
                if !std::mem::replace(&mut self.skipping, true) {
                    return Ok(Some(&self.buf[line]));
                }
                continue;
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    self.read += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What a finished record is handed on with: its first line, whether it
/// carried a traceback, and the number of its first line (from 1).
pub(crate) type Emit<'a> = dyn FnMut(&[u8], bool, u64) + 'a;

/// Groups lines into records; hands each finished record's first line to
/// a callback along with whether it carried a traceback.
#[derive(Default)]
pub(crate) struct Framer {
    first: Vec<u8>,
    /// Lines pushed so far, over all inputs.
    lines: u64,
    /// Number of the open record's first line.
    first_at: u64,
    open: bool,
    traceback: bool,
    in_frames: bool,
    /// Reads the line after a traceback's frames: a log line of its own?
    layouts: Reader,
}

impl Framer {
    /// Lines pushed so far.
    pub(crate) fn lines(&self) -> u64 {
        self.lines
    }

    /// Takes the next line; `emit` receives the record it ends, if any.
    pub(crate) fn push(&mut self, line: &[u8], emit: &mut Emit) {
        self.lines += 1;
        if self.continues(line) {
            return;
        }
        if line.is_empty() {
            return; // a blank line outside a traceback belongs to nothing
        }
        self.finish(emit);
        self.first.clear();
        self.first.extend_from_slice(line);
        self.first_at = self.lines;
        self.open = true;
        self.traceback = line.starts_with(b"Traceback (most recent call last):");
        self.in_frames = self.traceback;
    }

    /// Ends the input: emits the record in progress.
    pub(crate) fn finish(&mut self, emit: &mut Emit) {
        if std::mem::take(&mut self.open) {
            emit(&self.first, self.traceback, self.first_at);
        }
        self.traceback = false;
        self.in_frames = false;
    }

    /// Whether `line` continues the open record (updating the traceback state).
    fn continues(&mut self, line: &[u8]) -> bool {
        if !self.open {
            return false;
        }
        match line.first() {
            None => self.traceback,
            Some(b' ' | b'\t') => true,
            Some(b'T') if line.starts_with(b"Traceback (most recent call last):") => {
                self.traceback = true;
                self.in_frames = true;
                true
            }
            Some(b'D' | b'T')
                if line.starts_with(b"During handling of the above exception")
                    || line.starts_with(b"The above exception was the direct cause") =>
            {
                self.in_frames = false;
                true
            }
            Some(_) if self.in_frames => {
                // The exception line: unless it is a log line of its own.
                let p = self.layouts.read(line).prefix;
                let own = p.time_ms.is_some() || p.level.is_some();
                self.in_frames = false;
                !own
            }
            Some(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut framer = Framer::default();
        let mut emit =
            |l: &[u8], tb: bool, _: u64| out.push((String::from_utf8_lossy(l).into_owned(), tb));
        let mut reader = LineReader::new(text.as_bytes());
        while let Some(line) = reader.next_line().unwrap() {
            framer.push(line, &mut emit);
        }
        framer.finish(&mut emit);
        out
    }

    #[test]
    fn tracebacks_belong_to_their_record() {
        let log = "2025-11-20 16:32:54,123 - bot - ERROR - boom\nTraceback (most recent call last):\n  File \"x.py\", line 1, in f\n    g()\nOSError: lost\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"y.py\", line 2, in h\nValueError\nINFO:bot:next\n\nplain\r\nTraceback (most recent call last):\n  File \"z\"\nKeyError: 1\nWARNING:asyncio:after";
        assert_eq!(
            records(log),
            [
                (
                    "2025-11-20 16:32:54,123 - bot - ERROR - boom".to_owned(),
                    true
                ),
                ("INFO:bot:next".to_owned(), false),
                ("plain".to_owned(), true),
                ("WARNING:asyncio:after".to_owned(), false),
            ]
        );
        // A traceback cut short does not swallow the next log line.
        assert_eq!(
            records(
                "x\nTraceback (most recent call last):\n  File \"a\"\n2025-11-20 16:32:54 INFO y\n"
            )
            .len(),
            2
        );
    }

    #[test]
    fn overlong_lines_are_cut_and_the_rest_skipped() {
        let mut text = vec![b'a'; MAX_LINE * 3];
        text.extend_from_slice(b"\nshort\nlast");
        let mut reader = LineReader::new(&text[..]);
        assert_eq!(reader.next_line().unwrap().map(<[u8]>::len), Some(MAX_LINE));
        assert_eq!(reader.next_line().unwrap(), Some(&b"short"[..]));
        assert_eq!(reader.next_line().unwrap(), Some(&b"last"[..]));
        assert_eq!(reader.next_line().unwrap(), None);
        assert_eq!(reader.bytes_read(), text.len() as u64);
    }
}
