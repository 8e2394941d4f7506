//! The durable election state (Kafka's `ElectionState`, the quorum-state file) and the state a
//! node restarts from.

use kraft_records::EpochEntry;

use crate::message::{ReplicaKey, SnapshotId};
use crate::voters::ControlEntry;

/// What the quorum-state file holds. The runtime writes it durably (temp file, fsync, rename,
/// fsync dir) when the core emits `Output::PersistElectionState`, before executing later outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionState {
    pub epoch: i32,
    /// The elected leader of `epoch`, if known.
    pub leader_id: Option<i32>,
    /// The replica this node voted for in `epoch`.
    pub voted_key: Option<ReplicaKey>,
}

impl ElectionState {
    /// The absent quorum-state file: epoch 0, no leader, no vote.
    pub fn initial() -> ElectionState {
        ElectionState {
            epoch: 0,
            leader_id: None,
            voted_key: None,
        }
    }
}

/// A snapshot the log holds (only its identity and size matter to the core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub snapshot_id: SnapshotId,
    pub size_bytes: i64,
}

/// Everything a restarting node knows from its disk: the election state and the log metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredState {
    pub election: ElectionState,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    /// Durable end of the log; after recovery usually equal to `log_end_offset`.
    pub flushed_end_offset: i64,
    /// Leader-epoch cache entries (epoch -> start offset), ascending.
    pub epoch_entries: Vec<EpochEntry>,
    /// Latest snapshot, if any.
    pub latest_snapshot: Option<SnapshotInfo>,
    /// Every KRaftVersion and Voters record the node's disk holds, ascending offsets: the
    /// bootstrap checkpoint's (offset -1, when the latest snapshot is not newer), the latest
    /// snapshot's (its end offset - 1), then the log's after it (their own offsets). Empty with
    /// static voters and a log that never held one.
    pub kraft_control: Vec<ControlEntry>,
}

impl RestoredState {
    /// A fresh node: no quorum-state file, an empty log.
    pub fn empty() -> RestoredState {
        RestoredState {
            election: ElectionState::initial(),
            log_start_offset: 0,
            log_end_offset: 0,
            flushed_end_offset: 0,
            epoch_entries: Vec::new(),
            latest_snapshot: None,
            kraft_control: Vec::new(),
        }
    }
}
