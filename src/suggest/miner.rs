//! The template miner: a Drain-like grouping of masked messages into
//! templates, with the per-template counts the ranking needs.
//!
//! As in Drain's fixed-depth parse tree, a message's logger, token count
//! and first token pick a group, and within the group the template with
//! the most equal constant tokens wins if at least [`SIMILARITY`] of the
//! remaining tokens agree; otherwise the message starts a new template.
//! Joining a template turns every disagreeing token into a wildcard. An
//! exact-match cache (masked message → template) skips the comparison for
//! the common case of a message seen before.
//!
//! Memory is bounded by the template cap: when it is reached, the least
//! seen tenth of the templates is evicted in one sweep (ties: the least
//! recently seen), so eviction costs O(1) amortized per message. A template
//! evicted and seen again restarts its counts from zero; the frequent
//! templates that suggestions are made from survive.

use std::collections::HashMap;
use std::hash::Hasher;

use super::hash::{hash, IdHash, IdHasher};
use super::mask::{Kind, Masked, SLOT};

/// Share of the tokens after the first that must agree for a message to
/// join a template (Drain's similarity threshold).
const SIMILARITY: f64 = 0.5;
/// Distinct values counted per slot before it reads "many".
pub(crate) const MAX_DISTINCT: usize = 32;
/// Values of a slot kept to name and shape a capture group.
const MAX_EXAMPLES: usize = 8;
/// Longest slot value kept as an example.
const MAX_EXAMPLE_LEN: usize = 64;
/// Longest line kept as a sample (for the `[[test]]` cases).
const MAX_SAMPLE_LEN: usize = 512;
/// Largest bucket total tracked exactly by the histogram.
const HISTOGRAM: usize = 4096;

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
}

impl SlotStats {
    fn new() -> SlotStats {
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
        if let (Some(Kind::DoubleQuoted | Kind::SingleQuoted), Some(&q)) = (kind, value.first()) {
            self.inner_quote |= value.len() > 2 && value[1..value.len() - 1].contains(&q);
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
        if self.examples.len() < MAX_EXAMPLES && value.len() <= MAX_EXAMPLE_LEN {
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

/// A real line of a template, kept for the `[[test]]` cases.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    /// The line, without its line ending.
    pub line: String,
    /// Where its message started (lines of other layouts differ here).
    pub body: usize,
}

/// A template and everything counted about its records.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    /// The logger name; empty when none was recognised.
    pub logger: Box<[u8]>,
    /// Whether the message started the line (no prefix at all).
    pub at_line_start: bool,
    /// The message tokens.
    pub tokens: Vec<TemplateToken>,
    /// Some message was longer than what was looked at.
    pub truncated: bool,
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
    /// Up to two sample lines (of different layouts when possible).
    pub samples: Vec<Sample>,
    window: i64,
    window_count: u64,
    bucket_count: u64,
    last_seen: u64,
}

/// A record handed to the miner.
pub(crate) struct Record<'a> {
    /// The record's first line, without its line ending.
    pub line: &'a [u8],
    /// Logger name (may be empty).
    pub logger: &'a [u8],
    /// Whether the message starts the line.
    pub at_line_start: bool,
    /// Offset of the message in `line`.
    pub body: usize,
    /// Error level or traceback.
    pub error: bool,
    /// Window id (log time or line position).
    pub window: i64,
    /// Burst bucket id (a thirtieth of a window).
    pub bucket: i64,
}

/// Counts over the whole input, for the ranking.
#[derive(Clone, Debug, Default)]
pub(crate) struct Totals {
    /// Records fed.
    pub records: u64,
    /// Templates evicted to stay under the cap.
    pub evicted: u64,
    /// Histogram of records per non-empty bucket (last cell: that many or more).
    pub bucket_sizes: Vec<u64>,
    /// Smallest and largest bucket id seen.
    pub bucket_span: Option<(i64, i64)>,
}

/// The Drain-like miner. See the module doc for the bound on memory.
pub(crate) struct Miner {
    templates: Vec<Option<Template>>,
    free: Vec<u32>,
    live: usize,
    cap: usize,
    groups: HashMap<u64, Vec<u32>, IdHash>,
    exact: HashMap<u64, u32, IdHash>,
    masked: Masked,
    bucket: Option<i64>,
    bucket_total: u64,
    touched: Vec<u32>,
    totals: Totals,
}

impl Miner {
    /// A miner keeping at most `cap` templates (at least 10).
    pub fn new(cap: usize) -> Miner {
        Miner {
            templates: Vec::new(),
            free: Vec::new(),
            live: 0,
            cap: cap.max(10),
            groups: HashMap::default(),
            exact: HashMap::default(),
            masked: Masked::default(),
            bucket: None,
            bucket_total: 0,
            touched: Vec::new(),
            totals: Totals {
                bucket_sizes: vec![0; HISTOGRAM],
                ..Totals::default()
            },
        }
    }

