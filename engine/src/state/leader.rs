use std::collections::{BTreeMap, BTreeSet};

use super::PendingVoterChange;
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
    /// The leader's end offset at this replica's previous fetch (for the caught-up time).
    pub(crate) last_fetch_leader_end_offset: i64,
}

impl ReplicaProgress {
    /// Kafka's `ReplicaState.updateFollowerState`: a replica is caught up when it fetches from
    /// the leader's end, or from at least where the leader's end was at its previous fetch (then
    /// it was caught up at that previous fetch).
    pub(crate) fn record_fetch(&mut self, fetch_offset: i64, leader_end_offset: i64, now_ms: u64) {
        let previous_fetch_ms = self.last_fetch_ms;
        self.end_offset = Some(fetch_offset);
        self.last_fetch_ms = Some(previous_fetch_ms.map_or(now_ms, |t| t.max(now_ms)));
        if fetch_offset >= leader_end_offset {
            self.last_caught_up_ms = Some(self.last_caught_up_ms.map_or(now_ms, |t| t.max(now_ms)));
        } else if self.last_fetch_leader_end_offset > 0
            && fetch_offset >= self.last_fetch_leader_end_offset
        {
            if let Some(previous) = previous_fetch_ms {
                self.last_caught_up_ms =
                    Some(self.last_caught_up_ms.map_or(previous, |t| t.max(previous)));
            }
        }
        self.last_fetch_leader_end_offset = leader_end_offset;
    }
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
    /// The voter-set change in progress (one at a time, KIP-853).
    pub(crate) voter_change: Option<PendingVoterChange>,
    /// The leader removed itself and the change committed: it resigns (Kafka's
    /// `requestResign`).
    pub(crate) resign_requested: bool,
}
