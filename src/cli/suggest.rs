//! `logdedup suggest [FILE...]`: find the noise in a log you already have
//! and print rules for it, ready to paste (see `crate::suggest`).

use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::{Read, Write};
use std::sync::Arc;

use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::classify;
use crate::rules::{load, RedactScratch, RuleSet};
use crate::suggest::{suggest, SuggestFormat, SuggestOptions};

/// Arguments of `logdedup suggest`.
#[derive(Debug, Args)]
pub(crate) struct SuggestArgs {
    /// Logs to read, in order ('-' or none: standard input).
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,

    /// Rules already written: templates they match get no suggestion
    /// (default: the rules the filter would use). -w is also the window
    /// bursts are measured in.
    #[command(flatten)]
    pub rules: RuleArgs,

    /// How many rules (or table rows) to print.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Also suggest rules for ERROR/CRITICAL records and tracebacks.
    #[arg(long)]
    pub include_errors: bool,

    /// Most templates kept while reading (the memory bound); the least
    /// seen are dropped past it.
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    pub max_templates: usize,

    /// toml: rules with [[test]] cases, valid input for `check` and `test`;
    /// table: count, share, peak per window and a sample line.
    #[arg(long, value_enum, default_value_t = FormatArg::Toml)]
    pub format: FormatArg,
}

/// `--format` of `suggest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// Rule files.
    Toml,
    /// A human summary.
    Table,
}

/// Runs `logdedup suggest`.
pub(crate) fn run(args: SuggestArgs) -> Result<Outcome, Failure> {
    let sources = args.rules.sources_from_env();
    // With no rules at all (--no-default-rules alone), nothing is covered yet.
    let set = if sources.is_empty() {
        None
    } else {
        Some(load(&sources, args.rules.window).map_err(Failure::Usage)?)
    };
    let mut inputs: Vec<Box<dyn Read>> = Vec::new();
    if args.files.is_empty() {
        inputs.push(Box::new(std::io::stdin()));
    }
    for file in &args.files {
        if file == "-" {
            inputs.push(Box::new(std::io::stdin()));
            continue;
        }
        let opened = std::fs::File::open(file)
            .with_context(|| format!("{file}: cannot open"))
            .map_err(Failure::Usage)?;
        inputs.push(Box::new(opened));
    }
    let opts = SuggestOptions {
        window: args.rules.window,
        top: args.top,
        include_errors: args.include_errors,
        max_templates: args.max_templates.max(1),
        format: match args.format {
            FormatArg::Toml => SuggestFormat::Toml,
            FormatArg::Table => SuggestFormat::Table,
        },
    };
    let set = set.map(Arc::new);
    // Templates and sample lines are mined from the masked text: a secret
    // in the log must not come back in a suggested rule.
    if let Some(set) = &set {
        if !set.redactor().is_empty() {
            inputs = inputs
                .into_iter()
                .map(|input| Box::new(Masked::new(input, Arc::clone(set))) as Box<dyn Read>)
                .collect();
        }
    }
    let matched = |line: &[u8]| {
        set.as_ref().is_some_and(|set| {
            classify(set, &[line])
                .first()
                .is_some_and(|r| r.rule.is_some())
        })
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let report = suggest(inputs, &opts, &matched, true, &mut out).map_err(Failure::Runtime)?;
    out.flush()
        .context("writing to standard output")
        .map_err(Failure::Runtime)?;
    if report.rules.is_empty() && args.format == FormatArg::Toml {
        let _ = writeln!(
            std::io::stderr(),
            "logdedup: no template of the {} records looked like noise worth a rule \
             (`--format table` shows how each one ranked)",
            report.records
        );
    }
    Ok(Outcome::Success)
}

/// Longest line masked whole; a longer one is masked in pieces this long.
const MAX_MASKED_LINE: u64 = 1 << 20;

/// A reader that hands on its input line by line, each line masked by the
/// rule set's redactions.
struct Masked {
    inner: std::io::BufReader<Box<dyn Read>>,
    set: Arc<RuleSet>,
    line: Vec<u8>,
    /// Masked bytes not handed on yet, from `pos`.
    out: Vec<u8>,
    pos: usize,
    scratch: RedactScratch,
    counts: Vec<u64>,
}

impl Masked {
    fn new(inner: Box<dyn Read>, set: Arc<RuleSet>) -> Masked {
        Masked {
            inner: std::io::BufReader::new(inner),
            counts: vec![0; set.redactor().redactions().len()],
            set,
            line: Vec::new(),
            out: Vec::new(),
            pos: 0,
            scratch: RedactScratch::default(),
        }
    }
}

impl Read for Masked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::BufRead;
        if self.pos == self.out.len() {
            self.line.clear();
            self.out.clear();
            self.pos = 0;
            let n = (&mut self.inner)
                .take(MAX_MASKED_LINE)
                .read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(0);
            }
            let redactor = self.set.redactor();
            if redactor.apply(&self.line, &mut self.scratch, &mut self.counts) {
                self.out.extend_from_slice(&self.scratch.out);
            } else {
                self.out.extend_from_slice(&self.line);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
