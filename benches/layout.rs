//! Criterion benches of the layout recognizer on the real sample lines in
//! tests/data/layout-samples/ (every stdlib format, loguru, rich, JSON,
//! uvicorn, bare; tracebacks included): per line, as streams (one
//! recognizer per file, so `auto` keeps each file's layout), with all the
//! files' lines interleaved (the lock misses on most lines), and with the
//! layout declared.
//!
//!     cargo bench --bench layout

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use logdedup::records::{LayoutRecognizer, LayoutSpec};
use std::hint::black_box;
use std::path::Path;

/// Each sample file's lines, and the layout its first record line has.
fn streams() -> Vec<(Vec<Vec<u8>>, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/layout-samples");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/layout-samples")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".log").map(str::to_string))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let log = std::fs::read(dir.join(format!("{name}.log"))).expect("log");
            let expect =
                std::fs::read_to_string(dir.join(format!("{name}.expect"))).expect("expect");
            let layout = expect
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v["layout"].as_str().map(str::to_string))
                .find(|l| l != "bare")
                .unwrap_or_else(|| "bare".to_string());
            let lines = log
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            (lines, layout)
        })
        .collect()
}

fn read_all(streams: &[(Vec<Vec<u8>>, String)], declared: bool) -> usize {
    let mut scratch = Vec::new();
    let mut total = 0;
    for (lines, layout) in streams {
        let spec = if declared {
            LayoutSpec::parse(layout).expect("preset")
        } else {
            LayoutSpec::Auto
        };
        let mut recognizer = LayoutRecognizer::new(spec);
        for line in lines {
            total += recognizer
                .recognize(black_box(line), &mut scratch)
                .message
                .len();
        }
    }
    total
}

fn layouts(c: &mut Criterion) {
    let streams = streams();
    let count: usize = streams.iter().map(|(l, _)| l.len()).sum();
    // Round-robin over the files: consecutive lines in different layouts.
    let longest = streams.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut mixed = Vec::with_capacity(count);
    for i in 0..longest {
        mixed.extend(streams.iter().filter_map(|(l, _)| l.get(i).cloned()));
    }
    let mut group = c.benchmark_group("layout");
    group.throughput(Throughput::Elements(count as u64));
    group.bench_function("auto, one stream per file", |b| {
        b.iter(|| read_all(&streams, false));
    });
    group.bench_function("declared preset, one stream per file", |b| {
        b.iter(|| read_all(&streams, true));
    });
    group.bench_function("auto, files interleaved line by line", |b| {
        b.iter(|| {
            let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
            let mut scratch = Vec::new();
            mixed
                .iter()
                .map(|line| {
                    recognizer
                        .recognize(black_box(line), &mut scratch)
                        .message
                        .len()
                })
                .sum::<usize>()
        });
    });
    let format =
        LayoutSpec::parse("%(asctime)s - %(name)s - %(levelname)s - %(message)s").expect("format");
    let asctime = &streams
        .iter()
        .find(|(_, l)| l == "time-name-level")
        .expect("asctime sample")
        .0;
    group.throughput(Throughput::Elements(asctime.len() as u64));
    group.bench_function("time-name-level lines, auto", |b| {
        b.iter(|| {
            let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
            let mut scratch = Vec::new();
            asctime
                .iter()
                .map(|l| {
                    recognizer
                        .recognize(black_box(l), &mut scratch)
                        .message
                        .len()
                })
                .sum::<usize>()
        });
    });
    group.bench_function("time-name-level lines, pasted format string (regex)", |b| {
        // One recognizer for all iterations: the regex's caches are made
        // on its first lines, as they would be in a long-running stream.
        let mut recognizer = LayoutRecognizer::new(format.clone());
        let mut scratch = Vec::new();
        b.iter(|| {
            asctime
                .iter()
                .map(|l| {
                    recognizer
                        .recognize(black_box(l), &mut scratch)
                        .message
                        .len()
                })
                .sum::<usize>()
        });
    });
    group.finish();
}

criterion_group!(benches, layouts);
criterion_main!(benches);
