//! Log collector prefixes (docker compose, journald, Heroku, docker
//! `--timestamps`): recognised cheaply, split off so framing and log time
//! see the program's own line, and named so framing keeps one record per
//! source.

use regex::bytes::{CaptureLocations, Regex};
use std::sync::OnceLock;

/// The collector-prefix regex and the indices of its source groups.
struct CollectorPrefix {
    regex: Regex,
    sources: [usize; 3],
}

fn collector_prefix() -> &'static CollectorPrefix {
    static PREFIX: OnceLock<CollectorPrefix> = OnceLock::new();
    PREFIX.get_or_init(|| {
        // ASCII classes: the Unicode ones would cost milliseconds to build.
        let regex = Regex::new(concat!(
            "(?-u)",
            // docker compose: `bot-1  | ` (v2) or `bot_1  | ` (v1); a blank
            // line of the program (inside a chained traceback) is `bot-1  |`.
            r"^(?:(?P<compose>[A-Za-z0-9][\w.-]*[-_]\d+)\s+\|(?: |$)",
            // journald / syslog: `Mar 14 03:22:41 host python3[2211]: `
            // (a blank line of the program may lose the space after the colon)
            r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?P<journal>\S+ [^\s:\[]+(?:\[\d+\])?):(?: |$)",
            // Heroku: `2022-01-07T15:23:27.046930+00:00 app[worker.1]: `
            r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) (?P<heroku>[\w-]+\[[\w.-]+\]):(?: |$)",
            // docker logs --timestamps: `2025-11-20T16:32:54.123456789Z `
            r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z )",
        ))
        .expect("collector prefix regex is valid");
        let index = |name: &str| regex.capture_names().position(|n| n == Some(name)).unwrap_or(0);
        let sources = [index("compose"), index("journal"), index("heroku")];
        CollectorPrefix { regex, sources }
    })
}

/// Splits a collector prefix off `line`: (source id, the rest). Lines
/// without a known prefix have an empty source id. `slots` are capture
/// slots kept by the caller (made here on first use), so the per-line split
/// allocates nothing.
pub(crate) fn split_collector_prefix<'l>(
    line: &'l [u8],
    slots: &mut Option<CaptureLocations>,
) -> (&'l [u8], &'l [u8]) {
    if !may_have_collector_prefix(line) {
        return (&[], line);
    }
    let prefix = collector_prefix();
    let slots = slots.get_or_insert_with(|| prefix.regex.capture_locations());
    let Some(whole) = prefix.regex.captures_read(slots, line) else {
        return (&[], line);
    };
    let source = prefix
        .sources
        .iter()
        .find_map(|&i| slots.get(i))
        .map_or(&[][..], |(start, end)| &line[start..end]);
    (source, &line[whole.end()..])
}

/// The bytes of a docker compose service name, `[A-Za-z0-9_.-]`, as a
/// table: one load per byte in the name scan below.
const NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-';
        b += 1;
    }
    table
};

/// The `|` after a compose name's padding: `| ` before the program's line,
/// or `|` alone on a blank one (with or without its line ending).
fn compose_bar(rest: &[u8]) -> bool {
    matches!(rest, [b'|'] | [b'|', b' ' | b'\r' | b'\n', ..])
}

