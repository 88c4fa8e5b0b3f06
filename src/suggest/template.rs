//! A template: the tokens every message of a group shares (the others
//! are wildcards), what its slots held, the prefix shapes of its lines,
//! two sample lines and the counts the ranking needs. The miner files
//! messages under templates; this file keeps each template up to date.

use super::hash::hash;
use super::mask::{Kind, Masked, SLOT};
use super::redact::{redact, token_at};

/// Distinct values counted per slot before it reads "many".
pub(crate) const MAX_DISTINCT: usize = 32;
/// Values of a slot kept to name and shape a capture group.
const MAX_EXAMPLES: usize = 8;
/// Longest slot value kept as an example.
const MAX_EXAMPLE_LEN: usize = 64;
/// Longest line kept as a sample (for the `[[test]]` cases).
const MAX_SAMPLE_LEN: usize = 512;
/// Most prefix shapes a template keeps (its rule is anchored on them).
const MAX_TEMPLATE_SHAPES: usize = 8;

/// What is known about the values one slot took.
#[derive(Clone, Debug, Default)]
pub(crate) struct SlotStats {
    /// Hashes of the distinct values seen, up to [`MAX_DISTINCT`].
    distinct: Vec<u64>,
    /// More than [`MAX_DISTINCT`] distinct values were seen.
    pub many: bool,
    /// The first few distinct values.
    pub examples: Vec<Box<[u8]>>,
    /// Some value contained a blank.
    pub any_blank: bool,
    /// Every value was ASCII digits only.
    pub all_digits: bool,
    /// Some quoted value had its quote character inside.
    pub inner_quote: bool,
    /// Some value held a bot token: the slot must never be a window key
    /// (the summaries would print it).
    pub secret: bool,
}

impl SlotStats {
    pub(crate) fn new() -> SlotStats {
        SlotStats {
            all_digits: true,
            ..SlotStats::default()
        }
    }

    /// Number of distinct values, or `None` for more than [`MAX_DISTINCT`].
    pub(crate) fn distinct(&self) -> Option<usize> {
        (!self.many).then_some(self.distinct.len())
    }

    fn observe(&mut self, value: &[u8], kind: Option<Kind>) {
        self.any_blank |= value.iter().any(|&b| b == b' ' || b == b'\t');
        self.all_digits &= !value.is_empty() && value.iter().all(u8::is_ascii_digit);
        match (kind, value.first()) {
            (Some(Kind::DoubleQuoted | Kind::SingleQuoted), Some(&q)) => {
                self.inner_quote |= value.len() > 2 && value[1..value.len() - 1].contains(&q);
            }
            (Some(Kind::Token), _) => self.secret = true,
            // A wildcard's value is raw text: look for a token in it.
            (None, _) if !self.secret => {
                self.secret = (0..value.len()).any(|i| token_at(value, i).is_some());
            }
            _ => {}
        }
        if self.many {
            return;
        }
        let h = hash(value);
        if self.distinct.contains(&h) {
            return;
        }
        if self.distinct.len() == MAX_DISTINCT {
            self.many = true;
            self.distinct = Vec::new();
            return;
        }
        self.distinct.push(h);
        if self.examples.len() < MAX_EXAMPLES && value.len() <= MAX_EXAMPLE_LEN && !self.secret {
            self.examples.push(value.into());
        }
    }
}

/// One token position of a template.
#[derive(Clone, Debug)]
pub(crate) struct TemplateToken {
    /// Masked text, or `None` for a wildcard (the text differed).
    pub text: Option<Box<[u8]>>,
    /// One entry per slot of `text`, or one for the whole wildcard token.
    pub slots: Vec<SlotStats>,
}

/// A real line of a template, kept for the `[[test]]` cases, its bot
/// tokens redacted.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    /// The line, without its line ending.
    pub line: String,
    /// Its prefix shape (lines of other layouts or levels differ here).
    pub shape: Option<u16>,
}

