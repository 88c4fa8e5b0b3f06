//! `logdedup completions SHELL` and `logdedup man`: every script and the
//! man page name every long option of every command.

use crate::util;
use crate::util::logdedup;
use clap::CommandFactory;
use logdedup::cli::Cli;

/// Every long option of the filter and of each command.
fn long_options() -> Vec<String> {
    let cmd = Cli::command();
    let mut names: Vec<String> = Vec::new();
    let mut add = |c: &clap::Command| {
        for arg in c.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                names.push(long.to_owned());
            }
        }
    };
    add(&cmd);
    for sub in cmd.get_subcommands() {
        add(sub);
    }
    names.sort();
    names.dedup();
    assert!(names.iter().any(|n| n == "forward-hup"), "{names:?}");
    names
}

#[test]
fn every_shell_script_mentions_every_long_option() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = logdedup().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(!script.trim().is_empty(), "{shell}");
        for long in long_options() {
            // fish writes `-l NAME`; the others `--NAME`.
            let named = if shell == "fish" {
                script.contains(&format!("-l {long}"))
            } else {
                script.contains(&format!("--{long}"))
            };
            assert!(named, "{shell} script lacks --{long}");
        }
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    logdedup().args(["completions", "tcsh"]).assert().code(2);
}

/// The man page's roff source.
fn man_text() -> String {
    let out = logdedup().arg("man").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn man_page_roff_lists_every_option_and_command() {
    let roff = man_text();
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH logdedup"),
        "{}",
        &roff[..200]
    );
    let plain = roff.replace("\\-", "-");
    for long in long_options() {
        assert!(
            plain.contains(&format!("--{long}")),
            "man page lacks --{long}"
        );
    }
    for sub in [
        "LOGDEDUP RUN",
        "LOGDEDUP COMPLETIONS",
        "LOGDEDUP MAN",
        "LOGDEDUP RULES",
    ] {
        assert!(plain.contains(sub), "man page lacks a section for {sub}");
    }
}

/// Renders the page with man(1). Ignored by a plain `cargo test`, which
/// must pass where man is not installed (the roff test above checks the
/// content everywhere); `.ci/run` installs man and runs it with
/// `--ignored`. Without man(1) it fails rather than passes.
#[test]
#[ignore = "needs man(1); .ci/run runs it"]
fn man_page_renders_with_man() {
    let man = which_man().expect("man(1) is not on PATH");
    let dir = util::RuleDir::new();
    let page = dir.file("logdedup.1", &man_text());
    let out = std::process::Command::new(man)
        .args(["-l", "-P", "cat"])
        .arg(&page)
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).replace('\u{2010}', "-");
    // man may hyphenate or use Unicode hyphens; compare without them.
    let squeeze = |s: &str| s.replace(['-', '\u{2010}', '\u{2212}'], "");
    let rendered = squeeze(&text);
    for long in long_options() {
        assert!(
            rendered.contains(&squeeze(&long)),
            "rendered page lacks --{long}"
        );
    }
    assert!(text.contains("SYNOPSIS"));
}

fn which_man() -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|d| d.join("man"))
        .find(|p| p.is_file())
        .ok_or(())
}

/// Runs the bash completion function of the generated script for the
/// words `line` (the last one being completed) and returns its answers.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let out = logdedup().args(["completions", "bash"]).output().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("logdedup.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cur = words.last().copied().unwrap_or_default();
    let prev = words
        .get(words.len().wrapping_sub(2))
        .copied()
        .unwrap_or_default();
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _logdedup logdedup '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &program])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn rules_show_and_dash_r_complete_the_pack_names() {
    let show = bash_complete(&["logdedup", "rules", "show", "tele"]);
    assert_eq!(show, ["telethon", "telethon-reconnect"]);
    let rules = bash_complete(&["logdedup", "-r", "builtin"]);
    assert!(
        rules.iter().any(|r| r == "builtin:pyrogram-reconnect"),
        "{rules:?}"
    );
    assert!(rules.iter().any(|r| r == "builtin:all"), "{rules:?}");
    // Bash splits `-r builtin:tele` at the colon (COMP_WORDBREAKS) into
    // `builtin`, `:` and `tele`, and replaces only the part after the colon.
    let split = bash_complete(&["logdedup", "-r", "builtin", ":", "tele"]);
    assert_eq!(split, ["telethon", "telethon-reconnect"]);
    let after_colon = bash_complete(&["logdedup", "filter", "-r", "builtin", ":"]);
    assert!(after_colon.iter().any(|r| r == "all"), "{after_colon:?}");
    assert!(
        after_colon.iter().all(|r| !r.contains(':')),
        "{after_colon:?}"
    );
    let equals = bash_complete(&["logdedup", "--rules", "=", "builtin", ":", "py"]);
    assert!(
        equals.iter().any(|r| r == "pyrogram-reconnect"),
        "{equals:?}"
    );
    // Another option's value with a colon gets no pack names.
    let other = bash_complete(&["logdedup", "--clock", "builtin", ":", "py"]);
    assert!(other.iter().all(|r| r != "pyrogram"), "{other:?}");
    for shell in ["zsh", "fish"] {
        let out = logdedup().args(["completions", shell]).output().unwrap();
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("telethon-reconnect"),
            "{shell} completes no pack name"
        );
    }
}
