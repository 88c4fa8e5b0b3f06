//! Statistics for many bots on one host: two textfiles in one
//! node_exporter directory read as its textfile collector reads them, the
//! instance `run` names by default, counters that never go down while
//! records are held, and statistics files that must not replace the data.

// Test code: sample values are whole numbers, compared exactly.
#![allow(clippy::float_cmp)]

use crate::util::{logdedup, Live, RuleDir};
use predicates::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// One metric family of a textfile: HELP, TYPE and its series (sorted
/// label pairs and the value).
#[derive(Debug, Default)]
struct Family {
    help: Option<String>,
    kind: Option<String>,
    series: Vec<(BTreeMap<String, String>, f64)>,
}

/// Parses one file in the text exposition format as node_exporter's
/// textfile collector does (Prometheus' `expfmt.TextParser`, then
/// `convertMetricFamily`): a family has at most one HELP and one TYPE,
/// TYPE comes before its samples, label names are valid and values are
/// quoted with `\\`, `\"` and `\n` escapes, no series appears twice, and
/// a label missing from some series of a family counts as "".
fn parse_textfile(text: &str) -> Result<BTreeMap<String, Family>, String> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').ok_or(format!("bad HELP: {line}"))?;
            let f = families.entry(name.to_owned()).or_default();
            if f.help.replace(help.to_owned()).is_some() {
                return Err(format!("second HELP line for metric name {name}"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').ok_or(format!("bad TYPE: {line}"))?;
            if !["counter", "gauge", "untyped", "summary", "histogram"].contains(&kind) {
                return Err(format!("unknown metric type {kind}"));
            }
            let f = families.entry(name.to_owned()).or_default();
            if !f.series.is_empty() {
                return Err(format!("TYPE for {name} after its samples"));
            }
            if f.kind.replace(kind.to_owned()).is_some() {
                return Err(format!("second TYPE line for metric name {name}"));
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, labels, value) = parse_sample(line)?;
        families
            .entry(name)
            .or_default()
            .series
            .push((labels, value));
    }
    for (name, f) in &mut families {
        let all: BTreeSet<String> = f
            .series
            .iter()
            .flat_map(|(l, _)| l.keys().cloned())
            .collect();
        for (labels, _) in &mut f.series {
            for key in &all {
                labels.entry(key.clone()).or_default();
            }
        }
        let mut seen = BTreeSet::new();
        for (labels, _) in &f.series {
            if !seen.insert(labels.clone()) {
                return Err(format!(
                    "{name} {labels:?} was collected before with the same name and label values"
                ));
            }
        }
    }
    Ok(families)
}

/// One sample line: its metric name, labels and value.
fn parse_sample(line: &str) -> Result<(String, BTreeMap<String, String>, f64), String> {
    let name_end = line.find(['{', ' ']).ok_or(format!("no value: {line}"))?;
    let name = &line[..name_end];
    let valid = |n: &str| {
        n.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !valid(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        loop {
            let mut key = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c == '=' || c == '}' {
                    break;
                }
                key.push(c);
                chars.next();
            }
            match chars.next() {
                Some((i, '}')) if key.is_empty() => {
                    rest = &inner[i + 1..];
                    break;
                }
                Some((_, '=')) => {}
                other => return Err(format!("bad label list at {other:?}: {line}")),
            }
            let key = key.trim_start_matches(',').to_owned();
            if !valid(&key) || key.starts_with("__") {
                return Err(format!("bad label name {key:?}"));
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(format!("unquoted label value: {line}"));
            }
            let mut value = String::new();
            loop {
                match chars.next().map(|(_, c)| c) {
                    Some('"') => break,
                    Some('\\') => match chars.next().map(|(_, c)| c) {
                        Some('n') => value.push('\n'),
                        Some(c @ ('\\' | '"')) => value.push(c),
                        other => return Err(format!("bad escape {other:?}")),
                    },
                    Some(c) => value.push(c),
                    None => return Err(format!("unterminated label value: {line}")),
                }
            }
            if labels.insert(key.clone(), value).is_some() {
                return Err(format!("duplicate label {key}"));
            }
        }
    }
    let value = rest
        .trim()
        .parse()
        .map_err(|_| format!("bad value: {line}"))?;
    Ok((name.to_owned(), labels, value))
}

/// A family's HELP, TYPE and label names, as the first file gave them.
type Seen = (Option<String>, Option<String>, BTreeSet<String>);

/// Reads the textfiles of one directory together, as node_exporter's
/// registry gathers them: a family has the same HELP and TYPE in every
/// file, and no series appears in two files. Also the same label names in
/// every file, which node_exporter 1.5 does not insist on: logdedup gives
/// them anyway.
fn gather(files: &[&Path]) -> Result<BTreeMap<String, f64>, String> {
    let mut merged: BTreeMap<String, Seen> = BTreeMap::new();
    let mut series = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        for (name, f) in parse_textfile(&text)? {
            let names: BTreeSet<String> = f
                .series
                .first()
                .map(|(l, _)| l.keys().cloned().collect())
                .unwrap_or_default();
            let entry = merged
                .entry(name.clone())
                .or_insert_with(|| (f.help.clone(), f.kind.clone(), names.clone()));
            if entry.0 != f.help {
                return Err(format!(
                    "collected metric {name} has help {:?} but should have {:?}",
                    f.help, entry.0
                ));
            }
            if entry.1 != f.kind {
                return Err(format!(
                    "collected metric {name} has type {:?} but should have {:?}",
                    f.kind, entry.1
                ));
            }
            if entry.2 != names {
                return Err(format!(
                    "{name} has label dimensions inconsistent with previously collected metrics"
                ));
            }
            for (labels, value) in f.series {
                let key = format!("{name}{labels:?}");
                if series.insert(key.clone(), value).is_some() {
                    return Err(format!(
                        "{key} was collected before with the same name and label values"
                    ));
                }
            }
        }
    }
    Ok(series)
}