/// A template and everything counted about its records.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    /// Creation number, unique over the run (ids of evicted templates are reused).
    pub serial: u64,
    /// The logger name; empty when none was recognised.
    pub logger: Box<[u8]>,
    /// Whether the message started the line (no prefix at all).
    pub at_line_start: bool,
    /// Its lines are JSON objects: its rule matches their message.
    pub json: bool,
    /// Its records are at ERROR or worse, or carry a traceback (a template
    /// holds either such records only or none).
    pub error: bool,
    /// The message tokens.
    pub tokens: Vec<TemplateToken>,
    /// Some message was longer than what was looked at.
    pub truncated: bool,
    /// Prefix shapes of its lines, up to [`MAX_TEMPLATE_SHAPES`].
    pub shapes: Vec<u16>,
    /// Some line had a shape past that many, or none at all.
    pub more_shapes: bool,
    /// Level words of its lines, up to [`MAX_TEMPLATE_SHAPES`].
    pub levels: Vec<u16>,
    /// Records seen.
    pub count: u64,
    /// Records at ERROR or worse, or carrying a traceback.
    pub errors: u64,
    /// Windows in which the template occurred.
    pub windows: u64,
    /// The largest count in one window.
    pub peak: u64,
    /// Σ over buckets of (count in bucket)², for the burst measure.
    pub self_sq: f64,
    /// Σ over buckets of count × all records in the bucket.
    pub crowd: f64,
    /// Up to two sample lines (of different shapes when possible).
    pub samples: Vec<Sample>,
    /// Time between consecutive records (log time, ms): how many, their
    /// sum and sum of squares, for how regular the template comes.
    pub gaps: u64,
    pub gap_sum: f64,
    pub gap_sq: f64,
    pub(crate) last_time: Option<i64>,
    pub(crate) window: i64,
    pub(crate) window_count: u64,
    pub(crate) bucket_count: u64,
    pub(crate) last_seen: u64,
}

impl Template {
    /// A template with the tokens of `masked` and nothing counted yet.
    pub(crate) fn new(
        serial: u64,
        logger: &[u8],
        at_line_start: bool,
        json: bool,
        error: bool,
        masked: &Masked,
    ) -> Template {
        let tokens = (0..masked.tokens.len())
            .map(|i| TemplateToken {
                text: Some(masked.token_text(i).into()),
                slots: vec![SlotStats::new(); masked.tokens[i].slots.len()],
            })
            .collect();
        Template {
            serial,
            logger: logger.into(),
            at_line_start,
            json,
            error,
            tokens,
            truncated: false,
            shapes: Vec::new(),
            more_shapes: false,
            levels: Vec::new(),
            count: 0,
            errors: 0,
            windows: 0,
            peak: 0,
            self_sq: 0.0,
            crowd: 0.0,
            samples: Vec::new(),
            gaps: 0,
            gap_sum: 0.0,
            gap_sq: 0.0,
            last_time: None,
            window: 0,
            window_count: 0,
            bucket_count: 0,
            last_seen: 0,
        }
    }

    /// Notes the prefix shape and level word of one of its lines.
    pub(crate) fn add_shape(&mut self, shape: Option<u16>, level: Option<u16>) {
        match shape {
            Some(id) if self.shapes.contains(&id) => {}
            Some(id) if self.shapes.len() < MAX_TEMPLATE_SHAPES => self.shapes.push(id),
            _ => self.more_shapes = true,
        }
        match level {
            Some(id) if self.levels.contains(&id) => {}
            Some(id) if self.levels.len() < MAX_TEMPLATE_SHAPES => self.levels.push(id),
            Some(_) => self.more_shapes = true,
            None => {}
        }
    }

    /// Notes the time of one of its records.
    pub(crate) fn add_time(&mut self, ms: i64) {
        if let Some(last) = self.last_time.replace(ms) {
            let gap = ms.saturating_sub(last).max(0) as f64;
            self.gaps += 1;
            self.gap_sum += gap;
            self.gap_sq += gap * gap;
        }
    }

    /// The coefficient of variation of the time between its records
    /// (standard deviation over mean): about 1 for traffic that comes at
    /// random (a bot's replies to its users), far less for a timer (a poll
    /// every few seconds). `None` with fewer than 10 gaps.
    pub(crate) fn irregularity(&self) -> Option<f64> {
        if self.gaps < 10 || self.gap_sum <= 0.0 {
            return None;
        }
        let n = self.gaps as f64;
        let mean = self.gap_sum / n;
        let var = (self.gap_sq / n - mean * mean).max(0.0);
        Some(var.sqrt() / mean)
    }

