//! The runtime's log, quorum-state and network sides as sans-IO code, shared by the real runtime (`kraft-bin`'s log role, on
//! glommio with io_uring fsyncs) and the simulator (`kraft-sim`, on its seeded disk): what the
//! log does with the Raft loop's commands and with fsync completions, decided in one place.
//!
//! [`LogPipeline`] decides when an fsync starts (at most one in flight; requests made meanwhile
//! are covered by the next one: group commit), what a truncation must wait for (the fsync in
//! flight), and what each completion reports (the durable end offset and the generation the
//! fsync started in). [`FlushReportSlot`] is where reports wait for the Raft loop: one slot,
//! coalescing. [`LogStorage`] is the storage side, implemented by the real segment log and by
//! the simulated disk. [`plan_retention`] is the metadata log's retention policy (Kafka's
//! `KafkaMetadataLog.maybeClean`). [`OutputGate`] runs the core's outputs in order and holds
//! every output after a `PersistElectionState` until the [`ElectionStore`] made it durable. The
//! network side ([`net`]): per peer, a bounded queue with one request in flight whose answer,
//! failure or timeout reaches the core under its correlation id ([`PeerQueue`]); failures found
//! while taking commands wait in a bounded [`FailureQueue`]; a Fetch response's log range is read
//! only in its generation ([`log_range_readable`]). Nothing here touches a socket, a file, a
//! clock or an RNG.

// Before the modules: macro_rules are in scope only after their definition.
/// True when the deliberate bug `$bug` is active on this thread (always false without the
/// `planted-bugs` feature).
#[cfg(feature = "planted-bugs")]
macro_rules! planted_bug {
    ($bug:ident) => {
        $crate::planted::is_active($crate::planted::PlantedRuntimeBug::$bug)
    };
}

#[cfg(not(feature = "planted-bugs"))]
macro_rules! planted_bug {
    ($bug:ident) => {
        false
    };
}

mod election;
pub mod net;
mod pipeline;
#[cfg(feature = "planted-bugs")]
pub mod planted;
mod report;
mod retention;
mod storage;

pub use election::{ElectionStore, OutputGate};
pub use net::{
    log_range_readable, plan_peer_changes, FailureQueue, PeerChange, PeerQueue, MAX_PEERS,
};
pub use pipeline::LogPipeline;
pub use report::{FlushReport, FlushReportSlot};
pub use retention::{
    plan_retention, RetainedSnapshot, RetentionLimits, RetentionPlan, SegmentInfo,
    MAX_RETENTION_ITEMS,
};
pub use storage::LogStorage;
