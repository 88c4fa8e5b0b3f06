//! `--stats-file` (JSON) and `--metrics-textfile` (Prometheus text format):
//! content at exit, periodic rewrites while running, reload counts, label
//! escaping, and `--stats` as JSON with `--format json`.

use crate::util;
use crate::util::{logdedup, written, written_text, Live, RuleDir, SOCKET_LINE};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// The samples of a Prometheus text exposition, `name{labels}` -> value,
/// checking the format on the way: every sample's family has HELP and TYPE
/// lines before it, label values are quoted with `\\`, `\"`, `\n` escapes.
fn parse_exposition(text: &str) -> BTreeMap<String, f64> {
    let mut helped = Vec::new();
    let mut typed = Vec::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(!help.is_empty());
            helped.push(name.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "untyped"].contains(&kind), "{line}");
            typed.push(name.to_owned());
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
        let name_end = line.find(['{', ' ']).expect("sample name");
        let name = &line[..name_end];
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{name}"
        );
        assert!(helped.iter().any(|h| h == name), "no HELP before {name}");
        assert!(typed.iter().any(|t| t == name), "no TYPE before {name}");
        let mut rest = &line[name_end..];
        let mut labels = String::new();
        if let Some(inner) = rest.strip_prefix('{') {
            // Label values: read escapes until the closing quote.
            let mut chars = inner.char_indices();
            let mut end = None;
            let mut in_value = false;
            while let Some((i, c)) = chars.next() {
                match (in_value, c) {
                    (true, '\\') => {
                        let (_, e) = chars.next().expect("escape");
                        labels.push(match e {
                            'n' => '\n',
                            '\\' | '"' => e,
                            other => panic!("bad escape \\{other}"),
                        });
                    }
                    (true, '"') => {
                        in_value = false;
                        labels.push('"');
                    }
                    (false, '"') => {
                        in_value = true;
                        labels.push('"');
                    }
                    (false, '}') => {
                        end = Some(i);
                        break;
                    }
                    (_, c) => labels.push(c),
                }
            }
            let end = end.expect("closing brace");
            rest = &inner[end + 1..];
            labels = format!("{{{labels}}}");
        }
        let value: f64 = rest.trim().parse().expect("sample value");
        samples.insert(format!("{name}{labels}"), value);
    }
    samples
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&written(path)).expect("stats JSON")
}

