//! A stand-in for the `logdedup suggest` subcommand until it is wired into
//! the CLI: proposes rules for the noise in a log.
//!
//!     cargo run --release --example suggest -- [--format table] [--top N]
//!         [--window SECS] [--include-errors] [--max-templates N] [-r RULES] [FILE...]
//!
//! Reads stdin when no FILE is given. `-r` loads rule files whose rules
//! count as already written: templates they match get no suggestion.

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use logdedup::rules::{self, RuleSource};
use logdedup::suggest::{suggest, SuggestFormat, SuggestOptions};

fn run() -> Result<()> {
    let mut opts = SuggestOptions::default();
    let mut files = Vec::new();
    let mut sources = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--format" => {
                opts.format = match value()?.as_str() {
                    "toml" => SuggestFormat::Toml,
                    "table" => SuggestFormat::Table,
                    other => bail!("--format toml|table, not {other:?}"),
                }
            }
            "--top" => opts.top = value()?.parse().context("--top")?,
            "--window" | "-w" => {
                opts.window = Duration::from_secs(value()?.parse().context("--window SECS")?)
            }
            "--max-templates" => {
                opts.max_templates = value()?.parse().context("--max-templates")?
            }
            "--include-errors" => opts.include_errors = true,
            "-r" | "--rules" => sources.push(RuleSource::parse(&value()?)),
            _ => files.push(arg),
        }
    }
    let loaded = if sources.is_empty() {
        None
    } else {
        Some(rules::load(&sources, opts.window)?)
    };
    let matched = |line: &[u8]| {
        loaded
            .as_ref()
            .is_some_and(|set| set.rule_for(line).is_some())
    };
    let mut inputs: Vec<Box<dyn Read>> = Vec::new();
    for f in &files {
        inputs.push(Box::new(
            std::fs::File::open(f).with_context(|| format!("{f}: cannot open"))?,
        ));
    }
    if inputs.is_empty() {
        inputs.push(Box::new(io::stdin()));
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let report = suggest(
        inputs,
        &opts,
        &matched,
        io::stderr().is_terminal(),
        &mut out,
    )?;
    out.flush()?;
    if std::env::var_os("SUGGEST_REPORT").is_some() {
        eprintln!("{report:?}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("suggest: {e:#}");
            ExitCode::from(2)
        }
    }
}
