//! The Raft loop's snapshot side: the workload's state machine applied from every committed
//! batch (leader, followers and observers alike), a snapshot of it frozen every
//! `metadata.log.max.record.bytes.between.snapshots` committed bytes or
//! `metadata.log.max.snapshot.interval.ms` (at a committed offset, on the executor's blocking
//! thread: never on the Raft loop), and `handleLoadSnapshot` (the state read back from a
//! downloaded snapshot).

use super::log_snapshots::{to_log_id, to_wire_id};
use kraft_driver::RetainedSnapshot;
use kraft_engine::message::SnapshotId;
use kraft_engine::SnapshotInfo;
use kraft_perf::{
    read_snapshot, write_snapshot, FrozenSnapshot, SnapshotKRaftControl, WorkloadState,
};
use kraft_records::BatchHeader;
use kraft_segment_log::LogError;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where the snapshot write running on the blocking thread leaves its result (the state machine
/// is built before its executor starts, so this must be `Send`).
type Freezing = Arc<Mutex<Option<Result<FrozenSnapshot, LogError>>>>;

/// When a snapshot is due (Kafka's `SnapshotGenerator` triggers).
#[derive(Clone, Copy, Debug)]
pub struct SnapshotTriggers {
    /// Committed data bytes since the last snapshot (>= 1).
    pub max_new_bytes: u64,
    /// Time since the last snapshot, when anything was committed since; 0: off.
    pub max_interval_ms: u64,
}

impl SnapshotTriggers {
    /// Whether a snapshot is due after `new_bytes` committed data bytes and `elapsed_ms` since
    /// the last one (the caller checks that anything at all was committed since).
    pub fn due(&self, new_bytes: u64, elapsed_ms: u64) -> bool {
        let by_time = self.max_interval_ms > 0 && elapsed_ms >= self.max_interval_ms;
        new_bytes >= self.max_new_bytes || by_time
    }
}

pub struct StateMachine {
    dir: PathBuf,
    triggers: SnapshotTriggers,
    state: WorkloadState,
    /// `state.committed_bytes` and `state.end_offset` at the last snapshot.
    snapshot_bytes: u64,
    snapshot_end_offset: i64,
    last_snapshot_ms: u64,
    freezing: Option<Freezing>,
    /// Frozen, waiting until the core's high watermark covers it (it always will: the state
    /// holds committed batches only; a new leader learns its high watermark again).
    frozen: Option<FrozenSnapshot>,
}

/// A frozen snapshot for the core (`Input::SnapshotFrozen`) and the log role (retention).
pub struct Announcement {
    pub info: SnapshotInfo,
    pub retained: RetainedSnapshot,
}

impl StateMachine {
    /// `state`: what the latest valid snapshot held (restart), or the empty state.
    pub fn new(
        dir: PathBuf,
        triggers: SnapshotTriggers,
        state: WorkloadState,
        now_ms: u64,
    ) -> Self {
        assert!(triggers.max_new_bytes >= 1);
        StateMachine {
            dir,
            triggers,
            state,
            snapshot_bytes: state.committed_bytes,
            snapshot_end_offset: state.end_offset,
            last_snapshot_ms: now_ms,
            freezing: None,
            frozen: None,
        }
    }

    pub fn state(&self) -> &WorkloadState {
        &self.state
    }

    /// handleCommit for one committed batch (batches below the state's end are skipped).
    pub fn apply(&mut self, header: &BatchHeader, bytes: &[u8]) {
        if let Err(gap) = self.state.apply_batch(header, bytes) {
            // The core hands over contiguous committed ranges from the state's end (or a
            // LoadSnapshot first): a gap is a bug, and the state can no longer be compared.
            tracing::error!(%gap, "workload state machine skipped");
        }
    }

    /// Starts a snapshot write when one is due and none is running. `kraft_at(offset)`: the
    /// kraft.version and voter set in force at the snapshot's last offset (the core's
    /// `kraft_control_at`), written after its header.
    pub fn maybe_freeze(
        &mut self,
        now_ms: u64,
        kraft_at: impl FnOnce(i64) -> SnapshotKRaftControl,
    ) {
        if self.freezing.is_some() || self.frozen.is_some() {
            return;
        }
        if self.state.end_offset <= self.snapshot_end_offset {
            return;
        }
        let new_bytes = self.state.committed_bytes - self.snapshot_bytes;
        let elapsed_ms = now_ms.saturating_sub(self.last_snapshot_ms);
        if !self.triggers.due(new_bytes, elapsed_ms) {
            return;
        }
        let state = self.state;
        let kraft = kraft_at(state.end_offset - 1);
        let dir = self.dir.clone();
        let wall_ms = super::log_snapshots::wall_clock_ms();
        self.snapshot_bytes = state.committed_bytes;
        self.snapshot_end_offset = state.end_offset;
        self.last_snapshot_ms = now_ms;
        // create, write, fsync, rename, fsync of the directory: milliseconds of blocking calls,
        // on the executor's blocking thread; a local task waits for them and leaves the result.
        let slot: Freezing = Arc::new(Mutex::new(None));
        let result = slot.clone();
        glommio::spawn_local(async move {
            let written = glommio::executor()
                .spawn_blocking(move || write_snapshot(&dir, &state, &kraft, wall_ms))
                .await;
            *result.lock().expect("no panic while holding it") = Some(written);
        })
        .detach();
        self.freezing = Some(slot);
    }

    /// The frozen snapshot to announce, once written and covered by `high_watermark`.
    pub fn poll_frozen(&mut self, high_watermark: Option<i64>) -> Option<Announcement> {
        let written = self
            .freezing
            .as_ref()
            .and_then(|slot| slot.lock().expect("no panic while holding it").take());
        if let Some(result) = written {
            self.freezing = None;
            match result {
                Ok(frozen) => self.frozen = Some(frozen),
                Err(error) => tracing::error!(%error, "snapshot write failed"),
            }
        }
        let frozen = self.frozen.as_ref()?;
        if high_watermark.is_none_or(|hw| frozen.id.end_offset > hw) {
            return None;
        }
        let frozen = self.frozen.take().expect("checked above");
        tracing::info!(snapshot = %frozen.id, size_bytes = frozen.size_bytes, "snapshot frozen");
        let snapshot_id = to_wire_id(frozen.id);
        Some(Announcement {
            info: SnapshotInfo {
                snapshot_id,
                size_bytes: frozen.size_bytes as i64,
            },
            retained: RetainedSnapshot {
                snapshot_id,
                size_bytes: frozen.size_bytes,
                last_contained_log_timestamp_ms: frozen.last_contained_log_timestamp_ms,
            },
        })
    }

    /// handleLoadSnapshot: the state becomes snapshot `id`'s (a downloaded one, or the latest
    /// after the log start passed this listener). Reading a few hundred bytes of a frozen file.
    pub fn load(&mut self, id: SnapshotId) -> Result<(), String> {
        let log_id = to_log_id(id);
        if self.state.end_offset == id.end_offset && self.state.last_epoch == id.epoch {
            return Ok(()); // restored from this very snapshot at start
        }
        let state = read_snapshot(&log_id.path_in(&self.dir), log_id).map_err(|e| e.to_string())?;
        tracing::info!(snapshot = %log_id, %state, "workload state loaded from a snapshot");
        self.state = state;
        self.snapshot_bytes = state.committed_bytes;
        self.snapshot_end_offset = state.end_offset;
        // A snapshot being written of the old state is dropped with it.
        self.frozen = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::SnapshotTriggers;

    #[test]
    fn a_snapshot_is_due_by_bytes_or_by_time_unless_time_is_off() {
        let triggers = SnapshotTriggers {
            max_new_bytes: 1000,
            max_interval_ms: 60_000,
        };
        assert!(!triggers.due(999, 59_999));
        assert!(triggers.due(1000, 0));
        assert!(triggers.due(1, 60_000));
        let bytes_only = SnapshotTriggers {
            max_interval_ms: 0,
            ..triggers
        };
        assert!(!bytes_only.due(999, u64::MAX));
        assert!(bytes_only.due(1000, 0));
    }
}
