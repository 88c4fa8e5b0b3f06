//! Log layouts: splitting a record's first line (after any collector
//! prefix) into time, level, logger and message, so that rules can match a
//! library's logger and levels and a pattern on the message alone, in
//! whatever layout a bot prints: the stdlib formats in common use, loguru,
//! rich, Home Assistant, bracketed styles, uvicorn, JSON lines, or a bare
//! message.
//!
//! The layouts are a table ([`PRESETS`]), each with sample lines its tests
//! read. [`LayoutRecognizer`] reads lines with a declared layout
//! ([`LayoutSpec`]) or, for `auto`, with the layout that read the previous
//! line first and then every preset in order. It never misreads: a layout
//! matches only when a known level word sits where the layout puts its
//! level and a Python logger name where it puts the logger; anything else
//! is a bare message. Text layouts return slices of the line and allocate
//! nothing; JSON values with escapes are decoded into a scratch buffer the
//! caller keeps.

mod clock;
mod declared;
mod json;
mod level;
mod logfmt;
mod loose;
mod presets;
mod scan;
mod stdlib;
#[cfg(test)]
mod tests;

pub use clock::timestamp_ms;
pub use declared::{CustomLayout, LayoutSpec};
pub use level::Level;
pub(crate) use presets::rich_blank_time_message;
pub use presets::{Preset, PRESETS};

use regex::bytes::CaptureLocations;

use presets::Parse;
use scan::{is_logger, Raw};

/// Which layout read a line: a preset, or the declared regex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayoutId(u8);

impl LayoutId {
    /// JSON lines.
    pub const JSON: LayoutId = LayoutId(0);
    /// A bare message: no layout read the line.
    pub const BARE: LayoutId = LayoutId(PRESETS.len() as u8 - 1);
    /// The loose reading, tried after every other preset.
    pub const LOOSE: LayoutId = LayoutId(PRESETS.len() as u8 - 2);
    /// The layout declared as a regex or a Python format string.
    pub const CUSTOM: LayoutId = LayoutId(u8::MAX);

    /// The preset of this name.
    pub fn from_name(name: &str) -> Option<LayoutId> {
        PRESETS
            .iter()
            .position(|p| p.name == name)
            .map(|i| LayoutId(i as u8))
    }

    /// The preset's name, or `custom`.
    pub fn name(self) -> &'static str {
        self.preset().map_or("custom", |p| p.name)
    }

    /// The preset, unless this is the declared regex.
    pub fn preset(self) -> Option<&'static Preset> {
        PRESETS.get(usize::from(self.0))
    }
}

/// The fields of one line. Text layouts borrow them from the line; JSON
/// values with escapes come from the caller's scratch buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields<'a> {
    /// The timestamp's text, as written.
    pub time: Option<&'a [u8]>,
    /// The level; `None` when the layout has none (bare, rich without
    /// one) or it is unknown.
    pub level: Option<Level>,
    /// The level as written (`WARNING`, `warn`, `Info`), without padding;
    /// `None` with no level.
    pub level_word: Option<&'a [u8]>,
    /// The logger name (a Python dotted name); `None` when the layout
    /// shows none.
    pub logger: Option<&'a [u8]>,
    /// The message: the whole line for a bare message.
    pub message: &'a [u8],
    /// Which layout read it.
    pub layout: LayoutId,
}

