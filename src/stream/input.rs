//! Inputs: files and standard input, opened before anything is read, and
//! the reader thread that turns them into chunks, one `read(2)` per chunk.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender};

/// Bytes asked of `read(2)` at a time. One read per chunk: a reader that
/// loops until its buffer is full holds back lines on a slow stream.
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;
/// Most bytes one chunk gathers from reads of input that is ready at
/// once: each chunk is a hand-off to the deciding thread (a wake-up of
/// each thread), and a busy stream gathers a few reads per hand-off.
const GATHER_SIZE: usize = 4 * CHUNK_SIZE;

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
    /// The descriptor `reader` reads, to ask whether more is ready.
    fd: RawFd,
    /// (device, inode) of a regular file, to refuse writing into an input.
    identity: Option<(u64, u64)>,
}

impl OpenInput {
    /// An input read from `reader` (the pipe from `run`'s CMD), called
    /// `name` in error messages.
    pub(crate) fn pipe(name: String, reader: impl Read + AsRawFd + Send + 'static) -> OpenInput {
        OpenInput {
            name,
            fd: reader.as_raw_fd(),
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
                    fd: file.as_raw_fd(),
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
                    fd: file.as_raw_fd(),
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
                    let ended = gather(&mut input, &mut buf);
                    if tx.send(E::from(Chunk::Data(buf))).is_err() {
                        return;
                    }
                    if ended {
                        break;
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

/// Reads more into `buf` while more is ready at once, up to
/// [`GATHER_SIZE`]. It never waits: what was read goes on as soon as the
/// input pauses. Returns whether the input ended (a terminal's end of
/// input is read once, so it must be kept). An error stops it; the next
/// read meets it again.
fn gather(input: &mut OpenInput, buf: &mut Vec<u8>) -> bool {
    while buf.len() + CHUNK_SIZE <= GATHER_SIZE && crate::process::ready_now(input.fd) {
        let len = buf.len();
        buf.resize(len + CHUNK_SIZE, 0);
        match input.reader.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return true;
            }
            Ok(n) => buf.truncate(len + n),
            Err(_) => {
                buf.truncate(len);
                return false;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Input that is ready at once (a file) is gathered into chunks of
    /// [`GATHER_SIZE`], every byte in order.
    #[test]
    fn ready_input_is_gathered_into_large_chunks_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big.log");
        let data: Vec<u8> = (0..GATHER_SIZE * 3 + 1000)
            .map(|i| {
                if i % 80 == 79 {
                    b'\n'
                } else {
                    b'a' + (i % 26) as u8
                }
            })
            .collect();
        std::fs::write(&path, &data).expect("write");
        let inputs = open_inputs(&[InputSource::File(path)]).expect("opens");
        let (tx, rx) = mpsc::sync_channel::<Chunk>(64);
        let (_recycle, recycled) = mpsc::channel();
        read_inputs(inputs, tx, recycled);
        let mut sizes = Vec::new();
        let mut got = Vec::new();
        for chunk in rx {
            match chunk {
                Chunk::Data(d) => {
                    sizes.push(d.len());
                    got.extend_from_slice(&d);
                }
                Chunk::Failed(e) => panic!("{e:#}"),
                Chunk::End => break,
            }
        }
        assert!(got == data, "bytes differ");
        assert_eq!(sizes[..3], [GATHER_SIZE; 3], "{sizes:?}");
    }
}