/// Runs the filter over `input` with `args`, writing `prom`.
fn filter_into(rules: &Path, prom: &Path, args: &[&str], input: &str) {
    logdedup()
        .args(["--no-default-rules", "-r", rules.to_str().unwrap()])
        .arg("--metrics-textfile")
        .arg(prom)
        .args(args)
        .write_stdin(input.to_owned())
        .assert()
        .success();
}

// Two bots, each with its own --metrics-textfile in one directory:
// node_exporter logged "collected before with the same name and label
// values" and served only one of them.
#[test]
fn two_bots_textfiles_in_one_directory_do_not_collide() {
    let dir = RuleDir::new();
    let rules = dir.file("r.toml", "[[rule]]\nname = \"noise\"\npattern = 'noise'\n");
    let (a, b) = (dir.path("bot-a.prom"), dir.path("bot-b.prom"));
    filter_into(&rules, &a, &[], "noise\nx\n");
    filter_into(&rules, &b, &[], "noise\nnoise\n");
    let collision = gather(&[&a, &b]).unwrap_err();
    assert!(collision.contains("collected before"), "{collision}");

    let labels = ["--metrics-label", "env=prod"];
    filter_into(
        &rules,
        &a,
        &[&labels[..], &["--instance", "bot-a"]].concat(),
        "noise\nx\n",
    );
    filter_into(
        &rules,
        &b,
        &[&labels[..], &["--instance", "bot-b"]].concat(),
        "noise\nnoise\n",
    );
    let series = gather(&[&a, &b]).unwrap();
    let get = |name: &str, instance: &str, result: &str| {
        series[&format!(
            "{name}{{\"env\": \"prod\", \"instance\": \"{instance}\", \"result\": \"{result}\"}}"
        )]
    };
    assert_eq!(get("logdedup_lines_total", "bot-a", "passed"), 1.0);
    assert_eq!(get("logdedup_lines_total", "bot-b", "suppressed"), 2.0);
    assert_eq!(
        series["logdedup_held_lines{\"env\": \"prod\", \"instance\": \"bot-b\"}"],
        0.0
    );
}

// Under `run`, the instance is the script CMD runs, in the textfile and in
// the JSON statistics alike.
#[test]
fn run_names_the_instance_after_the_script() {
    let dir = RuleDir::new();
    let script = dir.file("bot.sh", "echo hello\n");
    let prom = dir.path("bot.prom");
    let json = dir.path("bot.json");
    logdedup()
        .args(["run", "--metrics-textfile"])
        .arg(&prom)
        .arg("--stats-file")
        .arg(&json)
        .args(["--", "sh"])
        .arg(&script)
        .assert()
        .success()
        .stdout("hello\n");
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(
        text.contains("logdedup_lines_total{instance=\"bot.sh\",result=\"passed\"} 1\n"),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["instance"], "bot.sh");
    assert_eq!(v["labels"], serde_json::json!({}));
}

#[test]
fn a_textfile_not_named_prom_is_warned_about() {
    let dir = RuleDir::new();
    logdedup()
        .arg("--metrics-textfile")
        .arg(dir.path("metrics.txt"))
        .write_stdin("x\n")
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: --metrics-textfile").and(
            predicate::str::contains("reads only files whose name ends in .prom"),
        ));
    logdedup()
        .arg("--metrics-textfile")
        .arg(dir.path("metrics.prom"))
        .write_stdin("x\n")
        .assert()
        .success()
        .stderr("");
}

#[test]
fn bad_metrics_labels_are_usage_errors() {
    for bad in ["1x=y", "instance=y", "__x=y", "noequals"] {
        logdedup()
            .args(["--metrics-label", bad])
            .write_stdin("x\n")
            .assert()
            .code(2)
            .stdout("");
    }
}