/// A cheap test that rules out the prefixes for almost every plain log
/// line, so the prefix regex runs only on lines that may carry one.
pub(super) fn may_have_collector_prefix(line: &[u8]) -> bool {
    let Some(&first) = line.first() else {
        return false;
    };
    if !first.is_ascii_alphanumeric() {
        return false;
    }
    // Heroku / docker --timestamps: `YYYY-MM-DDT...`
    if line.len() > 20 && line[4] == b'-' && line[10] == b'T' {
        return true;
    }
    // journald: `Mon DD HH:MM:SS `
    if line.len() > 16 && line[3] == b' ' && line[9] == b':' && first.is_ascii_uppercase() {
        return true;
    }
    // A Python or loguru line, `YYYY-MM-DD HH:...`: whatever bytes 0-3, 5-6
    // and 8-9 are, a compose name ends before a space that is followed
    // (after more spaces) by something other than `| ` (the digit at 11,
    // or the `-` at 4 or 7). Settled without the scan below.
    if line.len() > 11
        && line[4] == b'-'
        && line[7] == b'-'
        && line[10] == b' '
        && line[11].is_ascii_digit()
    {
        return false;
    }
    // docker compose: `name-N`, padding spaces, `| `. One forward scan over
    // the name: plain log lines fail at their first space or colon.
    let name_end = line
        .iter()
        .position(|&b| !NAME_BYTE[usize::from(b)])
        .unwrap_or(line.len());
    let spaces = line[name_end..].iter().take_while(|&&b| b == b' ').count();
    if spaces == 0 || !compose_bar(&line[name_end + spaces..]) {
        return false;
    }
    let name = &line[..name_end];
    name.iter()
        .rposition(|b| !b.is_ascii_digit())
        .is_some_and(|i| i + 1 < name.len() && matches!(name[i], b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The test as it was before the date short cut and the name table:
    /// the reference the faster one is held to.
    fn reference(line: &[u8]) -> bool {
        let Some(&first) = line.first() else {
            return false;
        };
        if !first.is_ascii_alphanumeric() {
            return false;
        }
        if line.len() > 20 && line[4] == b'-' && line[10] == b'T' {
            return true;
        }
        if line.len() > 16 && line[3] == b' ' && line[9] == b':' && first.is_ascii_uppercase() {
            return true;
        }
        let name_end = line
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
            .unwrap_or(line.len());
        let name = &line[..name_end];
        let ends_in_index = name
            .iter()
            .rposition(|b| !b.is_ascii_digit())
            .is_some_and(|i| i + 1 < name.len() && matches!(name[i], b'-' | b'_'));
        if !ends_in_index {
            return false;
        }
        let spaces = line[name_end..].iter().take_while(|&&b| b == b' ').count();
        let rest = &line[name_end + spaces..];
        spaces > 0
            && (rest.starts_with(b"| ")
                || rest == b"|"
                || rest.starts_with(b"|\n")
                || rest.starts_with(b"|\r"))
    }

    #[test]
    fn prefixes_are_recognised_and_plain_lines_are_not() {
        let mut slots = None;
        let cases: [(&[u8], &[u8], &[u8]); 8] = [
            // A blank line inside a chained traceback.
            (b"bot-1  |", b"bot-1", b""),
            (b"bot-1  |x", b"", b"bot-1  |x"),
            (
                b"bot-1  | 2022-01-07 15:23:27,046 x",
                b"bot-1",
                b"2022-01-07 15:23:27,046 x",
            ),
            (b"2025-1-20 1 | x", b"", b"2025-1-20 1 | x"),
            (
                b"2025-11-20 16:32:54,123 - bot - x",
                b"",
                b"2025-11-20 16:32:54,123 - bot - x",
            ),
            (b"2025-11-20  | x", b"2025-11-20", b"x"),
            (
                b"Mar 14 03:22:41 host python3[2211]: hi",
                b"host python3[2211]",
                b"hi",
            ),
            (
                b"Mar 14 03:22:41 host python3[2211]:",
                b"host python3[2211]",
                b"",
            ),
        ];
        for (line, source, body) in cases {
            assert_eq!(split_collector_prefix(line, &mut slots), (source, body));
        }
    }

    /// The date short cut's claim, over every line whose first twelve
    /// bytes have the shortcut's shape and are otherwise drawn from one byte
    /// of each kind the reference tells apart (digit, index separator,
    /// other name byte, space, pipe, other), with the endings that matter.
    #[test]
    fn no_line_of_the_date_shape_has_a_compose_prefix() {
        const KINDS: &[u8] = b"1-a |:";
        let free = [0, 1, 2, 3, 5, 6, 8, 9];
        let mut line = *b"0000-00-00 2";
        let mut whole = Vec::new();
        for mut n in 0..KINDS.len().pow(8) {
            for &at in &free {
                line[at] = KINDS[n % KINDS.len()];
                n /= KINDS.len();
            }
            for end in [&b""[..], b"| x", b" | x", b"x"] {
                whole.clear();
                whole.extend_from_slice(&line);
                whole.extend_from_slice(end);
                assert!(!reference(&whole), "{}", String::from_utf8_lossy(&whole));
            }
        }
    }

    /// Lines near the shapes the test tells apart: dates, compose names,
    /// pipes and spaces, in any order.
    fn near_prefix() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            "2025", "-", "11", "_", " ", "  ", "|", "| ", "T", ":", "16", "bot", "1", ".", "x",
            "é", "\t", "Mar", "[", "\n", "\r",
        ]);
        prop::collection::vec(piece, 0..14).prop_map(|pieces| pieces.concat().into_bytes())
    }

    /// Lines mostly with `-` at 4 and 7, a space at 10 and a digit at 11
    /// (the short cut's shape), anything near a prefix elsewhere.
    fn date_shaped() -> impl Strategy<Value = Vec<u8>> {
        let free = prop::collection::vec(prop::sample::select(b"1a-_ |.:".to_vec()), 12);
        let dash = prop::sample::select(b"----| 1".to_vec());
        let space = prop::sample::select(b"    |-1".to_vec());
        let digit = prop::sample::select(b"2222| ".to_vec());
        (free, dash.clone(), dash, space, digit, near_prefix()).prop_map(
            |(mut line, d4, d7, s10, d11, rest)| {
                (line[4], line[7], line[10], line[11]) = (d4, d7, s10, d11);
                line.extend(rest);
                line
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn the_date_short_cut_gives_what_the_reference_gives(line in date_shaped()) {
            prop_assert_eq!(may_have_collector_prefix(&line), reference(&line));
        }

        #[test]
        fn the_quick_test_gives_what_the_reference_gives(line in near_prefix()) {
            prop_assert_eq!(may_have_collector_prefix(&line), reference(&line));
        }

        #[test]
        fn the_quick_test_gives_what_the_reference_gives_on_any_bytes(
            line in prop::collection::vec(any::<u8>(), 0..40)
        ) {
            prop_assert_eq!(may_have_collector_prefix(&line), reference(&line));
        }
    }
}
