//! Ranking: which templates look like noise worth a rule, best first.
//!
//! A rule saves every line of its template but one summary per window, so
//! the saving is `count − windows`. Noise differs from a bot's own traffic
//! less in volume than in shape: it comes in floods. Two measures of that,
//! both over buckets of a thirtieth of a window:
//!
//! - *burst*: the mean number of the template's own records in the bucket
//!   of one of its records, over what an even spread would give. Steady
//!   traffic scores about 1, a flood far more.
//! - *flood*: the mean number of records of *any* template in the bucket of
//!   one of its records, over the median bucket. It catches the rarer
//!   kinds of noise that come along with a flood, a few lines each.
//!
//! A template is a candidate when either measure is high enough; the score
//! is the saving weighted by the log of the stronger one.
//!
//! Steady traffic is usually the bot's own, and a rule would hide it; but
//! a library that says the same thing every few seconds (httpx's line for
//! each `getUpdates` long poll, the commonest noise of a polling bot) is
//! chatter however evenly it comes: a template of a library's logger whose
//! every line is alike and that shows up in most windows of the log is
//! suggested too, when it comes like a timer: the time between its lines
//! varies far less than that of traffic that comes when users write
//! (httpx's line for each `sendMessage` reply is the bot's activity, and
//! steady).

use super::miner::Totals;
use super::template::Template;
use super::KnownRules;

/// Burst measure from which a template counts as noise.
const MIN_BURST: f64 = 2.0;
/// Flood measure from which a template counts as noise.
const MIN_FLOOD: f64 = 3.0;
/// Fewest records for a suggestion: a rule for a handful of lines is noise itself.
pub(crate) const MIN_COUNT: u64 = 5;
/// Without timestamps (Python's default `LEVEL:name:msg` layout) windows
/// are counted in lines, and a flood that is most of the log looks steady
/// by position alone: a template this large a share is worth a rule then.
/// (With log time, steady traffic is steady, whatever its share.)
const DOMINANT_SHARE: f64 = 0.25;
/// ... when it has at least this many records (also the least for chatter).
const DOMINANT_COUNT: u64 = 50;
/// Chatter shows up in at least this share of the log's windows...
const CHATTER_WINDOWS: f64 = 0.5;
/// ... no slot of it takes more values than this...
const CHATTER_VALUES: usize = 4;
/// ... and the time between its lines varies less than this (standard
/// deviation over mean; random arrivals give 1).
const CHATTER_IRREGULARITY: f64 = 0.6;
/// Loggers (their first dotted part) of the libraries a bot runs on: their
/// steady, unvarying lines are chatter, not the bot's own traffic.
const LIBRARIES: &[&str] = &[
    "aiogram",
    "aiohttp",
    "apscheduler",
    "asyncio",
    "h11",
    "h2",
    "hpack",
    "httpcore",
    "httpx",
    "hydrogram",
    "kurigram",
    "pyrofork",
    "pyrogram",
    "requests",
    "telebot",
    "telegram",
    "telethon",
    "urllib3",
    "uvicorn",
    "websockets",
];

/// The ranking figures of one template.
#[derive(Clone, Debug)]
#[allow(clippy::struct_field_names)] // `score` is the figure the others feed
pub(crate) struct Score {
    /// Index into the template list.
    pub index: usize,
    /// Lines a rule would have saved: records minus windows.
    pub saved: u64,
    /// Own-burst measure (see the module doc).
    pub burst: f64,
    /// Flood measure (see the module doc).
    pub flood: f64,
    /// Ranking score.
    pub score: f64,
}

/// What `suggest` makes of a template (the table's verdict column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Bursty: a rule is suggested.
    Noise,
    /// A library's steady, unvarying line: a rule is suggested.
    Chatter,
    /// Spread like ordinary traffic: no rule (listed when large).
    Steady,
    /// At ERROR level or with a traceback: no rule without `--include-errors`.
    Error,
    /// A loaded rule already takes it.
    Covered,
    /// A built-in pack that is not loaded takes it: that pack is named
    /// instead of writing a rule.
    Pack(String),
    /// Too few records (or a rule would save too few lines), or no usable
    /// sample line.
    Rare,
}

impl Verdict {
    /// Whether a rule is written for it.
    pub(crate) fn gets_rule(&self) -> bool {
        matches!(self, Verdict::Noise | Verdict::Chatter)
    }

    /// The word in the table.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Verdict::Noise => "noise",
            Verdict::Chatter => "chatter",
            Verdict::Steady => "steady",
            Verdict::Error => "error",
            Verdict::Covered | Verdict::Pack(_) => "covered",
            Verdict::Rare => "rare",
        }
    }
}

fn library(logger: &[u8]) -> bool {
    let first = logger.split(|&b| b == b'.').next().unwrap_or_default();
    LIBRARIES.iter().any(|l| l.as_bytes() == first)
}

