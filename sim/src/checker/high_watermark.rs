//! High watermarks: never backwards on a live node, never beyond the log, never cutting below
//! it, and a leader's own advances covering a batch of its epoch.

use super::{Checker, Invariant};
use crate::disk::SimDisk;
use crate::network::NodeId;

impl Checker {
    /// `node`'s high watermark is `high_watermark` (-1 / unknown is ignored).
    pub fn on_high_watermark<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        high_watermark: i64,
        disk: &SimDisk<Q>,
    ) {
        if high_watermark < 0 {
            return;
        }
        if let Some(&previous) = self.high_watermarks.get(&node) {
            if high_watermark < previous {
                let detail = format!("high watermark went from {previous} to {high_watermark}");
                self.report(
                    time_ms,
                    Invariant::HighWatermarkDecrease,
                    Some(node),
                    detail,
                );
            }
            if high_watermark <= previous {
                return;
            }
        }
        self.high_watermarks.insert(node, high_watermark);
        self.on_committed_up_to(time_ms, node, high_watermark, disk, "high watermark");
    }

    /// `node` leads `epoch` with high watermark `high_watermark`. A leader may keep the high
    /// watermark it learned before its election, but any advance it makes itself must cover a
    /// batch of its own epoch.
    pub fn on_leader_high_watermark<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        epoch: i32,
        high_watermark: i64,
        disk: &SimDisk<Q>,
    ) {
        // `on_leader` records the baseline when it first sees `node` leading `epoch`; a caller
        // that skipped it gets the node's last known high watermark, as `on_leader` would.
        let baseline = match self.leader_hw_baselines.get(&node) {
            Some(&(e, baseline)) if e == epoch => baseline,
            _ => {
                let baseline = self.leader_baseline(node);
                self.leader_hw_baselines.insert(node, (epoch, baseline));
                baseline
            }
        };
        // A high watermark of 0 claims nothing committed.
        if high_watermark <= baseline.max(0) {
            return;
        }
        let batches = disk.batches();
        let first = batches.partition_point(|b| b.epoch < epoch);
        // Retention may have deleted the epoch's first batches: the log then starts inside it.
        let starts_inside_epoch =
            first == 0 && disk.epoch_before(disk.start_offset()) == Some(epoch);
        let covered = starts_inside_epoch
            || batches
                .get(first)
                .is_some_and(|b| b.epoch == epoch && b.base_offset < high_watermark);
        if !covered {
            let detail = format!(
                "leader of epoch {epoch} has high watermark {high_watermark} but no batch of its epoch below it"
            );
            self.report(
                time_ms,
                Invariant::HighWatermarkBeforeEpochStart,
                Some(node),
                detail,
            );
        }
    }

    /// `node` is about to remove every offset >= `to_offset`. Cutting below its own high
    /// watermark is a violation (spec 7.1 #8). A node that never learned that a batch is committed
    /// may still cut it: a restarted follower of a stale leader does exactly that, legitimately,
    /// while a majority keeps the batch (which `check_durability` watches).
    pub fn on_truncate(&mut self, time_ms: u64, node: NodeId, to_offset: i64) {
        self.durability_dirty = true;
        if let Some(&hw) = self.high_watermarks.get(&node) {
            if to_offset < hw {
                let detail = format!("truncation to {to_offset} below the high watermark {hw}");
                self.report(time_ms, Invariant::TruncatedCommitted, Some(node), detail);
            }
        }
    }
}
