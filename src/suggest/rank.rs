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

use super::miner::{Template, Totals};

/// Burst measure from which a template counts as noise.
const MIN_BURST: f64 = 2.0;
/// Flood measure from which a template counts as noise.
const MIN_FLOOD: f64 = 3.0;
/// Fewest records for a suggestion: a rule for a handful of lines is noise itself.
const MIN_COUNT: u64 = 5;
/// Without timestamps (Python's default `LEVEL:name:msg` layout) windows
/// are counted in lines, and a flood that is most of the log looks steady
/// by position alone: a template this large a share is worth a rule then.
/// (With log time, steady traffic is steady, whatever its share.)
const DOMINANT_SHARE: f64 = 0.25;
/// ... when it has at least this many records.
const DOMINANT_COUNT: u64 = 50;

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

/// Why a template was passed over; reported in the table format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Ranked as noise.
    Noise,
    /// Spread like ordinary traffic.
    Steady,
    /// At ERROR level or with a traceback.
    Error,
    /// A loaded rule already matches it.
    Covered,
    /// Too few records, or no usable sample line.
    Rare,
}

/// Scores every template; returns them best first with their verdicts.
pub(crate) fn rank(
    templates: &[Template],
    totals: &Totals,
    include_errors: bool,
    log_time: bool,
    already_matched: &dyn Fn(&[u8]) -> bool,
) -> Vec<(Score, Verdict)> {
    let median = median_bucket(&totals.bucket_sizes).max(1.0);
    let span = totals
        .bucket_span
        .map_or(1.0, |(lo, hi)| {
            (hi.saturating_sub(lo)).saturating_add(1) as f64
        })
        .max(1.0);
    let mut out: Vec<(Score, Verdict)> = templates
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let n = t.count.max(1) as f64;
            let mean_rate = n / span;
            let burst = t.self_sq / n / (1.0 + mean_rate);
            let flood = t.crowd / n / median;
            let saved = t.count.saturating_sub(t.windows);
            let score = saved as f64 * (1.0 + burst.max(flood)).ln();
            let verdict = if t.errors > 0 && !include_errors {
                Verdict::Error
            } else if t.count < MIN_COUNT || t.samples.is_empty() {
                Verdict::Rare
            } else if burst < MIN_BURST
                && flood < MIN_FLOOD
                && (log_time
                    || t.count < DOMINANT_COUNT
                    || n / (totals.records.max(1) as f64) < DOMINANT_SHARE)
            {
                Verdict::Steady
            } else if t.samples.iter().any(|s| already_matched(s.line.as_bytes())) {
                Verdict::Covered
            } else {
                Verdict::Noise
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
    out.sort_by(|a, b| {
        (b.1 == Verdict::Noise)
            .cmp(&(a.1 == Verdict::Noise))
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

/// How alike two templates are, for picking a negative test case: shared
/// constant words (Jaccard), plus a bonus for the same logger.
pub(crate) fn similarity(a: &Template, b: &Template) -> f64 {
    let words = |t: &Template| -> Vec<Vec<u8>> {
        let mut w: Vec<Vec<u8>> = t
            .tokens
            .iter()
            .filter_map(|tok| tok.text.as_deref())
            .flat_map(|text| text.split(|&b| !b.is_ascii_alphanumeric()))
            .filter(|w| w.len() > 1 && !w.iter().all(u8::is_ascii_digit))
            .map(<[u8]>::to_vec)
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    };
    let (wa, wb) = (words(a), words(b));
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
