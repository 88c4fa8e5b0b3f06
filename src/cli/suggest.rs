//! `logdedup suggest [FILE...]`: find the noise in a log you already have
//! and print rules for it, ready to paste (see `crate::suggest`).
//!
//! The one place `suggest` asks the rules anything: [`Rules`] answers
//! whether the loaded rules take a line and which opt-in built-in pack
//! would.

use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::{Read, Write};
use std::sync::Arc;

use super::rule_args::RuleArgs;
use super::{Failure, Outcome};
use crate::pipeline::rule_for;
use crate::rules::{load, load_str, RedactScratch, RuleSet, BUILTIN_PACKS};
use crate::stream::StdoutWriter;
use crate::suggest::{suggest, KnownRules, SuggestFormat, SuggestOptions};

/// What the verdict column (`--format table`) and the notes say.
const VERDICTS: &str = "\
Verdicts (the table's verdict column; the rule file's closing comments):
  noise    bursty: comes in floods, far denser than its average; a rule is suggested
  chatter  a library's steady line that never varies (e.g. httpx's getUpdates poll),
           in most windows of the log; a rule is suggested
  steady   spread over the log like the bot's own traffic; no rule (a rule would
           hide it), the largest are listed at the end of the rule file
  error    ERROR/CRITICAL records or tracebacks; no rule unless --include-errors
  covered  a loaded rule takes it already, or a built-in pack that is not loaded
           does: then the notes say `covered by builtin:NAME (-r builtin:NAME)`
  rare     fewer than 5 records, or no line fit to show

A suggested rule is anchored at the start of the line on its lines' layouts,
logger and levels, so it takes lines of its own template only and never an
ERROR or CRITICAL line. Bot tokens are printed as <redacted>.";

/// Arguments of `logdedup suggest`.
#[derive(Debug, Args)]
#[command(after_help = VERDICTS)]
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
pub enum FormatArg {
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
        trace: false,
    };
    let rules = Rules::new(set, args.rules.window);
    // Templates and sample lines are mined from the masked text: a secret
    // in the log must not come back in a suggested rule.
    if let Some(set) = &rules.loaded {
        if !set.redactor().is_empty() {
            inputs = inputs
                .into_iter()
                .map(|input| Box::new(Masked::new(input, Arc::clone(set))) as Box<dyn Read>)
                .collect();
        }
    }
    if args.files.is_empty() || args.files.iter().any(|f| f == "-") {
        super::terminal_hint(
            "a log to mine",
            "logdedup suggest bot.log",
            "logdedup suggest --help",
        );
    }
    let mut out = std::io::BufWriter::new(StdoutWriter::new());
    let report = suggest(inputs, &opts, &rules, true, &mut out).map_err(Failure::Runtime)?;
    out.flush()
        .context("writing to standard output")
        .map_err(Failure::Runtime)?;
    if report.rules.is_empty() && args.format == FormatArg::Toml {
        // No rule file to carry the notes: they go with the message.
        let _ = write!(
            std::io::stderr(),
            "logdedup: no template of the {} records looked like noise worth a rule \
             (`--format table` shows how each one ranked)\n{}",
            report.records,
            report.notes
        );
    }
    Ok(Outcome::Success)
}

/// The rules `suggest` was given, and the opt-in built-in packs.
struct Rules {
    loaded: Option<Arc<RuleSet>>,
    /// Each opt-in pack on its own (a pack that is also loaded never gets
    /// asked: the loaded rules take its lines first).
    packs: Vec<(&'static str, Arc<RuleSet>)>,
}

impl Rules {
    fn new(loaded: Option<RuleSet>, window: std::time::Duration) -> Rules {
        let packs = BUILTIN_PACKS
            .iter()
            .filter(|p| !p.default)
            .filter_map(|p| {
                let origin = format!("builtin:{}", p.name);
                // Built-in packs load (their tests say so); one that did
                // not would only mean fewer packs named.
                let set = load_str(&origin, p.text, window).ok()?;
                Some((p.name, Arc::new(set)))
            })
            .collect();
        Rules {
            loaded: loaded.map(Arc::new),
            packs,
        }
    }
}

impl KnownRules for Rules {
    fn takes(&self, line: &[u8]) -> bool {
        self.loaded
            .as_ref()
            .is_some_and(|set| rule_for(set, line).is_some())
    }

    fn pack_for(&self, line: &[u8]) -> Option<String> {
        self.packs
            .iter()
            .find(|(_, set)| rule_for(set, line).is_some())
            .map(|(name, _)| (*name).to_owned())
    }
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
