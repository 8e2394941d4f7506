//! Invariant checker for simulated runs.
//!
//! The cluster reports what it observes (appends, leaders, high watermarks, listener commits, votes
//! leaving a node, crashes) and the checker keeps just enough global history to judge Raft's safety
//! properties after every step, plus a liveness window. It never panics on a broken history: it
//! records a `Violation`, so a test can feed it deliberately broken histories and expect each one
//! to be reported.
//!
//! One file per family of properties: `violation` (what a broken property is reported as),
//! `log_matching`, `elections` (election safety, votes, persisted epochs, leader completeness,
//! LeaderChange records), `committed` (the global committed log and its durability),
//! `high_watermark`, `listeners`, `describe` (DescribeQuorum answers), `snapshots` (snapshots
//! and the log start, issue 15), `membership` (voter sets and their changes, issue 16) and
//! `liveness`. The
//! `Checker` below holds the history they all judge against.

use std::collections::{BTreeMap, HashMap};

use crate::network::NodeId;

mod committed;
mod describe;
mod elections;
mod high_watermark;
mod listeners;
mod liveness;
mod log_matching;
mod membership;
mod snapshots;
#[cfg(test)]
mod tests;
mod violation;

use committed::CommittedBatch;
pub use describe::{DescribeExpectation, DescribeView};
pub use elections::ElectionRecord;
use liveness::LivenessWindow;
pub use violation::{Invariant, Violation};

/// Keep at most this many violations in detail (the count stays exact).
const MAX_RECORDED_VIOLATIONS: usize = 32;

#[derive(Debug, Default)]
pub struct Checker {
    violations: Vec<Violation>,
    violation_count: u64,
    /// epoch -> the node seen leading it.
    leaders: BTreeMap<i32, NodeId>,
    /// (epoch, base offset) -> (last offset, prefix hash) of every batch ever appended anywhere.
    /// A leader writes each (offset, epoch) once, so this holds across truncations and crashes.
    batch_identity: BTreeMap<(i32, i64), (i64, u64)>,
    /// The committed log, contiguous from offset 0, as whole batches.
    committed: Vec<CommittedBatch>,
    /// Per committed batch: an upper bound of the epoch in which it became committed (the epoch
    /// of the node that first reported it, raised to be non-decreasing along the log). Leader
    /// completeness binds leaders of later epochs only: a stale leader of an older epoch may
    /// still win an election it started before the commit, and it can never commit anything.
    commit_epochs: Vec<i32>,
    /// Last high watermark seen per live node.
    high_watermarks: BTreeMap<NodeId, i64>,
    /// Next offset each (node, listener) must be handed.
    listener_next_offsets: BTreeMap<(NodeId, u64), i64>,
    /// Per node: (epoch it leads, high watermark it had when first seen leading it).
    leader_hw_baselines: HashMap<NodeId, (i32, i64)>,
    /// Current epoch per node, as last reported by `on_node_epoch`.
    node_epochs: HashMap<NodeId, i32>,
    /// Last persisted epoch per node.
    persisted_epochs: HashMap<NodeId, i32>,
    liveness: Option<LivenessWindow>,
    /// Something that can affect durability (a commit, a truncation, a crash) happened since
    /// the last `check_durability`.
    durability_dirty: bool,
    liveness_windows_passed: u64,
    /// Voter sets: the votes behind each leader, the committed voter set (`membership`).
    membership: membership::Membership,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    pub fn violation_count(&self) -> u64 {
        self.violation_count
    }

    pub fn has(&self, invariant: Invariant) -> bool {
        self.violations.iter().any(|v| v.invariant == invariant)
    }

    /// End offset (exclusive) of the committed log seen so far.
    pub fn committed_end_offset(&self) -> i64 {
        self.committed.last().map_or(0, |b| b.last_offset + 1)
    }

    pub fn leaders_seen(&self) -> usize {
        self.leaders.len()
    }

    pub fn liveness_windows_passed(&self) -> u64 {
        self.liveness_windows_passed
    }

    pub fn report(
        &mut self,
        time_ms: u64,
        invariant: Invariant,
        node: Option<NodeId>,
        detail: String,
    ) {
        self.violation_count += 1;
        if self.violations.len() < MAX_RECORDED_VIOLATIONS {
            self.violations.push(Violation {
                time_ms,
                invariant,
                node,
                detail,
            });
        }
    }
}