#[test]
fn files_hold_the_counts_at_exit() {
    let dir = RuleDir::new();
    let rules = dir.file(
        "r.toml",
        "[[rule]]\nname = 'we\"ird\\name'\npattern = 'noise'\n[[rule]]\nname = \"quiet\"\npattern = 'never'\n",
    );
    let json = dir.path("stats.json");
    let prom = dir.path("logdedup.prom");
    let input = "a\nnoise 1\nb\nnoise 2\nnoise 3\n";
    logdedup()
        .args(["-r", rules.to_str().unwrap(), "--stats-file"])
        .arg(&json)
        .arg("--metrics-textfile")
        .arg(&prom)
        .write_stdin(input)
        .assert()
        .success();
    let v = read_json(&json);
    assert_eq!(v["lines"]["in"], 5);
    assert_eq!(v["lines"]["passed"], 2);
    assert_eq!(v["lines"]["suppressed"], 3);
    assert_eq!(v["records"]["in"], 5);
    assert_eq!(v["records"]["suppressed"], 3);
    assert_eq!(v["bytes_in"], input.len());
    assert_eq!(v["summaries"], 1);
    assert_eq!(v["rules"][0]["name"], "we\"ird\\name");
    assert_eq!(v["rules"][0]["suppressed"], 3);
    assert_eq!(v["rules"][1]["suppressed"], 0);
    assert_eq!(v["reloads"]["ok"], 0);

    let m = parse_exposition(&written_text(&prom));
    assert_eq!(m["logdedup_lines_total{result=\"passed\"}"], 2.0);
    assert_eq!(m["logdedup_lines_total{result=\"suppressed\"}"], 3.0);
    assert_eq!(m["logdedup_suppressed_total{rule=\"we\"ird\\name\"}"], 3.0);
    assert_eq!(m["logdedup_suppressed_total{rule=\"quiet\"}"], 0.0);
    assert_eq!(m["logdedup_reloads_total{result=\"ok\"}"], 0.0);
    assert_eq!(m["logdedup_reloads_total{result=\"error\"}"], 0.0);
    assert_eq!(m["logdedup_summaries_total"], 1.0);
    let leftovers: Vec<_> = std::fs::read_dir(dir.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn files_are_rewritten_while_running_and_count_reloads() {
    let dir = RuleDir::new();
    let rules = dir.file("r.toml", "[[rule]]\nname = \"noise\"\npattern = 'noise'\n");
    let json = dir.path("stats.json");
    let prom = dir.path("m.prom");
    let mut live = Live::spawn(&[
        "-r",
        rules.to_str().unwrap(),
        "--stats-interval",
        "50ms",
        "--stats-file",
        json.to_str().unwrap(),
        "--metrics-textfile",
        prom.to_str().unwrap(),
    ]);
    live.send("noise\nnoise\nreal\n");
    assert_eq!(live.next_line(WAIT).as_deref(), Some("real"));
    let deadline = Instant::now() + WAIT;
    loop {
        // The file is replaced whole: it always parses.
        if json.exists() && read_json(&json)["lines"]["in"] == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "stats file not rewritten");
        std::thread::sleep(Duration::from_millis(5));
    }
    live.signal("HUP");
    assert!(live.next_error(WAIT).unwrap().contains("reloaded"));
    std::fs::write(&rules, "[[rule]]\nname = \"noise\"\n").unwrap();
    live.signal("HUP");
    assert!(live.next_error(WAIT).unwrap().contains("reload failed"));
    let (status, _, _) = live.wait();
    assert!(status.success());
    let v = read_json(&json);
    assert_eq!(v["reloads"]["ok"], 1);
    assert_eq!(v["reloads"]["failed"], 1);
    let m = parse_exposition(&written_text(&prom));
    assert_eq!(m["logdedup_reloads_total{result=\"ok\"}"], 1.0);
    assert_eq!(m["logdedup_reloads_total{result=\"error\"}"], 1.0);
}

#[test]
fn stats_with_format_json_prints_the_same_json_on_stderr() {
    let dir = RuleDir::new();
    let json = dir.path("stats.json");
    let out = logdedup()
        .args(["--stats", "--format", "json", "--stats-file"])
        .arg(&json)
        .write_stdin(SOCKET_LINE.repeat(3))
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    let mut file = read_json(&json);
    // Written a moment apart: everything but the clock agrees.
    file["time"] = printed["time"].clone();
    file["uptime_seconds"] = printed["uptime_seconds"].clone();
    assert_eq!(printed, file);
    assert_eq!(printed["records"]["suppressed"], 3);
    util::schema::assert_valid_summaries(&String::from_utf8(out.stdout).unwrap());
}

#[test]
fn a_stats_file_in_a_missing_directory_is_a_usage_error() {
    logdedup()
        .args(["--stats-file", "/nonexistent-dir/stats.json"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stdout("");
}

#[test]
fn run_writes_the_stats_file_too() {
    let dir = RuleDir::new();
    let json = dir.path("stats.json");
    let out = logdedup()
        .args(["run", "--format", "json", "--stats-file"])
        .arg(&json)
        .args(["--", "sh", "-c"])
        .arg(format!(
            "printf '{}%.0s' 1 2 3; echo done; exit 4",
            SOCKET_LINE.trim_end().to_owned() + "\\n"
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(util::schema::assert_valid_summaries(&stdout), 1, "{stdout}");
    let v = read_json(&json);
    assert_eq!(v["lines"]["in"], 4);
    assert_eq!(v["records"]["suppressed"], 3);
}
