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
mod options;
mod simulate;
mod sink;
mod stage;

pub use cases::run_case;
pub use classify::{classify, per_line_options, rule_for, Record, Records};
pub use counts::{Counts, Snapshot};
pub use decide::{Decider, Verdict};
pub use feed::Pipeline;
pub use options::{PipelineOptions, DEFAULT_MAX_LINE};
pub use simulate::{simulate, TIME_PLACEHOLDER};
pub use sink::{NullSink, Sink};

#[cfg(test)]
mod tests;
