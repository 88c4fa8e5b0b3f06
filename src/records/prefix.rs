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
            // docker compose: `bot-1  | ` (v2) or `bot_1  | ` (v1)
            r"^(?:(?P<compose>[A-Za-z0-9][\w.-]*[-_]\d+)\s+\| ",
            // journald / syslog: `Mar 14 03:22:41 host python3[2211]: `
            r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?P<journal>\S+ [^\s:\[]+(?:\[\d+\])?): ",
            // Heroku: `2022-01-07T15:23:27.046930+00:00 app[worker.1]: `
            r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) (?P<heroku>[\w-]+\[[\w.-]+\]): ",
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
    // docker compose: `name-N`, padding spaces, `| `. One forward scan over
    // the name: plain log lines fail at their first space or colon.
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
    spaces > 0 && line[name_end + spaces..].starts_with(b"| ")
}
