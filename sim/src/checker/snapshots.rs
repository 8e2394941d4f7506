//! Snapshots (issue 15), with Kafka's invariants: a snapshot ends at or below the high watermark
//! of the node that froze it; it stands for exactly the committed prefix below its end offset
//! (its checksum equals the committed log's prefix hash there), so snapshot plus log is the
//! committed data on every node; a log starts at 0 or at a snapshot's end offset; a leader never
//! loads a snapshot.

use super::{Checker, CommittedBatch, Invariant};
use crate::disk::SimDisk;
use crate::network::NodeId;

impl Checker {
    /// `node` froze (or, with `high_watermark` `None`, downloaded and loaded) a snapshot ending at
    /// `end_offset` whose state hashes to `prefix_hash`.
    pub fn on_snapshot(
        &mut self,
        time_ms: u64,
        node: NodeId,
        end_offset: i64,
        prefix_hash: u64,
        high_watermark: Option<i64>,
    ) {
        if let Some(hw) = high_watermark {
            if end_offset > hw {
                let detail = format!("snapshot ends at {end_offset}, past the high watermark {hw}");
                self.report(
                    time_ms,
                    Invariant::SnapshotPastHighWatermark,
                    Some(node),
                    detail,
                );
                return;
            }
        }
        if let Err(detail) = self.matches_committed_prefix(end_offset, prefix_hash) {
            let detail = format!("snapshot ending at {end_offset}: {detail}");
            self.report(time_ms, Invariant::SnapshotDiverges, Some(node), detail);
        }
    }

    /// Whether the prefix below `end_offset` hashing to `prefix_hash` is the committed log's.
    fn matches_committed_prefix(&self, end_offset: i64, prefix_hash: u64) -> Result<(), String> {
        if end_offset > self.committed_end_offset() {
            return Err(format!(
                "the committed log ends at {}",
                self.committed_end_offset()
            ));
        }
        let idx = self
            .committed
            .partition_point(|b| b.last_offset < end_offset - 1);
        match self.committed.get(idx) {
            Some(b) if b.last_offset == end_offset - 1 && b.prefix_hash == prefix_hash => Ok(()),
            Some(b) => Err(format!("the committed log has {b:?} there")),
            None => Err("no committed batch ends there".to_string()),
        }
    }

    /// `node`'s log now starts at `start_offset`; `snapshot_ends` are the end offsets of the
    /// snapshots it holds.
    pub fn on_log_start(
        &mut self,
        time_ms: u64,
        node: NodeId,
        start_offset: i64,
        snapshot_ends: &[i64],
    ) {
        if start_offset != 0 && !snapshot_ends.contains(&start_offset) {
            let detail =
                format!("the log starts at {start_offset}; snapshots end at {snapshot_ends:?}");
            self.report(time_ms, Invariant::LogStartNotSnapshot, Some(node), detail);
        }
    }

    /// `node` was leading when its log was replaced by a snapshot.
    pub fn on_leader_loaded_snapshot(&mut self, time_ms: u64, node: NodeId, end_offset: i64) {
        let detail = format!("the leader loaded a snapshot ending at {end_offset}");
        self.report(time_ms, Invariant::LeaderLoadedSnapshot, Some(node), detail);
    }

    /// Whether `disk` holds committed batch `batch`: in its log, or below its log start inside a
    /// snapshot that matches the committed log (the snapshot's checksum was checked against the
    /// committed prefix when it was frozen or loaded; here it is checked again).
    pub(super) fn disk_holds<Q: Clone>(
        &self,
        disk: &SimDisk<Q>,
        batch: CommittedBatch,
        durable: bool,
    ) -> bool {
        let start = disk.start_offset();
        if batch.last_offset < start {
            return disk
                .prefix_hash_at(start)
                .is_some_and(|hash| self.matches_committed_prefix(start, hash).is_ok());
        }
        let held = if durable {
            disk.durable_batch_containing(batch.last_offset)
        } else {
            disk.batch_containing(batch.last_offset)
        };
        held.map(CommittedBatch::of) == Some(batch)
    }
}
