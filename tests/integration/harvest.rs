//! The built-in packs against the harvested real library output in
//! `tests/data/harvest/` (see `scripts/harvest/`): per library, at least
//! 95 % of the records labeled `noise` are suppressed (90 % for aiogram,
//! see [`min_noise_suppressed`]), and no record labeled `signal` loses a
//! line.
//!
//! Each library runs with the configuration its users would run: the
//! default set plus that library's opt-in packs (`LIBRARIES` below). A
//! second run with the default set alone is reported, not asserted on
//! (except that it, too, leaves every signal alone).
//!
//! The binary is run with `--dry-run`, which writes every input line in
//! order and tags the would-be-suppressed ones `[logdedup:RULE] `; that
//! gives a verdict per line even where identical lines repeat. A second
//! run without `--dry-run` checks that the filter really suppresses
//! exactly those lines: its output is the input without them and its
//! `--suppressed-to` audit trail is them, byte for byte.
//!
//! Records are framed as the labels were (`scripts/harvest/*/`): the HTTP
//! harvest with `label.frame()`, which mirrors logdedup's python-traceback
//! framing; the MTProto harvest with `trim_and_label.frame()`, which
//! differs from it only in keeping blank lines with the record before.
//!
//! `cargo test --test integration harvest:: -- --nocapture` prints the
//! table.

use crate::util::{logdedup, written};
use regex::bytes::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Library (file-name prefix), harvest, the opt-in packs added to the
/// default set.
const LIBRARIES: &[(&str, &str, &[&str])] = &[
    ("pyrogram", "mtproto", &["pyrogram-reconnect"]),
    ("pyrofork", "mtproto", &["pyrogram-reconnect"]),
    ("kurigram", "mtproto", &["pyrogram-reconnect"]),
    ("hydrogram", "mtproto", &["pyrogram-reconnect"]),
    ("telethon", "mtproto", &["telethon-reconnect"]),
    ("aiogram", "http", &["nginx-error-page"]),
    ("ptb21", "http", &["httpx-polling", "nginx-error-page"]),
    ("ptb22", "http", &["httpx-polling", "nginx-error-page"]),
    ("urllib3", "http", &["urllib3"]),
    ("uvicorn", "http", &["uvicorn"]),
];

/// The least share of the noise records each library must lose. aiogram
/// 3 closes a failed poll's 429 and a flood wait raised into a handler
/// with the same two detail lines (`Original description: Too Many
/// Requests: retry after N`, `(background on this error at: ...)`); the
/// handler's must be seen, nothing in the lines tells them apart, so both
/// pass, and this harvest's polling 429s count as noise left standing.
fn min_noise_suppressed(library: &str) -> f64 {
    if library.starts_with("aiogram") {
        90.0
    } else {
        95.0
    }
}

const HEADER: &[u8] = b"Traceback (most recent call last):";
const HEADER_FIRST: &[u8] = b"Traceback (most recent call first):";
const SEPARATORS: [&[u8]; 2] = [
    b"During handling of the above exception, another exception occurred:",
    b"The above exception was the direct cause of the following exception:",
];

fn regex(cell: &'static OnceLock<Regex>, re: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(re).unwrap())
}

/// `scripts/harvest/http/label.py`, `frame()`: the number of lines of each record.
fn frame_http(lines: &[&[u8]]) -> Vec<usize> {
    static EXC: OnceLock<Regex> = OnceLock::new();
    let exc = regex(&EXC, r"^[A-Za-z_][\w.]*(?::(?: .*)?)?$");
    #[derive(PartialEq, Clone, Copy)]
    enum S {
        Outside,
        Frames,
        Raised,
        Chained,
    }
    let mut records: Vec<usize> = Vec::new();
    let mut state = S::Outside;
    for line in lines {
        let t = line.strip_suffix(b"\r").unwrap_or(line);
        let blank = t.iter().all(u8::is_ascii_whitespace);
        let cont;
        if t.starts_with(HEADER) || t.starts_with(HEADER_FIRST) {
            cont = state != S::Raised;
            state = S::Frames;
        } else if SEPARATORS.iter().any(|s| t.starts_with(s)) {
            cont = state != S::Outside;
            state = S::Chained;
        } else if t.is_empty() {
            cont = state != S::Outside;
        } else if t[0] == b' ' || t[0] == b'\t' {
            if blank {
                cont = state != S::Outside;
            } else {
                cont = true;
                if state != S::Outside {
                    state = S::Frames;
                }
            }
        } else if state == S::Frames && exc.is_match(t) {
            cont = true;
            state = S::Raised;
        } else {
            cont = false;
            state = S::Outside;
        }
        match records.last_mut() {
            Some(n) if cont => *n += 1,
            _ => records.push(1),
        }
    }
    records
}

