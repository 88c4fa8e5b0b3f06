//! The template miner: a Drain-like grouping of masked messages into
//! templates, with the per-template counts the ranking needs.
//!
//! As in Drain's fixed-depth parse tree, a message's logger, token count,
//! first token, URLs and whether it is an error pick a leaf (a group), and
//! within the leaf the template with the most equal constant tokens wins
//! if at least [`SIMILARITY`] of the remaining tokens agree; otherwise the
//! message starts a new template. Joining a template turns every
//! disagreeing token into a wildcard. An exact-match cache (masked message
//! → template) skips the comparison for the common case of a message seen
//! before.
//!
//! **Work per message is bounded.** A leaf offers at most
//! [`LEAF_CANDIDATES`] templates to compare with (as Drain bounds its
//! tree): when a new template joins a full leaf, it takes the place of the
//! least seen one, which stays a template (the exact cache still finds it)
//! but is no longer a candidate. So a log whose messages never repeat
//! (users' free text) costs at most that many comparisons a message, not
//! one per template ever made.
//!
//! URLs are part of the leaf key because the request they name is what a
//! line is about: `POST …/getUpdates` (a poll) and `POST …/sendMessage` (a
//! reply) must not become one template with a wildcard.
//!
//! Memory is bounded by the template cap: when it is reached, the least
//! seen tenth of the templates is evicted in one sweep (ties: the least
//! recently seen), so eviction costs O(1) amortized per message. A template
//! evicted and seen again restarts its counts from zero; the frequent
//! templates that suggestions are made from survive.

use std::collections::HashMap;
use std::hash::Hasher;

use super::hash::{hash, IdHash, IdHasher};
use super::mask::Masked;
use super::prefix::Line;
use super::shape::Shapes;
use super::template::{generalize, keep_sample, record_values, Template};

/// Share of the tokens after the first that must agree for a message to
/// join a template (Drain's similarity threshold).
const SIMILARITY: f64 = 0.5;
/// Templates of one leaf compared with a message, at most.
pub(crate) const LEAF_CANDIDATES: usize = 16;
/// Largest bucket total tracked exactly by the histogram.
const HISTOGRAM: usize = 4096;

/// A record handed to the miner.
pub(crate) struct Record<'a> {
    /// The record's first line, read.
    pub line: &'a Line<'a>,
    /// Error level or traceback.
    pub error: bool,
    /// Window id (log time or line position).
    pub window: i64,
    /// Burst bucket id (a thirtieth of a window).
    pub bucket: i64,
    /// Log time in ms (or a stand-in on line positions).
    pub time_ms: i64,
}

impl Record<'_> {
    fn logger(&self) -> &[u8] {
        self.line.logger
    }

    fn body(&self) -> &[u8] {
        self.line.message
    }

    /// Whether the message starts the line (no prefix at all).
    fn at_line_start(&self) -> bool {
        self.line.prefix.body == 0 && !self.line.prefix.json
    }

    /// The template key's bits for where the message is.
    fn place(&self) -> u64 {
        u64::from(self.at_line_start()) | u64::from(self.line.prefix.json) << 1
    }
}

/// Counts over the whole input, for the ranking.
#[derive(Clone, Debug, Default)]
pub(crate) struct Totals {
    /// Records fed.
    pub records: u64,
    /// Templates evicted to stay under the cap.
    pub evicted: u64,
    /// Template-to-message comparisons made (the work per message is
    /// bounded by [`LEAF_CANDIDATES`]).
    pub compared: u64,
    /// Histogram of records per non-empty bucket (last cell: that many or more).
    pub bucket_sizes: Vec<u64>,
    /// Smallest and largest bucket id seen.
    pub bucket_span: Option<(i64, i64)>,
    /// Smallest and largest window id seen.
    pub window_span: Option<(i64, i64)>,
}

