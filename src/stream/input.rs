//! Inputs: files and standard input, opened before anything is read, and
//! the reader thread that turns them into chunks, one `read(2)` per chunk.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender};

/// Bytes asked of `read(2)` at a time. One read per chunk: a reader that
/// loops until its buffer is full holds back lines on a slow stream.
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;

/// One input, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InputSource {
    /// Standard input.
    Stdin,
    /// A file path.
    File(PathBuf),
}

/// An opened input, ready for the reader thread.
pub(crate) struct OpenInput {
    name: String,
    reader: Box<dyn Read + Send>,
    /// (device, inode) of a regular file, to refuse writing into an input.
    identity: Option<(u64, u64)>,
}

impl OpenInput {
    /// An input read from `reader` (the pipe from `run`'s CMD), called
    /// `name` in error messages.
    pub(crate) fn pipe(name: String, reader: impl Read + Send + 'static) -> OpenInput {
        OpenInput {
            name,
            reader: Box::new(reader),
            identity: None,
        }
    }
}

/// (device, inode) of a regular file, else `None`.
fn file_identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

/// Fails if an output (`what`, a regular file) is one of the inputs: the
/// filter would read back what it writes, growing the file until the disk
/// is full.
pub(crate) fn refuse_output_into_input(
    inputs: &[OpenInput],
    what: &str,
    meta: &std::fs::Metadata,
) -> Result<()> {
    if let Some(name) = input_file(inputs, meta) {
        anyhow::bail!("{what} is the input file {name}: it would read back its own output");
    }
    Ok(())
}

/// The name of the input that is the regular file `meta` describes.
pub(crate) fn input_file<'i>(inputs: &'i [OpenInput], meta: &std::fs::Metadata) -> Option<&'i str> {
    let id = file_identity(meta)?;
    inputs
        .iter()
        .find(|i| i.identity == Some(id))
        .map(|i| i.name.as_str())
}

/// Opens every input before any is read, so a missing file is reported
/// before anything is written.
pub(crate) fn open_inputs(inputs: &[InputSource]) -> Result<Vec<OpenInput>> {
    inputs
        .iter()
        .map(|input| match input {
            InputSource::Stdin => {
                // A raw handle on fd 0: std's Stdin adds a buffer and a lock we
                // do not need, since we read big chunks ourselves.
                let fd = io::stdin()
                    .as_fd()
                    .try_clone_to_owned()
                    .context("opening standard input")?;
                let file = File::from(fd);
                let identity = file.metadata().ok().as_ref().and_then(file_identity);
                Ok(OpenInput {
                    name: "standard input".into(),
                    reader: Box::new(file),
                    identity,
                })
            }
            InputSource::File(path) => {
                let file =
                    File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
                let meta = file
                    .metadata()
                    .with_context(|| format!("{}: cannot open", path.display()))?;
                if meta.is_dir() {
                    anyhow::bail!("{}: is a directory", path.display());
                }
                Ok(OpenInput {
                    name: path.display().to_string(),
                    reader: Box::new(file),
                    identity: file_identity(&meta),
                })
            }
        })
        .collect()
}

/// What the reader thread sends.
pub(super) enum Chunk {
    /// A chunk (one `read(2)`).
    Data(Vec<u8>),
    /// Reading failed.
    Failed(anyhow::Error),
    /// Every input has ended.
    End,
}

/// Reads the inputs one after another, one `read(2)` per chunk, and sends
/// the chunks on. Used buffers come back on `recycled` to be read into again.
pub(super) fn read_inputs<E: From<Chunk>>(
    inputs: Vec<OpenInput>,
    tx: SyncSender<E>,
    recycled: Receiver<Vec<u8>>,
) {
    for mut input in inputs {
        loop {
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.resize(CHUNK_SIZE, 0);
            match input.reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(E::from(Chunk::Data(buf))).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let err = anyhow::Error::new(e).context(format!("reading {}", input.name));
                    let _ = tx.send(E::from(Chunk::Failed(err)));
                    return;
                }
            }
        }
    }
    let _ = tx.send(E::from(Chunk::End));
}
