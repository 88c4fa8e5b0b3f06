//! Records and log time: which lines belong together as one record (a
//! log line and its Python traceback, say), what time a record was logged
//! at, and the fields of its first line (time, level, logger, message).
//! All pure functions of the lines seen so far.

mod framer;
mod layout;
mod logtime;
mod prefix;

pub use framer::Framing;
pub(crate) use framer::{Disposition, Frame, Framer, Passed, PYTHON_TRACEBACK};
pub use layout::{timestamp_ms, Fields, LayoutId, LayoutRecognizer, LayoutSpec, Level};
pub use logtime::TimestampPreset;
pub use logtime::{LogClock, TimestampSpec};
pub(crate) use prefix::split_collector_prefix;

/// A line's bytes as patterns see them: without its `\n` and a `\r` before it.
pub fn line_content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `text` without the spaces and tabs at its end. A message copied from a
/// terminal is padded to the window's width, and a `$` in a rule means the
/// end of the words, not of the padding.
pub fn trim_blank_end(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    &text[..end]
}
