//! The pipeline: the whole decision path, pure. A byte stream is cut into
//! lines ([`Pipeline`]), each line is framed, matched and counted
//! (`stage`, `decide`: framer → matcher → engine), and what was decided
//! goes to a [`Sink`] in stream order: passing bytes, suppressed bytes,
//! summaries. Time is an argument; nothing here reads a clock or touches a
//! file. The filter's output is one sink; `explain`, `test`, `check` and
//! `suggest` use their own (`classify`, `simulate`), so every command
//! decides exactly as the filter does.
//!
//! This file only declares the modules and re-exports their public items.

mod cases;
mod classify;
mod counts;
mod decide;
mod fast;
mod feed;
mod held;
mod mask;
mod options;
mod repeat;
mod simulate;
mod sink;
mod stage;

pub use cases::run_case;
pub(crate) use classify::classify;
pub use classify::{per_line_options, rule_for};
pub(crate) use classify::{Record, Records};
pub use counts::Counts;
pub use counts::Snapshot;
pub use decide::Verdict;
pub use feed::Pipeline;
pub use options::PipelineOptions;
pub(crate) use sink::NullSink;
pub use sink::Sink;

#[cfg(test)]
mod tests;
