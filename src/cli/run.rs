//! `logdedup run [OPTIONS] -- CMD [ARGS]...`: start CMD with its stdout
//! and stderr joined into one pipe, filter that stream as the filter does,
//! and exit with CMD's status. It replaces `sh -c 'bot 2>&1 | logdedup'`,
//! which loses the bot's exit status without pipefail, does not pass
//! SIGTERM on, and cannot be written in systemd's `ExecStart=`.

use clap::Args;

use super::filter::{self, FilterArgs};
use super::{Failure, Outcome};
use crate::process::{self, ChildSpec, Reload, SignalWatch, SpawnError};
use crate::rules;
use crate::stream::{self, OpenInput};
use std::sync::Arc;

pub(super) const AFTER_HELP: &str = "\
Examples:
  logdedup run -- python bot.py
  logdedup run --format json --stats-file /run/bot/stats.json -- python bot.py
  ExecStart=/usr/local/bin/logdedup run -- /srv/bot/venv/bin/python bot.py   (systemd)
  ENTRYPOINT [\"logdedup\", \"run\", \"--\"]                                      (Dockerfile)

CMD's stdout and stderr go into one pipe, in the order it wrote them, and
through the filter to logdedup's stdout. PYTHONUNBUFFERED=1 is set for CMD
unless it is set already or --keep-env is given, so a Python program's lines
are not held in its buffer.

Signals: SIGINT, SIGTERM and SIGQUIT are passed to CMD (to its process group
with --group); pending summaries are written at once, CMD's last lines are
filtered until it exits, and logdedup exits with its status. A second SIGINT
or SIGTERM ends logdedup at once and kills CMD. SIGHUP reloads the rules
(--forward-hup: passed to CMD); SIGUSR1 prints --stats. Orphaned processes
are reaped, as by an init, so run is fit to be PID 1 in a container.

CMD is never left behind: when logdedup's output closes (| head), CMD gets
SIGTERM and logdedup exits with its status; if logdedup is killed, the
kernel kills CMD (parent-death signal, SIGKILL). In a terminal a Ctrl-C
reaches CMD once; with --group, CMD's group gets the terminal while it runs.

Exit status: CMD's; 128+N if it was killed by signal N; 127 CMD not found;
126 CMD not executable; 2 bad options or rules (CMD is not started);
130/143 a second SIGINT/SIGTERM ended logdedup before CMD.";

/// `run`: the filter's options (their FILE arguments are CMD and its
/// arguments), and how to treat CMD.
#[derive(Debug, Args)]
// The filter's FILE arguments become CMD: the one positional, taken only
// after `--` (so CMD's own options are never read as logdedup's).
#[command(mut_arg("files", |a| a
    .last(true)
    .required(true)
    .value_name("CMD")
    .help("The command to run and its arguments, after `--`.")))]
pub(crate) struct RunArgs {
    /// The filter's options.
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Start CMD in a process group of its own and send forwarded signals
    /// to the whole group (CMD and the processes it started).
    #[arg(long, help_heading = "Command")]
    pub group: bool,

    /// Pass SIGHUP to CMD instead of reloading the rules.
    #[arg(long, help_heading = "Command")]
    pub forward_hup: bool,

    /// Leave CMD's environment as it is: do not set PYTHONUNBUFFERED=1.
    #[arg(long, help_heading = "Command")]
    pub keep_env: bool,
}

/// Checks the options and loads the rules (a failure there is a usage
/// error and CMD never starts), starts CMD, and filters its output until
/// it exits. `signals`, when given, were installed at start-up.
pub(crate) fn run(args: RunArgs, signals: Option<SignalWatch>) -> Result<Outcome, Failure> {
    let signals = match signals {
        Some(s) => s,
        None => SignalWatch::install_for_child().map_err(Failure::Runtime)?,
    };
    let mut args = args;
    let command = std::mem::take(&mut args.filter.files);
    let Some((program, cmd_args)) = command.split_first() else {
        return Err(Failure::Usage(anyhow::anyhow!(
            "run needs a command after `--`"
        )));
    };
    let spec = ChildSpec {
        program: program.clone(),
        args: cmd_args.to_vec(),
        group: args.group,
        keep_env: args.keep_env,
        forward_hup: args.forward_hup,
    };
    let rules_env = std::env::var_os("LOGDEDUP_RULES");
    let mut plan = args
        .filter
        .plan(rules_env.as_deref())
        .map_err(Failure::Usage)?;
    super::rule_args::warn_skipped(&plan.rule_sources);
    plan.settings.inputs.clear();
    plan.settings
        .metrics
        .instance
        .get_or_insert_with(|| super::metrics::default_instance(program, cmd_args));
    let mut prepared = filter::prepare(&plan).map_err(Failure::Usage)?;
    let (child, output) = process::spawn(&spec).map_err(|err| match err {
        SpawnError::NotFound(e) => Failure::CommandNotFound(e),
        SpawnError::NotExecutable(e) => Failure::CommandNotExecutable(e),
        SpawnError::Other(e) => Failure::Runtime(e),
    })?;
    prepared.add_input(OpenInput::pipe(
        format!("the output of {}", child.name()),
        output,
    ));
    let (sources, options) = (plan.rule_sources.clone(), plan.load);
    let reload: Reload = Arc::new(move || rules::load_with(&sources, options));
    match stream::run_child(prepared, signals, child, reload) {
        Ok(stream::Outcome::Exited(status)) => Ok(Outcome::Child(status)),
        Ok(other) => Ok(Outcome::Stream(other)),
        Err(err) => Err(Failure::Runtime(err)),
    }
}
