//! The `logdedup` binary: parse arguments, run the command, and map how it
//! ended to an exit status. This is the only place that decides exit codes.

use std::io::{self, Write};
use std::process::ExitCode;

use logdedup::cli::{self, Failure, Outcome};
use logdedup::process::{SignalWatch, Stop};
use logdedup::stream::{self, StdoutClosed};

/// An I/O error while running; failed `[[test]]` cases.
const EXIT_RUNTIME: u8 = 1;
/// Usage, rule-file and start-up errors: nothing was read or written.
const EXIT_USAGE: u8 = 2;
/// `run -- CMD`: CMD found but not executable (as shells say it).
const EXIT_NOT_EXECUTABLE: u8 = 126;
/// `run -- CMD`: CMD not found (as shells say it).
const EXIT_NOT_FOUND: u8 = 127;

fn main() -> ExitCode {
    // The filter's (and run's) signal handlers go in before anything else,
    // so a signal during start-up is queued rather than fatal: run passes
    // it on to CMD once CMD has started.
    let first = std::env::args_os().nth(1);
    let install = match first {
        Some(a) if a == "run" => Some(SignalWatch::install_for_child as fn() -> _),
        Some(a) if cli::is_command_name(&a) => None,
        _ => Some(SignalWatch::install as fn() -> _),
    };
    let signals = match install.map(|install| install()).transpose() {
        Ok(s) => s,
        Err(err) => return report(&err, EXIT_RUNTIME),
    };
    let cli = cli::parse();
    match cli::dispatch(cli, signals) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::TestsFailed) => ExitCode::from(EXIT_RUNTIME),
        Ok(Outcome::Invalid) => ExitCode::from(EXIT_USAGE),
        Ok(Outcome::Stream(outcome)) => match outcome {
            stream::Outcome::Eof | stream::Outcome::OutputClosed => ExitCode::SUCCESS,
            stream::Outcome::Stopped(Stop::Interrupt) => ExitCode::from(130),
            stream::Outcome::Stopped(Stop::Terminate) => ExitCode::from(143),
            stream::Outcome::Exited(status) => ExitCode::from(shell_status(status)),
        },
        Ok(Outcome::Child(status)) => ExitCode::from(shell_status(status)),
        Err(Failure::Usage(err)) => report(&err, EXIT_USAGE),
        Err(Failure::Runtime(err)) => report(&err, EXIT_RUNTIME),
        Err(Failure::CommandNotFound(err)) => report(&err, EXIT_NOT_FOUND),
        Err(Failure::CommandNotExecutable(err)) => report(&err, EXIT_NOT_EXECUTABLE),
    }
}

/// The status a shell gives for a process that ended with `status`: its
/// exit code, or 128 + N when signal N killed it.
fn shell_status(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(EXIT_RUNTIME),
        (None, Some(signal)) => u8::try_from(128 + (signal & 0x7f)).unwrap_or(255),
        (None, None) => EXIT_RUNTIME,
    }
}

/// Reports `err` on one line and returns `code`. A closed standard output
/// (`logdedup big.log | head`) is not an error: exit 0, quietly.
fn report(err: &anyhow::Error, code: u8) -> ExitCode {
    if StdoutClosed::is_in(err) {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(io::stderr(), "logdedup: {err:#}");
    ExitCode::from(code)
}
