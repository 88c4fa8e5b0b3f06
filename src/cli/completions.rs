//! `logdedup completions SHELL` and `logdedup man`: shell completion
//! scripts and a man page, generated from the clap definitions so they
//! never drift from the options the binary takes.

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::io::Write;

use super::{print, Cli, Failure, Outcome};

/// `completions`: which shell.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `man`: no options.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {}

/// Writes the completion script for `args.shell` to stdout.
pub(crate) fn completions(args: CompletionsArgs) -> Result<Outcome, Failure> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "logdedup", &mut script);
    write_stdout(&script)
}

/// Writes the man page, in roff, to stdout: the top-level page, then one
/// section per command with its synopsis, description and options.
pub(crate) fn man(_args: ManArgs) -> Result<Outcome, Failure> {
    let page = render_man().map_err(Failure::Runtime)?;
    write_stdout(&page)
}

/// The whole man page.
pub(crate) fn render_man() -> anyhow::Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .context("rendering the man page")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("logdedup {}", sub.get_name());
        let has_extra = sub.get_after_help().is_some() || sub.get_after_long_help().is_some();
        let sub = sub
            .clone()
            .bin_name(name.clone())
            .display_name(name.clone());
        let man = clap_mangen::Man::new(sub);
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)
            .and_then(|()| man.render_description_section(&mut part))
            .and_then(|()| man.render_options_section(&mut part))
            .and_then(|()| {
                if has_extra {
                    man.render_extra_section(&mut part)
                } else {
                    Ok(())
                }
            })
            .context("rendering the man page")?;
        // Each command is one section (.SH) of the page; its parts become
        // subsections (.SS) of it.
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        let part = String::from_utf8_lossy(&part);
        for line in part.lines() {
            match line.strip_prefix(".SH ") {
                Some(title) => writeln!(page, ".SS {title}")?,
                None => writeln!(page, "{line}")?,
            }
        }
    }
    Ok(page)
}

/// Writes `bytes` to stdout; a closed stdout (`| head`) ends quietly.
fn write_stdout(bytes: &[u8]) -> Result<Outcome, Failure> {
    print(bytes).map_err(Failure::Runtime)?;
    Ok(Outcome::Success)
}