    /// Whether every line of it says the same thing: no wildcard, and no
    /// slot with more than `most` distinct values.
    pub(crate) fn constant(&self, most: usize) -> bool {
        self.tokens.iter().all(|tok| {
            tok.text.is_some()
                && tok
                    .slots
                    .iter()
                    .all(|s| s.distinct().is_some_and(|n| n <= most))
        })
    }

    /// The template for people: the logger, then the message with `*` for
    /// each variable part (`<redacted>` for a bot token).
    pub(crate) fn display(&self) -> String {
        let mut out = String::new();
        if !self.logger.is_empty() {
            out.push_str(&String::from_utf8_lossy(&self.logger));
            out.push_str(": ");
        }
        for (i, tok) in self.tokens.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let Some(text) = &tok.text else {
                out.push('*');
                continue;
            };
            let mut k = 0;
            while k < text.len() {
                if text[k] == SLOT {
                    let kind = Kind::from_code(text.get(k + 1).copied().unwrap_or(b'a'));
                    out.push_str(if kind == Kind::Token {
                        super::redact::REDACTED
                    } else {
                        "*"
                    });
                    k += 2;
                    continue;
                }
                let run = text[k..].iter().take_while(|&&b| b != SLOT).count();
                out.push_str(&String::from_utf8_lossy(&text[k..k + run]));
                k += run;
            }
        }
        if self.truncated {
            out.push_str(" …");
        }
        redact(&out).into_owned()
    }
}

/// Turns the tokens where `masked` differs from `t` into wildcards.
pub(crate) fn generalize(t: &mut Template, masked: &Masked) {
    for (i, tok) in t.tokens.iter_mut().enumerate() {
        let Some(text) = &tok.text else { continue };
        if **text == *masked.token_text(i) {
            continue;
        }
        // The slot history of the old text does not carry over; what the
        // wildcard needs (may a value hold a blank? a token?) does.
        let mut wild = SlotStats::new();
        wild.any_blank = tok.slots.iter().any(|s| s.any_blank);
        wild.secret = tok.slots.iter().any(|s| s.secret);
        wild.all_digits = false;
        wild.observe(
            &text
                .iter()
                .map(|&b| if b == SLOT { b'*' } else { b })
                .collect::<Vec<u8>>(),
            None,
        );
        tok.text = None;
        tok.slots = vec![wild];
    }
}

/// Records the slot values of one message of `t`.
pub(crate) fn record_values(t: &mut Template, masked: &Masked, body: &[u8]) {
    for (tok, mtok) in t.tokens.iter_mut().zip(&masked.tokens) {
        match &tok.text {
            None => {
                if let (Some(stats), Some(raw)) =
                    (tok.slots.first_mut(), body.get(mtok.raw.clone()))
                {
                    stats.observe(raw, None);
                }
            }
            Some(_) => {
                for (stats, span) in tok.slots.iter_mut().zip(&masked.slots[mtok.slots.clone()]) {
                    if let Some(raw) = body.get(span.raw.clone()) {
                        stats.observe(raw, Some(span.kind));
                    }
                }
            }
        }
    }
}

/// Keeps the first line of a template, and a second one that differs from
/// it — of another prefix shape if one comes along. Tokens are redacted
/// on the way in: a sample is printed as a `[[test]]` line.
pub(crate) fn keep_sample(t: &mut Template, line: &[u8], shape: Option<u16>) {
    let wanted = match t.samples.as_slice() {
        [] => true,
        [first] => first.shape != shape || first.line.len() != line.len(),
        // Both of one shape so far, and this line is of another.
        [first, second, ..] => second.shape == first.shape && shape != first.shape,
    };
    if !wanted || line.len() > MAX_SAMPLE_LEN {
        return;
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let text = redact(text);
    if t.samples.iter().any(|s| s.line == text) {
        return;
    }
    let sample = Sample {
        line: text.into_owned(),
        shape,
    };
    if t.samples.len() < 2 {
        t.samples.push(sample);
    } else {
        t.samples[1] = sample;
    }
}
