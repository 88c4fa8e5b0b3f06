//! The layout recognizer on real output: every line that
//! scripts/layout_samples.py captured from the stdlib formats, loguru,
//! rich, python-json-logger, structlog, uvicorn and the last-resort handler
//! (tests/data/layout-samples/) reads as the script expects, with `auto`
//! over the whole file as a stream, with the layout declared by name, and,
//! for the stdlib formats, with the format string itself declared.

use logdedup::records::{LayoutId, LayoutRecognizer, LayoutSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the script says one line must read as.
#[derive(Debug, Deserialize)]
struct Expect {
    layout: String,
    time: Option<String>,
    level: Option<String>,
    logger: Option<String>,
    /// The message, exactly...
    message: Option<String>,
    /// ...or, when the library wrapped it, how its first line starts.
    message_prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Format {
    format: String,
    preset: String,
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/layout-samples")
}

/// Each sample's lines with their expectations.
fn samples() -> Vec<(String, Vec<(String, Expect)>)> {
    let mut names: Vec<String> = std::fs::read_dir(data())
        .expect("tests/data/layout-samples")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".log").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 25, "samples missing: {names:?}");
    names
        .into_iter()
        .map(|name| {
            let log = std::fs::read_to_string(data().join(format!("{name}.log"))).expect("log");
            let expect =
                std::fs::read_to_string(data().join(format!("{name}.expect"))).expect("expect");
            let lines: Vec<String> = log.lines().map(str::to_string).collect();
            let expects: Vec<Expect> = expect
                .lines()
                .map(|l| serde_json::from_str(l).expect("expect line"))
                .collect();
            assert_eq!(lines.len(), expects.len(), "{name}: lines and expectations");
            (name, lines.into_iter().zip(expects).collect())
        })
        .collect()
}

/// Checks one reading against its expectation; `layout` is the name the
/// reading must carry (`custom` for a declared format).
fn check(
    where_: &str,
    line: &str,
    got: &logdedup::records::Fields,
    want: &Expect,
    layout: &str,
) -> Result<(), String> {
    let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
    let message = String::from_utf8_lossy(got.message).into_owned();
    let message_ok = match (&want.message, &want.message_prefix) {
        // The recognizer reads a message without the spaces and tabs at its
        // end (a JSON message excepted); the samples record what Python wrote.
        (Some(m), _) if got.layout.name() == "json" => *m == message,
        (Some(m), _) => m.trim_end_matches([' ', '\t']) == message,
        (None, Some(prefix)) => message.trim().starts_with(prefix.as_str()),
        (None, None) => false,
    };
    let ok = got.layout.name() == layout
        && text(got.time) == want.time
        && got.level.map(|l| l.as_str().to_string()) == want.level
        && text(got.logger) == want.logger
        && message_ok;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{where_}: {line:?}\n  read     {} time={:?} level={:?} logger={:?} message={message:?}\n  expected {layout} {want:?}",
            got.layout.name(),
            text(got.time),
            got.level,
            text(got.logger),
        ))
    }
}

fn report(failures: Vec<String>) {
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(12).collect();
        panic!(
            "{} lines misread:\n{}",
            failures.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn auto_reads_every_sample_stream() {
    let mut failures = Vec::new();
    let mut lines = 0;
    for (name, records) in samples() {
        let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
        let mut scratch = Vec::new();
        for (i, (line, want)) in records.iter().enumerate() {
            lines += 1;
            let got = recognizer.recognize(line.as_bytes(), &mut scratch);
            if let Err(e) = check(
                &format!("{name}.log:{}", i + 1),
                line,
                &got,
                want,
                &want.layout,
            ) {
                failures.push(e);
            }
        }
    }
    assert!(lines > 1500, "only {lines} lines");
    report(failures);
}

#[test]
fn each_line_alone_reads_the_same() {
    // Without the stream's lock: a fresh recognizer per line.
    let mut failures = Vec::new();
    for (name, records) in samples() {
        for (i, (line, want)) in records.iter().enumerate() {
            let mut scratch = Vec::new();
            let got =
                LayoutRecognizer::new(LayoutSpec::Auto).recognize(line.as_bytes(), &mut scratch);
            if let Err(e) = check(
                &format!("{name}.log:{}", i + 1),
                line,
                &got,
                want,
                &want.layout,
            ) {
                failures.push(e);
            }
        }
    }
    report(failures);
}

#[test]
fn the_declared_preset_reads_every_sample_stream() {
    let mut failures = Vec::new();
    for (name, records) in samples() {
        let Some(layout) = records
            .iter()
            .map(|(_, e)| &e.layout)
            .find(|l| *l != "bare")
        else {
            continue;
        };
        let id = LayoutId::from_name(layout).expect("a preset name");
        let spec = LayoutSpec::parse(layout).expect("preset");
        let mut recognizer = LayoutRecognizer::new(spec);
        let mut scratch = Vec::new();
        for (i, (line, want)) in records.iter().enumerate() {
            let got = recognizer.recognize(line.as_bytes(), &mut scratch);
            assert!(got.layout == id || got.layout == LayoutId::BARE);
            if let Err(e) = check(
                &format!("{name}.log:{}", i + 1),
                line,
                &got,
                want,
                &want.layout,
            ) {
                failures.push(e);
            }
        }
    }
    report(failures);
}

#[test]
fn the_pasted_format_string_reads_every_stdlib_sample() {
    let formats: BTreeMap<String, Format> = serde_json::from_str(
        &std::fs::read_to_string(data().join("formats.json")).expect("formats.json"),
    )
    .expect("formats");
    let samples: BTreeMap<String, Vec<(String, Expect)>> = samples().into_iter().collect();
    let mut failures = Vec::new();
    for (name, format) in &formats {
        let spec = LayoutSpec::parse(&format.format)
            .unwrap_or_else(|e| panic!("{name}: {:?}: {e}", format.format));
        let mut recognizer = LayoutRecognizer::new(spec);
        let mut scratch = Vec::new();
        let records = samples.get(name).expect("a sample per format");
        for (i, (line, want)) in records.iter().enumerate() {
            let got = recognizer.recognize(line.as_bytes(), &mut scratch);
            let layout = if want.layout == format.preset {
                "custom"
            } else {
                "bare"
            };
            if let Err(e) = check(
                &format!("{name}.log:{} ({})", i + 1, format.format),
                line,
                &got,
                want,
                layout,
            ) {
                failures.push(e);
            }
        }
    }
    report(failures);
}
