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
    let script = with_pack_names(args.shell, &String::from_utf8_lossy(&script));
    write_stdout(script.as_bytes())
}

/// Adds `builtin:NAME` to what `-r`/`--rules` completes, beside paths:
/// clap's scripts complete a value either from a list or as a path, and
/// `-r` takes both.
fn with_pack_names(shell: Shell, script: &str) -> String {
    let names: Vec<String> = super::rules::pack_names()
        .map(|n| format!("builtin:{n}"))
        .collect();
    match shell {
        Shell::Bash => {
            let bare: Vec<String> = super::rules::pack_names().map(str::to_owned).collect();
            let colon = BASH_COLON.replace("NAMES", &bare.join(" "));
            let files = "COMPREPLY=($(compgen -f \"${cur}\"))";
            let both = format!(
                "COMPREPLY=($(compgen -f \"${{cur}}\") $(compgen -W \"{}\" -- \"${{cur}}\"))",
                names.join(" ")
            );
            let mut out = String::with_capacity(script.len());
            let mut rules_case = false;
            let mut colon_done = false;
            for line in script.split_inclusive('\n') {
                let trimmed = line.trim();
                if !colon_done && trimmed == "COMPREPLY=()" {
                    out.push_str(line);
                    out.push_str(&colon);
                    colon_done = true;
                } else if rules_case && trimmed == files {
                    out.push_str(&line.replace(files, &both));
                } else {
                    out.push_str(line);
                }
                rules_case = trimmed == "--rules)" || trimmed == "-r)";
            }
            out
        }
        Shell::Zsh => {
            let values: Vec<String> = names.iter().map(|n| n.replace(':', "\\:")).collect();
            let action = format!(":PATH:{{_files; compadd -- {}}}'", values.join(" "));
            script
                .lines()
                .map(|line| {
                    if (line.starts_with("'*--rules=") || line.starts_with("'*-r+"))
                        && line.contains(":PATH:_default'")
                    {
                        line.replace(":PATH:_default'", &action)
                    } else {
                        line.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        }
        Shell::Fish => format!(
            "{script}complete -c logdedup -s r -l rules -a '{}'\n",
            names.join(" ")
        ),
        _ => script.to_owned(),
    }
}

/// Bash splits `-r builtin:NAME` into `builtin`, `:` and `NAME` (`:` is in
/// `COMP_WORDBREAKS`), so clap's case on the previous word never sees `-r`.
/// This runs first: after `-r builtin:` or `--rules=builtin:` it offers the
/// pack names alone, the part bash replaces. Where `:` is not a word break
/// the word arrives whole and clap's `-r` case offers `builtin:NAME`.
const BASH_COLON: &str = r#"    local _ld_at=$((COMP_CWORD - 1)) _ld_cur="${COMP_WORDS[COMP_CWORD]}"
    if [[ "${_ld_cur}" == ":" ]]; then
        _ld_cur=""
        _ld_at=$((COMP_CWORD))
    elif [[ "${COMP_WORDS[_ld_at]}" != ":" ]]; then
        _ld_at=0
    fi
    if [[ ${_ld_at} -ge 2 && "${COMP_WORDS[_ld_at - 1]}" == "builtin" ]]; then
        local _ld_opt="${COMP_WORDS[_ld_at - 2]}"
        if [[ "${_ld_opt}" == "=" && ${_ld_at} -ge 3 ]]; then
            _ld_opt="${COMP_WORDS[_ld_at - 3]}"
        fi
        if [[ "${_ld_opt}" == "-r" || "${_ld_opt}" == "--rules" ]]; then
            COMPREPLY=($(compgen -W "NAMES" -- "${_ld_cur}"))
            return 0
        fi
    fi
"#;

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
