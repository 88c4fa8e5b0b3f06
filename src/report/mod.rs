//! Reporting: the `--stats` table, JSON statistics and Prometheus
//! textfiles, all made from one [`crate::pipeline::Snapshot`], and the
//! thread that writes notes to standard error without ever holding up the
//! data.
//!
//! This file only declares the modules and re-exports their public items.

mod metrics;
mod notes;
mod stats;

pub(crate) use metrics::{Metrics, MetricsOptions, DEFAULT_STATS_INTERVAL};
pub(crate) use notes::Notes;
pub(crate) use stats::format_stats;
