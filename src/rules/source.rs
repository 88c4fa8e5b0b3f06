//! Where rule text comes from: files, directories of `*.toml` (in name
//! order), the built-in packs compiled into the binary, and the
//! `$LOGDEDUP_RULES` list.

use anyhow::{anyhow, bail, Context, Result};

use super::validate::quote_pattern;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A rule pack compiled into the binary (`builtin:NAME`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pack {
    /// The name after `builtin:`.
    pub name: &'static str,
    /// One line saying what it suppresses.
    pub about: &'static str,
    /// Whether it is in the default set.
    pub default: bool,
    /// The TOML text, as in `rules/NAME.toml`.
    pub text: &'static str,
}

/// The default set, loaded after `-r`, `-e` and `$LOGDEDUP_RULES` rules
/// unless `--no-default-rules`.
#[cfg(test)]
pub(crate) const DEFAULT_PACK: &str = "builtin:default";

/// The rule packs compiled into the binary, in load order: the default
/// set first, then the opt-in packs.
pub(crate) const BUILTIN_PACKS: &[Pack] = &[
    Pack {
        name: SECRETS,
        about: "bot tokens and other credentials masked on every output (on unless --no-redact)",
        default: false,
        text: include_str!("../../rules/secrets.toml"),
    },
    Pack {
        name: "asyncio",
        about: "asyncio's own socket.send() floods, under any asyncio bot",
        default: true,
        text: include_str!("../../rules/asyncio.toml"),
    },
    Pack {
        name: "pyrogram",
        about: "Pyrogram 1.4 and 2, pyrofork, kurigram, hydrogram: send errors, retries, handler network errors",
        default: true,
        text: include_str!("../../rules/pyrogram.toml"),
    },
    Pack {
        name: "telethon",
        about: "Telethon 1.2 to 1.45: closed connections, failed connection attempts, unreadable packets",
        default: true,
        text: include_str!("../../rules/telethon.toml"),
    },
    Pack {
        name: "aiogram",
        about: "aiogram 2 and 3: failed getUpdates polls and their back-off sleeps",
        default: true,
        text: include_str!("../../rules/aiogram.toml"),
    },
    Pack {
        name: "ptb",
        about: "python-telegram-bot 13 to 22: polling network errors, decided on the traceback's exception",
        default: true,
        text: include_str!("../../rules/ptb.toml"),
    },
    Pack {
        name: "pyrogram-reconnect",
        about: "Pyrogram and forks: the INFO chatter of every reconnect (opt-in)",
        default: false,
        text: include_str!("../../rules/pyrogram-reconnect.toml"),
    },
    Pack {
        name: "telethon-reconnect",
        about: "Telethon: the INFO connect/disconnect cycle (opt-in)",
        default: false,
        text: include_str!("../../rules/telethon-reconnect.toml"),
    },
    Pack {
        name: "httpx-polling",
        about: "httpx: one INFO line per getUpdates poll, and failed polls (opt-in)",
        default: false,
        text: include_str!("../../rules/httpx-polling.toml"),
    },
    Pack {
        name: "urllib3",
        about: "urllib3/requests: 'Retrying ... after connection broken' chatter (opt-in)",
        default: false,
        text: include_str!("../../rules/urllib3.toml"),
    },
    Pack {
        name: "uvicorn",
        about: "uvicorn: invalid HTTP requests from scanners on a webhook port (opt-in)",
        default: false,
        text: include_str!("../../rules/uvicorn.toml"),
    },
    Pack {
        name: "nginx-error-page",
        about: "nginx's 5xx error page quoted line by line in a log message (opt-in)",
        default: false,
        text: include_str!("../../rules/nginx-error-page.toml"),
    },
];

/// The built-in pack of redactions, loaded first unless `--no-redact`.
pub(crate) const SECRETS: &str = "secrets";

/// Where rules come from: a file, a directory of `*.toml`, or a built-in pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSource {
    /// A rule file, or a directory whose `*.toml` files load in name order.
    Path(PathBuf),
    /// A path from `$LOGDEDUP_RULES`: as [`RuleSource::Path`], except that
    /// one that does not exist, or a directory with no `*.toml` in it yet,
    /// is skipped (a warning says so at start-up, see
    /// [`RuleSource::skipped`]) instead of stopping the run. The list
    /// is set once for a service or a fleet, where a host without the
    /// directory must still start its bot with the default packs; a path
    /// typed after `-r` is checked strictly. Read at every load, so a
    /// directory created later comes in with the next reload.
    EnvPath(PathBuf),
    /// One of [`BUILTIN_PACKS`], or `default` / `all` for a set of them.
    Builtin(String),
    /// The default set as the filter adds it after the user's rules: packs
    /// the user loaded already are left out, and a rule whose name an
    /// earlier file defined yields to it (a copied, edited pack overrides
    /// the built-in one).
    Defaults,
    /// The secrets pack as every command adds it first (left out when a
    /// source names `builtin:secrets` itself).
    Secrets,
    /// A rule given on the command line (`-e [NAME=]PATTERN`).
    Inline {
        /// The rule's name (`e1`, `e2`, … when none was given).
        name: String,
        /// Its pattern.
        pattern: String,
        /// The user gave the name (`NAME=PATTERN`): it is the summary's
        /// message. A generated name (`e1`) says nothing, so the summary
        /// shows the pattern instead.
        named: bool,
    },
}

