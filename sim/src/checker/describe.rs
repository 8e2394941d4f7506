//! DescribeQuorum: a leader's answer agrees with its state and lists the observers fetching.

use super::{Checker, Invariant};
use crate::network::NodeId;

/// What a leader's DescribeQuorum answer said (replica ids only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeView {
    pub leader_id: NodeId,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub voters: Vec<NodeId>,
    pub observers: Vec<NodeId>,
}

/// What the simulator knows the answer must reflect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeExpectation {
    pub epoch: i32,
    /// The node's high watermark, -1 when unknown (the answer may also say -1).
    pub high_watermark: i64,
    pub voter_set: Vec<NodeId>,
    /// Observers this leader answered a Fetch without error moments ago.
    pub fetching_observers: Vec<NodeId>,
}

impl Checker {
    /// `node`, leading, answered DescribeQuorum with `got`.
    pub fn check_describe_quorum(
        &mut self,
        time_ms: u64,
        node: NodeId,
        expected: &DescribeExpectation,
        got: &DescribeView,
    ) {
        let mut problems = Vec::new();
        if got.leader_id != node || got.leader_epoch != expected.epoch {
            problems.push(format!(
                "names leader {} epoch {} (expected {node}, {})",
                got.leader_id, got.leader_epoch, expected.epoch
            ));
        }
        // A new leader reports -1 until it commits in its epoch (Kafka's LeaderState starts
        // without a high watermark), although the node still knows the one it learned before.
        if got.high_watermark != expected.high_watermark && got.high_watermark != -1 {
            problems.push(format!(
                "high watermark {} (expected {})",
                got.high_watermark, expected.high_watermark
            ));
        }
        // A leader removing itself leads on until the change commits, outside its voter set.
        let leader_listed = got.voters.contains(&node) || !expected.voter_set.contains(&node);
        if !leader_listed || got.voters.iter().any(|v| !expected.voter_set.contains(v)) {
            problems.push(format!(
                "voters {:?} (voter set {:?})",
                got.voters, expected.voter_set
            ));
        }
        if got.observers.iter().any(|o| expected.voter_set.contains(o)) {
            problems.push(format!("voters listed as observers: {:?}", got.observers));
        }
        let missing: Vec<NodeId> = expected
            .fetching_observers
            .iter()
            .copied()
            .filter(|o| !got.observers.contains(o))
            .collect();
        if !missing.is_empty() {
            problems.push(format!("fetching observers {missing:?} not listed"));
        }
        if !problems.is_empty() {
            let detail = format!("DescribeQuorum: {}", problems.join("; "));
            self.report(time_ms, Invariant::DescribeQuorum, Some(node), detail);
        }
    }
}
