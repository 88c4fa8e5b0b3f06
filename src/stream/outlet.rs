//! Where output goes: standard output, standard error, appended files.
//! One vocabulary for every output option (`stdout`, `-`, `stderr`, a path;
//! `./stderr` for a file of that name), one writer for each destination
//! ([`Outlet`]), and the rule that a closed standard output ends the run
//! quietly while a closed audit or summary file is an error.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::input::{input_file, refuse_output_into_input, OpenInput, CHUNK_SIZE};
use crate::process::{Abandoned, Interruptible};

/// An output named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Standard output (`stdout` or `-`), in stream order.
    Stdout,
    /// Standard error (`stderr`).
    Stderr,
    /// A file, appended to (reopened on SIGHUP).
    File(PathBuf),
}

impl Target {
    /// Reads `stdout`, `-`, `stderr` or a path; `option` names the option
    /// in the error for an empty value.
    pub(crate) fn parse(text: &str, option: &str) -> Result<Target> {
        Ok(match text {
            "stdout" | "-" => Target::Stdout,
            "stderr" => Target::Stderr,
            "" => bail!("{option} needs stdout, stderr or a file path"),
            path => Target::File(PathBuf::from(path)),
        })
    }
}

/// Standard output was closed by the reader (`logdedup big.log | head`):
/// the run ends at once, quietly and successfully.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

impl StdoutClosed {
    /// Whether `err` is standard output closed by its reader, however it
    /// was wrapped: as an error of its own (an [`Outlet`]'s) or inside the
    /// `io::Error` a [`StdoutWriter`] returned. The one test of the rule,
    /// for `main` and the filter's loop alike.
    pub fn is_in(err: &anyhow::Error) -> bool {
        err.chain().any(|e| {
            e.is::<StdoutClosed>()
                || e.downcast_ref::<io::Error>()
                    .and_then(io::Error::get_ref)
                    .is_some_and(<dyn std::error::Error + Send + Sync>::is::<StdoutClosed>)
        })
    }
}

/// Standard output for the commands beside the filter (`rules show`,
/// `explain`, `test`, `completions`, ...): a plain [`Write`] whose broken
/// pipe comes back as [`StdoutClosed`], so that `logdedup rules show all |
/// head` ends quietly with 0 as the filter does, while any other error
/// (a full disk) stays an error. Unbuffered: wrap it in a `BufWriter` for
/// many small writes.
pub struct StdoutWriter(io::Stdout);

impl StdoutWriter {
    /// The process's standard output.
    pub fn new() -> StdoutWriter {
        StdoutWriter(io::stdout())
    }

    fn error(err: io::Error) -> io::Error {
        if err.kind() == io::ErrorKind::BrokenPipe {
            io::Error::new(io::ErrorKind::BrokenPipe, StdoutClosed)
        } else {
            err
        }
    }
}

impl Default for StdoutWriter {
    fn default() -> StdoutWriter {
        StdoutWriter::new()
    }
}

impl Write for StdoutWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(StdoutWriter::error)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).map_err(StdoutWriter::error)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(StdoutWriter::error)
    }
}

/// A writer with the path (or stream name) it writes to, for error messages.
pub struct Outlet {
    name: String,
    writer: Box<dyn Write + Send>,
    /// The file appended to, reopened on SIGHUP; `None` for a stream.
    path: Option<PathBuf>,
    /// A broken pipe here means the reader is done ([`StdoutClosed`]), not
    /// an error: true for standard output only. A closed audit or summary
    /// pipe is an error, or lines would vanish without a word.
    closing_is_normal: bool,
}

impl Outlet {
    /// Wraps `writer`, called `name` in error messages.
    pub fn new(name: impl Into<String>, writer: Box<dyn Write + Send>) -> Outlet {
        Outlet {
            name: name.into(),
            writer,
            path: None,
            closing_is_normal: false,
        }
    }

    /// Wraps standard output (see [`StdoutClosed`]).
    pub(crate) fn stdout(writer: Box<dyn Write + Send>) -> Outlet {
        Outlet {
            closing_is_normal: true,
            ..Outlet::new("standard output", writer)
        }
    }

    fn error(&self, err: io::Error) -> anyhow::Error {
        if self.closing_is_normal && err.kind() == io::ErrorKind::BrokenPipe {
            return anyhow::Error::new(StdoutClosed);
        }
        if err
            .get_ref()
            .is_some_and(<dyn std::error::Error + Send + Sync>::is::<Abandoned>)
        {
            return anyhow::Error::new(Abandoned).context(format!("writing to {}", self.name));
        }
        anyhow::Error::new(err).context(format!("writing to {}", self.name))
    }

