//! The `logdedup` binary: parse arguments, load rules, run the filter, and
//! map the outcome to an exit status. This is the only place that decides
//! exit codes.

use anyhow::Result;
use clap::Parser;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Datelike;
use logdedup::cli::{Cli, Config};
use logdedup::records::{LogClock, TimestampSpec};
use logdedup::rules;
use logdedup::stream::{self, Ending, Filter, FilterOptions, RunOptions, StdoutClosed};

/// Usage, rule-file and start-up errors: nothing was read or written.
const EXIT_USAGE: u8 = 2;
/// An I/O error while the stream was running.
const EXIT_RUNTIME: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ready = match setup(cli) {
        Ok(ready) => ready,
        Err(err) => return fail(&err, EXIT_USAGE),
    };
    match run(ready) {
        Ok(Ending::Eof) => ExitCode::SUCCESS,
        Ok(Ending::Stopped(stop)) => ExitCode::from(stop.exit_code()),
        Err(err) => fail(&err, EXIT_RUNTIME),
    }
}

/// Everything that can be checked before the first byte is read.
struct Ready {
    config: Config,
    filter: Filter,
    inputs: Vec<stream::OpenInput>,
}

fn setup(cli: Cli) -> Result<Ready> {
    let rules_env = std::env::var("LOGDEDUP_RULES").ok();
    let config = cli.into_config(rules_env.as_deref())?;
    let rules = rules::load(&config.rule_sources, config.default_window)?;
    let log_clock = config.log_clock.then(|| {
        let spec = rules
            .input()
            .timestamp
            .clone()
            .unwrap_or(TimestampSpec::Auto);
        LogClock::new(spec, config.utc, chrono::Local::now().year())
    });
    let inputs = stream::open_inputs(&config.inputs)?;
    let (out, summary_sink, suppressed_sink) = stream::open_sinks(&config, &inputs)?;
    let filter = Filter::new(
        Arc::new(rules),
        config.formatter.clone(),
        out,
        summary_sink,
        suppressed_sink,
        FilterOptions {
            line_buffered: config.line_buffered,
            max_line: config.max_line,
            framing: config.framing.clone(),
            log_clock,
            per_line: false,
        },
    );
    Ok(Ready {
        config,
        filter,
        inputs,
    })
}

fn run(ready: Ready) -> Result<Ending> {
    let config = ready.config;
    let reload = || rules::load(&config.rule_sources, config.default_window);
    let options = RunOptions {
        grace: config.grace,
        first_signal_ends: io::stdin().is_terminal(),
        reload: &reload,
    };
    let (filter, ending) = stream::run(ready.filter, ready.inputs, &options)?;
    if config.stats {
        // Statistics are diagnostics: a failure to print them is not worth
        // failing a run that delivered all its output.
        let _ = io::stderr().write_all(stream::format_stats(&filter).as_bytes());
    }
    Ok(ending)
}

/// Reports `err` on one line and picks the exit status. A closed standard
/// output (`logdedup big.log | head`) is not an error: exit 0, quietly.
fn fail(err: &anyhow::Error, code: u8) -> ExitCode {
    if err.chain().any(|cause| cause.is::<StdoutClosed>()) {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(io::stderr(), "logdedup: {err:#}");
    ExitCode::from(code)
}
