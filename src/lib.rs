//! logdedup: collapse floods of repeated log lines into one summary per rule
//! per window, passing every other line through untouched and at once.
//!
//! The library holds the pieces the binary is built from, so that tests,
//! benches and fuzz targets reach them. A line goes through them once,
//! downward: [`stream`] (the I/O shell) hands bytes to [`records`]
//! (framing, log time), [`rules`] names the rule and key, [`engine`] (the
//! pure windowing core) counts and decides, [`summary`] formats what it
//! reports, and the shell writes. [`cli`] turns the command line into the
//! shell's settings; ARCHITECTURE.md has the map.

pub mod cli;
pub mod engine;
pub mod records;
pub mod rules;
pub mod stream;
pub mod suggest;
pub mod summary;
pub mod template;
pub mod time;
