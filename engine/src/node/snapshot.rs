//! Snapshots in the core (KIP-630): the runtime's frozen snapshots, retention moving the log
//! start, and the result of a downloaded snapshot's load (the download itself is in
//! `fetch_follower.rs`).

use super::RaftNode;
use crate::election::SnapshotInfo;
use crate::message::SnapshotId;
use crate::state::QuorumState;
use crate::voters::ControlEntry;

/// A `LoadSnapshot` the runtime is executing: until its result the core's log is the old one and
/// the core emits nothing that touches the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PendingLoad {
    pub(crate) snapshot: SnapshotInfo,
    pub(crate) generation: u64,
}

impl RaftNode {
    /// `Input::SnapshotFrozen`: the state machine froze its committed state at the snapshot's
    /// end offset. Only a newer snapshot than the latest known replaces it.
    pub(super) fn handle_snapshot_frozen(&mut self, snapshot: SnapshotInfo) {
        let id = snapshot.snapshot_id;
        assert!(
            id.end_offset > 0 && id.epoch >= 0 && snapshot.size_bytes > 0,
            "a frozen snapshot has a positive end offset and size: {snapshot:?}"
        );
        assert!(
            self.high_watermark.is_some_and(|hw| id.end_offset <= hw),
            "snapshot {id:?} ends past the high watermark {:?}",
            self.high_watermark
        );
        if id.end_offset > self.log.start_offset && id.end_offset <= self.log.end_offset {
            debug_assert_eq!(
                self.log.epoch_cache.epoch_for_offset(id.end_offset - 1),
                Some(id.epoch),
                "a snapshot's epoch is its last batch's"
            );
        }
        let newer = self
            .log
            .latest_snapshot
            .is_none_or(|latest| id.end_offset > latest.snapshot_id.end_offset);
        if newer {
            self.log.latest_snapshot = Some(snapshot);
        }
    }

    /// `Input::LogStartAdvanced`: retention deleted the log below `start_offset`.
    pub(super) fn handle_log_start_advanced(&mut self, start_offset: i64) {
        let latest_end = self.log.latest_snapshot.map(|s| s.snapshot_id.end_offset);
        assert!(
            latest_end.is_some_and(|end| start_offset <= end),
            "the log start {start_offset} must be a frozen snapshot's end (latest ends at {latest_end:?})"
        );
        if start_offset <= self.log.start_offset {
            return;
        }
        self.log.advance_start(start_offset);
        self.history.trim_below(start_offset);
    }

    /// `Input::SnapshotLoaded`: the log is the downloaded snapshot now (Kafka's
    /// `truncateToLatestSnapshot` after `freeze`); fetching continues from its end offset.
    pub(super) fn handle_snapshot_loaded(
        &mut self,
        snapshot_id: SnapshotId,
        generation: u64,
        kraft_control: &[ControlEntry],
    ) {
        let Some(pending) = self.take_pending_load(snapshot_id, generation) else {
            return;
        };
        debug_assert!(
            !matches!(self.state, QuorumState::Leader(_)),
            "a node with a pending load never becomes leader"
        );
        let end_offset = pending.snapshot.snapshot_id.end_offset;
        self.log.reset_to_snapshot(pending.snapshot, generation);
        self.replace_voter_history(kraft_control, end_offset);
        // The snapshot is committed data (the leader froze it at or below its high watermark).
        self.set_high_watermark(end_offset);
        if let QuorumState::Follower(f) = &mut self.state {
            f.validated_end_offset = end_offset;
            f.fetch_deadline_ms = self.now_ms.saturating_add(self.config.fetch_timeout_ms);
        }
    }

    /// `Input::SnapshotLoadFailed`: the old log stays; the next Fetch asks the leader again,
    /// after the retry backoff (a runtime that keeps failing loads must not spin on downloads).
    pub(super) fn handle_snapshot_load_failed(&mut self, snapshot_id: SnapshotId, generation: u64) {
        if self.take_pending_load(snapshot_id, generation).is_none() {
            return;
        }
        if let QuorumState::Follower(f) = &self.state {
            let leader_id = f.leader_id;
            self.on_request_failure(leader_id);
        }
    }

    /// The pending load named by a result, taken; `None` (and the result ignored) when none is
    /// pending or it names another one (a runtime bug, asserted in debug builds).
    fn take_pending_load(
        &mut self,
        snapshot_id: SnapshotId,
        generation: u64,
    ) -> Option<PendingLoad> {
        let matches = self
            .snapshot_load
            .is_some_and(|p| p.snapshot.snapshot_id == snapshot_id && p.generation == generation);
        debug_assert!(
            matches,
            "load result for {snapshot_id:?} generation {generation}, pending {:?}",
            self.snapshot_load
        );
        if !matches {
            return None;
        }
        self.snapshot_load.take()
    }

    /// True while a `LoadSnapshot` is executing: no Fetch, no append, no election.
    pub(crate) fn is_loading_snapshot(&self) -> bool {
        self.snapshot_load.is_some()
    }
}