/// A pack's text up to its first `[[test]]` case, when only cases follow
/// (no `[[rule]]`, `[[redact]]`, `[input]` or `[defaults]` after it); else
/// the whole text. The filter needs no cases, and reading them was most of
/// a start-up once the packs carried one per rule and layout.
pub(crate) fn without_cases(text: &str) -> &str {
    let Some(first) = text
        .match_indices("[[test]]")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
    else {
        return text;
    };
    let more = text[first..].lines().any(|l| {
        matches!(
            l.trim_end(),
            "[[rule]]" | "[[redact]]" | "[input]" | "[defaults]" | "[secrets]"
        )
    });
    if more {
        text
    } else {
        &text[..first]
    }
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
    /// keeps its own colon and empty entries are skipped; the paths are
    /// [`RuleSource::EnvPath`]s. Split as bytes:
    /// a Unix path need not be UTF-8, and such a path is loaded like any
    /// other rather than dropped.
    pub(crate) fn parse_list(list: &OsStr) -> Vec<RuleSource> {
        let mut sources = Vec::new();
        let mut parts = list.as_bytes().split(|&b| b == b':');
        while let Some(part) = parts.next() {
            if part == b"builtin" {
                if let Some(name) = parts.next() {
                    sources.push(RuleSource::Builtin(
                        String::from_utf8_lossy(name).into_owned(),
                    ));
                    continue;
                }
            }
            if !part.is_empty() {
                sources.push(RuleSource::EnvPath(PathBuf::from(OsStr::from_bytes(part))));
            }
        }
        sources
    }
}

impl RuleSource {
    /// The warning for a `$LOGDEDUP_RULES` path that this load skips (see
    /// [`RuleSource::EnvPath`]); `None` for every other source.
    pub(crate) fn skipped(&self) -> Option<String> {
        let RuleSource::EnvPath(path) = self else {
            return None;
        };
        let (what, fix) = match skip_reason(path)? {
            Skip::Missing => ("which does not exist", "create it and reload"),
            Skip::Empty => ("a directory with no *.toml files", "add some and reload"),
        };
        Some(format!(
            "$LOGDEDUP_RULES names {}, {what}: going on without it \
             ({fix}, or fix $LOGDEDUP_RULES)",
            path.display()
        ))
    }

    /// Reads `-e` number `n` (from 1): `NAME=PATTERN` when the text before
    /// the first `=` is a plain rule name, else the whole text is the
    /// pattern of a rule named `eN`.
    pub(crate) fn inline(text: &str, n: usize) -> RuleSource {
        if let Some((name, pattern)) = text.split_once('=') {
            let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if plain && !pattern.is_empty() {
                return RuleSource::Inline {
                    name: name.to_owned(),
                    pattern: pattern.to_owned(),
                    named: true,
                };
            }
        }
        RuleSource::Inline {
            name: format!("e{n}"),
            pattern: text.to_owned(),
            named: false,
        }
    }

