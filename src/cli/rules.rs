//! `logdedup rules [list | show NAME]`: the built-in rule packs.

use clap::{Args, Subcommand};

use super::{Failure, Outcome};
use crate::rules::packs_named;
use crate::rules::{load_str, BUILTIN_PACKS, SECRETS};

/// Arguments of `logdedup rules`.
#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// What to do (default: list).
    #[command(subcommand)]
    pub action: Option<RulesAction>,
}

/// `rules list` or `rules show NAME`.
#[derive(Debug, Subcommand)]
pub(crate) enum RulesAction {
    /// The built-in packs: name, rules, on by default or not, what they suppress.
    List,
    /// Print a pack's TOML, ready to copy into a rule file of your own.
    Show {
        /// The pack's name (as in builtin:NAME).
        #[arg(value_parser = PackName)]
        name: String,
    },
}

/// Takes any name (an unknown one is refused with the list of packs when
/// the command runs) and tells shell completions the pack names.
#[derive(Clone, Debug)]
pub(crate) struct PackName;

impl clap::builder::TypedValueParser for PackName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            pack_names().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// Every name `builtin:NAME` takes: the packs, `default` and `all`.
pub(crate) fn pack_names() -> impl Iterator<Item = &'static str> {
    BUILTIN_PACKS
        .iter()
        .map(|p| p.name)
        .chain(["default", "all"])
}

/// Runs `logdedup rules`.
pub(crate) fn run(args: RulesArgs) -> Result<Outcome, Failure> {
    let text = match args.action.unwrap_or(RulesAction::List) {
        RulesAction::List => list(),
        RulesAction::Show { name } => {
            // `builtin:NAME` as written after -r works too, and so do the
            // sets (`default`, `all`): their packs one after another.
            let name = name.strip_prefix("builtin:").unwrap_or(&name);
            packs_named(name)
                .map_err(Failure::Usage)?
                .iter()
                .map(|p| format!("# ---- builtin:{} ----\n{}", p.name, p.text))
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    super::print(text.as_bytes()).map_err(Failure::Runtime)?;
    Ok(Outcome::Success)
}

fn list() -> String {
    let width = BUILTIN_PACKS
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(4);
    let mut text = format!(
        "{:<width$}  {:>5}  {:<7}  ABOUT\n",
        "PACK", "RULES", "DEFAULT"
    );
    for pack in BUILTIN_PACKS {
        let rules = load_str(pack.name, pack.text, std::time::Duration::from_secs(30))
            .map_or(0, |set| {
                set.rules().len() + set.redactor().redactions().len()
            });
        let default = match (pack.name == SECRETS, pack.default) {
            (true, _) => "always",
            (false, true) => "yes",
            (false, false) => "no",
        };
        text.push_str(&format!(
            "{:<width$}  {:>5}  {:<7}  {}\n",
            pack.name, rules, default, pack.about
        ));
    }
    text
}