/// What the ranking needs to know about the whole input.
pub(crate) struct Context<'a> {
    pub totals: &'a Totals,
    pub include_errors: bool,
    pub log_time: bool,
    pub known: &'a dyn KnownRules,
}

/// Scores every template; returns them best first with their verdicts
/// (those that get a rule first).
pub(crate) fn rank(templates: &[Template], cx: &Context) -> Vec<(Score, Verdict)> {
    let totals = cx.totals;
    let median = median_bucket(&totals.bucket_sizes).max(1.0);
    let span_of = |span: Option<(i64, i64)>| {
        span.map_or(1.0, |(lo, hi)| {
            hi.saturating_sub(lo).saturating_add(1) as f64
        })
        .max(1.0)
    };
    let span = span_of(totals.bucket_span);
    let log_windows = span_of(totals.window_span);
    let mut out: Vec<(Score, Verdict)> = templates
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let n = t.count.max(1) as f64;
            let burst = t.self_sq / n / (1.0 + n / span);
            let flood = t.crowd / n / median;
            let saved = t.count.saturating_sub(t.windows);
            let score = saved as f64 * (1.0 + burst.max(flood)).ln();
            let bursty = burst >= MIN_BURST
                || flood >= MIN_FLOOD
                || !cx.log_time
                    && t.count >= DOMINANT_COUNT
                    && n / (totals.records.max(1) as f64) >= DOMINANT_SHARE;
            let chatter = library(&t.logger)
                && t.count >= DOMINANT_COUNT
                && t.windows as f64 >= CHATTER_WINDOWS * log_windows
                && t.constant(CHATTER_VALUES)
                && t.irregularity().is_some_and(|cv| cv < CHATTER_IRREGULARITY);
            let verdict = if t.errors > 0 && !cx.include_errors {
                Verdict::Error
            } else if t.count < MIN_COUNT || saved < MIN_COUNT || t.samples.is_empty() {
                Verdict::Rare
            } else if !bursty && !chatter {
                Verdict::Steady
            } else if bursty {
                Verdict::Noise
            } else {
                Verdict::Chatter
            };
            (
                Score {
                    index,
                    saved,
                    burst,
                    flood,
                    score,
                },
                verdict,
            )
        })
        .collect();
    // Known rules are asked about the candidates only (a question costs far
    // more than a line of mining) and about the large steady templates the
    // output lists.
    for (score, verdict) in &mut out {
        let t = &templates[score.index];
        let listed = *verdict == Verdict::Steady && t.count >= DOMINANT_COUNT;
        if !verdict.gets_rule() && !listed {
            continue;
        }
        let lines = || t.samples.iter().map(|s| s.line.as_bytes());
        if lines().any(|l| cx.known.takes(l)) {
            *verdict = Verdict::Covered;
        } else if let Some(pack) = lines().find_map(|l| cx.known.pack_for(l)) {
            *verdict = Verdict::Pack(pack);
        }
    }
    out.sort_by(|a, b| {
        b.1.gets_rule()
            .cmp(&a.1.gets_rule())
            .then(b.0.score.total_cmp(&a.0.score))
            .then(templates[b.0.index].count.cmp(&templates[a.0.index].count))
    });
    out
}

/// The median number of records per non-empty bucket.
fn median_bucket(histogram: &[u64]) -> f64 {
    let total: u64 = histogram.iter().sum();
    let mut seen = 0;
    for (size, &n) in histogram.iter().enumerate() {
        seen += n;
        if seen * 2 >= total && n > 0 {
            return size as f64;
        }
    }
    1.0
}

/// The constant words of a template, sorted, for [`similarity`].
pub(crate) fn words(t: &Template) -> Vec<&[u8]> {
    let mut w: Vec<&[u8]> = t
        .tokens
        .iter()
        .filter_map(|tok| tok.text.as_deref())
        .flat_map(|text| text.split(|&b| !b.is_ascii_alphanumeric()))
        .filter(|w| w.len() > 1 && !w.iter().all(u8::is_ascii_digit))
        .collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// How alike two templates are, for picking a negative test case: shared
/// constant words (Jaccard, over [`words`]), plus a bonus for the same logger.
pub(crate) fn similarity(a: &Template, wa: &[&[u8]], b: &Template, wb: &[&[u8]]) -> f64 {
    let shared = wa.iter().filter(|w| wb.binary_search(w).is_ok()).count();
    let union = wa.len() + wb.len() - shared;
    let jaccard = if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    };
    jaccard
        + if a.logger == b.logger && !a.logger.is_empty() {
            0.5
        } else {
            0.0
        }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact medians of small histograms
mod tests {
    use super::*;

    #[test]
    fn median_of_histogram() {
        assert_eq!(median_bucket(&[0, 5, 1, 0, 3]), 1.0);
        assert_eq!(median_bucket(&[0, 1, 1, 0, 3]), 4.0);
        assert_eq!(median_bucket(&[]), 1.0);
    }
}