    /// The TOML of an inline rule, so it is validated like any other.
    /// A rule with a generated name gets the pattern, quoted, as its
    /// message: `'Server closed' (occurred 31 times)` says what was
    /// suppressed, `e1 (occurred 31 times)` does not.
    pub(crate) fn inline_toml(&self) -> Result<String> {
        let RuleSource::Inline {
            name,
            pattern,
            named,
        } = self
        else {
            bail!("{self} is not an inline rule");
        };
        let mut rule = toml::Table::new();
        rule.insert("name".into(), toml::Value::String(name.clone()));
        rule.insert("pattern".into(), toml::Value::String(pattern.clone()));
        if !named {
            // Braces doubled: the message is a template, the pattern is not.
            let message = quote_pattern(pattern).replace('{', "{{").replace('}', "}}");
            rule.insert("message".into(), toml::Value::String(message));
        }
        let mut file = toml::Table::new();
        file.insert(
            "rule".into(),
            toml::Value::Array(vec![toml::Value::Table(rule)]),
        );
        toml::to_string(&file).with_context(|| format!("{self}: cannot express the rule"))
    }
}

/// One rule file's text, named for messages; `yields`: its rules give way
/// to earlier rules of the same name (the implicit default set).
pub(super) struct SourceText {
    pub origin: String,
    pub text: Result<String>,
    pub yields: bool,
    /// A built-in pack (its patterns are not charged to the compile budget).
    pub builtin: bool,
    /// An `-e` rule: its TOML was generated, so errors name the `-e`
    /// option and quote the pattern instead of a line:column in it.
    pub inline: bool,
}

/// The text of every file `sources` stand for, in load order; a file that
/// cannot be read gives its error in its place.
pub(super) fn read_all(sources: &[RuleSource]) -> Vec<SourceText> {
    let mut out: Vec<SourceText> = Vec::new();
    let text = |origin: String, text: Result<String>| SourceText {
        builtin: origin.starts_with("builtin:") && text.is_ok(),
        origin,
        text,
        yields: false,
        inline: false,
    };
    for source in sources {
        match source {
            RuleSource::Defaults => {
                let explicit: Vec<&str> = sources
                    .iter()
                    .filter_map(|s| match s {
                        RuleSource::Builtin(n) => Some(n.as_str()),
                        _ => None,
                    })
                    .collect();
                if explicit.contains(&"default") || explicit.contains(&"all") {
                    continue;
                }
                for pack in BUILTIN_PACKS
                    .iter()
                    .filter(|p| p.default && !explicit.contains(&p.name))
                {
                    out.push(SourceText {
                        yields: true,
                        ..text(format!("builtin:{}", pack.name), Ok(pack.text.to_owned()))
                    });
                }
            }
            RuleSource::Secrets => {
                let named = sources
                    .iter()
                    .any(|s| *s == RuleSource::Builtin(SECRETS.into()));
                if let Some(pack) = BUILTIN_PACKS.iter().find(|p| p.name == SECRETS) {
                    if !named {
                        out.push(text(format!("builtin:{SECRETS}"), Ok(pack.text.to_owned())));
                    }
                }
            }
            RuleSource::Builtin(name) => match packs_named(name) {
                Ok(packs) => out.extend(
                    packs
                        .into_iter()
                        .map(|p| text(format!("builtin:{}", p.name), Ok(p.text.to_owned()))),
                ),
                Err(e) => out.push(text(source.to_string(), Err(e))),
            },
            RuleSource::Inline { .. } => out.push(SourceText {
                inline: true,
                ..text(source.to_string(), source.inline_toml())
            }),
            RuleSource::EnvPath(path) if skip_reason(path).is_some() => {}
            RuleSource::Path(path) | RuleSource::EnvPath(path) => match rule_files(path) {
                Ok(files) => out.extend(
                    files
                        .into_iter()
                        .map(|f| text(f.display().to_string(), read_rule_file(&f))),
                ),
                Err(e) => out.push(text(path.display().to_string(), Err(e))),
            },
        }
    }
    out
}

