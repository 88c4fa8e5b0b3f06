//! Generates a polling bot's log with many distinct messages, for
//! measuring `logdedup suggest` (see README, "Finding the noise: suggest"):
//!
//!     cargo run --release --example gen_suggest_log -- --lines 1000000 > bot.log
//!
//! The log is made by `tests/integration/util/suggestlog.rs` (shared with the tests).
//! `--lines N` stops after N lines (default 100 000), `--size 1G` after
//! that many bytes; `--seed` picks another, equally deterministic, log;
//! `--layout 0..3` keeps one layout (default: it changes hourly).

use std::io::{self, BufWriter, Write};

#[path = "../tests/integration/util/suggestlog.rs"]
mod suggestlog;

fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits.parse().ok()?;
    Some(
        n * match unit {
            "" => 1,
            "K" | "k" => 1 << 10,
            "M" | "m" => 1 << 20,
            "G" | "g" => 1 << 30,
            _ => return None,
        },
    )
}

/// Stops the generator once enough lines are out.
struct Enough;

impl std::fmt::Display for Enough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("enough lines")
    }
}

impl std::fmt::Debug for Enough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enough")
    }
}

impl std::error::Error for Enough {}

fn usage() -> ! {
    eprintln!("usage: gen_suggest_log [--lines N | --size 1G] [--seed 1] [--layout 0..3]");
    std::process::exit(2);
}

fn main() -> io::Result<()> {
    let mut lines = Some(100_000u64);
    let mut size = u64::MAX;
    let mut seed = 1u64;
    let mut layout = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--lines" => lines = Some(value.parse().unwrap_or_else(|_| usage())),
            "--size" => {
                size = parse_size(&value).unwrap_or_else(|| usage());
                lines = None;
            }
            "--seed" => seed = value.parse().unwrap_or_else(|_| usage()),
            "--layout" => layout = Some(value.parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut left = lines.unwrap_or(u64::MAX);
    let result = suggestlog::generate(size, layout, seed, &mut |record, _| {
        for line in record.split_inclusive(|&b| b == b'\n') {
            if left == 0 {
                return Err(io::Error::other(Enough));
            }
            left -= 1;
            out.write_all(line)?;
        }
        Ok(())
    });
    match result {
        Err(e)
            if e.get_ref()
                .is_some_and(<dyn std::error::Error + Send + Sync>::is::<Enough>) => {}
        other => other?,
    }
    out.flush()
}
