//! The runtime's one clock. The Raft core only ever sees the milliseconds it is handed.
//!
//! Monotonic (from `Instant`) but anchored at the wall-clock time of start-up, so the core's
//! millisecond values double as Kafka batch timestamps (unix-epoch milliseconds).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    origin_unix_ns: u64,
}

impl Clock {
    pub fn new() -> Self {
        let origin_unix_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Clock {
            origin: Instant::now(),
            origin_unix_ns,
        }
    }

    /// Nanoseconds since the unix epoch, never going backwards.
    pub fn now_ns(&self) -> u64 {
        self.origin_unix_ns + self.origin.elapsed().as_nanos() as u64
    }

    pub fn now_ms(&self) -> u64 {
        self.now_ns() / 1_000_000
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}
