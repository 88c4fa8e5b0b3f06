//! Generates a realistic Telegram-bot log for the benchmark, deterministically.
//!
//!     cargo run --release --example gen_log -- --size 1G --noise 0.3 > bot.log
//!
//! The log itself is made by `tests/integration/util/botlog.rs` (shared
//! with the tests, which also need to know which lines are noise).
//! `--noise` is the fraction of lines that are noise; `--seed` picks
//! another, equally deterministic, log.

use std::io::{self, BufWriter, Write};

#[path = "../tests/integration/util/botlog.rs"]
mod botlog;

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

fn main() -> io::Result<()> {
    let mut size = 64u64 << 20;
    let mut noise_ratio = 0.3;
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--size" => size = parse_size(&value).expect("--size like 64M or 1G"),
            "--noise" => noise_ratio = value.parse().expect("--noise between 0 and 1"),
            "--seed" => seed = value.parse().expect("--seed is a number"),
            _ => {
                eprintln!("usage: gen_log [--size 1G] [--noise 0.3] [--seed 1]");
                std::process::exit(2);
            }
        }
    }
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    botlog::generate(size, noise_ratio, seed, &mut |record, _| {
        out.write_all(record)
    })?;
    out.flush()
}
