//! Elections: one leader per epoch, LeaderChange records naming it, votes durable before they
//! leave, persisted epochs never going back, and every new leader holding the committed log.

use super::{Checker, CommittedBatch, Invariant};
use crate::disk::SimDisk;
use crate::network::NodeId;

/// The part of a persisted quorum-state the checker needs (-1 = none, as in the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectionRecord {
    pub epoch: i32,
    pub leader_id: i32,
    pub voted_id: i32,
}

impl Checker {
    /// `node` is now in `epoch` (reported after every step, before its commits are judged).
    pub fn on_node_epoch(&mut self, node: NodeId, epoch: i32) {
        self.node_epochs.insert(node, epoch);
    }

    /// `node` acts as leader of `epoch`; `disk` is its log right now.
    pub fn on_leader<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        epoch: i32,
        disk: &SimDisk<Q>,
    ) {
        match self.leaders.get(&epoch) {
            Some(&other) if other != node => {
                let detail =
                    format!("node {node} leads epoch {epoch}, which node {other} already led");
                self.report(time_ms, Invariant::ElectionSafety, Some(node), detail);
                return;
            }
            Some(_) => {}
            None => {
                self.leaders.insert(epoch, node);
            }
        }
        // Judged once per (node, epoch), however the epoch's leader was first recorded: its own
        // LeaderChange append (`on_epoch_start`) usually names it before it is observed leading.
        if self
            .leader_hw_baselines
            .get(&node)
            .is_some_and(|&(e, _)| e == epoch)
        {
            return;
        }
        // The high watermark it knew before leading (none after a restart): any advance past it
        // is this leader's own and must cover a batch of its epoch.
        self.leader_hw_baselines
            .insert(node, (epoch, self.leader_baseline(node)));
        self.check_leader_completeness(time_ms, node, epoch, disk);
    }

    pub(super) fn leader_baseline(&self, node: NodeId) -> i64 {
        self.high_watermarks.get(&node).copied().unwrap_or(-1)
    }

    /// Every record committed in an earlier epoch must be in the log of `epoch`'s new leader.
    fn check_leader_completeness<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        epoch: i32,
        disk: &SimDisk<Q>,
    ) {
        let binding = self.commit_epochs.partition_point(|&e| e < epoch);
        if binding > 0 {
            let last = self.committed[binding - 1];
            if !self.disk_holds(disk, last, false) {
                let held = disk
                    .batch_containing(last.last_offset)
                    .map(CommittedBatch::of);
                let detail = format!(
                    "new leader of epoch {epoch} lacks committed batch [{}, {}] (epoch {}); it holds {held:?}",
                    last.base_offset, last.last_offset, last.epoch
                );
                self.report(time_ms, Invariant::LeaderCompleteness, Some(node), detail);
            }
        }
    }

    /// A log of `node` starts `epoch` with a LeaderChange record naming `leader_id`: it must be
    /// the node seen leading that epoch (and becomes it if none was seen yet).
    pub fn on_epoch_start(&mut self, time_ms: u64, node: NodeId, epoch: i32, leader_id: NodeId) {
        match self.leaders.get(&epoch) {
            Some(&leader) if leader != leader_id => {
                let detail = format!(
                    "epoch {epoch} starts with a LeaderChange naming {leader_id}, but node {leader} led it"
                );
                self.report(time_ms, Invariant::LeaderChangeRecord, Some(node), detail);
            }
            Some(_) => {}
            None => {
                self.leaders.insert(epoch, leader_id);
            }
        }
    }

    /// `node` durably wrote `record` to its quorum-state.
    pub fn on_persist_election(&mut self, time_ms: u64, node: NodeId, record: ElectionRecord) {
        if let Some(&previous) = self.persisted_epochs.get(&node) {
            if record.epoch < previous {
                let detail = format!("persisted epoch went from {previous} to {}", record.epoch);
                self.report(time_ms, Invariant::EpochRegression, Some(node), detail);
            }
        }
        self.persisted_epochs.insert(node, record.epoch);
    }

    /// `node` is sending a granted (non-pre-)vote for `candidate_id` in `epoch`; `durable` is what
    /// its quorum-state file holds at this moment.
    pub fn on_vote_granted_sent(
        &mut self,
        time_ms: u64,
        node: NodeId,
        candidate_id: NodeId,
        epoch: i32,
        durable: Option<ElectionRecord>,
    ) {
        let ok = matches!(durable, Some(r) if r.epoch == epoch
            && (r.voted_id == candidate_id || r.leader_id == candidate_id));
        if !ok {
            let detail = format!(
                "vote for {candidate_id} in epoch {epoch} sent while quorum-state holds {durable:?}"
            );
            self.report(time_ms, Invariant::VoteNotDurable, Some(node), detail);
        }
    }
}
