//! Runs the whole pipeline over a few lines at made-up times, in memory:
//! the window cases of `logdedup test` (and anything else that wants to see
//! exactly what the filter would print, without a clock or files).

use anyhow::Result;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::filter::{Filter, FilterOptions};
use super::sink::Sink;
use crate::rules::RuleSet;
use crate::summary::{Style, SummaryFormatter};
use crate::time::{Time, TimeFormatter};

/// What summary timestamps read in a simulation: the placeholder window
/// cases write in their `expect` lines.
pub const TIME_PLACEHOLDER: &str = "{time}";

/// A `Write` into memory that the caller can read afterwards.
#[derive(Clone, Default)]
struct Memory(Arc<Mutex<Vec<u8>>>);

impl Write for Memory {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("memory sink poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Feeds `lines[i]` at `at[i]` after the start, ends the input after the
/// last one, and returns every output line: passed lines and summaries
/// (in the default text format, their time printed as `{time}`).
pub fn simulate(rules: Arc<RuleSet>, lines: &[String], at: &[Duration]) -> Result<Vec<String>> {
    let memory = Memory::default();
    let formatter =
        SummaryFormatter::new(Style::Default, TimeFormatter::new(TIME_PLACEHOLDER, true)?);
    let mut filter = Filter::new(
        rules,
        formatter,
        Sink::stdout(Box::new(memory.clone())),
        None,
        None,
        FilterOptions::default(),
    );
    // Any fixed start will do: times only matter relative to each other.
    let start = Time(1_000_000_000_000);
    let mut now = start;
    for (line, offset) in lines.iter().zip(at) {
        now = start.plus(*offset);
        filter.push(line.as_bytes(), now)?;
        filter.push(b"\n", now)?;
    }
    filter.finish(now)?;
    let bytes = memory
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("memory sink poisoned"))?
        .clone();
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::to_owned)
        .collect())
}