/// The packs `builtin:NAME` stands for: one pack, or `default` (the packs
/// on by default) or `all`.
pub(crate) fn packs_named(name: &str) -> Result<Vec<&'static Pack>> {
    match name {
        // The secrets pack is governed by --no-redact, not by `all`.
        "all" => Ok(BUILTIN_PACKS.iter().filter(|p| p.name != SECRETS).collect()),
        "default" => Ok(BUILTIN_PACKS.iter().filter(|p| p.default).collect()),
        _ => builtin_pack(name).map(|_| BUILTIN_PACKS.iter().filter(|p| p.name == name).collect()),
    }
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleSource::Path(p) | RuleSource::EnvPath(p) => write!(f, "{}", p.display()),
            RuleSource::Builtin(name) => write!(f, "builtin:{name}"),
            RuleSource::Inline { name, .. } => write!(f, "-e {name}"),
            RuleSource::Defaults => write!(f, "builtin:default"),
            RuleSource::Secrets => write!(f, "builtin:{SECRETS}"),
        }
    }
}

/// Why a `$LOGDEDUP_RULES` path is skipped.
enum Skip {
    /// Nothing is there (a dangling symlink included).
    Missing,
    /// A directory without `*.toml` files: made, not filled yet.
    Empty,
}

/// Whether, and why, a `$LOGDEDUP_RULES` path is skipped. Any other
/// failure to look (no permission, a FIFO named *.toml) is no reason:
/// the load reports it as it would for `-r`.
fn skip_reason(path: &Path) -> Option<Skip> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Skip::Missing),
        Ok(meta) if meta.is_dir() && toml_files(path).is_ok_and(|f| f.is_empty()) => {
            Some(Skip::Empty)
        }
        _ => None,
    }
}

/// Why a rule path that is a FIFO, socket or device is refused.
const NOT_REGULAR: &str =
    "not a regular file (a FIFO, socket or device); rule files must be regular files";

/// Longest rule file accepted: far above any real one, and a bound for
/// a path such as /dev/zero that would otherwise be read forever.
const MAX_RULE_FILE: u64 = 4 << 20;

/// Reads a rule file. Only a regular file is read: a FIFO would block
/// start-up (or a SIGHUP reload) until some writer came, and a device may
/// never end. The file is opened without blocking and checked after
/// opening, so a path swapped for a FIFO in between cannot hang either.
pub(super) fn read_rule_file(path: &Path) -> Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .with_context(|| format!("{}: cannot open rule file", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("{}: cannot read rule file", path.display()))?;
    if !meta.is_file() {
        bail!("{}: {}", path.display(), NOT_REGULAR);
    }
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
                "unknown built-in rule pack {name:?} (available: {}, builtin:default, builtin:all)",
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
        if !meta.is_file() {
            bail!("{}: {}", path.display(), NOT_REGULAR);
        }
        return Ok(vec![path.to_owned()]);
    }
    let files = toml_files(path)?;
    if files.is_empty() {
        bail!("{}: rule directory has no *.toml files", path.display());
    }
    Ok(files)
}

/// The `*.toml` files of directory `path`, in name order (maybe none).
fn toml_files(path: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)
        .with_context(|| format!("{}: cannot list rule directory", path.display()))?
    {
        let entry =
            entry.with_context(|| format!("{}: cannot list rule directory", path.display()))?;
        let file = entry.path();
        if file.extension().is_some_and(|e| e == "toml") && !file.is_dir() {
            // A FIFO or device named *.toml is refused, not skipped: the
            // user meant it to be a rule file.
            if !file.metadata().is_ok_and(|m| m.is_file()) {
                bail!("{}: {}", file.display(), NOT_REGULAR);
            }
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}
