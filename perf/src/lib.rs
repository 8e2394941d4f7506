//! The performance-test workload of Kafka's `TestRaftServer`, without I/O.
//!
//! The runtime owns the clock and the Raft node; this crate decides *when* to append (throttle),
//! *what* to append (random payloads), matches commits to appends to measure commit latency, and
//! formats the periodic report. Time is passed in as nanoseconds from an arbitrary origin so the
//! same code is driven by tests and by the real server.

mod histogram_file;
mod payload;
mod report;
mod throttle;
mod workload;

pub use histogram_file::write_percentile_distribution;
pub use payload::PayloadGenerator;
pub use report::{IntervalReport, LatencyStats};
pub use throttle::Throttle;
pub use workload::{CommitMismatch, Workload, WorkloadConfig};

/// Kafka's `TestRaftServer` defaults.
pub const DEFAULT_THROUGHPUT_RECORDS_PER_S: u32 = 5000;
pub const DEFAULT_RECORD_SIZE_BYTES: u32 = 256;
/// How often the leader prints a report line, as Kafka's test server.
pub const REPORT_INTERVAL_MS: u64 = 5000;