impl<'a> Fields<'a> {
    /// A bare message: the whole line, nothing else known.
    pub fn bare(line: &'a [u8]) -> Fields<'a> {
        Fields {
            time: None,
            level: None,
            level_word: None,
            logger: None,
            message: line,
            layout: LayoutId::BARE,
        }
    }

    /// Where `field` (one of these fields) lies in `line`, the line they
    /// were read from: `None` for a JSON value decoded into the scratch
    /// buffer, which is no part of the line.
    pub fn span_in(line: &[u8], field: &[u8]) -> Option<(usize, usize)> {
        let start = (field.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
        let end = start.checked_add(field.len())?;
        (end <= line.len()).then_some((start, end))
    }
}

/// What a layout read, before it becomes [`Fields`]: ranges of the line,
/// or where a JSON object's values are. Borrows nothing, so the auto loop
/// can try layouts one after another before touching the scratch buffer.
enum Read {
    Text(Raw),
    Json([Option<json::Found>; 4]),
}

/// Reads the lines of one stream with one [`LayoutSpec`]. Keeps the
/// layout of the last line read (streams keep one layout) and reusable
/// capture slots, so reading a line allocates nothing.
#[derive(Clone, Debug)]
pub struct LayoutRecognizer {
    spec: LayoutSpec,
    /// The layout that read the last line that was not bare.
    locked: Option<LayoutId>,
    /// Capture slots for a custom regex, made on first use.
    slots: Option<CaptureLocations>,
}

impl LayoutRecognizer {
    /// A recognizer for `spec`.
    pub fn new(spec: LayoutSpec) -> LayoutRecognizer {
        LayoutRecognizer {
            spec,
            locked: None,
            slots: None,
        }
    }

    /// The layout `auto` tries first: the one that read the last line that
    /// was not a bare message.
    pub fn locked(&self) -> Option<LayoutId> {
        self.locked
    }

    /// Splits `line` (a newline and a `\r` before it are ignored) into its
    /// fields. Never fails: a line no layout reads is a bare message.
    /// `scratch` holds decoded JSON values; it is cleared here, and once it
    /// has grown to the longest line's values nothing is allocated.
    pub fn recognize<'a>(&mut self, line: &'a [u8], scratch: &'a mut Vec<u8>) -> Fields<'a> {
        let line = super::line_content(line);
        let read = match &self.spec {
            LayoutSpec::Auto => self.auto(line),
            LayoutSpec::Preset(id) => read(*id, line).map(|r| (*id, r)),
            LayoutSpec::Custom(layout) => {
                let mut fields =
                    custom(layout, &mut self.slots, line).unwrap_or(Fields::bare(line));
                fields.message = super::trim_blank_end(fields.message);
                return fields;
            }
        };
        let mut fields = match read {
            Some((id, Read::Text(raw))) => text_fields(id, raw, line),
            Some((id, Read::Json(found))) => json_fields(id, &found, line, scratch),
            None => Fields::bare(line),
        };
        // A JSON message is the program's own string, padding and all.
        if fields.layout != LayoutId::JSON {
            fields.message = super::trim_blank_end(fields.message);
        }
        fields
    }

    /// `auto`: the locked layout, then every preset in order. The lock
    /// moves to the layout that read the line, except from a layout that
    /// reads loggers to one that does not: a bot logger whose name is no
    /// dotted name (`my-bot`) fails `time-level-name` and reads as
    /// `time-level`, and the stream's other lines must not follow it there.
    fn auto(&mut self, line: &[u8]) -> Option<(LayoutId, Read)> {
        let mut candidates = presets::first_bytes()[usize::from(*line.first()?)];
        if let Some(id) = self.locked {
            if candidates >> id.0 & 1 == 1 {
                if let Some(r) = read(id, line) {
                    return Some((id, r));
                }
                candidates &= !(1 << id.0);
            }
        }
        let (id, r) = std::iter::from_fn(|| {
            // Lowest set bit first: the table's order.
            let i = candidates.trailing_zeros();
            candidates &= candidates.checked_sub(1)?;
            Some(LayoutId(i as u8))
        })
        .find_map(|id| read(id, line).map(|r| (id, r)))?;
        let keeps_logger = |l: LayoutId| l.preset().is_some_and(|p| p.reads_logger);
        // The loose reading is the last resort for one line, never the
        // stream's layout: tried first, it would read what a preset reads
        // better (`WARNING:asyncio:...` as the message `asyncio:...`).
        if id != LayoutId::LOOSE
            && self
                .locked
                .is_none_or(|l| !keeps_logger(l) || keeps_logger(id))
        {
            self.locked = Some(id);
        }
        Some((id, r))
    }
}

/// Reads `line` with one preset; `None` if it does not fit.
fn read(id: LayoutId, line: &[u8]) -> Option<Read> {
    match id.preset()?.parse {
        Parse::Program(program) => {
            scan::run(program, line).map(|raw| Read::Text(refine(line, raw)))
        }
        Parse::Custom(parse, _) => parse(line).map(|raw| Read::Text(refine(line, raw))),
        Parse::Json => json::scan(line)
            .filter(|f| f[json::MESSAGE].is_some())
            .map(Read::Json),
        Parse::Bare => None,
    }
}

/// A layout that shows neither time nor logger before its message (`[LEVEL]
/// message`) may be the start of a longer one: `[LEVEL] TIME logger:
/// message`. A timestamp opening the message is read as the time, and a
/// dotted name after it, ended by a separator, as the logger.
fn refine(line: &[u8], mut raw: Raw) -> Raw {
    if raw.time.is_some() || raw.logger.is_some() {
        return raw;
    }
    let at = raw.message.0;
    let Some(n) = scan::time_len(&line[at..]) else {
        return raw;
    };
    let mut start = at + n + loose::separators(&line[at + n..]);
    if start == at + n || start >= raw.message.1 {
        return raw;
    }
    raw.time = Some((at, at + n));
    if let Some((from, to, after)) = loose::logger_at(line, start) {
        let rest = after + loose::separators(&line[after..]);
        if rest < raw.message.1 {
            raw.logger = Some((from, to));
            start = rest;
        }
    }
    raw.message.0 = start;
    raw
}

fn text_fields(id: LayoutId, raw: Raw, line: &[u8]) -> Fields<'_> {
    let slice = |(a, b): (usize, usize)| &line[a..b];
    Fields {
        time: raw.time.map(slice),
        level: raw.level,
        level_word: raw.level.and(raw.level_span.map(slice)),
        logger: raw.logger.map(slice),
        message: slice(raw.message),
        layout: id,
    }
}

/// A JSON line's fields: values without escapes borrowed from the line,
/// the others decoded into `scratch`. A level that is no level word and a
/// logger that is no dotted name are left unknown.
fn json_fields<'a>(
    id: LayoutId,
    found: &[Option<json::Found>; 4],
    line: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Fields<'a> {
    scratch.clear();
    // Where each value is: (in scratch?, start, end).
    let mut at = [None; 4];
    for (slot, value) in found.iter().enumerate() {
        let Some(value) = value else { continue };
        let (start, end) = value.span;
        at[slot] = Some(if value.escaped {
            let from = scratch.len();
            json::unescape(&line[start..end], scratch);
            (true, from, scratch.len())
        } else {
            (false, start, end)
        });
    }
    let scratch: &'a [u8] = scratch;
    let get = |slot: usize| {
        at[slot].map(|(decoded, a, b)| if decoded { &scratch[a..b] } else { &line[a..b] })
    };
    let level_word = get(json::LEVEL).filter(|word| Level::parse(word).is_some());
    Fields {
        time: get(json::TIME),
        level: level_word.and_then(Level::parse),
        level_word: level_word.map(<[u8]>::trim_ascii),
        logger: get(json::LOGGER).filter(|name| is_logger(name)),
        message: get(json::MESSAGE).unwrap_or(line),
        layout: id,
    }
}

/// A line read with the declared regex; `None` (a bare message) when it
/// does not match, its message group is unset, its level group holds no
/// level word or its logger group no dotted name.
fn custom<'a>(
    layout: &CustomLayout,
    slots: &mut Option<CaptureLocations>,
    line: &'a [u8],
) -> Option<Fields<'a>> {
    let slots = slots.get_or_insert_with(|| layout.regex.capture_locations());
    layout.regex.captures_read(slots, line)?;
    let get = |slot: usize| {
        layout.groups[slot]
            .and_then(|i| slots.get(i))
            .map(|(a, b)| &line[a..b])
    };
    let level = match get(1) {
        Some(word) => Some(Level::parse(word)?),
        None => None,
    };
    let logger = match get(2) {
        Some(name) if !is_logger(name) => return None,
        other => other,
    };
    Some(Fields {
        time: get(0).filter(|t| !t.is_empty()),
        level,
        level_word: level.and(get(1)).map(<[u8]>::trim_ascii),
        logger,
        message: get(3)?,
        layout: LayoutId::CUSTOM,
    })
}