/// `scripts/harvest/mtproto/trim_and_label.py`, `frame()`.
fn frame_mtproto(lines: &[&[u8]]) -> Vec<usize> {
    static EXC: OnceLock<Regex> = OnceLock::new();
    static LOG_START: OnceLock<Regex> = OnceLock::new();
    let exc = regex(&EXC, r"^[A-Za-z_][A-Za-z0-9_.]*(: .*|:)?$");
    let levels = "(DEBUG|INFO|WARNING|ERROR|CRITICAL)";
    let log_start = LOG_START.get_or_init(|| {
        Regex::new(&format!(
            r"^{levels}:[^:]*:.*$|^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} - \S+ - {levels} - .*$|^\[\d\d-\w{{3}}-\d\d \d\d:\d\d:\d\d - {levels}\] - \S+ - .*$"
        ))
        .unwrap()
    });
    let mut records: Vec<usize> = Vec::new();
    let mut in_tb = false;
    for s in lines {
        let s: &[u8] = s;
        let mut cont = false;
        if !records.is_empty() {
            if s == HEADER
                || SEPARATORS.contains(&s)
                || s.is_empty()
                || s[0] == b' '
                || s[0] == b'\t'
            {
                cont = true;
            } else if in_tb && exc.is_match(s) && !log_start.is_match(s) {
                cont = true;
                in_tb = false;
            }
        }
        if s == HEADER {
            in_tb = true;
        } else if SEPARATORS.contains(&s) {
            in_tb = false;
        }
        if cont {
            *records.last_mut().unwrap() += 1;
        } else {
            in_tb = s == HEADER;
            records.push(1);
        }
    }
    records
}

/// What the filter decided for each line: `Some(rule)` when suppressed.
fn verdicts(log: &Path, packs: &[&str], tmp: &Path) -> Vec<Option<String>> {
    let input = std::fs::read(log).unwrap();
    let audit = tmp.join("dry.suppressed");
    let _ = std::fs::remove_file(&audit);
    let mut cmd = logdedup();
    for p in packs {
        cmd.arg("-r").arg(format!("builtin:{p}"));
    }
    let out = cmd
        .arg("--dry-run")
        .arg("--summary-to")
        .arg(tmp.join("dry.summaries"))
        .arg("--suppressed-to")
        .arg(&audit)
        .arg(log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let marks = crate::util::dryrun::tags(log, &input, &out.stdout);
    let input_lines = crate::util::dryrun::lines(&input);
    let mut trail = Vec::new();
    for (line, mark) in input_lines.iter().zip(&marks) {
        if mark.is_some() {
            trail.extend_from_slice(line);
            trail.push(b'\n');
        }
    }
    let dry_trail = written(&audit);
    assert!(dry_trail == trail, "{}: dry-run audit trail", log.display());

    // The real filter suppresses exactly the tagged lines.
    let real_audit = tmp.join("real.suppressed");
    let _ = std::fs::remove_file(&real_audit);
    let mut cmd = logdedup();
    for p in packs {
        cmd.arg("-r").arg(format!("builtin:{p}"));
    }
    let out = cmd
        .arg("--summary-to")
        .arg(tmp.join("real.summaries"))
        .arg("--suppressed-to")
        .arg(&real_audit)
        .arg(log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut kept = Vec::new();
    for (line, mark) in input_lines.iter().zip(&marks) {
        if mark.is_none() {
            kept.extend_from_slice(line);
            kept.push(b'\n');
        }
    }
    if !input.ends_with(b"\n") && marks.last().is_some_and(Option::is_none) {
        kept.pop();
    }
    assert!(
        out.stdout == kept,
        "{}: output differs from the dry run",
        log.display()
    );
    let real_trail = written(&real_audit);
    assert!(
        real_trail == trail,
        "{}: audit trail differs from the dry run",
        log.display()
    );
    marks
}

#[derive(Default)]
struct Tally {
    logs: usize,
    records: usize,
    noise: usize,
    noise_suppressed: usize,
    signal: usize,
    /// Signal records with any line suppressed, except a first line
    /// summarized while the traceback framed onto it passed whole.
    signal_suppressed: usize,
    /// Signal records whose first line (a noise line) was summarized by a
    /// single-line rule while the crash traceback framed onto it passed.
    signal_first_line_only: usize,
    other: usize,
    other_suppressed: usize,
    touched: Vec<String>,
}

impl Tally {
    fn pct(&self) -> f64 {
        if self.noise == 0 {
            100.0
        } else {
            100.0 * self.noise_suppressed as f64 / self.noise as f64
        }
    }
}

fn tally(lib: &str, corpus: &str, packs: &[&str], tmp: &Path) -> Tally {
    let dir = PathBuf::from("tests/data/harvest").join(corpus);
    let mut logs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            p.extension().is_some_and(|e| e == "log")
                && (name.starts_with(&format!("{lib}-")) || name.starts_with(&format!("{lib}.")))
        })
        .collect();
    logs.sort();
    assert!(!logs.is_empty(), "no harvested logs for {lib}");
    let mut t = Tally::default();
    for log in &logs {
        let data = std::fs::read(log).unwrap();
        let lines = crate::util::dryrun::lines(&data);
        let records = match corpus {
            "http" => frame_http(&lines),
            _ => frame_mtproto(&lines),
        };
        let labels = std::fs::read_to_string(log.with_extension("labels")).unwrap();
        let labels: Vec<&str> = labels.split_whitespace().collect();
        assert_eq!(
            records.len(),
            labels.len(),
            "{}: records vs labels",
            log.display()
        );
        let marks = verdicts(log, packs, tmp);
        t.logs += 1;
        let mut at = 0;
        for (len, label) in records.iter().zip(&labels) {
            let m = &marks[at..at + len];
            let first = String::from_utf8_lossy(lines[at]).into_owned();
            at += len;
            t.records += 1;
            match *label {
                "noise" => {
                    t.noise += 1;
                    t.noise_suppressed += usize::from(m[0].is_some());
                }
                "signal" => {
                    t.signal += 1;
                    let rest = m[1..].iter().any(Option::is_some);
                    if rest || (m[0].is_some() && m.len() == 1) {
                        t.signal_suppressed += 1;
                        t.touched.push(format!("{}: {first}", log.display()));
                    } else if m[0].is_some() {
                        t.signal_first_line_only += 1;
                    }
                }
                "other" => {
                    t.other += 1;
                    t.other_suppressed += usize::from(m[0].is_some());
                }
                l => panic!("{}: unknown label {l:?}", log.display()),
            }
        }
    }
    t
}