/// The Drain-like miner. See the module doc for the bounds.
pub(crate) struct Miner {
    templates: Vec<Option<Template>>,
    free: Vec<u32>,
    live: usize,
    cap: usize,
    serial: u64,
    groups: HashMap<u64, Vec<u32>, IdHash>,
    exact: HashMap<u64, u32, IdHash>,
    masked: Masked,
    shapes: Shapes,
    bucket: Option<i64>,
    bucket_total: u64,
    touched: Vec<u32>,
    totals: Totals,
}

fn widen(span: &mut Option<(i64, i64)>, v: i64) {
    let (lo, hi) = span.unwrap_or((v, v));
    *span = Some((lo.min(v), hi.max(v)));
}

impl Miner {
    /// A miner keeping at most `cap` templates (at least 10).
    pub fn new(cap: usize) -> Miner {
        Miner {
            templates: Vec::new(),
            free: Vec::new(),
            live: 0,
            cap: cap.max(10),
            serial: 0,
            groups: HashMap::default(),
            exact: HashMap::default(),
            masked: Masked::default(),
            shapes: Shapes::default(),
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

    /// Adds one record; returns the serial of the template it joined.
    pub(crate) fn feed(&mut self, rec: &Record) -> u64 {
        self.totals.records += 1;
        let seq = self.totals.records;
        if self.bucket != Some(rec.bucket) {
            self.close_bucket();
            self.bucket = Some(rec.bucket);
            widen(&mut self.totals.bucket_span, rec.bucket);
        }
        widen(&mut self.totals.window_span, rec.window);
        self.bucket_total += 1;

        let mut masked = std::mem::take(&mut self.masked);
        masked.mask(rec.body());
        let id = self.template_for(rec, &masked);
        self.masked = masked;
        let shape = self.shapes.id(rec.line.text, &rec.line.prefix);
        let level = self
            .shapes
            .level(rec.line.level_word, rec.line.prefix.is_error());

        let Some(t) = self.templates.get_mut(id as usize).and_then(Option::as_mut) else {
            return 0;
        };
        t.count += 1;
        t.errors += u64::from(rec.error);
        t.truncated |= self.masked.truncated;
        t.last_seen = seq;
        t.add_shape(shape, level);
        t.add_time(rec.time_ms);
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
        record_values(t, &self.masked, rec.body());
        keep_sample(t, rec.line.text, shape);
        t.serial
    }

    /// Ends the input: every template still held, the shapes, and the totals.
    pub(crate) fn finish(mut self) -> (Vec<Template>, Shapes, Totals) {
        self.close_bucket();
        let templates = self.templates.into_iter().flatten().collect();
        (templates, self.shapes, self.totals)
    }

    /// The template `masked` belongs to, created (and the leaf joined or
    /// generalized) as needed.
    fn template_for(&mut self, rec: &Record, masked: &Masked) -> u32 {
        let n = masked.tokens.len();
        let mut h = IdHasher(hash(rec.logger()));
        h.write_u64(n as u64 | (rec.place() << 32) | (u64::from(rec.error) << 34));
        h.write_u64(hash(masked.token_text(0)));
        for (i, tok) in masked.tokens.iter().enumerate().skip(1) {
            if tok.url {
                h.write_u64(hash(masked.token_text(i)));
            }
        }
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

        // Drain's leaf search: the most similar of the leaf's candidates.
        let mut best: Option<(u32, usize)> = None;
        let mut compared = 0;
        let members = self.groups.get(&group_key).map_or(&[][..], Vec::as_slice);
        for &id in members {
            if !self.fits(id, rec, n) {
                continue;
            }
            let Some(t) = self.templates[id as usize].as_ref() else {
                continue;
            };
            compared += 1;
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
        self.totals.compared += compared;
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
                    && *t.logger == *rec.logger()
                    && t.at_line_start == rec.at_line_start()
                    && t.json == rec.line.prefix.json
                    && t.error == rec.error
            })
    }

    fn create(&mut self, rec: &Record, masked: &Masked, group_key: u64) -> u32 {
        if self.live >= self.cap {
            self.evict();
        }
        self.serial += 1;
        let t = Template::new(
            self.serial,
            rec.logger(),
            rec.at_line_start(),
            rec.line.prefix.json,
            rec.error,
            masked,
        );
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
        let templates = &self.templates;
        let members = self.groups.entry(group_key).or_default();
        if members.len() < LEAF_CANDIDATES {
            members.push(id);
        } else if let Some(weakest) = members.iter_mut().min_by_key(|m| {
            templates[**m as usize]
                .as_ref()
                .map_or((0, 0), |t| (t.count, t.last_seen))
        }) {
            // The least seen candidate gives way; it stays a template.
            *weakest = id;
        }
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

#[cfg(test)]
mod tests {
    use super::super::prefix::Reader;
    use super::*;

    fn feed(m: &mut Miner, line: &str, n: i64) -> u64 {
        let mut reader = Reader::default();
        let line = reader.read(line.as_bytes());
        m.feed(&Record {
            line: &line,
            error: line.prefix.is_error(),
            window: n / 100,
            bucket: n,
            time_ms: n * 100,
        })
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
        let (ts, _, totals) = m.finish();
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
    fn errors_and_requests_of_other_methods_are_templates_of_their_own() {
        let mut m = Miner::new(100);
        let url = "https://api.telegram.org/bot7012345678:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0";
        let poll = feed(
            &mut m,
            &format!("INFO:httpx:HTTP Request: POST {url}/getUpdates \"HTTP/1.1 200 OK\""),
            0,
        );
        let send = feed(
            &mut m,
            &format!("INFO:httpx:HTTP Request: POST {url}/sendMessage \"HTTP/1.1 200 OK\""),
            0,
        );
        assert_ne!(poll, send);
        assert_eq!(
            feed(
                &mut m,
                &format!(
                    "INFO:httpx:HTTP Request: POST {url}/getUpdates \"HTTP/1.1 502 Bad Gateway\""
                ),
                0
            ),
            poll
        );
        let debug = feed(&mut m, "DEBUG:bot.metrics:42", 0);
        assert_eq!(feed(&mut m, "DEBUG:bot.metrics:43", 0), debug);
        assert_ne!(feed(&mut m, "CRITICAL:bot.metrics:44", 0), debug);
        let (ts, _, _) = m.finish();
        let poll = ts.iter().find(|t| t.serial == poll).unwrap();
        assert_eq!(poll.shapes.len(), 1);
        assert!(
            !poll.samples.iter().any(|s| s.line.contains("AAHfiqks")),
            "{:?}",
            poll.samples
        );
    }

    #[test]
    fn work_per_message_is_bounded_by_the_leaf() {
        // Every message its own template, all in one leaf (same logger,
        // token count and first word): a leaf without a bound compares each
        // message with every template made before it.
        let mut m = Miner::new(100_000);
        let records = 5_000u64;
        for i in 0..records {
            let w = |k: u64| to_word((i * 4 + k).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40);
            let line = format!("INFO:bot:Message {} {} {} {}", w(0), w(1), w(2), w(3));
            feed(&mut m, &line, i as i64);
        }
        let (ts, _, totals) = m.finish();
        assert!(ts.len() > 1000, "{} templates", ts.len());
        // Not the constant itself: the test is that there is a small bound.
        const { assert!(LEAF_CANDIDATES <= 16) };
        assert!(
            totals.compared <= records * 16,
            "{} comparisons for {records} messages",
            totals.compared
        );
    }

    fn to_word(mut n: u64) -> String {
        let mut s = String::new();
        loop {
            s.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
            if n == 0 {
                return s;
            }
        }
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
        let (ts, _, totals) = m.finish();
        assert!(totals.evicted > 0);
        let steady = ts.iter().find(|t| t.count == 10_000);
        assert!(steady.is_some(), "the frequent template survives eviction");
    }
}