// `--stats-file` naming the input file, or the --suppressed-to file, was
// accepted: the log or the audit trail was replaced by statistics.
#[test]
fn statistics_never_replace_an_input_or_another_output() {
    let dir = RuleDir::new();
    let log = dir.file("bot.log", "noise\nhello\n");
    let audit = dir.path("audit.log");
    for args in [
        vec!["--stats-file".to_owned(), log.display().to_string()],
        vec![
            "--metrics-textfile".to_owned(),
            format!("{}/./bot.log", dir.dir.path().display()),
        ],
        vec![
            "--suppressed-to".to_owned(),
            audit.display().to_string(),
            "--metrics-textfile".to_owned(),
            audit.display().to_string(),
        ],
        vec![
            "--stats-file".to_owned(),
            dir.path("s.json").display().to_string(),
            "--metrics-textfile".to_owned(),
            dir.path("s.json").display().to_string(),
        ],
    ] {
        logdedup()
            .args(&args)
            .arg(&log)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("replaced by statistics"));
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "noise\nhello\n");
    }
}

/// The counters (TYPE counter) of a textfile, by series.
fn counters(text: &str) -> BTreeMap<String, f64> {
    let families = parse_textfile(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    families
        .into_iter()
        .filter(|(_, f)| f.kind.as_deref() == Some("counter"))
        .flat_map(|(name, f)| {
            f.series
                .into_iter()
                .map(move |(labels, v)| (format!("{name}{labels:?}"), v))
        })
        .collect()
}

/// `logdedup_held_lines` of a textfile.
fn held(text: &str) -> f64 {
    parse_textfile(text).unwrap()["logdedup_held_lines"].series[0].1
}

// A held record's lines were counted as suppressed, then taken back when
// the record was decided the other way: logdedup_lines_total went 5 -> 0.
// The textfile, sampled all through a run of held records, never shows a
// counter going down, and shows the held lines as a gauge.
#[test]
fn counters_never_decrease_while_records_are_held() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "r.toml",
        "[input]\ncontinuation = \"python-traceback\"\n\
         [[rule]]\nname = \"lost\"\npattern = '^Task exception was never retrieved'\n\
         exception = '^ConnectionError'\n",
    );
    let prom = dir.path("m.prom");
    let mut live = Live::spawn(&[
        "--no-default-rules",
        "-r",
        rules.to_str().unwrap(),
        "--stats-interval",
        "5ms",
        "--metrics-textfile",
        prom.to_str().unwrap(),
    ]);
    let sampler_path = prom.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let seen_held = Arc::new(AtomicBool::new(false));
    let (stop_flag, seen) = (Arc::clone(&stop), Arc::clone(&seen_held));
    let sampler = std::thread::spawn(move || {
        let mut last: BTreeMap<String, f64> = BTreeMap::new();
        let mut samples = 0u32;
        while !stop_flag.load(Ordering::SeqCst) {
            let Ok(text) = std::fs::read_to_string(&sampler_path) else {
                continue;
            };
            samples += 1;
            if held(&text) >= 2.0 {
                seen.store(true, Ordering::SeqCst);
            }
            for (series, value) in counters(&text) {
                let before = last.get(&series).copied().unwrap_or(0.0);
                assert!(
                    value >= before,
                    "{series} went down: {before} -> {value}\n{text}"
                );
                last.insert(series, value);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        samples
    });
    // Each record is held while its traceback comes in a line at a time
    // (sooner than the 100 ms after which a quiet stream's held record is
    // decided), then ends passed or suppressed; records go on until a
    // sample has shown a held record (a bound, not a pace).
    let deadline = Instant::now() + WAIT;
    let mut records = 0u32;
    while records < 6 || !seen_held.load(Ordering::SeqCst) && Instant::now() < deadline {
        live.send("Task exception was never retrieved\nTraceback (most recent call last):\n");
        for _ in 0..5 {
            live.send("  File \"/srv/bot/main.py\", line 42, in handle\n");
            std::thread::sleep(Duration::from_millis(10));
        }
        live.send(if records.is_multiple_of(2) {
            "ValueError: x\ntick\n"
        } else {
            "ConnectionError: lost\ntick\n"
        });
        records += 1;
    }
    let (status, _, _) = live.wait();
    assert!(status.success());
    stop.store(true, Ordering::SeqCst);
    let samples = sampler.join().expect("a counter went down");
    assert!(samples > 10, "only {samples} samples");
    assert!(
        seen_held.load(Ordering::SeqCst),
        "no sample showed held lines"
    );
    let text = std::fs::read_to_string(&prom).unwrap();
    let end = counters(&text);
    let passed = end["logdedup_lines_total{\"result\": \"passed\"}"];
    let suppressed = end["logdedup_lines_total{\"result\": \"suppressed\"}"];
    assert!(suppressed > 0.0, "{text}");
    assert_eq!(passed + suppressed, f64::from(records * 9), "{text}");
    assert_eq!(held(&text), 0.0);
}