    /// Reopens the file this sink appends to (after logrotate moved it),
    /// flushing what is buffered into the old one first. A stream is left
    /// as it is. On failure the old file stays in use.
    pub(crate) fn reopen(&mut self) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = open_append(path)?;
        self.flush()?;
        self.writer = file_writer(file);
        Ok(())
    }

    /// Writes all of `bytes`.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer.write_all(bytes).map_err(|e| self.error(e))
    }

    /// Flushes what is buffered.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.writer.flush().map_err(|e| self.error(e))
    }
}

/// Opens a file for appending, creating it if needed.
pub(crate) fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("{}: cannot open for appending", path.display()))
}

/// The buffered writer of an appended file.
fn file_writer(file: File) -> Box<dyn Write + Send> {
    Box::new(io::BufWriter::with_capacity(
        CHUNK_SIZE,
        Interruptible(file),
    ))
}

/// A buffered appending outlet on `path`, reopened by [`Outlet::reopen`].
pub(crate) fn file_outlet(path: &Path) -> Result<Outlet> {
    let file = open_append(path)?;
    Ok(Outlet {
        path: Some(path.to_owned()),
        ..Outlet::new(path.display().to_string(), file_writer(file))
    })
}

/// An outlet for `target`; `None` for standard output (the main stream).
pub(crate) fn target_outlet(target: &Target) -> Result<Option<Outlet>> {
    Ok(match target {
        Target::Stdout => None,
        Target::Stderr => Some(Outlet::new(
            "standard error",
            Box::new(Interruptible(io::stderr())),
        )),
        Target::File(path) => Some(file_outlet(path)?),
    })
}

/// The filter's outlets: standard output (a raw handle in a big buffer),
/// the summary outlet unless summaries go into the stream, and the audit
/// trail if any. Refuses an output that is one of the inputs.
pub(crate) fn open_outlets(
    summary_to: &Target,
    suppressed_to: Option<&Target>,
    inputs: &[OpenInput],
) -> Result<(Outlet, Option<Outlet>, Option<Outlet>)> {
    let stdout = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("opening standard output")?;
    if let Ok(meta) = File::from(stdout.try_clone().context("opening standard output")?).metadata()
    {
        refuse_output_into_input(inputs, "standard output", &meta)?;
    }
    for (option, target) in [
        ("--summary-to", Some(summary_to)),
        ("--suppressed-to", suppressed_to),
    ] {
        if let Some(Target::File(path)) = target {
            if let Ok(meta) = std::fs::metadata(path) {
                refuse_output_into_input(inputs, &format!("{option} {}", path.display()), &meta)?;
            }
        }
    }
    let out = Outlet::stdout(Box::new(io::BufWriter::with_capacity(
        CHUNK_SIZE,
        Interruptible(File::from(stdout)),
    )));
    let summary = target_outlet(summary_to)?;
    let suppressed = match suppressed_to {
        Some(Target::Stdout) => {
            bail!("--suppressed-to stdout would put the suppressed lines back into the output (name a file, or stderr)")
        }
        Some(target) => target_outlet(target)?,
        None => None,
    };
    Ok((out, summary, suppressed))
}

/// Refuses a statistics file (`--stats-file`, `--metrics-textfile`) that
/// is an input, the audit trail, the summary file or the other statistics
/// file: it is replaced whole at every interval, so the log or the audit
/// trail would be lost to statistics. The same file is found by device and
/// inode when both exist, else by path (its directory resolved), which
/// also catches a name given twice before either file is made.
pub(crate) fn refuse_stats_over_data(
    stats: &[(&str, &Path)],
    outputs: &[(&str, Option<&Target>)],
    inputs: &[OpenInput],
) -> Result<()> {
    let outputs: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|(option, target)| match target {
            Some(Target::File(path)) => Some((*option, path.as_path())),
            _ => None,
        })
        .collect();
    let stdout = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .and_then(|fd| File::from(fd).metadata().ok());
    for (i, (option, path)) in stats.iter().enumerate() {
        if let Ok(meta) = std::fs::metadata(path) {
            if let Some(name) = input_file(inputs, &meta) {
                bail!(
                    "{option} {} is the input file {name}: it is replaced by statistics at every \
                     interval",
                    path.display()
                );
            }
            if stdout.as_ref().is_some_and(|out| {
                use std::os::unix::fs::MetadataExt;
                out.is_file() && out.dev() == meta.dev() && out.ino() == meta.ino()
            }) {
                bail!(
                    "{option} {} is standard output: it is replaced by statistics at every interval",
                    path.display()
                );
            }
        }
        for (other, other_path) in outputs.iter().chain(&stats[..i]) {
            if same_file(path, other_path) {
                bail!(
                    "{option} {} is also the {other} file: it is replaced by statistics at every \
                     interval",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// Whether `a` and `b` name one file: the same device and inode when
/// both exist, else the same path once their directories are resolved.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return x.dev() == y.dev() && x.ino() == y.ino();
    }
    let resolved = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        p.file_name().map(|name| dir.join(name))
    };
    resolved(a).is_some() && resolved(a) == resolved(b)
}
