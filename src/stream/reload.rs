//! SIGHUP: the rule files are loaded again on a thread of their own, so
//! that a slow load (a big rule set, a rule file on a hung network mount)
//! never stalls the data path; the main loop swaps the new rules in when
//! they are ready, between two lines. A load that fails for any reason,
//! a panic included, keeps the old rules and every count. SIGHUPs that
//! come while a load runs are folded into one more load after it.

use anyhow::{anyhow, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread;

use super::metrics::Metrics;
use super::notes::Notes;
use super::{Event, Filter};
use crate::rules::RuleSet;
use crate::time::Time;

/// Loads the rule files again (the same sources as at start-up).
pub type Reload = Arc<dyn Fn() -> Result<RuleSet> + Send + Sync>;

/// Runs reloads one at a time on a side thread.
pub(super) struct Reloader {
    reload: Reload,
    /// A load is running.
    busy: bool,
    /// Another SIGHUP came while it ran.
    again: bool,
}

impl Reloader {
    /// A reloader calling `reload`.
    pub fn new(reload: Reload) -> Reloader {
        Reloader {
            reload,
            busy: false,
            again: false,
        }
    }

    /// SIGHUP: starts a load whose result comes back as
    /// [`Event::Reloaded`], or notes that one more is wanted.
    pub fn request(&mut self, tx: &SyncSender<Event>, notes: &Notes) {
        if self.busy {
            self.again = true;
            return;
        }
        let reload = Arc::clone(&self.reload);
        let tx = tx.clone();
        let started = thread::Builder::new()
            .name("logdedup-reload".into())
            .spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| reload()))
                    .unwrap_or_else(|_| Err(anyhow!("loading the rules failed unexpectedly")));
                let _ = tx.send(Event::Reloaded(Box::new(result)));
            });
        match started {
            Ok(_) => self.busy = true,
            Err(err) => notes.note(format!(
                "logdedup: reload failed, keeping the old rules: cannot start a thread: {err}\n"
            )),
        }
    }

    /// A load finished: applies it to `filter` (or reports why not), then
    /// starts the load a later SIGHUP asked for.
    pub fn finished(
        &mut self,
        result: Result<RuleSet>,
        filter: &mut Filter,
        metrics: &mut Metrics,
        notes: &Notes,
        tx: &SyncSender<Event>,
        now: Time,
    ) -> Result<()> {
        self.busy = false;
        match result {
            Ok(rules) => {
                let summary = format!(
                    "logdedup: reloaded {} rules from {}\n",
                    rules.rules().len(),
                    rules.sources().join(", ")
                );
                filter.reload(Arc::new(rules), now)?;
                filter.flush()?;
                metrics.reloaded(true);
                notes.note(summary);
            }
            Err(err) => {
                metrics.reloaded(false);
                notes.note(format!(
                    "logdedup: reload failed, keeping the old rules: {err:#}\n"
                ));
            }
        }
        if std::mem::take(&mut self.again) {
            self.request(tx, notes);
        }
        Ok(())
    }
}
