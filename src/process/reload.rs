//! SIGHUP: the rule files are loaded again on a thread of their own, so
//! that a slow load (a big rule set, a rule file on a hung network mount)
//! never stalls the data path; the event loop swaps the new rules in when
//! they are ready, between two lines. A load that fails for any reason,
//! a panic included, keeps the old rules and every count. SIGHUPs that
//! come while a load runs are folded into one more load after it.

use anyhow::{anyhow, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread;

use super::notice::Notice;
use crate::rules::RuleSet;

/// Loads the rule files again (the same sources as at start-up).
pub(crate) type Reload = Arc<dyn Fn() -> Result<RuleSet> + Send + Sync>;

/// Runs reloads one at a time on a side thread.
pub(crate) struct Reloader {
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
    /// [`Notice::Reloaded`], or notes that one more is wanted. An error
    /// means no thread could be started: nothing will come back.
    pub(crate) fn request<E: From<Notice> + Send + 'static>(
        &mut self,
        tx: &SyncSender<E>,
    ) -> Result<()> {
        if self.busy {
            self.again = true;
            return Ok(());
        }
        let reload = Arc::clone(&self.reload);
        let tx = tx.clone();
        thread::Builder::new()
            .name("logdedup-reload".into())
            .spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| reload()))
                    .unwrap_or_else(|_| Err(anyhow!("loading the rules failed unexpectedly")));
                let _ = tx.send(E::from(Notice::Reloaded(Box::new(result))));
            })
            .map_err(|err| anyhow!("cannot start a thread: {err}"))?;
        self.busy = true;
        Ok(())
    }

    /// A load finished; whether another SIGHUP asked for one more.
    pub(crate) fn finished(&mut self) -> bool {
        self.busy = false;
        std::mem::take(&mut self.again)
    }
}