    /// Templates currently held.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Adds one record.
    pub(crate) fn feed(&mut self, rec: &Record) {
        self.totals.records += 1;
        let seq = self.totals.records;
        if self.bucket != Some(rec.bucket) {
            self.close_bucket();
            self.bucket = Some(rec.bucket);
            let (lo, hi) = self.totals.bucket_span.unwrap_or((rec.bucket, rec.bucket));
            self.totals.bucket_span = Some((lo.min(rec.bucket), hi.max(rec.bucket)));
        }
        self.bucket_total += 1;

        let mut masked = std::mem::take(&mut self.masked);
        masked.mask(rec.line.get(rec.body..).unwrap_or_default());
        let id = self.template_for(rec, &masked);
        self.masked = masked;

        let Some(t) = self.templates.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        t.count += 1;
        t.errors += u64::from(rec.error);
        t.truncated |= self.masked.truncated;
        t.last_seen = seq;
        if t.window != rec.window || t.window_count == 0 {
            t.window = rec.window;
            t.window_count = 0;
            t.windows += 1;
        }
        t.window_count += 1;
        t.peak = t.peak.max(t.window_count);
        if t.bucket_count == 0 {
            self.touched.push(id);
        }
        t.bucket_count += 1;
        record_values(t, &self.masked, &rec.line[rec.body.min(rec.line.len())..]);
        keep_sample(t, rec);
    }

    /// Ends the input: every template still held, and the totals.
    pub(crate) fn finish(mut self) -> (Vec<Template>, Totals) {
        self.close_bucket();
        let templates = self.templates.into_iter().flatten().collect();
        (templates, self.totals)
    }

    /// The template `masked` belongs to, created (and the group joined or
    /// generalized) as needed.
    fn template_for(&mut self, rec: &Record, masked: &Masked) -> u32 {
        let n = masked.tokens.len();
        let mut h = IdHasher(hash(rec.logger));
        h.write_u64(n as u64 | (u64::from(rec.at_line_start) << 32));
        h.write_u64(hash(masked.token_text(0)));
        let group_key = h.0;
        for i in 1..n {
            h.write_u64(hash(masked.token_text(i)));
        }
        let exact_key = h.0;
        if let Some(&id) = self.exact.get(&exact_key) {
            if self.fits(id, rec, n) {
                return id;
            }
        }

        // Drain's leaf search: the most similar template of the group.
        let mut best: Option<(u32, usize)> = None;
        if let Some(members) = self.groups.get(&group_key) {
            for &id in members {
                if !self.fits(id, rec, n) {
                    continue;
                }
                let Some(t) = self.templates[id as usize].as_ref() else {
                    continue;
                };
                let equal = (1..n)
                    .filter(|&i| t.tokens[i].text.as_deref() == Some(masked.token_text(i)))
                    .count();
                let wild = t.tokens.iter().filter(|t| t.text.is_none()).count();
                let rest = n.saturating_sub(1);
                let similar = rest == 0 || equal >= 1 && equal as f64 >= SIMILARITY * rest as f64;
                if similar && best.is_none_or(|(_, e)| equal + wild > e) {
                    best = Some((id, equal + wild));
                }
            }
        }
        let id = match best {
            Some((id, _)) => {
                if let Some(t) = self.templates[id as usize].as_mut() {
                    generalize(t, masked);
                }
                id
            }
            None => self.create(rec, masked, group_key),
        };
        if self.exact.len() >= self.cap.saturating_mul(4) {
            self.exact.clear();
        }
        self.exact.insert(exact_key, id);
        id
    }

    /// Whether template `id` exists and has the shape of the record.
    fn fits(&self, id: u32, rec: &Record, n: usize) -> bool {
        self.templates
            .get(id as usize)
            .and_then(Option::as_ref)
            .is_some_and(|t| {
                t.tokens.len() == n
                    && *t.logger == *rec.logger
                    && t.at_line_start == rec.at_line_start
            })
    }

    fn create(&mut self, rec: &Record, masked: &Masked, group_key: u64) -> u32 {
        if self.live >= self.cap {
            self.evict();
        }
        let tokens = (0..masked.tokens.len())
            .map(|i| {
                let tok = &masked.tokens[i];
                TemplateToken {
                    text: Some(masked.token_text(i).into()),
                    slots: vec![SlotStats::new(); tok.slots.len()],
                }
            })
            .collect();
        let t = Template {
            logger: rec.logger.into(),
            at_line_start: rec.at_line_start,
            tokens,
            truncated: false,
            count: 0,
            errors: 0,
            windows: 0,
            peak: 0,
            self_sq: 0.0,
            crowd: 0.0,
            samples: Vec::new(),
            window: 0,
            window_count: 0,
            bucket_count: 0,
            last_seen: 0,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.templates[id as usize] = Some(t);
                id
            }
            None => {
                self.templates.push(Some(t));
                (self.templates.len() - 1) as u32
            }
        };
        self.live += 1;
        self.groups.entry(group_key).or_default().push(id);
        id
    }

