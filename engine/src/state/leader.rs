use std::collections::{BTreeMap, BTreeSet};

use crate::accumulator::BatchAccumulator;
use crate::message::{FetchRequest, Uuid};

/// What the leader knows about one replica's progress (from its Fetch requests).
#[derive(Clone, Debug, Default)]
pub(crate) struct ReplicaProgress {
    pub(crate) directory_id: Uuid,
    /// The replica's last valid fetch offset: offsets below it are durable there.
    pub(crate) end_offset: Option<i64>,
    pub(crate) last_fetch_ms: Option<u64>,
    pub(crate) last_caught_up_ms: Option<u64>,
}

/// A Fetch waiting for new data or its `MaxWaitMs`.
#[derive(Clone, Debug)]
pub(crate) struct ParkedFetch {
    pub(crate) request_id: u64,
    pub(crate) request: FetchRequest,
    pub(crate) deadline_ms: u64,
}

#[derive(Debug)]
pub(crate) struct LeaderState {
    pub(crate) epoch: i32,
    /// LEO when elected: the LeaderChange batch's offset. The HW must pass it.
    pub(crate) epoch_start_offset: i64,
    /// Other voters (self excluded).
    pub(crate) voters: BTreeMap<i32, ReplicaProgress>,
    pub(crate) observers: BTreeMap<i32, ReplicaProgress>,
    /// The HW computed in this epoch (a new leader has none).
    pub(crate) high_watermark: Option<i64>,
    /// Voters that still need a BeginQuorumEpoch in this period.
    pub(crate) begin_quorum_pending: BTreeSet<i32>,
    pub(crate) begin_quorum_deadline_ms: u64,
    /// Distinct voters that fetched in the current check-quorum window.
    pub(crate) fetched_voters: BTreeSet<i32>,
    /// `None` with a single voter (check quorum off).
    pub(crate) check_quorum_deadline_ms: Option<u64>,
    pub(crate) parked: Vec<ParkedFetch>,
    pub(crate) accumulator: BatchAccumulator,
}
