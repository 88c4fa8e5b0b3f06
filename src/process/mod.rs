//! The process side of a run: signals turned into events, ending a run
//! whose output is stuck, the child of `run -- CMD` (spawning, forwarding
//! signals, reaping), SIGHUP reloads on a side thread, and asking whether
//! input is ready. All the unsafe
//! code of the crate is here, each block with the reason it is sound.
//! Threads started here report to the event loop with a [`Notice`].
//!
//! This file only declares the modules and re-exports their public items.

mod abort;
mod child;
mod notice;
mod ready;
mod reload;
mod signals;
mod terminal;

pub(crate) use abort::{ending, register_writer, Abandoned, Interruptible};
pub(crate) use child::spawn;
pub(crate) use child::{ChildProcess, ChildSpec, SpawnError};
pub(crate) use notice::Notice;
pub(crate) use ready::ready_now;
pub(crate) use reload::{Reload, Reloader};
pub(crate) use signals::watch_signals;
pub use signals::{SignalWatch, Stop};
pub(crate) use terminal::delivered_to_our_group;
