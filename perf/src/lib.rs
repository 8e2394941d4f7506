//! The performance-test workload of Kafka's `TestRaftServer`, without I/O, and its replicated
//! state machine with its snapshot files (`snapshot_file`: the one module that does file I/O,
//! which the runtime runs off the Raft loop).
//!
//! The runtime owns the clock and the Raft node; this crate decides *when* to append (throttle),
//! *what* to append (random payloads), matches commits to appends to measure commit latency, and
//! formats the periodic report. Time is passed in as nanoseconds from an arbitrary origin so the
//! same code is driven by tests and by the real server.

mod bootstrap_checkpoint;
mod histogram_file;
mod payload;
mod report;
mod snapshot_error;
mod snapshot_file;
mod state_machine;
mod throttle;
mod workload;

pub use bootstrap_checkpoint::{
    read_bootstrap_checkpoint, write_bootstrap_checkpoint, BOOTSTRAP_SNAPSHOT_ID,
};
pub use histogram_file::write_percentile_distribution;
pub use payload::PayloadGenerator;
pub use report::{IntervalReport, LatencyStats};
pub use snapshot_error::SnapshotLoadError;
pub use snapshot_file::{
    load_latest_valid, read_snapshot, read_snapshot_contents, snapshot_id_of, write_snapshot,
    FrozenSnapshot, LatestSnapshot, SnapshotContents, SnapshotKRaftControl,
};
pub use state_machine::{StateDecodeError, StateGap, WorkloadState, STATE_ENCODED_BYTES};
pub use throttle::Throttle;
pub use workload::{CommitMismatch, Workload, WorkloadConfig};

/// Kafka's `TestRaftServer` defaults.
pub const DEFAULT_THROUGHPUT_RECORDS_PER_S: u32 = 5000;
pub const DEFAULT_RECORD_SIZE_BYTES: u32 = 256;
/// How often the leader prints a report line, as Kafka's test server.
pub const REPORT_INTERVAL_MS: u64 = 5000;