    /// Drops the least seen tenth of the templates.
    fn evict(&mut self) {
        // The bucket in progress refers to templates by id: settle it first.
        self.close_bucket();
        let mut order: Vec<(u64, u64, u32)> = self
            .templates
            .iter()
            .enumerate()
            .filter_map(|(id, t)| t.as_ref().map(|t| (t.count, t.last_seen, id as u32)))
            .collect();
        let drop = (self.live / 10).max(1).min(order.len());
        if drop == 0 {
            return;
        }
        order.select_nth_unstable(drop - 1);
        for &(_, _, id) in &order[..drop] {
            self.templates[id as usize] = None;
            self.free.push(id);
        }
        self.live -= drop;
        self.totals.evicted += drop as u64;
        let templates = &self.templates;
        self.groups.retain(|_, members| {
            members.retain(|&id| templates[id as usize].is_some());
            !members.is_empty()
        });
        self.exact.clear();
    }

    fn close_bucket(&mut self) {
        let total = self.bucket_total;
        if total == 0 {
            return;
        }
        let cell = (total as usize).min(HISTOGRAM - 1);
        self.totals.bucket_sizes[cell] += 1;
        for &id in &self.touched {
            if let Some(t) = self.templates.get_mut(id as usize).and_then(Option::as_mut) {
                let c = t.bucket_count as f64;
                t.self_sq += c * c;
                t.crowd += c * total as f64;
                t.bucket_count = 0;
            }
        }
        self.touched.clear();
        self.bucket_total = 0;
    }
}

/// Turns the tokens where `masked` differs from `t` into wildcards.
fn generalize(t: &mut Template, masked: &Masked) {
    for (i, tok) in t.tokens.iter_mut().enumerate() {
        let Some(text) = &tok.text else { continue };
        if **text == *masked.token_text(i) {
            continue;
        }
        // The slot history of the old text does not carry over; what the
        // wildcard needs (may a value hold a blank?) does.
        let mut wild = SlotStats::new();
        wild.any_blank = tok.slots.iter().any(|s| s.any_blank);
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
fn record_values(t: &mut Template, masked: &Masked, body: &[u8]) {
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
/// it — of another layout if one comes along.
fn keep_sample(t: &mut Template, rec: &Record) {
    let wanted = match t.samples.as_slice() {
        [] => true,
        [first] => first.line.as_bytes() != rec.line,
        // Both of one layout so far, and this line is of another.
        [first, second, ..] => second.body == first.body && rec.body != first.body,
    };
    if !wanted || rec.line.len() > MAX_SAMPLE_LEN {
        return;
    }
    let Ok(line) = std::str::from_utf8(rec.line) else {
        return;
    };
    let sample = Sample {
        line: line.to_owned(),
        body: rec.body,
    };
    if t.samples.len() < 2 {
        t.samples.push(sample);
    } else {
        t.samples[1] = sample;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(m: &mut Miner, line: &str, n: i64) {
        let p = super::super::prefix::parse(line.as_bytes());
        let logger = p.logger.map_or(&b""[..], |(s, e)| &line.as_bytes()[s..e]);
        m.feed(&Record {
            line: line.as_bytes(),
            logger,
            at_line_start: p.body == 0,
            body: p.body,
            error: false,
            window: n / 100,
            bucket: n,
        });
    }

    #[test]
    fn groups_by_logger_and_shape_and_generalizes() {
        let mut m = Miner::new(100);
        for (i, user) in ["@a", "@b", "@c"].iter().enumerate() {
            feed(&mut m, &format!("INFO:bot:Replied to {user} in {i}0 ms"), 0);
            feed(
                &mut m,
                &format!("INFO:other:Replied to {user} in {i}0 ms"),
                0,
            );
            feed(
                &mut m,
                "2025-11-20 16:32:54,123 - bot - INFO - Session started",
                0,
            );
        }
        feed(&mut m, "INFO:bot:Session closed", 0);
        let (ts, totals) = m.finish();
        assert_eq!(totals.records, 10);
        assert_eq!(ts.len(), 4, "{ts:#?}");
        let replied = ts
            .iter()
            .find(|t| &*t.logger == b"bot" && t.tokens.len() == 6)
            .unwrap();
        assert_eq!(replied.count, 3);
        assert!(
            replied.tokens[2].text.is_none(),
            "the user became a wildcard"
        );
        assert_eq!(replied.tokens[2].slots[0].distinct(), Some(3));
        assert_eq!(replied.tokens[4].slots[0].distinct(), Some(3));
        let started = ts
            .iter()
            .find(|t| t.count == 3 && t.tokens.len() == 2)
            .unwrap();
        assert_eq!(started.samples.len(), 1, "identical lines give one sample");
    }

    #[test]
    fn eviction_keeps_the_template_count_bounded() {
        let mut m = Miner::new(50);
        for i in 0..10_000 {
            // Every line its own template: distinct first words.
            feed(
                &mut m,
                &format!(
                    "INFO:x:word{} happened",
                    char::from(b'a' + (i % 26) as u8)
                        .to_string()
                        .repeat(i / 26 + 1)
                ),
                i as i64,
            );
            feed(&mut m, "INFO:x:steady line", i as i64);
            assert!(m.len() <= 50);
        }
        let (ts, totals) = m.finish();
        assert!(totals.evicted > 0);
        let steady = ts.iter().find(|t| t.count == 10_000);
        assert!(steady.is_some(), "the frequent template survives eviction");
    }
}
