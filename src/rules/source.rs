//! Where rule text comes from: files, directories of `*.toml` (in name
//! order), the built-in packs compiled into the binary, and the
//! `$LOGDEDUP_RULES` list.

use anyhow::{anyhow, bail, Context, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// A rule pack compiled into the binary (`builtin:NAME`).
#[derive(Clone, Copy, Debug)]
pub struct Pack {
    /// The name after `builtin:`.
    pub name: &'static str,
    /// One line saying what it suppresses.
    pub about: &'static str,
    /// Whether it is in the default set.
    pub default: bool,
    /// The TOML text, as in `rules/NAME.toml`.
    pub text: &'static str,
}

/// The rule packs compiled into the binary, in load order.
pub const BUILTIN_PACKS: &[Pack] = &[Pack {
    name: "pyrogram",
    about: "asyncio socket.send() floods and Pyrogram's connection-lost chatter",
    default: true,
    text: include_str!("../../rules/pyrogram.toml"),
}];

/// The pack used when neither `--rules` nor `$LOGDEDUP_RULES` names any.
pub const DEFAULT_PACK: &str = "builtin:pyrogram";

/// Where rules come from: a file, a directory of `*.toml`, or a built-in pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSource {
    /// A rule file, or a directory whose `*.toml` files load in name order.
    Path(PathBuf),
    /// One of [`BUILTIN_PACKS`].
    Builtin(String),
}

impl RuleSource {
    /// Reads `builtin:NAME` as a built-in pack and anything else as a path.
    pub fn parse(text: &str) -> RuleSource {
        match text.strip_prefix("builtin:") {
            Some(name) => RuleSource::Builtin(name.to_owned()),
            None => RuleSource::Path(PathBuf::from(text)),
        }
    }

    /// Splits `$LOGDEDUP_RULES`: paths separated by `:`, where `builtin:NAME`
    /// keeps its own colon and empty entries are skipped.
    pub fn parse_list(list: &str) -> Vec<RuleSource> {
        let mut sources = Vec::new();
        let mut parts = list.split(':');
        while let Some(part) = parts.next() {
            if part == "builtin" {
                if let Some(name) = parts.next() {
                    sources.push(RuleSource::Builtin(name.to_owned()));
                    continue;
                }
            }
            if !part.is_empty() {
                sources.push(RuleSource::Path(PathBuf::from(part)));
            }
        }
        sources
    }
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleSource::Path(p) => write!(f, "{}", p.display()),
            RuleSource::Builtin(name) => write!(f, "builtin:{name}"),
        }
    }
}

/// Longest rule file accepted: far above any real one, and a bound for
/// a path such as /dev/zero that would otherwise be read forever.
const MAX_RULE_FILE: u64 = 4 << 20;

pub(super) fn read_rule_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .with_context(|| format!("{}: cannot open rule file", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_RULE_FILE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read rule file", path.display()))?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        bail!(
            "{}: rule file is larger than {} MiB",
            path.display(),
            MAX_RULE_FILE >> 20
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{}: rule file is not UTF-8 (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// The text of built-in pack `name`, or an error listing the packs there are.
pub fn builtin_pack(name: &str) -> Result<&'static str> {
    BUILTIN_PACKS
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.text)
        .ok_or_else(|| {
            let known: Vec<String> = BUILTIN_PACKS
                .iter()
                .map(|p| format!("builtin:{}", p.name))
                .collect();
            anyhow!(
                "unknown built-in rule pack {name:?} (available: {})",
                known.join(", ")
            )
        })
}

/// The files a `--rules PATH` stands for: the file itself, or a directory's
/// `*.toml` files in name order.
pub(super) fn rule_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("{}: cannot open rule file", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)
        .with_context(|| format!("{}: cannot list rule directory", path.display()))?
    {
        let entry =
            entry.with_context(|| format!("{}: cannot list rule directory", path.display()))?;
        let file = entry.path();
        if file.extension().is_some_and(|e| e == "toml") && !file.is_dir() {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{}: rule directory has no *.toml files", path.display());
    }
    Ok(files)
}
