//! One rule's open windows and the order they close in.
//!
//! Windows live in a map by key; a second map orders them by deadline, so
//! the next to close is always at its front whatever the windows' lengths
//! (a reload may shorten a rule's window while older, longer ones are still
//! open). Both maps share one allocation of each key.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{RuleStats, Summary};
use crate::time::Time;

/// An open window of one (rule, key).
#[derive(Clone, Debug)]
pub(super) struct Window {
    pub deadline: Time,
    pub matched: u64,
    pub suppressed: u64,
    pub first: Time,
    pub last: Time,
}

/// Hashes window keys. Keys come from log lines, which an outsider may
/// shape, so keyed rules use std's randomly seeded SipHash; a rule without
/// a key has one window under the empty key and needs no hashing at all,
/// which matters on the hot path of every matching line.
#[derive(Clone, Debug, Default)]
pub(super) struct KeyHashing {
    random: std::collections::hash_map::RandomState,
    pub keyed: bool,
}

pub(super) enum KeyHasher {
    Sip(std::collections::hash_map::DefaultHasher),
    Constant,
}

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        match self {
            KeyHasher::Sip(h) => h.finish(),
            KeyHasher::Constant => 0,
        }
    }
    fn write(&mut self, bytes: &[u8]) {
        if let KeyHasher::Sip(h) = self {
            h.write(bytes);
        }
    }
}

impl std::hash::BuildHasher for KeyHashing {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        if self.keyed {
            KeyHasher::Sip(self.random.build_hasher())
        } else {
            KeyHasher::Constant
        }
    }
}

/// The windows and counters of one rule.
#[derive(Debug, Default)]
pub(super) struct RuleState {
    pub windows: HashMap<Arc<[u8]>, Window, KeyHashing>,
    /// Open windows by (deadline, opening sequence): the front closes next.
    pub expiry: BTreeMap<(Time, u64), Arc<[u8]>>,
    pub stats: RuleStats,
}

impl RuleState {
    /// A rule with no windows; `keyed` picks the key hashing.
    pub fn new(keyed: bool) -> RuleState {
        RuleState {
            windows: HashMap::with_hasher(KeyHashing {
                keyed,
                ..KeyHashing::default()
            }),
            ..RuleState::default()
        }
    }

    /// The deadline of the window that closes next.
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.expiry.keys().next().map(|(deadline, _)| *deadline)
    }

    /// Opens a window for `key` at `now`, closing at `deadline`; `seq`
    /// (the opening order) ties equal deadlines apart.
    pub(crate) fn open(&mut self, key: &[u8], now: Time, deadline: Time, seq: u64) {
        let key: Arc<[u8]> = Arc::from(key);
        self.expiry.insert((deadline, seq), Arc::clone(&key));
        self.windows.insert(
            key,
            Window {
                deadline,
                matched: 0,
                suppressed: 0,
                first: now,
                last: now,
            },
        );
    }

    /// Closes the window that closes next, with its summary dated
    /// `at(deadline)`. False when no window is open.
    pub(crate) fn close_first(
        &mut self,
        rule: usize,
        keyed: bool,
        at: impl FnOnce(Time) -> Time,
        out: &mut Vec<Summary>,
    ) -> bool {
        let Some(((deadline, _), key)) = self.expiry.pop_first() else {
            return false;
        };
        if let Some(window) = self.windows.remove(&key) {
            self.report(rule, &key, &window, at(deadline), keyed, out);
        }
        true
    }

    /// Closes every window due by `now`, dated by their deadlines.
    pub(crate) fn close_due(
        &mut self,
        rule: usize,
        keyed: bool,
        now: Time,
        out: &mut Vec<Summary>,
    ) {
        while self.next_deadline().is_some_and(|d| d <= now) {
            self.close_first(rule, keyed, |deadline| deadline, out);
        }
    }

    /// Closes every window, each dated `now` or its deadline if earlier.
    pub(crate) fn close_all(
        &mut self,
        rule: usize,
        keyed: bool,
        now: Time,
        out: &mut Vec<Summary>,
    ) {
        while self.close_first(rule, keyed, |deadline| now.min(deadline), out) {}
        self.windows.clear();
    }

    /// Records a closed window: a summary if it suppressed anything.
    fn report(
        &mut self,
        rule: usize,
        key: &[u8],
        window: &Window,
        at: Time,
        keyed: bool,
        out: &mut Vec<Summary>,
    ) {
        if window.suppressed == 0 {
            return;
        }
        self.stats.summaries += 1;
        out.push(Summary {
            rule,
            key: keyed.then(|| key.to_vec()),
            count: window.suppressed,
            first: window.first,
            last: window.last,
            at,
        });
    }

    /// Re-hashes the windows when the rule gained or lost its key.
    pub(crate) fn set_keyed(&mut self, keyed: bool) {
        if self.windows.hasher().keyed != keyed {
            let mut windows = RuleState::new(keyed).windows;
            windows.extend(self.windows.drain());
            self.windows = windows;
        }
    }
}