#[test]
fn packs_suppress_the_harvested_noise_and_no_signal() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rows = BTreeMap::new();
    let mut failures = Vec::new();
    // One thread per library: each log is a few short runs of the binary.
    let results: Vec<(Tally, Tally)> = std::thread::scope(|scope| {
        let handles: Vec<_> = LIBRARIES
            .iter()
            .map(|(lib, corpus, opt_in)| {
                let dir = tmp.path().join(lib);
                scope.spawn(move || {
                    std::fs::create_dir_all(&dir).unwrap();
                    (
                        tally(lib, corpus, opt_in, &dir),
                        tally(lib, corpus, &[], &dir),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, ((lib, _, opt_in), (with, alone))) in LIBRARIES.iter().zip(results).enumerate() {
        let min = min_noise_suppressed(lib);
        if with.pct() < min {
            failures.push(format!(
                "{lib}: {:.1} % of noise suppressed (< {min} %)",
                with.pct()
            ));
        }
        for t in [&with, &alone] {
            for s in &t.touched {
                failures.push(format!("{lib}: signal suppressed: {s}"));
            }
        }
        rows.insert(i, (lib, opt_in, with, alone));
    }
    println!(
        "\n{:<10} {:<37} {:>4} {:>7} {:>6} {:>10} {:>7} {:>10} {:>6} {:>10} {:>12}",
        "library",
        "packs (default set +)",
        "logs",
        "records",
        "noise",
        "suppressed",
        "signal",
        "suppressed",
        "other",
        "suppressed",
        "default only"
    );
    for (lib, opt_in, t, alone) in rows.values() {
        println!(
            "{:<10} {:<37} {:>4} {:>7} {:>6} {:>9.1}% {:>7} {:>10} {:>6} {:>10} {:>11.1}%",
            lib,
            opt_in.join(" "),
            t.logs,
            t.records,
            t.noise,
            t.pct(),
            t.signal,
            t.signal_suppressed,
            t.other,
            t.other_suppressed,
            alone.pct()
        );
    }
    let glued: usize = rows.values().map(|r| r.2.signal_first_line_only).sum();
    println!(
        "({glued} signal records are a noise line with a crash traceback framed onto it: \
         the line was summarized, the traceback passed whole)"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_framers_agree_with_the_label_files() {
    for corpus in ["http", "mtproto"] {
        let mut checked = 0;
        for entry in std::fs::read_dir(Path::new("tests/data/harvest").join(corpus)).unwrap() {
            let log = entry.unwrap().path();
            if log.extension().is_none_or(|e| e != "log") {
                continue;
            }
            checked += 1;
            let data = std::fs::read(&log).unwrap();
            let lines = crate::util::dryrun::lines(&data);
            let n = match corpus {
                "http" => frame_http(&lines).len(),
                _ => frame_mtproto(&lines).len(),
            };
            let labels = std::fs::read_to_string(log.with_extension("labels")).unwrap();
            assert_eq!(n, labels.split_whitespace().count(), "{}", log.display());
            let covered: usize = match corpus {
                "http" => frame_http(&lines).iter().sum(),
                _ => frame_mtproto(&lines).iter().sum(),
            };
            assert_eq!(covered, lines.len());
        }
        assert!(
            checked > 0,
            "no harvested logs in tests/data/harvest/{corpus}"
        );
    }
}
