//! logdedup: collapse floods of repeated log lines into one summary per rule
//! per window, passing every other line through untouched and at once.
//!
//! The library holds the pieces the binary is built from, so that tests,
//! benches and fuzz targets reach them: [`rules`] (TOML → compiled rules),
//! [`engine`] (the pure windowing core), [`summary`] (formatting) and
//! [`stream`] (the I/O shell).

pub mod cli;
pub mod engine;
pub mod records;
pub mod rules;
pub mod stream;
pub mod suggest;
pub mod summary;
pub mod time;
