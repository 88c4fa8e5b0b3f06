//! The command line: clap definitions and one file per command. With no
//! subcommand, `logdedup [OPTIONS] [FILE]...` is the filter, exactly as
//! pipes and scripts have always called it. Each command returns an
//! [`Outcome`] or a [`Failure`]; which exit status that is, `main` decides.

pub mod check;
pub mod completions;
pub mod explain;
pub mod filter;
pub mod metrics;
pub mod rule_args;
pub mod rules;
pub mod run;
pub mod suggest;
pub mod test;

use clap::{Parser, Subcommand};

use crate::process::SignalWatch;
use crate::stream::{self, StdoutClosed, StdoutWriter};

/// Collapse floods of repeated log lines into one summary line per rule per
/// window; every other line passes through untouched and immediately.
#[derive(Debug, Parser)]
#[command(
    name = "logdedup",
    version,
    after_help = filter::AFTER_HELP,
    args_conflicts_with_subcommands = true,
    subcommand_help_heading = "Commands",
)]
pub struct Cli {
    /// A command other than filtering.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// The filter's options.
    #[command(flatten)]
    pub(crate) filter: filter::FilterArgs,
}

/// The commands beside the filter.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate rule files: one line per file, every error, warnings.
    Check(check::CheckArgs),
    /// Run the [[test]] cases of rule files; ends "N passed, N failed".
    Test(test::TestArgs),
    /// Show which rule (and key) takes each line, or that it passes.
    Explain(explain::ExplainArgs),
    /// List the built-in rule packs, or print one as TOML.
    Rules(rules::RulesArgs),
    /// Find the noise in an existing log and print rules for it.
    Suggest(suggest::SuggestArgs),
    /// Start a command, filter its stdout and stderr, exit with its status.
    #[command(after_help = run::AFTER_HELP)]
    Run(Box<run::RunArgs>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) for logdedup and its commands.
    Man(completions::ManArgs),
}

/// How a command ended, when it did its job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done; nothing to report.
    Success,
    /// A filter run ended this way.
    Stream(stream::Outcome),
    /// Some `[[test]]` cases failed (reported already).
    TestsFailed,
    /// Rule files were invalid (reported already).
    Invalid,
    /// `run -- CMD`: CMD exited with this status and its output was read.
    Child(std::process::ExitStatus),
}

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments, rule files or inputs: nothing was read or written.
    Usage(anyhow::Error),
    /// An I/O error while running.
    Runtime(anyhow::Error),
    /// `run -- CMD`: CMD was not found.
    CommandNotFound(anyhow::Error),
    /// `run -- CMD`: CMD was found but could not be executed.
    CommandNotExecutable(anyhow::Error),
}

/// Writes `bytes` to standard output, for the commands beside the filter.
/// A reader that closed it early (`| head`) comes back as [`StdoutClosed`],
/// which `main` ends quietly with status 0, as the filter does.
pub(crate) fn print(bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let mut out = StdoutWriter::new();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing to standard output")
}

/// [`print`] for a command whose own verdict (failed tests, invalid
/// rules) decides its exit status: a closed standard output is no error
/// there and the verdict stands; any other write error is one.
pub(crate) fn print_report(bytes: &[u8]) -> Result<(), Failure> {
    match print(bytes) {
        Err(err) if !StdoutClosed::is_in(&err) => Err(Failure::Runtime(err)),
        _ => Ok(()),
    }
}

/// Says on standard error, in one line, what a command reading standard
/// input is waiting for, when that input is a terminal: `logdedup` typed
/// alone in a shell would otherwise sit there silent, as if hung. `what`:
/// what it reads; `example`: how it is meant to be fed; `help`: the
/// command's --help. Nothing is said for a pipe or a file.
pub(crate) fn terminal_hint(what: &str, example: &str, help: &str) {
    use std::io::{IsTerminal, Write};
    if std::io::stdin().is_terminal() {
        // A hint is no reason to fail: a closed stderr is left at that.
        let _ = writeln!(
            std::io::stderr(),
            "logdedup: reading {what} from the terminal; end with Ctrl-D \
             (e.g. {example}; see {help})"
        );
    }
}

/// Parses the command line; on an error, prints clap's message and exits
/// 2. `logdedup run python bot.py` (CMD before `--`, where clap cannot take
/// it) gets a tip that says where CMD goes.
pub fn parse() -> Cli {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Cli::try_parse().unwrap_or_else(|err| with_tip(err, &args).exit())
}

/// Adds to a parse error of `run` the tip to put CMD after `--`, if the
/// argument clap could not place is not an option. `args`: the command
/// line, program name first.
fn with_tip(mut err: clap::Error, args: &[String]) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if args.get(1).is_none_or(|a| a != "run") || err.kind() != ErrorKind::UnknownArgument {
        return err;
    }
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
        return err;
    };
    if arg.starts_with('-') {
        return err;
    }
    // CMD is the argument clap could not place and all that follows it.
    let from = args[2..].iter().position(|a| a == arg).map_or(2, |i| i + 2);
    let tip = format!(
        "the command goes after `--`: 'logdedup run [OPTIONS] -- {}'",
        args[from..].join(" ")
    );
    err.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![tip.into()]),
    );
    err
}

/// Whether `arg` (the first argument) names a command rather than the filter.
pub fn is_command_name(arg: &std::ffi::OsStr) -> bool {
    use clap::CommandFactory;
    let Some(arg) = arg.to_str() else {
        return false;
    };
    arg == "help"
        || Cli::command()
            .get_subcommands()
            .any(|c| c.get_name() == arg)
}

/// Runs the command `cli` names. `signals` are installed for the filter
/// (and `run`), which must not die of a signal that arrives while its
/// rules load.
pub fn dispatch(cli: Cli, signals: Option<SignalWatch>) -> Result<Outcome, Failure> {
    match cli.command {
        None => {
            let signals = match signals {
                Some(s) => s,
                None => SignalWatch::install().map_err(Failure::Runtime)?,
            };
            filter::run(cli.filter, signals)
        }
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Test(args)) => test::run(args),
        Some(Command::Explain(args)) => explain::run(args),
        Some(Command::Rules(args)) => rules::run(args),
        Some(Command::Suggest(args)) => suggest::run(args),
        Some(Command::Run(args)) => run::run(*args, signals),
        Some(Command::Completions(args)) => completions::completions(args),
        Some(Command::Man(args)) => completions::man(args),
    }
}
