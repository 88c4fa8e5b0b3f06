//! The wall clock the shell reads: system time at start plus monotonic
//! elapsed time.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::time::Time;

/// Wall-clock time that never goes backwards: the system time at start plus
/// a monotonic elapsed time, so a clock step cannot reorder or stall windows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WallClock {
    start: Instant,
    start_ms: i64,
}

impl WallClock {
    /// Starts the clock now.
    pub(crate) fn start() -> WallClock {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        WallClock {
            start: Instant::now(),
            start_ms: i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// The current time.
    pub(crate) fn now(&self) -> Time {
        Time(self.start_ms).plus(self.start.elapsed())
    }
}
