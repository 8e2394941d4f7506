use crate::message::SnapshotId;

/// A snapshot being fetched from the leader with FetchSnapshot (Kafka's `fetchingSnapshot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SnapshotDownload {
    pub(crate) snapshot_id: SnapshotId,
    /// Bytes written so far (`Output::WriteSnapshotChunk`s emitted).
    pub(crate) position: i64,
    /// The snapshot's size as the leader reported it (-1 before the first chunk).
    pub(crate) size_bytes: i64,
}

/// Fetching from a known leader.
#[derive(Clone, Debug)]
pub(crate) struct FollowerState {
    pub(crate) epoch: i32,
    pub(crate) leader_id: i32,
    pub(crate) fetch_deadline_ms: u64,
    /// A Fetch to the leader succeeded in this state (a follower that has one refuses pre-votes).
    pub(crate) has_fetched: bool,
    /// When a Fetch (or FetchSnapshot) to the leader last succeeded.
    pub(crate) last_fetch_ms: u64,
    /// Observer only: after a fetch timeout, fetch once from this voter to rediscover the leader.
    pub(crate) rediscover_from: Option<i32>,
    /// Log end after the last records appended from this leader in this state. The leader
    /// never truncates its log within its epoch, so a DivergingEpoch below this offset can only
    /// be a stale response (to an older request) and is ignored.
    pub(crate) validated_end_offset: i64,
    /// The leader answered a Fetch with a snapshot id: FetchSnapshot replaces Fetch until the
    /// download completes or restarts. A new follower state (epoch or leader change) drops it.
    pub(crate) snapshot_download: Option<SnapshotDownload>,
    /// Kafka's `updateVoterSetPeriodTimer` (one fetch timeout): when it passes, a voter whose
    /// entry in the voter set is out of date sends UpdateRaftVoter, and an auto-joining
    /// observer sends AddRaftVoter (or RemoveRaftVoter for an old replica of its id) instead of
    /// a Fetch; it restarts whenever one is sent.
    pub(crate) update_voter_deadline_ms: u64,
}
