//! The options that say which rules to load, shared by the filter and the
//! commands that work on rules (check, test, explain, suggest).

use clap::Args;
use std::ffi::OsStr;
use std::time::Duration;

use crate::rules::RuleSource;
use crate::time::parse_duration;

/// Which rules to load.
#[derive(Clone, Debug, Args)]
pub(crate) struct RuleArgs {
    /// Rule file, directory of *.toml (loaded in name order) or builtin:NAME
    /// (builtin:all, builtin:default). Repeatable; default $LOGDEDUP_RULES
    /// (':'-separated; a path there that does not exist is skipped with a
    /// warning). These come first, then -e rules, then the default packs.
    #[arg(short = 'r', long = "rules", value_name = "PATH")]
    pub rules: Vec<String>,

    /// An inline rule: PATTERN (named e1, e2, … by position) or
    /// NAME=PATTERN. Repeatable, like grep -e; after the -r rules.
    #[arg(short = 'e', long = "regexp", value_name = "[NAME=]PATTERN")]
    pub inline: Vec<String>,

    /// Do not add the default packs (builtin:default) after your rules.
    #[arg(long)]
    pub no_default_rules: bool,

    /// Do not mask secrets (the built-in secrets pack: bot tokens in
    /// request URLs, passwords in URLs, ...). On by default.
    #[arg(long)]
    pub no_redact: bool,

    /// Window for rules that set none, e.g. 500ms, 30s, 5m, 1h30m.
    #[arg(short = 'w', long, value_name = "DUR", default_value = "30s", value_parser = parse_window)]
    pub window: Duration,
}

impl RuleArgs {
    /// The sources in load order: the secrets pack unless turned off, `-r`
    /// (or `$LOGDEDUP_RULES` when there is no `-r`), then `-e`, then the
    /// default set unless turned off.
    pub(crate) fn sources(&self, rules_env: Option<&OsStr>) -> Vec<RuleSource> {
        let mut sources = Vec::new();
        if !self.no_redact {
            sources.push(RuleSource::Secrets);
        }
        if !self.rules.is_empty() {
            sources.extend(self.rules.iter().map(|r| RuleSource::parse(r)));
        } else {
            sources.extend(rules_env.map(RuleSource::parse_list).unwrap_or_default());
        }
        sources.extend(
            self.inline
                .iter()
                .enumerate()
                .map(|(i, text)| RuleSource::inline(text, i + 1)),
        );
        if !self.no_default_rules {
            sources.push(RuleSource::Defaults);
        }
        sources
    }

    /// [`RuleArgs::sources`] with `$LOGDEDUP_RULES` read from the
    /// environment, as bytes (a path in it need not be UTF-8); warns of the
    /// paths in it that are skipped ([`warn_skipped`]).
    pub(crate) fn sources_from_env(&self) -> Vec<RuleSource> {
        let env = std::env::var_os("LOGDEDUP_RULES");
        let sources = self.sources(env.as_deref());
        warn_skipped(&sources);
        sources
    }
}

/// Says on standard error which `$LOGDEDUP_RULES` paths do not exist and
/// are skipped (see [`RuleSource::EnvPath`]), one line each, before the
/// rules load: a unit whose rule directory is not there yet starts its bot
/// with the default packs, and says so in its journal.
pub(crate) fn warn_skipped(sources: &[RuleSource]) {
    use std::io::Write;
    let text = sources
        .iter()
        .filter_map(RuleSource::skipped)
        .fold(String::new(), |mut text, w| {
            text.push_str("logdedup: warning: ");
            text.push_str(&w);
            text.push('\n');
            text
        });
    // A warning is no reason to fail: a closed stderr is left at that.
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Parses a `--window` value.
pub(crate) fn parse_window(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| format!("{e:#}"))
}
