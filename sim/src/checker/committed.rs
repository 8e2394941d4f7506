//! The globally committed log: built from what nodes claim committed, every claim checked
//! against it, and it must stay durable on a majority of voters.

use super::{Checker, Invariant};
use crate::disk::{SimDisk, StoredBatch};
use crate::network::NodeId;

/// A batch of the globally committed log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CommittedBatch {
    pub(super) base_offset: i64,
    pub(super) last_offset: i64,
    pub(super) epoch: i32,
    pub(super) prefix_hash: u64,
}

impl CommittedBatch {
    pub(super) fn of(b: &StoredBatch) -> CommittedBatch {
        CommittedBatch {
            base_offset: b.base_offset,
            last_offset: b.last_offset,
            epoch: b.epoch,
            prefix_hash: b.prefix_hash,
        }
    }
}

impl Checker {
    /// Index of the committed batch containing `offset`.
    fn committed_index(&self, offset: i64) -> Option<usize> {
        let idx = self.committed.partition_point(|b| b.last_offset < offset);
        match self.committed.get(idx) {
            Some(b) if b.base_offset <= offset => Some(idx),
            _ => None,
        }
    }

    /// `node` claims every offset below `end_offset` is committed; `disk` is its log.
    pub(super) fn on_committed_up_to<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        end_offset: i64,
        disk: &SimDisk<Q>,
        source: &str,
    ) {
        if end_offset <= 0 {
            return;
        }
        let start = disk.start_offset();
        if end_offset <= start {
            // The node holds that prefix as a snapshot, checked against the committed log when
            // it was frozen or loaded.
            return;
        }
        let Some(claimed) = disk.batch_containing(end_offset - 1) else {
            let detail = format!(
                "{source} says offsets below {end_offset} are committed, but the log ends at {}",
                disk.end_offset()
            );
            self.report(time_ms, Invariant::CommittedLost, Some(node), detail);
            return;
        };
        let committed_end = self.committed_end_offset();
        // The node's log must agree with the committed log where they overlap: compare the batch
        // holding the last offset both cover (prefix hashes cover everything below it).
        let overlap_last = (end_offset - 1).min(committed_end - 1);
        if overlap_last >= 0 && overlap_last < start {
            // The committed log ends inside this node's snapshot: it can only end right at it.
            let held = disk.prefix_hash_at(start);
            let expected = self.committed.last().map(|b| b.prefix_hash);
            if committed_end != start || held != expected {
                let detail = format!(
                    "{source} up to {end_offset}: the log starts at {start} after a prefix hashing to {held:?}, the committed log ends at {committed_end} with {expected:?}"
                );
                self.report(time_ms, Invariant::CommittedLost, Some(node), detail);
                return;
            }
        } else if overlap_last >= 0 {
            let held = disk.batch_containing(overlap_last).map(CommittedBatch::of);
            let expected = self
                .committed_index(overlap_last)
                .map(|i| self.committed[i]);
            if held != expected {
                let detail = format!(
                    "{source} up to {end_offset}: at offset {overlap_last} the log holds {held:?} but the committed log has {expected:?}"
                );
                self.report(time_ms, Invariant::CommittedLost, Some(node), detail);
                return;
            }
        }
        if claimed.last_offset < committed_end {
            return;
        }
        // Unknown epoch: assume the highest, which only ever weakens the completeness check.
        let epoch = self.node_epochs.get(&node).copied().unwrap_or(i32::MAX);
        // Extend the committed log with the node's batches from the committed end on.
        let batches = disk.batches();
        let start = batches.partition_point(|b| b.last_offset < committed_end);
        for b in &batches[start..] {
            if b.base_offset > claimed.base_offset {
                break;
            }
            self.committed.push(CommittedBatch::of(b));
            self.on_batch_committed(b.epoch, b.base_offset, b.last_offset);
            self.durability_dirty = true;
            let commit_epoch = self.commit_epochs.last().map_or(epoch, |&e| e.max(epoch));
            self.commit_epochs.push(commit_epoch);
        }
    }

    /// `node` crashed: its high watermark and listeners start over when it restarts.
    pub fn on_crash(&mut self, node: NodeId) {
        self.durability_dirty = true;
        self.high_watermarks.remove(&node);
        self.listener_next_offsets.retain(|&(n, _), _| n != node);
    }

    /// Whether `check_durability` has anything new to judge.
    pub fn durability_check_due(&self) -> bool {
        self.durability_dirty
    }

    /// Durability: the committed log must be durable on a majority of `voters` (the voter set in
    /// force at the committed end: a voter change commits on a majority of its new set, which
    /// then holds everything before it; a replica whose directory id is not the voter's counts
    /// as not holding it). Judged after every step in which something that can break it happened
    /// (a commit, a truncation, a crash).
    pub fn check_durability<Q: Clone>(&mut self, time_ms: u64, voters: &[(NodeId, &SimDisk<Q>)]) {
        self.check_durability_any(time_ms, &[voters.to_vec()]);
    }

    /// Durability with voter changes: the committed log must be durable on a majority of one of
    /// `voter_sets` (the committed voter set, or one appended after it: KIP-853 uses a voter set
    /// from when it is appended, and one-at-a-time changes keep majorities of consecutive sets
    /// intersecting). The first set is the one reported.
    pub fn check_durability_any<Q: Clone>(
        &mut self,
        time_ms: u64,
        voter_sets: &[Vec<(NodeId, &SimDisk<Q>)>],
    ) {
        if !std::mem::take(&mut self.durability_dirty) {
            return;
        }
        let Some(last) = self.committed.last().copied() else {
            return;
        };
        let holders = |voters: &[(NodeId, &SimDisk<Q>)]| {
            voters
                .iter()
                .filter(|(_, disk)| self.disk_holds(disk, last, true))
                .count()
        };
        if voter_sets
            .iter()
            .any(|voters| holders(voters) > voters.len() / 2)
        {
            return;
        }
        let Some(voters) = voter_sets.first() else {
            return;
        };
        let detail = format!(
            "committed batch [{}, {}] (epoch {}) is durable on {} of {} voters",
            last.base_offset,
            last.last_offset,
            last.epoch,
            holders(voters),
            voters.len()
        );
        self.report(time_ms, Invariant::CommittedLost, None, detail);
    }

    /// Whether `disk` (a log, its snapshot included) holds the whole committed log.
    pub fn holds_committed_log<Q: Clone>(&self, disk: &SimDisk<Q>) -> bool {
        self.committed
            .last()
            .is_none_or(|&last| self.disk_holds(disk, last, false))
    }

    /// At the end of a run, voter `node` of the final voter set still lacks committed records.
    pub fn on_final_voter_lacks_committed(&mut self, time_ms: u64, node: NodeId) {
        let detail = format!(
            "a voter of the final voter set lacks the committed log (end {}) after the final phase",
            self.committed_end_offset()
        );
        self.report(time_ms, Invariant::CommittedLost, Some(node), detail);
    }
}
