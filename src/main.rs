//! The `logdedup` binary: parse arguments, run the command, and map how it
//! ended to an exit status. This is the only place that decides exit codes.

use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;

use logdedup::cli::{self, Cli, Failure, Outcome};
use logdedup::stream::{self, StdoutClosed, Stop};

/// An I/O error while running; failed `[[test]]` cases.
const EXIT_RUNTIME: u8 = 1;
/// Usage, rule-file and start-up errors: nothing was read or written.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // The filter's signal handlers go in before anything else, so a SIGHUP
    // or SIGUSR1 during start-up is queued rather than fatal.
    let filtering = !std::env::args_os()
        .nth(1)
        .is_some_and(|a| cli::is_command_name(&a));
    let signals = if filtering {
        match stream::SignalWatch::install() {
            Ok(s) => Some(s),
            Err(err) => return report(&err, EXIT_RUNTIME),
        }
    } else {
        None
    };
    let cli = Cli::parse();
    match cli::dispatch(cli, signals) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::TestsFailed) => ExitCode::from(EXIT_RUNTIME),
        Ok(Outcome::Invalid) => ExitCode::from(EXIT_USAGE),
        Ok(Outcome::Stream(outcome)) => match outcome {
            stream::Outcome::Eof | stream::Outcome::OutputClosed => ExitCode::SUCCESS,
            stream::Outcome::Stopped(Stop::Interrupt) => ExitCode::from(130),
            stream::Outcome::Stopped(Stop::Terminate) => ExitCode::from(143),
        },
        Err(Failure::Usage(err)) => report(&err, EXIT_USAGE),
        Err(Failure::Runtime(err)) => report(&err, EXIT_RUNTIME),
    }
}

/// Reports `err` on one line and returns `code`. A closed standard output
/// (`logdedup big.log | head`) is not an error: exit 0, quietly.
fn report(err: &anyhow::Error, code: u8) -> ExitCode {
    if err.chain().any(|cause| cause.is::<StdoutClosed>()) {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(io::stderr(), "logdedup: {err:#}");
    ExitCode::from(code)
}
