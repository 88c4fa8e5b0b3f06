//! Criterion benches of the filter alone, without pipes or threads, for
//! profiling: the built-in rules over the sample log repeated to a few MiB,
//! through the fast path and through the per-line reference path.
//!
//!     cargo bench --bench engine

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use logdedup::pipeline::PipelineOptions;
use logdedup::rules::{load, RuleSource};
use logdedup::stream::{Filter, Outlet, Output};
use logdedup::summary::{Style, SummaryFormatter};
use logdedup::time::{Time, TimeFormatter, DEFAULT_TIME_FORMAT};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// The sample storm log, repeated to about `size` bytes.
fn sample(size: usize) -> Vec<u8> {
    let one = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/pyrogram-storm.log"
    ))
    .expect("examples/pyrogram-storm.log");
    let mut data = Vec::with_capacity(size + one.len());
    while data.len() < size {
        data.extend_from_slice(&one);
    }
    data
}

fn run(data: &[u8], per_line: bool) -> u64 {
    let rules = Arc::new(
        load(
            &[RuleSource::parse("builtin:pyrogram")],
            Duration::from_secs(30),
        )
        .expect("rules"),
    );
    let formatter = SummaryFormatter::new(
        Style::Default,
        TimeFormatter::new(DEFAULT_TIME_FORMAT, true).expect("format"),
    );
    let output = Output::new(
        Outlet::new("out", Box::new(std::io::sink())),
        None,
        None,
        formatter,
        false,
        false,
    );
    let mut filter = Filter::new(
        rules,
        output,
        &PipelineOptions {
            per_line,
            ..PipelineOptions::default()
        },
    );
    for (i, chunk) in data.chunks(64 * 1024).enumerate() {
        filter.push(chunk, Time(i as i64)).expect("push");
    }
    filter.finish(Time(1 << 40)).expect("finish");
    filter.snapshot().lines_in()
}

fn filter_throughput(c: &mut Criterion) {
    let data = sample(4 << 20);
    let mut group = c.benchmark_group("filter");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);
    group.bench_function("fast path, built-in rules", |b| {
        b.iter(|| run(black_box(&data), false));
    });
    group.bench_function("per-line reference, built-in rules", |b| {
        b.iter(|| run(black_box(&data), true));
    });
    group.finish();
}

criterion_group!(benches, filter_throughput);
criterion_main!(benches);
