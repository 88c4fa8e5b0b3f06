//! logdedup: collapse floods of repeated log lines into one summary per rule
//! per window, passing every other line through untouched and at once.
//!
//! The library holds the pieces the binary is built from, so that tests,
//! benches and fuzz targets reach them. A line goes through them once,
//! downward: [`stream`] (the I/O shell) hands bytes to the [`pipeline`],
//! which frames them with [`records`], names the rule and key with
//! [`rules`] and counts and decides with [`engine`] (the pure windowing
//! core); what it decides goes back to the shell's sink, which formats
//! summaries with [`summary`] and writes. [`process`] holds signals and
//! the child of `run`, [`report`] the statistics; [`cli`] turns the command
//! line into the shell's settings. ARCHITECTURE.md has the map.

pub mod cli;
pub mod engine;
pub mod pipeline;
pub mod process;
pub mod records;
mod report;
pub mod rules;
pub mod stream;
pub mod suggest;
pub mod summary;
mod template;
pub mod time;
